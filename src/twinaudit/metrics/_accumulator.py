"""The audit accumulator: exact, mergeable sufficient statistics of an audit.

An audit reads the model's decisions (and scores) once, chunk by chunk, into an
:class:`AuditAccumulator`. ``update(chunk)`` adds a chunk of scored twins,
``merge(other)`` adds another accumulator (built on the pairs that follow), and
the report is computed from the accumulated statistics alone, so the one-shot audit
(one chunk), a streamed audit (many chunks, serially or on threads) and a Dask audit
(accumulators reduced on the cluster) are the same computation:

- **decision patterns**: how many base profiles show each pattern of decisions over
  their twins. Every decision metric on the twins, every paired decision statistic
  (flips, McNemar's votes, discordant counts), Cochran's Q and the causal
  discrimination score are functions of this table; the bootstrap of the group
  metrics is a multinomial draw over it. Integer counts: equal to the last bit
  however the pairs are chunked.
- **observed cells**: (group x decision x label) counts of the factual rows of twins
  of real rows, per grouping, and the rows themselves for AIF360's Theil index
  (AIF360 ignores weights there); real rows are in memory anyway.
- **score gaps**, per comparison: count, mean and sum of squared deviations (merged
  with Chan's formula), extremes, the ``top`` largest ``|gap|`` with their profile,
  and the gaps themselves in pair order while there are at most
  :data:`EXACT_GAPS` profiles, which keeps the median, the 95th percentile, the
  histogram and the bootstrap interval exact. Beyond, the distinct gaps and their
  counts are kept while there are at most :data:`DISTINCT_GAPS` of them (trees and
  rules: still exact); beyond that a mergeable log-bucket sketch (DDSketch) gives
  the median and the 95th percentile of ``|gap|`` within a relative error of
  :data:`SKETCH_ACCURACY` (gaps below ``1e-9`` in size count as 0), and the
  interval of the mean is the t interval (as for any audit beyond
  :data:`~twinaudit.metrics.BOOTSTRAP_LIMIT` profiles).
- **where the bias lives**: a uniform sample of at most :data:`WHERE_SAMPLE` base
  profiles (their features and whether they flip), chosen by a seeded hash of the
  pair's position, so the same profiles are kept whatever the chunking (bottom-k
  sampling, mergeable). With at most ``WHERE_SAMPLE`` profiles it holds them all and
  the view is exact; beyond, the rules and the quantile edges come from the sample,
  and the bins count every profile from :class:`ValueCounts`: per feature, the
  profiles and flips of each distinct value (exact and mergeable while a feature
  has at most :data:`EXACT_VALUES` distinct values; beyond, its bins count the
  sample).

Floating-point sums of score gaps agree across chunkings to rounding (the order of
additions differs); every count is exact.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from twinaudit._threads import in_background, two_cores
from twinaudit.metrics._counterfactual import _COLUMNS, Comparison, _gap_interval
from twinaudit.metrics._group import result_frame
from twinaudit.metrics._stats import gap_histogram, mcnemar_exact, proportion_interval

__all__ = [
    "DISTINCT_GAPS",
    "EXACT_GAPS",
    "EXACT_VALUES",
    "SKETCH_ACCURACY",
    "WHERE_SAMPLE",
    "AuditAccumulator",
    "GapSummary",
    "ObservedChunk",
    "ValueCounts",
]

#: Profiles in a chunk from which its where sample is drawn on a second thread.
THREAD_ABOVE = 200_000

#: Profiles per comparison up to which every score gap is kept (8 bytes each).
EXACT_GAPS = 1_000_000
#: Distinct score gaps kept with their counts beyond ``EXACT_GAPS`` profiles.
DISTINCT_GAPS = 4_096
#: Relative accuracy of the score-gap sketch's quantiles.
SKETCH_ACCURACY = 0.005
#: Base profiles kept for "where the bias lives".
WHERE_SAMPLE = 100_000
#: Variants up to which decision patterns are counted in a dense table.
_DENSE_VARIANTS = 16

_GAMMA = (1 + SKETCH_ACCURACY) / (1 - SKETCH_ACCURACY)
_LOG_GAMMA = math.log(_GAMMA)
_SKETCH_TINY = 1e-9
_SKETCH_LOW = math.ceil(math.log(_SKETCH_TINY) / _LOG_GAMMA)
_SKETCH_HIGH = math.ceil(math.log(1e12) / _LOG_GAMMA)
_SKETCH_SIZE = _SKETCH_HIGH - _SKETCH_LOW + 1


# -- score gaps ---------------------------------------------------------------------
def _sketch_counts(values: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """``(3, _SKETCH_SIZE)`` bucket counts: negative, zero (in column 0), positive."""
    out = np.zeros((3, _SKETCH_SIZE), np.int64)
    w = np.ones(len(values), np.int64) if weights is None else weights
    size = np.abs(values)
    zero = size < _SKETCH_TINY
    out[1, 0] = int(w[zero].sum())
    with np.errstate(divide="ignore"):
        index = np.ceil(np.log(np.where(zero, 1.0, size)) / _LOG_GAMMA).astype(np.int64)
    index = np.clip(index, _SKETCH_LOW, _SKETCH_HIGH) - _SKETCH_LOW
    for row, mask in ((0, (values < 0) & ~zero), (2, (values > 0) & ~zero)):
        out[row] = np.bincount(index[mask], weights=w[mask], minlength=_SKETCH_SIZE)
    return out


def _bucket_values() -> np.ndarray:
    i = np.arange(_SKETCH_LOW, _SKETCH_HIGH + 1, dtype=float)
    return 2 * _GAMMA**i / (_GAMMA + 1)


def _sketch_points(sketch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sketch as increasing representative values and their counts."""
    mid = _bucket_values()
    values = np.concatenate([-mid[::-1], [0.0], mid])
    counts = np.concatenate([sketch[0][::-1], [sketch[1, 0]], sketch[2]])
    keep = counts > 0
    return values[keep], counts[keep]


