"""mitigate(): every strategy re-audited on the same twins and held-out rows; the
tutorial's measured effects pinned over seeds; bad inputs refused with the fix."""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from twinaudit.datasets import loan_applications, loan_model, loan_twin_spec
from twinaudit.datasets._loan import FEATURES
from twinaudit.exceptions import DataError, MitigationError, TwinauditWarning
from twinaudit.generation import generate
from twinaudit.mitigation import (
    LFR,
    EqOddsPostprocessing,
    ExponentiatedGradient,
    RejectOptionClassification,
    ThresholdOptimizer,
    mitigate,
)

SEEDS = (0, 1, 2)


@pytest.fixture(scope="module", params=SEEDS)
def tutorial(request):
    """The tutorial scenario at one seed: history, held-out history, tree, twins,
    and mitigate() with the strategies that accept its data."""
    seed = request.param
    history = loan_applications(1000, seed=seed)
    held_out = loan_applications(1000, seed=seed + 100)
    tree = loan_model(history, seed=seed)
    twins = generate(loan_twin_spec(seed), 400)
    result = mitigate(
        tree,
        history[FEATURES],
        history["Approved"],
        twins=twins,
        strategies=[
            "reweighing",
            "unawareness",
            "augmentation",
            "correlation_remover",
            ExponentiatedGradient(
                DecisionTreeClassifier(random_state=seed), max_iter=20
            ),
        ],
        X_test=held_out[FEATURES],
        y_test=held_out["Approved"],
        random_state=seed,
        libraries=False,
    )
    return history, held_out, tree, twins, result


def test_the_original_flips_exactly_below_the_trees_split(tutorial):
    _, _, tree, twins, result = tutorial
    # By hand: the tree approves every man and a woman above its income split, so
    # a pair flips exactly when its income is at or below that split.
    income = list(tree.feature_names_in_).index("Income")
    pairs = zip(tree.tree_.feature, tree.tree_.threshold, strict=True)
    split = [t for f, t in pairs if f == income]
    threshold = min(split, key=lambda t: abs(t - 80_000))
    incomes = twins.frame["Income"].to_numpy()[::2]
    assert result.before.flip_rate == pytest.approx((incomes <= threshold).mean())
    assert result.before_accuracy > 0.99


def test_reweighing_cannot_change_a_tree_with_pure_leaves(tutorial):
    """The history has no man denied: an empty cell, so every man keeps weight-1
    approvals and the tree still splits on gender (flip rate within 0.02)."""
    _, _, _, _, result = tutorial
    after = result["reweighing"]
    assert after.report.flip_rate == pytest.approx(result.before.flip_rate, abs=0.02)
    assert after.report.flip_rate > 0.4
    assert after.notes[0].startswith(
        "No training row has Gender=Male with an unfavourable label"
    )


@pytest.mark.parametrize("name", ["unawareness", "augmentation"])
def test_unawareness_and_augmentation_remove_every_flip(tutorial, name):
    """Income is not a proxy of gender in the tutorial (drawn independently), so a
    model without gender, or one whose data has both genders with every label, gives
    twins the same decision; held-out accuracy falls to the share of labels the
    bias does not decide (about 0.7, the labels carry the bias)."""
    _, held_out, _, _, result = tutorial
    after = result[name]
    assert after.report.flip_rate == 0.0
    assert float(
        after.report.metric("statistical_parity_difference", population="twins")
    ) == pytest.approx(0.0, abs=1e-12)
    women = held_out["Gender"] == "Female"
    biased = women & (held_out["Income"] <= 80_000)  # denied only for being a woman
    assert 0.6 < after.accuracy < 1 - biased.mean() / 2
    assert after.accuracy < result.before_accuracy


def test_correlation_remover_moves_income_with_gender(tutorial):
    """Decorrelated income depends on the row's gender, so some pairs still flip
    (0.2-0.35 measured), but group parity on twins is near 0 (|SPD| < 0.06)."""
    _, _, _, _, result = tutorial
    after = result["correlation_remover"].report
    assert 0.15 < after.flip_rate < 0.4
    assert abs(after.metric("statistical_parity_difference", population="twins")) < 0.06


def test_exponentiated_gradient_reaches_parity_on_twins(tutorial):
    _, _, _, _, result = tutorial
    after = result["exponentiated_gradient"].report
    assert abs(after.metric("statistical_parity_difference", population="twins")) < 0.05
    assert abs(result.before.metric("statistical_parity_difference")) > 0.5


