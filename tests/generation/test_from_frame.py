import re

import numpy as np
import pandas as pd
import pytest

from twinaudit.exceptions import DataError
from twinaudit.generation import from_frame
from twinaudit.spec import ProtectedAttribute, Proxy

NAMES = Proxy.gendered("name", "sex", {"M": "male", "F": "female"})


def rows():
    return pd.DataFrame(
        {
            "sex": ["F", "M", "F"],
            "income": [40_000, 95_000, 61_000],
            "name": ["Ann", "Tom", "Eve"],
            "approved": [0, 1, 1],
        },
        index=[10, 20, 30],
    ).astype({"sex": "category"})


def test_each_row_becomes_a_pair_with_the_real_row_as_factual_twin():
    twins = from_frame(rows(), {"sex": "M"}, proxies=[NAMES])
    frame = twins.frame
    assert frame["pair_id"].tolist() == [0, 0, 1, 1, 2, 2]
    assert frame["sex"].tolist() == ["M", "F", "M", "F", "M", "F"]
    assert frame["income"].tolist() == [40_000, 40_000, 95_000, 95_000, 61_000, 61_000]
    assert frame["approved"].tolist() == [0, 0, 1, 1, 1, 1]
    assert twins.factual.tolist() == [False, True, True, False, False, True]
    factual = frame[twins.factual]
    assert factual["name"].tolist() == ["Ann", "Tom", "Eve"]
    assert frame["sex"].dtype == "category"
    twins.check()


def test_strict_mode_keeps_real_proxies_and_proxy_mode_regenerates_the_others():
    strict = from_frame(rows(), {"sex": "M"}, proxies=[NAMES], mode="strict")
    assert strict.frame["name"].tolist() == ["Ann", "Ann", "Tom", "Tom", "Eve", "Eve"]
    proxy = from_frame(rows(), {"sex": "M"}, proxies=[NAMES], mode="proxy", seed=1)
    names = proxy.frame["name"].tolist()
    assert names[1] == "Ann" and names[2] == "Tom" and names[5] == "Eve"
    from mimesis import Person

    pools = Person()._dataset["names"]
    assert names[0] in pools["male"] and names[3] in pools["female"]
    assert names[4] in pools["male"]
    again = from_frame(rows(), {"sex": "M"}, proxies=[NAMES], mode="proxy", seed=1)
    assert again.frame["name"].tolist() == names


def test_a_proxy_missing_from_the_data_is_generated_for_the_rows_own_value():
    twins = from_frame(rows().drop(columns="name"), {"sex": "M"}, proxies=[NAMES])
    from mimesis import Person

    pools = Person()._dataset["names"]
    factual = twins.frame.loc[twins.factual, ["sex", "name"]]
    for sex, name in factual.itertuples(index=False):
        assert name in pools["male" if sex == "M" else "female"]


def test_several_attributes_and_a_subset_to_vary():
    data = rows().assign(age_group=["young", "old", "old"])
    attributes = [
        ProtectedAttribute("sex", ["M", "F"], "M"),
        ProtectedAttribute("age_group", ["old", "young"], "old"),
    ]
    both = from_frame(data, attributes)
    assert both.n_variants == 4 and len(both.frame) == 12
    both.check()
    one = from_frame(data, attributes, vary=["age_group"])
    assert one.n_variants == 2
    assert one.frame["sex"].tolist() == ["F", "F", "M", "M", "F", "F"]


@pytest.mark.parametrize(
    "data, protected, kwargs, message",
    [
        (rows().iloc[:0], {"sex": "M"}, {}, "from_frame got an empty DataFrame"),
        (
            rows().assign(pair_id=1),
            {"sex": "M"},
            {},
            "The data already has a column 'pair_id'",
        ),
        (
            rows(),
            [ProtectedAttribute("sex", ["M", "X"], "M")],
            {},
            "Protected column 'sex' in the data holds values ['F'] that are not declared",
        ),
        (
            rows().assign(sex=["F", None, "M"]),
            {"sex": "M"},
            {},
            "Protected column 'sex' in the data has 1 missing value(s); fill or drop "
            "them first.",
        ),
        (
            rows(),
            {"gender": "M"},
            {},
            "The protected attribute column 'gender' is not in the data.",
        ),
        (
            rows(),
            {"sex": "M"},
            {"vary": ["age"]},
            "'vary' names 'age', which is not a protected",
        ),
        (
            rows(),
            {"sex": "M"},
            {"proxies": [Proxy("t", "gender", {"a": 1})]},
            "proxy 't' follows 'gender', which is not a protected attribute here.",
        ),
        (rows(), {"sex": "M"}, {"locale": "xx"}, "from_frame: unknown locale 'xx'."),
        ([1, 2], {"sex": "M"}, {}, "from_frame needs a pandas DataFrame. Got list."),
    ],
)
def test_bad_input_is_explained(data, protected, kwargs, message):
    with (
        pytest.raises(DataError, match=re.escape(message))
        if "locale" not in kwargs
        else pytest.raises(Exception, match=re.escape(message))
    ):
        from_frame(data, protected, **kwargs)


def test_the_input_frame_is_not_modified():
    data = rows()
    before = data.copy()
    from_frame(data, {"sex": "M"}, proxies=[NAMES], mode="proxy")
    pd.testing.assert_frame_equal(data, before)


def test_large_frames_are_cloned_without_python_loops():
    n = 200_000
    data = pd.DataFrame(
        {"sex": np.where(np.arange(n) % 2, "M", "F"), "x": np.arange(n)}
    )
    twins = from_frame(data, {"sex": "M"})
    assert len(twins.frame) == 2 * n
    assert (twins.frame["x"].to_numpy().reshape(-1, 2)[:, 0] == np.arange(n)).all()


