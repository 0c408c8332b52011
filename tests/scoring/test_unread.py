"""An attribute the model never reads cannot be audited silently (issue 6 item 2)."""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.tree import DecisionTreeClassifier

from twinaudit.datasets import loan_applications, loan_model
from twinaudit.exceptions import (
    DataError,
    ModelError,
    TwinauditWarning,
    UnreadAttributeWarning,
)
from twinaudit.generation import Twins, from_frame, generate
from twinaudit.scoring import score
from twinaudit.spec import Derived, Integer, ProtectedAttribute, Proxy, TwinSpec

FIX = (
    " If the model sees {name!r} under another name or coding, set model_column= "
    "and encoding= on its ProtectedAttribute; to audit an attribute the model does "
    "not read, pass allow_unread=True."
)


@pytest.fixture(scope="module")
def history():
    return loan_applications(500, seed=7)


@pytest.fixture(scope="module")
def tree():
    return loan_model()


def tutorial_message(history_name="Gender"):
    return (
        "The model DecisionTreeClassifier does not read protected attribute 'Gender': "
        "it reads ['Gender_Code', 'Income'], and none of the columns that move with "
        "'Gender' (['Gender']) is among them, so twins that differ only in "
        "'Gender' get the same decision and the audit would find no bias whatever "
        "the model does. Column 'Gender_Code', which the model reads, matches 'Gender' one to "
        "one in the factual rows ('Male' -> 1, 'Female' -> 0) but is copied "
        "unchanged to every twin: use ProtectedAttribute('Gender', ['Male', "
        "'Female'], privileged='Male', model_column='Gender_Code', "
        "encoding={'Male': 1, 'Female': 0})." + FIX.format(name="Gender")
    )


def test_the_tutorials_history_names_the_column_the_model_reads(history, tree):
    # Varying Gender while the model reads Gender_Code gave flip rate 0.0.
    twins = from_frame(history, protected={"Gender": "Male"})
    with pytest.raises(ModelError, match=re.escape(tutorial_message())):
        score(tree, twins)


def test_allow_unread_warns_and_scores(history, tree):
    twins = from_frame(history, protected={"Gender": "Male"})
    message = (
        "The model DecisionTreeClassifier does not read protected attribute "
        "'Gender' (it reads ['Gender_Code', 'Income']): twins that differ only in "
        "'Gender' get the same decision, so its audit finds no bias by construction. "
        "Column 'Gender_Code', which the model reads, matches 'Gender' one to one"
    )
    with pytest.warns(UnreadAttributeWarning, match=re.escape(message)):
        scored = score(tree, twins, allow_unread=True)
    assert issubclass(UnreadAttributeWarning, TwinauditWarning)
    decisions = scored.decision_matrix()
    assert (decisions[:, 0] == decisions[:, 1]).all()


def test_the_suggested_fix_finds_the_bias(history, tree):
    attribute = ProtectedAttribute(
        "Gender",
        ["Male", "Female"],
        privileged="Male",
        model_column="Gender_Code",
        encoding={"Male": 1, "Female": 0},
    )
    twins = from_frame(history, [attribute])
    decisions = score(tree, twins).decision_matrix()
    # Another route: the tree on the same incomes as men and as women.
    income = history["Income"]
    male = tree.predict(pd.DataFrame({"Gender_Code": 1, "Income": income}))
    female = tree.predict(pd.DataFrame({"Gender_Code": 0, "Income": income}))
    assert decisions[:, 0].tolist() == male.tolist()
    assert decisions[:, 1].tolist() == female.tolist()
    flip_rate = float(np.mean(male != female))
    assert 0.4 < flip_rate < 0.7
    assert float(np.mean(decisions[:, 0] != decisions[:, 1])) == flip_rate


SPEC = TwinSpec(
    fields=[Integer("x", 0, 100), Derived("x_sex", "x + (sex == 'F') * 1000")],
    protected=[
        ProtectedAttribute("sex", ["F", "M"], "M"),
        ProtectedAttribute("race", ["b", "w", "a"], "w"),
    ],
    proxies=[Proxy("title", "sex", {"F": "Ms", "M": "Mr"})],
    mode="proxy",
    seed=3,
)


def fitted(columns):
    twins = generate(SPEC, 60)
    X = twins.frame[columns].copy()
    for c in X.columns:
        if X[c].dtype.kind not in "biuf":
            X[c] = pd.factorize(X[c])[0]
    y = np.arange(len(X)) % 2
    return DecisionTreeClassifier(max_depth=2).fit(X, y), twins


def test_a_model_reading_none_of_the_varied_columns_is_refused():
    twins = generate(SPEC, 20)
    message = (
        "The model <lambda> does not read protected attribute 'sex': it reads ['x'], "
        "and none of the columns that move with 'sex' (['sex', 'x_sex', "
        "'title']) is among them, so twins that differ only in 'sex' get the same "
        "decision and the audit would find no bias whatever the model does."
        + FIX.format(name="sex")
    )
    with pytest.raises(ModelError, match=re.escape(message)):
        score(lambda f: (f["x"] > 50).to_numpy(), twins, features=["x"])


