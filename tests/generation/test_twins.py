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


# -- pair order on every path (issue 6 item 6) --------------------------------------
def column_major():
    """Rows M, M, F, F: pairs 0, 1, 0, 1 (all privileged twins first)."""
    return pd.DataFrame(
        {
            "pair_id": [0, 1, 0, 1],
            "sex": ["M", "M", "F", "F"],
            "income": [50, 90, 50, 90],
        }
    )


@pytest.mark.parametrize("validate", [True, False])
def test_rows_are_put_in_pair_order_with_or_without_validation(validate):
    factual = np.array([True, True, False, False])
    twins = Twins(column_major(), {"sex": "M"}, factual=factual, validate=validate)
    assert twins.frame["pair_id"].tolist() == [0, 0, 1, 1]
    assert twins.frame["sex"].tolist() == ["M", "F", "M", "F"]
    assert twins.frame["income"].tolist() == [50, 50, 90, 90]
    # the factual marks travel with their rows: rows 0, 2, 1, 3 of the input
    assert twins.factual.tolist() == [True, False, True, False]
    assert isinstance(twins.frame.index, pd.RangeIndex)


@pytest.mark.parametrize("validate", [True, False])
def test_a_model_that_ignores_the_attribute_never_flips(validate):
    from twinaudit.scoring import score

    twins = Twins(column_major(), {"sex": "M"}, validate=validate)
    scored = score(lambda f: (f["income"] > 60).to_numpy(), twins)
    decisions = scored.decision_matrix()
    assert decisions.tolist() == [[0, 0], [1, 1]]


@pytest.mark.parametrize("validate", [True, False])
def test_unordered_twins_with_a_missing_combination_are_refused(validate):
    broken = column_major().assign(sex=["M", "M", "M", "F"])
    with pytest.raises(
        TwinsInvariantError,
        match=re.escape(
            "1 pair(s) do not hold each combination of ['sex'] exactly once (each "
            "pair needs 2 rows: [('M',), ('F',)]). Pair 0 has [{'sex': 'M'}, "
            "{'sex': 'M'}]. Drop incomplete pairs or add the missing twins."
        ),
    ):
        Twins(broken, {"sex": "M"}, validate=validate)


@pytest.mark.parametrize("validate", [True, False])
@pytest.mark.parametrize(
    "index",
    [["a", "b", "c", "d"], [3, 1, 2, 0], pd.RangeIndex(10, 14)],
    ids=["strings", "shuffled-ints", "offset-range"],
)
def test_any_index_comes_out_as_a_range(validate, index):
    twins = Twins(
        frame().set_axis(index), {"sex": "M"}, proxies=["name"], validate=validate
    )
    assert twins.frame.index.equals(pd.RangeIndex(4))
    assert twins.frame["name"].tolist() == ["Tom", "Ann", "Bob", "Eve"]


VALUE_SETS = {
    2: ["M", "F"],
    3: ["white", "black", "asian"],
    4: [1, 2, 3, 4],
}


@pytest.mark.parametrize("validate", [True, False])
@pytest.mark.parametrize("k", [2, 3, 4])
@pytest.mark.parametrize("privileged_at", ["first", "last"])
def test_shuffled_rows_follow_the_declared_value_order(validate, k, privileged_at):
    values = VALUE_SETS[k]
    privileged = values[0] if privileged_at == "first" else values[-1]
    attribute = ProtectedAttribute("a", values, privileged)
    n = 5
    rng = np.random.default_rng(k)
    data = pd.DataFrame(
        {
            "pair_id": np.repeat(np.arange(100, 100 + n), k),
            "a": values * n,
            "x": np.repeat(np.arange(n) * 10, k),
        }
    )
    shuffled = data.iloc[rng.permutation(len(data))]
    twins = Twins(shuffled, [attribute], validate=validate)
    # canonical order: pairs in order of first appearance, values in declared order
    first_seen = pd.unique(shuffled["pair_id"])
    assert twins.frame["pair_id"].tolist() == np.repeat(first_seen, k).tolist()
    assert twins.frame["a"].tolist() == values * n
    assert twins.frame["x"].tolist() == np.repeat((first_seen - 100) * 10, k).tolist()


