"""Running a benchmark: cells in parallel, each written as it finishes.

One cell is (data set, protected attribute, estimator, strategy, seed). The rows of
a data set are split once per seed (stratified by the label), and every strategy
and estimator of that seed uses that split and an estimator seeded with it, so
strategies differ only by the strategy. With the configuration's ``tuning``, a
strategy with a main parameter fits one model per candidate value on the training
rows, keeps one by :func:`choose_candidate` on the validation rows, and only that
one is measured on the test rows.

The results directory holds

- ``benchmark.json``: the configuration, its hash and the library versions,
  written (atomically) before the first cell runs;
- ``cells.jsonl``: one JSON line per finished cell (failed ones with their
  error), appended by the parent process with one ``write`` and an ``fsync``
  each, so a killed run loses at most the cells in flight (a torn last line is
  dropped when the run resumes);
- ``results.jsonl`` and ``results.parquet``: the tidy table in configuration
  order, written atomically when every cell is done.

A rerun with the same configuration skips finished cells; a different
configuration is refused before anything is written.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import sys
import time
import traceback
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twinaudit.benchmark._config import BASELINE, BenchmarkConfig, load_config
from twinaudit.benchmark._metrics import COLUMNS, FAIRNESS_METRICS, KEYS, parity
from twinaudit.exceptions import (
    ConfigError,
    DataError,
    OutputExistsError,
    did_you_mean,
)

__all__ = ["choose_candidate", "load_results", "run_benchmark", "split_indices"]

FORMAT = 1
_META = "benchmark.json"
_CELLS = "cells.jsonl"
_RESULTS = "results.jsonl"

Cell = tuple[str, str, str, str, int]


# -- data and splits -------------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def _load(name: str, max_rows: int | None, data_home: str | None) -> Any:
    from twinaudit.datasets import LOADERS

    if name == "loan":
        bunch = LOADERS[name](2000 if max_rows is None else max_rows, seed=42)
    else:
        bunch = LOADERS[name](data_home=data_home)
        if max_rows is not None and max_rows < len(bunch.data):
            from sklearn.model_selection import train_test_split

            keep, _ = train_test_split(
                np.arange(len(bunch.data)),
                train_size=max_rows,
                stratify=bunch.target,
                random_state=0,
            )
            keep = np.sort(keep)
            bunch.data = bunch.data.iloc[keep].reset_index(drop=True)
            bunch.target = bunch.target.iloc[keep].reset_index(drop=True)
            bunch.sensitive_features = bunch.sensitive_features.iloc[keep].reset_index(
                drop=True
            )
    return bunch


def split_indices(
    y: np.ndarray,
    seed: int,
    *,
    test_size: float,
    validation_size: float,
    method: str = "stratified",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train, validation and test row positions for one seed.

    ``stratified``: scikit-learn's ``train_test_split`` stratified by ``y`` (test
    first, then validation from the rest). ``permutation``: AIF360's
    ``split(shuffle=True)`` after ``np.random.seed(seed)``: one permutation, the
    first rows for training, then validation, then test (from a private
    ``RandomState``; numpy's global state is left alone).

    Examples
    --------
    >>> train, val, test = split_indices(np.r_[[0] * 30, [1] * 70], 0,
    ...     test_size=0.3, validation_size=0.0, method="permutation")
    >>> len(train), len(val), len(test)
    (70, 0, 30)
    """
    n = len(y)
    n_test = round(test_size * n)
    n_val = round(validation_size * n)
    if method == "permutation":
        order = np.random.RandomState(seed).permutation(n)
        n_train = n - n_test - n_val
        return (
            order[:n_train],
            order[n_train : n_train + n_val],
            order[n_train + n_val :],
        )
    from sklearn.model_selection import train_test_split

    rows = np.arange(n)
    rest, test = train_test_split(rows, test_size=n_test, stratify=y, random_state=seed)
    if n_val == 0:
        return np.sort(rest), rows[:0], np.sort(test)
    train, val = train_test_split(
        rest, test_size=n_val, stratify=y[rest], random_state=seed
    )
    return np.sort(train), np.sort(val), np.sort(test)


# -- one cell ------------------------------------------------------------------------
def _predict(model: Any, X: pd.DataFrame, sensitive: pd.DataFrame, plain: bool) -> Any:
    if plain:
        return model.predict(X)
    return model.predict(X, sensitive_features=sensitive)


