"""CounterfactualAugmentation's proxy mode and generated profiles on the tutorial
loan scenario: what lands in the estimator's training rows, checked row by row
against Mimesis's own name lists, the spec's income range and the labeler applied
by hand; bad values refused with typed errors."""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.tree import DecisionTreeClassifier

from twinaudit.datasets import fetch_loan, loan_applications, loan_twin_spec
from twinaudit.exceptions import DataError, MitigationError
from twinaudit.mitigation import STRATEGIES, CounterfactualAugmentation
from twinaudit.spec import Proxy

SEEDS = (0, 1, 2)
#: The proxy follows the training column and its codes (1 male, 0 female).
NAME = Proxy.gendered("Name", "Gender_Code", {1: "male", 0: "female"})


class Recorder(ClassifierMixin, BaseEstimator):
    """Keeps the rows and labels it is trained on; predicts the first label."""

    def fit(self, X, y):
        self.X_ = X.copy()
        self.y_ = np.asarray(y).copy()
        self.classes_ = np.unique(self.y_)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def mimesis_names(gender: str) -> set[str]:
    """Mimesis's English first names for a gender, read from its data set."""
    from mimesis import Person
    from mimesis.locales import Locale

    return set(Person(Locale.EN)._dataset["names"][gender])


@pytest.fixture(scope="module")
def names():
    return {1: mimesis_names("male"), 0: mimesis_names("female")}


def history(seed, n=60):
    rows = loan_applications(n, seed=seed)
    rows.index = pd.RangeIndex(1000, 1000 + 2 * n, 2)  # not the default index
    return rows[["Name", "Gender_Code", "Income"]], rows["Approved"]


def trained_rows(**params):
    X, y = params.pop("data")
    model = CounterfactualAugmentation(Recorder(), **params)
    model.fit(X, y, sensitive_features="Gender_Code")
    return model, model.estimator_.X_, model.estimator_.y_


def test_the_registry_entry_is_the_class():
    assert STRATEGIES["augmentation"] is CounterfactualAugmentation


@pytest.mark.parametrize("seed", SEEDS)
def test_proxy_mode_moves_the_name_with_the_gender(seed, names):
    X, y = history(seed)
    n = len(X)
    model, rows, labels = trained_rows(
        data=(X, y), proxies=[NAME], mode="proxy", random_state=seed
    )
    assert model.n_training_rows_ == len(rows) == 2 * n
    assert list(rows.columns) == ["Name", "Gender_Code", "Income"]
    # Every row appears once per gender, with its income and its label.
    for code in (0, 1):
        part = rows[rows["Gender_Code"] == code]
        assert len(part) == n
        np.testing.assert_array_equal(part["Income"], X["Income"])
        np.testing.assert_array_equal(labels[part.index], y)
    real = rows.merge(X.reset_index(drop=True), on=["Gender_Code", "Income", "Name"])
    assert len(real) == n  # each factual row is kept as it was, real name included
    flipped_code = 1 - X["Gender_Code"].to_numpy()
    twins = rows.iloc[
        [2 * i + c for i, c in enumerate(flipped_code)]  # twins by pair, 0 then 1
    ]
    np.testing.assert_array_equal(twins["Gender_Code"], flipped_code)
    for name, code in zip(twins["Name"], twins["Gender_Code"], strict=True):
        assert name in names[code], (name, code)
    # The name follows the gender: most counterfactual twins have another name.
    changed = (twins["Name"].to_numpy() != X["Name"].to_numpy()).mean()
    assert changed > 0.9


@pytest.mark.parametrize("seed", SEEDS)
def test_strict_mode_keeps_the_real_name_on_every_twin(seed):
    X, y = history(seed)
    _, rows, _ = trained_rows(
        data=(X, y), proxies=[NAME], mode="strict", random_state=seed
    )
    for code in (0, 1):
        part = rows[rows["Gender_Code"] == code]
        np.testing.assert_array_equal(part["Name"], X["Name"])