def _weighted_quantile(values: np.ndarray, counts: np.ndarray, q: float) -> float:
    """numpy's default (linear) quantile of the sample holding ``values[i]``
    ``counts[i]`` times, ``values`` increasing."""
    n = int(counts.sum())
    position = q * (n - 1)
    below = math.floor(position)
    fraction = position - below
    ends = np.cumsum(counts)
    low = float(values[np.searchsorted(ends, below, side="right")])
    high = float(values[np.searchsorted(ends, min(below + 1, n - 1), side="right")])
    # numpy's _lerp, so that the result equals np.quantile on the expanded sample.
    diff = high - low
    if fraction >= 0.5:
        return high - diff * (1 - fraction)
    return low + diff * fraction


def _weighted_median(values: np.ndarray, counts: np.ndarray) -> float:
    """``np.median`` of the sample holding ``values[i]`` ``counts[i]`` times,
    ``values`` increasing: the middle value, or numpy's mean of the two middle
    values (the linear quantile can differ from it in the last bit)."""
    n = int(counts.sum())
    ends = np.cumsum(counts)
    low = values[np.searchsorted(ends, (n - 1) // 2, side="right")]
    if n % 2:
        return float(low)
    high = values[np.searchsorted(ends, n // 2, side="right")]
    return float(np.mean(np.asarray([low, high], dtype=float)))


def _largest(size: np.ndarray, top: int) -> np.ndarray:
    """Positions of the ``top`` largest values, largest first, ties by position
    (``np.argsort(-size, kind="stable")[:top]`` in linear time)."""
    n = len(size)
    if n <= top or top == 0:
        return np.argsort(-size, kind="stable")[:top]
    kth = np.partition(size, n - top)[n - top]  # the top-th largest value
    above = np.flatnonzero(size > kth)
    equal = np.flatnonzero(size == kth)[: top - len(above)]
    chosen = np.concatenate([above, equal])
    return chosen[np.lexsort((chosen, -size[chosen]))]


_PROBE = 4096


def _few_distinct(gap: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The distinct gaps (increasing) and their counts when there are at most one
    per 20 profiles; ``None`` otherwise. Either way the statistics are the same
    numbers (the other route finds the distinct gaps itself), so a strided probe of
    4,096 gaps that are mostly distinct (continuous scores) skips the sort of every
    gap here."""
    n = len(gap)
    if n < 40:
        return None
    probe = gap[:: max(1, n // _PROBE)]
    if len(probe) >= _PROBE and len(np.unique(probe)) * 2 > len(probe):
        return None
    values, counts = np.unique(gap, return_counts=True)
    if len(values) * 20 > n:
        return None
    return values, counts.astype(np.int64)


def _few_gaps_interval(
    gap: np.ndarray,
    values: np.ndarray,
    counts: np.ndarray,
    confidence: float,
    rng: np.random.Generator,
    n_boot: int,
) -> tuple[float, float]:
    """:func:`~twinaudit.metrics._counterfactual._gap_interval` where the distinct
    gaps are known: the same multinomial draws over them."""
    from twinaudit.metrics._stats import percentile_interval

    n = len(gap)
    mean = float(gap.mean())
    if float(gap.std()) == 0:
        return mean, mean
    draws = rng.multinomial(n, counts / n, size=n_boot)
    low, high = percentile_interval(draws @ values / n, confidence)
    return float(low), float(high)


@dataclass
class GapSummary:
    """Mergeable summary of one comparison's per-profile score gaps (see the module
    docstring for what is exact)."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0
    low: float = math.inf
    high: float = -math.inf
    values: list[np.ndarray] | None = field(default_factory=list)
    distinct: tuple[np.ndarray, np.ndarray] | None = None
    sketch: np.ndarray | None = None
    top_pair: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    top_gap: np.ndarray = field(default_factory=lambda: np.zeros(0))
    top: int = 10

    @classmethod
    def of(cls, gap: np.ndarray, offset: int = 0, top: int = 10) -> GapSummary:
        gap = np.asarray(gap, dtype=float)
        out = cls(top=top)
        n = len(gap)
        if n == 0:
            return out
        mean = float(gap.mean())
        out.n, out.mean = n, mean
        out.m2 = float(((gap - mean) ** 2).sum())
        out.low, out.high = float(gap.min()), float(gap.max())
        keep = _largest(np.abs(gap), top)
        out.top_pair, out.top_gap = keep + offset, gap[keep]
        out.values = [gap]
        if n > EXACT_GAPS:
            out._drop_values()
        return out

    def merge(self, other: GapSummary) -> GapSummary:
        """Add the gaps of ``other`` (profiles that follow ``self``'s)."""
        if other.n == 0:
            return self
        if self.n == 0:
            return other
        n = self.n + other.n
        delta = other.mean - self.mean
        out = GapSummary(top=self.top)
        out.n = n
        out.mean = self.mean + delta * other.n / n
        out.m2 = self.m2 + other.m2 + delta * delta * self.n * other.n / n
        out.low, out.high = min(self.low, other.low), max(self.high, other.high)
        pairs = np.concatenate([self.top_pair, other.top_pair])
        gaps = np.concatenate([self.top_gap, other.top_gap])
        order = np.lexsort((pairs, -np.abs(gaps)))[: self.top]
        out.top_pair, out.top_gap = pairs[order], gaps[order]
        if self.values is not None and other.values is not None and n <= EXACT_GAPS:
            out.values = [*self.values, *other.values]
            return out
        out.values = None
        if self.sketch is None and other.sketch is None:
            a, b = self._distinct(), other._distinct()
            values, inverse = np.unique(
                np.concatenate([a[0], b[0]]), return_inverse=True
            )
            counts = np.bincount(
                inverse, weights=np.concatenate([a[1], b[1]]), minlength=len(values)
            ).astype(np.int64)
            out.distinct = (values, counts)
            if len(values) > DISTINCT_GAPS:
                out.sketch = _sketch_counts(values, counts)
                out.distinct = None
        else:
            out.sketch = self._sketch() + other._sketch()
        return out

    def _drop_values(self) -> None:
        distinct = self._distinct()
        self.values = None
        if len(distinct[0]) > DISTINCT_GAPS:
            self.sketch = _sketch_counts(*distinct)
        else:
            self.distinct = distinct

    def _distinct(self) -> tuple[np.ndarray, np.ndarray]:
        if self.values is not None:
            values, counts = np.unique(
                np.concatenate(self.values) if self.values else np.zeros(0),
                return_counts=True,
            )
            return values, counts.astype(np.int64)
        assert self.distinct is not None
        return self.distinct

    def _sketch(self) -> np.ndarray:
        if self.sketch is not None:
            return self.sketch
        return _sketch_counts(*self._distinct())

    def gaps(self) -> np.ndarray | None:
        """Every gap in pair order, where they are kept."""
        if self.values is None:
            return None
        return np.concatenate(self.values) if self.values else np.zeros(0)

    def statistics(
        self,
        confidence: float,
        rng: np.random.Generator,
        n_boot: int,
        histogram_bins: int,
    ) -> tuple[dict[str, float], np.ndarray, np.ndarray]:
        """Mean with its interval, median, p95 of ``|gap|``, max ``|gap|``, and the
        histogram (counts, edges)."""
        gap = self.gaps()
        if gap is not None:
            absolute = np.abs(gap)
            distinct = _few_distinct(gap)
            if distinct is None:
                low, high = _gap_interval(gap, confidence, rng, n_boot)
                median = float(np.median(gap))
                p95 = float(np.quantile(absolute, 0.95))
                counts, edges = gap_histogram(gap, histogram_bins)
            else:
                # Few distinct gaps (trees, rules): the same numbers from the
                # distinct values and their counts, without sorting every gap.
                values, weights = distinct
                low, high = _few_gaps_interval(
                    gap, values, weights, confidence, rng, n_boot
                )
                median = _weighted_median(values, weights)
                order = np.argsort(np.abs(values), kind="stable")
                p95 = _weighted_quantile(np.abs(values)[order], weights[order], 0.95)
                counts, edges = gap_histogram(
                    values, histogram_bins, weights=weights.astype(float)
                )
                counts = counts.astype(np.int64)
            return (
                {
                    "mean_score_gap": float(gap.mean()),
                    "score_gap_low": low,
                    "score_gap_high": high,
                    "median_score_gap": median,
                    "p95_abs_score_gap": p95,
                    "max_abs_score_gap": float(absolute.max()),
                },
                counts,
                edges,
            )
        n, mean = self.n, self.mean
        if self.distinct is not None:
            values, counts = self.distinct
            mean = float(values @ counts / n)
            if len(values) == 1:
                low = high = mean
            elif len(values) * 20 <= n:
                draws = rng.multinomial(n, counts / n, size=n_boot)
                from twinaudit.metrics._stats import percentile_interval

                low, high = map(
                    float, percentile_interval(draws @ values / n, confidence)
                )
            else:
                low, high = self._t_interval(confidence)
            order = np.argsort(np.abs(values), kind="stable")
            median = _weighted_median(values, counts)
            p95 = _weighted_quantile(np.abs(values)[order], counts[order], 0.95)
            hist, edges = gap_histogram(
                values, histogram_bins, weights=counts.astype(float)
            )
        else:
            assert self.sketch is not None
            low, high = self._t_interval(confidence)
            values, counts = _sketch_points(self.sketch)
            values = np.clip(values, self.low, self.high)
            median = _weighted_median(values, counts)
            absolute = np.abs(values)
            order = np.argsort(absolute, kind="stable")
            p95 = _weighted_quantile(absolute[order], counts[order], 0.95)
            hist, edges = gap_histogram(
                values,
                histogram_bins,
                range=(self.low, self.high),
                weights=counts.astype(float),
            )
        return (
            {
                "mean_score_gap": mean,
                "score_gap_low": low,
                "score_gap_high": high,
                "median_score_gap": median,
                "p95_abs_score_gap": p95,
                "max_abs_score_gap": max(abs(self.low), abs(self.high)),
            },
            hist.astype(np.int64),
            edges,
        )

    def _t_interval(self, confidence: float) -> tuple[float, float]:
        from scipy.stats import t

        n = self.n
        if n < 2 or self.m2 == 0:
            return self.mean, self.mean
        std = math.sqrt(self.m2 / (n - 1))
        half = float(t.ppf(0.5 + confidence / 2, n - 1) * std / math.sqrt(n))
        return self.mean - half, self.mean + half


# -- decision patterns ----------------------------------------------------------------
class _Patterns:
    """Counts of per-profile decision patterns (rows of 0/1 over the variants)."""

    def __init__(self, m: int) -> None:
        self.m = m
        self.dense: np.ndarray | None = (
            np.zeros(1 << m, np.int64) if m <= _DENSE_VARIANTS else None
        )
        self.sparse: dict[bytes, int] = {}

    def add(self, decisions: np.ndarray) -> None:
        if self.dense is not None:
            # Patterns of at most 8 decisions fit a byte: a quarter of the memory
            # traffic of int64 codes.
            dtype = np.uint8 if self.m <= 8 else np.int64
            code: np.ndarray[Any, np.dtype[np.integer[Any]]] = np.zeros(
                decisions.shape[0], dtype
            )
            for j in range(self.m):
                code <<= 1
                code |= decisions[:, j].astype(code.dtype)
            self.dense += np.bincount(code, minlength=len(self.dense))
            return
        rows, counts = np.unique(decisions.astype(np.int8), axis=0, return_counts=True)
        for row, count in zip(rows, counts, strict=True):
            key = row.tobytes()
            self.sparse[key] = self.sparse.get(key, 0) + int(count)

    def merge(self, other: _Patterns) -> None:
        if self.dense is not None and other.dense is not None:
            self.dense += other.dense
            return
        for key, count in other.sparse.items():
            self.sparse[key] = self.sparse.get(key, 0) + count

    def table(self) -> tuple[np.ndarray, np.ndarray]:
        """``(patterns (k, m) int8, counts (k,))`` in increasing binary order, as
        :func:`~twinaudit.metrics.pattern_counts` returns them."""
        if self.dense is not None:
            codes = np.flatnonzero(self.dense)
            bits = (codes[:, None] >> np.arange(self.m - 1, -1, -1)) & 1
            return bits.astype(np.int8), self.dense[codes]
        keys = sorted(self.sparse)
        rows = np.array(
            [np.frombuffer(k, dtype=np.int8) for k in keys], dtype=np.int8
        ).reshape(len(keys), self.m)
        return rows, np.array([self.sparse[k] for k in keys], dtype=np.int64)


def _flipped(decisions: np.ndarray) -> np.ndarray:
    """Whether each profile's twins do not all get the same decision
    (``(decisions != decisions[:, :1]).any(axis=1)``, a column at a time: numpy
    reduces a row of two slowly)."""
    flipped = np.zeros(decisions.shape[0], dtype=bool)
    for j in range(1, decisions.shape[1]):
        flipped |= decisions[:, j] != decisions[:, 0]
    return flipped


# -- the where sample -----------------------------------------------------------------
def _priority(pairs: np.ndarray, seed: int) -> np.ndarray:
    """A seeded splitmix64 hash of each pair's position: the bottom-k of these is a
    uniform sample that does not depend on how the pairs were chunked."""
    with np.errstate(over="ignore"):
        z = pairs.astype(np.uint64) + np.uint64(
            (0x9E3779B97F4A7C15 * (seed + 1)) % 2**64
        )
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _smallest(priority: np.ndarray, k: int) -> np.ndarray:
    """Sorted positions of the ``k`` smallest priorities (uniform ``uint64``): a
    cheap pre-selection below a threshold that holds them with near certainty,
    then an exact partition (or one over everything when it does not)."""
    n = len(priority)
    fraction = 1.2 * k / n + 8 * math.sqrt(k) / n
    if fraction < 1:
        candidates = np.flatnonzero(priority < np.uint64(int(fraction * 2.0**64)))
    if fraction >= 1 or len(candidates) < k:
        candidates = np.arange(n)
    part = np.argpartition(priority[candidates], k - 1)[:k]
    return np.sort(candidates[part])


@dataclass
class _WhereSample:
    size: int
    seed: int
    pairs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    priority: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    flipped: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    profiles: pd.DataFrame | None = None

    def add(
        self,
        frame: pd.DataFrame,
        columns: Sequence[str],
        m: int,
        decisions: np.ndarray,
        offset: int,
    ) -> None:
        n = len(decisions)
        priority = _priority(np.arange(offset, offset + n), self.seed)
        chosen = np.arange(n)
        if n > self.size:
            chosen = _smallest(priority, self.size)
        profiles = frame[list(columns)].iloc[chosen * m].reset_index(drop=True)
        other = _WhereSample(
            self.size,
            self.seed,
            chosen + offset,
            priority[chosen],
            _flipped(decisions[chosen]),
            profiles,
        )
        self.merge(other)

    def merge(self, other: _WhereSample) -> None:
        if other.profiles is None:
            return
        if self.profiles is None:
            (self.pairs, self.priority, self.flipped, self.profiles) = (
                other.pairs,
                other.priority,
                other.flipped,
                other.profiles,
            )
            return
        pairs = np.concatenate([self.pairs, other.pairs])
        priority = np.concatenate([self.priority, other.priority])
        keep = np.arange(len(pairs))
        if len(pairs) > self.size:
            keep = _smallest(priority, self.size)
        keep = keep[np.argsort(pairs[keep], kind="stable")]
        profiles = pd.concat([self.profiles, other.profiles], ignore_index=True)
        self.pairs, self.priority = pairs[keep], priority[keep]
        self.flipped = np.concatenate([self.flipped, other.flipped])[keep]
        self.profiles = profiles.iloc[keep].reset_index(drop=True)


# -- exact bin counts -----------------------------------------------------------------
#: Distinct values of a feature up to which its profiles and flips are counted
#: value by value (exact bins of "where the bias lives" over every profile); a
#: feature with more (an identifier, a continuous measure) is binned on the sample.
EXACT_VALUES = 1 << 18


@dataclass
class ValueCounts:
    """Mergeable profiles and flips per distinct value of one feature; ``values``
    holds one missing entry (``None``/``nan``/``NaT``) when some profile misses it.
    ``None`` once the feature has more than :data:`EXACT_VALUES` distinct values."""

    values: pd.Index
    profiles: np.ndarray
    flips: np.ndarray

    @classmethod
    def of(cls, column: pd.Series, flipped: np.ndarray) -> ValueCounts | None:
        plain = (
            isinstance(column.dtype, np.dtype)
            and column.dtype.kind in "iu"
            and column.dtype != np.uint64
        )
        raw = column.to_numpy().astype(np.int64, copy=False) if plain else None
        if raw is not None and len(raw):
            low, high = int(raw.min()), int(raw.max())
            if high - low < max(4 * len(raw), 1024):  # integers: count by value
                # One count of 2 * value + flipped gives both tallies; values
                # from 0 need no shift.
                start = 0 if low >= 0 and high < max(4 * len(raw), 1024) else low
                code = np.left_shift(raw - start if start else raw, 1)
                code |= flipped
                both = np.bincount(code, minlength=2 * (high - start + 1))
                flips = both[1::2]
                profiles = both[0::2] + flips
                present = np.flatnonzero(profiles)
                values = pd.Index(present + start, dtype=column.dtype)
                return cls._capped(values, profiles[present], flips[present])
        codes, uniques = pd.factorize(column, use_na_sentinel=False)
        codes = np.asarray(codes, dtype=np.int64)
        profiles = np.bincount(codes, minlength=len(uniques))
        flips = np.bincount(codes[flipped], minlength=len(uniques))
        return cls._capped(pd.Index(uniques), profiles, flips)

    @classmethod
    def _capped(
        cls, values: pd.Index, profiles: np.ndarray, flips: np.ndarray
    ) -> ValueCounts | None:
        if len(values) > EXACT_VALUES:
            return None
        return cls(values, profiles.astype(np.int64), flips.astype(np.int64))

    def merge(self, other: ValueCounts | None) -> ValueCounts | None:
        if other is None:
            return None
        values = self.values.append(other.values)
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        size = len(uniques)
        profiles = np.bincount(
            codes, np.concatenate([self.profiles, other.profiles]), size
        )
        flips = np.bincount(codes, np.concatenate([self.flips, other.flips]), size)
        # bincount's float64 sums are exact below 2**53 profiles.
        return ValueCounts._capped(pd.Index(uniques), profiles, flips)


def _value_counts(
    frame: pd.DataFrame,
    columns: Sequence[str],
    m: int,
    flipped: np.ndarray,
    dropped: frozenset[str] = frozenset(),
) -> dict[str, ValueCounts | None]:
    """Each column's value counts over the chunk's profiles (``None`` for the
    ``dropped`` ones, which had too many values already)."""
    return {
        c: None if c in dropped else ValueCounts.of(frame[c].iloc[::m], flipped)
        for c in columns
    }


def _merge_counts(
    mine: dict[str, ValueCounts | None], theirs: dict[str, ValueCounts | None]
) -> dict[str, ValueCounts | None]:
    out: dict[str, ValueCounts | None] = {}
    for c in mine:
        a, b = mine[c], theirs.get(c)
        out[c] = None if a is None or b is None else a.merge(b)
    return out


# -- the accumulator ------------------------------------------------------------------
@dataclass(frozen=True)
class ObservedChunk:
    """The factual rows of a chunk of twins of real rows: each observed grouping's
    group codes, the decisions (0/1), the labels (0/1, or None) and the first
    attribute's codes (for AIF360's Theil index)."""

    codes: tuple[np.ndarray, ...]
    y_pred: np.ndarray
    y_true: np.ndarray | None
    theil_codes: np.ndarray


class AuditAccumulator:
    """Exact, mergeable sufficient statistics of an audit.

    Parameters
    ----------
    n_variants : int
        Twins per base profile.
    comparisons : sequence of Comparison
        The paired comparisons (see :func:`~twinaudit.metrics.comparisons`).
    scores : bool
        Whether the chunks carry scores.
    observed_groups : sequence of int, optional
        Groups per observed grouping (twins of real rows); ``None`` for generated
        twins.
    labels : bool
        Whether observed chunks carry true labels.
    where_columns : sequence of str
        Profile features kept for "where the bias lives".
    where_sample : int, optional
        Profiles kept for it at most (default :data:`WHERE_SAMPLE`).
    top : int
        Largest score gaps kept per comparison.
    random_state : int
        Seeds the choice of the profiles kept for "where the bias lives".

    Examples
    --------
    >>> import numpy as np
    >>> from twinaudit.metrics import comparisons
    >>> items = comparisons(["sex"], [["M", "F"]], ["M"])
    >>> acc = AuditAccumulator(2, items, scores=False)
    >>> acc.update(np.array([[1, 0], [1, 1]], np.int8))
    >>> other = AuditAccumulator(2, items, scores=False)
    >>> other.update(np.array([[0, 0]], np.int8), offset=2)
    >>> acc.merge(other).pattern_table()[1].tolist()
    [1, 1, 1]
    """

    def __init__(
        self,
        n_variants: int,
        comparisons: Sequence[Comparison],
        *,
        scores: bool,
        observed_groups: Sequence[int] | None = None,
        labels: bool = False,
        where_columns: Sequence[str] = (),
        where_sample: int | None = None,
        top: int = 10,
        random_state: int = 0,
    ) -> None:
        self.n_variants = int(n_variants)
        self.comparisons = tuple(comparisons)
        self.scores = bool(scores)
        self.observed_groups = (
            None if observed_groups is None else tuple(observed_groups)
        )
        self.labels = bool(labels)
        self.where_columns = tuple(where_columns)
        self.top = int(top)
        self.where_size = int(WHERE_SAMPLE if where_sample is None else where_sample)
        self.n_profiles = 0
        self._patterns = _Patterns(self.n_variants)
        self._gaps = [GapSummary(top=self.top) for _ in self.comparisons]
        self._cells: list[np.ndarray] | None = (
            None
            if self.observed_groups is None
            else [np.zeros((g, 2, 2), np.int64) for g in self.observed_groups]
        )
        self._observed_rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._top_features: dict[int, dict[str, Any]] = {}
        self._where = _WhereSample(self.where_size, int(random_state))
        self._value_counts: dict[str, ValueCounts | None] | None = None
        self._counts_lost = False  # a chunk came without its frame
        self._pending_counts: tuple[pd.DataFrame, np.ndarray] | None = None

    # -- feeding ------------------------------------------------------------------
    def update(
        self,
        decisions: np.ndarray,
        scores: np.ndarray | None = None,
        *,
        offset: int | None = None,
        frame: pd.DataFrame | None = None,
        observed: ObservedChunk | None = None,
    ) -> None:
        """Add a chunk: ``decisions`` ``(profiles, n_variants)`` 0/1, ``scores``
        of the same shape (when the accumulator has scores), the twins' ``frame``
        (for the where view and the features of the largest gaps), the chunk's
        factual rows, and ``offset``, the position of its first profile (default:
        right after the profiles seen so far)."""
        decisions = np.asarray(decisions)
        if decisions.ndim != 2 or decisions.shape[1] != self.n_variants:
            raise ValueError(
                f"decisions must have shape (profiles, {self.n_variants}). Got "
                f"{decisions.shape}."
            )
        if self.scores != (scores is not None):
            raise ValueError(
                "scores must be given exactly when the accumulator has scores "
                f"(scores={self.scores})."
            )
        if (self._cells is not None) != (observed is not None):
            raise ValueError(
                "observed rows must be given exactly for twins of real rows."
            )
        start = self.n_profiles if offset is None else int(offset)
        n = decisions.shape[0]
        # The where sample (a hash of every position, numpy without the GIL) is
        # drawn on a second thread for large chunks while this one counts.
        if frame is None:
            self._count(decisions, scores, start, n, frame, observed)
        else:
            columns, m = self.where_columns, self.n_variants
            with in_background(
                self._where.add,
                frame,
                columns,
                m,
                decisions,
                start,
                threaded=n >= THREAD_ABOVE and two_cores(),
                name="twinaudit-sample",
            ) as sampled:
                self._count(decisions, scores, start, n, frame, observed)
                sampled()
        if frame is not None:
            # Counted when next needed (the next chunk, a merge, the report): an
            # audit's report counts them on its second thread.
            self._settle_counts()
            self._pending_counts = (frame, decisions)
        elif n:
            self._counts_lost = True
        self.n_profiles += n

    def _count(
        self,
        decisions: np.ndarray,
        scores: np.ndarray | None,
        start: int,
        n: int,
        frame: pd.DataFrame | None,
        observed: ObservedChunk | None,
    ) -> None:
        self._patterns.add(decisions)
        if scores is not None:
            for k, item in enumerate(self.comparisons):
                if len(item.columns) == 1:  # the mean of one difference is itself
                    ((a, b),) = item.columns
                    gap = np.asarray(scores[:, b] - scores[:, a], dtype=float)
                else:
                    ref = scores[:, [a for a, _ in item.columns]]
                    grp = scores[:, [b for _, b in item.columns]]
                    gap = np.asarray((grp - ref).mean(axis=1), dtype=float)
                self._gaps[k] = self._gaps[k].merge(GapSummary.of(gap, start, self.top))
            if frame is not None:
                self._keep_top_features(frame, start, n)
        if observed is not None:
            assert self._cells is not None
            from twinaudit.metrics._counts import cell_counts

            for k, codes in enumerate(observed.codes):
                self._cells[k] += cell_counts(
                    codes, observed.y_pred, observed.y_true, self._cells[k].shape[0]
                )
            if observed.y_true is not None:
                self._observed_rows.append(
                    (observed.theil_codes, observed.y_pred, observed.y_true)
                )

    def _keep_top_features(self, frame: pd.DataFrame, start: int, n: int) -> None:
        wanted = {
            int(p)
            for summary in self._gaps
            for p in summary.top_pair
            if start <= p < start + n
        }
        for p in sorted(wanted):
            i = (p - start) * self.n_variants
            self._top_features[p] = {c: frame[c].iat[i] for c in self.where_columns}
        self._prune_top_features()

    def _prune_top_features(self) -> None:
        kept = {int(p) for s in self._gaps for p in s.top_pair}
        for p in list(self._top_features):
            if p not in kept:
                del self._top_features[p]

    def merge(self, other: AuditAccumulator) -> AuditAccumulator:
        """Add ``other``, the accumulator of the profiles that follow (in place;
        returns ``self``)."""
        if (other.n_variants, other.comparisons, other.scores) != (
            self.n_variants,
            self.comparisons,
            self.scores,
        ) or other.observed_groups != self.observed_groups:
            raise ValueError("Only accumulators of the same audit can be merged.")
        self._patterns.merge(other._patterns)
        self._gaps = [a.merge(b) for a, b in zip(self._gaps, other._gaps, strict=True)]
        if self._cells is not None and other._cells is not None:
            for mine, theirs in zip(self._cells, other._cells, strict=True):
                mine += theirs
        self._observed_rows.extend(other._observed_rows)
        self._top_features.update(other._top_features)
        self._prune_top_features()
        self._where.merge(other._where)
        self._settle_counts()
        other._settle_counts()
        if other.n_profiles:
            if other._value_counts is None or other._counts_lost:
                self._counts_lost = True
            elif self._value_counts is None:
                self._value_counts = other._value_counts
            else:
                self._value_counts = _merge_counts(
                    self._value_counts, other._value_counts
                )
        self.n_profiles += other.n_profiles
        return self

    # -- reading ------------------------------------------------------------------
    def pattern_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct decision patterns and the profiles showing each."""
        return self._patterns.table()

    def observed_cells(self) -> list[np.ndarray] | None:
        """Per observed grouping, ``[group, decision, label]`` counts."""
        return None if self._cells is None else [c.copy() for c in self._cells]

    def observed_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """First attribute's codes, decisions and labels of the factual rows."""
        if not self._observed_rows:
            return None
        return tuple(  # type: ignore[return-value]
            np.concatenate(part) for part in zip(*self._observed_rows, strict=True)
        )

    def flipped(self) -> int:
        """Profiles whose twins do not all get the same decision."""
        patterns, counts = self.pattern_table()
        if len(counts) == 0:
            return 0
        varies = (patterns != patterns[:, :1]).any(axis=1)
        return int(counts[varies].sum())

    def counterfactual_table(
        self,
        *,
        confidence: float = 0.95,
        min_cell_size: int = 0,
        n_boot: int = 1000,
        random_state: int = 0,
        histogram_bins: int = 20,
    ) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
        """The rows of :func:`~twinaudit.metrics.counterfactual_table`, from the
        accumulated statistics."""
        patterns, counts = self.pattern_table()
        n = self.n_profiles
        rows = []
        histograms = []
        for k, item in enumerate(self.comparisons):
            ref = patterns[:, [a for a, _ in item.columns]]
            grp = patterns[:, [b for _, b in item.columns]]
            fav_ref = (ref == 1) & (grp == 0)
            fav_grp = (ref == 0) & (grp == 1)
            flipped = (fav_ref | fav_grp).any(axis=1)
            net = fav_grp.sum(axis=1) - fav_ref.sum(axis=1)
            flips = int(counts[flipped].sum())
            low, high = proportion_interval(flips, n, confidence)
            b = int(counts[net < 0].sum())
            c = int(counts[net > 0].sum())
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
                "discordant_reference": int(fav_ref.sum(axis=1) @ counts),
                "discordant_group": int(fav_grp.sum(axis=1) @ counts),
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
            if self.scores and n:
                rng = np.random.default_rng([random_state, k])
                stats, hist, edges = self._gaps[k].statistics(
                    confidence, rng, n_boot, histogram_bins
                )
                row.update(stats)
                histograms.append(
                    {
                        "attribute": item.attribute,
                        "group": item.group,
                        "edges": edges.tolist(),
                        "counts": hist.tolist(),
                    }
                )
            rows.append(row)
        return result_frame(rows, _COLUMNS), histograms

    def cochran_table(
        self, names: Sequence[str], values: Sequence[Sequence[Any]]
    ) -> pd.DataFrame:
        """The rows of :func:`~twinaudit.metrics.cochran_table`, from the decision
        patterns (Q computed as statsmodels' ``cochrans_q`` does, in integers)."""
        patterns, counts = self.pattern_table()
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
                x = patterns[:, columns].astype(np.int64)
                label = (
                    ", ".join(
                        f"{names[i]}={values[i][s]}"
                        for i, s in enumerate(setting)
                        if i != index
                    )
                    or None
                )
                row_totals = x.sum(axis=1)
                total = int(row_totals @ counts)
                denominator = k * total - int((row_totals**2) @ counts)
                undefined = None
                if self.n_profiles == 0:
                    undefined = "there are no pairs"
                elif denominator == 0:
                    undefined = (
                        "every profile gets the same decision for all values of "
                        f"{name}, so Cochran's Q has no variance to test"
                    )
                if undefined is None:
                    from scipy.stats import chi2

                    # Python integers: a column total squared passes int64 beyond
                    # about 3e9 profiles (a long streamed audit).
                    squares = sum(int(c) ** 2 for c in counts @ x)
                    q = (k - 1) * (k * squares - total**2) / denominator
                    p = float(chi2.sf(q, k - 1))
                else:
                    q = p = np.nan
                rows.append(
                    {
                        "attribute": name,
                        "setting": label,
                        "values": k,
                        "profiles": self.n_profiles,
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

    def _settle_counts(self) -> None:
        """Count the values of the chunk kept for later."""
        if self._pending_counts is None:
            return
        frame, decisions = self._pending_counts
        self._pending_counts = None
        dropped = frozenset(
            c for c, v in (self._value_counts or {}).items() if v is None
        )
        counts = _value_counts(
            frame, self.where_columns, self.n_variants, _flipped(decisions), dropped
        )
        self._value_counts = (
            counts
            if self._value_counts is None
            else _merge_counts(self._value_counts, counts)
        )

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (for Dask) with the kept chunk counted, not the chunk itself."""
        self._settle_counts()
        return self.__dict__.copy()

    def value_counts(self) -> dict[str, ValueCounts]:
        """Per where column with at most :data:`EXACT_VALUES` distinct values, its
        profiles and flips per value over every profile (empty when a chunk came
        without its frame)."""
        self._settle_counts()
        if self._counts_lost or self._value_counts is None:
            return {}
        return {c: v for c, v in self._value_counts.items() if v is not None}

    def where_sample(self) -> tuple[pd.DataFrame, np.ndarray, np.ndarray] | None:
        """The kept profiles (features), whether each flips, and their positions."""
        if self._where.profiles is None:
            return None
        return self._where.profiles, self._where.flipped, self._where.pairs

    def largest_gaps(self, top: int | None = None) -> list[dict[str, Any]]:
        """Per comparison, its largest ``|gap|`` profiles (pair, attribute, group,
        gap, features), comparisons in order, each largest first."""
        out = []
        for item, summary in zip(self.comparisons, self._gaps, strict=True):
            for p, g in zip(summary.top_pair, summary.top_gap, strict=True):
                out.append(
                    {
                        "pair": int(p),
                        "attribute": item.attribute,
                        "group": item.group,
                        "score_gap": float(g),
                        "features": dict(self._top_features.get(int(p), {})),
                    }
                )
        return out
