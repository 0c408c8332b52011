"""The decisions read off ``predict_proba`` are ``np.argmax``'s, whatever the values:
ties go to the first column, a NaN wins where numpy's argmax takes it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from twinaudit.scoring._score import _argmax_rows

special = st.sampled_from([0.0, -0.0, 0.5, 1.0, np.nan, np.inf, -np.inf])
values = st.one_of(special, st.floats(allow_nan=True, allow_infinity=True))


@settings(max_examples=300, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(0, 30), st.integers(1, 4)),
        elements=values,
    )
)
def test_equals_numpy_argmax_for_any_values(proba: np.ndarray) -> None:
    expected = np.argmax(proba, axis=1)
    got = _argmax_rows(proba)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_two_columns_by_hand(dtype: type) -> None:
    proba = np.array([[3, 7], [7, 3], [5, 5], [0, 1]], dtype=dtype)
    np.testing.assert_array_equal(_argmax_rows(proba), [1, 0, 0, 1])


def test_nan_is_taken_where_argmax_takes_it() -> None:
    proba = np.array([[np.nan, 1.0], [1.0, np.nan], [np.nan, np.nan], [0.2, 0.1]])
    # argmax: the first NaN is the maximum.
    np.testing.assert_array_equal(_argmax_rows(proba), [0, 1, 0, 0])
