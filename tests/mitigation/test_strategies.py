import re

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from twinaudit.datasets import loan_applications
from twinaudit.datasets._loan import FEATURES
from twinaudit.exceptions import DataError, MitigationError
from twinaudit.metrics import decision_counts
from twinaudit.mitigation._strategies import (
    CounterfactualAugmentation,
    Reweighing,
    strategy_from,
)
from twinaudit.spec import ProtectedAttribute

GENDER = ProtectedAttribute(
    "Gender",
    ["Male", "Female"],
    "Male",
    model_column="Gender_Code",
    encoding={"Male": 1, "Female": 0},
)


def weighted_spd(group, y, weights):
    counts = decision_counts(group, y, 2, weights=weights)
    rates = counts[:, 1] / counts.sum(axis=1)
    return rates[0] - rates[1]  # unprivileged (0) minus privileged (1)


def test_reweighing_the_tutorial_history_handles_the_empty_cell(
    loan_history, loan_tree
):
    mitigated = Reweighing().fit(
        loan_tree, loan_history[FEATURES], loan_history["Approved"], attribute=GENDER
    )
    weights = mitigated.details["sample_weight"]
    assert np.isfinite(weights).all() and (weights > 0).all()
    assert np.isinf(mitigated.details["cell_weights"][("Male", "unfavourable")])
    assert mitigated.notes[0].startswith(
        "No training row has Gender=Male with an unfavourable label, so reweighing "
        "cannot balance that cell"
    )
    assert mitigated.model is not loan_tree


def test_known_answer_aif360_german_credit_tutorial(shared_data):
    """AIF360's tutorial: age >= 25 privileged, 70% training split after
    np.random.seed(0); mean difference -0.169905 before and 0.0 after reweighing."""
    german = pd.read_csv(shared_data / "german" / "german.data", sep=" ", header=None)
    # The tutorial's np.random.seed(0) then permutation, on a private RandomState
    # (the same MT19937 stream) so numpy's global state is left alone.
    train = np.random.RandomState(0).permutation(len(german))[:700]
    data = german.iloc[train]
    X = pd.DataFrame(
        {
            "age_25": (data[12] >= 25).astype(int).to_numpy(),
            "duration": data[1].to_numpy(),
            "amount": data[4].to_numpy(),
        }
    )
    y = (data[20] == 1).astype(int).to_numpy()
    age = ProtectedAttribute(
        "age",
        ["25+", "<25"],
        "25+",
        model_column="age_25",
        encoding={"25+": 1, "<25": 0},
    )
    group = X["age_25"].to_numpy()
    assert weighted_spd(group, y, None) == pytest.approx(-0.169905, abs=5e-7)
    mitigated = Reweighing().fit(LogisticRegression(max_iter=1000), X, y, attribute=age)
    assert weighted_spd(group, y, mitigated.details["sample_weight"]) == pytest.approx(
        0.0, abs=1e-12
    )


def kamiran_calders_weights(privileged: np.ndarray, y: np.ndarray) -> np.ndarray:
    """w(group, label) = P(group) P(label) / P(group, label), counted on the rows."""
    weights = np.empty(len(y))
    for group in (True, False):
        for label in (0, 1):
            cell = (privileged == group) & (y == label)
            weights[cell] = (
                (privileged == group).sum() * (y == label).sum() / (len(y) * cell.sum())
            )
    return weights


