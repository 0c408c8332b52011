"""Resolve and validate Mimesis providers named in a spec (``"person.occupation"``).

Validation happens when a spec is built, so a typo fails at once with the list of
what exists, not half-way through generating a million rows.
"""

from __future__ import annotations

import enum
import functools
import inspect
import threading
import typing
from collections.abc import Mapping
from typing import Any

from twinaudit.exceptions import SpecError, did_you_mean
from twinaudit.spec._frozen import freeze, thaw
from twinaudit.spec._limits import check_int64, is_integer, plain, shown

#: Provider arguments that set the size of one generated value, and their largest
#: accepted value: list lengths, sentences, bytes of entropy, characters.
SIZE_ARGUMENTS: Mapping[tuple[str, str], Mapping[str, int]] = {
    ("numeric", "integers"): {"n": 1_000},
    ("numeric", "floats"): {"n": 1_000},
    ("numeric", "decimals"): {"n": 1_000},
    ("numeric", "complexes"): {"n": 1_000},
    ("numeric", "matrix"): {"m": 100, "n": 100},
    ("text", "text"): {"quantity": 100},
    ("text", "words"): {"quantity": 1_000},
    ("cryptographic", "token_bytes"): {"entropy": 1_024},
    ("cryptographic", "token_hex"): {"entropy": 1_024},
    ("cryptographic", "token_urlsafe"): {"entropy": 1_024},
    ("cryptographic", "api_key"): {"length": 1_024},
    ("person", "password"): {"length": 1_024},
    ("science", "dna_sequence"): {"length": 10_000},
    ("science", "rna_sequence"): {"length": 10_000},
    ("internet", "query_string"): {"length": 100},
    ("internet", "query_parameters"): {"length": 100},
    ("internet", "slug"): {"parts_count": 100},
    ("internet", "uri"): {"query_params_count": 100},
}
#: Longest text (``str()`` of the value) one provider call may give.
MAX_PROVIDER_VALUE_CHARS = 100_000

_NOT_PROVIDERS = frozenset(
    {"reseed", "validate_enum", "update_dataset", "override_locale", "random", "seed"}
)


@functools.cache
def supported_locales() -> tuple[str, ...]:
    """The locale codes Mimesis supports (``"en"``, ``"de"``, ``"pt-br"``, ...)."""
    from mimesis.locales import Locale

    return tuple(locale.value for locale in Locale)


def check_locale(locale: object, where: str) -> str:
    """Return ``locale`` if Mimesis supports it, else raise :class:`SpecError`."""
    locales = supported_locales()
    if not isinstance(locale, str) or locale not in locales:
        hint = did_you_mean(str(locale).lower(), locales)
        raise SpecError(
            f"{where}: unknown locale {locale!r}.{hint} Use one of Mimesis's "
            f"locales: {', '.join(locales)}."
        )
    return locale


@functools.cache
def _provider_classes() -> dict[str, type]:
    from mimesis.providers.base import ProviderRegistry

    return {
        name: cls
        for name, cls in ProviderRegistry.get_all().items()
        if name not in ("generic", "choice", "binaryfile")
    }


def provider_group_names() -> list[str]:
    return sorted(_provider_classes())


def provider_instance(group: str, locale: str) -> Any:
    """A fresh Mimesis provider instance for ``group`` in ``locale``."""
    from mimesis.locales import Locale
    from mimesis.providers.base import BaseDataProvider

    cls = _provider_classes()[group]
    if issubclass(cls, BaseDataProvider):
        return cls(Locale(locale))
    return cls()


def provider_methods(group: str) -> list[str]:
    return list(_provider_methods(group))


@functools.cache
def _provider_methods(group: str) -> tuple[str, ...]:
    cls = _provider_classes()[group]
    return tuple(
        sorted(
            name
            for name, member in inspect.getmembers(cls, inspect.isfunction)
            if not name.startswith("_") and name not in _NOT_PROVIDERS
        )
    )


@functools.cache
def _signature(group: str, method: str) -> inspect.Signature:
    return inspect.signature(getattr(_provider_classes()[group], method))


def resolve_method(path: str, where: str) -> tuple[str, str]:
    """Split and check ``"group.method"``; raise :class:`SpecError` if unknown."""
    if not isinstance(path, str) or path.count(".") != 1:
        raise SpecError(
            f"{where}: provider must be written 'group.method' (for example "
            f"'person.occupation'). Got {path!r} instead."
        )
    group, method = path.split(".")
    groups = provider_group_names()
    if group not in groups:
        raise SpecError(
            f"{where}: unknown Mimesis provider group {group!r} in {path!r}."
            f"{did_you_mean(group, groups)} Known groups: {', '.join(groups)}."
        )
    methods = _provider_methods(group)
    if method not in methods:
        raise SpecError(
            f"{where}: Mimesis provider {group!r} has no method {method!r}."
            f"{did_you_mean(method, methods)} Known methods: {', '.join(methods)}."
        )
    return group, method


@functools.cache
def provider_kind(group: str, method: str) -> str:
    """What a provider's values are, from its return annotation: ``"str"``,
    ``"int"``, ``"float"``, ``"bool"``, ``"date"``, or ``"object"`` (lists, dicts,
    datetimes, decimals, bytes, ...), which expressions take only through str()."""
    import datetime as dt

    func = getattr(_provider_classes()[group], method)
    try:
        hint = typing.get_type_hints(func).get("return")
    except Exception:  # pragma: no cover - unresolvable hints in a future Mimesis
        return "object"
    kinds = {str: "str", int: "int", float: "float", bool: "bool", dt.date: "date"}
    return kinds.get(hint, "object") if isinstance(hint, type) else "object"


