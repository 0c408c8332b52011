"""The accumulator's exact value counts (the where bins over every profile), where
mutation testing found the tests silent: unsigned integers above 2**63 close
together, a column holding 0, whole-number counts, a feature that overflowed on one
side of a merge or in an earlier chunk, and a chunk that came without its frame.
Expected values are hand counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from twinaudit.metrics import AuditAccumulator, _accumulator, comparisons
from twinaudit.metrics._accumulator import ValueCounts

ITEMS = comparisons(["s"], [["M", "F"]], ["M"])


def by_value(counts: ValueCounts) -> dict:
    rows = zip(
        counts.values.tolist(),
        counts.profiles.tolist(),
        counts.flips.tolist(),
        strict=True,
    )
    return {v: (p, f) for v, p, f in rows}


def test_unsigned_values_above_2_63_close_together_are_counted_by_value():
    big = 2**63
    column = pd.Series(np.array([big + 1, big + 3, big + 1], dtype=np.uint64))
    counts = ValueCounts.of(column, np.array([True, False, False]))
    assert counts.values.dtype == np.uint64
    assert by_value(counts) == {big + 1: (2, 1), big + 3: (1, 0)}


def test_a_column_holding_zero_is_counted_from_zero():
    column = pd.Series(np.array([0, 2, 0, 7], dtype=np.int32))
    counts = ValueCounts.of(column, np.array([True, True, False, False]))
    assert by_value(counts) == {0: (2, 1), 2: (1, 1), 7: (1, 0)}


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([4, 1, 4], dtype=np.int16),  # by value
        pd.Series([0.5, 0.25, 0.5]),  # by pandas.factorize
        pd.Series(["b", "a", "b"]),
    ],
    ids=["int", "float", "text"],
)
def test_counts_are_whole_numbers_also_after_a_merge(column):
    flipped = np.array([True, False, False])
    counts = ValueCounts.of(column, flipped)
    merged = counts.merge(ValueCounts.of(column, flipped))
    for c in (counts, merged):
        assert c.profiles.dtype == np.int64 and c.flips.dtype == np.int64
    assert sorted(
        zip(merged.profiles.tolist(), merged.flips.tolist(), strict=True)
    ) == [
        (2, 0),
        (4, 2),
    ]


def chunk(values, flips):
    """A chunk of pairs: one profile per value, twins (M, F) decided 1 and 1-flip."""
    n = len(values)
    frame = pd.DataFrame(
        {"x": np.repeat(values, 2), "s": np.tile(["M", "F"], n)}
    ).reset_index(drop=True)
    decisions = np.column_stack([np.ones(n, np.int8), 1 - np.asarray(flips, np.int8)])
    return decisions, frame


def accumulator(*chunks) -> AuditAccumulator:
    acc = AuditAccumulator(2, ITEMS, scores=False, where_columns=["x"])
    for decisions, frame in chunks:
        acc.update(decisions, frame=frame)
    return acc


@pytest.fixture
def limit_of_three(monkeypatch):
    monkeypatch.setattr(_accumulator, "EXACT_VALUES", 3)


def test_an_overflowed_feature_stays_uncounted_in_later_chunks(limit_of_three):
    acc = accumulator(
        chunk([1.5, 2.5, 3.5, 4.5], [1, 0, 0, 0]),  # four values: over the limit
        chunk([1.5], [1]),
        chunk([2.5], [0]),
    )
    assert acc.value_counts() == {}


@pytest.mark.parametrize("overflowed_first", [True, False])
def test_a_merge_with_an_overflowed_side_leaves_the_feature_uncounted(
    limit_of_three, overflowed_first
):
    many = accumulator(chunk([1.5, 2.5, 3.5, 4.5], [1, 0, 0, 0]))
    few = accumulator(chunk([1.5, 9.5], [1, 0]))
    first, second = (many, few) if overflowed_first else (few, many)
    assert first.merge(second).value_counts() == {}


def test_merged_counts_within_the_limit_add_up(limit_of_three):
    one = accumulator(chunk([1.5, 2.5], [1, 0]))
    two = accumulator(chunk([2.5], [1]))
    counts = one.merge(two).value_counts()["x"]
    assert by_value(counts) == {1.5: (1, 1), 2.5: (2, 1)}


def test_a_chunk_without_its_frame_leaves_no_counts():
    acc = accumulator(chunk([1, 2], [1, 0]))
    assert by_value(acc.value_counts()["x"]) == {1: (1, 1), 2: (1, 0)}
    acc.update(np.ones((2, 2), np.int8))  # no frame: its profiles are not counted
    assert acc.value_counts() == {}


def test_a_merge_with_a_side_that_lost_a_chunks_frame_leaves_no_counts():
    whole = accumulator(chunk([1, 2], [1, 0]))
    partial = accumulator(chunk([1], [1]))
    partial.update(np.ones((3, 2), np.int8))  # profiles without their frame
    assert whole.merge(partial).value_counts() == {}


def test_an_empty_accumulator_takes_the_others_counts():
    counted = accumulator(chunk([1, 2, 2], [1, 0, 1]))
    merged = accumulator().merge(counted)
    assert by_value(merged.value_counts()["x"]) == {1: (1, 1), 2: (2, 1)}
