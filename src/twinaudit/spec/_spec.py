"""Protected attributes, proxies and the :class:`TwinSpec` that ties them together."""

from __future__ import annotations

import graphlib
import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from twinaudit.exceptions import SpecError, did_you_mean
from twinaudit.spec._expressions import check_types, kind_of_values
from twinaudit.spec._fields import (
    Categorical,
    Constant,
    Date,
    Derived,
    Field,
    Float,
    Identifier,
    Integer,
    Normal,
    Provider,
    check_name,
    check_values,
    check_weights,
)
from twinaudit.spec._frozen import FrozenDict, freeze
from twinaudit.spec._limits import MAX_COLUMNS, MAX_VARIANTS, is_integer, plain, shown
from twinaudit.spec._providers import check_call, check_locale, provider_kind

__all__ = ["Mode", "ProtectedAttribute", "Proxy", "TwinSpec"]

Mode = Literal["strict", "proxy"]


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _describe(values: Sequence[Any]) -> str:
    return shown(list(values), 200)


def _same(a: Any, b: Any) -> bool:
    """Equal, and both text, both booleans or both numbers: ``True`` is not the
    value ``1`` of an attribute, nor ``"1"``."""
    kinds = (
        (isinstance(a, str), isinstance(a, bool)),
        (
            isinstance(b, str),
            isinstance(b, bool),
        ),
    )
    return kinds[0] == kinds[1] and bool(a == b)


@dataclass(frozen=True)
class ProtectedAttribute:
    """A protected attribute: its values, the privileged one, and how the model
    sees it.

    Parameters
    ----------
    name : str
        The column in the twins.
    values : sequence
        Two or more distinct values (strings, integers or booleans).
    privileged : value
        The privileged value (one of ``values``); statistics compare each other
        value against it.
    weights : sequence of float, optional
        Share of each value in the base population (the profile's own value, which
        proxies follow in ``strict`` mode). Uniform when omitted.
    model_column : str, optional
        The column the model was trained on, when it differs from ``name``
        (the tutorial's ``Gender_Code``).
    encoding : mapping, optional
        The code the model expects for each value (``{"male": 1, "female": 0}``).

    Examples
    --------
    >>> ProtectedAttribute("gender", ["male", "female"], privileged="male",
    ...                    model_column="Gender_Code",
    ...                    encoding={"male": 1, "female": 0}).unprivileged
    ('female',)
    """

    name: str
    values: Sequence[Any]
    privileged: Any
    weights: Sequence[float] | None = None
    model_column: str | None = None
    encoding: Mapping[Any, Any] | None = None

    def __post_init__(self) -> None:
        check_name(self.name, "protected attribute")
        where = f"protected attribute {self.name!r}"
        if isinstance(self.values, str) or not isinstance(self.values, Sequence):
            raise SpecError(
                f"{where}: 'values' must be a list of at least two values. "
                f"Got {shown(self.values)}."
            )
        values = tuple(self.values)
        if len(values) < 2:
            raise SpecError(
                f"{where}: needs at least two values to make twins. Got "
                f"{shown(list(values))}; add the values to compare."
            )
        values = check_values(values, "'values'", where)
        object.__setattr__(self, "values", values)
        privileged = plain(self.privileged)
        matches = [v for v in values if _same(v, privileged)]
        if not matches:
            raise SpecError(
                f"The 'privileged' value of protected attribute {self.name!r} must be "
                f"one of {_describe(values)}. Got {shown(privileged)} instead."
            )
        object.__setattr__(self, "privileged", matches[0])
        object.__setattr__(
            self, "weights", check_weights(self.weights, len(values), where)
        )
        if self.model_column is not None:
            check_name(self.model_column, "model column")
        if self.encoding is not None:
            object.__setattr__(self, "encoding", self._check_encoding(where))

    def _check_encoding(self, where: str) -> FrozenDict:
        assert self.encoding is not None
        if not isinstance(self.encoding, Mapping):
            raise SpecError(
                f"{where}: 'encoding' must map each value to the code the model "
                f"expects, e.g. {{{self.values[0]!r}: 1, {self.values[1]!r}: 0}}."
            )
        encoding = {
            self.match_value(k, where): plain(v) for k, v in self.encoding.items()
        }
        missing = [v for v in self.values if v not in encoding]
        if missing:
            raise SpecError(
                f"{where}: 'encoding' has no code for {_describe(missing)}; give one "
                "code per value."
            )
        codes = list(encoding.values())
        if len({repr(c) for c in codes}) != len(codes):
            raise SpecError(f"{where}: 'encoding' maps two values to the same code.")
        check_values(codes, "'encoding'", where)
        return FrozenDict({v: encoding[v] for v in self.values})

    def match_value(self, key: Any, where: str) -> Any:
        """Return the value ``key`` names, accepting its string form (spec files
        write mapping keys as strings)."""
        key = plain(key)
        if key in self.values and any(
            type(key) is type(v) and key == v for v in self.values
        ):
            return key
        for v in self.values:
            if str(v) == str(key) or (
                isinstance(v, bool) and str(key).lower() == str(v).lower()
            ):
                return v
        raise SpecError(
            f"{where}: {shown(key)} is not a value of protected attribute "
            f"{self.name!r}; "
            f"use one of {_describe(self.values)}."
            f"{did_you_mean(str(key), map(str, self.values))}"
        )

    @property
    def unprivileged(self) -> tuple[Any, ...]:
        return tuple(v for v in self.values if v != self.privileged)

    @property
    def column(self) -> str:
        """The column name the model expects."""
        return self.model_column or self.name

    def code(self, value: Any) -> Any:
        """The model's code for ``value`` (the value itself without an encoding)."""
        return self.encoding[value] if self.encoding is not None else value


