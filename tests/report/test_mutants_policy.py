"""Policies and verdicts: the cases mutation testing found unpinned.

Each expected text is written by hand from the rule, the row and the message
formats documented in ``twinaudit.report._policy`` (a number gets 3 significant
digits, more where fewer would put it on the threshold or the wrong side of it),
never pasted from the code's output.
"""

from __future__ import annotations

import dataclasses
import locale
import math
import re

import numpy as np
import pandas as pd
import pytest

from twinaudit.exceptions import PolicyError
from twinaudit.metrics._registry import REGISTRY
from twinaudit.report._policy import (
    Check,
    Policy,
    Rule,
    evaluate,
    load_policy,
    save_policy,
)

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
    """One row of a report's metrics table (as in test_policy.py)."""
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


def raises_exactly(message):
    """The whole message, so nothing can be appended to it unnoticed."""
    return pytest.raises(PolicyError, match=f"^{re.escape(message)}$")


# -- numbers next to a threshold ------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "metric_row", "reason"),
    [
        pytest.param(
            Rule("disparate_impact", min=0.8),
            row(value=0.85, low=0.80004, high=0.9),
            # 0.80004 to 3 or 4 digits is 0.8, the minimum itself: 5 digits.
            "disparate_impact for sex=F on twins is 0.85 (95% interval 0.80004–0.9), "
            "at or above the minimum 0.8",
            id="low-end-next-to-min",
        ),
        pytest.param(
            Rule("flip_rate", max=0.01),
            row("flip_rate", value=0.005, low=0.0, high=0.0099996),
            # 0.0099996 to 3 or 4 digits is 0.01, the maximum itself: 5 digits.
            "flip_rate for sex=F on twins is 0.005 (95% interval 0–0.0099996), at or "
            "below the maximum 0.01",
            id="high-end-next-to-max",
        ),
        pytest.param(
            Rule("disparate_impact", min=0.8),
            row(value=0.75, low=0.7, high=0.80004),
            "disparate_impact for sex=F on twins is 0.75; the 95% interval "
            "[0.7, 0.80004] straddles the minimum 0.8, too close to call: audit more "
            "pairs or rows",
            id="straddling-high-end-next-to-min",
        ),
        pytest.param(
            Rule("equal_opportunity_difference", max_abs=0.1),
            row("equal_opportunity_difference", value=-0.10004),
            # -0.10004 to 3 or 4 digits is -0.1, the lower end of ±0.1.
            "equal_opportunity_difference for sex=F on observed is -0.10004, outside "
            "±0.1",
            id="just-below-minus-max-abs",
        ),
        pytest.param(
            Rule("equal_opportunity_difference", max_abs=0.1),
            row("equal_opportunity_difference", value=-0.09996),
            "equal_opportunity_difference for sex=F on observed is -0.09996, within "
            "±0.1",
            id="just-above-minus-max-abs",
        ),
        pytest.param(
            Rule("flip_rate", max=0.0),
            row("flip_rate", value=0.0),
            # A value on the threshold is shown as short as the threshold is.
            "flip_rate for sex=F on twins is 0, at or below the maximum 0",
            id="on-max-zero",
        ),
        pytest.param(
            Rule("disparate_impact", min=1.0),
            row(value=1.0),
            "disparate_impact for sex=F on twins is 1, at or above the minimum 1",
            id="on-min-one",
        ),
        pytest.param(
            Rule("disparate_impact", min=0.1),
            row(value=math.nextafter(0.1, 1)),
            # One ulp above 0.1: 16 digits still read 0.1, so all 17 are needed.
            "disparate_impact for sex=F on twins is 0.10000000000000002, at or above "
            "the minimum 0.1",
            id="one-ulp-above-min",
        ),
        pytest.param(
            Rule("theil_index", max=1e16),
            row("theil_index", value=1e16 + 2),
            # 16 digits read 1e+16; Python writes the 17-digit number with an
            # exponent from 1e16 on.
            "theil_index on observed is 1.0000000000000002e+16, above the maximum "
            "1e+16",
            id="one-ulp-above-a-large-max",
        ),
    ],
)
def test_numbers_next_to_a_threshold(rule, metric_row, reason):
    assert judge(rule, metric_row).rules[0].reason == reason


# -- undefined values -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "metric_row", "reason"),
    [
        pytest.param(
            Rule("disparate_impact", min=0.8),
            row(value=NAN),
            "disparate_impact for sex=F on twins is undefined: its value is nan",
            id="twinaudit-nan-without-reason",
        ),
        pytest.param(
            Rule("disparate_impact", min=0.8),
            row(value=NAN, undefined=pd.NA),
            "disparate_impact for sex=F on twins is undefined: its value is nan",
            id="pd-NA-is-no-reason",
        ),
        pytest.param(
            Rule("disparate_impact", min=0.8, source="aif360"),
            row(value=0.9, low=0.85, high=0.95, aif360=math.inf),
            # A library value that is there but infinite is not a missing one.
            "disparate_impact (aif360) for sex=F on twins is undefined: its value is "
            "inf",
            id="library-value-infinite",
        ),
    ],
)
def test_undefined_reasons(rule, metric_row, reason):
    verdict = judge(rule, metric_row)
    assert verdict.status == "inconclusive"
    assert verdict.rules[0].reason == reason


