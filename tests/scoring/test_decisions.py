"""What the model returns: decisions of every label type, scores, and bad outputs."""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from twinaudit.exceptions import ModelError, TwinauditWarning
from twinaudit.generation import generate
from twinaudit.scoring import ScoredTwins, model_input, score
from twinaudit.spec import Integer, ProtectedAttribute, TwinSpec

SPEC = TwinSpec(
    fields=[Integer("x", 0, 100)],
    protected=[ProtectedAttribute("sex", ["F", "M"], "M")],
    seed=5,
)
N = 150  # pairs; 300 rows


CODED = TwinSpec(
    fields=[Integer("x", 0, 100)],
    protected=[
        ProtectedAttribute(
            "sex", ["F", "M"], "M", model_column="m", encoding={"F": 0, "M": 1}
        )
    ],
    seed=5,
)


@pytest.fixture(scope="module")
def twins():
    return generate(SPEC, N)


@pytest.fixture(scope="module")
def coded():
    """The same twins; the model reads sex as ``m`` (1 for M)."""
    return generate(CODED, N)


def rule(frame):
    """The 'good' outcome: x above 50, or a man with x above 30."""
    x = frame["x"].to_numpy()
    return (x > 50) | ((frame["sex"].to_numpy() == "M") & (x > 30))


# (labels for [good=False, good=True], favorable_label passed, expected favourable)
KINDS = {
    "bool": ((False, True), None, True),
    "int": ((0, 1), None, 1),
    "int-explicit": ((0, 1), 1, 1),
    "int-0-means-approved": ((1, 0), 0, 0),
    "float-0-1": ((0.0, 1.0), None, 1),
    "str": (("denied", "approved"), "approved", "approved"),
    "str-favourable-sorts-last": (
        ("approved", "zzz-denied"),
        "zzz-denied",
        "zzz-denied",
    ),
    "numpy-str": (np.array(["no", "yes"]), "yes", "yes"),
}


@pytest.mark.parametrize("kind", KINDS)
def test_callables_of_every_label_type(twins, kind):
    labels, passed, favourable = KINDS[kind]
    table = np.asarray(labels, dtype=object if isinstance(labels[0], str) else None)

    def model(frame):
        return table[rule(frame).astype(int)]

    scored = score(model, twins, favorable_label=passed)
    good = rule(twins.frame)
    # favourable where the returned label is the favourable one (a hand count)
    expected = good if table[1] == favourable else ~good
    assert scored.y_pred.tolist() == expected.astype(int).tolist()
    assert scored.favorable_label == favourable
    assert scored.scores is None and scored.score_source is None


def training(twins, labels):
    X = model_input(twins, features=["x", "m"])
    assert X["m"].tolist()[:2] == [0, 1]
    y = np.asarray(labels, dtype=object)[rule(twins.frame).astype(int)]
    if not isinstance(labels[0], str):
        y = y.astype(type(labels[0]))
    return X, y


ESTIMATOR_KINDS = {
    "bool": ((False, True), None, True),
    "int": ((0, 1), None, 1),
    "int-0-means-approved": ((1, 0), 0, 0),
    "str-favourable-is-first-class": (("denied", "approved"), "approved", "approved"),
    "str-favourable-is-second-class": (("approved", "denied"), "denied", "denied"),
}


@pytest.mark.parametrize("kind", ESTIMATOR_KINDS)
def test_predict_proba_column_of_the_favourable_class(coded, kind):
    labels, passed, favourable = ESTIMATOR_KINDS[kind]
    X, y = training(coded, labels)
    model = LogisticRegression(max_iter=1000).fit(X, y)
    scored = score(model, coded, favorable_label=passed)
    position = list(model.classes_).index(favourable)
    proba = model.predict_proba(X)
    assert scored.score_source == "predict_proba"
    np.testing.assert_array_equal(scored.scores, proba[:, position])
    # the score is the favourable class's: above one half exactly where favoured
    assert ((scored.scores > 0.5).astype(int) == scored.y_pred).all()
    assert (
        scored.y_pred.tolist() == (model.predict(X) == favourable).astype(int).tolist()
    )


