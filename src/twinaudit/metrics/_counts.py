"""The count engine: every group metric is a function of a small table of counts.

- Real rows (the ``observed`` population): ``(n_groups, 2, 2)`` counts of
  (group, decision, true label), built with ``np.bincount`` in milliseconds for
  millions of rows.
- Twins: the table of distinct per-profile decision patterns and how many base
  profiles show each. Every decision metric on the twins, and every paired
  statistic of decisions, is a function of it; resampling base profiles for a
  bootstrap is a multinomial draw over it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["cell_counts", "decision_counts", "paired_counts", "pattern_counts"]


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


def cell_counts(
    group_codes: np.ndarray,
    y_pred: np.ndarray,
    y_true: np.ndarray | None,
    n_groups: int,
) -> np.ndarray:
    """``(n_groups, 2, 2)`` counts indexed ``[group, decision, label]`` (0
    unfavourable, 1 favourable). Without labels every row counts as label 0."""
    label = np.zeros(len(y_pred), np.int64) if y_true is None else y_true
    cells = np.bincount(
        (group_codes.astype(np.int64) * 2 + y_pred.astype(np.int64)) * 2
        + np.asarray(label, dtype=np.int64),
        minlength=4 * n_groups,
    )
    return cells.reshape(n_groups, 2, 2)


def paired_counts(reference: np.ndarray, other: np.ndarray) -> np.ndarray:
    """2x2 table of paired decisions: rows the reference twin (favourable,
    unfavourable), columns the other twin (favourable, unfavourable)."""
    cells = np.bincount(
        (1 - reference.astype(np.int64)) * 2 + (1 - other.astype(np.int64)), minlength=4
    )
    return cells.reshape(2, 2)


def pattern_counts(decisions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a ``(n_profiles, n_variants)`` 0/1 decision matrix and
    how many profiles show each: ``(patterns (k, n_variants) int8, counts (k,))``,
    patterns in increasing binary order."""
    n, m = decisions.shape
    if n == 0:
        return np.zeros((0, m), np.int8), np.zeros(0, np.int64)
    if m <= 62:
        weights = np.left_shift(np.int64(1), np.arange(m - 1, -1, -1, dtype=np.int64))
        code = decisions.astype(np.int64) @ weights
        values, counts = np.unique(code, return_counts=True)
        bits = (values[:, None] >> np.arange(m - 1, -1, -1)) & 1
        return bits.astype(np.int8), counts.astype(np.int64)
    rows, counts = np.unique(decisions.astype(np.int8), axis=0, return_counts=True)
    return rows, counts.astype(np.int64)
