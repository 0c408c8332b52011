"""A second thread for work that runs without the GIL, used where it pays."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any


def two_cores() -> bool:
    """Whether this machine has a second core for a second thread."""
    return (os.cpu_count() or 1) > 1


@contextlib.contextmanager
def in_background(
    function: Callable[..., Any],
    *args: Any,
    threaded: bool = True,
    name: str = "twinaudit",
) -> Iterator[Callable[[], Any]]:
    """A callable returning ``function(*args)``: started now on a thread of its
    own (``threaded``, thread names starting with ``name``), or called when asked
    for. The thread is joined on leaving, whatever happens."""
    if not threaded:
        yield lambda: function(*args)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix=name) as executor:
        future = executor.submit(function, *args)
        try:
            yield future.result
        finally:
            future.cancel()
