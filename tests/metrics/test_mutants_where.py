"""Where the bias lives, where mutation testing found the tests silent: bin edges
given with time zones, the words of the bin-edge error for dates, and the roundest
instant a date split prints; which categories are shown by themselves, and how a
category rule prints; bins counted on value counts. Every expected value is worked
out by hand."""

from __future__ import annotations

import datetime
import itertools
import math
import re
import sys
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from twinaudit.exceptions import DataError
from twinaudit.metrics._where import (
    MAX_CATEGORIES,
    MISSING,
    OTHER,
    _category_text,
    _date_threshold,
    _Feature,
    _interval_counts,
    _json,
    _number_threshold,
    where_bias_lives,
)

PARIS = pd.date_range("2020-01-01", periods=48, freq="h", tz="Europe/Paris")
NAIVE = pd.date_range("2020-01-01", periods=48, freq="h")


def bins(where) -> list[tuple[str, int]]:
    return [(b, int(p)) for b, p in where.bins[["bin", "profiles"]].values]


@pytest.mark.parametrize(
    ("times", "edges", "first", "second"),
    [
        # 05:00 UTC is 06:00 in Paris (UTC+1 in January): the same instant.
        pytest.param(
            PARIS, ["2020-01-01 05:00Z", "2020-01-02 05:00Z"], 6, 30, id="utc-on-paris"
        ),
        # 05:00 in New York (UTC-5) is 11:00 in Paris.
        pytest.param(
            PARIS,
            [
                pd.Timestamp("2020-01-01 05:00", tz="America/New_York"),
                pd.Timestamp("2020-01-02 05:00", tz="America/New_York"),
            ],
            11,
            35,
            id="new-york-on-paris",
        ),
        # Edges without a zone are the feature's own wall time.
        pytest.param(
            PARIS, ["2020-01-01 05:00", "2020-01-02 05:00"], 5, 29, id="naive-on-paris"
        ),
        # A zone on the edges of a feature without one: its wall time is kept.
        pytest.param(
            NAIVE,
            ["2020-01-01 05:00+03:00", "2020-01-02 05:00+03:00"],
            5,
            29,
            id="zoned-on-naive",
        ),
    ],
)
def test_date_edges_with_time_zones_are_read_in_the_features_time(
    times, edges, first, second
):
    where = where_bias_lives(
        pd.DataFrame({"t": times}), np.arange(48) < 6, bins={"t": edges}
    )
    low, high = f"2020-01-01 {first:02d}:00:00", f"2020-01-02 {second - 24:02d}:00:00"
    # hourly times from midnight: `first` before the first edge, 25 between the edges
    # (both included), the rest after
    assert bins(where) == [
        (f"< {low}", first),
        (f"[{low}, {high}]", 25),
        (f"> {high}", 48 - first - 25),
    ]


@pytest.mark.parametrize("edges", [[5, 10], ["2020-01-02", "2020-01-01"], ["x", "y"]])
def test_bad_date_edges_ask_for_dates(edges):
    with pytest.raises(
        DataError,
        match=re.escape(
            f"The bin edges for 't' must be at least two increasing dates. Got {edges!r}."
        ),
    ):
        where_bias_lives(
            pd.DataFrame({"t": NAIVE}), np.arange(48) < 6, bins={"t": edges}
        )


def ns(text: str) -> int:
    return pd.Timestamp(text).value


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        # 43 hours: midnight of the middle day is the roundest instant inside.
        ("2020-01-01 10:00", "2020-01-03 05:00", "2020-01-02 00:00"),
        # within one day: the whole hour at the midpoint (13:00), not the one a
        # third of the way (12:00)
        ("2020-01-01 10:00", "2020-01-01 16:00", "2020-01-01 13:00"),
        # the midpoint's day starts exactly at low, which is inside
        ("2020-01-01 00:00", "2020-01-01 06:00", "2020-01-01 00:00"),
        # the midpoint's day starts before low; the next midnight is inside
        ("2020-01-01 12:00", "2020-01-02 06:00", "2020-01-02 00:00"),
        # the next midnight is high itself, outside: the midpoint's hour (18:00)
        ("2020-01-01 12:00", "2020-01-02 00:00", "2020-01-01 18:00"),
        # minutes and seconds
        ("2020-01-01 10:07", "2020-01-01 10:11", "2020-01-01 10:09"),
        ("2020-01-01 10:07:01", "2020-01-01 10:07:05", "2020-01-01 10:07:03"),
    ],
)
def test_a_date_split_prints_the_roundest_instant_near_the_middle(low, high, expected):
    t = _date_threshold(ns(low), ns(high))
    assert type(t) is int
    assert t == ns(expected)


def test_a_date_split_one_nanosecond_wide_is_its_low_end():
    low = ns("2020-01-01 10:07:01.123456789")
    assert _date_threshold(low, low + 1) == low


# -- categories shown by themselves -------------------------------------------------


def category_bins(jobs, **options) -> list[tuple[str, int]]:
    flipped = np.zeros(len(jobs), dtype=bool)
    return bins(where_bias_lives(pd.DataFrame({"job": jobs}), flipped, **options))


def test_a_category_needs_two_profiles_to_be_shown_by_itself():
    # 13 profiles: a rule needs 1 profile, a category shown by itself 2
    assert category_bins(["a"] * 10 + ["b"] * 2 + ["c"]) == [
        ("a", 10),
        ("b", 2),
        (OTHER, 1),
    ]


def test_a_category_needs_min_profiles_to_be_shown_by_itself():
    jobs = ["a"] * 10 + ["b"] * 3 + ["c"] * 2
    assert category_bins(jobs, min_profiles=3) == [("a", 10), ("b", 3), (OTHER, 2)]


