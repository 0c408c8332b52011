import warnings

import numpy as np
import pytest

from twinaudit.exceptions import UndefinedMetricWarning
from twinaudit.generation import generate
from twinaudit.metrics import decision_counts, disparity_table, selection_table
from twinaudit.scoring import score
from twinaudit.spec import Integer, ProtectedAttribute, TwinSpec

SPEC = TwinSpec(
    fields=[Integer("x", 0, 9)],
    seed=0,
    protected=[ProtectedAttribute("sex", ["M", "F"], "M")],
)


def test_decision_counts_with_weights():
    counts = decision_counts(
        np.array([0, 0, 1, 1, 1]),
        np.array([1, 0, 1, 1, 0]),
        2,
        weights=np.array([1.0, 2.0, 1.0, 1.0, 3.0]),
    )
    assert counts.tolist() == [[2.0, 1.0], [3.0, 2.0]]


def test_selection_and_disparities():
    scored = score(
        lambda f: ((f["sex"] == "M") | (f["x"] > 4)).to_numpy(), generate(SPEC, 400)
    )
    selection = selection_table(scored).set_index("value")
    female = (generate(SPEC, 400).frame["x"].iloc[::2] > 4).mean()
    assert selection.loc["M", "selection_rate"] == 1.0
    assert selection.loc["F", "selection_rate"] == pytest.approx(female)
    table = disparity_table(scored, selection.reset_index()).set_index("metric")
    assert table.loc["statistical_parity_difference", "value"] == pytest.approx(
        female - 1
    )
    assert table.loc["disparate_impact", "value"] == pytest.approx(female)
    assert table.loc["demographic_parity_difference", "value"] == pytest.approx(
        1 - female
    )


def test_undefined_metrics_warn_and_say_why():
    scored = score(lambda f: np.zeros(len(f), dtype=int), generate(SPEC, 10))
    with pytest.warns(UndefinedMetricWarning) as record:
        table = disparity_table(scored, selection_table(scored))
    assert [str(w.message) for w in record] == [
        "disparate impact of sex='F' is undefined: the privileged group ('M') is never "
        "favoured.",
        "demographic parity ratio of sex is undefined: no group is ever favoured.",
    ]
    metrics = table.set_index("metric")
    assert np.isnan(metrics.loc["disparate_impact", "value"])
    assert np.isnan(metrics.loc["demographic_parity_ratio", "value"])
    assert "never favoured" in metrics.loc["disparate_impact", "undefined"]
    assert metrics.loc["statistical_parity_difference", "value"] == 0


def test_defined_metrics_do_not_warn():
    scored = score(lambda f: (f["x"] > 4).to_numpy(), generate(SPEC, 50))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        disparity_table(scored, selection_table(scored))
