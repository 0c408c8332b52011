"""Fairlearn's reductions and post-processing as twinaudit strategies.

``ExponentiatedGradient`` and ``GridSearch`` (Agarwal et al. 2018) retrain the
estimator under a fairness constraint; ``ThresholdOptimizer`` (Hardt et al. 2016)
picks group-specific thresholds on its scores, so it needs the sensitive features
at predict time. Fairlearn is imported when a strategy is fitted.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.metaestimators import available_if

from twinaudit.exceptions import DataError, MitigationError
from twinaudit.mitigation._base import FairnessStrategy, _plain, weight_parameter
from twinaudit.mitigation._tuning import TuningParameter

__all__ = ["ExponentiatedGradient", "GridSearch", "ThresholdOptimizer"]

Constraint = Literal[
    "demographic_parity", "equalized_odds", "true_positive_rate_parity"
]
_CONSTRAINTS = ("demographic_parity", "equalized_odds", "true_positive_rate_parity")


def _moment(constraints: str, owner: str) -> Any:
    from fairlearn import reductions

    if constraints not in _CONSTRAINTS:
        from twinaudit.exceptions import did_you_mean

        raise DataError(
            f"{owner}: constraints={constraints!r} is not one of {list(_CONSTRAINTS)}."
            f"{did_you_mean(str(constraints), _CONSTRAINTS)}"
        )
    return {
        "demographic_parity": reductions.DemographicParity,
        "equalized_odds": reductions.EqualizedOdds,
        "true_positive_rate_parity": reductions.TruePositiveRateParity,
    }[constraints]()


@contextlib.contextmanager
def _fairlearn_calls() -> Iterator[None]:
    """Fairlearn's reductions set new keys with ``Series.at`` and store booleans in
    float frames, which pandas 3 deprecates for pandas 4 (``Pandas4Warning``); the
    results are the same today, so those warnings are silenced inside the call."""
    from pandas.errors import Pandas4Warning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Pandas4Warning)
        yield


def _fairlearn_X(X: Any) -> Any:
    """Fairlearn validates X with scikit-learn; a DataFrame keeps its columns."""
    if isinstance(X, pd.DataFrame):
        return X.reset_index(drop=True)
    from sklearn.utils.validation import check_array

    return check_array(X, dtype=None)


def _two_groups(strategy: FairnessStrategy) -> None:
    """Fairlearn's constraints compare groups; with one it divides by zero."""
    if len(strategy.groups_) < 2:
        raise MitigationError(
            f"{type(strategy).__name__} needs at least two groups in "
            f"sensitive_features; the training data has only {strategy.groups_[0]!r}."
        )


class ExponentiatedGradient(FairnessStrategy):
    """Fairlearn's ``ExponentiatedGradient`` reduction.

    Trains a sequence of weighted copies of ``estimator`` and returns a randomized
    classifier over them that satisfies ``constraints`` up to ``eps`` on the
    training data. Its ``predict`` draws at random between those copies (seeded
    by ``random_state``: the same rows get the same decisions on every call), so
    twins can get different decisions by chance alone; ``predict_proba`` gives the
    mixture's probability.

    Parameters
    ----------
    estimator : estimator
        Must accept ``sample_weight`` (through a pipeline's last step too).
    constraints : {"demographic_parity", "equalized_odds", \
"true_positive_rate_parity"}
    eps : float
        Allowed constraint violation.
    max_iter : int
    random_state : int, optional
        Seed of the randomized predictions.

    Attributes
    ----------
    predictors_ : list of estimators
        Fairlearn's predictors (``ExponentiatedGradient.predictors_``).
    weights_ : ndarray
        Their weights in the randomized classifier.
    """

    strategy_name = "exponentiated_gradient"
    #: What the benchmark's ``tuning`` varies: the allowed violation, 0.001 to 0.1
    #: on a log scale (the default 0.01 in the middle).
    tuning_parameter: ClassVar[TuningParameter | None] = TuningParameter(
        "eps", 0.001, 0.1, "log"
    )
    label = "Fairlearn exponentiated gradient"

    def __init__(
        self,
        estimator: Any,
        *,
        constraints: Constraint = "demographic_parity",
        eps: float = 0.01,
        max_iter: int = 50,
        random_state: int | None = None,
    ) -> None:
        self.estimator = estimator
        self.constraints = constraints
        self.eps = eps
        self.max_iter = max_iter
        self.random_state = random_state

    def _fit(
        self,
        X: Any,
        y: np.ndarray,
        y01: np.ndarray,
        sensitive: pd.DataFrame,
        groups: np.ndarray,
    ) -> None:
        from fairlearn.reductions import ExponentiatedGradient as Reduction

        mitigator = _reduce(
            self, Reduction, X, y01, groups, eps=self.eps, max_iter=self.max_iter
        )
        # What prediction needs, as plain objects (Fairlearn's fitted reduction
        # holds pandas objects that skops cannot save).
        self.predictors_ = [_unwrapped(p) for p in mitigator.predictors_]
        self.weights_ = np.asarray(mitigator.weights_, dtype=float)

    def _positive(self, X: Any) -> np.ndarray:
        """Fairlearn's ``_pmf_predict``: the weighted vote of the predictors."""
        data = _fairlearn_X(X)
        positive = np.zeros(len(data))
        for weight, predictor in zip(self.weights_, self.predictors_, strict=True):
            if weight != 0:
                positive += weight * np.asarray(predictor.predict(data), dtype=float)
        return positive

    def _predict(self, X: Any, groups: np.ndarray | None) -> np.ndarray:
        from sklearn.utils import check_random_state

        # Fairlearn's predict: favourable where the vote beats a uniform draw.
        positive = self._positive(X)
        draws = check_random_state(self.random_state).rand(len(positive))
        decisions = (positive >= draws).astype(int)
        return np.asarray(self.classes_[decisions])

    def predict_proba(self, X: Any, *, sensitive_features: Any = None) -> np.ndarray:
        """The randomized classifier's probability of each class."""
        self._check_predict(X, sensitive_features)
        positive = self._positive(X)
        return np.column_stack([1 - positive, positive])


