"""Accumulator details that the broader accumulator tests leave open (found by mutmut).

Each test pins one behaviour of ``twinaudit.metrics._accumulator`` that a one-line
change would break: the sketch's buckets (sign, zero, weights, the 1e-9 and 1e12
ends), the limits between kept gaps, distinct gaps and the sketch, the t interval,
the where sample's bottom-k choice and the error messages. Expected values are hand
counts, numpy/scipy on the raw gaps, a plain-Python splitmix64, or the sketch's
documented relative error, never the output of the code under test.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy.stats import sem
from scipy.stats import t as t_dist

import twinaudit.metrics._accumulator as acc_module
from twinaudit.metrics import AuditAccumulator, comparisons
from twinaudit.metrics._accumulator import (
    SKETCH_ACCURACY,
    WHERE_SAMPLE,
    GapSummary,
    ObservedChunk,
    _sketch_counts,
)

ITEMS = comparisons(["s"], [["M", "F"]], ["M"])


def summarize(gap, chunk):
    """``GapSummary`` of ``gap`` fed ``chunk`` profiles at a time."""
    summary = GapSummary()
    for start in range(0, len(gap), chunk):
        summary = summary.merge(GapSummary.of(gap[start : start + chunk], start))
    return summary


def stats_of(summary, bins=10):
    return summary.statistics(0.95, np.random.default_rng(0), 200, bins)


# -- the sketch ---------------------------------------------------------------------


def test_sketch_buckets_by_sign_with_gaps_below_1e_9_counted_as_zero():
    """The helper's contract: rows negative / zero (column 0) / positive, integer
    counts, weights added, ``|gap| < 1e-9`` is zero and ``1e-9`` itself is not."""
    values = np.array([1e-9, -1e-9, 9.99e-10, -9.99e-10, 0.0, 0.5, -0.5, 2.0])
    weights = np.array([1, 2, 3, 4, 5, 6, 7, 8], np.int64)
    out = _sketch_counts(values, weights)
    assert out.shape == (3, acc_module._SKETCH_SIZE)
    assert out.dtype == np.int64
    assert out[1, 0] == 3 + 4 + 5
    assert out[1, 1:].sum() == 0
    assert out[0].sum() == 2 + 7
    assert out[2].sum() == 1 + 6 + 8
    # without weights every value counts once
    once = _sketch_counts(values)
    assert once.dtype == np.int64
    assert once[1, 0] == 3
    assert once[0].sum() == 2
    assert once[2].sum() == 3


def test_sketch_bucket_of_a_gap_is_within_the_documented_accuracy():
    """Each nonzero gap lands in a bucket whose representative value is within
    SKETCH_ACCURACY of it (DDSketch: bucket i holds (gamma^(i-1), gamma^i])."""
    values = np.array([1e-9, 3e-7, 0.02, 0.5, 1.0, 7.5, 1e11])
    mid = acc_module._bucket_values()
    for sign in (1, -1):
        out = _sketch_counts(sign * values, np.ones(len(values), np.int64))
        row = out[2 if sign > 0 else 0]
        columns = np.flatnonzero(row)
        assert len(columns) == len(values)
        np.testing.assert_array_less(
            np.abs(mid[columns] - values) / values, SKETCH_ACCURACY * (1 + 1e-12)
        )


def sketched(monkeypatch, gap, chunk, distinct=3):
    monkeypatch.setattr(acc_module, "EXACT_GAPS", 10)
    monkeypatch.setattr(acc_module, "DISTINCT_GAPS", distinct)
    summary = summarize(gap, chunk)
    assert summary.sketch is not None and summary.distinct is None
    return summary


@pytest.mark.parametrize("chunk", [200, 30, 7])
def test_sketch_counts_repeated_gaps_by_their_weight(monkeypatch, chunk):
    """Past DISTINCT_GAPS the distinct gaps go into the sketch with their counts:
    30 profiles at 0.1 and one each at 0.2 .. 0.5 have median 0.1, p95 0.335."""
    gap = np.concatenate([np.full(30, 0.1), [0.2, 0.3, 0.4, 0.5]])
    gap = gap[np.random.default_rng(1).permutation(len(gap))]
    summary = sketched(monkeypatch, gap, chunk)
    assert summary.sketch.dtype == np.int64
    assert summary.sketch.shape == (3, acc_module._SKETCH_SIZE)
    assert int(summary.sketch.sum()) == len(gap)
    stats, hist, _ = stats_of(summary)
    median, p95 = np.median(gap), np.quantile(np.abs(gap), 0.95)
    assert median == 0.1
    assert abs(stats["median_score_gap"] - median) <= SKETCH_ACCURACY * median
    # numpy's linear rule by hand: position 0.95 * 33 = 31.35, sorted[31] = 0.3
    assert p95 == pytest.approx(0.3 + 0.35 * 0.1)
    # interpolating representatives each within SKETCH_ACCURACY of 0.3 and 0.4
    # stays within SKETCH_ACCURACY of the interpolated value
    assert abs(stats["p95_abs_score_gap"] - p95) <= SKETCH_ACCURACY * p95 * (1 + 1e-9)
    assert hist.sum() == len(gap)
    assert hist.dtype == np.int64


@pytest.mark.parametrize("chunk", [200, 30, 9])
def test_sketch_keeps_exact_zero_gaps_in_their_own_bucket(monkeypatch, chunk):
    """50 zero gaps, 25 positive and 15 negative: the median is exactly 0 (a zero
    gap's relative error is 0) and the histogram counts every profile."""
    gap = np.concatenate(
        [np.zeros(50), np.linspace(0.1, 1.0, 25), -np.linspace(0.2, 0.9, 15)]
    )
    gap = gap[np.random.default_rng(2).permutation(len(gap))]
    summary = sketched(monkeypatch, gap, chunk)
    assert summary.sketch[1, 0] == 50
    stats, hist, edges = stats_of(summary)
    assert np.median(gap) == 0.0
    assert stats["median_score_gap"] == 0.0
    assert hist.sum() == len(gap)
    # bins of width 0.19 from -0.9: [-0.14, 0.05) holds the 50 zeros and no other gap
    assert edges[4] == pytest.approx(-0.14) and edges[5] == pytest.approx(0.05)
    assert hist[4] == 50


def test_sketch_keeps_gaps_beyond_1e12_in_its_top_bucket(monkeypatch):
    """Gaps beyond the sketch's range (1e12) are counted in its last bucket, not
    lost: the median stays within the accuracy, the maximum is exact."""
    gap = np.concatenate([np.linspace(0.1, 1.0, 49), [3e13]])
    summary = sketched(monkeypatch, gap, 50)
    assert summary.sketch[2, -1] == 1
    stats, hist, _ = stats_of(summary)
    median = np.median(gap)
    assert abs(stats["median_score_gap"] - median) <= SKETCH_ACCURACY * median
    assert stats["max_abs_score_gap"] == 3e13
    assert hist.sum() == len(gap)


# -- one chunk's summary --------------------------------------------------------------


def test_summary_of_one_chunk_numbers_profiles_from_0_and_keeps_10():
    """``GapSummary.of`` without offset numbers the chunk's profiles from 0 and
    keeps the 10 largest |gap| (the documented default), largest first."""
    summary = GapSummary.of(np.array([0.1, -0.5, 0.3]))
    assert summary.top_pair.tolist() == [1, 2, 0]
    assert summary.top_gap.tolist() == [-0.5, 0.3, 0.1]
    # |gap| by position: .25 .1875 .125 .0625 0 .0625 .125 .1875 .25 .3125 .375 .4375
    # (ties go to the earlier profile)
    gap = np.arange(12) / 16 - 0.25
    summary = GapSummary.of(gap)
    assert summary.top_pair.tolist() == [11, 10, 9, 0, 8, 1, 7, 2, 6, 3]
    shifted = GapSummary.of(gap, offset=100)
    assert shifted.top_pair.tolist() == [100 + p for p in summary.top_pair.tolist()]


def test_summary_of_integer_gaps_holds_floats():
    """Integer gaps (a list of ints) are kept as float64, like every other gap."""
    summary = GapSummary.of([1, -2, 3])
    assert summary.gaps().dtype == np.float64
    assert summary.gaps().tolist() == [1.0, -2.0, 3.0]
    assert summary.top_gap.dtype == np.float64
    assert summary.top_gap.tolist() == [3.0, -2.0, 1.0]


@pytest.mark.parametrize("chunk", [5, 3, 1])
def test_every_gap_is_kept_up_to_exact_gaps_profiles(monkeypatch, chunk):
    """EXACT_GAPS = 5: five profiles keep every gap in pair order, the sixth turns
    them into distinct gaps with counts, in one chunk or by merges."""
    monkeypatch.setattr(acc_module, "EXACT_GAPS", 5)
    gap = np.array([0.5, -0.25, 0.125, 0.5, 0.0, -0.25])
    kept = summarize(gap[:5], chunk)
    assert kept.gaps().tolist() == gap[:5].tolist()
    assert kept.distinct is None and kept.sketch is None
    dropped = summarize(gap, chunk)
    assert dropped.gaps() is None
    values, counts = dropped.distinct
    assert values.tolist() == [-0.25, 0.0, 0.125, 0.5]
    assert counts.tolist() == [2, 1, 1, 2]


# -- kept gaps, distinct gaps, sketch -----------------------------------------------


@pytest.mark.parametrize(("n_distinct", "kind"), [(4, "distinct"), (5, "sketch")])
def test_distinct_gaps_are_kept_up_to_distinct_gaps_values(
    monkeypatch, n_distinct, kind
):
    """DISTINCT_GAPS = 4: four distinct gaps over 12 profiles stay exact, five go
    to the sketch, whether the limit is passed in one chunk or by a merge."""
    monkeypatch.setattr(acc_module, "EXACT_GAPS", 6)
    monkeypatch.setattr(acc_module, "DISTINCT_GAPS", 4)
    gap = np.resize(np.arange(n_distinct) / 8 - 0.125, 12)
    for chunk in (12, 5):
        summary = summarize(gap, chunk)
        assert summary.values is None
        assert (summary.distinct is not None) == (kind == "distinct")
        assert (summary.sketch is not None) == (kind == "sketch")
        if kind == "distinct":
            values, counts = summary.distinct
            expected_values, expected_counts = np.unique(gap, return_counts=True)
            np.testing.assert_array_equal(values, expected_values)
            np.testing.assert_array_equal(counts, expected_counts)
            assert counts.dtype == np.int64
            stats, hist, _ = stats_of(summary)
            assert stats["median_score_gap"] == np.median(gap)
            assert stats["p95_abs_score_gap"] == np.quantile(np.abs(gap), 0.95)
            np.testing.assert_array_equal(hist, np.histogram(gap, bins=10)[0])


@pytest.mark.parametrize("chunk", [160, 50, 7])
def test_beyond_exact_gaps_few_distinct_gaps_equal_the_whole_matrix_route(
    monkeypatch, chunk
):
    """Past EXACT_GAPS with one distinct gap per 20 profiles or fewer, the table
    (mean, bootstrap interval over the distinct gaps, median, p95, histogram)
    equals counterfactual_table's on the raw matrix, to the bit (eighths add up
    exactly), however the profiles are chunked."""
    from twinaudit.metrics import counterfactual_table

    monkeypatch.setattr(acc_module, "EXACT_GAPS", 30)
    rng = np.random.default_rng(9)
    gap = rng.choice(
        [-0.375, 0.0, 0.125, 0.5, 0.875], p=[0.2, 0.3, 0.1, 0.3, 0.1], size=160
    )
    scores = np.column_stack([np.full(160, 0.25), 0.25 + gap])
    decisions = (scores > 0.5).astype(np.int8)
    acc = AuditAccumulator(2, ITEMS, scores=True)
    for start in range(0, 160, chunk):
        part = AuditAccumulator(2, ITEMS, scores=True)
        part.update(
            decisions[start : start + chunk],
            scores[start : start + chunk],
            offset=start,
        )
        acc.merge(part)
    assert acc._gaps[0].distinct is not None
    table, hist = acc.counterfactual_table(n_boot=100, random_state=2, histogram_bins=7)
    expected, expected_hist = counterfactual_table(
        decisions, scores, ITEMS, n_boot=100, random_state=2, histogram_bins=7
    )
    pd.testing.assert_frame_equal(table, expected, check_exact=True)
    assert hist == expected_hist
    assert all(type(c) is int for c in hist[0]["counts"])
    assert table["score_gap_low"].iloc[0] < gap.mean() < table["score_gap_high"].iloc[0]


@pytest.mark.parametrize(("value", "n", "chunk"), [(0.375, 8, 3), (0.1, 7, 7)])
def test_beyond_exact_gaps_one_distinct_gap_is_a_point(monkeypatch, value, n, chunk):
    """Past EXACT_GAPS, every gap the same: mean, interval, median, p95 and maximum
    are all that gap, the histogram holds every profile. (Seven gaps of 0.1 in one
    chunk leave a rounding residue in the running sum of squares: no t interval.)"""
    monkeypatch.setattr(acc_module, "EXACT_GAPS", 3)
    summary = summarize(np.full(n, value), chunk)
    stats, hist, _ = stats_of(summary)
    assert stats == {
        "mean_score_gap": value,
        "score_gap_low": value,
        "score_gap_high": value,
        "median_score_gap": value,
        "p95_abs_score_gap": value,
        "max_abs_score_gap": value,
    }
    assert hist.sum() == n and hist.dtype == np.int64


@pytest.mark.parametrize(
    ("counts", "route"), [((20, 20), "bootstrap"), ((20, 19), "t")]
)
def test_beyond_exact_gaps_the_bootstrap_needs_20_profiles_per_distinct_gap(
    monkeypatch, counts, route
):
    """Two distinct gaps past EXACT_GAPS: 40 profiles (20 per gap) get the
    multinomial bootstrap of the whole-matrix route, 39 the t interval (scipy)."""
    from twinaudit.metrics import counterfactual_table

    monkeypatch.setattr(acc_module, "EXACT_GAPS", 10)
    gap = np.repeat([-0.25, 0.5], counts)
    gap = gap[np.random.default_rng(4).permutation(len(gap))]
    scores = np.column_stack([np.zeros(len(gap)), gap])
    decisions = (scores > 0).astype(np.int8)
    acc = AuditAccumulator(2, ITEMS, scores=True)
    for start in range(0, len(gap), 9):
        part = AuditAccumulator(2, ITEMS, scores=True)
        part.update(
            decisions[start : start + 9], scores[start : start + 9], offset=start
        )
        acc.merge(part)
    table, _ = acc.counterfactual_table(n_boot=100, random_state=1)
    low, high = table["score_gap_low"].iloc[0], table["score_gap_high"].iloc[0]
    if route == "bootstrap":
        expected, _ = counterfactual_table(
            decisions, scores, ITEMS, n_boot=100, random_state=1
        )
        assert (low, high) == (
            expected["score_gap_low"].iloc[0],
            expected["score_gap_high"].iloc[0],
        )
    else:
        t_low, t_high = t_dist.interval(
            0.95, len(gap) - 1, loc=gap.mean(), scale=sem(gap)
        )
        assert low == pytest.approx(t_low, rel=1e-12)
        assert high == pytest.approx(t_high, rel=1e-12)


def test_sketch_histogram_spans_the_exact_extremes(monkeypatch):
    """The sketch's histogram bins span the exact smallest and largest gap (as
    np.histogram's on every gap), and the maximum |gap| is the exact one."""
    gap = np.random.default_rng(12).normal(-0.2, 0.3, 300)
    summary = sketched(monkeypatch, gap, 100, distinct=50)
    stats, hist, edges = stats_of(summary, bins=8)
    np.testing.assert_array_equal(edges, np.histogram(gap, bins=8)[1])
    assert hist.sum() == 300
    assert stats["max_abs_score_gap"] == np.abs(gap).max()


def test_distinct_counts_of_one_chunk_are_integers(monkeypatch):
    """One chunk past EXACT_GAPS keeps its distinct gaps with int64 counts."""
    monkeypatch.setattr(acc_module, "EXACT_GAPS", 5)
    gap = np.array([0.5, -0.25, 0.5, 0.5, 0.0, -0.25, 0.5])
    summary = GapSummary.of(gap)
    values, counts = summary.distinct
    assert values.tolist() == [-0.25, 0.0, 0.5]
    assert counts.tolist() == [2, 1, 4]
    assert counts.dtype == np.int64


def test_an_empty_summary_has_no_distinct_gaps_and_an_empty_sketch():
    """The empty summary (the merge's identity) reads as no gaps at all: no kept
    gaps, no distinct gaps, and a sketch that counts nothing."""
    gaps = GapSummary().gaps()
    assert gaps.shape == (0,) and gaps.dtype == np.float64
    values, counts = GapSummary()._distinct()
    assert len(values) == 0 and len(counts) == 0
    assert counts.dtype == np.int64
    sketch = GapSummary()._sketch()
    assert sketch.shape == (3, acc_module._SKETCH_SIZE)
    assert int(sketch.sum()) == 0


# -- decision patterns ----------------------------------------------------------------


def test_seventy_variants_count_patterns_by_row():
    """2 x 5 x 7 = 70 variants (far beyond a dense table of 2**70 cells): the
    patterns and their counts equal pattern_counts on the raw matrix."""
    from twinaudit.metrics import pattern_counts

    values = [[0, 1], list(range(5)), list(range(7))]
    items = comparisons(["a", "b", "c"], values, [0, 0, 0])
    rng = np.random.default_rng(3)
    decisions = (rng.random((40, 70)) < 0.97).astype(np.int8)
    decisions[::4] = 1
    acc = AuditAccumulator(70, items, scores=False)
    acc.update(decisions[:25])
    other = AuditAccumulator(70, items, scores=False)
    other.update(decisions[25:], offset=25)
    patterns, counts = acc.merge(other).pattern_table()
    expected = pattern_counts(decisions)
    np.testing.assert_array_equal(patterns, expected[0])
    np.testing.assert_array_equal(counts, expected[1])
    assert counts.dtype == np.int64 and patterns.dtype == np.int8
    # the all-ones pattern sorts last: every fourth row, and the few others
    assert counts[-1] == (decisions == 1).all(axis=1).sum() >= 10


# -- quantiles of counted values ----------------------------------------------------


def test_weighted_quantile_is_numpys_quantile_of_the_expanded_sample():
    """``_weighted_quantile`` promises numpy's default (linear) quantile of the
    sample holding ``values[i]`` ``counts[i]`` times, to the last bit: the medians
    and p95s of the distinct gaps and of the sketch rest on it."""
    rng = np.random.default_rng(6)
    # a pair whose midpoint numpy's lerp rounds differently from low + diff / 2
    cases = [(np.array([-6.651946734866136, 1.3664634705496859]), np.array([1, 1]))]
    cases.append((np.array([0.25]), np.array([3])))
    for _ in range(300):
        k = int(rng.integers(1, 7))
        values = np.sort(rng.standard_normal(k) * 10.0 ** rng.integers(-3, 4, k))
        cases.append((values, rng.integers(1, 5, k)))
    qs = [0.0, 0.05, 0.3, 0.5, 0.95, 0.99, 1.0]
    for values, counts in cases:
        expanded = np.repeat(values, counts)
        for q in qs:
            got = acc_module._weighted_quantile(values, counts, q)
            assert got == np.quantile(expanded, q), (values, counts, q)


@pytest.mark.parametrize(
    ("gap", "median", "p95"),  # median and p95 of |gap| by hand on the sorted gaps
    [
        (np.full(40, 0.25), 0.25, 0.25),
        (np.repeat([-1.0, 1.0], 20), 0.0, 1.0),  # std exactly 1
        (np.repeat([0.5, -0.25, 0.75], [30, 25, 25]), 0.5, 0.75),
    ],
)
def test_few_distinct_gaps_equal_the_whole_matrix_route(gap, median, p95):
    """40+ profiles with at most one distinct gap per 20 profiles (the shortcut
    over distinct values): the row and histogram equal counterfactual_table's on
    the raw matrix, and the median and p95 of |gap| are the hand-counted ones."""
    from twinaudit.metrics import counterfactual_table

    scores = np.column_stack([np.zeros(len(gap)), gap])
    decisions = (scores > 0).astype(np.int8)
    acc = AuditAccumulator(2, ITEMS, scores=True)
    acc.update(decisions, scores)
    table, hist = acc.counterfactual_table(n_boot=200, random_state=4)
    expected, expected_hist = counterfactual_table(
        decisions, scores, ITEMS, n_boot=200, random_state=4
    )
    pd.testing.assert_frame_equal(table, expected, check_exact=True)
    assert hist == expected_hist
    # counts are integers (JSON 20, not 20.0), as np.histogram's unweighted ones
    assert all(type(c) is int for c in hist[0]["counts"])
    row = table.iloc[0]
    assert row["median_score_gap"] == median
    assert row["p95_abs_score_gap"] == p95
    if gap.std() == 0:
        assert row["score_gap_low"] == row["score_gap_high"] == 0.25
    else:
        assert row["score_gap_low"] < gap.mean() < row["score_gap_high"]


# -- the t interval ------------------------------------------------------------------


@pytest.mark.parametrize(
    "gap",
    [
        np.array([0.25, -0.5]),  # two profiles: one degree of freedom
        np.array([0.5, -0.5, 0.5, -0.5]),  # sum of squared deviations exactly 1
        np.array([0.75, 0.25, 0.75]),
    ],
)
def test_t_interval_of_few_profiles_with_many_distinct_gaps(monkeypatch, gap):
    """Past EXACT_GAPS with more than one distinct gap per 20 profiles the
    interval of the mean is Student's t (scipy on the raw gaps)."""
    monkeypatch.setattr(acc_module, "EXACT_GAPS", 1)
    summary = summarize(gap, 1)
    assert summary.distinct is not None
    stats, _, _ = stats_of(summary)
    low, high = t_dist.interval(0.95, len(gap) - 1, loc=gap.mean(), scale=sem(gap))
    assert stats["score_gap_low"] == pytest.approx(low, rel=1e-12)
    assert stats["score_gap_high"] == pytest.approx(high, rel=1e-12)
    assert low < gap.mean() < high


# -- largest gaps ---------------------------------------------------------------------


def test_largest_gaps_keep_their_features_when_chunks_come_out_of_order():
    """Chunks fed at explicit offsets, the later profiles first: each of the
    largest gaps still carries its own profile's features (hand-picked gaps)."""
    gap = np.array([0.1, -0.9, 0.3, 0.2, 0.0, 0.8, -0.05, 0.7, 0.6, 0.4])
    scores = np.column_stack([np.zeros(10), gap])
    decisions = (scores > 0.5).astype(np.int8)
    frame = pd.DataFrame({"f": np.arange(10).repeat(2) * 10 + 1})
    acc = AuditAccumulator(2, ITEMS, scores=True, where_columns=["f"], top=3)
    for start, stop in ((5, 10), (0, 5)):
        acc.update(
            decisions[start:stop],
            scores[start:stop],
            offset=start,
            frame=frame.iloc[2 * start : 2 * stop],
        )
    largest = acc.largest_gaps()
    assert [g["pair"] for g in largest] == [1, 5, 7]  # |gap| 0.9, 0.8, 0.7
    assert [g["score_gap"] for g in largest] == [-0.9, 0.8, 0.7]
    assert [g["features"] for g in largest] == [{"f": 11}, {"f": 51}, {"f": 71}]


def test_largest_gaps_without_a_frame_have_no_features():
    """Chunks fed without their twins' frame: the largest gaps are still listed,
    with empty features."""
    gap = np.array([0.2, -0.6, 0.4])
    scores = np.column_stack([np.zeros(3), gap])
    acc = AuditAccumulator(2, ITEMS, scores=True, where_columns=["f"], top=2)
    acc.update(np.zeros((3, 2), np.int8), scores)
    largest = acc.largest_gaps()
    assert [(g["pair"], g["score_gap"]) for g in largest] == [(1, -0.6), (2, 0.4)]
    assert [g["features"] for g in largest] == [{}, {}]


# -- where the bias lives -------------------------------------------------------------


def splitmix64(position, seed):
    """The documented seeded splitmix64 hash, in plain Python integers."""
    mask = 2**64 - 1
    z = (position + 0x9E3779B97F4A7C15 * (seed + 1)) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return z ^ (z >> 31)


@pytest.mark.parametrize(
    ("size", "n", "seed", "chunk"),
    [(25, 70, 3, 70), (100, 200, 3, 200), (24, 70, 0, 70), (20, 90, None, 13)],
)
def test_where_sample_is_the_bottom_k_of_the_hash(size, n, seed, chunk):
    """The where sample is the ``size`` positions of smallest hash (seed 0 by
    default), in order, with the features of those profiles only (a fresh
    index, no extra column). (25, 70) and (100, 200) are where the
    pre-selection's fraction 1.2 k / n + 8 sqrt(k) / n is exactly 1."""
    rng = np.random.default_rng(0)
    decisions = (rng.random((n, 2)) < 0.5).astype(np.int8)
    frame = pd.DataFrame({"f": np.arange(n).repeat(2) * 10, "g": 1.5})
    seeded = {} if seed is None else {"random_state": seed}
    acc = AuditAccumulator(
        2, ITEMS, scores=False, where_columns=["f"], where_sample=size, **seeded
    )
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        acc.update(decisions[start:stop], frame=frame.iloc[2 * start : 2 * stop])
    profiles, flipped, pairs = acc.where_sample()
    hashed = sorted(range(n), key=lambda p: splitmix64(p, seed or 0))
    expected = sorted(hashed[:size])
    assert pairs.tolist() == expected
    assert list(profiles.columns) == ["f"]
    assert profiles.index.equals(pd.RangeIndex(size))
    assert profiles["f"].tolist() == [10 * p for p in expected]
    np.testing.assert_array_equal(
        flipped, decisions[expected, 0] != decisions[expected, 1]
    )


# -- empty and degenerate audits -------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "values"),
    [
        (["s"], [["a", "b", "c"]]),  # 3 variants: the dense pattern table
        (["a", "b", "c"], [[0, 1], [0, 1, 2], [0, 1, 2]]),  # 18: the sparse one
    ],
)
def test_an_empty_accumulator_reads_as_no_pairs(names, values):
    """No profile fed: no patterns, no flips, every row undefined with "there are
    no pairs", as the whole-matrix functions say of an empty matrix."""
    from twinaudit.metrics import cochran_table, counterfactual_table

    items = comparisons(names, values, [v[0] for v in values])
    m = math.prod(len(v) for v in values)
    acc = AuditAccumulator(m, items, scores=True)
    patterns, counts = acc.pattern_table()
    assert patterns.shape == (0, m) and patterns.dtype == np.int8
    assert counts.shape == (0,) and counts.dtype == np.int64
    assert acc.flipped() == 0
    assert acc.where_sample() is None and acc.observed_rows() is None
    assert acc.observed_cells() is None
    assert acc.largest_gaps() == []
    empty = np.zeros((0, m), np.int8)
    table, hist = acc.counterfactual_table(min_cell_size=1)
    expected, _ = counterfactual_table(empty, None, items, min_cell_size=1)
    pd.testing.assert_frame_equal(table, expected, check_exact=True)
    assert hist == []
    assert (table["undefined"] == "there are no pairs").all()
    assert table["too_small"].all() and (table["profiles"] == 0).all()
    cochran = acc.cochran_table(names, values)
    pd.testing.assert_frame_equal(cochran, cochran_table(empty, names, values))
    assert len(cochran) == sum(
        math.prod(len(w) for j, w in enumerate(values) if j != i)
        for i, v in enumerate(values)
        if len(v) >= 3
    )
    assert (cochran["undefined"] == "there are no pairs").all()


