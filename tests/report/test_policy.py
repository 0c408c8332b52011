"""Policies, policy files and verdicts.

Metric tables are built by hand, and every expected status is decided by reading
the interval against the threshold by eye (the reasoning is in the parameter
ids), never by running the code under test.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinaudit.exceptions import DataError, OutputExistsError, PolicyError
from twinaudit.metrics._registry import REGISTRY
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

DATA = Path(__file__).parent / "data"
NAN = math.nan
COLUMNS = [
    "metric",
    "population",
    "attribute",
    "group",
    "reference",
    "value",
    "low",
    "high",
    "aif360",
    "fairlearn",
    "undefined",
    "too_small",
]
SCOPE_DEFAULTS = {
    "group": ("sex", "F", "M"),
    "attribute": ("sex", None, None),
    "overall": (None, None, None),
}


def row(metric="disparate_impact", value=NAN, low=NAN, high=NAN, **kw):
    """One row of a report's metrics table (attribute/group/reference follow the
    metric's scope unless given)."""
    attribute, group, reference = SCOPE_DEFAULTS[REGISTRY[metric].scope]
    out = {
        "metric": metric,
        "population": REGISTRY[metric].populations[0],
        "attribute": attribute,
        "group": group,
        "reference": reference,
        "value": value,
        "low": low,
        "high": high,
        "aif360": NAN,
        "fairlearn": NAN,
        "undefined": None,
        "too_small": False,
    }
    out.update(kw)
    return out


def table(*rows):
    """A metrics table; text and group columns keep their values as given (object
    dtype), as in the report."""
    numeric = {"value", "low", "high", "aif360", "fairlearn"}
    return pd.DataFrame(
        {
            c: pd.Series([r[c] for r in rows], dtype=float if c in numeric else object)
            for c in COLUMNS
        }
    )


def judge(rules, *rows, significance=0.05):
    rules = rules if isinstance(rules, list) else [rules]
    policy = Policy(rules, significance=significance)
    return evaluate(policy, table(*rows), confidence=1 - significance)


# -- one bound, one row -------------------------------------------------------------
@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        pytest.param(0.82, 0.95, "pass", id="interval-above-0.8"),
        pytest.param(0.42, 0.49, "fail", id="interval-below-0.8"),
        pytest.param(0.71, 0.86, "inconclusive", id="interval-straddles-0.8"),
        pytest.param(0.8, 0.9, "pass", id="low-end-exactly-0.8-still-meets-min"),
        pytest.param(0.7, 0.8, "inconclusive", id="high-end-exactly-0.8-not-below"),
    ],
)
def test_min_bound_judges_the_whole_interval(low, high, expected):
    value = (low + high) / 2
    verdict = judge(
        Rule("disparate_impact", min=0.8), row(value=value, low=low, high=high)
    )
    assert verdict.rules[0].checks[0].status == expected
    assert verdict.rules[0].status == expected
    assert verdict.status == expected


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        pytest.param(0.0, 0.004, "pass", id="interval-below-1pc"),
        pytest.param(0.03, 0.08, "fail", id="interval-above-1pc"),
        pytest.param(0.002, 0.03, "inconclusive", id="interval-straddles-1pc"),
        pytest.param(0.005, 0.01, "pass", id="high-end-exactly-1pc-meets-max"),
        pytest.param(0.01, 0.02, "inconclusive", id="low-end-exactly-1pc-not-above"),
    ],
)
def test_max_bound_judges_the_whole_interval(low, high, expected):
    verdict = judge(
        Rule("flip_rate", max=0.01),
        row("flip_rate", value=low, low=low, high=high),
    )
    assert verdict.status == expected


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        pytest.param(-0.05, 0.08, "pass", id="inside-plus-minus-0.1"),
        pytest.param(0.12, 0.2, "fail", id="entirely-above-0.1"),
        pytest.param(-0.3, -0.15, "fail", id="entirely-below-minus-0.1"),
        pytest.param(0.05, 0.15, "inconclusive", id="straddles-0.1"),
        pytest.param(-0.15, -0.05, "inconclusive", id="straddles-minus-0.1"),
        pytest.param(-0.2, 0.2, "inconclusive", id="straddles-both-ends"),
        pytest.param(-0.1, 0.1, "pass", id="exactly-the-band"),
        pytest.param(0.1, 0.2, "inconclusive", id="low-end-exactly-0.1-not-outside"),
        pytest.param(-0.2, -0.1, "inconclusive", id="high-end-exactly-minus-0.1"),
    ],
)
def test_max_abs_needs_the_interval_inside_the_band(low, high, expected):
    verdict = judge(
        Rule("equal_opportunity_difference", max_abs=0.1, population="observed"),
        row("equal_opportunity_difference", value=(low + high) / 2, low=low, high=high),
    )
    assert verdict.status == expected


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        pytest.param(0.3, 0.6, "pass", id="inside-0.2-0.8"),
        pytest.param(0.85, 0.9, "fail", id="above-max"),
        pytest.param(0.05, 0.1, "fail", id="below-min"),
        pytest.param(0.15, 0.25, "inconclusive", id="straddles-min"),
        pytest.param(0.1, 0.9, "inconclusive", id="straddles-both"),
    ],
)
def test_min_and_max_together(low, high, expected):
    verdict = judge(
        Rule("selection_rate", min=0.2, max=0.8),
        row("selection_rate", value=(low + high) / 2, low=low, high=high),
    )
    assert verdict.status == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.05, "pass"), (0.1, "pass"), (0.1000001, "fail"), (0.3, "fail")],
)
def test_a_value_without_interval_is_judged_alone(value, expected):
    verdict = judge(
        Rule("theil_index", max=0.1), row("theil_index", value=value), significance=0.1
    )
    assert verdict.status == expected


def test_reasons_name_the_metric_group_population_interval_and_threshold():
    verdict = judge(
        [
            Rule("disparate_impact", min=0.8),
            Rule("disparate_impact", min=0.8, name="four-fifths"),
        ],
        row(value=0.454, low=0.42, high=0.49),
    )
    reason = (
        "disparate_impact for sex=F on twins is 0.454 (95% interval 0.42–0.49), "
        "below the minimum 0.8"
    )
    assert verdict.rules[0].reason == reason
    assert verdict.rules[0].checks[0].reason == reason
    assert str(verdict.rules[1].rule) == "four-fifths: disparate_impact ≥ 0.8"


@pytest.mark.parametrize(
    ("rule", "metric_row", "reason"),
    [
        (
            Rule("disparate_impact", min=0.8),
            row(value=0.78, low=0.71, high=0.86),
            "disparate_impact for sex=F on twins is 0.78; the 95% interval "
            "[0.71, 0.86] straddles the minimum 0.8, too close to call: audit more "
            "pairs or rows",
        ),
        (
            Rule("disparate_impact", min=0.8),
            row(value=0.912, low=0.88, high=0.94),
            "disparate_impact for sex=F on twins is 0.912 (95% interval 0.88–0.94), "
            "at or above the minimum 0.8",
        ),
        (
            Rule("flip_rate", max=0.01, population="twins"),
            row("flip_rate", value=0.0, low=0.0, high=0.006),
            "flip_rate for sex=F on twins is 0 (95% interval 0–0.006), at or below "
            "the maximum 0.01",
        ),
        (
            Rule("flip_rate", max=0.01),
            row("flip_rate", value=0.2, low=0.15, high=0.26),
            "flip_rate for sex=F on twins is 0.2 (95% interval 0.15–0.26), above the "
            "maximum 0.01",
        ),
        (
            Rule("equal_opportunity_difference", max_abs=0.1),
            row("equal_opportunity_difference", value=-0.03, low=-0.09, high=0.02),
            "equal_opportunity_difference for sex=F on observed is -0.03 (95% "
            "interval -0.09 to 0.02), within ±0.1",
        ),
        (
            Rule("equal_opportunity_difference", max_abs=0.1),
            row("equal_opportunity_difference", value=-0.25, low=-0.31, high=-0.19),
            "equal_opportunity_difference for sex=F on observed is -0.25 (95% "
            "interval -0.31 to -0.19), outside ±0.1",
        ),
        (
            Rule("equal_opportunity_difference", max_abs=0.1),
            row("equal_opportunity_difference", value=0.08, low=0.01, high=0.15),
            "equal_opportunity_difference for sex=F on observed is 0.08; the 95% "
            "interval [0.01, 0.15] straddles ±0.1, too close to call: audit more "
            "pairs or rows",
        ),
        (
            Rule("selection_rate", min=0.2, max=0.8),
            row("selection_rate", value=0.5, low=0.4, high=0.6),
            "selection_rate for sex=F on twins is 0.5 (95% interval 0.4–0.6), within "
            "[0.2, 0.8]",
        ),
        (
            Rule("selection_rate", min=0.2, max=0.8),
            row("selection_rate", value=0.5, low=0.1, high=0.9),
            "selection_rate for sex=F on twins is 0.5; the 95% interval [0.1, 0.9] "
            "straddles the minimum 0.2 and the maximum 0.8, too close to call: audit "
            "more pairs or rows",
        ),
        (
            Rule("demographic_parity_difference", max=0.1),
            row("demographic_parity_difference", value=0.3, low=0.25, high=0.35),
            "demographic_parity_difference for sex on twins is 0.3 (95% interval "
            "0.25–0.35), above the maximum 0.1",
        ),
        (
            Rule("causal_discrimination_score", max=0.05),
            row("causal_discrimination_score", value=0.3, low=0.25, high=0.35),
            "causal_discrimination_score on twins is 0.3 (95% interval 0.25–0.35), "
            "above the maximum 0.05",
        ),
        (
            Rule("theil_index", max=0.1),
            row("theil_index", value=0.3819),
            "theil_index on observed is 0.382, above the maximum 0.1",
        ),
    ],
)
def test_reason_text(rule, metric_row, reason):
    assert judge(rule, metric_row).rules[0].reason == reason


