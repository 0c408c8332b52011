"""Mitigation strategies: one class per technique, one interface.

A strategy trains a fresh copy (``sklearn.base.clone``) of the user's estimator on
the training data in the model's own columns and codes: the protected attribute
is the column and codes of :attr:`ProtectedAttribute.column` /
:meth:`ProtectedAttribute.code`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from twinaudit.exceptions import DataError, MitigationError, did_you_mean
from twinaudit.spec import ProtectedAttribute

__all__ = [
    "CounterfactualAugmentation",
    "Mitigated",
    "MitigationStrategy",
    "Reweighing",
]


@dataclass(frozen=True)
class Mitigated:
    """A model trained by a strategy, and what the strategy did."""

    model: Any
    notes: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)


def check_training_data(
    X: Any, y: Any, attribute: ProtectedAttribute, favorable_label: Any
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Validate training data; return it with the 0/1 favourable label and each row's
    position in ``attribute.values``."""
    if not isinstance(X, pd.DataFrame):
        raise DataError(
            f"Training data X must be a pandas DataFrame with named columns. Got "
            f"{type(X).__name__}."
        )
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(X):
        raise DataError(
            f"y must be one label per row of X ({len(X)} rows). Got shape {y.shape}."
        )
    if len(X) == 0:
        raise DataError("The training data is empty.")
    if pd.isna(y).any():
        raise DataError(f"y has {int(pd.isna(y).sum())} missing label(s); drop them.")
    labels = pd.unique(y).tolist()
    if len(labels) > 2:
        raise DataError(
            f"y must be binary; it holds {len(labels)} labels, e.g. {labels[:5]}. Map "
            "it to favourable/unfavourable first."
        )
    if favorable_label not in labels and not (
        len(labels) == 1 or set(labels) <= {0, 1}
    ):
        raise DataError(
            f"favorable_label={favorable_label!r} is not among the labels {labels}."
        )
    column = attribute.column
    if column not in X.columns:
        raise DataError(
            f"The training data has no column {column!r} for protected attribute "
            f"{attribute.name!r}.{did_you_mean(column, map(str, X.columns))}"
        )
    codes_by_value = {attribute.code(v): i for i, v in enumerate(attribute.values)}
    raw = X[column]
    if raw.isna().any():
        raise DataError(f"Column {column!r} has missing values; fill or drop them.")
    positions = raw.map(lambda v: codes_by_value.get(v, -1)).to_numpy(dtype=np.int64)
    if (positions < 0).any():
        unknown = sorted(set(raw[positions < 0].tolist()), key=str)[:5]
        raise DataError(
            f"Column {column!r} holds {unknown}, which are not the model codes of "
            f"{attribute.name!r} ({codes_by_value_text(attribute)})."
        )
    return X, (y == favorable_label).astype(np.int64), positions


def codes_by_value_text(attribute: ProtectedAttribute) -> str:
    return str({v: attribute.code(v) for v in attribute.values})


def fit_with_weights(
    estimator: Any, X: pd.DataFrame, y: Any, sample_weight: np.ndarray
) -> Any:
    """Fit with ``sample_weight``, routed to a pipeline's last step."""
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import has_fit_parameter

    if isinstance(estimator, Pipeline):
        name, last = estimator.steps[-1]
        if not has_fit_parameter(last, "sample_weight"):
            raise MitigationError(
                f"The pipeline's last step {type(last).__name__} does not accept "
                "sample_weight, which reweighing needs; use counterfactual "
                "augmentation instead."
            )
        return estimator.fit(X, y, **{f"{name}__sample_weight": sample_weight})
    if not has_fit_parameter(estimator, "sample_weight"):
        raise MitigationError(
            f"{type(estimator).__name__}.fit does not accept sample_weight, which "
            "reweighing needs; use counterfactual augmentation instead."
        )
    return estimator.fit(X, y, sample_weight=sample_weight)


