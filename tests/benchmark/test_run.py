"""run_benchmark: the tidy table, its numbers by another route, reproducibility,
resuming (also after a real SIGKILL), parallel cells, failures, and refusing bad
input before anything is written."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from twinaudit.benchmark import (
    COLUMNS,
    ESTIMATORS,
    TIMING_COLUMNS,
    load_results,
    run_benchmark,
    split_indices,
)
from twinaudit.datasets import fetch_loan
from twinaudit.exceptions import (
    ChecksumError,
    ConfigError,
    DataError,
    OutputExistsError,
)


def untimed(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=list(TIMING_COLUMNS))


def test_one_row_per_cell_in_configuration_order(small_run):
    out, table = small_run
    assert list(table.columns) == list(COLUMNS)
    keys = table[["dataset", "attribute", "estimator", "strategy", "seed"]]
    assert keys.values.tolist() == [
        ["loan", "Gender", "logistic_regression", strategy, seed]
        for strategy in ("unmitigated", "reweighing", "unawareness")
        for seed in (0, 1, 2)
    ]
    assert (table["status"] == "ok").all() and table["error"].isna().all()
    assert (
        table[["n_train", "n_validation", "n_test"]].values == [300, 120, 180]
    ).all()
    for column in TIMING_COLUMNS:
        assert (table[column] > 0).all()
    assert (
        table.attrs["config_hash"]
        == json.loads((out / "benchmark.json").read_text())["config_hash"]
    )
    recorded = json.loads((out / "benchmark.json").read_text())
    assert set(recorded["versions"]) >= {"python", "twinaudit", "scikit-learn"}
    pd.testing.assert_frame_equal(untimed(load_results(out)), untimed(table))
    parquet = pd.read_parquet(out / "results.parquet")
    assert (
        parquet[["seed", "strategy", "accuracy"]].values.tolist()
        == table[["seed", "strategy", "accuracy"]].values.tolist()
    )
    lines = (out / "results.jsonl").read_text().splitlines()
    assert len(lines) == 9


def test_numbers_of_a_cell_by_hand(small_run):
    """The unmitigated cell of seed 1, recomputed without twinaudit: the split by
    scikit-learn, the model by hand, metrics by counting, flips by swapping the
    gender of every test row."""
    _, table = small_run
    loan = fetch_loan(600, seed=42)
    X, y = loan.data, loan.target.to_numpy()
    rest, test = train_test_split(
        np.arange(600), test_size=180, stratify=y, random_state=1
    )
    train, _ = train_test_split(rest, test_size=120, stratify=y[rest], random_state=1)
    model = Pipeline(
        [
            (
                "encode",
                ColumnTransformer(
                    [
                        ("text", OneHotEncoder(handle_unknown="ignore"), ["Gender"]),
                        ("numbers", StandardScaler(), ["Income"]),
                    ]
                ),
            ),
            ("model", LogisticRegression(max_iter=2000)),
        ]
    ).fit(X.iloc[train], y[train])
    X_test = X.iloc[test]
    pred = model.predict(X_test)
    female = (X_test["Gender"] == "Female").to_numpy()
    y_test = y[test]
    swapped = X_test.assign(
        Gender=pd.Categorical(
            np.where(female, "Male", "Female"), categories=["Female", "Male"]
        )
    )
    flips = model.predict(swapped) != pred
    row = table[(table["strategy"] == "unmitigated") & (table["seed"] == 1)].iloc[0]
    assert row["accuracy"] == pytest.approx((pred == y_test).mean())
    tpr = [(pred[m & (y_test == 1)] == 1).mean() for m in (female, ~female)]
    assert row["balanced_accuracy"] == pytest.approx(
        ((pred[y_test == 1] == 1).mean() + (pred[y_test == 0] == 0).mean()) / 2
    )
    rates = [pred[female].mean(), pred[~female].mean()]
    assert row["statistical_parity_difference"] == pytest.approx(rates[0] - rates[1])
    assert row["disparate_impact"] == pytest.approx(rates[0] / rates[1])
    assert row["equal_opportunity_difference"] == pytest.approx(tpr[0] - tpr[1])
    # No man in the history is denied, so the privileged group's false positive
    # rate is undefined: average odds are nan, with the warning recorded.
    assert np.isnan(row["average_odds_difference"])
    assert "UndefinedMetricWarning" in row["warnings"]
    assert row["flip_rate"] == pytest.approx(flips.mean())
    assert row["flip_rate_low"] < row["flip_rate"] < row["flip_rate_high"]
    men_train = (X.iloc[train]["Gender"] == "Male").to_numpy()
    assert row["train_mean_difference"] == pytest.approx(
        y[train][~men_train].mean() - y[train][men_train].mean()
    )
    # Reweighing gives women's labels the overall favourable rate P(fav) exactly
    # (Kamiran & Calders); no man was ever denied, so men's rate stays 1 whatever
    # the weights: the weighted difference is P(fav) - 1, not 0.
    reweighed = table[(table["strategy"] == "reweighing") & (table["seed"] == 1)]
    assert reweighed["train_mean_difference"].iloc[0] == pytest.approx(
        y[train].mean() - 1, abs=1e-12
    )
    assert (row["train_mean_difference"] < -0.3) and (row["flip_rate"] > 0.3)
    # Unawareness never reads Gender: no twin flips.
    assert (table.loc[table["strategy"] == "unawareness", "flip_rate"] == 0).all()


def test_same_configuration_and_seeds_give_the_same_table(
    small_run, tmp_path, small_config
):
    _, first = small_run
    again = run_benchmark(small_config, tmp_path / "again", progress=False)
    pd.testing.assert_frame_equal(untimed(again), untimed(first))


def test_splits_are_shared_stratified_and_seeded():
    y = np.r_[np.zeros(70, int), np.ones(30, int)]
    train, val, test = split_indices(y, 3, test_size=0.3, validation_size=0.2)
    assert (len(train), len(val), len(test)) == (50, 20, 30)
    assert sorted([*train, *val, *test]) == list(range(100))
    assert (y[test].sum(), y[val].sum()) == (9, 6)  # 30% positives in each
    again = split_indices(y, 3, test_size=0.3, validation_size=0.2)
    assert all(
        np.array_equal(a, b) for a, b in zip((train, val, test), again, strict=True)
    )
    other = split_indices(y, 4, test_size=0.3, validation_size=0.2)
    assert not np.array_equal(test, other[2])
    # AIF360's split([0.7], shuffle=True) after np.random.seed(0).
    state = np.random.get_state()  # noqa: NPY002
    np.random.seed(0)  # noqa: NPY002 - AIF360's tutorial seeds the global state
    order = np.random.permutation(100)  # noqa: NPY002
    np.random.set_state(state)  # noqa: NPY002
    train, val, test = split_indices(
        y, 0, test_size=0.3, validation_size=0.0, method="permutation"
    )
    assert (
        train.tolist() == order[:70].tolist() and test.tolist() == order[70:].tolist()
    )
    assert len(val) == 0


def test_rerun_skips_finished_cells(small_run, tmp_path, small_config):
    source, first = small_run
    out = shutil.copytree(source, tmp_path / "resume")
    before = (out / "cells.jsonl").read_text()
    second = run_benchmark(small_config, out, progress=False)
    assert (out / "cells.jsonl").read_text() == before  # nothing ran again
    pd.testing.assert_frame_equal(second, first)  # timings included: the same cells


def test_torn_last_line_is_dropped_and_the_cell_rerun(
    small_run, tmp_path, small_config
):
    source, reference = small_run
    out = shutil.copytree(source, tmp_path / "torn")
    path = out / "cells.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:8]) + lines[8][:37])  # killed mid-write
    assert len(load_results(out)) == 8
    table = run_benchmark(small_config, out, progress=False)
    pd.testing.assert_frame_equal(untimed(table), untimed(reference))
    assert len(path.read_text().splitlines()) == 9


SCRIPT = """
import sys
from twinaudit.benchmark import run_benchmark
run_benchmark({config!r}, sys.argv[1], progress=False)
"""


def test_sigkill_part_way_then_rerun_gives_the_uninterrupted_table(
    small_run, tmp_path, checkout_env, small_config
):
    _, reference = small_run
    out = tmp_path / "killed"
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT.format(config=small_config), str(out)],
        env=checkout_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    cells = out / "cells.jsonl"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        if cells.is_file() and cells.read_bytes().count(b"\n") >= 2:
            break
        time.sleep(0.01)
    assert process.poll() is None, process.stderr.read().decode()
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    finished = cells.read_bytes().count(b"\n")
    assert 2 <= finished < 9
    assert not (out / "results.parquet").exists()  # written only when complete
    resumed = run_benchmark(small_config, out, progress=False)
    assert len(cells.read_text().splitlines()) == 9
    pd.testing.assert_frame_equal(untimed(resumed), untimed(reference))


def test_parallel_cells_give_the_same_table(small_run, tmp_path, small_config):
    _, reference = small_run
    config = {**small_config, "seeds": [0, 2]}
    table = run_benchmark(config, tmp_path / "parallel", n_jobs=2, progress=False)
    expected = reference[reference["seed"] != 1].reset_index(drop=True)
    pd.testing.assert_frame_equal(untimed(table), untimed(expected), check_like=False)


class Broken:
    """An estimator whose fit fails on purpose (the run must go on)."""

    def __init__(self, seed):
        self.seed = seed

    def get_params(self, deep=True):
        return {"seed": self.seed}

    def fit(self, X, y, sample_weight=None):
        raise ValueError(f"broken on purpose <seed {self.seed}>")


def test_a_failed_cell_is_recorded_and_the_run_goes_on(
    monkeypatch, tmp_path, small_config
):
    monkeypatch.setitem(ESTIMATORS, "broken", Broken)
    config = {
        **small_config,
        "estimators": ["broken", "logistic_regression"],
        "seeds": [0],
    }
    table = run_benchmark(config, tmp_path / "failing", progress=False)
    broken = table[table["estimator"] == "broken"]
    assert (broken["status"] == "failed").all() and len(broken) == 3
    assert broken["error"].tolist()[0] == "ValueError: broken on purpose <seed 0>"
    assert broken["accuracy"].isna().all()
    ok = table[table["estimator"] == "logistic_regression"]
    assert (ok["status"] == "ok").all() and ok["accuracy"].notna().all()
    # A rerun keeps the recorded failures (finished cells), it does not retry them.
    lines = (tmp_path / "failing" / "cells.jsonl").read_text()
    run_benchmark(config, tmp_path / "failing", progress=False)
    assert (tmp_path / "failing" / "cells.jsonl").read_text() == lines


# -- refused before any work ----------------------------------------------------------
def test_another_configuration_in_the_directory_is_refused(
    small_run, tmp_path, small_config
):
    out, _ = small_run
    before = sorted(p.name for p in out.iterdir())
    with pytest.raises(
        OutputExistsError,
        match=re.escape(f"{str(out)!r} holds the results of another configuration"),
    ):
        run_benchmark({**small_config, "seeds": [0, 1]}, out, progress=False)
    assert sorted(p.name for p in out.iterdir()) == before


def test_a_directory_with_other_files_is_refused(tmp_path, small_config):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(
        OutputExistsError,
        match=re.escape(
            f"{str(tmp_path)!r} is not empty and holds no benchmark results"
        ),
    ):
        run_benchmark(small_config, tmp_path, progress=False)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize(
    "change, error, message",
    [
        (
            {"datasets": ["adlt"]},
            ConfigError,
            "datasets: unknown data set 'adlt'. Did you mean 'adult'?",
        ),
        (
            {"estimators": ["logistic_regresion"]},
            ConfigError,
            "estimators: unknown estimator 'logistic_regresion'. Did you mean "
            "'logistic_regression'?",
        ),
        (
            {"strategies": ["reweighting"]},
            ConfigError,
            "strategies: unknown strategy 'reweighting'. Did you mean 'reweighing'?",
        ),
    ],
)
def test_unknown_names_are_refused_with_the_closest(
    tmp_path, change, error, message, small_config
):
    out = tmp_path / "never"
    with pytest.raises(error, match=re.escape(message)):
        run_benchmark({**small_config, **change}, out, progress=False)
    assert not out.exists()


def test_data_directory_without_the_files_is_refused(tmp_path, small_config):
    out = tmp_path / "never"
    config = {**small_config, "datasets": ["german_credit"], "data_home": str(tmp_path)}
    with pytest.raises(
        DataError,
        match=re.escape(
            f"Data file 'german/german.data' not found in {str(tmp_path)!r}"
        ),
    ):
        run_benchmark(config, out, progress=False)
    assert not out.exists()


def test_corrupt_data_file_is_refused(tmp_path, shared_data, small_config):
    home = tmp_path / "data"
    (home / "german").mkdir(parents=True)
    raw = (shared_data / "german" / "german.data").read_bytes()
    (home / "german" / "german.data").write_bytes(raw[:-10])
    out = tmp_path / "never"
    config = {**small_config, "datasets": ["german_credit"], "data_home": str(home)}
    with pytest.raises(
        ChecksumError,
        match=re.escape(
            f"Data file {str(home / 'german' / 'german.data')!r} has sha256"
        ),
    ):
        run_benchmark(config, out, progress=False)
    assert not out.exists()


def test_german_credit_known_answer_through_the_benchmark(tmp_path, shared_data):
    """AIF360's tutorial: age >= 25 privileged, np.random.seed(0) then a 70/30
    split: mean difference of the training labels -0.169905 before reweighing and
    0.0 after."""
    config = {
        "datasets": [{"name": "german_credit", "attributes": ["age"]}],
        "estimators": ["logistic_regression"],
        "strategies": ["reweighing"],
        "seeds": [0],
        "split": "permutation",
        "test_size": 0.3,
        "validation_size": 0.0,
        "data_home": str(shared_data),
    }
    table = run_benchmark(config, tmp_path / "german", progress=False)
    by_strategy = table.set_index("strategy")["train_mean_difference"]
    assert by_strategy["unmitigated"] == pytest.approx(-0.169905, abs=5e-7)
    assert by_strategy["reweighing"] == pytest.approx(0.0, abs=1e-12)
    assert (table["n_train"] == 700).all() and (table["n_test"] == 300).all()
    assert (table["status"] == "ok").all()


class Chatty:
    """Logistic regression that logs a warning while fitting, as Fairlearn does."""

    def __init__(self, seed):
        self.model = ESTIMATORS["logistic_regression"](seed)

    def fit(self, X, y, sample_weight=None):
        logging.getLogger("somelibrary.grid").warning("use at least %d points", 16)
        self.model.fit(X, y)
        self.classes_ = self.model.classes_
        return self

    def predict(self, X):
        return self.model.predict(X)


def test_logged_and_raised_warnings_go_to_the_cell_row(
    monkeypatch, tmp_path, small_config, capfd
):
    monkeypatch.setitem(ESTIMATORS, "chatty", Chatty)
    config = {**small_config, "estimators": ["chatty"], "strategies": [], "seeds": [0]}
    table = run_benchmark(config, tmp_path / "chatty", progress=False)
    (row,) = table.itertuples()
    assert row.status == "ok"
    assert "log somelibrary.grid: use at least 16 points" in row.warnings.split("; ")
    assert "UndefinedMetricWarning: " in row.warnings  # men are never denied
    assert "use at least" not in capfd.readouterr().err


def test_progress_bar_only_when_asked_or_on_a_terminal(small_run, tmp_path, capfd):
    source, _ = small_run
    out = shutil.copytree(source, tmp_path / "progress")
    lines = (out / "cells.jsonl").read_text().splitlines(keepends=True)
    (out / "cells.jsonl").write_text("".join(lines[:7]))  # two cells left
    config = json.loads((out / "benchmark.json").read_text())["config"]
    run_benchmark(config, out)  # stderr is not a terminal here: no bar
    assert capfd.readouterr().err == ""
    (out / "cells.jsonl").write_text("".join(lines[:7]))
    run_benchmark(config, out, progress=True)
    err = capfd.readouterr().err
    assert "benchmark" in err and "9/9" in err and "0 failed" in err
