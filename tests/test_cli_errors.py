"""Every failing command of issue 7, run as a real process: exit code 2, one line on
stderr, no traceback, nothing left behind and nothing of the user's touched.

The processes of one batch run at the same time (each pays Python's start-up once).
A full disk and a read-only file system are simulated by a bootstrap that injects
the operating system's error into the process before running the command line.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from twinaudit.cli import app
from twinaudit.exceptions import DataError

SRC = Path(__file__).resolve().parents[1] / "src"

SPEC = """\
seed: 5
protected:
  - {name: gender, values: [male, female], privileged: male}
fields:
  - {kind: id, name: id}
  - {kind: integer, name: income, low: 30000, high: 120000}
"""
BAD_DATE = SPEC + "  - {kind: date, name: born, start: 2020-02-30, end: 2021-01-01}\n"
LIST_KWARGS = (
    SPEC + "  - {kind: provider, name: email, provider: person.email, "
    "kwargs: {domains: [x.org]}}\n"
)

FULL_DISK = """\
import errno, os, sys
import pandas as pd
real = pd.DataFrame.to_csv
calls = []
def to_csv(self, path, *args, **kwargs):
    calls.append(path)
    if len(calls) == 2:  # the first chunk is written: the disk fills up
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    return real(self, path, *args, **kwargs)
pd.DataFrame.to_csv = to_csv
from twinaudit.cli import main
main()
"""
READ_ONLY = """\
import os, sys
real = os.access
def access(path, mode):  # what a read-only file system answers (EROFS)
    if mode & os.W_OK and os.path.abspath(path) == os.path.abspath("ro"):
        return False
    return real(path, mode)