class GridSearch(FairnessStrategy):
    """Fairlearn's ``GridSearch`` reduction: trains ``estimator`` at ``grid_size``
    Lagrange multipliers of ``constraints`` and keeps the best trade-off
    (deterministic predictions).

    Attributes
    ----------
    best_estimator_ : estimator
        Fairlearn's best predictor (``predictors_[best_idx_]``).
    """

    strategy_name = "grid_search"
    #: What the benchmark's ``tuning`` varies: the weight of the constraint
    #: violation against the error when the best model is picked, 0 to 1.
    tuning_parameter: ClassVar[TuningParameter | None] = TuningParameter(
        "constraint_weight", 0.0, 1.0, "linear"
    )
    label = "Fairlearn grid search"

    def __init__(
        self,
        estimator: Any,
        *,
        constraints: Constraint = "demographic_parity",
        grid_size: int = 10,
        constraint_weight: float = 0.5,
    ) -> None:
        self.estimator = estimator
        self.constraints = constraints
        self.grid_size = grid_size
        self.constraint_weight = constraint_weight

    def _fit(
        self,
        X: Any,
        y: np.ndarray,
        y01: np.ndarray,
        sensitive: pd.DataFrame,
        groups: np.ndarray,
    ) -> None:
        from fairlearn.reductions import GridSearch as Reduction

        mitigator = _reduce(
            self,
            Reduction,
            X,
            y01,
            groups,
            grid_size=self.grid_size,
            constraint_weight=self.constraint_weight,
        )
        # Fairlearn's GridSearch predicts with its best predictor.
        self.best_estimator_ = _unwrapped(mitigator.predictors_[mitigator.best_idx_])

    def _predict(self, X: Any, groups: np.ndarray | None) -> np.ndarray:
        decisions = self.best_estimator_.predict(_fairlearn_X(X))
        return np.asarray(self.classes_[np.asarray(decisions, dtype=int)])

    def _best_has_proba(self) -> bool:
        best = getattr(self, "best_estimator_", self.estimator)
        return callable(getattr(best, "predict_proba", None))

    @available_if(_best_has_proba)
    def predict_proba(self, X: Any, *, sensitive_features: Any = None) -> np.ndarray:
        """The best model's class probabilities."""
        self._check_predict(X, sensitive_features)
        return np.asarray(self.best_estimator_.predict_proba(_fairlearn_X(X)))


