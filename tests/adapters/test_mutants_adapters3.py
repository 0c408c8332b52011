"""AIF360's Theil index works inside a caller's ``np.errstate(all="raise")``: a
defined index is AIF360's value, and an undefined one (every benefit 0, so AIF360
divides 0 by 0) is nan, not a FloatingPointError."""

from __future__ import annotations

import math

import numpy as np

from twinaudit.adapters._aif360 import aif360_theil_index


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
