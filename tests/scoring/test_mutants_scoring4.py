"""Which attributes a model reads, with two attributes and proxies: the columns
that move with each attribute as the refusal lists them, the second attribute
checked after the first is read, the sensitive features a model names that the
twins lack, the note for a model that reads the attributes at predict time, and a
``predict`` whose signature cannot be read."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import twinaudit as ta
from twinaudit.exceptions import DataError, ModelError, UnreadAttributeWarning
from twinaudit.scoring import score
from twinaudit.scoring._score import needs_sensitive_features

SPEC = ta.TwinSpec(
    fields=[ta.Integer("x", 0, 100), ta.Derived("xs", "x * 2")],
    protected=[
        ta.ProtectedAttribute(
            "sex",
            ["M", "F"],
            privileged="M",
            model_column="m",
            encoding={"M": 1, "F": 0},
        ),
        ta.ProtectedAttribute("race", ["a", "b"], privileged="a"),
    ],
    proxies=[
        ta.Proxy("title", "sex", {"M": "Mr", "F": "Ms"}),
        ta.Proxy("nick", "race", {"a": "A", "b": "B"}),
    ],
    seed=1,
)


@pytest.fixture(scope="module")
def twins() -> ta.Twins:
    return ta.generate(SPEC, 40)


def by_x(frame):
    return (frame["x"] > 50).astype(int).to_numpy()


def refusal(attribute: str, reads: list[str], moving: list[str]) -> str:
    return (
        f"The model by_x does not read protected attribute {attribute!r}: it reads "
        f"{reads}, and none of the columns that move with {attribute!r} ({moving}) "
        f"is among them, so twins that differ only in {attribute!r} get the same "
        "decision and the audit would find no bias whatever the model does. If the "
        f"model sees {attribute!r} under another name or coding, set model_column= "
        "and encoding= on its ProtectedAttribute; to audit an attribute the model "
        "does not read, pass allow_unread=True."
    )


def test_the_columns_moving_with_an_attribute_are_its_model_column_and_proxies(
    twins,
):
    """'sex' reaches the model as 'm' and moves 'title'; its own column 'sex' (not
    a model input) and the other attribute's proxy 'nick' are not listed."""
    with pytest.raises(ModelError) as caught:
        score(by_x, twins, features=["x"])
    assert str(caught.value) == refusal("sex", ["x"], ["m", "title"])


def test_the_second_attribute_is_checked_after_the_first_is_read(twins):
    with pytest.raises(ModelError) as caught:
        score(by_x, twins, features=["x", "m"])
    assert str(caught.value) == refusal("race", ["x", "m"], ["race", "nick"])


class ReadsAtPredictTime:
    """Like Fairlearn's ThresholdOptimizer: the attributes come as
    sensitive_features at predict time, under the names it was fitted with."""

    requires_sensitive_features = True

    def __init__(self, names):
        self.sensitive_feature_names_in_ = np.array(names, dtype=object)

    def predict(self, X, sensitive_features):
        return (X["x"].to_numpy() > 50).astype(int)


def test_sensitive_features_the_twins_lack_are_refused_in_full(twins):
    with pytest.raises(ModelError) as caught:
        score(ReadsAtPredictTime(["mm", "race"]), twins, features=["x"])
    assert str(caught.value) == (
        "The model ReadsAtPredictTime reads sensitive feature(s) ['mm'] at predict "
        "time, but no protected attribute of the twins has that column (they have "
        "['m', 'race']). Did you mean 'm'? Declare the attribute with "
        "model_column= (and encoding=) naming the column the model was given as "
        "sensitive_features."
    )


def test_a_model_reading_the_attributes_at_predict_time_gets_a_note(twins):
    scored = score(ReadsAtPredictTime(["m", "race"]), twins, features=["x"])
    assert scored.notes == (
        "The model ReadsAtPredictTime reads the protected attribute(s) 'sex', 'race' "
        "directly (sensitive_features= at predict time): each twin was scored with "
        "its own value, so its decisions may depend on the attribute by design.",
    )


class ColumnLookup:
    """predict is a C callable whose signature inspect cannot read."""

    predict = operator.itemgetter("decision")


def test_a_predict_without_a_readable_signature_needs_no_sensitive_features():
    assert needs_sensitive_features(ColumnLookup()) is False


def test_allow_unread_warns_once_for_each_attribute_not_read(twins):
    with pytest.warns(UnreadAttributeWarning) as caught:
        score(by_x, twins, features=["x"], allow_unread=True)
    named = [str(w.message).split("'")[1] for w in caught]
    assert named == ["sex", "race"]


def test_score_refuses_what_is_not_twins_by_its_type(twins):
    with pytest.raises(DataError) as caught:
        score(by_x, twins.frame)
    assert str(caught.value) == "score needs Twins. Got DataFrame."


def test_mixed_codes_reach_the_model_as_the_python_values_given():
    """An encoding of an int and a text: the model sees 1 (an int) and 'f', not
    the text '1' numpy would make of both."""
    from twinaudit.scoring import model_input

    spec = ta.TwinSpec(
        fields=[ta.Integer("x", 0, 100)],
        protected=[
            ta.ProtectedAttribute(
                "sex",
                ["M", "F"],
                privileged="M",
                model_column="m",
                encoding={"M": 1, "F": "f"},
            )
        ],
        seed=1,
    )
    twins = ta.generate(spec, 3)
    column = model_input(twins)["m"]
    assert column.dtype == object
    assert [(type(v), v) for v in column] == [(int, 1), (str, "f")] * 3


GENDER = ta.TwinSpec(
    fields=[ta.Integer("x", 0, 100), ta.Integer("income", 0, 9)],
    protected=[
        ta.ProtectedAttribute(
            "sex",
            ["M", "F"],
            privileged="M",
            model_column="gender",
            encoding={"M": "male", "F": "female"},
        )
    ],
    seed=1,
)


def test_text_codes_replace_the_attribute_as_python_strings():
    """The model sees 'gender' (object dtype, not pandas' own text dtype) in place
    of 'sex', which it never sees."""
    from twinaudit.scoring import model_input

    X = model_input(ta.generate(GENDER, 2))
    assert X.columns.tolist() == ["x", "income", "gender"]
    assert X["gender"].dtype == object
    assert X["gender"].tolist() == ["male", "female"] * 2


def test_missing_model_columns_are_refused_with_one_hint_and_the_attributes():
    from twinaudit.scoring import model_input

    with pytest.raises(DataError) as caught:
        model_input(ta.generate(GENDER, 2), features=["gendr", "incme", "x"])
    assert str(caught.value) == (
        "The model needs column(s) ['gendr', 'incme'] that the twins do not have. "
        "Did you mean 'gender'? Twins provide ['x', 'income', 'gender']. Add them to "
        "the spec as fields, or, if one is a protected attribute under another name "
        "or coding, set model_column= and encoding= on the ProtectedAttribute "
        "(['sex'])."
    )
