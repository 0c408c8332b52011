"""The benchmark on Dask: every cell a task on a 2-process LocalCluster, the same
table as the local run, resumable across backends; bad options and a worker that
cannot read the data are refused before the results directory is touched."""

from __future__ import annotations

import json
import shutil
import socket

import pandas as pd
import pytest

from twinaudit.benchmark import run_benchmark
from twinaudit.benchmark._metrics import TIMING_COLUMNS
from twinaudit.exceptions import ConfigError, DataError

distributed = pytest.importorskip("distributed")


def untimed(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=list(TIMING_COLUMNS))


@pytest.fixture(scope="module")
def client():
    # Processes, one thread each: a cell limits BLAS threads and records warnings
    # for its whole process.
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def test_the_dask_table_equals_the_local_one(small_run, small_config, client, tmp_path):
    _, local = small_run
    out = tmp_path / "dask"
    on_dask = run_benchmark(
        small_config, out, backend="dask", client=client, progress=False
    )
    pd.testing.assert_frame_equal(untimed(on_dask), untimed(local))
    # Each cell was written once, as it came back from its worker.
    lines = (out / "cells.jsonl").read_text().splitlines()
    assert len(lines) == len(local) == 9
    cells = {tuple(json.loads(line)[k] for k in ("strategy", "seed")) for line in lines}
    assert len(cells) == 9


def test_a_local_run_cut_short_resumes_on_dask(
    small_run, small_config, client, tmp_path
):
    local_out, local = small_run
    out = tmp_path / "resumed"
    shutil.copytree(local_out, out)
    for name in ("results.parquet", "results.jsonl"):
        (out / name).unlink()
    lines = (out / "cells.jsonl").read_text().splitlines()
    (out / "cells.jsonl").write_text("\n".join(lines[:4]) + "\n")
    resumed = run_benchmark(
        small_config, out, backend="dask", client=client, progress=False
    )
    pd.testing.assert_frame_equal(untimed(resumed), untimed(local))
    kept = (out / "cells.jsonl").read_text().splitlines()
    assert kept[:4] == lines[:4] and len(kept) == 9  # 5 cells ran on the workers


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"backend": "dusk"},
            "backend must be 'local' or 'dask'. Did you mean 'dask'? Got 'dusk'.",
        ),
        (
            {"client": "tcp://127.0.0.1:1"},
            "client is only used with backend='dask'; pass both.",
        ),
    ],
)
def test_bad_backend_options_are_refused_before_any_work(
    small_config, tmp_path, options, message
):
    out = tmp_path / "out"
    with pytest.raises(ConfigError) as caught:
        run_benchmark(small_config, out, **options)
    assert str(caught.value) == message
    assert not out.exists()


def test_a_closed_client_is_refused_before_any_work(small_config, client, tmp_path):
    closed = distributed.Client(client.cluster, set_as_default=False)
    closed.close()
    out = tmp_path / "out"
    with pytest.raises(DataError, match="The Dask client is closed, not running"):
        run_benchmark(small_config, out, backend="dask", client=closed)
    assert not out.exists()


def test_a_worker_without_the_data_is_refused_before_any_cell(
    shared_data, monkeypatch, tmp_path
):
    # The driver reads the data from $TWINAUDIT_DATA; the workers' own
    # $TWINAUDIT_DATA points at an empty folder.
    monkeypatch.setenv("TWINAUDIT_DATA", str(shared_data))
    empty = tmp_path / "empty"
    empty.mkdir()
    config = {
        "datasets": [{"name": "german_credit", "max_rows": 200}],
        "estimators": ["logistic_regression"],
        "strategies": [],
        "seeds": [0],
    }
    out = tmp_path / "out"
    with (
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            env={"TWINAUDIT_DATA": str(empty)},
        ) as cluster,
        distributed.Client(cluster) as elsewhere,
        pytest.raises(DataError) as caught,
    ):
        run_benchmark(config, out, backend="dask", client=elsewhere)
    text = str(caught.value)
    assert text.startswith("On the Dask worker tcp://127.0.0.1:")
    assert f"Data file 'german/german.data' not found in '{empty}'" in text
    assert not out.exists()


def test_the_own_local_cluster_takes_any_free_port(small_config, small_run, tmp_path):
    # Another cluster (a notebook's, say) holds Dask's usual 8787: the local
    # cluster twinaudit starts must not warn or fail (warnings are errors here).
    with socket.socket() as busy:
        try:
            busy.bind(("", 8787))
        except OSError:
            pytest.skip("port 8787 is taken on this machine already")
        busy.listen()
        table = run_benchmark(small_config, tmp_path / "out", backend="dask")
    pd.testing.assert_frame_equal(untimed(table), untimed(small_run[1]))