def test_counterfactual_table_defaults_are_the_whole_matrix_functions():
    """Called without options, the accumulator's table uses the documented
    defaults (confidence 0.95, no minimum cell, 1000 resamples, seed 0, 20 bins)
    exactly as counterfactual_table on the raw matrix does."""
    from twinaudit.metrics import counterfactual_table

    rng = np.random.default_rng(7)
    scores = rng.random((30, 2))
    decisions = (scores > 0.5).astype(np.int8)
    acc = AuditAccumulator(2, ITEMS, scores=True)
    acc.update(decisions, scores)
    table, hist = acc.counterfactual_table()
    expected, expected_hist = counterfactual_table(decisions, scores, ITEMS)
    pd.testing.assert_frame_equal(table, expected, check_exact=True)
    assert hist == expected_hist
    assert len(hist[0]["counts"]) == 20
    empty, _ = AuditAccumulator(2, ITEMS, scores=True).counterfactual_table()
    assert empty["too_small"].tolist() == [False]


@pytest.mark.parametrize("pattern", [[1, 0], [0, 1], [1, 1]])
def test_flipped_counts_profiles_of_a_single_pattern(pattern):
    """Every profile shows the same pattern: all flip, or none does."""
    acc = AuditAccumulator(2, ITEMS, scores=False)
    acc.update(np.array([pattern] * 3, np.int8))
    assert acc.flipped() == (3 if pattern[0] != pattern[1] else 0)