def _scores(
    model: Any, X: pd.DataFrame, sensitive: pd.DataFrame, plain: bool
) -> np.ndarray | None:
    kwargs = {} if plain else {"sensitive_features": sensitive}
    if callable(getattr(model, "predict_proba", None)):
        try:
            proba = np.asarray(model.predict_proba(X, **kwargs))
        except (AttributeError, NotImplementedError):
            return None
        return proba[:, list(model.classes_).index(1)]
    if callable(getattr(model, "decision_function", None)):
        try:
            return np.asarray(model.decision_function(X, **kwargs), dtype=float)
        except (AttributeError, NotImplementedError):
            return None
    return None


def _mean_difference(
    y: np.ndarray, privileged: np.ndarray, weights: np.ndarray | None
) -> float:
    """AIF360's mean difference of the labels: P(fav | unprivileged) -
    P(fav | privileged), weighted by the training weights when the strategy has
    them (reweighing)."""
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    rates = []
    for mask in (~privileged, privileged):
        total = w[mask].sum()
        rates.append(float((w[mask] * y[mask]).sum() / total) if total else math.nan)
    return rates[0] - rates[1]


def _metric(report: Any, name: str, population: str) -> Any:
    return report.metric(name, population=population)


class _LogCapture(logging.Handler):
    """Collects the warnings libraries log while a cell runs."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"log {record.name}: {record.getMessage()}")


def run_cell(config: BenchmarkConfig, cell: Cell) -> dict[str, Any]:
    """Run one cell; never raises: a failure is a row with ``status="failed"`` and
    the error (the run goes on)."""
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(zip(KEYS, cell, strict=True))
    row["status"] = "ok"
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    # One thread per cell: cells run in parallel (n_jobs), and BLAS or OpenMP
    # threads inside a cell would only compete with them. Warnings and the
    # libraries' logged warnings (Fairlearn logs some) go to the cell's row.
    logged = _LogCapture()
    root = logging.getLogger()
    root.addHandler(logged)
    try:
        with threadpool_limits(1), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                _run_cell(config, cell, row)
            except Exception as exc:
                row["status"] = "failed"
                text = str(exc).strip().splitlines()
                row["error"] = f"{type(exc).__name__}: {text[0] if text else ''}"
                if os.environ.get("TWINAUDIT_DEBUG") == "1":
                    traceback.print_exc()
    finally:
        root.removeHandler(logged)
    messages = sorted(
        {f"{w.category.__name__}: {w.message}" for w in caught} | set(logged.messages)
    )
    row["warnings"] = "; ".join(messages) or None
    return row


def _observed_audit(
    model: Any,
    X_part: pd.DataFrame,
    y_part: np.ndarray,
    attribute: str,
    privileged_value: Any,
    plain: bool,
    config: BenchmarkConfig,
    seed: int,
) -> Any:
    """The audit of ``model`` on some rows (the test rows, or the validation rows of
    a tuning candidate): group metrics on the rows with their true labels (the
    ``observed`` population), flip rate on their twins."""
    from twinaudit.generation import from_frame
    from twinaudit.report import audit

    label = "__label__"
    columns = list(X_part.columns)
    twins = from_frame(
        X_part.assign(**{label: y_part}), protected={attribute: privileged_value}
    )

    def decide(frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(_predict(model, frame[columns], frame[[attribute]], plain))

    return audit(
        decide,
        twins,
        y_true=label,
        libraries=False,
        n_boot=0,
        confidence=config.confidence,
        random_state=seed,
    )


def choose_candidate(
    distances: Sequence[float], accuracies: Sequence[float], max_violation: float
) -> int:
    """The position of the candidate that tuning keeps.

    Among the candidates whose distance from parity (on the validation rows) is at
    most ``max_violation``, the most accurate; if none is, the one with the
    smallest distance (an undefined one counts as infinite), ties broken by
    accuracy. Remaining ties go to the first candidate.

    Examples
    --------
    >>> choose_candidate([0.10, 0.04, 0.02], [0.90, 0.85, 0.80], 0.05)
    1
    >>> choose_candidate([0.10, 0.08, 0.08], [0.90, 0.80, 0.85], 0.05)
    2
    """

    def key(i: int) -> tuple[float, ...]:
        distance, accuracy = float(distances[i]), float(accuracies[i])
        if distance <= max_violation:  # False for nan
            return (0, -accuracy, 0.0, i)
        return (1, distance if not math.isnan(distance) else math.inf, -accuracy, i)

    if len(distances) != len(accuracies) or not len(distances):
        raise DataError(
            "choose_candidate needs one accuracy per distance, and at least one "
            f"candidate. Got {len(distances)} distances, {len(accuracies)} accuracies."
        )
    return min(range(len(distances)), key=key)


def _fit(
    model: Any,
    X: pd.DataFrame,
    y: np.ndarray,
    sensitive: pd.DataFrame,
    plain: bool,
) -> None:
    if plain:
        model.fit(X, y)
    else:
        model.fit(X, y, sensitive_features=sensitive)


def _run_cell(config: BenchmarkConfig, cell: Cell, row: dict[str, Any]) -> None:
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, roc_auc_score

    from twinaudit.benchmark._estimators import ESTIMATORS

    dataset, attribute, estimator_name, strategy, seed = cell
    spec = next(d for d in config.datasets if d.name == dataset)
    bunch = _load(dataset, spec.max_rows, config.data_home)
    X: pd.DataFrame = bunch.data
    y = bunch.target.to_numpy()
    privileged_value = bunch.privileged[attribute]
    train, val, test = split_indices(
        y,
        seed,
        test_size=config.test_size,
        validation_size=config.validation_size,
        method=config.split,
    )
    row.update(n_train=len(train), n_validation=len(val), n_test=len(test))
    sensitive = X[[attribute]]
    plain = strategy == BASELINE
    # The strategy's main parameter when the configuration tunes (None: fitted once).
    parameter: Any = None
    values: tuple[Any, ...] = (None,)
    if plain:

        def build(value: Any) -> Any:
            return ESTIMATORS[estimator_name](seed)

    else:
        from twinaudit.mitigation import STRATEGIES

        params = dict(config.strategy_params.get(strategy, {}))
        cls = STRATEGIES[strategy]
        if "random_state" in cls(None).get_params(deep=False):
            params.setdefault("random_state", seed)
        if config.tuning is not None:
            parameter = getattr(cls, "tuning_parameter", None)
            if parameter is not None:
                values = parameter.candidates(config.tuning.budget)

        def build(value: Any) -> Any:
            # Every candidate: the same seeded base estimator, the same split.
            extra = {} if value is None else parameter.params(value)
            return cls(ESTIMATORS[estimator_name](seed), **params, **extra)

    X_train, y_train = X.iloc[train].reset_index(drop=True), y[train]
    s_train = sensitive.iloc[train].reset_index(drop=True)
    X_val = X.iloc[val].reset_index(drop=True)
    s_val = sensitive.iloc[val].reset_index(drop=True)
    start = time.perf_counter()
    models = []
    for value in values:
        candidate = build(value)
        _fit(candidate, X_train, y_train, s_train, plain)
        models.append(candidate)
    chosen = 0
    accuracies: list[float] = []
    if len(models) > 1:
        # Tuning: each candidate on the validation rows, measured as the test rows
        # are below (accuracy of its predictions; the metric from its audit).
        assert config.tuning is not None and config.tuning.metric is not None
        if not len(val):
            raise DataError(
                "tuning chooses on the validation rows, and this split has none; "
                "raise validation_size or max_rows."
            )
        metric, point = config.tuning.metric, parity(config.tuning.metric)
        distances = []
        for candidate in models:
            decided = _predict(candidate, X_val, s_val, plain)
            accuracies.append(float(accuracy_score(y[val], decided)))
            report = _observed_audit(
                candidate,
                X_val,
                y[val],
                attribute,
                privileged_value,
                plain,
                config,
                seed,
            )
            distances.append(abs(float(_metric(report, metric, "observed")) - point))
        chosen = choose_candidate(distances, accuracies, config.tuning.max_violation)
    model = models[chosen]
    del models
    row["fit_time"] = time.perf_counter() - start
    row["tuned_parameter"] = None if parameter is None else parameter.name
    row["tuned_value"] = math.nan if parameter is None else values[chosen]
    row["n_candidates"] = len(values)

    privileged_train = (sensitive.iloc[train][attribute] == privileged_value).to_numpy()
    row["train_mean_difference"] = _mean_difference(
        y_train, privileged_train, getattr(model, "sample_weight_", None)
    )

    X_test = X.iloc[test].reset_index(drop=True)
    s_test = sensitive.iloc[test].reset_index(drop=True)
    y_test = y[test]
    start = time.perf_counter()
    decisions = np.asarray(_predict(model, X_test, s_test, plain))
    row["predict_time"] = time.perf_counter() - start
    row["accuracy"] = float(accuracy_score(y_test, decisions))
    row["balanced_accuracy"] = float(balanced_accuracy_score(y_test, decisions))
    scores = _scores(model, X_test, s_test, plain)
    row["roc_auc"] = (
        float(roc_auc_score(y_test, scores))
        if scores is not None and len(np.unique(y_test)) == 2
        else math.nan
    )
    if accuracies:  # measured while tuning
        row["validation_accuracy"] = accuracies[chosen]
    elif len(val):
        row["validation_accuracy"] = float(
            accuracy_score(y[val], _predict(model, X_val, s_val, plain))
        )
    else:
        row["validation_accuracy"] = math.nan

    # Group metrics on the observed test rows, flip rate on their twins.
    start = time.perf_counter()
    report = _observed_audit(
        model, X_test, y_test, attribute, privileged_value, plain, config, seed
    )
    for name in FAIRNESS_METRICS:
        population = "twins" if name == "flip_rate" else "observed"
        value = _metric(report, name, population)
        row[name] = float(value)
        if name == "flip_rate":
            row["flip_rate_low"] = float(value.low)
            row["flip_rate_high"] = float(value.high)
    row["audit_time"] = time.perf_counter() - start


# -- the results directory ----------------------------------------------------------
def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for package in (
        "twinaudit",
        "numpy",
        "pandas",
        "scikit-learn",
        "aif360",
        "fairlearn",
    ):
        try:
            out[package] = version(package)
        except PackageNotFoundError:  # pragma: no cover - all are dependencies
            out[package] = "not installed"
    return out


def _write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` through the shared writer (a unique, fsynced
    temporary file; removed on failure or SIGTERM)."""
    from twinaudit._files import atomic_path

    with atomic_path(path, overwrite=True) as tmp:
        tmp.write_bytes(data)