# -- which check a rule names ---------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "metric", "values", "closest"),
    [
        pytest.param(
            Rule("selection_rate", min=0.2, max=0.8),
            "selection_rate",
            (0.6, 0.3),
            # 0.6 is 0.2 inside the maximum, 0.3 only 0.1 inside the minimum.
            "selection_rate for sex=B on twins is 0.3, within [0.2, 0.8]",
            id="min-and-max",
        ),
        pytest.param(
            Rule("flip_rate", max=0.5),
            "flip_rate",
            (0.1, 0.4),
            "flip_rate for sex=B on twins is 0.4, at or below the maximum 0.5",
            id="max-largest-value",
        ),
        pytest.param(
            Rule("statistical_parity_difference", max=0.1),
            "statistical_parity_difference",
            (-0.5, 0.05),
            # -0.5 is far below a maximum of 0.1; a max is not a bound on |value|.
            "statistical_parity_difference for sex=B on twins is 0.05, at or below "
            "the maximum 0.1",
            id="max-with-a-negative-value",
        ),
    ],
)
def test_a_passing_rule_names_the_check_closest_to_its_bound(
    rule, metric, values, closest
):
    rows = [row(metric, value=v, group=g) for g, v in zip("AB", values, strict=True)]
    verdict = judge(rule, *rows)
    assert [c.status for c in verdict.rules[0].checks] == ["pass", "pass"]
    assert verdict.rules[0].reason == (
        f"all 2 checks pass; the closest to the bound: {closest}"
    )


# -- matching groups ------------------------------------------------------------------
def test_a_number_group_does_not_match_other_text():
    verdict = judge(
        Rule("disparate_impact", min=0.8, group=1), row(value=0.9, low=0.85, high=0.95)
    )
    assert verdict.status == "inconclusive"
    assert verdict.rules[0].checks == ()
    assert verdict.rules[0].reason == (
        "the report has no disparate_impact for group 1; groups: 'F'"
    )


def test_a_row_without_group_matches_no_group_rule():
    verdict = judge(
        Rule("disparate_impact", min=0.8, group="F"),
        row(value=0.9, low=0.85, high=0.95),
        row(value=NAN, group=None, undefined="no group"),
    )
    assert [c.group for c in verdict.rules[0].checks] == ["F"]
    assert verdict.status == "pass"


@pytest.mark.parametrize("missing", [None, pd.NA, NAN])
def test_a_missing_group_is_no_group(missing):
    # The group column reaches the rule's filter and the listing of groups as the
    # table holds it (pd.NA from a nullable column), not through to_dict.
    verdict = judge(
        Rule("disparate_impact", min=0.8, group="X"),
        row(value=0.9, low=0.85, high=0.95),
        row(value=NAN, group=missing, undefined="no group"),
    )
    assert verdict.status == "inconclusive"
    assert verdict.rules[0].checks == ()
    assert verdict.rules[0].reason == (
        "the report has no disparate_impact for group 'X'; groups: 'F'"
    )


def test_numpy_group_values_become_python_values():
    assert Rule("disparate_impact", min=0.8, group=np.int64(2)).group == 2
    assert type(Rule("disparate_impact", min=0.8, group=np.int64(2)).group) is int
    assert Rule("disparate_impact", min=0.8, group=np.str_("F")).group == "F"


# -- error messages, whole --------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"max": "high"},
            "Rule.max: must be a number. Got 'high'.",
        ),
        (
            {"max": 0.01, "name": ["x"]},
            "Rule.name: must be text. Got ['x'].",
        ),
        (
            {"max": 0.01, "group": "  "},
            "Rule.group: must not be empty. Got '  '.",
        ),
        (
            {"max": 0.01, "population": "TWINS"},
            "Rule.population: must be one of 'twins', 'observed'. Got 'TWINS'. Did "
            "you mean 'twins'?",
        ),
    ],
)
def test_rule_error_messages(kwargs, message):
    with raises_exactly(message):
        Rule("flip_rate", **kwargs)


@pytest.mark.parametrize(
    ("significance", "message"),
    [
        (0, "Policy.significance: must be in (0, 0.5], e.g. 0.05. Got 0."),
        (1, "Policy.significance: must be in (0, 0.5], e.g. 0.05. Got 1."),
        (1.5, "Policy.significance: must be in (0, 0.5], e.g. 0.05. Got 1.5."),
        (
            0.75,
            "Policy.significance: must be in (0, 0.5], e.g. 0.05. Got 0.75. The "
            "significance level is 1 - confidence: for 95% intervals write 0.05.",
        ),
    ],
)
def test_only_a_significance_that_looks_like_a_confidence_gets_the_hint(
    significance, message
):
    with raises_exactly(message):
        Policy([Rule("flip_rate", max=0.01)], significance=significance)


