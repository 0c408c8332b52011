import re

import numpy as np
import pytest
from rich.console import Console
from scipy.stats import wilcoxon
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from twinaudit.datasets import loan_applications, loan_twin_spec
from twinaudit.datasets._loan import FEATURES
from twinaudit.exceptions import DataError
from twinaudit.generation import generate
from twinaudit.mitigation import mitigate


def test_before_and_after_on_the_same_twins(loan_history, loan_tree, loan_twins):
    held_out = loan_applications(1000, seed=43)
    result = mitigate(
        loan_tree,
        loan_history[FEATURES],
        loan_history["Approved"],
        twins=loan_twins,
        X_test=held_out[FEATURES],
        y_test=held_out["Approved"],
    )
    table = result.compare()
    assert list(table.index) == [
        "original model",
        "AIF360 reweighing",
        "counterfactual augmentation",
    ]
    # By hand: the tree approves every man and a woman above 79,997 (its split), so
    # a pair flips exactly when its income is at most 79,997.
    incomes = loan_twins.frame["Income"].to_numpy()[::2]
    assert table.loc["original model", "flip_rate"] == pytest.approx(
        (incomes <= 79_997).mean()
    )
    assert table.loc["counterfactual augmentation", "flip_rate"] < 0.01
    assert table.loc["original model", "accuracy"] == 1.0
    assert result["augmentation"].report.twins is loan_twins
    assert result.accuracy_on == "held-out"
    console = Console(width=200, record=True)
    console.print(result)
    assert "Before and after mitigation" in console.export_text()


def test_augmentation_reduces_flips_across_resampled_histories():
    """Before/after on ten resampled histories, not one lucky split: a one-sided
    Wilcoxon signed-rank test that augmentation lowers the flip rate."""
    twins = generate(loan_twin_spec(7), 400)
    before, after = [], []
    for seed in range(10):
        history = loan_applications(600, seed=seed)
        model = make_pipeline(StandardScaler(), LogisticRegression()).fit(
            history[FEATURES], history["Approved"]
        )
        result = mitigate(
            model,
            history[FEATURES],
            history["Approved"],
            twins=twins,
            strategies=["augmentation"],
            libraries=False,
        )
        before.append(result.before.flip_rate)
        after.append(result["augmentation"].report.flip_rate)
    assert wilcoxon(before, after, alternative="greater").pvalue < 0.01
    assert np.mean(after) < np.mean(before) / 2


def test_mitigate_input_checks(loan_history, loan_tree, loan_twins):
    with pytest.raises(DataError, match="mitigate needs the Twins"):
        mitigate(
            loan_tree, loan_history[FEATURES], loan_history["Approved"], twins=None
        )
    with pytest.raises(
        DataError, match=re.escape("Pass both X_test and y_test, or neither.")
    ):
        mitigate(
            loan_tree,
            loan_history[FEATURES],
            loan_history["Approved"],
            twins=loan_twins,
            X_test=loan_history[FEATURES],
        )
    with pytest.raises(
        DataError, match=re.escape("Give at least one mitigation strategy.")
    ):
        mitigate(
            loan_tree,
            loan_history[FEATURES],
            loan_history["Approved"],
            twins=loan_twins,
            strategies=[],
        )
