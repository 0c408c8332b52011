"""Reweighing, Unawareness, CounterfactualAugmentation, CorrelationRemover: what each
does to the training data, checked against AIF360, Fairlearn and hand counts."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from twinaudit.datasets import loan_applications
from twinaudit.datasets._loan import FEATURES
from twinaudit.exceptions import MitigationError
from twinaudit.mitigation import (
    STRATEGIES,
    CorrelationRemover,
    CounterfactualAugmentation,
    Reweighing,
    Unawareness,
)


def aif360_weights(group: np.ndarray, y: np.ndarray) -> np.ndarray:
    """AIF360's Reweighing on a numeric BinaryLabelDataset (group 1 privileged)."""
    from twinaudit.adapters._lazy import import_aif360

    datasets = import_aif360("aif360.datasets")
    preprocessing = import_aif360("aif360.algorithms.preprocessing")
    frame = pd.DataFrame({"g": group.astype(float), "y": y.astype(float)})
    dataset = datasets.BinaryLabelDataset(
        df=frame, label_names=["y"], protected_attribute_names=["g"]
    )
    reweigher = preprocessing.Reweighing(
        unprivileged_groups=[{"g": 0.0}], privileged_groups=[{"g": 1.0}]
    )
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return reweigher.fit_transform(dataset).instance_weights, reweigher


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reweighing_weights_are_aif360s(seed):
    rng = np.random.default_rng(seed)
    n = 300
    group = rng.integers(0, 2, n)
    y = (rng.random(n) < np.where(group == 1, 0.7, 0.35)).astype(int)
    X = pd.DataFrame({"g": group, "x": rng.normal(size=n)})
    model = Reweighing(LogisticRegression()).fit(X, y, sensitive_features="g")
    expected, _ = aif360_weights(group, y)
    np.testing.assert_allclose(model.sample_weight_, expected, rtol=1e-12)
    assert model.empty_cells_ == []


def test_reweighing_the_tutorial_history_handles_the_empty_cell(loan_history):
    X, y = loan_history[FEATURES], loan_history["Approved"].to_numpy()
    model = Reweighing(DecisionTreeClassifier(random_state=0)).fit(
        X, y, sensitive_features="Gender_Code"
    )
    # No man (code 1) was ever denied: AIF360 divides by zero for that cell.
    group = X["Gender_Code"].to_numpy()
    expected, reweigher = aif360_weights(group, y)
    assert not np.isfinite(reweigher.w_p_unfav)
    assert model.empty_cells_ == [((1,), 0)]
    assert np.isnan(model.cell_weights_[1, 0])
    np.testing.assert_allclose(model.sample_weight_, expected, rtol=1e-12)
    assert np.isfinite(model.sample_weight_).all()
    # Hand count of one cell: women approved get P(F) P(approved) / P(F, approved).
    women_ok = (group == 0) & (y == 1)
    by_hand = (group == 0).mean() * (y == 1).mean() / women_ok.mean()
    assert model.sample_weight_[women_ok] == pytest.approx(by_hand)


def test_reweighing_with_three_groups_balances_every_group():
    rng = np.random.default_rng(3)
    n = 600
    group = rng.choice(["a", "b", "c"], n)
    y = (rng.random(n) < pd.Series(group).map({"a": 0.8, "b": 0.5, "c": 0.2})).astype(
        int
    )
    X = pd.DataFrame({"race": group, "x": rng.normal(size=n)})
    model = Reweighing(make_pipeline(StandardScaler(), LogisticRegression()))
    model.fit(X[["x"]], y, sensitive_features=X["race"])
    w = model.sample_weight_
    rates = [np.average(y[group == g], weights=w[group == g]) for g in "abc"]
    np.testing.assert_allclose(rates, y.mean(), atol=1e-12)
    assert model.groups_ == [("a",), ("b",), ("c",)]