os.access = access
from twinaudit.cli import main
main()
"""


def environment() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "250"}
    env.pop("TWINAUDIT_DEBUG", None)
    return env


def command(*args: str, bootstrap: str | None = None) -> list[str]:
    if bootstrap is None:
        return [sys.executable, "-m", "twinaudit.cli", *args]
    return [sys.executable, "-c", bootstrap, *args]


# (id, arguments, bootstrap, first words of the message)
CASES = [
    (
        "generate into a missing directory",
        ["generate", "spec.yaml", "-o", "missing/twins.csv"],
        None,
        "error: Cannot write 'missing/twins.csv': the directory 'missing' does not "
        "exist. Create it first, or choose another output path.",
    ),
    (
        "generate onto a directory",
        ["generate", "spec.yaml", "-o", "folder.csv"],
        None,
        "error: Cannot write to 'folder.csv': it is a directory. Give a file name, "
        "e.g. 'folder.csv/out'.",
    ),
    (
        "generate onto a read-only file system",
        ["generate", "spec.yaml", "-o", "ro/twins.csv"],
        READ_ONLY,
        "error: Cannot write 'ro/twins.csv': the directory 'ro' is not writable "
        "(read-only file system or no permission). Choose another output path.",
    ),
    (
        "generate onto a full disk",
        ["generate", "spec.yaml", "-o", "full.csv", "-n", "50", "--chunk-size", "10"],
        FULL_DISK,
        "error: Cannot write 'full.csv': No space left on device. Nothing was written.",
    ),
    (
        "generate onto a full disk with --force",
        [
            "generate",
            "spec.yaml",
            "-o",
            "mine.csv",
            "-n",
            "50",
            "--chunk-size",
            "10",
            "--force",
        ],
        FULL_DISK,
        "error: Cannot write 'mine.csv': No space left on device. The existing file "
        "is unchanged.",
    ),
    (
        "generate onto an existing file",
        ["generate", "spec.yaml", "-o", "mine.csv"],
        None,
        "error: 'mine.csv' already exists; use --force to replace it.",
    ),
    (
        "generate to a file that is not CSV or Parquet",
        ["generate", "spec.yaml", "-o", "twins.xlsx"],
        None,
        "error: Cannot write twins to 'twins.xlsx': use a .csv or .parquet file name.",
    ),
    (
        "generate with an unknown mode",
        ["generate", "spec.yaml", "-o", "twins.csv", "--mode", "loose"],
        None,
        "error: Invalid value for '--mode': 'loose' is not one of 'strict', 'proxy'.",
    ),
    (
        "generate without --out",
        ["generate", "spec.yaml"],
        None,
        "error: Missing option '--out' / '-o'.",
    ),
    (
        "generate from a missing spec",
        ["generate", "nowhere.yaml", "-o", "twins.csv"],
        None,
        "error: Spec file 'nowhere.yaml' does not exist.",
    ),
    (
        "validate a date that does not exist",
        ["validate", "bad_date.yaml"],
        None,
        "error: bad_date.yaml.fields[2]: field 'born': 'start' must be a date "
        "(YYYY-MM-DD). Got '2020-02-30'.",
    ),
    (
        "demo --json into a missing directory",
        ["demo", "--json", "missing/report.json"],
        None,
        "error: Cannot write 'missing/report.json': the directory 'missing' does "
        "not exist. Create it first, or choose another output path.",
    ),
    (
        "demo --json onto an existing file",
        ["demo", "--json", "mine.csv"],
        None,
        "error: 'mine.csv' already exists; use --force to replace it.",
    ),
    (
        "demo --json onto a read-only file system",
        ["demo", "--json", "ro/report.json"],
        READ_ONLY,
        "error: Cannot write 'ro/report.json': the directory 'ro' is not writable",
    ),
    (
        "audit --out onto a directory",
        ["audit", "--model", "model.skops", "--spec", "spec.yaml", "-o", "folder.csv"],
        None,
        "error: Cannot write to 'folder.csv': it is a directory.",
    ),
    (
        "audit --out into a missing directory",
        ["audit", "-m", "model.skops", "--spec", "spec.yaml", "-o", "missing/r.json"],
        None,
        "error: Cannot write 'missing/r.json': the directory 'missing' does not exist.",
    ),
    (
        "audit without a model",
        ["audit", "--spec", "spec.yaml"],
        None,
        "error: Missing option '--model' / '-m'.",
    ),
]


def user_files(folder: Path) -> None:
    (folder / "spec.yaml").write_text(SPEC)
    (folder / "bad_date.yaml").write_text(BAD_DATE)
    (folder / "list_kwargs.yaml").write_text(LIST_KWARGS)
    (folder / "mine.csv").write_text("my own data\n")
    (folder / "folder.csv").mkdir()
    (folder / "ro").mkdir()


def snapshot(folder: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture(scope="module")
def failures(tmp_path_factory):
    """Run every case at once, each in a folder of its own holding the user's
    files; return (result, files before, files after) by case id."""
    running = {}
    for case_id, args, bootstrap, _ in CASES:
        folder = tmp_path_factory.mktemp("case")
        user_files(folder)
        before = snapshot(folder)
        process = subprocess.Popen(
            command(*args, bootstrap=bootstrap),
            cwd=folder,
            env=environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        running[case_id] = (process, folder, before, time.monotonic())
    results = {}
    for case_id, (process, folder, before, started) in running.items():
        stdout, stderr = process.communicate(timeout=120)
        results[case_id] = (
            process.returncode,
            stdout,
            stderr,
            before,
            snapshot(folder),
            time.monotonic() - started,
        )
    return results


@pytest.mark.parametrize(
    ("case_id", "message"), [(c[0], c[3]) for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_failing_command_exits_2_with_one_line_and_leaves_everything(
    failures, case_id, message
):
    code, stdout, stderr, before, after, _ = failures[case_id]
    assert code == 2, stderr
    assert "Traceback" not in stderr + stdout
    (line,) = stderr.splitlines()
    assert line.startswith(message)
    assert after == before  # nothing written, nothing of the user's touched


def test_outputs_are_checked_before_any_work(failures):
    """The demo takes seconds; refusing its output takes nothing (no demo output)."""
    for case_id in (
        "demo --json into a missing directory",
        "demo --json onto an existing file",
    ):
        _, stdout, _, _, _, _ = failures[case_id]
        assert stdout == ""


def test_debug_shows_the_traceback(tmp_path):
    user_files(tmp_path)
    result = subprocess.run(
        command("--debug", "generate", "spec.yaml", "-o", "missing/twins.csv"),
        cwd=tmp_path,
        env=environment(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert "twinaudit.exceptions.OutputPathError: Cannot write" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("error: Cannot write")


def test_a_list_in_provider_kwargs_generates(tmp_path):
    user_files(tmp_path)
    result = subprocess.run(
        command("generate", "list_kwargs.yaml", "-o", "twins.csv", "-n", "20"),
        cwd=tmp_path,
        env=environment(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    rows = (tmp_path / "twins.csv").read_text().splitlines()
    assert len(rows) == 41 and rows[0] == "pair_id,gender,id,income,email"
    assert all(row.endswith("@x.org") for row in rows[1:])


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize(
    ("signum", "code", "line"),
    [
        (signal.SIGTERM, 143, "error: terminated."),
        (signal.SIGINT, 130, "error: interrupted."),
    ],
    ids=["SIGTERM", "SIGINT"],
)
def test_a_signal_during_a_long_generate_leaves_no_file(tmp_path, signum, code, line):
    user_files(tmp_path)
    (tmp_path / ".twins.csv.partial").write_text("stale, from a killed run")
    before = snapshot(tmp_path)
    process = subprocess.Popen(
        command(
            *("generate", "spec.yaml", "-o", "twins.csv", "-n", "3000000"),
            *("--chunk-size", "20000"),
        ),
        cwd=tmp_path,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As from a terminal: a runner started in the background (``cmd &``, mutmut)
        # ignores SIGINT, its children inherit that, and Python then never raises
        # KeyboardInterrupt.
        preexec_fn=_default_sigint,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        partial = [
            p for p in tmp_path.glob(".twins.csv.*.partial") if p.stat().st_size > 0
        ]
        if partial:
            break
        time.sleep(0.05)
    assert partial, "the write must be under way when the signal arrives"
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code
    assert stderr.splitlines() == [line]
    assert snapshot(tmp_path) == before  # the stale file is left as it was


# -- in-process: help and commands added by other modules ------------------------------
runner = CliRunner()


def test_help_shows_no_typer_placeholders():
    """Every command, those attached from other modules included."""
    import typer.main

    names = sorted(typer.main.get_command(app).commands)
    assert {"audit", "demo", "generate", "validate"} <= set(names)
    for name in [None, *names]:
        result = runner.invoke(
            app, [*([name] if name else []), "--help"], env={"COLUMNS": "200"}
        )
        assert result.exit_code == 0, name
        for placeholder in ("<bool>", "<int", "<float", "<path>", "<str>", "<list"):
            assert placeholder not in result.output, (name, placeholder)
        assert not re.search(r"\{[a-z_]+\}", result.output), name  # {spec}


def test_help_lists_the_choices_and_calls_n_pairs():
    text = runner.invoke(app, ["generate", "--help"], env={"COLUMNS": "200"}).output
    assert "Usage: twinaudit generate [OPTIONS] SPEC" in text
    assert "strict|proxy" in text
    for name in ("generate", "audit", "demo"):
        text = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"}).output
        pairs = next(line for line in text.splitlines() if "--pairs" in line)
        assert "PAIRS" in pairs and "pairs" in pairs.lower().split("pairs", 2)[2]
        assert "profiles to" not in pairs


def test_a_command_from_another_module_gets_the_same_handling(monkeypatch):
    monkeypatch.setattr(app, "registered_commands", list(app.registered_commands))

    def bench(config: str) -> None:
        if config == "bad":
            raise DataError(f"Benchmark config {config!r} is bad; fix it.")
        if config == "bug":
            raise KeyError("oops")
        raise KeyboardInterrupt

    app.command("bench")(bench)
    bad = runner.invoke(app, ["bench", "bad"])
    assert (bad.exit_code, bad.stderr) == (
        2,
        "error: Benchmark config 'bad' is bad; fix it.\n",
    )
    bug = runner.invoke(app, ["bench", "bug"])
    assert bug.exit_code == 70
    assert bug.stderr.startswith("internal error: KeyError: 'oops'. This is a bug")
    debug = runner.invoke(app, ["--debug", "bench", "bug"])
    assert debug.exit_code == 70
    assert debug.stderr.startswith("Traceback (most recent call last):")
    interrupted = runner.invoke(app, ["bench", "stop"])
    assert (interrupted.exit_code, interrupted.stderr) == (130, "error: interrupted.\n")
    usage = runner.invoke(app, ["bench"])
    assert usage.exit_code == 2
    assert usage.stderr == (
        "error: Missing argument 'CONFIG'. See 'twinaudit bench --help'.\n"
    )
