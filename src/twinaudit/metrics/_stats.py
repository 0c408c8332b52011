"""Intervals and tests shared by the group and paired statistics."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np

__all__ = [
    "benjamini_hochberg",
    "mcnemar_exact",
    "percentile_interval",
    "proportion_interval",
    "wilson_interval",
]


def wilson_interval(k: int, n: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval of ``k`` successes in ``n`` trials (``nan`` if n=0)."""
    from scipy.stats import binomtest

    if n == 0:
        return (np.nan, np.nan)
    ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def proportion_interval(k: int, n: int, confidence: float) -> tuple[float, float]:
    """Wilson interval, except with no success at all: ``[0, -ln(1 - c) / n]``, the
    exact one-sided bound (the "rule of three", ``3 / n``, at 95%)."""
    if n > 0 and k == 0:
        return 0.0, min(1.0, -math.log(1 - confidence) / n)
    return wilson_interval(k, n, confidence)


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts (1.0 if none)."""
    if b + c == 0:
        return 1.0
    from scipy.stats import binom

    # Under p = 1/2 the binomial is symmetric: the two-sided exact p-value is twice
    # the smaller tail (scipy's binomtest gives the same, an order slower).
    return float(min(1.0, 2 * binom.cdf(min(b, c), b + c, 0.5)))


def percentile_interval(
    replicates: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval over the first axis of ``replicates``.

    Replicates where the statistic is undefined (``nan``) are left out; where more
    than half are undefined the interval is ``nan``.
    """
    alpha = (1 - confidence) / 2
    reps = np.asarray(replicates, dtype=float)
    valid = np.isfinite(reps)
    enough = valid.sum(axis=0) * 2 > reps.shape[0]
    reps = np.where(valid, reps, np.nan)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "All-NaN slice"
        low = np.nanquantile(reps, alpha, axis=0)
        high = np.nanquantile(reps, 1 - alpha, axis=0)
    return np.where(enough, low, np.nan), np.where(enough, high, np.nan)


def benjamini_hochberg(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (``nan`` entries stay ``nan``)."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    keep = np.isfinite(p)
    if keep.any():
        from scipy.stats import false_discovery_control  # Benjamini-Hochberg

        out[keep] = false_discovery_control(p[keep])
    return out


def gap_histogram(
    values: np.ndarray,
    bins: int,
    *,
    weights: np.ndarray | None = None,
    range: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``np.histogram`` of score gaps. Where the gaps span a range too narrow for
    ``bins`` distinct edges (a linear model's gaps are one coefficient, different
    only in their last bits), one bin from the smallest gap to the largest."""
    try:
        return np.histogram(values, bins=bins, range=range, weights=weights)
    except ValueError as error:
        if "Too many bins" not in str(error):
            raise
        if range is None:
            range = (float(np.min(values)), float(np.max(values)))
        return np.histogram(values, bins=1, range=range, weights=weights)
