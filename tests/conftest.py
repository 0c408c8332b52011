"""Shared fixtures: the tutorial scenario, paths to the real data sets, Hypothesis."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("thorough", max_examples=400, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("TWINAUDIT_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data sets; skips where ../shared/data is absent (a fresh clone)."""
    if not (SHARED_DATA / "german" / "german.data").exists():
        pytest.skip(
            f"real data sets not found at {SHARED_DATA}; set TWINAUDIT_DATA to the "
            "folder holding adult/, german/, compas/ and bank/ to run this test"
        )
    return SHARED_DATA


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
