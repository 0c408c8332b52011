"""Shared fixtures: the tutorial scenario, paths to the real data sets, Hypothesis."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["pytester"]

settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("thorough", max_examples=400, deadline=None)
# Mutation testing (.ci/mutation sets HYPOTHESIS_PROFILE=mutation): each run of a
# test draws the same examples and none is replayed from the example database, so a
# mutant is killed by a test, never by the luck of a draw or by an example that
# another mutant's run saved, and every verdict can be checked again.
settings.register_profile(
    "mutation",
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("TWINAUDIT_DATA", ROOT.parent / "shared" / "data"))


# The files the tests read, relative to the data folder (../shared/data/README.md).
DATA_FILES = (
    "adult/adult.data",
    "adult/adult.test",
    "bank/bank-additional-full.csv",
    "compas/compas-scores-two-years.csv",
    "german/german.data",
)


def on_ci() -> bool:
    """True where the CI sets CI=true (GitHub Actions, GitLab and most others do)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data sets in ../shared/data (or $TWINAUDIT_DATA).

    A fresh clone without them skips the tests that need them; under CI=true a
    missing file fails those tests instead, because CI always has the data and a
    silent skip would hide that the known-answer tests did not run.
    """
    missing = [name for name in DATA_FILES if not (SHARED_DATA / name).is_file()]
    if missing:
        message = (
            f"real data sets not found at {SHARED_DATA} (missing {missing}); set "
            "TWINAUDIT_DATA to the folder holding adult/, german/, compas/ and bank/"
        )
        if on_ci():
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(message)
    return SHARED_DATA


@pytest.fixture(scope="session")
def checkout_env():
    """Environment for a subprocess that must import this checkout's twinaudit
    (src/ first on PYTHONPATH), not whatever twinaudit is installed.

    ``checkout_env(*paths, inherit=True, **variables)``: ``paths`` go on PYTHONPATH
    after src/; ``inherit=False`` starts from an empty environment.
    """

    def env(*paths: str | Path, inherit: bool = True, **variables: str) -> dict:
        base = dict(os.environ) if inherit else {}
        if "__mutmut_" not in base.get("MUTANT_UNDER_TEST", "__mutmut_"):
            # mutmut's stats and listing runs: a child in another directory cannot
            # find mutmut's configuration; it runs the unmutated code instead.
            del base["MUTANT_UNDER_TEST"]
        pythonpath = [str(ROOT / "src"), *map(str, paths)]
        if base.get("PYTHONPATH"):
            pythonpath.append(base["PYTHONPATH"])
        return {**base, **variables, "PYTHONPATH": os.pathsep.join(pythonpath)}

    return env


@pytest.fixture(scope="session")
def loan_history():
    from twinaudit.datasets import loan_applications

    return loan_applications(1000, seed=42)


@pytest.fixture(scope="session")
def loan_tree(loan_history):
    from twinaudit.datasets import loan_model

    return loan_model(loan_history, seed=42)


@pytest.fixture(scope="session")
def loan_twins():
    from twinaudit.datasets import loan_twin_spec
    from twinaudit.generation import generate

    return generate(loan_twin_spec(42), 1000)


@pytest.fixture(scope="session")
def loan_scored(loan_tree, loan_twins):
    from twinaudit.scoring import score

    return score(loan_tree, loan_twins)


@pytest.fixture(scope="session")
def loan_report(loan_tree, loan_twins):
    from twinaudit.report import audit

    return audit(loan_tree, loan_twins)


# Session fixtures that take seconds to build (a fitted model, twins, an audit).
SLOW_FIXTURES = {
    "loan_history",
    "loan_tree",
    "loan_twins",
    "loan_scored",
    "loan_report",
}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test using the real data, so `-m "not shared_data"` leaves them.

    Under mutmut (.ci/mutation), a mutant's tests run with -x and stop at the first
    failure: run the quick ones first (those without the slow session fixtures,
    then by the durations mutmut recorded), so a killed mutant costs the time of
    the test that kills it rather than of the whole selection.
    """
    for item in items:
        if "shared_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.shared_data)
    if "__mutmut_" in os.environ.get("MUTANT_UNDER_TEST", ""):
        try:
            stats = json.loads(Path("mutmut-stats.json").read_text())
            durations = stats["duration_by_test"]
        except (OSError, ValueError, KeyError):
            durations = {}
        items.sort(
            key=lambda item: (
                bool(SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))),
                durations.get(item.nodeid, 0.0),
            )
        )


@pytest.fixture(autouse=True)
def _numpy_global_state_is_restored():
    """Every test leaves numpy's legacy global random state as it found it, so no
    test's outcome depends on which tests ran before it."""
    import numpy as np

    state = np.random.get_state()  # noqa: NPY002
    yield
    np.random.set_state(state)  # noqa: NPY002


# -- mutation testing: a shared fixture's calls count for every test that uses it ----
#: Functions of the mutated code each module- or session-scoped fixture called while
#: it was set up, by (fixture's base id, name). Filled only during mutmut's "stats" run.
_SHARED_FIXTURE_CALLS: dict[tuple[str, str], set[str]] = {}


def _mutmut_calls() -> set[str] | None:
    """mutmut's set of the mutated functions called since the last test ended, while
    it maps each test to the functions it reaches (its "stats" run); else ``None``.

    mutmut credits that set to the test during whose teardown it reads it. A
    fixture computed once for a module is set up during the module's first test
    only, so without the two hooks below every other test of the module would be
    mapped to none of the fixture's functions, never run against their mutants, and
    a mutant only those tests would catch would count as surviving."""
    if os.environ.get("MUTANT_UNDER_TEST") != "stats":
        return None
    try:
        from mutmut.state import state
    except ImportError:  # pragma: no cover - "stats" is only ever set by mutmut
        return None
    calls: set[str] = state()._stats
    return calls


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    calls = _mutmut_calls()
    if calls is None or fixturedef.scope == "function":
        return (yield)
    earlier = set(calls)
    calls.clear()
    try:
        return (yield)
    finally:
        key = (fixturedef.baseid, fixturedef.argname)
        _SHARED_FIXTURE_CALLS.setdefault(key, set()).update(calls)
        calls.update(earlier)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    calls = _mutmut_calls()
    if calls is not None:
        for name in getattr(item, "fixturenames", ()):
            for fixturedef in item._fixtureinfo.name2fixturedefs.get(name, ()):
                calls.update(
                    _SHARED_FIXTURE_CALLS.get(
                        (fixturedef.baseid, fixturedef.argname), ()
                    )
                )
    return (yield)
