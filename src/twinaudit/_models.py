"""Loading model files safely.

A skops file (``.skops``) is loaded only when every type it holds is one skops
trusts by default, or one the caller trusts by name (``trusted=[...]``, ``--trust``
on the command line). A pickle (``.pkl``, ``.pickle``, ``.joblib``) is loaded only
with ``trust_pickle=True`` (``--trust-pickle``): loading a pickle runs code from the
file, so a malicious file can do anything the user can.

Errors: a missing, unreadable or corrupt file is a :class:`~twinaudit.exceptions.
DataError`; a file refused for safety (a pickle, untrusted skops types), an unknown
file type, or an object that is not a model is a :class:`~twinaudit.exceptions.
ModelError`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from twinaudit.exceptions import DataError, ModelError

__all__ = ["PICKLE_SUFFIXES", "SKOPS_SUFFIXES", "load_model"]

SKOPS_SUFFIXES = (".skops",)
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")


def _type_names(trusted: Iterable[str] | str) -> tuple[str, ...]:
    """``trusted`` as a tuple of type names (one name alone is accepted)."""
    names = (trusted,) if isinstance(trusted, str) else tuple(trusted)
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise ModelError(
                "trusted must be a list of type names such as "
                f"['sklearn.tree._tree.Tree']. Got {name!r} in it."
            )
    return names


def _listing(names: Iterable[str]) -> str:
    return ", ".join(repr(n) for n in names)


def _load_pickle(path: Path, trust_pickle: bool) -> Any:
    if not trust_pickle:
        raise ModelError(
            f"Refusing to load {str(path)!r}: loading a pickle runs code from the "
            "file, so a malicious file can do anything you can. Load it only if you "
            "made it yourself or fully trust its source: pass trust_pickle=True "
            "(--trust-pickle on the command line). Safer: save the model with skops "
            "(skops.io.dump(model, 'model.skops')) and load that."
        )
    import joblib  # reads plain pickles too

    try:
        return joblib.load(path)
    except Exception as exc:  # a pickle can raise anything while it runs
        raise DataError(
            f"Cannot load the pickle {str(path)!r} ({type(exc).__name__}: {exc}). "
            "It may be corrupt, truncated, or need a module that is not installed."
        ) from exc


def _ours() -> frozenset[str]:
    """twinaudit's own estimators (the mitigation strategies): code the user already
    runs, holding only their parameters and fitted attributes, so a skops file
    written by ``twinaudit mitigate`` needs no ``--trust`` for them (the models and
    library objects inside still do)."""
    from twinaudit.mitigation import STRATEGIES

    return frozenset(f"{c.__module__}.{c.__qualname__}" for c in STRATEGIES.values())


def _load_skops(path: Path, trusted: tuple[str, ...]) -> Any:
    import skops.io as sio  # type: ignore[import-untyped]

    try:
        untrusted = [str(t) for t in sio.get_untrusted_types(file=path)]
    except Exception as exc:  # BadZipFile, a missing schema.json, bad JSON, ...
        raise DataError(
            f"{str(path)!r} is not a readable skops file ({type(exc).__name__}: "
            f"{exc}); it may be corrupt or truncated. Save the model again with "
            "skops.io.dump(model, 'model.skops')."
        ) from exc
    refused = sorted(t for t in untrusted if t not in trusted and t not in _ours())
    if refused:
        flags = " ".join(f"--trust {t}" for t in refused)
        raise ModelError(
            f"{str(path)!r} holds types that skops does not trust by default: "
            f"{_listing(refused)}. Loading an untrusted type can run code or crash "
            "the process, so check where the file comes from. To load it, trust "
            f"each type by name: {flags} on the command line, or "
            f"load_model(..., trusted={refused!r}) in Python."
        )
    try:
        return sio.load(path, trusted=untrusted)
    except Exception as exc:
        raise DataError(
            f"Cannot load the skops file {str(path)!r} ({type(exc).__name__}: {exc})."
            " It may be corrupt, or need a module that is not installed."
        ) from exc


def load_model(
    path: str | os.PathLike[str],
    *,
    trust_pickle: bool = False,
    trusted: Iterable[str] | str = (),
) -> Any:
    """Load a fitted model from a skops file, or from a pickle you trust.

    Parameters
    ----------
    path : str or path-like
        A ``.skops`` file (saved with ``skops.io.dump``), or a ``.pkl``,
        ``.pickle`` or ``.joblib`` file (``pickle.dump`` or ``joblib.dump``).
    trust_pickle : bool
        Load a pickle. Loading a pickle runs code from the file: pass ``True``
        only for a file you made yourself or fully trust.
    trusted : iterable of str
        Types to trust in a skops file beyond skops' default trusted set, by
        their full name (``"sklearn.tree._tree.Tree"``). A file holding any other
        type is refused, with the list of its untrusted types.

    Returns
    -------
    object
        The model: an object with ``predict``, or a callable.

    Raises
    ------
    DataError
        The file is missing, unreadable or corrupt.
    ModelError
        The file is refused for safety (a pickle without ``trust_pickle``, a skops
        file with untrusted types), its type is unknown, or it holds no model.

    Examples
    --------
    >>> import skops.io as sio
    >>> from twinaudit.datasets import loan_applications, loan_model
    >>> sio.dump(loan_model(loan_applications()), "tree.skops")  # doctest: +SKIP
    >>> TREE = "sklearn.tree._tree.Tree"  # skops does not trust it by default
    >>> tree = load_model("tree.skops", trusted=[TREE])  # doctest: +SKIP
    """
    path = Path(path)
    names = _type_names(trusted)
    if not path.exists():
        raise DataError(f"Model file {str(path)!r} does not exist.")
    if path.is_dir():
        raise DataError(f"Model file {str(path)!r} is a directory, not a file.")
    suffix = path.suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        model = _load_pickle(path, trust_pickle)
    elif suffix in SKOPS_SUFFIXES:
        model = _load_skops(path, names)
    else:
        raise ModelError(
            f"Model file {str(path)!r} has an unknown type ({suffix or 'no suffix'!r})."
            " Save the model with skops (skops.io.dump(model, 'model.skops')), or, for"
            " a pickle you trust, name it .pkl, .pickle or .joblib and pass "
            "trust_pickle=True (--trust-pickle on the command line)."
        )
    predict = getattr(model, "predict", None)
    if not callable(predict) and (not callable(model) or isinstance(model, type)):
        raise ModelError(
            f"{str(path)!r} holds a {type(model).__name__}, not a model: it has no "
            "predict method and is not callable. Save the fitted estimator itself."
        )
    return model