def test_numbers_get_the_digits_that_tell_them_from_the_threshold():
    verdict = judge(
        Rule("disparate_impact", min=0.8), row(value=0.8004, low=0.79996, high=0.8012)
    )
    assert verdict.rules[0].reason == (
        "disparate_impact for sex=F on twins is 0.8004; the 95% interval "
        "[0.79996, 0.801] straddles the minimum 0.8, too close to call: audit more "
        "pairs or rows"
    )


def test_a_half_interval_is_no_interval():
    verdict = judge(
        Rule("disparate_impact", min=0.8), row(value=0.7, low=0.65, high=NAN)
    )
    assert verdict.status == "fail"
    assert verdict.rules[0].reason == (
        "disparate_impact for sex=F on twins is 0.7, below the minimum 0.8"
    )
    check = verdict.rules[0].checks[0]
    assert math.isnan(check.low) and math.isnan(check.high)


def test_a_value_outside_its_own_interval_widens_it():
    # 0.79 is below 0.8 though the interval 0.81-0.9 is above: not a pass.
    verdict = judge(
        Rule("disparate_impact", min=0.8), row(value=0.79, low=0.81, high=0.9)
    )
    assert verdict.status == "inconclusive"


def test_the_interval_level_follows_the_confidence():
    verdict = judge(
        Rule("disparate_impact", min=0.8),
        row(value=0.454, low=0.43, high=0.48),
        significance=0.1,
    )
    assert "(90% interval 0.43–0.48)" in verdict.rules[0].reason
    assert verdict.significance == 0.1


# -- undefined, too small, sources --------------------------------------------------
@pytest.mark.parametrize("missing", [NAN, None])
def test_an_undefined_value_is_inconclusive_with_its_reason(missing):
    verdict = judge(
        Rule("disparate_impact", min=0.8),
        row(value=missing, undefined="the privileged group is never favoured"),
    )
    assert verdict.status == "inconclusive"
    assert verdict.rules[0].reason == (
        "disparate_impact for sex=F on twins is undefined: the privileged group is "
        "never favoured"
    )


def test_too_small_is_inconclusive_even_when_the_value_fails():
    verdict = judge(
        Rule("disparate_impact", min=0.8),
        row(value=0.2, low=0.1, high=0.3, too_small=True),
    )
    assert verdict.status == "inconclusive"
    assert verdict.rules[0].reason == (
        "disparate_impact for sex=F on twins is 0.2 (95% interval 0.1–0.3), but a "
        "group behind it has fewer rows than the minimum cell size "
        "(audit(min_cell_size=...), 30 by default), too few to judge; audit more "
        "pairs or rows"
    )


def test_undefined_comes_before_too_small():
    verdict = judge(
        Rule("disparate_impact", min=0.8),
        row(
            value=NAN,
            undefined="the privileged group is never favoured",
            too_small=True,
        ),
    )
    assert "is undefined: the privileged group is never favoured" in (
        verdict.rules[0].reason
    )


@pytest.mark.parametrize(
    ("source", "expected", "reason"),
    [
        pytest.param(
            "twinaudit",
            "inconclusive",
            "disparate_impact for sex=F on twins is 0.79; the 95% interval "
            "[0.7, 0.88] straddles the minimum 0.8, too close to call: audit more "
            "pairs or rows",
            id="twinaudit-has-an-interval",
        ),
        pytest.param(
            "aif360",
            "fail",
            "disparate_impact (aif360) for sex=F on twins is 0.75, below the minimum "
            "0.8",
            id="aif360-column-without-interval",
        ),
    ],
)
def test_the_source_picks_the_column_and_drops_the_interval(source, expected, reason):
    verdict = judge(
        Rule("disparate_impact", min=0.8, source=source),
        row(value=0.79, low=0.7, high=0.88, aif360=0.75),
    )
    assert verdict.status == expected
    assert verdict.rules[0].reason == reason
    check = verdict.rules[0].checks[0]
    if source == "aif360":
        assert check.value == 0.75 and math.isnan(check.low) and math.isnan(check.high)
    else:
        assert (check.value, check.low, check.high) == (0.79, 0.7, 0.88)


def test_fairlearn_source():
    verdict = judge(
        Rule("demographic_parity_difference", max=0.1, source="fairlearn"),
        row(
            "demographic_parity_difference",
            value=0.3,
            low=0.2,
            high=0.4,
            fairlearn=0.05,
        ),
    )
    assert verdict.status == "pass"
    assert verdict.rules[0].reason == (
        "demographic_parity_difference (fairlearn) for sex on twins is 0.05, at or "
        "below the maximum 0.1"
    )


def test_a_missing_library_value_says_to_run_the_libraries():
    verdict = judge(
        Rule("disparate_impact", min=0.8, source="aif360"),
        row(value=0.9, low=0.85, high=0.95, aif360=NAN),
    )
    assert verdict.status == "inconclusive"
    assert verdict.rules[0].reason == (
        "disparate_impact (aif360) for sex=F on twins has no aif360 value; audit "
        "with libraries=True (and aif360 installed) to compute it"
    )


def test_an_infinite_value_is_never_judged():
    verdict = judge(Rule("disparate_impact", min=0.8), row(value=math.inf))
    assert verdict.status == "inconclusive"
    assert verdict.rules[0].reason == (
        "disparate_impact for sex=F on twins is undefined: its value is inf"
    )


# -- which rows a rule reads --------------------------------------------------------
BOTH_POPULATIONS = (
    row(value=0.9, low=0.85, high=0.95, population="twins"),
    row(value=0.5, low=0.4, high=0.6, population="observed"),
)


@pytest.mark.parametrize(
    ("population", "expected", "checked"),
    [
        (None, "fail", ["twins", "observed"]),
        ("twins", "pass", ["twins"]),
        ("observed", "fail", ["observed"]),
    ],
)
def test_population_filter(population, expected, checked):
    verdict = judge(
        Rule("disparate_impact", min=0.8, population=population), *BOTH_POPULATIONS
    )
    assert verdict.status == expected
    assert [c.population for c in verdict.rules[0].checks] == checked


@pytest.mark.parametrize(
    ("n_groups", "bad"),
    [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)],
    ids=[
        "2-valued",
        "3-valued-first",
        "3-valued-last",
        "4-valued-first",
        "4-valued-middle",
        "4-valued-last",
    ],
)
def test_every_group_is_checked_wherever_the_bad_one_sits(n_groups, bad):
    groups = ["asian", "black", "other"][:n_groups]
    rows = [
        row(
            attribute="race",
            group=g,
            reference="white",
            value=0.3 if i == bad else 0.95,
            low=0.25 if i == bad else 0.9,
            high=0.35 if i == bad else 0.99,
        )
        for i, g in enumerate(groups)
    ]
    verdict = judge(Rule("disparate_impact", min=0.8), *rows)
    assert verdict.status == "fail"
    assert [c.group for c in verdict.rules[0].checks] == groups
    assert [c.status for c in verdict.rules[0].checks] == [
        "fail" if i == bad else "pass" for i in range(n_groups)
    ]
    assert verdict.rules[0].reason.startswith(
        f"disparate_impact for race={groups[bad]} on twins is 0.3 "
    )


