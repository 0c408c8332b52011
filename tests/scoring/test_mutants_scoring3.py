"""Scores from models that reach the edges of ``_scores``: no ``classes_`` attribute
at all, a ``predict_proba`` that needs the sensitive features too, integer
probabilities; and the warning points at the caller's line."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import twinaudit as ta
from twinaudit.exceptions import ModelError, TwinauditWarning
from twinaudit.scoring import score

SPEC = ta.TwinSpec(
    fields=[ta.Integer("x", 0, 100)],
    protected=[
        ta.ProtectedAttribute(
            "sex",
            ["M", "F"],
            privileged="M",
            model_column="m",
            encoding={"M": 1, "F": 0},
        )
    ],
    seed=5,
)


@pytest.fixture(scope="module")
def twins() -> ta.Twins:
    return ta.generate(SPEC, 200)


def share(frame: pd.DataFrame) -> np.ndarray:
    """P(favourable): x / 100, plus 0.2 for men, capped at 1."""
    return np.minimum(frame["x"].to_numpy() / 100 + 0.2 * frame["m"].to_numpy(), 1.0)


def points_at_the_caller(warning: warnings.WarningMessage) -> bool:
    """The warning names this file's line, never a line inside twinaudit. (Under
    mutation testing a trampoline of mutmut's sits between this file and
    twinaudit, and the first frame outside twinaudit is that trampoline.)"""
    package = Path(ta.__file__).parent
    where = Path(warning.filename)
    if package in where.parents:
        return False
    return where == Path(__file__) or "mutmut" in where.parts


class NoClassesAttribute:
    """predict and predict_proba, and no classes_ attribute at all."""

    def predict(self, X):
        return (share(X) > 0.5).astype(int)

    def predict_proba(self, X):
        p = share(X)
        return np.column_stack([1 - p, p])


def test_a_model_without_a_classes_attribute_gets_no_scores_and_a_warning(twins):
    with pytest.warns(TwinauditWarning, match="has predict_proba but no classes_"):
        scored = score(NoClassesAttribute(), twins, features=["x", "m"])
    assert scored.scores is None and scored.score_source is None


def test_the_warning_points_at_the_callers_line(twins):
    class NoClasses(NoClassesAttribute):
        classes_ = None

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        score(NoClasses(), twins, features=["x", "m"])
    (warning,) = [w for w in caught if issubclass(w.category, TwinauditWarning)]
    assert points_at_the_caller(warning)


class SensitiveAtPredictTime:
    """Like Fairlearn's ThresholdOptimizer, predict and predict_proba both need
    the sensitive features: this one raises without them."""

    requires_sensitive_features = True
    classes_ = np.array([0, 1])

    def _p(self, X, sensitive_features):
        given = np.asarray(sensitive_features).ravel()
        np.testing.assert_array_equal(given, X["m"].to_numpy())
        return share(X)

    def predict(self, X, sensitive_features):
        return (self._p(X, sensitive_features) > 0.5).astype(int)

    def predict_proba(self, X, sensitive_features):
        p = self._p(X, sensitive_features)
        return np.column_stack([1 - p, p])


def test_predict_proba_gets_the_sensitive_features_too(twins):
    scored = score(SensitiveAtPredictTime(), twins, features=["x", "m"])
    frame = twins.frame.assign(m=(twins.codes("sex") == 0).astype(int))
    np.testing.assert_allclose(scored.scores, share(frame))
    assert scored.score_source == "predict_proba"


class IntegerProbabilities:
    """predict_proba as nested lists of integers (hard 0/1 probabilities)."""

    classes_ = np.array([0, 1])

    def predict(self, X):
        return (share(X) > 0.5).astype(int)

    def predict_proba(self, X):
        hard = self.predict(X).tolist()
        return [[1 - h, h] for h in hard]


def test_integer_probabilities_become_float_scores(twins):
    scored = score(IntegerProbabilities(), twins, features=["x", "m"])
    assert scored.scores.dtype == np.float64
    np.testing.assert_array_equal(scored.scores, scored.y_pred.astype(float))


def test_many_mixed_labels_are_shown_sorted_by_type_then_value(twins):
    # Seven distinct labels of two types: the first five by (type name, value).
    def many(frame):
        x = frame["x"].to_numpy() % 7
        labels = np.array([3, "b", 1, "a", 2, "c", 0], dtype=object)
        return labels[x]

    with pytest.raises(ModelError) as caught:
        score(many, twins)
    assert str(caught.value) == (
        "The model many returned 7 distinct labels (e.g. [0, 1, 2, 3, 'a']); "
        "twinaudit audits binary decisions. Wrap it so it returns 0/1 decisions "
        "(threshold scores first)."
    )


def test_a_model_with_eight_classes_shows_the_first_six(twins):
    class Eight:
        classes_ = np.arange(8)

        def predict(self, X):
            return X["x"].to_numpy() % 8

    with pytest.raises(ModelError) as caught:
        score(Eight(), twins, features=["x", "m"])
    assert str(caught.value) == (
        "The model Eight has 8 classes [0, 1, 2, 3, 4, 5]; twinaudit audits binary "
        "decisions. Audit a binary model, or wrap it to return "
        "favourable/unfavourable decisions."
    )


def test_a_missing_favourable_label_lists_mixed_classes_sorted_by_type(twins):
    class Mixed:
        classes_ = np.array(["deny", 1], dtype=object)

        def predict(self, X):
            out = np.full(len(X), "deny", dtype=object)
            out[X["x"].to_numpy() > 50] = 1
            return out

    with pytest.raises(ModelError) as caught:
        score(Mixed(), twins, features=["x", "m"], favorable_label="approve")
    message = str(caught.value)
    assert message.startswith(
        "favorable_label='approve' is not among the model's classes [1, 'deny']."
    )
    assert message.endswith(
        "Pass one of them (the decision that favours the person, such as an approval)."
    )


def test_the_infinite_scores_message_in_full(twins):
    class Unbounded:
        classes_ = np.array([0, 1])

        def predict(self, X):
            return (X["x"].to_numpy() > 50).astype(int)

        def decision_function(self, X):
            return np.where(X["x"].to_numpy() > 90, np.inf, X["x"].to_numpy() - 50.0)

    expected = int((twins.frame["x"] > 90).sum())
    with pytest.raises(ModelError) as caught:
        score(Unbounded(), twins, features=["x", "m"])
    assert str(caught.value) == (
        f"The model Unbounded's decision_function returned {expected} infinite "
        "score(s) for 400 twins; score gaps between twins need finite scores. Wrap "
        "the model in a callable returning its decisions to audit those alone."
    )


def test_the_unread_attribute_warning_points_at_the_callers_line():
    # Through score() and through audit(): the user's line either way.
    import twinaudit.datasets as data
    from twinaudit.exceptions import UnreadAttributeWarning

    history = data.loan_applications(200)
    tree = data.loan_model(history)
    twins = ta.from_frame(history, protected={"Gender": "Male"})
    for call in (
        lambda: score(tree, twins, allow_unread=True),
        lambda: ta.audit(tree, twins, allow_unread=True, libraries=False, n_boot=0),
    ):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        unread = [w for w in caught if issubclass(w.category, UnreadAttributeWarning)]
        assert unread and all(points_at_the_caller(w) for w in unread)


@pytest.mark.parametrize("kind", [int, float, bool])
def test_a_column_of_decisions_counts_as_one_decision_per_row(twins, kind):
    def column(frame):
        return (frame["x"].to_numpy() > 50).astype(kind).reshape(-1, 1)

    scored = score(column, twins)
    expected = (twins.frame["x"].to_numpy() > 50).astype(np.int8)
    np.testing.assert_array_equal(scored.y_pred, expected)
    assert scored.predictions.shape == (len(twins.frame),)


def test_which_models_need_the_sensitive_features_at_predict_time():
    from twinaudit.scoring._score import needs_sensitive_features

    class Required:
        def predict(self, X, sensitive_features):
            return X

    class Optional:
        def predict(self, X, sensitive_features=None):
            return X

    class Plain:
        def predict(self, X):
            return X

    class DeclaredNo(Required):
        requires_sensitive_features = False

    class DeclaredYes(Plain):
        requires_sensitive_features = np.bool_(True)

    class DeclaredText(Required):
        requires_sensitive_features = "yes"  # not a bool: the signature decides

    class NotCallable:
        predict = None

    assert needs_sensitive_features(Required())
    assert not needs_sensitive_features(Optional())
    assert not needs_sensitive_features(Plain())
    assert not needs_sensitive_features(DeclaredNo())
    assert needs_sensitive_features(DeclaredYes())
    assert needs_sensitive_features(DeclaredText())
    assert not needs_sensitive_features(NotCallable())
    assert not needs_sensitive_features(lambda frame: frame)


def test_the_sensitive_features_are_the_columns_the_model_names(twins):
    seen = []

    class Named(SensitiveAtPredictTime):
        sensitive_feature_names_in_ = np.array(["m"], dtype=object)

        def _p(self, X, sensitive_features):
            seen.append(list(sensitive_features.columns))
            return super()._p(X, sensitive_features)

    score(Named(), twins, features=["x", "m"])
    assert seen and all(columns == ["m"] for columns in seen)

    class Missing(SensitiveAtPredictTime):
        sensitive_feature_names_in_ = ("sex_code",)

    with pytest.raises(
        ModelError, match=r"reads sensitive feature\(s\) \['sex_code'\]"
    ):
        score(Missing(), twins, features=["x", "m"])
