""".ci/mutation's score: what counts as killed, what must be run again, and the
score of part of a run (--module)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "mutation"


@pytest.fixture
def mutation(tmp_path, monkeypatch):
    loader = importlib.machinery.SourceFileLoader("ci_mutation", str(SCRIPT))
    spec = importlib.util.spec_from_loader("ci_mutation", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "EQUIVALENT", tmp_path / "equivalent.md")
    monkeypatch.setattr(module, "RECORD", tmp_path / "mutation" / "record.json")
    monkeypatch.setattr(
        module,
        "mutmut_config",
        lambda: {"only_mutate": ["src/twinaudit/metrics/*"]},
    )
    return module


def write_meta(root: Path, source: str, codes: dict[str, int | None]) -> None:
    """A .meta file as mutmut writes it (the functions' hashes made up)."""
    meta = root / "mutants" / f"{source}.meta"
    meta.parent.mkdir(parents=True, exist_ok=True)
    functions = {name.rsplit(".", 1)[1].split("__mutmut_")[0] for name in codes}
    meta.write_text(
        json.dumps(
            {
                "exit_code_by_key": codes,
                "hash_by_function_name": {f: f"hash-of-{f}" for f in functions},
                "type_check_error_by_key": {},
                "durations_by_key": {},
                "estimated_durations_by_key": {},
            }
        )
    )


def test_exit_255_is_an_error_to_run_again_not_a_kill(mutation, tmp_path, capsys):
    # 19 killed, 1 whose test run could not start (mutmut calls it a timeout).
    codes = {f"twinaudit.metrics._a.x_f__mutmut_{i}": 1 for i in range(1, 20)}
    codes["twinaudit.metrics._a.x_f__mutmut_20"] = 255
    write_meta(tmp_path, "src/twinaudit/metrics/_a.py", codes)
    (tmp_path / "equivalent.md").write_text("")
    assert mutation.main(["--summary"]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines()[-1] == "killed 19 of 20 (95.0%)"
    assert "mutants not checked to the end: {'error': 1}" in err


def test_a_real_timeout_is_a_kill(mutation, tmp_path, capsys):
    codes = {f"twinaudit.metrics._a.x_f__mutmut_{i}": 1 for i in range(1, 20)}
    codes["twinaudit.metrics._a.x_f__mutmut_20"] = -24  # SIGXCPU: the wall timeout
    write_meta(tmp_path, "src/twinaudit/metrics/_a.py", codes)
    (tmp_path / "equivalent.md").write_text("")
    assert mutation.main(["--summary"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "killed 20 of 20 (100.0%)"


def test_module_scores_part_of_a_run(mutation, tmp_path, capsys):
    write_meta(
        tmp_path,
        "src/twinaudit/metrics/_a.py",
        {
            "twinaudit.metrics._a.x_f__mutmut_1": 1,
            "twinaudit.metrics._a.x_f__mutmut_2": 0,  # equivalent, listed
        },
    )
    write_meta(
        tmp_path,
        "src/twinaudit/metrics/_b.py",
        {"twinaudit.metrics._b.x_g__mutmut_1": None},  # not run yet
    )
    (tmp_path / "equivalent.md").write_text(
        "- `twinaudit.metrics._a.x_f__mutmut_2`: cast back a line later\n"
        "- `twinaudit.metrics._b.x_g__mutmut_9`: renumbered away\n"
    )
    # The whole run: _b is unchecked and its entry is stale.
    assert mutation.main(["--summary"]) == 1
    err = capsys.readouterr().err
    assert "x_g__mutmut_9 is listed as equivalent but is not a mutant" in err
    assert "_b.py: mutants not checked to the end: {'not checked': 1}" in err
    # _a alone: 1 killed of 1 counted, its equivalent left out, _b's ignored.
    assert mutation.main(["--summary", "--module", "src/twinaudit/metrics/_a.py"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[-1] == "killed 1 of 1 (100.0%)" and err == ""
    with pytest.raises(SystemExit, match="No mutated source file matches"):
        mutation.main(["--summary", "--module", "src/twinaudit/nothing.py"])


A = "twinaudit.metrics._a."
CLASS_METHOD = "xǁAccǁupdate"  # mutmut's name of Acc.update


def test_the_record_keeps_each_verdict_and_a_resumed_run_is_given_them(
    mutation, tmp_path
):
    codes = {
        f"{A}x_f__mutmut_1": 1,
        f"{A}x_f__mutmut_2": 0,
        f"{A}x_f__mutmut_3": None,  # not run yet
        f"{A}x_f__mutmut_4": 255,  # the run could not start: no verdict
        f"{A}x_f__mutmut_5": -24,  # timeout
        f"{A}{CLASS_METHOD}__mutmut_1": 33,  # no tests
        f"{A}{CLASS_METHOD}__mutmut_2": 1,
    }
    write_meta(tmp_path, "src/twinaudit/metrics/_a.py", codes)
    files = mutation.read_meta(mutation.mutmut_config())
    record = {"inputs": {"tree": "t"}, "runs": [], "files": mutation.to_record(files)}
    mutation.save_record(record)
    text = (tmp_path / "mutation" / "record.json").read_text()
    assert '"x_f": [1, 0, null, 255, -24]' in text  # one line per function
    assert f'"{CLASS_METHOD}": [33, 1]' in text
    assert json.loads(text)["files"]["src/twinaudit/metrics/_a.py"]["functions"] == {
        "x_f": "hash-of-x_f",
        CLASS_METHOD: f"hash-of-{CLASS_METHOD}",
    }
    assert mutation.from_record(mutation.load_record()["files"]) == files
    assert not list((tmp_path / "mutation").glob(".record.*"))  # no temporary left

    (tmp_path / "mutants" / "src/twinaudit/metrics/_a.py.meta").unlink()
    assert mutation.restore(mutation.load_record()["files"]) == (5, 7)
    restored = json.loads(
        (tmp_path / "mutants" / "src/twinaudit/metrics/_a.py.meta").read_text()
    )
    assert restored["exit_code_by_key"] == {**codes, f"{A}x_f__mutmut_4": None}
    assert (
        restored["hash_by_function_name"]
        == files["src/twinaudit/metrics/_a.py"]["functions"]
    )


def test_a_record_needs_mutants_numbered_from_one(mutation):
    files = {
        "src/twinaudit/metrics/_a.py": {
            "functions": {"x_f": "h"},
            "codes": {f"{A}x_f__mutmut_1": 1, f"{A}x_f__mutmut_3": 1},
        }
    }
    with pytest.raises(ValueError, match=r"_a\.py:x_f are not numbered 1 to 2"):
        mutation.to_record(files)
    with pytest.raises(
        ValueError,
        match=r"'twinaudit\.metrics\._b\.x_f__mutmut_1' is not a mutant name",
    ):
        mutation.split_name(
            "src/twinaudit/metrics/_a.py", "twinaudit.metrics._b.x_f__mutmut_1"
        )


def git_repo(root: Path) -> None:
    def git(*args):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
            cwd=root,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    (root / ".gitignore").write_text("mutants/\n.venv/\nslow\n")
    (root / "code.py").write_text("x = 1\n")
    (root / "mutation").mkdir(exist_ok=True)
    (root / "mutation" / "equivalent.md").write_text("")
    git("add", ".")
    git("commit", "-q", "-m", "first")
    return git


def test_the_inputs_are_every_committed_file_outside_mutation(mutation, tmp_path):
    git = git_repo(tmp_path)
    first = mutation.input_files()
    assert sorted(first) == [".gitignore", "code.py"]
    assert first["code.py"].startswith("100644 ")  # mode and git's object id
    (tmp_path / "mutation" / "equivalent.md").write_text("- `x`: a reason\n")
    (tmp_path / "mutation" / "record.json").write_text("{}")
    assert mutation.input_files() == first  # the record and the list are no input
    git("add", ".")
    git("commit", "-q", "-m", "list")
    assert mutation.input_files() == first
    (tmp_path / "code.py").write_text("x = 2\n")
    with pytest.raises(
        SystemExit, match=r"Uncommitted changes outside mutation/ .*\n  M code.py"
    ):
        mutation.input_files()
    git("commit", "-q", "-am", "code")
    assert mutation.input_files()["code.py"] != first["code.py"]
    assert mutation.digest(mutation.input_files()) != mutation.digest(first)
    (tmp_path / "new_test.py").write_text("")  # an untracked file pytest would collect
    with pytest.raises(SystemExit, match=r"\?\? new_test.py"):
        mutation.input_files()


@pytest.mark.parametrize(
    ("change", "kind", "shown"),
    [
        ({}, "same", []),
        (
            {
                "files": {
                    "tests/metrics/test_new.py": "100644 c",
                    "tests/test_b.py": "d",
                }
            },
            "tests added",
            ["tests/metrics/test_new.py", "tests/test_b.py"],
        ),
        (
            {"files": {"tests/test_a.py": "100644 x"}},
            "other",
            ["tests/test_a.py changed or removed"],
        ),
        (
            {"files": {"tests/helpers.py": "100644 c"}},
            "other",
            ["tests/helpers.py added"],
        ),
        (
            {"files": {"tests/conftest.py": "100644 c"}},
            "other",
            ["tests/conftest.py added"],
        ),
        ({"files": {"test_top.py": "100644 c"}}, "other", ["test_top.py added"]),
        ({"mutmut": "3.9.0"}, "other", ["mutmut"]),
        ({"python": "3.12"}, "other", ["python"]),
    ],
)
def test_only_new_test_files_keep_a_records_kills(mutation, change, kind, shown):
    old = {
        "files": {"src/a.py": "100644 a", "tests/test_a.py": "100644 b"},
        "mutmut": "3.8.1",
        "python": "3.11",
    }
    new = {**old, **change, "files": {**old["files"], **change.get("files", {})}}
    assert mutation.compare_inputs(old, new) == (kind, shown)
    removed = {**old, "files": {"src/a.py": "100644 a"}}
    assert mutation.compare_inputs(old, removed) == (
        "other",
        ["tests/test_a.py changed or removed"],
    )


def test_summary_scores_the_record_only_for_the_inputs_it_names(
    mutation, tmp_path, capsys, monkeypatch
):
    (tmp_path / "equivalent.md").write_text(f"- `{A}x_f__mutmut_2`: a reason\n")
    files = {
        "src/twinaudit/metrics/_a.py": {
            "functions": {"x_f": "h"},
            "verdicts": {"x_f": [1, 0, 1]},
        }
    }
    runs = [{"seconds": 5400}, {"seconds": 1800}]
    this = {"src/a.py": "100644 a"}
    inputs = {"files": this, "mutmut": "3.8.1", "python": "3.11"}
    mutation.save_record({"inputs": inputs, "runs": runs, "files": files})
    monkeypatch.setattr(mutation, "input_files", lambda: this)
    assert mutation.main(["--summary"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        f"mutation/record.json: inputs match this checkout ({mutation.digest(this)}); "
        "mutmut 3.8.1, Python 3.11, 2 run(s), 2.0 h"
    )
    assert out[-1] == "killed 2 of 2 (100.0%)"
    monkeypatch.setattr(mutation, "input_files", lambda: {"src/a.py": "100644 b"})
    with pytest.raises(
        SystemExit, match=r"record\.json is for other inputs than this checkout"
    ):
        mutation.main(["--summary"])


FAKE_MUTMUT = """\
import json, os, signal, sys, time
from pathlib import Path

# A stand-in for `mutmut run`: four mutants of one function, a verdict each, kept
# where mutants/ already holds one (as mutmut keeps them), saved one at a time.
meta = Path("mutants/src/twinaudit/metrics/_a.py.meta")
names = [f"twinaudit.metrics._a.x_f__mutmut_{i}" for i in range(1, 5)]
old = json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}
codes = {name: old.get(name) for name in names}
Path("mutants/given.json").write_text(json.dumps(codes))
Path("mutants/profile.txt").write_text(os.environ.get("HYPOTHESIS_PROFILE", ""))
signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
for i, name in enumerate(names, start=1):
    if codes[name] is None:
        codes[name] = 1
        meta.parent.mkdir(parents=True, exist_ok=True)
        meta.write_text(json.dumps(
            {"exit_code_by_key": codes, "hash_by_function_name": {"x_f": "h"}}
        ))
        if i == 2 and Path("slow").exists():
            time.sleep(60)  # the time limit comes first
"""


def test_a_run_stopped_at_its_time_limit_is_resumed_where_it_stopped(
    mutation, tmp_path, capsys, monkeypatch
):
    git = git_repo(tmp_path)
    bin_ = tmp_path / ".venv" / "bin"
    bin_.mkdir(parents=True)
    for name, body in [
        # The versions .ci/mutation asks the venv's Python for (the test extra
        # alone does not install mutmut).
        ("python", 'echo "3.8.1 3.11"'),
        ("pip", "exit 0"),
        ("mutmut", f"exec {sys.executable} - <<'EOF'\n{FAKE_MUTMUT}EOF"),
    ]:
        (bin_ / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_ / name).chmod(0o755)
    monkeypatch.setattr(mutation, "EQUIVALENT", tmp_path / "mutation" / "equivalent.md")
    (tmp_path / "slow").write_text("")
    monkeypatch.setattr(mutation, "SAVE_EVERY", 0.2)

    assert mutation.main(["--hours", "0.0005"]) == 1  # 1.8 s
    out, err = capsys.readouterr()
    assert "stopped at the time limit: run .ci/mutation again to go on" in err
    assert "mutants not checked to the end: {'not checked': 2}" in err
    assert out.splitlines()[-1] == "killed 2 of 4 (50.0%)"
    record = mutation.load_record()
    verdicts = record["files"]["src/twinaudit/metrics/_a.py"]["verdicts"]
    assert verdicts == {"x_f": [1, 1, None, None]}
    assert record["inputs"] == mutation.run_inputs(tmp_path / ".venv")
    assert len(record["runs"]) == 1 and 1 <= record["runs"][0]["seconds"] <= 30

    (tmp_path / "slow").unlink()
    assert mutation.main([]) == 0
    out, err = capsys.readouterr()
    assert (
        "resuming from mutation/record.json: 2 of 4 mutants checked in 1 run(s)" in out
    )
    given = json.loads((tmp_path / "mutants" / "given.json").read_text())
    assert list(given.values()) == [1, 1, None, None]
    assert (tmp_path / "mutants" / "profile.txt").read_text() == "mutation"
    assert out.splitlines()[-1] == "killed 4 of 4 (100.0%)" and err == ""
    record = mutation.load_record()
    assert record["files"]["src/twinaudit/metrics/_a.py"]["verdicts"] == {
        "x_f": [1, 1, 1, 1]
    }
    assert len(record["runs"]) == 2

    # A test file added: the kills stand, a survivor and an error are run again.
    verdicts = record["files"]["src/twinaudit/metrics/_a.py"]["verdicts"]
    verdicts["x_f"] = [1, -24, 0, 255]
    mutation.save_record(record)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_more.py").write_text("def test_x(): pass\n")
    git("add", ".")
    git("commit", "-q", "-m", "a test")
    assert mutation.main([]) == 0
    out = capsys.readouterr().out
    assert (
        "resuming from mutation/record.json with 1 test file(s) added "
        "(tests/test_more.py): its 2 kills stand; the other 2 mutants are run again"
    ) in out
    given = json.loads((tmp_path / "mutants" / "given.json").read_text())
    assert list(given.values()) == [1, -24, None, None]
    record = mutation.load_record()
    assert record["inputs"] == mutation.run_inputs(tmp_path / ".venv")
    assert len(record["runs"]) == 3

    # Other inputs: the record is not used, the run starts from scratch.
    (tmp_path / "code.py").write_text("x = 3\n")
    git("commit", "-q", "-am", "code")
    assert mutation.main([]) == 0
    out = capsys.readouterr().out
    assert (
        "record.json is for other inputs (code.py changed or removed): "
        "starting from scratch"
    ) in out
    given = json.loads((tmp_path / "mutants" / "given.json").read_text())
    assert list(given.values()) == [None] * 4
    assert len(mutation.load_record()["runs"]) == 1


CONFTEST = Path(__file__).resolve().parent / "conftest.py"

SHARED_FIXTURE_TESTS = """
import pytest
from mutmut.state import state


@pytest.fixture(scope="module")
def shared():
    state()._stats.add("computed_once_per_module")


@pytest.fixture(scope="module")
def on_top(shared):
    state()._stats.add("built_on_the_shared_one")


def test_first(on_top):
    state()._stats.add("first_only")


def test_second(shared):
    pass


def test_third(on_top):
    pass


def test_without():
    pass
"""


@pytest.mark.parametrize("mode", ["stats", "twinaudit.x_f__mutmut_1", None])
def test_a_shared_fixtures_calls_count_for_every_test_using_it(
    pytester, monkeypatch, mode
):
    """mutmut credits the calls made before a test's teardown to that test; the
    project's conftest credits a module fixture's calls to every test that uses it,
    and only in mutmut's stats run. A stand-in for mutmut's state records them."""
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    pytester.mkpydir("mutmut")
    (pytester.path / "mutmut" / "state.py").write_text(
        "class _State:\n    _stats = set()\n\n\n_STATE = _State()\n\n\n"
        "def state():\n    return _STATE\n",
        encoding="utf-8",
    )
    pytester.syspathinsert()
    pytester.makepyfile(test_shared=SHARED_FIXTURE_TESTS)
    if mode is None:
        monkeypatch.delenv("MUTANT_UNDER_TEST", raising=False)
    else:
        monkeypatch.setenv("MUTANT_UNDER_TEST", mode)
    credited: dict[str, set[str]] = {}

    class MutmutLike:
        def pytest_runtest_teardown(self, item):
            from mutmut.state import state

            credited[item.name] = set(state()._stats)
            state()._stats.clear()

    result = pytester.runpytest_inprocess("-p", "no:randomly", plugins=[MutmutLike()])
    result.assert_outcomes(passed=4)
    both = {"computed_once_per_module", "built_on_the_shared_one"}
    if mode == "stats":
        assert credited == {
            "test_first": both | {"first_only"},
            "test_second": {"computed_once_per_module"},
            "test_third": both,
            "test_without": set(),
        }
    else:  # mutmut's own behaviour: the first test that sets the fixtures up
        assert credited == {
            "test_first": both | {"first_only"},
            "test_second": set(),
            "test_third": set(),
            "test_without": set(),
        }


def test_under_mutation_hypothesis_draws_the_same_examples_and_saves_none():
    from hypothesis import settings

    profile = settings.get_profile("mutation")
    assert profile.derandomize is True
    assert profile.database is None
    assert profile.max_examples == settings.get_profile("ci").max_examples