TWO_ATTRIBUTES = (
    row(attribute="sex", group="F", reference="M", value=0.5, low=0.4, high=0.6),
    row(
        attribute="race",
        group="black",
        reference="white",
        value=0.9,
        low=0.85,
        high=0.95,
    ),
    row(
        attribute="race", group="asian", reference="white", value=0.7, low=0.6, high=0.9
    ),
    row(
        attribute="sex & race",
        group="F & black",
        reference="M & white",
        value=0.95,
        low=0.9,
        high=0.99,
    ),
)


@pytest.mark.parametrize(
    ("attribute", "group", "expected", "checked"),
    [
        (None, None, "fail", ["F", "black", "asian", "F & black"]),
        ("sex", None, "fail", ["F"]),
        ("race", None, "inconclusive", ["black", "asian"]),
        ("race", "black", "pass", ["black"]),
        ("sex & race", "F & black", "pass", ["F & black"]),
        (None, "asian", "inconclusive", ["asian"]),
    ],
)
def test_attribute_and_group_filters(attribute, group, expected, checked):
    verdict = judge(
        Rule("disparate_impact", min=0.8, attribute=attribute, group=group),
        *TWO_ATTRIBUTES,
    )
    assert verdict.status == expected
    assert [c.group for c in verdict.rules[0].checks] == checked


@pytest.mark.parametrize(
    ("rule_group", "report_group", "matches"),
    [
        (1, 1, True),
        (1, np.int64(1), True),
        ("1", 1, True),
        (1, "1", True),
        (1.0, 1, True),
        (True, True, True),
        (True, np.bool_(True), True),
        (True, 1, False),
        (1, True, False),
        ("True", True, False),
        (2, 1, False),
        ("F", "F", True),
        ("f", "F", False),
    ],
)
def test_group_values_of_every_type(rule_group, report_group, matches):
    verdict = judge(
        Rule("disparate_impact", min=0.8, group=rule_group),
        row(group=report_group, reference=0, value=0.9, low=0.85, high=0.95),
    )
    assert verdict.status == ("pass" if matches else "inconclusive")
    if matches:
        group = verdict.rules[0].checks[0].group
        assert type(group) is type(
            report_group.item() if hasattr(report_group, "item") else report_group
        )


# -- rules that match nothing ---------------------------------------------------------
REPORT_WITH_TWINS_ONLY = (
    row(value=0.9, low=0.85, high=0.95),
    row("flip_rate", value=0.0, low=0.0, high=0.01),
    row("causal_discrimination_score", value=0.0, low=0.0, high=0.01),
)


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        (
            Rule("equal_opportunity_difference", max_abs=0.1),
            "equal_opportunity_difference needs true labels and the report has "
            "none: audit with y_true=... (a label column of the twins' frame, or "
            "one label per pair)",
        ),
        (
            Rule("mean_score_gap", max_abs=0.05),
            "mean_score_gap needs model scores and the report has none: the model "
            "has neither predict_proba nor decision_function",
        ),
        (
            Rule("statistical_parity_difference", max_abs=0.1),
            "the report has no statistical_parity_difference (populations in the "
            "report: 'twins'); metrics it reports: 'disparate_impact', 'flip_rate', "
            "'causal_discrimination_score'",
        ),
        (
            Rule("disparate_impact", min=0.8, population="observed"),
            "the report has no observed population (the factual rows of twins made "
            "from real rows with from_frame); it has 'twins'",
        ),
        (
            Rule("disparate_impact", min=0.8, attribute="gender"),
            "the report has no disparate_impact for attribute 'gender'. Attributes: "
            "'sex'",
        ),
        (
            Rule("disparate_impact", min=0.8, attribute="Sex", population="twins"),
            "the report has no disparate_impact on twins for attribute 'Sex'. Did "
            "you mean 'sex'? Attributes: 'sex'",
        ),
        (
            Rule("disparate_impact", min=0.8, attribute="sex", group="M"),
            "the report has no disparate_impact for group 'M' of sex: 'M' is the "
            "reference (privileged) group, the one the other groups are compared "
            "with, so it has no row of its own",
        ),
        (
            Rule("disparate_impact", min=0.8, attribute="sex", group="X"),
            "the report has no disparate_impact for group 'X' of sex; groups: 'F'",
        ),
        (
            Rule("disparate_impact", min=0.8, group=True),
            "the report has no disparate_impact for group True; groups: 'F' (YAML "
            "reads unquoted yes, no, on, off, true and false as booleans: quote the "
            "group if it is text)",
        ),
    ],
)
def test_a_rule_that_matches_nothing_says_why(rule, reason):
    verdict = judge(rule, *REPORT_WITH_TWINS_ONLY)
    assert verdict.status == "inconclusive"
    assert verdict.rules[0].checks == ()
    assert verdict.rules[0].reason == reason


def test_a_population_the_metric_lacks_in_the_report():
    rows = (
        row(value=0.9, low=0.85, high=0.95),
        row("accuracy", value=0.8, low=0.7, high=0.9),
    )
    rows[1]["population"] = "observed"
    verdict = judge(Rule("disparate_impact", min=0.8, population="observed"), *rows)
    assert verdict.rules[0].reason == (
        "the report has no disparate_impact on observed; it has disparate_impact on "
        "'twins'"
    )


def test_an_empty_report_fails_no_rule():
    verdict = judge(Rule("flip_rate", max=0.01))
    assert verdict.status == "inconclusive"
    assert verdict.rules[0].reason == (
        "the report has no flip_rate (populations in the report: none); metrics it "
        "reports: none"
    )


# -- several checks, several rules ----------------------------------------------------
def test_a_rule_reports_its_worst_failing_check_and_counts_the_others():
    rows = [
        row(group="a", value=0.7, low=0.6, high=0.75),
        row(group="b", value=0.3, low=0.2, high=0.4),
        row(group="c", value=0.9, low=0.85, high=0.95),
        row(group="d", value=0.78, low=0.7, high=0.85),
    ]
    result = judge(Rule("disparate_impact", min=0.8), *rows).rules[0]
    assert result.status == "fail"
    assert [c.status for c in result.checks] == ["fail", "fail", "pass", "inconclusive"]
    assert result.reason == (
        "disparate_impact for sex=b on twins is 0.3 (95% interval 0.2–0.4), below "
        "the minimum 0.8 (and 1 more of 4 checks fail)"
    )


def test_a_max_abs_rule_reports_the_largest_distance_from_zero():
    rows = [
        row("equal_opportunity_difference", group="a", value=0.2, low=0.15, high=0.25),
        row("equal_opportunity_difference", group="b", value=-0.5, low=-0.6, high=-0.4),
    ]
    result = judge(Rule("equal_opportunity_difference", max_abs=0.1), *rows).rules[0]
    assert result.reason.startswith("equal_opportunity_difference for sex=b ")
    assert result.reason.endswith("outside ±0.1 (and 1 more of 2 checks fail)")


def test_a_passing_rule_names_the_check_closest_to_its_bound():
    rows = [
        row(group="a", value=0.95, low=0.9, high=0.99),
        row(group="b", value=0.86, low=0.82, high=0.9),
        row(group="c", value=1.1, low=1.0, high=1.2),
    ]
    result = judge(Rule("disparate_impact", min=0.8), *rows).rules[0]
    assert result.reason == (
        "all 3 checks pass; the closest to the bound: disparate_impact for sex=b on "
        "twins is 0.86 (95% interval 0.82–0.9), at or above the minimum 0.8"
    )


def test_an_inconclusive_rule_counts_its_inconclusive_checks():
    rows = [
        row(group="a", value=0.95, low=0.9, high=0.99),
        row(group="b", value=0.8, low=0.7, high=0.9),
        row(group="c", value=NAN, undefined="the privileged group is never favoured"),
    ]
    result = judge(Rule("disparate_impact", min=0.8), *rows).rules[0]
    assert result.status == "inconclusive"
    assert result.reason.endswith("(and 1 more of 3 checks are inconclusive)")


PASS_ROW = row(value=0.9, low=0.85, high=0.95)
FLIP_FAIL = row("flip_rate", value=0.2, low=0.15, high=0.25)
FLIP_PASS = row("flip_rate", value=0.0, low=0.0, high=0.005)


