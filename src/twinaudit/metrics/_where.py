"""Where the bias lives: which base profiles flip, described by their features.

Three views of the profiles whose twins got different decisions:

- **bins**: the flip rate in bins of each feature. Numeric and date features get
  quantile bins (or the user's own edges), rounded to readable edges that the counts
  use as printed; categorical, text and boolean features get one bin per value (the
  most frequent values, the rest as ``(other)``); missing values get their own bin.
- **rules**: a shallow decision tree fitted on the profiles' features to predict
  "this profile flips", one rule per leaf with its support and flip rate, such as
  ``Income ≤ 79,997 → 100% of profiles flip``. A threshold is printed as the
  roundest number between the two neighbouring values the tree split, and the
  counts are made with the printed threshold, so a rule says exactly which
  profiles it holds.
- **largest gaps**: the profiles with the largest score gaps between twins, with
  their features.

The unit is the base profile: one row of ``profiles`` per pair of twins.
"""

from __future__ import annotations

import decimal
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from twinaudit.exceptions import DataError, did_you_mean

__all__ = ["MAX_CATEGORIES", "TREE_SAMPLE", "Where", "where_bias_lives"]

#: Categories shown per feature (the most frequent; the rest are ``(other)``).
MAX_CATEGORIES = 20
#: Profiles the tree is fitted on at most (drawn with the seed); counts use all.
TREE_SAMPLE = 100_000

OTHER = "(other)"
MISSING = "(missing)"
ALL_PROFILES = "all profiles"

BIN_COLUMNS = ("feature", "bin", "low", "high", "profiles", "flips", "flip_rate")
RULE_COLUMNS = ("rule", "profiles", "flips", "flip_rate")
GAP_COLUMNS = ("pair", "attribute", "group", "score_gap", "features")
GAP_INPUT = ("pair", "attribute", "group", "score_gap")

_DAY = 86_400 * 10**9
# Units a date threshold or bin edge is rounded to, largest first (nanoseconds).
_DATE_UNITS = (_DAY, 3_600 * 10**9, 60 * 10**9, 10**9, 10**6, 10**3, 1)

Kind = Literal["number", "date", "category"]


@dataclass(frozen=True, eq=False)
class Where:
    """Where in the population the twins' decisions differ.

    Attributes
    ----------
    bins : DataFrame
        One row per feature bin: ``feature``, ``bin`` (a readable label such as
        ``"[30,000, 48,000)"``, ``"(other)"`` or ``"(missing)"``), ``low`` and
        ``high`` (the bin's bounds in the feature's units, ``low`` included, ``high``
        excluded except in the last bin; a number, a ``Timestamp`` for dates, ``nan``
        for categories and missing values), ``profiles``, ``flips``, ``flip_rate``.
    rules : DataFrame
        One row per leaf of the tree: ``rule`` (``"all profiles"`` when there is
        nothing to split), ``profiles``, ``flips``, ``flip_rate``; highest flip rate
        first, then largest support.
    largest_gaps : DataFrame
        The profiles with the largest absolute score gaps: ``pair`` (position of the
        profile), ``attribute``, ``group``, ``score_gap`` and ``features`` (a dict of
        the profile's feature values).
    """

    bins: pd.DataFrame
    rules: pd.DataFrame
    largest_gaps: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(GAP_COLUMNS))
    )

    def __post_init__(self) -> None:
        for name, columns in (
            ("bins", BIN_COLUMNS),
            ("rules", RULE_COLUMNS),
            ("largest_gaps", GAP_COLUMNS),
        ):
            frame = getattr(self, name)
            if not isinstance(frame, pd.DataFrame) or list(frame.columns) != list(
                columns
            ):
                got = (
                    list(frame.columns)
                    if isinstance(frame, pd.DataFrame)
                    else type(frame).__name__
                )
                raise DataError(
                    f"Where.{name} must be a DataFrame with columns {list(columns)}. "
                    f"Got {got}."
                )

    def to_dict(self) -> dict[str, list[dict[str, Any]]]:
        """The JSON-ready ``where`` part of the report (``nan`` becomes ``None``).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> profiles = pd.DataFrame({"age": [20, 30, 40, 50]})
        >>> where = where_bias_lives(profiles, np.array([1, 1, 0, 0], dtype=bool))
        >>> where.to_dict()["rules"][0]
        {'rule': 'age ≤ 30', 'profiles': 2, 'flips': 2, 'flip_rate': 1.0}
        """
        bins = [
            {
                key: _json(row[key])
                for key in ("feature", "bin", "profiles", "flips", "flip_rate")
            }
            for row in self.bins.to_dict("records")
        ]
        rules = [
            {key: _json(row[key]) for key in RULE_COLUMNS}
            for row in self.rules.to_dict("records")
        ]
        gaps = []
        for row in self.largest_gaps.to_dict("records"):
            item = {key: _json(row[key]) for key in GAP_INPUT}
            item["features"] = {
                str(k): _json(v) for k, v in dict(row["features"]).items()
            }
            gaps.append(item)
        return {"bins": bins, "rules": rules, "largest_gaps": gaps}