def test_beyond_the_limit_the_most_common_categories_are_shown():
    # The two first seen are the rarest: the 20 shown are the 20 most common.
    names = [f"v{i:02d}" for i in range(MAX_CATEGORIES + 2)]
    jobs = [*names[:2], *names[:2]] + [n for n in names[2:] for _ in range(3)]
    shown = category_bins(jobs)
    assert shown == [(n, 3) for n in names[2:]] + [(OTHER, 4)]


def test_beyond_the_limit_ties_are_broken_by_name():
    # 21 categories of 3 profiles, first seen in reverse order: v00..v19 shown.
    names = [f"v{i:02d}" for i in range(MAX_CATEGORIES + 1)]
    jobs = [n for n in reversed(names) for _ in range(3)]
    assert category_bins(jobs) == [(n, 3) for n in names[:-1]] + [(OTHER, 3)]


def test_a_category_rule_prints_the_half_without_other():
    feat = _Feature(
        "job",
        "category",
        np.zeros(4, np.int64),
        np.zeros(4, bool),
        levels=["a", "b", "c", OTHER],
    )
    # {c, (other)} and {a, b} are as short: the one without (other) is printed
    assert _category_text(feat, {2, 3}) == "job not in {a, b}"
    assert _category_text(feat, {0, 1}) == "job in {a, b}"
    assert _category_text(feat, {3}) == "job = (other)"
    assert _category_text(feat, {0, 1, 2}) == "job ≠ (other)"
    plain = _Feature(
        "job",
        "category",
        np.zeros(4, np.int64),
        np.zeros(4, bool),
        levels=["a", "b", "c", "d"],
    )
    assert _category_text(plain, {2, 3}) == "job in {c, d}"


# -- bins counted on a population given as value counts -----------------------------


def test_a_value_held_by_no_profile_is_no_bin():
    sample = pd.DataFrame({"job": ["a", "b", "a", "b"]})
    counts = {
        "job": (pd.Index(["a", "b", "z"]), np.array([30, 20, 0]), np.array([3, 0, 0]))
    }
    where = where_bias_lives(
        sample, np.array([True, False, False, False]), counts=counts
    )
    assert bins(where) == [("a", 30), ("b", 20)]


def test_population_counts_keep_the_order_of_categories():
    order = pd.CategoricalDtype(["low", "mid", "high"], ordered=True)
    sample = pd.DataFrame({"level": pd.Series(["high", "low", "mid"] * 2, dtype=order)})
    counts = {
        "level": (
            pd.Index(["high", "low", "mid"]),
            np.array([5, 7, 9]),
            np.array([1, 2, 3]),
        )
    }
    where = where_bias_lives(sample, np.zeros(6, dtype=bool), counts=counts)
    assert bins(where) == [("low", 7), ("mid", 9), ("high", 5)]
    assert where.bins["flips"].tolist() == [2, 3, 1]
    assert MISSING not in where.bins["bin"].tolist()


@pytest.mark.parametrize(
    ("jobs", "expected"),
    [
        # First seen b, then a: shown in their own order, not as first seen.
        (["b", "b", "a", "a"], ["a", "b"]),
        # Whole numbers of an object column: 9 before 10 (as text, "10" < "9").
        ([10, 10, 9, 9], ["9", "10"]),
        # Values that cannot be compared (1 < "a" raises) are shown in the order of
        # their text: "1" < "a" < "b", whatever the order they are first seen in.
        (["b", "b", 1, 1, "a", "a"], ["1", "a", "b"]),
        ([1, 1, "b", "b", "a", "a"], ["1", "a", "b"]),
    ],
)
def test_categories_are_shown_in_their_order_not_as_first_seen(jobs, expected):
    shown = category_bins(pd.Series(jobs, dtype=object))
    assert shown == [(job, 2) for job in expected]


def test_a_missing_value_held_by_one_profile_of_the_population_is_a_bin():
    sample = pd.DataFrame({"job": ["a", "b", "a", None]})
    counts = {
        "job": (
            pd.Index(["a", "b", None], dtype=object),
            np.array([30, 20, 1]),
            np.array([3, 0, 1]),
        )
    }
    where = where_bias_lives(sample, np.array([1, 0, 0, 1], dtype=bool), counts=counts)
    assert bins(where) == [("a", 30), ("b", 20), (MISSING, 1)]
    assert where.bins["flips"].tolist() == [3, 0, 1]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (pd.NA, None),
        (pd.NaT, None),
        (np.int16(4), 4),
        (np.float32(0.5), 0.5),
        (float("inf"), None),
        (pd.Timestamp("2021-03-01 12:00"), "2021-03-01T12:00:00"),
        (datetime.datetime(2021, 3, 1, 12), "2021-03-01T12:00:00"),
        (Decimal("1.5"), "1.5"),
        (("a", 1), "('a', 1)"),
    ],
)
def test_values_in_the_where_json_are_plain(value, expected):
    assert _json(value) == expected


