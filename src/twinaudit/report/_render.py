"""Renderers of an :class:`AuditReport`: a dict (JSON), Markdown, Rich tables."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from twinaudit.metrics import DEFINITIONS
from twinaudit.report._report import finite_or_none, rows

if TYPE_CHECKING:
    from twinaudit.report._report import AuditReport

LABELS = {
    "statistical_parity_difference": "statistical parity difference",
    "disparate_impact": "disparate impact",
    "demographic_parity_difference": "demographic parity difference",
    "demographic_parity_ratio": "demographic parity ratio",
}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(k): finite_or_none(v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def report_to_dict(report: AuditReport) -> dict[str, Any]:
    scored = report.scored
    twins = scored.twins
    return {
        "model": scored.model_name,
        "features": list(scored.features),
        "favorable_label": finite_or_none(scored.favorable_label),
        "pairs": report.n_pairs,
        "variants_per_pair": twins.n_variants,
        "protected": [
            {
                "name": a.name,
                "values": list(a.values),
                "privileged": a.privileged,
                "varied": a.name in twins.varied,
            }
            for a in twins.protected
        ],
        "proxies": list(twins.proxies),
        "mode": twins.spec.mode if twins.spec is not None else None,
        "seed": twins.spec.seed if twins.spec is not None else None,
        "confidence": report.confidence,
        "flip_rate": report.flip_rate,
        "flipped_pairs": report.flipped_pairs,
        "selection": _records(report.selection),
        "disparities": _records(report.disparities),
        "definitions": dict(DEFINITIONS),
        "counterfactual": _records(report.counterfactual),
        "cochran": _records(report.cochran),
        "notes": list(report.notes),
    }


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "undefined"
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return "undefined"
        return f"{value:.{digits}f}"
    return str(value)


def _p(value: float) -> str:
    if np.isnan(value):
        return "undefined"
    return f"{value:.2e}" if value < 1e-3 else f"{value:.3f}"


_COMPUTED_BY = {
    "aif360": ("statistical_parity_difference", "disparate_impact"),
    "fairlearn": ("demographic_parity_difference", "demographic_parity_ratio"),
}


def _library_cell(row: Any, library: str) -> str:
    """A library's value, "-" where that library has no such metric (or was not
    asked), "undefined" where it gave nan."""
    if row.metric not in _COMPUTED_BY[library]:
        return "-"
    value = getattr(row, library)
    if pd.isna(value) and pd.isna(row.value):
        return "undefined"
    return "-" if pd.isna(value) else _fmt(value)


def _group_cell(row: Any) -> str:
    return "all values" if pd.isna(row.group) else f"{row.group} vs {row.reference}"


def report_to_markdown(report: AuditReport) -> str:
    scored = report.scored
    lines = [
        f"# Counterfactual twin audit of {scored.model_name}",
        "",
        f"{report.n_pairs:,} pairs, {scored.twins.n_variants} twins each; "
        f"{report.flipped_pairs:,} pairs ({report.flip_rate:.1%}) get different "
        "decisions although only the protected attribute"
        + (" and its proxies differ." if scored.twins.proxies else " differs."),
        "",
        "## Counterfactual flips",
        "",
        "| attribute | group vs reference | flip rate | "
        f"{report.confidence:.0%} interval | favours reference | favours group | "
        "McNemar p | mean score gap |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows(report.counterfactual):
        lines.append(
            f"| {r.attribute} | {r.group} vs {r.reference} | {r.flip_rate:.3f} | "
            f"[{r.flip_rate_low:.3f}, {r.flip_rate_high:.3f}] | "
            f"{r.favours_reference} | "
            f"{r.favours_group} | {_p(r.mcnemar_p)} | {_fmt(r.mean_score_gap)} |"
        )
    lines += [
        "",
        "## Selection rate by group",
        "",
        "| attribute | value | n | selection rate | Fairlearn |",
        "|---|---|---|---|---|",
    ]
    for r in rows(report.selection):
        mark = " (privileged)" if r.privileged else ""
        fairlearn = "-" if pd.isna(r.fairlearn) else _fmt(r.fairlearn)
        lines.append(
            f"| {r.attribute} | {r.value}{mark} | {r.n} | {_fmt(r.selection_rate)} | "
            f"{fairlearn} |"
        )
    lines += [
        "",
        "## Disparity metrics",
        "",
        "| attribute | metric | group | twinaudit | AIF360 | Fairlearn |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows(report.disparities):
        lines.append(
            f"| {r.attribute} | {LABELS[r.metric]} | {_group_cell(r)} | "
            f"{_fmt(r.value)} | {_library_cell(r, 'aif360')} | "
            f"{_library_cell(r, 'fairlearn')} |"
        )
    lines += ["", "Definitions:"]
    lines += [f"- {LABELS[k]}: {v}" for k, v in DEFINITIONS.items() if k in LABELS]
    if report.notes:
        lines += ["", "Notes:"] + [f"- {n}" for n in report.notes]
    return "\n".join(lines) + "\n"


def decision_table(report: AuditReport, n_pairs: int = 10) -> Any:
    """The tutorial's table: a few pairs, each twin with its decision."""
    from rich.table import Table

    scored = report.scored
    twins = scored.twins
    frame = report.decisions(n_pairs)
    table = Table(
        title=f"First {min(n_pairs, twins.n_pairs)} twin pairs and the "
        "model's decisions",
        header_style="bold",
    )
    shown = [c for c in frame.columns if c not in ("decision", "decision_score")]
    for column in shown:
        table.add_column(str(column), overflow="fold")
    table.add_column("decision")
    if scored.scores is not None:
        table.add_column("score", justify="right")
    y_pred = scored.y_pred[: len(frame)]
    for i, values in enumerate(frame.to_dict("records")):
        cells = [_cell(values[c]) for c in shown]
        style = "green" if y_pred[i] else "red"
        verdict = "favourable" if y_pred[i] else "unfavourable"
        cells.append(f"[{style}]{values['decision']} ({verdict})[/{style}]")
        if scored.scores is not None:
            cells.append(f"{values['decision_score']:.2f}")
        end_section = (i + 1) % twins.n_variants == 0
        table.add_row(*cells, end_section=end_section)
    return table


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return f"{value:,}" if abs(int(value)) >= 10_000 else str(value)
    text = str(value)
    return text if len(text) <= 24 else text[:8] + "…"


