"""Expressions of derived fields: a small, safe, vectorised subset of Python.

``"round(debt / income, 2)"``, ``"years_between(birth_date, '2026-01-01')"``,
``"where(age < 25, 'young', 'adult')"``. Names are columns; the operators are the
ones in :data:`OPERATORS` and the functions the ones in :data:`FUNCTIONS`. Nothing
else (attributes, subscripts, lambdas, imports) is accepted, so a spec file cannot run
arbitrary code.

One table serves both sides: validation accepts exactly the operators and functions
that evaluation implements, and checks their operand kinds (number, text, date,
boolean) with the same rules evaluation applies. Values are numpy int64, float64,
bool, datetime64[D] or text; nothing grows with a number in the expression:

- an integer result outside int64, a float result that is not finite, a division by
  zero or a function outside its domain (``sqrt(-1)``, ``log(0)``) is an
  :class:`~twinaudit.exceptions.ExpressionValueError` naming the field, the
  sub-expression and how many rows it affects, never a silent wrap-around or
  ``inf``;
- ``x if cond else y``, ``where(cond, x, y)``, ``and`` and ``or`` evaluate each
  branch only on the rows that take it, so ``where(b != 0, a / b, 0)`` guards a
  division;
- limits (:mod:`twinaudit.spec._limits`) bound an expression's length and depth, an
  exponent and a text value, checked before anything is computed where the value is
  known then (a constant part of an expression is computed at validation).
"""

from __future__ import annotations

import ast
import datetime as dt
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from twinaudit.exceptions import ExpressionValueError, SpecError, did_you_mean
from twinaudit.spec._limits import (
    INT64_MAX,
    INT64_MIN,
    MAX_EXPRESSION_DEPTH,
    MAX_EXPRESSION_LENGTH,
    MAX_POWER,
    MAX_ROUND_DIGITS,
    MAX_TEXT_LENGTH,
    shown,
)

__all__ = [
    "FUNCTIONS",
    "OPERATORS",
    "Kind",
    "check_types",
    "evaluate",
    "kind_of_values",
    "parse_expression",
]

#: What a column or a sub-expression holds. ``lit`` is a text literal (which a date
#: position also accepts, ``'2026-01-01'``); ``object`` is anything else (a list, a
#: mix), which only ``str()`` takes; ``unknown`` is a column computed by a Python
#: function, checked when it is evaluated.
Kind = Literal["bool", "int", "float", "str", "lit", "date", "object", "unknown"]

_NUMERIC = ("bool", "int", "float")
_TEXT = ("str", "lit")
_DTYPES: dict[str, Any] = {
    "bool": np.bool_,
    "int": np.int64,
    "float": np.float64,
    "date": "datetime64[D]",
}
_NAMES = {
    "bool": "a boolean",
    "int": "an integer",
    "float": "a float",
    "str": "text",
    "lit": "text",
    "date": "a date",
    "object": "a value that is not a number, text or date",
    "unknown": "an unknown value",
}


class _Refused(Exception):
    """An operand kind an operator or function does not take (a message)."""


# -- kind rules ---------------------------------------------------------------------
def _numeric(*kinds: str) -> str:
    for k in kinds:
        if k not in _NUMERIC:
            raise _Refused(_NAMES[k])
    return "float" if "float" in kinds else "int"


def _add(a: str, b: str) -> str:
    if a in _TEXT and b in _TEXT:
        return "str"
    return _numeric(a, b)


def _true_div(a: str, b: str) -> str:
    _numeric(a, b)
    return "float"


def _float_of(*kinds: str) -> str:
    _numeric(*kinds)
    return "float"


def _same_or_numeric(a: str, b: str) -> str:
    """The kind of a value that is either ``a`` or ``b`` (branches of a choice)."""
    if a in _NUMERIC and b in _NUMERIC:
        return "bool" if a == b == "bool" else _numeric(a, b)
    if a in _TEXT and b in _TEXT:
        return "str"
    if a == b and a != "object":
        return a
    raise _Refused(f"{_NAMES[a]} and {_NAMES[b]}")


def _order(a: str, b: str) -> str:
    if a in _NUMERIC and b in _NUMERIC:
        return "bool"
    if a in _TEXT and b in _TEXT:
        return "bool"
    if {a, b} <= {"date", "lit"}:
        return "bool"
    raise _Refused(f"{_NAMES[a]} with {_NAMES[b]}")


def _truth(a: str) -> str:
    if a not in _NUMERIC:
        raise _Refused(_NAMES[a])
    return "bool"


def _text(a: str) -> str:
    if a not in _TEXT:
        raise _Refused(_NAMES[a])
    return "str"


