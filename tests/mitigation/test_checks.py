"""scikit-learn's check_estimator on Unawareness, CorrelationRemover, GridSearch and
CounterfactualAugmentation (the checks that cannot apply marked with the reason);
the columns they need at predict and fit; an estimator that rejects sample_weight
given to mitigate(strategies=["reweighing"])."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator
from sklearn.utils.validation import check_array, check_is_fitted

from twinaudit.datasets import loan_applications, loan_twin_spec
from twinaudit.datasets._loan import FEATURES
from twinaudit.exceptions import DataError, MitigationError
from twinaudit.generation import generate
from twinaudit.mitigation import (
    CorrelationRemover,
    CounterfactualAugmentation,
    GridSearch,
    Reweighing,
    Unawareness,
    mitigate,
)

# -- an estimator that rejects sample_weight, through mitigate() ---------------------
ADVICE = (
    "KNeighborsClassifier.fit does not accept sample_weight, which Reweighing needs. "
    "Use an estimator that takes sample weights (e.g. LogisticRegression, "
    "DecisionTreeClassifier, HistGradientBoostingClassifier), or a strategy that "
    "does not reweight (augmentation, unawareness, threshold_optimizer)."
)


@pytest.fixture(scope="module")
def loans():
    rule = lambda f: np.where(  # noqa: E731
        f["Gender"] == "Male", f["Income"] > 50_000, f["Income"] > 90_000
    ).astype(int)
    history = loan_applications(300, seed=2, rule=rule)
    held_out = loan_applications(200, seed=3, rule=rule)
    twins = generate(loan_twin_spec(2), 100)
    return history, held_out, twins


def knn():
    return make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=15))


@pytest.mark.parametrize(
    "make, message",
    [(KNeighborsClassifier, ADVICE), (knn, f"The pipeline's last step {ADVICE}")],
    ids=["alone", "pipeline"],
)
@pytest.mark.parametrize("fitted", [False, True], ids=["unfitted", "fitted"])
@pytest.mark.parametrize(
    "strategies", [["reweighing"], ["unawareness", "reweighing"], [Reweighing]]
)
def test_mitigate_refuses_an_estimator_without_sample_weight(
    loans, make, message, fitted, strategies
):
    history, held_out, twins = loans
    X, y = history[FEATURES], history["Approved"]
    estimator = make().fit(X, y) if fitted else make()
    expected = estimator.predict(held_out[FEATURES]) if fitted else None
    with pytest.raises(MitigationError, match=f"^{re.escape(message)}$"):
        mitigate(
            estimator,
            X,
            y,
            twins=twins,
            strategies=strategies,
            X_test=held_out[FEATURES],
            y_test=held_out["Approved"],
            libraries=False,
        )
    if fitted:  # the user's model is left as it was
        np.testing.assert_array_equal(estimator.predict(held_out[FEATURES]), expected)
    else:
        with pytest.raises(NotFittedError):
            check_is_fitted(estimator)  # never fitted in place


def test_the_strategies_the_message_suggests_take_that_estimator(loans):
    history, held_out, twins = loans
    result = mitigate(
        knn(),
        history[FEATURES],
        history["Approved"],
        twins=twins,
        strategies=["augmentation", "unawareness", "threshold_optimizer"],
        X_test=held_out[FEATURES],
        y_test=held_out["Approved"],
        random_state=0,
        libraries=False,
    )
    assert [r.strategy for r in result] == [
        "augmentation",
        "unawareness",
        "threshold_optimizer",
    ]
    # Unawareness' KNN never sees the gender: no twin flips.
    assert result["unawareness"].report.flip_rate == 0.0
    assert result.before.flip_rate > 0.1


# -- the columns the DataFrame strategies read -----------------------------------
@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    n = 120
    s = rng.integers(0, 2, n)
    X = pd.DataFrame(
        {"s": s, "a": rng.normal(size=n) + s, "b": rng.normal(size=n)},
        index=pd.RangeIndex(500, 500 + 3 * n, 3),
    )
    return X, (X["a"] + X["b"] > 0.5).astype(int).to_numpy()


FRAME_STRATEGIES = [Unawareness, CorrelationRemover, CounterfactualAugmentation]


@pytest.mark.parametrize("cls", FRAME_STRATEGIES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("change", ["drop b", "add c", "rename a"])
def test_predict_refuses_columns_other_than_fit(frame, cls, change):
    X, y = frame
    model = cls(LogisticRegression()).fit(X, y, sensitive_features="s")
    other = {
        "drop b": X.drop(columns="b"),
        "add c": X.assign(c=1.0),
        "rename a": X.rename(columns={"a": "A"}),
    }[change]
    if cls is CorrelationRemover and change != "add c":
        missing = "['b']" if change == "drop b" else "['a']"
        with pytest.raises(
            DataError,
            match=re.escape(
                f"X lacks the column(s) {missing} CorrelationRemover was trained on; "
                "pass X with columns ['s', 'a', 'b']."
            ),
        ):
            model.predict(other)
    else:  # the fitted estimator's own check of its feature names
        with pytest.raises(ValueError, match="The feature names should match"):
            model.predict(other)


@pytest.mark.parametrize("cls", [CorrelationRemover, CounterfactualAugmentation])
def test_column_names_that_are_not_strings_are_refused(frame, cls):
    X, y = frame
    numbered = X.set_axis([0, 1, 2], axis=1)
    for sensitive in ("0", numbered[[0]].set_axis(["0"], axis=1)):
        with pytest.raises(
            DataError,
            match=re.escape(
                f"{cls.__name__} changes columns of X by name, and some of X's column "
                "names are not strings ([0, 1, 2]). Name them first: "
                "X.columns = X.columns.astype(str)."
            ),
        ):
            cls(LogisticRegression()).fit(numbered, y, sensitive_features=sensitive)


@pytest.mark.parametrize("cls", [Reweighing, Unawareness])
def test_a_sensitive_column_named_by_its_string_on_numbered_columns(frame, cls):
    """Columns 0, 1, 2: sensitive_features="0" finds column 0 (was a KeyError)."""
    X, y = frame
    numbered = X.set_axis([0, 1, 2], axis=1)
    model = cls(LogisticRegression()).fit(numbered, y, sensitive_features="0")
    named = cls(LogisticRegression()).fit(X, y, sensitive_features="s")
    np.testing.assert_allclose(
        model.predict_proba(numbered), named.predict_proba(X), rtol=1e-10
    )
    assert model.groups_ == [(0,), (1,)]


# -- check_estimator -----------------------------------------------------------------
def _as_frame(X, threshold):
    """The check's array as a DataFrame (columns x0, x1, ...) plus the sensitive
    column "s": whether x0 is above ``threshold`` (its median at fit)."""
    names = [str(c) for c in X.columns] if isinstance(X, pd.DataFrame) else None
    values = np.asarray(X if names else check_array(X, dtype=None))
    columns = names or [f"x{i}" for i in range(values.shape[1])]
    out = pd.DataFrame(values, columns=columns)
    first = out.iloc[:, 0].to_numpy(dtype=float)
    threshold = np.median(first) if threshold is None else threshold
    out["s"] = (first > threshold).astype(int)
    return out, names, threshold


class OnFrames:
    """For check_estimator, which passes arrays to fit(X, y) and predict(X): these
    strategies change, drop or clone a named sensitive column of a DataFrame, so
    the array becomes a DataFrame with the sensitive column "s" added. What the
    check sees (n_features_in_, no feature_names_in_ after an array) is the
    array's."""

    def fit(self, X, y, *, sensitive_features=None):
        data, names, self._threshold = _as_frame(X, None)
        super().fit(data, y, sensitive_features=["s"])
        self.n_features_in_ = data.shape[1] - 1
        if names is None:
            del self.feature_names_in_
        else:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        return self

    def _frame(self, X):
        check_is_fitted(self, "classes_")
        return _as_frame(X, self._threshold)[0]

    def predict(self, X, *, sensitive_features=None):
        return super().predict(self._frame(X))

    def predict_proba(self, X, *, sensitive_features=None):
        return super().predict_proba(self._frame(X))

    def decision_function(self, X, *, sensitive_features=None):
        return super().decision_function(self._frame(X))


