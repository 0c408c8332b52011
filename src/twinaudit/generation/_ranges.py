"""Twins of any range of pairs, on their own: what a thread, a process or a Dask
worker generates for its chunk of a streamed audit."""

from __future__ import annotations

from twinaudit.exceptions import DataError
from twinaudit.generation._engine import (
    _check_request,
    _check_spec,
    _twins_for_range,
    check_memory,
)
from twinaudit.generation._streams import Streams
from twinaudit.generation._twins import Twins
from twinaudit.spec import Mode, TwinSpec

__all__ = ["generate_range"]


def generate_range(
    spec: TwinSpec,
    start: int,
    stop: int,
    n_pairs: int,
    *,
    mode: Mode | None = None,
    seed: int | None = None,
) -> Twins:
    """Pairs ``[start, stop)`` of ``generate(spec, n_pairs)``, generated without the
    others (each column's blocks are drawn from their own streams), so chunks can be
    generated in any order, on any worker, with the same values."""
    _check_spec(spec, "generate_range")
    _check_request(n_pairs, mode, seed)
    if not 0 <= start < stop <= n_pairs:
        raise DataError(
            f"generate_range needs 0 <= start < stop <= n_pairs ({n_pairs:,}). Got "
            f"start={start!r}, stop={stop!r}."
        )
    check_memory(spec, int(stop) - int(start), "generate_range", chunked=True)
    streams = Streams(spec.seed if seed is None else seed, n_total=int(n_pairs))
    return _twins_for_range(spec, int(start), int(stop), streams, mode or spec.mode)