def _date(*kinds: str) -> str:
    for k in kinds:
        if k not in ("date", "lit"):
            raise _Refused(_NAMES[k])
    return "int"


def _numeric_of(a: str) -> str:
    return "int" if _numeric(a) == "int" else "float"


def _anything(a: str) -> str:
    return "str"


def _int_rule(a: str) -> str:
    _numeric(a)
    return "int"


# -- checked numpy implementations ----------------------------------------------------
class _Ctx:
    """Evaluation state: the columns (restricted to the rows evaluated now), the
    total row count for messages, and the field for errors."""

    def __init__(
        self,
        env: Mapping[str, tuple[np.ndarray, str]],
        rows: int,
        total: int,
        where: str,
    ) -> None:
        self.env = env
        self.rows = rows
        self.total = total
        self.where = where

    def subset(self, mask: np.ndarray) -> _Ctx:
        env = {name: (values[mask], kind) for name, (values, kind) in self.env.items()}
        return _Ctx(env, int(mask.sum()), self.total, self.where)

    def fail(self, node: ast.AST, bad: np.ndarray | int, what: str, fix: str) -> None:
        count = int(np.count_nonzero(bad)) if isinstance(bad, np.ndarray) else bad
        raise ExpressionValueError(
            f"{self.where}: {shown(ast.unparse(node), 120)} {what} in {count:,} of "
            f"{self.total:,} rows. {fix}"
        )


def _exact_int(op: Callable[[Any, Any], Any], a: np.ndarray, b: np.ndarray) -> Any:
    return op(a.astype(object), b.astype(object))


def _int_op(
    op: Callable[[Any, Any], Any],
    a: np.ndarray,
    b: np.ndarray,
    ctx: _Ctx,
    node: ast.AST,
) -> np.ndarray:
    """``op`` on int64 with every overflow found: float64 arithmetic flags the rows
    near or past the int64 range, Python integers decide those rows exactly."""
    with np.errstate(all="ignore"):
        result = op(a, b)
        approx = op(a.astype(np.float64), b.astype(np.float64))
    suspect = ~(np.abs(approx) < 2.0**62)
    if suspect.any():
        exact = np.asarray(_exact_int(op, a[suspect], b[suspect]), dtype=object)
        over = (exact > INT64_MAX) | (exact < INT64_MIN)
        if over.any():
            ctx.fail(
                node,
                int(over.sum()),
                "overflows 64-bit integers (beyond ±9.2e18)",
                "Compute it in floats, e.g. float(x) ** 2, or narrow the inputs.",
            )
    return np.asarray(result, dtype=np.int64)


def _finite(result: np.ndarray, ctx: _Ctx, node: ast.AST) -> np.ndarray:
    bad = ~np.isfinite(result)
    if bad.any():
        ctx.fail(
            node,
            bad,
            "gives NaN or an infinite value (an overflow, or an input outside the "
            "function's domain)",
            "Narrow the inputs or guard the rows, e.g. where(x > 0, log(x), 0).",
        )
    return result


def _as(values: np.ndarray, kind: str) -> np.ndarray:
    """Numbers as the kind's numpy dtype (booleans count as 0 and 1)."""
    if kind == "float":
        return values.astype(np.float64)
    if kind == "int":
        return values.astype(np.int64)
    return values


def _arith(op: Callable[[Any, Any], Any]) -> Callable[..., np.ndarray]:
    def apply(
        ctx: _Ctx, node: ast.AST, kind: str, a: np.ndarray, b: np.ndarray
    ) -> np.ndarray:
        a, b = _as(a, kind), _as(b, kind)
        if kind == "int":
            return _int_op(op, a, b, ctx, node)
        with np.errstate(all="ignore"):
            return _finite(op(a, b), ctx, node)

    return apply