def where_bias_lives(
    profiles: pd.DataFrame,
    flipped: Any,
    gaps: pd.DataFrame | None = None,
    *,
    bins: int | Mapping[Any, int | Sequence[Any]] = 5,
    max_depth: int = 3,
    min_profiles: int | None = None,
    top: int = 10,
    random_state: int = 0,
    counts: Mapping[Any, tuple[pd.Index, np.ndarray, np.ndarray]] | None = None,
) -> Where:
    """Describe which base profiles flip: flip rate by feature bin, tree rules, and
    the largest score gaps.

    Parameters
    ----------
    profiles : DataFrame
        One row per base profile (pair of twins), in pair order, with the features
        to describe them by (not the protected attributes or their proxies). Any
        index; rows are matched by position. Numeric, boolean, categorical, text
        and date columns; values may be missing.
    flipped : array-like of bool
        One per profile: whether its twins got different decisions.
    gaps : DataFrame, optional
        Score gaps, one row per profile and comparison, with columns ``pair`` (the
        profile's position in ``profiles``), ``attribute``, ``group`` and
        ``score_gap``. The ``top`` rows with the largest ``|score_gap|`` (missing
        gaps left out) become ``largest_gaps``.
    bins : int or mapping, default 5
        Quantile bins per numeric or date feature (equal edges merged), or a mapping
        ``{feature: edges}`` giving some features their own increasing edges
        (``[low, high)`` bins, the last one closed; values outside get a ``< low``
        or ``> high`` bin) or their own number of quantile bins; features not in
        the mapping get 5 quantile bins.
    max_depth : int, default 3
        Depth of the tree, so a rule has at most this many conditions.
    min_profiles : int, optional
        Profiles a rule (leaf) must hold at least; also the support a category
        needs to be shown or split on by itself. Default: 1% of the profiles, at
        least 1.
    top : int, default 10
        Rows of ``largest_gaps``.
    random_state : int, default 0
        Seeds the tree (ties between equally good splits) and the sample it is
        fitted on beyond ``TREE_SAMPLE`` profiles.
    counts : mapping, optional
        For ``profiles`` that are a sample of a larger population: per feature,
        its distinct values over the whole population (one missing value at
        most) with the profiles and flips holding each. Those features' bins
        are counted on the population (their edges still come from
        ``profiles``, the categories shown by themselves from the population's
        support); the rules describe ``profiles``.

    Returns
    -------
    Where

    Raises
    ------
    DataError
        ``profiles`` and ``flipped`` differ in length, ``flipped`` is not boolean,
        ``bins`` is below 2 or names an unknown or categorical feature, edges are
        not increasing, or ``gaps`` lacks a column or names an unknown pair.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> profiles = pd.DataFrame({"income": np.arange(10) * 10_000,
    ...                          "job": ["a", "b"] * 5})
    >>> where = where_bias_lives(profiles, profiles["income"] < 40_000, bins=2)
    >>> where.rules[["rule", "profiles", "flips"]].values.tolist()
    [['income ≤ 30,000', 4, 4], ['income ≥ 30,001', 6, 0]]
    >>> where.bins[["bin", "profiles", "flips"]].values.tolist()
    [['[0, 45,000)', 5, 4], ['[45,000, 90,000]', 5, 0], ['a', 5, 2], ['b', 5, 2]]
    """
    frame, flips = _check_profiles(profiles, flipped)
    n = len(frame)
    edges_for = _check_bins(bins, frame)
    given = set(bins) if isinstance(bins, Mapping) else set()
    for name, value, low in (("max_depth", max_depth, 1), ("top", top, 0)):
        _check_int(name, value, low)
    if min_profiles is None:
        min_leaf = max(1, math.ceil(0.01 * n))
    else:
        _check_int("min_profiles", min_profiles, 1)
        min_leaf = min_profiles
    if isinstance(random_state, bool) or not isinstance(random_state, int | np.integer):
        raise DataError(f"random_state must be an integer. Got {random_state!r}.")
    largest = _largest_gaps(gaps, frame, top)

    # Beyond TREE_SAMPLE profiles, quantiles and the tree come from a seeded sample;
    # every count is made on all profiles.
    sample = np.arange(n)
    if n > TREE_SAMPLE:
        rng = np.random.default_rng(int(random_state))
        sample = np.sort(rng.choice(n, size=TREE_SAMPLE, replace=False))
    features = [_feature(frame[name], name, min_leaf) for name in frame.columns]
    bin_rows: list[dict[str, Any]] = []
    for feat in features:
        if feat.kind == "category" and feat.name in given:
            raise DataError(
                f"bins has an entry for {feat.name!r}, but {feat.name!r} is "
                "categorical and is binned one bin per value; remove "
                f"{feat.name!r} from bins."
            )
        population = None if counts is None else counts.get(feat.name)
        if population is None:
            bin_rows.extend(_bin_rows(feat, edges_for[feat.name], flips, sample))
        else:
            rows = _population_bin_rows(
                frame[feat.name],
                feat,
                population,
                edges_for[feat.name],
                sample,
                min_leaf / n,
            )
            if rows is None:  # values the column's type cannot hold: the sample
                rows = _bin_rows(feat, edges_for[feat.name], flips, sample)
            bin_rows.extend(rows)
    rule_rows = _rules(features, flips, sample, max_depth, min_leaf, int(random_state))
    return Where(
        bins=pd.DataFrame(bin_rows, columns=list(BIN_COLUMNS)).astype(
            {"profiles": np.int64, "flips": np.int64, "flip_rate": float}
        ),
        rules=pd.DataFrame(rule_rows, columns=list(RULE_COLUMNS)).astype(
            {"profiles": np.int64, "flips": np.int64, "flip_rate": float}
        ),
        largest_gaps=largest,
    )


# -- validation -------------------------------------------------------------------


def _check_int(name: str, value: Any, low: int) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or value < low
    ):
        raise DataError(f"{name} must be an integer of at least {low}. Got {value!r}.")