def test_proxy_names_are_reproducible_for_a_random_state():
    X, y = history(4)
    first = trained_rows(data=(X, y), proxies=[NAME], mode="proxy", random_state=7)[1]
    again = trained_rows(data=(X, y), proxies=[NAME], mode="proxy", random_state=7)[1]
    other = trained_rows(data=(X, y), proxies=[NAME], mode="proxy", random_state=8)[1]
    pd.testing.assert_frame_equal(first, again)
    assert (first["Name"] != other["Name"]).sum() > len(X) // 2


def rule(frame):
    """The labeler: approve above 70,000 whatever the gender."""
    return (frame["Income"].to_numpy() > 70_000).astype(int)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n_profiles", [1, 7, 40])
def test_generated_profiles_are_added_balanced_and_labelled(seed, n_profiles):
    loan = fetch_loan(50, seed=seed)
    X = loan.data.assign(Gender_Code=(loan.data["Gender"] == "Male").astype(int))[
        ["Gender_Code", "Income"]
    ]
    y = loan.target.to_numpy()
    model, rows, labels = trained_rows(
        data=(X, y),
        spec=loan_twin_spec(seed),
        n_profiles=n_profiles,
        labeler=rule,
        random_state=seed,
    )
    assert model.n_training_rows_ == len(rows) == 2 * len(X) + 2 * n_profiles
    generated = rows.iloc[2 * len(X) :]
    new_labels = labels[2 * len(X) :]
    # Balanced: one male and one female twin of every profile, same income.
    assert (generated["Gender_Code"] == 1).sum() == n_profiles
    assert (generated["Gender_Code"] == 0).sum() == n_profiles
    incomes = generated["Income"].to_numpy().reshape(n_profiles, 2)
    np.testing.assert_array_equal(incomes[:, 0], incomes[:, 1])
    assert ((incomes >= 30_000) & (incomes < 120_000)).all()
    # Labelled by the rule, by hand: income above 70,000.
    np.testing.assert_array_equal(new_labels, (incomes.ravel() > 70_000).astype(int))
    assert rows.dtypes.to_dict() == X.dtypes.to_dict()
    assert labels.dtype == y.dtype


def test_an_estimator_labels_the_generated_profiles():
    X, y = history(5)
    X = X[["Gender_Code", "Income"]]
    labeler = DecisionTreeClassifier(random_state=0).fit(X, y)
    _, rows, labels = trained_rows(
        data=(X, y),
        spec=loan_twin_spec(5),
        n_profiles=30,
        labeler=labeler,
        random_state=5,
    )
    generated = rows.iloc[2 * len(X) :]
    # The tutorial's biased tree: its own decisions on each generated twin.
    np.testing.assert_array_equal(
        labels[2 * len(X) :], labeler.predict(generated.reset_index(drop=True))
    )
    by_gender = pd.Series(labels[2 * len(X) :]).groupby(
        generated["Gender_Code"].to_numpy()
    )
    assert by_gender.mean()[1] > by_gender.mean()[0]  # men approved more often


def test_generated_profiles_are_reproducible_for_a_random_state():
    X, y = history(6)
    X = X[["Gender_Code", "Income"]]
    params = {"spec": loan_twin_spec(6), "n_profiles": 25, "labeler": rule}
    first = trained_rows(data=(X, y), random_state=11, **params)
    again = trained_rows(data=(X, y), random_state=11, **params)
    other = trained_rows(data=(X, y), random_state=12, **params)
    pd.testing.assert_frame_equal(first[1], again[1])
    np.testing.assert_array_equal(first[2], again[2])
    tail = slice(2 * len(X), None)
    assert not np.array_equal(
        first[1]["Income"].to_numpy()[tail], other[1]["Income"].to_numpy()[tail]
    )
    # The augmented real rows do not depend on the seed (strict, no proxies).
    pd.testing.assert_frame_equal(
        first[1].iloc[: 2 * len(X)], other[1].iloc[: 2 * len(X)]
    )


