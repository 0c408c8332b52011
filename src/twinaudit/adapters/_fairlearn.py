"""Scored twins as Fairlearn ``MetricFrame`` objects, and Fairlearn's metrics.

Twins have no ground truth: the model's decision is all there is. Without a label
column a metric frame of twins therefore holds only metrics of decisions
(selection rate, count, mean prediction). With a label column (twins of real rows
keep the row's outcome) the frame holds the **factual rows only**: a
counterfactual twin carries its factual row's label, which says nothing about the
twin, so label metrics are never computed on it.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from twinaudit.adapters._encoding import attribute_names, real_rows, true_labels
from twinaudit.adapters._lazy import import_fairlearn
from twinaudit.exceptions import DataError, did_you_mean

if TYPE_CHECKING:
    from twinaudit.scoring import ScoredTwins

__all__ = ["to_metric_frame"]


def _sensitive(
    scored: ScoredTwins, attributes: str | Sequence[str] | None
) -> pd.DataFrame | pd.Series:
    twins = scored.twins
    names = attribute_names(twins, attributes)
    for name in names:
        twins.attribute(name)
    columns = {
        name: pd.Categorical(
            twins.frame[name], categories=list(twins.attribute(name).values)
        )
        for name in names
    }
    frame = pd.DataFrame(columns, index=twins.frame.index)
    return frame[names[0]] if len(names) == 1 else frame


def to_metric_frame(
    scored: ScoredTwins,
    *,
    metrics: Mapping[str, Callable[..., Any]] | Callable[..., Any] | None = None,
    attributes: str | Sequence[str] | None = None,
    label_column: str | None = None,
) -> Any:
    """A Fairlearn ``MetricFrame`` of the model's decisions on the twins, by group.

    Parameters
    ----------
    scored : ScoredTwins
    metrics : mapping or callable, optional
        Fairlearn-style metrics. Default: ``selection_rate`` and ``count`` (and,
        with ``label_column``, accuracy, true and false positive rates).
    attributes : sequence of str, optional
        Protected attributes to group by (all varied ones by default; several give
        intersectional groups).
    label_column : str, optional
        A column of true outcomes, used as ``y_true`` (favourable = the model's
        favourable label).

    Examples
    --------
    >>> mf = to_metric_frame(scored)  # doctest: +SKIP
    >>> mf.by_group["selection_rate"], mf.difference()["selection_rate"]
    ... # doctest: +SKIP
    """
    fl = import_fairlearn("fairlearn.metrics")
    y_pred = scored.y_pred.astype(np.int64)
    twins = scored.twins
    if metrics is not None:
        metrics = _named_metrics(metrics, fl)
    if label_column is None:
        if metrics is None:
            metrics = {"selection_rate": fl.selection_rate, "count": fl.count}
        _decision_metrics_only(metrics, fl)
        # Decision metrics ignore y_true; give them the decisions.
        return fl.MetricFrame(
            metrics=metrics,
            y_true=y_pred,
            y_pred=y_pred,
            sensitive_features=_sensitive(scored, attributes),
        )
    factual = real_rows(twins)
    if factual is None:
        raise DataError(
            "Label metrics need real rows: these twins were generated, so their "
            f"{label_column!r} column is not a true outcome. Build the twins from "
            "your labelled data with from_frame(...), or leave out label_column= "
            "for decision metrics."
        )
    y_true = true_labels(twins.frame, label_column, scored.favorable_label)
    if metrics is None:
        from sklearn.metrics import accuracy_score

        metrics = {
            "selection_rate": fl.selection_rate,
            "count": fl.count,
            "accuracy": accuracy_score,
            "true_positive_rate": fl.true_positive_rate,
            "false_positive_rate": fl.false_positive_rate,
        }
    sensitive = _sensitive(scored, attributes)
    return fl.MetricFrame(
        metrics=metrics,
        y_true=y_true[factual].astype(np.int64),
        y_pred=y_pred[factual],
        sensitive_features=sensitive[factual].reset_index(drop=True),
    )


def _metric_functions(fl: Any) -> dict[str, Callable[..., Any]]:
    from sklearn import metrics as skm

    return {
        "selection_rate": fl.selection_rate,
        "count": fl.count,
        "mean_prediction": fl.mean_prediction,
        "true_positive_rate": fl.true_positive_rate,
        "false_positive_rate": fl.false_positive_rate,
        "true_negative_rate": fl.true_negative_rate,
        "false_negative_rate": fl.false_negative_rate,
        "accuracy": skm.accuracy_score,
        "balanced_accuracy": skm.balanced_accuracy_score,
        "precision": skm.precision_score,
        "recall": skm.recall_score,
    }


def _named_metrics(
    metrics: Any, fl: Any
) -> Mapping[str, Callable[..., Any]] | Callable[..., Any]:
    """Metric functions from ``metrics``: a function, a mapping of names to
    functions, or metric names (one string or a list) looked up in Fairlearn and
    scikit-learn."""
    if callable(metrics):
        return metrics
    if isinstance(metrics, Mapping):
        for name, function in metrics.items():
            if not callable(function):
                raise DataError(
                    f"metrics[{name!r}] must be a metric function "
                    f"(y_true, y_pred) -> value. Got {function!r}."
                )
        return metrics
    names = [metrics] if isinstance(metrics, str) else metrics
    known = _metric_functions(fl)
    if not isinstance(names, Sequence) or not all(isinstance(n, str) for n in names):
        raise DataError(
            "metrics must be a metric function, a mapping of names to functions, or "
            f"metric names from {sorted(known)}. Got {metrics!r}."
        )
    if not names:
        raise DataError(
            f"metrics is empty: name at least one of {sorted(known)}, or leave it "
            "out for the default."
        )
    for name in names:
        if name not in known:
            raise DataError(
                f"Unknown metric name {name!r}.{did_you_mean(name, known)} Known "
                f"names: {sorted(known)}; or pass the function itself."
            )
    return {name: known[name] for name in names}


def _decision_metrics_only(
    metrics: Mapping[str, Callable[..., Any]] | Callable[..., Any], fl: Any
) -> None:
    allowed = {fl.selection_rate, fl.count, fl.mean_prediction}
    chosen = metrics.items() if isinstance(metrics, Mapping) else [("metric", metrics)]
    for name, function in chosen:
        if function not in allowed:
            raise DataError(
                f"Metric {name!r} may need true labels, and twins carry none: only "
                "selection_rate, count and mean_prediction are computed on twins "
                "without labels (a twin's y_true would be its own decision, giving "
                "TPR 1.0 and accuracy 1.0 for every group). Pass label_column=... "
                "with twins of real rows (from_frame) for label metrics."
            )


def fairlearn_group_metrics(
    cells: np.ndarray, groups: Sequence[Any], *, labels: bool
) -> dict[str, Any]:
    """Fairlearn's metrics by group and its between-group spreads, computed by
    Fairlearn on the ``[group, decision, label]`` counts as weighted rows (every
    metric here is a weighted mean, so the values equal those on the full rows).

    Returns ``{"by_group": {group: {metric: value}}, metric: value, ...}`` with
    ``demographic_parity_difference``/``_ratio`` and, with ``labels``,
    ``equalized_odds_difference``/``_ratio``. Groups without rows are left out, as
    Fairlearn does. Where a group has no positives Fairlearn reports a true
    positive rate of 0 (twinaudit reports it as undefined).
    """
    fl = import_fairlearn("fairlearn.metrics")
    from sklearn.metrics import accuracy_score, precision_score

    counts = np.asarray(cells, dtype=float)
    group, decision, label = np.nonzero(counts)
    weight = counts[group, decision, label]
    names = np.empty(len(groups), dtype=object)
    names[:] = [str(g) for g in groups]
    present = [str(g) for g, row in zip(groups, counts, strict=True) if row.sum() > 0]
    sensitive = pd.Series(
        pd.Categorical(names[group], categories=present), name="group"
    )
    y_true = label if labels else decision
    metrics: dict[str, Callable[..., Any]] = {"selection_rate": fl.selection_rate}
    if labels:
        metrics.update(
            true_positive_rate=fl.true_positive_rate,
            false_positive_rate=fl.false_positive_rate,
            precision=functools.partial(precision_score, zero_division=np.nan),
            accuracy=accuracy_score,
        )
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")
        frame = fl.MetricFrame(
            metrics=metrics,
            y_true=y_true,
            y_pred=decision,
            sensitive_features=sensitive,
            sample_params={k: {"sample_weight": weight} for k in metrics},
        )
        # The spreads as Fairlearn's own functions define them (for example
        # equalized_odds_difference = max of the TPR and FPR differences), read off
        # the one frame instead of building a frame per function.
        difference = frame.difference(method="between_groups")
        ratio = frame.ratio(method="between_groups")
        out: dict[str, Any] = {
            "demographic_parity_difference": _finite(difference["selection_rate"]),
            "demographic_parity_ratio": _finite(ratio["selection_rate"]),
        }
        if labels:
            rates = ["true_positive_rate", "false_positive_rate"]
            out["equalized_odds_difference"] = _finite(difference[rates].max())
            out["equalized_odds_ratio"] = _finite(ratio[rates].min())
    by_group = frame.by_group
    out["by_group"] = {
        g: {m: _finite(by_group.loc[str(g), m]) for m in metrics}
        for g in groups
        if str(g) in present
    }
    return out


def _finite(value: Any) -> float:
    value = float(value)
    return value if np.isfinite(value) else np.nan
