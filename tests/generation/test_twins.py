import re

import numpy as np
import pandas as pd
import pytest

from twinaudit.exceptions import DataError, TwinsInvariantError
from twinaudit.generation import Twins, check_twins
from twinaudit.spec import ProtectedAttribute


def frame(**overrides):
    data = {
        "pair_id": [0, 0, 1, 1],
        "sex": ["M", "F", "M", "F"],
        "income": [50.0, 50.0, 90.0, 90.0],
        "name": ["Tom", "Ann", "Bob", "Eve"],
    }
    data.update(overrides)
    return pd.DataFrame(data)


def test_valid_user_twins_pass_and_infer_values_with_privileged_first():
    twins = check_twins(frame(), {"sex": "M"}, proxies=["name"])
    assert twins.attribute("sex").values == ("M", "F")
    assert twins.n_pairs == 2
    assert twins.combinations() == [("M",), ("F",)]


def test_rows_are_put_in_canonical_order():
    shuffled = frame().iloc[[3, 0, 2, 1]]
    twins = check_twins(shuffled, {"sex": "M"}, proxies=["name"])
    assert twins.frame["sex"].tolist() == ["M", "F", "M", "F"]
    assert twins.frame["pair_id"].tolist() == [1, 1, 0, 0]


def test_an_undeclared_column_that_differs_is_named_with_an_example():
    message = (
        "Twins must differ only in protected and declared proxy columns, but 1 other "
        "column(s) differ within pairs:\n  'name': 2 pair(s), e.g. pair 0 has ['Tom', 'Ann']"
    )
    with pytest.raises(TwinsInvariantError, match=re.escape(message)):
        check_twins(frame(), {"sex": "M"})


def test_nan_equals_nan_within_a_pair():
    check_twins(
        frame(income=[np.nan, np.nan, 1.0, 1.0]), {"sex": "M"}, proxies=["name"]
    )
    with pytest.raises(TwinsInvariantError, match="'income'"):
        check_twins(
            frame(income=[np.nan, 2.0, 1.0, 1.0]), {"sex": "M"}, proxies=["name"]
        )


def test_a_missing_or_repeated_combination_is_reported():
    with pytest.raises(
        TwinsInvariantError,
        match=re.escape(
            "1 pair(s) do not hold each combination of ['sex'] exactly once"
        ),
    ):
        check_twins(frame(sex=["M", "M", "M", "F"]), {"sex": "M"}, proxies=["name"])
    with pytest.raises(TwinsInvariantError, match="exactly once"):
        check_twins(frame().iloc[:3], {"sex": "M"}, proxies=["name"])


def test_declared_values_must_cover_the_data():
    attribute = ProtectedAttribute("sex", ["M", "F"], "M")
    with pytest.raises(
        DataError,
        match=re.escape(
            "Protected column 'sex' in the twins holds values ['X'] that are not declared"
        ),
    ):
        check_twins(frame(sex=["M", "X", "M", "F"]), [attribute], proxies=["name"])


def test_missing_columns_and_empty_tables():
    with pytest.raises(
        DataError,
        match=re.escape(
            "The proxy column 'nam' is not in the data. Did you mean 'name'?"
        ),
    ):
        check_twins(frame(), {"sex": "M"}, proxies=["nam"])
    with pytest.raises(
        DataError, match=re.escape("The pair column 'pair' is not in the data.")
    ):
        check_twins(frame(), {"sex": "M"}, pair_column="pair", proxies=["name"])
    with pytest.raises(DataError, match="empty"):
        check_twins(frame().iloc[:0], [ProtectedAttribute("sex", ["M", "F"], "M")])
    with pytest.raises(DataError, match="missing value"):
        check_twins(frame(sex=["M", None, "M", "F"]), {"sex": "M"})


def test_not_a_dataframe():
    with pytest.raises(
        DataError, match=re.escape("Twins need a pandas DataFrame. Got list.")
    ):
        Twins([1, 2], {"sex": "M"})


def test_a_privileged_value_absent_from_the_twins_is_named():
    with pytest.raises(
        DataError,
        match=re.escape(
            "The privileged value 'Male' of 'sex' does not occur in the twins, which "
            "hold ['F', 'M']; pass one of those."
        ),
    ):
        check_twins(frame(), {"sex": "Male"}, proxies=["name"])
