"""Writing files without ever losing what the user had.

Every writer goes through :func:`atomic_path`:

- the output is checked before any work starts (:func:`check_output`): its directory
  exists and is writable, it is not a directory, and an existing file (or symlink,
  even a dangling one) is refused unless ``overwrite`` is on;
- the data goes to a temporary file of its own in the target's directory
  (``tempfile.mkstemp``: ``.NAME.<random>.partial``, so two writers never share
  one), which is flushed to disk (``fsync``) when complete;
- it is published with ``os.link`` (the kernel refuses if anything appeared at the
  target meanwhile: a file created during the write is never replaced) or, only
  with ``overwrite``, with ``os.replace``; then the directory is fsynced;
- a replaced file keeps its permission bits; a new file gets the umask's;
- a symlink at the target is followed deliberately under ``overwrite``: the file it
  points to is replaced and the link is kept;
- on any failure, Ctrl-C or SIGTERM the temporary file is removed and the target is
  untouched. Only ``kill -9`` can leave a ``.NAME.*.partial`` file behind: hidden,
  never at the output's name, never read by twinaudit; delete it.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from twinaudit.exceptions import OutputExistsError, OutputPathError, TwinauditError

__all__ = [
    "OVERWRITE_HINT",
    "Terminated",
    "atomic_path",
    "check_output",
    "refuse_overwrite",
    "write_text",
]

#: How to ask for an overwrite, in messages: the API's keyword; the command line
#: sets it to its ``--force`` option.
OVERWRITE_HINT: contextvars.ContextVar[str] = contextvars.ContextVar(
    "twinaudit_overwrite_hint", default="pass overwrite=True"
)


class Terminated(SystemExit):
    """SIGTERM arrived during a write: raised so that the temporary file is removed,
    then the process exits with 143 (128 + SIGTERM), as it would have."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(128 + signum)


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def terminate_as_exception() -> Iterator[None]:
    """While the block runs, SIGTERM raises :class:`Terminated` (so ``finally``
    clauses run), if SIGTERM still has its default action and this is the main
    thread; a handler the program installed itself is left alone."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def refuse_overwrite(path: Path, overwrite: bool) -> None:
    """Raise :class:`OutputExistsError` if ``path`` exists (a symlink counts, even a
    dangling one) and ``overwrite`` is off."""
    if os.path.lexists(path) and not overwrite:
        raise OutputExistsError(
            f"{str(path)!r} already exists; {OVERWRITE_HINT.get()} to replace it."
        )


def check_output(path: str | os.PathLike[str], *, overwrite: bool) -> Path:
    """Check, before any work, that ``path`` can be written; return the file to
    write (the one a symlink points to, under ``overwrite``).

    Raises :class:`OutputExistsError` for an existing file without ``overwrite``,
    :class:`OutputPathError` for a directory, a device or pipe, a missing or
    read-only directory.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputPathError(
            f"Cannot write to {str(path)!r}: it is a directory. Give a file name, "
            f"e.g. {str(path / 'out')!r}."
        )
    refuse_overwrite(path, overwrite)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    if target.exists() and not target.is_file():
        raise OutputPathError(
            f"Cannot write to {str(path)!r}: it is not a regular file (a device, "
            "pipe or socket), which twinaudit never replaces. Give a file name."
        )
    folder = target.parent
    if not folder.is_dir():
        what = "is not a directory" if folder.exists() else "does not exist"
        raise OutputPathError(
            f"Cannot write {str(path)!r}: the directory {str(folder)!r} {what}. "
            "Create it first, or choose another output path."
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputPathError(
            f"Cannot write {str(path)!r}: the directory {str(folder)!r} is not "
            "writable (read-only file system or no permission). Choose another "
            "output path."
        )
    return target


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # read it by setting it, then put it back
    os.umask(mask)
    return mask


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(folder: Path) -> None:
    """Make the new directory entry durable, where the platform allows it."""
    if os.name != "posix":  # pragma: no cover
        return
    with contextlib.suppress(OSError):  # some file systems refuse (EINVAL)
        _fsync(folder)


def _created_meanwhile(path: Path) -> str:
    return (
        f"{str(path)!r} was created by something else while twinaudit was writing "
        f"it, and was left as it is; {OVERWRITE_HINT.get()} to replace it, or "
        "choose another output path."
    )


def _publish(tmp: Path, target: Path, shown: Path, overwrite: bool) -> None:
    if overwrite:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)  # fails if anything is at the target by now
    except FileExistsError as exc:
        raise OutputExistsError(_created_meanwhile(shown)) from exc
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        # No hard links on this file system: claim the name exclusively, then
        # rename over the empty file that is ours.
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError as exists:
            raise OutputExistsError(_created_meanwhile(shown)) from exists
        os.replace(tmp, target)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, overwrite: bool) -> Iterator[Path]:
    """Yield a new temporary file beside ``path``; when the block succeeds it is
    synced and published at ``path`` (see the module's description); when it fails,
    is interrupted or terminated, it is removed and ``path`` is untouched."""
    shown = Path(path)
    target = check_output(shown, overwrite=overwrite)
    with terminate_as_exception():
        try:
            fd, name = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=".partial", dir=target.parent
            )
        except OSError as exc:
            raise _write_error(shown, exc) from exc
        os.close(fd)
        tmp = Path(name)
        try:
            try:
                yield tmp
                try:
                    existing = os.stat(target) if overwrite else None
                except FileNotFoundError:
                    existing = None
                mode = (
                    stat.S_IMODE(existing.st_mode)
                    if existing is not None
                    else 0o666 & ~_umask()
                )
                os.chmod(tmp, mode)
                _fsync(tmp)
                _publish(tmp, target, shown, overwrite)
            except TwinauditError:
                raise
            except OSError as exc:
                raise _write_error(shown, exc) from exc
            _fsync_directory(target.parent)
        finally:
            tmp.unlink(missing_ok=True)


def _write_error(path: Path, exc: OSError) -> OutputPathError:
    reason = (exc.strerror or str(exc) or type(exc).__name__).rstrip(".")
    existed = os.path.lexists(path)
    kept = " The existing file is unchanged." if existed else " Nothing was written."
    return OutputPathError(f"Cannot write {str(path)!r}: {reason}.{kept}")


def write_text(path: str | os.PathLike[str], text: str, *, overwrite: bool) -> None:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_path`)."""
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
