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

from twinaudit.exceptions import SpecError
from twinaudit.spec._expressions import parse_expression
from twinaudit.spec._frozen import FrozenDict, freeze
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


def check_name(name: object, what: str = "field") -> str:
    if not isinstance(name, str) or not name.strip():
        raise SpecError(
            f"A {what} needs a non-empty string name. Got {name!r} instead."
        )
    return name


def _check_number(value: object, what: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(f"{where}: {what} must be a number. Got {value!r} instead.")
    if not math.isfinite(value):
        raise SpecError(f"{where}: {what} must be finite. Got {value!r} instead.")
    return value


def _check_round(value: object, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(
            f"{where}: 'round' is a number of decimals (an integer; -3 rounds to "
            f"thousands). Got {value!r} instead."
        )
    return value


def _check_bounds(
    low: float | None, high: float | None, where: str, strict: bool = True
) -> None:
    if low is not None and high is not None and (low >= high if strict else low > high):
        op = "below" if strict else "at most"
        raise SpecError(
            f"{where}: 'low' must be {op} 'high'. Got low={low!r}, high={high!r}; "
            "swap them or widen the range."
        )


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

    low: int = 0
    high: int = 100
    kind: ClassVar[str] = "integer"

    def __post_init__(self) -> None:
        super().__post_init__()
        for what in ("low", "high"):
            value = getattr(self, what)
            if isinstance(value, bool) or not isinstance(value, int):
                raise SpecError(
                    f"{self.where}: {what!r} of an integer field must be an integer. "
                    f"Got {value!r} instead; use Float for decimals."
                )
        _check_bounds(self.low, self.high, self.where, strict=False)


@dataclass(frozen=True)
class Float(Field):
    """Floats drawn uniformly from ``[low, high)``, optionally rounded.

    ``round`` is a number of decimals as in Python's :func:`round`: ``2`` keeps
    cents, ``-3`` rounds to thousands.
    """

    low: float = 0.0
    high: float = 1.0
    round: int | None = None
    kind: ClassVar[str] = "float"

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_number(self.low, "'low'", self.where)
        _check_number(self.high, "'high'", self.where)
        _check_bounds(self.low, self.high, self.where)
        _check_round(self.round, self.where)


@dataclass(frozen=True)
class Normal(Field):
    """Normal draws with ``mean`` and ``std``; truncated to ``[low, high]`` when
    either bound is given (exactly, by inverse CDF, not by clipping).

    ``integer=True`` rounds to whole numbers and stores integers.
    """

    mean: float = 0.0
    std: float = 1.0
    low: float | None = None
    high: float | None = None
    round: int | None = None
    integer: bool = False
    kind: ClassVar[str] = "normal"

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_number(self.mean, "'mean'", self.where)
        _check_number(self.std, "'std'", self.where)
        if self.std <= 0:
            raise SpecError(f"{self.where}: 'std' must be positive. Got {self.std!r}.")
        for what in ("low", "high"):
            if getattr(self, what) is not None:
                _check_number(getattr(self, what), repr(what), self.where)
        _check_bounds(self.low, self.high, self.where)
        _check_round(self.round, self.where)
        if not isinstance(self.integer, bool):
            raise SpecError(f"{self.where}: 'integer' must be true or false.")


@dataclass(frozen=True)
class LogNormal(Normal):
    """Log-normal draws: ``exp`` of a normal with ``mean`` and ``std`` (the
    parameters of the logarithm, as in :meth:`numpy.random.Generator.lognormal`).
    ``low``/``high`` truncate on the original scale and must be positive.
    """

    kind: ClassVar[str] = "lognormal"

    def __post_init__(self) -> None:
        super().__post_init__()
        for what in ("low", "high"):
            value = getattr(self, what)
            if value is not None and value <= 0:
                raise SpecError(
                    f"{self.where}: {what!r} of a log-normal field must be positive. "
                    f"Got {value!r}."
                )


@dataclass(frozen=True)
class Categorical(Field):
    """One of ``choices``, uniformly or with ``weights`` (normalised for you).

    Examples
    --------
    >>> Categorical("housing", ["own", "rent", "free"], weights=[0.6, 0.3, 0.1])
    ... # doctest: +ELLIPSIS
    Categorical(name='housing', choices=('own', 'rent', 'free'), ...)
    """

    choices: Sequence[Any] = ()
    weights: Sequence[float] | None = None
    kind: ClassVar[str] = "categorical"

    def __post_init__(self) -> None:
        super().__post_init__()
        choices = tuple(self.choices) if not isinstance(self.choices, str) else ()
        if len(choices) == 0:
            raise SpecError(
                f"{self.where}: 'choices' must be a non-empty list of values. "
                f"Got {self.choices!r}."
            )
        if len(set(map(repr, choices))) != len(choices):
            raise SpecError(f"{self.where}: 'choices' has duplicates: {list(choices)}.")
        object.__setattr__(self, "choices", choices)
        object.__setattr__(
            self, "weights", check_weights(self.weights, len(choices), self.where)
        )


def check_weights(
    weights: Sequence[float] | None, n: int, where: str
) -> tuple[float, ...] | None:
    if weights is None:
        return None
    weights = tuple(weights)
    if len(weights) != n:
        raise SpecError(
            f"{where}: 'weights' needs one weight per value ({n}). "
            f"Got {len(weights)}: {list(weights)}."
        )
    for w in weights:
        _check_number(w, "every weight", where)
        if w < 0:
            raise SpecError(f"{where}: weights must be non-negative. Got {w!r}.")
    if sum(weights) <= 0:
        raise SpecError(f"{where}: weights must not all be zero.")
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

    provider: str = ""
    kwargs: Mapping[str, Any] = field(default_factory=FrozenDict)
    locale: str | None = None
    kind: ClassVar[str] = "provider"

    def __post_init__(self) -> None:
        super().__post_init__()
        group, method = resolve_method(self.provider, self.where)
        if not isinstance(self.kwargs, Mapping):
            raise SpecError(
                f"{self.where}: 'kwargs' must be a mapping of argument names to "
                f"values. Got {self.kwargs!r}."
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

    start: dt.date = dt.date(1950, 1, 1)
    end: dt.date = dt.date(2005, 12, 31)
    kind: ClassVar[str] = "date"

    def __post_init__(self) -> None:
        super().__post_init__()
        for what in ("start", "end"):
            value = getattr(self, what)
            if isinstance(value, str):
                try:
                    value = dt.date.fromisoformat(value)
                except ValueError as exc:
                    raise SpecError(
                        f"{self.where}: {what!r} must be a date (YYYY-MM-DD). "
                        f"Got {value!r}."
                    ) from exc
                object.__setattr__(self, what, value)
            elif isinstance(value, dt.datetime) or not isinstance(value, dt.date):
                raise SpecError(
                    f"{self.where}: {what!r} must be a date (YYYY-MM-DD). "
                    f"Got {value!r}."
                )
        if self.start > self.end:
            raise SpecError(
                f"{self.where}: 'start' must not be after 'end'. Got "
                f"start={self.start.isoformat()}, end={self.end.isoformat()}."
            )


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

    expression: str | Callable[[Mapping[str, Any]], Any] = ""
    columns: Sequence[str] | None = None
    round: int | None = None
    kind: ClassVar[str] = "derived"

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_round(self.round, self.where)
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
                f"Got {self.expression!r}."
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

    value: Any = None
    kind: ClassVar[str] = "constant"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.value is None:
            raise SpecError(f"{self.where}: a constant field needs a 'value'.")
        object.__setattr__(self, "value", freeze(self.value))


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
        if isinstance(self.start, bool) or not isinstance(self.start, int):
            raise SpecError(f"{self.where}: 'start' must be an integer.")


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
