"""``twinaudit bench``: run (or resume) the mitigation benchmark and write its report.

Attached to the command line in :mod:`twinaudit.cli`; errors, exit codes and
``--debug`` come from its command group. Heavy imports happen inside the command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["bench_command"]


def bench_command(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            metavar="DIR",
            help="Results directory: created, or resumed if it holds this "
            "configuration's results.",
        ),
    ],
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help="Benchmark configuration (.yaml, .yml or .toml). Default: the four "
            "real data sets that are present, the loan scenario, logistic regression "
            "and gradient boosting, every strategy, 5 seeds.",
        ),
    ] = None,
    n_jobs: Annotated[
        int,
        typer.Option(
            "--n-jobs", metavar="N", help="Cells run in parallel (-1: every core)."
        ),
    ] = 1,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            metavar="SCHEDULER",
            help="Run the cells on a Dask cluster: a scheduler address such as "
            "tcp://10.0.0.5:8786, or 'local' for a 2-worker local cluster (needs "
            "twinaudit[dask]; every worker must read the data at --data-home).",
        ),
    ] = None,
    data_home: Annotated[
        Path | None,
        typer.Option(
            "--data-home",
            metavar="DIR",
            help="Folder of the real data sets (default $TWINAUDIT_DATA, then the "
            "user cache). Replaces the configuration's data_home.",
        ),
    ] = None,
) -> None:
    """Benchmark mitigation strategies: data sets x estimators x strategies x seeds.

    Writes results.parquet, results.jsonl, report.md and report.html into --out.
    An interrupted run resumes where it stopped when run again with the same
    configuration; finished cells are not run again.
    """
    import dataclasses

    from rich.console import Console

    from twinaudit.benchmark import (
        default_config,
        load_config,
        run_benchmark,
        write_report,
    )
    from twinaudit.exceptions import ConfigError

    home = None if data_home is None else str(data_home)
    if config is None:
        settings = default_config(home)
    else:
        settings = load_config(config)
        if home is not None:
            settings = dataclasses.replace(settings, data_home=home)
    if dask is not None and n_jobs != 1:
        raise ConfigError(
            "--n-jobs runs cells in local processes; with --dask the cluster's "
            "workers run them. Leave out one of the two."
        )
    cluster: dict[str, Any] = {}
    if dask is not None:
        cluster["backend"] = "dask"
        if dask != "local":
            cluster["client"] = dask
    table = run_benchmark(settings, out, n_jobs=n_jobs, **cluster)
    write_report(table, out)
    failed = int((table["status"] != "ok").sum())
    console = Console(stderr=False, highlight=False, soft_wrap=True)
    console.print(
        f"{len(table)} cells, {failed} failed. Wrote {out / 'results.parquet'}, "
        f"{out / 'report.md'} and {out / 'report.html'}."
    )