@pytest.mark.parametrize("n_edges", [3, 64, 65, 70])
def test_interval_counts_with_many_edges_equal_a_count_by_hand(n_edges):
    rng = np.random.default_rng(n_edges)
    x = rng.integers(-5, n_edges + 5, 500).astype(float)
    edges = np.arange(n_edges, dtype=float)
    expected = [int((x < edges[0]).sum())]
    inner = itertools.pairwise(edges[:-1])  # [e(i), e(i+1)) up to the last bin
    expected += [int(((x >= a) & (x < b)).sum()) for a, b in inner]
    expected.append(int(((x >= edges[-2]) & (x <= edges[-1])).sum()))  # closed last bin
    expected.append(int((x > edges[-1]).sum()))
    assert _interval_counts(x, edges) == expected


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        # the coarsest grid with a number in [low, high), its number nearest the middle
        (12.0, 60.0, 40.0),  # 20, 30, 40, 50; middle 36
        (0.12, 0.62, 0.4),  # 0.2 ... 0.6; middle 0.37
        (-60.0, -12.0, -40.0),  # -60 ... -20; middle -36
        (1234.0, 1236.5, 1235.0),  # 1234, 1235, 1236; middle 1235.25
        (12.5, 60.5, 40.0),
        (3.0, 3.5, 3.0),  # only 3 on the coarsest grid, 1
        (10.0, 30.0, 20.0),  # 10 and 20; the middle is the last of them
        # the grids start above the larger magnitude, so zero is found first
        (-600.0, 5.0, 0.0),
        (-5.0, 600.0, 0.0),
        # and below 1 too: 40 grids from 1e-39 reach 4e-39
        (1.2e-39, 6.2e-39, 4e-39),
        # the double nearest the decimal: 3 × 1e25 is 3.0000000000000005e25
        (2.5e25, 3.5e25, 3e25),
        # 12 × 0.1 is 1.2000000000000002 = high, yet 1.2 is below it
        (1.1, 1.2000000000000002, 1.2),
        # the ends of the doubles: no grid of 1e309 (it overflows), none of 1e-324
        (1e308, 1.5e308, 1e308),
        (1.7e308, 1.7976931348623157e308, 1.7e308),
        (5e-324, 1e-323, 5e-324),
        (-1e-320, 1e-320, 0.0),
        # neighbouring doubles: low itself is the roundest
        (1.0, 1.0000000000000002, 1.0),
        (0.1, 0.10000000000000002, 0.1),
    ],
)
def test_a_threshold_is_the_roundest_number_nearest_the_middle(low, high, expected):
    assert _number_threshold(low, high) == expected


def coarsest_grid_numbers(low: float, high: float) -> list[float]:
    """By exact decimals: the numbers k × 10**e (as doubles) in [low, high) on the
    coarsest grid 10**e that has any."""
    for e in range(310, -340, -1):
        grid = Decimal(10) ** e
        k = (Decimal(low) / grid).to_integral_value(rounding="ROUND_FLOOR") - 1
        found = []
        while (t := float(k * grid)) < high:
            if t >= low:
                found.append(t)
            k += 1
        if found:
            return found
    raise AssertionError("no grid")


@pytest.mark.parametrize("seed", range(4))
def test_thresholds_of_random_gaps_are_on_the_coarsest_grid_nearest_the_middle(seed):
    """Random gaps from 1e-300 to 1e300, narrow and wide, against a search of the
    decimal grids in exact arithmetic."""
    rng = np.random.default_rng(seed)
    for _ in range(300):
        scale = 10.0 ** int(rng.integers(-300, 300))
        low = rng.normal() * scale
        high = low + abs(rng.normal()) * scale * 10.0 ** -int(rng.integers(0, 17))
        if not low < high:
            continue
        numbers = coarsest_grid_numbers(low, high)
        t = _number_threshold(low, high)
        assert t in numbers, (low, high, t, numbers[:5])
        # nearest the middle, up to the doubles' own spacing on the finest grids
        middle = low / 2 + high / 2
        best = min(abs(n - middle) for n in numbers)
        assert abs(t - middle) <= best + 2 * math.ulp(max(abs(low), abs(high)))


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        # 1e-18 / 1e-19 is 10.000000000000002: the last step counted on the grid
        # 1e-19 was 10 (1e-18, not below high), so 9e-19 was missed for 9.5e-19
        (9e-19, 1e-18, 9e-19),
        (-2.18e-28, -2.17e-28, -2.18e-28),
        (1.01e-22, 1.02e-22, 1.01e-22),
        (2.47e-21, 2.48e-21, 2.47e-21),
    ],
)
def test_a_threshold_at_an_end_on_the_grid_is_found_despite_the_division(
    low, high, expected
):
    assert _number_threshold(low, high) == expected


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        # ends a step or less apart on the grids of 1e-37 to 1e-40, where the
        # divisions by the grid are a hair off; each fails a mutant of the step
        # corrections (a step too many or too few, or the wrong way)
        (-1.0399999999999999e-38, -1.0299999999999999e-38, -1.03e-38),
        (-9.8e-36, -9.7e-36, -9.8e-36),
        (-3.6899999999999993e-38, -3.6799999999999996e-38, -3.68e-38),
        (-3.69e-38, -3.6799999999999996e-38, -3.68e-38),
        (1.63e-35, 1.6800000000000002e-35, 1.66e-35),
        (3.8e-38, 3.81e-38, 3.8e-38),
        (-1.3899999999999998e-38, -1.3699999999999997e-38, -1.38e-38),
        (-1.7899999999999998e-38, -1.72e-38, -1.76e-38),
        (3.82e-38, 3.84e-38, 3.83e-38),
        (3.61e-38, 3.68e-38, 3.64e-38),
    ],
)
def test_a_threshold_where_the_grid_division_is_off_is_on_the_coarsest_grid(
    low, high, expected
):
    t = _number_threshold(low, high)
    assert t == expected
    # and by exact decimals: on the coarsest grid, nearest the middle (up to the
    # doubles' spacing: the middle of -1.79 and -1.72 is as near -1.75 as -1.76)
    numbers = coarsest_grid_numbers(low, high)
    middle = low / 2 + high / 2
    assert t in numbers
    best = min(abs(n - middle) for n in numbers)
    assert abs(t - middle) <= best + 2 * math.ulp(max(abs(low), abs(high)))


def test_thresholds_between_neighbouring_steps_of_a_grid_are_on_that_grid():
    """Both ends on a decimal grid, one step apart, where dividing by the grid
    misses the step (308 of 1,618 such pairs from 1e-30 to 1e30 failed before)."""
    checked = 0
    for e in range(-30, 31, 6):
        grid = 10.0**e
        for k in range(-30, 31):
            low, high = float(f"{k}e{e}"), float(f"{k + 1}e{e}")
            if low / grid == k and high / grid == k + 1:
                continue
            checked += 1
            assert _number_threshold(low, high) in coarsest_grid_numbers(low, high)
    assert checked > 100


