"""Writing files without ever losing what the user had.

Every writer refuses to replace an existing file unless asked to, and writes to a
temporary name first, so a failure half-way leaves neither a partial file nor a
damaged original.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from twinaudit.exceptions import OutputExistsError


def refuse_overwrite(path: Path, overwrite: bool) -> None:
    """Raise :class:`OutputExistsError` if ``path`` exists and ``overwrite`` is off."""
    if path.exists() and not overwrite:
        raise OutputExistsError(
            f"{str(path)!r} already exists; pass overwrite=True (--force on the "
            "command line) to replace it."
        )


@contextlib.contextmanager
def atomic_path(path: Path, *, overwrite: bool) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``, on
    failure it is removed."""
    refuse_overwrite(path, overwrite)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str, *, overwrite: bool) -> None:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_path`)."""
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