@dataclass(frozen=True)
class Proxy:
    """A column whose value follows a protected attribute (a first name, a title,
    a pronoun).

    ``by_value`` maps each value of ``attribute`` to what the proxy looks like for
    it. With ``provider`` set, each entry is the keyword arguments of that Mimesis
    provider (``{"gender": "female"}``); without, an entry is a constant, a list of
    choices, or a ``{choice: weight}`` mapping.

    Examples
    --------
    >>> Proxy.gendered("first_name", "gender", {"male": "male", "female": "female"})
    ... # doctest: +ELLIPSIS
    Proxy(name='first_name', attribute='gender', by_value=...)
    >>> Proxy("pronoun", "gender", {"male": "he", "female": "she"}).provider is None
    True
    """

    name: str
    attribute: str
    by_value: Mapping[Any, Any]
    provider: str | None = None
    locale: str | None = None
    _fields: dict[Any, Field] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        check_name(self.name, "proxy")
        if not isinstance(self.by_value, Mapping) or not self.by_value:
            raise SpecError(
                f"proxy {self.name!r}: 'by_value' must map each value of "
                f"{self.attribute!r} to the proxy's value for it. "
                f"Got {shown(self.by_value)}."
            )
        object.__setattr__(self, "by_value", freeze(self.by_value))
        # Building the fields validates providers, kwargs and choices now.
        for value in self.by_value:
            self.field_for(value)

    @classmethod
    def gendered(
        cls,
        name: str,
        attribute: str,
        genders: Mapping[Any, str],
        provider: str = "person.first_name",
        locale: str | None = None,
        **kwargs: Any,
    ) -> Proxy:
        """A Mimesis name-like provider (first name, title, ...) that follows a
        gender attribute: ``genders`` maps each value to ``"male"``/``"female"``;
        ``kwargs`` go to the provider as well (``title_type="typical"``)."""
        return cls(
            name=name,
            attribute=attribute,
            by_value={v: {"gender": g, **kwargs} for v, g in genders.items()},
            provider=provider,
            locale=locale,
        )

    def field_for(self, value: Any) -> Field:
        """The field that generates this proxy for one value of the attribute."""
        built = self._fields.get(value)
        if built is None:
            built = self._fields[value] = self._field_for(value)
        return built

    def _field_for(self, value: Any) -> Field:
        entry = self.by_value[value]
        if self.provider is not None:
            if not isinstance(entry, Mapping):
                raise SpecError(
                    f"proxy {self.name!r}: with a provider, each 'by_value' entry is "
                    "the provider's keyword arguments. "
                    f"Got {shown(entry)} for {value!r}."
                )
            return Provider(self.name, self.provider, kwargs=entry, locale=self.locale)
        if isinstance(entry, Mapping):
            return Categorical(self.name, tuple(entry), weights=tuple(entry.values()))
        if isinstance(entry, list | tuple):
            return Categorical(self.name, tuple(entry))
        return Constant(self.name, entry)


