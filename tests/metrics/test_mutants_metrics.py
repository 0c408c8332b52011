"""Metric details that the broader metric tests leave open (found by mutmut).

Each test pins one behaviour a one-line change in ``twinaudit.metrics`` would
break. Expected values are hand counts on small tables, or scipy/statsmodels on
the raw data, never the output of the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from twinaudit.metrics import (
    REGISTRY,
    Metric,
    benjamini_hochberg,
    cell_counts,
    decision_counts,
    mcnemar_exact,
    paired_counts,
    pattern_counts,
    percentile_interval,
    proportion_interval,
    wilson_interval,
)

# -- registry -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "a", "b", "expected"),
    [
        # higher is worse (demographic parity difference)
        ("demographic_parity_difference", 0.3, 0.1, True),
        ("demographic_parity_difference", 0.1, 0.3, False),
        ("demographic_parity_difference", 0.2, 0.2, False),
        # higher is worse means higher, not farther from parity
        ("demographic_parity_difference", -0.5, 0.1, False),
        # lower is worse (selection rate)
        ("selection_rate", 0.1, 0.3, True),
        ("selection_rate", 0.3, 0.1, False),
        ("selection_rate", 0.2, 0.2, False),
        # lower is worse, parity 1 (disparate impact)
        ("disparate_impact", 1.2, 0.9, False),
        # away from parity 0 (statistical parity difference)
        ("statistical_parity_difference", -0.3, 0.2, True),
        ("statistical_parity_difference", 0.1, -0.2, False),
    ],
)
def test_worse_follows_the_direction(name, a, b, expected):
    assert REGISTRY[name].worse(a, b) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [(0.5, 1.25, True), (1.25, 0.5, False), (0.75, 1.25, False), (1.5, 0.75, True)],
)
def test_worse_away_from_a_parity_other_than_zero(a, b, expected):
    # A ratio-like metric judged by its distance to 1: 0.5 is 0.5 away, 1.25 only
    # 0.25; 0.75 and 1.25 are equally far.
    metric = Metric(
        "ratio",
        "ratio",
        "a / b",
        parity=1.0,
        direction="away_from_parity_is_worse",
        scope="group",
        populations=("twins",),
    )
    assert metric.worse(a, b) is expected


def test_libraries_name_each_librarys_own_metric():
    assert dict(REGISTRY["true_positive_rate"].libraries) == {
        "aif360": "true_positive_rate",
        "fairlearn": "true_positive_rate",
    }
    assert dict(REGISTRY["disparate_impact"].libraries) == {
        "aif360": "disparate_impact"
    }
    assert dict(REGISTRY["flip_rate"].libraries) == {}
    assert math.isnan(REGISTRY["selection_rate"].parity)


# -- intervals and tests ------------------------------------------------------------


def wilson_by_hand(k: int, n: int, confidence: float) -> tuple[float, float]:
    z = norm.ppf(0.5 + confidence / 2)
    center = (k + z * z / 2) / (n + z * z)
    half = z / (n + z * z) * math.sqrt(k * (n - k) / n + z * z / 4)
    return center - half, center + half


@pytest.mark.parametrize(("k", "n", "confidence"), [(3, 10, 0.9), (7, 40, 0.99)])
def test_wilson_interval_by_the_formula(k, n, confidence):
    assert wilson_interval(k, n, confidence) == pytest.approx(
        wilson_by_hand(k, n, confidence), abs=1e-12
    )
    assert proportion_interval(k, n, confidence) == pytest.approx(
        wilson_by_hand(k, n, confidence), abs=1e-12
    )


def test_intervals_of_no_trials_are_nan():
    assert all(math.isnan(v) for v in wilson_interval(0, 0, 0.95))
    assert all(math.isnan(v) for v in proportion_interval(0, 0, 0.95))


def test_no_success_gives_the_exact_one_sided_bound():
    # -ln(0.05) / 50 = 2.9957 / 50 (the rule of three at 95%)
    assert proportion_interval(0, 50, 0.95) == (0.0, pytest.approx(0.059914645, 1e-8))
    # -ln(0.1) / 10 = 0.2303 at 90%
    assert proportion_interval(0, 10, 0.9) == (0.0, pytest.approx(0.230258509, 1e-8))
    # The bound is capped at 1: -ln(0.05) / 2 = 1.498
    assert proportion_interval(0, 2, 0.95) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("b", "c", "expected"),
    [
        (1, 5, 2 * (1 + 6) / 64),  # 2 P(X <= 1), X ~ Bin(6, 1/2)
        (5, 1, 2 * (1 + 6) / 64),
        (0, 6, 2 / 64),
        (3, 3, 1.0),  # 2 P(X <= 3) = 84/64, capped at 1
        (0, 1, 1.0),
        (0, 0, 1.0),
        (2, 9, 2 * (1 + 11 + 55) / 2048),
    ],
)
def test_mcnemar_exact_by_hand(b, c, expected):
    assert mcnemar_exact(b, c) == pytest.approx(expected, abs=1e-15)


def test_percentile_interval_by_hand():
    # Linear quantiles of 1..10: q(0.1) = 1 + 0.1 * 9, q(0.9) = 1 + 0.9 * 9.
    reps = np.arange(1.0, 11.0)
    low, high = percentile_interval(reps, 0.8)
    assert float(low) == pytest.approx(1.9)
    assert float(high) == pytest.approx(9.1)


def test_percentile_interval_leaves_out_undefined_replicates():
    column = np.arange(1.0, 11.0)
    four_bad = column.copy()
    four_bad[[0, 3, 5, 9]] = [np.nan, np.inf, -np.inf, np.nan]  # 6 left: 2,3,5,7,8,9
    five_bad = column.copy()
    five_bad[:5] = np.nan  # exactly half undefined
    six_bad = column.copy()
    six_bad[:6] = np.nan
    low, high = percentile_interval(
        np.column_stack([column, four_bad, five_bad, six_bad]), 0.5
    )
    # Quartiles of 2, 3, 5, 7, 8, 9: positions 1.25 and 3.75.
    assert low[1] == pytest.approx(3 + 0.25 * 2)
    assert high[1] == pytest.approx(7 + 0.75 * 1)
    assert low[0] == pytest.approx(1 + 0.25 * 9)
    assert math.isnan(low[2]) and math.isnan(high[2])
    assert math.isnan(low[3]) and math.isnan(high[3])


def test_benjamini_hochberg_by_hand():
    # Valid p sorted: 0.01, 0.03, 0.04, 0.5 (m = 4); p * m / rank, then the running
    # minimum from the largest: 0.5, 0.04*4/3, min(0.03*2, 0.0533), 0.01*4.
    adjusted = benjamini_hochberg([0.01, 0.04, 0.03, np.nan, 0.5])
    assert adjusted[[0, 1, 2, 4]] == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.5])
    assert math.isnan(adjusted[3])
    assert np.isnan(benjamini_hochberg([np.nan, np.nan])).all()
    assert benjamini_hochberg([]).shape == (0,)


# -- count tables -------------------------------------------------------------------


def test_decision_counts_keep_empty_groups_and_weights():
    counts = decision_counts(
        np.array([0, 2, 2, 0]),
        np.array([1, 0, 1, 1]),
        4,
        weights=np.array([0.5, 2.0, 3.0, 1.0]),
    )
    assert counts.tolist() == [[0.0, 1.5], [0.0, 0.0], [2.0, 3.0], [0.0, 0.0]]
    unweighted = decision_counts(np.array([1, 1, 1]), np.array([0, 1, 1]), 3)
    assert unweighted.tolist() == [[0, 0], [1, 2], [0, 0]]


def test_cell_counts_keep_empty_groups():
    cells = cell_counts(
        np.array([1, 1, 1]), np.array([0, 1, 1]), np.array([1, 1, 0]), 3
    )
    assert cells.tolist() == [
        [[0, 0], [0, 0]],
        [[0, 1], [1, 1]],
        [[0, 0], [0, 0]],
    ]
    unlabelled = cell_counts(np.array([0, 1]), np.array([1, 1]), None, 2)
    assert unlabelled.tolist() == [[[0, 0], [1, 0]], [[0, 0], [1, 0]]]


def test_paired_counts_by_hand():
    reference = np.array([1, 1, 0, 0, 1, 1])
    other = np.array([1, 0, 1, 0, 1, 0])
    # rows: reference favourable / unfavourable; columns: other likewise
    assert paired_counts(reference, other).tolist() == [[2, 2], [1, 1]]
    assert paired_counts(np.array([1]), np.array([1])).tolist() == [[1, 0], [0, 0]]
    assert paired_counts(np.array([0]), np.array([0])).tolist() == [[0, 0], [0, 1]]


@pytest.mark.parametrize("variants", [1, 3, 62, 63])
def test_pattern_counts_in_binary_order(variants):
    # Four profiles, three distinct rows: 0...01 twice, 1...0, 0...0.
    decisions = np.zeros((4, variants), dtype=np.int64)
    decisions[[0, 2], -1] = 1
    decisions[1, 0] = 1
    if variants == 1:
        decisions[1, 0] = 0  # one column: rows 0 and 2 are "1", rows 1 and 3 "0"
        expected_rows, expected_counts = [[0], [1]], [2, 2]
    else:
        low = [0] * variants
        last = [0] * (variants - 1) + [1]
        first = [1] + [0] * (variants - 1)
        expected_rows, expected_counts = [low, last, first], [1, 2, 1]
    patterns, counts = pattern_counts(decisions)
    assert patterns.dtype == np.int8 and counts.dtype == np.int64
    assert patterns.tolist() == expected_rows
    assert counts.tolist() == expected_counts


@pytest.mark.parametrize("variants", [2, 70])
def test_pattern_counts_of_no_profiles(variants):
    patterns, counts = pattern_counts(np.zeros((0, variants), dtype=np.int8))
    assert patterns.shape == (0, variants) and patterns.dtype == np.int8
    assert counts.shape == (0,) and counts.dtype == np.int64


def test_one_trial_without_success_gives_the_one_sided_bound():
    # -ln(1 - 0.5) / 1 = ln 2
    assert proportion_interval(0, 1, 0.5) == (0.0, pytest.approx(math.log(2), 1e-12))


def test_percentile_interval_reads_none_as_undefined_and_all_nan_quietly():
    # None is an undefined replicate, like nan: 3 of 4 are left (1, 2, 3).
    low, high = percentile_interval([1.0, None, 2.0, 3.0], 0.5)
    assert float(low) == pytest.approx(1.5) and float(high) == pytest.approx(2.5)
    # A statistic undefined in every replicate: nan, without a warning.
    low, high = percentile_interval(np.full((5, 2), np.nan), 0.9)
    assert np.isnan(low).all() and np.isnan(high).all()


def test_benjamini_hochberg_reads_none_as_missing():
    adjusted = benjamini_hochberg([0.02, None, 0.03])
    assert adjusted[[0, 2]] == pytest.approx([0.03, 0.03])
    assert math.isnan(adjusted[1])


def test_cell_counts_take_float_labels():
    cells = cell_counts(
        np.array([0, 0, 1]), np.array([1, 0, 1]), np.array([1.0, 0.0, 0.0]), 2
    )
    assert cells.tolist() == [[[1, 0], [0, 1]], [[0, 0], [1, 0]]]


@pytest.mark.parametrize("variants", [2, 63])
def test_pattern_counts_of_one_profile(variants):
    row = np.zeros((1, variants), dtype=np.int8)
    row[0, 0] = 1
    patterns, counts = pattern_counts(row)
    assert patterns.tolist() == row.tolist()
    assert counts.tolist() == [1]
