"""Pre-processing strategies: change the training data, then train the estimator.

``Reweighing`` (Kamiran and Calders), ``Unawareness`` (drop the protected column),
``CounterfactualAugmentation`` (add twins of the training rows) and
``CorrelationRemover`` (Fairlearn's linear decorrelation).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from twinaudit.exceptions import DataError, MitigationError
from twinaudit.mitigation._base import (
    DelegatingStrategy,
    _plain,
    fit_with_weights,
    weight_parameter,
)
from twinaudit.mitigation._tuning import TuningParameter

__all__ = [
    "CorrelationRemover",
    "CounterfactualAugmentation",
    "Reweighing",
    "Unawareness",
    "kamiran_calders_weights",
]


def _require_string_columns(X: pd.DataFrame, owner: str) -> None:
    """``owner`` reads and writes columns of ``X`` by their (string) names."""
    odd = [c for c in X.columns if not isinstance(c, str)]
    if odd:
        raise DataError(
            f"{owner} changes columns of X by name, and some of X's column names are "
            f"not strings ({odd[:5]!r}). Name them first: "
            "X.columns = X.columns.astype(str)."
        )


def kamiran_calders_weights(
    groups: np.ndarray, y01: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Kamiran and Calders' weights: ``w(g, y) = P(g) P(y) / P(g, y)``.

    Returns the weight of every row and the ``(n_groups, 2)`` table of cell weights
    (``nan`` for an empty cell: no row carries it, so nothing divides by zero).
    """
    n = len(y01)
    n_groups = int(groups.max()) + 1
    cells = np.zeros((n_groups, 2))
    np.add.at(cells, (groups, y01), 1.0)
    expected = np.outer(cells.sum(axis=1), cells.sum(axis=0)) / n
    table = np.full(cells.shape, np.nan)
    np.divide(expected, cells, out=table, where=cells > 0)
    return table[groups, y01], table


class Reweighing(DelegatingStrategy):
    """Reweighing (Kamiran and Calders 2012; AIF360's ``Reweighing``).

    Each (group, label) cell of the training data gets the weight
    ``P(group) P(label) / P(group, label)``, so that in the weighted data the label
    is independent of the group; the estimator is trained with those
    ``sample_weight`` (routed to a pipeline's last step). With two groups the
    weights are AIF360's; with more groups, or several sensitive features, every
    group (intersection) is its own cell, where AIF360 pools the unprivileged ones.
    An empty cell (no man ever denied, say) gets no weight at all, where AIF360
    divides by zero: no row is in it. The weighted data then still has every row of
    that group with the same label, so a model can still learn the attribute;
    ``empty_cells_`` lists them.

    Parameters
    ----------
    estimator : estimator
        A scikit-learn classifier (or pipeline) whose ``fit`` accepts
        ``sample_weight``. It is cloned, never changed.

    Attributes
    ----------
    estimator_ : estimator
        The clone trained on the weighted data.
    sample_weight_ : ndarray
        The weight of every training row.
    cell_weights_ : ndarray of shape (n_groups, 2)
        Weight per (``groups_[i]``, unfavourable/favourable label); ``nan`` where
        the cell is empty.
    empty_cells_ : list of (group, label)

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = pd.DataFrame({"sex": [0, 0, 0, 1, 1, 1], "x": [1, 2, 3, 1, 2, 3]})
    >>> model = Reweighing(LogisticRegression()).fit(
    ...     X, [0, 0, 1, 0, 1, 1], sensitive_features="sex")
    >>> model.sample_weight_.round(2).tolist()
    [0.75, 0.75, 1.5, 1.5, 0.75, 0.75]
    """

    strategy_name = "reweighing"
    #: No main parameter: fitted once when the benchmark tunes.
    tuning_parameter: ClassVar[TuningParameter | None] = None
    label = "AIF360 reweighing"

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator

    def _fit(
        self,
        X: Any,
        y: np.ndarray,
        y01: np.ndarray,
        sensitive: pd.DataFrame,
        groups: np.ndarray,
    ) -> None:
        estimator = self._new_estimator()
        weight_parameter(estimator, "Reweighing")  # fail before any work
        weights, table = kamiran_calders_weights(groups, y01)
        self.sample_weight_ = weights
        self.cell_weights_ = table
        self.empty_cells_ = [
            (self.groups_[g], _plain(self.classes_[label]))
            for g, label in zip(*np.nonzero(np.isnan(table)), strict=True)
        ]
        self.estimator_ = fit_with_weights(estimator, X, y, weights, "Reweighing")


