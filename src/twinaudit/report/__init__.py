"""Audit reports: the metrics, and renderers for people and machines."""

from twinaudit.report._report import AuditReport, audit, report_from_scored

__all__ = ["AuditReport", "audit", "report_from_scored"]
