"""Turn one field into one column for a range of pairs, vectorised.

A column is a numpy array or, for text, a :class:`pandas.Categorical` (codes and
categories): repeating it across twins then copies small integer codes, not
millions of Python strings.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import pandas as pd

from twinaudit.exceptions import SpecError
from twinaudit.generation._mimesis import (
    call_provider,
    choice_pool,
)
from twinaudit.generation._streams import Streams, stream_key
from twinaudit.spec import (
    Categorical,
    Constant,
    Date,
    Derived,
    Field,
    Float,
    Identifier,
    Integer,
    LogNormal,
    Normal,
    Provider,
)
from twinaudit.spec._expressions import evaluate
from twinaudit.spec._limits import INT64_MAX, shown
from twinaudit.spec._providers import thaw_kwargs

if TYPE_CHECKING:
    Column: TypeAlias = np.ndarray | pd.Categorical[Any] | "FixedWidthText"
else:
    Column = object


@dataclass
class Context:
    """Where a field samples from: the streams, the range, the locale."""

    streams: Streams
    start: int
    stop: int
    locale: str

    @property
    def size(self) -> int:
        return self.stop - self.start

    def draw(self, key: tuple[int, ...], fn: Any) -> Any:
        return self.streams.draw(key, self.start, self.stop, fn)


def field_key(name: str) -> tuple[int, ...]:
    return stream_key("field", name)


@functools.singledispatch
def sample(field: Field, ctx: Context, key: tuple[int, ...]) -> Column:
    raise TypeError(f"cannot sample a {type(field).__name__}")  # pragma: no cover


def _rounded(values: np.ndarray, ndigits: int | None) -> np.ndarray:
    return values if ndigits is None else np.round(values, ndigits)


@sample.register
def _(field: Integer, ctx: Context, key: tuple[int, ...]) -> Column:
    low, high = field.low, field.high
    return ctx.draw(
        key,
        lambda rng, k: rng.integers(low, high, size=k, dtype=np.int64, endpoint=True),
    )


@sample.register
def _(field: Float, ctx: Context, key: tuple[int, ...]) -> Column:
    values = ctx.draw(key, lambda rng, k: rng.random(k))
    return _rounded(field.low + (field.high - field.low) * values, field.round)


def _normal(
    mean: float, std: float, low: float | None, high: float | None, u: np.ndarray
) -> np.ndarray:
    from scipy.stats import truncnorm

    a = -np.inf if low is None else (low - mean) / std
    b = np.inf if high is None else (high - mean) / std
    return np.asarray(truncnorm.ppf(u, a, b, loc=mean, scale=std), dtype=float)


@sample.register
def _(field: Normal, ctx: Context, key: tuple[int, ...]) -> Column:
    if field.low is None and field.high is None:
        values = ctx.draw(key, lambda rng, k: rng.normal(field.mean, field.std, k))
    else:
        u = ctx.draw(key, lambda rng, k: rng.random(k))
        values = _normal(field.mean, field.std, field.low, field.high, u)
    return _finish_normal(field, values)


@sample.register
def _(field: LogNormal, ctx: Context, key: tuple[int, ...]) -> Column:
    if field.low is None and field.high is None:
        log = ctx.draw(key, lambda rng, k: rng.normal(field.mean, field.std, k))
    else:
        u = ctx.draw(key, lambda rng, k: rng.random(k))
        log = _normal(
            field.mean,
            field.std,
            None if field.low is None else float(np.log(field.low)),
            None if field.high is None else float(np.log(field.high)),
            u,
        )
    values = np.exp(log)
    if field.low is not None or field.high is not None:
        # exp(log(x)) may land a rounding error outside the bounds.
        values = np.clip(values, field.low, field.high)
    return _finish_normal(field, values)


def _finish_normal(field: Normal, values: np.ndarray) -> np.ndarray:
    values = _rounded(values, field.round)
    if not np.isfinite(values).all():  # pragma: no cover - bounded at construction
        raise SpecError(f"{field.where}: draws overflowed 64-bit floats.")
    if field.integer:
        values = np.rint(values)
        if not ((values >= -(2.0**63)) & (values < 2.0**63)).all():
            raise SpecError(  # pragma: no cover - bounded at construction
                f"{field.where}: draws left the 64-bit integer range."
            )
        return values.astype(np.int64)
    return values


def _choice_codes(n: int, weights: Sequence[float] | None) -> Any:
    if weights is None:
        return lambda rng, k: rng.integers(0, n, size=k, dtype=np.int64)
    p = np.asarray(weights, dtype=float)
    p = p / p.sum()
    return lambda rng, k: rng.choice(n, size=k, p=p)


def _from_choices(choices: tuple[Any, ...], codes: np.ndarray) -> Column:
    if all(isinstance(c, str) for c in choices):
        return pd.Categorical.from_codes(codes, categories=pd.Index(list(choices)))
    values = np.asarray(choices)
    mixed_bools = any(isinstance(c, bool) for c in choices) and not all(
        isinstance(c, bool) for c in choices
    )
    if values.dtype.kind in "iufb" and not mixed_bools:
        return values[codes]
    out = np.empty(len(choices), dtype=object)
    out[:] = list(choices)
    return out[codes]


@sample.register
def _(field: Categorical, ctx: Context, key: tuple[int, ...]) -> Column:
    codes = ctx.draw(key, _choice_codes(len(field.choices), field.weights))
    return _from_choices(tuple(field.choices), codes)


@sample.register
def _(field: Provider, ctx: Context, key: tuple[int, ...]) -> Column:
    locale = field.locale or ctx.locale
    pool = choice_pool(field.group, field.method, field.kwargs, locale)
    if pool is not None:
        categories, index_map = pool
        n = len(index_map)
        codes = ctx.draw(
            key, lambda rng, k: index_map[rng.integers(0, n, size=k, dtype=np.int64)]
        )
        return pd.Categorical.from_codes(codes, dtype=_pool_dtype(categories))
    values = ctx.draw(
        key,
        lambda rng, k: call_provider(
            field.group, field.method, thaw_kwargs(field.kwargs), locale, rng, k
        ),
    )
    return _objects(values)


_POOL_DTYPES: dict[int, tuple[Sequence[str], pd.CategoricalDtype]] = {}


def _pool_dtype(categories: Sequence[str]) -> pd.CategoricalDtype:
    """One dtype object per provider pool (the pool's categories are cached by
    :func:`choice_pool`), so columns from one pool share it and stacking them per
    protected value does not compare thousands of names again."""
    found = _POOL_DTYPES.get(id(categories))
    if found is None or found[0] is not categories:
        if len(_POOL_DTYPES) > 2048:
            _POOL_DTYPES.clear()
        found = (categories, pd.CategoricalDtype(pd.Index(list(categories))))
        _POOL_DTYPES[id(categories)] = found
    return found[1]


def _objects(values: Any) -> Column:
    # Categories must not depend on the data drawn (or chunks would disagree on
    # the dtype), so per-row text stays plain strings.
    array = np.empty(len(values), dtype=object)
    array[:] = list(values)
    return array


@sample.register
def _(field: Date, ctx: Context, key: tuple[int, ...]) -> Column:
    start = np.datetime64(field.start, "D").astype(np.int64)
    end = np.datetime64(field.end, "D").astype(np.int64)
    days = ctx.draw(key, lambda rng, k: rng.integers(start, end, size=k, endpoint=True))
    return days.astype("datetime64[D]")


@sample.register
def _(field: Constant, ctx: Context, key: tuple[int, ...]) -> Column:
    value = field.value
    if isinstance(value, str):
        return pd.Categorical.from_codes(
            np.zeros(ctx.size, dtype=np.int8), categories=pd.Index([value])
        )
    # The value's own type: 7 stays an integer, True a boolean, a date a date.
    dtype: Any = object
    if isinstance(value, bool):
        dtype = np.bool_
    elif isinstance(value, int):
        dtype = np.int64
    elif isinstance(value, float):
        dtype = np.float64
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        dtype = "datetime64[D]"
    values = np.empty(ctx.size, dtype=dtype)
    if dtype is object:
        values[:] = [value] * ctx.size
    else:
        values[:] = value
    return values


@dataclass(frozen=True)
class FixedWidthText:
    """Strings of one width as an ``(n, width)`` byte matrix.

    Repeating rows across twins is a plain ``np.repeat`` of bytes; the column becomes
    an Arrow-backed pandas string array once, when the table is assembled, without a
    Python object per row.
    """

    chars: np.ndarray

    def __len__(self) -> int:
        return len(self.chars)

    def repeat(self, m: int) -> FixedWidthText:
        return FixedWidthText(np.repeat(self.chars, m, axis=0))

    def to_pandas(self) -> Any:
        import pyarrow as pa

        n, width = self.chars.shape
        offsets = np.arange(0, width * (n + 1), width, dtype=np.int64)
        strings = pa.LargeStringArray.from_buffers(
            n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(self.chars))
        )
        return pd.array(
            strings.cast(pa.string()) if n * width < 2**31 else strings, dtype="str"
        )

    def to_numpy(self) -> np.ndarray:
        return np.asarray(self.to_pandas(), dtype=object)


def _hex_quads() -> np.ndarray:
    """For every 16-bit value (two bytes, little-endian), its four lowercase hex
    digits packed into one uint32 in output order."""
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8).astype(np.uint32)
    value = np.arange(65536, dtype=np.uint32)
    first, second = value & 0xFF, value >> 8
    return (
        digits[first >> 4]
        | (digits[first & 0x0F] << 8)
        | (digits[second >> 4] << 16)
        | (digits[second & 0x0F] << 24)
    )


_HEX_QUADS = _hex_quads()
# The 32 hex digits of a UUID, and its 36-character text, as fields.
_DIGITS = np.dtype(
    {
        "names": ["head", "middle", "third", "tail"],
        "formats": ["<u8", "<u8", "<u4", "V12"],
        "offsets": [0, 8, 16, 20],
        "itemsize": 32,
    }
)
_TEXT = np.dtype(
    {
        "names": ["head", "middle_lo", "middle_hi", "tail"],
        "formats": ["<u8", "<u8", "<u8", "V12"],
        "offsets": [0, 8, 16, 24],
        "itemsize": 36,
    }
)
_DASH = np.uint64(ord("-"))


def uuid4_text(raw: np.ndarray) -> FixedWidthText:
    """Version-4 UUIDs (Mimesis's ``cryptographic.uuid`` format) from an ``(n, 16)``
    array of random bytes.

    Hex digits come from one table lookup per two bytes; the dashes are put in with
    shifts on 64-bit words (text bytes 8-23 are ``-gggg-gggg-gggg-``).
    """
    raw = raw.copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    n = len(raw)
    digits = _HEX_QUADS[raw.view(np.uint16)].view(_DIGITS).reshape(n)
    middle = digits["middle"]  # digits 8-15: groups two and three
    third = digits["third"].astype(np.uint64)  # digits 16-19: group four
    low = (middle & np.uint64(0xFFFFFFFF)) << np.uint64(8)
    low |= (middle >> np.uint64(32)) << np.uint64(48)
    low |= _DASH | (_DASH << np.uint64(40))
    high = middle >> np.uint64(48)
    high |= third << np.uint64(24)
    high |= (_DASH << np.uint64(16)) | (_DASH << np.uint64(56))
    text = np.empty(n, dtype=_TEXT)
    text["head"] = digits["head"]
    text["middle_lo"] = low
    text["middle_hi"] = high
    text["tail"] = digits["tail"]
    return FixedWidthText(text.view(np.uint8).reshape(n, 36))


@sample.register
def _(field: Identifier, ctx: Context, key: tuple[int, ...]) -> Column:
    if field.format == "int":
        if ctx.stop - 1 + field.start > INT64_MAX:
            raise SpecError(
                f"{field.where}: IDs from start={field.start:,} for {ctx.stop:,} "
                "pairs go past the largest 64-bit integer; use a smaller 'start'."
            )
        return np.arange(
            ctx.start + field.start, ctx.stop + field.start, dtype=np.int64
        )
    raw = ctx.draw(
        key,
        lambda rng, k: np.frombuffer(rng.bytes(16 * k), dtype=np.uint8).reshape(k, 16),
    )
    return uuid4_text(raw)


def compute_derived(
    field: Derived,
    columns: Mapping[str, Column],
    size: int,
    kinds: Mapping[str, str] | None = None,
) -> Column:
    """Evaluate a derived field over already generated columns.

    ``kinds`` are the spec's column kinds (:attr:`TwinSpec.column_kinds`). A
    value an expression cannot compute (an overflow, a division by zero) is an
    :class:`~twinaudit.exceptions.ExpressionValueError`; a Python function that
    raises, or returns the wrong number of values, a :class:`SpecError` naming
    the field.
    """
    env = {name: _plain(columns[name]) for name in field.depends_on}
    if field.tree is not None:
        values = evaluate(field.tree, env, kinds=kinds, where=field.where, size=size)
    else:
        assert callable(field.expression)
        try:
            result = field.expression(env)
            values = np.asarray(result)
        except Exception as exc:
            raise SpecError(
                f"{field.where}: the Python function computing it raised "
                f"{type(exc).__name__}: {shown(str(exc), 200)}. Fix the function; it "
                f"receives a dict of numpy arrays with the columns {list(env)}."
            ) from exc
    if values.ndim == 0:
        values = np.full(size, values)
    if values.shape != (size,):
        raise SpecError(
            f"{field.where}: the expression gave {values.shape} values for {size} "
            "rows; it must give one value per row."
        )
    if field.round is not None:
        if values.dtype.kind not in "biuf":
            raise SpecError(
                f"{field.where}: 'round' needs numbers, but the field gives "
                f"{values.dtype} values; remove 'round' or compute a number."
            )
        with np.errstate(all="ignore"):
            values = np.round(values.astype(float), field.round)
    if values.dtype.kind == "U":
        return values.astype(object)
    return values


def _plain(column: Column) -> np.ndarray:
    if isinstance(column, pd.Categorical):
        return np.asarray(column, dtype=object)
    if isinstance(column, FixedWidthText):
        return column.to_numpy()
    return column


def to_pandas(column: Column) -> Any:
    """The column as pandas stores it."""
    if isinstance(column, FixedWidthText):
        return column.to_pandas()
    return column