class Unawareness(DelegatingStrategy):
    """Fairness through unawareness: train without the sensitive feature(s).

    The naive baseline. The columns named by ``sensitive_features`` are dropped
    from ``X`` before training and before every prediction (``predict`` still takes
    the full ``X``, so the model can be audited like the original). Proxies of the
    attribute (a first name, a correlated income) stay, which is what the baseline
    shows.

    Attributes
    ----------
    estimator_ : estimator
        The clone trained without the sensitive columns.
    dropped_columns_ : list of str
    """

    strategy_name = "unawareness"
    tuning_parameter: ClassVar[TuningParameter | None] = None
    label = "unawareness"
    sensitive_in_X = True

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator

    def _fit(
        self,
        X: Any,
        y: np.ndarray,
        y01: np.ndarray,
        sensitive: pd.DataFrame,
        groups: np.ndarray,
    ) -> None:
        self.dropped_columns_ = list(sensitive.columns)
        kept = [c for c in X.columns if str(c) not in self.dropped_columns_]
        if not kept:
            raise DataError(
                "Unawareness drops the sensitive feature(s) "
                f"{self.dropped_columns_}, and X has no other column to train on."
            )
        self.estimator_ = self._new_estimator().fit(self._transform(X), y)

    def _transform(self, X: Any) -> Any:
        if not isinstance(X, pd.DataFrame):
            raise DataError(
                "Unawareness was trained on a DataFrame and drops columns by name; "
                f"pass X as a DataFrame with columns {list(self.feature_names_in_)}."
            )
        return X.drop(columns=[c for c in X.columns if str(c) in self.dropped_columns_])


class CounterfactualAugmentation(DelegatingStrategy):
    """Train on the training rows plus their counterfactual twins.

    Every training row is cloned across every combination of the sensitive
    features' values seen in training (with twinaudit's generator,
    :func:`twinaudit.from_frame`), keeping its label; the estimator is trained on
    the union. Within the augmented data the label does not depend on the
    attribute given the other features.

    Parameters
    ----------
    estimator : estimator
    proxies : sequence of Proxy, optional
        Proxy columns of ``X`` (a first name) to regenerate with each twin's value
        (``mode="proxy"``), or keep as they are (``mode="strict"``). A proxy
        follows the training column and its codes, not the spec's attribute:
        ``Proxy.gendered("Name", "Gender_Code", {1: "male", 0: "female"})``.
    mode : {"strict", "proxy"}
    spec : TwinSpec, optional
        Also add ``n_profiles`` generated balanced profiles from this spec (every
        twin of every profile), labelled by ``labeler``.
    n_profiles : int
        Generated base profiles to add (with ``spec``).
    labeler : estimator or callable, optional
        Labels the generated profiles: an estimator (``predict``) or a function
        ``DataFrame -> labels``. Required with ``spec``.
    random_state : int, optional
        Seed of the generated proxies and profiles.

    Attributes
    ----------
    estimator_ : estimator
    n_training_rows_ : int
        Rows the estimator was trained on.
    """

    strategy_name = "augmentation"
    tuning_parameter: ClassVar[TuningParameter | None] = None
    label = "counterfactual augmentation"
    sensitive_in_X = True

    def __init__(
        self,
        estimator: Any,
        *,
        proxies: Any = (),
        mode: str = "strict",
        spec: Any = None,
        n_profiles: int = 0,
        labeler: Any = None,
        random_state: int | None = None,
    ) -> None:
        self.estimator = estimator
        self.proxies = proxies
        self.mode = mode
        self.spec = spec
        self.n_profiles = n_profiles
        self.labeler = labeler
        self.random_state = random_state

    _LABEL: ClassVar[str] = "__twinaudit_label__"

    def _fit(
        self,
        X: Any,
        y: np.ndarray,
        y01: np.ndarray,
        sensitive: pd.DataFrame,
        groups: np.ndarray,
    ) -> None:
        from twinaudit.generation import from_frame
        from twinaudit.spec import ProtectedAttribute

        _require_string_columns(X, "CounterfactualAugmentation")
        if self.mode not in ("strict", "proxy"):
            raise DataError(f"mode must be 'strict' or 'proxy'. Got {self.mode!r}.")
        seed = 0 if self.random_state is None else int(self.random_state)
        columns = list(sensitive.columns)
        protected = []
        for column in columns:
            values = sorted(pd.unique(sensitive[column]).tolist(), key=repr)
            if len(values) < 2:
                raise MitigationError(
                    f"Sensitive feature {column!r} holds only {values[0]!r} in the "
                    "training data: there is no other value to give the twins."
                )
            protected.append(ProtectedAttribute(column, values, privileged=values[0]))
        data = X.reset_index(drop=True).copy()
        data[self._LABEL] = y
        twins = from_frame(
            data,
            protected,
            proxies=list(self.proxies),
            mode=self.mode,  # type: ignore[arg-type]
            seed=seed,
            pair_column="__twinaudit_pair__",
        )
        frame = twins.frame.drop(columns=[twins.pair_column])
        parts = [frame]
        if self.spec is not None:
            parts.append(self._generated(X, seed))
        augmented = pd.concat(parts, ignore_index=True)
        features = augmented[list(X.columns)]
        for column in X.columns:  # the generator's categories back to X's dtypes
            if features[column].dtype != X[column].dtype:
                features[column] = features[column].astype(X[column].dtype)
        labels = augmented[self._LABEL].to_numpy()
        if labels.dtype != y.dtype:
            labels = labels.astype(y.dtype)
        self.n_training_rows_ = len(features)
        self.estimator_ = self._new_estimator().fit(features, labels)

    def _generated(self, X: pd.DataFrame, seed: int) -> pd.DataFrame:
        from twinaudit.generation import generate
        from twinaudit.scoring import model_input
        from twinaudit.spec import TwinSpec

        if not isinstance(self.spec, TwinSpec):
            raise DataError(f"spec must be a TwinSpec. Got {type(self.spec).__name__}.")
        if self.labeler is None:
            raise DataError(
                "Generated profiles need labels: pass labeler= (an estimator or a "
                "function DataFrame -> labels) with spec=."
            )
        if int(self.n_profiles) < 1:
            raise DataError(
                f"n_profiles must be at least 1 with spec=. Got {self.n_profiles!r}."
            )
        twins = generate(self.spec, int(self.n_profiles), seed=seed)
        frame = model_input(twins, features=list(X.columns))
        label = self.labeler.predict if hasattr(self.labeler, "predict") else None
        labels = np.asarray(label(frame) if label is not None else self.labeler(frame))
        if labels.shape != (len(frame),):
            raise DataError(
                f"labeler returned shape {labels.shape} for {len(frame)} generated "
                "rows; it must return one label per row."
            )
        out = frame.reset_index(drop=True)
        out[self._LABEL] = labels
        return out


