"""Where the bias lives, where mutation testing found the tests silent: bin edges
given with time zones, the words of the bin-edge error for dates, and the roundest
instant a date split prints. Every expected value is worked out by hand."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from twinaudit.exceptions import DataError
from twinaudit.metrics._where import _date_threshold, where_bias_lives

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
        where_bias_lives(pd.DataFrame({"t": NAIVE}), np.arange(48) < 6, bins={"t": edges})


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
def test_a_date_split_prints_the_roundest_instant_near_the_middle(
    low, high, expected
):
    t = _date_threshold(ns(low), ns(high))
    assert type(t) is int
    assert t == ns(expected)


def test_a_date_split_one_nanosecond_wide_is_its_low_end():
    low = ns("2020-01-01 10:07:01.123456789")
    assert _date_threshold(low, low + 1) == low
