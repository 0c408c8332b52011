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
from twinaudit.report._report import AuditReport, MetricValue, audit, report_from_scored

__all__ = [
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
    "save_policy",
]
