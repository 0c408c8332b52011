"""Policies and verdicts: rules with thresholds, judged on a report's metrics.

A :class:`Policy` holds :class:`Rule` objects such as "disparate impact ≥ 0.8"
(the four-fifths rule), "flip rate ≤ 0.01 on the twins" or "|equal opportunity
difference| ≤ 0.1 on the observed rows", and the significance level of the
intervals the rules are judged on. :func:`evaluate` turns a policy and a report's
metrics table into a :class:`Verdict`: ``pass``, ``fail`` or ``inconclusive`` per
rule and overall, each with the reason.

A rule passes only when the whole confidence interval satisfies it, fails when the
whole interval violates it, and is inconclusive when the interval straddles the
threshold, so a small audit cannot pass by luck. An undefined value, a cell below
the minimum size, or a rule that matches no row of the report is inconclusive too.

A policy file is YAML or TOML::

    name: lending
    significance: 0.05
    rules:
      - {metric: disparate_impact, min: 0.8}
      - {metric: flip_rate, max: 0.01, population: twins}
      - {metric: equal_opportunity_difference, max_abs: 0.1, population: observed}

Errors name the path of the offending key (``policy.yaml.rules[1].min``).
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import pandas as pd
import yaml

from twinaudit._files import write_text
from twinaudit.exceptions import DataError, PolicyError, did_you_mean
from twinaudit.metrics._registry import POPULATIONS, REGISTRY, SOURCES, Metric
from twinaudit.spec._io import SpecDumper, read_document

__all__ = [
    "Check",
    "Policy",
    "Rule",
    "RuleResult",
    "Verdict",
    "evaluate",
    "load_policy",
    "save_policy",
]

Status = Literal["pass", "fail", "inconclusive"]
GroupValue = str | int | float | bool

STATUSES: tuple[Status, ...] = ("pass", "inconclusive", "fail")
"""Statuses from best to worst; a combination takes the worst of its parts."""

EXIT_CODES: Mapping[str, int] = {"pass": 0, "fail": 1, "inconclusive": 3}

_RULE_KEYS = (
    "metric",
    "min",
    "max",
    "max_abs",
    "population",
    "attribute",
    "group",
    "source",
    "name",
)
_POLICY_KEYS = ("name", "significance", "rules")
_TOLERANCE = 1e-9


# -- checking values ----------------------------------------------------------------
def _key(where: str) -> str:
    return where.rsplit(".", 1)[-1]


def _suggest(value: str, choices: Iterable[str]) -> str:
    # did_you_mean prefers a case-insensitive match (casefold) to a close one.
    return did_you_mean(value, choices)


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _number(value: Any, where: str) -> float:
    """A real, finite number as a float (bool refused, numpy scalars accepted)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        hint = ""
        if isinstance(value, str) and _looks_numeric(value):
            hint = f" It is text: write the number without quotes ({value})."
        raise PolicyError(f"{where}: must be a number. Got {value!r}.{hint}")
    number = float(value)
    if not math.isfinite(number):
        raise PolicyError(f"{where}: must be a finite number. Got {value!r}.")
    return number


def _text(value: Any, where: str) -> str:
    """Non-empty text; a YAML boolean or number gets a hint to quote it."""
    if isinstance(value, str):
        if not value.strip():
            raise PolicyError(f"{where}: must not be empty. Got {value!r}.")
        return value
    if isinstance(value, bool | np.bool_):
        raise PolicyError(
            f"{where}: must be text. Got {value!r}: YAML reads unquoted yes, no, on, "
            f'off, true and false as booleans; quote the text ({_key(where)}: "...").'
        )
    if isinstance(value, numbers.Number):
        raise PolicyError(
            f"{where}: must be text. Got {value!r}: YAML reads unquoted numbers as "
            f'numbers; quote the text ({_key(where)}: "{value}").'
        )
    raise PolicyError(f"{where}: must be text. Got {value!r}.")


def _optional_text(value: Any, where: str) -> str | None:
    return None if value is None else _text(value, where)


def _choice(value: Any, choices: Sequence[str], where: str) -> str:
    text = _text(value, where)
    if text not in choices:
        raise PolicyError(
            f"{where}: must be one of {', '.join(repr(c) for c in choices)}. "
            f"Got {text!r}.{_suggest(text, choices)}"
        )
    return text


def _group_value(value: Any, where: str) -> GroupValue | None:
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str):
        return _text(value, where)
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise PolicyError(f"{where}: must be a finite number. Got {value!r}.")
        return value
    raise PolicyError(
        f"{where}: must be a group value (text, a number or a boolean). Got {value!r}."
    )


