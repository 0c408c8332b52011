"""Fields: the non-protected columns of a twin profile.

Every field is a frozen dataclass validated at construction; the sampling code in
:mod:`twinaudit.generation` turns it into a column. ``kind`` is the key used in spec
files (``{kind: integer, name: age, low: 18, high: 75}``).
"""

from __future__ import annotations

import ast
import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np

from twinaudit.exceptions import SpecError
from twinaudit.spec._expressions import parse_expression
from twinaudit.spec._frozen import FrozenDict, freeze
from twinaudit.spec._limits import (
    MAX_NAME_LENGTH,
    MAX_ROUND_DIGITS,
    check_int64,
    is_integer,
    is_real,
    plain,
    shown,
)
from twinaudit.spec._providers import check_locale, coerce_kwargs, resolve_method

__all__ = [
    "Categorical",
    "Constant",
    "Date",
    "Derived",
    "Field",
    "Float",
    "Identifier",
    "Integer",
    "LogNormal",
    "Normal",
    "Provider",
]


class _Missing:
    """The default of a required parameter, so that leaving it out is a
    :class:`SpecError` naming it rather than a ``TypeError`` or a silent default."""

    def __repr__(self) -> str:
        return "<required>"


MISSING: Any = _Missing()


def check_name(name: object, what: str = "field") -> str:
    if not isinstance(name, str) or not name.strip():
        raise SpecError(
            f"A {what} needs a non-empty string name. Got {shown(name)} instead."
        )
    if len(name) > MAX_NAME_LENGTH:
        raise SpecError(
            f"A {what} name may be at most {MAX_NAME_LENGTH} characters long. Got "
            f"{shown(name)}; use a shorter name."
        )
    return name


def _require(obj: Any, *names: str, hint: str = "") -> None:
    for name in names:
        if getattr(obj, name) is MISSING:
            raise SpecError(f"{obj.where}: {name!r} is required.{hint}")


def _check_number(value: object, what: str, where: str) -> float:
    """A finite int or float (numpy scalars accepted, booleans refused), returned as
    the Python number it holds."""
    if not is_real(value):
        raise SpecError(
            f"{where}: {what} must be a number. Got {shown(value)} instead."
        )
    value = plain(value)
    assert isinstance(value, int | float)
    if isinstance(value, int):
        return check_int64(value, what, where)
    if not math.isfinite(value):
        raise SpecError(f"{where}: {what} must be finite. Got {value!r} instead.")
    return value


def _check_integer(value: object, what: str, where: str, hint: str = ".") -> int:
    """An int64 integer (numpy integers accepted, booleans refused) as a Python int."""
    if not is_integer(value):
        raise SpecError(
            f"{where}: {what} must be an integer. Got {shown(value)} instead{hint}"
        )
    return check_int64(int(plain(value)), what, where)


def _check_bool(value: object, what: str, where: str) -> bool:
    import numpy as np

    if not isinstance(value, bool | np.bool_):
        raise SpecError(
            f"{where}: {what} must be true or false. Got {shown(value)} instead."
        )
    return bool(value)


def _check_round(value: object, where: str) -> int | None:
    if value is None:
        return None
    if not is_integer(value) or not -MAX_ROUND_DIGITS <= plain(value) <= (
        MAX_ROUND_DIGITS
    ):
        raise SpecError(
            f"{where}: 'round' is a number of decimals (an integer from "
            f"-{MAX_ROUND_DIGITS} to {MAX_ROUND_DIGITS}; -3 rounds to thousands). "
            f"Got {shown(value)} instead."
        )
    return int(plain(value))


def _check_bounds(
    low: float | None, high: float | None, where: str, strict: bool = True
) -> None:
    if low is not None and high is not None and (low >= high if strict else low > high):
        op = "below" if strict else "at most"
        raise SpecError(
            f"{where}: 'low' must be {op} 'high'. Got low={low!r}, high={high!r}; "
            "swap them or widen the range."
        )


