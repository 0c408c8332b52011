""".ci/mutation's score: what counts as killed, what must be run again, and the
score of part of a run (--module)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
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
    monkeypatch.setattr(
        module,
        "mutmut_config",
        lambda: {"only_mutate": ["src/twinaudit/metrics/*"]},
    )
    return module


def write_meta(root: Path, source: str, codes: dict[str, int | None]) -> None:
    meta = root / "mutants" / f"{source}.meta"
    meta.parent.mkdir(parents=True, exist_ok=True)
    meta.write_text(json.dumps({"exit_code_by_key": codes}))


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
