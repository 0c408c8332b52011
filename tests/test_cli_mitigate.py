"""twinaudit mitigate: models and the before/after report in a new folder, typed
one-line errors (exit 2) and nothing left behind."""

import json
import subprocess
import sys

import pytest

from twinaudit.datasets import loan_applications


@pytest.fixture(scope="module")
def csvs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mitigate")
    columns = ["Gender_Code", "Income", "Approved"]
    loan_applications(400, seed=1)[columns].to_csv(folder / "train.csv", index=False)
    loan_applications(300, seed=2)[columns].to_csv(folder / "test.csv", index=False)
    return folder


def run(args, cwd, env):
    return subprocess.run(
        [sys.executable, "-m", "twinaudit.cli", "mitigate", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


BASE = ["--data", "train.csv", "--target", "Approved", "--protected", "Gender_Code=1"]


def test_writes_models_and_reports_into_a_new_folder(csvs, checkout_env):
    done = run(
        [
            *BASE,
            "--test",
            "test.csv",
            "--strategy",
            "unawareness",
            "--strategy",
            "reweighing",
            "--estimator",
            "tree",
            "--out",
            "out",
        ],
        csvs,
        checkout_env(),
    )
    assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in (csvs / "out").iterdir())
    assert files == [
        "report.html",
        "report.json",
        "reweighing.skops",
        "unawareness.skops",
    ]
    report = json.loads((csvs / "out" / "report.json").read_text())
    summary = {row["model"]: row for row in report["summary"]}
    # The tree reads Gender_Code; without it, twins cannot differ.
    assert summary["unawareness"]["flip_rate"] == 0.0
    assert summary["original model"]["flip_rate"] > 0.3
    assert report["accuracy_on"] == "held-out"
    assert {r["strategy"] for r in report["compare"]} == {"unawareness", "reweighing"}
    assert not [p for p in csvs.iterdir() if p.name.startswith(".out")]


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--strategy", "reweigh", "--out", "bad1"],
            "error: Unknown mitigation strategy 'reweigh'. Did you mean 'reweighing'?",
        ),
        (
            ["--strategy", "reweighing", "--estimator", "forest", "--out", "bad2"],
            "error: --estimator forest: not one of ['logistic', 'tree', 'gbm'] nor a "
            ".skops model file.",
        ),
        (
            ["--strategy", "reweighing", "--out", "train.csv"],
            "error: --out train.csv: it already exists; give a new folder",
        ),
    ],
)
def test_errors_are_one_line_and_leave_nothing(csvs, checkout_env, args, message):
    before = sorted(p.name for p in csvs.iterdir())
    done = run([*BASE, *args], csvs, checkout_env())
    assert done.returncode == 2
    assert done.stderr.startswith(message), done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1
    assert sorted(p.name for p in csvs.iterdir()) == before


@pytest.mark.parametrize("when", ["first model", "report"])
def test_sigterm_while_writing_leaves_no_folder(tmp_path, monkeypatch, when):
    # A real SIGTERM to this process while the folder is being written: the
    # hidden directory is removed and no --out appears (Terminated then exits 143).
    import os
    import signal

    import skops.io as sio

    from twinaudit import _cli_mitigate
    from twinaudit._files import Terminated, terminate_as_exception

    class Result:
        def __iter__(self):
            return iter([type("R", (), {"model": [1, 2], "strategy": "reweighing"})])

    def kill_during_dump(model, path):
        path.write_bytes(b"partial")
        if when == "first model":
            os.kill(os.getpid(), signal.SIGTERM)

    def kill_during_html(self, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(sio, "dump", kill_during_dump)
    if when == "report":
        monkeypatch.setattr(_cli_mitigate.Path, "write_text", kill_during_html)
    out = tmp_path / "mitigated"
    with pytest.raises(Terminated), terminate_as_exception():
        _cli_mitigate._publish(Result(), {"a": 1}, "<html></html>", out)
    assert list(tmp_path.iterdir()) == []