def test_cochran_q_is_undefined_when_every_profile_agrees_with_itself():
    """Every profile gets one decision for all three values (some 1, some 0):
    Q has no variance, as statsmodels' formula gives 0 / 0."""
    from twinaudit.metrics import cochran_table

    names, values = ["s"], [["a", "b", "c"]]
    decisions = np.repeat(np.array([[1], [0], [1], [1]], np.int8), 3, axis=1)
    acc = AuditAccumulator(3, comparisons(names, values, ["a"]), scores=False)
    acc.update(decisions)
    table = acc.cochran_table(names, values)
    pd.testing.assert_frame_equal(table, cochran_table(decisions, names, values))
    assert table["undefined"].tolist() == [
        "every profile gets the same decision for all values of s, so Cochran's Q "
        "has no variance to test"
    ]
    assert np.isnan(table["cochran_q"].iloc[0]) and table["profiles"].iloc[0] == 4


@pytest.mark.parametrize(("min_cell_size", "too_small"), [(4, False), (5, True)])
def test_too_small_below_min_cell_size(min_cell_size, too_small):
    acc = AuditAccumulator(2, ITEMS, scores=False)
    acc.update(np.array([[1, 0], [1, 1], [0, 0], [0, 1]], np.int8))
    table, _ = acc.counterfactual_table(min_cell_size=min_cell_size)
    assert table["too_small"].tolist() == [too_small]
    # hand count: one profile favours the reference, one the group
    row = table.iloc[0]
    assert (row["flips"], row["favours_reference"], row["favours_group"]) == (2, 1, 1)


