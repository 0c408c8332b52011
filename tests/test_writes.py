"""Race-free writes (issue 13) and outputs checked before any work (issue 7).

Every writer of twinaudit goes through ``twinaudit._files.atomic_path``; these tests
interfere with a write while it is in progress (a file appears at the target, a
second writer publishes first, the disk fills, SIGTERM arrives) and check that the
target holds either what it held before or one writer's complete output.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import stat
import threading
from pathlib import Path

import pytest

from twinaudit import _files
from twinaudit._files import Terminated, atomic_path, check_output, write_text
from twinaudit.exceptions import OutputExistsError, OutputPathError, TwinauditError


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def created_meanwhile(path: Path) -> str:
    return (
        f"{str(path)!r} was created by something else while twinaudit was writing "
        "it, and was left as it is; pass overwrite=True to replace it, or choose "
        "another output path."
    )


# -- a file that appears during the write -------------------------------------------
def test_a_file_created_at_the_target_during_the_write_is_never_replaced(tmp_path):
    path = tmp_path / "out.txt"
    with (
        pytest.raises(OutputExistsError, match=re.escape(created_meanwhile(path))),
        atomic_path(path, overwrite=False) as tmp,
    ):
        tmp.write_text("twinaudit's output")
        path.write_text("someone else's file")  # appears mid-write
    assert path.read_text() == "someone else's file"
    assert listing(tmp_path) == ["out.txt"]


def test_with_overwrite_a_file_created_meanwhile_is_replaced_whole(tmp_path):
    path = tmp_path / "out.txt"
    with atomic_path(path, overwrite=True) as tmp:
        tmp.write_text("twinaudit's output")
        path.write_text("someone else's file")
    assert path.read_text() == "twinaudit's output"
    assert listing(tmp_path) == ["out.txt"]


@pytest.mark.parametrize("code", [errno.EPERM, errno.EOPNOTSUPP])
def test_without_hard_links_the_name_is_still_claimed_exclusively(
    tmp_path, monkeypatch, code
):
    """File systems without hard links (some FUSE, FAT): an O_EXCL placeholder."""

    def no_links(src, dst):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(_files.os, "link", no_links)
    path = tmp_path / "out.txt"
    write_text(path, "first", overwrite=False)
    assert path.read_text() == "first"
    late = tmp_path / "late.txt"
    with (
        pytest.raises(OutputExistsError, match=re.escape(created_meanwhile(late))),
        atomic_path(late, overwrite=False) as tmp,
    ):
        tmp.write_text("twinaudit's output")
        late.write_text("someone else's file")
    assert (tmp_path / "late.txt").read_text() == "someone else's file"
    assert listing(tmp_path) == ["late.txt", "out.txt"]


# -- two writers ----------------------------------------------------------------------
def test_two_interleaved_writers_one_wins_the_other_is_told(tmp_path):
    path = tmp_path / "out.csv"
    first = atomic_path(path, overwrite=False)
    second = atomic_path(path, overwrite=False)
    tmp1, tmp2 = first.__enter__(), second.__enter__()
    assert tmp1 != tmp2 and tmp1.parent == tmp2.parent == tmp_path
    for tmp in (tmp1, tmp2):
        assert tmp.name.startswith(".out.csv.") and tmp.name.endswith(".partial")
    tmp1.write_text("a\n" * 1000)
    tmp2.write_text("b\n" * 10)
    first.__exit__(None, None, None)
    with pytest.raises(OutputExistsError, match=re.escape(created_meanwhile(path))):
        second.__exit__(None, None, None)
    assert path.read_text() == "a\n" * 1000
    assert listing(tmp_path) == ["out.csv"]


@pytest.mark.parametrize("overwrite", [False, True])
def test_concurrent_writers_never_leave_a_mixed_file(tmp_path, overwrite):
    path = tmp_path / "out.txt"
    texts = [f"{i}" * 200_000 for i in range(4)]
    barrier = threading.Barrier(len(texts))
    outcomes: list[str] = []

    def writer(text: str) -> None:
        barrier.wait()
        try:
            with atomic_path(path, overwrite=overwrite) as tmp, tmp.open("w") as f:
                for start in range(0, len(text), 10_000):
                    f.write(text[start : start + 10_000])
                    f.flush()
            outcomes.append("wrote")
        except OutputExistsError:
            outcomes.append("refused")

    threads = [threading.Thread(target=writer, args=(t,)) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert path.read_text() in texts  # one writer's complete output
    assert listing(tmp_path) == ["out.txt"]
    if overwrite:
        assert outcomes == ["wrote"] * 4
    else:
        assert sorted(outcomes) == ["refused"] * 3 + ["wrote"]


# -- durability and permissions ---------------------------------------------------------
def test_the_file_is_fsynced_before_it_is_published_and_then_its_directory(
    tmp_path, monkeypatch
):
    path = tmp_path / "out.txt"
    synced: list[tuple[str, bool]] = []
    real_fsync = os.fsync

    def recording_fsync(fd):
        name = os.readlink(f"/proc/self/fd/{fd}")
        synced.append((name, path.exists()))
        real_fsync(fd)

    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to name a file descriptor")
    monkeypatch.setattr(_files.os, "fsync", recording_fsync)
    write_text(path, "durable", overwrite=False)
    assert len(synced) == 2
    (file_name, published), (folder_name, _) = synced
    assert Path(file_name).parent == tmp_path and file_name.endswith(".partial")
    assert not published  # synced before the link
    assert folder_name == str(tmp_path)


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o755])
def test_overwrite_keeps_the_replaced_files_permissions(tmp_path, mode):
    path = tmp_path / "out.txt"
    path.write_text("old")
    path.chmod(mode)
    write_text(path, "new", overwrite=True)
    assert path.read_text() == "new"
    assert stat.S_IMODE(path.stat().st_mode) == mode


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_the_umasks_permissions_not_mkstemps_0600(tmp_path, umask):
    previous = os.umask(umask)
    try:
        write_text(tmp_path / "out.txt", "new", overwrite=False)
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "out.txt").stat().st_mode) == 0o666 & ~umask


# -- symlinks ---------------------------------------------------------------------------
def test_a_symlink_is_an_existing_file_even_when_dangling(tmp_path):
    link = tmp_path / "out.txt"
    link.symlink_to(tmp_path / "nowhere.txt")
    message = f"{str(link)!r} already exists; pass overwrite=True to replace it."
    with pytest.raises(OutputExistsError, match=re.escape(message)):
        write_text(link, "new", overwrite=False)
    assert link.is_symlink() and not (tmp_path / "nowhere.txt").exists()


def test_overwrite_follows_a_symlink_deliberately_and_keeps_it(tmp_path):
    real = tmp_path / "runs" / "report.json"
    real.parent.mkdir()
    real.write_text("old")
    real.chmod(0o640)
    link = tmp_path / "latest.json"
    link.symlink_to(real)
    assert check_output(link, overwrite=True) == real.resolve()
    write_text(link, "new", overwrite=True)
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_text() == "new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert listing(real.parent) == ["report.json"]
    assert listing(tmp_path) == ["latest.json", "runs"]


# -- paths that cannot be written, checked before any work ------------------------------
def test_a_missing_directory_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "missing" / "out.csv"
    message = (
        f"Cannot write {str(path)!r}: the directory {str(path.parent)!r} does not "
        "exist. Create it first, or choose another output path."
    )
    with pytest.raises(OutputPathError, match=re.escape(message)):
        check_output(path, overwrite=True)
    entered = []
    with (
        pytest.raises(OutputPathError, match=re.escape(message)),
        atomic_path(path, overwrite=False),
    ):
        entered.append(True)
    assert entered == [] and listing(tmp_path) == []
    assert issubclass(OutputPathError, TwinauditError)
    assert issubclass(OutputPathError, OSError)


def test_a_file_in_place_of_the_directory_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    path = tmp_path / "file" / "out.csv"
    message = (
        f"Cannot write {str(path)!r}: the directory {str(path.parent)!r} is not a "
        "directory. Create it first, or choose another output path."
    )
    with pytest.raises(OutputPathError, match=re.escape(message)):
        check_output(path, overwrite=False)


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_directory_is_not_an_output_file(tmp_path, overwrite):
    folder = tmp_path / "twins.csv"
    folder.mkdir()
    message = (
        f"Cannot write to {str(folder)!r}: it is a directory. Give a file name, e.g. "
        f"{str(folder / 'out')!r}."
    )
    with pytest.raises(OutputPathError, match=re.escape(message)):
        write_text(folder, "x", overwrite=overwrite)
    assert listing(folder) == []


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_device_or_pipe_is_never_replaced(tmp_path, overwrite):
    """As root, os.replace over /dev/null would put a regular file in its place."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for path in (fifo, Path(os.devnull)):
        if overwrite:
            message = (
                f"Cannot write to {str(path)!r}: it is not a regular file (a device, "
                "pipe or socket), which twinaudit never replaces. Give a file name."
            )
            with pytest.raises(OutputPathError, match=re.escape(message)):
                write_text(path, "x", overwrite=True)
        else:
            with pytest.raises(OutputExistsError):
                write_text(path, "x", overwrite=False)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert listing(tmp_path) == ["pipe"]


