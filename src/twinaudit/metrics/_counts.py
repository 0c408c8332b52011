"""The count engine: every group metric of decisions is a function of a small
table of (group, decision) counts, which ``np.bincount`` builds in milliseconds
for millions of rows."""

from __future__ import annotations

import numpy as np


def decision_counts(
    group_codes: np.ndarray,
    y_pred: np.ndarray,
    n_groups: int,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """``(n_groups, 2)`` counts: column 0 unfavourable, column 1 favourable."""
    cells = np.bincount(
        group_codes.astype(np.int64) * 2 + y_pred.astype(np.int64),
        weights=weights,
        minlength=2 * n_groups,
    )
    return cells.reshape(n_groups, 2)


def paired_counts(reference: np.ndarray, other: np.ndarray) -> np.ndarray:
    """2x2 table of paired decisions: rows the reference twin (favourable,
    unfavourable), columns the other twin (favourable, unfavourable)."""
    cells = np.bincount(
        (1 - reference.astype(np.int64)) * 2 + (1 - other.astype(np.int64)), minlength=4
    )
    return cells.reshape(2, 2)