@pytest.mark.parametrize(
    ("rules", "rows", "statuses", "overall"),
    [
        pytest.param(
            [Rule("disparate_impact", min=0.8), Rule("flip_rate", max=0.01)],
            [PASS_ROW, FLIP_PASS],
            ["pass", "pass"],
            "pass",
            id="pass-pass",
        ),
        pytest.param(
            [Rule("disparate_impact", min=0.8), Rule("flip_rate", max=0.01)],
            [PASS_ROW, FLIP_FAIL],
            ["pass", "fail"],
            "fail",
            id="pass-fail",
        ),
        pytest.param(
            [
                Rule("disparate_impact", min=0.8),
                Rule("equal_opportunity_difference", max_abs=0.1),
            ],
            [PASS_ROW, FLIP_PASS],
            ["pass", "inconclusive"],
            "inconclusive",
            id="pass-no-rows",
        ),
        pytest.param(
            [
                Rule("equal_opportunity_difference", max_abs=0.1),
                Rule("flip_rate", max=0.01),
                Rule("disparate_impact", min=0.8),
            ],
            [PASS_ROW, FLIP_FAIL],
            ["inconclusive", "fail", "pass"],
            "fail",
            id="inconclusive-fail-pass",
        ),
    ],
)
def test_the_overall_status_is_the_worst_rule(rules, rows, statuses, overall):
    verdict = judge(rules, *rows)
    assert [r.status for r in verdict.rules] == statuses
    assert verdict.status == overall
    assert verdict.passed is (overall == "pass")
    assert verdict.exit_code == {"pass": 0, "fail": 1, "inconclusive": 3}[overall]


def test_four_fifths_checks_every_population():
    policy = Policy.four_fifths()
    assert policy.rules == (Rule("disparate_impact", min=0.8),)
    assert policy.significance == 0.05 and policy.name == "four-fifths"
    verdict = evaluate(policy, table(*BOTH_POPULATIONS), confidence=0.95)
    assert [c.status for c in verdict.rules[0].checks] == ["pass", "fail"]
    assert verdict.status == "fail"


# -- the verdict's outputs ------------------------------------------------------------
@pytest.fixture
def lending_verdict():
    policy = load_policy(DATA / "lending.yaml")
    rows = [
        row(value=0.454, low=0.42, high=0.49),
        row(value=0.91, low=0.85, high=0.97, population="observed"),
        row("flip_rate", value=0.0, low=0.0, high=0.006),
    ]
    return evaluate(policy, table(*rows), confidence=0.95)


def test_verdict_to_dict_has_the_report_schema_shape(lending_verdict):
    data = lending_verdict.to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert data == {
        "status": "fail",
        "significance": 0.05,
        "rules": [
            {
                "rule": "disparate_impact ≥ 0.8",
                "metric": "disparate_impact",
                "population": None,
                "status": "fail",
                "reason": "disparate_impact for sex=F on twins is 0.454 (95% "
                "interval 0.42–0.49), below the minimum 0.8",
                "checks": [
                    {
                        "population": "twins",
                        "attribute": "sex",
                        "group": "F",
                        "value": 0.454,
                        "low": 0.42,
                        "high": 0.49,
                        "status": "fail",
                        "reason": "disparate_impact for sex=F on twins is 0.454 (95% "
                        "interval 0.42–0.49), below the minimum 0.8",
                    },
                    {
                        "population": "observed",
                        "attribute": "sex",
                        "group": "F",
                        "value": 0.91,
                        "low": 0.85,
                        "high": 0.97,
                        "status": "pass",
                        "reason": "disparate_impact for sex=F on observed is 0.91 "
                        "(95% interval 0.85–0.97), at or above the minimum 0.8",
                    },
                ],
            },
            {
                "rule": "flip_rate ≤ 0.01 (twins)",
                "metric": "flip_rate",
                "population": "twins",
                "status": "pass",
                "reason": "flip_rate for sex=F on twins is 0 (95% interval "
                "0–0.006), at or below the maximum 0.01",
                "checks": [
                    {
                        "population": "twins",
                        "attribute": "sex",
                        "group": "F",
                        "value": 0.0,
                        "low": 0.0,
                        "high": 0.006,
                        "status": "pass",
                        "reason": "flip_rate for sex=F on twins is 0 (95% interval "
                        "0–0.006), at or below the maximum 0.01",
                    }
                ],
            },
            {
                "rule": "|equal_opportunity_difference| ≤ 0.1 (observed)",
                "metric": "equal_opportunity_difference",
                "population": "observed",
                "status": "inconclusive",
                "reason": "equal_opportunity_difference needs true labels and the "
                "report has none: audit with y_true=... (a label column of the "
                "twins' frame, or one label per pair)",
                "checks": [],
            },
        ],
    }


def test_verdict_to_dict_turns_nan_into_none_and_numpy_into_python():
    verdict = judge(
        [Rule("theil_index", max=0.1), Rule("disparate_impact", min=0.8)],
        row("theil_index", value=np.float64(0.05)),
        row(group=np.int64(2), reference=np.int64(1), value=NAN, undefined="empty"),
    )
    data = verdict.to_dict()
    json.dumps(data, allow_nan=False)
    theil = data["rules"][0]["checks"][0]
    assert theil["attribute"] is None and theil["group"] is None
    assert (theil["value"], theil["low"], theil["high"]) == (0.05, None, None)
    di = data["rules"][1]["checks"][0]
    assert di["group"] == 2 and type(di["group"]) is int
    assert di["value"] is None


def test_verdict_to_frame_has_one_row_per_check(lending_verdict):
    frame = lending_verdict.to_frame()
    assert list(frame.columns) == [
        "rule",
        "metric",
        "population",
        "attribute",
        "group",
        "reference",
        "value",
        "low",
        "high",
        "status",
        "reason",
    ]
    assert frame["population"].tolist() == ["twins", "observed", "twins", "observed"]
    assert frame["status"].tolist() == ["fail", "pass", "pass", "inconclusive"]
    assert frame["value"].tolist()[:3] == [0.454, 0.91, 0.0]
    assert math.isnan(frame["value"].iloc[3])
    assert frame["reference"].tolist()[:3] == ["M", "M", "M"]


def test_verdict_str_is_a_short_summary(lending_verdict):
    assert str(lending_verdict) == (
        "Verdict: FAIL (3 rules: 1 pass, 1 inconclusive, 1 fail; significance 0.05)\n"
        "  FAIL          disparate_impact ≥ 0.8: disparate_impact for sex=F on twins "
        "is 0.454 (95% interval 0.42–0.49), below the minimum 0.8\n"
        "  PASS          flip_rate ≤ 0.01 (twins): flip_rate for sex=F on twins is 0 "
        "(95% interval 0–0.006), at or below the maximum 0.01\n"
        "  INCONCLUSIVE  |equal_opportunity_difference| ≤ 0.1 (observed): "
        "equal_opportunity_difference needs true labels and the report has none: "
        "audit with y_true=... (a label column of the twins' frame, or one label "
        "per pair)"
    )


def test_verdict_objects_are_frozen(lending_verdict):
    assert isinstance(lending_verdict.rules[0], RuleResult)
    assert isinstance(lending_verdict.rules[0].checks[0], Check)
    with pytest.raises(AttributeError):
        lending_verdict.status = "pass"  # type: ignore[misc]
    assert isinstance(lending_verdict, Verdict)


# -- evaluate's input -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("significance", "confidence"), [(0.05, 0.9), (0.05, 0.99), (0.1, 0.95)]
)
def test_a_confidence_that_does_not_match_the_policy_is_refused(
    significance, confidence
):
    policy = Policy([Rule("disparate_impact", min=0.8)], significance=significance)
    wanted = {0.05: "0.95", 0.1: "0.9"}[significance]
    message = (
        f"The policy's significance level {significance} judges intervals at "
        f"confidence {wanted}, but the report's intervals are at confidence "
        f"{confidence}. Audit with confidence={wanted}, or pass policy= to audit() "
        "so the confidence follows the policy."
    )
    with pytest.raises(PolicyError, match=re.escape(message)):
        evaluate(policy, table(PASS_ROW), confidence=confidence)


def test_a_confidence_within_rounding_is_accepted():
    policy = Policy([Rule("disparate_impact", min=0.8)], significance=0.05)
    verdict = evaluate(policy, table(PASS_ROW), confidence=0.95 + 1e-12)
    assert verdict.status == "pass"


def test_evaluate_refuses_what_is_not_a_policy_or_a_metrics_table():
    with pytest.raises(
        PolicyError,
        match=re.escape(
            "evaluate needs a Policy. Got Rule; build one with Policy([...]) or "
            "load_policy(path)."
        ),
    ):
        evaluate(Rule("disparate_impact", min=0.8), table(PASS_ROW), confidence=0.95)  # type: ignore[arg-type]
    with pytest.raises(
        DataError,
        match=re.escape(
            "evaluate needs the report's metrics table (report.metrics), a "
            "DataFrame. Got dict."
        ),
    ):
        evaluate(Policy.four_fifths(), {}, confidence=0.95)  # type: ignore[arg-type]
    frame = table(PASS_ROW).drop(columns=["too_small", "aif360"])
    with pytest.raises(
        DataError,
        match=re.escape(
            "The metrics table lacks the column(s) ['too_small', 'aif360']; pass the "
            "report's metrics table (report.metrics)."
        ),
    ):
        evaluate(
            Policy([Rule("disparate_impact", min=0.8, source="aif360")]),
            frame,
            confidence=0.95,
        )


