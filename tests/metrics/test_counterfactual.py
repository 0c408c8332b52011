"""Paired statistics: base profiles as the unit, checked against hand counts and
statsmodels/scipy on the per-profile data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binomtest
from statsmodels.stats.contingency_tables import cochrans_q
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from twinaudit.metrics import (
    BOOTSTRAP_LIMIT,
    adjust_pvalues,
    any_flip,
    cochran_table,
    comparisons,
    counterfactual_table,
    mcnemar_exact,
    proportion_interval,
    wilson_interval,
)

SEX = ["M", "F"]
RACE = ["white", "black", "asian", "other"]


def two_values(reference, other):
    """A decision matrix of one two-valued attribute (privileged column first)."""
    return np.column_stack([reference, other]).astype(np.int8)


def table(decisions, names, values, privileged, scores=None, **kwargs):
    items = comparisons(names, values, privileged)
    frame, hist = counterfactual_table(decisions, scores, items, **kwargs)
    return frame.set_index(["attribute", "group"]), hist


def test_direction_interval_and_exact_test_by_hand():
    ref = np.array([1] * 30 + [0] * 5 + [1] * 40 + [0] * 25)
    grp = np.array([0] * 30 + [1] * 5 + [1] * 40 + [0] * 25)
    t, _ = table(two_values(ref, grp), ["sex"], [SEX], ["M"], confidence=0.9)
    row = t.loc[("sex", "F")]
    assert row["flips"] == 35 and row["profiles"] == 100
    assert row["favours_reference"] == 30 and row["favours_group"] == 5
    low, high = proportion_confint(35, 100, alpha=0.1, method="wilson")
    assert (row["flip_rate_low"], row["flip_rate_high"]) == pytest.approx((low, high))
    assert row["mcnemar_p"] == pytest.approx(binomtest(30, 35, 0.5).pvalue)


@pytest.mark.parametrize("first", [0, 1])
def test_the_privileged_column_can_be_anywhere(first):
    # Values listed [F, M] with M privileged: the reference column is the second.
    ref = np.array([1, 1, 1, 0, 0])
    grp = np.array([0, 0, 1, 0, 1])
    values = ["M", "F"] if first == 0 else ["F", "M"]
    decisions = two_values(ref, grp) if first == 0 else two_values(grp, ref)
    t, _ = table(decisions, ["sex"], [values], ["M"])
    row = t.loc[("sex", "F")]
    assert (row["favours_reference"], row["favours_group"]) == (2, 1)


def test_pooled_comparisons_count_each_profile_once():
    """Issue 6 item 3: sex x race, 200 profiles, 4 of them flip in every setting.
    Pooled over the 4 race settings that is 16 of 800 comparisons; per profile it
    is 4 of 200 with p = 0.125."""
    n = 200
    decisions = np.ones((n, 8), dtype=np.int8)  # columns: (M, F) x 4 races
    female = [4, 5, 6, 7]  # sex is the slower-moving attribute
    decisions[:4, female] = 0
    t, _ = table(decisions, ["sex", "race"], [SEX, RACE], ["M", "white"])
    row = t.loc[("sex", "F")]
    assert row["comparisons"] == 800
    assert row["flips"] == 4 and row["profiles"] == 200
    assert (row["flip_rate_low"], row["flip_rate_high"]) == pytest.approx(
        proportion_confint(4, 200, method="wilson")
    )
    assert row["flip_rate_low"] == pytest.approx(0.0078, abs=1e-4)
    assert row["flip_rate_high"] == pytest.approx(0.0503, abs=1e-4)
    assert row["mcnemar_p"] == pytest.approx(0.125)
    # Race comparisons: nobody flips on race.
    assert t.loc[("race", "asian"), "flips"] == 0


def test_intersections_are_compared_with_the_all_privileged_twin():
    n = 50
    decisions = np.ones((n, 8), dtype=np.int8)
    decisions[:10, 6] = 0  # (F, asian) only
    t, _ = table(decisions, ["sex", "race"], [SEX, RACE], ["M", "white"])
    assert t.loc[("sex & race", "F & asian"), "flips"] == 10
    assert t.loc[("sex & race", "F & asian"), "reference"] == "M & white"
    assert t.loc[("sex & race", "M & asian"), "flips"] == 0
    assert t.loc[("sex", "F"), "flips"] == 10  # flips in one of four settings
    assert t.loc[("race", "asian"), "flips"] == 10
    assert len(t) == 1 + 3 + 7


def test_no_flip_gives_the_rule_of_three_bound():
    decisions = np.ones((300, 2), dtype=np.int8)
    t, _ = table(decisions, ["sex"], [SEX], ["M"])
    row = t.loc[("sex", "F")]
    assert row["flip_rate"] == 0 and row["flip_rate_low"] == 0
    assert row["flip_rate_high"] == pytest.approx(-math.log(0.05) / 300)
    assert row["flip_rate_high"] == pytest.approx(3 / 300, rel=0.01)
    assert row["mcnemar_p"] == 1.0
    assert proportion_interval(0, 3000, 0.95)[1] < proportion_interval(0, 300, 0.95)[1]


@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.99])
def test_confidence_reaches_the_interval(confidence):
    low, high = wilson_interval(20, 100, confidence)
    expected = proportion_confint(20, 100, alpha=1 - confidence, method="wilson")
    assert (low, high) == pytest.approx(expected)


@pytest.mark.parametrize("attributes", [1, 2])
def test_flip_rate_interval_covers_the_true_rate(attributes):
    """Coverage by simulation: 1,000 audits at a known flip rate of 0.1."""
    rng = np.random.default_rng(2026)
    names, values, privileged = (
        (["sex"], [SEX], ["M"])
        if attributes == 1
        else (["sex", "race"], [SEX, RACE[:3]], ["M", "white"])
    )
    items = comparisons(names, values, privileged, intersections=False)
    n, rate, covered = 150, 0.1, 0
    columns = items[0].columns
    for _ in range(1000):
        base = rng.integers(0, 2, size=n)
        decisions = np.repeat(base[:, None], int(np.prod([len(v) for v in values])), 1)
        flips = rng.random(n) < rate
        for i in np.flatnonzero(flips):
            settings = rng.random(len(columns)) < 0.5
            settings[rng.integers(len(columns))] = True
            for (_, col), on in zip(columns, settings, strict=True):
                if on:
                    decisions[i, col] = 1 - base[i]
        frame, _ = counterfactual_table(decisions, None, items[:1])
        low, high = frame.loc[0, ["flip_rate_low", "flip_rate_high"]]
        covered += low <= rate <= high
    assert 930 <= covered <= 970


def test_score_gaps_per_profile_and_bootstrap_interval():
    rng = np.random.default_rng(1)
    n = 400
    ref = rng.random(n)
    gap = rng.normal(-0.05, 0.1, n)
    scores = np.column_stack([ref, ref + gap])
    decisions = two_values(ref > 0.5, ref + gap > 0.5)
    t, hist = table(decisions, ["sex"], [SEX], ["M"], scores=scores, n_boot=2000)
    row = t.loc[("sex", "F")]
    assert row["mean_score_gap"] == pytest.approx(gap.mean())
    assert row["median_score_gap"] == pytest.approx(np.median(gap))
    assert row["max_abs_score_gap"] == pytest.approx(np.abs(gap).max())
    assert row["p95_abs_score_gap"] == pytest.approx(np.quantile(np.abs(gap), 0.95))
    half = 1.96 * gap.std(ddof=1) / math.sqrt(n)
    assert row["score_gap_low"] == pytest.approx(gap.mean() - half, abs=0.004)
    assert row["score_gap_high"] == pytest.approx(gap.mean() + half, abs=0.004)
    assert hist[0]["group"] == "F" and sum(hist[0]["counts"]) == n


def test_score_gap_interval_is_seeded_and_uses_t_beyond_the_bootstrap_limit():
    rng = np.random.default_rng(3)
    n = BOOTSTRAP_LIMIT + 1
    gap = rng.normal(0.02, 0.1, n)
    scores = np.column_stack([np.zeros(n), gap])
    decisions = np.zeros((n, 2), dtype=np.int8)
    t, _ = table(decisions, ["sex"], [SEX], ["M"], scores=scores)
    from scipy.stats import t as student

    half = student.ppf(0.975, n - 1) * gap.std(ddof=1) / math.sqrt(n)
    row = t.loc[("sex", "F")]
    assert row["score_gap_low"] == pytest.approx(gap.mean() - half, rel=1e-9)
    small = scores[:500]
    a, _ = table(decisions[:500], ["sex"], [SEX], ["M"], scores=small, random_state=4)
    b, _ = table(decisions[:500], ["sex"], [SEX], ["M"], scores=small, random_state=4)
    assert a.loc[("sex", "F"), "score_gap_low"] == b.loc[("sex", "F"), "score_gap_low"]


def test_cochran_per_setting_with_profiles_as_rows():
    rng = np.random.default_rng(5)
    n = 120
    decisions = rng.integers(0, 2, size=(n, 8)).astype(np.int8)
    frame = cochran_table(decisions, ["sex", "race"], [SEX, RACE])
    assert frame["attribute"].tolist() == ["race", "race"]
    assert frame["setting"].tolist() == ["sex=M", "sex=F"]
    for k, row in frame.iterrows():
        expected = cochrans_q(decisions[:, k * 4 : k * 4 + 4])
        assert row["cochran_q"] == pytest.approx(expected.statistic)
        assert row["p_value"] == pytest.approx(expected.pvalue)


def test_cochran_on_constant_rows_is_undefined_with_the_reason():
    decisions = np.zeros((40, 3), dtype=np.int8)
    decisions[:10] = 1
    frame = cochran_table(decisions, ["race"], [RACE[:3]])
    row = frame.iloc[0]
    assert math.isnan(row["cochran_q"]) and math.isnan(row["p_value"])
    assert row["undefined"] == (
        "every profile gets the same decision for all values of race, so Cochran's "
        "Q has no variance to test"
    )


def test_benjamini_hochberg_over_every_test():
    rng = np.random.default_rng(6)
    decisions = rng.integers(0, 2, size=(60, 6)).astype(np.int8)
    decisions[:20, 3:] = 0
    names, values, privileged = ["sex", "race"], [SEX, RACE[:3]], ["M", "white"]
    frame, _ = counterfactual_table(
        decisions, None, comparisons(names, values, privileged)
    )
    cochran = cochran_table(decisions, names, values)
    adjust_pvalues(frame, cochran)
    p = np.concatenate([frame["mcnemar_p"], cochran["p_value"]])
    expected = multipletests(p, method="fdr_bh")[1]
    got = np.concatenate([frame["mcnemar_p_adjusted"], cochran["p_adjusted"]])
    assert got == pytest.approx(expected)


def test_causal_discrimination_score_counts_profiles_with_any_difference():
    decisions = np.array([[1, 1, 1], [1, 0, 1], [0, 0, 0], [0, 0, 1]], dtype=np.int8)
    assert any_flip(decisions) == (2, 4)


def test_mcnemar_exact_matches_scipy():
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(7, 2) == pytest.approx(binomtest(7, 9, 0.5).pvalue)
