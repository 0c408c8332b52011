"""Write twins to CSV or Parquet in chunks, atomically, never over a user's file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twinaudit._files import atomic_path
from twinaudit.exceptions import DataError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from twinaudit.generation import Twins
    from twinaudit.spec import Mode, TwinSpec

__all__ = ["twins_format", "write_twins"]


def twins_format(path: str | os.PathLike[str]) -> str:
    """The file type of ``path`` (``".csv"`` or ``".parquet"``), or a
    :class:`DataError` saying which names work."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise DataError(
            f"Cannot write twins to {str(path)!r}: use a .csv or .parquet file name."
        )
    return suffix


def write_twins(
    spec: TwinSpec,
    n_pairs: int,
    path: str | os.PathLike[str],
    *,
    mode: Mode | None = None,
    seed: int | None = None,
    chunk_size: int = 100_000,
    overwrite: bool = False,
    progress: Any = None,
) -> int:
    """Generate ``n_pairs`` pairs chunk by chunk into ``path`` (``.csv`` or
    ``.parquet``); return the number of rows. The file appears only when complete.
    """
    path = Path(path)
    suffix = twins_format(path)
    chunks = iter_twins(spec, n_pairs, chunk_size, mode=mode, seed=seed)
    bar = task = None
    if progress is not None and getattr(progress, "is_terminal", False):
        from rich.progress import Progress

        bar = Progress(console=progress, transient=True)
        bar.start()
        task = bar.add_task("generating twins", total=n_pairs)
    try:
        # iter_twins is lazy: nothing is generated before the overwrite check.
        with atomic_path(path, overwrite=overwrite) as tmp:
            return _write_chunks(chunks, tmp, suffix, bar, task)
    finally:
        if bar is not None:
            bar.stop()


def iter_twins(
    spec: TwinSpec, n_pairs: int, chunk_size: int, **options: Any
) -> Iterator[Twins]:
    """:func:`twinaudit.iter_twins`, imported when first used, so that checking an
    output name (:func:`twins_format`) stays instant on the command line."""
    from twinaudit.generation import iter_twins as chunks

    return chunks(spec, n_pairs, chunk_size, **options)


def _write_chunks(chunks: Any, tmp: Path, suffix: str, bar: Any, task: Any) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = 0
    writer = None
    try:
        for i, chunk in enumerate(chunks):
            frame = chunk.frame
            if suffix == ".csv":
                frame.to_csv(
                    tmp, mode="w" if i == 0 else "a", header=i == 0, index=False
                )
            else:
                table = pa.Table.from_pandas(frame, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema)
                writer.write_table(table)
            rows += len(frame)
            if bar is not None:
                bar.update(task, advance=chunk.n_pairs)
    finally:
        if writer is not None:
            writer.close()
    return rows
