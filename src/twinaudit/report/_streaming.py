"""Streamed and distributed audits: chunks of pairs generated, scored and
accumulated on threads or on a Dask cluster, merged in pair order.

Every chunk is a range of pairs: generated from the spec's own per-column streams
(so a chunk's twins do not depend on which worker made them or when), scored, and
read into an :class:`~twinaudit.metrics.AuditAccumulator`. Accumulators are merged
in pair order, so the result equals the one-shot audit's: counts to the last bit.
Only the accumulators and the first pairs (``report.scored``) are kept.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from twinaudit.exceptions import DataError, MissingDependencyError, ModelError
from twinaudit.generation import BLOCK, Twins
from twinaudit.metrics import AuditAccumulator
from twinaudit.scoring import ScoredTwins, score
from twinaudit.spec import TwinSpec

__all__ = ["REPORT_SAMPLE", "check_stream_options", "stream_audit"]

#: Pairs of a streamed audit kept in ``report.scored`` (``report.decisions()``).
REPORT_SAMPLE = 10_000
#: How long to try to reach a scheduler given by its address.
_CONNECT_TIMEOUT = "10s"
#: Chunks after which a progress bar is worth showing.
_PROGRESS_CHUNKS = 4


def check_stream_options(
    chunk_size: Any, n_jobs: Any, backend: Any, client: Any
) -> None:
    """Validate the streaming options before any work (typed errors with the fix)."""
    if chunk_size is not None and (
        isinstance(chunk_size, bool)
        or not isinstance(chunk_size, int | np.integer)
        or chunk_size < 1
    ):
        raise DataError(
            f"chunk_size must be a whole number of pairs >= 1 (e.g. 100_000), or "
            f"None for one chunk. Got {chunk_size!r}."
        )
    if n_jobs is not None and (
        isinstance(n_jobs, bool)
        or not isinstance(n_jobs, int | np.integer)
        or n_jobs < 1
    ):
        raise DataError(
            f"n_jobs must be a whole number >= 1 (threads scoring chunks), or None "
            f"for one per core. Got {n_jobs!r}."
        )
    if backend not in ("local", "dask"):
        raise DataError(
            f"backend must be 'local' or 'dask'. Got {backend!r}. ('dask' runs the "
            "audit on a dask.distributed cluster.)"
        )
    if client is not None and backend != "dask":
        raise DataError("client= is only used with backend='dask'.")


@dataclass(frozen=True)
class _Job:
    """What every chunk needs: picklable, shipped to Dask workers once."""

    source: Twins | TwinSpec
    n_pairs: int
    labels: np.ndarray | None  # 0/1 per pair (its factual row), for real rows
    favorable_label: Any
    features: tuple[str, ...] | None
    allow_unread: bool
    label_column: str | None
    random_state: int

    def twins(self, start: int, stop: int) -> Twins:
        if isinstance(self.source, TwinSpec):
            from twinaudit.generation._ranges import generate_range

            return generate_range(self.source, start, stop, self.n_pairs)
        return _slice(self.source, start, stop)

    def run(self, model: Any, start: int, stop: int) -> AuditAccumulator:
        from twinaudit.report._report import feed, new_accumulator

        scored = self.score(model, start, stop)
        labels = None if self.labels is None else self.labels[start:stop]
        accumulator = new_accumulator(
            scored, self.label_column, labels is not None, self.random_state
        )
        feed(accumulator, scored, labels, start)
        return accumulator

    def score(self, model: Any, start: int, stop: int) -> ScoredTwins:
        return score(
            model,
            self.twins(start, stop),
            favorable_label=self.favorable_label,
            features=self.features,
            **({"allow_unread": True} if self.allow_unread else {}),
        )


def _slice(twins: Twins, start: int, stop: int) -> Twins:
    """Pairs ``[start, stop)`` of twins already in memory."""
    m = twins.n_variants
    if start == 0 and stop == twins.n_pairs:
        return twins
    frame = twins.frame.iloc[start * m : stop * m].reset_index(drop=True)
    factual = None if twins.factual is None else twins.factual[start * m : stop * m]
    return Twins(
        frame,
        twins.protected,
        proxies=twins.proxies,
        pair_column=twins.pair_column,
        varied=twins.varied,
        spec=twins.spec,
        factual=factual,
        validate=False,
    )


def _head(scored: ScoredTwins, pairs: int) -> ScoredTwins:
    """The first ``pairs`` pairs of scored twins."""
    twins = scored.twins
    if pairs >= twins.n_pairs:
        return scored
    rows = pairs * twins.n_variants
    return ScoredTwins(
        twins=_slice(twins, 0, pairs),
        y_pred=scored.y_pred[:rows],
        predictions=scored.predictions[:rows],
        scores=None if scored.scores is None else scored.scores[:rows],
        favorable_label=scored.favorable_label,
        model_name=scored.model_name,
        features=scored.features,
        score_source=scored.score_source,
    )


def _ranges(n: int, chunk: int) -> list[tuple[int, int]]:
    """Chunks of ``chunk`` pairs, after a first one of at most one block, which
    runs alone, before the others, to check the model and the labels."""
    first = min(chunk, BLOCK, n)
    return [(0, first)] + [(s, min(s + chunk, n)) for s in range(first, n, chunk)]


@contextmanager
def _progress(total: int, show: bool | None) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar over pairs on stderr, shown on a terminal for long runs
    (``show=None``), always (``True``) or never (``False``)."""
    if show is None:
        show = sys.stderr.isatty()
    if not show:
        yield lambda _: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    with Progress(
        TextColumn("auditing pairs"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=console.is_terminal,  # elsewhere (progress=True): the last state
    ) as bar:
        task = bar.add_task("audit", total=total)
        yield lambda k: bar.advance(task, k)


def stream_audit(
    model: Any,
    source: Twins | TwinSpec,
    n_pairs: int,
    *,
    chunk_size: int | None,
    n_jobs: int | None,
    backend: str,
    client: Any,
    progress: bool | None,
    y_true: Any,
    favorable_label: Any,
    features: Sequence[str] | None,
    allow_unread: bool,
    random_state: int,
) -> tuple[AuditAccumulator, ScoredTwins, str | None]:
    """Accumulate the audit of ``n_pairs`` pairs chunk by chunk. Returns the merged
    accumulator, the first pairs (scored) and the label column."""
    from twinaudit.report._report import _labels, feed, new_accumulator

    dask = _dask_setup(client, model) if backend == "dask" else None
    try:
        workers = (
            len(dask[0].scheduler_info().get("workers", {})) or 1
            if dask is not None
            else (n_jobs or os.cpu_count() or 1)
        )
        if chunk_size is None:  # a few chunks per worker, whole blocks
            per = math.ceil(n_pairs / (4 * workers))
            chunk_size = max(BLOCK, math.ceil(per / BLOCK) * BLOCK)
        ranges = _ranges(n_pairs, int(chunk_size))
        # The first chunk runs here: it checks the model, the labels and the
        # favourable decision before any worker starts.
        start, stop = ranges[0]
        job = _Job(
            source,
            n_pairs,
            None,
            favorable_label,
            None if features is None else tuple(features),
            allow_unread,
            None,
            random_state,
        )
        first = job.score(model, start, stop)
        # Labels are checked once, all of them (a chunk may hold one label value).
        whole = first if isinstance(source, TwinSpec) else replace(first, twins=source)
        label_column, labels = _labels(whole, y_true)
        if labels is not None and len(labels) != n_pairs:
            raise DataError(
                "Streamed audits with labels need one real row per pair (twins "
                f"from from_frame); these twins have {len(labels)} factual rows "
                f"for {n_pairs} pairs. Audit them in one chunk."
            )
        job = replace(
            job,
            labels=labels,
            favorable_label=first.favorable_label,
            features=first.features,
            label_column=label_column,
        )
        accumulator = new_accumulator(
            first, label_column, labels is not None, random_state
        )
        feed(accumulator, first, None if labels is None else labels[start:stop], start)
        sample = _head(first, REPORT_SAMPLE)
        del first
        rest = ranges[1:]
        show = None if len(ranges) >= _PROGRESS_CHUNKS else False
        with _progress(n_pairs, show if progress is None else progress) as advance:
            advance(stop - start)
            if dask is not None:
                _run_dask(dask[0], model, job, rest, accumulator, advance)
            else:
                _run_threads(model, job, rest, int(workers), accumulator, advance)
        return accumulator, sample, label_column
    finally:
        if dask is not None and dask[1] is not None:
            dask[1]()


def _run_threads(
    model: Any,
    job: _Job,
    ranges: list[tuple[int, int]],
    workers: int,
    accumulator: AuditAccumulator,
    advance: Callable[[int], None],
) -> None:
    """Chunks on ``workers`` threads (numpy, pandas and most scikit-learn models
    release the GIL in their inner loops), merged in order; at most ``workers + 1``
    chunks in memory."""
    if workers == 1 or len(ranges) <= 1:
        for start, stop in ranges:
            accumulator.merge(job.run(model, start, stop))
            advance(stop - start)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: list[tuple[Future[AuditAccumulator], int]] = []
        queue = iter(ranges)
        for start, stop in queue:
            pending.append((pool.submit(job.run, model, start, stop), stop - start))
            if len(pending) > workers:
                future, size = pending.pop(0)
                accumulator.merge(future.result())
                advance(size)
        for future, size in pending:
            accumulator.merge(future.result())
            advance(size)


# -- Dask ---------------------------------------------------------------------------
def _dask_setup(client: Any, model: Any) -> tuple[Any, Callable[[], None] | None]:
    """The Dask client to use (a 2-worker ``LocalCluster`` by default), after
    checking that it runs and that the model can be shipped to its workers."""
    _import_distributed()
    import cloudpickle

    try:
        cloudpickle.dumps(model)
    except Exception as exc:
        raise ModelError(
            f"The model {type(model).__name__} cannot be pickled "
            f"({type(exc).__name__}: {exc}), so it cannot be sent to the Dask "
            "workers. Audit it with backend='local', or make it picklable (no open "
            "files, locks or connections as attributes)."
        ) from exc
    return dask_client(client)


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise MissingDependencyError(
            "backend='dask' needs dask.distributed, which is not installed. Install "
            "the extra: pip install 'twinaudit[dask]'."
        ) from exc
    return distributed


def dask_client(client: Any) -> tuple[Any, Callable[[], None] | None]:
    """A running Dask client from ``client`` (a ``Client``, a scheduler address,
    or ``None`` for a 2-worker ``LocalCluster``), and the function that closes it
    when it was made here (``None`` for the caller's own client)."""
    distributed = _import_distributed()
    if client is None:
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            # Any free port: a cluster of the user's own may hold 8787.
            dashboard_address=":0",
        )
        own = distributed.Client(cluster)

        def close() -> None:
            own.close()
            cluster.close()

        return own, close
    if isinstance(client, str):
        try:
            return distributed.Client(client, timeout=_CONNECT_TIMEOUT), None
        except OSError as exc:
            raise DataError(
                f"Cannot reach the Dask scheduler at {client!r} ({exc}). Check the "
                "address (tcp://host:8786) and that the scheduler is running."
            ) from exc
    if not isinstance(client, distributed.Client):
        raise DataError(
            f"client must be a dask.distributed Client or a scheduler address. Got "
            f"{type(client).__name__}."
        )
    if client.status != "running":
        raise DataError(
            f"The Dask client is {client.status}, not running: create a new one "
            "(Client(address)) or pass client=None for a local cluster."
        )
    return client, None


