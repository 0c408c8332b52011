"""twinaudit bench: runs a configuration file, resumes, refuses bad input with one
line and exit code 2."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from twinaudit.cli import app

runner = CliRunner()

CONFIG = """\
datasets:
  - {name: loan, max_rows: 300}
estimators: [logistic_regression]
strategies: [reweighing]
seeds: [0]
"""


def test_bench_runs_a_configuration_and_writes_the_report(tmp_path):
    config = tmp_path / "bench.yaml"
    config.write_text(CONFIG)
    out = tmp_path / "results"
    args = ["bench", "--config", str(config), "--out", str(out)]
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "2 cells, 0 failed." in result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "benchmark.json",
        "cells.jsonl",
        "report.html",
        "report.md",
        "results.jsonl",
        "results.parquet",
    ]
    table = pd.read_parquet(out / "results.parquet")
    assert table["strategy"].tolist() == ["unmitigated", "reweighing"]
    assert "## loan, Gender" in (out / "report.md").read_text()
    # Not a terminal: no progress bar in the output.
    assert "running" not in result.output
    cells = (out / "cells.jsonl").read_text()
    again = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert again.exit_code == 0, again.output
    assert (out / "cells.jsonl").read_text() == cells  # resumed: nothing re-run
    recorded = json.loads((out / "benchmark.json").read_text())
    assert recorded["config"]["seeds"] == [0]


def test_bad_input_is_one_line_and_exit_code_2(tmp_path):
    config = tmp_path / "bench.yaml"
    config.write_text(CONFIG.replace("reweighing", "reweighting"))
    out = tmp_path / "never"
    result = runner.invoke(app, ["bench", "--config", str(config), "--out", str(out)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines == [
        "error: strategies: unknown strategy 'reweighting'. Did you mean "
        "'reweighing'? Known: " + lines[0].split("Known: ")[1]
    ]
    assert "Traceback" not in result.output
    assert not out.exists()


def test_another_configuration_in_the_output_directory(tmp_path):
    config = tmp_path / "bench.yaml"
    config.write_text(CONFIG)
    out = tmp_path / "results"
    first = runner.invoke(app, ["bench", "--config", str(config), "--out", str(out)])
    assert first.exit_code == 0, first.output
    config.write_text(CONFIG.replace("seeds: [0]", "seeds: [0, 1]"))
    result = runner.invoke(app, ["bench", "--config", str(config), "--out", str(out)])
    assert result.exit_code == 2
    assert "holds the results of another configuration" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_data_home_without_the_files(tmp_path):
    config = tmp_path / "bench.yaml"
    config.write_text(CONFIG.replace("{name: loan, max_rows: 300}", "german_credit"))
    args = ["bench", "--config", str(config), "--out", str(tmp_path / "never")]
    result = runner.invoke(app, [*args, "--data-home", str(tmp_path)])
    assert result.exit_code == 2
    assert "Data file 'german/german.data' not found in" in result.output
    assert not (tmp_path / "never").exists()


def test_bench_on_a_local_dask_cluster_gives_the_local_table(tmp_path):
    pytest.importorskip("distributed")
    config = tmp_path / "bench.yaml"
    config.write_text(CONFIG)
    tables = []
    for name, extra in (("local", []), ("dask", ["--dask", "local"])):
        out = tmp_path / name
        args = ["bench", "--config", str(config), "--out", str(out), *extra]
        result = runner.invoke(app, args, env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        assert "2 cells, 0 failed." in result.output
        table = pd.read_parquet(out / "results.parquet")
        tables.append(table.drop(columns=["fit_time", "predict_time", "audit_time"]))
    pd.testing.assert_frame_equal(tables[1], tables[0])


def test_dask_and_n_jobs_together_are_refused(tmp_path):
    config = tmp_path / "bench.yaml"
    config.write_text(CONFIG)
    out = tmp_path / "never"
    args = ["bench", "--config", str(config), "--out", str(out)]
    result = runner.invoke(app, [*args, "--dask", "local", "--n-jobs", "2"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: --n-jobs runs cells in local processes; with --dask the cluster's "
        "workers run them. Leave out one of the two."
    ]
    assert not out.exists()
