"""The benchmark's reports: Markdown, and one self-contained HTML page.

Per data set and attribute: accuracy against each fairness metric (distance from
parity) with intervals across seeds and the Pareto front highlighted, the table of
means, the ranking with the paired test against the unmitigated model; then the
failed cells with their errors. Figures are SVG drawn with matplotlib's
object-oriented API (no pyplot state) and inlined as ``data:`` URIs; the page
loads nothing else and runs no script.
"""

from __future__ import annotations

import base64
import io
import math
import os
from pathlib import Path
from typing import Any, cast

import pandas as pd

from twinaudit._files import write_text
from twinaudit.benchmark._metrics import FAIRNESS_METRICS, parity
from twinaudit.benchmark._stats import pareto_front, rank_strategies, summarize
from twinaudit.exceptions import DataError

__all__ = ["benchmark_html", "benchmark_markdown", "tradeoff_figure", "write_report"]

_SHORT = {
    "statistical_parity_difference": "SPD",
    "disparate_impact": "DI",
    "equal_opportunity_difference": "EOD",
    "average_odds_difference": "AOD",
    "equalized_odds_difference": "EqOdds",
    "flip_rate": "flip rate",
}
_MARKERS = "osD^vP*Xhp<>"
_COLOURS = ("#2b6cb0", "#c05621", "#2f855a", "#6b46c1")
_RC = {
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "twinaudit",
    "svg.fonttype": "none",
    "text.parse_math": False,
}


def _num(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.{digits}f}"


def _p(value: Any) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.2g}" if value >= 0.001 else "<0.001"


def _mean_interval(row: pd.Series, metric: str) -> str:
    mean, low, high = row[metric], row[f"{metric}_low"], row[f"{metric}_high"]
    if not math.isfinite(mean):
        return "–"
    if not (math.isfinite(low) and math.isfinite(high)):
        return _num(mean)
    return f"{_num(mean)} ({_num(low)}–{_num(high)})"


def _sections(table: pd.DataFrame, confidence: float, rank_by: str) -> list[dict]:
    summary = summarize(table, confidence=confidence)
    ranking = rank_strategies(table, rank_by=rank_by)
    fronts = {m: pareto_front(summary, m) for m in FAIRNESS_METRICS}
    sections = []
    for (dataset, attribute), part in summary.groupby(
        ["dataset", "attribute"], sort=False
    ):
        index = part.index
        sections.append(
            {
                "dataset": dataset,
                "attribute": attribute,
                "summary": part,
                "ranking": ranking[
                    (ranking["dataset"] == dataset)
                    & (ranking["attribute"] == attribute)
                ],
                "fronts": {m: f.loc[index] for m, f in fronts.items()},
            }
        )
    return sections


def _summary_rows(section: dict) -> tuple[list[str], list[list[str]]]:
    header = [
        "estimator",
        "strategy",
        "seeds",
        "accuracy",
        "balanced acc.",
        "ROC AUC",
        *(_SHORT[m] for m in FAIRNESS_METRICS),
    ]
    rows = []
    for _, row in section["summary"].iterrows():
        front = [
            m
            for m in FAIRNESS_METRICS
            if section["fronts"][m].loc[row.name, "on_front"]
        ]
        rows.append(
            [
                row["estimator"],
                row["strategy"] + (" ◆" if front else ""),
                f"{row['seeds']}"
                + (f" ({row['failed']} failed)" if row["failed"] else ""),
                _mean_interval(row, "accuracy"),
                _mean_interval(row, "balanced_accuracy"),
                _mean_interval(row, "roc_auc"),
                *(_mean_interval(row, m) for m in FAIRNESS_METRICS),
            ]
        )
    return header, rows


def _ranking_rows(section: dict, rank_by: str) -> tuple[list[str], list[list[str]]]:
    header = [
        "estimator",
        "rank",
        "strategy",
        "accuracy",
        "Δ accuracy (p)",
        f"|{_SHORT[rank_by]} − parity|",
        "Δ (p)",
        "flip rate",
    ]
    rows = []
    for _, row in section["ranking"].iterrows():
        rows.append(
            [
                row["estimator"],
                str(row["rank"]),
                row["strategy"],
                _num(row["accuracy"]),
                f"{_num(row['accuracy_change'])} ({_p(row['accuracy_p'])})",
                _num(row["unfairness"]),
                f"{_num(row['unfairness_change'])} ({_p(row['unfairness_p'])})",
                _num(row["flip_rate"]),
            ]
        )
    return header, rows


