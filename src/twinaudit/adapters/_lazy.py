"""Import AIF360 and Fairlearn only when needed, and quietly.

Both cost about two seconds to import, so ``import twinaudit`` never imports them.
AIF360 logs a warning through the root logger for every optional package it lacks
(TensorFlow, inFairness, ...); ``logging.warning`` would also install a handler on
the user's root logger. We swallow exactly those records, and nothing else.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import warnings
from collections.abc import Iterator
from types import ModuleType

from twinaudit.exceptions import MissingDependencyError


class _OptionalPackageFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not ("will be unavailable" in message and "pip install" in message)


@contextlib.contextmanager
def _quiet_aif360_import() -> Iterator[None]:
    root = logging.getLogger()
    null = logging.NullHandler()
    added_handler = not root.handlers
    if added_handler:
        root.addHandler(null)  # keeps logging.warning from calling basicConfig()
    noise = _OptionalPackageFilter()
    root.addFilter(noise)
    try:
        with warnings.catch_warnings():
            # Deprecation chatter from AIF360's own imports on current numpy/pandas.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            yield
    finally:
        root.removeFilter(noise)
        if added_handler:
            root.removeHandler(null)


def import_aif360(module: str = "aif360") -> ModuleType:
    """Import an ``aif360`` module without its import-time noise."""
    with _quiet_aif360_import():
        try:
            return importlib.import_module(module)
        except ImportError as exc:
            raise MissingDependencyError(
                f"{module} is needed for this; install it with "
                "`pip install 'aif360>=0.6.1'` (a dependency of twinaudit)."
            ) from exc


def import_fairlearn(module: str = "fairlearn.metrics") -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{module} is needed for this; install it with "
            "`pip install 'fairlearn>=0.15.0'` (a dependency of twinaudit)."
        ) from exc
