"""Group metrics from count tables, checked against hand counts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twinaudit.metrics import (
    Grouping,
    cell_counts,
    decision_counts,
    group_metric_rows,
    group_values,
    pattern_counts,
    theil_index,
)

# Three groups; the privileged one ("b") is in the middle. Counts [group, decision,
# label]: rates chosen so that no reference rate is 0 or 1 and no difference is 0.
#   a: TN 3, FN 2, FP 1, TP 4   -> n 10, fav 5, pos 6, neg 4
#   b: TN 1, FN 1, FP 2, TP 6   -> n 10, fav 8, pos 7, neg 3
#   c: TN 6, FN 3, FP 0, TP 1   -> n 10, fav 1, pos 4, neg 6
CELLS = np.array(
    [
        [[3, 2], [1, 4]],
        [[1, 1], [2, 6]],
        [[6, 3], [0, 1]],
    ],
    dtype=float,
)


def test_rates_by_hand():
    v = group_values(CELLS, privileged=1)
    assert v["selection_rate"].tolist() == pytest.approx([0.5, 0.8, 0.1])
    assert v["true_positive_rate"].tolist() == pytest.approx([4 / 6, 6 / 7, 1 / 4])
    assert v["false_positive_rate"].tolist() == pytest.approx([1 / 4, 2 / 3, 0])
    assert v["precision"].tolist() == pytest.approx([4 / 5, 6 / 8, 1 / 1])
    assert v["accuracy"].tolist() == pytest.approx([7 / 10, 7 / 10, 7 / 10])


def test_differences_and_ratios_are_against_the_privileged_group():
    v = group_values(CELLS, privileged=1)
    assert v["statistical_parity_difference"].tolist() == pytest.approx(
        [0.5 - 0.8, 0.0, 0.1 - 0.8]
    )
    assert v["disparate_impact"].tolist() == pytest.approx([0.5 / 0.8, 1.0, 0.1 / 0.8])
    assert v["equal_opportunity_difference"].tolist() == pytest.approx(
        [4 / 6 - 6 / 7, 0.0, 1 / 4 - 6 / 7]
    )
    assert v["average_odds_difference"][0] == pytest.approx(
        ((1 / 4 - 2 / 3) + (4 / 6 - 6 / 7)) / 2
    )
    assert v["average_odds_difference"][2] == pytest.approx(
        ((0 - 2 / 3) + (1 / 4 - 6 / 7)) / 2
    )


def test_spreads_over_groups():
    v = group_values(CELLS, privileged=1)
    assert float(v["demographic_parity_difference"]) == pytest.approx(0.8 - 0.1)
    assert float(v["demographic_parity_ratio"]) == pytest.approx(0.1 / 0.8)
    tpr_range = 6 / 7 - 1 / 4
    fpr_range = 2 / 3 - 0
    assert float(v["equalized_odds_difference"]) == pytest.approx(
        max(tpr_range, fpr_range)
    )
    assert float(v["equalized_odds_ratio"]) == pytest.approx(min(0.25 / (6 / 7), 0.0))


@pytest.mark.parametrize("privileged", [0, 1, 2])
def test_the_privileged_position_only_changes_the_reference(privileged):
    v = group_values(CELLS, privileged=privileged)
    sel = np.array([0.5, 0.8, 0.1])
    assert v["statistical_parity_difference"] == pytest.approx(sel - sel[privileged])
    assert v["disparate_impact"] == pytest.approx(sel / sel[privileged])
    # Spreads do not depend on which group is privileged.
    assert float(v["demographic_parity_difference"]) == pytest.approx(0.7)


def test_a_leading_axis_computes_every_replicate_at_once():
    stacked = np.stack([CELLS, CELLS[::-1]])
    v = group_values(stacked, privileged=0)
    assert v["selection_rate"].shape == (2, 3)
    assert v["demographic_parity_difference"].shape == (2,)
    assert v["disparate_impact"][1].tolist() == pytest.approx(
        [1.0, 0.8 / 0.1, 0.5 / 0.1]
    )


def test_undefined_values_are_nan():
    cells = CELLS.copy()
    cells[1] = [[5, 0], [0, 0]]  # privileged: never favoured, no positives
    cells[2] = 0  # an empty group
    v = group_values(cells, privileged=1)
    assert math.isnan(v["disparate_impact"][0])
    assert math.isnan(v["true_positive_rate"][1])
    assert math.isnan(v["equal_opportunity_difference"][0])
    assert math.isnan(v["selection_rate"][2])
    # The empty group is left out of the spread; two groups remain.
    assert float(v["demographic_parity_difference"]) == pytest.approx(0.5)
    assert float(v["demographic_parity_ratio"]) == 0.0
    # Equalized odds needs every present group's TPR.
    assert math.isnan(float(v["equalized_odds_difference"]))


def test_a_spread_needs_two_groups_with_rows():
    cells = CELLS.copy()
    cells[1:] = 0
    v = group_values(cells, privileged=0)
    assert math.isnan(float(v["demographic_parity_difference"]))


def test_theil_index_by_hand():
    # benefits: TN -> 1, FN -> 0, FP -> 2, TP -> 1
    benefits = np.repeat([1, 0, 2, 1] * 3, CELLS.reshape(-1).astype(int))
    mu = benefits.mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(benefits > 0, benefits / mu * np.log(benefits / mu), 0.0)
    assert theil_index(CELLS) == pytest.approx(terms.mean(), abs=1e-15)
    assert math.isnan(theil_index(np.zeros((1, 2, 2))))


def test_cell_counts_and_decision_counts():
    group = np.array([0, 0, 1, 2, 2, 2])
    pred = np.array([1, 0, 1, 0, 0, 1])
    label = np.array([1, 1, 0, 0, 1, 1])
    cells = cell_counts(group, pred, label, 3)
    assert cells[0].tolist() == [[0, 1], [0, 1]]
    assert cells[1].tolist() == [[0, 0], [1, 0]]
    assert cells[2].tolist() == [[1, 1], [0, 1]]
    assert cell_counts(group, pred, None, 3)[:, :, 1].sum() == 0
    counts = decision_counts(
        np.array([0, 0, 1, 1, 1]),
        np.array([1, 0, 1, 1, 0]),
        2,
        weights=np.array([1.0, 2.0, 1.0, 1.0, 3.0]),
    )
    assert counts.tolist() == [[2.0, 1.0], [3.0, 2.0]]


@pytest.mark.parametrize("variants", [2, 3, 8, 63, 64])
def test_pattern_counts_are_the_distinct_rows(variants):
    rng = np.random.default_rng(variants)
    decisions = rng.integers(0, 2, size=(500, variants)).astype(np.int8)
    decisions[:50] = decisions[0]  # a repeated pattern
    patterns, counts = pattern_counts(decisions)
    assert counts.sum() == 500
    rows, expected = np.unique(decisions, axis=0, return_counts=True)
    assert patterns.tolist() == rows.tolist()
    assert counts.tolist() == expected.tolist()


def test_group_rows_name_the_undefined_reason_and_small_cells():
    cells = CELLS.copy()
    cells[1] = [[5, 0], [0, 0]]
    grouping = Grouping("race", ("a", "b", "c"), 1)
    groups, metrics = group_metric_rows(
        "observed",
        grouping,
        cells,
        None,
        labels=True,
        confidence=0.95,
        min_cell_size=10,
    )
    assert [g["too_small"] for g in groups] == [False, True, False]
    di = [m for m in metrics if m["metric"] == "disparate_impact"]
    assert [m["group"] for m in di] == ["a", "c"]
    assert di[0]["undefined"] == (
        "disparate impact of race='a' on the observed population is undefined: the "
        "privileged group ('b') is never favoured."
    )
    eod = [m for m in metrics if m["metric"] == "equal_opportunity_difference"]
    assert eod[0]["undefined"] == (
        "equal opportunity difference of race='a' on the observed population is "
        "undefined: the privileged group ('b') has no favourable labels."
    )
    assert all(m["too_small"] for m in di)  # the privileged group has 5 rows
    spd = [m for m in metrics if m["metric"] == "statistical_parity_difference"]
    assert spd[0]["value"] == pytest.approx(0.5) and spd[0]["undefined"] is None


def test_bootstrap_replicates_give_intervals_around_the_value():
    rng = np.random.default_rng(0)
    total = int(CELLS.sum())
    reps = rng.multinomial(total, CELLS.ravel() / total, size=2000).reshape(
        (2000, *CELLS.shape)
    )
    grouping = Grouping("race", ("a", "b", "c"), 1)
    _, metrics = group_metric_rows(
        "observed",
        grouping,
        CELLS,
        reps,
        labels=True,
        confidence=0.9,
        min_cell_size=0,
    )
    for m in metrics:
        if np.isfinite(m["value"]) and m["metric"] != "equalized_odds_ratio":
            assert m["low"] <= m["value"] + 1e-12 <= m["high"] + 2e-12, m
    sel = next(m for m in metrics if m["metric"] == "selection_rate")
    # A 90% bootstrap interval of 5/10 is about +-0.26 wide.
    assert 0.15 < sel["high"] - sel["low"] < 0.7


def test_a_rate_is_too_small_by_its_own_denominator():
    """Issue found on Adult: 59 rows but 3 people with favourable labels. The TPR
    rests on 3 people; the selection rate on 59."""
    cells = np.array(
        [
            [[40, 2], [16, 1]],  # 59 rows, 3 positives
            [[30, 10], [20, 40]],  # the privileged group: 100 rows, 50 positives
        ],
        dtype=float,
    )
    grouping = Grouping("race", ("a", "b"), 1)
    groups, metrics = group_metric_rows(
        "observed",
        grouping,
        cells,
        None,
        labels=True,
        confidence=0.95,
        min_cell_size=30,
    )
    flags = {(m["metric"], m["group"]): m["too_small"] for m in metrics}
    assert flags[("selection_rate", "a")] is False
    assert flags[("disparate_impact", "a")] is False
    assert flags[("true_positive_rate", "a")] is True
    assert flags[("equal_opportunity_difference", "a")] is True
    assert flags[("average_odds_difference", "a")] is True
    assert flags[("precision", "a")] is True  # 17 favourable decisions
    assert flags[("false_positive_rate", "a")] is False  # 56 negatives
    assert flags[("equalized_odds_difference", None)] is True
    assert flags[("demographic_parity_difference", None)] is False
    assert [g["too_small"] for g in groups] == [False, False]