# -- observed rows -------------------------------------------------------------------


def observed_chunk(rng, n, labels=True):
    return ObservedChunk(
        codes=(rng.integers(0, 2, n), rng.integers(0, 3, n)),
        y_pred=rng.integers(0, 2, n),
        y_true=rng.integers(0, 2, n) if labels else None,
        theil_codes=rng.integers(0, 2, n),
    )


def hand_cells(codes, y_pred, y_true, groups):
    cells = [[[0, 0], [0, 0]] for _ in range(groups)]
    for g, d, y in zip(codes, y_pred, y_true, strict=True):
        cells[g][d][y] += 1
    return cells


@pytest.mark.parametrize("labels", [True, False])
def test_observed_cells_and_rows_add_up_over_chunks_and_merges(labels):
    """Factual rows fed in chunks, some merged from another accumulator: the
    (group, decision, label) cells are the hand counts over all rows (label 0
    without labels), int64, and the rows are kept in order (with labels only)."""
    rng = np.random.default_rng(5)
    chunks = [observed_chunk(rng, n, labels) for n in (7, 5, 9)]

    def fresh():
        return AuditAccumulator(
            2, ITEMS, scores=False, observed_groups=[2, 3], labels=labels
        )

    acc, other = fresh(), fresh()
    assert acc.labels is labels
    acc.update(np.zeros((2, 2), np.int8), observed=chunks[0])
    acc.update(np.zeros((2, 2), np.int8), observed=chunks[1])
    other.update(np.zeros((3, 2), np.int8), offset=4, observed=chunks[2])
    acc.merge(other)
    cells = acc.observed_cells()
    for k, groups in enumerate((2, 3)):
        codes = np.concatenate([c.codes[k] for c in chunks])
        y_pred = np.concatenate([c.y_pred for c in chunks])
        y_true = (
            np.concatenate([c.y_true for c in chunks])
            if labels
            else np.zeros(len(codes), int)
        )
        assert cells[k].dtype == np.int64
        assert cells[k].tolist() == hand_cells(codes, y_pred, y_true, groups)
    rows = acc.observed_rows()
    if not labels:
        assert rows is None
    else:
        for got, part in zip(rows, ("theil_codes", "y_pred", "y_true"), strict=True):
            expected = np.concatenate([getattr(c, part) for c in chunks])
            np.testing.assert_array_equal(got, expected)
    # the copies handed out do not write back
    cells[0][0, 0, 0] += 100
    assert acc.observed_cells()[0][0, 0, 0] == cells[0][0, 0, 0] - 100