def _rule_fields(values: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Check a rule's fields; return them normalised (numbers as floats).

    ``where`` prefixes every message (``Rule``, ``policy.yaml.rules[1]``).
    """
    metric_name = values.get("metric")
    if metric_name is None:
        raise PolicyError(
            f"{where}.metric: missing; name a metric, e.g. 'disparate_impact'."
        )
    metric_name = _text(metric_name, f"{where}.metric")
    if metric_name not in REGISTRY:
        raise PolicyError(
            f"{where}.metric: unknown metric {metric_name!r}."
            f"{_suggest(metric_name, REGISTRY)} Metrics: {', '.join(REGISTRY)}."
        )
    metric = REGISTRY[metric_name]
    out: dict[str, Any] = {"metric": metric_name}

    source = _choice(values.get("source", "twinaudit"), SOURCES, f"{where}.source")
    if source != "twinaudit" and source not in metric.libraries:
        sources = ", ".join(("twinaudit", *metric.libraries))
        raise PolicyError(
            f"{where}.source: {metric_name} has no {source} value (twinaudit "
            "reports a library's number only where its definition is the same as "
            f"ours). Sources for {metric_name}: {sources}."
        )
    out["source"] = source

    bounds = {
        key: None if values.get(key) is None else _number(values[key], f"{where}.{key}")
        for key in ("min", "max", "max_abs")
    }
    low, high, max_abs = bounds["min"], bounds["max"], bounds["max_abs"]
    if low is None and high is None and max_abs is None:
        raise PolicyError(
            f"{where}: a rule needs a bound: min, max, both, or max_abs. Got none."
        )
    if max_abs is not None:
        if low is not None or high is not None:
            raise PolicyError(
                f"{where}: max_abs cannot be combined with min or max; use max_abs "
                "alone for |value| ≤ t, or min and max for a range."
            )
        if max_abs < 0:
            raise PolicyError(
                f"{where}.max_abs: must be a non-negative number. Got {max_abs:g}."
            )
        if metric.parity != 0:
            parity = (
                "has no parity point"
                if math.isnan(metric.parity)
                else f"has parity {metric.parity:g}"
            )
            raise PolicyError(
                f"{where}.max_abs: bounds |value - 0| and needs a metric whose "
                f"parity is 0; {metric_name} {parity}. Use min and/or max instead."
            )
    if low is not None and high is not None and low > high:
        raise PolicyError(
            f"{where}: min {low:g} is above max {high:g}; no value could pass."
        )
    out.update(bounds)

    population = values.get("population")
    if population is not None:
        population = _choice(population, POPULATIONS, f"{where}.population")
        if population not in metric.populations:
            raise PolicyError(
                f"{where}.population: {metric_name} is reported on "
                f"{' and '.join(metric.populations)} only. Got {population!r}."
            )
    out["population"] = population

    attribute = _optional_text(values.get("attribute"), f"{where}.attribute")
    if attribute is not None and metric.scope == "overall":
        raise PolicyError(
            f"{where}.attribute: {metric_name} is one number per population, not "
            f"per attribute. Remove attribute. Got {attribute!r}."
        )
    out["attribute"] = attribute

    group = _group_value(values.get("group"), f"{where}.group")
    if group is not None and metric.scope != "group":
        per = "attribute" if metric.scope == "attribute" else "population"
        raise PolicyError(
            f"{where}.group: {metric_name} is one number per {per}, not per group. "
            f"Remove group. Got {group!r}."
        )
    out["group"] = group
    out["name"] = _optional_text(values.get("name"), f"{where}.name")
    return out


def _significance(value: Any, where: str) -> float:
    significance = _number(value, where)
    if not 0 < significance <= 0.5:
        hint = ""
        if 0.5 < significance < 1:
            hint = (
                " The significance level is 1 - confidence: for 95% intervals "
                "write 0.05."
            )
        raise PolicyError(
            f"{where}: must be in (0, 0.5], e.g. 0.05. Got {value!r}.{hint}"
        )
    return significance


def _rules(value: Any, where: str) -> tuple[Rule, ...]:
    if isinstance(value, Rule):
        raise PolicyError(
            f"{where}: must be a list of rules. Got a single rule; wrap it: "
            "Policy([rule])."
        )
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise PolicyError(f"{where}: must be a list of rules. Got {value!r}.")
    rules = tuple(value)
    if not rules:
        raise PolicyError(f"{where}: needs at least one rule. Got {value!r}.")
    for i, rule in enumerate(rules):
        if not isinstance(rule, Rule):
            raise PolicyError(
                f"{where}[{i}]: must be a Rule. Got {rule!r}; build rules with "
                "Rule(...) or read a file with load_policy()."
            )
    return rules


def _format_bound(value: float) -> str:
    return f"{value:.12g}"


# -- rules and policies -------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """One requirement on a metric of the report.

    Parameters
    ----------
    metric : str
        A name from the metric registry (``twinaudit.metrics.REGISTRY``).
    min, max : float, optional
        The value must be at least ``min`` and/or at most ``max``.
    max_abs : float, optional
        ``|value| ≤ max_abs``; only for metrics whose parity is 0 (differences),
        and not together with ``min`` or ``max``.
    population : {"twins", "observed"}, optional
        The population to judge; by default every population the metric is
        reported on.
    attribute : str, optional
        Only this protected attribute (or intersection, ``"sex & race"``).
    group : str, int, float or bool, optional
        Only this group (a value of the attribute).
    source : {"twinaudit", "aif360", "fairlearn"}, default "twinaudit"
        Whose number to judge. The libraries' numbers have no interval.
    name : str, optional
        A name for reports.

    Examples
    --------
    >>> print(Rule("disparate_impact", min=0.8, population="twins"))
    disparate_impact ≥ 0.8 (twins)
    >>> print(Rule("equal_opportunity_difference", max_abs=0.1))
    |equal_opportunity_difference| ≤ 0.1
    """

    metric: str
    _: KW_ONLY
    min: float | None = None
    max: float | None = None
    max_abs: float | None = None
    population: Literal["twins", "observed"] | None = None
    attribute: str | None = None
    group: GroupValue | None = None
    source: Literal["twinaudit", "aif360", "fairlearn"] = "twinaudit"
    name: str | None = None

    def __post_init__(self) -> None:
        values = {key: getattr(self, key) for key in _RULE_KEYS}
        for key, value in _rule_fields(values, "Rule").items():
            object.__setattr__(self, key, value)

    @property
    def spec(self) -> Metric:
        """The registry entry of the rule's metric."""
        return REGISTRY[self.metric]

    @property
    def bounds(self) -> tuple[tuple[Literal["min", "max", "max_abs"], float], ...]:
        """The rule's bounds as ``(kind, threshold)`` pairs."""
        out: list[tuple[Literal["min", "max", "max_abs"], float]] = []
        if self.min is not None:
            out.append(("min", self.min))
        if self.max is not None:
            out.append(("max", self.max))
        if self.max_abs is not None:
            out.append(("max_abs", self.max_abs))
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        """A plain dict, as in a policy file (unset keys left out)."""
        out: dict[str, Any] = {}
        for key in _RULE_KEYS:
            value = getattr(self, key)
            if value is None or (key == "source" and value == "twinaudit"):
                continue
            out[key] = value
        return out

    def __str__(self) -> str:
        metric = (
            self.metric
            if self.source == "twinaudit"
            else f"{self.metric} [{self.source}]"
        )
        if self.max_abs is not None:
            text = f"|{metric}| ≤ {_format_bound(self.max_abs)}"
        elif self.min is not None and self.max is not None:
            text = f"{_format_bound(self.min)} ≤ {metric} ≤ {_format_bound(self.max)}"
        elif self.min is not None:
            text = f"{metric} ≥ {_format_bound(self.min)}"
        else:
            text = f"{metric} ≤ {_format_bound(cast(float, self.max))}"
        where: list[str] = []
        if self.population is not None:
            where.append(self.population)
        if self.attribute is not None and self.group is not None:
            where.append(f"{self.attribute}={self.group}")
        elif self.attribute is not None:
            where.append(self.attribute)
        elif self.group is not None:
            where.append(f"group {self.group}")
        if where:
            text += f" ({', '.join(where)})"
        return f"{self.name}: {text}" if self.name else text


@dataclass(frozen=True)
class Policy:
    """Rules a model must meet, and the significance level they are judged at.

    Parameters
    ----------
    rules : sequence of Rule
        At least one rule.
    significance : float, default 0.05
        In (0, 0.5]; the intervals are judged at confidence ``1 - significance``.
    name : str, optional
        A name for reports.

    Examples
    --------
    >>> policy = Policy(
    ...     [Rule("disparate_impact", min=0.8), Rule("flip_rate", max=0.01)],
    ...     name="lending",
    ... )
    >>> policy.significance
    0.05
    >>> Policy.four_fifths().rules[0].min
    0.8
    """

    rules: tuple[Rule, ...]
    _: KW_ONLY
    significance: float = 0.05
    name: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", _rules(self.rules, "Policy.rules"))
        object.__setattr__(
            self,
            "significance",
            _significance(self.significance, "Policy.significance"),
        )
        object.__setattr__(self, "name", _optional_text(self.name, "Policy.name"))

    @classmethod
    def four_fifths(cls, *, significance: float = 0.05) -> Policy:
        """The four-fifths rule: disparate impact ≥ 0.8 for every group, on every
        population of the report."""
        return cls(
            (Rule("disparate_impact", min=0.8),),
            significance=significance,
            name="four-fifths",
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "policy") -> Policy:
        """Build a policy from a plain mapping (a parsed policy file).

        ``where`` names the source in error messages
        (``policy.yaml.rules[1].min: must be a number. Got 'high'.``).

        Examples
        --------
        >>> Policy.from_dict({"rules": [{"metric": "flip_rate", "max": 0.01}]})
        ... # doctest: +ELLIPSIS
        Policy(rules=(Rule(metric='flip_rate', min=None, max=0.01, ...),), ...)
        """
        data = _mapping(data, where)
        _check_keys(data, _POLICY_KEYS, where, required=("rules",))
        items = data["rules"]
        if not isinstance(items, list | tuple):
            raise PolicyError(f"{where}.rules: must be a list of rules. Got {items!r}.")
        if not items:
            raise PolicyError(f"{where}.rules: needs at least one rule. Got {items!r}.")
        rules = tuple(
            _rule_from_dict(item, f"{where}.rules[{i}]") for i, item in enumerate(items)
        )
        significance = _significance(
            data.get("significance", 0.05), f"{where}.significance"
        )
        name = _optional_text(data.get("name"), f"{where}.name")
        return cls(rules, significance=significance, name=name)

    def to_dict(self) -> dict[str, Any]:
        """A plain dict that :meth:`from_dict` turns back into an equal policy."""
        out: dict[str, Any] = {}
        if self.name is not None:
            out["name"] = self.name
        out["significance"] = self.significance
        out["rules"] = [rule.to_dict() for rule in self.rules]
        return out

    def __str__(self) -> str:
        head = f"Policy {self.name!r}" if self.name else "Policy"
        lines = [f"{head} (significance {self.significance:g}):"]
        lines += [f"  {rule}" for rule in self.rules]
        return "\n".join(lines)


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PolicyError(f"{where}: expected a mapping (key: value). Got {value!r}.")
    return value


def _check_keys(
    data: Mapping[str, Any],
    allowed: tuple[str, ...],
    where: str,
    required: tuple[str, ...] = (),
) -> None:
    for key in data:
        if key not in allowed:
            raise PolicyError(
                f"{where}: unknown key {key!r}.{_suggest(str(key), allowed)} "
                f"Allowed keys: {', '.join(allowed)}."
            )
    for key in required:
        if key not in data:
            raise PolicyError(f"{where}: missing required key {key!r}.")


def _rule_from_dict(data: Any, where: str) -> Rule:
    data = _mapping(data, where)
    _check_keys(data, _RULE_KEYS, where, required=("metric",))
    return Rule(**_rule_fields(data, where))


# -- files ---------------------------------------------------------------------------
def _file_format(path: Path) -> Literal["yaml", "toml"]:
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".toml":
        return "toml"
    raise PolicyError(
        f"Cannot tell the format of {str(path)!r} from its suffix; name it .yaml, "
        ".yml or .toml."
    )


class _Dumper(SpecDumper):
    """The spec files' dumper (text that :class:`SpecLoader`, which reads policies
    too, or YAML 1.1 would read as something else is quoted: ``'1e3'``), with text
    holding line breaks or unprintable characters double-quoted: PyYAML's single
    quotes do not read back a trailing NEL (U+0085)."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    # NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR are not printable either.
    risky = not text.isprintable()
    return dumper.represent_scalar(
        "tag:yaml.org,2002:str", text, style='"' if risky else None
    )


_Dumper.add_representer(str, _represent_text)


def _yaml_dump(data: Mapping[str, Any], *, flow: bool) -> str:
    """YAML text for ``data``: one line in flow style (``{metric: ..., min: ...}``)
    or block style."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=flow,
        width=math.inf,
    )


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Read a policy from a YAML (``.yaml``, ``.yml``) or TOML (``.toml``) file.

    Errors name the file and the key path (``policy.yaml.rules[1].min``).

    Examples
    --------
    >>> policy = load_policy("policy.yaml")  # doctest: +SKIP
    """
    path = Path(path)
    # Read as written, like spec files (a group NO, Norway, is not False), and
    # within the same limits: a policy file may come from someone else.
    data = read_document(path, _file_format(path), error=PolicyError, kind="policy")
    if not data:
        raise PolicyError(
            f"Policy file {str(path)!r} is empty; it needs at least a 'rules' list."
        )
    return Policy.from_dict(data, where=path.name)


def save_policy(
    policy: Policy, path: str | os.PathLike[str], *, overwrite: bool = False
) -> Path:
    """Write ``policy`` to a YAML or TOML file (by suffix); :func:`load_policy`
    reads back an equal policy. An existing file is kept unless ``overwrite=True``.

    Examples
    --------
    >>> save_policy(Policy.four_fifths(), "policy.yaml")  # doctest: +SKIP
    PosixPath('policy.yaml')
    """
    if not isinstance(policy, Policy):
        raise PolicyError(f"save_policy needs a Policy. Got {type(policy).__name__}.")
    path = Path(path)
    fmt = _file_format(path)
    data = policy.to_dict()
    if fmt == "yaml":
        rules = data.pop("rules")
        text = _yaml_dump(data, flow=False) + "rules:\n"
        text += "".join(f"  - {_yaml_dump(rule, flow=True)}" for rule in rules)
    else:
        import tomli_w

        text = tomli_w.dumps(data)
    write_text(path, text, overwrite=overwrite)
    return path


# -- verdicts --------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    """One row of the report judged against one rule.

    ``low`` and ``high`` are the interval the check was judged on (``nan`` where
    the value has none: a library's number, or a metric without interval).
    """

    population: str
    attribute: str | None
    group: GroupValue | None
    reference: GroupValue | None
    value: float
    low: float
    high: float
    status: Status
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, in the report schema's ``checks`` shape (nan as ``None``)."""
        return {
            "population": self.population,
            "attribute": self.attribute,
            "group": self.group,
            "value": _json_float(self.value),
            "low": _json_float(self.low),
            "high": _json_float(self.high),
            "status": self.status,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class RuleResult:
    """A rule's verdict: its status, the reason, and one check per matching row."""

    rule: Rule
    status: Status
    reason: str
    checks: tuple[Check, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, in the report schema's ``verdict.rules`` shape."""
        return {
            "rule": str(self.rule),
            "metric": self.rule.metric,
            "population": self.rule.population,
            "status": self.status,
            "reason": self.reason,
            "checks": [check.to_dict() for check in self.checks],
        }


@dataclass(frozen=True)
class Verdict:
    """A policy judged on a report: ``pass``, ``fail`` or ``inconclusive``.

    Attributes
    ----------
    status : {"pass", "fail", "inconclusive"}
        ``fail`` if any rule fails, else ``inconclusive`` if any rule is, else
        ``pass``.
    rules : tuple of RuleResult
        One per rule of the policy, in the policy's order.
    significance : float
        The policy's significance level.
    """

    status: Status
    rules: tuple[RuleResult, ...]
    significance: float

    @property
    def passed(self) -> bool:
        """Whether every rule passed."""
        return self.status == "pass"

    @property
    def exit_code(self) -> int:
        """The command line's exit code: 0 pass, 1 fail, 3 inconclusive."""
        return EXIT_CODES[self.status]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, the ``verdict`` of the report schema (nan as ``None``)."""
        return {
            "status": self.status,
            "significance": self.significance,
            "rules": [result.to_dict() for result in self.rules],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per check; a rule that matched no row of the report gets one
        row with its reason and no value."""
        rows: list[dict[str, Any]] = []
        for result in self.rules:
            base = {"rule": str(result.rule), "metric": result.rule.metric}
            if not result.checks:
                rows.append(
                    {
                        **base,
                        "population": result.rule.population,
                        "attribute": result.rule.attribute,
                        "group": result.rule.group,
                        "reference": None,
                        # value, low and high: absent, so NaN (columns= below)
                        "status": result.status,
                        "reason": result.reason,
                    }
                )
            for check in result.checks:
                rows.append(
                    {
                        **base,
                        "population": check.population,
                        "attribute": check.attribute,
                        "group": check.group,
                        "reference": check.reference,
                        "value": check.value,
                        "low": check.low,
                        "high": check.high,
                        "status": check.status,
                        "reason": check.reason,
                    }
                )
        columns = [
            "rule",
            "metric",
            "population",
            "attribute",
            "group",
            "reference",
            "value",
            "low",
            "high",
            "status",
            "reason",
        ]
        frame = pd.DataFrame(rows, columns=columns)
        for column in ("population", "attribute", "group", "reference"):
            # Object columns built from the rows, so a missing value stays None
            # (pandas would turn None among text into NaN).
            frame[column] = pd.Series(
                [row[column] for row in rows], index=frame.index, dtype=object
            )
        return frame

    def __str__(self) -> str:
        counts = {s: sum(r.status == s for r in self.rules) for s in STATUSES}
        tally = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
        n = len(self.rules)
        lines = [
            f"Verdict: {self.status.upper()} ({n} rule{'s' if n != 1 else ''}: "
            f"{tally}; significance {self.significance:g})"
        ]
        width = max(len(s) for s in STATUSES)
        for result in self.rules:
            lines.append(
                f"  {result.status.upper():<{width}}  {result.rule}: {result.reason}"
            )
        return "\n".join(lines)


def _json_float(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _worst(statuses: Iterable[Status]) -> Status:
    """The worst status (fail > inconclusive > pass) of one or more; every caller
    has at least one (a policy has rules, a rule bounds, a matched rule checks)."""
    return max(statuses, key=STATUSES.index)


# -- evaluating ------------------------------------------------------------------
_COLUMNS = (
    "metric",
    "population",
    "attribute",
    "group",
    "value",
    "low",
    "high",
    "undefined",
    "too_small",
)


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def _plain(value: Any) -> Any:
    """Python scalars instead of numpy's; ``None`` for a missing value."""
    if _missing(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _as_float(value: Any) -> float:
    if _missing(value):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _same_group(cell: Any, wanted: GroupValue) -> bool:
    """Whether a report's group equals a rule's (``"1"`` in a file matches 1)."""
    cell = _plain(cell)
    if cell is None:
        return False
    if isinstance(cell, bool) or isinstance(wanted, bool):
        return isinstance(cell, bool) and isinstance(wanted, bool) and cell == wanted
    if cell == wanted:
        return True
    return isinstance(cell, str) != isinstance(wanted, str) and str(cell) == str(wanted)


def _fmt(value: float, *thresholds: float) -> str:
    """``value`` to 3 significant digits, or more where fewer would make it look
    equal to (or on the other side of) a threshold."""
    for digits in range(3, 17):
        text = f"{value:.{digits}g}"
        shown = float(text)
        if all(
            (shown > t) == (value > t) and (shown < t) == (value < t)
            for t in thresholds
        ):
            return text
    # 16 digits can still look equal to a threshold (0.1 + 1 ulp, with a bound 0.1);
    # repr gives the shortest text that reads back as value.
    return repr(value)


def _judge(kind: str, threshold: float, low: float, high: float) -> Status:
    """Judge one bound on the interval [low, high] (a point when low == high)."""
    if kind == "min":
        ok, bad = low >= threshold, high < threshold
    elif kind == "max":
        ok, bad = high <= threshold, low > threshold
    else:
        ok = -threshold <= low and high <= threshold
        bad = high < -threshold or low > threshold
    return "pass" if ok else "fail" if bad else "inconclusive"


def _margin(rule: Rule, value: float) -> float:
    """How far ``value`` is inside the rule's bounds (negative: outside)."""
    margins = []
    for kind, threshold in rule.bounds:
        if kind == "min":
            margins.append(value - threshold)
        elif kind == "max":
            margins.append(threshold - value)
        else:
            margins.append(threshold - abs(value))
    return min(margins)


def _bound_text(kind: str, threshold: float, status: Status) -> str:
    t = _format_bound(threshold)
    if kind == "min":
        return {
            "pass": f"at or above the minimum {t}",
            "fail": f"below the minimum {t}",
            "inconclusive": f"the minimum {t}",
        }[status]
    if kind == "max":
        return {
            "pass": f"at or below the maximum {t}",
            "fail": f"above the maximum {t}",
            "inconclusive": f"the maximum {t}",
        }[status]
    return {
        "pass": f"within ±{t}",
        "fail": f"outside ±{t}",
        "inconclusive": f"±{t}",
    }[status]


def _subject(rule: Rule, row: Mapping[Any, Any]) -> str:
    metric = (
        rule.metric if rule.source == "twinaudit" else f"{rule.metric} ({rule.source})"
    )
    attribute, group = _plain(row["attribute"]), _plain(row["group"])
    if group is not None:
        metric += f" for {attribute}={group}"
    elif attribute is not None:
        metric += f" for {attribute}"
    return f"{metric} on {row['population']}"


def _check(rule: Rule, row: Mapping[Any, Any], level: str) -> Check:
    column = "value" if rule.source == "twinaudit" else rule.source
    value = _as_float(row[column])
    low, high = math.nan, math.nan
    if rule.source == "twinaudit":
        low, high = _as_float(row["low"]), _as_float(row["high"])
        if not (math.isfinite(low) and math.isfinite(high)):
            low, high = math.nan, math.nan
    subject = _subject(rule, row)
    undefined = _plain(row["undefined"])

    def check(status: Status, reason: str) -> Check:
        return Check(
            population=str(row["population"]),
            attribute=_plain(row["attribute"]),
            group=_plain(row["group"]),
            reference=_plain(row.get("reference")),
            value=value,
            low=low,
            high=high,
            status=status,
            reason=reason,
        )

    if not math.isfinite(value):
        if undefined is not None:
            return check("inconclusive", f"{subject} is undefined: {undefined}")
        if math.isnan(value) and rule.source != "twinaudit":
            return check(
                "inconclusive",
                f"{subject} has no {rule.source} value; audit with libraries=True "
                f"(and {rule.source} installed) to compute it",
            )
        return check("inconclusive", f"{subject} is undefined: its value is {value}")

    thresholds = [t for _, t in rule.bounds]
    thresholds += [-t for kind, t in rule.bounds if kind == "max_abs"]
    shown = _fmt(value, *thresholds)
    has_interval = math.isfinite(low)
    if has_interval:
        lo, hi = min(low, value), max(high, value)
        dash = "–" if low >= 0 else " to "
        interval = f"{_fmt(low, *thresholds)}{dash}{_fmt(high, *thresholds)}"
        described = f"{subject} is {shown} ({level} interval {interval})"
    else:
        lo = hi = value
        described = f"{subject} is {shown}"

    if bool(row["too_small"]):
        return check(
            "inconclusive",
            f"{described}, but a group behind it has fewer rows than the minimum "
            "cell size (audit(min_cell_size=...), 30 by default), too few to judge; "
            "audit more pairs or rows",
        )

    judged = [(kind, t, _judge(kind, t, lo, hi)) for kind, t in rule.bounds]
    status = _worst(s for _, _, s in judged)
    if status == "fail":
        kind, t, _ = next(j for j in judged if j[2] == "fail")
        return check("fail", f"{described}, {_bound_text(kind, t, 'fail')}")
    if status == "pass":
        if rule.min is not None and rule.max is not None:
            bound = f"within [{_format_bound(rule.min)}, {_format_bound(rule.max)}]"
        else:
            kind, t, _ = judged[0]
            bound = _bound_text(kind, t, "pass")
        return check("pass", f"{described}, {bound}")
    straddled = " and ".join(
        _bound_text(kind, t, "inconclusive")
        for kind, t, s in judged
        if s == "inconclusive"
    )
    return check(
        "inconclusive",
        f"{subject} is {shown}; the {level} interval "
        f"[{_fmt(low, *thresholds)}, {_fmt(high, *thresholds)}] straddles "
        f"{straddled}, too close to call: audit more pairs or rows",
    )


def _listing(values: Iterable[Any]) -> str:
    seen: list[Any] = []
    for value in values:
        value = _plain(value)
        if value is not None and value not in seen:
            seen.append(value)
    return ", ".join(repr(v) for v in seen) if seen else "none"


def _no_rows(rule: Rule, metrics: pd.DataFrame) -> str:
    """Why a rule matched no row of the report, and what the report has."""
    metric = rule.spec
    name = rule.metric
    rows = metrics[metrics["metric"] == name]
    populations = _listing(metrics["population"])
    if rows.empty:
        if metric.needs_labels:
            return (
                f"{name} needs true labels and the report has none: audit with "
                "y_true=... (a label column of the twins' frame, or one label per "
                "pair)"
            )
        if metric.needs_scores:
            return (
                f"{name} needs model scores and the report has none: the model has "
                "neither predict_proba nor decision_function"
            )
        return (
            f"the report has no {name} (populations in the report: {populations}); "
            f"metrics it reports: {_listing(metrics['metric'])}"
        )
    on = ""
    if rule.population is not None:
        on = f" on {rule.population}"
        narrowed = rows[rows["population"] == rule.population]
        if narrowed.empty:
            if rule.population == "observed" and "observed" not in set(
                metrics["population"]
            ):
                return (
                    "the report has no observed population (the factual rows of "
                    "twins made from real rows with from_frame); it has "
                    f"{populations}"
                )
            return (
                f"the report has no {name} on {rule.population}; it has {name} on "
                f"{_listing(rows['population'])}"
            )
        rows = narrowed
    if rule.attribute is not None:
        narrowed = rows[rows["attribute"] == rule.attribute]
        if narrowed.empty:
            attributes = [a for a in dict.fromkeys(rows["attribute"]) if a is not None]
            return (
                f"the report has no {name}{on} for attribute {rule.attribute!r}."
                f"{_suggest(rule.attribute, [str(a) for a in attributes])} "
                f"Attributes: {_listing(attributes)}"
            )
        rows = narrowed
    of = f" of {rule.attribute}" if rule.attribute is not None else ""
    group = cast(GroupValue, rule.group)
    text = f"the report has no {name}{on} for group {group!r}{of}"
    if "reference" in rows and any(_same_group(r, group) for r in rows["reference"]):
        text += (
            f": {group!r} is the reference (privileged) group, the one the other "
            "groups are compared with, so it has no row of its own"
        )
    else:
        text += f"; groups: {_listing(rows['group'])}"
    if isinstance(group, bool):
        text += (
            " (YAML reads unquoted yes, no, on, off, true and false as booleans: "
            "quote the group if it is text)"
        )
    return text


def _matching(rule: Rule, metrics: pd.DataFrame) -> pd.DataFrame:
    mask = metrics["metric"] == rule.metric
    if rule.population is not None:
        mask &= metrics["population"] == rule.population
    if rule.attribute is not None:
        mask &= metrics["attribute"] == rule.attribute
    if rule.group is not None:
        group = rule.group
        mask &= metrics["group"].map(lambda cell: _same_group(cell, group)).astype(bool)
    return metrics[mask]


def _summarise(rule: Rule, checks: Sequence[Check]) -> tuple[Status, str]:
    status = _worst(c.status for c in checks)
    chosen = [c for c in checks if c.status == status]
    n, k = len(checks), len(chosen)
    if status == "inconclusive":
        more = f" (and {k - 1} more of {n} checks are inconclusive)" if k > 1 else ""
        return status, chosen[0].reason + more
    worst = min(chosen, key=lambda c: _margin(rule, c.value))
    if status == "fail":
        more = f" (and {k - 1} more of {n} checks fail)" if k > 1 else ""
        return status, worst.reason + more
    if n == 1:
        return status, worst.reason
    return status, f"all {n} checks pass; the closest to the bound: {worst.reason}"


def _evaluate_rule(rule: Rule, metrics: pd.DataFrame, level: str) -> RuleResult:
    rows = _matching(rule, metrics)
    if rows.empty:
        return RuleResult(rule, "inconclusive", _no_rows(rule, metrics), ())
    checks = tuple(_check(rule, row, level) for row in rows.to_dict("records"))
    status, reason = _summarise(rule, checks)
    return RuleResult(rule, status, reason, checks)


def evaluate(policy: Policy, metrics: pd.DataFrame, *, confidence: float) -> Verdict:
    """Judge a report's metrics against a policy.

    Parameters
    ----------
    policy : Policy
        The rules.
    metrics : DataFrame
        The report's long metrics table (``report.metrics``): columns ``metric,
        population, attribute, group, reference, value, low, high, aif360,
        fairlearn, undefined, too_small``.
    confidence : float
        The confidence level of the table's intervals; must be
        ``1 - policy.significance``.

    Returns
    -------
    Verdict
        Per rule and overall: ``fail`` if any check fails (its whole interval
        violates a bound), else ``inconclusive`` if any check is (an interval that
        straddles a threshold, an undefined value, a cell below the minimum size,
        or no matching row), else ``pass``.

    Examples
    --------
    >>> import pandas as pd
    >>> metrics = pd.DataFrame({
    ...     "metric": ["disparate_impact"], "population": ["twins"],
    ...     "attribute": ["sex"], "group": ["F"], "reference": ["M"],
    ...     "value": [0.454], "low": [0.42], "high": [0.49], "aif360": [0.454],
    ...     "fairlearn": [float("nan")], "undefined": [None], "too_small": [False],
    ... })
    >>> verdict = evaluate(Policy.four_fifths(), metrics, confidence=0.95)
    >>> verdict.status, verdict.exit_code
    ('fail', 1)
    >>> print(verdict.rules[0].reason)
    disparate_impact for sex=F on twins is 0.454 (95% interval 0.42–0.49), below the minimum 0.8
    """  # noqa: E501
    if not isinstance(policy, Policy):
        raise PolicyError(
            f"evaluate needs a Policy. Got {type(policy).__name__}; build one with "
            "Policy([...]) or load_policy(path)."
        )
    if not isinstance(metrics, pd.DataFrame):
        raise DataError(
            "evaluate needs the report's metrics table (report.metrics), a "
            f"DataFrame. Got {type(metrics).__name__}."
        )
    needed = list(_COLUMNS)
    needed += sorted({r.source for r in policy.rules} - {"twinaudit"})
    missing = [c for c in needed if c not in metrics.columns]
    if missing:
        raise DataError(
            f"The metrics table lacks the column(s) {missing}; pass the report's "
            f"metrics table (report.metrics). Columns: {list(metrics.columns)}."
        )
    confidence = _number(confidence, "confidence")
    wanted = 1 - policy.significance
    if abs(confidence - wanted) > _TOLERANCE:
        raise PolicyError(
            f"The policy's significance level {policy.significance:g} judges "
            f"intervals at confidence {wanted:g}, but the report's intervals are at "
            f"confidence {confidence:g}. Audit with confidence={wanted:g}, or pass "
            "policy= to audit() so the confidence follows the policy."
        )
    level = f"{100 * confidence:.12g}%"
    results = tuple(_evaluate_rule(rule, metrics, level) for rule in policy.rules)
    return Verdict(
        status=_worst(r.status for r in results),
        rules=results,
        significance=policy.significance,
    )
