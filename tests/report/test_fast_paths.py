"""The audit's fast paths give the numbers of the plain ones: a decision tree scored
in two halves on two threads, "where the bias lives" on a thread of its own, the
flipped profiles a column at a time, and the few-distinct-gaps probe."""

from __future__ import annotations

import pickle
import threading

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

import twinaudit as ta
from twinaudit import _threads
from twinaudit.exceptions import DataError
from twinaudit.metrics import _accumulator
from twinaudit.metrics._accumulator import GapSummary, _few_distinct, _flipped
from twinaudit.report import _report
from twinaudit.scoring import _score


def spec() -> ta.TwinSpec:
    return ta.TwinSpec(
        fields=[ta.Identifier("ID"), ta.Integer("Income", 30_000, 120_000)],
        protected=[
            ta.ProtectedAttribute(
                "Gender",
                ["Male", "Female", "Other"],
                privileged="Female",
                model_column="Gender_Code",
                encoding={"Male": 1, "Female": 0, "Other": 2},
            )
        ],
        seed=3,
    )


@pytest.fixture(scope="module")
def tree() -> DecisionTreeClassifier:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "Income": rng.integers(30_000, 120_000, 3000),
            "Gender_Code": rng.integers(0, 3, 3000),
        }
    )
    y = (X["Income"] > 60_000 + 20_000 * X["Gender_Code"]) ^ (rng.random(3000) < 0.1)
    return DecisionTreeClassifier(max_depth=6, random_state=0).fit(X, y)


def reports_equal(a: ta.AuditReport, b: ta.AuditReport) -> None:
    pd.testing.assert_frame_equal(a.metrics, b.metrics)
    pd.testing.assert_frame_equal(a.groups, b.groups)
    pd.testing.assert_frame_equal(a.counterfactual, b.counterfactual)
    pd.testing.assert_frame_equal(a.where.bins, b.where.bins)
    pd.testing.assert_frame_equal(a.where.rules, b.where.rules)
    pd.testing.assert_frame_equal(a.where.largest_gaps, b.where.largest_gaps)
    np.testing.assert_array_equal(a.scored.y_pred, b.scored.y_pred)
    np.testing.assert_array_equal(a.scored.scores, b.scored.scores)


def test_a_tree_scored_in_halves_on_two_threads_gives_the_same_probabilities(
    tree, monkeypatch
):
    twins = ta.generate(spec(), 5001)  # odd rows per half: 15,003 rows
    X = _score.model_input(twins)[list(tree.feature_names_in_)]
    monkeypatch.setattr(_score, "SPLIT_ROWS_ABOVE", 1000)
    monkeypatch.setattr(_threads.os, "cpu_count", lambda: 2)
    calls = []
    original = DecisionTreeClassifier.predict_proba

    def spy(self, X, *args, **kwargs):
        calls.append(len(X))
        return original(self, X, *args, **kwargs)

    monkeypatch.setattr(DecisionTreeClassifier, "predict_proba", spy)
    got = _score._predict_proba_on_cores(tree, X)
    assert sorted(calls) == [7501, 7502]
    np.testing.assert_array_equal(got, original(tree, X))


def test_other_models_and_few_rows_are_scored_in_one_call(tree, monkeypatch):
    twins = ta.generate(spec(), 600)
    X = _score.model_input(twins)[list(tree.feature_names_in_)]
    monkeypatch.setattr(_threads.os, "cpu_count", lambda: 2)
    logistic = LogisticRegression().fit(X, tree.predict(X))
    for model, limit in ((tree, 10**6), (logistic, 10), (tree, 10)):
        monkeypatch.setattr(_score, "SPLIT_ROWS_ABOVE", limit)
        seen = []
        original = type(model).predict_proba
        monkeypatch.setattr(
            type(model),
            "predict_proba",
            lambda self, X, _o=original, _s=seen: _s.append(len(X)) or _o(self, X),
        )
        _score._predict_proba_on_cores(model, X)
        monkeypatch.setattr(type(model), "predict_proba", original)
        expected = [1800] if (model is logistic or limit > 1800) else [900, 900]
        assert sorted(seen) == expected
    monkeypatch.setattr(_threads.os, "cpu_count", lambda: 1)
    seen = []
    original = DecisionTreeClassifier.predict_proba
    monkeypatch.setattr(
        DecisionTreeClassifier,
        "predict_proba",
        lambda self, X: seen.append(len(X)) or original(self, X),
    )
    _score._predict_proba_on_cores(tree, X)
    assert seen == [1800]  # one core: one call


