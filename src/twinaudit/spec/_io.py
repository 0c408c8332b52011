"""Specs to and from plain dicts, YAML and TOML files.

A spec file is a mapping with the keys of :class:`TwinSpec`. Fields, protected
attributes and proxies are lists of mappings; a field's ``kind`` picks its class::

    seed: 42
    locale: en
    protected:
      - {name: gender, values: [male, female], privileged: male}
    fields:
      - {kind: integer, name: income, low: 30000, high: 120000}
    proxies:
      - name: first_name
        attribute: gender
        provider: person.first_name
        by_value: {male: {gender: male}, female: {gender: female}}

Errors name the path of the offending key (``fields[2].high``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from twinaudit._files import write_text
from twinaudit.exceptions import SpecError, TwinauditError, did_you_mean
from twinaudit.spec._fields import FIELD_KINDS, Derived, Field, Provider
from twinaudit.spec._frozen import thaw
from twinaudit.spec._limits import (
    MAX_SPEC_DEPTH,
    MAX_SPEC_FILE_BYTES,
    MAX_SPEC_VALUES,
    shown,
)
from twinaudit.spec._providers import kwargs_for_file
from twinaudit.spec._spec import ProtectedAttribute, Proxy, TwinSpec

__all__ = ["SpecLoader", "load_spec", "save_spec", "spec_from_dict", "spec_to_dict"]


class SpecLoader(yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader):  # type: ignore[misc]
    """PyYAML's safe loader, minus YAML 1.1's surprises: what the user wrote stays.

    - Only ``true``/``false`` (any case style YAML 1.2 allows: ``true``, ``True``,
      ``TRUE``) are booleans; ``yes``, ``no``, ``on``, ``off`` stay text, so
      ``values: [NO, SE, DK]`` is three country codes, not ``[False, 'SE', 'DK']``.
    - An integer with a leading zero (``01234``, a postcode) stays text instead of
      becoming the octal number 668; ``1:30`` stays text instead of 90.
    - ``1e3`` is a float, as in YAML 1.2.
    - A date that does not exist (``2020-02-30``) stays text, so the field that
      reads it reports the error; a real date is a ``datetime.date``.
    """


def _base_pattern(tag: str) -> re.Pattern[str]:
    for resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.values():
        for found, regexp in resolvers:
            if found == tag:
                return regexp
    raise AssertionError(tag)  # pragma: no cover - PyYAML always has these


_SPEC_RESOLVERS: tuple[tuple[str, re.Pattern[str], Any], ...] = (
    ("bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF"),
    (
        "int",
        re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+)$"),
        "-+0123456789",
    ),
    (
        "float",
        re.compile(
            r"^(?:[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
        "-+0123456789.",
    ),
    ("null", _base_pattern("tag:yaml.org,2002:null"), ["~", "n", "N", ""]),
    ("merge", _base_pattern("tag:yaml.org,2002:merge"), "<"),
    ("timestamp", _base_pattern("tag:yaml.org,2002:timestamp"), "0123456789"),
)
SpecLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in _SPEC_RESOLVERS:
    SpecLoader.add_implicit_resolver(
        f"tag:yaml.org,2002:{_tag}", _pattern, list(_first)
    )


class SpecDumper(yaml.SafeDumper):
    """PyYAML's safe dumper, quoting every text that YAML 1.1 *or*
    :class:`SpecLoader` would read as something else (``yes``, ``1e3``), so that a
    saved spec reads back equal here and in other YAML tools."""


for _tag, _pattern, _first in _SPEC_RESOLVERS:
    SpecDumper.add_implicit_resolver(
        f"tag:yaml.org,2002:{_tag}", _pattern, list(_first)
    )


def _timestamp_or_text(loader: SpecLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:  # 2020-02-30: the field that reads it says what is wrong
        return loader.construct_scalar(node)


SpecLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)

_TOP_KEYS = (
    "seed",
    "locale",
    "mode",
    "vary",
    "pair_column",
    "protected",
    "fields",
    "proxies",
)


# -- to dict ----------------------------------------------------------------------
def _field_to_dict(f: Field) -> dict[str, Any]:
    if isinstance(f, Derived) and not isinstance(f.expression, str):
        raise SpecError(
            f"{f.where}: a derived field computed by a Python function cannot be "
            "saved to a spec file; write it as an expression string instead."
        )
    out: dict[str, Any] = {"kind": f.kind}
    for fld in dataclasses.fields(f):
        value = getattr(f, fld.name)
        if value is None or (isinstance(f, Derived) and fld.name == "columns"):
            continue
        if isinstance(f, Provider) and fld.name == "kwargs":
            if not value:
                continue
            value = kwargs_for_file(value)
        out[fld.name] = thaw(value)
    return out


def _attr_to_dict(p: ProtectedAttribute) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": p.name,
        "values": list(p.values),
        "privileged": p.privileged,
    }
    if p.weights is not None:
        out["weights"] = list(p.weights)
    if p.model_column is not None:
        out["model_column"] = p.model_column
    if p.encoding is not None:
        out["encoding"] = {str(k): v for k, v in p.encoding.items()}
    return out


def _proxy_to_dict(p: Proxy) -> dict[str, Any]:
    by_value = {
        str(k): (kwargs_for_file(v) if p.provider is not None else thaw(v))
        for k, v in p.by_value.items()
    }
    out: dict[str, Any] = {"name": p.name, "attribute": p.attribute}
    if p.provider is not None:
        out["provider"] = p.provider
    if p.locale is not None:
        out["locale"] = p.locale
    out["by_value"] = by_value
    return out


def spec_to_dict(spec: TwinSpec) -> dict[str, Any]:
    """A plain, serialisable dict that :func:`spec_from_dict` turns back into an
    equal spec."""
    out: dict[str, Any] = {"seed": spec.seed, "locale": spec.locale, "mode": spec.mode}
    if spec.vary is not None:
        out["vary"] = list(spec.vary)
    if spec.pair_column != "pair_id":
        out["pair_column"] = spec.pair_column
    out["protected"] = [_attr_to_dict(p) for p in spec.protected]
    out["fields"] = [_field_to_dict(f) for f in spec.fields]
    if spec.proxies:
        out["proxies"] = [_proxy_to_dict(p) for p in spec.proxies]
    return out


# -- from dict --------------------------------------------------------------------
def _check_keys(
    data: Mapping[str, Any],
    allowed: tuple[str, ...],
    path: str,
    required: tuple[str, ...] = (),
) -> None:
    for key in data:
        if key not in allowed:
            raise SpecError(
                f"{path}: unknown key {key!r}.{did_you_mean(str(key), allowed)} "
                f"Allowed keys: {', '.join(allowed)}."
            )
    for key in required:
        if key not in data:
            raise SpecError(f"{path}: missing required key {key!r}.")


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SpecError(f"{path}: expected a mapping (key: value). Got {value!r}.")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise SpecError(f"{path}: expected a list. Got {value!r}.")
    return value


def _build(cls: Any, kwargs: dict[str, Any], path: str) -> Any:
    try:
        return cls(**kwargs)
    except SpecError as exc:
        raise SpecError(f"{path}: {exc}") from exc
    except TypeError as exc:  # pragma: no cover - keys are checked before
        raise SpecError(f"{path}: {exc}") from exc


def _field_from_dict(data: Any, path: str) -> Field:
    data = dict(_mapping(data, path))
    kind = data.pop("kind", None)
    if kind not in FIELD_KINDS:
        raise SpecError(
            f"{path}.kind: unknown field kind {kind!r}."
            f"{did_you_mean(str(kind), FIELD_KINDS)} Kinds: {', '.join(FIELD_KINDS)}."
        )
    cls = FIELD_KINDS[kind]
    allowed = tuple(f.name for f in dataclasses.fields(cls) if f.init)
    _check_keys(data, allowed, path, required=("name",))
    for key in ("choices", "weights", "columns"):
        if isinstance(data.get(key), list):
            data[key] = tuple(data[key])
    if isinstance(data.get("start"), dt.datetime):
        data["start"] = data["start"].date()
    if isinstance(data.get("end"), dt.datetime):
        data["end"] = data["end"].date()
    field: Field = _build(cls, data, path)
    return field


def _attr_from_dict(data: Any, path: str) -> ProtectedAttribute:
    data = dict(_mapping(data, path))
    allowed = tuple(f.name for f in dataclasses.fields(ProtectedAttribute))
    _check_keys(data, allowed, path, required=("name", "values", "privileged"))
    if isinstance(data["values"], list):
        data["values"] = tuple(data["values"])
    attr: ProtectedAttribute = _build(ProtectedAttribute, data, path)
    return attr


def _proxy_from_dict(data: Any, path: str) -> Proxy:
    data = dict(_mapping(data, path))
    allowed = tuple(f.name for f in dataclasses.fields(Proxy) if f.init)
    _check_keys(data, allowed, path, required=("name", "attribute", "by_value"))
    by_value = {
        k: (tuple(v) if isinstance(v, list) else v)
        for k, v in _mapping(data["by_value"], f"{path}.by_value").items()
    }
    data["by_value"] = by_value
    proxy: Proxy = _build(Proxy, data, path)
    return proxy


def spec_from_dict(data: Mapping[str, Any], *, source: str = "spec") -> TwinSpec:
    """Build a :class:`TwinSpec` from a plain mapping (a parsed spec file)."""
    data = _mapping(data, source)
    _check_keys(data, _TOP_KEYS, source, required=("protected",))
    kwargs: dict[str, Any] = {
        k: data[k] for k in ("seed", "locale", "mode", "pair_column") if k in data
    }
    if "vary" in data:
        kwargs["vary"] = tuple(_list(data["vary"], f"{source}.vary"))
    kwargs["protected"] = [
        _attr_from_dict(item, f"{source}.protected[{i}]")
        for i, item in enumerate(_list(data["protected"], f"{source}.protected"))
    ]
    kwargs["fields"] = [
        _field_from_dict(item, f"{source}.fields[{i}]")
        for i, item in enumerate(_list(data.get("fields", []), f"{source}.fields"))
    ]
    kwargs["proxies"] = [
        _proxy_from_dict(item, f"{source}.proxies[{i}]")
        for i, item in enumerate(_list(data.get("proxies", []), f"{source}.proxies"))
    ]
    try:
        return TwinSpec(**kwargs)
    except SpecError as exc:
        raise SpecError(f"{source}: {exc}") from exc


# -- files ------------------------------------------------------------------------
def _check_size(
    data: Any,
    where: str,
    *,
    error: type[TwinauditError] = SpecError,
    kind: str = "spec",
) -> None:
    """Refuse data nested deeper than :data:`MAX_SPEC_DEPTH` or holding more than
    :data:`MAX_SPEC_VALUES` values once YAML aliases are expanded (an alias bomb is
    small on disk and huge to walk). Shared objects are counted once each, so this
    takes time in the size of the file, not of the expansion."""
    sizes: dict[int, int] = {}

    def size(value: Any, depth: int) -> int:
        if not isinstance(value, dict | list):
            return 1
        if depth > MAX_SPEC_DEPTH:
            raise error(_too_deep(where, kind))
        known = sizes.get(id(value))
        if known is not None:
            return known
        items = value.values() if isinstance(value, dict) else value
        total = 1 + sum(size(item, depth + 1) for item in items)
        if total > MAX_SPEC_VALUES:
            raise error(
                f"{where} holds more than {MAX_SPEC_VALUES:,} values once its YAML "
                f"aliases (*name) are expanded; write the {kind} without repeating "
                "large aliased blocks."
            )
        sizes[id(value)] = total
        return total

    size(data, 0)


def _too_deep(where: str, kind: str) -> str:
    return (
        f"{where} nests lists or mappings more than {MAX_SPEC_DEPTH} levels deep; "
        f"a {kind} needs a few levels at most."
    )


def _format(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in ("yaml", "toml"):
            raise SpecError(f"Spec format must be 'yaml' or 'toml'. Got {fmt!r}.")
        return fmt
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".toml":
        return "toml"
    raise SpecError(
        f"Cannot tell the format of {str(path)!r} from its suffix; name it .yaml, "
        ".yml or .toml, or pass format='yaml' or 'toml'."
    )


def _nested_too_deeply(exc: BaseException) -> bool:
    """Whether reading YAML or TOML failed only because the text nests too deeply.

    PyYAML 6.0.4's libyaml stops at 1,000 levels with a scanner error; older PyYAML
    and the TOML reader recurse until Python's own limit.
    """
    if isinstance(exc, RecursionError):
        return True
    return isinstance(exc, yaml.MarkedYAMLError) and "nesting depth" in str(exc.problem)


def read_document(
    path: Path,
    fmt: str,
    *,
    error: type[TwinauditError] = SpecError,
    kind: str = "spec",
    too_big_hint: str = "",
) -> Any:
    """Read a YAML or TOML file someone else may have written, within limits: at
    most :data:`MAX_SPEC_FILE_BYTES` on disk, :data:`MAX_SPEC_DEPTH` levels deep
    and :data:`MAX_SPEC_VALUES` values once aliases are expanded. Every failure is
    an ``error`` naming the file; ``None`` for an empty file."""
    where = f"{kind.capitalize()} file {str(path)!r}"
    try:
        size = path.stat().st_size
        if size > MAX_SPEC_FILE_BYTES:
            raise error(
                f"{where} is {size:,} bytes; twinaudit reads {kind} files of at "
                f"most {MAX_SPEC_FILE_BYTES:,} bytes.{too_big_hint}"
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise error(f"{where} does not exist.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"Cannot read {kind} file {str(path)!r}: {exc}.") from exc
    try:
        data = (
            yaml.load(text, Loader=SpecLoader) if fmt == "yaml" else tomllib.loads(text)
        )
    except (yaml.YAMLError, tomllib.TOMLDecodeError, ValueError, RecursionError) as exc:
        if _nested_too_deeply(exc):
            raise error(_too_deep(where, kind)) from exc
        raise error(f"{where} is not valid {fmt.upper()}: {str(exc)[:500]}") from exc
    _check_size(data, where, error=error, kind=kind)
    return data


def load_spec(path: str | os.PathLike[str], *, format: str | None = None) -> TwinSpec:
    """Load a spec from a YAML or TOML file.

    Examples
    --------
    >>> spec = load_spec("spec.yaml")  # doctest: +SKIP
    """
    if not isinstance(path, str | os.PathLike):
        raise SpecError(
            f"load_spec needs the path of a spec file (.yaml, .yml or .toml). Got "
            f"{shown(path)} instead; to build a spec from a dict use spec_from_dict."
        )
    path = Path(path)
    data = read_document(
        path,
        _format(path, format),
        too_big_hint=" A spec describes columns, not data: generate rows instead "
        "of listing them.",
    )
    if data is None:
        raise SpecError(f"Spec file {str(path)!r} is empty.")
    return spec_from_dict(data, source=path.name)


def save_spec(
    spec: TwinSpec,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write ``spec`` to a YAML or TOML file; :func:`load_spec` reads back an equal
    spec. An existing file is kept unless ``overwrite=True``."""
    path = Path(path)
    fmt = _format(path, format)
    data = spec_to_dict(spec)
    if fmt == "yaml":
        text = yaml.dump(data, Dumper=SpecDumper, sort_keys=False, allow_unicode=True)
        if yaml.load(text, Loader=SpecLoader) != data:
            # PyYAML writes a few characters raw that it then reads as line breaks
            # (U+0085, U+2028); escaped text always reads back as written.
            text = yaml.dump(data, Dumper=SpecDumper, sort_keys=False)
    else:
        import tomli_w

        text = tomli_w.dumps(data)
    write_text(path, text, overwrite=overwrite)
    return path
