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
            "Protected column 'sex' has 1 missing value(s)",
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
