import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from twinaudit.adapters import (
    attribute_codes,
    privileged_groups,
    to_binary_label_dataset,
    to_classification_datasets,
    unprivileged_groups,
)
from twinaudit.adapters._aif360 import aif360_group_metrics
from twinaudit.adapters._lazy import import_aif360
from twinaudit.generation import from_frame, generate
from twinaudit.metrics import cell_counts
from twinaudit.scoring import score
from twinaudit.spec import Integer, ProtectedAttribute, Provider, TwinSpec

metrics = import_aif360("aif360.metrics")


def test_dataset_holds_decisions_codes_and_maps(loan_scored):
    ds = to_binary_label_dataset(loan_scored)
    assert ds.protected_attribute_names == ["Gender"]
    assert ds.labels.ravel().tolist() == loan_scored.y_pred.astype(float).tolist()
    assert ds.metadata["protected_attribute_maps"] == [{1.0: "Male", 0.0: "Female"}]
    assert ds.metadata["label_maps"] == [{1.0: 1, 0.0: "unfavourable"}]
    encoding = ds.metadata["twinaudit"]["encoding"]
    names = ds.features[:, ds.feature_names.index("Name")]
    assert (
        encoding.decode("Name", names[:2])
        == loan_scored.twins.frame["Name"].head(2).tolist()
    )
    assert np.allclose(ds.scores.ravel(), loan_scored.scores)
    assert privileged_groups(loan_scored) == [{"Gender": 1.0}]
    assert unprivileged_groups(loan_scored) == [{"Gender": 0.0}]


def test_metrics_on_the_dataset_equal_the_report(loan_scored, loan_report):
    ds = to_binary_label_dataset(loan_scored)
    m = metrics.BinaryLabelDatasetMetric(
        ds,
        unprivileged_groups=unprivileged_groups(loan_scored),
        privileged_groups=privileged_groups(loan_scored),
    )
    assert m.statistical_parity_difference() == pytest.approx(
        loan_report.metric("statistical_parity_difference", source="aif360"), abs=1e-12
    )
    assert m.disparate_impact() == pytest.approx(
        loan_report.metric("disparate_impact", source="aif360"), abs=1e-12
    )
    assert m.disparate_impact() == pytest.approx(loan_report.metric("disparate_impact"))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_count_table_gives_the_same_numbers_as_the_full_data(seed):
    rng = np.random.default_rng(seed)
    attribute = ProtectedAttribute("race", ["white", "black", "asian"], "white")
    codes = rng.integers(0, 3, 5000)
    y = (rng.random(5000) < np.array([0.7, 0.4, 0.55])[codes]).astype(np.int8)
    aif = attribute_codes(attribute)
    fast = aif360_group_metrics(
        cell_counts(codes, y, None, 3),
        [{"race": aif[v]} for v in attribute.values],
        0,
        labels=False,
    )
    table = np.array([attribute_codes(attribute)[v] for v in attribute.values])[codes]
    datasets = import_aif360("aif360.datasets")
    full = datasets.BinaryLabelDataset(
        df=pd.DataFrame({"race": table, "y": y.astype(float)}),
        label_names=["y"],
        protected_attribute_names=["race"],
    )
    for index, value in ((1, "black"), (2, "asian")):
        m = metrics.BinaryLabelDatasetMetric(
            full,
            unprivileged_groups=[{"race": attribute_codes(attribute)[value]}],
            privileged_groups=[{"race": 1.0}],
        )
        assert fast[index]["statistical_parity_difference"] == pytest.approx(
            m.statistical_parity_difference(), abs=1e-12
        )
        assert fast[index]["disparate_impact"] == pytest.approx(
            m.disparate_impact(), abs=1e-12
        )


def test_undefined_disparate_impact_is_nan_without_warnings():
    cells = cell_counts(np.array([0, 0, 1, 1]), np.array([0, 0, 1, 0]), None, 2)
    out = aif360_group_metrics(cells, [{"g": 1.0}, {"g": 0.0}], 0, labels=False)
    assert np.isnan(out[1]["disparate_impact"])
    assert out[1]["statistical_parity_difference"] == 0.5


def test_classification_datasets_feed_classification_metric():
    data = pd.DataFrame(
        {
            "sex": ["M", "F", "F", "M", "F", "M"] * 50,
            "income": np.arange(300) * 100,
            "repaid": np.tile([1, 0, 1, 1, 0, 0], 50),
        }
    )
    twins = from_frame(data, {"sex": "M"})
    scored = score(
        lambda f: (f["income"] > 10_000).astype(int).to_numpy(),
        twins,
        features=["income", "sex"],
    )
    truth, pred = to_classification_datasets(scored, "repaid")
    # Only the real rows: a counterfactual twin's label is not its outcome.
    assert truth.labels.ravel().tolist() == data["repaid"].astype(float).tolist()
    assert "repaid" not in truth.feature_names
    cm = metrics.ClassificationMetric(
        truth,
        pred,
        unprivileged_groups=[{"sex": 0.0}],
        privileged_groups=[{"sex": 1.0}],
    )
    y_true = data["repaid"].to_numpy()
    y_pred = (data["income"] > 10_000).to_numpy()
    male = data["sex"].to_numpy() == "M"

    def tpr(mask):
        return ((y_pred == 1) & (y_true == 1) & mask).sum() / (
            (y_true == 1) & mask
        ).sum()

    assert cm.true_positive_rate_difference() == pytest.approx(tpr(~male) - tpr(male))


def test_aif360_import_is_quiet_and_leaves_logging_alone():
    code = (
        "import logging, twinaudit.adapters._lazy as lazy\n"
        "lazy.import_aif360('aif360.algorithms.preprocessing')\n"
        "print(len(logging.getLogger().handlers))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout == "0\n"
    assert out.stderr == ""


def test_multi_valued_attribute_codes():
    attribute = ProtectedAttribute("race", ["black", "white", "asian"], "white")
    assert attribute_codes(attribute) == {"white": 1.0, "black": 0.0, "asian": 2.0}
    spec = TwinSpec(
        fields=[Integer("x", 0, 9), Provider("job", "person.occupation")],
        protected=[attribute],
        seed=0,
    )
    scored = score(lambda f: (f["x"] > 4).to_numpy(), generate(spec, 30))
    ds = to_binary_label_dataset(scored)
    assert set(np.unique(ds.protected_attributes)) == {0.0, 1.0, 2.0}
    assert unprivileged_groups(scored) == [{"race": 0.0}, {"race": 2.0}]
    assert unprivileged_groups(scored, value="asian") == [{"race": 2.0}]
