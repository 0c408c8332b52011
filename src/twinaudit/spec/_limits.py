"""What one spec may cost: the limits a spec file from someone else must respect.

A spec file can come from the team being audited or from a pull request that CI
validates. These limits make sure that no such file can hang the machine or exhaust
its memory: each is checked when the spec is read or built, before any array is
allocated, and a violation is a :class:`~twinaudit.exceptions.SpecError` that names
the field, the limit and the value. The README lists them.
"""

from __future__ import annotations

import numbers
from typing import Any

from twinaudit.exceptions import SpecError

#: Longest column, field, attribute or proxy name.
MAX_NAME_LENGTH = 200
#: Largest spec file read, in bytes.
MAX_SPEC_FILE_BYTES = 1_000_000
#: Most columns (fields, protected attributes, proxies) in one spec.
MAX_COLUMNS = 10_000
#: Most twins per pair (the product of the varied attributes' value counts).
MAX_VARIANTS = 100_000
#: Most values (mappings, lists and scalars, every alias counted each time it is
#: used) in one spec file; stops YAML alias bombs before anything walks them.
MAX_SPEC_VALUES = 500_000
#: Deepest nesting of lists and mappings in a spec file.
MAX_SPEC_DEPTH = 50
#: Longest derived-field expression, in characters.
MAX_EXPRESSION_LENGTH = 2_000
#: Deepest nesting of an expression (operators and calls inside each other).
MAX_EXPRESSION_DEPTH = 40
#: Largest exponent ``**`` accepts (simpleeval's ``MAX_POWER`` idea; int64 overflows
#: beyond 2 ** 63 anyway, and ``1.0001 ** 10_000`` is already 2.7).
MAX_POWER = 10_000
#: Longest text value a derived field may produce, in characters.
MAX_TEXT_LENGTH = 10_000
#: Most decimals ``round`` takes (float64 holds about 16 significant digits).
MAX_ROUND_DIGITS = 20

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def shown(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters so that a hostile value cannot
    flood an error message."""
    try:
        text = repr(value)
    except Exception:  # pragma: no cover - a broken __repr__
        text = f"<{type(value).__name__}>"
    if len(text) > limit:
        return f"{text[: limit - 25]}...({len(text):,} characters)"
    return text


def is_integer(value: object) -> bool:
    """True for Python and numpy integers, not for booleans."""
    return isinstance(value, numbers.Integral) and not _is_bool(value)


def is_real(value: object) -> bool:
    """True for Python and numpy integers and floats, not for booleans."""
    return isinstance(value, numbers.Real) and not _is_bool(value)


def _is_bool(value: object) -> bool:
    import numpy as np

    return isinstance(value, bool | np.bool_)


def plain(value: Any) -> Any:
    """A numpy scalar as the Python scalar it holds (``np.int64(3)`` -> ``3``)."""
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    return value


def check_int64(value: int, what: str, where: str) -> int:
    """``value`` if int64 holds it; a :class:`SpecError` otherwise."""
    if not INT64_MIN <= value <= INT64_MAX:
        raise SpecError(
            f"{where}: {what} must fit in a 64-bit integer ({INT64_MIN:,} to "
            f"{INT64_MAX:,}). Got {shown(value)}."
        )
    return value
