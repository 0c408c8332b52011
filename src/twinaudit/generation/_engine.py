"""Generate twins from a :class:`TwinSpec`: one shot or in chunks."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from twinaudit.exceptions import MemoryLimitError, SpecError
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
from twinaudit.spec._limits import is_integer, shown

__all__ = ["generate", "iter_twins"]


def _check_spec(spec: object, call: str) -> None:
    if not isinstance(spec, TwinSpec):
        raise SpecError(
            f"{call} needs a TwinSpec as its first argument. Got "
            f"{type(spec).__name__} {shown(spec)}; build one with TwinSpec(...), "
            "load_spec('spec.yaml') or spec_from_dict({...})."
        )


def _check_request(n_pairs: object, mode: object, seed: object) -> None:
    if (
        isinstance(n_pairs, bool)
        or not isinstance(n_pairs, int | np.integer)
        or n_pairs < 1
    ):
        raise SpecError(f"n_pairs must be a positive integer. Got {shown(n_pairs)}.")
    if mode is not None and mode not in ("strict", "proxy"):
        raise SpecError(f"mode must be 'strict' or 'proxy'. Got {mode!r}.")
    if seed is not None and (not is_integer(seed) or seed < 0):  # type: ignore[operator]
        raise SpecError(f"seed must be a non-negative integer. Got {shown(seed)}.")


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
    _check_spec(spec, "generate")
    _check_request(n_pairs, mode, seed)
    check_memory(spec, int(n_pairs), f"generate(spec, {int(n_pairs):,})")
    streams = Streams(spec.seed if seed is None else int(seed), n_total=int(n_pairs))
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
    equals ``generate(spec, n_pairs)`` for any chunk size. Arguments are checked
    when it is called; chunks are generated as they are consumed.
    """
    _check_spec(spec, "iter_twins")
    _check_request(n_pairs, mode, seed)
    if (
        isinstance(chunk_size, bool)
        or not isinstance(chunk_size, int | np.integer)
        or chunk_size < 1
    ):
        raise SpecError(f"chunk_size must be a positive integer. Got {chunk_size!r}.")
    check_memory(
        spec,
        min(int(chunk_size), int(n_pairs)),
        f"iter_twins(spec, {int(n_pairs):,}, chunk_size={int(chunk_size):,})",
        chunked=True,
    )
    return _chunks(spec, int(n_pairs), int(chunk_size), mode, seed)


def _chunks(
    spec: TwinSpec, n_pairs: int, chunk_size: int, mode: Mode | None, seed: int | None
) -> Iterator[Twins]:
    streams = Streams(
        spec.seed if seed is None else int(seed), n_total=n_pairs, cache=True
    )
    for start in range(0, n_pairs, chunk_size):
        stop = min(start + chunk_size, n_pairs)
        yield _twins_for_range(spec, start, stop, streams, mode or spec.mode)


# -- memory ---------------------------------------------------------------------------
#: Bytes a text value held as a Python string costs besides its pointer (a
#: typical name, e-mail or sentence fragment).
_TEXT_BYTES = 64
#: Peak memory of a one-shot generation over the finished table: base profiles,
#: the repeated columns and the assembled frame briefly coexist.
_PEAK = 2.0


def row_bytes(spec: TwinSpec) -> int:
    """About how many bytes one row of ``spec``'s twins takes in memory, from the
    columns' kinds (8 for a number or date, 1 for a boolean or a category code,
    a pointer plus a typical string for text held per row)."""
    from twinaudit.spec import Categorical, Constant, Identifier, Provider

    kinds = spec.column_kinds
    total = 8 + 1  # pair id, factual flag
    total += len(spec.protected)  # category codes
    pooled_text = 4
    for f in spec.fields:
        kind = kinds.get(f.name, "object")
        if isinstance(f, Categorical | Constant) and kind == "str":
            total += 1
        elif isinstance(f, Identifier) and f.format == "uuid":
            total += 36 + 8
        elif isinstance(f, Provider) and kind == "str":
            total += pooled_text + 8 + _TEXT_BYTES  # a pool or one string per row
        elif kind in ("int", "float", "date"):
            total += 8
        elif kind == "bool":
            total += 1
        else:
            total += 8 + _TEXT_BYTES
    for proxy in spec.proxies:
        total += 8 + _TEXT_BYTES if proxy.provider else 4
    return total