def test_compare_has_one_row_per_strategy_and_group(tutorial):
    _, _, _, _, result = tutorial
    table = result.compare()
    assert table.index.names == ["strategy", "attribute", "group"]
    assert sorted(table.index) == [
        (name, "Gender", group)
        for name in sorted(
            (
                "reweighing",
                "unawareness",
                "augmentation",
                "correlation_remover",
                "exponentiated_gradient",
            )
        )
        for group in ("Female", "Male")
    ]
    row = table.loc[("unawareness", "Gender", "Female")]
    spd = row["statistical_parity_difference"]
    before = result.before.metric("statistical_parity_difference")
    assert spd["before"] == pytest.approx(float(before))
    assert spd["after"] == 0.0
    assert spd["change"] == pytest.approx(-float(before))
    assert spd["exceeds_interval"] is True or spd["exceeds_interval"] == np.True_
    assert row["accuracy"]["after"] == result["unawareness"].accuracy
    assert row[("accuracy", "before")] == result.before_accuracy


def test_strategies_that_refuse_the_tutorial_say_why(loan_history, loan_tree):
    """No man was ever denied: his true/false positive rates are undefined, so the
    equalized-odds post-processors and ThresholdOptimizer cannot run."""
    X, y = loan_history[FEATURES], loan_history["Approved"]
    with pytest.raises(
        MitigationError,
        match=re.escape(
            "EqOddsPostprocessing: no training row of the privileged group "
            "(['Gender_Code'] = 1) has the label 0, so its true/false positive rates "
            "are undefined (AIF360 divides by zero)."
        ),
    ):
        EqOddsPostprocessing(DecisionTreeClassifier()).fit(
            X, y, sensitive_features="Gender_Code"
        )
    with pytest.raises(
        MitigationError,
        match=re.escape(
            "ThresholdOptimizer: every training row of group {'Gender_Code': 1} has "
            "the label 1, so no threshold on its scores can be chosen"
        ),
    ):
        ThresholdOptimizer(DecisionTreeClassifier()).fit(
            X, y, sensitive_features="Gender_Code"
        )
    with pytest.warns(TwinauditWarning, match="Scores of 0 or 1 only"):
        RejectOptionClassification(
            DecisionTreeClassifier(random_state=0),
            num_class_thresh=10,
            num_ROC_margin=5,
        ).fit(X, y, sensitive_features="Gender_Code")


@pytest.fixture(scope="module")
def noisy():
    """A history where both genders have both labels (men above 50,000, women
    above 90,000): every strategy can run on it."""
    rule = lambda f: np.where(  # noqa: E731
        f["Gender"] == "Male", f["Income"] > 50_000, f["Income"] > 90_000
    ).astype(int)
    return loan_applications(800, seed=9, rule=rule), loan_applications(
        800, seed=10, rule=rule
    )


def test_post_processors_read_the_attribute_and_the_report_says_so(noisy):
    history, held_out = noisy
    twins = generate(loan_twin_spec(9), 300)
    result = mitigate(
        LogisticRegression(),
        history[FEATURES],
        history["Approved"],
        twins=twins,
        strategies=[
            "threshold_optimizer",
            "eq_odds",
            LFR(LogisticRegression(), maxiter=300),
        ],
        X_test=held_out[FEATURES],
        y_test=held_out["Approved"],
        libraries=False,
    )
    for name in ("threshold_optimizer", "eq_odds", "lfr"):
        report = result[name].report
        assert any(
            "reads the protected attribute(s) 'Gender' directly" in n
            for n in report.notes
        ), name
    assert not any("directly" in n for n in result.before.notes)
    # ThresholdOptimizer(demographic_parity) brings the held-out selection rates
    # together: by hand on the held-out rows.
    model = result["threshold_optimizer"].model
    decided = model.predict(
        held_out[FEATURES], sensitive_features=held_out[["Gender_Code"]]
    )
    women = held_out["Gender_Code"].to_numpy() == 0
    original = result.model.predict(held_out[FEATURES])
    gap_before = original[~women].mean() - original[women].mean()
    gap_after = decided[~women].mean() - decided[women].mean()
    assert gap_before > 0.3 and abs(gap_after) < 0.1


def test_the_users_estimator_and_data_are_not_changed(noisy):
    history, _ = noisy
    X, y = history[FEATURES].copy(), history["Approved"].copy()
    estimator = LogisticRegression(C=0.5)
    before = clone(estimator).get_params()
    mitigate(
        estimator,
        X,
        y,
        twins=generate(loan_twin_spec(1), 50),
        strategies=["reweighing"],
        libraries=False,
    )
    assert estimator.get_params() == before and not hasattr(estimator, "coef_")
    pd.testing.assert_frame_equal(X, history[FEATURES])
    pd.testing.assert_series_equal(y, history["Approved"])


