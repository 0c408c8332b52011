"""Statistics of the comparison: means and intervals across seeds, a ranking with a
paired test against the unmitigated model, and Pareto fronts.

Strategies of one seed share the split and the seeded base estimator, so their
results are paired by seed: the test compares each strategy with the unmitigated
model seed by seed (a paired t-test on the differences), not two independent
samples.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from twinaudit.benchmark._config import BASELINE
from twinaudit.benchmark._metrics import FAIRNESS_METRICS, PERFORMANCE_METRICS, parity

__all__ = ["pareto_front", "rank_strategies", "summarize"]

_GROUP = ["dataset", "attribute", "estimator", "strategy"]
_SETTING = ["dataset", "attribute", "estimator"]


def _interval(values: np.ndarray, confidence: float) -> tuple[float, float, float]:
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return math.nan, math.nan, math.nan
    mean = float(values.mean())
    if len(values) < 2:
        return mean, math.nan, math.nan
    from scipy import stats

    half = float(
        stats.t.ppf(0.5 + confidence / 2, len(values) - 1)
        * values.std(ddof=1)
        / math.sqrt(len(values))
    )
    return mean, mean - half, mean + half


def summarize(table: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """Mean and Student-t interval across seeds of every metric, one row per
    (dataset, attribute, estimator, strategy); failed cells are counted, not
    averaged.

    Columns: the keys, ``seeds`` (finished), ``failed``, then ``<metric>``,
    ``<metric>_low``, ``<metric>_high`` for each metric.
    """
    metrics = [*PERFORMANCE_METRICS, *FAIRNESS_METRICS]
    rows = []
    for key, group in table.groupby(_GROUP, sort=False):
        ok = group[group["status"] == "ok"]
        row: dict[str, Any] = dict(zip(_GROUP, key, strict=True))
        row["seeds"] = len(ok)
        row["failed"] = int((group["status"] != "ok").sum())
        for metric in metrics:
            mean, low, high = _interval(ok[metric].to_numpy(dtype=float), confidence)
            row[metric], row[f"{metric}_low"], row[f"{metric}_high"] = mean, low, high
        rows.append(row)
    return pd.DataFrame(rows)


def _paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Mean of ``a - b`` and the two-sided paired t-test p-value (nan with fewer
    than two pairs; 1.0 when every difference is 0)."""
    keep = np.isfinite(a) & np.isfinite(b)
    diff = a[keep] - b[keep]
    if len(diff) == 0:
        return math.nan, math.nan
    mean = float(diff.mean())
    if len(diff) < 2:
        return mean, math.nan
    if np.all(diff == diff[0]):
        return mean, 1.0 if diff[0] == 0 else 0.0
    from scipy import stats

    return mean, float(stats.ttest_rel(a[keep], b[keep]).pvalue)


def rank_strategies(
    table: pd.DataFrame, *, rank_by: str = "statistical_parity_difference"
) -> pd.DataFrame:
    """Per (dataset, attribute, estimator), the strategies ranked by the mean
    distance of ``rank_by`` from parity (closest first; ties by accuracy), each
    compared with the unmitigated model on the same seeds.

    Columns: the keys, ``rank``, ``seeds``, ``accuracy``, ``accuracy_change`` and
    ``accuracy_p`` (paired t-test against unmitigated), ``unfairness`` (mean
    ``|rank_by - parity|``), ``unfairness_change``, ``unfairness_p``,
    ``flip_rate``.
    """
    point = parity(rank_by)
    rows = []
    for key, setting in table.groupby(_SETTING, sort=False):
        ok = setting[setting["status"] == "ok"].copy()
        ok["unfairness"] = (ok[rank_by] - point).abs()
        base = ok[ok["strategy"] == BASELINE].set_index("seed")
        entries = []
        for strategy, group in ok.groupby("strategy", sort=False):
            group = group.set_index("seed")
            seeds = group.index.intersection(base.index)
            entry: dict[str, Any] = dict(zip(_SETTING, key, strict=True))
            entry["strategy"] = strategy
            entry["seeds"] = len(group)
            entry["accuracy"] = float(group["accuracy"].mean())
            entry["unfairness"] = float(group["unfairness"].mean())
            entry["flip_rate"] = float(group["flip_rate"].mean())
            for metric in ("accuracy", "unfairness"):
                change, p = (
                    (math.nan, math.nan)
                    if strategy == BASELINE
                    else _paired(
                        group.loc[seeds, metric].to_numpy(dtype=float),
                        base.loc[seeds, metric].to_numpy(dtype=float),
                    )
                )
                entry[f"{metric}_change"], entry[f"{metric}_p"] = change, p
            entries.append(entry)
        entries.sort(
            key=lambda e: (
                math.inf if math.isnan(e["unfairness"]) else e["unfairness"],
                -e["accuracy"] if not math.isnan(e["accuracy"]) else math.inf,
            )
        )
        for position, entry in enumerate(entries, start=1):
            entry["rank"] = position
        rows.extend(entries)
    columns = [
        *_SETTING,
        "rank",
        "strategy",
        "seeds",
        "accuracy",
        "accuracy_change",
        "accuracy_p",
        "unfairness",
        "unfairness_change",
        "unfairness_p",
        "flip_rate",
    ]
    return pd.DataFrame(rows, columns=columns)


def pareto_front(summary: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Which (estimator, strategy) points of each (dataset, attribute) are on the
    Pareto front of mean accuracy (higher is better) against the mean distance of
    ``metric`` from parity (lower is better).

    Returns the summary's keys with ``accuracy``, ``unfairness`` and ``on_front``.
    A point is on the front when no other point is at least as good on both and
    better on one; points with an undefined value are never on it.
    """
    point = parity(metric)
    out = summary[[*_GROUP, "accuracy"]].copy()
    out["unfairness"] = (summary[metric] - point).abs()
    out["on_front"] = False
    for _, group in out.groupby(["dataset", "attribute"], sort=False):
        # Means of equal values can differ in the last bit (0.1 averaged over
        # three seeds or two): compare at 12 decimals.
        values = group[["accuracy", "unfairness"]].to_numpy(dtype=float).round(12)
        for index, (acc, unfair) in zip(group.index, values, strict=True):
            if not (np.isfinite(acc) and np.isfinite(unfair)):
                continue
            finite = np.isfinite(values).all(axis=1)
            others = values[finite]
            dominated = np.any(
                (others[:, 0] >= acc)
                & (others[:, 1] <= unfair)
                & ((others[:, 0] > acc) | (others[:, 1] < unfair))
            )
            out.loc[index, "on_front"] = not dominated
    return out
