"""Where the real data sets live, and fetching them safely.

Files are looked up in ``data_home``: the argument, then the ``TWINAUDIT_DATA``
environment variable, then a user cache folder (``$XDG_CACHE_HOME/twinaudit`` or
``~/.cache/twinaudit``). Inside it each data set has its own folder holding the
original files under their original names (``adult/adult.data``), the layout of
the project's ``shared/data`` folder.

A missing file is downloaded from its canonical source when asked
(``download_if_missing=True``): written to a temporary name beside its final one,
checked against its published sha256, then renamed, so an interrupted or corrupt
download never leaves a file that looks complete. Every file is checked against
its sha256 before it is read, so a corrupt or altered file is refused, never used.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from twinaudit.exceptions import ChecksumError, DataError

__all__ = ["REMOTE_FILES", "RemoteFile", "data_file", "get_data_home"]

#: Environment variable naming the data folder.
DATA_ENV = "TWINAUDIT_DATA"
#: Environment variable naming a mirror (a base URL laid out like the data folder).
URL_ENV = "TWINAUDIT_DATA_URL"

_UCI = "https://archive.ics.uci.edu/ml/machine-learning-databases"


@dataclass(frozen=True)
class RemoteFile:
    """One original file: its path in the data folder, its canonical URL and sha256.

    ``member`` names the file inside a zip archive when the canonical source is an
    archive (UCI distributes Bank marketing as ``bank-additional.zip``); the sha256
    is always the one of the file itself.
    """

    path: str
    url: str
    sha256: str
    member: str | None = None


REMOTE_FILES: dict[str, RemoteFile] = {
    f.path: f
    for f in (
        RemoteFile(
            "adult/adult.data",
            f"{_UCI}/adult/adult.data",
            "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d",
        ),
        RemoteFile(
            "adult/adult.test",
            f"{_UCI}/adult/adult.test",
            "a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05",
        ),
        RemoteFile(
            "german/german.data",
            f"{_UCI}/statlog/german/german.data",
            "b21f3d81db8071257d5ff1deaeba1fd4303b62712e6fcc9715c7a86202cb5871",
        ),
        RemoteFile(
            "compas/compas-scores-two-years.csv",
            "https://raw.githubusercontent.com/propublica/compas-analysis/master/"
            "compas-scores-two-years.csv",
            "c451db85908b2f7fef1d83203bedf6b71ecda0d5af468d82ae62178f91d0cc7d",
        ),
        RemoteFile(
            "bank/bank-additional-full.csv",
            f"{_UCI}/00222/bank-additional.zip",
            "74adfc578bf77a7ff4bb1ba4a9f8709d9e3c6907342959c2c8416847e0afb4d8",
            member="bank-additional/bank-additional-full.csv",
        ),
    )
}


def get_data_home(data_home: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding the real data sets.

    ``data_home`` if given, else ``$TWINAUDIT_DATA``, else the user cache folder
    ``$XDG_CACHE_HOME/twinaudit`` (``~/.cache/twinaudit``). The folder is not
    created here; a download creates it.

    Examples
    --------
    >>> str(get_data_home("/tmp/data"))
    '/tmp/data'
    """
    if data_home is not None:
        return Path(data_home).expanduser()
    env = os.environ.get(DATA_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(cache).expanduser() if cache else Path.home() / ".cache"
    return base / "twinaudit"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _source_url(remote: RemoteFile, base_url: str | None) -> tuple[str, str | None]:
    """The URL to fetch and the zip member to extract (None: the file itself)."""
    base = base_url if base_url is not None else os.environ.get(URL_ENV, "").strip()
    if base:
        return f"{base.rstrip('/')}/{remote.path}", None
    return remote.url, remote.member


def _download(remote: RemoteFile, target: Path, base_url: str | None) -> None:
    url, member = _source_url(remote, base_url)
    from twinaudit._files import atomic_path

    target.parent.mkdir(parents=True, exist_ok=True)
    # The shared writer: a unique temporary file (two downloads never share one),
    # published only after its checksum matched; removed on failure or SIGTERM.
    with atomic_path(target, overwrite=True) as partial:
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                if member is None:
                    with partial.open("wb") as out:
                        shutil.copyfileobj(response, out)
                else:
                    archive = zipfile.ZipFile(io.BytesIO(response.read()))
                    with archive.open(member) as src, partial.open("wb") as out:
                        shutil.copyfileobj(src, out)
        except (urllib.error.URLError, OSError, zipfile.BadZipFile, KeyError) as exc:
            raise DataError(
                f"Could not download {remote.path!r} from {url}: {exc}. Check the "
                f"connection, or put the file at {str(target)!r} yourself."
            ) from exc
        digest = _sha256(partial)
        if digest != remote.sha256:
            raise ChecksumError(
                f"The file downloaded from {url} for {remote.path!r} has sha256 "
                f"{digest}, expected {remote.sha256}; it was not kept. The source "
                "may have changed or the download was damaged."
            )


def data_file(
    path: str,
    *,
    data_home: str | os.PathLike[str] | None = None,
    download_if_missing: bool = False,
    base_url: str | None = None,
) -> Path:
    """The checked local copy of one original file (``"adult/adult.data"``).

    Raises :class:`~twinaudit.exceptions.DataError` when the file is missing (and
    not downloaded) and :class:`~twinaudit.exceptions.ChecksumError` when its
    sha256 is not the published one.
    """
    remote = REMOTE_FILES[path]
    home = get_data_home(data_home)
    target = home / path
    if not target.is_file():
        if not download_if_missing:
            raise DataError(
                f"Data file {path!r} not found in {str(home)!r}. Pass "
                f"download_if_missing=True to fetch it from {remote.url}, or point "
                f"data_home= (or ${DATA_ENV}) at the folder holding "
                f"{path.split('/')[0]}/."
            )
        _download(remote, target, base_url)
    digest = _sha256(target)
    if digest != remote.sha256:
        raise ChecksumError(
            f"Data file {str(target)!r} has sha256 {digest}, expected "
            f"{remote.sha256}: it is corrupt or not the original file. Delete it and "
            "fetch it again (download_if_missing=True)."
        )
    return target