def _set(obj: Any, **values: Any) -> None:
    for name, value in values.items():
        object.__setattr__(obj, name, value)


@dataclass(frozen=True)
class Field:
    """Base class of every field. ``name`` is the output column."""

    name: str
    kind: ClassVar[str] = ""

    def __post_init__(self) -> None:
        check_name(self.name)

    @property
    def where(self) -> str:
        return f"field {self.name!r}"

    @property
    def depends_on(self) -> tuple[str, ...]:
        """Columns this field is computed from (empty for sampled fields)."""
        return ()


@dataclass(frozen=True)
class Integer(Field):
    """Integers drawn uniformly from ``low`` to ``high``, both included.

    Examples
    --------
    >>> Integer("age", 18, 75)
    Integer(name='age', low=18, high=75)
    """

    low: int = MISSING
    high: int = MISSING
    kind: ClassVar[str] = "integer"

    def __post_init__(self) -> None:
        super().__post_init__()
        _require(self, "low", "high", hint=" Give the smallest and largest value.")
        for what in ("low", "high"):
            value = _check_integer(
                getattr(self, what),
                f"{what!r} of an integer field",
                self.where,
                hint="; use Float for decimals.",
            )
            _set(self, **{what: value})
        _check_bounds(self.low, self.high, self.where, strict=False)


@dataclass(frozen=True)
class Float(Field):
    """Floats drawn uniformly from ``[low, high)``, optionally rounded.

    ``round`` is a number of decimals as in Python's :func:`round`: ``2`` keeps
    cents, ``-3`` rounds to thousands.
    """

    low: float = MISSING
    high: float = MISSING
    round: int | None = None
    kind: ClassVar[str] = "float"

    def __post_init__(self) -> None:
        super().__post_init__()
        _require(self, "low", "high", hint=" Give the range's two ends.")
        _set(
            self,
            low=_check_number(self.low, "'low'", self.where),
            high=_check_number(self.high, "'high'", self.where),
        )
        _check_bounds(self.low, self.high, self.where)
        if not math.isfinite(float(self.high) - float(self.low)):
            raise SpecError(
                f"{self.where}: the range from {self.low!r} to {self.high!r} is too "
                "wide for 64-bit floats; narrow it."
            )
        _set(self, round=_check_round(self.round, self.where))


@dataclass(frozen=True)
class Normal(Field):
    """Normal draws with ``mean`` and ``std``; truncated to ``[low, high]`` when
    either bound is given (exactly, by inverse CDF, not by clipping).

    ``integer=True`` rounds to whole numbers and stores integers.
    """

    mean: float = MISSING
    std: float = MISSING
    low: float | None = None
    high: float | None = None
    round: int | None = None
    integer: bool = False
    kind: ClassVar[str] = "normal"

    #: Draws further than this many standard deviations from the mean never
    #: happen in practice (probability below 1e-23); ranges are checked to this.
    SIGMAS: ClassVar[float] = 10.0

    def __post_init__(self) -> None:
        super().__post_init__()
        _require(self, "mean", "std", hint=self._required_hint)
        _set(
            self,
            mean=_check_number(self.mean, "'mean'", self.where),
            std=_check_number(self.std, "'std'", self.where),
        )
        if self.std <= 0:
            raise SpecError(f"{self.where}: 'std' must be positive. Got {self.std!r}.")
        for what in ("low", "high"):
            if getattr(self, what) is not None:
                _set(
                    self,
                    **{
                        what: _check_number(getattr(self, what), repr(what), self.where)
                    },
                )
        _check_bounds(self.low, self.high, self.where)
        _set(self, round=_check_round(self.round, self.where))
        _set(self, integer=_check_bool(self.integer, "'integer'", self.where))
        self._check_range()

    _required_hint: ClassVar[str] = " Give the distribution's mean and std."

    def _reach(self) -> tuple[float, float]:
        """The range draws can take (bounds, or mean +- SIGMAS std)."""
        spread = self.SIGMAS * float(self.std)
        low = float(self.mean) - spread if self.low is None else float(self.low)
        high = float(self.mean) + spread if self.high is None else float(self.high)
        return low, high

    def _check_range(self) -> None:
        low, high = self._reach()
        if not (math.isfinite(low) and math.isfinite(high)):
            raise SpecError(
                f"{self.where}: draws with mean={self.mean!r} and std={self.std!r} "
                "overflow 64-bit floats; use a smaller mean or std, or give low and "
                "high."
            )
        if self.integer and not (low > -(2.0**63) and high < 2.0**63):
            raise SpecError(
                f"{self.where}: an integer field's values must fit in a 64-bit "
                f"integer, but draws reach {low:.3g} to {high:.3g}; give 'low' and "
                "'high' within +-9.2e18 or use a smaller mean or std."
            )