def field_kind(f: Field) -> str:
    """The kind of a sampled field's values (see :attr:`TwinSpec.column_kinds`)."""
    if isinstance(f, Integer):
        return "int"
    if isinstance(f, Normal):
        return "int" if f.integer else "float"
    if isinstance(f, Float):
        return "float"
    if isinstance(f, Date):
        return "date"
    if isinstance(f, Identifier):
        return "int" if f.format == "int" else "str"
    if isinstance(f, Categorical):
        return kind_of_values(f.choices)
    if isinstance(f, Constant):
        return kind_of_values([f.value])
    if isinstance(f, Provider):
        return provider_kind(f.group, f.method)
    return "unknown"


@dataclass(frozen=True, kw_only=True)
class TwinSpec:
    """What to generate: fields, protected attributes, proxies, seed and locale.

    Frozen and validated at construction: a bad range, an unknown provider, a
    privileged value not among the values, a duplicate column or a cycle between
    derived fields raises :class:`~twinaudit.exceptions.SpecError` naming the field.

    Parameters
    ----------
    protected : sequence of ProtectedAttribute
        Every attribute to vary. Twins of a profile cover the product of the values
        of the attributes in ``vary`` (all of them by default).
    fields : sequence of Field
        The non-protected columns, in output order.
    proxies : sequence of Proxy
        Columns tied to a protected attribute.
    seed : int
        The same seed gives byte-identical twins.
    locale : str
        Mimesis locale for providers without their own.
    mode : {"strict", "proxy"}
        ``strict`` holds proxies at the base profile's value (isolates the
        attribute); ``proxy`` regenerates them for each twin's value.
    vary : sequence of str, optional
        Protected attributes to vary across twins; the others keep the base
        profile's value. All attributes when omitted.
    pair_column : str
        Name of the column that identifies a pair.

    Examples
    --------
    >>> from twinaudit.spec import Integer
    >>> spec = TwinSpec(
    ...     fields=[Integer("income", 30_000, 120_000)],
    ...     protected=[ProtectedAttribute("gender", ["male", "female"], "male")],
    ...     seed=42,
    ... )
    >>> spec.columns
    ('pair_id', 'gender', 'income')
    """

    protected: Sequence[ProtectedAttribute]
    fields: Sequence[Field] = ()
    proxies: Sequence[Proxy] = ()
    seed: int = 0
    locale: str = "en"
    mode: Mode = "strict"
    vary: Sequence[str] | None = None
    pair_column: str = "pair_id"
    _order: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)
    _kinds: Mapping[str, str] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for what, items, cls in (
            ("protected", self.protected, ProtectedAttribute),
            ("fields", self.fields, Field),
            ("proxies", self.proxies, Proxy),
        ):
            if isinstance(items, str | Mapping) or not isinstance(items, Sequence):
                raise SpecError(
                    f"TwinSpec: {what!r} must be a list. Got {shown(items)}."
                )
            for item in items:
                if not isinstance(item, cls):
                    raise SpecError(
                        f"TwinSpec: every entry of {what!r} must be a {cls.__name__}. "
                        f"Got {shown(item)}."
                    )
            object.__setattr__(self, what, tuple(items))
        if not self.protected:
            raise SpecError(
                "TwinSpec: needs at least one protected attribute to make twins; "
                "add one, e.g. ProtectedAttribute('gender', ['male', 'female'], "
                "privileged='male')."
            )
        if not is_integer(self.seed) or self.seed < 0:
            raise SpecError(
                "TwinSpec: 'seed' must be a non-negative integer. "
                f"Got {shown(self.seed)}."
            )
        if self.seed >= 2**128:
            raise SpecError(
                f"TwinSpec: 'seed' must be below 2**128. Got {shown(self.seed)}."
            )
        object.__setattr__(self, "seed", int(self.seed))
        check_locale(self.locale, "TwinSpec")
        if self.mode not in ("strict", "proxy"):
            raise SpecError(
                f"TwinSpec: 'mode' must be 'strict' or 'proxy'. Got {shown(self.mode)}."
            )
        check_name(self.pair_column, "pair column")
        n_columns = len(self.protected) + len(self.fields) + len(self.proxies)
        if n_columns > MAX_COLUMNS:
            raise SpecError(
                f"TwinSpec: {n_columns:,} columns; a spec may have at most "
                f"{MAX_COLUMNS:,}. Split it into several specs."
            )
        self._check_columns()
        self._check_vary()
        if self.n_variants > MAX_VARIANTS:
            sizes = " x ".join(str(len(p.values)) for p in self.varied)
            raise SpecError(
                f"TwinSpec: each pair would have {self.n_variants:,} twins ({sizes} "
                f"values); the limit is {MAX_VARIANTS:,}. Vary fewer attributes at "
                "once with vary=[...], or use fewer values."
            )
        self._check_proxies()
        self._check_providers()
        object.__setattr__(self, "_order", self._derived_order())
        object.__setattr__(self, "_kinds", self._column_kinds())

    # -- validation ---------------------------------------------------------------
    def _check_columns(self) -> None:
        seen: dict[str, str] = {self.pair_column: "the pair column"}
        named = (
            [(p.name, "a protected attribute") for p in self.protected]
            + [(f.name, f"{_article(f.kind)} {f.kind} field") for f in self.fields]
            + [(p.name, "a proxy") for p in self.proxies]
        )
        for name, what in named:
            if name in seen:
                raise SpecError(
                    f"TwinSpec: column {name!r} is defined twice (as {seen[name]} and "
                    f"as {what}); rename one of them."
                )
            seen[name] = what
        model_columns = {p.column for p in self.protected}
        for p in self.protected:
            if p.model_column is not None and p.model_column in seen:
                raise SpecError(
                    f"protected attribute {p.name!r}: its model_column "
                    f"{p.model_column!r} is also {seen[p.model_column]}; rename one."
                )
        if len(model_columns) != len(self.protected):
            raise SpecError("TwinSpec: two protected attributes share a model_column.")

    def _check_vary(self) -> None:
        if self.vary is None:
            return
        if isinstance(self.vary, str) or not isinstance(self.vary, Sequence):
            raise SpecError(
                f"TwinSpec: 'vary' must be a list of protected attribute names. "
                f"Got {shown(self.vary)}."
            )
        vary = tuple(self.vary)
        names = [p.name for p in self.protected]
        for name in vary:
            if name not in names:
                raise SpecError(
                    f"TwinSpec: 'vary' names {name!r}, which is not a protected "
                    f"attribute.{did_you_mean(name, names)} Protected: {names}."
                )
        if not vary:
            raise SpecError("TwinSpec: 'vary' must name at least one attribute.")
        if len(set(vary)) != len(vary):
            raise SpecError(f"TwinSpec: 'vary' has duplicates: {list(vary)}.")
        object.__setattr__(self, "vary", vary)

    def _check_proxies(self) -> None:
        by_name = {p.name: p for p in self.protected}
        fixed = []
        for proxy in self.proxies:
            where = f"proxy {proxy.name!r}"
            attribute = by_name.get(proxy.attribute)
            if attribute is None:
                raise SpecError(
                    f"{where}: 'attribute' {proxy.attribute!r} is not a protected "
                    f"attribute.{did_you_mean(proxy.attribute, by_name)} "
                    f"Protected: {list(by_name)}."
                )
            by_value = {
                attribute.match_value(k, where): v for k, v in proxy.by_value.items()
            }
            missing = [v for v in attribute.values if v not in by_value]
            if missing:
                raise SpecError(
                    f"{where}: 'by_value' has no entry for {_describe(missing)} of "
                    f"{attribute.name!r}; give one entry per value."
                )
            fixed.append(
                Proxy(
                    proxy.name,
                    proxy.attribute,
                    {v: by_value[v] for v in attribute.values},
                    provider=proxy.provider,
                    locale=proxy.locale,
                )
            )
        object.__setattr__(self, "proxies", tuple(fixed))

    def _check_providers(self) -> None:
        fields: list[tuple[Field, str]] = [(f, f.where) for f in self.fields]
        for proxy in self.proxies:
            for value in proxy.by_value:
                fields.append(
                    (proxy.field_for(value), f"proxy {proxy.name!r} (value {value!r})")
                )
        for f, where in fields:
            if isinstance(f, Provider):
                check_call(f.group, f.method, f.kwargs, f.locale or self.locale, where)

    def _derived_order(self) -> tuple[str, ...]:
        derived = {f.name: f for f in self.fields if isinstance(f, Derived)}
        known = set(self.columns)
        sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
        for f in derived.values():
            for dep in f.depends_on:
                if dep not in known:
                    raise SpecError(
                        f"{f.where}: uses column {dep!r}, which the spec does not "
                        f"define.{did_you_mean(dep, known)} Columns: {sorted(known)}."
                    )
                if dep == f.name:
                    raise SpecError(f"{f.where}: the expression uses the field itself.")
            sorter.add(f.name, *[d for d in f.depends_on if d in derived])
        try:
            return tuple(sorter.static_order())
        except graphlib.CycleError as exc:
            cycle = exc.args[1]
            raise SpecError(
                f"field {cycle[0]!r}: derived fields form a cycle "
                f"({' -> '.join(map(repr, cycle))}); break it by computing one of "
                "them from sampled fields only."
            ) from exc

    def _column_kinds(self) -> dict[str, str]:
        """Each column's kind (number, text, date, ...), derived fields checked in
        order: an expression that mixes kinds fails here, not when generating."""
        kinds: dict[str, str] = {self.pair_column: "int"}
        for p in self.protected:
            kinds[p.name] = kind_of_values(p.values)
        for f in self.fields:
            if not isinstance(f, Derived):
                kinds[f.name] = field_kind(f)
        for proxy in self.proxies:
            found = {field_kind(proxy.field_for(v)) for v in proxy.by_value}
            kinds[proxy.name] = found.pop() if len(found) == 1 else "object"
        derived = {f.name: f for f in self.fields if isinstance(f, Derived)}
        for name in self._order:
            f = derived[name]
            kinds[name] = (
                check_types(f.tree, kinds, f.where) if f.tree is not None else "unknown"
            )
        return kinds

    @property
    def column_kinds(self) -> Mapping[str, str]:
        """What each column holds, as expressions see it: ``"int"``, ``"float"``,
        ``"bool"``, ``"str"``, ``"date"``, ``"object"`` or ``"unknown"`` (a field
        computed by a Python function)."""
        return dict(self._kinds)

    # -- derived views --------------------------------------------------------------
    @property
    def columns(self) -> tuple[str, ...]:
        """Output columns, in order: pair id, protected, fields, proxies."""
        return (
            self.pair_column,
            *(p.name for p in self.protected),
            *(f.name for f in self.fields),
            *(p.name for p in self.proxies),
        )

    @property
    def varied(self) -> tuple[ProtectedAttribute, ...]:
        """The protected attributes varied across twins."""
        if self.vary is None:
            return tuple(self.protected)
        return tuple(p for p in self.protected if p.name in self.vary)

    @property
    def derived_order(self) -> tuple[str, ...]:
        """Derived fields in an order where each comes after what it uses."""
        return self._order

    @property
    def moving_columns(self) -> tuple[str, ...]:
        """Columns allowed to differ within a pair: varied protected attributes,
        proxies, and derived fields that use either (directly or not)."""
        moving = {p.name for p in self.varied}
        moving |= {p.name for p in self.proxies if p.attribute in moving}
        derived = {f.name: f for f in self.fields if isinstance(f, Derived)}
        for name in self._order:
            if any(dep in moving for dep in derived[name].depends_on):
                moving.add(name)
        return tuple(c for c in self.columns if c in moving)

    @property
    def proxy_columns(self) -> tuple[str, ...]:
        """Moving columns other than the protected attributes themselves."""
        protected = {p.name for p in self.protected}
        return tuple(c for c in self.moving_columns if c not in protected)

    def combinations(self) -> Iterator[tuple[Any, ...]]:
        """The protected value combinations of one pair, in row order."""
        return itertools.product(*(p.values for p in self.varied))

    @property
    def n_variants(self) -> int:
        """Rows per pair (the product of the varied attributes' value counts)."""
        n = 1
        for p in self.varied:
            n *= len(p.values)
        return n

    def attribute(self, name: str) -> ProtectedAttribute:
        for p in self.protected:
            if p.name == name:
                return p
        names = [p.name for p in self.protected]
        raise SpecError(
            f"{name!r} is not a protected attribute of this spec."
            f"{did_you_mean(name, names)} Protected: {names}."
        )
