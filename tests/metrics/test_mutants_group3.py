"""Survivors of the metrics group's mutation run, each now noticed: a bootstrap
replicate in which only one group has rows has no spread (whatever the others
have), and comparisons refuse attribute lists that do not line up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from twinaudit.exceptions import DataError
from twinaudit.metrics import comparisons
from twinaudit.metrics._group import group_values


def test_a_replicate_with_one_group_has_no_spread_whatever_the_others_have():
    # [replicate, group, decision, label]: replicate 0 has both groups, replicate 1
    # only group 0 (a small group resampled to no rows).
    cells = np.zeros((2, 2, 2, 2))
    cells[0, 0, 1, 0], cells[0, 0, 0, 0] = 3, 1  # group 0: 3 of 4 favourable
    cells[0, 1, 1, 0], cells[0, 1, 0, 0] = 1, 3  # group 1: 1 of 4
    cells[1, 0, 1, 0], cells[1, 0, 0, 0] = 2, 2
    out = group_values(cells, privileged=0)
    assert out["demographic_parity_difference"][0] == pytest.approx(0.5)
    assert out["demographic_parity_ratio"][0] == pytest.approx(1 / 3)
    assert np.isnan(out["demographic_parity_difference"][1])
    assert np.isnan(out["demographic_parity_ratio"][1])


@pytest.mark.parametrize(
    ("names", "values", "privileged", "counts"),
    [
        (["a", "b"], [[0, 1]], [0, 0], "2 names, 1 value lists and 2 privileged"),
        (["a"], [[0, 1]], [0, 1], "1 names, 1 value lists and 2 privileged"),
        (["a", "b"], [[0, 1], [0, 1]], [0], "2 names, 2 value lists and 1 privileged"),
    ],
)
def test_comparisons_refuse_lists_that_do_not_line_up(
    names, values, privileged, counts
):
    with pytest.raises(DataError, match=counts):
        comparisons(names, values, privileged)


def test_comparisons_refuse_a_privileged_value_not_among_the_values():
    with pytest.raises(DataError, match=r"privileged value 'x' of 'b' is not among"):
        comparisons(["a", "b"], [[0, 1], ["y", "z"]], [1, "x"])


def test_comparisons_of_two_attributes_by_hand():
    # Columns: the product of a = [0, 1] and b = ["y", "z"], b fastest.
    items = comparisons(["a", "b"], [[0, 1], ["y", "z"]], [1, "z"])
    found = {(c.attribute, c.group): c.columns for c in items}
    assert found[("a", 0)] == ((2, 0), (3, 1))
    assert found[("b", "y")] == ((1, 0), (3, 2))


def test_a_row_without_a_key_gets_nan_as_pandas_gives_it():
    from twinaudit.metrics._group import result_frame

    frame = result_frame([{"a": 1, "b": "x"}, {"a": 2}], ["a", "b"])
    expected = pd.DataFrame(
        [{"a": 1, "b": "x"}, {"a": 2}], columns=["a", "b"], dtype=object
    )
    assert frame["b"].iloc[0] == "x"
    missing = frame["b"].iloc[1]
    assert missing is not None and isinstance(missing, float) and np.isnan(missing)
    assert expected["b"].iloc[1] is not None and np.isnan(expected["b"].iloc[1])
    assert frame["a"].tolist() == [1, 2] and frame["a"].dtype == np.int64
