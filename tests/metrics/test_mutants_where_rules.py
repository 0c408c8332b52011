"""Where the bias lives, where mutation testing found the tests silent: the rules
of a lone flipped profile, of a value that is only there or missing, of columns
that do not vary, and of ties between equally good splits; the edges of a feature
only the population holds, and the top and bottom edges rounded outwards; how a
number is printed at the ends of its ranges. Every expected value is worked out by
hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from twinaudit.exceptions import DataError
from twinaudit.metrics._where import (
    BIN_COLUMNS,
    RULE_COLUMNS,
    Where,
    _format_number,
    where_bias_lives,
)


def rules(where) -> list[tuple[str, int, int]]:
    table = where.rules[["rule", "profiles", "flips"]]
    return [(r, int(p), int(f)) for r, p, f in table.values]


def bins(where) -> list[tuple[str, int, int]]:
    table = where.bins[["bin", "profiles", "flips"]]
    return [(b, int(p), int(f)) for b, p, f in table.values]


# -- rules --------------------------------------------------------------------------


def test_a_single_flipped_profile_gets_a_rule_of_its_own():
    # 100 profiles x = 0..99, only x = 99 flips; a rule may hold one profile. The
    # tree's cut lies between 98 and 99, printed on whole numbers.
    x = np.arange(100.0)
    where = where_bias_lives(pd.DataFrame({"x": x}), x == 99, min_profiles=1)
    assert rules(where) == [("x ≥ 99", 1, 1), ("x ≤ 98", 99, 0)]


def test_a_single_flip_in_the_other_direction_gets_a_rule_too():
    x = np.arange(100.0)
    where = where_bias_lives(pd.DataFrame({"x": x}), x != 0, min_profiles=1)
    assert rules(where) == [("x ≥ 1", 99, 99), ("x ≤ 0", 1, 0)]


def test_a_value_that_is_the_same_wherever_present_still_splits_on_missing():
    # Six profiles hold 5, four hold nothing, and exactly those four flip.
    x = np.array([5.0] * 6 + [np.nan] * 4)
    where = where_bias_lives(pd.DataFrame({"x": x}), np.isnan(x), min_profiles=1)
    assert rules(where) == [("x is missing", 4, 4), ("x is not missing", 6, 0)]


def tied(n: int = 400) -> tuple[pd.DataFrame, np.ndarray]:
    """Two copies of one feature, so every best split has an equally good twin on
    the other copy, and flips above 150."""
    x = np.arange(n, dtype=float)
    return pd.DataFrame({"a": x, "b": x.copy()}), x >= 150


SEEDS = range(12)


def test_ties_between_equally_good_splits_follow_the_seed_and_repeat():
    frame, flips = tied()
    named = set()
    for seed in SEEDS:
        first = rules(where_bias_lives(frame, flips, random_state=seed))
        again = rules(where_bias_lives(frame, flips, random_state=seed))
        assert again == first, seed
        # Either copy makes the same two rules: x ≥ 150 flips, x ≤ 149 does not.
        assert len(first) == 2
        feature = first[0][0].split()[0]
        assert first == [(f"{feature} ≥ 150", 250, 250), (f"{feature} ≤ 149", 150, 0)]
        named.add(feature)
    # The seed is what breaks the tie: over twelve seeds both copies are chosen.
    assert named == {"a", "b"}


@pytest.mark.parametrize(
    "still",
    [
        pd.Series(["yes"] * 400),  # one category
        pd.Series([None] * 400, dtype=object),  # only missing: one level
        pd.Series([np.nan] * 400),  # a number always missing
        pd.Series([7.0] * 400),  # a number always the same
        pd.Series(pd.to_datetime(["2020-01-01"] * 400)),  # a date always the same
    ],
    ids=["category", "missing-category", "missing-number", "same-number", "date"],
)
def test_a_column_that_does_not_vary_does_not_change_the_rules(still):
    # A column with one value cannot split the profiles, so it must not change
    # which of two equally good splits the seed picks either.
    frame, flips = tied()
    with_still = frame.assign(still=still.to_numpy())
    for seed in SEEDS:
        expected = rules(where_bias_lives(frame, flips, random_state=seed))
        got = rules(where_bias_lives(with_still, flips, random_state=seed))
        assert got == expected, seed


# -- a Where built by hand ------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules_given", "named"),
    [
        ([{"rule": "x ≤ 1"}], "list"),
        ("x ≤ 1", "str"),
        (None, "NoneType"),
        (pd.DataFrame({"rule": ["x ≤ 1"]}), "['rule']"),
    ],
    ids=["list", "str", "none", "frame-with-other-columns"],
)
def test_a_where_with_rules_that_are_not_the_rule_table_names_what_it_got(
    rules_given, named
):
    with pytest.raises(DataError) as caught:
        Where(bins=pd.DataFrame(columns=list(BIN_COLUMNS)), rules=rules_given)
    assert str(caught.value) == (
        f"Where.rules must be a DataFrame with columns {list(RULE_COLUMNS)}. "
        f"Got {named}."
    )


# -- edges --------------------------------------------------------------------------


def test_a_feature_only_the_population_holds_is_one_bin_from_its_least_to_its_most():
    # The sample's x is always missing, so there are no quantiles to cut at: the
    # population's values 1, 2, 3 make one bin [1, 3].
    sample = pd.DataFrame({"x": [np.nan] * 4})
    counts = {
        "x": (
            pd.Index([1.0, 2.0, 3.0, np.nan]),
            np.array([10, 20, 30, 4]),
            np.array([1, 2, 3, 2]),
        )
    }
    flips = np.array([1, 0, 0, 1], dtype=bool)
    where = where_bias_lives(sample, flips, counts=counts)
    assert bins(where) == [("[1, 3]", 60, 6), ("(missing)", 4, 2)]


def test_the_top_edge_is_rounded_up_and_the_bottom_edge_down():
    # Two bins: the median 1 is the inner edge, the narrowest bin is 1 wide, so
    # edges have one decimal (two significant digits of 1.0). 2.12 rounds up to
    # 2.2 (not to the nearer 2.1, which would leave 2.12 outside), -2.12 down to
    # -2.2.
    up = where_bias_lives(
        pd.DataFrame({"x": [0.0, 1.0, 2.12]}), np.zeros(3, bool), bins=2
    )
    assert bins(up) == [("[0, 1)", 1, 0), ("[1, 2.2]", 2, 0)]
    down = where_bias_lives(
        pd.DataFrame({"x": [-2.12, -1.0, 0.0]}), np.zeros(3, bool), bins=2
    )
    assert bins(down) == [("[-2.2, -1)", 1, 0), ("[-1, 0]", 2, 0)]


# -- printed numbers ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1e16, "1e+16"),  # from 1e16 up in exponent form
        (9999999999999998.0, "9,999,999,999,999,998"),  # the double below it
        (-1e16, "-1e+16"),
        (1e-6, "0.000001"),  # down to 1e-6 in positional form
        (9.999999999999997e-7, "9.999999999999997e-07"),  # the double below it
        (-1e-6, "-0.000001"),
    ],
)
def test_numbers_switch_to_exponent_form_beyond_1e16_and_below_1e_minus_6(
    value, expected
):
    assert _format_number(value) == expected