def _check_output(config: BenchmarkConfig, out: Path) -> bool:
    """Refuse a directory holding anything but this configuration's results;
    return whether it holds them already (a rerun)."""
    if out.exists() and not out.is_dir():
        raise OutputExistsError(
            f"{str(out)!r} is a file; the benchmark writes a results directory. "
            "Choose another --out."
        )
    meta = out / _META
    if meta.is_file():
        try:
            recorded = json.loads(meta.read_text(encoding="utf-8"))
            recorded_hash = recorded["config_hash"]
        except (ValueError, KeyError) as exc:
            raise OutputExistsError(
                f"{str(meta)!r} is not a benchmark record ({exc}); choose another "
                "output directory."
            ) from exc
        if recorded_hash != config.hash:
            raise OutputExistsError(
                f"{str(out)!r} holds the results of another configuration (hash "
                f"{recorded_hash[:12]}, this one {config.hash[:12]}); use another "
                "output directory, or delete it to start again."
            )
        return True
    if out.is_dir() and any(out.iterdir()):
        raise OutputExistsError(
            f"{str(out)!r} is not empty and holds no benchmark results; choose an "
            "empty or new output directory."
        )
    return False


def _check_data(config: BenchmarkConfig) -> None:
    from twinaudit.datasets import FILES, data_file

    for dataset in config.datasets:
        for path in FILES[dataset.name]:
            data_file(path, data_home=config.data_home)


