"""A reduced benchmark (the loan scenario: no data files needed), run once."""

from __future__ import annotations

import pytest

#: 2 strategies + the baseline, 3 seeds: 9 cells, a few seconds.
SMALL = {
    "datasets": [{"name": "loan", "max_rows": 600}],
    "estimators": ["logistic_regression"],
    "strategies": ["reweighing", "unawareness"],
    "seeds": [0, 1, 2],
}


@pytest.fixture(scope="session")
def small_config():
    return dict(SMALL)


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """The reduced benchmark run once, uninterrupted, in one process."""
    from twinaudit.benchmark import run_benchmark

    out = tmp_path_factory.mktemp("bench") / "small"
    return out, run_benchmark(SMALL, out, progress=False)