@pytest.mark.parametrize(
    "features, unread",
    [
        (["x", "sex"], "race"),
        (["x", "title"], "race"),  # a proxy that follows sex
        (["x_sex"], "race"),  # a derived column that follows sex
        (["x", "race"], "sex"),
        (["sex", "race"], None),
        (["title", "race"], None),
    ],
)
def test_each_varied_attribute_must_reach_the_model(features, unread):
    twins = generate(SPEC, 20)

    def model(frame):
        return np.zeros(len(frame), dtype=int)

    if unread is None:
        score(model, twins, features=features)
        return
    message = f"The model model does not read protected attribute {unread!r}: it reads {features}"
    with pytest.raises(ModelError, match=re.escape(message)):
        score(model, twins, features=features)
    with pytest.warns(
        UnreadAttributeWarning, match=re.escape(f"attribute {unread!r} (it reads")
    ):
        score(model, twins, features=features, allow_unread=True)


def test_an_attribute_held_fixed_is_not_checked():
    twins = generate(SPEC, 20)
    held = Twins(
        twins.frame.loc[twins.frame["race"] == "w"],
        SPEC.protected,
        proxies=["title", "x_sex"],
        varied=["sex"],
        validate=False,
    )
    score(lambda f: np.ones(len(f), dtype=int), held, features=["sex"])


def test_a_callable_gets_every_column_and_so_reads_the_attribute():
    twins = generate(SPEC, 20)
    score(lambda f: (f["x"] > 50).to_numpy(), twins)


def test_user_twins_count_every_declared_proxy():
    frame = pd.DataFrame(
        {
            "pair_id": [0, 0, 1, 1],
            "sex": ["M", "F", "M", "F"],
            "name": ["Tom", "Ann", "Bob", "Eve"],
            "x": [1, 1, 2, 2],
        }
    )
    twins = Twins(frame, {"sex": "M"}, proxies=["name"])
    score(lambda f: np.ones(len(f), dtype=int), twins, features=["name"])
    with pytest.raises(ModelError, match=re.escape("(['sex', 'name']) is among them")):
        score(lambda f: np.ones(len(f), dtype=int), twins, features=["x"])


@pytest.mark.parametrize("privileged_at", ["first", "last"])
@pytest.mark.parametrize("k", [2, 3])
def test_the_aligned_column_is_found_for_any_value_order(privileged_at, k):
    values = ["a", "b", "c"][:k]
    codes = [10, 20, 30][:k]
    privileged = values[0] if privileged_at == "first" else values[-1]
    rng = np.random.default_rng(k)
    own = rng.integers(0, k, 40)
    data = pd.DataFrame(
        {
            "x": rng.integers(0, 9, 40),
            "g": np.asarray(values, dtype=object)[own],
            "g_code": np.asarray(codes)[own],
        },
        index=[f"row{i}" for i in range(40)],
    )
    model = DecisionTreeClassifier(max_depth=2).fit(data[["g_code", "x"]], own % 2)
    attribute = ProtectedAttribute("g", values, privileged)
    twins = from_frame(data, [attribute])
    encoding = dict(zip(values, codes, strict=True))
    shown = ", ".join(f"{v!r} -> {c}" for v, c in encoding.items())
    message = (
        f"Column 'g_code', which the model reads, matches 'g' one to one in the "
        f"factual rows ({shown}) but is copied unchanged to every twin: use "
        f"ProtectedAttribute('g', {values!r}, privileged={privileged!r}, "
        f"model_column='g_code', encoding={encoding!r})."
    )
    with pytest.raises(ModelError, match=re.escape(message)):
        score(model, twins)


def test_a_column_that_is_not_one_to_one_is_not_suggested():
    data = pd.DataFrame(
        {"g": ["a", "b", "a", "b"], "c": [1, 2, 1, 3], "x": [1, 2, 3, 4]}
    )
    twins = from_frame(data, {"g": "a"})
    model = DecisionTreeClassifier().fit(data[["c", "x"]], [0, 1, 0, 1])
    with pytest.raises(ModelError) as info:
        score(model, twins)
    assert "matches" not in str(info.value)
    assert "it reads ['c', 'x']" in str(info.value)


def test_allow_unread_must_be_a_bool():
    twins = generate(SPEC, 5)
    with pytest.raises(
        DataError, match=re.escape("allow_unread must be True or False. Got 'yes'.")
    ):
        score(lambda f: np.ones(len(f), dtype=int), twins, allow_unread="yes")


def test_a_long_list_of_inputs_is_shortened():
    data = pd.DataFrame({f"c{i}": [i, i + 1] for i in range(12)}).assign(g=["a", "b"])
    twins = from_frame(data, {"g": "a"})
    features = [f"c{i}" for i in range(12)]
    with pytest.raises(
        ModelError,
        match=re.escape(
            "it reads ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9'] "
            "and 2 more, and none of the columns that move with 'g' (['g'])"
        ),
    ):
        score(lambda f: np.ones(len(f), dtype=int), twins, features=features)


@pytest.mark.parametrize(
    "protected, code",
    [
        ({"g": "a"}, [1.0, np.nan, 1.0, 0.0]),  # a missing code
        ([ProtectedAttribute("g", ["a", "b", "c"], "a")], [1, 0, 1, 0]),  # no 'c'
    ],
    ids=["with-nan", "a-declared-value-is-absent"],
)
def test_no_suggestion_without_a_full_one_to_one_match(protected, code):
    data = pd.DataFrame({"g": ["a", "b", "a", "b"], "code": code, "x": [1, 2, 3, 4]})
    twins = from_frame(data, protected)
    with pytest.raises(ModelError) as info:
        score(lambda f: np.ones(len(f), dtype=int), twins, features=["code", "x"])
    assert "it reads ['code', 'x']" in str(info.value)
    assert "matches" not in str(info.value)
