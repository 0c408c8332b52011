"""Mimesis providers at numpy speed.

Most Mimesis text providers (``person.occupation``, ``address.city``, a first name
given a gender, ...) return one uniform ``random.choice`` from a list in the
locale's data. :func:`choice_pool` finds that list by calling the method once with a
recording random generator: when the only random call is a single ``choice`` whose
result is returned unchanged, the provider *is* a uniform draw from that list, and
sampling indices with numpy gives the same distribution at a fraction of the cost
(no Python call per row). Any other provider is called once per row with a Mimesis
``Random`` seeded from the column's stream.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from twinaudit.spec._providers import provider_instance

_SENTINEL = object()


def _recording_random() -> Any:
    from mimesis.random import Random

    class Recording(Random):
        """Records ``choice`` calls; any other randomness disqualifies the method."""

        def __init__(self) -> None:
            super().__init__(0)
            self.sequences: list[Sequence[Any]] = []
            self.other = False

        def choice(self, seq: Any) -> Any:
            self.sequences.append(seq)
            return _SENTINEL

        def random(self) -> float:
            self.other = True
            return super().random()

        def getrandbits(self, k: int) -> int:
            self.other = True
            return super().getrandbits(k)

    return Recording()


@functools.lru_cache(maxsize=512)
def _pool(
    group: str, method: str, kwargs: tuple[tuple[str, Any], ...], locale: str
) -> tuple[tuple[str, ...], np.ndarray] | None:
    instance = provider_instance(group, locale)
    recorder = _recording_random()
    instance.random = recorder
    try:
        result = getattr(instance, method)(**dict(kwargs))
    except Exception:
        return None
    if result is not _SENTINEL or recorder.other or len(recorder.sequences) != 1:
        return None
    sequence = list(recorder.sequences[0])
    if not sequence or not all(isinstance(v, str) for v in sequence):
        return None
    categories, inverse = np.unique(
        np.asarray(sequence, dtype=object), return_inverse=True
    )
    return tuple(categories), inverse.astype(np.int32)


def choice_pool(
    group: str, method: str, kwargs: Mapping[str, Any], locale: str
) -> tuple[tuple[str, ...], np.ndarray] | None:
    """``(categories, index_map)`` when the provider is a uniform choice from a list
    of strings: drawing ``index_map[rng.integers(len(index_map))]`` reproduces its
    distribution (duplicates in the list keep their weight). ``None`` otherwise."""
    return _pool(group, method, tuple(sorted(kwargs.items())), locale)


_local = threading.local()


def _instance(group: str, locale: str) -> Any:
    """This thread's provider instance for ``(group, locale)``. Each call of
    :func:`call_provider` reseeds its ``random``, so an instance shared
    between threads would let one thread reseed another's draws mid-way: every
    thread has its own (processes and Dask workers have their own anyway)."""
    cache: dict[tuple[str, str], Any] | None = getattr(_local, "instances", None)
    if cache is None:
        cache = _local.instances = {}
    key = (group, locale)
    if key not in cache:
        cache[key] = provider_instance(group, locale)
    return cache[key]


def call_provider(
    group: str,
    method: str,
    kwargs: Mapping[str, Any],
    locale: str,
    rng: np.random.Generator,
    size: int,
) -> np.ndarray:
    """``size`` values from per-row calls, seeded from ``rng`` (reproducible in any
    thread, process or worker: the values depend only on ``rng``)."""
    instance = _instance(group, locale)
    # Reseed the instance's own generator rather than replace it: providers that
    # hold others (payment -> person, internet -> file, code, text, datetime) share
    # it with them, so their draws are seeded too. Same sequence as Random(seed).
    instance.random.seed(int(rng.integers(2**63)))
    func = getattr(instance, method)
    out = np.empty(size, dtype=object)
    out[:] = [func(**kwargs) for _ in range(size)]
    return out


def pooled_categorical(codes: np.ndarray, categories: Sequence[str]) -> Any:
    return pd.Categorical.from_codes(codes, categories=pd.Index(categories))