@dataclass(frozen=True)
class LogNormal(Normal):
    """Log-normal draws: ``exp`` of a normal with ``mean`` and ``std`` (the
    parameters of the logarithm, as in :meth:`numpy.random.Generator.lognormal`).
    ``low``/``high`` truncate on the original scale and must be positive.
    """

    kind: ClassVar[str] = "lognormal"
    _required_hint: ClassVar[str] = (
        " Give the mean and std of the logarithm (numpy's parameters)."
    )

    def __post_init__(self) -> None:
        for what in ("low", "high"):
            value = getattr(self, what)
            if is_real(value) and value <= 0:
                raise SpecError(
                    f"{self.where}: {what!r} of a log-normal field must be positive. "
                    f"Got {value!r}."
                )
        super().__post_init__()

    def _reach(self) -> tuple[float, float]:
        spread = self.SIGMAS * float(self.std)
        with np.errstate(over="ignore"):
            low = (
                float(np.exp(float(self.mean) - spread))
                if self.low is None
                else float(self.low)
            )
            high = (
                float(np.exp(float(self.mean) + spread))
                if self.high is None
                else float(self.high)
            )
        return low, high


@dataclass(frozen=True)
class Categorical(Field):
    """One of ``choices``, uniformly or with ``weights`` (normalised for you).

    Examples
    --------
    >>> Categorical("housing", ["own", "rent", "free"], weights=[0.6, 0.3, 0.1])
    ... # doctest: +ELLIPSIS
    Categorical(name='housing', choices=('own', 'rent', 'free'), ...)
    """

    choices: Sequence[Any] = MISSING
    weights: Sequence[float] | None = None
    kind: ClassVar[str] = "categorical"

    def __post_init__(self) -> None:
        super().__post_init__()
        _require(self, "choices", hint=" List the values to draw from.")
        choices = (
            tuple(self.choices)
            if isinstance(self.choices, Sequence | np.ndarray)
            and not isinstance(self.choices, str)
            else ()
        )
        if len(choices) == 0:
            raise SpecError(
                f"{self.where}: 'choices' must be a non-empty list of values. "
                f"Got {shown(self.choices)}."
            )
        _set(self, choices=check_values(choices, "'choices'", self.where))
        _set(self, weights=check_weights(self.weights, len(choices), self.where))


def check_values(values: Sequence[Any], what: str, where: str) -> tuple[Any, ...]:
    """Scalar values (text, int64 integers, finite floats, booleans; numpy scalars
    become Python ones), no two of them equal.

    ``1``, ``1.0`` and ``True`` are equal in Python, numpy and pandas, which would
    merge them into one category; they are refused rather than silently merged.
    """
    out = []
    for v in values:
        v = plain(v)
        if isinstance(v, bool | str):
            pass
        elif isinstance(v, int):
            check_int64(v, f"every value of {what}", where)
        elif isinstance(v, float):
            if not math.isfinite(v):
                raise SpecError(
                    f"{where}: {what} must be finite numbers, text or booleans. "
                    f"Got {v!r}."
                )
        else:
            raise SpecError(
                f"{where}: {what} must be text, numbers or booleans. Got {shown(v)}."
            )
        out.append(v)
    seen: dict[Any, Any] = {}
    for v in out:
        if v in seen:
            first = seen[v]
            if type(first) is type(v):
                raise SpecError(f"{where}: {what} has duplicates: {shown(out, 200)}.")
            raise SpecError(
                f"{where}: {what} holds {first!r} and {v!r}, which are equal in "
                f"Python, numpy and pandas ({first!r} == {v!r}) and would be merged. "
                "Use values that differ, for example text ('1', 'True')."
            )
        seen[v] = v
    return tuple(out)


