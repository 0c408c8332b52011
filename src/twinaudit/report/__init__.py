"""Audit reports: the metrics, policies and verdicts, renderers."""

from twinaudit.report._policy import (
    Check,
    Policy,
    Rule,
    RuleResult,
    Verdict,
    evaluate,
    load_policy,
    save_policy,
)
from twinaudit.report._render import (
    REPORT_SCHEMA_PATH,
    report_schema,
    report_to_html,
    report_to_markdown,
    validate_report,
)
from twinaudit.report._report import AuditReport, MetricValue, audit, report_from_scored

__all__ = [
    "REPORT_SCHEMA_PATH",
    "AuditReport",
    "Check",
    "MetricValue",
    "Policy",
    "Rule",
    "RuleResult",
    "Verdict",
    "audit",
    "evaluate",
    "load_policy",
    "report_from_scored",
    "report_schema",
    "report_to_html",
    "report_to_markdown",
    "save_policy",
    "validate_report",
]