def test_reweighing_routes_weights_through_a_pipeline():
    """The weights are Kamiran & Calders' (counted by hand) and reach the pipeline's
    last step: its coefficients are those of a by-hand weighted fit, not the
    unweighted ones."""
    history = loan_applications(
        600,
        seed=5,
        rule=lambda f: np.where(
            f["Gender"] == "Male", f["Income"] > 50_000, f["Income"] > 90_000
        ).astype(int),
    )
    X, y = history[FEATURES], history["Approved"].to_numpy()
    weights = kamiran_calders_weights(history["Gender"].to_numpy() == "Male", y)
    assert weights.min() < 0.8 and weights.max() > 1.5  # far from all-ones
    mitigated = Reweighing().fit(
        make_pipeline(StandardScaler(), LogisticRegression()), X, y, attribute=GENDER
    )
    np.testing.assert_allclose(mitigated.details["sample_weight"], weights)
    by_hand = make_pipeline(StandardScaler(), LogisticRegression()).fit(
        X, y, logisticregression__sample_weight=weights
    )
    unweighted = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    coef = mitigated.model[-1].coef_
    np.testing.assert_allclose(coef, by_hand[-1].coef_, rtol=1e-6)
    # Dropping the weights would move a coefficient by ~0.46, far beyond rtol=1e-6.
    assert np.abs(coef - unweighted[-1].coef_).max() > 0.1


def test_reweighing_needs_sample_weight(loan_history):
    with pytest.raises(
        MitigationError,
        match=re.escape(
            "KNeighborsClassifier.fit does not accept sample_weight, which reweighing "
            "needs; use counterfactual augmentation instead."
        ),
    ):
        Reweighing().fit(
            KNeighborsClassifier(),
            loan_history[FEATURES],
            loan_history["Approved"],
            attribute=GENDER,
        )


def test_augmentation_adds_a_flipped_copy_of_every_row(loan_history, loan_tree):
    mitigated = CounterfactualAugmentation().fit(
        loan_tree, loan_history[FEATURES], loan_history["Approved"], attribute=GENDER
    )
    assert mitigated.details["rows"] == 2 * len(loan_history)
    X = pd.DataFrame({"Gender_Code": [1, 0], "Income": [50_000, 50_000]})
    decisions = mitigated.model.predict(X)
    assert decisions[0] == decisions[1]


def test_augmentation_with_three_values():
    race = ProtectedAttribute(
        "race", ["w", "b", "a"], "w", encoding={"w": 0, "b": 1, "a": 2}
    )
    X = pd.DataFrame({"race": [0, 1, 2, 0], "x": [1, 2, 3, 4]})
    model = make_pipeline(StandardScaler(), LogisticRegression())
    mitigated = CounterfactualAugmentation().fit(model, X, [1, 0, 1, 0], attribute=race)
    assert mitigated.details["rows"] == 12


@pytest.mark.parametrize(
    "X, y, message",
    [
        (np.zeros((3, 2)), [0, 1, 0], "Training data X must be a pandas DataFrame"),
        (
            pd.DataFrame({"Income": [1, 2]}),
            [0, 1],
            "The training data has no column 'Gender_Code' for protected attribute 'Gender'.",
        ),
        (
            pd.DataFrame({"Gender_Code": [1, 2], "Income": [1, 2]}),
            [0, 1],
            "Column 'Gender_Code' holds [2], which are not the model codes of 'Gender'",
        ),
        (
            pd.DataFrame({"Gender_Code": [1, 0, 1], "Income": [1, 2, 3]}),
            [0, 1, 2],
            "y must be binary; it holds 3 labels",
        ),
        (
            pd.DataFrame({"Gender_Code": [1, 0], "Income": [1, 2]}),
            [0, np.nan],
            "y has 1 missing label(s); drop them.",
        ),
        (
            pd.DataFrame({"Gender_Code": [1, 0], "Income": [1, 2]}),
            [0, 1, 1],
            "y must be one label per row of X (2 rows). Got shape (3,).",
        ),
    ],
)
def test_bad_training_data(X, y, message):
    with pytest.raises(DataError, match=re.escape(message)):
        CounterfactualAugmentation().fit(LogisticRegression(), X, y, attribute=GENDER)


def test_unknown_strategy_names():
    with pytest.raises(
        MitigationError,
        match=re.escape(
            "Unknown mitigation strategy 'reweigh'. Did you mean 'reweighing'?"
        ),
    ):
        strategy_from("reweigh")