# -- building rules and policies in Python --------------------------------------------
def test_rule_normalises_numbers_and_prints_readably():
    rule = Rule("disparate_impact", min=np.float64(0.8), population="twins")
    assert type(rule.min) is float and rule.min == 0.8
    assert str(rule) == "disparate_impact ≥ 0.8 (twins)"
    assert Rule("flip_rate", max=np.int64(0)).max == 0.0
    assert Rule("disparate_impact", min=np.float32(0.5)).min == 0.5
    assert Rule("disparate_impact", min=1).min == 1.0


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (Rule("disparate_impact", min=0.8), "disparate_impact ≥ 0.8"),
        (Rule("flip_rate", max=0.01, population="twins"), "flip_rate ≤ 0.01 (twins)"),
        (
            Rule("equal_opportunity_difference", max_abs=0.1, population="observed"),
            "|equal_opportunity_difference| ≤ 0.1 (observed)",
        ),
        (Rule("selection_rate", min=0.2, max=0.8), "0.2 ≤ selection_rate ≤ 0.8"),
        (
            Rule("disparate_impact", min=0.8, attribute="sex", group="F"),
            "disparate_impact ≥ 0.8 (sex=F)",
        ),
        (
            Rule("disparate_impact", min=0.8, population="twins", attribute="race"),
            "disparate_impact ≥ 0.8 (twins, race)",
        ),
        (
            Rule("disparate_impact", min=0.8, group=2),
            "disparate_impact ≥ 0.8 (group 2)",
        ),
        (
            Rule("disparate_impact", min=0.8, source="aif360"),
            "disparate_impact [aif360] ≥ 0.8",
        ),
        (Rule("flip_rate", max=1e-05), "flip_rate ≤ 1e-05"),
        (Rule("disparate_impact", min=0.8, name="4/5"), "4/5: disparate_impact ≥ 0.8"),
    ],
)
def test_rule_str(rule, text):
    assert str(rule) == text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"metric": "disparte_impact", "min": 0.8},
            "Rule.metric: unknown metric 'disparte_impact'. Did you mean "
            "'disparate_impact'? Metrics: selection_rate, statistical_parity_difference, ",
        ),
        (
            {"metric": "Flip_Rate", "max": 0.8},
            "Rule.metric: unknown metric 'Flip_Rate'. Did you mean 'flip_rate'?",
        ),
        (
            {"metric": None, "min": 0.8},
            "Rule.metric: missing; name a metric, e.g. 'disparate_impact'.",
        ),
        (
            {"metric": 3, "min": 0.8},
            'Rule.metric: must be text. Got 3: YAML reads unquoted numbers as numbers; quote the text (metric: "3").',
        ),
        (
            {"metric": "disparate_impact"},
            "Rule: a rule needs a bound: min, max, both, or max_abs. Got none.",
        ),
        (
            {"metric": "statistical_parity_difference", "min": -0.1, "max_abs": 0.1},
            "Rule: max_abs cannot be combined with min or max; use max_abs alone for "
            "|value| ≤ t, or min and max for a range.",
        ),
        (
            {"metric": "statistical_parity_difference", "max_abs": -0.1},
            "Rule.max_abs: must be a non-negative number. Got -0.1.",
        ),
        (
            {"metric": "disparate_impact", "max_abs": 0.2},
            "Rule.max_abs: bounds |value - 0| and needs a metric whose parity is 0; "
            "disparate_impact has parity 1. Use min and/or max instead.",
        ),
        (
            {"metric": "selection_rate", "max_abs": 0.2},
            "Rule.max_abs: bounds |value - 0| and needs a metric whose parity is 0; "
            "selection_rate has no parity point. Use min and/or max instead.",
        ),
        (
            {"metric": "selection_rate", "min": 0.8, "max": 0.2},
            "Rule: min 0.8 is above max 0.2; no value could pass.",
        ),
        (
            {"metric": "disparate_impact", "min": True},
            "Rule.min: must be a number. Got True.",
        ),
        (
            {"metric": "disparate_impact", "min": "0.8"},
            "Rule.min: must be a number. Got '0.8'. It is text: write the number "
            "without quotes (0.8).",
        ),
        (
            {"metric": "disparate_impact", "min": "high"},
            "Rule.min: must be a number. Got 'high'.",
        ),
        (
            {"metric": "flip_rate", "max": NAN},
            "Rule.max: must be a finite number. Got nan.",
        ),
        (
            {"metric": "flip_rate", "max": math.inf},
            "Rule.max: must be a finite number. Got inf.",
        ),
        (
            {"metric": "flip_rate", "max": np.bool_(True)},
            "Rule.max: must be a number. Got np.True_.",
        ),
        (
            {"metric": "flip_rate", "max": [0.1]},
            "Rule.max: must be a number. Got [0.1].",
        ),
        (
            {"metric": "flip_rate", "max": 0.1, "population": "twin"},
            "Rule.population: must be one of 'twins', 'observed'. Got 'twin'. Did you "
            "mean 'twins'?",
        ),
        (
            {"metric": "flip_rate", "max": 0.1, "population": "observed"},
            "Rule.population: flip_rate is reported on twins only. Got 'observed'.",
        ),
        (
            {
                "metric": "equal_opportunity_difference",
                "max_abs": 0.1,
                "population": "twins",
            },
            "Rule.population: equal_opportunity_difference is reported on observed "
            "only. Got 'twins'.",
        ),
        (
            {"metric": "theil_index", "max": 0.1, "attribute": "sex"},
            "Rule.attribute: theil_index is one number per population, not per "
            "attribute. Remove attribute. Got 'sex'.",
        ),
        (
            {"metric": "demographic_parity_difference", "max": 0.1, "group": "F"},
            "Rule.group: demographic_parity_difference is one number per attribute, "
            "not per group. Remove group. Got 'F'.",
        ),
        (
            {"metric": "causal_discrimination_score", "max": 0.1, "group": "F"},
            "Rule.group: causal_discrimination_score is one number per population, "
            "not per group. Remove group. Got 'F'.",
        ),
        (
            {"metric": "disparate_impact", "min": 0.8, "group": ["F"]},
            "Rule.group: must be a group value (text, a number or a boolean). Got ['F'].",
        ),
        (
            {"metric": "disparate_impact", "min": 0.8, "group": NAN},
            "Rule.group: must be a finite number. Got nan.",
        ),
        (
            {"metric": "disparate_impact", "min": 0.8, "attribute": ""},
            "Rule.attribute: must not be empty. Got ''.",
        ),
        (
            {"metric": "disparate_impact", "min": 0.8, "source": "AIF360"},
            "Rule.source: must be one of 'twinaudit', 'aif360', 'fairlearn'. Got "
            "'AIF360'. Did you mean 'aif360'?",
        ),
        (
            {"metric": "disparate_impact", "min": 0.8, "source": "fairlearn"},
            "Rule.source: disparate_impact has no fairlearn value (twinaudit reports a "
            "library's number only where its definition is the same as ours). Sources "
            "for disparate_impact: twinaudit, aif360.",
        ),
        (
            {"metric": "flip_rate", "max": 0.1, "source": "aif360"},
            "Rule.source: flip_rate has no aif360 value (twinaudit reports a library's "
            "number only where its definition is the same as ours). Sources for "
            "flip_rate: twinaudit.",
        ),
        (
            {"metric": "flip_rate", "max": 0.1, "name": False},
            "Rule.name: must be text. Got False: YAML reads unquoted yes, no, on, off, "
            'true and false as booleans; quote the text (name: "...").',
        ),
    ],
)
def test_rule_refuses_malformed_fields(kwargs, message):
    with pytest.raises(PolicyError, match=re.escape(message)):
        Rule(**kwargs)


def test_rule_bounds_are_keyword_only():
    with pytest.raises(TypeError):
        Rule("disparate_impact", 0.8)  # type: ignore[misc]