@pytest.fixture(scope="module")
def small():
    history = loan_applications(200, seed=3)
    return history, generate(loan_twin_spec(3), 20)


def bad(small, **changes):
    history, twins = small
    arguments = dict(
        estimator=DecisionTreeClassifier(),
        X=history[FEATURES],
        y=history["Approved"],
        twins=twins,
        strategies=["reweighing"],
        libraries=False,
    )
    arguments.update(changes)
    estimator = arguments.pop("estimator")
    return mitigate(estimator, **arguments)


@pytest.mark.parametrize(
    "changes, error, message",
    [
        (
            {"y": np.ones(200, dtype=int)},
            DataError,
            "y holds only the label 1: every model trained on it predicts 1 for "
            "everyone, which would be reported as perfectly fair (flip rate 0) and "
            "accurate.",
        ),
        (
            {"y": np.where(np.arange(200) % 2, "yes", "no")},
            DataError,
            "y holds text labels ['no', 'yes']; mitigate needs 0/1 labels with 1 the "
            "favourable outcome. Map them first, e.g. y = (y == 'approved').astype(int).",
        ),
        (
            {"y": np.r_[np.nan, np.ones(199)]},
            DataError,
            "y has 1 missing (NaN) label(s); drop those rows first.",
        ),
        (
            {"y": np.arange(200) % 3},
            DataError,
            "y must be binary 0/1 labels (1 favourable); it holds 3 value(s)",
        ),
        (
            {"y": np.ones(10)},
            DataError,
            "y must be one label per row (200 rows). Got shape (10,).",
        ),
        (
            {"strategies": "reweighing"},
            DataError,
            "strategies must be a list of names or strategies; got the string "
            "'reweighing'. Pass ['reweighing'].",
        ),
        (
            {"strategies": ["reweigh"]},
            MitigationError,
            "Unknown mitigation strategy 'reweigh'. Did you mean 'reweighing'?",
        ),
        (
            {"estimator": lambda frame: frame["Income"] > 50_000},
            MitigationError,
            "mitigate needs a scikit-learn estimator with fit and predict, which it "
            "retrains; got a function",
        ),
        (
            {"estimator": DecisionTreeClassifier},
            MitigationError,
            "mitigate needs an estimator instance; got the class "
            "DecisionTreeClassifier. Pass DecisionTreeClassifier() (with its "
            "parameters) instead.",
        ),
        (
            {"sensitive_features": ["Gender_Cod"]},
            DataError,
            "Sensitive feature 'Gender_Cod' is not a column of X. Did you mean "
            "'Gender_Code'?",
        ),
        (
            {"sensitive_features": ["Income"]},
            DataError,
            "Sensitive feature 'Income' is not the column of a varied protected "
            "attribute of the twins",
        ),
        (
            {"twins": None},
            DataError,
            "mitigate needs the Twins to re-audit on",
        ),
        (
            {"strategies": []},
            DataError,
            "Give at least one mitigation strategy",
        ),
    ],
)
def test_bad_input(small, changes, error, message):
    with pytest.raises(error, match=re.escape(message)):
        bad(small, **changes)


def test_a_string_valued_protected_column_is_refused(small):
    history, _ = small
    X = history[FEATURES].assign(Gender_Code=history["Gender"].astype(str).to_numpy())
    with pytest.raises(
        DataError,
        match=re.escape(
            "Protected column 'Gender_Code' holds [\"'Female'\", \"'Male'\"], which "
            "are not the twins' codes for 'Gender' ({'Male': 1, 'Female': 0})."
        ),
    ):
        bad(small, X=X)


def test_a_missing_protected_column_is_refused(small):
    history, _ = small
    with pytest.raises(
        DataError,
        match=re.escape("None of the twins' protected columns ['Gender_Code'] is a"),
    ):
        bad(small, X=history[["Income"]])


def test_a_test_group_absent_from_training_is_refused(small):
    history, _ = small
    men = history[history["Gender_Code"] == 1]
    with pytest.raises(
        DataError,
        match=re.escape(
            "The test set has Gender_Code=0, a group absent from the training data"
        ),
    ):
        bad(
            small,
            X=men[FEATURES],
            y=(men["Income"] > 60_000).astype(int),
            X_test=history[FEATURES],
            y_test=history["Approved"],
        )
    with pytest.raises(DataError, match=re.escape("Pass both X_test and y_test")):
        bad(small, X_test=history[FEATURES])
