"""Fairlearn's reductions on a pipeline, where a reduction's relabelled data has one
class: Fairlearn then fits a DummyClassifier with the pipeline's weight keyword
(``model__sample_weight``), which it does not take (found by the benchmark: the
loan scenario with logistic regression, splits 1 and 3)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from twinaudit.datasets import fetch_loan
from twinaudit.mitigation import STRATEGIES


def pipeline() -> Pipeline:
    encode = ColumnTransformer(
        [
            ("text", OneHotEncoder(handle_unknown="ignore"), ["Gender"]),
            ("number", StandardScaler(), ["Income"]),
        ]
    )
    return Pipeline([("encode", encode), ("model", LogisticRegression())])


@pytest.mark.parametrize("strategy", ["exponentiated_gradient", "grid_search"])
@pytest.mark.parametrize("seed", [1, 3])
def test_a_reduction_on_a_pipeline_survives_a_one_class_relabelling(strategy, seed):
    loan = fetch_loan()
    X, _, y, _, s, _ = train_test_split(
        loan.data,
        loan.target,
        loan.sensitive_features,
        test_size=0.3,
        random_state=seed,
        stratify=loan.target,
    )
    params = (
        {"max_iter": 5, "random_state": seed}
        if strategy == "exponentiated_gradient"
        else {}
    )
    model = STRATEGIES[strategy](pipeline(), **params)
    model.fit(X, y, sensitive_features=s)
    decisions = model.predict(X)
    assert set(np.unique(decisions)) <= {0, 1}
    # Every predictor kept for prediction is the user's kind of model or
    # Fairlearn's constant stand-in, never twinaudit's weight-routing wrapper.
    kept = getattr(model, "predictors_", None) or [model.best_estimator_]
    assert {type(p).__name__ for p in kept} <= {"Pipeline", "DummyClassifier"}
    # The user's pipeline is untouched (a clone was fitted).
    assert not hasattr(model.estimator.named_steps["model"], "coef_")