def test_a_rule_accepts_min_equal_to_max_and_a_zero_band():
    assert Rule("selection_rate", min=0.5, max=0.5).bounds == (
        ("min", 0.5),
        ("max", 0.5),
    )
    assert Rule("statistical_parity_difference", max_abs=0).max_abs == 0.0


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([],), {}, "Policy.rules: needs at least one rule. Got []."),
        (((),), {}, "Policy.rules: needs at least one rule. Got ()."),
        (
            (Rule("flip_rate", max=0.01),),
            {},
            "Policy.rules: must be a list of rules. Got a single rule; wrap it: "
            "Policy([rule]).",
        ),
        (
            ([{"metric": "flip_rate", "max": 0.01}],),
            {},
            "Policy.rules[0]: must be a Rule. Got {'metric': 'flip_rate', 'max': "
            "0.01}; build rules with Rule(...) or read a file with load_policy().",
        ),
        (("flip_rate",), {}, "Policy.rules: must be a list of rules. Got 'flip_rate'."),
        (
            ([Rule("flip_rate", max=0.01)],),
            {"significance": 0},
            "Policy.significance: must be in (0, 0.5], e.g. 0.05. Got 0.",
        ),
        (
            ([Rule("flip_rate", max=0.01)],),
            {"significance": 0.95},
            "Policy.significance: must be in (0, 0.5], e.g. 0.05. Got 0.95. The "
            "significance level is 1 - confidence: for 95% intervals write 0.05.",
        ),
        (
            ([Rule("flip_rate", max=0.01)],),
            {"significance": 1.5},
            "Policy.significance: must be in (0, 0.5], e.g. 0.05. Got 1.5.",
        ),
        (
            ([Rule("flip_rate", max=0.01)],),
            {"significance": True},
            "Policy.significance: must be a number. Got True.",
        ),
        (
            ([Rule("flip_rate", max=0.01)],),
            {"name": 7},
            "Policy.name: must be text. Got 7: YAML reads unquoted numbers as numbers; "
            'quote the text (name: "7").',
        ),
    ],
)
def test_policy_refuses_malformed_fields(args, kwargs, message):
    with pytest.raises(PolicyError, match=re.escape(message)):
        Policy(*args, **kwargs)


def test_policy_takes_any_sequence_of_rules_and_keeps_a_tuple():
    rules = [Rule("flip_rate", max=0.01), Rule("disparate_impact", min=0.8)]
    policy = Policy(rules, significance=np.float64(0.1), name="p")
    assert policy.rules == tuple(rules)
    assert type(policy.significance) is float
    assert Policy(iter(rules)) == Policy(tuple(rules))
    assert Policy(rules, significance=0.5).significance == 0.5
    assert hash(policy) == hash(Policy(tuple(rules), significance=0.1, name="p"))


def test_policy_str():
    policy = Policy(
        [Rule("disparate_impact", min=0.8), Rule("flip_rate", max=0.01)], name="lending"
    )
    assert str(policy) == (
        "Policy 'lending' (significance 0.05):\n"
        "  disparate_impact ≥ 0.8\n"
        "  flip_rate ≤ 0.01"
    )


# -- policy files ---------------------------------------------------------------------
LENDING = Policy(
    [
        Rule("disparate_impact", min=0.8),
        Rule("flip_rate", max=0.01, population="twins"),
        Rule("equal_opportunity_difference", max_abs=0.1, population="observed"),
    ],
    significance=0.05,
    name="lending",
)


@pytest.mark.parametrize("name", ["lending.yaml", "lending.toml"])
def test_policy_files_load(name):
    assert load_policy(DATA / name) == LENDING
    assert load_policy(str(DATA / name)) == LENDING


def test_a_policy_file_with_defaults_only(tmp_path):
    path = tmp_path / "p.yml"
    path.write_text("rules:\n  - metric: flip_rate\n    max: 0.01\n", encoding="utf-8")
    assert load_policy(path) == Policy([Rule("flip_rate", max=0.01)])


POLICIES = [
    LENDING,
    Policy.four_fifths(),
    Policy(
        [
            Rule("selection_rate", min=0.2, max=0.8, attribute="race", group="asian"),
            Rule("disparate_impact", min=0.8, group=2, source="aif360", name="codes"),
            Rule("disparate_impact", min=0.8, attribute="member", group=True),
            Rule("disparate_impact", min=0.8, attribute="yes", group="no"),
            Rule("disparate_impact", min=0.8, attribute="123", group="1.5"),
            Rule("disparate_impact", min=0.8, group=1.5),
            Rule(
                "disparate_impact",
                min=0.8,
                attribute="sex & race",
                group="F & black",
                name="rule: #1, 'quoted'",
            ),
            Rule("demographic_parity_difference", max=1e-05, source="fairlearn"),
            Rule("statistical_parity_difference", max_abs=0),
            Rule("flip_rate", max=0.1 + 0.2),
        ],
        significance=0.1,
    ),
]


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".toml", ".YAML"])
@pytest.mark.parametrize(
    "policy", POLICIES, ids=["lending", "four-fifths", "odd-values"]
)
def test_save_then_load_gives_an_equal_policy(tmp_path, policy, suffix):
    path = tmp_path / f"policy{suffix}"
    assert save_policy(policy, path) == path
    assert load_policy(path) == policy
    assert not list(tmp_path.glob(".*partial"))


def test_saved_yaml_reads_like_the_documented_format(tmp_path):
    path = save_policy(LENDING, tmp_path / "policy.yaml")
    assert path.read_text(encoding="utf-8") == (
        "name: lending\n"
        "significance: 0.05\n"
        "rules:\n"
        "  - {metric: disparate_impact, min: 0.8}\n"
        "  - {metric: flip_rate, max: 0.01, population: twins}\n"
        "  - {metric: equal_opportunity_difference, max_abs: 0.1, population: observed}\n"
    )