def test_reweighing_routes_weights_through_a_pipeline():
    history = loan_applications(
        600,
        seed=5,
        rule=lambda f: np.where(
            f["Gender"] == "Male", f["Income"] > 50_000, f["Income"] > 90_000
        ).astype(int),
    )
    X, y = history[FEATURES], history["Approved"].to_numpy()
    model = Reweighing(make_pipeline(StandardScaler(), LogisticRegression()))
    model.fit(X, y, sensitive_features=["Gender_Code"])
    weights = model.sample_weight_
    assert weights.min() < 0.8 and weights.max() > 1.5  # far from all-ones
    by_hand = make_pipeline(StandardScaler(), LogisticRegression()).fit(
        X, y, logisticregression__sample_weight=weights
    )
    unweighted = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    coef = model.estimator_[-1].coef_
    np.testing.assert_allclose(coef, by_hand[-1].coef_, rtol=1e-6)
    assert np.abs(coef - unweighted[-1].coef_).max() > 0.1


def test_reweighing_needs_sample_weight(loan_history):
    message = (
        "KNeighborsClassifier.fit does not accept sample_weight, which Reweighing "
        "needs. Use an estimator that takes sample weights"
    )
    for estimator in (KNeighborsClassifier(), make_pipeline(KNeighborsClassifier())):
        with pytest.raises(MitigationError, match=re.escape(message)):
            Reweighing(estimator).fit(
                loan_history[FEATURES],
                loan_history["Approved"],
                sensitive_features="Gender_Code",
            )


def test_unawareness_drops_the_column_and_its_flips(loan_history):
    X, y = loan_history[FEATURES], loan_history["Approved"]
    model = Unawareness(DecisionTreeClassifier(random_state=0)).fit(
        X, y, sensitive_features="Gender_Code"
    )
    assert list(model.estimator_.feature_names_in_) == ["Income"]
    assert list(model.feature_names_in_) == FEATURES
    flipped = X.assign(Gender_Code=1 - X["Gender_Code"])
    np.testing.assert_array_equal(model.predict(X), model.predict(flipped))
    np.testing.assert_array_equal(
        model.predict_proba(X), model.estimator_.predict_proba(X[["Income"]])
    )


def test_augmentation_adds_a_twin_of_every_row(loan_history):
    X, y = loan_history[FEATURES], loan_history["Approved"]
    model = CounterfactualAugmentation(DecisionTreeClassifier(random_state=0))
    model.fit(X, y, sensitive_features="Gender_Code")
    assert model.n_training_rows_ == 2 * len(X)
    flipped = X.assign(Gender_Code=1 - X["Gender_Code"])
    np.testing.assert_array_equal(model.predict(X), model.predict(flipped))


def test_augmentation_with_three_values_and_two_attributes():
    X = pd.DataFrame(
        {
            "race": [0, 1, 2, 0, 1],
            "sex": [True, False, True, False, False],
            "x": range(5),
        }
    )
    model = CounterfactualAugmentation(DecisionTreeClassifier(random_state=0))
    model.fit(X, [1, 0, 1, 0, 1], sensitive_features=["race", "sex"])
    assert model.n_training_rows_ == 5 * 3 * 2


def test_correlation_remover_matches_fairlearn_on_numeric_data():
    from fairlearn.preprocessing import CorrelationRemover as Fairlearn

    rng = np.random.default_rng(0)
    n = 400
    s = rng.integers(0, 2, n)
    X = pd.DataFrame(
        {"s": s, "a": rng.normal(size=n) + 2 * s, "b": rng.normal(size=n) - s}
    )
    y = (X["a"] + rng.normal(size=n) > 1).astype(int)
    model = CorrelationRemover(LogisticRegression()).fit(X, y, sensitive_features="s")
    expected = Fairlearn(sensitive_feature_ids=["s"]).fit_transform(X)
    transformed = model._transform(X)
    np.testing.assert_allclose(transformed[["a", "b"]].to_numpy(), expected)
    # Decorrelated: each column's mean is the same in both groups.
    for column in ("a", "b"):
        means = transformed.groupby(s)[column].mean()
        assert means[0] == pytest.approx(means[1], abs=1e-9)


def test_registry_holds_the_preprocessors():
    assert STRATEGIES["reweighing"] is Reweighing
    assert STRATEGIES["unawareness"] is Unawareness