@pytest.mark.parametrize("pipeline", [False, True])
@pytest.mark.parametrize("kind", ESTIMATOR_KINDS)
def test_decision_function_is_signed_towards_the_favourable_class(
    coded, kind, pipeline
):
    labels, passed, favourable = ESTIMATOR_KINDS[kind]
    X, y = training(coded, labels)
    svc = LinearSVC(C=10.0, max_iter=20_000)
    model = (make_pipeline(StandardScaler(), svc) if pipeline else svc).fit(X, y)
    assert not hasattr(model, "predict_proba")
    scored = score(model, coded, favorable_label=passed)
    assert scored.score_source == "decision_function"
    raw = model.decision_function(X)  # the score of classes_[1]
    sign = 1.0 if list(model.classes_).index(favourable) == 1 else -1.0
    np.testing.assert_array_equal(scored.scores, sign * raw)
    assert ((scored.scores > 0).astype(int) == scored.y_pred).all()


def test_scores_appear_in_the_frame_and_the_repr(coded):
    X, y = training(coded, (0, 1))
    model = LogisticRegression().fit(X, y)
    scored = score(model, coded)
    frame = scored.to_frame()
    np.testing.assert_array_equal(frame["decision_score"], scored.scores)


class Counting:
    """A 0/1 model that counts its calls."""

    classes_ = np.array([0, 1])

    def __init__(self, fail=None):
        self.calls = {"predict": 0, "predict_proba": 0}
        self.fail = fail

    def predict(self, X):
        self.calls["predict"] += 1
        return (X["x"].to_numpy() > 50).astype(int)

    def predict_proba(self, X):
        self.calls["predict_proba"] += 1
        if self.fail is not None:
            raise self.fail
        p = X["x"].to_numpy() / 100.0
        return np.column_stack([1 - p, p])


def test_the_model_runs_once_for_decisions_and_once_for_scores(twins):
    model = Counting()
    scored = score(model, twins, features=["x", "sex"])
    assert model.calls == {"predict": 1, "predict_proba": 1}
    np.testing.assert_array_equal(scored.scores, twins.frame["x"] / 100.0)


def test_a_failing_predict_proba_is_an_error_with_its_cause(twins):
    cause = RuntimeError("probabilities are not calibrated")
    with pytest.raises(
        ModelError,
        match=re.escape(
            "The model Counting has predict_proba, but it failed on the twins "
            "(RuntimeError: probabilities are not calibrated); fix it, or wrap the "
            "model so it exposes predict only."
        ),
    ) as info:
        score(Counting(fail=cause), twins, features=["x", "sex"])
    assert info.value.__cause__ is cause


def test_scores_of_the_wrong_shape_or_with_nan_are_errors(twins):
    class Wide(Counting):
        def predict_proba(self, X):
            return np.ones((len(X), 3)) / 3

    with pytest.raises(
        ModelError,
        match=re.escape(
            "The model Wide's predict_proba returned shape (300, 3) for 300 twins "
            "and classes [0, 1]; it must return one column per class."
        ),
    ):
        score(Wide(), twins, features=["x", "sex"])

    class Margins:
        classes_ = np.array([0, 1])

        def predict(self, X):
            return (X["x"].to_numpy() > 50).astype(int)

        def decision_function(self, X):
            return np.zeros((len(X), 2))

    with pytest.raises(
        ModelError,
        match=re.escape(
            "The model Margins's decision_function returned shape (300, 2) for 300 "
            "twins and classes [0, 1]; it must return one score per row."
        ),
    ):
        score(Margins(), twins, features=["x", "sex"])

    class Blank(Counting):
        def predict_proba(self, X):
            return np.full((len(X), 2), np.nan)

    with pytest.raises(
        ModelError,
        match=re.escape(
            "The model Blank's predict_proba returned 300 NaN score(s) for 300 twins."
        ),
    ):
        score(Blank(), twins, features=["x", "sex"])

    class Unbounded:
        classes_ = np.array([0, 1])

        def predict(self, X):
            return (X["x"].to_numpy() > 50).astype(int)

        def decision_function(self, X):
            margin = X["x"].to_numpy(dtype=float) - 50
            return np.where(margin > 40, np.inf, margin)  # a few +inf margins

    expected = int((twins.frame["x"] > 90).sum())
    assert expected > 0
    with pytest.raises(
        ModelError,
        match=re.escape(
            f"The model Unbounded's decision_function returned {expected} infinite "
            "score(s) for 300 twins; score gaps between twins need finite scores."
        ),
    ):
        score(Unbounded(), twins, features=["x", "sex"])


