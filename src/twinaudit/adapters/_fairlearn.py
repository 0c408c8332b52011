"""Scored twins as Fairlearn ``MetricFrame`` objects, and Fairlearn's metrics.

Twins have no ground truth: the model's decision is all there is. A metric frame
of twins therefore uses the decisions as ``y_pred`` and, unless a label column is
given (twins of real rows keep the row's outcome), also as ``y_true``; metrics of
decisions alone (selection rate, demographic parity) ignore ``y_true``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from twinaudit.adapters._encoding import count_cells, true_labels
from twinaudit.adapters._lazy import import_fairlearn

if TYPE_CHECKING:
    from twinaudit.scoring import ScoredTwins

__all__ = ["to_metric_frame"]


def _sensitive(
    scored: ScoredTwins, attributes: Sequence[str] | None
) -> pd.DataFrame | pd.Series:
    twins = scored.twins
    names = list(attributes) if attributes is not None else list(twins.varied)
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
    attributes: Sequence[str] | None = None,
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
    if label_column is None:
        y_true = y_pred
    else:
        y_true = true_labels(scored.twins.frame, label_column, scored.favorable_label)
        y_true = y_true.astype(np.int64)
    if metrics is None:
        metrics = {"selection_rate": fl.selection_rate, "count": fl.count}
        if label_column is not None:
            from sklearn.metrics import accuracy_score

            metrics = {
                **metrics,
                "accuracy": accuracy_score,
                "true_positive_rate": fl.true_positive_rate,
                "false_positive_rate": fl.false_positive_rate,
            }
    return fl.MetricFrame(
        metrics=metrics,
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=_sensitive(scored, attributes),
    )


def fairlearn_disparities(counts: np.ndarray, values: Sequence[Any]) -> dict[str, Any]:
    """Fairlearn's selection rate by group, demographic parity difference and ratio,
    computed by a ``MetricFrame`` on the ``(n_groups, 2)`` table of (unfavourable,
    favourable) counts, rows in the order of ``values``.
    Fairlearn's convention: difference = max - min, ratio = min / max."""
    fl = import_fairlearn("fairlearn.metrics")
    group, label, weight = count_cells(counts)
    labels = np.empty(len(values), dtype=object)
    labels[:] = list(values)
    present = [v for v, row in zip(values, counts, strict=True) if row.sum() > 0]
    sensitive = pd.Series(
        pd.Categorical(labels[group], categories=present), name="group"
    )
    frame = fl.MetricFrame(
        metrics={"selection_rate": fl.selection_rate},
        y_true=label,
        y_pred=label,
        sensitive_features=sensitive,
        sample_params={"selection_rate": {"sample_weight": weight}},
    )
    by_group = frame.by_group["selection_rate"]
    with np.errstate(divide="ignore", invalid="ignore"):
        difference = float(frame.difference()["selection_rate"])
        ratio = float(frame.ratio()["selection_rate"])
    return {
        "selection_rate": {v: float(by_group[v]) for v in present},
        "demographic_parity_difference": difference,
        "demographic_parity_ratio": ratio if np.isfinite(ratio) else np.nan,
    }
