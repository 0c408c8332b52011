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
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from twinaudit._files import write_text
from twinaudit.exceptions import SpecError, did_you_mean
from twinaudit.spec._fields import FIELD_KINDS, Derived, Field, Provider
from twinaudit.spec._frozen import thaw
from twinaudit.spec._providers import kwargs_for_file
from twinaudit.spec._spec import ProtectedAttribute, Proxy, TwinSpec

__all__ = ["load_spec", "save_spec", "spec_from_dict", "spec_to_dict"]

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
    allowed = tuple(f.name for f in dataclasses.fields(Proxy))
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


def load_spec(path: str | os.PathLike[str], *, format: str | None = None) -> TwinSpec:
    """Load a spec from a YAML or TOML file.

    Examples
    --------
    >>> spec = load_spec("spec.yaml")  # doctest: +SKIP
    """
    path = Path(path)
    fmt = _format(path, format)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SpecError(f"Spec file {str(path)!r} does not exist.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"Cannot read spec file {str(path)!r}: {exc}.") from exc
    try:
        data = yaml.safe_load(text) if fmt == "yaml" else tomllib.loads(text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(
            f"Spec file {str(path)!r} is not valid {fmt.upper()}: {exc}"
        ) from exc
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
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    else:
        import tomli_w

        text = tomli_w.dumps(data)
    write_text(path, text, overwrite=overwrite)
    return path
