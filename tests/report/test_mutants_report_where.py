""" "Where the bias lives" as the audit reports it, against hand computations:
the largest score gaps over every comparison, the text columns left out as
identifiers, and the seed reaching the rules. Mutation testing found these
unchecked: the audit's ``where`` was only ever compared with another route through
the same code (streamed against one-shot, fast path against slow)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from twinaudit.generation import from_frame
from twinaudit.metrics import where_bias_lives
from twinaudit.report import audit

GAP_COLUMNS = ["pair", "attribute", "group", "score_gap", "features"]
BONUS = {"M": 0.0, "F": -1.0, "X": -0.6}


def logistic_scores(frame: pd.DataFrame) -> np.ndarray:
    z = (frame["x"].to_numpy() - 50) / 10 + frame["sex"].map(BONUS).to_numpy()
    return 1 / (1 + np.exp(-z))


class Scorer:
    """A model with probabilities: the favourable class's score is
    ``logistic((x - 50) / 10 + bonus[sex])``."""

    classes_ = np.array([0, 1])

    def __init__(self, scores=logistic_scores):
        self.scores = scores

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        p = self.scores(frame)
        return np.column_stack([1 - p, p])

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return (self.scores(frame) >= 0.5).astype(int)


def test_largest_gaps_are_the_ten_largest_over_every_comparison_by_hand():
    rng = np.random.default_rng(3)
    rows = pd.DataFrame(
        {
            "sex": rng.choice(["F", "M", "X"], 200),
            "x": rng.uniform(0, 100, 200),
            "shade": rng.choice(["red", "blue"], 200),
            "ident": [f"applicant-{i}" for i in range(200)],  # left out: an identifier
        }
    )
    report = audit(Scorer(), from_frame(rows, protected={"sex": "M"}), n_boot=0)

    def twin(group: str) -> np.ndarray:
        return logistic_scores(rows.assign(sex=group))

    candidates = [
        (pair, group, gap)
        for group in ("F", "X")
        for pair, gap in enumerate(twin(group) - twin("M"))
    ]
    candidates.sort(key=lambda c: -abs(c[2]))
    expected = candidates[:10]
    largest = report.where.largest_gaps
    assert list(largest.columns) == GAP_COLUMNS
    assert largest["pair"].tolist() == [pair for pair, _, _ in expected]
    assert largest["group"].tolist() == [group for _, group, _ in expected]
    assert (largest["attribute"] == "sex").all()
    np.testing.assert_allclose(
        largest["score_gap"], [gap for _, _, gap in expected], rtol=1e-12
    )
    assert largest["features"].tolist() == [
        {"x": rows["x"][pair], "shade": rows["shade"][pair]} for pair, _, _ in expected
    ]


def test_largest_gaps_of_equal_size_keep_the_comparisons_order():
    """Gaps of 0.3 and 0.2 in both comparisons: the ten largest are F's five 0.3
    gaps, then X's, each in pair order (a sort that is not stable mixes them)."""
    rows = pd.DataFrame({"sex": ["F", "M", "X", "M"] * 5, "x": range(20)})

    def steps(frame: pd.DataFrame) -> np.ndarray:
        x, sex = frame["x"].to_numpy(), frame["sex"].to_numpy()
        low = ((sex == "F") & (x < 5)) | ((sex == "X") & (x >= 10) & (x < 15))
        return np.where(sex == "M", 0.6, np.where(low, 0.3, 0.4))

    report = audit(Scorer(steps), from_frame(rows, protected={"sex": "M"}), n_boot=0)
    largest = report.where.largest_gaps
    assert largest["group"].tolist() == ["F"] * 5 + ["X"] * 5
    assert largest["pair"].tolist() == [0, 1, 2, 3, 4, 10, 11, 12, 13, 14]
    np.testing.assert_allclose(largest["score_gap"], -0.3)


def test_without_scores_there_are_no_largest_gaps():
    rows = pd.DataFrame({"sex": ["F", "M"] * 20, "x": range(40)})
    report = audit(
        lambda f: (f["x"] > 20).astype(int).to_numpy(),
        from_frame(rows, protected={"sex": "M"}),
        n_boot=0,
    )
    largest = report.where.largest_gaps
    assert largest.empty
    assert list(largest.columns) == GAP_COLUMNS


@pytest.mark.parametrize(
    ("n", "distinct", "kept"),
    [
        # at most max(50, n // 2) distinct values is a trait, more an identifier
        (100, 50, True),
        (100, 51, False),
        (200, 80, True),
        (200, 100, True),
        (200, 101, False),
        (200, 200, False),
    ],
)
def test_text_with_a_value_per_profile_is_an_identifier_not_a_trait(n, distinct, kept):
    rows = pd.DataFrame(
        {
            "sex": ["F", "M"] * (n // 2),
            "x": np.arange(n, dtype=float),  # numbers are traits however many
            "code": [f"c{i % distinct}" for i in range(n)],
        }
    )
    report = audit(
        lambda f: (f["x"] > n / 2).astype(int).to_numpy(),
        from_frame(rows, protected={"sex": "M"}),
        n_boot=0,
    )
    features = set(report.where.bins["feature"])
    assert features == ({"x", "code"} if kept else {"x"})


def test_the_audits_seed_reaches_the_rules():
    """Two copies of one feature tie at every split; the tree's seed picks one."""
    rows = pd.DataFrame({"sex": ["F", "M"] * 50, "a": range(100)})
    rows["b"] = rows["a"]

    def model(frame: pd.DataFrame) -> np.ndarray:
        a, male = frame["a"], frame["sex"] == "M"
        return ((a > 30) | ((a > 10) & male)).astype(int).to_numpy()

    twins = from_frame(rows, protected={"sex": "M"})
    flipped = model(rows.assign(sex="F")) != model(rows.assign(sex="M"))
    rules = {
        seed: audit(model, twins, n_boot=0, random_state=seed).where.rules
        for seed in (0, 2)
    }
    assert not rules[0]["rule"].equals(rules[2]["rule"])
    for seed, found in rules.items():
        by_hand = where_bias_lives(rows[["a", "b"]], flipped, random_state=seed)
        pd.testing.assert_frame_equal(found, by_hand.rules)


def test_the_mean_score_gap_row_carries_its_interval():
    rows = pd.DataFrame(
        {"sex": ["F", "M", "X", "M"] * 30, "x": np.linspace(0, 100, 120)}
    )
    report = audit(Scorer(), from_frame(rows, protected={"sex": "M"}), n_boot=200)
    gaps = report.metrics[report.metrics["metric"] == "mean_score_gap"]
    paired = report.counterfactual
    assert gaps["group"].tolist() == paired["group"].tolist() == ["F", "X"]
    np.testing.assert_array_equal(gaps["value"], paired["mean_score_gap"])
    np.testing.assert_array_equal(gaps["low"], paired["score_gap_low"])
    np.testing.assert_array_equal(gaps["high"], paired["score_gap_high"])
    assert (gaps["low"] < gaps["value"]).all() and (gaps["value"] < gaps["high"]).all()
    assert report.metrics["low"].dtype == report.metrics["high"].dtype == np.float64
