"""More scoring details that a one-line change would break (found by mutmut).

Which label a misaligned pandas result is reported by, and the hint naming a
column that matches an unread attribute. Expected values are hand counts on small
rows written here, never the output of the code under test.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

from twinaudit.exceptions import ModelError
from twinaudit.generation import Twins, from_frame, generate
from twinaudit.scoring import score
from twinaudit.spec import Integer, ProtectedAttribute, TwinSpec

SEX = ProtectedAttribute("sex", ["F", "M"], privileged="M")  # privileged last
RACE = ProtectedAttribute("race", ["black", "white", "asian"], privileged="white")

FIX = (
    " If the model sees {name!r} under another name or coding, set model_column= "
    "and encoding= on its ProtectedAttribute; to audit an attribute the model does "
    "not read, pass allow_unread=True."
)


def ones(frame: pd.DataFrame) -> np.ndarray:
    return np.ones(len(frame), dtype=int)


def unread_message(name: str, columns: list[str], following: list[str]) -> str:
    return (
        f"The model ones does not read protected attribute {name!r}: it reads "
        f"{columns}, and none of the columns that move with {name!r} ({following}) "
        f"is among them, so twins that differ only in {name!r} get the same decision "
        "and the audit would find no bias whatever the model does."
    )


def hint(column: str, shown: str, attribute: str, encoding: dict[str, Any]) -> str:
    return (
        f" Column {column!r}, which the model reads, matches 'sex' one to one in the "
        f"factual rows ({shown}) but is copied unchanged to every twin: use "
        f"{attribute}, model_column={column!r}, encoding={encoding!r})."
    )


# -- pandas results with another index ------------------------------------------------
@pytest.fixture(scope="module")
def twins() -> Any:
    spec = TwinSpec(fields=[Integer("x", 0, 100)], protected=[SEX], seed=2)
    return generate(spec, 6)  # 12 rows, index 0..11


def refused(problem: str) -> str:
    return (
        "The model model returned a pandas Series whose index does not match the rows "
        f"it received ({problem}); return one decision per row, in the order "
        "received or with the index received."
    )


def test_the_first_duplicated_label_is_named(twins):
    # 3 appears twice (positions 3, 4), then 8 twice (positions 8, 9).
    labels = [0, 1, 2, 3, 3, 5, 6, 7, 8, 8, 10, 11]

    def model(frame):
        return pd.Series(np.ones(len(frame), dtype=int), index=labels)

    with pytest.raises(
        ModelError, match=re.escape(refused("label 3 appears more than once"))
    ):
        score(model, twins)


@pytest.mark.parametrize("unknown_at", [1, 11])
def test_the_unknown_label_is_named_not_the_first_row(twins, unknown_at):
    # The first label (0) is the first row's, at position 0 of the rows.
    labels = list(range(12))
    labels[unknown_at] = 99

    def model(frame):
        return pd.Series(np.ones(len(frame), dtype=int), index=labels)

    with pytest.raises(
        ModelError, match=re.escape(refused("label 99 is not one of them"))
    ):
        score(model, twins)


# -- the hint naming a column aligned with an unread attribute --------------------------
def test_twins_without_factual_rows_get_no_hint():
    # A code that matches sex, but no row is marked factual: nothing to read it off.
    frame = pd.DataFrame(
        {
            "pair_id": [0, 0, 1, 1],
            "sex": ["F", "M", "F", "M"],
            "code": [0, 0, 1, 1],
            "x": [1, 1, 2, 2],
        }
    )
    twins = Twins(frame, [SEX])
    assert twins.factual is None
    message = unread_message("sex", ["code", "x"], ["sex"]) + FIX.format(name="sex")
    with pytest.raises(ModelError, match=f"^{re.escape(message)}$"):
        score(ones, twins, features=["code", "x"])


def test_no_hint_when_the_real_rows_lack_a_value():
    # RACE has three values, the rows only two: no encoding can be read off them.
    data = pd.DataFrame(
        {"race": ["black", "white", "black"], "code": [0, 1, 0], "x": [1, 2, 3]}
    )
    twins = from_frame(data, [RACE])
    message = unread_message("race", ["code", "x"], ["race"]) + FIX.format(name="race")
    with pytest.raises(ModelError, match=f"^{re.escape(message)}$"):
        score(ones, twins, features=["code", "x"])


def two_attribute_rows(**columns: list[Any]) -> pd.DataFrame:
    """Real rows in which sex and race go together (F black, M white), a code that
    matches sex (F 0, M 1), and the given columns."""
    return pd.DataFrame(
        {
            "sex": ["F", "M", "F", "M", "F", "M"],
            "race": ["black", "white", "black", "white", "black", "white"],
            "code": [0, 1, 0, 1, 0, 1],
            **columns,
        },
        index=pd.Index([9, 7, 5, 3, 1, -1], name="id"),
    )


@pytest.mark.parametrize(
    "first",
    [
        "race",  # varied, so it moves between twins: no candidate, whatever it matches
        "x",  # six values for two of sex
        "noise",  # two values, but not one to one with sex
    ],
)
def test_the_hint_names_the_first_column_that_matches(first):
    data = two_attribute_rows(
        x=[1, 2, 3, 4, 5, 6], noise=["p", "p", "q", "q", "p", "q"]
    )
    twins = from_frame(data, [SEX, RACE])
    features = [first, "code"]
    message = (
        unread_message("sex", features, ["sex"])
        + hint(
            "code",
            "'F' -> 0, 'M' -> 1",
            "ProtectedAttribute('sex', ['F', 'M'], privileged='M'",
            {"F": 0, "M": 1},
        )
        + FIX.format(name="sex")
    )
    with pytest.raises(ModelError, match=f"^{re.escape(message)}$"):
        score(ones, twins, features=features)


def test_a_code_that_is_missing_for_one_value_is_no_match():
    # code is NaN for every F: one value per sex, but NaN is no code.
    data = pd.DataFrame(
        {
            "sex": ["F", "M", "F", "M"],
            "code": [np.nan, 1.0, np.nan, 1.0],
            "x": [1, 2, 3, 4],
        }
    )
    twins = from_frame(data, [SEX])
    message = unread_message("sex", ["code", "x"], ["sex"]) + FIX.format(name="sex")
    with pytest.raises(ModelError, match=f"^{re.escape(message)}$"):
        score(ones, twins, features=["code", "x"])