def best_gini_split(counts: dict[str, tuple[int, int]]) -> set[frozenset[str]]:
    """Every two-way partition of the levels, by hand: the one with the least
    weighted Gini impurity (the where tree's criterion)."""
    names = sorted(counts)

    def impurity(part):
        n = sum(counts[c][0] for c in part)
        f = sum(counts[c][1] for c in part)
        return n * (1 - (f / n) ** 2 - (1 - f / n) ** 2)

    best = None
    for size in range(1, len(names)):
        for left in itertools.combinations(names, size):
            right = tuple(c for c in names if c not in left)
            score = impurity(left) + impurity(right)
            if best is None or score < best[0] - 1e-12:
                best = (score, {frozenset(left), frozenset(right)})
    return best[1]


@pytest.mark.parametrize(
    "counts",
    [
        # (profiles, flips) per level; rates 0.1, 0.9, 0.5, 0.8: ordered by flips
        # times profiles instead of the rate, {A, C} | {B, D} is out of reach
        {"A": (100, 10), "B": (10, 9), "C": (50, 25), "D": (100, 80)},
        # a level seen once, flipped: its rate is 1, not 1/2
        {"A": (100, 20), "B": (100, 60), "D": (100, 90), "E": (1, 1)},
        {"A": (40, 0), "B": (40, 22), "C": (40, 18), "D": (40, 40), "E": (1, 1)},
    ],
)
def test_one_split_of_a_category_is_the_best_of_every_partition(counts):
    levels, flips = [], []
    for level, (n, f) in counts.items():
        levels += [level] * n
        flips += [True] * f + [False] * (n - f)
    profiles = pd.DataFrame({"level": pd.Categorical(levels)})
    where = where_bias_lives(profiles, np.array(flips), max_depth=1, min_profiles=1)
    expected = best_gini_split(counts)
    found = {(row.profiles, row.flips) for row in where.rules.itertuples(index=False)}
    assert found == {
        (sum(counts[c][0] for c in part), sum(counts[c][1] for c in part))
        for part in expected
    }


def test_a_threshold_deeper_down_is_rounded_between_the_profiles_that_reach_it():
    """Below the split on a, only even x remain: the cut between 30 and 32 is the
    roundest number in [30, 32), 30, though the sample also holds 31."""
    x = np.arange(1, 201)
    even = x % 2 == 0
    profiles = pd.DataFrame({"a": even.astype(int), "x": x})
    where = where_bias_lives(profiles, even & (x > 30), max_depth=2, min_profiles=1)
    assert set(where.rules["rule"]) == {"a ≥ 1 and x ≥ 31", "a ≥ 1 and x ≤ 30", "a ≤ 0"}


@pytest.mark.parametrize("missing_flip", [True, False])
def test_missing_values_split_from_all_others(missing_flip):
    x = np.arange(1, 201).astype(float)
    missing = np.arange(200) % 4 == 0
    x[missing] = np.nan
    flipped = missing if missing_flip else ~missing
    where = where_bias_lives(pd.DataFrame({"x": x}), flipped, max_depth=1)
    rules = where.rules.set_index("rule")
    assert rules["profiles"].to_dict() == {"x is missing": 50, "x is not missing": 150}
    assert rules.loc["x is missing", "flips"] == (50 if missing_flip else 0)
    assert rules.loc["x is not missing", "flips"] == (0 if missing_flip else 150)


def test_a_midnight_threshold_of_times_of_day_shows_its_time():
    """Hourly times cut at midnight: the rule says 00:00:00, so it does not read as
    a whole day; whole days show the date alone."""
    hours = pd.date_range("2020-01-01", periods=48, freq="h")
    where = where_bias_lives(
        pd.DataFrame({"t": hours}), np.arange(48) >= 25, max_depth=1, min_profiles=1
    )
    assert set(where.rules["rule"]) == {
        "t ≤ 2020-01-02 00:00:00",
        "t > 2020-01-02 00:00:00",
    }
    days = pd.date_range("2020-01-01", periods=48, freq="D")
    where = where_bias_lives(
        pd.DataFrame({"t": days}), np.arange(48) >= 25, max_depth=1, min_profiles=1
    )
    assert set(where.rules["rule"]) == {"t ≤ 2020-01-25", "t ≥ 2020-01-26"}


def test_a_threshold_never_leaves_out_the_value_at_the_cut():
    """Between 25 and 30 the threshold is 28 (the whole number nearest the middle,
    no multiple of 10 being in [25, 30)); measured from 20 it would be 20 and send
    the 25s right."""
    x = np.repeat([10, 20, 25, 30], 25)
    where = where_bias_lives(
        pd.DataFrame({"x": x}), x >= 30, max_depth=1, min_profiles=1
    )
    rules = where.rules.set_index("rule")
    assert rules["profiles"].to_dict() == {"x ≥ 29": 25, "x ≤ 28": 75}
    assert rules["flips"].to_dict() == {"x ≥ 29": 25, "x ≤ 28": 0}


def test_a_threshold_rounds_up_to_the_next_value_that_reaches_the_node():
    """Below the split on a, only multiples of 5 remain: the cut between 25 and 30 is
    the whole number nearest 27.5, 28. Taking the upper end from the whole sample's
    values instead (the tree cuts the ranks at 26.5, the value after is 28) would
    give [25, 28) and 26."""
    x = np.arange(1, 201)
    fives = x % 5 == 0
    profiles = pd.DataFrame({"a": fives.astype(int), "x": x})
    where = where_bias_lives(profiles, fives & (x > 25), max_depth=2, min_profiles=1)
    rules = where.rules.set_index("rule")
    assert rules["profiles"].to_dict() == {
        "a ≥ 1 and x ≥ 29": 35,
        "a ≤ 0": 160,
        "a ≥ 1 and x ≤ 28": 5,
    }