def test_save_never_overwrites_unless_asked(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text("keep me", encoding="utf-8")
    with pytest.raises(OutputExistsError):
        save_policy(LENDING, path)
    assert path.read_text(encoding="utf-8") == "keep me"
    save_policy(LENDING, path, overwrite=True)
    assert load_policy(path) == LENDING


def test_save_refuses_what_is_not_a_policy(tmp_path):
    with pytest.raises(
        PolicyError, match=re.escape("save_policy needs a Policy. Got dict.")
    ):
        save_policy(LENDING.to_dict(), tmp_path / "p.yaml")  # type: ignore[arg-type]


def test_policy_dict_round_trip():
    for policy in POLICIES:
        assert Policy.from_dict(policy.to_dict()) == policy
    assert LENDING.to_dict() == {
        "name": "lending",
        "significance": 0.05,
        "rules": [
            {"metric": "disparate_impact", "min": 0.8},
            {"metric": "flip_rate", "max": 0.01, "population": "twins"},
            {
                "metric": "equal_opportunity_difference",
                "max_abs": 0.1,
                "population": "observed",
            },
        ],
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "rules:\n  - {metric: disparate_impact, min: 0.8}\n  - {metric: flip_rate, min: high}\n",
            "policy.yaml.rules[1].min: must be a number. Got 'high'.",
        ),
        (
            "rules:\n  - {metric: flip_rate, maximum: 0.01}\n",
            "policy.yaml.rules[0]: unknown key 'maximum'. Did you mean 'max'? Allowed "
            "keys: metric, min, max, max_abs, population, attribute, group, source, name.",
        ),
        (
            "rules:\n  - {metric: equal_opportunity_difference, maxabs: 0.1}\n",
            "policy.yaml.rules[0]: unknown key 'maxabs'. Did you mean 'max_abs'?",
        ),
        (
            "rules:\n  - {max: 0.01}\n",
            "policy.yaml.rules[0]: missing required key 'metric'.",
        ),
        (
            "rules:\n  - {metric: flip_rate}\n",
            "policy.yaml.rules[0]: a rule needs a bound: min, max, both, or max_abs. "
            "Got none.",
        ),
        (
            "rules:\n  - {metric: flip_rate, max: 0.01, population: twin}\n",
            "policy.yaml.rules[0].population: must be one of 'twins', 'observed'. Got "
            "'twin'. Did you mean 'twins'?",
        ),
        (
            "rules:\n  - {metric: disparate_impact, min: 0.8, attribute: true}\n",
            "policy.yaml.rules[0].attribute: must be text. Got True: YAML reads "
            "unquoted yes, no, on, off, true and false as booleans; quote the text "
            '(attribute: "...").',
        ),
        (
            "rules:\n  - {metric: disparate_impact, min: 0.8, attribute: 1}\n",
            "policy.yaml.rules[0].attribute: must be text. Got 1: YAML reads unquoted "
            'numbers as numbers; quote the text (attribute: "1").',
        ),
        (
            "rules:\n  - {metric: flip_rate, max: 0.01, source: false}\n",
            "policy.yaml.rules[0].source: must be text. Got False: YAML reads unquoted "
            "yes, no, on, off, true and false as booleans; quote the text "
            '(source: "...").',
        ),
        (
            "name: true\nrules:\n  - {metric: flip_rate, max: 0.01}\n",
            "policy.yaml.name: must be text. Got True: YAML reads unquoted yes, no, "
            'on, off, true and false as booleans; quote the text (name: "...").',
        ),
        (
            "rules:\n  - {metric: disparte_impact, min: 0.8}\n",
            "policy.yaml.rules[0].metric: unknown metric 'disparte_impact'. Did you "
            "mean 'disparate_impact'? Metrics: ",
        ),
        (
            "rules:\n  - {metric: disparate_impact, max_abs: 0.2}\n",
            "policy.yaml.rules[0].max_abs: bounds |value - 0| and needs a metric whose "
            "parity is 0; disparate_impact has parity 1. Use min and/or max instead.",
        ),
        (
            "rules:\n  - {metric: selection_rate, min: 0.9, max: 0.1}\n",
            "policy.yaml.rules[0]: min 0.9 is above max 0.1; no value could pass.",
        ),
        (
            "signficance: 0.05\nrules:\n  - {metric: flip_rate, max: 0.01}\n",
            "policy.yaml: unknown key 'signficance'. Did you mean 'significance'? "
            "Allowed keys: name, significance, rules.",
        ),
        (
            "significance: 0.95\nrules:\n  - {metric: flip_rate, max: 0.01}\n",
            "policy.yaml.significance: must be in (0, 0.5], e.g. 0.05. Got 0.95. The "
            "significance level is 1 - confidence: for 95% intervals write 0.05.",
        ),
        (
            "significance: five percent\nrules:\n  - {metric: flip_rate, max: 0.01}\n",
            "policy.yaml.significance: must be a number. Got 'five percent'.",
        ),
        ("name: lending\n", "policy.yaml: missing required key 'rules'."),
        ("rules: []\n", "policy.yaml.rules: needs at least one rule. Got []."),
        (
            "rules: {metric: flip_rate, max: 0.01}\n",
            "policy.yaml.rules: must be a list of rules. Got {'metric': 'flip_rate', "
            "'max': 0.01}.",
        ),
        (
            "rules:\n  - flip_rate <= 0.01\n",
            "policy.yaml.rules[0]: expected a mapping (key: value). Got 'flip_rate <= "
            "0.01'.",
        ),
        (
            "- {metric: flip_rate, max: 0.01}\n",
            "policy.yaml: expected a mapping (key: value). Got [{'metric': "
            "'flip_rate', 'max': 0.01}].",
        ),
        (
            "rules:\n  - {metric: flip_rate, max: 0.01, true: 1}\n",
            "policy.yaml.rules[0]: unknown key True.",
        ),
        ("", "Policy file '{path}' is empty; it needs at least a 'rules' list."),
        (
            "# nothing yet\n",
            "Policy file '{path}' is empty; it needs at least a 'rules' list.",
        ),
        ("rules: [\n", "Policy file '{path}' is not valid YAML: "),
    ],
)
def test_malformed_yaml_policy_files(tmp_path, text, message):
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        PolicyError, match=re.escape(message.replace("{path}", str(path)))
    ):
        load_policy(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[rules]]\nmetric = "flip_rate"\nmax = "0.01"\n',
            "policy.toml.rules[0].max: must be a number. Got '0.01'. It is text: "
            "write the number without quotes (0.01).",
        ),
        (
            '[[rules]]\nmetric = "flip_rate"\nmax = 0.01\n\n[[rules]]\nmetrik = "x"\n',
            "policy.toml.rules[1]: unknown key 'metrik'. Did you mean 'metric'?",
        ),
        (
            'significance = 0\n[[rules]]\nmetric = "flip_rate"\nmax = 0.01\n',
            "policy.toml.significance: must be in (0, 0.5], e.g. 0.05. Got 0.",
        ),
        (
            '[[rules]]\nmetric = "flip_rate"\nmax = nan\n',
            "policy.toml.rules[0].max: must be a finite number. Got nan.",
        ),
        (
            'rules = "flip_rate"\n',
            "policy.toml.rules: must be a list of rules. Got 'flip_rate'.",
        ),
        ("rules = [\n", "Policy file '{path}' is not valid TOML: "),
    ],
)
def test_malformed_toml_policy_files(tmp_path, text, message):
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        PolicyError, match=re.escape(message.replace("{path}", str(path)))
    ):
        load_policy(path)