@pytest.mark.parametrize("validate", [True, False])
def test_two_attributes_are_ordered_by_their_product(validate):
    sex = ProtectedAttribute("sex", ["F", "M"], "M")
    race = ProtectedAttribute("race", ["black", "white", "asian"], "white")
    combos = [(s, r) for s in sex.values for r in race.values]
    data = pd.DataFrame(
        {
            "pair_id": np.repeat([7, 3], 6),
            "sex": [s for s, _ in combos] * 2,
            "race": [r for _, r in combos] * 2,
            "x": np.repeat([1.5, 2.5], 6),
        }
    )
    shuffled = data.iloc[::-1]
    twins = Twins(shuffled, [sex, race], validate=validate)
    assert twins.frame["pair_id"].tolist() == [3] * 6 + [7] * 6
    assert list(zip(twins.frame["sex"], twins.frame["race"], strict=True)) == combos * 2
    assert twins.frame["x"].tolist() == [2.5] * 6 + [1.5] * 6


def test_pair_ids_repeated_in_separate_blocks_are_one_pair():
    # Two blocks that reuse pair id 0 are not two pairs: the pair holds four rows.
    data = pd.concat([column_major().iloc[[0, 2]], column_major().iloc[[0, 2]]])
    with pytest.raises(
        TwinsInvariantError,
        match=re.escape("1 pair(s) do not hold each combination of ['sex'] exactly"),
    ):
        Twins(data, {"sex": "M"}, validate=False)


@pytest.mark.parametrize("validate", [True, False])
def test_an_empty_table_is_refused_on_every_path(validate):
    with pytest.raises(
        DataError,
        match=re.escape("The twins table is empty; generate at least one pair."),
    ):
        Twins(
            frame().iloc[:0],
            [ProtectedAttribute("sex", ["M", "F"], "M")],
            validate=validate,
        )


# -- {column: privileged} mappings ----------------------------------------------------
@pytest.mark.parametrize(
    "privileged, hint",
    [
        ("Male", " Did you mean 'M'?"),
        ("m", " Did you mean 'M'?"),
        ("X", ""),
    ],
)
def test_a_privileged_value_absent_from_the_twins_is_refused_with_a_hint(
    privileged, hint
):
    with pytest.raises(
        DataError,
        match=re.escape(
            f"The privileged value {privileged!r} of protected attribute 'sex' does "
            f"not occur in the twins, which hold ['F', 'M'].{hint} Pass one of those "
            "values."
        ),
    ):
        check_twins(frame(), {"sex": privileged}, proxies=["name"])


def test_a_privileged_value_of_the_wrong_type_is_named():
    data = frame(sex=[1, 0, 1, 0])
    with pytest.raises(
        DataError,
        match=re.escape(
            "The privileged value '1' of protected attribute 'sex' does not occur in "
            "the twins, which hold [0, 1]. Did you mean 1? Pass one of those values."
        ),
    ):
        check_twins(data, {"sex": "1"}, proxies=["name"])
    with pytest.raises(DataError, match=re.escape("Did you mean True?")):
        check_twins(frame(sex=[True, False] * 2), {"sex": 1}, proxies=["name"])
    twins = check_twins(data, {"sex": 1}, proxies=["name"])
    assert twins.attribute("sex").values == (1, 0)


def test_a_column_holding_one_value_cannot_be_compared():
    with pytest.raises(
        DataError,
        match=re.escape(
            "Protected column 'sex' holds only one value in the twins ('M'); an "
            "attribute needs at least two values to compare. Declare its values with "
            "ProtectedAttribute('sex', values=[...], privileged=...)."
        ),
    ):
        Twins(frame(sex=["M"] * 4), {"sex": "M"}, proxies=["name"])


@pytest.mark.parametrize("validate", [True, False])
def test_missing_protected_values_are_counted(validate):
    message = "Protected column 'sex' in the twins has 2 missing value(s); fill or drop"
    data = frame(sex=["M", None, np.nan, "F"])
    with pytest.raises(DataError, match=re.escape(message)):
        Twins(data, {"sex": "M"}, proxies=["name"], validate=validate)
    attribute = ProtectedAttribute("sex", ["M", "F"], "M")
    with pytest.raises(DataError, match=re.escape(message)):
        Twins(data, [attribute], proxies=["name"], validate=validate)


@pytest.mark.parametrize(
    "protected, message",
    [
        ({}, "'protected' must name at least one protected attribute."),
        ([], "'protected' must name at least one protected attribute."),
        (
            "sex",
            "'protected' must be ProtectedAttribute objects or a mapping "
            "{column: privileged value}. Got 'sex'.",
        ),
    ],
)
def test_protected_must_name_an_attribute(protected, message):
    with pytest.raises(DataError, match=re.escape(message)):
        Twins(frame(), protected, proxies=["name"])