class MitigationStrategy:
    """Base class: ``fit(estimator, X, y, attribute=...)`` returns :class:`Mitigated`
    holding a freshly trained clone of ``estimator``."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""

    def fit(
        self,
        estimator: Any,
        X: pd.DataFrame,
        y: Any,
        *,
        attribute: ProtectedAttribute,
        favorable_label: Any = 1,
    ) -> Mitigated:
        from sklearn.base import clone

        X, y01, positions = check_training_data(X, y, attribute, favorable_label)
        return self._fit(clone(estimator), X, np.asarray(y), y01, positions, attribute)

    def _fit(
        self,
        estimator: Any,
        X: pd.DataFrame,
        y: np.ndarray,
        y01: np.ndarray,
        positions: np.ndarray,
        attribute: ProtectedAttribute,
    ) -> Mitigated:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Reweighing(MitigationStrategy):
    """AIF360's reweighing (Kamiran & Calders): weight each (group, label) cell by
    ``P(group) P(label) / P(group, label)`` so that the label is independent of the
    group in the weighted data, then train with those ``sample_weight``.

    AIF360 compares the privileged value with all other values pooled. Where a
    (group, label) cell is empty (the tutorial's history: no man was ever denied)
    AIF360 divides by zero for that cell; no training row is in it, so no row gets
    that weight: the strategy checks that every weight used is finite and says in
    its notes which cell was empty and what that means.
    """

    name = "reweighing"
    label = "AIF360 reweighing"

    def _fit(
        self,
        estimator: Any,
        X: pd.DataFrame,
        y: np.ndarray,
        y01: np.ndarray,
        positions: np.ndarray,
        attribute: ProtectedAttribute,
    ) -> Mitigated:
        from twinaudit.adapters._lazy import import_aif360

        datasets = import_aif360("aif360.datasets")
        preprocessing = import_aif360("aif360.algorithms.preprocessing")
        privileged_position = attribute.values.index(attribute.privileged)
        group = (positions == privileged_position).astype(float)
        frame = pd.DataFrame({"group": group, "label": y01.astype(float)})
        dataset = datasets.BinaryLabelDataset(
            df=frame,
            label_names=["label"],
            protected_attribute_names=["group"],
            favorable_label=1.0,
            unfavorable_label=0.0,
        )
        reweigher = preprocessing.Reweighing(
            unprivileged_groups=[{"group": 0.0}], privileged_groups=[{"group": 1.0}]
        )
        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            weights = reweigher.fit_transform(dataset).instance_weights.astype(float)
        if not np.isfinite(weights).all():
            # AIF360 gives every training row a finite weight; guard all the same.
            raise MitigationError(  # pragma: no cover
                "AIF360 reweighing produced non-finite weights for some rows."
            )
        cells = {
            (attribute.privileged, "favourable"): float(reweigher.w_p_fav),
            (attribute.privileged, "unfavourable"): float(reweigher.w_p_unfav),
            ("others", "favourable"): float(reweigher.w_up_fav),
            ("others", "unfavourable"): float(reweigher.w_up_unfav),
        }
        notes = []
        others = "/".join(map(str, attribute.unprivileged))
        for (who, outcome), weight in cells.items():
            if not np.isfinite(weight):
                who_text = (
                    f"{attribute.name}={who}"
                    if who != "others"
                    else f"{attribute.name}={others}"
                )
                notes.append(
                    f"No training row has {who_text} with an {outcome} label, so "
                    "reweighing cannot balance that cell (AIF360 divides by zero "
                    "there; no row carries that weight). The weighted data still "
                    f"has every {who_text} row "
                    f"{'un' if outcome == 'favourable' else ''}"
                    "favourable, so a model can still learn the attribute from it."
                )
        used = {f"{k[0]}/{k[1]}": v for k, v in cells.items() if np.isfinite(v)}
        notes.append(
            "Weights used: " + ", ".join(f"{k} {v:.3f}" for k, v in used.items())
        )
        model = fit_with_weights(estimator, X, y, weights)
        return Mitigated(
            model=model,
            notes=tuple(notes),
            details={"cell_weights": cells, "sample_weight": weights},
        )


class CounterfactualAugmentation(MitigationStrategy):
    """Add, for every training row, a copy with each other value of the protected
    attribute and the same label, then train on the union. Within the augmented
    data the label no longer depends on the attribute given the other features.

    Only the protected column is changed; proxy columns in the training data (a
    first name, say) keep their values.
    """

    name = "augmentation"
    label = "counterfactual augmentation"

    def _fit(
        self,
        estimator: Any,
        X: pd.DataFrame,
        y: np.ndarray,
        y01: np.ndarray,
        positions: np.ndarray,
        attribute: ProtectedAttribute,
    ) -> Mitigated:
        column = attribute.column
        parts = [X]
        labels = [y]
        n_values = len(attribute.values)
        for shift in range(1, n_values):
            flipped = X.copy()
            new_positions = (positions + shift) % n_values
            codes = np.empty(n_values, dtype=object)
            codes[:] = [attribute.code(v) for v in attribute.values]
            flipped[column] = pd.Series(codes[new_positions], index=X.index).astype(
                X[column].dtype
            )
            parts.append(flipped)
            labels.append(y)
        X_aug = pd.concat(parts, ignore_index=True)
        y_aug = np.concatenate(labels)
        model = estimator.fit(X_aug, y_aug)
        notes = (
            f"Trained on {len(X_aug):,} rows: the {len(X):,} original rows and "
            f"{len(X_aug) - len(X):,} copies with {attribute.name} changed and the "
            "label kept.",
        )
        return Mitigated(model=model, notes=notes, details={"rows": len(X_aug)})


STRATEGIES: dict[str, type[MitigationStrategy]] = {
    cls.name: cls for cls in (Reweighing, CounterfactualAugmentation)
}


def strategy_from(value: str | MitigationStrategy) -> MitigationStrategy:
    if isinstance(value, MitigationStrategy):
        return value
    if isinstance(value, str) and value in STRATEGIES:
        return STRATEGIES[value]()
    raise MitigationError(
        f"Unknown mitigation strategy {value!r}.{did_you_mean(str(value), STRATEGIES)} "
        f"Available: {', '.join(STRATEGIES)}, or a MitigationStrategy instance."
    )