def _check_profiles(profiles: Any, flipped: Any) -> tuple[pd.DataFrame, np.ndarray]:
    if not isinstance(profiles, pd.DataFrame):
        raise DataError(
            "profiles must be a pandas DataFrame with one row per base profile. "
            f"Got {type(profiles).__name__}."
        )
    if profiles.columns.has_duplicates:
        dup = sorted({str(c) for c in profiles.columns[profiles.columns.duplicated()]})
        raise DataError(
            f"profiles has duplicate column names {dup}; give each feature one column."
        )
    flips = np.asarray(flipped)
    if flips.ndim != 1:
        raise DataError(
            f"flipped must be one-dimensional (one value per profile). Got shape "
            f"{flips.shape}."
        )
    if len(flips) != len(profiles):
        raise DataError(
            f"profiles has {len(profiles)} rows but flipped has {len(flips)} values; "
            "pass one flipped value per base profile, in the same order."
        )
    if len(profiles) == 0:
        raise DataError("profiles has no rows; pass at least one base profile.")
    if flips.dtype != bool:
        if flips.dtype.kind in "iuf":
            bad = [v for v in pd.unique(flips[~np.isin(flips, [0, 1])])]
        else:
            bad = [
                v
                for v in pd.unique(flips)
                if not (
                    isinstance(
                        v, bool | int | float | np.bool_ | np.integer | np.floating
                    )
                    and v in (0, 1)
                )
            ]
        if bad:
            raise DataError(
                "flipped must hold booleans (or 0/1), one per profile. Got values "
                f"such as {[_plain(v) for v in bad[:5]]}."
            )
        flips = flips.astype(bool)
    return profiles.reset_index(drop=True), flips


def _check_bins(bins: Any, frame: pd.DataFrame) -> dict[Any, int | np.ndarray]:
    """Per feature, a number of quantile bins or sorted edges (raw, unconverted)."""
    default = 5
    out: dict[Any, int | np.ndarray] = {}
    if isinstance(bins, Mapping):
        columns = list(frame.columns)
        for name, spec in bins.items():
            if name not in columns:
                raise DataError(
                    f"bins names the feature {name!r}, which is not a column of "
                    f"profiles.{did_you_mean(str(name), map(str, columns))} The "
                    f"columns are {[str(c) for c in columns]}."
                )
            if isinstance(spec, int | np.integer) and not isinstance(spec, bool):
                if spec < 2:
                    raise DataError(
                        f"bins for {name!r} must be at least 2 quantile bins or a list "
                        f"of edges. Got {spec!r}."
                    )
                out[name] = int(spec)
            elif isinstance(spec, str) or not isinstance(
                spec, Sequence | np.ndarray | pd.Series | pd.Index
            ):
                raise DataError(
                    f"bins for {name!r} must be a number of quantile bins or a list "
                    f"of increasing edges. Got {spec!r}."
                )
            else:
                out[name] = np.asarray(list(spec), dtype=object)
    elif isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 2:
        raise DataError(
            "bins must be an integer of at least 2 (quantile bins per feature) or a "
            f"mapping {{feature: edges}}. Got {bins!r}."
        )
    else:
        default = int(bins)
    return {name: out.get(name, default) for name in frame.columns}


def _largest_gaps(gaps: Any, frame: pd.DataFrame, top: int) -> pd.DataFrame:
    empty = pd.DataFrame(columns=list(GAP_COLUMNS))
    if gaps is None:
        return empty
    if not isinstance(gaps, pd.DataFrame):
        raise DataError(
            f"gaps must be a DataFrame with columns {list(GAP_INPUT)}. "
            f"Got {type(gaps).__name__}."
        )
    missing = [c for c in GAP_INPUT if c not in gaps.columns]
    if missing:
        raise DataError(
            f"gaps lacks the columns {missing}; it needs {list(GAP_INPUT)}, one row "
            f"per profile and comparison. Got columns {[str(c) for c in gaps.columns]}."
        )
    pair = gaps["pair"].to_numpy()
    if len(pair) and (
        pair.dtype.kind not in "iu" or pair.min() < 0 or pair.max() >= len(frame)
    ):
        bad = [
            p for p in pair.tolist() if not (isinstance(p, int) and 0 <= p < len(frame))
        ][:5]
        raise DataError(
            "gaps['pair'] must hold positions of profiles, integers from 0 to "
            f"{len(frame) - 1}. Got {bad}."
        )
    try:
        gap = gaps["score_gap"].to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise DataError(
            "gaps['score_gap'] must hold numbers (score differences). Got dtype "
            f"{gaps['score_gap'].dtype}."
        ) from None
    keep = np.flatnonzero(~np.isnan(gap))
    order = keep[np.argsort(-np.abs(gap[keep]), kind="stable")][:top]
    rows = []
    attribute = gaps["attribute"].to_numpy()
    group = gaps["group"].to_numpy()
    for i in order:
        p = int(pair[i])
        rows.append(
            {
                "pair": p,
                "attribute": attribute[i],
                "group": group[i],
                "score_gap": float(gap[i]),
                "features": {c: frame.iat[p, j] for j, c in enumerate(frame.columns)},
            }
        )
    if not rows:
        return empty
    return pd.DataFrame(rows, columns=list(GAP_COLUMNS))


# -- features ---------------------------------------------------------------------


@dataclass
class _Feature:
    """One column, encoded: numbers as float64 (nan missing), dates as int64
    nanoseconds, categories as codes into ``levels``."""

    name: Any
    kind: Kind
    values: np.ndarray
    missing: np.ndarray
    integer: bool = False  # numbers: whole numbers; dates: whole days
    levels: list[str] = field(default_factory=list)
    tz: Any = None  # dates: the column's time zone (values are its local times)

    @property
    def label(self) -> str:
        return str(self.name)


