"""The audit accumulator: merged chunks equal one pass, and one pass equals the
statistics computed on the whole decision matrix by the functions of
``_counterfactual`` (the other route: per-profile votes on the raw matrix, Cochran's
Q by statsmodels)."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import t as t_dist

import twinaudit.metrics._accumulator as acc_module
from twinaudit.metrics import (
    AuditAccumulator,
    any_flip,
    cochran_table,
    comparisons,
    counterfactual_table,
    pattern_counts,
)
from twinaudit.metrics._accumulator import (
    SKETCH_ACCURACY,
    GapSummary,
    _largest,
    _priority,
    _smallest,
)

SHAPES = {  # attribute values (privileged first or not) of one or two attributes
    "2": ([["M", "F"]], ["M"]),
    "3-last": ([["a", "b", "c"]], ["c"]),
    "2x3": ([["M", "F"], ["x", "y", "z"]], ["F", "y"]),
    "4": ([[1, 2, 3, 4]], [2]),
}


def layout(shape):
    values, privileged = SHAPES[shape]
    names = [f"p{i}" for i in range(len(values))]
    items = comparisons(names, values, privileged)
    return names, values, items, math.prod(len(v) for v in values)


@st.composite
def audits(draw):
    """A decision matrix (with structure: profiles share a few patterns), scores
    (few distinct values, or continuous), and a chunking."""
    shape = draw(st.sampled_from(sorted(SHAPES)))
    names, values, items, m = layout(shape)
    n = draw(st.integers(1, 400))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    bias = rng.random(m)
    decisions = (rng.random((n, m)) < bias).astype(np.int8)
    if draw(st.booleans()):  # tree-like: few distinct scores
        scores = rng.integers(0, 5, size=(n, m)) / 4
    else:
        scores = rng.random((n, m))
    cuts = draw(st.lists(st.integers(1, max(1, n - 1)), max_size=6))
    edges = sorted({0, n, *(c for c in cuts if c < n)})
    return names, values, items, decisions, scores, list(itertools.pairwise(edges))


def fed(items, m, decisions, scores, ranges, *, merge_tree=False):
    """One accumulator per range, merged in order (pairwise, as a tree, when
    ``merge_tree``)."""
    parts = []
    for start, stop in ranges:
        a = AuditAccumulator(m, items, scores=scores is not None, where_columns=["f"])
        a.update(
            decisions[start:stop],
            None if scores is None else scores[start:stop],
            offset=start,
            frame=pd.DataFrame({"f": np.arange(start, stop).repeat(m)}),
        )
        parts.append(a)
    while len(parts) > 1:
        if merge_tree:
            parts = [
                parts[i].merge(parts[i + 1]) if i + 1 < len(parts) else parts[i]
                for i in range(0, len(parts), 2)
            ]
        else:
            parts = [parts[0].merge(parts[1]), *parts[2:]]
    return parts[0]


@settings(max_examples=25, deadline=None)
@given(audits(), st.booleans())
def test_merged_chunks_equal_one_pass_and_the_whole_matrix(case, tree):
    names, values, items, decisions, scores, ranges = case
    m = decisions.shape[1]
    one = fed(items, m, decisions, scores, [(0, len(decisions))])
    merged = fed(items, m, decisions, scores, ranges, merge_tree=tree)
    # decision patterns: exact, and as pattern_counts reads the whole matrix
    for a in (one, merged):
        patterns, counts = a.pattern_table()
        expected = pattern_counts(decisions)
        np.testing.assert_array_equal(patterns, expected[0])
        np.testing.assert_array_equal(counts, expected[1])
        assert a.flipped() == any_flip(decisions)[0]
        assert a.n_profiles == len(decisions)
    # paired statistics against the per-profile computation on the raw matrix
    expected_table, expected_hist = counterfactual_table(
        decisions, scores, items, n_boot=50, random_state=3
    )
    for a in (one, merged):
        table, hist = a.counterfactual_table(n_boot=50, random_state=3)
        pd.testing.assert_frame_equal(table, expected_table, check_exact=True)
        assert hist == expected_hist
        cochran = a.cochran_table(names, values)
        reference = cochran_table(decisions, names, values)
        pd.testing.assert_frame_equal(
            cochran.drop(columns=["cochran_q", "p_value"]),
            reference.drop(columns=["cochran_q", "p_value"]),
        )
        for column, rtol in (("cochran_q", 1e-12), ("p_value", 1e-9)):
            np.testing.assert_allclose(
                cochran[column].to_numpy(float),
                reference[column].to_numpy(float),
                rtol=rtol,
                equal_nan=True,
            )
    # largest gaps: over all profiles, ties to the first profile
    for k, item in enumerate(items):
        ref = scores[:, [a for a, _ in item.columns]]
        grp = scores[:, [b for _, b in item.columns]]
        gap = (grp - ref).mean(axis=1)
        top = np.argsort(-np.abs(gap), kind="stable")[:10]
        got = [g for g in merged.largest_gaps() if g["group"] == item.group]
        got = [g for g in got if g["attribute"] == item.attribute]
        assert [g["pair"] for g in got] == top.tolist()
        assert [g["features"] for g in got] == [{"f": int(p)} for p in top]
        assert k < len(items)


def test_beyond_the_exact_limit_distinct_gaps_stay_exact(monkeypatch):
    """Past EXACT_GAPS profiles only the distinct gaps are kept: the median, the
    p95 of |gap|, the histogram and the mean still equal numpy on every gap."""
    monkeypatch.setattr(acc_module, "EXACT_GAPS", 500)
    rng = np.random.default_rng(5)
    gap = rng.integers(-7, 12, size=3_000) / 8
    summary = GapSummary()
    for start in range(0, 3_000, 700):
        summary = summary.merge(GapSummary.of(gap[start : start + 700], start))
    assert summary.values is None and summary.distinct is not None
    stats, hist, edges = summary.statistics(0.95, np.random.default_rng(0), 100, 20)
    assert stats["median_score_gap"] == np.median(gap)
    assert stats["p95_abs_score_gap"] == np.quantile(np.abs(gap), 0.95)
    assert stats["max_abs_score_gap"] == np.abs(gap).max()
    assert stats["mean_score_gap"] == pytest.approx(gap.mean(), rel=1e-14)
    expected_hist, expected_edges = np.histogram(gap, bins=20)
    np.testing.assert_array_equal(hist, expected_hist)
    np.testing.assert_allclose(edges, expected_edges, rtol=1e-15)
    assert stats["score_gap_low"] < gap.mean() < stats["score_gap_high"]


@pytest.mark.parametrize("distribution", ["normal", "lognormal", "mixed-sign"])
def test_the_sketch_keeps_its_documented_error(monkeypatch, distribution):
    """Past EXACT_GAPS profiles and DISTINCT_GAPS distinct gaps the median and the
    p95 of |gap| come from the sketch: within SKETCH_ACCURACY of the exact value,
    whatever the chunking; mean and extremes stay exact (to rounding)."""
    monkeypatch.setattr(acc_module, "EXACT_GAPS", 1_000)
    monkeypatch.setattr(acc_module, "DISTINCT_GAPS", 100)
    rng = np.random.default_rng(11)
    gap = {
        "normal": rng.normal(0.2, 0.1, 20_000),
        "lognormal": rng.lognormal(-3, 1, 20_000),
        "mixed-sign": rng.normal(0, 0.3, 20_000),
    }[distribution]
    results = []
    for size in (20_000, 3_001, 999):
        summary = GapSummary()
        for start in range(0, len(gap), size):
            summary = summary.merge(GapSummary.of(gap[start : start + size], start))
        assert summary.sketch is not None
        stats, hist, _ = summary.statistics(0.95, np.random.default_rng(0), 100, 20)
        results.append((stats["median_score_gap"], stats["p95_abs_score_gap"]))
        median, p95 = np.median(gap), np.quantile(np.abs(gap), 0.95)
        sorted_gap = np.sort(gap)
        # within the relative accuracy of the order statistics around the median
        bound = SKETCH_ACCURACY * np.abs(sorted_gap[9_998:10_002]).max() + 1e-9
        assert abs(stats["median_score_gap"] - median) <= bound
        assert abs(stats["p95_abs_score_gap"] - p95) <= SKETCH_ACCURACY * p95 * 1.01
        assert stats["mean_score_gap"] == pytest.approx(gap.mean(), rel=1e-12)
        assert stats["max_abs_score_gap"] == np.abs(gap).max()
        assert hist.sum() == len(gap)
        half = t_dist.ppf(0.975, len(gap) - 1) * gap.std(ddof=1) / math.sqrt(len(gap))
        assert stats["score_gap_low"] == pytest.approx(gap.mean() - half, rel=1e-9)
        assert stats["score_gap_high"] == pytest.approx(gap.mean() + half, rel=1e-9)
    assert len(set(results)) == 1  # bucket counts do not depend on the chunks


def test_linear_time_selections_equal_sorting():
    rng = np.random.default_rng(2)
    for _ in range(200):
        n = int(rng.integers(1, 2_000))
        size = np.round(rng.random(n) * rng.integers(1, 6), 1)  # many ties
        k = int(rng.integers(0, 15))
        np.testing.assert_array_equal(
            _largest(size, k), np.argsort(-size, kind="stable")[:k]
        )
        priority = _priority(np.arange(n), int(rng.integers(0, 100)))
        k = int(rng.integers(1, n + 1))
        np.testing.assert_array_equal(
            _smallest(priority, k), np.sort(np.argsort(priority)[:k])
        )


def test_where_sample_does_not_depend_on_the_chunks():
    m, items = 2, comparisons(["s"], [["M", "F"]], ["M"])
    rng = np.random.default_rng(4)
    decisions = (rng.random((5_000, 2)) < 0.4).astype(np.int8)
    frame = pd.DataFrame({"f": np.arange(5_000).repeat(2)})
    kept = []
    for size in (5_000, 777, 64):
        a = AuditAccumulator(
            m, items, scores=False, where_columns=["f"], where_sample=300
        )
        for start in range(0, 5_000, size):
            stop = min(start + size, 5_000)
            part = AuditAccumulator(
                m, items, scores=False, where_columns=["f"], where_sample=300
            )
            part.update(
                decisions[start:stop],
                offset=start,
                frame=frame.iloc[2 * start : 2 * stop],
            )
            a.merge(part)
        profiles, flipped, pairs = a.where_sample()
        assert profiles["f"].tolist() == pairs.tolist()  # the features of those pairs
        np.testing.assert_array_equal(
            flipped, decisions[pairs, 0] != decisions[pairs, 1]
        )
        kept.append(pairs.tolist())
    assert kept[0] == kept[1] == kept[2]
    assert len(kept[0]) == 300 and kept[0] == sorted(kept[0])
    # a uniform sample: about 6% of each fifth of the pairs
    counts = np.bincount(np.asarray(kept[0]) // 1_000, minlength=5)
    assert counts.min() > 35


def test_only_accumulators_of_the_same_audit_merge():
    a = AuditAccumulator(2, comparisons(["s"], [["M", "F"]], ["M"]), scores=False)
    b = AuditAccumulator(3, comparisons(["s"], [["a", "b", "c"]], ["a"]), scores=False)
    with pytest.raises(ValueError, match="Only accumulators of the same audit"):
        a.merge(b)
    with pytest.raises(ValueError, match=r"decisions must have shape \(profiles, 2\)"):
        a.update(np.zeros((3, 3), np.int8))
    with pytest.raises(ValueError, match="scores must be given exactly"):
        a.update(np.zeros((3, 2), np.int8), np.zeros((3, 2)))


def test_many_variants_use_the_sparse_pattern_table():
    """More than 16 variants (2 x 3 x 3 = 18): patterns counted by row."""
    names = ["a", "b", "c"]
    values = [[0, 1], [0, 1, 2], [0, 1, 2]]
    items = comparisons(names, values, [0, 0, 0])
    rng = np.random.default_rng(8)
    decisions = (rng.random((300, 18)) < 0.9).astype(np.int8)
    decisions[::3] = 1
    merged = fed(items, 18, decisions, None, [(0, 100), (100, 250), (250, 300)])
    patterns, counts = merged.pattern_table()
    expected = pattern_counts(decisions)
    np.testing.assert_array_equal(patterns, expected[0])
    np.testing.assert_array_equal(counts, expected[1])
    table, _ = merged.counterfactual_table(n_boot=0)
    reference, _ = counterfactual_table(decisions, None, items, n_boot=0)
    pd.testing.assert_frame_equal(table, reference, check_exact=True)