def test_missing_dates_go_with_the_side_the_tree_sends_them():
    """Every fourth date is missing and flips, as do the first 100 days: the tree
    sends the missing dates left, with the early days, and the rule says so."""
    days = pd.Series(pd.date_range("2020-01-01", periods=200, freq="D"))
    missing = np.arange(200) % 4 == 0
    days[missing] = pd.NaT
    flipped = (np.arange(200) < 100) | missing
    where = where_bias_lives(
        pd.DataFrame({"t": days}), flipped, max_depth=1, min_profiles=1
    )
    rules = where.rules.set_index("rule")
    assert rules["profiles"].to_dict() == {
        "(t ≤ 2020-04-10 or missing)": 125,
        "t ≥ 2020-04-11": 75,
    }
    assert rules["flips"].to_dict() == {
        "(t ≤ 2020-04-10 or missing)": 125,
        "t ≥ 2020-04-11": 0,
    }


def test_whole_numbers_past_two_to_the_53_get_rules_of_real_numbers():
    """Past 2**53 a double has no t + 1, so 'x ≥ t + 1' would read as 'x ≥ t' on
    both sides: such numbers get 'x > t', as numbers with fractions do."""
    x = np.repeat(np.array([0, 2, 4, 6], dtype=np.int64) + 2**53, 25)
    where = where_bias_lives(
        pd.DataFrame({"x": x}), x == x.max(), max_depth=1, min_profiles=1
    )
    rules = where.rules.set_index("rule")
    assert rules["profiles"].to_dict() == {
        "x > 9,007,199,254,740,996": 25,
        "x ≤ 9,007,199,254,740,996": 75,
    }
    assert rules["flips"].sum() == 25


@pytest.mark.parametrize(
    ("values", "rules", "bin_"),
    [
        ([1e308, 1.5e308], ["x > 1e+308", "x ≤ 1e+308"], "[1e+308, 1.5e+308]"),
        ([5e-324, 1e-323], ["x > 5e-324", "x ≤ 5e-324"], "[5e-324, 1e-323]"),
        ([2.5e25, 3.5e25], ["x > 3e+25", "x ≤ 3e+25"], "[2.5e+25, 3.5e+25]"),
    ],
)
def test_the_largest_and_smallest_doubles_get_rules_and_bins(values, rules, bin_):
    """1e308 used to overflow the grid 10**309, 5e-324 the bins' 10**325, and 3e25
    printed as 3.0000000000000005e+25 on both sides."""
    x = np.repeat(values, 50)
    where = where_bias_lives(
        pd.DataFrame({"x": x}), x == x.max(), max_depth=1, min_profiles=1
    )
    assert where.rules.set_index("rule")["flips"].to_dict() == {
        rules[0]: 50,
        rules[1]: 0,
    }
    assert where.bins["bin"].tolist() == [bin_]
    assert where.bins["profiles"].tolist() == [100]


def test_bin_edges_round_the_number_as_printed():
    """0.1 is a little above one tenth in binary: rounded up on that value, the
    last edge would be 0.2."""
    x = np.linspace(0.01, 0.1, 10).round(2)
    where = where_bias_lives(pd.DataFrame({"x": x}), x > 0.05, bins=2)
    assert where.bins["bin"].tolist()[-1].endswith(", 0.1]")


def test_the_outer_edges_round_down_and_up_not_to_the_nearest():
    """The narrowest bin (6.5 to 9.87) has a gap of about 3, so edges get one
    decimal: the smallest value 3.16 rounds down to 3.1 (to the nearest it would be
    3.2, above the value, and the bin would start at 3.16), the largest 9.87 up to
    9.9, the median 6.5 stays."""
    x = [3.16, 4, 5, 6, 7, 8, 9, 9.87]
    where = where_bias_lives(pd.DataFrame({"x": x}), [True, False] * 4, bins=2)
    assert bins(where) == [("[3.1, 6.5)", 4), ("[6.5, 9.9]", 4)]


def test_edges_wider_than_any_context_precision_are_exact():
    """The narrowest bin is 1e-10 wide, so edges get 11 decimals; -1e20 to 11
    decimals has 32 digits, more than decimal's default 28."""
    where = where_bias_lives(
        pd.DataFrame({"x": [-1e20, 0, 1e-10, 1e20]}),
        [True, False, True, False],
        bins={"x": 3},
    )
    assert bins(where) == [("[-1e+20, 0)", 1), ("[0, 1e-10)", 1), ("[1e-10, 1e+20]", 2)]


def test_an_edge_rounded_past_the_largest_double_stays_the_value():
    """Gaps of about 1.7e308 give edges rounded to 1e307: 1.75e308 rounded up is
    1.8e308, past the largest double (inf), so the last edge is 1.75e308 itself."""
    where = where_bias_lives(
        pd.DataFrame({"x": [-1.7e308, 0, 1.75e308]}), [True, False, True], bins=2
    )
    assert bins(where) == [("[-1.7e+308, 0)", 1), ("[0, 1.75e+308]", 2)]


def test_date_edges_of_bins_a_few_days_wide_are_whole_hours():
    """Times 7 hours apart from 00:30 over 29 days, 5 bins of about 6 days: under
    ten days a bin, edges are whole hours (whole days from ten days a bin). The 20th
    percentile is 19.8 steps (138.6 h) after 00:30, so the first cut is 140 h after
    midnight; the last time, 21:30 on the 29th, rounds up to 22:00."""
    t = pd.Timestamp("2024-01-01 00:30") + pd.to_timedelta(np.arange(100) * 7, unit="h")
    where = where_bias_lives(pd.DataFrame({"t": t}), np.arange(100) % 2 == 0, bins=5)
    shown = bins(where)
    assert shown[0] == ("[2024-01-01, 2024-01-06 20:00:00)", 20)
    assert shown[-1] == ("[2024-01-24 03:00:00, 2024-01-29 22:00:00]", 20)
    assert [p for _, p in shown] == [20] * 5