# -- {column: privileged} read from the data ------------------------------------------
@pytest.mark.parametrize(
    "data, protected, hint",
    [
        (rows(), {"sex": "Male"}, " Did you mean 'M'?"),
        (rows().astype({"sex": object}), {"sex": "f"}, " Did you mean 'F'?"),
        (rows(), {"sex": "X"}, ""),
    ],
)
def test_a_privileged_value_absent_from_the_data_is_refused(data, protected, hint):
    # It used to become a new value: twins of a group the data never had.
    (privileged,) = protected.values()
    message = (
        f"The privileged value {privileged!r} of protected attribute 'sex' does not "
        f"occur in the data, which holds ['F', 'M'].{hint} Pass one of those values, "
        "or declare the values with ProtectedAttribute('sex', values=[...], "
        "privileged=...) to make twins with a value the data lacks."
    )
    with pytest.raises(DataError, match=re.escape(message)):
        from_frame(data, protected)


def test_the_tutorials_gender_spelled_in_lower_case():
    from twinaudit.datasets import loan_applications

    with pytest.raises(
        DataError, match=re.escape("holds ['Female', 'Male']. Did you mean 'Male'?")
    ):
        from_frame(loan_applications(20, seed=7), {"Gender": "male"})


def test_declared_values_may_include_one_the_data_lacks():
    attribute = ProtectedAttribute("sex", ["M", "F", "X"], "M")
    twins = from_frame(rows(), [attribute])
    assert twins.frame["sex"].tolist() == ["M", "F", "X"] * 3
    assert twins.factual.tolist() == [
        False,
        True,
        False,
        True,
        False,
        False,
        False,
        True,
        False,
    ]


@pytest.mark.parametrize(
    "protected, fix",
    [
        ({"sex": "M"}, "ProtectedAttribute('sex', values=['M', 'F'], privileged='M')"),
        ({"sex": "F"}, "ProtectedAttribute('sex', values=['F', ...], privileged='F')"),
    ],
)
def test_a_column_holding_one_value_cannot_be_compared(protected, fix):
    data = rows().assign(sex=["F", "F", "F"])
    with pytest.raises(
        DataError,
        match=re.escape(
            "Protected column 'sex' holds only one value in the data ('F'); an "
            f"attribute needs at least two values to compare. Declare its values with "
            f"{fix}."
        ),
    ):
        from_frame(data, protected)


@pytest.mark.parametrize("declared", [False, True])
def test_missing_protected_values_are_counted(declared):
    data = rows().astype({"sex": object}).assign(sex=[None, "M", np.nan])
    protected = (
        [ProtectedAttribute("sex", ["M", "F"], "M")] if declared else {"sex": "M"}
    )
    with pytest.raises(
        DataError,
        match=re.escape(
            "Protected column 'sex' in the data has 2 missing value(s); fill or drop "
            "them first."
        ),
    ):
        from_frame(data, protected)


def test_a_mapping_on_a_categorical_ignores_unused_categories_for_the_check():
    data = rows().astype({"sex": pd.CategoricalDtype(["F", "M", "X"])})
    with pytest.raises(
        DataError, match=re.escape("does not occur in the data, which holds ['F', 'M']")
    ):
        from_frame(data, {"sex": "X"})


@pytest.mark.parametrize(
    "index",
    [["r1", "r2", "r3"], [30, 10, 20], pd.RangeIndex(5, 8)],
    ids=["strings", "shuffled-ints", "offset-range"],
)
def test_any_index_keeps_the_row_order(index):
    data = rows().set_axis(index)
    twins = from_frame(data, {"sex": "M"})
    assert twins.frame.index.equals(pd.RangeIndex(6))
    assert twins.frame["income"].tolist()[::2] == [40_000, 95_000, 61_000]
    factual = twins.frame[twins.factual]
    assert factual["sex"].tolist() == ["F", "M", "F"]
    assert factual["income"].tolist() == [40_000, 95_000, 61_000]


@pytest.mark.parametrize("k", [2, 3, 4])
@pytest.mark.parametrize("privileged_at", ["first", "last"])
@pytest.mark.parametrize("declared", [False, True])
def test_values_in_any_order_and_number(k, privileged_at, declared):
    values = [["b", "a"], ["w", "b", "a"], [3, 1, 4, 2]][k - 2]
    privileged = values[0] if privileged_at == "first" else values[-1]
    own = [values[i % k] for i in range(7)]  # each row's real value
    data = pd.DataFrame({"g": own, "x": range(7)}, index=list("abcdefg"))
    if declared:
        protected = [ProtectedAttribute("g", values, privileged)]
        order = values
    else:  # privileged first, then the others sorted
        protected = {"g": privileged}
        order = [privileged, *sorted(v for v in values if v != privileged)]
    twins = from_frame(data, protected)
    assert twins.attribute("g").values == tuple(order)
    assert twins.frame["g"].tolist() == order * 7
    assert twins.frame["x"].tolist() == np.repeat(np.arange(7), k).tolist()
    expected = [order[j] == own[i] for i in range(7) for j in range(k)]
    assert twins.factual.tolist() == expected
    twins.check()


def test_two_attributes_at_once_mark_the_real_row():
    data = pd.DataFrame(
        {"sex": ["F", "M", "F"], "race": ["b", "w", "a"], "x": [1, 2, 3]},
        index=["p", "q", "r"],
    )
    twins = from_frame(data, {"sex": "M", "race": "w"})
    frame = twins.frame
    assert twins.n_variants == 6
    factual = frame[twins.factual]
    assert factual[["sex", "race", "x"]].values.tolist() == [
        ["F", "b", 1],
        ["M", "w", 2],
        ["F", "a", 3],
    ]
    assert twins.factual.reshape(3, 6).sum(axis=1).tolist() == [1, 1, 1]
