"""Renderers of a report dict (schema version 1): HTML, Markdown, Rich; validation.

Every renderer takes the JSON-ready dict of :meth:`AuditReport.to_dict` (or
``json.load`` of a saved report), never the report object, so a report file renders
the same as a live report. Each first checks the dict against the shipped JSON Schema
(:func:`validate_report`), then builds one view of the report (sections of tables
whose cells are already formatted) that the three output formats share; they differ
only in markup. A section whose data is absent (no verdict, no labels, no scores, no
``where``) is left out with a one-line note.
"""

from __future__ import annotations

import copy
import functools
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Literal

from twinaudit.exceptions import DataError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = [
    "REPORT_SCHEMA_PATH",
    "SCHEMA_VERSION",
    "report_schema",
    "report_to_html",
    "report_to_markdown",
    "rich_renderables",
    "validate_report",
]

SCHEMA_VERSION = 1

#: The report's JSON Schema (draft 2020-12), shipped in the package. A
#: :class:`importlib.resources.abc.Traversable` (a :class:`pathlib.Path` for an
#: ordinary install): ``REPORT_SCHEMA_PATH.read_text()``.
REPORT_SCHEMA_PATH: Traversable = (
    files("twinaudit.report") / "schema" / f"report-{SCHEMA_VERSION}.schema.json"
)
_TEMPLATE: Traversable = files("twinaudit.report") / "templates" / "report.html.j2"
_MAX_ERRORS = 5
_MAX_MESSAGE = 200

Status = Literal["pass", "fail", "inconclusive"]


# -- schema ---------------------------------------------------------------------------
@functools.cache
def _schema_text() -> str:
    return REPORT_SCHEMA_PATH.read_text(encoding="utf-8")


def report_schema() -> dict[str, Any]:
    """The JSON Schema of the report dict (a fresh copy).

    Examples
    --------
    >>> schema = report_schema()
    >>> schema["properties"]["schema_version"]["const"]
    1
    """
    return copy.deepcopy(_validator().schema)


@functools.cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads(_schema_text()))


def _path_key(error: Any) -> list[tuple[int, Any]]:
    return [(0, p) if isinstance(p, int) else (1, str(p)) for p in error.absolute_path]


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def validate_report(d: Any) -> None:
    """Check a report dict against the report schema (version 1).

    Parameters
    ----------
    d : mapping
        The dict of :meth:`AuditReport.to_dict`, or a report file read with
        :func:`json.load`.

    Raises
    ------
    DataError
        If ``d`` is not a report dict of schema version 1; the message lists the
        first violations, each with its JSON path (``$.metrics[3].value``).

    Examples
    --------
    >>> validate_report({"schema_version": 1})
    Traceback (most recent call last):
    ...
    twinaudit.exceptions.DataError: The report dict does not follow the report ...
    """
    if not isinstance(d, Mapping):
        hint = (
            " Pass report.to_dict() instead of the report object."
            if hasattr(d, "to_dict")
            else ""
        )
        raise DataError(
            "A report dict is needed (AuditReport.to_dict(), or json.load() of a "
            f"report file). Got {type(d).__name__}.{hint}"
        )
    version = d.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise DataError(
            f"This report has schema_version {version!r}; this twinaudit reads "
            f"version {SCHEMA_VERSION}. Render it with the twinaudit version that "
            f"wrote it (twinaudit_version {d.get('twinaudit_version')!r})."
        )
    errors = sorted(_validator().iter_errors(d), key=_path_key)
    problems = [f"{e.json_path}: {_shorten(e.message)}" for e in errors]
    for i, histogram in enumerate(d.get("score_gaps") or ()):
        if not errors and len(histogram["edges"]) != len(histogram["counts"]) + 1:
            problems.append(
                f"$.score_gaps[{i}]: needs one more edge than counts. Got "
                f"{len(histogram['edges'])} edges and {len(histogram['counts'])} "
                "counts"
            )
    if not problems:
        return
    shown = "\n".join(f"  {p}" for p in problems[:_MAX_ERRORS])
    more = len(problems) - _MAX_ERRORS
    rest = f"\n  ... and {more} more" if more > 0 else ""
    s = "" if len(problems) == 1 else "s"
    raise DataError(
        f"The report dict does not follow the report schema (version "
        f"{SCHEMA_VERSION}): {len(problems)} problem{s}.\n{shown}{rest}\nBuild it "
        "with AuditReport.to_dict() (or to_json()), or fix the keys listed (the "
        f"schema ships as twinaudit/report/schema/report-{SCHEMA_VERSION}.schema.json)."
    )