class CheckedUnawareness(OnFrames, Unawareness):
    pass


class CheckedCorrelationRemover(OnFrames, CorrelationRemover):
    pass


class CheckedCounterfactualAugmentation(OnFrames, CounterfactualAugmentation):
    pass


class CheckedGridSearch(OnFrames, GridSearch):
    # GridSearch has no decision_function: hide the wrapper's, so hasattr() is
    # False as for the strategy itself (a property without a getter raises
    # AttributeError).
    decision_function = property()


#: Checks that cannot apply, with the reason. (check_classifiers_one_label passes:
#: the refusal of one label is a ValueError that names the class, as it accepts.)
NOT_APPLICABLE = {
    "check_n_features_in_after_fitting": "the wrapper adds the sensitive column, so "
    "the check's array with a column too few still reaches the strategy with as "
    "many columns as at fit; the strategies need DataFrames, whose wrong columns "
    "test_predict_refuses_columns_other_than_fit covers",
}
OBJECT_COLUMNS = {
    "check_dtype_object": "CorrelationRemover decorrelates numeric columns and "
    "passes object columns through as text: a frame of object columns has nothing "
    "to decorrelate, which it refuses with a DataError",
}


@pytest.mark.parametrize(
    "estimator, expected",
    [
        (CheckedUnawareness(LogisticRegression()), NOT_APPLICABLE),
        (
            CheckedCorrelationRemover(LogisticRegression()),
            {**NOT_APPLICABLE, **OBJECT_COLUMNS},
        ),
        (
            CheckedCounterfactualAugmentation(LogisticRegression(), random_state=0),
            NOT_APPLICABLE,
        ),
        (CheckedGridSearch(LogisticRegression(), grid_size=3), NOT_APPLICABLE),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, dict) else "",
)
def test_check_estimator(estimator, expected):
    from pandas.errors import Pandas4Warning
    from sklearn.exceptions import SkipTestWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Pandas4Warning)
        # array-API checks skip themselves without SCIPY_ARRAY_API set.
        warnings.simplefilter("ignore", SkipTestWarning)
        results = check_estimator(
            estimator, expected_failed_checks=expected, on_fail=None
        )
    failed = {
        r["check_name"]: str(r["exception"])[:200]
        for r in results
        if r["status"] == "failed"
    }
    assert failed == {}
    xfailed = {r["check_name"] for r in results if r["status"] == "xfail"}
    # Each check marked as not applicable does fail without the mark.
    assert xfailed == set(expected)