def test_date_edges_of_bins_ten_days_wide_are_whole_days():
    """Eleven times at 06:00, five days apart (50 days), 5 bins of exactly ten days:
    edges are whole days, from midnight before the first to midnight after the last;
    the 20th percentile, 10 days after the first at 06:00, rounds up to the 12th."""
    t = pd.Timestamp("2024-01-01 06:00") + pd.to_timedelta(
        np.linspace(0, 50, 11), unit="D"
    )
    where = where_bias_lives(pd.DataFrame({"t": t}), np.arange(11) % 2 == 0, bins=5)
    assert bins(where) == [
        ("[2024-01-01, 2024-01-12)", 3),
        ("[2024-01-12, 2024-01-22)", 2),
        ("[2024-01-22, 2024-02-01)", 2),
        ("[2024-02-01, 2024-02-11)", 2),
        ("[2024-02-11, 2024-02-21]", 2),
    ]


@pytest.mark.parametrize(
    ("columns", "shown"),
    [(["a", "b", "a", "c", "c"], "['a', 'c']"), ([1, "b", 1], "['1']")],
)
def test_duplicate_feature_names_are_refused(columns, shown):
    profiles = pd.DataFrame([range(len(columns))], columns=columns)
    with pytest.raises(
        DataError,
        match=re.escape(
            f"profiles has duplicate column names {shown}; give each feature one column."
        ),
    ):
        where_bias_lives(profiles, [True])


def test_flipped_of_two_dimensions_is_refused():
    with pytest.raises(
        DataError,
        match=re.escape(
            "flipped must be one-dimensional (one value per profile). Got shape (2, 1)."
        ),
    ):
        where_bias_lives(pd.DataFrame({"x": [1, 2]}), [[True], [False]])


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        (dict(random_state=1.5), "random_state must be an integer. Got 1.5."),
        (dict(random_state=True), "random_state must be an integer. Got True."),
        (dict(random_state="0"), "random_state must be an integer. Got '0'."),
        (dict(top=-1), "top must be an integer of at least 0. Got -1."),
        (dict(top=2.0), "top must be an integer of at least 0. Got 2.0."),
        (dict(max_depth=True), "max_depth must be an integer of at least 1. Got True."),
        (
            dict(min_profiles=False),
            "min_profiles must be an integer of at least 1. Got False.",
        ),
    ],
)
def test_bad_numbers_are_refused_by_name(argument, message):
    with pytest.raises(DataError, match=re.escape(message)):
        where_bias_lives(pd.DataFrame({"x": [1, 2]}), [True, False], **argument)


@pytest.mark.parametrize(
    "argument",
    [
        dict(random_state=np.int64(3)),
        dict(top=0),
        dict(top=np.int32(1)),
        dict(max_depth=1),
        dict(min_profiles=np.uint8(1)),
    ],
)
def test_numbers_at_their_lowest_and_numpy_integers_are_accepted(argument):
    where = where_bias_lives(pd.DataFrame({"x": [1, 2]}), [True, False], **argument)
    assert where.bins["profiles"].sum() == 2


@pytest.mark.parametrize(
    "flipped", [np.array([1, 0], dtype=np.uint8), np.array([1.0, 0.0]), [np.True_, 0]]
)
def test_flips_of_any_zero_one_type_count_as_booleans(flipped):
    where = where_bias_lives(pd.DataFrame({"x": [1, 2]}), flipped)
    assert where.bins["flips"].tolist() == [1]
    assert where.bins["flip_rate"].tolist() == [0.5]


INF = math.inf


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (-INF, 1.0, 0.0),  # [0, 1): 0
        (8.0, INF, 10.0),  # [8, 16): 10
        (0.0, INF, 0.0),  # [0, 1): 0
        (-INF, -5.0, -10.0),  # [-10, -5): -10
        (-INF, 0.0, -1.0),  # [-1, 0): -1
        (-INF, INF, 0.0),
        (0.5, INF, 1.0),  # [0.5, 1.5): 1
        (-INF, -0.5, -1.0),  # [-1.5, -0.5): -1
        (1e308, INF, 1e308),  # 2e308 is inf: [1e308, largest double)
        (sys.float_info.max, INF, sys.float_info.max),  # nothing above: low itself
        (-INF, -1e308, -1.4e308),  # [-largest, -1e308), nearest its middle
    ],
)
def test_a_threshold_beside_an_infinite_value_is_a_finite_round_number(
    low, high, expected
):
    """An infinite end is moved as far past the other end as that end is from 0
    (at least 1); before, the grid's log10(inf) raised OverflowError."""
    assert _number_threshold(low, high) == expected


def where_of(x, flipped, **kwargs):
    x = np.asarray(x, dtype=float)
    return where_bias_lives(
        pd.DataFrame({"x": x}), flipped, bins=2, min_profiles=1, **kwargs
    )


def test_infinite_values_get_rules_and_bins():
    """A ratio with both infinities: the tree splits them off at 0 (between -inf
    and 1) and 6 (between 4 and inf, moved to 8); the bins take their edges from
    the finite values (median 2.5), the outer ones open to the infinities."""
    x = [-INF, 1, 2, 3, 4, INF]
    where = where_of(x, np.isinf(x), max_depth=2)
    assert where.rules[["rule", "profiles", "flips"]].values.tolist() == [
        ["x ≤ 0", 1, 1],
        ["x > 6", 1, 1],
        ["0 < x ≤ 6", 4, 0],
    ]
    assert bins(where) == [("< 2.5", 3), ("≥ 2.5", 3)]
    assert where.bins["flips"].tolist() == [1, 1]