# -- formatting -----------------------------------------------------------------------
def _finite(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def _num(value: Any, digits: int = 3) -> str:
    if not _finite(value):
        return "–"
    if value != 0 and abs(value) < 10**-digits:
        return f"{value:.2e}"
    return f"{value:.{digits}f}"


def _p(value: Any) -> str:
    if not _finite(value):
        return "–"
    if value < 1e-300:  # 0 when it underflows: the test is beyond doubt
        return "< 1e-300"
    return f"{value:.2e}" if value < 1e-3 else f"{value:.3f}"


def _pct(value: Any) -> str:
    return f"{value:.1%}" if _finite(value) else "–"


def _count(value: Any) -> str:
    return (
        f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else "–"
    )


def _scalar(value: Any) -> str:
    if value is None:
        return "–"
    return str(value).replace("\n", " ")


def _interval(low: Any, high: Any, digits: int = 3) -> str:
    if _finite(low) and _finite(high):
        return f"[{_num(low, digits)}, {_num(high, digits)}]"
    return "–"


def _versus(group: Any, reference: Any) -> str:
    return f"{_scalar(group)} vs {_scalar(reference)}"


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def superscript(number: int) -> str:
    """``12`` -> ``"¹²"`` (footnote markers in Markdown and the console)."""
    return str(number).translate(_SUPERSCRIPT)


# -- the view shared by every format ---------------------------------------------------
@dataclass(frozen=True)
class Cell:
    """One formatted cell; ``note`` (a reason, a caveat) becomes a footnote and, in
    HTML, a tooltip."""

    text: str
    note: str | None = None
    status: Status | None = None


@dataclass
class Table:
    id: str
    title: str
    columns: list[str]
    numeric: list[bool]
    rows: list[list[Cell]] = field(default_factory=list)
    caption: str = ""

    def add(self, *cells: Cell | str) -> None:
        self.rows.append([c if isinstance(c, Cell) else Cell(c) for c in cells])

    @property
    def notes(self) -> list[str]:
        """The distinct notes of the table's cells, in order; footnote ``i + 1``."""
        return list(dict.fromkeys(c.note for row in self.rows for c in row if c.note))

    def marker(self, cell: Cell) -> int | None:
        return None if cell.note is None else self.notes.index(cell.note) + 1


@dataclass(frozen=True)
class Figure:
    id: str
    title: str
    alt: str
    src: str


@dataclass
class Section:
    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    omitted: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RuleView:
    rule: str
    status: Status
    reason: str


@dataclass(frozen=True)
class VerdictView:
    status: Status
    significance: float
    rules: list[RuleView]
    checks: Table


@dataclass(frozen=True)
class HeadlineView:
    score: str
    interval: str
    sentence: str
    facts: list[tuple[str, str]]


@dataclass(frozen=True)
class ReportView:
    title: str
    model: str
    version: str
    verdict: VerdictView | None
    verdict_note: str | None
    headline: HeadlineView
    sections: list[Section]


_POPULATION_TITLES = {
    "twins": "twins (the balanced counterfactual population)",
    "observed": "observed rows (the factual rows: real people in their real groups)",
}
_SHORT = {"twins": "twins", "observed": "observed rows"}
_DIRECTIONS = {
    "higher_is_worse": "higher is worse",
    "lower_is_worse": "lower is worse",
    "away_from_parity_is_worse": "away from parity is worse",
}
# Why a rate of the groups table is undefined, where the registry gives no reason.
_RATE_REASONS = {
    "selection_rate": "the group is empty",
    "true_positive_rate": "the group has no favourable labels",
    "false_positive_rate": "the group has no unfavourable labels",
    "precision": "the group never gets a favourable decision",
    "accuracy": "the group is empty",
}
_TOO_SMALL = "below the minimum cell size: shown, not to be relied on"
_NO_REASON = "undefined (no reason recorded)"


def _label(d: Mapping[str, Any], metric: str) -> str:
    entry = d["registry"].get(metric) or {}
    return str(entry.get("label", metric))


def _value_cell(
    value: Any, reason: str | None, *, too_small: bool = False, p_value: bool = False
) -> Cell:
    note = _TOO_SMALL if too_small else None
    if not _finite(value):
        reason = reason or _NO_REASON
        return Cell("undefined", f"{reason}; {note}" if note else reason)
    return Cell(_p(value) if p_value else _num(value), note)


def _library_cell(d: Mapping[str, Any], row: Mapping[str, Any], library: str) -> Cell:
    value = row[library]
    if _finite(value):
        return Cell(_num(value))
    entry = d["registry"].get(row["metric"]) or {}
    if library in entry.get("libraries", ()) and not _finite(row["value"]):
        return Cell("undefined", row["undefined"] or _NO_REASON)
    return Cell("–")


def _metric_where(row: Mapping[str, Any]) -> tuple[str, str]:
    attribute = "–" if row["attribute"] is None else str(row["attribute"])
    if row["group"] is None:
        group = "–" if row["attribute"] is None else "all groups"
    elif row["reference"] is None:
        group = _scalar(row["group"])
    else:
        group = _versus(row["group"], row["reference"])
    return attribute, group


def _population_names(d: Mapping[str, Any]) -> list[str]:
    seen = [r["population"] for r in d["metrics"]] + [
        r["population"] for r in d["groups"]
    ]
    return [p for p in ("twins", "observed") if p in seen] + sorted(
        {p for p in seen if p not in ("twins", "observed")}
    )


def _verdict(d: Mapping[str, Any]) -> VerdictView | None:
    verdict = d["verdict"]
    if verdict is None:
        return None
    with_population = any(
        "population" in check for rule in verdict["rules"] for check in rule["checks"]
    )
    columns = ["rule", "population"] if with_population else ["rule"]
    checks = Table(
        "verdict-checks",
        "Checks",
        [*columns, "attribute", "group", "value", "interval", "status", "reason"],
        [False] * len(columns) + [False, False, True, True, False, False],
    )
    rules = []
    for rule in verdict["rules"]:
        rules.append(RuleView(rule["rule"], rule["status"], rule["reason"]))
        for check in rule["checks"]:
            where = [check.get("population") or "–"] if with_population else []
            checks.add(
                rule["rule"],
                *where,
                _scalar(check["attribute"]),
                _scalar(check["group"]),
                _num(check["value"]) if _finite(check["value"]) else "undefined",
                _interval(check["low"], check["high"]),
                Cell(check["status"], status=check["status"]),
                check["reason"],
            )
    return VerdictView(verdict["status"], verdict["significance"], rules, checks)


def _headline(d: Mapping[str, Any]) -> HeadlineView:
    head = d["headline"]
    confidence = f"{d['confidence']:.0%}"
    score = head["causal_discrimination_score"]
    varied = [a["name"] for a in d["attributes"] if a["varied"]]
    differ = " and ".join(varied) if varied else "the protected attributes"
    if _finite(score):
        sentence = (
            f"{_count(head['flipped_profiles'])} of {_count(head['profiles'])} base "
            f"profiles ({_pct(score)}) get different decisions for twins that differ "
            f"only in {differ}."
        )
    else:
        sentence = "The causal discrimination score is undefined (no pairs)."
    interval = (
        f"{confidence} interval {_pct(head['low'])} – {_pct(head['high'])}"
        if _finite(head["low"]) and _finite(head["high"])
        else "no interval"
    )
    model = d["model"]
    attributes = "; ".join(
        f"{a['name']}: {', '.join(_scalar(v) for v in a['values'])} (reference "
        f"{_scalar(a['privileged'])}{'' if a['varied'] else ', held fixed'})"
        for a in d["attributes"]
    )
    observed = d["populations"]["observed"]
    facts = [
        ("model", str(model["name"])),
        ("features", ", ".join(model["features"]) or "–"),
        ("favourable decision", _scalar(model["favorable_label"])),
        ("scores", model["scores"] or "none (decisions only)"),
        ("protected attributes", attributes or "–"),
        (
            "twins",
            f"{_count(d['pairs'])} pairs of {d['variants']} twins "
            f"({_count(d['populations']['twins']['rows'])} rows)",
        ),
        (
            "observed rows",
            "none (generated twins)"
            if observed is None
            else f"{_count(observed['rows'])} rows, "
            + ("with true labels" if observed["labels"] else "without true labels"),
        ),
        ("confidence", confidence),
        ("twinaudit", str(d["twinaudit_version"])),
    ]
    return HeadlineView(
        _pct(score) if _finite(score) else "undefined", interval, sentence, facts
    )


def _metrics_section(d: Mapping[str, Any]) -> Section:
    section = Section(
        "metrics",
        "Metrics",
        paragraphs=[
            "Each number as twinaudit computes it, with its "
            f"{d['confidence']:.0%} interval, beside the same number as AIF360 and "
            "Fairlearn compute it (– where the library has no such metric or was "
            "not run). Definitions are at the end."
        ],
    )
    for population in _population_names(d):
        rows = [r for r in d["metrics"] if r["population"] == population]
        if not rows:
            continue
        table = Table(
            f"metrics-{population}",
            f"On the {_POPULATION_TITLES.get(population, population)}",
            [
                "metric",
                "attribute",
                "group",
                "twinaudit",
                "interval",
                "AIF360",
                "Fairlearn",
            ],
            [False, False, False, True, True, True, True],
        )
        for row in rows:
            attribute, group = _metric_where(row)
            table.add(
                _label(d, row["metric"]),
                attribute,
                group,
                _value_cell(
                    row["value"],
                    row["undefined"],
                    too_small=row["too_small"],
                    p_value=row["metric"] == "mcnemar_p",
                ),
                _interval(row["low"], row["high"]),
                _library_cell(d, row, "aif360"),
                _library_cell(d, row, "fairlearn"),
            )
        section.tables.append(table)
    if not section.tables:
        section.omitted.append("The report holds no metric.")
    return section


def _groups_section(
    d: Mapping[str, Any], figures: Literal["png", "svg"] | None
) -> Section:
    section = Section("groups", "Groups")
    observed = d["populations"]["observed"]
    labels = observed is not None and observed["labels"]
    if observed is None:
        section.omitted.append(
            "No observed rows (generated twins): groups are counted on the twins only."
        )
    elif not labels:
        section.omitted.append(
            "No true labels: true/false positive rates, precision and accuracy are "
            "omitted (pass y_true= to audit() to get them on the observed rows)."
        )
    for population in _population_names(d):
        rows = [r for r in d["groups"] if r["population"] == population]
        if not rows:
            continue
        title = _POPULATION_TITLES.get(population, population)
        table = Table(
            f"groups-{population}",
            f"Decisions by group on the {title}",
            ["attribute", "group", "rows", "favourable", "selection rate", "interval"],
            [False, False, True, True, True, True],
        )
        for row in rows:
            table.add(
                str(row["attribute"]),
                _group_cell(row),
                _count(row["n"]),
                _count(row["favourable"]),
                _rate_cell(d, row, "selection_rate"),
                _interval(row["selection_rate_low"], row["selection_rate_high"]),
            )
        section.tables.append(table)
        if labels and population == "observed":
            errors = Table(
                f"rates-{population}",
                f"Error rates by group on the {_SHORT.get(population, population)} "
                "(true labels)",
                [
                    "attribute",
                    "group",
                    "rows",
                    "positives",
                    "TPR",
                    "FPR",
                    "precision",
                    "accuracy",
                ],
                [False, False, True, True, True, True, True, True],
            )
            for row in rows:
                errors.add(
                    str(row["attribute"]),
                    _group_cell(row),
                    _count(row["n"]),
                    _count(row["positives"]),
                    *[_rate_cell(d, row, name) for name in list(_RATE_REASONS)[1:]],
                )
            section.tables.append(errors)
        if figures is not None:
            from twinaudit.report._figures import selection_rate_figure

            src = selection_rate_figure(rows, fmt=figures)
            if src is not None:
                where = _SHORT.get(population, population)
                attributes = ", ".join(dict.fromkeys(str(r["attribute"]) for r in rows))
                section.figures.append(
                    Figure(
                        f"fig-selection-{population}",
                        f"Selection rate by group on the {where}",
                        f"Bar chart: selection rate with its {d['confidence']:.0%} "
                        f"interval for each group of {attributes} on the {where}.",
                        src,
                    )
                )
    if not section.tables:
        section.omitted.append("The report holds no group.")
    return section


def _group_cell(row: Mapping[str, Any]) -> Cell:
    text = _scalar(row["group"]) + (" (reference)" if row["privileged"] else "")
    return Cell(text, _TOO_SMALL if row["too_small"] else None)


def _rate_cell(d: Mapping[str, Any], row: Mapping[str, Any], name: str) -> Cell:
    value = row[name]
    if _finite(value):
        return Cell(_num(value))
    entry = d["registry"].get(name) or {}
    return Cell("undefined", entry.get("undefined") or _RATE_REASONS[name])


def _counterfactual_section(
    d: Mapping[str, Any], figures: Literal["png", "svg"] | None
) -> Section:
    section = Section(
        "counterfactual",
        "Counterfactual statistics",
        paragraphs=[
            "Each group's twin against the reference twin of the same base profile; "
            "base profiles are the unit of every interval and test. p-values are "
            "exact McNemar tests, Benjamini–Hochberg adjusted over every test of the "
            "audit."
        ],
    )
    rows = d["counterfactual"]
    if not rows:
        section.omitted.append("No counterfactual comparison (no varied attribute).")
        return section
    flips = Table(
        "counterfactual",
        "Counterfactual flips",
        [
            "attribute",
            "group vs reference",
            "profiles",
            "flips",
            "flip rate",
            "interval",
            "favours ref.",
            "favours group",
        ],
        [False, False, True, True, True, True, True, True],
    )
    tests = Table(
        "mcnemar",
        "McNemar tests",
        [
            "attribute",
            "group vs reference",
            "comparisons",
            "discordant",
            "McNemar p",
            "adjusted p",
        ],
        [False, False, True, True, True, True],
    )
    for row in rows:
        versus = _versus(row["group"], row["reference"])
        flips.add(
            str(row["attribute"]),
            versus,
            _count(row["profiles"]),
            _count(row["flips"]),
            _value_cell(row["flip_rate"], row["undefined"]),
            _interval(row["flip_rate_low"], row["flip_rate_high"]),
            _count(row["favours_reference"]),
            _count(row["favours_group"]),
        )
        tests.add(
            str(row["attribute"]),
            versus,
            _count(row["comparisons"]),
            f"{_count(row['favours_reference'])} / {_count(row['favours_group'])}",
            _p_cell(row["mcnemar_p"], row["undefined"]),
            _p_cell(row["mcnemar_p_adjusted"], row["undefined"]),
        )
    section.tables += [flips, tests]
    if d["model"]["scores"] is None:
        section.omitted.append(
            "The model gives no scores (no predict_proba or decision_function): "
            "score gaps are omitted."
        )
        return section
    gaps = Table(
        "score-gaps",
        "Score gaps (group twin minus reference twin)",
        [
            "attribute",
            "group vs reference",
            "mean gap",
            "interval",
            "median gap",
            "p95 |gap|",
            "max |gap|",
        ],
        [False, False, True, True, True, True, True],
    )
    for row in rows:
        gaps.add(
            str(row["attribute"]),
            _versus(row["group"], row["reference"]),
            _value_cell(row["mean_score_gap"], row["undefined"]),
            _interval(row["score_gap_low"], row["score_gap_high"]),
            _num(row["median_score_gap"]),
            _num(row["p95_abs_score_gap"]),
            _num(row["max_abs_score_gap"]),
        )
    section.tables.append(gaps)
    if figures is not None:
        from twinaudit.report._figures import score_gap_figure

        src = score_gap_figure(d["score_gaps"], fmt=figures)
        if src is not None:
            section.figures.append(
                Figure(
                    "fig-score-gaps",
                    "Distribution of the score gap",
                    "Histograms of score(group twin) - score(reference twin) over "
                    "base profiles, one per group.",
                    src,
                )
            )
    return section


def _p_cell(value: Any, reason: str | None) -> Cell:
    return Cell(_p(value)) if _finite(value) else _value_cell(None, reason)


def _cochran_section(d: Mapping[str, Any]) -> Section:
    section = Section(
        "cochran",
        "Cochran's Q",
        paragraphs=[
            "Whether any value of an attribute with three or more values gets "
            "different decisions, base profiles as the unit."
        ],
    )
    if not d["cochran"]:
        section.paragraphs.clear()
        section.omitted.append(
            "Cochran's Q: no attribute with three or more values was varied."
        )
        return section
    table = Table(
        "cochran",
        "Cochran's Q",
        ["attribute", "held fixed", "values", "profiles", "Q", "p", "adjusted p"],
        [False, False, True, True, True, True, True],
    )
    for row in d["cochran"]:
        table.add(
            str(row["attribute"]),
            row["setting"] or "–",
            _count(row["values"]),
            _count(row["profiles"]),
            _value_cell(row["cochran_q"], row["undefined"]),
            _p_cell(row["p_value"], row["undefined"]),
            _p_cell(row["p_adjusted"], row["undefined"]),
        )
    section.tables.append(table)
    return section


def _where_section(
    d: Mapping[str, Any], figures: Literal["png", "svg"] | None
) -> Section:
    section = Section("where", "Where the bias lives")
    where = d["where"]
    if where is None:
        section.omitted.append(
            "Where the bias lives: not computed for this audit (no flip rate by "
            "feature bin, rules or largest gaps)."
        )
        return section
    if where["bins"]:
        bins = Table(
            "where-bins",
            "Flip rate by feature bin",
            ["feature", "bin", "profiles", "flips", "flip rate"],
            [False, False, True, True, True],
        )
        for row in where["bins"]:
            bins.add(
                str(row["feature"]),
                _scalar(row["bin"]),
                _count(row["profiles"]),
                _count(row["flips"]),
                _value_cell(row["flip_rate"], "the bin is empty"),
            )
        section.tables.append(bins)
        if figures is not None:
            from twinaudit.report._figures import flip_rate_by_bin_figure

            src = flip_rate_by_bin_figure(where["bins"], fmt=figures)
            if src is not None:
                section.figures.append(
                    Figure(
                        "fig-flip-bins",
                        "Flip rate by feature bin",
                        "Bar charts: share of base profiles that flip, by bin of "
                        "each feature.",
                        src,
                    )
                )
    else:
        section.omitted.append("No feature bins.")
    if where["rules"]:
        rules = Table(
            "where-rules",
            "Rules: where profiles flip (a shallow tree on the base profiles)",
            ["rule", "profiles", "flips", "flip rate"],
            [False, True, True, True],
        )
        for row in where["rules"]:
            rules.add(
                str(row["rule"]),
                _count(row["profiles"]),
                _count(row["flips"]),
                _value_cell(row["flip_rate"], "the rule covers no profile"),
            )
        section.tables.append(rules)
    else:
        section.omitted.append("No rule: the tree found no split that separates flips.")
    if where["largest_gaps"]:
        largest = Table(
            "where-gaps",
            "Pairs with the largest score gaps",
            ["pair", "attribute", "group", "score gap", "features"],
            [True, False, False, True, False],
        )
        for row in where["largest_gaps"]:
            largest.add(
                str(row["pair"]),
                str(row["attribute"]),
                _scalar(row["group"]),
                _value_cell(row["score_gap"], None),
                ", ".join(f"{k}={_scalar(v)}" for k, v in row["features"].items()),
            )
        section.tables.append(largest)
    else:
        section.omitted.append("No score gaps to list (the model gives no scores).")
    return section


def _definitions_section(d: Mapping[str, Any]) -> Section:
    section = Section("definitions", "Definitions")
    if not d["registry"]:
        section.omitted.append("No metric definitions in the report.")
        return section
    table = Table(
        "definitions",
        "Metric definitions",
        ["metric", "name", "definition", "parity", "direction"],
        [False, False, False, True, False],
    )
    for name, entry in d["registry"].items():
        table.add(
            str(entry["label"]),
            str(name),
            str(entry["definition"]),
            _num(entry["parity"], 1) if _finite(entry["parity"]) else "–",
            _DIRECTIONS.get(entry["direction"], str(entry["direction"])),
        )
    section.tables.append(table)
    return section


def _view(
    d: Mapping[str, Any], figures: Literal["png", "svg"] | None = None
) -> ReportView:
    validate_report(d)
    verdict = _verdict(d)
    notes = Section("notes", "Notes", items=[str(n) for n in d["notes"]])
    if not d["notes"]:
        notes.omitted.append("No notes.")
    return ReportView(
        title=f"Counterfactual twin audit of {d['model']['name']}",
        model=str(d["model"]["name"]),
        version=str(d["twinaudit_version"]),
        verdict=verdict,
        verdict_note=None
        if verdict is not None
        else "No policy was given, so there is no verdict (pass policy= to audit(), "
        "or --policy on the command line).",
        headline=_headline(d),
        sections=[
            _metrics_section(d),
            _groups_section(d, figures),
            _counterfactual_section(d, figures),
            _cochran_section(d),
            _where_section(d, figures),
            notes,
            _definitions_section(d),
        ],
    )


# -- HTML -----------------------------------------------------------------------------
@functools.cache
def _template() -> Any:
    import jinja2

    environment = jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return environment.from_string(_TEMPLATE.read_text(encoding="utf-8"))


def report_to_html(
    d: Mapping[str, Any],
    *,
    figures: bool = True,
    image_format: Literal["png", "svg"] = "png",
) -> str:
    """One self-contained HTML page of a report dict.

    The verdict is on top (when the audit had a policy), then the headline, the
    tables and the figures (inlined as ``data:`` URIs); the page loads nothing from
    elsewhere (a Content-Security-Policy forbids it) and escapes every value.

    Parameters
    ----------
    d : mapping
        A report dict (:meth:`AuditReport.to_dict`, or ``json.load`` of a report
        file); validated first (:func:`validate_report`).
    figures : bool, default True
        Whether to draw the figures (matplotlib); off, the page has tables only.
    image_format : {"png", "svg"}, default "png"
        Format of the inlined figures.

    Returns
    -------
    str
        The page.

    Examples
    --------
    >>> import json
    >>> page = report_to_html(json.load(open("report.json")))  # doctest: +SKIP
    """
    if image_format not in ("png", "svg"):
        raise DataError(
            f"image_format must be 'png' or 'svg'. Got {image_format!r} instead."
        )
    view = _view(d, image_format if figures else None)
    return str(_template().render(view=view, superscript=superscript))


# -- Markdown -------------------------------------------------------------------------
def _md(text: str) -> str:
    """Text safe inside a GitHub Markdown table cell: no pipe, no raw HTML, one
    line."""
    return (
        text.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\r", " ")
        .replace("\n", " ")
    )


def _md_cell(table: Table, cell: Cell) -> str:
    marker = table.marker(cell)
    return _md(cell.text) + (superscript(marker) if marker else "")


def _md_table(table: Table) -> list[str]:
    lines = [f"**{_md(table.title)}**", ""]
    lines.append("| " + " | ".join(_md(c) for c in table.columns) + " |")
    lines.append("|" + "|".join("---:" if n else "---" for n in table.numeric) + "|")
    for row in table.rows:
        lines.append("| " + " | ".join(_md_cell(table, c) for c in row) + " |")
    notes = table.notes
    if notes:
        lines.append("")
        lines += [f"{superscript(i)} {_md(n)}  " for i, n in enumerate(notes, 1)]
    lines.append("")
    return lines


def report_to_markdown(d: Mapping[str, Any]) -> str:
    """The report dict as GitHub Markdown: the verdict, the headline, then every
    table (undefined values as "undefined" with the reason as a footnote).

    Parameters
    ----------
    d : mapping
        A report dict; validated first (:func:`validate_report`).

    Returns
    -------
    str
    """
    view = _view(d)
    lines = [f"# {_md(view.title)}", ""]
    if view.verdict is not None:
        verdict = view.verdict
        lines += [
            f"## Verdict: {verdict.status.upper()}",
            "",
            f"Significance level {verdict.significance:g}.",
            "",
        ]
        lines += [
            f"- **{r.status.upper()}** {_md(r.rule)}: {_md(r.reason)}"
            for r in verdict.rules
        ]
        lines.append("")
        if verdict.checks.rows:
            lines += _md_table(verdict.checks)
    else:
        lines += [f"_{_md(view.verdict_note or '')}_", ""]
    head = view.headline
    lines += [
        "## Headline",
        "",
        f"**Causal discrimination score: {head.score}** ({_md(head.interval)}). "
        f"{_md(head.sentence)}",
        "",
    ]
    lines += [f"- {name}: {_md(value)}" for name, value in head.facts]
    lines.append("")
    for section in view.sections:
        lines += [f"## {_md(section.title)}", ""]
        lines += [f"{_md(p)}" for p in section.paragraphs] + (
            [""] if section.paragraphs else []
        )
        for table in section.tables:
            lines += _md_table(table)
        lines += [f"- {_md(item)}" for item in section.items]
        if section.items:
            lines.append("")
        lines += [f"_{_md(note)}_" for note in section.omitted]
        if section.omitted:
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# -- Rich -----------------------------------------------------------------------------
_STYLES = {"pass": "bold green", "fail": "bold red", "inconclusive": "bold yellow"}


def _rich_table(table: Table) -> Any:
    from rich import box
    from rich.table import Table as RichTable
    from rich.text import Text

    notes = table.notes
    caption = (
        Text("\n".join(f"{superscript(i)} {n}" for i, n in enumerate(notes, 1)))
        if notes
        else None
    )
    out = RichTable(
        title=Text(table.title, style="bold"),
        box=box.SIMPLE_HEAD,
        header_style="bold",
        caption=caption,
        caption_justify="left",
        padding=(0, 1),
    )
    for name, numeric in zip(table.columns, table.numeric, strict=True):
        # Numbers are never broken; long text (user values) folds.
        out.add_column(
            name.replace(" ", "\n") if numeric else name,
            justify="right" if numeric else "left",
            no_wrap=numeric,
            overflow="fold",
        )
    for row in table.rows:
        cells = []
        for cell in row:
            marker = table.marker(cell)
            text = Text(cell.text + (superscript(marker) if marker else ""))
            if cell.status is not None:
                text.stylize(_STYLES[cell.status])
            elif cell.text == "undefined":
                text.stylize("italic")
            cells.append(text)
        out.add_row(*cells)
    return out


def rich_renderables(d: Mapping[str, Any]) -> Iterator[Any]:
    """Rich renderables of a report dict for the console: a verdict panel, the
    headline, then every table; readable at 100 columns.

    Examples
    --------
    >>> from rich.console import Console
    >>> Console(width=100).print(*rich_renderables(d))  # doctest: +SKIP
    """
    from rich.panel import Panel
    from rich.rule import Rule
    from rich.text import Text

    view = _view(d)
    yield Rule(Text(view.title, style="bold"))
    if view.verdict is not None:
        verdict = view.verdict
        body = Text()
        for i, rule in enumerate(verdict.rules):
            if i:
                body.append("\n")
            body.append(f"{rule.status.upper():<12}", style=_STYLES[rule.status])
            body.append(rule.rule, style="bold")
            body.append(f": {rule.reason}")
        yield Panel(
            body,
            title=Text(
                f"Verdict: {verdict.status.upper()}", style=_STYLES[verdict.status]
            ),
            subtitle=f"significance {verdict.significance:g}",
            border_style=_STYLES[verdict.status].split()[-1],
            expand=True,
        )
        if verdict.checks.rows:
            yield _rich_table(verdict.checks)
    else:
        yield Text(view.verdict_note or "", style="dim italic")
    head = view.headline
    text = Text()
    text.append("Causal discrimination score: ", style="bold")
    text.append(head.score, style="bold")
    text.append(f" ({head.interval}). {head.sentence}")
    for name, value in head.facts:
        text.append(f"\n{name}: ", style="dim")
        text.append(value)
    yield Panel(text, title="Headline", expand=True)
    for section in view.sections:
        yield Rule(Text(section.title, style="bold"), align="left")
        for paragraph in section.paragraphs:
            yield Text(paragraph)
        for table in section.tables:
            yield _rich_table(table)
        for item in section.items:
            yield Text(f"• {item}")
        for note in section.omitted:
            yield Text(note, style="dim italic")
