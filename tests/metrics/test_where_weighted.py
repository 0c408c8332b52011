"""Bins counted from distinct values and their counts equal the bins counted on the
rows themselves: for interval counts, and for where_bias_lives given a
population's value counts (a sample of it as the profiles)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from twinaudit.metrics import where_bias_lives
from twinaudit.metrics._where import _interval_counts, _weighted_interval_counts

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(finite, st.integers(0, 5)), min_size=1, max_size=30),
    st.lists(finite, min_size=1, max_size=70, unique=True),
)
def test_weighted_interval_counts_equal_the_expanded_values(held, edges):
    x = np.array([v for v, _ in held])
    weights = np.array([w for _, w in held], dtype=np.int64)
    edges = np.sort(np.array(edges))
    expected = _interval_counts(np.repeat(x, weights), edges)
    assert _weighted_interval_counts(x, weights, edges) == expected


def test_no_edges_count_nothing():
    assert _weighted_interval_counts(np.array([1.0]), np.array([3]), np.array([])) == [
        0,
        0,
    ]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 6))
def test_where_given_the_population_counts_bins_it_exactly(seed, bins):
    rng = np.random.default_rng(seed)
    n = 600
    population = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n),
            "region": pd.Categorical(rng.choice(["north", "south", "east"], n)),
            "rate": np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 9, n) / 4),
        }
    )
    flipped = rng.random(n) < 0.3
    sample = np.sort(rng.choice(n, size=150, replace=False))
    counts = {}
    for column in population.columns:
        table = (
            pd.DataFrame({"v": population[column], "f": flipped})
            .groupby("v", dropna=False, observed=True)["f"]
            .agg(["size", "sum"])
        )
        counts[column] = (
            table.index,
            table["size"].to_numpy(),
            table["sum"].to_numpy(),
        )
    on_sample = where_bias_lives(
        population.iloc[sample], flipped[sample], bins=bins, counts=counts
    )
    # The same edges, counted on every row: the population's own view with the
    # sample's edges given as edges.
    edges = {
        feature: sorted(
            set(group["low"].dropna().tolist()) | set(group["high"].dropna().tolist())
        )
        for feature, group in on_sample.bins.groupby("feature")
        if feature != "region"
    }
    whole = where_bias_lives(
        population,
        flipped,
        bins={f: e for f, e in edges.items() if len(e) >= 2},
    )
    got = on_sample.bins.set_index(["feature", "bin"])[["profiles", "flips"]]
    expected = whole.bins.set_index(["feature", "bin"])[["profiles", "flips"]]
    for key in got.index:
        if key[0] in edges and len(edges[key[0]]) < 2:
            continue
        assert got.loc[key].tolist() == expected.loc[key].tolist(), key
    assert (got.groupby(level="feature")["profiles"].sum() == n).all()
