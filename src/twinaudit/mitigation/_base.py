"""What every mitigation strategy shares: checking the estimator, ``X``, ``y`` and
``sensitive_features``, and delegating predictions to the fitted estimator.

A strategy is a scikit-learn meta-estimator in Fairlearn's shape::

    strategy = Reweighing(LogisticRegression())
    strategy.fit(X, y, sensitive_features=X[["sex"]])   # returns strategy
    strategy.predict(X)                                  # or, for post-processors,
    strategy.predict(X, sensitive_features=X[["sex"]])

``sensitive_features`` is the protected column(s): column name(s) of ``X``, a
DataFrame or Series with one row per row of ``X``, or a 1-D array. Several columns
form intersectional groups (every combination seen in training is a group).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils.metaestimators import available_if

from twinaudit.exceptions import DataError, MitigationError, did_you_mean

__all__ = ["FairnessStrategy", "check_estimator_instance", "fit_with_weights"]


def check_estimator_instance(estimator: Any, owner: str) -> None:
    """Raise a typed error unless ``estimator`` is an unfitted-or-fitted scikit-learn
    estimator instance (not its class, not a plain function)."""
    if isinstance(estimator, type):
        raise MitigationError(
            f"{owner} needs an estimator instance; got the class "
            f"{estimator.__name__}. Pass {estimator.__name__}() (with its "
            "parameters) instead."
        )
    if not (
        callable(getattr(estimator, "fit", None)) and hasattr(estimator, "predict")
    ):
        kind = "function" if callable(estimator) else type(estimator).__name__
        raise MitigationError(
            f"{owner} needs a scikit-learn estimator with fit and predict, which it "
            f"retrains; got a {kind} ({estimator!r:.60}). A plain function cannot be "
            "retrained: pass the estimator (or pipeline) that produced it, e.g. "
            "LogisticRegression()."
        )


def _weight_parameter(estimator: Any) -> str | None:
    """The fit keyword that reaches ``estimator``'s sample weights (``step__...``
    through pipelines), or None when it takes none."""
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import has_fit_parameter

    if isinstance(estimator, Pipeline):
        name, last = estimator.steps[-1]
        inner = _weight_parameter(last)
        return None if inner is None else f"{name}__{inner}"
    return "sample_weight" if has_fit_parameter(estimator, "sample_weight") else None


def weight_parameter(estimator: Any, strategy: str) -> str:
    """The keyword carrying ``sample_weight`` to ``estimator``, or a typed error."""
    name = _weight_parameter(estimator)
    if name is None:
        from sklearn.pipeline import Pipeline

        last = estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator
        where = "The pipeline's last step " if last is not estimator else ""
        raise MitigationError(
            f"{where}{type(last).__name__}.fit does not accept sample_weight, which "
            f"{strategy} needs. Use an estimator that takes sample weights (e.g. "
            "LogisticRegression, DecisionTreeClassifier, HistGradientBoosting"
            "Classifier), or a strategy that does not reweight (augmentation, "
            "unawareness, threshold_optimizer)."
        )
    return name


def fit_with_weights(
    estimator: Any, X: Any, y: Any, sample_weight: np.ndarray, strategy: str
) -> Any:
    """Fit ``estimator`` with ``sample_weight``, routed to a pipeline's last step."""
    name = weight_parameter(estimator, strategy)
    return estimator.fit(X, y, **{name: sample_weight})


def _column_names(X: Any) -> list[str] | None:
    return [str(c) for c in X.columns] if isinstance(X, pd.DataFrame) else None


