"""Write the hostile spec corpus (``python tests/hostile/make_corpus.py``).

Each file starts with two comment lines saying what ``twinaudit validate`` and
``twinaudit generate`` must do with it: ``ok``, or ``error: <text the one-line
message contains>``. ``tests/spec/test_hostile_corpus.py`` runs every file through
both commands in a subprocess under CPU and memory limits.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
HEAD = "protected:\n  - {name: gender, values: [male, female], privileged: male}\n"
INCOME = "  - {kind: integer, name: income, low: 1, high: 9}\n"


def derived(expression: str) -> str:
    quoted = expression.replace("'", "''")
    return (
        HEAD + "fields:\n" + INCOME + "  - {kind: categorical, name: name, "
        "choices: [ann, bo]}\n"
        f"  - {{kind: derived, name: x, expression: '{quoted}'}}\n"
    )


def provider(path: str, kwargs: str) -> str:
    return (
        HEAD + "fields:\n"
        f"  - {{kind: provider, name: big, provider: {path}, kwargs: {kwargs}}}\n"
    )


CASES: dict[str, tuple[str, str, str]] = {
    # name: (validate, generate, spec text)
    "expr_power_tower": (
        "error: has an exponent beyond ±10,000",
        "error: has an exponent beyond ±10,000",
        derived("10 ** 10 ** 8"),
    ),
    "expr_power_2_2_40": (
        "error: has an exponent beyond ±10,000",
        "error: has an exponent beyond ±10,000",
        derived("2 ** 2 ** 40 + income"),
    ),
    "expr_text_repeat": (
        "error: applies '*' to text and an integer",
        "error: applies '*' to text and an integer",
        derived("'a' * 10 ** 9"),
    ),
    **{
        f"expr_operator_{label}": (
            f"error: the operator '{symbol}' is not supported",
            f"error: the operator '{symbol}' is not supported",
            derived(expression),
        )
        for label, symbol, expression in [
            ("lshift", "<<", "income << 2"),
            ("matmul", "@", "income @ income"),
            ("invert", "~", "~income"),
            ("bitand", "&", "income & 1"),
            ("is", "is", "income is 2"),
            ("in", "in", "income in 2"),
        ]
    },
    "expr_ellipsis": (
        "error: the constant '...' is not allowed",
        "error: the constant '...' is not allowed",
        derived("..."),
    ),
    "expr_import": (
        "error: is not a function expressions may use",
        "error: is not a function expressions may use",
        derived("__import__('os').system('echo pwned')"),
    ),
    "expr_dunder": (
        "error: attribute is not allowed in an expression",
        "error: attribute is not allowed in an expression",
        derived("income.__class__.__mro__"),
    ),
    "expr_overflow": (
        "ok",
        "error: 'income ** 100' overflows 64-bit integers",
        derived("income ** 100"),
    ),
    "expr_division_by_zero": (
        "ok",
        "error: '1 / (income - income)' divides by zero",
        derived("1 / (income - income)"),
    ),
    "expr_mixed_kinds": (
        "error: 'income + name' applies '+' to an integer and text",
        "error: 'income + name' applies '+' to an integer and text",
        derived("income + name"),
    ),
    "expr_nested_parentheses": (
        "error: the expression",
        "error: the expression",
        derived("(" * 600 + "income" + ")" * 600),
    ),
    "expr_deep_unary": (
        "error: the expression nests more than 40 levels deep",
        "error: the expression nests more than 40 levels deep",
        derived("-" * 1990 + "income"),
    ),
    "expr_long": (
        "error: the limit is 2,000",
        "error: the limit is 2,000",
        derived(" + ".join(["income"] * 400)),
    ),
    "provider_integers_n": (
        "error: argument 'n' of 'numeric.integers' sets the size of each value",
        "error: argument 'n' of 'numeric.integers' sets the size of each value",
        provider("numeric.integers", "{n: 1e8}"),
    ),
    "provider_token_hex_entropy": (
        "error: argument 'entropy' of 'cryptographic.token_hex'",
        "error: argument 'entropy' of 'cryptographic.token_hex'",
        provider("cryptographic.token_hex", "{entropy: 3e9}"),
    ),
    "provider_text_quantity": (
        "error: argument 'quantity' of 'text.text'",
        "error: argument 'quantity' of 'text.text'",
        provider("text.text", "{quantity: 10000000}"),
    ),
    "provider_matrix": (
        "error: argument 'm' of 'numeric.matrix'",
        "error: argument 'm' of 'numeric.matrix'",
        provider("numeric.matrix", "{m: 100000, n: 100000}"),
    ),
    "provider_integer_beyond_int64": (
        "error: argument 'end' of 'numeric.integer_number' must fit in a 64-bit",
        "error: argument 'end' of 'numeric.integer_number' must fit in a 64-bit",
        provider("numeric.integer_number", "{end: 1000000000000000000000000000000}"),
    ),
    "provider_kwargs_list": (
        "ok",
        "ok",
        provider("person.email", "{domains: [x.org, y.org]}"),
    ),
    "yaml_booleans": (
        "ok",
        "ok",
        "protected:\n"
        "  - {name: country, values: [NO, SE, DK], privileged: SE}\n"
        "  - {name: smoker, values: [yes, no], privileged: no}\n"
        "fields:\n  - {kind: categorical, name: switch, choices: [on, off]}\n"
        "  - {kind: constant, name: postcode, value: 01234}\n",
    ),
    "yaml_impossible_date": (
        "error: 'start' must be a date (YYYY-MM-DD). Got '2020-02-30'",
        "error: 'start' must be a date (YYYY-MM-DD). Got '2020-02-30'",
        HEAD + "fields:\n"
        "  - {kind: date, name: birth, start: 2020-02-30, end: 2021-01-01}\n",
    ),
    "yaml_huge_integer": (
        "error: is not valid YAML",
        "error: is not valid YAML",
        HEAD + "seed: " + "9" * 5000 + "\n",
    ),
    "yaml_alias_bomb": (
        "error: values once its YAML aliases (*name) are expanded",
        "error: values once its YAML aliases (*name) are expanded",
        "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n"
            for i in range(8)
        )
        + "protected:\n  - {name: gender, values: *i, privileged: lol}\n",
    ),
    "yaml_deep_nesting": (
        "error: nests lists or mappings",
        "error: nests lists or mappings",
        HEAD + "fields: " + "[" * 5000 + "]" * 5000 + "\n",
    ),
    "long_names": (
        "error: A field name may be at most 200 characters long",
        "error: A field name may be at most 200 characters long",
        HEAD + "fields:\n  - {kind: integer, name: " + "n" * 100_000 + ", low: 1, "
        "high: 2}\n",
    ),
    "numbers_beyond_int64": (
        "error: 'high' of an integer field must fit in a 64-bit integer",
        "error: 'high' of an integer field must fit in a 64-bit integer",
        HEAD + "fields:\n  - {kind: integer, name: x, low: 0, "
        "high: 1180591620717411303424}\n",
    ),
    "protected_values_collide": (
        "error: 'values' holds 1 and True, which are equal",
        "error: 'values' holds 1 and True, which are equal",
        "protected:\n  - {name: flag, values: [1, true], privileged: 1}\n",
    ),
    "twins_explosion": (
        "error: each pair would have 1,000,000 twins",
        "error: each pair would have 1,000,000 twins",
        "protected:\n"
        + "".join(
            f"  - {{name: a{i}, values: [{', '.join(f'v{j}' for j in range(100))}], "
            "privileged: v0}\n"
            for i in range(3)
        ),
    ),
    "thousands_of_fields": (
        "ok",
        "ok",
        HEAD
        + "fields:\n"
        + "".join(
            f"  - {{kind: integer, name: f{i}, low: 0, high: 9}}\n" for i in range(3000)
        ),
    ),
    "proxy_many_values": (
        "ok",
        "ok",
        "protected:\n  - {name: group, values: ["
        + ", ".join(f"g{i}" for i in range(1200))
        + "], privileged: g0}\n"
        "vary: [group]\n"
        "proxies:\n  - name: first_name\n    attribute: group\n"
        "    provider: person.first_name\n    by_value: {"
        + ", ".join(
            f"g{i}: {{gender: {'male' if i % 2 else 'female'}}}" for i in range(1200)
        )
        + "}\n",
    ),
}


def main() -> None:
    for old in HERE.glob("*.yaml"):
        old.unlink()
    for name, (validate, generate, text) in CASES.items():
        header = f"# validate: {validate}\n# generate: {generate}\n"
        (HERE / f"{name}.yaml").write_text(header + text, encoding="utf-8")


if __name__ == "__main__":
    main()
