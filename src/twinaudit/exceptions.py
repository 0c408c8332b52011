"""Every error and warning twinaudit raises.

Each error derives from :class:`TwinauditError` and from the builtin exception that
fits, so ``except ValueError`` keeps working for code that does not know twinaudit.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "ChecksumError",
    "ConfigError",
    "DataError",
    "ExpressionValueError",
    "MemoryLimitError",
    "MissingDependencyError",
    "MitigationError",
    "ModelError",
    "OutputExistsError",
    "OutputPathError",
    "PolicyError",
    "SpecError",
    "TwinauditError",
    "TwinauditWarning",
    "TwinsInvariantError",
    "UndefinedMetricWarning",
    "UnreadAttributeWarning",
]


class TwinauditError(Exception):
    """Base class of every error raised by twinaudit."""


class SpecError(TwinauditError, ValueError):
    """A twin specification (or a spec file) is malformed.

    The message names the offending field or key and says how to fix it.
    """


class ExpressionValueError(SpecError):
    """A derived field's expression has no value on some generated rows: an integer
    overflow, a division by zero, a function outside its domain. The spec is valid;
    the message names the field, the sub-expression and the number of rows."""


class TwinsInvariantError(TwinauditError, ValueError):
    """Rows of one twin pair differ in a column that is neither protected nor a
    declared proxy, or a pair does not hold every protected combination once."""


class DataError(TwinauditError, ValueError):
    """Input data is unusable as given: a missing column, NaN, a label that is not
    binary, an empty group, an unreadable file."""


class ChecksumError(DataError):
    """A data file's sha256 is not the published one (corrupt, truncated or
    altered); the message names the file. The file is never used."""


class ConfigError(TwinauditError, ValueError):
    """A benchmark configuration (or its file) is malformed: an unknown data set,
    estimator or strategy (the closest name is suggested), a bad value."""


class ModelError(TwinauditError, TypeError):
    """The object given as a model cannot be used to score twins (no ``predict``,
    predictions of the wrong shape, an unknown favourable label)."""


class MitigationError(TwinauditError, RuntimeError):
    """A mitigation strategy could not be applied to the data it was given."""


class PolicyError(TwinauditError, ValueError):
    """A policy (or a policy file) is malformed: an unknown metric, a threshold that
    is not a number, a rule with no bound."""


class OutputExistsError(TwinauditError, FileExistsError):
    """An output file already exists; twinaudit never overwrites a file unless
    asked to (``overwrite=True``, ``--force``)."""


class OutputPathError(TwinauditError, OSError):
    """An output file cannot be written there: its directory is missing or
    read-only, the path is a directory, the disk is full. Nothing was written and
    an existing file is unchanged."""


class MemoryLimitError(TwinauditError, MemoryError):
    """A request cannot fit in memory (``generate(spec, 10**13)``); refused before
    anything is allocated, with the estimated size and the streaming alternative."""


class MissingDependencyError(TwinauditError, ImportError):
    """An optional dependency is needed; the message names the extra to install."""


class TwinauditWarning(UserWarning):
    """Base class of every warning emitted by twinaudit."""


class UndefinedMetricWarning(TwinauditWarning):
    """A metric is undefined on the data (for example a ratio whose denominator is
    zero); its value is reported as ``nan`` with the reason."""


class UnreadAttributeWarning(TwinauditWarning):
    """A varied protected attribute never reaches the model (none of the columns
    that move with it is among the model's inputs), so its audit finds no bias by
    construction. Raised as an error unless ``allow_unread=True``."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest candidate, or ``""``."""
    options = [str(c) for c in candidates]
    folded = [c for c in options if c.casefold() == str(name).casefold()]
    close = folded or difflib.get_close_matches(str(name), options, n=1)
    return f" Did you mean {close[0]!r}?" if close else ""