def rich_renderables(report: AuditReport) -> Iterator[Any]:
    from rich.table import Table
    from rich.text import Text

    scored = report.scored
    yield Text.from_markup(
        f"[bold]Counterfactual twin audit of {scored.model_name}[/bold]: "
        f"{report.n_pairs:,} pairs, {report.flipped_pairs:,} "
        f"([bold]{report.flip_rate:.1%}[/bold]) get different decisions for twins "
        "that differ only in the protected attribute"
        + (" and its proxies." if scored.twins.proxies else ".")
    )
    flips = Table(title="Counterfactual flips (paired)", header_style="bold")
    for name in (
        "attribute",
        "group vs reference",
        "flip rate",
        f"{report.confidence:.0%} CI",
        "favours reference",
        "favours group",
        "McNemar p",
        "mean score gap",
    ):
        flips.add_column(
            name, justify="left" if "vs" in name or name == "attribute" else "right"
        )
    for r in rows(report.counterfactual):
        flips.add_row(
            str(r.attribute),
            f"{r.group} vs {r.reference}",
            f"{r.flip_rate:.3f}",
            f"[{r.flip_rate_low:.3f}, {r.flip_rate_high:.3f}]",
            f"{r.favours_reference:,}",
            f"{r.favours_group:,}",
            _p(r.mcnemar_p),
            _fmt(r.mean_score_gap),
        )
    yield flips
    groups = Table(
        title="Selection rate by group (twinaudit, Fairlearn MetricFrame)",
        header_style="bold",
    )
    for name in (
        "attribute",
        "value",
        "twins",
        "favourable",
        "selection rate",
        "Fairlearn",
    ):
        groups.add_column(
            name, justify="right" if name not in ("attribute", "value") else "left"
        )
    for r in rows(report.selection):
        groups.add_row(
            str(r.attribute),
            f"{r.value}" + (" (privileged)" if r.privileged else ""),
            f"{r.n:,}",
            f"{r.favourable:,}",
            _fmt(r.selection_rate),
            "-" if pd.isna(r.fairlearn) else _fmt(r.fairlearn),
        )
    yield groups
    metrics = Table(
        title="Disparity metrics (twinaudit, and as computed by AIF360 and Fairlearn)",
        header_style="bold",
    )
    for name in (
        "attribute",
        "metric",
        "group",
        "twinaudit",
        "AIF360",
        "Fairlearn",
        "parity at",
    ):
        metrics.add_column(
            name,
            justify="right" if name in ("twinaudit", "AIF360", "Fairlearn") else "left",
        )
    for r in rows(report.disparities):
        parity = "1" if "impact" in r.metric or "ratio" in r.metric else "0"
        metrics.add_row(
            str(r.attribute),
            LABELS[r.metric],
            _group_cell(r),
            _fmt(r.value),
            _library_cell(r, "aif360"),
            _library_cell(r, "fairlearn"),
            parity,
        )
    yield metrics
    if not report.cochran.empty:
        q = Table(title="Cochran's Q (attributes with 3+ values)", header_style="bold")
        for name in ("attribute", "values", "rows", "Q", "p"):
            q.add_column(name)
        for r in rows(report.cochran):
            q.add_row(
                str(r.attribute),
                str(r.values),
                f"{r.rows:,}",
                f"{r.cochran_q:.2f}",
                _p(r.p_value),
            )
        yield q
    for note in report.notes:
        yield Text(f"Note: {note}", style="yellow")