def _concat(
    ctx: _Ctx, node: ast.AST, kind: str, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    if kind != "str":
        return _arith(operator.add)(ctx, node, kind, a, b)
    length = _lengths(a) + _lengths(b)
    too_long = length > MAX_TEXT_LENGTH
    if too_long.any():
        ctx.fail(
            node,
            too_long,
            f"gives text longer than {MAX_TEXT_LENGTH:,} characters",
            "Build shorter text.",
        )
    return np.asarray(a + b, dtype=object)


def _lengths(values: np.ndarray) -> np.ndarray:
    return np.fromiter(map(len, values), dtype=np.int64, count=len(values))


def _zero_divisor(ctx: _Ctx, node: ast.AST, b: np.ndarray) -> None:
    zero = b == 0
    if zero.any():
        ctx.fail(
            node,
            zero,
            "divides by zero",
            "Guard the rows, e.g. where(b != 0, a / b, 0).",
        )


def _divide(
    ctx: _Ctx, node: ast.AST, kind: str, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    _zero_divisor(ctx, node, b)
    with np.errstate(all="ignore"):
        return _finite(a.astype(np.float64) / b.astype(np.float64), ctx, node)


def _floor_like(op: Callable[[Any, Any], Any]) -> Callable[..., np.ndarray]:
    def apply(
        ctx: _Ctx, node: ast.AST, kind: str, a: np.ndarray, b: np.ndarray
    ) -> np.ndarray:
        _zero_divisor(ctx, node, b)
        a, b = _as(a, kind), _as(b, kind)
        if kind == "int":
            return _int_op(op, a, b, ctx, node)
        with np.errstate(all="ignore"):
            return _finite(op(a, b), ctx, node)

    return apply


def _power(
    ctx: _Ctx, node: ast.AST, kind: str, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    large = np.abs(b.astype(np.float64)) > MAX_POWER
    if large.any():
        ctx.fail(
            node,
            large,
            f"has an exponent beyond ±{MAX_POWER:,} (the limit on '**')",
            "Use a smaller exponent.",
        )
    a, b = _as(a, kind), _as(b, kind)
    if kind == "float":
        with np.errstate(all="ignore"):
            return _finite(np.power(a, b), ctx, node)
    negative = b < 0
    if negative.any():
        ctx.fail(
            node,
            negative,
            "raises an integer to a negative power",
            "Write float(x) ** y for a fractional result.",
        )
    # Beyond 2 ** 63 every base but -1, 0 and 1 overflows; keep the exact check cheap.
    big = (b > 64) & (np.abs(a) > 1)
    if big.any():
        ctx.fail(
            node,
            big,
            "overflows 64-bit integers (beyond ±9.2e18)",
            "Compute it in floats, e.g. float(x) ** 2, or narrow the inputs.",
        )
    return _int_op(operator.pow, a, np.minimum(b, 64), ctx, node)


def _negate(ctx: _Ctx, node: ast.AST, kind: str, a: np.ndarray) -> np.ndarray:
    a = _as(a, kind)
    if kind == "int":
        return _int_op(operator.sub, np.zeros_like(a), a, ctx, node)
    return -a


def _positive(ctx: _Ctx, node: ast.AST, kind: str, a: np.ndarray) -> np.ndarray:
    return _as(a, kind)


def _not(ctx: _Ctx, node: ast.AST, kind: str, a: np.ndarray) -> np.ndarray:
    return np.logical_not(a.astype(bool))


def _compare(op: Callable[[Any, Any], Any]) -> Callable[..., np.ndarray]:
    def apply(
        ctx: _Ctx, node: ast.AST, kinds: tuple[str, str], a: np.ndarray, b: np.ndarray
    ) -> np.ndarray:
        if "date" in kinds:
            a, b = a.astype("datetime64[D]"), b.astype("datetime64[D]")
        return np.asarray(op(a, b), dtype=bool)

    return apply


def _row_wise(*args: Any) -> np.ndarray:  # pragma: no cover - never called
    """``and``, ``or`` and ``where`` evaluate each operand only on the rows that
    need it (:func:`_bool_op`, :func:`_choose`), not through the table."""
    raise AssertionError("evaluated row by row")


@dataclass(frozen=True)
class Operator:
    """One operator of the expression language: its symbol, the kind of its result
    given its operands' kinds (raising for kinds it does not take), and the checked
    numpy implementation."""

    symbol: str
    rule: Callable[..., str]
    apply: Callable[..., np.ndarray]


#: Every operator expressions may use; validation and evaluation both read it.
OPERATORS: Mapping[type[ast.AST], Operator] = {
    ast.Add: Operator("+", _add, _concat),
    ast.Sub: Operator("-", _numeric, _arith(operator.sub)),
    ast.Mult: Operator("*", _numeric, _arith(operator.mul)),
    ast.Div: Operator("/", _true_div, _divide),
    ast.FloorDiv: Operator("//", _numeric, _floor_like(operator.floordiv)),
    ast.Mod: Operator("%", _numeric, _floor_like(operator.mod)),
    ast.Pow: Operator("**", _numeric, _power),
    ast.USub: Operator("-", _numeric_of, _negate),
    ast.UAdd: Operator("+", _numeric_of, _positive),
    ast.Not: Operator("not", _truth, _not),
    ast.Lt: Operator("<", _order, _compare(operator.lt)),
    ast.LtE: Operator("<=", _order, _compare(operator.le)),
    ast.Gt: Operator(">", _order, _compare(operator.gt)),
    ast.GtE: Operator(">=", _order, _compare(operator.ge)),
    ast.Eq: Operator("==", _order, _compare(operator.eq)),
    ast.NotEq: Operator("!=", _order, _compare(operator.ne)),
    ast.And: Operator("and", _truth, _row_wise),
    ast.Or: Operator("or", _truth, _row_wise),
}

#: Operators Python has and expressions refuse, for the message.
_REFUSED_SYMBOLS = {
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.MatMult: "@",
    ast.Invert: "~",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}


# -- functions ------------------------------------------------------------------------
def _as_days(value: np.ndarray) -> np.ndarray:
    return np.asarray(value).astype("datetime64[D]")


def _years_between(start: np.ndarray, end: np.ndarray) -> np.ndarray:
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


def _days_between(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    return (_as_days(end) - _as_days(start)).astype(np.int64)


def _year(value: np.ndarray) -> np.ndarray:
    return _as_days(value).astype("datetime64[Y]").astype(np.int64) + 1970


def _float_fn(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[..., np.ndarray]:
    def apply(ctx: _Ctx, node: ast.AST, kind: str, *args: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return _finite(fn(*(a.astype(np.float64) for a in args)), ctx, node)

    return apply


def _round(ctx: _Ctx, node: ast.AST, kind: str, *args: np.ndarray) -> np.ndarray:
    ndigits = int(args[1][0]) if len(args) > 1 and len(args[1]) else 0
    with np.errstate(all="ignore"):
        return _finite(np.round(args[0].astype(np.float64), ndigits), ctx, node)


def _abs(ctx: _Ctx, node: ast.AST, kind: str, a: np.ndarray) -> np.ndarray:
    a = _as(a, kind)
    if kind == "int":
        low = a == INT64_MIN
        if low.any():
            ctx.fail(node, low, "overflows 64-bit integers", "Narrow the inputs.")
    return np.abs(a)


def _extreme(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    def apply(ctx: _Ctx, node: ast.AST, kind: str, *args: np.ndarray) -> np.ndarray:
        return np.asarray(fn(*(_as(a, kind) for a in args)))

    return apply


def _clip(ctx: _Ctx, node: ast.AST, kind: str, *args: np.ndarray) -> np.ndarray:
    x, low, high = (_as(a, kind) for a in args)
    return np.minimum(np.maximum(x, low), high)


def _to_int(ctx: _Ctx, node: ast.AST, kind: str, a: np.ndarray) -> np.ndarray:
    if a.dtype.kind == "f":
        bad = ~((a >= -(2.0**63)) & (a < 2.0**63))
        if bad.any():
            ctx.fail(
                node,
                bad,
                "is outside the 64-bit integer range",
                "Narrow the inputs.",
            )
    return a.astype(np.int64)


def _to_float(ctx: _Ctx, node: ast.AST, kind: str, a: np.ndarray) -> np.ndarray:
    return a.astype(np.float64)


def _to_str(ctx: _Ctx, node: ast.AST, kind: str, a: np.ndarray) -> np.ndarray:
    if a.dtype.kind in "biufM":
        return a.astype(str).astype(object)
    out = np.empty(len(a), dtype=object)
    out[:] = [str(v) for v in a]
    too_long = _lengths(out) > MAX_TEXT_LENGTH
    if too_long.any():
        ctx.fail(
            node,
            too_long,
            f"gives text longer than {MAX_TEXT_LENGTH:,} characters",
            "Build shorter text.",
        )
    return out


def _case(method: str) -> Callable[..., np.ndarray]:
    def apply(ctx: _Ctx, node: ast.AST, kind: str, a: np.ndarray) -> np.ndarray:
        out = np.empty(len(a), dtype=object)
        out[:] = [getattr(str(v), method)() for v in a]
        return out

    return apply


def _dates(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    def apply(ctx: _Ctx, node: ast.AST, kind: str, *args: np.ndarray) -> np.ndarray:
        return np.asarray(fn(*args), dtype=np.int64)

    return apply


@dataclass(frozen=True)
class Function:
    """One function of the expression language: how many arguments it takes, the
    kind of its result given theirs, and the checked numpy implementation."""

    arity: tuple[int, int]
    rule: Callable[..., str]
    apply: Callable[..., np.ndarray]
    doc: str = ""


def _round_rule(*kinds: str) -> str:
    if len(kinds) == 2 and kinds[1] not in ("int", "bool"):
        raise _Refused(_NAMES[kinds[1]])
    _numeric(kinds[0])
    return "float"


def _where_rule(cond: str, a: str, b: str) -> str:
    _truth(cond)
    return _same_or_numeric(a, b)


#: Every function expressions may use; validation and evaluation both read it.
FUNCTIONS: Mapping[str, Function] = {
    "abs": Function((1, 1), _numeric_of, _abs),
    "round": Function((1, 2), _round_rule, _round),
    "floor": Function((1, 1), _float_of, _float_fn(np.floor)),
    "ceil": Function((1, 1), _float_of, _float_fn(np.ceil)),
    "sqrt": Function((1, 1), _float_of, _float_fn(np.sqrt)),
    "log": Function((1, 1), _float_of, _float_fn(np.log)),
    "log1p": Function((1, 1), _float_of, _float_fn(np.log1p)),
    "exp": Function((1, 1), _float_of, _float_fn(np.exp)),
    "minimum": Function((2, 2), _numeric, _extreme(np.minimum)),
    "maximum": Function((2, 2), _numeric, _extreme(np.maximum)),
    "clip": Function((3, 3), _numeric, _clip),
    "where": Function((3, 3), _where_rule, _row_wise),
    "int": Function((1, 1), _int_rule, _to_int),
    "float": Function((1, 1), _float_of, _to_float),
    "str": Function((1, 1), _anything, _to_str),
    "lower": Function((1, 1), _text, _case("lower")),
    "upper": Function((1, 1), _text, _case("upper")),
    "year": Function((1, 1), _date, _dates(_year)),
    "years_between": Function((2, 2), _date, _dates(_years_between)),
    "days_between": Function((2, 2), _date, _dates(_days_between)),
}
_FIX = (
    "Use arithmetic, comparisons, 'and'/'or'/'not', 'x if cond else y' and the listed "
    "functions."
)


# -- parsing --------------------------------------------------------------------------
def parse_expression(expression: str, where: str) -> tuple[ast.Expression, set[str]]:
    """Parse and check ``expression``; return the tree and the column names used."""
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise SpecError(
            f"{where}: the expression is {len(expression):,} characters long; the "
            f"limit is {MAX_EXPRESSION_LENGTH:,}. Split it into several derived "
            "fields."
        )
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise SpecError(
            f"{where}: the expression {shown(expression)} is not valid: {exc.msg} "
            f"(column {exc.offset}). Write a Python-like expression over column "
            "names, for example 'round(debt / income, 2)'."
        ) from exc
    except (RecursionError, MemoryError, ValueError) as exc:
        raise SpecError(
            f"{where}: the expression {shown(expression)} cannot be read "
            f"({type(exc).__name__}); nest it less deeply."
        ) from exc
    names: set[str] = set()
    _check_node(tree.body, where, names, 1)
    return tree, names


def _check_node(node: ast.AST, where: str, names: set[str], depth: int) -> None:
    if depth > MAX_EXPRESSION_DEPTH:
        raise SpecError(
            f"{where}: the expression nests more than {MAX_EXPRESSION_DEPTH} levels "
            "deep; split it into several derived fields."
        )
    children: Sequence[ast.AST]
    if isinstance(node, ast.Name):
        names.add(node.id)
        return
    if isinstance(node, ast.Constant):
        _check_constant(node, where)
        return
    if isinstance(node, ast.BinOp | ast.UnaryOp | ast.BoolOp | ast.Compare):
        ops: list[Any] = node.ops if isinstance(node, ast.Compare) else [node.op]
        for op in ops:
            if type(op) not in OPERATORS:
                symbol = _REFUSED_SYMBOLS.get(type(op), type(op).__name__)
                raise SpecError(
                    f"{where}: the operator {symbol!r} is not supported in "
                    f"expressions ({shown(ast.unparse(node))}). Supported: "
                    f"{' '.join(dict.fromkeys(o.symbol for o in OPERATORS.values()))}."
                )
        if isinstance(node, ast.BinOp):
            children = [node.left, node.right]
            if isinstance(node.op, ast.Pow):
                _check_exponent(node, where)
        elif isinstance(node, ast.UnaryOp):
            children = [node.operand]
        elif isinstance(node, ast.BoolOp):
            children = node.values
        else:
            children = [node.left, *node.comparators]
    elif isinstance(node, ast.IfExp):
        children = [node.test, node.body, node.orelse]
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            shown_func = ast.unparse(node.func)
            raise SpecError(
                f"{where}: {shown(shown_func)} is not a function expressions may use."
                f"{did_you_mean(shown_func, FUNCTIONS)} Available: "
                f"{', '.join(sorted(FUNCTIONS))}."
            )
        if node.keywords:
            raise SpecError(
                f"{where}: expressions take positional arguments only; "
                f"remove the keyword in {shown(ast.unparse(node))}."
            )
        low, high = FUNCTIONS[node.func.id].arity
        if not low <= len(node.args) <= high:
            count = str(low) if low == high else f"{low} or {high}"
            raise SpecError(
                f"{where}: {node.func.id}() takes {count} argument(s); got "
                f"{len(node.args)} in {shown(ast.unparse(node))}."
            )
        if node.func.id == "round" and len(node.args) == 2:
            _check_ndigits(node.args[1], where)
        children = node.args
    else:
        raise SpecError(
            f"{where}: {type(node).__name__.lower()} is not allowed in an "
            f"expression ({shown(ast.unparse(node))}). {_FIX}"
        )
    for child in children:
        _check_node(child, where, names, depth + 1)


def _check_constant(node: ast.Constant, where: str) -> None:
    value = node.value
    if isinstance(value, bool | str):
        return
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise SpecError(
                f"{where}: the number {shown(value)} does not fit in a 64-bit "
                "integer; write it as a float (1e30) or use a smaller number."
            )
        return
    if isinstance(value, float):
        if not np.isfinite(value):
            raise SpecError(
                f"{where}: the number {ast.unparse(node)} is not finite in 64-bit "
                "floats; use a smaller number."
            )
        return
    raise SpecError(
        f"{where}: the constant {shown(ast.unparse(node))} is not allowed in an "
        "expression; use numbers, text in quotes, True or False."
    )


def _constant_number(node: ast.AST) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub | ast.UAdd)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, int | float)
    ):
        value = float(node.operand.value)
        return -value if isinstance(node.op, ast.USub) else value
    return None


def _check_exponent(node: ast.BinOp, where: str) -> None:
    exponent = _constant_number(node.right)
    if exponent is not None and abs(exponent) > MAX_POWER:
        raise SpecError(
            f"{where}: the exponent in {shown(ast.unparse(node))} is beyond "
            f"±{MAX_POWER:,}, the limit on '**'. Use a smaller exponent."
        )


def _check_ndigits(node: ast.AST, where: str) -> None:
    ndigits = _constant_number(node)
    if (
        ndigits is None
        or ndigits != int(ndigits)
        or not -MAX_ROUND_DIGITS <= ndigits <= MAX_ROUND_DIGITS
        or (isinstance(node, ast.Constant) and isinstance(node.value, float))
    ):
        raise SpecError(
            f"{where}: round()'s second argument is a number of decimals, an integer "
            f"from -{MAX_ROUND_DIGITS} to {MAX_ROUND_DIGITS} written in the "
            f"expression. Got {shown(ast.unparse(node))}."
        )


# -- kinds ------------------------------------------------------------------------
def kind_of_values(values: Sequence[Any]) -> str:
    """The kind of a column holding ``values`` (a categorical's choices, a protected
    attribute's values, a constant)."""
    if not values:
        return "object"
    if all(isinstance(v, str) for v in values):
        return "str"
    if all(isinstance(v, bool | np.bool_) for v in values):
        return "bool"
    if any(isinstance(v, bool | np.bool_) for v in values):
        return "object"
    if all(isinstance(v, int | np.integer) for v in values):
        return "int"
    if all(isinstance(v, int | float | np.integer | np.floating) for v in values):
        return "float"
    if all(isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in values):
        return "date"
    return "object"


def _kind_of_array(values: np.ndarray) -> str:
    code = values.dtype.kind
    if code == "b":
        return "bool"
    if code in "iu":
        return "int"
    if code == "f":
        return "float"
    if code == "M":
        return "date"
    if code in "US":
        return "str"
    return kind_of_values(list(values))


def _prepare(values: Any, kind: str) -> tuple[np.ndarray, str]:
    """A column as the numpy array its kind computes on."""
    array = np.asarray(values)
    if array.ndim != 1:
        array = array.reshape(-1)
    if kind in ("unknown", "lit"):
        kind = _kind_of_array(array)
    if kind in _DTYPES:
        if (
            kind == "int"
            and array.dtype.kind == "u"
            and len(array)
            and int(array.max()) > INT64_MAX
        ):
            return array.astype(object), "object"
        return array.astype(_DTYPES[kind]), kind
    if kind == "str":
        return (array if array.dtype == object else array.astype(object)), kind
    return array.astype(object), kind


def check_types(tree: ast.Expression, kinds: Mapping[str, str], where: str) -> str:
    """The kind of the expression's value given its columns' kinds; a
    :class:`SpecError` for operands an operator or function does not take. Parts
    that use no column are computed now, so ``10 ** 10 ** 8`` fails here."""
    return _infer(tree.body, kinds, where)


def _uses_columns(node: ast.AST) -> bool:
    functions = {id(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}
    return any(
        isinstance(n, ast.Name) and id(n) not in functions for n in ast.walk(node)
    )


def _operands(kinds: Sequence[str], exc: Exception, what: str) -> str:
    """The operands' kinds for a message (a choice names its two branches)."""
    if what.endswith("between"):
        return str(exc)
    return " and ".join(_NAMES[k] for k in kinds)


def _refused(node: ast.AST, where: str, kinds: str, what: str) -> SpecError:
    return SpecError(
        f"{where}: {shown(ast.unparse(node), 120)} {what} {kinds}. Convert one side "
        "(int(x), float(x), str(x)) or use a column of the right kind."
    )


def _infer(node: ast.AST, kinds: Mapping[str, str], where: str) -> str:
    if isinstance(node, ast.Constant):
        return _constant_kind(node.value)
    if isinstance(node, ast.Name):
        return kinds.get(node.id, "unknown")
    if not _uses_columns(node):
        # A constant part: compute it once now, so that it cannot fail later.
        try:
            _, kind = _eval(node, _Ctx({}, 1, 1, where))
        except ExpressionValueError as exc:
            raise SpecError(str(exc).replace(" in 1 of 1 rows", "")) from exc
        return kind
    if isinstance(node, ast.IfExp):
        args = [_infer(n, kinds, where) for n in (node.test, node.body, node.orelse)]
        return _apply_rule(_where_rule, args, node, where, "chooses between")
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            kind = _infer(value, kinds, where)
            _apply_rule(_truth, [kind], node, where, "needs true/false values, not")
        return "bool"
    if isinstance(node, ast.UnaryOp):
        op = OPERATORS[type(node.op)]
        kind = _infer(node.operand, kinds, where)
        return _apply_rule(op.rule, [kind], node, where, f"applies {op.symbol!r} to")
    if isinstance(node, ast.BinOp):
        op = OPERATORS[type(node.op)]
        args = [_infer(node.left, kinds, where), _infer(node.right, kinds, where)]
        if isinstance(node.op, ast.Pow) and "int" in args and "float" not in args:
            exponent = _constant_number(node.right)
            if exponent is not None and exponent < 0:
                raise SpecError(
                    f"{where}: {shown(ast.unparse(node))} raises an integer to a "
                    "negative power; write float(x) ** y for a fractional result."
                )
        return _apply_rule(op.rule, args, node, where, f"applies {op.symbol!r} to")
    if isinstance(node, ast.Compare):
        args = [_infer(n, kinds, where) for n in (node.left, *node.comparators)]
        for i, op_node in enumerate(node.ops):
            op = OPERATORS[type(op_node)]
            pair = args[i : i + 2]
            _apply_rule(op.rule, pair, node, where, f"compares ({op.symbol!r})")
            if "date" in pair:
                _check_date_literals([node.left, *node.comparators][i : i + 2], where)
        return "bool"
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    function = FUNCTIONS[node.func.id]
    args = [_infer(n, kinds, where) for n in node.args]
    kind = _apply_rule(function.rule, args, node, where, f"uses {node.func.id}() on")
    if function.rule is _date:
        _check_date_literals(node.args, where)
    return kind


def _apply_rule(
    rule: Callable[..., str], args: Sequence[str], node: ast.AST, where: str, what: str
) -> str:
    if "unknown" in args:
        return "unknown"
    try:
        return rule(*args)
    except _Refused as exc:
        raise _refused(node, where, _operands(args, exc, what), what) from None


def _check_date_literals(nodes: Sequence[ast.AST], where: str) -> None:
    for n in nodes:
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            try:
                dt.date.fromisoformat(n.value)
            except ValueError as exc:
                raise SpecError(
                    f"{where}: {n.value!r} is not a date (YYYY-MM-DD): {exc}."
                ) from exc


def _constant_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "lit"


# -- evaluation -------------------------------------------------------------------
def evaluate(
    tree: ast.Expression,
    columns: Mapping[str, Any],
    *,
    kinds: Mapping[str, str] | None = None,
    where: str = "expression",
    size: int | None = None,
) -> np.ndarray:
    """Evaluate a parsed expression over ``columns`` (one value per row).

    ``kinds`` gives the columns' kinds when known (a spec knows them); otherwise
    they are read from the arrays. Returns an array of ``size`` rows (the columns'
    length by default).
    """
    env = {
        name: _prepare(values, (kinds or {}).get(name, "unknown"))
        for name, values in columns.items()
    }
    if size is None:
        lengths = {len(values) for values, _ in env.values()}
        size = lengths.pop() if len(lengths) == 1 else 1
    values, _ = _eval(tree.body, _Ctx(env, size, size, where))
    return values


def _eval(node: ast.AST, ctx: _Ctx) -> tuple[np.ndarray, str]:
    if isinstance(node, ast.Constant):
        kind = _constant_kind(node.value)
        array = np.empty(ctx.rows, dtype=_DTYPES.get(kind, object))
        array[:] = node.value
        return array, kind
    if isinstance(node, ast.Name):
        return ctx.env[node.id]
    if isinstance(node, ast.IfExp):
        return _choose(node, node.test, node.body, node.orelse, ctx)
    if isinstance(node, ast.BoolOp):
        return _bool_op(node, ctx), "bool"
    if isinstance(node, ast.UnaryOp):
        op = OPERATORS[type(node.op)]
        a, kind = _eval(node.operand, ctx)
        result_kind = _runtime_rule(
            op.rule, [kind], node, ctx, f"applies {op.symbol!r} to"
        )
        return op.apply(ctx, node, result_kind, a), result_kind
    if isinstance(node, ast.BinOp):
        op = OPERATORS[type(node.op)]
        (a, ka), (b, kb) = _eval(node.left, ctx), _eval(node.right, ctx)
        kind = _runtime_rule(op.rule, [ka, kb], node, ctx, f"applies {op.symbol!r} to")
        return op.apply(ctx, node, kind, a, b), kind
    if isinstance(node, ast.Compare):
        values = [_eval(n, ctx) for n in (node.left, *node.comparators)]
        chained = np.ones(ctx.rows, dtype=bool)
        for i, op_node in enumerate(node.ops):
            op = OPERATORS[type(op_node)]
            (a, ka), (b, kb) = values[i], values[i + 1]
            _runtime_rule(op.rule, [ka, kb], node, ctx, f"compares ({op.symbol!r})")
            chained &= op.apply(ctx, node, (ka, kb), a, b)
        return chained, "bool"
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    if node.func.id == "where":
        test, body, orelse = node.args
        return _choose(node, test, body, orelse, ctx)
    function = FUNCTIONS[node.func.id]
    evaluated = [_eval(n, ctx) for n in node.args]
    kinds = [k for _, k in evaluated]
    kind = _runtime_rule(function.rule, kinds, node, ctx, f"uses {node.func.id}() on")
    if function.rule is _date:
        _check_date_literals(node.args, ctx.where)
    arg_kind = (
        kinds[0] if function.rule in (_float_of, _round_rule, _int_rule) else kind
    )
    result = function.apply(ctx, node, arg_kind, *(a for a, _ in evaluated))
    return result, kind


def _runtime_rule(
    rule: Callable[..., str], kinds: Sequence[str], node: ast.AST, ctx: _Ctx, what: str
) -> str:
    try:
        return rule(*kinds)
    except _Refused as exc:
        raise _refused(node, ctx.where, _operands(kinds, exc, what), what) from None


def _truth_values(node: ast.AST, ctx: _Ctx) -> np.ndarray:
    values, kind = _eval(node, ctx)
    _runtime_rule(_truth, [kind], node, ctx, "needs true/false values, not")
    return values.astype(bool)


def _choose(
    node: ast.AST, test: ast.AST, body: ast.AST, orelse: ast.AST, ctx: _Ctx
) -> tuple[np.ndarray, str]:
    """``body`` on the rows where ``test`` holds, ``orelse`` on the others."""
    mask = _truth_values(test, ctx)
    yes, yes_kind = _eval(body, ctx.subset(mask))
    no, no_kind = _eval(orelse, ctx.subset(~mask))
    kind = _runtime_rule(
        _same_or_numeric, [yes_kind, no_kind], node, ctx, "chooses between"
    )
    out = np.empty(ctx.rows, dtype=_DTYPES.get(kind, object))
    out[mask] = _as(yes, kind)
    out[~mask] = _as(no, kind)
    return out, kind


def _bool_op(node: ast.BoolOp, ctx: _Ctx) -> np.ndarray:
    """``and``/``or`` row by row: a later operand only on the rows still open."""
    result = _truth_values(node.values[0], ctx)
    is_and = isinstance(node.op, ast.And)
    for value in node.values[1:]:
        open_rows = result if is_and else ~result
        if not open_rows.any():
            break
        result = result.copy()
        result[open_rows] = _truth_values(value, ctx.subset(open_rows))
    return result
