"""Paired counterfactual statistics: what changes when only the attribute does.

For every unprivileged value ``u`` of a varied attribute, each pair contributes the
comparison of its ``u`` twin with its privileged twin (with several varied
attributes, one comparison per setting of the others, pooled). From the 2x2 table of
paired decisions:

- flip rate: share of comparisons whose decision differs, with a Wilson interval;
- by direction: the share that favours the privileged twin and the share that
  favours the ``u`` twin;
- McNemar's exact test of "no direction" (binomial test of the discordant pairs);
- with scores, the mean score gap ``score(u) - score(privileged)`` and its t
  interval.

For an attribute with more than two values, Cochran's Q tests whether the share of
favourable decisions is the same for all its values across pairs.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from twinaudit.metrics._counts import paired_counts

if TYPE_CHECKING:
    from twinaudit.scoring import ScoredTwins


def wilson_interval(k: int, n: int, confidence: float) -> tuple[float, float]:
    from statsmodels.stats.proportion import proportion_confint

    if n == 0:
        return (np.nan, np.nan)
    low, high = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
    return float(low), float(high)


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts."""
    if b + c == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(binomtest(b, b + c, 0.5).pvalue)


def _columns(scored: ScoredTwins, name: str) -> list[tuple[Any, list[tuple[int, int]]]]:
    """For each unprivileged value: (value, [(privileged column, value column), ...])
    over every setting of the other varied attributes."""
    twins = scored.twins
    attributes = twins.varied_attributes
    index = [a.name for a in attributes].index(name)
    attribute = attributes[index]
    shape = [len(a.values) for a in attributes]
    strides = [int(np.prod(shape[i + 1 :])) for i in range(len(shape))]
    others = [range(n) if i != index else [0] for i, n in enumerate(shape)]
    p = attribute.values.index(attribute.privileged)
    out = []
    for value in attribute.unprivileged:
        u = attribute.values.index(value)
        pairs = []
        for setting in itertools.product(*others):
            base = sum(s * st for s, st in zip(setting, strides, strict=True))
            pairs.append((base + p * strides[index], base + u * strides[index]))
        out.append((value, pairs))
    return out


def counterfactual_table(scored: ScoredTwins, confidence: float = 0.95) -> pd.DataFrame:
    """One row per (attribute, unprivileged value) with the paired statistics."""
    decisions = scored.decision_matrix()
    scores = scored.score_matrix()
    rows = []
    for attribute in scored.twins.varied_attributes:
        for value, pairs in _columns(scored, attribute.name):
            ref = np.concatenate([decisions[:, a] for a, _ in pairs])
            other = np.concatenate([decisions[:, b] for _, b in pairs])
            table = paired_counts(ref, other)
            n = int(table.sum())
            b = int(table[0, 1])  # privileged favourable, this value not
            c = int(table[1, 0])  # this value favourable, privileged not
            low, high = wilson_interval(b + c, n, confidence)
            row: dict[str, Any] = {
                "attribute": attribute.name,
                "group": value,
                "reference": attribute.privileged,
                "comparisons": n,
                "flips": b + c,
                "flip_rate": (b + c) / n if n else np.nan,
                "flip_rate_low": low,
                "flip_rate_high": high,
                "favours_reference": b,
                "favours_group": c,
                "favours_reference_rate": b / n if n else np.nan,
                "favours_group_rate": c / n if n else np.nan,
                "both_favourable": int(table[0, 0]),
                "both_unfavourable": int(table[1, 1]),
                "mcnemar_p": mcnemar_exact(b, c),
            }
            row.update(_score_gap(scores, pairs, confidence))
            rows.append(row)
    return pd.DataFrame(rows)


def _score_gap(
    scores: np.ndarray | None, pairs: list[tuple[int, int]], confidence: float
) -> dict[str, float]:
    if scores is None:
        return {
            "mean_score_gap": np.nan,
            "score_gap_low": np.nan,
            "score_gap_high": np.nan,
            "max_abs_score_gap": np.nan,
        }
    gap = np.concatenate([scores[:, b] - scores[:, a] for a, b in pairs])
    mean = float(gap.mean())
    n = len(gap)
    if n > 1 and float(gap.std(ddof=1)) > 0:
        from scipy.stats import t

        half = float(
            t.ppf(0.5 + confidence / 2, n - 1) * gap.std(ddof=1) / math.sqrt(n)
        )
        low, high = mean - half, mean + half
    else:
        low = high = mean
    return {
        "mean_score_gap": mean,
        "score_gap_low": low,
        "score_gap_high": high,
        "max_abs_score_gap": float(np.abs(gap).max()),
    }


def cochran_table(scored: ScoredTwins) -> pd.DataFrame:
    """Cochran's Q per attribute with more than two values."""
    from statsmodels.stats.contingency_tables import cochrans_q

    decisions = scored.decision_matrix()
    rows = []
    for attribute in scored.twins.varied_attributes:
        if len(attribute.values) < 3:
            continue
        columns = _columns(scored, attribute.name)
        n_settings = len(columns[0][1])
        blocks = []
        for s in range(n_settings):
            cols = [columns[0][1][s][0]] + [pairs[s][1] for _, pairs in columns]
            blocks.append(decisions[:, cols])
        x = np.concatenate(blocks)
        if (x == x[:, :1]).all():
            statistic, pvalue = 0.0, 1.0
        else:
            result = cochrans_q(x)
            statistic, pvalue = float(result.statistic), float(result.pvalue)
        rows.append(
            {
                "attribute": attribute.name,
                "values": len(attribute.values),
                "rows": len(x),
                "cochran_q": statistic,
                "p_value": pvalue,
            }
        )
    return pd.DataFrame(
        rows, columns=["attribute", "values", "rows", "cochran_q", "p_value"]
    )


def any_flip(scored: ScoredTwins) -> tuple[int, int]:
    """Pairs whose twins do not all get the same decision, and the number of pairs."""
    decisions = scored.decision_matrix()
    flipped = int((decisions != decisions[:, :1]).any(axis=1).sum())
    return flipped, decisions.shape[0]