def test_policy_file_names_and_paths(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(
        PolicyError, match=re.escape(f"Policy file '{missing}' does not exist.")
    ):
        load_policy(missing)
    for path in (tmp_path / "policy.json", tmp_path / "policy"):
        message = (
            f"Cannot tell the format of '{path}' from its suffix; name it .yaml, "
            ".yml or .toml."
        )
        with pytest.raises(PolicyError, match=re.escape(message)):
            load_policy(path)
        with pytest.raises(PolicyError, match=re.escape(message)):
            save_policy(LENDING, path)
        assert not path.exists()
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00rules")
    with pytest.raises(
        PolicyError, match=re.escape(f"Cannot read policy file '{binary}': ")
    ):
        load_policy(binary)


def test_from_dict_names_its_source():
    with pytest.raises(
        PolicyError,
        match=re.escape(
            "lending.rules[0]: a rule needs a bound: min, max, both, or max_abs. Got "
            "none."
        ),
    ):
        Policy.from_dict(
            {"rules": [{"metric": "flip_rate", "min": None}]}, where="lending"
        )
    with pytest.raises(
        PolicyError,
        match=re.escape("policy: expected a mapping (key: value). Got None."),
    ):
        Policy.from_dict(None)  # type: ignore[arg-type]


# -- properties -----------------------------------------------------------------------
WORST = {"pass": 0, "inconclusive": 1, "fail": 2}
THRESHOLDS = [-0.1, 0.0, 0.01, 0.1, 0.8, 1.0]

values = st.one_of(
    st.sampled_from(THRESHOLDS),
    st.floats(-1.5, 1.5, allow_nan=False),
)


@st.composite
def metric_rows(draw):
    metric = draw(
        st.sampled_from(["disparate_impact", "statistical_parity_difference"])
    )
    population = draw(st.sampled_from(["twins", "observed"]))
    attribute, group = draw(
        st.sampled_from([("sex", "F"), ("race", "black"), ("race", "asian")])
    )
    value = draw(st.one_of(values, st.just(NAN)))
    kind = draw(st.sampled_from(["interval", "point", "none"]))
    if kind == "interval":
        low = value - draw(st.floats(0, 0.5))
        high = value + draw(st.floats(0, 0.5))
    elif kind == "point":
        low = high = value
    else:
        low = high = NAN
    return row(
        metric,
        value=value,
        low=low,
        high=high,
        population=population,
        attribute=attribute,
        group=group,
        reference="M" if attribute == "sex" else "white",
        undefined="a group is empty" if math.isnan(value) else None,
        too_small=draw(st.booleans()),
    )


@st.composite
def rules(draw):
    metric = draw(
        st.sampled_from(["disparate_impact", "statistical_parity_difference"])
    )
    kind = draw(
        st.sampled_from(
            ["min", "max", "both"]
            + (["max_abs"] if metric != "disparate_impact" else [])
        )
    )
    a, b = sorted(draw(st.lists(st.sampled_from(THRESHOLDS), min_size=2, max_size=2)))
    bounds = {
        "min": {"min": a},
        "max": {"max": b},
        "both": {"min": a, "max": b},
        "max_abs": {"max_abs": abs(b)},
    }[kind]
    return Rule(
        metric,
        population=draw(st.sampled_from([None, "twins", "observed"])),
        attribute=draw(st.sampled_from([None, "sex", "race", "age"])),
        group=draw(st.sampled_from([None, "F", "black", "asian"])),
        **bounds,
    )


@given(
    rows=st.lists(metric_rows(), max_size=8),
    policy_rules=st.lists(rules(), min_size=1, max_size=5),
)
def test_overall_status_is_the_worst_rule_and_a_rule_the_worst_check(
    rows, policy_rules
):
    frame = table(*rows)
    verdict = evaluate(Policy(policy_rules), frame, confidence=0.95)
    assert WORST[verdict.status] == max(WORST[r.status] for r in verdict.rules)
    assert (
        verdict.exit_code == {"pass": 0, "fail": 1, "inconclusive": 3}[verdict.status]
    )
    for result, rule in zip(verdict.rules, policy_rules, strict=True):
        assert result.rule == rule
        matching = [
            r
            for r in rows
            if r["metric"] == rule.metric
            and rule.population in (None, r["population"])
            and rule.attribute in (None, r["attribute"])
            and rule.group in (None, r["group"])
        ]
        assert len(result.checks) == len(matching)
        if matching:
            assert WORST[result.status] == max(WORST[c.status] for c in result.checks)
        else:
            assert result.status == "inconclusive"
        for check, r in zip(result.checks, matching, strict=True):
            decided = not math.isnan(r["value"]) and not r["too_small"]
            if not decided:
                assert check.status == "inconclusive"
    assert len(verdict.to_frame()) == sum(max(1, len(r.checks)) for r in verdict.rules)
    json.dumps(verdict.to_dict(), allow_nan=False)


def _satisfies(rule, value):
    """Whether a point value meets the rule, read straight off its bounds."""
    ok = True
    if rule.min is not None:
        ok &= value >= rule.min
    if rule.max is not None:
        ok &= value <= rule.max
    if rule.max_abs is not None:
        ok &= abs(value) <= rule.max_abs
    return ok


@given(rule=rules(), value=values, widths=st.tuples(st.floats(0, 1), st.floats(0, 1)))
def test_a_point_is_judged_by_plain_comparison_and_narrowing_never_reverses(
    rule, value, widths
):
    def status(low, high):
        metric_row = row(
            rule.metric,
            value=value,
            low=low,
            high=high,
            population=rule.population or "twins",
            attribute=rule.attribute or "sex",
            group=rule.group or "F",
        )
        return judge(rule, metric_row).rules[0].status

    point = status(NAN, NAN)
    assert point == ("pass" if _satisfies(rule, value) else "fail")
    assert status(value, value) == point
    wide = status(value - widths[0], value + widths[1])
    narrow = status(value - widths[0] / 2, value + widths[1] / 2)
    if wide != "inconclusive":
        assert narrow == wide == point


TEXT = st.text(
    st.characters(min_codepoint=32, max_codepoint=0x2FF, exclude_characters="\x7f"),
    min_size=1,
    max_size=12,
).filter(str.strip)


@st.composite
def valid_rules(draw):
    name = draw(st.sampled_from(sorted(REGISTRY)))
    metric = REGISTRY[name]
    text = TEXT
    numbers = st.floats(-10, 10, allow_nan=False, allow_infinity=False)
    kind = draw(
        st.sampled_from(
            ["min", "max", "both"] + (["max_abs"] if metric.parity == 0 else [])
        )
    )
    a, b = sorted([draw(numbers), draw(numbers)])
    bounds = {
        "min": {"min": a},
        "max": {"max": b},
        "both": {"min": a, "max": b},
        "max_abs": {"max_abs": abs(b)},
    }[kind]
    return Rule(
        name,
        population=draw(st.sampled_from([None, *metric.populations])),
        attribute=draw(st.none() | text) if metric.scope != "overall" else None,
        group=(
            draw(
                st.none()
                | text
                | st.integers(-(2**40), 2**40)
                | numbers
                | st.booleans()
            )
            if metric.scope == "group"
            else None
        ),
        source=draw(st.sampled_from(["twinaudit", *metric.libraries])),
        name=draw(st.none() | text),
        **bounds,
    )


@given(
    rules_=st.lists(valid_rules(), min_size=1, max_size=4),
    significance=st.floats(1e-6, 0.5),
    name=st.none() | TEXT,
    suffix=st.sampled_from([".yaml", ".toml"]),
)
def test_any_policy_survives_a_file_round_trip(
    tmp_path_factory, rules_, significance, name, suffix
):
    policy = Policy(rules_, significance=significance, name=name)
    path = tmp_path_factory.mktemp("policies") / f"policy{suffix}"
    save_policy(policy, path)
    assert load_policy(path) == policy


@pytest.mark.parametrize("text", ["0E0", "1e3", "-2E+5", "yes", "01234", "1:30", "~"])
@pytest.mark.parametrize("suffix", [".yaml", ".toml"])
def test_text_that_reads_as_a_number_survives_a_file_round_trip(tmp_path, text, suffix):
    """Found by the property above: a rule named '0E0' was written unquoted, and
    load_policy (which reads 1e3 as a float, as YAML 1.2 does) read it back as
    0.0 and refused the policy."""
    policy = Policy(
        [Rule("disparate_impact", min=0.8, attribute=text, group=text, name=text)],
        name=text,
    )
    path = tmp_path / f"policy{suffix}"
    save_policy(policy, path)
    assert load_policy(path) == policy


def test_verdict_to_frame_holds_every_field_of_every_check(lending_verdict):
    # Expected from the other route, to_dict (pinned field by field above): one row
    # per check, or one row of the rule's own fields when no row matched it.
    data = lending_verdict.to_dict()
    expected = []
    for rule in data["rules"]:
        head = {"rule": rule["rule"], "metric": rule["metric"]}
        if not rule["checks"]:
            policy_rule = next(
                r.rule for r in lending_verdict.rules if str(r.rule) == rule["rule"]
            )
            expected.append(
                {
                    **head,
                    "population": policy_rule.population,
                    "attribute": policy_rule.attribute,
                    "group": policy_rule.group,
                    "reference": None,
                    "value": None,
                    "low": None,
                    "high": None,
                    "status": rule["status"],
                    "reason": rule["reason"],
                }
            )
        for check in rule["checks"]:
            expected.append(
                {
                    **head,
                    # The table's privileged sex (to_dict does not carry it).
                    "reference": "M",
                    **{
                        k: check[k]
                        for k in (
                            "population",
                            "attribute",
                            "group",
                            "value",
                            "low",
                            "high",
                            "status",
                            "reason",
                        )
                    },
                }
            )
    frame = lending_verdict.to_frame()
    got = [
        {
            k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in r.items()
        }
        for r in frame.to_dict("records")
    ]
    assert got == expected
    assert any(not rule["checks"] for rule in data["rules"])
    assert frame["reference"].dtype == object and frame["value"].dtype == float
    assert frame["reference"].tolist()[3] is None


@pytest.mark.parametrize("word", ["NO", "yes", "off", "01234"])
def test_a_policy_file_keeps_groups_as_written(tmp_path, word):
    # YAML 1.1 would read NO (Norway) as False and 01234 as the octal 668.
    path = tmp_path / "countries.yaml"
    path.write_text(
        "rules:\n"
        f"  - {{metric: disparate_impact, min: 0.8, attribute: country, group: {word}}}\n",
        encoding="utf-8",
    )
    policy = load_policy(path)
    assert policy.rules[0].group == word
    verdict = evaluate(
        policy,
        table(
            row(value=0.5, low=0.4, high=0.6, attribute="country", group=word),
            row(value=0.95, low=0.9, high=0.99, attribute="country", group="SE"),
        ),
        confidence=0.95,
    )
    assert verdict.status == "fail"
    assert [c.group for c in verdict.rules[0].checks] == [word]


def test_yaml_words_and_exponents_in_a_policy_read_as_written(tmp_path):
    # Read like spec files (YAML 1.2's core types): yes/no/on/off are text, 1e-3 is
    # a number. Before, `attribute: yes` was refused as the boolean True and
    # `max: 1e-3` as the text '1e-3'.
    path = tmp_path / "policy.yaml"
    path.write_text(
        "name: on\n"
        "rules:\n"
        "  - {metric: flip_rate, max: 1e-3}\n"
        "  - {metric: disparate_impact, min: 0.8, attribute: yes}\n",
        encoding="utf-8",
    )
    policy = load_policy(path)
    assert policy.name == "on"
    assert policy.rules[0].max == 0.001
    assert policy.rules[1].attribute == "yes"


@pytest.mark.parametrize(
    "text",
    [
        "rules: " + "[" * 1200 + "]" * 1200 + "\n",
        "rules:\n" + "".join(" " * i + "-\n" for i in range(1, 1200)),
    ],
    ids=["flow", "block"],
)
def test_nesting_past_the_yaml_parser_limit_is_refused_as_nesting(tmp_path, text):
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    message = (
        f"Policy file {str(path)!r} nests lists or mappings more than 50 levels deep; "
        "a policy needs a few levels at most."
    )
    with pytest.raises(PolicyError, match=re.escape(message)):
        load_policy(path)


def test_a_policy_alias_bomb_is_refused_before_it_is_walked(tmp_path):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(
            f"{chr(97 + i)}: &{chr(97 + i)} [{', '.join(['*' + chr(96 + i)] * 10)}]"
        )
    lines.append("rules: *i")
    path = tmp_path / "policy.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = (
        f"Policy file {str(path)!r} holds more than 500,000 values once its YAML "
        "aliases (*name) are expanded; write the policy without repeating large "
        "aliased blocks."
    )
    with pytest.raises(PolicyError, match=re.escape(message)):
        load_policy(path)


def test_an_oversized_policy_file_is_refused_unread(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text("# " + "x" * 1_000_000 + "\n", encoding="utf-8")
    message = (
        f"Policy file {str(path)!r} is 1,000,003 bytes; twinaudit reads policy files "
        "of at most 1,000,000 bytes."
    )
    with pytest.raises(PolicyError, match=re.escape(message)):
        load_policy(path)