def test_generated_profiles_change_the_trained_tree():
    """Profiles labelled without regard to gender outnumber the biased history:
    the tree stops approving men below the women's threshold."""
    X, y = history(0, n=200)
    X = X[["Gender_Code", "Income"]]
    tree = DecisionTreeClassifier(random_state=0)
    plain = CounterfactualAugmentation(tree).fit(X, y, sensitive_features="Gender_Code")
    with_profiles = CounterfactualAugmentation(
        tree, spec=loan_twin_spec(0), n_profiles=2000, labeler=rule, random_state=0
    ).fit(X, y, sensitive_features="Gender_Code")
    incomes = np.arange(30_000, 70_000, 500)
    below = pd.DataFrame({"Gender_Code": 1, "Income": incomes})
    # History's twins: approved below 70,000 when the man was, denied when the
    # woman was, so a mix; the profiles (20 times as many rows) deny them all.
    assert 0.3 < plain.predict(below).mean() < 0.7
    assert with_profiles.predict(below).mean() < 0.15
    np.testing.assert_array_equal(
        with_profiles.predict(below), with_profiles.predict(below.assign(Gender_Code=0))
    )


BAD = [
    (
        {"mode": "proxies"},
        DataError,
        "mode must be 'strict' or 'proxy'. Got 'proxies'.",
    ),
    (
        {"spec": {"Gender": ["Male", "Female"]}, "labeler": rule, "n_profiles": 3},
        DataError,
        "spec must be a TwinSpec. Got dict.",
    ),
    (
        {"spec": loan_twin_spec(), "n_profiles": 3},
        DataError,
        "Generated profiles need labels: pass labeler= (an estimator or a function "
        "DataFrame -> labels) with spec=.",
    ),
    (
        {"spec": loan_twin_spec(), "labeler": rule},
        DataError,
        "n_profiles must be at least 1 with spec=. Got 0.",
    ),
    (
        {"spec": loan_twin_spec(), "labeler": rule, "n_profiles": -2},
        DataError,
        "n_profiles must be at least 1 with spec=. Got -2.",
    ),
    (
        {
            "spec": loan_twin_spec(),
            "labeler": lambda f: np.ones((len(f), 2)),
            "n_profiles": 3,
        },
        DataError,
        "labeler returned shape (6, 2) for 6 generated rows; it must return one "
        "label per row.",
    ),
    (
        {"proxies": [Proxy.gendered("Name", "Gender", {"Male": "male"})]},
        DataError,
        "proxy 'Name' follows 'Gender', which is not a protected attribute here.",
    ),
    (
        {"proxies": ["Name"]},
        DataError,
        "'proxies' must be Proxy objects. Got 'Name'.",
    ),
]


@pytest.mark.parametrize("params, error, message", BAD, ids=[m[:30] for _, _, m in BAD])
def test_bad_values_are_refused(params, error, message):
    X, y = history(0, n=20)
    model = CounterfactualAugmentation(DecisionTreeClassifier(), **params)
    with pytest.raises(error, match=re.escape(message)):
        model.fit(X, y, sensitive_features="Gender_Code")
    assert not hasattr(model, "estimator_")


def test_one_gender_in_training_is_refused():
    X, _ = history(0, n=40)
    men = (X["Gender_Code"] == 1).to_numpy()
    with pytest.raises(
        MitigationError,
        match=re.escape(
            "Sensitive feature 'Gender_Code' holds only 1 in the training data: there "
            "is no other value to give the twins."
        ),
    ):
        CounterfactualAugmentation(DecisionTreeClassifier()).fit(
            X[men], np.arange(men.sum()) % 2, sensitive_features="Gender_Code"
        )


def test_generated_profiles_with_names_and_proxy_mode(names):
    """X has the name column: the spec's proxy-mode profiles bring a name that
    follows each twin's gender, as the training rows' twins do."""
    X, y = history(1)
    _, rows, labels = trained_rows(
        data=(X, y),
        proxies=[NAME],
        mode="proxy",
        spec=loan_twin_spec(1, mode="proxy"),
        n_profiles=12,
        labeler=rule,
        random_state=3,
    )
    generated = rows.iloc[2 * len(X) :]
    assert len(generated) == 24
    for name, code in zip(generated["Name"], generated["Gender_Code"], strict=True):
        assert name in names[code], (name, code)
    pairs = generated["Name"].to_numpy().reshape(12, 2)
    assert (pairs[:, 0] != pairs[:, 1]).all()  # each twin its own name
    np.testing.assert_array_equal(
        labels[2 * len(X) :], (generated["Income"].to_numpy() > 70_000).astype(int)
    )
