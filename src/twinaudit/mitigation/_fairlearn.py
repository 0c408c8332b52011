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
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils.metaestimators import available_if

from twinaudit.exceptions import DataError, MitigationError
from twinaudit.mitigation._base import FairnessStrategy, weight_parameter

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
    return X.reset_index(drop=True) if isinstance(X, pd.DataFrame) else X


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
    mitigator_ : fairlearn.reductions.ExponentiatedGradient
    """

    strategy_name = "exponentiated_gradient"
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

        moment = _moment(self.constraints, type(self).__name__)
        estimator = clone(self.estimator)
        name = weight_parameter(estimator, "ExponentiatedGradient")
        self.mitigator_ = Reduction(
            estimator,
            constraints=moment,
            eps=self.eps,
            max_iter=self.max_iter,
            sample_weight_name=name,
        )
        with _fairlearn_calls():
            self.mitigator_.fit(_fairlearn_X(X), y01, sensitive_features=groups)

    def _predict(self, X: Any, groups: np.ndarray | None) -> np.ndarray:
        with _fairlearn_calls():
            decisions = self.mitigator_.predict(
                _fairlearn_X(X), random_state=self.random_state
            )
        return np.asarray(self.classes_[np.asarray(decisions, dtype=int)])

    def predict_proba(self, X: Any, *, sensitive_features: Any = None) -> np.ndarray:
        """The randomized classifier's probability of each class."""
        self._check_predict(X, sensitive_features)
        with _fairlearn_calls():
            return np.asarray(self.mitigator_._pmf_predict(_fairlearn_X(X)))


class GridSearch(FairnessStrategy):
    """Fairlearn's ``GridSearch`` reduction: trains ``estimator`` at ``grid_size``
    Lagrange multipliers of ``constraints`` and keeps the best trade-off
    (deterministic predictions).

    Attributes
    ----------
    mitigator_ : fairlearn.reductions.GridSearch
    """

    strategy_name = "grid_search"
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

        moment = _moment(self.constraints, type(self).__name__)
        estimator = clone(self.estimator)
        name = weight_parameter(estimator, "GridSearch")
        self.mitigator_ = Reduction(
            estimator,
            constraints=moment,
            grid_size=self.grid_size,
            constraint_weight=self.constraint_weight,
            sample_weight_name=name,
        )
        with _fairlearn_calls():
            self.mitigator_.fit(_fairlearn_X(X), y01, sensitive_features=groups)

    def _predict(self, X: Any, groups: np.ndarray | None) -> np.ndarray:
        with _fairlearn_calls():
            decisions = self.mitigator_.predict(_fairlearn_X(X))
        return np.asarray(self.classes_[np.asarray(decisions, dtype=int)])

    def _best_has_proba(self) -> bool:
        best = getattr(getattr(self, "mitigator_", None), "predictors_", None)
        if best is None:
            return callable(getattr(self.estimator, "predict_proba", None))
        return callable(getattr(self.mitigator_.predictors_[0], "predict_proba", None))

    @available_if(_best_has_proba)
    def predict_proba(self, X: Any, *, sensitive_features: Any = None) -> np.ndarray:
        """The best model's class probabilities."""
        self._check_predict(X, sensitive_features)
        with _fairlearn_calls():
            return np.asarray(self.mitigator_.predict_proba(_fairlearn_X(X)))


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
    random_state : int, optional
        Seed of the randomized thresholds at predict time.

    Attributes
    ----------
    mitigator_ : fairlearn.postprocessing.ThresholdOptimizer
    """

    strategy_name = "threshold_optimizer"
    label = "Fairlearn threshold optimizer"
    requires_sensitive_features = True

    def __init__(
        self,
        estimator: Any,
        *,
        constraints: str = "demographic_parity",
        objective: str = "accuracy_score",
        grid_size: int = 1000,
        random_state: int | None = None,
    ) -> None:
        self.estimator = estimator
        self.constraints = constraints
        self.objective = objective
        self.grid_size = grid_size
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
        )
        for code, group in enumerate(self.groups_):
            labels = np.unique(y01[groups == code])
            if len(labels) < 2:
                raise MitigationError(
                    f"ThresholdOptimizer: every training row of group "
                    f"{dict(zip(self.sensitive_feature_names_in_, group, strict=True))}"
                    f" has the label {self.classes_[labels[0]].item()!r}, so no "
                    "threshold on its scores can be chosen (Fairlearn refuses "
                    "'degenerate labels'). Use reweighing or augmentation, or train "
                    "on data with both labels in every group."
                )
        self.mitigator_.fit(_fairlearn_X(X), y01, sensitive_features=groups)

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