def sensitive_frame(
    sensitive_features: Any, X: Any, n_rows: int, owner: str, method: str
) -> pd.DataFrame:
    """``sensitive_features`` as a DataFrame with one row per row of ``X`` (default
    RangeIndex), each failure a :class:`DataError` saying what to pass."""
    if sensitive_features is None:
        raise DataError(
            f"{owner}.{method} needs sensitive_features=...: the protected column(s), "
            "e.g. sensitive_features=X[['sex']] or the column name 'sex'."
        )
    columns = _column_names(X)
    names: list[str] | None = None
    if isinstance(sensitive_features, str):
        names = [sensitive_features]
    elif (
        isinstance(sensitive_features, list | tuple)
        and sensitive_features
        and all(isinstance(s, str) for s in sensitive_features)
    ):
        names = list(sensitive_features)
    if names is not None:
        if columns is None:
            raise DataError(
                f"sensitive_features={sensitive_features!r} names columns, but X has "
                "no column names (it is not a DataFrame); pass the values instead."
            )
        for name in names:
            if name not in columns:
                raise DataError(
                    f"Sensitive feature {name!r} is not a column of X."
                    f"{did_you_mean(name, columns)} Columns: {columns[:20]}."
                )
        by_name = {str(c): c for c in X.columns}  # X's own labels (0, not "0")
        frame = X[[by_name[name] for name in names]].reset_index(drop=True)
    elif isinstance(sensitive_features, pd.DataFrame):
        frame = sensitive_features.reset_index(drop=True)
    elif isinstance(sensitive_features, pd.Series):
        series_name = sensitive_features.name
        frame = sensitive_features.reset_index(drop=True).to_frame(
            "sensitive_feature" if series_name is None else str(series_name)
        )
    else:
        values = np.asarray(sensitive_features, dtype=object)
        if values.ndim == 1:
            values = values.reshape(-1, 1)
        if values.ndim != 2:
            raise DataError(
                f"sensitive_features must be one value (or one row of values) per "
                f"row of X. Got an array of shape {values.shape}."
            )
        frame = pd.DataFrame(
            values, columns=[f"sensitive_feature_{i}" for i in range(values.shape[1])]
        )
    frame.columns = [str(c) for c in frame.columns]
    if frame.shape[1] == 0:
        raise DataError(f"{owner}.{method}: sensitive_features has no columns.")
    if len(frame) != n_rows:
        raise DataError(
            f"sensitive_features has {len(frame)} rows but X has {n_rows}; give one "
            "value per row of X."
        )
    missing = frame.isna().sum()
    if missing.any():
        column = str(missing.index[np.flatnonzero(missing.to_numpy())[0]])
        raise DataError(
            f"Sensitive feature {column!r} has {int(missing[column])} missing "
            "value(s); fill or drop those rows first."
        )
    return frame