def check_weights(
    weights: Sequence[float] | None, n: int, where: str
) -> tuple[float, ...] | None:
    if weights is None:
        return None
    if isinstance(weights, str) or not isinstance(weights, Sequence):
        raise SpecError(
            f"{where}: 'weights' must be a list of numbers. Got {shown(weights)}."
        )
    weights = tuple(weights)
    if len(weights) != n:
        raise SpecError(
            f"{where}: 'weights' needs one weight per value ({n}). "
            f"Got {len(weights)}: {shown(list(weights), 200)}."
        )
    weights = tuple(_check_number(w, "every weight", where) for w in weights)
    for w in weights:
        if w < 0:
            raise SpecError(f"{where}: weights must be non-negative. Got {w!r}.")
    total = math.fsum(weights)
    if total <= 0:
        raise SpecError(f"{where}: weights must not all be zero.")
    if not math.isfinite(total):
        raise SpecError(f"{where}: the weights' sum overflows; use smaller weights.")
    return weights


@dataclass(frozen=True)
class Provider(Field):
    """A Mimesis provider by name, with its keyword arguments.

    Strings are converted to the Mimesis enums the method expects
    (``gender="female"`` becomes ``Gender.FEMALE``). ``locale`` overrides the
    spec's locale for this field.

    Examples
    --------
    >>> Provider("job", "person.occupation")
    Provider(name='job', provider='person.occupation', kwargs={}, locale=None)
    """

    provider: str = MISSING
    kwargs: Mapping[str, Any] = field(default_factory=FrozenDict)
    locale: str | None = None
    kind: ClassVar[str] = "provider"

    def __post_init__(self) -> None:
        super().__post_init__()
        _require(self, "provider", hint=" Name it as 'group.method'.")
        group, method = resolve_method(self.provider, self.where)
        if not isinstance(self.kwargs, Mapping):
            raise SpecError(
                f"{self.where}: 'kwargs' must be a mapping of argument names to "
                f"values. Got {shown(self.kwargs)}."
            )
        if self.locale is not None:
            check_locale(self.locale, self.where)
        object.__setattr__(
            self,
            "kwargs",
            FrozenDict(coerce_kwargs(group, method, self.kwargs, self.where)),
        )

    @property
    def group(self) -> str:
        return self.provider.split(".")[0]

    @property
    def method(self) -> str:
        return self.provider.split(".")[1]


@dataclass(frozen=True)
class Date(Field):
    """Dates drawn uniformly from ``start`` to ``end``, both included.

    Vectorised; prefer it to ``Provider(..., "datetime.date")``, which calls
    Mimesis once per row.
    """

    start: dt.date = MISSING
    end: dt.date = MISSING
    kind: ClassVar[str] = "date"

    def __post_init__(self) -> None:
        super().__post_init__()
        _require(self, "start", "end", hint=" Give the first and last date.")
        for what in ("start", "end"):
            _set(
                self, **{what: check_date(getattr(self, what), repr(what), self.where)}
            )
        if self.start > self.end:
            raise SpecError(
                f"{self.where}: 'start' must not be after 'end'. Got "
                f"start={self.start.isoformat()}, end={self.end.isoformat()}."
            )