def test_observed_rows_must_match_the_accumulator():
    with_rows = AuditAccumulator(2, ITEMS, scores=False, observed_groups=[2, 3])
    without = AuditAccumulator(2, ITEMS, scores=False)
    message = (
        "^"
        + re.escape("observed rows must be given exactly for twins of real rows.")
        + "$"
    )
    with pytest.raises(ValueError, match=message):
        with_rows.update(np.zeros((2, 2), np.int8))
    chunk = observed_chunk(np.random.default_rng(0), 2)
    with pytest.raises(ValueError, match=message):
        without.update(np.zeros((2, 2), np.int8), observed=chunk)
    other = AuditAccumulator(2, ITEMS, scores=False, observed_groups=[2, 4])
    with pytest.raises(ValueError, match=r"^Only accumulators of the same audit"):
        with_rows.merge(other)


def test_accumulator_defaults():
    """Documented defaults: WHERE_SAMPLE profiles for the where view, 10 largest
    gaps, no observed rows, no labels."""
    acc = AuditAccumulator(2, ITEMS, scores=True)
    assert acc.where_size == WHERE_SAMPLE == 100_000
    assert acc.top == 10
    assert acc.observed_groups is None and acc.labels is False
    assert acc.n_profiles == 0
    assert AuditAccumulator(2, ITEMS, scores=True, where_sample=7).where_size == 7


