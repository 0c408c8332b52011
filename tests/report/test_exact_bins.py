"""Where the bias lives counts every profile in its bins, also when the rules
describe a sample: each bin recounted with pandas on all the profiles, for
integers, decimals with missing values, text with rare and missing values,
booleans and dates; the same bins however the audit is chunked; a feature with
too many distinct values falls back to the sample and the note names it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import twinaudit as ta
from twinaudit.metrics import AuditAccumulator, _accumulator, comparisons
from twinaudit.metrics._accumulator import ValueCounts
from twinaudit.metrics._where import MISSING, OTHER

N = 3000


def profiles(n: int = N, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    score = rng.normal(600, 80, n).round(1)
    score[rng.random(n) < 0.05] = np.nan
    job = rng.choice(["clerk", "nurse", "welder", "pilot"], n).astype(object)
    job[rng.random(n) < 0.01] = "astronaut"  # rare: shown as other
    job[rng.random(n) < 0.04] = None
    when = pd.Series(
        pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D")
    )
    when[rng.random(n) < 0.03] = pd.NaT
    return pd.DataFrame(
        {
            "income": rng.integers(20_000, 130_000, n),
            "score": score,
            "job": job,
            "owner": rng.random(n) < 0.4,
            "since": when,
        }
    )


def twins_of(frame: pd.DataFrame) -> ta.Twins:
    base = frame.assign(pair_id=np.arange(len(frame)))
    rows = pd.concat([base.assign(sex="M"), base.assign(sex="F")]).sort_values(
        ["pair_id", "sex"], ascending=[True, False], kind="stable"
    )
    return ta.Twins(rows.reset_index(drop=True), protected={"sex": "M"})


def model(frame: pd.DataFrame) -> np.ndarray:
    # Women are approved only above 80,000, or with a score above 650 as nurses.
    rich = frame["income"].to_numpy() > 80_000
    nurse = (frame["job"] == "nurse").to_numpy() & (frame["score"].to_numpy() > 650)
    woman = (frame["sex"] == "F").to_numpy()
    return (~woman | rich | nurse).astype(int)


def recount(
    frame: pd.DataFrame, flipped: np.ndarray, row: pd.Series, bins: pd.DataFrame
):
    column = frame[row["feature"]]
    label = row["bin"]
    if label == MISSING:
        selected = column.isna().to_numpy()
    elif not (
        pd.api.types.is_datetime64_any_dtype(column)
        or (pd.api.types.is_numeric_dtype(column) and column.dtype != bool)
    ):
        shown = set(bins.loc[bins["feature"] == row["feature"], "bin"]) - {
            OTHER,
            MISSING,
        }
        missing = column.isna().to_numpy()
        text = column.astype(object).map(str).to_numpy()
        if label == OTHER:
            selected = ~missing & ~np.isin(text, list(shown))
        else:
            selected = ~missing & (text == label)
    else:
        values = column
        edges = bins.loc[bins["feature"] == row["feature"], "high"].dropna()
        low, high = row["low"], row["high"]
        if pd.isna(low):
            selected = (values < high).to_numpy()
        elif pd.isna(high):
            selected = (values > low).to_numpy()
        elif high == edges.max() or low == high:
            selected = ((values >= low) & (values <= high)).to_numpy()
        else:
            selected = ((values >= low) & (values < high)).to_numpy()
    return int(selected.sum()), int(flipped[selected].sum())


@pytest.fixture
def small_sample(monkeypatch):
    monkeypatch.setattr(_accumulator, "WHERE_SAMPLE", 400)


def audit(frame: pd.DataFrame, **options) -> ta.AuditReport:
    return ta.audit(model, twins_of(frame), libraries=False, n_boot=0, **options)


def test_every_bin_counts_every_profile(small_sample):
    frame = profiles()
    report = audit(frame)
    decisions = report.scored.decision_matrix()
    flipped = decisions[:, 0] != decisions[:, 1]
    bins = report.where.bins
    assert set(bins["feature"]) == {"income", "score", "job", "owner", "since"}
    assert {OTHER, MISSING} <= set(bins["bin"])
    for _, row in bins.iterrows():
        assert (row["profiles"], row["flips"]) == recount(frame, flipped, row, bins), (
            row
        )
    # Each feature's bins hold every profile once.
    assert (bins.groupby("feature")["profiles"].sum() == N).all()
    note = next(n for n in report.notes if n.startswith("Where the bias lives"))
    assert (
        "sample of 400 of the 3,000" in note and "the bins count every profile" in note
    )


def test_the_rules_still_describe_the_sample(small_sample):
    report = audit(profiles())
    assert report.where.rules["profiles"].sum() == 400


# A chunk of one pair is an audit per profile: 150 profiles (sample 50) keep it quick.
@pytest.mark.parametrize(
    ("n", "chunk_size"), [(150, 1), (1200, 7), (1200, 999), (1200, 2500)]
)
def test_the_same_bins_however_the_audit_is_chunked(
    small_sample, monkeypatch, n, chunk_size
):
    monkeypatch.setattr(_accumulator, "WHERE_SAMPLE", n // 3)
    frame = profiles(n, seed=3)
    whole = audit(frame)
    chunked = audit(frame, chunk_size=chunk_size)
    pd.testing.assert_frame_equal(whole.where.bins, chunked.where.bins)


def test_a_feature_with_too_many_values_is_binned_on_the_sample(
    small_sample, monkeypatch
):
    # income, score and since have more than 50 distinct values; job and owner not
    monkeypatch.setattr(_accumulator, "EXACT_VALUES", 50)
    frame = profiles()
    report = audit(frame)
    bins = report.where.bins
    sampled = bins[bins["feature"].isin(["income", "score", "since"])]
    assert sampled.groupby("feature")["profiles"].sum().tolist() == [400, 400, 400]
    exact = bins[bins["feature"].isin(["job", "owner"])]
    assert (exact.groupby("feature")["profiles"].sum() == N).all()
    note = next(n for n in report.notes if n.startswith("Where the bias lives"))
    assert (
        "the bins of income, score, since (more than 50 distinct values) count the "
        "sample" in note
    )


def test_without_a_sample_the_bins_are_those_of_every_profile():
    frame = profiles(500)
    report = audit(frame)
    assert (report.where.bins.groupby("feature")["profiles"].sum() == 500).all()
    assert not any(n.startswith("Where the bias lives") for n in report.notes)


values = st.lists(
    st.one_of(st.none(), st.integers(-3, 3), st.sampled_from(["a", "b"])),
    min_size=1,
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(values, st.data())
def test_value_counts_merge_to_the_counts_of_the_whole(items, data):
    column = pd.Series(items, dtype=object)
    flipped = np.asarray(
        data.draw(st.lists(st.booleans(), min_size=len(items), max_size=len(items)))
    )
    cut = data.draw(st.integers(0, len(items)))
    whole = ValueCounts.of(column, flipped)
    left = ValueCounts.of(column[:cut].reset_index(drop=True), flipped[:cut])
    right = ValueCounts.of(column[cut:].reset_index(drop=True), flipped[cut:])
    merged = left.merge(right)

    def table(v: ValueCounts) -> dict:
        return {
            (None if pd.isna(k) else k): (int(p), int(f))
            for k, p, f in zip(v.values, v.profiles, v.flips, strict=True)
            if p
        }

    assert table(merged) == table(whole)
    expected: dict = {}
    for value, flip in zip(items, flipped, strict=True):
        p, f = expected.get(value, (0, 0))
        expected[value] = (p + 1, f + int(flip))
    assert table(whole) == expected


def by_value(counts: ValueCounts) -> dict:
    """value -> (profiles, flips)"""
    rows = zip(
        counts.values.tolist(),
        counts.profiles.tolist(),
        counts.flips.tolist(),
        strict=True,
    )
    return {v: (p, f) for v, p, f in rows}


@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.uint32])
def test_integer_value_counts_by_offset_equal_a_hand_count(dtype):
    column = pd.Series(np.array([5, 3, 5, 9, 3, 5], dtype=dtype))
    flipped = np.array([True, False, False, True, True, True])
    counts = ValueCounts.of(column, flipped)
    assert counts.values.dtype == np.dtype(dtype)
    assert by_value(counts) == {3: (2, 1), 5: (3, 2), 9: (1, 1)}


def test_more_distinct_values_than_the_limit_give_none(monkeypatch):
    monkeypatch.setattr(_accumulator, "EXACT_VALUES", 3)
    flipped = np.zeros(4, dtype=bool)
    assert ValueCounts.of(pd.Series([1.5, 2.5, 3.5, 4.5]), flipped) is None
    three = ValueCounts.of(pd.Series(["a", "b", "c", "a"]), flipped)
    assert three is not None
    assert three.merge(ValueCounts.of(pd.Series(["d"]), flipped[:1])) is None
    assert three.merge(None) is None


@pytest.mark.parametrize(
    ("dtype", "items"),
    [
        (np.int8, [-128, 127, -128, 0]),
        (np.int16, [-5, -5, 3]),
        (np.uint64, [2**63 + 1, 0, 2**63 + 1]),
        (np.int64, [-(2**62), 2**62, 0]),  # too wide to count by value
    ],
)
def test_integer_extremes_are_counted_exactly(dtype, items):
    column = pd.Series(np.array(items, dtype=dtype))
    flipped = np.arange(len(items)) % 2 == 0
    counts = ValueCounts.of(column, flipped)
    got = by_value(counts)
    expected: dict = {}
    for value, flip in zip(items, flipped, strict=True):
        p, f = expected.get(value, (0, 0))
        expected[value] = (p + 1, f + int(flip))
    assert got == expected
    assert column.tolist() == items  # the user's column is untouched


# -- value counts where mutation testing found the tests silent: unsigned values
# above 2**63 close together, a column holding 0, whole-number counts, a feature
# that overflowed on one side of a merge or in an earlier chunk, a chunk that came
# without its frame. Expected values are hand counts.

ITEMS = comparisons(["s"], [["M", "F"]], ["M"])


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