def test_a_read_only_directory_is_refused(tmp_path, monkeypatch):
    """As root, permissions do not stop a write: the check reads os.access, which
    is what a read-only file system answers too (EROFS)."""
    real_access = os.access
    monkeypatch.setattr(
        _files.os,
        "access",
        lambda p, mode: False if Path(p) == tmp_path else real_access(p, mode),
    )
    path = tmp_path / "out.csv"
    message = (
        f"Cannot write {str(path)!r}: the directory {str(tmp_path)!r} is not "
        "writable (read-only file system or no permission). Choose another output "
        "path."
    )
    with pytest.raises(OutputPathError, match=re.escape(message)):
        write_text(path, "x", overwrite=False)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (errno.EROFS, "Read-only file system"),
        (errno.EACCES, "Permission denied"),
        (errno.ENOSPC, "No space left on device"),
    ],
)
def test_a_temporary_file_that_cannot_be_created(tmp_path, monkeypatch, code, reason):
    def refused(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(_files.tempfile, "mkstemp", refused)
    path = tmp_path / "out.csv"
    message = f"Cannot write {str(path)!r}: {reason}. Nothing was written."
    with pytest.raises(OutputPathError, match=re.escape(message)):
        write_text(path, "x", overwrite=False)
    assert listing(tmp_path) == []


@pytest.mark.parametrize("original", [None, "precious"])
def test_a_full_disk_half_way_keeps_the_original(tmp_path, original):
    path = tmp_path / "out.csv"
    if original is not None:
        path.write_text(original)
    kept = "The existing file is unchanged" if original else "Nothing was written"
    message = f"Cannot write {str(path)!r}: No space left on device. {kept}."
    with (
        pytest.raises(OutputPathError, match=re.escape(message)),
        atomic_path(path, overwrite=True) as tmp,
    ):
        tmp.write_text("half of it")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))
    assert listing(tmp_path) == ([] if original is None else ["out.csv"])
    if original is not None:
        assert path.read_text() == original