def test_the_audit_is_the_same_with_and_without_its_threads(tree, monkeypatch):
    monkeypatch.setattr(_threads.os, "cpu_count", lambda: 1)
    monkeypatch.setattr(_accumulator, "WHERE_SAMPLE", 500)  # bins from value counts
    slow = ta.audit(tree, spec(), n_pairs=4000, n_boot=50, libraries=False)
    monkeypatch.setattr(_threads.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(_score, "SPLIT_ROWS_ABOVE", 100)
    monkeypatch.setattr(_report, "WHERE_THREAD_ABOVE", 100)
    monkeypatch.setattr(_accumulator, "THREAD_ABOVE", 100)
    threads = []
    for module, name in ((_report, "_where"), (_accumulator._WhereSample, "add")):
        original = getattr(module, name)

        def spy(*args, _original=original):
            threads.append(threading.current_thread().name)
            return _original(*args)

        monkeypatch.setattr(module, name, spy)
    fast = ta.audit(tree, spec(), n_pairs=4000, n_boot=50, libraries=False)
    assert sorted(t.split("_")[0] for t in threads) == [
        "twinaudit-sample",
        "twinaudit-where",
    ]
    reports_equal(slow, fast)


def test_an_error_in_the_sampling_thread_reaches_the_caller(tree, monkeypatch):
    monkeypatch.setattr(_threads.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(_accumulator, "THREAD_ABOVE", 1)

    def broken(*args):
        raise RuntimeError("sampling failed")

    monkeypatch.setattr(_accumulator._WhereSample, "add", broken)
    with pytest.raises(RuntimeError, match="sampling failed"):
        ta.audit(tree, spec(), n_pairs=300, n_boot=0, libraries=False)


def test_a_pickled_accumulator_carries_its_value_counts_not_its_chunk(tree):
    twins = ta.generate(spec(), 700)
    scored = _score.score(tree, twins)
    accumulator = _report.new_accumulator(scored, None, False, 0)
    _report.feed(accumulator, scored, None, 0)
    assert accumulator._pending_counts is not None  # counted when needed
    copy = pickle.loads(pickle.dumps(accumulator))
    assert copy._pending_counts is None and accumulator._pending_counts is None
    (income,) = copy.value_counts().values()
    assert income.profiles.sum() == 700
    expected = accumulator.value_counts()["Income"]
    assert income.values.equals(expected.values)
    np.testing.assert_array_equal(income.flips, expected.flips)


def test_an_error_in_the_where_thread_reaches_the_caller(tree, monkeypatch):
    monkeypatch.setattr(_threads.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(_report, "WHERE_THREAD_ABOVE", 1)
    with pytest.raises(DataError, match="bins") as threaded:
        ta.audit(tree, spec(), n_pairs=300, n_boot=0, libraries=False, bins=0)
    monkeypatch.setattr(_report, "WHERE_THREAD_ABOVE", 10**9)
    with pytest.raises(DataError, match="bins") as plain:
        ta.audit(tree, spec(), n_pairs=300, n_boot=0, libraries=False, bins=0)
    assert str(threaded.value) == str(plain.value)


@settings(max_examples=200, deadline=None)
@given(
    arrays(
        np.int8,
        st.tuples(st.integers(0, 40), st.integers(1, 6)),
        elements=st.integers(0, 1),
    )
)
def test_flipped_is_any_twin_differing_from_the_first(decisions):
    expected = (decisions != decisions[:, :1]).any(axis=1)
    np.testing.assert_array_equal(_flipped(decisions), expected)


@pytest.mark.parametrize(
    ("n", "distinct"),
    [(39, 1), (40, 2), (5000, 250), (5000, 251), (200_000, 1500), (200_000, 3000)],
)
def test_few_distinct_is_the_distinct_gaps_exactly_when_one_per_20(n, distinct):
    rng = np.random.default_rng(n + distinct)
    values = np.sort(rng.normal(size=distinct))
    gap = values[
        np.concatenate([np.arange(distinct), rng.integers(0, distinct, n - distinct)])
    ]
    got = _few_distinct(gap)
    few = n >= 40 and distinct * 20 <= n
    # The documented probe: 4,096 strided gaps, more than half of them distinct.
    probe = gap[:: max(1, n // 4096)]
    probe_mostly_distinct = len(probe) >= 4096 and len(set(probe)) * 2 > len(probe)
    assert probe_mostly_distinct == (distinct >= 3000)
    if not few or probe_mostly_distinct:
        assert got is None
    else:
        expected_values, expected_counts = np.unique(gap, return_counts=True)
        np.testing.assert_array_equal(got[0], expected_values)
        np.testing.assert_array_equal(got[1], expected_counts)


@pytest.mark.parametrize("distinct", [3, 3000, 9000, 150_000])
def test_gap_statistics_are_numpys_whichever_route(distinct):
    n = 200_000
    rng = np.random.default_rng(distinct)
    values = rng.normal(size=distinct)
    gap = values[rng.integers(0, distinct, n)]
    stats, counts, edges = GapSummary.of(gap).statistics(
        0.95, np.random.default_rng(0), 20, 10
    )
    assert stats["mean_score_gap"] == float(gap.mean())
    assert stats["median_score_gap"] == float(np.median(gap))
    assert stats["p95_abs_score_gap"] == pytest.approx(
        float(np.quantile(np.abs(gap), 0.95)), rel=1e-12, abs=0
    )
    assert stats["max_abs_score_gap"] == float(np.abs(gap).max())
    expected_counts, expected_edges = np.histogram(gap, bins=10)
    np.testing.assert_array_equal(counts, expected_counts)
    np.testing.assert_allclose(edges, expected_edges, rtol=1e-15)
