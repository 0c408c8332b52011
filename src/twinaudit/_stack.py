"""Where a warning should point: the user's line, not twinaudit's."""

from __future__ import annotations

import sys


def caller_level() -> int:
    """The ``stacklevel`` of the first frame outside twinaudit, seen from the
    function that calls this one (so ``warnings.warn(..., stacklevel=caller_level())``
    points at the user's line whichever twinaudit function they called)."""
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith(
        "twinaudit."
    ):
        frame = frame.f_back
        level += 1
    return level