def check_date(value: object, what: str, where: str) -> dt.date:
    """A :class:`datetime.date` from a date or its ISO text (``"2020-02-29"``)."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise SpecError(
                f"{where}: {what} must be a date (YYYY-MM-DD). Got {shown(value)}. "
                f"({exc}; write a date that exists, e.g. 2020-02-29.)"
            ) from exc
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise SpecError(
            f"{where}: {what} must be a date (YYYY-MM-DD). Got {shown(value)}."
        )
    return value


@dataclass(frozen=True)
class Derived(Field):
    """A column computed from other columns.

    ``expression`` is a string over column names (see
    :data:`twinaudit.spec.EXPRESSION_FUNCTIONS`) or a Python callable taking a
    ``dict`` of numpy arrays; a callable must list ``depends_on`` and cannot be
    saved to a spec file. A derived field that uses a protected attribute or a proxy
    moves with it, like a proxy.

    Examples
    --------
    >>> Derived("debt_ratio", "round(debt / income, 3)").depends_on
    ('debt', 'income')
    """

    expression: str | Callable[[Mapping[str, Any]], Any] = MISSING
    columns: Sequence[str] | None = None
    round: int | None = None
    kind: ClassVar[str] = "derived"

    def __post_init__(self) -> None:
        super().__post_init__()
        _require(self, "expression", hint=" Write it over column names, e.g. 'a + b'.")
        _set(self, round=_check_round(self.round, self.where))
        if isinstance(self.expression, str):
            if not self.expression.strip():
                raise SpecError(f"{self.where}: a derived field needs an 'expression'.")
            tree, names = parse_expression(self.expression, self.where)
            object.__setattr__(self, "_tree", tree)
            object.__setattr__(self, "columns", tuple(sorted(names)))
        elif callable(self.expression):
            if self.columns is None or isinstance(self.columns, str):
                raise SpecError(
                    f"{self.where}: a derived field computed by a Python function "
                    "must list the columns it reads in 'columns' (a list)."
                )
            object.__setattr__(self, "columns", tuple(self.columns))
        else:
            raise SpecError(
                f"{self.where}: 'expression' must be a string or a callable. "
                f"Got {shown(self.expression)}."
            )

    @property
    def depends_on(self) -> tuple[str, ...]:
        return tuple(self.columns or ())

    @property
    def tree(self) -> ast.Expression | None:
        return getattr(self, "_tree", None)


@dataclass(frozen=True)
class Constant(Field):
    """The same value in every row."""

    value: Any = MISSING
    kind: ClassVar[str] = "constant"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.value is MISSING or self.value is None:
            raise SpecError(f"{self.where}: a constant field needs a 'value'.")
        value = plain(self.value)
        if isinstance(value, list | tuple):
            check_values(value, "a list 'value'", self.where)
            value = tuple(plain(v) for v in value)
        elif isinstance(value, bool | str | dt.date):
            pass
        elif isinstance(value, int):
            check_int64(value, "'value'", self.where)
        elif not isinstance(value, float):
            raise SpecError(
                f"{self.where}: a constant's 'value' must be text, a number, a "
                f"boolean, a date or a list of those. Got {shown(value)}."
            )
        _set(self, value=freeze(value))


@dataclass(frozen=True)
class Identifier(Field):
    """An ID per base profile, shared by all its twins (the tutorial's "same ID").

    ``format="int"`` numbers profiles from ``start``; ``format="uuid"`` gives
    random version-4 UUIDs (Mimesis's ``cryptographic.uuid`` format) drawn from the
    field's own seeded stream.
    """

    format: Literal["int", "uuid"] = "int"
    start: int = 1
    kind: ClassVar[str] = "id"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.format not in ("int", "uuid"):
            raise SpecError(
                f"{self.where}: 'format' must be 'int' or 'uuid'. Got {self.format!r}."
            )
        _set(self, start=_check_integer(self.start, "'start'", self.where))


FIELD_KINDS: dict[str, type[Field]] = {
    cls.kind: cls
    for cls in (
        Integer,
        Float,
        Normal,
        LogNormal,
        Categorical,
        Provider,
        Date,
        Derived,
        Constant,
        Identifier,
    )
}