def test_an_audit_of_rows_with_infinite_values_describes_where():
    """The crash a user met: real rows whose ratio is inf above 5; the model
    approves every M and any ratio above 5, so F twins of ratio ≤ 5 flip."""
    rng = np.random.default_rng(0)
    ratio = rng.uniform(0, 10, 400)
    ratio[ratio > 5] = INF
    sex = rng.choice(["M", "F"], 400)
    rows = pd.DataFrame({"ratio": ratio, "sex": sex})

    def model(frame):
        return ((frame["sex"] == "M") | (frame["ratio"] > 5)).astype(int).to_numpy()

    from twinaudit import audit, from_frame

    where = audit(model, from_frame(rows, {"sex": "M"})).where
    finite = int(np.isfinite(ratio).sum())
    rules = where.rules.set_index("rule")[["profiles", "flips"]]
    # the largest finite ratio (4.99...) to inf, moved to about 10: 7 is nearest
    assert rules.to_dict("index") == {
        "ratio ≤ 7": {"profiles": finite, "flips": finite},
        "ratio > 7": {"profiles": 400 - finite, "flips": 0},
    }
    assert where.bins["bin"].iloc[-1].startswith("≥ ")
    assert where.bins["high"].iloc[-1] == INF
    assert where.bins["profiles"].sum() == 400


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        ([1, 2, 3, 4, INF], [("[1, 2.5)", 2, 0), ("≥ 2.5", 3, 1)]),
        ([-INF, -INF, 1, 2, 3, 4], [("< 2.5", 4, 1), ("[2.5, 4]", 2, 0)]),
        ([-INF] * 3 + [1, 2, 3] + [INF] * 3, [("< 2", 4, 2), ("≥ 2", 5, 3)]),
        ([INF, -INF, INF], [("[-inf, inf]", 3, 2)]),
        ([INF, INF], [("[inf, inf]", 2, 1)]),
    ],
)
def test_bins_of_infinite_values_open_the_outer_bins(x, expected):
    """Edges from the finite values' quantiles; an infinite end replaces the outer
    edge on its side; with no finite value, one bin of the infinities."""
    flipped = np.isinf(x) & (np.arange(len(x)) != 1)  # the second never flips
    where = where_of(x, flipped)
    assert [tuple(r) for r in where.bins[["bin", "profiles", "flips"]].values] == [
        (b, p, f) for b, p, f in expected
    ]


def test_a_split_between_the_two_infinities_is_at_zero():
    where = where_of([INF, -INF, INF], [True, False, True])
    assert where.rules[["rule", "profiles", "flips"]].values.tolist() == [
        ["x > 0", 2, 2],
        ["x ≤ 0", 1, 0],
    ]


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # 1% of 200 is 2: both rare jobs are shown by themselves
        ({"a": 196, "b": 2, "c": 2}, [("a", 196), ("b", 2), ("c", 2)]),
        # 1% of 250 is 2.5, rounded up to 3: c (2 profiles) joins (other)
        ({"a": 245, "b": 3, "c": 2}, [("a", 245), ("b", 3), (OTHER, 2)]),
    ],
)
def test_min_profiles_defaults_to_one_percent_rounded_up(counts, expected):
    jobs = [job for job, k in counts.items() for _ in range(k)]
    assert category_bins(jobs) == expected


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        # one finite value: its one edge stays beside the one infinity ...
        ([-INF, 5, 5], [("≤ 5", 3, 1)]),
        ([5, 5, INF], [("≥ 5", 3, 1)]),
        # ... and both infinities replace it
        ([-INF, 5, INF], [("[-inf, inf]", 3, 1)]),
    ],
)
def test_one_finite_value_beside_infinite_ones_is_one_bin(x, expected):
    where = where_of(x, [True, False, False])
    assert [tuple(r) for r in where.bins[["bin", "profiles", "flips"]].values] == [
        (b, p, f) for b, p, f in expected
    ]


def test_date_edges_of_bins_under_ten_nanoseconds_are_whole_nanoseconds():
    """Ten times 1 ns apart, 5 bins of 1.8 ns: no unit fits ten times in a bin, so
    the edges are whole nanoseconds: quantiles 1.8, 3.6, 5.4, 7.2 ns round up to
    2, 4, 6, 8, and the last edge is the last time (9 ns), not 10."""
    t = pd.Timestamp("2024-03-01 12:00:00.5") + pd.to_timedelta(np.arange(10), "ns")
    where = where_bias_lives(pd.DataFrame({"t": t}), np.arange(10) % 2 == 0, bins=5)
    base = "2024-03-01 12:00:00.5000000"
    assert bins(where) == [
        (f"[{base[:-1]}, {base}02)", 2),
        (f"[{base}02, {base}04)", 2),
        (f"[{base}04, {base}06)", 2),
        (f"[{base}06, {base}08)", 2),
        (f"[{base}08, {base}09]", 2),
    ]


def test_date_edges_in_milliseconds_are_exact_past_two_to_the_53():
    """A hundred times 0.7 ms apart in 2024, 5 bins of 14 ms: edges are whole
    milliseconds. Nanoseconds since 1970 are about 1.7e18, past 2**53, so the edges
    must be counted in integers: as doubles they would be off by up to 128 ns."""
    t = pd.Timestamp("2024-03-01 12:00:00.5") + pd.to_timedelta(
        np.arange(100) * 0.7, unit="ms"
    )
    where = where_bias_lives(pd.DataFrame({"t": t}), np.arange(100) % 2 == 0, bins=5)
    cuts = ["500000", "514000", "528000", "542000", "556000", "570000"]
    assert bins(where) == [
        (
            f"[2024-03-01 12:00:00.{a}, 2024-03-01 12:00:00.{b}{']' if b == cuts[-1] else ')'}",
            20,
        )
        for a, b in itertools.pairwise(cuts)
    ]
    assert (where.bins["low"].astype("int64") % 1_000_000 == 0).all()