class ThresholdOptimizer(FairnessStrategy):
    """Fairlearn's ``ThresholdOptimizer``: group-specific (randomized) thresholds on
    the estimator's scores that satisfy ``constraints`` while optimizing
    ``objective``.

    It reads the protected attribute directly: ``predict`` needs
    ``sensitive_features`` (the audit passes each twin's own value).

    Parameters
    ----------
    estimator : estimator
        Trained here on ``X, y`` (a clone).
    constraints : str
        Fairlearn's constraint name, e.g. ``"demographic_parity"``,
        ``"equalized_odds"``, ``"true_positive_rate_parity"``.
    objective : str
        ``"accuracy_score"``, ``"balanced_accuracy_score"``, ...
    grid_size : int
        Fairlearn's number of thresholds searched.
    tol : float, optional
        Fairlearn's tolerance: the constraint's values may differ across groups by
        at most ``tol`` (None or 0: the exact constraint; not for
        ``"equalized_odds"``).
    random_state : int, optional
        Seed of the randomized thresholds at predict time.

    Attributes
    ----------
    mitigator_ : fairlearn.postprocessing.ThresholdOptimizer
    """

    strategy_name = "threshold_optimizer"
    #: What the benchmark's ``tuning`` varies: Fairlearn's tolerance, 0 (the
    #: exact constraint) to 0.1.
    tuning_parameter: ClassVar[TuningParameter | None] = TuningParameter(
        "tol", 0.0, 0.1, "linear"
    )
    label = "Fairlearn threshold optimizer"
    requires_sensitive_features = True

    def __init__(
        self,
        estimator: Any,
        *,
        constraints: str = "demographic_parity",
        objective: str = "accuracy_score",
        grid_size: int = 1000,
        tol: float | None = None,
        random_state: int | None = None,
    ) -> None:
        self.estimator = estimator
        self.constraints = constraints
        self.objective = objective
        self.grid_size = grid_size
        self.tol = tol
        self.random_state = random_state

    def _fit(
        self,
        X: Any,
        y: np.ndarray,
        y01: np.ndarray,
        sensitive: pd.DataFrame,
        groups: np.ndarray,
    ) -> None:
        from fairlearn.postprocessing import ThresholdOptimizer as Optimizer

        self.mitigator_ = Optimizer(
            estimator=clone(self.estimator),
            constraints=self.constraints,
            objective=self.objective,
            grid_size=self.grid_size,
            predict_method="auto",
            prefit=False,
            tol=self.tol,
        )
        _two_groups(self)
        for code, group in enumerate(self.groups_):
            labels = np.unique(y01[groups == code])
            if len(labels) < 2:
                raise MitigationError(
                    f"ThresholdOptimizer: every training row of group "
                    f"{dict(zip(self.sensitive_feature_names_in_, group, strict=True))}"
                    f" has the label {_plain(self.classes_[labels[0]])!r}, so no "
                    "threshold on its scores can be chosen (Fairlearn refuses "
                    "'degenerate labels'). Use reweighing or augmentation, or train "
                    "on data with both labels in every group."
                )
        self.mitigator_.fit(_fairlearn_X(X), y01, sensitive_features=groups)
        # The trade-off curves are kept only for Fairlearn's plots; they are pandas
        # objects that skops cannot save.
        for curve in ("_tradeoff_curve", "_overall_tradeoff_curve"):
            if hasattr(self.mitigator_, curve):
                delattr(self.mitigator_, curve)

    def _predict(self, X: Any, groups: np.ndarray | None) -> np.ndarray:
        decisions = self.mitigator_.predict(
            _fairlearn_X(X), sensitive_features=groups, random_state=self.random_state
        )
        return np.asarray(self.classes_[np.asarray(decisions, dtype=int)])

    def predict_proba(self, X: Any, *, sensitive_features: Any = None) -> np.ndarray:
        """Probability of each class under the randomized group thresholds."""
        groups = self._check_predict(X, sensitive_features)
        return np.asarray(
            self.mitigator_._pmf_predict(_fairlearn_X(X), sensitive_features=groups)
        )


class _RoutedWeights(ClassifierMixin, BaseEstimator):
    """``estimator`` fitted with a plain ``sample_weight`` routed to its weight
    keyword (``model__sample_weight`` for a pipeline).

    Fairlearn's reductions pass one weight keyword to every model they fit, and
    replace the model by a ``DummyClassifier`` when a relabelling has one class;
    that stand-in takes only ``sample_weight``, so a pipeline's keyword would fail
    there. Fitted predictors are unwrapped afterwards (see :func:`_unwrapped`).
    """

    def __init__(self, estimator: Any = None) -> None:
        self.estimator = estimator

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> _RoutedWeights:
        fitted = clone(self.estimator)
        if sample_weight is None:
            fitted.fit(X, y)
        else:
            name = weight_parameter(fitted, type(self).__name__)
            fitted.fit(X, y, **{name: sample_weight})
        self.estimator_ = fitted
        self.classes_ = fitted.classes_
        return self

    def predict(self, X: Any) -> Any:
        return self.estimator_.predict(X)

    def predict_proba(self, X: Any) -> Any:
        return self.estimator_.predict_proba(X)


def _reduce(
    strategy: Any,
    reduction: Any,
    X: Any,
    y01: np.ndarray,
    groups: np.ndarray,
    **params: Any,
) -> Any:
    """Fairlearn's ``reduction`` (ExponentiatedGradient or GridSearch) of a clone of
    ``strategy.estimator`` under ``strategy.constraints``, fitted."""
    _two_groups(strategy)
    name = type(strategy).__name__
    moment = _moment(strategy.constraints, name)
    estimator, weight = _weighted(clone(strategy.estimator), name)
    mitigator = reduction(
        estimator, constraints=moment, sample_weight_name=weight, **params
    )
    with _fairlearn_calls():
        mitigator.fit(_fairlearn_X(X), y01, sensitive_features=groups)
    return mitigator


def _weighted(estimator: Any, strategy: str) -> tuple[Any, str]:
    """The model a reduction fits and its weight keyword (always ``sample_weight``:
    see :class:`_RoutedWeights`); a typed error when it takes no weights."""
    name = weight_parameter(estimator, strategy)
    if name == "sample_weight":
        return estimator, name
    return _RoutedWeights(estimator), "sample_weight"


def _unwrapped(predictor: Any) -> Any:
    return predictor.estimator_ if isinstance(predictor, _RoutedWeights) else predictor
