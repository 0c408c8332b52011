"""Models whose ``predict`` is scikit-learn's argmax of ``predict_proba`` run once:
the decisions read off the probabilities equal ``predict``'s, ties included."""

from unittest import mock

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import (
    ExtraTreesClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.ensemble._forest import ForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, ExtraTreeClassifier

from twinaudit.generation import generate
from twinaudit.scoring import score
from twinaudit.scoring._score import _predict_once
from twinaudit.spec import Integer, ProtectedAttribute, TwinSpec


class Overridden(DecisionTreeClassifier):
    def predict(self, X, check_input=True):
        return super().predict(X, check_input)


def data(labels):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"g": rng.integers(0, 2, 600), "x": rng.integers(0, 4, 600)})
    # labels independent of x within some cells: leaves with 50/50 ties
    y = np.where(rng.random(600) < 0.5, labels[0], labels[1])
    y[X["g"].to_numpy() == 1] = labels[1]
    return X, y


def g_twins(n_pairs):
    return generate(
        TwinSpec(
            fields=[Integer("x", 0, 3)],
            protected=[ProtectedAttribute("g", [0, 1], privileged=1)],
            seed=1,
        ),
        n_pairs,
    )


ONCE = [
    DecisionTreeClassifier(random_state=0),
    ExtraTreeClassifier(random_state=0),
    RandomForestClassifier(n_estimators=4, random_state=0),
    ExtraTreesClassifier(n_estimators=4, random_state=0),
    make_pipeline(StandardScaler(), DecisionTreeClassifier(max_depth=2)),
]
TWICE = [
    LogisticRegression(),
    HistGradientBoostingClassifier(max_iter=5),
    Overridden(random_state=0),
]


@pytest.mark.parametrize("labels", [("no", "yes"), (1, 0)])
@pytest.mark.parametrize("model", ONCE, ids=lambda m: type(m).__name__)
def test_decisions_from_the_probabilities_equal_predict(model, labels):
    X, y = data(labels)
    model.fit(X, y)
    twins = g_twins(400)
    decisions, proba = _predict_once(model, model.predict, X, {})
    assert proba is not None
    np.testing.assert_array_equal(decisions, model.predict(X))
    np.testing.assert_array_equal(proba, model.predict_proba(X))
    scored = score(model, twins, favorable_label=labels[1])
    frame = twins.frame[["g", "x"]]
    np.testing.assert_array_equal(scored.predictions, model.predict(frame))
    np.testing.assert_array_equal(
        scored.scores,
        model.predict_proba(frame)[:, list(model.classes_).index(labels[1])],
    )


@pytest.mark.parametrize("model", TWICE, ids=lambda m: type(m).__name__)
def test_other_models_run_predict(model):
    X, y = data((0, 1))
    model.fit(X, y)
    decisions, proba = _predict_once(model, model.predict, X, {})
    assert proba is None
    np.testing.assert_array_equal(decisions, model.predict(X))


@pytest.mark.parametrize(
    ("model", "base"),
    [
        (DecisionTreeClassifier(random_state=0), DecisionTreeClassifier),
        (RandomForestClassifier(n_estimators=4, random_state=0), ForestClassifier),
    ],
    ids=["tree", "forest"],
)
def test_score_runs_a_tree_once(model, base):
    """score on a tree or a forest calls predict_proba once and predict never:
    decisions and scores come from the same probabilities."""
    X, y = data((0, 1))
    model.fit(X, y)
    twins = g_twins(50)
    with (
        mock.patch.object(
            base, "predict_proba", autospec=True, side_effect=base.predict_proba
        ) as proba,
        mock.patch.object(
            base, "predict", autospec=True, side_effect=base.predict
        ) as predict,
    ):
        scored = score(model, twins)
    assert (proba.call_count, predict.call_count) == (1, 0)
    frame = twins.frame[["g", "x"]]
    np.testing.assert_array_equal(scored.predictions, model.predict(frame))
    np.testing.assert_array_equal(scored.scores, model.predict_proba(frame)[:, 1])