def test_a_confidence_that_is_no_number():
    with raises_exactly("confidence: must be a number. Got 'high'."):
        evaluate(
            Policy([Rule("flip_rate", max=0.01)]),
            table(row("flip_rate", value=0.0)),
            confidence="high",  # type: ignore[arg-type]
        )


# -- text of policies and verdicts ----------------------------------------------------
def test_policy_text_with_and_without_a_name():
    rules = [Rule("flip_rate", max=0.01)]
    assert str(Policy(rules)) == "Policy (significance 0.05):\n  flip_rate ≤ 0.01"
    assert str(Policy(rules, name="lending")) == (
        "Policy 'lending' (significance 0.05):\n  flip_rate ≤ 0.01"
    )


def test_a_policy_holds_its_fields_only():
    policy = Policy([Rule("flip_rate", max=0.01)], name="lending")
    assert vars(policy) == {
        "rules": (Rule("flip_rate", max=0.01),),
        "significance": 0.05,
        "name": "lending",
    }


def test_verdict_text_counts_its_rules():
    passing = (
        "flip_rate ≤ 0.01: flip_rate for sex=F on twins is 0 (95% interval "
        "0–0.006), at or below the maximum 0.01"
    )
    metric_row = row("flip_rate", value=0.0, low=0.0, high=0.006)
    one = judge(Rule("flip_rate", max=0.01), metric_row)
    # Status names are padded to the longest, "inconclusive" (12 characters).
    assert str(one) == (
        "Verdict: PASS (1 rule: 1 pass; significance 0.05)\n  PASS          " + passing
    )
    two = judge(
        [Rule("flip_rate", max=0.01), Rule("selection_rate", min=0.2)], metric_row
    )
    assert str(two) == (
        "Verdict: INCONCLUSIVE (2 rules: 1 pass, 1 inconclusive; significance 0.05)\n"
        "  PASS          " + passing + "\n"
        "  INCONCLUSIVE  selection_rate ≥ 0.2: the report has no selection_rate "
        "(populations in the report: 'twins'); metrics it reports: 'flip_rate'"
    )


# -- policy files -----------------------------------------------------------------------
LONG = " ".join(["a fairness policy for the lending model of the bank"] * 3)


@pytest.mark.parametrize(
    ("name", "line"),
    [
        pytest.param("Prêt équitable", "name: Prêt équitable", id="unicode-as-is"),
        pytest.param(LONG, f"name: {LONG}", id="long-text-on-one-line"),
        # YAML's escape for NEL (U+0085) in double quotes is \N.
        pytest.param("loan\x85", 'name: "loan\\N"', id="trailing-NEL-double-quoted"),
    ],
)
def test_yaml_policy_file_text(tmp_path, name, line):
    policy = Policy([Rule("flip_rate", max=0.01, name="café")], name=name)
    path = save_policy(policy, tmp_path / "policy.yaml")
    assert path.read_text(encoding="utf-8") == (
        f"{line}\nsignificance: 0.05\nrules:\n"
        "  - {metric: flip_rate, max: 0.01, name: café}\n"
    )
    assert load_policy(path) == policy


def test_a_policy_file_is_read_as_utf8_whatever_the_locale(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_bytes(
        "name: café\nrules:\n  - {metric: flip_rate, max: 0.01}\n".encode()
    )
    previous = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")  # the locale's encoding is ASCII
    try:
        policy = load_policy(path)
    finally:
        locale.setlocale(locale.LC_CTYPE, previous)
    assert policy.name == "café"


# -- verdict frames -------------------------------------------------------------------
# A Check's fields, in order, after the rule's text and metric.
FRAME_COLUMNS = ["rule", "metric", *(f.name for f in dataclasses.fields(Check))]


def test_a_verdict_frame_has_every_column_when_no_rule_matched():
    verdict = judge(Rule("selection_rate", min=0.2), row("flip_rate", value=0.0))
    frame = verdict.to_frame()
    assert list(frame.columns) == FRAME_COLUMNS
    assert len(frame) == 1
    assert frame[["value", "low", "high"]].isna().all(axis=None)
    assert frame["value"].dtype == float


def test_a_verdict_frame_keeps_its_column_order_after_an_unmatched_rule():
    verdict = judge(
        [Rule("selection_rate", min=0.2), Rule("flip_rate", max=0.01)],
        row("flip_rate", value=0.0),
    )
    frame = verdict.to_frame()
    assert list(frame.columns) == FRAME_COLUMNS
    assert frame["status"].tolist() == ["inconclusive", "pass"]
    assert frame["value"].tolist()[1] == 0.0
