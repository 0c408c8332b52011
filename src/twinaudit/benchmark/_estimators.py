"""The base estimators of the benchmark, by name.

Each factory takes the seed and returns an unfitted scikit-learn estimator that
reads a DataFrame with pandas ``category`` text columns and numeric columns, as the
``fetch_*`` loaders return them, accepts ``sample_weight`` (so every strategy can
use it) and picks its columns by dtype when fitted, so a strategy that drops a
column (unawareness) gets the same estimator minus that column.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from twinaudit.exceptions import DataError

__all__ = ["ESTIMATORS", "CategoricalBoosting", "logistic_regression"]


def _is_categorical(frame: pd.DataFrame) -> list[bool]:
    return [
        not pd.api.types.is_numeric_dtype(frame[c]) or frame[c].dtype == bool
        for c in frame.columns
    ]


def logistic_regression(seed: int) -> Any:
    """One-hot text columns (unseen values ignored), standardised numbers, then
    L2-regularised logistic regression (lbfgs, deterministic)."""
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    encode = ColumnTransformer(
        [
            (
                "text",
                OneHotEncoder(handle_unknown="ignore"),
                make_column_selector(dtype_exclude="number"),
            ),
            ("numbers", StandardScaler(), make_column_selector(dtype_include="number")),
        ]
    )
    return Pipeline(
        [
            ("encode", encode),
            ("model", LogisticRegression(max_iter=2000, random_state=seed)),
        ]
    )


class CategoricalBoosting(ClassifierMixin, BaseEstimator):
    """Histogram gradient boosting with native categorical splits.

    Text columns are ordinal-encoded (at most ``max_categories`` per column, rarer
    values pooled, unseen values treated as missing) and declared categorical to
    :class:`~sklearn.ensemble.HistGradientBoostingClassifier`; numbers pass as
    they are.

    Parameters
    ----------
    max_iter : int
        Boosting iterations.
    max_categories : int
        Categories kept per text column (at most 255, the boosting's bins).
    random_state : int, optional
    """

    def __init__(
        self,
        max_iter: int = 100,
        max_categories: int = 250,
        random_state: int | None = None,
    ) -> None:
        self.max_iter = max_iter
        self.max_categories = max_categories
        self.random_state = random_state

    def _encode(self, X: pd.DataFrame) -> np.ndarray:
        columns = list(X.columns)
        if columns != self.feature_names_in_.tolist():
            raise DataError(
                f"CategoricalBoosting was fitted on columns "
                f"{self.feature_names_in_.tolist()}; got {columns}."
            )
        out = np.empty((len(X), len(columns)), dtype=np.float64)
        text = [c for c, flag in zip(columns, self.categorical_, strict=True) if flag]
        numbers = [c for c in columns if c not in text]
        if text:
            encoded = self.encoder_.transform(X[text].astype(str))
            out[:, np.flatnonzero(self.categorical_)] = encoded
        if numbers:
            out[:, np.flatnonzero(~self.categorical_)] = X[numbers].to_numpy(
                dtype=np.float64
            )
        return out

    def fit(self, X: pd.DataFrame, y: Any, sample_weight: Any = None) -> Any:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.preprocessing import OrdinalEncoder

        X = pd.DataFrame(X)
        self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        self.n_features_in_ = X.shape[1]
        self.categorical_ = np.asarray(_is_categorical(X), dtype=bool)
        self.encoder_ = OrdinalEncoder(
            handle_unknown="use_encoded_value",
            unknown_value=np.nan,
            max_categories=self.max_categories,
        )
        text = [c for c, flag in zip(X.columns, self.categorical_, strict=True) if flag]
        if text:
            self.encoder_.fit(X[text].astype(str))
        self.model_ = HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            categorical_features=self.categorical_ if text else None,
            random_state=self.random_state,
        ).fit(self._encode(X), y, sample_weight=sample_weight)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.model_.predict(self._encode(pd.DataFrame(X))))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.model_.predict_proba(self._encode(pd.DataFrame(X))))


def gradient_boosting(seed: int) -> Any:
    """:class:`CategoricalBoosting` with 50 iterations (early stopping above 10,000
    rows), seeded."""
    return CategoricalBoosting(max_iter=50, random_state=seed)


#: Estimator name -> factory ``seed -> unfitted estimator``.
ESTIMATORS: dict[str, Callable[[int], Any]] = {
    "logistic_regression": logistic_regression,
    "gradient_boosting": gradient_boosting,
}
