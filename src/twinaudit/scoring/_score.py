"""Feed twins to a model: the columns and codes it expects, decisions and scores."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from twinaudit.exceptions import DataError, ModelError, did_you_mean
from twinaudit.generation import Twins

__all__ = ["ScoredTwins", "model_input", "score"]


@dataclass(frozen=True, eq=False)
class ScoredTwins:
    """Twins with the model's decisions.

    Attributes
    ----------
    twins : Twins
    y_pred : ndarray of int8
        1 where the model's decision is the favourable one, per row of the twins.
    predictions : ndarray
        The model's raw predictions.
    scores : ndarray of float or None
        The model's probability (or score) of the favourable decision, when it has
        ``predict_proba``.
    favorable_label : object
        The prediction counted as favourable.
    model_name : str
    features : tuple of str
        The columns passed to the model, in order.
    """

    twins: Twins
    y_pred: np.ndarray
    predictions: np.ndarray
    scores: np.ndarray | None
    favorable_label: Any
    model_name: str
    features: tuple[str, ...]

    @property
    def n_pairs(self) -> int:
        return self.twins.n_pairs

    def __repr__(self) -> str:
        return (
            f"ScoredTwins({self.model_name} on {self.twins!r}: "
            f"{int(self.y_pred.sum()):,} of {len(self.y_pred):,} decisions favourable)"
        )

    def decision_matrix(self) -> np.ndarray:
        """``(n_pairs, n_variants)`` favourable decisions, columns in the order of
        ``twins.combinations()``."""
        return self.y_pred.reshape(self.twins.n_pairs, self.twins.n_variants)

    def score_matrix(self) -> np.ndarray | None:
        if self.scores is None:
            return None
        return self.scores.reshape(self.twins.n_pairs, self.twins.n_variants)

    def to_frame(self, decision_column: str = "decision") -> pd.DataFrame:
        """The twins with the model's decision (and score) appended."""
        frame = self.twins.frame.copy()
        if decision_column in frame.columns:
            raise DataError(
                f"The twins already have a column {decision_column!r}; pass another "
                "decision_column=... name."
            )
        frame[decision_column] = self.predictions
        if self.scores is not None:
            frame[f"{decision_column}_score"] = self.scores
        return frame


def _model_name(model: Any) -> str:
    name = type(model).__name__
    if name == "function":
        return getattr(model, "__name__", "function")
    return name