def test_scores_without_classes_are_left_out_with_a_warning(twins):
    class NoClasses(Counting):
        classes_ = None

    with pytest.warns(
        TwinauditWarning,
        match=re.escape(
            "The model NoClasses has predict_proba but no classes_, so twinaudit "
            "cannot tell which column scores the favourable decision; scores are "
            "left out. Give the model a classes_ attribute to include them."
        ),
    ):
        scored = score(NoClasses(), twins, features=["x", "sex"])
    assert scored.scores is None and scored.score_source is None


# -- pandas output -----------------------------------------------------------------------
@pytest.mark.parametrize("shape", ["series", "frame"])
def test_a_series_with_a_shuffled_index_is_aligned(twins, shape):
    def shuffled(frame):
        decisions = pd.Series(rule(frame).astype(int), index=frame.index)
        out = decisions.sample(frac=1.0, random_state=0)
        return out.to_frame("d") if shape == "frame" else out

    scored = score(shuffled, twins)
    assert scored.y_pred.tolist() == rule(twins.frame).astype(int).tolist()
    matrix = scored.decision_matrix()
    x = twins.frame["x"].to_numpy()[::2]
    # a hand count: the twins disagree exactly when 30 < x <= 50
    assert (matrix[:, 0] != matrix[:, 1]).tolist() == ((x > 30) & (x <= 50)).tolist()


@pytest.mark.parametrize(
    "make_index, problem",
    [
        (lambda index: index + 1000, "label 1000 is not one of them"),
        (
            lambda index: np.zeros(len(index), dtype=int),
            "label 0 appears more than once",
        ),
    ],
)
def test_a_series_whose_index_is_not_the_inputs_is_refused(twins, make_index, problem):
    def model(frame):
        return pd.Series(rule(frame).astype(int), index=make_index(frame.index))

    with pytest.raises(
        ModelError,
        match=re.escape(
            "The model model returned a pandas Series whose index does not match the "
            f"rows it received ({problem}); return one decision per row, in the order "
            "received or with the index received."
        ),
    ):
        score(model, twins)


# -- favourable labels the model never gives ------------------------------------------------
@pytest.mark.parametrize(
    "output, favorable_label, labels",
    [
        (1, 5, [1]),
        (1, "approved", [1]),
        ("denied", "approved", ["denied"]),
        (True, "yes", [True]),
    ],
)
def test_a_favourable_label_the_model_never_outputs(
    twins, output, favorable_label, labels
):
    def constant(frame):
        return np.full(
            len(frame), output, dtype=object if isinstance(output, str) else None
        )

    with pytest.raises(
        ModelError,
        match=re.escape(
            f"favorable_label={favorable_label!r} is not among the labels the model "
            f"produced: {labels}. Pass one of them (the decision that favours the "
            "person, such as an approval)."
        ),
    ):
        score(constant, twins, favorable_label=favorable_label)