# -- errors ----------------------------------------------------------------------------


def test_merge_refuses_another_audit_with_the_exact_message():
    a = AuditAccumulator(2, ITEMS, scores=False)
    b = AuditAccumulator(2, ITEMS, scores=True)
    with pytest.raises(
        ValueError,
        match="^"
        + re.escape("Only accumulators of the same audit can be merged.")
        + "$",
    ):
        a.merge(b)


def test_update_refuses_wrong_shapes_and_scores_with_the_exact_message():
    acc = AuditAccumulator(2, ITEMS, scores=False)
    with pytest.raises(
        ValueError,
        match="^"
        + re.escape("decisions must have shape (profiles, 2). Got (3, 3).")
        + "$",
    ):
        acc.update(np.zeros((3, 3), np.int8))
    with pytest.raises(
        ValueError,
        match="^"
        + re.escape("decisions must have shape (profiles, 2). Got (4,).")
        + "$",
    ):
        acc.update(np.zeros(4, np.int8))
    with pytest.raises(
        ValueError,
        match="^"
        + re.escape(
            "scores must be given exactly when the accumulator has scores "
            "(scores=False)."
        )
        + "$",
    ):
        acc.update(np.zeros((3, 2), np.int8), np.zeros((3, 2)))
    scored = AuditAccumulator(2, ITEMS, scores=True)
    with pytest.raises(ValueError, match=re.escape("(scores=True).") + "$"):
        scored.update(np.zeros((3, 2), np.int8))
    assert acc.n_profiles == 0 and scored.n_profiles == 0


