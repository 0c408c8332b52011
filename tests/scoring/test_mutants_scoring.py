"""Scoring details a one-line change would break: message texts, names, boundaries.

Expected values are hand counts on small twins built here (decisions from a rule on
``x`` written in the test), never the output of the code under test.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pytest

from twinaudit.exceptions import DataError, ModelError
from twinaudit.generation import generate
from twinaudit.scoring import ScoredTwins, score
from twinaudit.spec import Integer, ProtectedAttribute, TwinSpec

N = 600  # pairs; 1,200 rows, so counts need a thousands separator


@cache
def twins():
    spec = TwinSpec(
        fields=[Integer("x", 0, 100)],
        protected=[ProtectedAttribute("sex", ["F", "M"], "M")],
        seed=7,
    )
    return generate(spec, N)


@cache
def wide_twins(n_fields):
    """Twins with fields f00, f01, ... and a protected attribute no model reads."""
    spec = TwinSpec(
        fields=[Integer(f"f{i:02d}", 0, 9) for i in range(n_fields)],
        protected=[ProtectedAttribute("sex", ["F", "M"], "M")],
        seed=3,
    )
    return generate(spec, 5)


def approve(frame):
    return (frame["x"] > 40).to_numpy().astype(int)


def make_scored(**changes):
    t = twins()
    fields = {
        "twins": t,
        "y_pred": np.zeros(2 * N, dtype=np.int8),
        "predictions": np.zeros(2 * N),
        "scores": None,
        "favorable_label": 1,
        "model_name": "m",
        "features": ("x",),
        "score_source": None,
    }
    fields.update(changes)
    return ScoredTwins(**fields)


# -- ScoredTwins ---------------------------------------------------------------------
def test_an_unknown_score_source_is_refused_with_the_choices():
    with pytest.raises(
        ModelError,
        match=re.escape(
            "score_source must be one of ['predict_proba', 'decision_function'] or "
            "None. Got 'proba'."
        ),
    ):
        make_scored(scores=np.zeros(2 * N), score_source="proba")


@pytest.mark.parametrize("source", ["predict_proba", "decision_function"])
def test_a_score_source_without_scores_is_refused(source):
    with pytest.raises(
        ModelError,
        match=re.escape(f"score_source is {source!r} but there are no scores."),
    ):
        make_scored(score_source=source)


@pytest.mark.parametrize("source", ["predict_proba", "decision_function", None])
def test_valid_score_sources_are_accepted(source):
    scores = None if source is None else np.linspace(0, 1, 2 * N)
    scored = make_scored(scores=scores, score_source=source)
    assert scored.score_source == source


def test_the_repr_counts_favourable_decisions_with_separators():
    t = twins()

    def lenient(frame):
        return (frame["x"] > 5).to_numpy().astype(int)

    favourable = int((t.frame["x"] > 5).sum())  # hand count on the rows
    assert favourable >= 1000  # so the count needs a separator too
    assert repr(score(lenient, t)) == (
        f"ScoredTwins(lenient on {t!r}: {favourable:,} of 1,200 decisions favourable)"
    )


def test_to_frame_appends_decisions_and_scores_under_the_given_name():
    t = twins()
    scores = np.linspace(0.0, 1.0, 2 * N)
    predictions = np.arange(2 * N) % 2
    scored = make_scored(
        predictions=predictions, scores=scores, score_source="predict_proba"
    )
    frame = scored.to_frame("approved")
    assert list(frame.columns) == [*t.frame.columns, "approved", "approved_score"]
    assert frame["approved"].tolist() == predictions.tolist()
    assert frame["approved_score"].tolist() == scores.tolist()
    plain = make_scored(predictions=predictions).to_frame()
    assert list(plain.columns) == [*t.frame.columns, "decision"]


def test_to_frame_refuses_a_column_the_twins_already_have():
    with pytest.raises(
        DataError,
        match=re.escape(
            "The twins already have a column 'x'; pass another decision_column=... "
            "name."
        ),
    ):
        make_scored().to_frame("x")


# -- model names ---------------------------------------------------------------------
def test_a_function_is_named_by_its_name_and_an_object_by_its_class():
    class Approver:
        def __call__(self, frame):
            return approve(frame)

    assert score(approve, twins()).model_name == "approve"
    assert score(Approver(), twins()).model_name == "Approver"
    assert score(lambda f: approve(f), twins()).model_name == "<lambda>"


def test_a_callable_class_named_function_without_a_name_is_called_function():
    # type(model).__name__ == "function" but the object has no __name__ attribute.
    function = type("function", (), {"__call__": lambda self, frame: approve(frame)})
    model = function()
    assert not hasattr(model, "__name__")
    assert score(model, twins()).model_name == "function"


# -- unread attributes: how many columns the message lists ----------------------------
def reads_all(frame):
    return (frame.iloc[:, 0] > 4).to_numpy().astype(int)


def test_ten_columns_are_listed_in_full():
    t = wide_twins(10)
    columns = [f"f{i:02d}" for i in range(10)]
    with pytest.raises(
        ModelError,
        match=re.escape(
            f"does not read protected attribute 'sex': it reads {columns}, and none"
        ),
    ):
        score(reads_all, t, features=columns)


def test_more_than_ten_columns_are_cut_to_ten_and_counted():
    t = wide_twins(13)
    columns = [f"f{i:02d}" for i in range(13)]
    with pytest.raises(
        ModelError,
        match=re.escape(
            f"does not read protected attribute 'sex': it reads {columns[:10]} and 3 "
            "more, and none"
        ),
    ):
        score(reads_all, t, features=columns)


# -- models fitted without column names ----------------------------------------------
class Unnamed:
    """A fitted model that knows only how many columns it was trained on."""

    def __init__(self, n_features_in_):
        self.n_features_in_ = n_features_in_

    def predict(self, X):
        return (np.asarray(X)[:, 1].astype(float) > 40).astype(int)


@pytest.mark.parametrize("n", [2, np.int64(2)], ids=["int", "numpy-int"])
def test_a_model_fitted_without_names_needs_features(n):
    with pytest.raises(
        ModelError,
        match=re.escape(
            "The model Unnamed was fitted without column names (2 features), so "
            "twinaudit cannot tell which twin columns it needs. Pass features=[...] "
            "with the twin columns in training order (the twins have ['sex', 'x'] and "
            "the model columns of the protected attributes)."
        ),
    ):
        score(Unnamed(n), twins())


def test_a_model_fitted_without_names_gets_a_plain_array_in_feature_order():
    t = twins()
    scored = score(Unnamed(2), t, features=["sex", "x"])
    expected = (t.frame["x"] > 40).to_numpy().astype(int)  # column 1 is x
    assert scored.y_pred.tolist() == expected.tolist()


def test_a_non_integer_feature_count_is_not_read_as_unnamed():
    t = twins()
    scored = score(Unnamed(2.0), t)  # no error: 2.0 is not a column count
    assert scored.features == ("sex", "x")


# -- favourable labels ---------------------------------------------------------------
def test_labels_other_than_zero_and_one_need_a_favourable_label():
    def twos_and_threes(frame):
        return np.where(frame["x"] > 40, 3, 2)

    # labels are listed in the order the model first returned them
    first = 3 if twins().frame["x"].iloc[0] > 40 else 2
    shown = [first, 5 - first]
    with pytest.raises(
        ModelError,
        match=re.escape(
            f"Cannot tell which of the model's labels {shown} is the favourable "
            "decision; pass favorable_label=... (for example the label meaning "
            "'approved')."
        ),
    ):
        score(twos_and_threes, twins())
    t = twins()
    scored = score(twos_and_threes, t, favorable_label=3)
    assert scored.y_pred.tolist() == (t.frame["x"] > 40).astype(int).tolist()


class Incomparable:
    """A favourable label whose comparison raises."""

    def __eq__(self, other):
        raise TypeError("cannot compare")

    __hash__ = object.__hash__

    def __repr__(self):
        return "Incomparable()"


def test_a_favourable_label_that_cannot_be_compared_is_not_among_the_labels():
    with pytest.raises(
        ModelError,
        match=re.escape(
            "favorable_label=Incomparable() is not among the labels the model "
            "produced: [0, 1]."
        ),
    ):
        score(approve, twins(), favorable_label=Incomparable())


def test_missing_decisions_message_is_complete():
    def gaps(frame):
        out = (frame["x"] > 40).to_numpy().astype(float)
        out[:3] = np.nan
        return out

    with pytest.raises(
        ModelError,
        match=re.escape(
            "The model gaps returned 3 missing (NaN) decision(s) for 1200 twins; it "
            "must return a decision for every twin."
        ),
    ):
        score(gaps, twins())


def test_a_model_fitted_with_names_is_not_asked_for_features():
    class Named(Unnamed):
        feature_names_in_ = np.array(["x", "sex"], dtype=object)

        def predict(self, X):
            return (X["x"] > 40).to_numpy().astype(int)

    t = twins()
    scored = score(Named(2), t)  # n_features_in_ is set too, as sklearn does
    assert scored.features == ("x", "sex")
    assert scored.y_pred.tolist() == (t.frame["x"] > 40).astype(int).tolist()


def test_text_labels_are_never_the_number_they_spell():
    def text(frame):
        return np.where(frame["x"] > 40, "1", "0").astype(object)

    with pytest.raises(
        ModelError,
        match=re.escape(
            "favorable_label=1 is not among the labels the model produced: ['0', '1']."
        ),
    ):
        score(text, twins(), favorable_label=1)
    with pytest.raises(
        ModelError,
        match=re.escape(
            "favorable_label='2' is not among the labels the model produced: ['0', "
            "'1']."
        ),
    ):
        score(text, twins(), favorable_label="2")
    t = twins()
    scored = score(text, t, favorable_label="1")
    assert scored.y_pred.tolist() == (t.frame["x"] > 40).astype(int).tolist()


def test_decision_and_score_matrices_have_one_row_per_pair():
    t = twins()
    y_pred = (np.arange(2 * N) % 3 == 0).astype(np.int8)
    scores = np.arange(2 * N) / (2 * N)
    scored = make_scored(y_pred=y_pred, scores=scores, score_source="predict_proba")
    # row i holds rows 2i and 2i+1 of the twins (pair i, variants in order)
    assert scored.n_pairs == N
    assert scored.decision_matrix().tolist() == [
        [int(2 * i % 3 == 0), int((2 * i + 1) % 3 == 0)] for i in range(N)
    ]
    assert scored.score_matrix().tolist() == [
        [2 * i / (2 * N), (2 * i + 1) / (2 * N)] for i in range(N)
    ]
    assert make_scored().score_matrix() is None
    assert t.n_variants == 2
