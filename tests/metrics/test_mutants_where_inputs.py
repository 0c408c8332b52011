"""Where the bias lives, where mutation testing found the tests silent: its
defaults (depth 3, top 10 gaps, 5 quantile bins), the words of its errors on bins
and gaps, gaps held in nullable or object columns, ties among the largest gaps, and
columns of complex numbers, nullable integers and whole numbers at 2**53. Every
expected value is worked out by hand."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from twinaudit.exceptions import DataError
from twinaudit.metrics import where_bias_lives


def rules(where) -> list[tuple[str, int, int]]:
    table = where.rules[["rule", "profiles", "flips"]]
    return [(r, int(p), int(f)) for r, p, f in table.values]


def bins(where) -> list[tuple[str, int]]:
    return [(b, int(p)) for b, p in where.bins[["bin", "profiles"]].values]


PROFILES = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
FLIPS = np.array([1, 0, 1, 0], dtype=bool)


def gaps_of(pair, score_gap) -> pd.DataFrame:
    n = len(pair)
    return pd.DataFrame(
        {
            "pair": pair,
            "attribute": ["sex"] * n,
            "group": ["f"] * n,
            "score_gap": score_gap,
        }
    )


# -- defaults -------------------------------------------------------------------


def test_rules_are_three_conditions_deep_by_default():
    # Flips alternate every 100 of x = 0..1599, and every seventh value flips the
    # other way: each level of the tree still finds splits worth making, so the
    # depth is what decides the rules, and depths 2, 3 and 4 give 4, 7 and 12.
    x = np.arange(1600.0)
    flipped = ((x // 100) % 2 == 0) ^ (x % 7 == 0)
    frame = pd.DataFrame({"x": x})
    by_depth = {
        depth: rules(where_bias_lives(frame, flipped, max_depth=depth, min_profiles=1))
        for depth in (2, 3, 4)
    }
    assert [len(r) for r in by_depth.values()] == [4, 7, 12]
    assert rules(where_bias_lives(frame, flipped, min_profiles=1)) == by_depth[3]


def test_the_ten_largest_gaps_are_kept_by_default():
    frame = pd.DataFrame({"x": np.arange(12.0)})
    gaps = gaps_of(list(range(12)), [i / 100 for i in range(12)])
    where = where_bias_lives(frame, np.zeros(12, dtype=bool), gaps)
    assert where.largest_gaps["pair"].tolist() == [11, 10, 9, 8, 7, 6, 5, 4, 3, 2]


def test_a_feature_left_out_of_a_bins_mapping_gets_five_quantile_bins():
    # x = 0..99: quantiles 19.8, 39.6, 59.4, 79.2, whole numbers, so edges at
    # their ceilings; y is given two bins of its own, cut at the median 49.5 -> 50.
    frame = pd.DataFrame({"x": np.arange(100.0), "y": np.arange(100.0)})
    where = where_bias_lives(frame, np.zeros(100, dtype=bool), bins={"y": 2})
    x_bins = where.bins[where.bins["feature"] == "x"]
    assert x_bins["bin"].tolist() == [
        "[0, 20)",
        "[20, 40)",
        "[40, 60)",
        "[60, 80)",
        "[80, 99]",
    ]
    assert where.bins[where.bins["feature"] == "y"]["bin"].tolist() == [
        "[0, 50)",
        "[50, 99]",
    ]


# -- the words of the errors ----------------------------------------------------


@pytest.mark.parametrize("spec", ["10", 2.5, None], ids=["text", "float", "none"])
def test_bins_for_a_feature_that_are_not_a_count_or_edges_are_refused(spec):
    message = (
        "bins for 'x' must be a number of quantile bins or a list of increasing "
        f"edges. Got {spec!r}."
    )
    with pytest.raises(DataError, match=f"^{re.escape(message)}$"):
        where_bias_lives(PROFILES, FLIPS, bins={"x": spec})


@pytest.mark.parametrize(
    ("gaps", "named"), [([1, 2], "list"), ("gaps", "str"), ({"pair": [0]}, "dict")]
)
def test_gaps_that_are_not_a_frame_are_refused_naming_what_they_are(gaps, named):
    message = (
        "gaps must be a DataFrame with columns ['pair', 'attribute', 'group', "
        f"'score_gap']. Got {named}."
    )
    with pytest.raises(DataError, match=f"^{re.escape(message)}$"):
        where_bias_lives(PROFILES, FLIPS, gaps)


def test_pair_positions_held_as_floats_are_refused_even_in_range():
    message = (
        "gaps['pair'] must hold positions of profiles, integers from 0 to 3. "
        "Got [0.0, 1.0]."
    )
    with pytest.raises(DataError, match=f"^{re.escape(message)}$"):
        where_bias_lives(PROFILES, FLIPS, gaps_of([0.0, 1.0], [0.1, 0.2]))


def test_the_error_on_pair_positions_shows_the_first_five_bad_ones():
    message = (
        "gaps['pair'] must hold positions of profiles, integers from 0 to 3. "
        "Got [-1, 4, -3, 5, -5]."
    )
    gaps = gaps_of([0, -1, 4, 1, -3, 5, -5, 6, -7], [0.1] * 9)
    with pytest.raises(DataError, match=f"^{re.escape(message)}$"):
        where_bias_lives(PROFILES, FLIPS, gaps)


@pytest.mark.parametrize(
    ("score_gap", "dtype"),
    [
        (pd.Series(["a", "b"], dtype=object), "object"),
        (pd.Series(["a", "b"], dtype="string"), "string"),
    ],
)
def test_score_gaps_that_are_not_numbers_are_refused_naming_the_dtype(score_gap, dtype):
    message = (
        f"gaps['score_gap'] must hold numbers (score differences). Got dtype {dtype}."
    )
    with pytest.raises(DataError, match=f"^{re.escape(message)}$"):
        where_bias_lives(PROFILES, FLIPS, gaps_of([0, 1], score_gap))


# -- gaps in other columns, and ties ----------------------------------------------


@pytest.mark.parametrize(
    "score_gap",
    [
        pd.array([0.1, None, -0.3], dtype="Float64"),
        pd.Series([0.1, None, -0.3], dtype=object),
        pd.Series([0.1, np.nan, -0.3]),
    ],
    ids=["nullable", "object", "float"],
)
def test_missing_gaps_in_any_column_are_left_out(score_gap):
    where = where_bias_lives(PROFILES, FLIPS, gaps_of([0, 1, 2], score_gap))
    assert where.largest_gaps["pair"].tolist() == [2, 0]
    assert where.largest_gaps["score_gap"].tolist() == [-0.3, 0.1]
    assert where.largest_gaps["score_gap"].dtype == np.float64


def test_equal_gaps_keep_the_order_of_their_rows():
    # 300 gaps of size 0.5 (either sign) and one of 0.9: the 0.9 first, then the
    # ties in row order, whatever a sort would make of them.
    n = 301
    frame = pd.DataFrame({"x": np.arange(float(n))})
    sizes = [0.5 if i % 2 else -0.5 for i in range(n)]
    sizes[150] = 0.9
    where = where_bias_lives(
        frame, np.zeros(n, dtype=bool), gaps_of(list(range(n)), sizes), top=n
    )
    assert where.largest_gaps["pair"].tolist() == [150, *range(150), *range(151, n)]


# -- columns ----------------------------------------------------------------------


def test_complex_numbers_are_described_as_categories():
    frame = pd.DataFrame({"c": [1 + 2j, 1 + 2j, 3j, 3j]})
    where = where_bias_lives(frame, FLIPS)
    assert bins(where) == [("(1+2j)", 2), ("3j", 2)]


def test_a_nullable_integer_column_with_missing_values_gets_a_missing_bin():
    frame = pd.DataFrame({"n": pd.array([1, 2, None, 4, 5, None], dtype="Int64")})
    flipped = np.array([1, 0, 1, 0, 1, 1], dtype=bool)
    where = where_bias_lives(frame, flipped, bins=2)
    assert bins(where) == [("[1, 3)", 2), ("[3, 5]", 2), ("(missing)", 2)]
    assert where.bins["flips"].tolist() == [1, 1, 2]


@pytest.mark.parametrize(
    ("largest", "above"),
    [
        # Below 2**53 every whole number has a next one: "n ≥ 1".
        (2.0**53 - 2, "n ≥ 1"),
        # From 2**53 on, t + 1 may be no double: the rule stays "n > 0".
        (2.0**53, "n > 0"),
    ],
)
def test_whole_number_rules_only_below_2_to_the_53(largest, above):
    x = [0.0, largest]
    where = where_bias_lives(
        pd.DataFrame({"n": x}), np.array([1, 0], dtype=bool), min_profiles=1
    )
    assert rules(where) == [("n ≤ 0", 1, 1), (above, 1, 0)]


def test_whole_numbers_beyond_2_to_the_53_are_described_as_the_doubles_they_print_as():
    # 2**53 and 2**53 + 1 are distinct int64 values but the same double: the
    # audit describes numbers as doubles, so they are one value, and there is
    # nothing to split on, though only one of them flips.
    frame = pd.DataFrame({"n": np.array([2**53, 2**53 + 1] * 2, dtype=np.int64)})
    where = where_bias_lives(frame, FLIPS, min_profiles=1)
    assert rules(where) == [("all profiles", 4, 2)]
    assert bins(where) == [("[9,007,199,254,740,992, 9,007,199,254,740,992]", 4)]
