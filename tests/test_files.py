"""Writers never lose the user's file: twinaudit._files and the twin writer.

The failures are injected *after* the write started (the temporary file exists and
holds data), which is the only place a partial file or a damaged original could
come from; a refusal before anything is written cannot test that.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

from twinaudit import _files, _io
from twinaudit._files import atomic_path, refuse_overwrite, write_text
from twinaudit._io import write_twins
from twinaudit.exceptions import DataError, OutputExistsError
from twinaudit.generation import generate, iter_twins
from twinaudit.spec import Integer, ProtectedAttribute, TwinSpec

SPEC = TwinSpec(
    fields=[Integer("income", 0, 1_000_000)],
    protected=[ProtectedAttribute("group", ["a", "b", "c"], "a")],
    seed=11,
)


def others(folder: Path, target: Path) -> list[Path]:
    """Every file in ``folder`` but ``target`` (hidden ones included)."""
    return sorted(p for p in folder.iterdir() if p != target)


def exists_message(path: Path) -> str:
    return f"{str(path)!r} already exists; pass overwrite=True to replace it."


# -- refuse_overwrite / write_text --------------------------------------------------
def test_refuse_overwrite(tmp_path):
    path = tmp_path / "out.txt"
    refuse_overwrite(path, overwrite=False)  # nothing there: fine
    path.write_text("mine")
    refuse_overwrite(path, overwrite=True)
    with pytest.raises(OutputExistsError, match=re.escape(exists_message(path))):
        refuse_overwrite(path, overwrite=False)
    assert issubclass(OutputExistsError, FileExistsError)


def test_write_text_writes_and_replaces_only_when_asked(tmp_path):
    path = tmp_path / "out.txt"
    write_text(path, "first ünïcode", overwrite=False)
    assert path.read_bytes() == "first ünïcode".encode()
    with pytest.raises(OutputExistsError, match=re.escape(exists_message(path))):
        write_text(path, "second", overwrite=False)
    assert path.read_text(encoding="utf-8") == "first ünïcode"
    write_text(path, "second", overwrite=True)
    assert path.read_text(encoding="utf-8") == "second"
    assert others(tmp_path, path) == []


@pytest.mark.parametrize("original", [None, "precious"])
def test_a_failing_replace_keeps_the_original_and_removes_the_temporary_file(
    tmp_path, monkeypatch, original
):
    path = tmp_path / "out.txt"
    if original is not None:
        path.write_text(original)
    seen = []

    def failing_replace(src, dst):
        seen.append(Path(src).read_text(encoding="utf-8"))  # the write had finished
        raise OSError("disk full")

    monkeypatch.setattr(_files.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_text(path, "new text", overwrite=True)
    assert seen == ["new text"]
    assert others(tmp_path, path) == []
    if original is None:
        assert not path.exists()
    else:
        assert path.read_text() == original


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_a_failure_half_way_through_a_write(tmp_path, error):
    path = tmp_path / "out.txt"
    path.write_text("precious")
    with pytest.raises(type(error)), atomic_path(path, overwrite=True) as tmp:
        tmp.write_text("half of the ")
        assert tmp.exists() and tmp.parent == tmp_path
        raise error
    assert path.read_text() == "precious"
    assert others(tmp_path, path) == []


def test_the_refusal_comes_before_anything_is_written(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("precious")
    entered = False
    with (
        pytest.raises(OutputExistsError, match=re.escape(exists_message(path))),
        atomic_path(path, overwrite=False),
    ):
        entered = True
    assert not entered
    assert path.read_text() == "precious"
    assert others(tmp_path, path) == []


# -- write_twins --------------------------------------------------------------------
def read(path: Path, suffix: str) -> pd.DataFrame:
    return pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)


def expected_frame(n_pairs: int) -> pd.DataFrame:
    frame = generate(SPEC, n_pairs).frame
    return frame.assign(group=frame["group"].astype(str))


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_write_twins_in_chunks_equals_one_shot(tmp_path, suffix):
    path = tmp_path / f"twins{suffix}"
    rows = write_twins(SPEC, 25, path, chunk_size=7)
    assert rows == 75
    written = read(path, suffix)
    written["group"] = written["group"].astype(str)
    pd.testing.assert_frame_equal(written, expected_frame(25), check_dtype=False)
    assert others(tmp_path, path) == []


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize(
    "error", [RuntimeError("generator broke"), KeyboardInterrupt()]
)
def test_write_twins_failing_after_two_chunks_leaves_the_original(
    tmp_path, monkeypatch, suffix, error
):
    path = tmp_path / f"twins{suffix}"
    path.write_bytes(b"precious")
    sizes = []

    def failing_chunks(spec, n_pairs, chunk_size, **kwargs):
        for i, chunk in enumerate(iter_twins(spec, n_pairs, chunk_size, **kwargs)):
            if i == 2:
                # Two chunks are in the temporary file by now.
                sizes.extend(p.stat().st_size for p in others(tmp_path, path))
                raise error
            yield chunk

    monkeypatch.setattr(_io, "iter_twins", failing_chunks)
    with pytest.raises(type(error)):
        write_twins(SPEC, 30, path, chunk_size=5, overwrite=True)
    assert len(sizes) == 1 and sizes[0] > 0
    assert path.read_bytes() == b"precious"
    assert others(tmp_path, path) == []


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_write_twins_failing_replace_leaves_the_original(tmp_path, monkeypatch, suffix):
    path = tmp_path / f"twins{suffix}"
    path.write_bytes(b"precious")
    written = []

    def failing_replace(src, dst):
        frame = read(Path(src), suffix)
        written.append(len(frame))
        raise OSError("disk full")

    monkeypatch.setattr(_files.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_twins(SPEC, 12, path, chunk_size=5, overwrite=True)
    assert written == [36]  # the whole file had been written to the temporary name
    assert path.read_bytes() == b"precious"
    assert others(tmp_path, path) == []


def test_write_twins_refuses_before_generating(tmp_path, monkeypatch):
    path = tmp_path / "twins.csv"
    path.write_text("precious")
    started = []

    def recording_chunks(*args, **kwargs):
        started.append(True)
        yield from iter_twins(*args, **kwargs)

    monkeypatch.setattr(_io, "iter_twins", recording_chunks)
    with pytest.raises(OutputExistsError, match=re.escape(exists_message(path))):
        write_twins(SPEC, 10, path)
    assert started == []
    assert path.read_text() == "precious"
    assert others(tmp_path, path) == []


def test_write_twins_needs_a_csv_or_parquet_name(tmp_path):
    path = tmp_path / "twins.xlsx"
    with pytest.raises(
        DataError,
        match=re.escape(
            f"Cannot write twins to {str(path)!r}: use a .csv or .parquet file name."
        ),
    ):
        write_twins(SPEC, 10, path)
    assert list(tmp_path.iterdir()) == []


def test_the_temporary_file_is_beside_the_target(tmp_path):
    """Same folder, so os.replace is a rename on one file system, never a copy."""
    sub = tmp_path / "sub"
    sub.mkdir()
    with atomic_path(sub / "out.txt", overwrite=False) as tmp:
        assert tmp.parent == sub and tmp.name != "out.txt"
        tmp.write_text("x")
    assert os.listdir(sub) == ["out.txt"]