def _dask_chunk(model: Any, job: _Job, start: int, stop: int) -> AuditAccumulator:
    return job.run(model, start, stop)


def _dask_merge(*parts: AuditAccumulator) -> AuditAccumulator:
    import copy

    out = copy.deepcopy(parts[0])  # a task never changes its inputs
    for part in parts[1:]:
        out.merge(part)
    return out


def _run_dask(
    client: Any,
    model: Any,
    job: _Job,
    ranges: list[tuple[int, int]],
    accumulator: AuditAccumulator,
    advance: Callable[[int], None],
) -> None:
    """Chunks as Dask tasks: the model and the job are scattered once, every
    worker generates and scores its ranges, and accumulators are merged on the
    cluster in a tree that keeps pair order."""
    if not ranges:
        return
    from distributed import as_completed

    model_future = client.scatter(model, broadcast=True, hash=False)
    job_future = client.scatter(job, broadcast=True, hash=False)
    futures = [
        client.submit(_dask_chunk, model_future, job_future, s, e, pure=False)
        for s, e in ranges
    ]
    sizes = {f.key: e - s for f, (s, e) in zip(futures, ranges, strict=True)}
    level = futures
    while len(level) > 1:
        level = [
            client.submit(_dask_merge, *level[i : i + 4], pure=False)
            for i in range(0, len(level), 4)
        ]
    for done in as_completed(futures):
        advance(sizes[done.key])
    accumulator.merge(level[0].result())
