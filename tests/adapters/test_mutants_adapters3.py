"""AIF360's Theil index works inside a caller's ``np.errstate(all="raise")``: a
defined index is AIF360's value, and an undefined one (every benefit 0, so AIF360
divides 0 by 0) is nan, not a FloatingPointError."""

from __future__ import annotations

import math

import numpy as np

from twinaudit.adapters._aif360 import aif360_theil_index
from twinaudit.adapters._fairlearn import fairlearn_group_metrics


def test_theil_index_inside_a_raising_errstate():
    group = np.array([0, 0, 1, 1, 1])
    y_true = np.array([1, 1, 0, 1, 0])
    y_pred = np.array([0, 1, 1, 1, 0])  # one false negative: benefit 0
    # By hand: benefits b = pred - true + 1 = [0, 1, 2, 1, 1], mean 1;
    # Theil = mean(b * log b) with 0 log 0 = 0: (2 log 2) / 5.
    expected = 2 * math.log(2) / 5
    with np.errstate(all="raise"):
        value = aif360_theil_index(group, y_pred, y_true)
    assert math.isclose(value, expected, rel_tol=1e-12)


def test_undefined_theil_index_is_nan_inside_a_raising_errstate():
    # Every row a false negative: every benefit 0, their mean 0, and AIF360
    # divides 0 by 0. The index is undefined: nan, not a FloatingPointError.
    group = np.array([0, 0, 1, 1])
    with np.errstate(all="raise"):
        value = aif360_theil_index(group, np.zeros(4), np.ones(4))
    assert np.isnan(value)


def cells_of(rows: list[tuple[int, int, int, int]], n_groups: int) -> np.ndarray:
    """[group, decision, label] counts from (group, decision, label, count) rows."""
    cells = np.zeros((n_groups, 2, 2), dtype=np.int64)
    for g, d, y, count in rows:
        cells[g, d, y] += count
    return cells


def test_fairlearn_leaves_out_empty_groups_and_keeps_one_row_groups():
    # Group "b" has no rows; group "c" has one row (favourable).
    cells = cells_of([(0, 1, 0, 3), (0, 0, 0, 1), (2, 1, 0, 1)], 3)
    out = fairlearn_group_metrics(cells, ["a", "b", "c"], labels=False)
    assert set(out["by_group"]) == {"a", "c"}
    assert out["by_group"]["a"]["selection_rate"] == 0.75
    assert out["by_group"]["c"]["selection_rate"] == 1.0
    assert out["demographic_parity_difference"] == 0.25
    assert out["demographic_parity_ratio"] == 0.75


def test_fairlearn_precision_of_a_group_without_favourable_decisions_is_nan():
    # Group 1 gets no favourable decision: precision 0/0.
    cells = cells_of(
        [(0, 1, 1, 2), (0, 1, 0, 2), (0, 0, 1, 1), (1, 0, 1, 3), (1, 0, 0, 1)], 2
    )
    out = fairlearn_group_metrics(cells, [0, 1], labels=True)
    assert out["by_group"][0]["precision"] == 0.5
    assert np.isnan(out["by_group"][1]["precision"])
    assert out["by_group"][1]["true_positive_rate"] == 0.0


def test_fairlearn_metrics_inside_a_raising_errstate():
    # No negatives in group 1 (its false positive rate is 0/0) and no favourable
    # decision anywhere in group 1: divisions by zero inside Fairlearn.
    cells = cells_of([(0, 1, 1, 2), (0, 0, 0, 2), (1, 0, 1, 4)], 2)
    with np.errstate(all="raise"):
        out = fairlearn_group_metrics(cells, ["x", "y"], labels=True)
        twins = fairlearn_group_metrics(
            cells_of([(0, 0, 0, 2), (1, 0, 0, 2)], 2), ["x", "y"], labels=False
        )
    assert out["by_group"]["x"]["true_positive_rate"] == 1.0
    assert out["by_group"]["y"]["selection_rate"] == 0.0
    assert np.isnan(twins["demographic_parity_ratio"])  # 0 / 0
    assert twins["demographic_parity_difference"] == 0.0


def test_the_aif360_dataset_names_the_privileged_code_of_a_three_valued_attribute():
    # AIF360's default would take the highest code (2.0, value "c") as privileged.
    import twinaudit as ta
    from twinaudit.adapters import to_binary_label_dataset
    from twinaudit.scoring import score

    spec = ta.TwinSpec(
        fields=[ta.Integer("income", 0, 100)],
        protected=[ta.ProtectedAttribute("race", ["a", "b", "c"], privileged="b")],
        seed=1,
    )
    scored = score(
        lambda f: (f["income"] > 50).astype(int).to_numpy(),
        ta.generate(spec, 20),
        allow_unread=True,
    )
    data = to_binary_label_dataset(scored)
    assert sorted(np.unique(data.protected_attributes).tolist()) == [0.0, 1.0, 2.0]
    assert [a.tolist() for a in data.privileged_protected_attributes] == [[1.0]]
    assert [a.tolist() for a in data.unprivileged_protected_attributes] == [[0.0, 2.0]]
    assert (data.favorable_label, data.unfavorable_label) == (1.0, 0.0)
