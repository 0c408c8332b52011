"""Generate twins from a :class:`TwinSpec`: one shot or in chunks."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from twinaudit.exceptions import SpecError
from twinaudit.generation._sampling import (
    Column,
    Context,
    FixedWidthText,
    _choice_codes,
    compute_derived,
    field_key,
    sample,
    to_pandas,
)
from twinaudit.generation._streams import Streams, stream_key
from twinaudit.generation._twins import Twins
from twinaudit.spec import Derived, Mode, ProtectedAttribute, Proxy, TwinSpec

__all__ = ["generate", "iter_twins"]


def _check_request(n_pairs: object, mode: object, seed: object) -> None:
    if (
        isinstance(n_pairs, bool)
        or not isinstance(n_pairs, int | np.integer)
        or n_pairs < 1
    ):
        raise SpecError(f"n_pairs must be a positive integer. Got {n_pairs!r}.")
    if mode is not None and mode not in ("strict", "proxy"):
        raise SpecError(f"mode must be 'strict' or 'proxy'. Got {mode!r}.")
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int) or seed < 0
    ):
        raise SpecError(f"seed must be a non-negative integer. Got {seed!r}.")


def generate(
    spec: TwinSpec,
    n_pairs: int,
    *,
    mode: Mode | None = None,
    seed: int | None = None,
) -> Twins:
    """Generate ``n_pairs`` base profiles and clone each into its twins.

    Parameters
    ----------
    spec : TwinSpec
        What to generate.
    n_pairs : int
        Number of base profiles (pairs). The table has
        ``n_pairs * spec.n_variants`` rows.
    mode : {"strict", "proxy"}, optional
        Overrides ``spec.mode``: hold proxies at the base profile's value, or
        regenerate them for each twin. The base profiles are the same in both.
    seed : int, optional
        Overrides ``spec.seed``.

    Returns
    -------
    Twins

    Examples
    --------
    >>> from twinaudit.spec import Integer, ProtectedAttribute, TwinSpec
    >>> spec = TwinSpec(fields=[Integer("income", 30_000, 120_000)],
    ...                 protected=[ProtectedAttribute("gender", ["male", "female"],
    ...                                               "male")], seed=42)
    >>> twins = generate(spec, 3)
    >>> twins.frame["gender"].tolist()
    ['male', 'female', 'male', 'female', 'male', 'female']
    """
    _check_request(n_pairs, mode, seed)
    streams = Streams(spec.seed if seed is None else seed, n_total=int(n_pairs))
    return _twins_for_range(spec, 0, int(n_pairs), streams, mode or spec.mode)


def iter_twins(
    spec: TwinSpec,
    n_pairs: int,
    chunk_size: int = 100_000,
    *,
    mode: Mode | None = None,
    seed: int | None = None,
) -> Iterator[Twins]:
    """Generate twins in chunks of ``chunk_size`` pairs.

    Memory stays bounded by the chunk, and ``Twins.concat(list(iter_twins(...)))``
    equals ``generate(spec, n_pairs)`` for any chunk size.
    """
    _check_request(n_pairs, mode, seed)
    if (
        isinstance(chunk_size, bool)
        or not isinstance(chunk_size, int)
        or chunk_size < 1
    ):
        raise SpecError(f"chunk_size must be a positive integer. Got {chunk_size!r}.")
    streams = Streams(
        spec.seed if seed is None else seed, n_total=int(n_pairs), cache=True
    )
    for start in range(0, int(n_pairs), chunk_size):
        stop = min(start + chunk_size, int(n_pairs))
        yield _twins_for_range(spec, start, stop, streams, mode or spec.mode)


# -- implementation ------------------------------------------------------------------
def _protected_column(
    attribute: ProtectedAttribute, codes: np.ndarray
) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, categories=pd.Index(list(attribute.values)))


def _repeat(column: Column, m: int) -> Column:
    if isinstance(column, pd.Categorical):
        return pd.Categorical.from_codes(np.repeat(column.codes, m), dtype=column.dtype)
    if isinstance(column, FixedWidthText):
        return column.repeat(m)
    return np.repeat(column, m)


def _stack_by_value(columns: list[Column]) -> tuple[np.ndarray, Any]:
    """Stack per-value columns as ``(n_values, n)``; categoricals on shared codes."""
    categoricals = [c for c in columns if isinstance(c, pd.Categorical)]
    if len(categoricals) == len(columns):
        categories: dict[Any, int] = {}
        for c in categoricals:
            for cat in c.categories:
                categories.setdefault(cat, len(categories))
        stacked = []
        for c in categoricals:
            remap = np.array([categories[cat] for cat in c.categories], dtype=np.int32)
            stacked.append(remap[c.codes])
        return np.stack(stacked), pd.CategoricalDtype(pd.Index(list(categories)))
    arrays = [
        c.to_numpy()
        if isinstance(c, FixedWidthText)
        else np.asarray(c, dtype=object)
        if isinstance(c, pd.Categorical)
        else c
        for c in columns
    ]
    return np.stack(arrays), None


def _select(
    stacked: np.ndarray, dtype: Any, value_codes: np.ndarray, pair_index: np.ndarray
) -> Column:
    picked = stacked[value_codes, pair_index]
    if dtype is not None:
        return pd.Categorical.from_codes(picked, dtype=dtype)
    return picked


def _variant_grid(spec: TwinSpec) -> np.ndarray:
    """``(n_variants, n_varied)`` value codes of each combination, in row order."""
    ranges = [range(len(p.values)) for p in spec.varied]
    return np.array(list(itertools.product(*ranges)), dtype=np.int8).reshape(
        -1, len(ranges)
    )


def _twins_for_range(
    spec: TwinSpec, start: int, stop: int, streams: Streams, mode: Mode
) -> Twins:
    k = stop - start
    ctx = Context(streams, start, stop, spec.locale)
    base: dict[str, Column] = {}
    for field in spec.fields:
        if not isinstance(field, Derived):
            base[field.name] = sample(field, ctx, field_key(field.name))

    base_codes: dict[str, np.ndarray] = {}
    for attribute in spec.protected:
        codes = ctx.draw(
            stream_key("protected", attribute.name),
            _choice_codes(len(attribute.values), attribute.weights),
        )
        base_codes[attribute.name] = codes
        base[attribute.name] = _protected_column(attribute, codes)

    pairs = np.arange(k)
    by_value: dict[str, tuple[np.ndarray, Any]] = {}
    for proxy in spec.proxies:
        by_value[proxy.name] = _proxy_by_value(
            proxy, spec.attribute(proxy.attribute), ctx
        )
        stacked, dtype = by_value[proxy.name]
        base[proxy.name] = _select(stacked, dtype, base_codes[proxy.attribute], pairs)

    derived = {f.name: f for f in spec.fields if isinstance(f, Derived)}
    for name in spec.derived_order:
        base[name] = compute_derived(derived[name], base, k, spec.column_kinds)

    # Clone every base profile across the combinations of the varied attributes.
    grid = _variant_grid(spec)
    m = len(grid)
    pair_index = np.repeat(pairs, m) if spec.proxies and mode == "proxy" else None
    varied = [p.name for p in spec.varied]
    out: dict[str, Column] = {spec.pair_column: np.repeat(np.arange(start, stop), m)}
    row_codes: dict[str, np.ndarray] = {}
    for attribute in spec.protected:
        if attribute.name in varied:
            codes = np.tile(grid[:, varied.index(attribute.name)], k)
        else:
            codes = np.repeat(base_codes[attribute.name].astype(np.int8), m)
        row_codes[attribute.name] = codes
        out[attribute.name] = _protected_column(attribute, codes)
    for field in spec.fields:
        if not isinstance(field, Derived):
            out[field.name] = _repeat(base[field.name], m)
    moving = set(spec.moving_columns)
    for proxy in spec.proxies:
        if mode == "proxy" and proxy.attribute in varied:
            stacked, dtype = by_value[proxy.name]
            assert pair_index is not None
            out[proxy.name] = _select(
                stacked, dtype, row_codes[proxy.attribute], pair_index
            )
        else:
            out[proxy.name] = _repeat(base[proxy.name], m)
    for name in spec.derived_order:
        if mode == "proxy" and name in moving:
            out[name] = compute_derived(derived[name], out, k * m, spec.column_kinds)
        else:
            out[name] = _repeat(base[name], m)

    combo = np.zeros(k, dtype=np.int64)
    for attribute in spec.varied:
        combo = combo * len(attribute.values) + base_codes[attribute.name]
    factual = (np.arange(m)[None, :] == combo[:, None]).ravel()

    frame = pd.DataFrame({c: to_pandas(out[c]) for c in spec.columns}, copy=False)
    return Twins(
        frame,
        spec.protected,
        proxies=spec.proxy_columns,
        pair_column=spec.pair_column,
        varied=varied,
        spec=spec,
        factual=factual,
        validate=False,
    )


def _proxy_by_value(
    proxy: Proxy, attribute: ProtectedAttribute, ctx: Context
) -> tuple[np.ndarray, Any]:
    columns = [
        sample(
            proxy.field_for(value), ctx, stream_key("proxy", proxy.name, repr(value))
        )
        for value in attribute.values
    ]
    return _stack_by_value(columns)
