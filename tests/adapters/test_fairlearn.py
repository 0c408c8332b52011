import re

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    selection_rate,
)

from twinaudit.adapters import to_metric_frame
from twinaudit.adapters._fairlearn import fairlearn_group_metrics
from twinaudit.exceptions import DataError
from twinaudit.generation import from_frame
from twinaudit.metrics import cell_counts, decision_counts
from twinaudit.scoring import score

# Fairlearn's user-guide example (18 samples, groups a, b, c).
Y_TRUE = [0, 1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1]
Y_PRED = [0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0]
SF = [
    "b",
    "b",
    "a",
    "b",
    "b",
    "c",
    "c",
    "c",
    "a",
    "a",
    "c",
    "a",
    "b",
    "c",
    "c",
    "b",
    "c",
    "c",
]


def test_known_answer_fairlearn_user_guide_example():
    codes = np.array(["abc".index(s) for s in SF])
    counts = decision_counts(codes, np.array(Y_PRED), 3)
    rates = counts[:, 1] / counts.sum(axis=1)
    assert rates.tolist() == [0.75, 0.5, 0.5]
    cells = cell_counts(codes, np.array(Y_PRED), np.array(Y_TRUE), 3)
    out = fairlearn_group_metrics(cells, ["a", "b", "c"], labels=True)
    assert {g: v["selection_rate"] for g, v in out["by_group"].items()} == {
        "a": 0.75,
        "b": 0.5,
        "c": 0.5,
    }
    # The user guide's recall by group: a 0.5, b 0.6, c 0.4.
    assert [out["by_group"][g]["true_positive_rate"] for g in "abc"] == pytest.approx(
        [0.5, 0.6, 0.4]
    )
    assert out["demographic_parity_difference"] == pytest.approx(0.25)
    assert out["demographic_parity_ratio"] == pytest.approx(2 / 3)
    assert out["demographic_parity_difference"] == pytest.approx(
        demographic_parity_difference(Y_TRUE, Y_PRED, sensitive_features=SF)
    )


def test_metric_frame_by_group_equals_the_report(loan_scored, loan_report):
    mf = to_metric_frame(loan_scored)
    groups = loan_report.groups
    sel = groups[groups["population"] == "twins"].set_index("group")["selection_rate"]
    assert mf.by_group["selection_rate"]["Male"] == sel["Male"]
    assert mf.by_group["selection_rate"]["Female"] == sel["Female"]
    assert mf.by_group["count"].tolist() == [1000, 1000]
    assert mf.difference()["selection_rate"] == pytest.approx(
        loan_report.metric("demographic_parity_difference", source="fairlearn")
    )


def test_report_numbers_equal_fairlearn_on_the_full_data(loan_scored, loan_report):
    sf = loan_scored.twins.frame["Gender"].astype(str)
    y = loan_scored.y_pred
    assert loan_report.metric(
        "demographic_parity_difference", source="fairlearn"
    ) == pytest.approx(
        demographic_parity_difference(y, y, sensitive_features=sf), abs=1e-12
    )
    assert loan_report.metric(
        "demographic_parity_ratio", source="fairlearn"
    ) == pytest.approx(demographic_parity_ratio(y, y, sensitive_features=sf), abs=1e-12)
    full = MetricFrame(
        metrics=selection_rate, y_true=y, y_pred=y, sensitive_features=sf
    )
    assert full.by_group["Female"] == pytest.approx(
        loan_report.metric("selection_rate", group="Female", source="fairlearn"),
        abs=1e-12,
    )


def test_a_label_column_adds_error_rates():
    data = pd.DataFrame(
        {
            "sex": ["M", "F"] * 50,
            "income": np.arange(100),
            "repaid": np.tile([1, 0, 0, 1], 25),
        }
    )
    scored = score(
        lambda f: (f["income"] > 40).astype(int).to_numpy(),
        from_frame(data, {"sex": "M"}),
        features=["income", "sex"],
    )
    mf = to_metric_frame(scored, label_column="repaid")
    assert {"accuracy", "true_positive_rate", "false_positive_rate"} <= set(
        mf.by_group.columns
    )
    # Only the 100 real rows, never their counterfactual twins.
    assert mf.by_group["count"].sum() == 100
    expected = MetricFrame(
        metrics={"tpr": lambda t, p: ((t == 1) & (p == 1)).sum() / (t == 1).sum()},
        y_true=data["repaid"],
        y_pred=(data["income"] > 40).astype(int),
        sensitive_features=data["sex"],
    ).by_group["tpr"]
    assert mf.by_group["true_positive_rate"].to_dict() == pytest.approx(
        expected.to_dict()
    )
    with pytest.raises(DataError, match="Label column 'repayed' is not in the twins"):
        to_metric_frame(scored, label_column="repayed")


def test_without_labels_only_decision_metrics(loan_scored):
    from fairlearn.metrics import true_positive_rate

    with pytest.raises(
        DataError,
        match=re.escape(
            "Metric 'tpr' may need true labels, and twins carry none: only "
            "selection_rate, count and mean_prediction are computed on twins"
        ),
    ):
        to_metric_frame(loan_scored, metrics={"tpr": true_positive_rate})
    with pytest.raises(DataError, match=re.escape("Label metrics need real rows")):
        to_metric_frame(loan_scored, label_column="Income")


def test_intersectional_groups():
    from twinaudit.generation import generate
    from twinaudit.spec import Integer, ProtectedAttribute, TwinSpec

    spec = TwinSpec(
        fields=[Integer("x", 0, 9)],
        seed=0,
        protected=[
            ProtectedAttribute("sex", ["M", "F"], "M"),
            ProtectedAttribute("race", ["white", "black"], "white"),
        ],
    )
    scored = score(
        lambda f: ((f["sex"] == "M") | (f["x"] > 4)).to_numpy(), generate(spec, 500)
    )
    mf = to_metric_frame(scored)
    # Fairlearn orders groups alphabetically.
    assert set(mf.by_group.index) == {
        ("M", "white"),
        ("M", "black"),
        ("F", "white"),
        ("F", "black"),
    }
    assert mf.by_group["count"].tolist() == [500] * 4
    assert mf.by_group.loc[("M", "black"), "selection_rate"] == 1.0