def test_when_every_gap_is_kept_ties_stay_in_position_order():
    # 51 values, top 60 >= n: largest first, ties by position (3s, then 2s, then 1s)
    size = np.tile([3.0, 1.0, 2.0], 17)
    expected = [*range(0, 51, 3), *range(2, 51, 3), *range(1, 51, 3)]
    assert acc_module._largest(size, 60).tolist() == expected


def test_merged_distinct_gaps_beyond_the_limit_become_a_sketch(monkeypatch):
    # Each side keeps 3 distinct gaps (values dropped beyond 4 gaps); together 6,
    # beyond the limit of 5: the merge keeps a sketch and no distinct gaps.
    monkeypatch.setattr(acc_module, "EXACT_GAPS", 4)
    monkeypatch.setattr(acc_module, "DISTINCT_GAPS", 5)
    left = GapSummary.of(np.array([0.1, 0.1, 0.2, 0.3, 0.3]))
    right = GapSummary.of(np.array([0.4, 0.5, 0.5, 0.6, 0.6]), offset=5)
    assert left.values is None and left.distinct is not None
    merged = left.merge(right)
    assert merged.distinct is None and merged.sketch is not None
    assert merged.sketch.sum() == 10
    stats, counts, _ = merged.statistics(0.95, np.random.default_rng(0), 0, 4)
    assert counts.sum() == 10
    assert stats["mean_score_gap"] == pytest.approx(0.36)