# -- signals and stale temporary files -------------------------------------------------
def test_sigterm_during_a_write_removes_the_temporary_file(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("precious")
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    with pytest.raises(Terminated) as caught, atomic_path(path, overwrite=True) as tmp:
        tmp.write_text("half of it")
        os.kill(os.getpid(), signal.SIGTERM)  # the handler runs before the next line
        raise AssertionError("SIGTERM must interrupt the write")
    assert caught.value.code == 128 + signal.SIGTERM
    assert isinstance(caught.value, SystemExit)  # uncaught, the process exits 143
    assert path.read_text() == "precious"
    assert listing(tmp_path) == ["out.csv"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored


def test_a_handler_the_program_installed_is_left_alone(tmp_path):
    seen = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(signum))
    try:
        with atomic_path(tmp_path / "out.csv", overwrite=False) as tmp:
            os.kill(os.getpid(), signal.SIGTERM)
            tmp.write_text("whole")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert seen == [signal.SIGTERM]
    assert (tmp_path / "out.csv").read_text() == "whole"


def test_stale_temporary_files_of_a_killed_run_are_never_taken_for_output(tmp_path):
    """``kill -9`` leaves a temporary file: hidden, never at the output's name (the
    old fixed name and a new unique one); the next run neither reads, reuses,
    removes nor refuses because of it."""
    stale = [tmp_path / ".out.csv.partial", tmp_path / ".out.csv.k3j2_x9.partial"]
    for p in stale:
        p.write_text("half a file from a killed run")
    path = tmp_path / "out.csv"
    write_text(path, "complete", overwrite=False)
    assert path.read_text() == "complete"
    assert all(p.read_text() == "half a file from a killed run" for p in stale)
    assert listing(tmp_path) == sorted(["out.csv", *(p.name for p in stale)])


# -- the library's own writers --------------------------------------------------------
def test_report_to_json_into_a_missing_directory_names_the_fix(tmp_path):
    import twinaudit as ta
    from twinaudit.datasets import loan_applications, loan_model, loan_twin_spec

    model = loan_model(loan_applications(200, seed=1))
    report = ta.audit(model, ta.generate(loan_twin_spec(1), 50), n_boot=10)
    path = tmp_path / "reports" / "audit.json"
    message = (
        f"Cannot write {str(path)!r}: the directory {str(path.parent)!r} does not "
        "exist. Create it first, or choose another output path."
    )
    with pytest.raises(OutputPathError, match=re.escape(message)):
        report.to_json(path)
    assert listing(tmp_path) == []
