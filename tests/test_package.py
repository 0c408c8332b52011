import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import twinaudit

CHECKOUT = Path(__file__).resolve().parents[1]


def test_the_tests_import_this_checkout():
    assert Path(twinaudit.__file__).resolve().is_relative_to(CHECKOUT / "src")


def test_import_is_quiet_and_does_not_load_the_fairness_libraries(checkout_env):
    code = (
        "import sys, twinaudit\n"
        "print(twinaudit.__file__)\n"
        "print(sorted(m for m in ('aif360', 'fairlearn', 'pandas', 'mimesis') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=checkout_env(),
    )
    imported, loaded = out.stdout.splitlines()
    assert Path(imported).is_relative_to(CHECKOUT / "src")
    assert loaded == "[]"
    assert out.stderr == ""


def test_the_lazy_table_and_all_agree():
    assert sorted(twinaudit._EXPORTS) == sorted(twinaudit.__all__)


@pytest.mark.parametrize("name", sorted(twinaudit.__all__))
def test_public_names_are_the_objects_of_their_modules(name):
    module = importlib.import_module(twinaudit._EXPORTS[name])
    assert getattr(twinaudit, name) is getattr(module, name)
    assert name in dir(twinaudit)


def test_unknown_attribute():
    with pytest.raises(
        AttributeError, match=re.escape("module 'twinaudit' has no attribute 'nope'")
    ):
        twinaudit.nope  # noqa: B018


def test_a_full_audit_through_the_top_level_api(loan_tree):
    from twinaudit.datasets import loan_twin_spec

    twins = twinaudit.generate(loan_twin_spec(1), 100)
    report = twinaudit.audit(loan_tree, twins, libraries=False)
    assert isinstance(report, twinaudit.AuditReport)
