import re

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier

from twinaudit.exceptions import DataError, ModelError
from twinaudit.generation import generate
from twinaudit.scoring import model_input, score
from twinaudit.spec import Integer, ProtectedAttribute, Provider, TwinSpec

SPEC = TwinSpec(
    fields=[Integer("Income", 30_000, 120_000), Provider("job", "person.occupation")],
    protected=[
        ProtectedAttribute(
            "Gender",
            ["Male", "Female"],
            "Male",
            model_column="Gender_Code",
            encoding={"Male": 1, "Female": 0},
        )
    ],
    seed=1,
)


@pytest.fixture(scope="module")
def twins():
    return generate(SPEC, 200)


def test_the_model_gets_its_own_columns_and_codes(twins):
    X = model_input(twins, features=["Gender_Code", "Income"])
    assert list(X.columns) == ["Gender_Code", "Income"]
    assert X["Gender_Code"].tolist()[:4] == [1, 0, 1, 0]
    assert X["Gender_Code"].dtype.kind == "i"


def test_feature_names_in_pick_the_columns(twins, loan_tree):
    scored = score(loan_tree, twins)
    assert scored.features == ("Gender_Code", "Income")
    assert scored.favorable_label == 1
    assert scored.y_pred.dtype == np.int8
    assert scored.scores is not None and scored.scores.shape == (400,)
    assert scored.decision_matrix().shape == (200, 2)


def test_a_pipeline_with_text_features(twins):
    train = twins.frame.assign(Gender_Code=np.tile([1, 0], 200), y=np.tile([1, 0], 200))
    pipe = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["job"]), remainder="passthrough"
        ),
        LogisticRegression(max_iter=200),
    ).fit(train[["job", "Gender_Code", "Income"]], train["y"])
    scored = score(pipe, twins)
    assert scored.features == ("job", "Gender_Code", "Income")
    assert set(np.unique(scored.y_pred)) <= {0, 1}


def test_a_plain_callable(twins):
    def approve(frame):
        return (frame["Income"] > 60_000).to_numpy()

    scored = score(approve, twins)
    assert scored.model_name == "approve"
    assert scored.favorable_label is True
    assert scored.scores is None
    assert scored.y_pred.sum() == (twins.frame["Income"] > 60_000).sum()


def test_string_labels_need_a_favourable_label(twins):
    y = np.where(np.arange(400) % 3, "approved", "denied")
    X = model_input(twins, features=["Income", "Gender_Code"])
    model = DecisionTreeClassifier(random_state=0).fit(X, y)
    with pytest.raises(
        ModelError,
        match=re.escape(
            "Cannot tell which of the model's labels ['approved', 'denied'] is the "
            "favourable decision; pass favorable_label=..."
        ),
    ):
        score(model, twins)
    scored = score(model, twins, favorable_label="approved")
    assert (scored.y_pred == (scored.predictions == "approved")).all()
    with pytest.raises(ModelError, match="favorable_label='yes' is not among"):
        score(model, twins, favorable_label="yes")


@pytest.mark.parametrize(
    "model, error, message",
    [
        (
            object(),
            ModelError,
            "The model must be a fitted estimator with a predict method, "
            "or a callable taking a DataFrame and returning decisions. Got object",
        ),
        (
            DecisionTreeClassifier(),
            ModelError,
            "The model DecisionTreeClassifier is not "
            "fitted; call fit(...) on your training data first.",
        ),
        (
            lambda frame: np.ones(3),
            ModelError,
            "The model <lambda> returned predictions of shape (3,) "
            "for 400 twins; it must return one decision per row.",
        ),
        (
            lambda frame: np.full(len(frame), np.nan),
            ModelError,
            "The model <lambda> returned 400 missing (NaN) decision(s) for 400 twins; "
            "it must return a decision for every twin.",
        ),
        (
            lambda frame: frame["Income"] / 1000.0,
            ModelError,
            "The model <lambda> returned 200 distinct scores (e.g. [30.",
        ),
        (
            lambda frame: frame["nope"],
            ModelError,
            "The model <lambda> failed on the twins",
        ),
    ],
)
def test_models_that_cannot_score_twins(twins, model, error, message):
    with pytest.raises(error, match=re.escape(message)):
        score(model, twins)


def test_a_model_needing_a_column_the_twins_lack(twins):
    X = pd.DataFrame({"Gender_Code": [0, 1], "Incme": [1, 2]})
    model = DecisionTreeClassifier().fit(X, [0, 1])
    with pytest.raises(
        DataError,
        match=re.escape(
            "The model needs column(s) ['Incme'] that the twins do not have. Did you "
            "mean 'Income'?"
        ),
    ):
        score(model, twins)


def test_multiclass_and_regression_models_are_refused(twins):
    X = model_input(twins, features=["Income", "Gender_Code"])
    multi = DecisionTreeClassifier().fit(X, np.arange(400) % 3)
    with pytest.raises(
        ModelError,
        match=re.escape(
            "The model DecisionTreeClassifier has 3 classes [0, 1, 2]; twinaudit "
            "audits binary decisions."
        ),
    ):
        score(multi, twins)
    reg = LinearRegression().fit(X, np.arange(400.0))
    with pytest.raises(
        ModelError,
        match=re.escape("The model LinearRegression returned 400 distinct scores"),
    ):
        score(reg, twins)


def test_to_frame_appends_decisions_without_touching_the_twins(twins, loan_tree):
    scored = score(loan_tree, twins)
    frame = scored.to_frame()
    assert list(frame.columns[-2:]) == ["decision", "decision_score"]
    assert "decision" not in twins.frame.columns


def test_protected_columns_reach_the_model_as_plain_values():
    from sklearn.ensemble import HistGradientBoostingClassifier

    spec = TwinSpec(
        fields=[Integer("x", 0, 200)],
        protected=[ProtectedAttribute("group", [1, 0], 1)],
        seed=0,
    )
    twins = generate(spec, 50)
    X = model_input(twins, features=["group", "x"])
    assert X["group"].dtype.kind == "i"
    train = pd.DataFrame({"group": np.arange(200) % 2, "x": np.arange(200)})
    model = HistGradientBoostingClassifier().fit(
        train, (train.x > 100) | (train.group == 1)
    )
    scored = score(model, twins)
    expected = model.predict(X)
    assert (scored.predictions == expected).all()


def test_models_fitted_without_column_names(twins):
    train = model_input(twins, features=["Gender_Code", "Income"])
    model = LogisticRegression(max_iter=500).fit(train.to_numpy(), np.arange(400) % 2)
    with pytest.raises(
        ModelError,
        match=re.escape(
            "The model LogisticRegression was fitted without column names (2 features), "
            "so twinaudit cannot tell which twin columns it needs. Pass features=[...]"
        ),
    ):
        score(model, twins)
    scored = score(
        model, twins, features=["Gender_Code", "Income"]
    )  # no sklearn warning
    assert (scored.predictions == model.predict(train.to_numpy())).all()
    assert scored.scores is not None


def test_the_estimator_class_instead_of_a_fitted_instance_is_refused(loan_twins):
    from sklearn.tree import DecisionTreeClassifier

    with pytest.raises(
        ModelError,
        match=re.escape(
            "The model must be a fitted estimator instance, not the class "
            "DecisionTreeClassifier: create and fit it first "
            "(model = DecisionTreeClassifier(...).fit(X, y)), then pass the instance."
        ),
    ):
        score(DecisionTreeClassifier, loan_twins)