def available_memory() -> int | None:
    """Bytes this process can still allocate, as far as the platform says: the
    smallest of the memory available to the system (``MemAvailable``), the
    container's limit (cgroup) and the address-space limit (``RLIMIT_AS``), else
    the physical memory (``sysconf``). ``None`` when nothing is known."""
    found: list[int] = []
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        try:
            with open(limit_file, encoding="ascii") as handle:
                text = handle.read().strip()
            if text.isdigit() and int(text) < 2**60:
                with open(usage_file, encoding="ascii") as handle:
                    used = int(handle.read().strip())
                found.append(max(int(text) - used, 0))
        except (OSError, ValueError):
            pass
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            found.append(max(soft - _address_space(), 0))
    except (ImportError, OSError, ValueError):  # pragma: no cover - not POSIX
        pass
    if not found:
        try:
            found.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (AttributeError, ValueError, OSError):  # pragma: no cover - Windows
            return None
    return min(found)


def _address_space() -> int:
    """This process's virtual size (what ``RLIMIT_AS`` counts), 0 if unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _size(n: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    raise AssertionError  # pragma: no cover


def check_memory(
    spec: TwinSpec, n_pairs: int, call: str, *, chunked: bool = False
) -> None:
    """Refuse, before anything is allocated, a table that cannot fit in memory."""
    fix = (
        "Pass a smaller chunk_size (100,000 pairs is the default)."
        if chunked
        else "Generate in chunks instead: iter_twins(spec, n_pairs, chunk_size="
        "100_000) yields tables of bounded size to audit or write one by one, and "
        "`twinaudit generate SPEC -n N -o FILE` writes chunks to a file."
    )
    check_rows_memory(n_pairs * spec.n_variants, row_bytes(spec), call, fix)


def check_rows_memory(rows: int, per_row: int, call: str, fix: str) -> None:
    """Raise :class:`MemoryLimitError` when ``rows`` rows of ``per_row`` bytes
    (times the peak factor of building them) exceed the memory available."""
    available = available_memory()
    if available is None:
        return
    need = rows * per_row * _PEAK
    if need <= available:
        return
    raise MemoryLimitError(
        f"{call} would build {rows:,} rows of about {per_row} bytes each, "
        f"needing about {_size(need)} of memory while generating; about "
        f"{_size(available)} is available. {fix}"
    )


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
        # Columns drawn from one pool share one dtype object: merge and remap each
        # distinct category list once, not once per value (an attribute may have
        # thousands of values, a pool thousands of names).
        categories: dict[Any, int] = {}
        remaps: dict[int, np.ndarray] = {}
        for c in categoricals:
            if id(c.dtype) in remaps:
                continue
            cats = c.categories.tolist()
            for cat in cats:
                categories.setdefault(cat, len(categories))
            remaps[id(c.dtype)] = np.fromiter(
                (categories[cat] for cat in cats), dtype=np.int32, count=len(cats)
            )
        stacked = [remaps[id(c.dtype)][c.codes] for c in categoricals]
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


def _code_dtype(n_values: int) -> type[np.signedinteger[Any]]:
    """The smallest integer type holding codes ``0 .. n_values - 1``."""
    if n_values <= 2**7:
        return np.int8
    return np.int16 if n_values <= 2**15 else np.int32


def _variant_grid(spec: TwinSpec) -> np.ndarray:
    """``(n_variants, n_varied)`` value codes of each combination, in row order."""
    ranges = [range(len(p.values)) for p in spec.varied]
    most = max((len(p.values) for p in spec.protected), default=1)
    return np.array(list(itertools.product(*ranges)), dtype=_code_dtype(most)).reshape(
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
            codes = np.repeat(
                base_codes[attribute.name].astype(_code_dtype(len(attribute.values))),
                m,
            )
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
    # Row p * m + combo[p] is profile p's factual twin (a scatter: comparing a
    # (k, m) grid row by row is several times slower for few variants).
    factual = np.zeros(k * m, dtype=bool)
    factual[np.arange(0, k * m, m) + combo] = True

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