def _enum_in(annotation: Any) -> type[enum.Enum] | None:
    if inspect.isclass(annotation) and issubclass(annotation, enum.Enum):
        return annotation
    for arg in typing.get_args(annotation):
        found = _enum_in(arg)
        if found is not None:
            return found
    return None


@functools.cache
def _enum_parameters(group: str, method: str) -> dict[str, type[enum.Enum]]:
    func = getattr(_provider_classes()[group], method)
    try:
        hints = typing.get_type_hints(func)
    except Exception:  # pragma: no cover - unresolvable hints in a future Mimesis
        return {}
    found = {}
    for name, hint in hints.items():
        enum_cls = _enum_in(hint)
        if enum_cls is not None:
            found[name] = enum_cls
    return found


def coerce_kwargs(
    group: str, method: str, kwargs: Mapping[str, Any], where: str
) -> dict[str, Any]:
    """Convert strings to the Mimesis enums a method expects (``"female"`` ->
    ``Gender.FEMALE``) and check the arguments against the method's signature."""
    signature = _signature(group, method)
    params = [p for p in signature.parameters if p != "self"]
    enums = _enum_parameters(group, method)
    out: dict[str, Any] = {}
    sizes = SIZE_ARGUMENTS.get((group, method), {})
    for key, value in kwargs.items():
        value = freeze(plain(value))
        if key not in params and not any(
            p.kind is p.VAR_KEYWORD for p in signature.parameters.values()
        ):
            raise SpecError(
                f"{where}: '{group}.{method}' takes no argument {key!r}."
                f"{did_you_mean(key, params)} It takes: {', '.join(params) or 'none'}."
            )
        enum_cls = enums.get(key)
        if enum_cls is not None and not isinstance(value, enum_cls):
            value = _to_enum(enum_cls, value, key, f"{group}.{method}", where)
        if key in sizes:
            _check_size(value, sizes[key], key, f"{group}.{method}", where)
        elif is_integer(value):
            check_int64(int(value), f"argument {key!r} of '{group}.{method}'", where)
        out[key] = value
    try:
        signature.bind(None, **out)
    except TypeError as exc:
        raise SpecError(
            f"{where}: bad arguments for '{group}.{method}': {exc}."
        ) from exc
    return out


def _check_size(value: Any, limit: int, key: str, path: str, where: str) -> None:
    if not is_integer(value) or not 0 <= value <= limit:
        raise SpecError(
            f"{where}: argument {key!r} of '{path}' sets the size of each value and "
            f"must be an integer from 0 to {limit:,}. Got {shown(value)}; twinaudit "
            "limits one generated value so that a spec cannot exhaust memory."
        )


def _to_enum(
    enum_cls: type[enum.Enum], value: Any, key: str, path: str, where: str
) -> enum.Enum:
    for member in enum_cls:
        if value == member.value or (
            isinstance(value, str) and value.upper() == member.name
        ):
            return member
    allowed = [m.value for m in enum_cls]
    raise SpecError(
        f"{where}: argument {key!r} of '{path}' must be one of {allowed}. "
        f"Got {value!r} instead."
    )


def kwargs_for_file(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Enums back to their plain values, for YAML/TOML."""
    return {
        k: (v.value if isinstance(v, enum.Enum) else thaw(v)) for k, v in kwargs.items()
    }


def check_call(
    group: str, method: str, kwargs: Mapping[str, Any], locale: str, where: str
) -> None:
    """Call the provider once so that arguments Mimesis rejects fail at spec time.

    The arguments are bounded (:data:`SIZE_ARGUMENTS`) before this runs, so the call
    is small; one value longer than :data:`MAX_PROVIDER_VALUE_CHARS` is refused.
    Each distinct call is made once per process.
    """
    key = (group, method, tuple(sorted(kwargs.items())), locale)
    try:
        hash(key)
    except TypeError:  # pragma: no cover - kwargs are frozen by Provider
        _check_call(group, method, kwargs, locale, where)
        return
    if key not in _CHECKED:
        _check_call(group, method, kwargs, locale, where)
        _CHECKED.add(key)


_CHECKED: set[Any] = set()


def _check_call(
    group: str, method: str, kwargs: Mapping[str, Any], locale: str, where: str
) -> None:
    from mimesis.random import Random

    with _CHECK_LOCK:
        instance = _check_instance(group, locale)
        instance.random = Random(0)
        try:
            value = getattr(instance, method)(**thaw_kwargs(kwargs))
        except Exception as exc:
            raise SpecError(
                f"{where}: Mimesis could not generate '{group}.{method}' with "
                f"{shown(dict(kwargs_for_file(kwargs)), 200)} in locale {locale!r}: "
                f"{type(exc).__name__}: {shown(str(exc), 200)}."
            ) from exc
    length = len(str(value))
    if length > MAX_PROVIDER_VALUE_CHARS:
        raise SpecError(
            f"{where}: one value of '{group}.{method}' with "
            f"{shown(dict(kwargs_for_file(kwargs)), 200)} is {length:,} characters "
            f"long; twinaudit accepts at most {MAX_PROVIDER_VALUE_CHARS:,} per value. "
            "Ask for smaller values."
        )


_CHECK_LOCK = threading.Lock()


@functools.lru_cache(maxsize=256)
def _check_instance(group: str, locale: str) -> Any:
    return provider_instance(group, locale)


def thaw_kwargs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments as Mimesis expects them: tuples back to lists."""
    return {k: thaw(v) for k, v in kwargs.items()}