def test_value_counts_of_one_accumulator_fed_chunk_after_chunk(monkeypatch):
    """Three chunks into one accumulator (no merge): a feature with few values is
    counted over every profile; one past EXACT_VALUES is dropped and stays so."""
    monkeypatch.setattr(acc_module, "EXACT_VALUES", 5)
    rng = np.random.default_rng(4)
    n = 60
    few = rng.choice(["a", "b", "c"], n)
    many = np.arange(n) % 7  # seven values: past EXACT_VALUES in the first chunk
    decisions = rng.integers(0, 2, (n, 2)).astype(np.int8)
    rows = pd.DataFrame({"few": np.repeat(few, 2), "many": np.repeat(many, 2)})
    acc = AuditAccumulator(2, ITEMS, scores=False, where_columns=["few", "many"])
    for start in (0, 25, 41):
        stop = {0: 25, 25: 41, 41: n}[start]
        acc.update(
            decisions[start:stop],
            frame=rows.iloc[2 * start : 2 * stop].reset_index(drop=True),
        )
    counts = acc.value_counts()
    assert set(counts) == {"few"}
    flipped = decisions[:, 0] != decisions[:, 1]
    expected = {v: (int((few == v).sum()), int(flipped[few == v].sum())) for v in "abc"}
    got = {
        v: (int(p), int(f))
        for v, p, f in zip(
            counts["few"].values,
            counts["few"].profiles,
            counts["few"].flips,
            strict=True,
        )
    }
    assert got == expected


@pytest.mark.parametrize("m", [2, 8, 9, 16, 18])
def test_patterns_of_one_accumulator_fed_chunk_after_chunk_equal_a_count_by_row(m):
    """Three chunks into one accumulator (no merge): the pattern table equals a
    Counter of the rows. 9 and 16 variants have codes past a byte (the dense
    table), 18 the sparse one."""
    from collections import Counter

    rng = np.random.default_rng(m)
    n = 300
    decisions = (rng.random((n, m)) < 0.5).astype(np.int8)
    decisions[:40] = decisions[0]  # a pattern seen in two chunks
    items = comparisons(["s"], [list(range(m))], [0])
    acc = AuditAccumulator(m, items, scores=False)
    for start, stop in ((0, 30), (30, 170), (170, n)):
        acc.update(decisions[start:stop])
    patterns, counts = acc.pattern_table()
    expected = sorted(Counter(map(tuple, decisions.tolist())).items())
    assert [tuple(p) for p in patterns.tolist()] == [p for p, _ in expected]
    assert counts.tolist() == [c for _, c in expected]


@pytest.mark.parametrize("seed", [0, 5])
def test_the_where_priority_is_splitmix64_bit_for_bit(seed):
    """The documented hash itself, not only the order of its smallest values (a
    change in its low bits keeps that order)."""
    positions = np.array([0, 1, 2, 3, 1000, 2**40 + 7, 2**63 - 1], dtype=np.int64)
    got = acc_module._priority(positions, seed)
    assert got.dtype == np.uint64
    assert [int(v) for v in got] == [splitmix64(int(p), seed) for p in positions]