@pytest.mark.parametrize(
    "output, favorable_label", [(0, 1), (1, 0), (False, True), (0.0, 1)]
)
def test_a_zero_one_model_that_never_favours_anyone_is_valid(
    twins, output, favorable_label
):
    scored = score(
        lambda f: np.full(len(f), output), twins, favorable_label=favorable_label
    )
    assert scored.y_pred.sum() == 0


def test_a_favourable_label_outside_the_models_classes(coded):
    X, y = training(coded, ("denied", "approved"))
    model = LogisticRegression().fit(X, y)
    with pytest.raises(
        ModelError,
        match=re.escape(
            "favorable_label='Approved' is not among the model's classes ['approved', "
            "'denied']. Did you mean 'approved'? Pass one of them (the decision that "
            "favours the person, such as an approval)."
        ),
    ):
        score(model, coded, favorable_label="Approved")


# -- outputs that are not binary decisions --------------------------------------------------
@pytest.mark.parametrize(
    "model, message",
    [
        (
            lambda f: np.asarray(["a", "b", "c"], dtype=object)[f["x"].to_numpy() % 3],
            "The model <lambda> returned 3 distinct labels (e.g. ['a', 'b', 'c']); "
            "twinaudit audits binary decisions. Wrap it so it returns 0/1 decisions "
            "(threshold scores first).",
        ),
        (
            lambda f: np.where(f["x"].to_numpy() > 50, 0.7, 0.3),
            "The model <lambda> returned 2 distinct scores (e.g. [0.3, 0.7]); "
            "twinaudit audits binary decisions. Wrap it so it returns 0/1 decisions "
            "(threshold scores first).",
        ),
        (
            lambda f: f["x"].to_numpy() % 3,
            "The model <lambda> returned 3 distinct labels (e.g. [0, 1, 2]); "
            "twinaudit audits binary decisions.",
        ),
    ],
)
def test_outputs_that_are_not_binary_decisions(twins, model, message):
    with pytest.raises(ModelError, match=re.escape(message)):
        score(model, twins, favorable_label=None)


@pytest.mark.parametrize(
    "values",
    [
        lambda n: np.where(np.arange(n) % 150 == 0, np.nan, 1.0),
        lambda n: np.where(np.arange(n) % 150 == 0, None, "yes").astype(object),
        lambda n: pd.array(np.where(np.arange(n) % 150 == 0, pd.NA, 1), dtype="Int64"),
    ],
    ids=["float-nan", "object-none", "nullable-int"],
)
def test_missing_decisions_are_counted(twins, values):
    with pytest.raises(
        ModelError,
        match=re.escape(
            "The model <lambda> returned 2 missing (NaN) decision(s) for 300 twins; it "
            "must return a decision for every twin."
        ),
    ):
        score(lambda f: values(len(f)), twins, favorable_label="yes")


def test_a_predict_that_raises_keeps_its_cause(twins):
    cause = KeyError("Income")

    def model(frame):
        raise cause

    with pytest.raises(
        ModelError,
        match=re.escape(
            "The model model failed on the twins (KeyError: 'Income'). It received "
            "columns ['sex', 'x']."
        ),
    ) as info:
        score(model, twins)
    assert info.value.__cause__ is cause


def test_score_source_is_checked():
    with pytest.raises(ModelError, match=re.escape("score_source must be")):
        ScoredTwins(
            twins=generate(SPEC, 1),
            y_pred=np.zeros(2, dtype=np.int8),
            predictions=np.zeros(2),
            scores=None,
            favorable_label=1,
            model_name="m",
            features=("x",),
            score_source="proba",
        )


def test_a_model_fitted_on_one_class_scores_the_other_as_impossible(coded):
    from sklearn.tree import DecisionTreeClassifier

    X = model_input(coded, features=["x", "m"])
    model = DecisionTreeClassifier().fit(X, np.zeros(len(X), dtype=int))
    scored = score(model, coded, favorable_label=1)
    assert scored.y_pred.sum() == 0
    assert scored.score_source == "predict_proba"
    assert scored.scores.tolist() == [0.0] * len(X)
