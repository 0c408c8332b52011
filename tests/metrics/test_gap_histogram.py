"""Score-gap histograms where float rounding leaves a range too narrow for the bins
(a linear model's gaps are one coefficient, apart only in the last bits): numpy
refuses 20 bins there; the audit shows one bin from the smallest gap to the
largest. Found when a LinearSVC audit failed with numpy's ValueError."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.svm import LinearSVC

from twinaudit.metrics._stats import gap_histogram
from twinaudit.report import audit
from twinaudit.spec import Integer, ProtectedAttribute, TwinSpec

NARROW = 0.3 + np.array([0.0, 1.0, 1.0, 2.0]) * 2**-54


def test_numpy_refuses_twenty_bins_on_this_range():
    with pytest.raises(ValueError, match="Too many bins"):
        np.histogram(NARROW, bins=20)


def test_a_range_too_narrow_for_the_bins_gives_one_bin():
    counts, edges = gap_histogram(NARROW, 20)
    assert counts.tolist() == [4]
    assert edges.tolist() == [NARROW.min(), NARROW.max()]
    weighted, _ = gap_histogram(NARROW, 20, weights=np.array([1.0, 2.0, 3.0, 4.0]))
    assert weighted.tolist() == [10.0]
    # a given range, itself too narrow for 20 bins, is kept
    wider = (NARROW[0], NARROW[-1] + 2**-54)
    ranged, edges = gap_histogram(NARROW, 20, range=wider)
    assert ranged.tolist() == [4] and edges.tolist() == list(wider)


def test_a_wide_enough_range_keeps_numpys_bins():
    values = np.array([0.0, 0.25, 1.0])
    counts, edges = gap_histogram(values, 4)
    expected = np.histogram(values, bins=4)
    assert counts.tolist() == expected[0].tolist() == [1, 1, 0, 1]
    np.testing.assert_array_equal(edges, expected[1])


def test_a_given_range_and_weights_are_numpys():
    counts, edges = gap_histogram(np.array([0.2, 0.3]), 2, range=(0.0, 1.0))
    assert counts.tolist() == [2, 0] and edges.tolist() == [0.0, 0.5, 1.0]
    counts, _ = gap_histogram(np.array([0.0, 1.0]), 2, weights=np.array([2.0, 3.0]))
    assert counts.tolist() == [2.0, 3.0]


def test_other_histogram_errors_are_not_hidden():
    with pytest.raises(ValueError, match="not finite"):
        gap_histogram(np.array([0.0, np.nan]), 4)


def test_a_linear_svm_is_audited_with_its_decision_function():
    rng = np.random.default_rng(0)
    history = pd.DataFrame(
        {"sex_code": rng.integers(0, 2, 300), "x": rng.integers(0, 100, 300)}
    )
    y = ((history["sex_code"] == 1) | (history["x"] > 60)).astype(int)
    model = LinearSVC(random_state=0).fit(history, y)
    spec = TwinSpec(
        fields=[Integer("x", 0, 99)],
        protected=[ProtectedAttribute("sex_code", [0, 1], privileged=1)],
        seed=0,
    )
    report = audit(model, spec, n_pairs=200, n_boot=0)
    # Every gap is -coef(sex_code) (the other feature is the same), up to rounding.
    gap = report.counterfactual.set_index("group").loc[0, "mean_score_gap"]
    assert gap == pytest.approx(-model.coef_[0][0], rel=1e-9)
    (histogram,) = report.score_gaps
    assert sum(histogram["counts"]) == 200