def _failures(table: pd.DataFrame) -> list[list[str]]:
    failed = table[table["status"] != "ok"]
    return [
        [
            str(value)
            for value in (r.dataset, r.attribute, r.estimator, r.strategy, r.seed)
        ]
        + [str(r.error)]
        for r in failed.itertuples()
    ]


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    def clean(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = [
        "| " + " | ".join(map(clean, header)) + " |",
        "|" + "---|" * len(header),
    ]
    lines += ["| " + " | ".join(map(clean, row)) + " |" for row in rows]
    return "\n".join(lines)


def _settings(table: pd.DataFrame) -> tuple[float, str]:
    config = table.attrs.get("config", {})
    return float(config.get("confidence", 0.95)), str(
        config.get("rank_by", "statistical_parity_difference")
    )


def _tuning_note(table: pd.DataFrame) -> str:
    """What the configuration's tuning did, for the introduction (empty when off)."""
    tuning = table.attrs.get("config", {}).get("tuning")
    if not tuning:
        return ""
    return (
        f" Tuning: each strategy with a main parameter was fitted with "
        f"{tuning['budget']} values of it and kept the most accurate on the "
        f"validation rows among those with |{tuning['metric']} − parity| ≤ "
        f"{tuning['max_violation']:g} there (else the closest to parity); the "
        "chosen values are the table's tuned_value."
    )


def benchmark_markdown(table: pd.DataFrame) -> str:
    """The benchmark's results as Markdown (tables only)."""
    confidence, rank_by = _settings(table)
    seeds = sorted(table["seed"].unique().tolist())
    out = [
        "# Mitigation benchmark",
        "",
        f"{len(table)} cells ({int((table['status'] == 'ok').sum())} finished, "
        f"{int((table['status'] != 'ok').sum())} failed); seeds {seeds}. Means across "
        f"seeds with {confidence:.0%} Student-t intervals. Fairness metrics on the "
        "held-out rows (the worst group against the privileged one); flip rate on "
        "their counterfactual twins. ◆: on the Pareto front of accuracy against at "
        "least one fairness metric. Ranking: by the mean distance of "
        f"{rank_by} from parity; Δ against the unmitigated model on the same seeds "
        "(paired t-test p)." + _tuning_note(table),
    ]
    if "config_hash" in table.attrs:
        out.append(f"\nConfiguration hash `{table.attrs['config_hash'][:12]}`.")
    for section in _sections(table, confidence, rank_by):
        out += ["", f"## {section['dataset']}, {section['attribute']}", ""]
        out.append(_md_table(*_summary_rows(section)))
        out += ["", "Ranking:", ""]
        out.append(_md_table(*_ranking_rows(section, rank_by)))
    failures = _failures(table)
    out += ["", "## Failed cells", ""]
    if failures:
        out.append(
            _md_table(
                ["dataset", "attribute", "estimator", "strategy", "seed", "error"],
                failures,
            )
        )
    else:
        out.append("None.")
    return "\n".join(out) + "\n"


def _draw(section: dict) -> Any:
    import matplotlib
    from matplotlib.figure import Figure

    summary = section["summary"]
    estimators = list(dict.fromkeys(summary["estimator"]))
    strategies = list(dict.fromkeys(summary["strategy"]))
    with matplotlib.rc_context(cast(Any, _RC)):
        figure = Figure(figsize=(10, 6), dpi=96)
        axes = figure.subplots(2, 3, squeeze=False).ravel()
        for ax, metric in zip(axes, FAIRNESS_METRICS, strict=True):
            point = parity(metric)
            front = section["fronts"][metric]
            for _, row in summary.iterrows():
                x = abs(row[metric] - point)
                y = row["accuracy"]
                if not (math.isfinite(x) and math.isfinite(y)):
                    continue
                low, high = row[f"{metric}_low"], row[f"{metric}_high"]
                xerr = None
                if math.isfinite(low) and math.isfinite(high):
                    ends = sorted([abs(low - point), abs(high - point)])
                    near = 0.0 if low <= point <= high else ends[0]
                    xerr = [[max(x - near, 0.0)], [max(ends[1] - x, 0.0)]]
                yerr = None
                if math.isfinite(row["accuracy_low"]):
                    yerr = [
                        [max(y - row["accuracy_low"], 0.0)],
                        [max(row["accuracy_high"] - y, 0.0)],
                    ]
                on = bool(front.loc[row.name, "on_front"])
                ax.errorbar(
                    [x],
                    [y],
                    xerr=xerr,
                    yerr=yerr,
                    fmt=_MARKERS[strategies.index(row["strategy"]) % len(_MARKERS)],
                    color=_COLOURS[estimators.index(row["estimator"]) % len(_COLOURS)],
                    markersize=7 if on else 5,
                    markeredgecolor="black" if on else "none",
                    elinewidth=0.6,
                    alpha=1.0 if on else 0.55,
                    label=f"{row['estimator']}, {row['strategy']}",
                )
            ends = front[front["on_front"]].sort_values("unfairness")
            if len(ends) > 1:
                ax.plot(
                    ends["unfairness"], ends["accuracy"], color="black", lw=0.8, ls="--"
                )
            ax.set_title(_SHORT[metric])
            ax.set_xlabel(f"|{_SHORT[metric]} − {point:g}|")
            ax.set_ylabel("accuracy")
        handles, labels = axes[0].get_legend_handles_labels()
        if handles:
            figure.legend(
                handles, labels, loc="lower center", ncol=3, fontsize=7, frameon=False
            )
        figure.subplots_adjust(
            left=0.07,
            right=0.98,
            top=0.95,
            bottom=0.12 + 0.025 * len(labels) / 3,
            hspace=0.45,
            wspace=0.3,
        )
    return figure


def tradeoff_figure(table: pd.DataFrame, dataset: str, attribute: str) -> Any:
    """Accuracy against each fairness metric's distance from parity for one data
    set and attribute: one panel per metric, a point per (estimator, strategy) with
    its interval across seeds, the Pareto front joined and outlined.

    Returns a :class:`matplotlib.figure.Figure` (no pyplot state is touched).
    """
    confidence, rank_by = _settings(table)
    for section in _sections(table, confidence, rank_by):
        if (section["dataset"], section["attribute"]) == (dataset, attribute):
            return _draw(section)
    pairs = table[["dataset", "attribute"]].drop_duplicates().values.tolist()
    raise DataError(
        f"The table has no results for data set {dataset!r} and attribute "
        f"{attribute!r}; it has {[tuple(p) for p in pairs]}."
    )


def _figure(section: dict) -> str:
    import matplotlib

    with matplotlib.rc_context(cast(Any, _RC)):
        buffer = io.BytesIO()
        _draw(section).savefig(buffer, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
  content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>twinaudit mitigation benchmark</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 78rem; margin: 1.5rem auto;
  padding: 0 1rem; color: #1a202c; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0 1rem; }
th, td { border-bottom: 1px solid #e2e8f0; padding: 0.2rem 0.5rem; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; }
.note { color: #4a5568; font-size: 0.9rem; }
.scroll { overflow-x: auto; }
</style>
</head>
<body>
<h1>Mitigation benchmark</h1>
<p class="note">{{ intro }}</p>
{% for s in sections %}
<section>
<h2>{{ s.dataset }}, {{ s.attribute }}</h2>
<img alt="Accuracy against each fairness metric for {{ s.dataset }}, {{ s.attribute }}"
  src="{{ s.figure }}">
<div class="scroll"><table>
<thead><tr>{% for h in s.summary_header %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in s.summary_rows %}<tr>
{%- for c in row %}<td{% if loop.index > 2 %} class="num"{% endif %}>{{ c }}</td>
{%- endfor %}</tr>
{% endfor %}</tbody>
</table></div>
<h3>Ranking</h3>
<div class="scroll"><table>
<thead><tr>{% for h in s.ranking_header %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in s.ranking_rows %}<tr>
{%- for c in row %}<td{% if loop.index > 3 %} class="num"{% endif %}>{{ c }}</td>
{%- endfor %}</tr>
{% endfor %}</tbody>
</table></div>
</section>
{% endfor %}
<h2>Failed cells</h2>
{% if failures %}
<div class="scroll"><table>
<thead><tr><th>dataset</th><th>attribute</th><th>estimator</th><th>strategy</th>
<th>seed</th><th>error</th></tr></thead>
<tbody>
{% for row in failures %}<tr>{% for c in row %}<td>{{ c }}</td>{% endfor %}</tr>
{% endfor %}</tbody>
</table></div>
{% else %}
<p>None.</p>
{% endif %}
</body>
</html>
"""


def benchmark_html(table: pd.DataFrame) -> str:
    """The benchmark's results as one self-contained HTML page (figures inlined)."""
    import jinja2

    confidence, rank_by = _settings(table)
    intro = benchmark_markdown(table).split("\n\n")[1].replace("\n", " ")
    sections = []
    for section in _sections(table, confidence, rank_by):
        summary_header, summary_rows = _summary_rows(section)
        ranking_header, ranking_rows = _ranking_rows(section, rank_by)
        sections.append(
            {
                "dataset": section["dataset"],
                "attribute": section["attribute"],
                "figure": _figure(section),
                "summary_header": summary_header,
                "summary_rows": summary_rows,
                "ranking_header": ranking_header,
                "ranking_rows": ranking_rows,
            }
        )
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return environment.from_string(_TEMPLATE).render(
        intro=intro, sections=sections, failures=_failures(table)
    )


def write_report(table: pd.DataFrame, out: str | os.PathLike[str]) -> list[Path]:
    """Write ``report.md`` and ``report.html`` into the results directory
    (atomically, replacing earlier reports of the same results)."""
    out = Path(out)
    written = []
    for name, text in (
        ("report.md", benchmark_markdown(table)),
        ("report.html", benchmark_html(table)),
    ):
        path = out / name
        # The shared writer: a unique temporary file, fsynced, removed on SIGTERM.
        write_text(path, text, overwrite=True)
        written.append(path)
    return written