class CorrelationRemover(DelegatingStrategy):
    """Fairlearn's ``CorrelationRemover``, then the estimator.

    The numeric non-sensitive columns of ``X`` are projected so that they are
    linearly uncorrelated with the sensitive features (one-hot encoded), with
    strength ``alpha`` (1: fully, 0: unchanged); the sensitive columns are dropped
    and other (text, category) columns pass unchanged. The estimator is trained on
    the result, and every prediction transforms ``X`` the same way with the
    training means and coefficients: the protected value of the row moves its
    decorrelated features, so the model can still depend on it through them.

    Attributes
    ----------
    estimator_ : estimator
    remover_ : fairlearn.preprocessing.CorrelationRemover
    numeric_columns_ : list of str
    """

    strategy_name = "correlation_remover"
    #: What the benchmark's ``tuning`` varies: the strength, 0 to 1.
    tuning_parameter: ClassVar[TuningParameter | None] = TuningParameter(
        "alpha", 0.0, 1.0, "linear"
    )
    label = "Fairlearn correlation remover"
    sensitive_in_X = True

    def __init__(self, estimator: Any, *, alpha: float = 1.0) -> None:
        self.estimator = estimator
        self.alpha = alpha

    def _fit(
        self,
        X: Any,
        y: np.ndarray,
        y01: np.ndarray,
        sensitive: pd.DataFrame,
        groups: np.ndarray,
    ) -> None:
        from fairlearn.preprocessing import CorrelationRemover as Remover

        _require_string_columns(X, "CorrelationRemover")
        if not 0 <= float(self.alpha) <= 1:
            raise DataError(f"alpha must be between 0 and 1. Got {self.alpha!r}.")
        sensitive_columns = list(sensitive.columns)
        self.numeric_columns_ = [
            str(c)
            for c in X.columns
            if str(c) not in sensitive_columns
            and pd.api.types.is_numeric_dtype(X[c])
            and not pd.api.types.is_bool_dtype(X[c])
        ]
        if not self.numeric_columns_:
            raise DataError(
                "CorrelationRemover decorrelates numeric columns, and X has none "
                f"besides the sensitive feature(s) {sensitive_columns}."
            )
        self.sensitive_levels_ = {
            c: sorted(pd.unique(sensitive[c]).tolist(), key=repr)
            for c in sensitive_columns
        }
        design = self._design(X)
        dummies = [c for c in design.columns if c not in self.numeric_columns_]
        self.remover_ = Remover(sensitive_feature_ids=dummies, alpha=float(self.alpha))
        self.remover_.fit(design)
        self.estimator_ = self._new_estimator().fit(self._transform(X), y)

    def _design(self, X: pd.DataFrame) -> pd.DataFrame:
        """Numeric columns and one 0/1 column per non-reference sensitive level."""
        columns = {c: X[c].to_numpy(dtype=float) for c in self.numeric_columns_}
        for name, levels in self.sensitive_levels_.items():
            values = X[name].to_numpy()
            for i, level in enumerate(levels[1:], 1):
                columns[f"__sensitive_{name}_{i}"] = (values == level).astype(float)
        return pd.DataFrame(columns, index=X.index)

    def _transform(self, X: Any) -> Any:
        if not isinstance(X, pd.DataFrame):
            raise DataError(
                "CorrelationRemover was trained on a DataFrame; pass X as a "
                f"DataFrame with columns {list(self.feature_names_in_)}."
            )
        needed = [*self.sensitive_levels_, *self.numeric_columns_]
        missing = [c for c in needed if c not in X.columns]
        if missing:
            raise DataError(
                f"X lacks the column(s) {missing} CorrelationRemover was trained on; "
                f"pass X with columns {list(self.feature_names_in_)}."
            )
        out = X.drop(columns=list(self.sensitive_levels_))
        transformed = self.remover_.transform(self._design(X))
        for i, column in enumerate(self.numeric_columns_):
            out[column] = transformed[:, i]
        return out