def _feature(column: pd.Series, name: Any, min_leaf: int) -> _Feature:
    dtype = column.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        times = pd.DatetimeIndex(column)
        tz = times.tz
        if tz is not None:  # bins and rules in the column's local time
            times = times.tz_localize(None)
        missing = np.asarray(times.isna())
        values = times.as_unit("ns").asi8.copy()
        values[missing] = 0
        whole = not (values[~missing] % _DAY).any()
        return _Feature(name, "date", values, missing, integer=whole, tz=tz)
    if (
        pd.api.types.is_numeric_dtype(dtype)
        and not pd.api.types.is_bool_dtype(dtype)
        and not pd.api.types.is_complex_dtype(dtype)
    ):
        x = column.to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(x)
        present = x[~missing]
        with np.errstate(invalid="ignore"):
            whole = bool(np.all(present == np.floor(present)))  # False with inf
        # whole-number rules (x ≥ t + 1) only where t + 1 is another double
        whole = whole and not (np.abs(present) >= 2.0**53).any()
        return _Feature(name, "number", x, missing, integer=whole)
    return _category(column, name, min_leaf)


def _category(
    column: pd.Series, name: Any, min_leaf: int, weights: np.ndarray | None = None
) -> _Feature:
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.int64)
    missing = codes < 0
    counts = np.bincount(
        codes[~missing],
        None if weights is None else weights[~missing],
        minlength=len(uniques),
    )
    # A category is shown (and split on) by itself when it holds enough profiles;
    # one held by a single profile says nothing about a population (an identifier).
    candidates = np.flatnonzero(counts >= max(min_leaf, 2))
    values = list(uniques)
    if len(candidates) > MAX_CATEGORIES:
        ranked = sorted(candidates, key=lambda i: (-counts[i], str(values[i])))
        candidates = np.asarray(ranked[:MAX_CATEGORIES])
    kept = _display_order([int(i) for i in candidates], values, column.dtype)
    lookup = np.full(len(uniques) + 1, -1, dtype=np.int64)
    lookup[np.asarray(kept, dtype=np.int64)] = np.arange(len(kept))
    levels = [str(values[i]) for i in kept]
    out = lookup[np.where(missing, len(uniques), codes)]
    other = (out < 0) & ~missing
    if other.any():
        out[other] = len(levels)
        levels.append(OTHER)
    if missing.any() and (weights is None or weights[missing].sum() > 0):
        out[missing] = len(levels)
        levels.append(MISSING)
    return _Feature(
        name, "category", out, np.zeros(len(out), dtype=bool), levels=levels
    )


def _display_order(kept: list[int], values: list[Any], dtype: Any) -> list[int]:
    if isinstance(dtype, pd.CategoricalDtype):
        position = {v: i for i, v in enumerate(dtype.categories)}
        return sorted(kept, key=lambda i: position[values[i]])
    try:
        return sorted(kept, key=lambda i: values[i])
    except TypeError:
        return sorted(kept, key=lambda i: str(values[i]))


# -- bins -------------------------------------------------------------------------


def _population_bin_rows(
    column: pd.Series,
    sampled: _Feature,
    population: tuple[pd.Index, np.ndarray, np.ndarray],
    spec: int | np.ndarray,
    sample: np.ndarray,
    support: float,
) -> list[dict[str, Any]] | None:
    """:func:`_bin_rows` counted on a population given as distinct values with the
    profiles and flips holding each; quantile edges from the sampled feature, and
    categories shown by themselves from the same share of profiles (``support``)
    as on the sample. ``None`` where the values do not fit the column's type."""
    values, profiles, flips = population
    weights = np.asarray(profiles, dtype=np.int64)
    keep = weights > 0
    try:
        distinct = pd.Series(values[keep], dtype=column.dtype)
    except (TypeError, ValueError):
        return None
    weights, flip_weights = weights[keep], np.asarray(flips, dtype=np.int64)[keep]
    if sampled.kind == "category":
        min_leaf = max(1, math.ceil(support * int(weights.sum())))
        feat = _category(distinct, sampled.name, min_leaf, weights)
    else:
        feat = _feature(distinct, sampled.name, 1)
    if feat.kind != sampled.kind:
        return None
    picked = sampled.values[sample][~sampled.missing[sample]]
    return _bin_rows(
        feat, spec, None, None, weights=(weights, flip_weights), picked=picked
    )