def model_input(
    twins: Twins,
    model: Any = None,
    features: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The frame the model sees: protected values as plain values (the model's
    codes under its column names where the attribute has ``model_column`` /
    ``encoding``), and only the columns the model was trained on
    (``feature_names_in_``, or ``features``)."""
    frame = twins.frame
    encoded: dict[str, Any] = {}
    replaced: set[str] = set()
    # Protected columns reach the model as plain values (its codes where an
    # encoding is given), never as pandas categoricals, whose dtype some
    # estimators read (HistGradientBoosting's categorical_features="from_dtype").
    for attribute in twins.protected:
        codes = twins.codes(attribute.name)
        table = np.asarray([attribute.code(v) for v in attribute.values])
        if table.dtype.kind not in "biuf":  # text codes stay Python objects
            table = np.asarray(
                [attribute.code(v) for v in attribute.values], dtype=object
            )
            encoded[attribute.column] = pd.Series(table[codes], dtype=object)
        else:
            encoded[attribute.column] = table[codes]
        if attribute.model_column is not None:
            replaced.add(attribute.name)
    wanted: list[str] | None = None
    if features is not None:
        wanted = list(features)
    elif model is not None and hasattr(model, "feature_names_in_"):
        wanted = [str(c) for c in model.feature_names_in_]
    available = [
        c for c in frame.columns if c != twins.pair_column and c not in replaced
    ]
    available += [c for c in encoded if c not in available]
    if wanted is None:
        wanted = available
    missing = [c for c in wanted if c not in available]
    if missing:
        hints = "".join(did_you_mean(c, available) for c in missing[:1])
        protected = [p.name for p in twins.protected]
        raise DataError(
            f"The model needs column(s) {missing} that the twins do not have.{hints} "
            f"Twins provide {available}. Add them to the spec as fields, or, if one is "
            f"a protected attribute under another name or coding, set model_column= "
            f"and encoding= on the ProtectedAttribute ({protected})."
        )
    columns = {c: (encoded[c] if c in encoded else frame[c]) for c in wanted}
    return pd.DataFrame(columns, copy=False).set_axis(frame.index)


def score(
    model: Any,
    twins: Twins,
    *,
    favorable_label: Any = None,
    features: Sequence[str] | None = None,
) -> ScoredTwins:
    """Run ``model`` on ``twins``.

    Parameters
    ----------
    model : estimator or callable
        A fitted scikit-learn estimator or pipeline (anything with ``predict``), or
        a callable ``DataFrame -> decisions``.
    twins : Twins
    favorable_label : object, optional
        The favourable prediction. Defaults to ``1``/``True`` for 0/1 models;
        required when the model predicts other labels.
    features : sequence of str, optional
        Columns to pass, in order. Defaults to the model's ``feature_names_in_``, or
        every twin column except the pair id.

    Returns
    -------
    ScoredTwins
    """
    if not isinstance(twins, Twins):
        raise DataError(f"score needs Twins. Got {type(twins).__name__}.")
    predict: Callable[[pd.DataFrame], Any]
    if hasattr(model, "predict") and callable(model.predict):
        predict = model.predict
    elif callable(model) and not isinstance(model, type):
        predict = model
    else:
        raise ModelError(
            f"The model must be a fitted estimator with a predict method, or a "
            f"callable taking a DataFrame and returning decisions. Got "
            f"{type(model).__name__!s} ({model!r:.60})."
        )
    unnamed = _fitted_without_names(model)
    if unnamed is not None and features is None:
        columns = [c for c in twins.frame.columns if c != twins.pair_column]
        raise ModelError(
            f"The model {_model_name(model)} was fitted without column names "
            f"({unnamed} features), so twinaudit cannot tell which twin columns it "
            "needs. Pass features=[...] with the twin columns in training order "
            f"(the twins have {columns} and the model columns of the protected "
            "attributes)."
        )
    X = model_input(twins, model, features)
    # A model fitted on a plain array gets one (sklearn warns on named columns).
    model_X: Any = X.to_numpy() if unnamed is not None else X
    try:
        raw = predict(model_X)
    except Exception as exc:
        from sklearn.exceptions import NotFittedError

        if isinstance(exc, NotFittedError):
            raise ModelError(
                f"The model {_model_name(model)} is not fitted; call fit(...) on your "
                "training data first."
            ) from exc
        raise ModelError(
            f"The model {_model_name(model)} failed on the twins "
            f"({type(exc).__name__}: {exc}). It received columns {list(X.columns)}."
        ) from exc
    predictions = np.asarray(raw)
    if predictions.ndim == 2 and predictions.shape[1] == 1:
        predictions = predictions.ravel()
    if predictions.shape != (len(X),):
        raise ModelError(
            f"The model returned predictions of shape {predictions.shape} for "
            f"{len(X)} twins; it must return one decision per row."
        )
    favorable = _favorable(model, predictions, favorable_label)
    y_pred = (predictions == favorable).astype(np.int8)
    scores = _scores(model, model_X, favorable)
    return ScoredTwins(
        twins=twins,
        y_pred=y_pred,
        predictions=predictions,
        scores=scores,
        favorable_label=favorable,
        model_name=_model_name(model),
        features=tuple(X.columns),
    )


def _favorable(model: Any, predictions: np.ndarray, favorable_label: Any) -> Any:
    if predictions.dtype.kind == "f" and np.isnan(predictions).any():
        raise ModelError(
            "The model returned NaN predictions; it must return decisions."
        )
    classes = getattr(model, "classes_", None)
    observed = pd.unique(predictions).tolist()
    labels = np.asarray(classes).tolist() if classes is not None else observed
    if classes is None and len(observed) > 2:
        kind = "scores" if predictions.dtype.kind == "f" else "labels"
        raise ModelError(
            f"The model returned {len(observed)} distinct {kind} "
            f"(e.g. {observed[:5]}); "
            "twinaudit audits binary decisions. Wrap it so it returns 0/1 decisions "
            "(threshold scores first)."
        )
    if classes is not None and len(labels) > 2:
        raise ModelError(
            f"The model has {len(labels)} classes {labels[:6]}; twinaudit audits "
            "binary decisions. Audit a binary model, or wrap it to return "
            "favourable/unfavourable decisions."
        )
    if favorable_label is not None:
        if favorable_label not in labels and len(labels) == 2:
            raise ModelError(
                f"favorable_label={favorable_label!r} is not among the model's labels "
                f"{labels}."
            )
        return favorable_label
    if set(labels) <= {0, 1} or set(labels) <= {False, True}:
        return True if any(isinstance(v, bool | np.bool_) for v in labels) else 1
    raise ModelError(
        f"Cannot tell which of the model's labels {labels} is the favourable decision; "
        "pass favorable_label=... (for example the label meaning 'approved')."
    )


def _fitted_without_names(model: Any) -> int | None:
    """The number of features of a model fitted on an array without column names,
    or None."""
    if hasattr(model, "feature_names_in_"):
        return None
    n = getattr(model, "n_features_in_", None)
    return int(n) if isinstance(n, int | np.integer) else None


def _scores(model: Any, X: Any, favorable: Any) -> np.ndarray | None:
    proba = getattr(model, "predict_proba", None)
    classes = getattr(model, "classes_", None)
    if proba is None or classes is None:
        return None
    try:
        index = list(classes).index(favorable)
        return np.asarray(proba(X), dtype=float)[:, index]
    except Exception:
        return None