def _read_cells(path: Path, *, repair: bool = False) -> dict[Cell, dict[str, Any]]:
    """Finished cells. A torn last line (a run killed mid-write) is ignored, and
    with ``repair`` cut off the file before the run appends to it."""
    if not path.is_file():
        return {}
    raw = path.read_bytes()
    end = raw.rfind(b"\n") + 1
    if repair and end < len(raw):
        with path.open("r+b") as handle:
            handle.truncate(end)
    done: dict[Cell, dict[str, Any]] = {}
    for line in raw[:end].splitlines():
        if line.strip():
            record = json.loads(line)
            done[tuple(record[k] for k in KEYS)] = record
    return done


def _append(path: Path, record: Mapping[str, Any]) -> None:
    line = (json.dumps(record, sort_keys=True, allow_nan=True) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def _table(config: BenchmarkConfig, done: Mapping[Cell, Mapping[str, Any]]) -> Any:
    rows = [_upgrade(done[cell]) for cell in config.cells() if cell in done]
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    for column in ("dataset", "attribute", "estimator", "strategy", "status"):
        table[column] = table[column].astype(str)
    table["seed"] = table["seed"].astype(np.int64)
    text = ("error", "warnings", "tuned_parameter")
    for column in text:
        table[column] = table[column].astype(object).where(table[column].notna(), None)
    numeric = [c for c in COLUMNS if c not in (*KEYS, "status", *text)]
    table[numeric] = table[numeric].astype(float)
    table.attrs["config"] = config.to_dict()
    table.attrs["config_hash"] = config.hash
    return table


def _upgrade(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """A cell recorded before tuning existed (no ``n_candidates``): its model was
    fitted once, as an untuned cell's is now."""
    if "n_candidates" in record or record.get("status") != "ok":
        return record
    return {**record, "n_candidates": 1}


def _progress(total: int, done: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("[bold]benchmark"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[running]} running, {task.fields[failed]} failed"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    )
    progress.start()
    progress.add_task("cells", total=total, completed=done, running=0, failed=0)
    return progress


def run_benchmark(
    config: BenchmarkConfig | Mapping[str, Any] | str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    n_jobs: int = 1,
    progress: bool | None = None,
    backend: str = "local",
    client: Any = None,
) -> Any:
    """Run (or resume) a benchmark and return its tidy table.

    Parameters
    ----------
    config : BenchmarkConfig, mapping, or path of a YAML/TOML file
    out : path
        Results directory (created). Finished cells found there are skipped; a
        directory holding another configuration's results is refused.
    n_jobs : int
        Cells run in parallel (joblib; ``-1``: every core).
    progress : bool, optional
        Show a Rich progress bar (default: when stderr is a terminal).
    backend : {"local", "dask"}
        ``"dask"`` runs every cell as a task on a ``dask.distributed`` cluster
        (``n_jobs`` is then the cluster's business): ``client``, a scheduler
        address such as ``"tcp://10.0.0.5:8786"``, or ``None`` for a 2-worker
        ``LocalCluster``. Each finished cell is written here as it comes back, so
        an interrupted run resumes the same way. Every worker must read the data
        sets at the same ``data_home`` (or its own ``$TWINAUDIT_DATA``); that is
        checked on each worker before any cell runs.
    client : dask.distributed.Client or str, optional
        The cluster for ``backend="dask"``.

    Returns
    -------
    DataFrame
        One row per (dataset, attribute, estimator, strategy, seed), in the
        configuration's order; ``status`` is ``"ok"`` or ``"failed"`` (with
        ``error``); ``tuned_parameter``, ``tuned_value`` and ``n_candidates`` say
        what tuning chose (``fit_time`` is then every candidate's training and
        validation). ``table.attrs`` holds the configuration and its hash.

    Examples
    --------
    >>> table = run_benchmark(
    ...     {"datasets": ["loan"], "estimators": ["logistic_regression"],
    ...      "strategies": ["reweighing"], "seeds": [0]}, "bench-out")  # doctest: +SKIP
    """
    settings: BenchmarkConfig
    if isinstance(config, str | os.PathLike):
        settings = load_config(config)
    elif isinstance(config, Mapping):
        settings = BenchmarkConfig.from_dict(config)
    elif isinstance(config, BenchmarkConfig):
        settings = config
    else:
        raise ConfigError(
            f"config must be a BenchmarkConfig, a mapping or a file path. Got "
            f"{type(settings).__name__}."
        )
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0:
        raise ConfigError(f"n_jobs must be a non-zero whole number. Got {n_jobs!r}.")
    if backend not in ("local", "dask"):
        hint = did_you_mean(str(backend), ["local", "dask"])
        raise ConfigError(f"backend must be 'local' or 'dask'.{hint} Got {backend!r}.")
    if client is not None and backend != "dask":
        raise ConfigError("client is only used with backend='dask'; pass both.")
    out = Path(out)
    # Everything is checked before the directory is touched.
    resuming = _check_output(settings, out)
    _check_data(settings)
    with _cluster(backend, client, settings) as cluster:
        return _run(settings, out, resuming, n_jobs, progress, cluster)


def _run(
    settings: BenchmarkConfig,
    out: Path,
    resuming: bool,
    n_jobs: int,
    progress: bool | None,
    cluster: Any,
) -> Any:
    if not resuming:
        out.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT,
            "config": settings.to_dict(),
            "config_hash": settings.hash,
            "versions": _versions(),
        }
        _write_atomic(out / _META, json.dumps(meta, indent=2).encode())
    cells_path = out / _CELLS
    done = _read_cells(cells_path, repair=True)
    todo = [cell for cell in settings.cells() if cell not in done]
    show = sys.stderr.isatty() if progress is None else bool(progress)
    bar = _progress(len(settings.cells()), len(done), show)
    failed = sum(r["status"] == "failed" for r in done.values())
    workers = _workers(n_jobs) if cluster is None else sum(cluster.nthreads().values())
    records = (
        _execute(settings, todo, n_jobs)
        if cluster is None
        else _execute_dask(cluster, settings, todo)
    )
    try:
        for record in records:
            _append(cells_path, record)
            done[tuple(record[k] for k in KEYS)] = record
            failed += record["status"] == "failed"
            if bar is not None:
                remaining = len(settings.cells()) - len(done)
                bar.update(
                    bar.task_ids[0],
                    advance=1,
                    running=min(remaining, workers),
                    failed=failed,
                )
    finally:
        if bar is not None:
            bar.stop()
    table = _table(settings, done)
    _write_atomic(
        out / _RESULTS,
        "".join(
            json.dumps(r, sort_keys=True) + "\n"
            for r in json.loads(table.to_json(orient="records"))
        ).encode(),
    )
    from twinaudit._files import atomic_path

    with atomic_path(out / "results.parquet", overwrite=True) as tmp:
        table.to_parquet(tmp, index=False)
    return table


def _workers(n_jobs: int) -> int:
    return (os.cpu_count() or 1) if n_jobs < 0 else n_jobs


def _execute(
    config: BenchmarkConfig, todo: list[Cell], n_jobs: int
) -> Iterator[dict[str, Any]]:
    if not todo:
        return
    if n_jobs == 1:
        for cell in todo:
            yield run_cell(config, cell)
        return
    from joblib import Parallel, delayed

    # Cells of one data set next to each other: a worker reuses its loaded copy.
    yield from Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
        delayed(run_cell)(config, cell) for cell in todo
    )


@contextmanager
def _cluster(backend: str, client: Any, settings: BenchmarkConfig) -> Iterator[Any]:
    """The Dask client of ``backend="dask"`` (checked to run and to read the data
    on every worker), closed afterwards if made here; ``None`` for ``"local"``."""
    if backend == "local":
        yield None
        return
    from twinaudit.report._streaming import dask_client

    own, close = dask_client(client)
    try:
        checked = own.run(_check_data, settings, on_error="return")
        for worker, outcome in sorted(checked.items()):
            if isinstance(outcome, BaseException):
                raise DataError(f"On the Dask worker {worker}: {outcome}") from outcome
        yield own
    finally:
        if close is not None:
            close()


def _execute_dask(
    client: Any, config: BenchmarkConfig, todo: list[Cell]
) -> Iterator[dict[str, Any]]:
    """Every cell a Dask task (the configuration scattered once); records in the
    order they finish, like joblib's ``generator_unordered``."""
    if not todo:
        return
    from distributed import as_completed

    shared = client.scatter(config, broadcast=True, hash=False)
    futures = [client.submit(run_cell, shared, cell, pure=False) for cell in todo]
    try:
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.cancel(futures)


def load_results(out: str | os.PathLike[str]) -> Any:
    """The table of a results directory (finished cells only, in configuration
    order), with its configuration in ``table.attrs``."""
    out = Path(out)
    meta = out / _META
    if not meta.is_file():
        raise DataError(f"{str(out)!r} holds no benchmark results ({_META} missing).")
    recorded = json.loads(meta.read_text(encoding="utf-8"))
    config = BenchmarkConfig.from_dict(recorded["config"])
    table = _table(config, _read_cells(out / _CELLS))
    table.attrs["versions"] = recorded.get("versions", {})
    return table
