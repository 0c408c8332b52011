import subprocess
import sys

import twinaudit


def test_import_is_quiet_and_does_not_load_the_fairness_libraries():
    code = (
        "import sys, twinaudit\n"
        "print(sorted(m for m in ('aif360', 'fairlearn', 'pandas', 'mimesis') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout == "[]\n"
    assert out.stderr == ""


def test_the_lazy_table_and_all_agree():
    assert sorted(twinaudit._EXPORTS) == sorted(twinaudit.__all__)


def test_public_names_resolve():
    for name in twinaudit.__all__:
        assert getattr(twinaudit, name) is not None
    assert "generate" in dir(twinaudit)


def test_unknown_attribute():
    import pytest

    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        twinaudit.nope  # noqa: B018


def test_a_full_audit_through_the_top_level_api(loan_tree):
    from twinaudit.datasets import loan_twin_spec

    twins = twinaudit.generate(loan_twin_spec(1), 100)
    report = twinaudit.audit(loan_tree, twins, libraries=False)
    assert isinstance(report, twinaudit.AuditReport)