def _bin_rows(
    feat: _Feature,
    spec: int | np.ndarray,
    flips: np.ndarray | None,
    sample: np.ndarray | None,
    *,
    weights: tuple[np.ndarray, np.ndarray] | None = None,
    picked: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """Rows of the bins table of one feature: one row a profile (``flips``), or
    one row a distinct value held by ``weights = (profiles, flips)`` profiles,
    with quantile edges from ``picked`` values."""
    if weights is None:
        assert flips is not None
        held = flipped_by = None
    else:
        held, flipped_by = weights
    if feat.kind == "category":
        if feat.levels == [OTHER]:
            return []  # every value is rare (an identifier): nothing to show
        size = len(feat.levels)
        none = [np.nan] * size
        if held is None:
            profiles = np.bincount(feat.values, minlength=size)
            flipped = np.bincount(feat.values[flips], minlength=size)
        else:
            profiles = _exact(np.bincount(feat.values, held, minlength=size))
            flipped = _exact(np.bincount(feat.values, flipped_by, minlength=size))
        return _rows(feat, feat.levels, none, none, profiles, flipped)
    present = ~feat.missing
    x = feat.values[present]
    if isinstance(spec, np.ndarray):
        edges = _user_edges(feat, spec)
    elif len(x):
        if picked is None:
            assert sample is not None
            picked = feat.values[sample][~feat.missing[sample]]
        edges = _quantile_edges(feat, x, picked, spec)
    else:
        edges = feat.values[:0]
    show = _formatter(feat)
    # Bins: below the first edge, [e0, e1), ..., [e(k-1), ek], above the last edge,
    # missing. One distinct value makes one bin [c, c].
    k = len(edges) - 1
    labels: list[str] = [""]
    lows: list[Any] = [np.nan]
    highs: list[Any] = [np.nan]
    if len(edges):
        labels[0] = f"< {show(edges[0])}"
        highs[0] = _native(feat, edges[0])
        if k == 0:
            labels.append(f"[{show(edges[0])}, {show(edges[0])}]")
            lows.append(_native(feat, edges[0]))
            highs.append(_native(feat, edges[0]))
        for i in range(k):
            low, high = edges[i], edges[i + 1]
            close = "]" if i == k - 1 else ")"
            if feat.kind == "number" and np.isneginf(low) and np.isposinf(high):
                text = f"[{show(low)}, {show(high)}]"  # only infinite values
            elif feat.kind == "number" and np.isneginf(low):
                text = f"{'≤' if close == ']' else '<'} {show(high)}"
            elif feat.kind == "number" and np.isposinf(high):
                text = f"≥ {show(low)}"
            else:
                text = f"[{show(low)}, {show(high)}{close}"
            labels.append(text)
            lows.append(_native(feat, low))
            highs.append(_native(feat, high))
        labels.append(f"> {show(edges[-1])}")
        lows.append(_native(feat, edges[-1]))
        highs.append(np.nan)
    else:
        labels.append("")  # no value at all: only the missing bin
        lows.append(np.nan)
        highs.append(np.nan)
    labels.append(MISSING)
    lows.append(np.nan)
    highs.append(np.nan)
    if held is None:
        assert flips is not None
        missing = [int(feat.missing.sum()), int((feat.missing & flips).sum())]
        profiles = np.asarray([*_interval_counts(x, edges), missing[0]])
        flipped = np.asarray(
            [*_interval_counts(feat.values[present & flips], edges), missing[1]]
        )
    else:
        assert flipped_by is not None
        missing = [int(held[~present].sum()), int(flipped_by[~present].sum())]
        profiles = np.asarray(
            [*_weighted_interval_counts(x, held[present], edges), missing[0]]
        )
        flipped = np.asarray(
            [*_weighted_interval_counts(x, flipped_by[present], edges), missing[1]]
        )
    rows = _rows(feat, labels, lows, highs, profiles, flipped)
    # Bins inside the range are always shown; the others only when they hold
    # profiles (values outside the user's edges, missing values).
    inside = range(1, len(labels) - 2) if len(edges) else range(0)
    return [row for i, row in enumerate(rows) if i in inside or row["profiles"] > 0]


def _interval_counts(x: np.ndarray, edges: np.ndarray) -> list[int]:
    """Values below ``edges[0]``, in each bin ``[e(i), e(i+1))`` (the last one
    closed; ``[c, c]`` for one edge), and above ``edges[-1]``."""
    if not len(edges):
        return [0, 0]
    if len(edges) <= 64:  # one pass per edge beats sorting the values
        at_least = [int(np.count_nonzero(x >= edge)) for edge in edges]
        above = int(np.count_nonzero(x > edges[-1]))
    else:
        ordered = np.sort(x)
        at_least = (len(x) - np.searchsorted(ordered, edges, side="left")).tolist()
        above = len(x) - int(np.searchsorted(ordered, edges[-1], side="right"))
    bins = [at_least[i] - at_least[i + 1] for i in range(len(edges) - 2)]
    bins.append(at_least[max(len(edges) - 2, 0)] - above)  # the closed last bin
    return [len(x) - at_least[0], *bins, above]


def _weighted_interval_counts(
    x: np.ndarray, weights: np.ndarray, edges: np.ndarray
) -> list[int]:
    """:func:`_interval_counts` of values ``x`` held ``weights`` times each."""
    if not len(edges):
        return [0, 0]
    order = np.argsort(x, kind="stable")
    ordered = x[order]
    total = int(weights.sum())
    held = np.concatenate([[0], np.cumsum(weights[order], dtype=np.int64)])
    at_least = [
        total - int(held[i]) for i in np.searchsorted(ordered, edges, side="left")
    ]
    above = total - int(held[np.searchsorted(ordered, edges[-1], side="right")])
    bins = [at_least[i] - at_least[i + 1] for i in range(len(edges) - 2)]
    bins.append(at_least[max(len(edges) - 2, 0)] - above)  # the closed last bin
    return [total - at_least[0], *bins, above]


def _exact(counts: np.ndarray) -> np.ndarray:
    """Integer counts from bincount's float64 sums of integer weights."""
    return np.rint(counts).astype(np.int64)


def _rows(
    feat: _Feature,
    labels: list[str],
    lows: list[Any],
    highs: list[Any],
    profiles: np.ndarray,
    flipped: np.ndarray,
) -> list[dict[str, Any]]:
    return [
        {
            "feature": feat.label,
            "bin": labels[i],
            "low": lows[i],
            "high": highs[i],
            "profiles": int(profiles[i]),
            "flips": int(flipped[i]),
            "flip_rate": flipped[i] / profiles[i] if profiles[i] else np.nan,
        }
        for i in range(len(labels))
    ]


def _user_edges(feat: _Feature, raw: np.ndarray) -> np.ndarray:
    name = feat.name
    problem = f"The bin edges for {name!r} must be at least two increasing "
    try:
        if feat.kind == "date":
            if any(isinstance(v, bool | float | int | np.number) for v in raw):
                raise ValueError
            stamps = [pd.Timestamp(v) for v in raw]
            if any(ts is pd.NaT for ts in stamps):
                raise ValueError
            stamps = [
                ts.tz_convert(feat.tz).tz_localize(None)
                if ts.tz is not None and feat.tz is not None
                else ts.tz_localize(None)
                for ts in stamps
            ]
            edges: np.ndarray = np.asarray([ts.as_unit("ns").value for ts in stamps])
        else:
            if any(isinstance(v, bool | str) for v in raw):
                raise ValueError
            edges = raw.astype(float)
            if np.isnan(edges).any():
                raise ValueError
    except (TypeError, ValueError):
        what = "dates" if feat.kind == "date" else "numbers"
        raise DataError(f"{problem}{what}. Got {list(raw)!r}.") from None
    if len(edges) < 2 or np.any(np.diff(edges) <= 0):
        what = "dates" if feat.kind == "date" else "numbers"
        raise DataError(f"{problem}{what}. Got {list(raw)!r}.")
    return edges


def _quantile_edges(
    feat: _Feature, x: np.ndarray, sample: np.ndarray, bins: int
) -> np.ndarray:
    """Edges at the quantiles of ``sample`` rounded to readable values (about two
    significant digits of the narrowest bin; whole days for dates), from the
    smallest to the largest value of ``x``, equal edges merged. The rounded edges
    are the ones counted."""
    probs = np.linspace(0, 1, bins + 1)[1:-1]
    if feat.kind == "date":
        first, last = int(x.min()), int(x.max())
        if not len(sample):  # the sample holds no date: one bin, as for numbers
            return np.unique(np.asarray([first, last], dtype=np.int64))
        q = np.quantile(sample - first, probs)  # offsets keep float precision
        unit = next((u for u in _DATE_UNITS if u * 10 <= (last - first) / bins), 1)
        if feat.integer:
            unit = max(unit, _DAY)
        start, stop = (first // unit) * unit, -(-last // unit) * unit
        cuts = start + np.ceil((q + (first - start)) / unit).astype(np.int64) * unit
        cuts = cuts[(cuts > start) & (cuts < stop)]
        return np.unique(np.concatenate([[start], cuts, [stop]])).astype(np.int64)
    low, high = float(x.min()), float(x.max())
    if not (math.isfinite(low) and math.isfinite(high)):
        finite = x[np.isfinite(x)]
        if not len(finite):
            return np.unique(np.asarray([low, high]))
        sample = sample[np.isfinite(sample)]
        edges = _number_edges(
            feat, float(finite.min()), float(finite.max()), sample, probs
        )
        if math.isinf(low):
            edges = np.concatenate([[low], edges[1:] if len(edges) > 1 else edges])
        if math.isinf(high):
            edges = np.concatenate([edges[:-1] if len(edges) > 1 else edges, [high]])
        return edges
    return _number_edges(feat, low, high, sample, probs)


def _number_edges(
    feat: _Feature, low: float, high: float, sample: np.ndarray, probs: np.ndarray
) -> np.ndarray:
    if low == high or not len(sample):
        return np.asarray([low, high]) if low != high else np.asarray([low])
    quantiles = np.concatenate([[low], np.quantile(sample, probs), [high]])
    gaps = np.diff(quantiles)
    # two significant digits of the narrowest bin
    decimals = 1 - math.floor(math.log10(float(gaps[gaps > 0].min())))
    if feat.integer:
        decimals = min(decimals, 0)
    inner = quantiles[1:-1]
    if feat.integer and decimals == 0:
        inner = np.ceil(inner)
    else:
        even = decimal.ROUND_HALF_EVEN
        inner = np.asarray([_round_to(float(q), decimals, even) for q in inner])
    start = min(low, _round_to(low, decimals, decimal.ROUND_FLOOR))
    stop = max(high, _round_to(high, decimals, decimal.ROUND_CEILING))
    inner = inner[(inner > start) & (inner < stop)]
    return np.unique(np.concatenate([[start], inner, [stop]]))


_EXACT = decimal.Context(prec=800)  # more digits than any quantize here needs


def _round_to(value: float, decimals: int, rounding: str) -> float:
    """``value`` rounded to ``decimals`` places (a ``decimal`` rounding mode) on the
    decimal it prints as, so 0.1 rounds up to 0.1, not to 0.2 as its binary value
    would, and 1e-323 or 1e308 cannot overflow; ``value`` itself where the rounded
    number is beyond the largest double."""
    shown = decimal.Decimal(repr(float(value)))
    step = decimal.Decimal(1).scaleb(-decimals)
    rounded = float(shown.quantize(step, rounding=rounding, context=_EXACT))
    return rounded if math.isfinite(rounded) else value


def _native(feat: _Feature, value: Any) -> Any:
    if feat.kind == "date":
        return pd.Timestamp(int(value))
    return float(value)


def _formatter(feat: _Feature) -> Any:
    return _format_date if feat.kind == "date" else _format_number


def _format_number(value: Any) -> str:
    v = float(value)
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "0"
    if abs(v) >= 1e16 or abs(v) < 1e-6:
        return repr(v)
    if v == math.floor(v):
        return f"{int(v):,}"
    text = np.format_float_positional(v, trim="-")
    whole, _, frac = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}{int(whole.lstrip('-') or 0):,}.{frac}"


def _format_date(value: Any, *, time: bool = False) -> str:
    """``2020-03-14`` at midnight (unless ``time``), else ``2020-03-14 06:30:00``."""
    ts = pd.Timestamp(int(value))
    if int(value) % _DAY == 0 and not time:
        return ts.strftime("%Y-%m-%d")
    return str(ts)


# -- rules ------------------------------------------------------------------------


@dataclass
class _Split:
    """A node's test, in the feature's own units: numbers and dates go left when
    ``value <= threshold`` (missing values as ``missing_left`` says), categories
    when their level is in ``left``."""

    feature: int
    threshold: float = math.inf
    missing_left: bool = False
    left: frozenset[int] = frozenset()


def _rules(
    features: list[_Feature],
    flips: np.ndarray,
    rows: np.ndarray,
    max_depth: int,
    min_leaf: int,
    random_state: int,
) -> list[dict[str, Any]]:
    n = len(flips)
    total = int(flips.sum())
    usable = [f for f in features if _varies(f)]
    if total in (0, n) or not usable:
        return [_rule_row(ALL_PROFILES, n, total)]
    from sklearn.tree import DecisionTreeClassifier

    in_sample = np.zeros(n, dtype=bool)
    in_sample[rows] = True
    y = flips[rows]
    encoded = [_encode(f, rows, y) for f in usable]
    X = np.column_stack([codes for codes, _ in encoded])
    leaf = max(1, math.ceil(min_leaf * len(rows) / n))
    tree = DecisionTreeClassifier(
        max_depth=max_depth, min_samples_leaf=leaf, random_state=random_state
    ).fit(X, y)
    t = tree.tree_
    if t.node_count == 1:
        return [_rule_row(ALL_PROFILES, n, total)]

    # Send every profile down the tree with printed tests: at each node the test is
    # rebuilt from the training profiles that reach it, so it splits them exactly as
    # the tree did, and the other profiles follow the printed threshold.
    out: list[dict[str, Any]] = []
    stack: list[tuple[int, np.ndarray, list[tuple[_Split, bool]]]] = [
        (0, np.arange(n), [])
    ]
    while stack:
        node, idx, path = stack.pop()
        if t.children_left[node] < 0:
            size = len(idx)
            out.append(_rule_row(_describe(path, usable), size, int(flips[idx].sum())))
            continue
        j = int(t.feature[node])
        split = _decode(
            usable[j],
            j,
            float(t.threshold[node]),
            bool(t.missing_go_to_left[node]),
            encoded[j][1],
            idx[in_sample[idx]],
        )
        go_left = _goes_left(usable[j], split, idx)
        # right pushed first, so the left subtree is listed first
        right, left = int(t.children_right[node]), int(t.children_left[node])
        stack.append((right, idx[~go_left], [*path, (split, False)]))
        stack.append((left, idx[go_left], [*path, (split, True)]))
    order = sorted(
        range(len(out)), key=lambda i: (-out[i]["flip_rate"], -out[i]["profiles"])
    )
    return [out[i] for i in order]


def _rule_row(rule: str, size: int, flips: int) -> dict[str, Any]:
    return {
        "rule": rule,
        "profiles": size,
        "flips": flips,
        "flip_rate": flips / size if size else np.nan,
    }


def _varies(feat: _Feature) -> bool:
    if feat.kind == "category":
        return len(feat.levels) > 1
    present = ~feat.missing
    if not present.any():
        return False
    x = feat.values[present]
    return bool(x.min() != x.max()) or not present.all()


def _encode(
    feat: _Feature, rows: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A float32 column the tree can split exactly, and what its codes mean.

    Numbers and dates: the rank among the sample's distinct values (``nan`` when
    missing), with those sorted values. Categories: levels ordered by their flip rate
    in the sample (the order in which the best split of a binary target is a
    threshold), with the level at each rank.
    """
    if feat.kind == "category":
        codes = feat.values[rows]
        size = len(feat.levels)
        seen = np.bincount(codes, minlength=size)
        rate = np.bincount(codes[y], minlength=size) / np.maximum(seen, 1)
        order = np.lexsort((np.arange(size), rate))  # by rate, ties by level
        rank = np.empty(size, dtype=np.int64)
        rank[order] = np.arange(size)
        return rank[codes].astype(np.float32), order
    missing = feat.missing[rows]
    distinct, ranks = np.unique(feat.values[rows][~missing], return_inverse=True)
    codes = np.full(len(rows), np.nan, dtype=np.float32)
    codes[~missing] = ranks
    return codes, distinct


def _decode(
    feat: _Feature,
    j: int,
    threshold: float,
    missing_left: bool,
    meaning: np.ndarray,
    trained: np.ndarray,
) -> _Split:
    """The node's test in the feature's units, from the tree's threshold on the
    encoded column and the training profiles ``trained`` that reach the node."""
    if feat.kind == "category":
        k = math.floor(threshold)
        return _Split(j, left=frozenset(int(c) for c in meaning[: k + 1]))
    k = math.floor(threshold) if math.isfinite(threshold) else len(meaning)
    if k + 1 >= len(meaning):  # all values one way, missing values the other
        return _Split(j, math.inf, missing_left)
    cut = meaning[k]
    x = feat.values[trained][~feat.missing[trained]]
    below, above = x[x <= cut], x[x > cut]
    low = below.max() if len(below) else cut
    high = above.min() if len(above) else meaning[k + 1]
    if feat.kind == "date":
        return _Split(j, _date_threshold(int(low), int(high)), missing_left)
    value = _number_threshold(float(low), float(high))
    return _Split(j, value, missing_left)


def _number_threshold(low: float, high: float) -> float:
    """The roundest number ``t`` with ``low ≤ t < high`` (on the coarsest decimal
    grid that has one), the one nearest their midpoint, as the double nearest its
    decimal (3e25, not 3 × 1e25 = 3.0000000000000005e25). An infinite end is moved
    to a finite number as far beyond the other end as that end is from 0 (at least
    1), so ``[8, inf)`` gives 10 and ``(-inf, 1)`` gives 0."""
    if math.isinf(low) and math.isinf(high):
        return 0.0
    low, high, largest = float(low), float(high), sys.float_info.max
    if math.isinf(low):  # Python floats overflow to inf without a warning
        low = max(high - max(abs(high), 1.0), -largest)
    elif math.isinf(high):
        high = min(low + max(abs(low), 1.0), largest)
    mid = low / 2 + high / 2
    magnitude = max(abs(low), abs(high))  # low < high: not both 0
    top = min(math.floor(math.log10(magnitude)) + 1, 308)  # 10.0**309 overflows
    for exponent in range(top, top - 40, -1):
        grid = 10.0**exponent
        if grid == 0.0:  # below the smallest subnormal: low is the finest there is
            break
        # the steps on the grid within [low, high); the divisions are near, not
        # exact, so each end is checked on the decimal it stands for
        first = math.ceil(low / grid)
        if _on_grid(first - 1, exponent) >= low:
            first -= 1
        elif _on_grid(first, exponent) < low:
            first += 1
        last = math.ceil(high / grid) - 1
        if _on_grid(last + 1, exponent) < high:
            last += 1
        elif _on_grid(last, exponent) >= high:
            last -= 1
        if first > last:
            continue
        t = _on_grid(min(max(round(mid / grid), first), last), exponent)
        if low <= t < high:
            return t
    return low


def _on_grid(step: int, exponent: int) -> float:
    """The double nearest the decimal ``step × 10**exponent``."""
    return round(step * 10.0**exponent, -exponent)


def _date_threshold(low: int, high: int) -> int:
    """The roundest instant ``t`` (a day, hour, minute, ...) with low ≤ t < high."""
    mid = low + (high - low) // 2
    for unit in _DATE_UNITS:
        t = (mid // unit) * unit
        if low <= t < high:
            return t
        t += unit
        if low <= t < high:
            return t
    return low  # pragma: no cover - unit 1 always lands in [low, high)


def _goes_left(feat: _Feature, split: _Split, idx: np.ndarray) -> np.ndarray:
    if feat.kind == "category":
        return np.isin(feat.values[idx], np.fromiter(split.left, dtype=np.int64))
    missing = feat.missing[idx]
    x = feat.values[idx]
    with np.errstate(invalid="ignore"):
        left = (x <= split.threshold) & ~missing
    return left | (missing & split.missing_left)


def _describe(path: list[tuple[_Split, bool]], usable: list[_Feature]) -> str:
    """The conditions along ``path``, one per feature, in the order first tested."""
    order: list[int] = []
    upper: dict[int, float] = {}
    lower: dict[int, float] = {}
    allow_missing: dict[int, bool] = {}
    only_missing: set[int] = set()
    sets: dict[int, set[int]] = {}
    for split, left in path:
        j = split.feature
        if j not in order:
            order.append(j)
        feat = usable[j]
        if feat.kind == "category":
            side = split.left if left else set(range(len(feat.levels))) - split.left
            sets[j] = sets.get(j, set(range(len(feat.levels)))) & set(side)
            continue
        goes_missing = split.missing_left if left else not split.missing_left
        allow_missing[j] = allow_missing.get(j, True) and goes_missing
        if math.isinf(split.threshold):
            # Every value goes left: the right side holds the missing ones alone.
            if not left:
                only_missing.add(j)
            continue
        if left:
            upper[j] = min(upper.get(j, math.inf), split.threshold)
        else:
            lower[j] = max(lower.get(j, -math.inf), split.threshold)
    parts = []
    for j in order:
        feat = usable[j]
        if feat.kind == "category":
            parts.append(_category_text(feat, sets[j]))
        elif j in only_missing:
            parts.append(_range_text(feat, None, None, True))
        else:
            parts.append(
                _range_text(
                    feat,
                    lower.get(j),
                    upper.get(j),
                    allow_missing[j] and bool(feat.missing.any()),
                )
            )
    return " and ".join(parts)


def _category_text(feat: _Feature, chosen: set[int]) -> str:
    """``x = a``, ``x in {a, b}``, or the complement (``x ≠ a``, ``x not in {a, b}``)
    when it is shorter, or as short and free of ``(other)``."""
    rest = set(range(len(feat.levels))) - chosen
    other = feat.levels.index(OTHER) if OTHER in feat.levels else -1
    negate = len(rest) < len(chosen) or (len(rest) == len(chosen) and other in chosen)
    labels = [feat.levels[i] for i in sorted(rest if negate else chosen)]
    if len(labels) == 1:
        return f"{feat.label} {'≠' if negate else '='} {labels[0]}"
    return f"{feat.label} {'not in' if negate else 'in'} {{{', '.join(labels)}}}"


def _range_text(
    feat: _Feature, lower: float | None, upper: float | None, missing: bool
) -> str:
    """``x ≤ b``, ``x > a`` (``x ≥ a + 1`` for whole numbers, the next day for
    dates), ``a < x ≤ b``; missing values named where they go."""
    name = feat.label
    show: Any
    if feat.kind == "date":
        step = _DAY if feat.integer else 0

        def show(v: float) -> str:
            return _format_date(v, time=not feat.integer)
    else:
        step = 1 if feat.integer else 0
        show = _format_number
    if lower is None and upper is None:
        return f"{name} is missing" if missing else f"{name} is not missing"
    if lower is None:
        text = f"{name} ≤ {show(upper)}"
    else:
        first = f"{show(lower + step)} ≤ " if step else f"{show(lower)} < "
        if upper is None:
            text = (
                f"{name} ≥ {show(lower + step)}" if step else f"{name} > {show(lower)}"
            )
        else:
            text = f"{first}{name} ≤ {show(upper)}"
    return f"({text} or missing)" if missing else text


# -- JSON -------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _json(value: Any) -> Any:
    """A JSON scalar: numpy scalars unwrapped, nan/inf/NA as None, dates as ISO
    strings, anything else as its string."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
