"""The equalized odds ratio when one rate is 0 in every group: the other rate's
ratio, as the registry defines it (undefined only where a rate is undefined for a
group, or both maxima are 0), by hand and as Fairlearn computes it on the rows."""

from __future__ import annotations

import numpy as np
import pytest
from fairlearn.metrics import equalized_odds_ratio

from twinaudit.metrics import REGISTRY, cell_counts
from twinaudit.metrics._group import group_values


def rows(spec: list[tuple[int, int, int, int]]):
    """Rows from ``(group, decision, label, how many)``."""
    group, decision, label = (
        np.repeat([s[i] for s in spec], [s[3] for s in spec]) for i in range(3)
    )
    return group, decision, label


def ratio(group, decision, label) -> float:
    cells = cell_counts(group, decision, label, 2)
    return float(group_values(cells, 0)["equalized_odds_ratio"])


def test_no_false_positive_anywhere_leaves_the_tpr_ratio():
    # Group 0: TPR 4/4; group 1: TPR 2/4; nobody with label 0 is favoured.
    group, decision, label = rows(
        [(0, 1, 1, 4), (0, 0, 0, 3), (1, 1, 1, 2), (1, 0, 1, 2), (1, 0, 0, 5)]
    )
    assert ratio(group, decision, label) == 0.5  # min TPR / max TPR, by hand
    # Fairlearn on the rows (its min over [TPR ratio, FPR ratio] keeps the TPR one).
    assert equalized_odds_ratio(label, decision, sensitive_features=group) == 0.5


def test_no_true_positive_anywhere_leaves_the_fpr_ratio():
    # Nobody with label 1 is favoured; FPR 2/4 and 1/4.
    group, decision, label = rows(
        [
            (0, 0, 1, 3),
            (0, 1, 0, 2),
            (0, 0, 0, 2),
            (1, 0, 1, 1),
            (1, 1, 0, 1),
            (1, 0, 0, 3),
        ]
    )
    assert ratio(group, decision, label) == 0.5


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        # both maxima 0: nobody is favoured
        ([(0, 0, 1, 2), (0, 0, 0, 2), (1, 0, 1, 3), (1, 0, 0, 1)], "both maxima"),
        # group 1 has no favourable label: its TPR is undefined
        ([(0, 1, 1, 2), (0, 0, 0, 2), (1, 1, 0, 1), (1, 0, 0, 3)], "undefined TPR"),
    ],
)
def test_undefined_where_the_registry_says(spec, why):
    assert np.isnan(ratio(*rows(spec))), why
    assert REGISTRY["equalized_odds_ratio"].undefined == (
        "a rate is undefined for a group, or both maxima are 0"
    )
