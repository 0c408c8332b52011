"""The accumulator's statistics equal the whole-matrix route to the last bit where
the two could part: the median of few distinct gaps (numpy's mean of the two middle
values, not the linear quantile) and Cochran's Q past int64 (counts of billions of
profiles, as a long streamed audit reaches)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from scipy.stats import chi2

from twinaudit.metrics import cochran_table
from twinaudit.metrics._accumulator import (
    AuditAccumulator,
    GapSummary,
    _weighted_median,
)
from twinaudit.metrics._counterfactual import comparisons


def test_the_weighted_median_is_numpys_median_bit_for_bit():
    rng = np.random.default_rng(7)
    cases = [(np.array([-6.651946734866136, 1.3664634705496859]), np.array([20, 20]))]
    for _ in range(3000):
        k = int(rng.integers(1, 6))
        values = np.sort(rng.normal(0, 10, k) * 10.0 ** rng.integers(-3, 4))
        cases.append((values, rng.integers(1, 5, k)))
    for values, counts in cases:
        expanded = np.repeat(values, counts)
        got = _weighted_median(values, counts)
        assert got == float(np.median(expanded)), (values.tolist(), counts.tolist())
    # The linear quantile rounds the example differently: the reason for the helper.
    a, b = -6.651946734866136, 1.3664634705496859
    assert a + 0.5 * (b - a) != float(np.median([a, b]))


def test_few_distinct_gaps_give_numpys_median():
    # 40 gaps, 2 distinct: the distinct-values route (one per 20 profiles).
    gap = np.repeat([-6.651946734866136, 1.3664634705496859], 20)
    stats, _, _ = GapSummary.of(gap).statistics(0.95, np.random.default_rng(0), 50, 10)
    assert stats["median_score_gap"] == float(np.median(gap)) == -2.642741632158225


def q_exactly(x: np.ndarray, counts: np.ndarray) -> float:
    """Cochran's Q of profiles with rows ``x`` held ``counts`` times, in fractions."""
    k = x.shape[1]
    rows = [int(r) for r in x.sum(axis=1)]
    n = [int(c) for c in counts]
    columns = [sum(int(x[i, j]) * n[i] for i in range(len(n))) for j in range(k)]
    total = sum(r * c for r, c in zip(rows, n, strict=True))
    denominator = k * total - sum(r * r * c for r, c in zip(rows, n, strict=True))
    spread = k * sum(c * c for c in columns) - total * total
    return float(Fraction((k - 1) * spread, denominator))


@pytest.mark.parametrize("scale", [1, 10**6, 4 * 10**9])
def test_cochrans_q_is_exact_past_int64(scale, monkeypatch):
    # 3 values of one attribute; decision patterns held by billions of profiles.
    values = [["a", "b", "c"]]
    patterns = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [1, 1, 1]], np.int8)
    counts = np.array([3, 5, 2, 7], np.int64) * scale
    acc = AuditAccumulator(3, comparisons(["s"], values, ["a"]), scores=False)
    monkeypatch.setattr(acc, "pattern_table", lambda: (patterns, counts))
    acc.n_profiles = int(counts.sum())
    row = acc.cochran_table(["s"], values).iloc[0]
    expected = q_exactly(patterns, counts)
    assert row["cochran_q"] == expected
    assert row["p_value"] == float(chi2.sf(expected, 2))
    if scale == 1:  # the whole-matrix route agrees where the rows fit in memory
        decisions = np.repeat(patterns, counts, axis=0)
        reference = cochran_table(decisions, ["s"], values).iloc[0]
        assert reference["cochran_q"] == expected
