"""Group metrics: rates by group and the standard disparities, from count tables.

Every function here takes counts indexed ``[..., group, decision, label]`` (0
unfavourable, 1 favourable), so the same code gives the point estimate (no leading
axis) and every bootstrap replicate at once (a leading replicate axis). Sign
conventions are those of the metric registry (:mod:`twinaudit.metrics._registry`):
differences and ratios are ``group`` against the privileged group, as in AIF360;
attribute-level spreads are max - min and min / max over groups, as in Fairlearn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from twinaudit.metrics._registry import REGISTRY
from twinaudit.metrics._stats import percentile_interval

__all__ = [
    "GROUP_RATES",
    "Grouping",
    "group_metric_rows",
    "group_values",
    "theil_index",
]

GROUP_RATES = (
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "precision",
    "accuracy",
)
_VERSUS = (
    "statistical_parity_difference",
    "disparate_impact",
    "equal_opportunity_difference",
    "average_odds_difference",
)
_SPREADS = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
)


# The count each metric divides by, per group: a metric is too small when it is
# below min_cell_size for any group it compares.
_DENOMINATOR = {
    "selection_rate": "n",
    "accuracy": "n",
    "statistical_parity_difference": "n",
    "disparate_impact": "n",
    "demographic_parity_difference": "n",
    "demographic_parity_ratio": "n",
    "true_positive_rate": "positives",
    "equal_opportunity_difference": "positives",
    "false_positive_rate": "negatives",
    "precision": "favourable",
    "average_odds_difference": "both",
    "equalized_odds_difference": "both",
    "equalized_odds_ratio": "both",
}


@dataclass(frozen=True)
class Grouping:
    """The groups of one attribute (or one intersection of attributes).

    ``groups`` are the values in the attribute's order; ``privileged`` is the index
    of the privileged value.
    """

    attribute: str
    groups: tuple[Any, ...]
    privileged: int

    @property
    def reference(self) -> Any:
        return self.groups[self.privileged]


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.true_divide(a, b)
    return np.where(np.asarray(b) == 0, np.nan, out)


def _spread(rates: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """max - min and min / max of ``rates`` over the groups that have rows;
    ``nan`` where fewer than two groups have rows or a present group's rate is
    undefined."""
    masked = np.where(present, rates, np.nan)
    usable = (present.sum(axis=-1) >= 2) & ~(np.isnan(masked) & present).any(axis=-1)
    high = np.max(np.where(present, rates, -np.inf), axis=-1)
    low = np.min(np.where(present, rates, np.inf), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        difference = np.where(usable, high - low, np.nan)
        ratio = np.where(usable & (high > 0), _div(low, high), np.nan)
    return difference, ratio


def group_values(cells: np.ndarray, privileged: int) -> dict[str, np.ndarray]:
    """Every group metric from counts ``[..., group, decision, label]``.

    Per-group rates and differences have shape ``(..., n_groups)`` (the privileged
    group's own difference is 0 and ratio 1); attribute spreads ``(...)``.
    Undefined values are ``nan``.
    """
    cells = np.asarray(cells, dtype=float)
    n = cells.sum(axis=(-2, -1))
    favourable = cells[..., 1, :].sum(axis=-1)
    positives = cells[..., :, 1].sum(axis=-1)
    negatives = cells[..., :, 0].sum(axis=-1)
    true_pos = cells[..., 1, 1]
    false_pos = cells[..., 1, 0]
    true_neg = cells[..., 0, 0]
    out = {
        "selection_rate": _div(favourable, n),
        "true_positive_rate": _div(true_pos, positives),
        "false_positive_rate": _div(false_pos, negatives),
        "precision": _div(true_pos, favourable),
        "accuracy": _div(true_pos + true_neg, n),
    }
    p = privileged
    sel, tpr, fpr = (
        out["selection_rate"],
        out["true_positive_rate"],
        out["false_positive_rate"],
    )
    out["statistical_parity_difference"] = sel - sel[..., p : p + 1]
    out["disparate_impact"] = _div(sel, sel[..., p : p + 1])
    out["equal_opportunity_difference"] = tpr - tpr[..., p : p + 1]
    out["average_odds_difference"] = (
        (fpr - fpr[..., p : p + 1]) + (tpr - tpr[..., p : p + 1])
    ) / 2
    present = n > 0
    dpd, dpr = _spread(sel, present)
    tpr_d, tpr_r = _spread(tpr, present)
    fpr_d, fpr_r = _spread(fpr, present)
    out["demographic_parity_difference"] = dpd
    out["demographic_parity_ratio"] = dpr
    out["equalized_odds_difference"] = np.maximum(tpr_d, fpr_d)
    # Undefined where a rate is (a spread is nan), or where both maxima are 0; one
    # maximum at 0 (say no false positives anywhere) leaves the other ratio.
    defined = ~np.isnan(tpr_d) & ~np.isnan(fpr_d)
    out["equalized_odds_ratio"] = np.where(defined, np.fmin(tpr_r, fpr_r), np.nan)
    return out


def theil_index(cells: np.ndarray) -> float:
    """Theil index (generalised entropy, alpha = 1) of the benefits
    ``b = decision - label + 1`` over all rows of the counts ``[group, decision,
    label]``, as AIF360 defines it on unweighted rows."""
    table = np.asarray(cells, dtype=float).sum(axis=0)  # [decision, label]
    benefit = np.array([[1.0, 0.0], [2.0, 1.0]])
    n = table.sum()
    if n == 0:
        return float("nan")
    mu = float((table * benefit).sum() / n)
    if mu == 0:
        return float("nan")
    ratio = benefit / mu
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(ratio > 0, ratio * np.log(ratio), 0.0)
    return float((table * terms).sum() / n)


def _reason(name: str, where: str, cause: str | None = None) -> str:
    cause = cause or REGISTRY[name].undefined
    return f"{REGISTRY[name].label} {where} is undefined: {cause}."


def _cause(metric: str, i: int, p: int, cells: np.ndarray, reference: Any) -> str:
    """Why ``metric`` of group ``i`` (against the privileged group ``p``) is
    undefined, read off the counts ``[group, decision, label]``."""
    counts = np.asarray(cells)
    n = counts.sum(axis=(1, 2))
    favourable = counts[:, 1, :].sum(axis=1)
    positives = counts[:, :, 1].sum(axis=1)
    negatives = counts[:, :, 0].sum(axis=1)
    needs = {
        "selection_rate": [],
        "accuracy": [],
        "true_positive_rate": [(positives, "no favourable labels")],
        "false_positive_rate": [(negatives, "no unfavourable labels")],
        "precision": [(favourable, "no favourable decisions")],
        "statistical_parity_difference": [],
        "disparate_impact": [],
        "equal_opportunity_difference": [(positives, "no favourable labels")],
        "average_odds_difference": [
            (positives, "no favourable labels"),
            (negatives, "no unfavourable labels"),
        ],
    }[metric]
    whose = [(i, "the group")]
    if metric in _VERSUS:
        whose.append((p, f"the privileged group ({reference!r})"))
    for j, who in whose:
        if n[j] == 0:
            return f"{who} is empty"
        for count, what in needs:
            if count[j] == 0:
                return f"{who} has {what}"
    if metric == "disparate_impact" and favourable[p] == 0:
        return f"the privileged group ({reference!r}) is never favoured"
    return REGISTRY[metric].undefined


def group_metric_rows(
    population: str,
    grouping: Grouping,
    cells: np.ndarray,
    replicates: np.ndarray | None,
    *,
    labels: bool,
    confidence: float,
    min_cell_size: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows of the groups table and of the metrics table for one grouping of one
    population.

    Parameters
    ----------
    cells : ndarray ``(n_groups, 2, 2)``
        Counts ``[group, decision, label]``.
    replicates : ndarray ``(n_boot, n_groups, 2, 2)`` or None
        Bootstrap replicates of ``cells`` (resampled units), for the intervals.
    labels : bool
        Whether the label axis holds true labels (else only decision metrics).
    """
    values = group_values(cells, grouping.privileged)
    bounds: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if replicates is not None and len(replicates):
        boot = group_values(replicates, grouping.privileged)
        bounds = {k: percentile_interval(v, confidence) for k, v in boot.items()}
    n = np.asarray(cells).sum(axis=(-2, -1))
    positives = np.asarray(cells)[..., :, 1].sum(axis=-1)
    small = n < min_cell_size
    # A rate rests on its own denominator: a TPR on 3 people with favourable labels
    # is too small however many rows the group has (and its bootstrap interval
    # degenerates), so each metric is flagged by the counts it divides by.
    counts = np.asarray(cells)
    denominators = {
        "n": n,
        "positives": positives,
        "negatives": counts[..., :, 0].sum(axis=-1),
        "favourable": counts[..., 1, :].sum(axis=-1),
    }
    denominators["both"] = np.minimum(
        denominators["positives"], denominators["negatives"]
    )
    thin = {k: v < min_cell_size for k, v in denominators.items()}
    p = grouping.privileged
    name = grouping.attribute
    rates = GROUP_RATES if labels else GROUP_RATES[:1]
    versus = _VERSUS if labels else _VERSUS[:2]
    spreads = _SPREADS if labels else _SPREADS[:2]

    def interval(metric: str, i: int | None) -> tuple[float, float]:
        if metric not in bounds:
            return np.nan, np.nan
        low, high = bounds[metric]
        if i is None:
            return float(low), float(high)
        return float(low[i]), float(high[i])

    group_rows: list[dict[str, Any]] = []
    metric_rows: list[dict[str, Any]] = []
    for i, group in enumerate(grouping.groups):
        low, high = interval("selection_rate", i)
        group_rows.append(
            {
                "population": population,
                "attribute": name,
                "group": group,
                "privileged": i == p,
                "n": int(n[i]),
                "favourable": int(np.asarray(cells)[i, 1, :].sum()),
                "selection_rate": float(values["selection_rate"][i]),
                "selection_rate_low": low,
                "selection_rate_high": high,
                "positives": int(positives[i]) if labels else None,
                **{
                    rate: (float(values[rate][i]) if labels else np.nan)
                    for rate in GROUP_RATES[1:]
                },
                "too_small": bool(small[i]),
            }
        )
        where = f"of {name}={group!r} on the {population} population"
        for metric in rates:
            value = float(values[metric][i])
            low, high = interval(metric, i)
            metric_rows.append(
                _row(
                    metric,
                    population,
                    name,
                    group,
                    None,
                    value,
                    low,
                    high,
                    None
                    if np.isfinite(value)
                    else _reason(
                        metric, where, _cause(metric, i, p, cells, grouping.reference)
                    ),
                    bool(thin[_DENOMINATOR[metric]][i]),
                )
            )
        if i == p:
            continue
        for metric in versus:
            value = float(values[metric][i])
            low, high = interval(metric, i)
            metric_rows.append(
                _row(
                    metric,
                    population,
                    name,
                    group,
                    grouping.reference,
                    value,
                    low,
                    high,
                    None
                    if np.isfinite(value)
                    else _reason(
                        metric, where, _cause(metric, i, p, cells, grouping.reference)
                    ),
                    bool(
                        thin[_DENOMINATOR[metric]][i] or thin[_DENOMINATOR[metric]][p]
                    ),
                )
            )
    present = n > 0
    for metric in spreads:
        value = float(values[metric])
        low, high = interval(metric, None)
        where = f"of {name} on the {population} population"
        metric_rows.append(
            _row(
                metric,
                population,
                name,
                None,
                None,
                value,
                low,
                high,
                None if np.isfinite(value) else _reason(metric, where),
                bool(thin[_DENOMINATOR[metric]][present].any())
                if present.any()
                else True,
            )
        )
    return group_rows, metric_rows


def _row(
    metric: str,
    population: str,
    attribute: str | None,
    group: Any,
    reference: Any,
    value: float,
    low: float,
    high: float,
    undefined: str | None,
    too_small: bool,
) -> dict[str, Any]:
    if undefined is not None:
        low = high = np.nan
    return {
        "metric": metric,
        "population": population,
        "attribute": attribute,
        "group": group,
        "reference": reference,
        "value": value,
        "low": low,
        "high": high,
        "aif360": np.nan,
        "fairlearn": np.nan,
        "undefined": undefined,
        "too_small": too_small,
    }


def metric_row(**kwargs: Any) -> dict[str, Any]:
    """A row of the metrics table (see :func:`group_metric_rows`)."""
    return _row(**kwargs)


def result_frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """A result table whose text and mixed columns keep ``None`` (pandas would turn
    them into its string type, where ``None`` becomes ``nan``), and whose numeric
    and boolean columns get numeric and boolean dtypes."""
    data: dict[str, Any] = {}
    for column in columns:
        # A row without the key gets nan, as pandas gives it.
        values = [row.get(column, np.nan) for row in rows]
        if values and all(isinstance(v, bool | np.bool_) for v in values):
            data[column] = np.asarray(values, dtype=bool)
        elif values and all(
            isinstance(v, int | float | np.number)
            and not isinstance(v, bool | np.bool_)
            for v in values
        ):
            integers = all(isinstance(v, int | np.integer) for v in values)
            data[column] = np.asarray(values, dtype=np.int64 if integers else float)
        else:
            data[column] = pd.Series(values, dtype=object)
    return pd.DataFrame(data, columns=columns, copy=False)
