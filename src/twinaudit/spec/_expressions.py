"""Expressions of derived fields: a small, safe, vectorised subset of Python.

``"round(debt / income, 2)"``, ``"years_between(birth_date, '2026-01-01')"``,
``"where(age < 25, 'young', 'adult')"``. Names are columns; the functions are the
ones in :data:`FUNCTIONS`. Nothing else (attributes, subscripts, lambdas, imports)
is accepted, so a spec file cannot run arbitrary code.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from twinaudit.exceptions import SpecError, did_you_mean


def _as_days(value: Any) -> np.ndarray:
    return np.asarray(value, dtype="datetime64[D]")


def _years_between(start: Any, end: Any) -> np.ndarray:
    """Whole years from ``start`` to ``end`` (an age when start is a birth date)."""
    s = _as_days(start)
    e = _as_days(end)
    years = (e.astype("datetime64[Y]") - s.astype("datetime64[Y]")).astype(np.int64)
    # One year less where the anniversary has not come yet in the end year.
    return years - (_month_day(e) < _month_day(s)).astype(np.int64)


def _month_day(days: np.ndarray) -> np.ndarray:
    months = days.astype("datetime64[M]")
    month_of_year = months - days.astype("datetime64[Y]").astype("datetime64[M]")
    day_of_month = (days - months.astype("datetime64[D]")).astype(np.int64)
    return month_of_year.astype(np.int64) * 100 + day_of_month


def _days_between(start: Any, end: Any) -> np.ndarray:
    return (_as_days(end) - _as_days(start)).astype(np.int64)


def _year(value: Any) -> np.ndarray:
    return _as_days(value).astype("datetime64[Y]").astype(np.int64) + 1970


def _round(value: Any, ndigits: int = 0) -> np.ndarray:
    return np.round(np.asarray(value, dtype=float), ndigits)


def _as_str(value: Any) -> np.ndarray:
    return np.asarray(value).astype(str).astype(object)


def _lower(value: Any) -> np.ndarray:
    return np.asarray(
        [str(v).lower() for v in np.asarray(value, dtype=object)], dtype=object
    )


def _upper(value: Any) -> np.ndarray:
    return np.asarray(
        [str(v).upper() for v in np.asarray(value, dtype=object)], dtype=object
    )


FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "abs": np.abs,
    "round": _round,
    "floor": np.floor,
    "ceil": np.ceil,
    "sqrt": np.sqrt,
    "log": np.log,
    "log1p": np.log1p,
    "exp": np.exp,
    "minimum": np.minimum,
    "maximum": np.maximum,
    "clip": np.clip,
    "where": np.where,
    "int": lambda v: np.asarray(v).astype(np.int64),
    "float": lambda v: np.asarray(v).astype(np.float64),
    "str": _as_str,
    "lower": _lower,
    "upper": _upper,
    "year": _year,
    "years_between": _years_between,
    "days_between": _days_between,
}

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: np.logical_not,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


_ALLOWED = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.BoolOp,
    ast.Constant,
    ast.IfExp,
    ast.Load,
    ast.operator,
    ast.unaryop,
    ast.cmpop,
    ast.boolop,
)


def parse_expression(expression: str, where: str) -> tuple[ast.Expression, set[str]]:
    """Parse and check ``expression``; return the tree and the column names used."""
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise SpecError(
            f"{where}: the expression {expression!r} is not valid: {exc.msg} "
            f"(column {exc.offset}). Write a Python-like expression over column "
            "names, for example 'round(debt / income, 2)'."
        ) from exc
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                shown = ast.unparse(node.func)
                raise SpecError(
                    f"{where}: {shown!r} is not a function expressions may use."
                    f"{did_you_mean(shown, FUNCTIONS)} Available: "
                    f"{', '.join(sorted(FUNCTIONS))}."
                )
            if node.keywords:
                raise SpecError(
                    f"{where}: expressions take positional arguments only; "
                    f"remove the keyword in {ast.unparse(node)!r}."
                )
        elif isinstance(node, ast.Name):
            if id(node) not in called:
                names.add(node.id)
        elif not isinstance(node, _ALLOWED):
            raise SpecError(
                f"{where}: {type(node).__name__.lower()} is not allowed in an "
                f"expression ({ast.unparse(node)!r}). Use arithmetic, comparisons, "
                "'and'/'or'/'not', 'x if cond else y' and the listed functions."
            )
    return tree, names


def evaluate(tree: ast.Expression, columns: Mapping[str, Any]) -> Any:
    """Evaluate a parsed expression with numpy over ``columns``."""
    return _eval(tree.body, columns)


def _eval(node: ast.AST, env: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_eval(node.left, env), _eval(node.right, env))
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_eval(node.operand, env))
    if isinstance(node, ast.BoolOp):
        values = [_eval(v, env) for v in node.values]
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        out = values[0]
        for value in values[1:]:
            out = combine(out, value)
        return out
    if isinstance(node, ast.Compare):
        left = _eval(node.left, env)
        result: Any = True
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _eval(comparator, env)
            result = np.logical_and(result, _COMPARE[type(op)](left, right))
            left = right
        return result
    if isinstance(node, ast.IfExp):
        return np.where(
            _eval(node.test, env), _eval(node.body, env), _eval(node.orelse, env)
        )
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        return FUNCTIONS[node.func.id](*[_eval(a, env) for a in node.args])
    raise AssertionError(f"unchecked node {type(node).__name__}")  # pragma: no cover