def test_the_bins_outside_given_edges_hold_their_edge_as_low_or_high():
    x = [5, 12, 25, 15]
    where = where_bias_lives(
        pd.DataFrame({"x": x}), [True, False, True, False], bins={"x": [10, 20]}
    )
    table = where.bins[["bin", "low", "high", "profiles", "flips"]]
    assert table.to_dict("list") == {
        "bin": ["< 10", "[10, 20]", "> 20"],
        "low": [pytest.approx(np.nan, nan_ok=True), 10.0, 20.0],
        "high": [10.0, 20.0, pytest.approx(np.nan, nan_ok=True)],
        "profiles": [1, 2, 1],
        "flips": [1, 0, 1],
    }
    t = pd.to_datetime(["2020-01-01", "2020-03-01", "2020-06-01"])
    where = where_bias_lives(
        pd.DataFrame({"t": t}),
        [True, False, True],
        bins={"t": ["2020-02-01", "2020-04-01"]},
    )
    assert where.bins["high"].iloc[0] == pd.Timestamp("2020-02-01")
    assert pd.isna(where.bins["low"].iloc[0])
    assert where.bins["low"].iloc[-1] == pd.Timestamp("2020-04-01")


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        # finite edges [1, 2] (the median 1 is the smallest value): -inf takes
        # the place of 1, so one bin holds every value
        ([-INF, 1, 1, 1, 2], [("≤ 2", 5, 1)]),
        # [1, 2] again (the median 2 is the largest): inf takes the place of 2
        ([1, 2, 2, 2, INF], [("≥ 1", 5, 1)]),
    ],
)
def test_two_finite_edges_beside_an_infinity_leave_one_bin(x, expected):
    where = where_of(x, [True, False, False, False, False])
    assert [tuple(r) for r in where.bins[["bin", "profiles", "flips"]].values] == [
        (b, p, f) for b, p, f in expected
    ]


def test_population_bins_take_their_edges_from_the_tree_sample(monkeypatch):
    """Beyond TREE_SAMPLE profiles the edges come from the seeded sample, with
    population counts as without: here profiles 2, 4, 5 and 7 (x = 20, 40, 50,
    70), whose quartiles are 35, 45 and 55 (on all ten they would be 22.5, 45
    and 67.5)."""
    from twinaudit.metrics import _where

    x = np.arange(10) * 10
    flipped = np.arange(10) % 3 == 0
    counts = {"x": (pd.Index(x), np.ones(10, dtype=int), flipped.astype(int))}
    monkeypatch.setattr(_where, "TREE_SAMPLE", 4)
    sample = np.random.default_rng(0).choice(10, 4, replace=False)
    assert sorted(sample.tolist()) == [2, 4, 5, 7]
    expected = [("[0, 35)", 4), ("[35, 45)", 1), ("[45, 55)", 1), ("[55, 90]", 4)]
    profiles = pd.DataFrame({"x": x})
    assert bins(where_bias_lives(profiles, flipped, bins=4, counts=counts)) == expected
    assert bins(where_bias_lives(profiles, flipped, bins=4)) == expected


def test_population_values_the_column_cannot_hold_fall_back_to_the_profiles():
    """Counts of text values for a column of integers: the bins are counted on the
    profiles themselves, as without counts."""
    profiles = pd.DataFrame({"x": [1, 2, 3, 4]})
    flipped = [True, False, False, True]
    counts = {"x": (pd.Index(["a", "b"]), np.array([5, 5]), np.array([1, 0]))}
    where = where_bias_lives(profiles, flipped, bins=2, counts=counts)
    assert [tuple(r) for r in where.bins[["bin", "profiles", "flips"]].values] == [
        ("[1, 3)", 2, 1),
        ("[3, 4]", 2, 1),
    ]


def test_one_distinct_value_is_one_bin_from_it_to_itself():
    where = where_bias_lives(pd.DataFrame({"x": [5.0, 5.0, 5.0]}), [True, False, False])
    assert where.bins[["bin", "low", "high", "profiles", "flips"]].values.tolist() == [
        ["[5, 5]", 5.0, 5.0, 3, 1]
    ]


def test_a_given_bin_holding_no_profile_is_shown_with_an_undefined_rate():
    where = where_bias_lives(
        pd.DataFrame({"x": [12, 15]}), [True, False], bins={"x": [0, 10, 20]}
    )
    assert where.bins[["bin", "profiles", "flips"]].values.tolist() == [
        ["[0, 10)", 0, 0],
        ["[10, 20]", 2, 1],
    ]
    assert math.isnan(where.bins["flip_rate"].iloc[0])


def test_bins_without_an_end_hold_nan_there_beside_dates():
    """Dates and numbers share the low and high columns (object dtype): a bin
    without an end holds nan there, never None."""
    t = pd.to_datetime(["2020-01-01", None, "2020-06-01", "2020-03-01"])
    profiles = pd.DataFrame({"t": t, "x": [1.0, np.nan, 3, 4]})
    where = where_bias_lives(
        profiles,
        [True, False, True, False],
        bins={"t": ["2020-02-01", "2020-04-01"]},
    )
    table = where.bins.set_index(["feature", "bin"])
    for key, column in [
        (("t", "< 2020-02-01"), "low"),
        (("t", "> 2020-04-01"), "high"),
        (("t", MISSING), "low"),
        (("t", MISSING), "high"),
        (("x", MISSING), "low"),
        (("x", MISSING), "high"),
    ]:
        value = table.loc[key, column]
        assert isinstance(value, float) and math.isnan(value), (key, column, value)
