import re

import numpy as np
import pandas as pd
import pytest

from twinaudit.datasets import loan_applications, loan_model, loan_twin_spec
from twinaudit.exceptions import DataError


def test_the_tutorial_history(loan_history):
    assert len(loan_history) == 1000
    assert list(loan_history.columns) == [
        "Name",
        "Gender",
        "Gender_Code",
        "Income",
        "Approved",
    ]
    men = loan_history["Gender"] == "Male"
    assert loan_history.loc[men, "Approved"].eq(1).all()
    women = loan_history[~men]
    assert (women["Approved"] == (women["Income"] > 80_000)).all()
    assert loan_history["Income"].between(30_000, 119_999).all()
    assert (loan_history["Gender_Code"] == men.astype(int)).all()
    pd.testing.assert_frame_equal(loan_history, loan_applications(1000, seed=42))


def test_known_answer_the_tutorials_own_draws(loan_history):
    """The tutorial: np.random.seed(42); np.random.choice(['Male', 'Female'], 1000);
    np.random.randint(30000, 120000, 1000); men approved, women above 80,000."""
    state = np.random.get_state()  # noqa: NPY002
    try:
        np.random.seed(42)  # noqa: NPY002 - the tutorial's own (legacy) seeding
        genders = np.random.choice(["Male", "Female"], 1000)  # noqa: NPY002
        incomes = np.random.randint(30000, 120000, 1000)  # noqa: NPY002
    finally:
        np.random.set_state(state)  # noqa: NPY002
    approvals = [
        1 if g == "Male" or i > 80000 else 0
        for g, i in zip(genders, incomes, strict=True)
    ]
    assert loan_history["Gender"].tolist() == genders.tolist()
    assert loan_history["Income"].tolist() == incomes.tolist()
    assert loan_history["Approved"].tolist() == approvals


def test_the_global_numpy_state_is_left_alone():
    state = np.random.get_state()  # noqa: NPY002
    loan_applications(50, seed=3)
    after = np.random.get_state()  # noqa: NPY002
    assert all(
        np.array_equal(a, b) for a, b in zip(state[1:3], after[1:3], strict=True)
    )


def test_size_seed_and_rule_are_parameters():
    a = loan_applications(
        50, seed=1, income_range=(10, 20), income_step=1, threshold=15
    )
    assert len(a) == 50 and a["Income"].between(10, 20).all()
    women = a[a["Gender"] == "Female"]
    assert (women["Approved"] == (women["Income"] > 15)).all()
    fair = loan_applications(200, rule=lambda f: (f["Income"] > 75_000).astype(int))
    assert fair.groupby("Gender")["Approved"].mean().diff().abs().iloc[-1] < 0.2
    assert not loan_applications(100, seed=1)["Income"].equals(
        loan_applications(100, seed=2)["Income"]
    )


def test_the_model_learns_the_rule_up_to_its_split(loan_tree):
    X = pd.DataFrame(
        {
            "Gender_Code": [1, 1, 0, 0, 0, 0],
            "Income": [30_000, 79_000, 79_000, 79_997, 79_998, 95_000],
        }
    )
    assert loan_tree.predict(X).tolist() == [1, 1, 0, 0, 1, 1]
    splits = [
        t
        for f, t in zip(loan_tree.tree_.feature, loan_tree.tree_.threshold, strict=True)
        if f == 1
    ]
    assert splits == [79_997.0]


def test_the_twin_spec():
    spec = loan_twin_spec(3, mode="proxy")
    assert spec.columns == ("pair_id", "Gender", "ID", "Income", "Name")
    assert spec.attribute("Gender").column == "Gender_Code"
    assert spec.seed == 3 and spec.mode == "proxy"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n=1), "n must be an integer of at least 2. Got 1."),
        (
            dict(income_range=(5, 5)),
            "income_range must be (low, high) with low < high.",
        ),
        (dict(income_step=0), "income_step must be a positive integer. Got 0."),
        (dict(income_range=(1, 5), income_step=10), "No multiple of income_step=10"),
        (
            dict(rule=lambda f: np.full(len(f), 2)),
            "The approval rule must return 0/1 decisions.",
        ),
    ],
)
def test_bad_parameters(kwargs, message):
    with pytest.raises(DataError, match=re.escape(message)):
        loan_applications(**kwargs)


def test_model_needs_the_columns():
    with pytest.raises(DataError, match="The loan history needs columns"):
        loan_model(pd.DataFrame({"Income": [1]}))
