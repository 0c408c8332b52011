import json
import re

import numpy as np
import pytest
from rich.console import Console

from twinaudit.datasets import loan_twin_spec
from twinaudit.exceptions import DataError, ModelError, OutputExistsError
from twinaudit.generation import from_frame
from twinaudit.report import audit
from twinaudit.spec import ProtectedAttribute


def test_every_pair_below_80000_flips_male_approved_female_denied(loan_report):
    decisions = loan_report.scored.decision_matrix()
    income = loan_report.twins.frame["Income"].to_numpy()[::2]
    below = income < 80_000
    assert below.sum() > 500
    assert (decisions[below, 0] == 1).all() and (decisions[below, 1] == 0).all()
    assert (decisions[:, 0] == 1).all()  # every male twin approved
    row = loan_report.flip("Gender", "Female")
    assert row.favours_group == 0 and row.favours_reference == loan_report.flipped_pairs
    assert row.mcnemar_p < 1e-100


def test_fairlearn_selection_by_group_is_in_the_report(loan_report):
    from fairlearn.metrics import MetricFrame, selection_rate

    y = loan_report.scored.y_pred
    sf = loan_report.twins.frame["Gender"].astype(str)
    direct = MetricFrame(
        metrics=selection_rate, y_true=y, y_pred=y, sensitive_features=sf
    )
    table = loan_report.selection.set_index("value")
    for value in ("Male", "Female"):
        assert table.loc[value, "fairlearn"] == pytest.approx(
            direct.by_group[value], abs=1e-12
        )
        assert table.loc[value, "fairlearn"] == pytest.approx(
            table.loc[value, "selection_rate"]
        )


def test_library_numbers_equal_twinaudits(loan_report):
    table = loan_report.disparities
    aif = table.dropna(subset=["aif360"])
    np.testing.assert_allclose(aif["aif360"], aif["value"], atol=1e-12)
    fair = table.dropna(subset=["fairlearn"])
    np.testing.assert_allclose(fair["fairlearn"], fair["value"], atol=1e-12)
    assert len(aif) == 2 and len(fair) == 2


def test_json_is_valid_strict_json_and_never_overwrites(loan_report, tmp_path):
    data = json.loads(loan_report.to_json())
    assert data["pairs"] == 1000
    assert data["flip_rate"] == loan_report.flip_rate
    assert data["counterfactual"][0]["group"] == "Female"
    assert data["protected"][0]["privileged"] == "Male"
    path = tmp_path / "report.json"
    path.write_text("keep me")
    with pytest.raises(OutputExistsError):
        loan_report.to_json(path)
    assert path.read_text() == "keep me"
    loan_report.to_json(path, overwrite=True)
    assert json.loads(path.read_text())["model"] == "DecisionTreeClassifier"


def test_markdown_and_console_show_the_numbers(loan_report):
    md = loan_report.to_markdown()
    assert f"{loan_report.flip_rate:.1%}" in md
    assert "| Gender | Female vs Male |" in md
    console = Console(width=160, record=True)
    console.print(loan_report)
    text = console.export_text()
    assert "Counterfactual flips" in text and "statistical parity difference" in text
    assert f"{loan_report.flipped_pairs:,}" in text


def test_summary_and_metric_lookup(loan_report):
    summary = loan_report.summary()
    assert summary["flip_rate"] == loan_report.flip_rate
    assert summary["statistical_parity_difference[Gender=Female]"] == pytest.approx(
        loan_report.metric("statistical_parity_difference")
    )
    with pytest.raises(DataError, match="Unknown metric 'accuracy'"):
        loan_report.metric("accuracy")


def test_audit_a_spec_directly(loan_tree):
    report = audit(loan_tree, loan_twin_spec(), n_pairs=50, libraries=False)
    assert report.n_pairs == 50
    assert np.isnan(report.disparities["aif360"]).all()


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(model=object()), ModelError, "The model must be a fitted estimator"),
        (dict(n_pairs=5), DataError, "n_pairs is only used when auditing a TwinSpec"),
        (dict(confidence=95), DataError, "confidence must be between 0 and 1. Got 95."),
    ],
)
def test_bad_audit_calls(loan_tree, loan_twins, kwargs, error, message):
    kwargs.setdefault("model", loan_tree)
    with pytest.raises(error, match=re.escape(message)):
        audit(kwargs.pop("model"), loan_twins, **kwargs)


def test_a_protected_value_not_in_the_spec(loan_tree):
    import pandas as pd

    rows = pd.DataFrame({"Gender": ["Male", "Other"], "Income": [1, 2]})
    attribute = ProtectedAttribute(
        "Gender",
        ["Male", "Female"],
        "Male",
        model_column="Gender_Code",
        encoding={"Male": 1, "Female": 0},
    )
    with pytest.raises(
        DataError,
        match=re.escape(
            "Protected column 'Gender' in the data holds values ['Other'] that are not "
            "declared; declared values are ['Male', 'Female']"
        ),
    ):
        from_frame(rows, [attribute])
    with pytest.raises(DataError, match="audit needs Twins"):
        audit(loan_tree, rows)