def _group_keys(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    return [
        tuple(v.item() if isinstance(v, np.generic) else v for v in row)
        for row in frame.itertuples(index=False, name=None)
    ]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _sort_key(value: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(f"{type(v).__name__}:{v!r}" for v in value)


class FairnessStrategy(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Base class of the mitigation strategies.

    ``fit`` checks ``X``, ``y`` and ``sensitive_features`` and calls ``_fit``;
    predictions come from ``_predict_proba`` / ``_predict``. Fitted attributes:

    classes_ : ndarray
        The two labels, in sorted order; ``classes_[1]`` is the favourable one.
    sensitive_feature_names_in_ : list of str
        The sensitive features' names at fit.
    groups_ : list of tuple
        The groups seen in training (one value per sensitive feature).
    """

    #: Whether ``predict`` needs ``sensitive_features`` (post-processors read the
    #: protected attribute directly). The audit passes each twin's own values.
    requires_sensitive_features: ClassVar[bool] = False
    #: Whether the sensitive features must be columns of ``X``.
    sensitive_in_X: ClassVar[bool] = False
    #: The registry name (``twinaudit.mitigation.STRATEGIES``).
    strategy_name: ClassVar[str] = ""
    #: How reports name it.
    label: ClassVar[str] = ""

    estimator: Any

    # -- fitting -------------------------------------------------------------------
    def fit(self, X: Any, y: Any, *, sensitive_features: Any = None) -> Any:
        """Train a clone of ``estimator`` with this strategy; returns ``self``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Binary labels; ``classes_[1]`` (1 or True for 0/1 labels) is favourable.
        sensitive_features : str, list of str, DataFrame, Series or array-like
            The protected column(s): names of columns of ``X``, or values with one
            row per row of ``X``.
        """
        owner = type(self).__name__
        check_estimator_instance(self.estimator, owner)
        X, y = self._check_Xy(X, y)
        frame = sensitive_frame(sensitive_features, X, len(y), owner, "fit")
        self.sensitive_feature_names_in_ = list(frame.columns)
        if self.sensitive_in_X:
            columns = _column_names(X) or []
            absent = [c for c in frame.columns if c not in columns]
            if absent:
                raise DataError(
                    f"{owner} changes the sensitive feature in X, but X has no column "
                    f"{absent[0]!r}.{did_you_mean(absent[0], columns)} Pass "
                    "sensitive_features as column name(s) of X (or a DataFrame whose "
                    "columns are named like X's)."
                )
        keys = _group_keys(frame)
        self.groups_ = sorted(set(keys), key=_sort_key)
        index = {g: i for i, g in enumerate(self.groups_)}
        group_codes = np.fromiter((index[k] for k in keys), dtype=np.int64)
        y01 = (y == self.classes_[1]).astype(np.int64)
        self._fit(X, y, y01, frame, group_codes)
        return self

    def _check_Xy(self, X: Any, y: Any) -> tuple[Any, np.ndarray]:
        from sklearn.utils.multiclass import type_of_target
        from sklearn.utils.validation import check_array, column_or_1d

        owner = type(self).__name__
        if X is None:
            raise DataError(f"{owner}.fit: X is None; pass the training features.")
        if y is None:
            raise DataError(
                f"{owner} requires y to be passed, but the target y is None."
            )
        # Arrays are validated as scikit-learn does (2-D, finite, not sparse); a
        # DataFrame is passed on as is (the inner estimator, a pipeline say, reads
        # its columns and checks its values).
        if not isinstance(X, pd.DataFrame):
            X = check_array(X, dtype=None, ensure_all_finite=True)
        n = X.shape[0]
        y_arr = np.asarray(y)
        if y_arr.ndim == 2 and y_arr.shape[1] == 1:
            y_arr = column_or_1d(y_arr, warn=True)
        if y_arr.ndim != 1 or len(y_arr) != n:
            raise DataError(
                f"y must be one label per row of X ({n} rows). Got shape {y_arr.shape}."
            )
        if pd.isna(y_arr).any():
            raise DataError(
                f"Input y contains NaN: {int(pd.isna(y_arr).sum())} missing "
                "label(s); drop those rows first."
            )
        if y_arr.dtype.kind == "f" and np.isinf(y_arr).any():
            raise DataError(
                "Input y contains infinity; labels must be two classes (0/1)."
            )
        self.n_features_in_ = X.shape[1]
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = np.asarray([str(c) for c in X.columns], object)
        kind = type_of_target(y_arr, input_name="y", raise_unknown=True)
        labels = np.unique(y_arr)
        if kind not in ("binary", "unknown") and len(labels) != 1:
            shown = [_plain(v) for v in labels[:5]]
            raise DataError(
                f"Only binary classification is supported. The type of the target "
                f"is {kind}: y holds {len(labels)} labels, e.g. {shown}. Map it to "
                "favourable (1) / unfavourable (0) first."
            )
        if len(labels) < 2:
            raise DataError(
                f"y holds only the label {_plain(labels[0])!r} (one class): a model "
                "trained on it predicts that label for everyone, which would look "
                "perfectly fair and accurate. Mitigation needs both favourable and "
                "unfavourable labels in the training data."
            )
        self.classes_ = labels
        return X, y_arr

    def _fit(
        self,
        X: Any,
        y: np.ndarray,
        y01: np.ndarray,
        sensitive: pd.DataFrame,
        groups: np.ndarray,
    ) -> None:  # pragma: no cover - every strategy implements it
        raise NotImplementedError

    # -- predicting ----------------------------------------------------------------
    def _check_predict(self, X: Any, sensitive_features: Any) -> np.ndarray | None:
        """Check fitted and return each row's training group code (post-processors)
        or None."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "classes_")
        if not self.requires_sensitive_features:
            return None
        owner = type(self).__name__
        if sensitive_features is None:
            raise DataError(
                f"{owner}.predict needs sensitive_features=...: this strategy "
                "adjusts each prediction by the person's group. Pass the same "
                f"column(s) as in fit ({self.sensitive_feature_names_in_})."
            )
        frame = sensitive_frame(sensitive_features, X, len(X), owner, "predict")
        if frame.shape[1] != len(self.sensitive_feature_names_in_):
            raise DataError(
                f"sensitive_features has {frame.shape[1]} column(s) "
                f"{list(frame.columns)}; fit had {self.sensitive_feature_names_in_}."
            )
        if set(frame.columns) == set(self.sensitive_feature_names_in_):
            frame = frame[self.sensitive_feature_names_in_]
        index = {g: i for i, g in enumerate(self.groups_)}
        keys = _group_keys(frame)
        codes = np.fromiter((index.get(k, -1) for k in keys), dtype=np.int64)
        if (codes < 0).any():
            unknown = keys[int(np.flatnonzero(codes < 0)[0])]
            names = [str(c) for c in frame.columns]
            seen = "; ".join(_show_group(g, names) for g in self.groups_)
            raise DataError(
                f"Group {_show_group(unknown, names)} is not among the groups "
                f"{owner} saw in training ({seen}); its adjustment is unknown. "
                "Train on data that includes this group, or leave its rows out."
            )
        return codes

    def predict(self, X: Any, *, sensitive_features: Any = None) -> np.ndarray:
        """Predicted labels; post-processors need ``sensitive_features``."""
        groups = self._check_predict(X, sensitive_features)
        return np.asarray(self._predict(X, groups))

    def _predict(self, X: Any, groups: np.ndarray | None) -> np.ndarray:
        proba = self._predict_proba(X, groups)
        return self.classes_[(proba[:, 1] > 0.5).astype(int)]

    def _predict_proba(
        self, X: Any, groups: np.ndarray | None
    ) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.allow_nan = False
        return tags


def _estimator_has(method: str) -> Any:
    """For ``available_if``: the fitted estimator (or, before fit, the given one)
    has ``method``."""

    def check(self: Any) -> bool:
        inner = getattr(self, "estimator_", self.estimator)
        return callable(getattr(inner, method, None))

    return check


class DelegatingStrategy(FairnessStrategy):
    """A strategy whose final model is ``estimator_`` on (possibly transformed)
    ``X``: predictions, probabilities and decision function come from it."""

    estimator_: Any

    def _transform(self, X: Any) -> Any:
        return X

    def _predict(self, X: Any, groups: np.ndarray | None) -> np.ndarray:
        return np.asarray(self.estimator_.predict(self._transform(X)))

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X: Any, *, sensitive_features: Any = None) -> np.ndarray:
        """Class probabilities of the mitigated model (columns follow
        ``classes_``)."""
        self._check_predict(X, sensitive_features)
        return np.asarray(self.estimator_.predict_proba(self._transform(X)))

    @available_if(_estimator_has("decision_function"))
    def decision_function(
        self, X: Any, *, sensitive_features: Any = None
    ) -> np.ndarray:
        """The fitted estimator's decision function."""
        self._check_predict(X, sensitive_features)
        return np.asarray(self.estimator_.decision_function(self._transform(X)))

    def _new_estimator(self) -> Any:
        return clone(self.estimator)


def _show_group(group: Sequence[Any], names: Sequence[str]) -> str:
    return ", ".join(f"{n}={v!r}" for n, v in zip(names, group, strict=True))
