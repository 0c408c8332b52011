"""Where the bias lives: flip rate by feature bin, tree rules and the largest score
gaps, checked against hand counts on data where the flipping band is known."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest

from twinaudit.exceptions import DataError
from twinaudit.metrics import _where
from twinaudit.metrics._where import Where, where_bias_lives


def rules(where: Where) -> list[tuple]:
    return [tuple(r) for r in where.rules[["rule", "profiles", "flips"]].values]


def bins(where: Where, feature: str | None = None) -> list[tuple]:
    frame = where.bins
    if feature is not None:
        frame = frame[frame["feature"] == feature]
    return [tuple(r) for r in frame[["bin", "profiles", "flips"]].values]


def band(n: int = 100) -> tuple[pd.DataFrame, np.ndarray]:
    """x = 0..n-1; exactly the profiles with 20 <= x < 40 flip."""
    x = np.arange(n)
    return pd.DataFrame({"x": x}), (x >= 20) & (x < 40)


# -- the tutorial -----------------------------------------------------------------


def tutorial(seed: int, n_pairs: int):
    from twinaudit.datasets import loan_applications, loan_model, loan_twin_spec
    from twinaudit.generation import generate
    from twinaudit.scoring import score

    model = loan_model(loan_applications(1000, seed=42))
    scored = score(model, generate(loan_twin_spec(seed), n_pairs))
    m = scored.decision_matrix()
    flipped = (m != m[:, :1]).any(axis=1)
    twins = scored.twins
    profiles = twins.frame.iloc[:: twins.n_variants].drop(
        columns=[twins.pair_column, "Gender", "Name"]
    )
    # The model's own split on Income (feature 1 of Gender_Code, Income).
    tree = model.tree_
    threshold = float(tree.threshold[tree.feature == 1][0])
    return profiles, flipped, threshold


def test_tutorial_rules_split_where_the_model_does():
    profiles, flipped, threshold = tutorial(42, 1000)
    income = profiles["Income"].to_numpy()
    assert threshold == 79_997.0  # README: "the tree splits women at 79,997"
    # A profile flips exactly when its income is below the model's threshold.
    np.testing.assert_array_equal(flipped, income <= threshold)
    # The profiles say the boundary lies between 79,979 (the richest that flips) and
    # 80,058 (the poorest that does not); the roundest number in between is 80,000.
    assert income[flipped].max() == 79_979 and income[~flipped].min() == 80_058
    below = int((income <= 80_000).sum())
    where = where_bias_lives(profiles, flipped)
    assert rules(where) == [
        ("Income ≤ 80,000", below, below),
        ("Income ≥ 80,001", 1000 - below, 0),
    ]
    assert where.rules["flip_rate"].tolist() == [1.0, 0.0]
    # The ID (a UUID per profile) says nothing about a population: no bins, no rules.
    assert set(where.bins["feature"]) == {"Income"}


def test_dense_tutorial_rules_name_the_models_threshold():
    # With profiles at 79,997 and 79,998 the rule names the model's own split.
    profiles, flipped, threshold = tutorial(1, 100_000)
    income = profiles["Income"].to_numpy()
    assert {79_997, 79_998} <= set(income.tolist())
    below = int((income <= threshold).sum())
    where = where_bias_lives(profiles, flipped)
    assert rules(where) == [
        (f"Income ≤ {math.floor(threshold):,}", below, below),
        (f"Income ≥ {math.floor(threshold) + 1:,}", 100_000 - below, 0),
    ]


# -- bins -------------------------------------------------------------------------


def test_quantile_bins_by_hand():
    profiles, flipped = band()
    where = where_bias_lives(profiles, flipped)
    # Quantiles of 0..99 at 20% steps are 19.8, 39.6, ... -> whole-number edges.
    assert bins(where) == [
        ("[0, 20)", 20, 0),
        ("[20, 40)", 20, 20),
        ("[40, 60)", 20, 0),
        ("[60, 80)", 20, 0),
        ("[80, 99]", 20, 0),
    ]
    assert where.bins["low"].tolist() == [0, 20, 40, 60, 80]
    assert where.bins["high"].tolist() == [20, 40, 60, 80, 99]
    assert where.bins["flip_rate"].tolist() == [0, 1, 0, 0, 0]


def test_quantile_edges_are_rounded_and_counted_as_printed():
    rng = np.random.default_rng(3)
    income = rng.integers(30_000, 120_000, 1000)
    flipped = income < 50_000
    where = where_bias_lives(pd.DataFrame({"income": income}), flipped)
    labels = where.bins["bin"].tolist()
    assert all(re.fullmatch(r"\[\d+(,000)?, \d+(,000)?[)\]]", b) for b in labels)
    for row in where.bins.itertuples():
        inside = (income >= row.low) & (
            (income <= row.high) if row.bin.endswith("]") else (income < row.high)
        )
        assert row.profiles == inside.sum() and row.flips == flipped[inside].sum()
    assert where.bins["profiles"].sum() == 1000


def test_merged_edges_of_a_tied_feature():
    # 70 zeros, 20 ones, 10 twos: the quantile edges 0, 0, 0, 0, 1, 2 merge.
    x = np.repeat([0, 1, 2], [70, 20, 10])
    flipped = x == 1
    where = where_bias_lives(pd.DataFrame({"x": x}), flipped)
    assert bins(where) == [("[0, 1)", 70, 0), ("[1, 2]", 30, 20)]


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ([0, 30, 50], [("[0, 30)", 30, 10), ("[30, 50]", 21, 10), ("> 50", 49, 0)]),
        (
            [10, 20, 40],
            [
                ("< 10", 10, 0),
                ("[10, 20)", 10, 0),
                ("[20, 40]", 21, 20),
                ("> 40", 59, 0),
            ],
        ),
        ([-np.inf, 20, np.inf], [("< 20", 20, 0), ("≥ 20", 80, 20)]),
        ([0, 25, 99], [("[0, 25)", 25, 5), ("[25, 99]", 75, 15)]),
    ],
)
def test_user_bins_by_hand(edges, expected):
    profiles, flipped = band()
    where = where_bias_lives(profiles, flipped, bins={"x": edges})
    assert bins(where) == expected


def test_user_bins_keep_empty_inner_bins_as_undefined():
    profiles, flipped = band()
    where = where_bias_lives(profiles, flipped, bins={"x": [0, 99, 200, 300]})
    assert bins(where) == [
        ("[0, 99)", 99, 20),
        ("[99, 200)", 1, 0),
        ("[200, 300]", 0, 0),
    ]
    assert math.isnan(where.bins["flip_rate"].iloc[-1])
    assert where.to_dict()["bins"][-1]["flip_rate"] is None


def test_user_bins_for_one_feature_and_a_count_for_another():
    x = np.arange(100)
    profiles = pd.DataFrame({"x": x, "y": x / 100})
    flipped = x < 30
    where = where_bias_lives(profiles, flipped, bins={"x": 2, "y": [0, 0.5, 0.99]})
    assert bins(where, "x") == [("[0, 50)", 50, 30), ("[50, 99]", 50, 0)]
    assert bins(where, "y") == [("[0, 0.5)", 50, 30), ("[0.5, 0.99]", 50, 0)]


def test_float_feature_bins_and_rules():
    x = np.arange(100) / 100  # 0.00 .. 0.99
    flipped = x < 0.25
    where = where_bias_lives(pd.DataFrame({"x": x}), flipped, bins=4)
    assert bins(where) == [
        ("[0, 0.25)", 25, 25),
        ("[0.25, 0.5)", 25, 0),
        ("[0.5, 0.74)", 24, 0),
        ("[0.74, 0.99]", 26, 0),
    ]
    assert rules(where) == [("x ≤ 0.24", 25, 25), ("x > 0.24", 75, 0)]


def test_labels_of_negative_large_and_infinite_edges():
    x = np.array([-5000.0, -1234.5, -1.0, 0.0, 2.5, 3e20])
    where = where_bias_lives(
        pd.DataFrame({"x": x}),
        x < 0,
        bins={"x": [-np.inf, -1234.5, 0, 0.125, 1e20]},
    )
    assert bins(where) == [
        ("< -1,234.5", 1, 1),
        ("[-1,234.5, 0)", 2, 2),
        ("[0, 0.125)", 1, 0),
        ("[0.125, 1e+20]", 1, 0),
        ("> 1e+20", 1, 0),
    ]
    assert where.bins["low"].iloc[0] == -np.inf


def test_where_checks_its_tables():
    with pytest.raises(
        DataError,
        match=re.escape(
            "Where.rules must be a DataFrame with columns ['rule', 'profiles', "
            "'flips', 'flip_rate']. Got ['rule']."
        ),
    ):
        Where(
            bins=pd.DataFrame(columns=list(_where.BIN_COLUMNS)),
            rules=pd.DataFrame(columns=["rule"]),
        )


# -- rules ------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["sorted", "reversed", "shuffled"])
def test_a_band_becomes_one_rule(order):
    profiles, flipped = band()
    rows = {
        "sorted": np.arange(100),
        "reversed": np.arange(100)[::-1],
        "shuffled": np.random.default_rng(0).permutation(100),
    }[order]
    where = where_bias_lives(
        profiles.iloc[rows].set_index(pd.Index([f"p{i}" for i in rows])),
        flipped[rows],
        max_depth=2,
    )
    assert rules(where) == [
        ("20 ≤ x ≤ 39", 20, 20),
        ("x ≥ 40", 60, 0),
        ("x ≤ 19", 20, 0),
    ]


def test_rules_cover_every_profile_once_and_respect_min_profiles():
    rng = np.random.default_rng(5)
    profiles = pd.DataFrame(
        {"age": rng.integers(18, 80, 500), "score": rng.normal(size=500)}
    )
    flipped = (profiles["age"] < 30).to_numpy() | (rng.random(500) < 0.1)
    where = where_bias_lives(profiles, flipped, min_profiles=40, max_depth=3)
    assert where.rules["profiles"].sum() == 500
    assert where.rules["flips"].sum() == flipped.sum()
    assert (where.rules["profiles"] >= 40).all()
    assert len(where.rules) <= 8
    rates = list(zip(-where.rules["flip_rate"], -where.rules["profiles"], strict=True))
    assert rates == sorted(rates)


def test_two_features_make_a_conjunction():
    grid = np.array([(a, b) for a in range(10) for b in range(10)])
    profiles = pd.DataFrame({"age": grid[:, 0] * 10, "income": grid[:, 1] * 1000})
    flipped = (profiles["age"] >= 50).to_numpy() & (
        profiles["income"] < 3000
    ).to_numpy()
    where = where_bias_lives(profiles, flipped, max_depth=2)
    # Root: income < 3,000 (30 profiles, 15 flips) beats age ≥ 50 (50, 15); then
    # age, whose neighbouring values 40 and 50 leave the roundest cut at 40.
    assert rules(where)[0] == ("income ≤ 2,000 and age ≥ 41", 15, 15)
    assert where.rules["flips"].sum() == 15


@pytest.mark.parametrize("dtype", ["object", "category", "string"])
def test_categorical_feature(dtype):
    jobs = pd.Series(["pilot"] * 20 + ["clerk"] * 20 + ["nurse"] * 20, dtype=dtype)
    flipped = (jobs == "nurse").to_numpy()
    where = where_bias_lives(pd.DataFrame({"job": jobs}), flipped)
    assert bins(where) == [("clerk", 20, 0), ("nurse", 20, 20), ("pilot", 20, 0)]
    assert where.bins["low"].isna().all()
    assert rules(where) == [("job = nurse", 20, 20), ("job ≠ nurse", 40, 0)]


def test_categorical_sets_and_declared_category_order():
    jobs = pd.Series(pd.Categorical(list("abcd") * 10, categories=["d", "c", "b", "a"]))
    flipped = jobs.isin(["a", "c"]).to_numpy()
    where = where_bias_lives(pd.DataFrame({"job": jobs}), flipped)
    assert [b for b, *_ in bins(where)] == ["d", "c", "b", "a"]
    # Levels are listed in the declared order.
    assert rules(where) == [("job in {c, a}", 20, 20), ("job in {d, b}", 20, 0)]


def test_categories_beyond_the_cap_become_other():
    values = (
        [f"c{i:02d}" for i in range(20) for _ in range(5)]
        + ["rare1"] * 2
        + ["rare2"] * 2
    )
    flipped = np.array([v.startswith("rare") for v in values])
    where = where_bias_lives(pd.DataFrame({"job": values}), flipped)
    shown = bins(where)
    assert len(shown) == 21
    assert shown[-1] == ("(other)", 4, 4)
    assert shown[:2] == [("c00", 5, 0), ("c01", 5, 0)]
    assert rules(where) == [("job = (other)", 4, 4), ("job ≠ (other)", 100, 0)]


def test_identifier_and_constant_and_empty_features():
    n = 50
    profiles = pd.DataFrame(
        {
            "id": [f"id{i}" for i in range(n)],
            "const": 7,
            "empty": np.nan,
            "x": np.arange(n),
        }
    )
    flipped = np.arange(n) < 10
    where = where_bias_lives(profiles, flipped)
    assert bins(where, "id") == []
    assert bins(where, "const") == [("[7, 7]", 50, 10)]
    assert bins(where, "empty") == [("(missing)", 50, 10)]
    assert rules(where) == [("x ≤ 9", 10, 10), ("x ≥ 10", 40, 0)]


def test_no_columns_gives_one_rule():
    where = where_bias_lives(pd.DataFrame(index=range(4)), [True, False, False, True])
    assert where.bins.empty
    assert rules(where) == [("all profiles", 4, 2)]


def test_boolean_feature():
    flag = np.array([True, False] * 30)
    where = where_bias_lives(pd.DataFrame({"flag": flag}), flag)
    assert bins(where) == [("False", 30, 0), ("True", 30, 30)]
    assert rules(where) == [("flag = True", 30, 30), ("flag = False", 30, 0)]


@pytest.mark.parametrize("flipped_value", [False, True])
def test_no_flips_or_all_flip(flipped_value):
    profiles, _ = band()
    flipped = np.full(100, flipped_value)
    where = where_bias_lives(profiles, flipped)
    assert rules(where) == [("all profiles", 100, 100 * flipped_value)]
    assert where.rules["flip_rate"].tolist() == [float(flipped_value)]
    assert where.bins["profiles"].tolist() == [20] * 5


def test_missing_values_get_their_own_bin_and_go_with_the_rule():
    x = pd.Series([*range(20), None, None, None], dtype="Int64")
    flipped = np.r_[np.arange(20) < 5, [True] * 3]
    where = where_bias_lives(pd.DataFrame({"x": x}), flipped)
    assert bins(where)[-1] == ("(missing)", 3, 3)
    assert sum(p for _, p, _ in bins(where)) == 23
    assert rules(where) == [("(x ≤ 4 or missing)", 8, 8), ("x ≥ 5", 15, 0)]


def test_only_missing_values_flip():
    x = [*np.arange(10.0), np.nan, np.nan, np.nan]
    flipped = np.r_[[False] * 10, [True] * 3]
    where = where_bias_lives(pd.DataFrame({"x": x}), flipped)
    assert rules(where) == [("x is missing", 3, 3), ("x is not missing", 10, 0)]


def test_missing_category():
    jobs = ["a"] * 10 + ["b"] * 10 + [None] * 5
    flipped = np.r_[[False] * 20, [True] * 5]
    where = where_bias_lives(pd.DataFrame({"job": jobs}), flipped)
    assert bins(where) == [("a", 10, 0), ("b", 10, 0), ("(missing)", 5, 5)]
    assert rules(where)[0] == ("job = (missing)", 5, 5)


def test_dates_print_as_dates():
    days = pd.date_range("2020-01-01", periods=100, freq="D")
    flipped = days < "2020-02-01"
    where = where_bias_lives(pd.DataFrame({"applied": days}), flipped)
    assert rules(where) == [
        ("applied ≤ 2020-01-31", 31, 31),
        ("applied ≥ 2020-02-01", 69, 0),
    ]
    # 99 days in 5 quantile bins: edges on whole days 20 days apart.
    assert bins(where)[0] == ("[2020-01-01, 2020-01-21)", 20, 20)
    assert where.bins["low"].iloc[0] == pd.Timestamp("2020-01-01")
    where = where_bias_lives(
        pd.DataFrame({"applied": days}),
        flipped,
        bins={"applied": ["2020-01-15", "2020-03-01"]},
    )
    assert bins(where) == [
        ("< 2020-01-15", 14, 14),
        ("[2020-01-15, 2020-03-01]", 47, 17),
        ("> 2020-03-01", 39, 0),
    ]


def test_times_print_with_their_time_in_local_time():
    hours = pd.date_range("2020-01-01", periods=48, freq="h", tz="Europe/Paris")
    flipped = np.arange(48) < 6
    where = where_bias_lives(pd.DataFrame({"t": hours}), flipped)
    assert rules(where) == [
        ("t ≤ 2020-01-01 05:00:00", 6, 6),
        ("t > 2020-01-01 05:00:00", 42, 0),
    ]


# -- largest gaps -----------------------------------------------------------------


def test_largest_gaps_join_the_profiles_features_by_position():
    profiles = pd.DataFrame(
        {"income": [10, 20, 30, 40], "job": ["a", "b", "c", "d"]},
        index=[40, 30, 20, 10],
    )
    gaps = pd.DataFrame(
        {
            "pair": [0, 1, 2, 3, 0, 3],
            "attribute": ["sex"] * 4 + ["race", "race"],
            "group": ["F"] * 4 + ["black", "asian"],
            "score_gap": [0.1, -0.5, np.nan, 0.2, 0.3, 0.5],
        }
    )
    where = where_bias_lives(profiles, [True, False, True, False], gaps, top=3)
    # |gap| 0.5 twice (kept in input order), then 0.3; the nan gap is left out.
    assert where.largest_gaps[
        ["pair", "attribute", "group", "score_gap"]
    ].values.tolist() == [
        [1, "sex", "F", -0.5],
        [3, "race", "asian", 0.5],
        [0, "race", "black", 0.3],
    ]
    assert where.largest_gaps["features"].tolist()[0] == {"income": 20, "job": "b"}
    item = where.to_dict()["largest_gaps"][1]
    assert item == {
        "pair": 3,
        "attribute": "race",
        "group": "asian",
        "score_gap": 0.5,
        "features": {"income": 40, "job": "d"},
    }
    assert where_bias_lives(profiles, [True] * 4, gaps, top=0).largest_gaps.empty


def test_to_dict_is_json_with_the_report_schema():
    profiles = pd.DataFrame(
        {
            "x": [*range(20), np.nan],
            "when": pd.date_range("2021-01-01", periods=21, freq="D"),
            "job": ["a", "b", "c"] * 7,
        }
    )
    flipped = np.arange(21) < 5
    gaps = pd.DataFrame(
        {"pair": [20, 1], "attribute": "sex", "group": "F", "score_gap": [0.4, 0.1]}
    )
    out = where_bias_lives(profiles, flipped, gaps).to_dict()
    text = json.dumps(out, allow_nan=False)
    assert json.loads(text) == out
    assert set(out) == {"bins", "rules", "largest_gaps"}
    assert {tuple(b) for b in out["bins"]} == {
        ("feature", "bin", "profiles", "flips", "flip_rate")
    }
    assert {tuple(r) for r in out["rules"]} == {
        ("rule", "profiles", "flips", "flip_rate")
    }
    assert out["largest_gaps"][0]["features"] == {
        "x": None,
        "when": "2021-01-21T00:00:00",
        "job": "c",
    }


# -- seeds and size ---------------------------------------------------------------


def test_the_same_seed_gives_the_same_result():
    rng = np.random.default_rng(11)
    profiles = pd.DataFrame(
        {"a": rng.integers(0, 5, 400), "b": rng.integers(0, 5, 400)}
    )
    flipped = rng.random(400) < 0.3
    first = where_bias_lives(profiles, flipped, random_state=3)
    again = where_bias_lives(profiles, flipped, random_state=3)
    pd.testing.assert_frame_equal(first.rules, again.rules)
    pd.testing.assert_frame_equal(first.bins, again.bins)


@pytest.mark.parametrize("random_state", [0, 1])
def test_a_sampled_tree_still_counts_every_profile_as_printed(
    monkeypatch, random_state
):
    monkeypatch.setattr(_where, "TREE_SAMPLE", 300)
    rng = np.random.default_rng(random_state)
    x = rng.integers(0, 10_000, 2000)
    flipped = x < 3_000
    where = where_bias_lives(
        pd.DataFrame({"x": x}), flipped, max_depth=1, random_state=random_state
    )
    assert where.rules["profiles"].sum() == 2000
    assert where.bins["profiles"].sum() == 2000
    for row in where.rules.itertuples():
        number = int(re.search(r"[\d,]+$", row.rule).group().replace(",", ""))
        inside = x <= number if "≤" in row.rule else x >= number
        assert row.profiles == inside.sum() and row.flips == flipped[inside].sum()
    again = where_bias_lives(
        pd.DataFrame({"x": x}), flipped, max_depth=1, random_state=random_state
    )
    pd.testing.assert_frame_equal(where.rules, again.rules)


# -- bad input --------------------------------------------------------------------


def test_length_mismatch():
    with pytest.raises(
        DataError,
        match=re.escape(
            "profiles has 3 rows but flipped has 2 values; pass one flipped value "
            "per base profile, in the same order."
        ),
    ):
        where_bias_lives(pd.DataFrame({"x": [1, 2, 3]}), [True, False])


def test_unknown_feature_in_bins():
    profiles = pd.DataFrame({"Income": [1, 2], "job": ["a", "b"]})
    with pytest.raises(
        DataError,
        match=re.escape(
            "bins names the feature 'Incme', which is not a column of profiles. "
            "Did you mean 'Income'? The columns are ['Income', 'job']."
        ),
    ):
        where_bias_lives(profiles, [True, False], bins={"Incme": [0, 1]})


@pytest.mark.parametrize("value", [1, 0, -3, True, 2.5, "5"])
def test_bins_below_two_or_not_a_number(value):
    with pytest.raises(
        DataError,
        match=re.escape(
            "bins must be an integer of at least 2 (quantile bins per feature) or a "
            f"mapping {{feature: edges}}. Got {value!r}."
        ),
    ):
        where_bias_lives(pd.DataFrame({"x": [1, 2]}), [True, False], bins=value)


@pytest.mark.parametrize("edges", [[10, 5], [3], [1, 1, 2], ["a", "b"], [0, np.nan]])
def test_user_edges_must_increase(edges):
    with pytest.raises(
        DataError,
        match=re.escape(
            f"The bin edges for 'x' must be at least two increasing numbers. Got {edges!r}."
        ),
    ):
        where_bias_lives(pd.DataFrame({"x": [1, 2]}), [True, False], bins={"x": edges})


@pytest.mark.parametrize("spec", [[0, 1], 3])
def test_bins_for_a_categorical_feature(spec):
    with pytest.raises(
        DataError,
        match=re.escape(
            "bins has an entry for 'job', but 'job' is categorical and is binned one "
            "bin per value; remove 'job' from bins."
        ),
    ):
        where_bias_lives(
            pd.DataFrame({"job": ["a", "b"]}), [True, False], bins={"job": spec}
        )


def test_quantile_count_below_two_for_one_feature():
    with pytest.raises(
        DataError,
        match=re.escape(
            "bins for 'x' must be at least 2 quantile bins or a list of edges. Got 1."
        ),
    ):
        where_bias_lives(pd.DataFrame({"x": [1, 2]}), [True, False], bins={"x": 1})


@pytest.mark.parametrize(
    ("flipped", "shown"),
    [
        ([0, 2], "[2]"),
        ([0.5, 1.0], "[0.5]"),
        (["yes", "no"], "['yes', 'no']"),
        ([True, None], "[None]"),
        # in an object array, a whole number other than 0 and 1 is refused too
        ([2, None], "[2, None]"),
        (pd.Series([1.5, 0], dtype=object), "[1.5]"),
        # five at most are shown
        ([2, 3, 4, 5, 6, 7], "[2, 3, 4, 5, 6]"),
    ],
)
def test_flipped_must_be_boolean(flipped, shown):
    message = f"flipped must hold booleans (or 0/1), one per profile. Got values such as {shown}."
    with pytest.raises(DataError, match=f"^{re.escape(message)}$"):
        where_bias_lives(pd.DataFrame({"x": range(len(flipped))}), flipped)


def test_zero_one_flips_are_accepted():
    profiles, flipped = band()
    a = where_bias_lives(profiles, flipped.astype(int))
    b = where_bias_lives(profiles, pd.Series(flipped, index=profiles.index + 7))
    pd.testing.assert_frame_equal(a.rules, b.rules)


@pytest.mark.parametrize(
    "flipped",
    [
        pd.Series([True, 0, False], dtype=object),
        pd.Series([1.0, 0.0, 0], dtype=object),
        np.array([np.float32(1), np.int8(0), np.False_], dtype=object),
    ],
)
def test_zero_one_flips_of_mixed_types_are_accepted(flipped):
    profiles = pd.DataFrame({"x": [1, 2, 3]})
    where = where_bias_lives(profiles, flipped)
    assert where.bins["flips"].sum() == 1
    expected = where_bias_lives(profiles, [True, False, False])
    pd.testing.assert_frame_equal(where.bins, expected.bins)


def test_empty_profiles_and_bad_arguments():
    with pytest.raises(
        DataError,
        match=f"^{re.escape('profiles has no rows; pass at least one base profile.')}$",
    ):
        where_bias_lives(pd.DataFrame({"x": []}), [])
    with pytest.raises(
        DataError,
        match=re.escape(
            "profiles must be a pandas DataFrame with one row per base profile. Got list."
        ),
    ):
        where_bias_lives([[1]], [True])
    with pytest.raises(
        DataError, match=re.escape("max_depth must be an integer of at least 1. Got 0.")
    ):
        where_bias_lives(pd.DataFrame({"x": [1]}), [True], max_depth=0)
    with pytest.raises(
        DataError,
        match=re.escape("min_profiles must be an integer of at least 1. Got 0."),
    ):
        where_bias_lives(pd.DataFrame({"x": [1]}), [True], min_profiles=0)


def test_gaps_must_name_columns_and_pairs():
    profiles = pd.DataFrame({"x": [1, 2]})
    with pytest.raises(
        DataError,
        match=re.escape(
            "gaps lacks the columns ['group']; it needs ['pair', 'attribute', 'group', "
            "'score_gap'], one row per profile and comparison. Got columns "
            "['pair', 'attribute', 'score_gap']."
        ),
    ):
        where_bias_lives(
            profiles,
            [True, False],
            pd.DataFrame({"pair": [0], "attribute": ["sex"], "score_gap": [0.1]}),
        )
    with pytest.raises(
        DataError,
        match=re.escape(
            "gaps['pair'] must hold positions of profiles, integers from 0 to 1. Got [2]."
        ),
    ):
        where_bias_lives(
            profiles,
            [True, False],
            pd.DataFrame(
                {"pair": [0, 2], "attribute": "sex", "group": "F", "score_gap": 0.1}
            ),
        )
