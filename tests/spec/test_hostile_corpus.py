"""Every spec of the hostile corpus (``tests/hostile/``) through ``twinaudit
validate`` and ``twinaudit generate``, each in its own process under limits: at most
500 MB of memory beyond what the imported CLI already maps, and 3 s of CPU (the
command itself must use under 2 s). Each is refused with a one-line typed error
(exit 2) or finishes (issue 13).

One driver process imports the CLI once and forks a child per command, so the
whole corpus costs one interpreter start-up; each child sets its own limits after
the fork and before the command runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[1] / "hostile"
FILES = sorted(CORPUS.glob("*.yaml"))
MEMORY = 500 * 2**20
CPU_LIMIT = 3  # seconds; the kernel stops the command beyond it
CPU_TARGET = 2.0
PAIRS = 20

DRIVER = r"""
import gc, json, os, resource, sys, time, traceback
from pathlib import Path

import pandas  # noqa: F401  (what generate uses, imported before the limits)
import twinaudit._io  # noqa: F401
import typer.main
import twinaudit.cli as cli
import twinaudit.generation  # noqa: F401
import rich.table  # noqa: F401
from twinaudit.spec import spec_from_dict

# Warm what every command loads (Mimesis's provider registry and locale data), so
# each child measures the spec's own cost, not a cold start.
spec_from_dict({
    "protected": [{"name": "g", "values": ["a", "b"], "privileged": "a"}],
    "fields": [
        {"kind": "provider", "name": "p", "provider": "person.email"},
        {"kind": "derived", "name": "d", "expression": "upper(p)"},
    ],
})

# What `twinaudit` runs, built once (building it is most of a tiny command's CPU).
command = typer.main.get_command(cli.app)
gc.freeze()  # children do not touch (copy) the parent's objects when collecting
cases = json.loads(Path(sys.argv[1]).read_text())
out = Path(sys.argv[2])
memory, cpu = int(sys.argv[3]), int(sys.argv[4])


def mapped():
    for line in open("/proc/self/status"):
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


results = []
for case in cases:
    name = case["id"]
    pid = os.fork()
    if pid == 0:
        code = 99
        try:
            for fd, suffix in ((1, "out"), (2, "err")):
                target = os.open(out / f"{name}.{suffix}", os.O_WRONLY | os.O_CREAT)
                os.dup2(target, fd)
            base = mapped()
            resource.setrlimit(resource.RLIMIT_AS, (base + memory, base + memory))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
            start = time.process_time()
            try:
                command.main(case["args"], prog_name="twinaudit")
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else int(bool(exc.code))
            (out / f"{name}.cpu").write_text(repr(time.process_time() - start))
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status, usage = os.wait4(pid, 0)
    results.append({"id": name, "exit": os.waitstatus_to_exitcode(status)})
print(json.dumps(results))
"""


def _expectations(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()[:2]
    expected = {}
    for line in lines:
        command, _, outcome = line.removeprefix("# ").partition(": ")
        expected[command] = outcome
    assert set(expected) == {"validate", "generate"}, path
    return expected


@pytest.fixture(scope="module")
def corpus_runs(tmp_path_factory):
    """Run the corpus once; ``{(file stem, command): (exit, stdout, stderr, cpu)}``."""
    work = tmp_path_factory.mktemp("hostile")
    cases = []
    for path in FILES:
        cases.append({"id": f"{path.stem}.validate", "args": ["validate", str(path)]})
        target = work / f"{path.stem}.csv"
        cases.append(
            {
                "id": f"{path.stem}.generate",
                "args": ["generate", str(path), "-o", str(target), "-n", str(PAIRS)],
            }
        )
    (work / "cases.json").write_text(json.dumps(cases))
    env = {
        **os.environ,
        "COLUMNS": "200",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2",
    }
    env.pop("TWINAUDIT_DEBUG", None)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            DRIVER,
            str(work / "cases.json"),
            str(work),
            str(MEMORY),
            str(CPU_LIMIT),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = {}
    for result in json.loads(done.stdout.splitlines()[-1]):
        stem, command = result["id"].rsplit(".", 1)
        cpu_file = work / f"{result['id']}.cpu"
        results[stem, command] = (
            result["exit"],
            (work / f"{result['id']}.out").read_text(),
            (work / f"{result['id']}.err").read_text(),
            float(cpu_file.read_text()) if cpu_file.exists() else None,
            work / f"{stem}.csv",
        )
    return results


def test_the_corpus_covers_the_hostile_kinds():
    stems = {path.stem.split("_")[0] for path in FILES}
    assert {"expr", "provider", "yaml", "long", "thousands"} <= stems
    assert len(FILES) >= 30


@pytest.mark.parametrize("command", ["validate", "generate"])
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_hostile_spec_is_refused_or_finishes_within_limits(corpus_runs, path, command):
    expected = _expectations(path)[command]
    code, stdout, stderr, cpu, output = corpus_runs[path.stem, command]
    assert "Traceback" not in stderr, stderr
    assert cpu is not None, f"killed or crashed (exit {code}): {stderr}"
    assert cpu < CPU_TARGET, f"{command} used {cpu:.2f} s of CPU"
    if expected == "ok":
        assert code == 0, stderr
        if command == "generate":
            with output.open(encoding="utf-8") as handle:
                rows = sum(1 for _ in handle) - 1
            assert rows >= 2 * PAIRS
        else:
            assert ": valid" in stdout
        return
    assert expected.startswith("error: ")
    assert code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    assert expected.removeprefix("error: ") in lines[0]
    assert not output.exists()
