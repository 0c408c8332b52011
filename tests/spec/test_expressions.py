import ast
import re

import numpy as np
import pytest

from twinaudit.exceptions import SpecError
from twinaudit.spec._expressions import evaluate, parse_expression


def run(expression, **columns):
    tree, names = parse_expression(expression, "test")
    assert names == set(columns)
    return evaluate(tree, {k: np.asarray(v) for k, v in columns.items()})


def test_arithmetic_and_functions():
    out = run("round(debt / income, 2) + abs(-1)", debt=[1.0, 2.0], income=[3.0, 4.0])
    np.testing.assert_allclose(out, [1.33, 1.5])


def test_comparisons_chain_and_boolean_operators():
    out = run(
        "(18 <= age < 65) and not retired",
        age=[10, 30, 70],
        retired=[False, True, False],
    )
    assert out.tolist() == [False, False, False]
    out = run("age > 60 or retired", age=[10, 70], retired=[True, False])
    assert out.tolist() == [True, True]


def test_conditional_and_where():
    assert run("'old' if age > 60 else 'young'", age=[70, 20]).tolist() == [
        "old",
        "young",
    ]
    assert run("where(age > 60, 1, 0)", age=[70, 20]).tolist() == [1, 0]


@pytest.mark.parametrize(
    "birth, as_of, years",
    [
        ("2000-02-29", "2026-02-28", 25),  # leap-day birthday not yet reached
        ("2000-02-29", "2026-03-01", 26),
        ("1990-06-15", "2026-06-14", 35),
        ("1990-06-15", "2026-06-15", 36),
        ("1990-12-31", "2026-01-01", 35),
    ],
)
def test_years_between_counts_whole_years(birth, as_of, years):
    out = run(
        f"years_between(birth, '{as_of}')",
        birth=np.array([birth], dtype="datetime64[D]"),
    )
    assert out.tolist() == [years]


def test_year_and_days_between():
    birth = np.array(["1999-12-31", "2024-01-01"], dtype="datetime64[D]")
    assert run("year(birth)", birth=birth).tolist() == [1999, 2024]
    assert run("days_between(birth, '2024-01-02')", birth=birth).tolist() == [8768, 1]


def test_string_concatenation_and_case():
    first = np.array(["Ann", "Bo"], dtype=object)
    assert run("upper(first) + '!'", first=first).tolist() == ["ANN!", "BO!"]
    assert run("lower(first)", first=first).tolist() == ["ann", "bo"]


def test_function_names_are_not_columns():
    _, names = parse_expression("sqrt(x) + log(y)", "t")
    assert names == {"x", "y"}


NOT_ALLOWED = (
    "Use arithmetic, comparisons, 'and'/'or'/'not', 'x if cond else y' and the listed "
    "functions."
)
NOT_A_FUNCTION = (
    "is not a function expressions may use. Available: abs, ceil, clip, days_between, "
    "exp, float, floor, int, log, log1p, lower, maximum, minimum, round, sqrt, str, "
    "upper, where, year, years_between."
)


@pytest.mark.parametrize(
    "expression, message",
    [
        ("__import__('os')", f"field 'f': '__import__' {NOT_A_FUNCTION}"),
        ("open('f')", f"field 'f': 'open' {NOT_A_FUNCTION}"),
        (
            "x.real",
            f"field 'f': attribute is not allowed in an expression ('x.real'). {NOT_ALLOWED}",
        ),
        (
            "[x for x in y]",
            "field 'f': listcomp is not allowed in an expression ('[x for x in y]'). "
            + NOT_ALLOWED,
        ),
        (
            "lambda: 1",
            f"field 'f': lambda is not allowed in an expression ('lambda: 1'). {NOT_ALLOWED}",
        ),
        (
            "x[0]",
            f"field 'f': subscript is not allowed in an expression ('x[0]'). {NOT_ALLOWED}",
        ),
        (
            "round(x, ndigits=2)",
            "field 'f': expressions take positional arguments only; remove the keyword "
            "in 'round(x, ndigits=2)'.",
        ),
    ],
)
def test_unsafe_or_unsupported_syntax_is_refused(expression, message):
    with pytest.raises(SpecError, match=re.escape(message)):
        parse_expression(expression, "field 'f'")


def test_parse_gives_an_ast():
    tree, _ = parse_expression("a + 1", "t")
    assert isinstance(tree, ast.Expression)
