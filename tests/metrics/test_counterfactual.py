import numpy as np
import pandas as pd
import pytest
from scipy.stats import t
from statsmodels.stats.contingency_tables import cochrans_q, mcnemar
from statsmodels.stats.proportion import proportion_confint

from twinaudit.generation import check_twins, generate
from twinaudit.metrics import (
    any_flip,
    cochran_table,
    counterfactual_table,
    mcnemar_exact,
)
from twinaudit.scoring import score
from twinaudit.spec import Integer, ProtectedAttribute, TwinSpec


def scored_pairs(privileged, other, scores=None):
    """Scored twins whose decisions are given per pair."""
    n = len(privileged)
    frame = pd.DataFrame(
        {
            "pair_id": np.repeat(np.arange(n), 2),
            "sex": ["M", "F"] * n,
            "decision": np.column_stack([privileged, other]).ravel(),
        }
    )
    if scores is not None:
        frame["s"] = np.column_stack(scores).ravel()
    twins = check_twins(
        frame,
        {"sex": "M"},
        proxies=["decision", "s"] if scores is not None else ["decision"],
    )

    class Model:
        classes_ = np.array([0, 1])

        def predict(self, X):
            return X["decision"].to_numpy()

        def predict_proba(self, X):
            s = X["s"].to_numpy()
            return np.column_stack([1 - s, s])

    features = ["decision", "s"] if scores is not None else ["decision"]
    return score(
        Model() if scores is not None else (lambda X: X["decision"].to_numpy()),
        twins,
        features=features,
    )


def test_paired_counts_direction_interval_and_test():
    # 6 pairs favour M, 2 favour F, 10 agree.
    priv = np.array([1] * 6 + [0] * 2 + [1] * 5 + [0] * 5)
    other = np.array([0] * 6 + [1] * 2 + [1] * 5 + [0] * 5)
    row = counterfactual_table(scored_pairs(priv, other)).iloc[0]
    assert (row.comparisons, row.flips, row.favours_reference, row.favours_group) == (
        18,
        8,
        6,
        2,
    )
    assert row.flip_rate == pytest.approx(8 / 18)
    low, high = proportion_confint(8, 18, alpha=0.05, method="wilson")
    assert (row.flip_rate_low, row.flip_rate_high) == pytest.approx((low, high))
    expected = mcnemar([[5, 6], [2, 5]], exact=True).pvalue
    assert row.mcnemar_p == pytest.approx(expected)
    assert (row.both_favourable, row.both_unfavourable) == (5, 5)


def test_mcnemar_without_discordant_pairs_is_one():
    assert mcnemar_exact(0, 0) == 1.0


def test_score_gap_and_its_t_interval():
    rng = np.random.default_rng(0)
    s_priv = rng.random(50)
    s_other = np.clip(s_priv - 0.1 + rng.normal(0, 0.05, 50), 0, 1)
    row = counterfactual_table(
        scored_pairs(
            (s_priv > 0.5).astype(int),
            (s_other > 0.5).astype(int),
            scores=(s_priv, s_other),
        )
    ).iloc[0]
    gap = s_other - s_priv
    half = t.ppf(0.975, 49) * gap.std(ddof=1) / np.sqrt(50)
    assert row.mean_score_gap == pytest.approx(gap.mean())
    assert (row.score_gap_low, row.score_gap_high) == pytest.approx(
        (gap.mean() - half, gap.mean() + half)
    )
    assert row.max_abs_score_gap == pytest.approx(np.abs(gap).max())


def test_intersectional_comparisons_are_pooled_over_the_other_attribute():
    spec = TwinSpec(
        fields=[Integer("x", 0, 9)],
        seed=0,
        protected=[
            ProtectedAttribute("sex", ["M", "F"], "M"),
            ProtectedAttribute("race", ["white", "black", "asian"], "white"),
        ],
    )
    twins = generate(spec, 100)
    # Biased on race only: black applicants denied.
    scored = score(lambda f: (f["race"] != "black").to_numpy(), twins)
    table = counterfactual_table(scored).set_index(["attribute", "group"])
    assert table.loc[("sex", "F"), "comparisons"] == 300
    assert table.loc[("sex", "F"), "flips"] == 0
    assert table.loc[("race", "black"), "comparisons"] == 200
    assert table.loc[("race", "black"), "flip_rate"] == 1.0
    assert table.loc[("race", "asian"), "flips"] == 0
    assert any_flip(scored) == (100, 100)
    q = cochran_table(scored).set_index("attribute").loc["race"]
    x = np.concatenate(
        [scored.decision_matrix()[:, [0, 1, 2]], scored.decision_matrix()[:, [3, 4, 5]]]
    )
    assert q.cochran_q == pytest.approx(cochrans_q(x).statistic)
    assert q.rows == 200


def test_no_variation_gives_q_zero_and_p_one():
    spec = TwinSpec(
        fields=[Integer("x", 0, 9)],
        seed=0,
        protected=[ProtectedAttribute("race", ["white", "black", "asian"], "white")],
    )
    scored = score(lambda f: (f["x"] > 3).to_numpy(), generate(spec, 50))
    q = cochran_table(scored).iloc[0]
    assert (q.cochran_q, q.p_value) == (0.0, 1.0)
