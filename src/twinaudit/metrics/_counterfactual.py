"""Paired counterfactual statistics: what changes when only the attribute does.

The unit of every test and interval is the **base profile** (one pair of twins):
twins of one profile are not independent, so pooling their comparisons would
overstate the evidence. For an unprivileged value ``u`` of a varied attribute, a
profile is compared over every setting of the other varied attributes (one setting
when only one attribute varies):

- it **flips** if its ``u`` twin and its privileged twin get different decisions in
  at least one setting; the flip rate is the share of profiles that flip, with a
  Wilson interval (with no flip at all, the exact one-sided bound
  ``-ln(1 - confidence) / n``, the "rule of three");
- its **direction** is the sign of (settings favouring ``u``) - (settings favouring
  the privileged twin); McNemar's exact test is the sign test of these votes (with
  one setting it is the classical exact McNemar test);
- its **score gap** is the mean over settings of ``score(u) - score(privileged)``;
  the interval is a percentile bootstrap over profiles: a multinomial draw over
  the distinct gaps when there are few (trees, rules), resampled profiles up to
  20,000 profiles, and a t interval on the profile means beyond, where the
  bootstrap and the t interval agree.

With two or more varied attributes, each intersection group (a combination of
values) is also compared with the all-privileged combination.

Cochran's Q tests, for an attribute with three or more values, whether the
favourable share is the same for all values: one test per setting of the other
varied attributes, profiles as rows. All p-values of an audit are adjusted
together with Benjamini-Hochberg.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from twinaudit.exceptions import DataError
from twinaudit.metrics._group import result_frame
from twinaudit.metrics._stats import (
    benjamini_hochberg,
    gap_histogram,
    mcnemar_exact,
    percentile_interval,
    proportion_interval,
)

__all__ = [
    "BOOTSTRAP_LIMIT",
    "Comparison",
    "any_flip",
    "cochran_table",
    "comparisons",
    "counterfactual_table",
    "profile_gaps",
]

#: Profiles up to which score-gap intervals are bootstrapped (t interval beyond).
BOOTSTRAP_LIMIT = 20_000


@dataclass(frozen=True)
class Comparison:
    """One unprivileged group against its reference, as pairs of variant columns
    ``(reference column, group column)``, one per setting of the other varied
    attributes."""

    attribute: str
    group: Any
    reference: Any
    columns: tuple[tuple[int, int], ...]


def _label(values: Sequence[Any]) -> str:
    return " & ".join(str(v) for v in values)


def comparisons(
    names: Sequence[str],
    values: Sequence[Sequence[Any]],
    privileged: Sequence[Any],
    *,
    intersections: bool = True,
) -> list[Comparison]:
    """Every comparison of a twins table whose variant columns are the product of
    ``values`` (in that order, last attribute fastest)."""
    if not len(names) == len(values) == len(privileged):
        raise DataError(
            f"comparisons needs one list of values and one privileged value per "
            f"attribute name. Got {len(names)} names, {len(values)} value lists and "
            f"{len(privileged)} privileged values."
        )
    priv = []
    for name, v, p in zip(names, values, privileged, strict=True):
        listed = list(v)
        if p not in listed:
            raise DataError(
                f"The privileged value {p!r} of {name!r} is not among its values "
                f"{listed}; pass one of them."
            )
        priv.append(listed.index(p))
    shape = [len(v) for v in values]
    strides = [int(np.prod(shape[i + 1 :])) for i in range(len(shape))]
    out = []
    for index, name in enumerate(names):
        others = [range(n) if i != index else [0] for i, n in enumerate(shape)]
        for u, value in enumerate(values[index]):
            if u == priv[index]:
                continue
            columns = []
            for setting in itertools.product(*others):
                base = sum(s * st for s, st in zip(setting, strides, strict=True))
                columns.append(
                    (base + priv[index] * strides[index], base + u * strides[index])
                )
            out.append(Comparison(name, value, privileged[index], tuple(columns)))
    if intersections and len(names) > 1:
        reference = sum(p * st for p, st in zip(priv, strides, strict=True))
        attribute = " & ".join(names)
        for combo in itertools.product(*(range(n) for n in shape)):
            column = sum(c * st for c, st in zip(combo, strides, strict=True))
            if column == reference:
                continue
            out.append(
                Comparison(
                    attribute,
                    _label([values[i][c] for i, c in enumerate(combo)]),
                    _label(privileged),
                    ((reference, column),),
                )
            )
    return out


def _votes(decisions: np.ndarray, comparison: Comparison) -> tuple[np.ndarray, ...]:
    """Per profile: flipped in any setting, net vote (group minus reference), and
    the comparison-level discordant counts."""
    ref = decisions[:, [a for a, _ in comparison.columns]].astype(np.int8)
    grp = decisions[:, [b for _, b in comparison.columns]].astype(np.int8)
    favours_reference = (ref == 1) & (grp == 0)
    favours_group = (ref == 0) & (grp == 1)
    flipped = (favours_reference | favours_group).any(axis=1)
    net = favours_group.sum(axis=1) - favours_reference.sum(axis=1)
    return flipped, net, favours_reference, favours_group


def profile_gaps(scores: np.ndarray, comparison: Comparison) -> np.ndarray:
    """Per profile, the mean over settings of ``score(group) - score(reference)``."""
    ref = scores[:, [a for a, _ in comparison.columns]]
    grp = scores[:, [b for _, b in comparison.columns]]
    return np.asarray((grp - ref).mean(axis=1), dtype=float)


def _gap_interval(
    gap: np.ndarray, confidence: float, rng: np.random.Generator, n_boot: int
) -> tuple[float, float]:
    n = len(gap)
    mean = float(gap.mean())
    if n < 2 or float(gap.std()) == 0:
        return mean, mean
    values, counts = np.unique(gap, return_counts=True)
    if len(values) * 20 <= n:
        # Few distinct gaps (trees, rules): resampling profiles is a multinomial
        # draw over the distinct values, exact and cheap at any size.
        draws = rng.multinomial(n, counts / n, size=n_boot)
        low, high = percentile_interval(draws @ values / n, confidence)
        return float(low), float(high)
    if n <= BOOTSTRAP_LIMIT:
        means = np.empty(n_boot)
        for start in range(0, n_boot, 100):
            stop = min(n_boot, start + 100)
            idx = rng.integers(0, n, size=(stop - start, n))
            means[start:stop] = gap[idx].mean(axis=1)
        low, high = percentile_interval(means, confidence)
        return float(low), float(high)
    from scipy.stats import t

    half = float(t.ppf(0.5 + confidence / 2, n - 1) * gap.std(ddof=1) / math.sqrt(n))
    return mean - half, mean + half


def counterfactual_table(
    decisions: np.ndarray,
    scores: np.ndarray | None,
    items: Sequence[Comparison],
    *,
    confidence: float = 0.95,
    min_cell_size: int = 0,
    n_boot: int = 1000,
    random_state: int = 0,
    histogram_bins: int = 20,
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """One row per comparison with the paired statistics (base profiles as the
    unit), and the score-gap histograms.

    ``mcnemar_p_adjusted`` is filled by :func:`adjust_pvalues`.
    """
    n = decisions.shape[0]
    rows = []
    histograms = []
    for k, item in enumerate(items):
        flipped, net, fav_ref, fav_grp = _votes(decisions, item)
        flips = int(flipped.sum())
        low, high = proportion_interval(flips, n, confidence)
        b = int((net < 0).sum())
        c = int((net > 0).sum())
        row: dict[str, Any] = {
            "attribute": item.attribute,
            "group": item.group,
            "reference": item.reference,
            "profiles": n,
            "comparisons": n * len(item.columns),
            "flips": flips,
            "flip_rate": flips / n if n else np.nan,
            "flip_rate_low": low,
            "flip_rate_high": high,
            "favours_reference": b,
            "favours_group": c,
            "discordant_reference": int(fav_ref.sum()),
            "discordant_group": int(fav_grp.sum()),
            "mcnemar_p": mcnemar_exact(b, c) if n else np.nan,
            "mcnemar_p_adjusted": np.nan,
            "mean_score_gap": np.nan,
            "score_gap_low": np.nan,
            "score_gap_high": np.nan,
            "median_score_gap": np.nan,
            "p95_abs_score_gap": np.nan,
            "max_abs_score_gap": np.nan,
            "too_small": n < min_cell_size,
            "undefined": None if n else "there are no pairs",
        }
        if scores is not None and n:
            gap = profile_gaps(scores, item)
            rng = np.random.default_rng([random_state, k])
            g_low, g_high = _gap_interval(gap, confidence, rng, n_boot)
            absolute = np.abs(gap)
            row.update(
                mean_score_gap=float(gap.mean()),
                score_gap_low=g_low,
                score_gap_high=g_high,
                median_score_gap=float(np.median(gap)),
                p95_abs_score_gap=float(np.quantile(absolute, 0.95)),
                max_abs_score_gap=float(absolute.max()),
            )
            counts, edges = gap_histogram(gap, histogram_bins)
            histograms.append(
                {
                    "attribute": item.attribute,
                    "group": item.group,
                    "edges": edges.tolist(),
                    "counts": counts.tolist(),
                }
            )
        rows.append(row)
    return result_frame(rows, _COLUMNS), histograms


_COLUMNS = [
    "attribute",
    "group",
    "reference",
    "profiles",
    "comparisons",
    "flips",
    "flip_rate",
    "flip_rate_low",
    "flip_rate_high",
    "favours_reference",
    "favours_group",
    "discordant_reference",
    "discordant_group",
    "mcnemar_p",
    "mcnemar_p_adjusted",
    "mean_score_gap",
    "score_gap_low",
    "score_gap_high",
    "median_score_gap",
    "p95_abs_score_gap",
    "max_abs_score_gap",
    "too_small",
    "undefined",
]


def cochran_table(
    decisions: np.ndarray,
    names: Sequence[str],
    values: Sequence[Sequence[Any]],
) -> pd.DataFrame:
    """Cochran's Q per (attribute with three or more values, setting of the other
    varied attributes), profiles as rows. ``p_adjusted`` is filled by
    :func:`adjust_pvalues`."""
    shape = [len(v) for v in values]
    strides = [int(np.prod(shape[i + 1 :])) for i in range(len(shape))]
    rows = []
    for index, name in enumerate(names):
        k = shape[index]
        if k < 3:
            continue
        others = [range(n) if i != index else [0] for i, n in enumerate(shape)]
        for setting in itertools.product(*others):
            base = sum(s * st for s, st in zip(setting, strides, strict=True))
            columns = [base + j * strides[index] for j in range(k)]
            x = decisions[:, columns].astype(np.int64)
            label = (
                ", ".join(
                    f"{names[i]}={values[i][s]}"
                    for i, s in enumerate(setting)
                    if i != index
                )
                or None
            )
            row_totals = x.sum(axis=1)
            # Q's denominator: zero when every profile's row is constant.
            denominator = k * int(row_totals.sum()) - int((row_totals**2).sum())
            undefined = None
            if len(x) == 0:
                undefined = "there are no pairs"
            elif denominator == 0:
                undefined = (
                    "every profile gets the same decision for all values of "
                    f"{name}, so Cochran's Q has no variance to test"
                )
            if undefined is None:
                from scipy.stats import chi2

                # Q = (k - 1) (k sum_j C_j^2 - N^2) / (k N - sum_i R_i^2), chi2(k - 1)
                columns_total = x.sum(axis=0)
                total = int(row_totals.sum())
                spread = k * int((columns_total**2).sum()) - total**2
                q = (k - 1) * spread / denominator
                p = float(chi2.sf(q, k - 1))
            else:
                q = p = np.nan
            rows.append(
                {
                    "attribute": name,
                    "setting": label,
                    "values": k,
                    "profiles": len(x),
                    "cochran_q": q,
                    "p_value": p,
                    "p_adjusted": np.nan,
                    "undefined": undefined,
                }
            )
    return result_frame(
        rows,
        [
            "attribute",
            "setting",
            "values",
            "profiles",
            "cochran_q",
            "p_value",
            "p_adjusted",
            "undefined",
        ],
    )


def adjust_pvalues(counterfactual: pd.DataFrame, cochran: pd.DataFrame) -> None:
    """Benjamini-Hochberg over every McNemar and Cochran p-value, in place."""
    p = np.concatenate(
        [
            counterfactual["mcnemar_p"].to_numpy(dtype=float),
            cochran["p_value"].to_numpy(dtype=float),
        ]
    )
    adjusted = benjamini_hochberg(p)
    counterfactual["mcnemar_p_adjusted"] = adjusted[: len(counterfactual)]
    cochran["p_adjusted"] = adjusted[len(counterfactual) :]


def any_flip(decisions: np.ndarray) -> tuple[int, int]:
    """Profiles whose twins do not all get the same decision, and the number of
    profiles (the causal discrimination score is their ratio)."""
    flipped = int((decisions != decisions[:, :1]).any(axis=1).sum())
    return flipped, decisions.shape[0]
