"""Seeded random streams: one per column, in fixed blocks of pairs.

Every column draws from its own stream, derived from ``(seed, column key, block)``
with :class:`numpy.random.SeedSequence`. Streams never share state, so adding a
column leaves the others unchanged and columns are independent (a seeded Mimesis
``Generic`` instead gives every provider the same stream). Pairs are grouped in
blocks of :data:`BLOCK`; the values of a block do not depend on how the pairs are
chunked, which makes chunked generation equal one-shot generation and lets blocks be
generated in any order or on any worker. PCG64 and SeedSequence are specified
bit-for-bit by numpy, so the same seed gives the same twins on every machine.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np

#: Pairs per random block. Changing it changes every generated value.
BLOCK = 1 << 14

Draw = Callable[[np.random.Generator, int], Any]


def stream_key(*parts: object) -> tuple[int, ...]:
    """A stable integer key for a stream name (not Python's salted ``hash``)."""
    text = "\x1f".join(map(str, parts)).encode("utf-8")
    digest = hashlib.blake2b(text, digest_size=16).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


def block_generator(seed: int, key: tuple[int, ...], block: int) -> np.random.Generator:
    sequence = np.random.SeedSequence(entropy=seed, spawn_key=(*key, block))
    return np.random.Generator(np.random.PCG64(sequence))


class Streams:
    """Draws for pair ranges ``[start, stop)`` from per-column block streams.

    ``draw(key, start, stop, fn)`` calls ``fn(generator, size)`` once per block with
    a fresh generator for that block and returns the values for the range. Draws
    are prefix-stable (the first ``k`` values of a size-``n`` draw equal a size-``k``
    draw), which the property tests check, so a block is drawn only as far as
    needed. With ``cache=True`` (chunked generation) the last block of every stream
    is kept whole so that a following chunk does not draw it again.
    """

    def __init__(self, seed: int, n_total: int | None = None, cache: bool = False):
        self.seed = seed
        self.n_total = n_total
        self._cache: dict[tuple[int, ...], tuple[int, Any]] | None = (
            {} if cache else None
        )

    def draw(self, key: tuple[int, ...], start: int, stop: int, fn: Draw) -> Any:
        parts = []
        first, last = start // BLOCK, (stop - 1) // BLOCK
        for block in range(first, last + 1):
            origin = block * BLOCK
            lo = max(start, origin) - origin
            hi = min(stop, origin + BLOCK) - origin
            parts.append(self._block(key, block, lo, hi, fn))
        if len(parts) == 1:
            return parts[0]
        if isinstance(parts[0], np.ndarray):
            return np.concatenate(parts)
        return [v for part in parts for v in part]

    def _block(
        self, key: tuple[int, ...], block: int, lo: int, hi: int, fn: Draw
    ) -> Any:
        if self._cache is None:
            return fn(block_generator(self.seed, key, block), hi)[lo:hi]
        cached = self._cache.get(key)
        if cached is None or cached[0] != block:
            size = BLOCK
            if self.n_total is not None:
                size = min(BLOCK, self.n_total - block * BLOCK)
            cached = (block, fn(block_generator(self.seed, key, block), max(size, hi)))
            self._cache[key] = cached
        return cached[1][lo:hi]
