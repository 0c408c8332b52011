"""Metric details left open by the other metric tests (second mutmut round).

Each test pins one behaviour of ``twinaudit.metrics`` (group metrics, paired
statistics, intervals, counts) that a one-line change would break. Expected values
are hand counts on small tables, or scipy/statsmodels on the raw data, never the
output of the code under test.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from twinaudit.metrics import (
    BOOTSTRAP_LIMIT,
    GROUP_RATES,
    Grouping,
    comparisons,
    counterfactual_table,
    group_metric_rows,
    group_values,
    profile_gaps,
    result_frame,
    theil_index,
)

SEX = ["M", "F"]

# -- paired statistics ----------------------------------------------------------------


def test_score_gaps_of_float32_scores_are_averaged_in_float64():
    # 3,000 profiles with float32 scores: the mean gap is the float64 mean of the
    # float32 differences (a float32 running sum drifts by ~1e-8 here).
    rng = np.random.default_rng(11)
    n = 3000
    scores = rng.random((n, 2)).astype(np.float32)
    items = comparisons(["sex"], [SEX], ["M"])
    gaps = profile_gaps(scores, items[0])
    assert gaps.dtype == np.float64
    exact = (scores[:, 1] - scores[:, 0]).astype(np.float64)
    decisions = (scores > 0.5).astype(np.int8)
    frame, _ = counterfactual_table(decisions, scores, items, n_boot=20)
    assert frame.loc[0, "mean_score_gap"] == pytest.approx(
        math.fsum(exact) / n, abs=1e-15
    )


def gap_row(gaps, n_boot=1000, confidence=0.95, random_state=0):
    """The score-gap statistics of one two-valued attribute whose privileged twin
    scores 0.5 and whose other twin scores 0.5 + gap."""
    gaps = np.asarray(gaps, dtype=float)
    scores = np.column_stack([np.full(len(gaps), 0.5), 0.5 + gaps])
    frame, _ = counterfactual_table(
        (scores > 0.5).astype(np.int8),
        scores,
        comparisons(["sex"], [SEX], ["M"]),
        n_boot=n_boot,
        confidence=confidence,
        random_state=random_state,
    )
    return frame.iloc[0]


def test_score_gap_interval_of_two_profiles_is_bootstrapped():
    # Resampling 2 profiles with gaps 1/8 and 3/8 gives means 1/8, 1/4, 3/8 with
    # probabilities 1/4, 1/2, 1/4: the 5% and 95% quantiles of 1,000 of them are
    # 1/8 and 3/8 (a share of 1/8 below 5% has probability ~1e-30).
    row = gap_row([0.125, 0.375], confidence=0.9)
    assert (row["score_gap_low"], row["score_gap_high"]) == (0.125, 0.375)
    assert row["mean_score_gap"] == 0.25


@pytest.mark.parametrize("n", [1, 5, 25])
def test_a_constant_score_gap_is_its_own_interval_without_replicates(n):
    row = gap_row([0.25] * n, n_boot=0)
    assert (row["score_gap_low"], row["score_gap_high"]) == (0.25, 0.25)


def test_without_replicates_a_bootstrapped_gap_interval_is_undefined_up_to_the_limit():
    # BOOTSTRAP_LIMIT profiles are still bootstrapped: no replicate, no interval.
    # One more and it is the t interval (see test_counterfactual.py).
    gaps = np.random.default_rng(8).normal(0.01, 0.1, BOOTSTRAP_LIMIT)
    row = gap_row(gaps, n_boot=0)
    assert math.isnan(row["score_gap_low"]) and math.isnan(row["score_gap_high"])
    assert row["mean_score_gap"] == pytest.approx(math.fsum(gaps) / len(gaps))


@pytest.mark.parametrize(
    ("n_boot", "random_state", "confidence"),
    [(250, 7, 0.8), (1000, 3, 0.8), (None, None, None)],  # None: the defaults
)
def test_the_bootstrap_resamples_profiles_from_the_documented_seed(
    n_boot, random_state, confidence
):
    # The second comparison (k = 1) of a three-valued attribute, 150 profiles with
    # distinct gaps: n_boot means of resampled profiles, drawn from
    # default_rng([random_state, k]) in one go (drawing in chunks must not change
    # the stream), and their percentile interval.
    rng = np.random.default_rng(9)
    n = 150
    scores = rng.random((n, 3))
    items = comparisons(["race"], [["w", "b", "a"]], ["w"])
    options = {"n_boot": n_boot, "random_state": random_state, "confidence": confidence}
    frame, hist = counterfactual_table(
        (scores > 0.5).astype(np.int8),
        scores,
        items,
        **{k: v for k, v in options.items() if v is not None},
    )
    n_boot, random_state = n_boot or 1000, random_state or 0
    alpha = (1 - (confidence or 0.95)) / 2
    gap = scores[:, 2] - scores[:, 0]
    draw = np.random.default_rng([random_state, 1]).integers(0, n, size=(n_boot, n))
    means = gap[draw].mean(axis=1)
    row = frame.iloc[1]
    assert row["group"] == "a"
    assert row["score_gap_low"] == pytest.approx(np.quantile(means, alpha), abs=1e-15)
    assert row["score_gap_high"] == pytest.approx(
        np.quantile(means, 1 - alpha), abs=1e-15
    )
    # The other defaults: 20 histogram bins, no profile count too small.
    assert [len(h["counts"]) for h in hist] == [20, 20]
    assert not frame["too_small"].any()


# -- group metrics on raw rows ----------------------------------------------------------
#
# Each group is a list of (decision, label) rows; the expected numbers are counted on
# these rows in plain Python, the code under test sees only their count table.

RATE_NAMES = GROUP_RATES
VERSUS_NAMES = (
    "statistical_parity_difference",
    "disparate_impact",
    "equal_opportunity_difference",
    "average_odds_difference",
)
SPREAD_NAMES = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
)
NAN = float("nan")


def rows_of(tn: int, fn: int, fp: int, tp: int) -> list[tuple[int, int]]:
    """(decision, label) rows: tn (0, 0), fn (0, 1), fp (1, 0), tp (1, 1)."""
    return [(0, 0)] * tn + [(0, 1)] * fn + [(1, 0)] * fp + [(1, 1)] * tp


def share(hits: int, total: int) -> float:
    return hits / total if total else NAN


def rates_by_hand(rows: list[tuple[int, int]]) -> dict[str, float]:
    fav_labels = [d for d, y in rows if y == 1]
    unfav_labels = [d for d, y in rows if y == 0]
    fav_decisions = [y for d, y in rows if d == 1]
    return {
        "selection_rate": share(sum(d for d, _ in rows), len(rows)),
        "true_positive_rate": share(sum(fav_labels), len(fav_labels)),
        "false_positive_rate": share(sum(unfav_labels), len(unfav_labels)),
        "precision": share(sum(fav_decisions), len(fav_decisions)),
        "accuracy": share(sum(d == y for d, y in rows), len(rows)),
    }


def metrics_by_hand(groups: list[list[tuple[int, int]]], p: int) -> dict:
    """{(metric, group index or None): value} counted on the rows."""
    r = [rates_by_hand(rows) for rows in groups]
    out = {}
    for i, rates in enumerate(r):
        for name in RATE_NAMES:
            out[name, i] = rates[name]
        if i == p:
            continue
        ref = r[p]
        sel, ref_sel = rates["selection_rate"], ref["selection_rate"]
        d_tpr = rates["true_positive_rate"] - ref["true_positive_rate"]
        d_fpr = rates["false_positive_rate"] - ref["false_positive_rate"]
        out["statistical_parity_difference", i] = sel - ref_sel
        out["disparate_impact", i] = sel / ref_sel if ref_sel > 0 else NAN
        out["equal_opportunity_difference", i] = d_tpr
        out["average_odds_difference", i] = (d_fpr + d_tpr) / 2
    present = [rates for rows, rates in zip(groups, r, strict=True) if rows]

    def spread(name: str) -> tuple[float, float]:
        values = [rates[name] for rates in present]
        if len(values) < 2 or any(math.isnan(v) for v in values):
            return NAN, NAN
        return max(values) - min(values), (
            min(values) / max(values) if max(values) > 0 else NAN
        )

    dp, tp_, fp_ = (
        spread("selection_rate"),
        spread("true_positive_rate"),
        spread("false_positive_rate"),
    )
    out["demographic_parity_difference", None] = dp[0]
    out["demographic_parity_ratio", None] = dp[1]
    # Undefined where a rate is undefined for a group with rows.
    out["equalized_odds_difference", None] = max(tp_[0], fp_[0])
    # Undefined when either ratio is (no fixture here has a rate that is 0 in every
    # group, where the two conventions would differ).
    assert math.isnan(tp_[0]) or not math.isnan(tp_[1])
    assert math.isnan(fp_[0]) or not math.isnan(fp_[1])
    out["equalized_odds_ratio", None] = min(tp_[1], fp_[1])
    if math.isnan(tp_[0]) or math.isnan(fp_[0]):
        out["equalized_odds_difference", None] = NAN
        out["equalized_odds_ratio", None] = NAN
    return out


def table_of(groups: list[list[tuple[int, int]]]) -> np.ndarray:
    cells = np.zeros((len(groups), 2, 2))
    for g, rows in enumerate(groups):
        for d, y in rows:
            cells[g, d, y] += 1
    return cells


def same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == pytest.approx(b, rel=1e-12, abs=1e-12)


# Four groups, rates strictly between 0 and 1 everywhere, no difference 0:
#   b: TN 5, FN 3, FP 3, TP 6  (n 17, favourable 9, positives 9, negatives 8)
#   a: TN 5, FN 4, FP 3, TP 2  (n 14, favourable 5, positives 6, negatives 8)
#   w: TN 4, FN 2, FP 5, TP 8  (n 19, favourable 13, positives 10, negatives 9)
#   c: TN 1, FN 5, FP 3, TP 1  (n 10, favourable 4, positives 6, negatives 4)
# Enough false positives that no bootstrap replicate below is without any (an FPR
# ratio of 0 / 0 would make the equalized odds ratio undefined).
RAW = {
    "b": rows_of(5, 3, 3, 6),
    "a": rows_of(5, 4, 3, 2),
    "w": rows_of(4, 2, 5, 8),
    "c": rows_of(1, 5, 3, 1),
}
ORDERS = [("w", "b", "a"), ("b", "w", "a"), ("b", "a", "w"), ("c", "b", "w", "a")]


def expected_order(groups, p, labels):
    rates = RATE_NAMES if labels else RATE_NAMES[:1]
    versus = VERSUS_NAMES if labels else VERSUS_NAMES[:2]
    spreads = SPREAD_NAMES if labels else SPREAD_NAMES[:2]
    out = []
    for i, g in enumerate(groups):
        out += [(m, g, None) for m in rates]
        if i != p:
            out += [(m, g, groups[p]) for m in versus]
    return out + [(m, None, None) for m in spreads]


def flags_by_hand(groups_rows, p, min_cell_size):
    """{(metric, group index or None): too small}, each metric by the rows it
    divides by, versus-metrics by the group's and the privileged group's."""
    counts = []
    for rows in groups_rows:
        pos = sum(y for _, y in rows)
        neg = len(rows) - pos
        counts.append(
            {
                "n": len(rows),
                "positives": pos,
                "negatives": neg,
                "favourable": sum(d for d, _ in rows),
                "both": min(pos, neg),
            }
        )
    by = {
        "selection_rate": "n",
        "accuracy": "n",
        "true_positive_rate": "positives",
        "false_positive_rate": "negatives",
        "precision": "favourable",
        "statistical_parity_difference": "n",
        "disparate_impact": "n",
        "equal_opportunity_difference": "positives",
        "average_odds_difference": "both",
        "demographic_parity_difference": "n",
        "demographic_parity_ratio": "n",
        "equalized_odds_difference": "both",
        "equalized_odds_ratio": "both",
    }
    out = {}
    for metric, what in by.items():
        thin = [c[what] < min_cell_size for c in counts]
        for i in range(len(groups_rows)):
            out[metric, i] = thin[i] or (metric in VERSUS_NAMES and thin[p])
        present = [t for t, c in zip(thin, counts, strict=True) if c["n"]]
        out[metric, None] = any(present) if present else True
    return out


def interval_by_hand(values: list[float], confidence: float) -> tuple[float, float]:
    """Percentile interval of the defined replicates (nan if half or more are not)."""
    kept = [v for v in values if math.isfinite(v)]
    if 2 * len(kept) <= len(values):
        return NAN, NAN
    alpha = (1 - confidence) / 2
    return float(np.quantile(kept, alpha)), float(np.quantile(kept, 1 - alpha))


@pytest.mark.parametrize("labels", [True, False])
@pytest.mark.parametrize(("confidence", "min_cell_size"), [(0.8, 9), (0.9, 14)])
@pytest.mark.parametrize("order", ORDERS, ids="".join)
def test_every_row_of_the_group_and_metric_tables(
    order, confidence, min_cell_size, labels
):
    raw = [RAW[g] if labels else [(d, 0) for d, _ in RAW[g]] for g in order]
    p = order.index("w")
    grouping = Grouping("race", order, p)
    # Bootstrap replicates: the pooled rows resampled, each replicate counted on its
    # own rows.
    pooled = [(g, row) for g, rows in enumerate(raw) for row in rows]
    rng = np.random.default_rng(len(order) * 100 + min_cell_size)
    draws = rng.integers(0, len(pooled), size=(200, len(pooled)))
    boot_rows = [
        [
            [row for g2, row in (pooled[j] for j in draw) if g2 == g]
            for g in range(len(raw))
        ]
        for draw in draws
    ]
    replicates = np.stack([table_of(groups) for groups in boot_rows])
    groups_out, metrics_out = group_metric_rows(
        "observed",
        grouping,
        table_of(raw),
        replicates,
        labels=labels,
        confidence=confidence,
        min_cell_size=min_cell_size,
    )
    expected = metrics_by_hand(raw, p)
    boot = [metrics_by_hand(groups, p) for groups in boot_rows]
    flags = flags_by_hand(raw, p, min_cell_size)

    assert [(m["metric"], m["group"], m["reference"]) for m in metrics_out] == (
        expected_order(order, p, labels)
    )
    for m in metrics_out:
        key = (m["metric"], None if m["group"] is None else order.index(m["group"]))
        low, high = interval_by_hand([b[key] for b in boot], confidence)
        assert same(m["value"], expected[key]), (key, m["value"])
        assert same(m["low"], low) and same(m["high"], high), (key, m)
        assert m["too_small"] is flags[key], key
        assert m["undefined"] is None
        assert (m["population"], m["attribute"]) == ("observed", "race")
        assert math.isnan(m["aif360"]) and math.isnan(m["fairlearn"])

    assert [g["group"] for g in groups_out] == list(order)
    for i, g in enumerate(groups_out):
        rates = rates_by_hand(raw[i])
        low, high = interval_by_hand([b["selection_rate", i] for b in boot], confidence)
        assert g["population"] == "observed" and g["attribute"] == "race"
        assert g["privileged"] is (i == p)
        assert g["n"] == len(raw[i]) and type(g["n"]) is int
        assert g["favourable"] == sum(d for d, _ in raw[i])
        assert type(g["favourable"]) is int
        assert same(g["selection_rate"], rates["selection_rate"])
        assert same(g["selection_rate_low"], low)
        assert same(g["selection_rate_high"], high)
        assert g["too_small"] is (len(raw[i]) < min_cell_size)
        if labels:
            assert g["positives"] == sum(y for _, y in raw[i])
            assert type(g["positives"]) is int
            for rate in RATE_NAMES[1:]:
                assert same(g[rate], rates[rate]), rate
        else:
            assert g["positives"] is None
            assert all(math.isnan(g[rate]) for rate in RATE_NAMES[1:])


def reason(metric_label: str, where: str, cause: str) -> str:
    return f"{metric_label} {where} is undefined: {cause}."


def undefined_rows(order, raw, privileged, replicates=None):
    _, metrics = group_metric_rows(
        "observed",
        Grouping("race", tuple(order), order.index(privileged)),
        table_of([raw[g] for g in order]),
        replicates,
        labels=True,
        confidence=0.9,
        min_cell_size=0,
    )
    return {(m["metric"], m["group"]): m for m in metrics}


def test_each_undefined_metric_names_the_group_and_the_count_that_is_zero():
    raw = {
        "x": rows_of(3, 0, 2, 0),  # no favourable labels
        "y": rows_of(0, 2, 0, 3),  # no unfavourable labels
        "w": rows_of(3, 2, 2, 4),  # the privileged group, every rate defined
        "z": rows_of(3, 2, 0, 0),  # never favoured
        "e": [],  # empty
    }
    order = ("x", "y", "w", "z", "e")
    # Replicates in which "x" has a favourable label: its TPR is defined in every
    # replicate, yet an undefined value gets no interval.
    boot = dict(raw, x=rows_of(3, 0, 2, 1))
    replicates = np.stack([table_of([boot[g] for g in order])] * 3)
    rows = undefined_rows(order, raw, "w", replicates)

    def where(group):
        return f"of race={group!r} on the observed population"

    expected = {
        ("true_positive_rate", "x"): "the group has no favourable labels",
        ("equal_opportunity_difference", "x"): "the group has no favourable labels",
        ("average_odds_difference", "x"): "the group has no favourable labels",
        ("false_positive_rate", "y"): "the group has no unfavourable labels",
        ("average_odds_difference", "y"): "the group has no unfavourable labels",
        ("precision", "z"): "the group has no favourable decisions",
        **{(m, "e"): "the group is empty" for m in (*RATE_NAMES, *VERSUS_NAMES)},
    }
    for (metric, group), cause in expected.items():
        row = rows[metric, group]
        label = metric.replace("_", " ")
        assert row["undefined"] == reason(label, where(group), cause)
        assert math.isnan(row["value"])
        assert math.isnan(row["low"]) and math.isnan(row["high"])
    # Every other group-level value is defined, with its interval.
    for (metric, group), row in rows.items():
        if group is not None and (metric, group) not in expected:
            assert row["undefined"] is None, (metric, group)
            assert math.isfinite(row["low"]), (metric, group)
    assert rows["disparate_impact", "z"]["value"] == 0.0
    # Spreads: the empty group is left out (selection rates 2/5, 3/5, 6/11, 0), the
    # TPR of "x" is undefined.
    assert rows["demographic_parity_difference", None]["value"] == pytest.approx(0.6)
    assert rows["demographic_parity_ratio", None]["value"] == 0.0
    where_attr = "of race on the observed population"
    assert rows["equalized_odds_difference", None]["undefined"] == reason(
        "equalized odds difference",
        where_attr,
        "a group has no favourable or no unfavourable labels",
    )
    assert rows["equalized_odds_ratio", None]["undefined"] == reason(
        "equalized odds ratio",
        where_attr,
        "a rate is undefined for a group, or both maxima are 0",
    )
    assert math.isnan(rows["equalized_odds_ratio", None]["low"])


def test_undefined_because_of_the_privileged_group_names_it():
    # The privileged value 2 (in the middle, an int) has only rows with a favourable
    # label and an unfavourable decision: never favoured, no unfavourable labels.
    raw = {1: rows_of(3, 2, 2, 4), 2: rows_of(0, 5, 0, 0), 3: rows_of(1, 3, 2, 2)}
    rows = undefined_rows((1, 2, 3), raw, 2)
    for group in (1, 3):
        where = f"of race={group!r} on the observed population"
        assert rows["disparate_impact", group]["undefined"] == reason(
            "disparate impact", where, "the privileged group (2) is never favoured"
        )
        assert rows["average_odds_difference", group]["undefined"] == reason(
            "average odds difference",
            where,
            "the privileged group (2) has no unfavourable labels",
        )
        # The privileged TPR is 0, not undefined.
        assert rows["equal_opportunity_difference", group]["undefined"] is None
        assert rows["statistical_parity_difference", group]["undefined"] is None
    assert rows["equal_opportunity_difference", 3]["value"] == pytest.approx(0.4)
    assert rows["false_positive_rate", 2]["undefined"] == reason(
        "false positive rate",
        "of race=2 on the observed population",
        "the group has no unfavourable labels",
    )


def test_an_empty_privileged_group_is_named():
    raw = {"w": [], "a": rows_of(3, 2, 2, 4)}
    rows = undefined_rows(("w", "a"), raw, "w")
    for metric in VERSUS_NAMES:
        assert rows[metric, "a"]["undefined"] == reason(
            metric.replace("_", " "),
            "of race='a' on the observed population",
            "the privileged group ('w') is empty",
        )
    assert rows["demographic_parity_difference", None]["undefined"] == reason(
        "demographic parity difference",
        "of race on the observed population",
        "fewer than two groups have rows",
    )
    assert rows["selection_rate", "a"]["value"] == pytest.approx(6 / 11)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_theil_index_sums_counts_past_float32_precision(dtype):
    # 2**24 true negatives (benefit 1) and one row of each other kind: FN 0, FP 2,
    # TP 1. The mean benefit is (2**24 + 3) / (2**24 + 3) = 1, and only the false
    # positive adds a term, 2 ln 2; 2**24 + 3 rows are not a float32 number.
    cells = np.array([[[2**24, 1], [1, 1]]], dtype=dtype)
    assert theil_index(cells) == pytest.approx(
        2 * math.log(2) / (2**24 + 3), rel=1e-12, abs=0
    )


def test_theil_index_without_any_benefit_is_undefined():
    # Only false negatives: every benefit is 0, the mean benefit too.
    assert math.isnan(theil_index(np.array([[[0, 7], [0, 0]], [[0, 2], [0, 0]]])))


@pytest.mark.parametrize("confidence", [0.9, 0.99])
def test_beyond_the_bootstrap_limit_the_gap_interval_is_statsmodels_t_interval(
    confidence,
):
    from statsmodels.stats.weightstats import DescrStatsW

    gaps = np.random.default_rng(12).normal(-0.03, 0.2, BOOTSTRAP_LIMIT + 1)
    row = gap_row(gaps, confidence=confidence)
    low, high = DescrStatsW(gaps).tconfint_mean(alpha=1 - confidence)
    assert row["score_gap_low"] == pytest.approx(low, rel=1e-12, abs=0)
    assert row["score_gap_high"] == pytest.approx(high, rel=1e-12, abs=0)


# -- paired statistics counted profile by profile ---------------------------------------

THREE = (
    ("sex", ("F", "M"), "M"),  # privileged last
    ("race", ("b", "w", "a"), "w"),  # privileged in the middle
    ("member", (True, False), True),  # privileged first, bool values
)


def test_every_paired_statistic_by_hand_over_three_attributes():
    """Three varied attributes (12 variant columns, the last attribute fastest):
    every count, rate, interval, test and score statistic of every comparison,
    counted profile by profile in plain Python."""
    from scipy.stats import binomtest
    from statsmodels.stats.proportion import proportion_confint

    names = [a[0] for a in THREE]
    values = [list(a[1]) for a in THREE]
    privileged = [a[2] for a in THREE]
    combos = list(itertools.product(*values))  # column j is combos[j]
    column = {combo: j for j, combo in enumerate(combos)}
    rng = np.random.default_rng(13)
    n = 60
    # Mostly the same decision for every twin, with scattered flips both ways.
    base = rng.integers(0, 2, n)
    decisions = np.repeat(base[:, None], len(combos), axis=1).astype(np.int8)
    flip = rng.random(decisions.shape) < 0.08
    decisions[flip] = 1 - decisions[flip]
    scores = rng.random(decisions.shape)
    items = comparisons(names, values, privileged)
    frame, hist = counterfactual_table(
        decisions,
        scores,
        items,
        confidence=0.9,
        min_cell_size=n,
        n_boot=50,
        histogram_bins=7,
    )

    # The pairs of columns (reference, group) of each comparison, by hand.
    expected_pairs = []
    for a, (name, vals, priv) in enumerate(THREE):
        for u in vals:
            if u == priv:
                continue
            pairs = []
            for combo in combos:
                if combo[a] != priv:
                    continue
                other = (*combo[:a], u, *combo[a + 1 :])
                pairs.append((column[combo], column[other]))
            expected_pairs.append((name, u, priv, pairs))
    reference = tuple(privileged)
    for combo in combos:
        if combo != reference:
            expected_pairs.append(
                (
                    " & ".join(names),
                    " & ".join(str(v) for v in combo),
                    " & ".join(str(v) for v in reference),
                    [(column[reference], column[combo])],
                )
            )
    assert len(frame) == len(expected_pairs) == 1 + 2 + 1 + 11

    for k, (name, group, ref, pairs) in enumerate(expected_pairs):
        row = frame.iloc[k]
        assert (row["attribute"], row["group"], row["reference"]) == (name, group, ref)
        flips = for_ref = for_grp = disc_ref = disc_grp = 0
        gaps = []
        for i in range(n):
            votes = 0
            for r, g in pairs:
                disc_ref += int(decisions[i, r] == 1 and decisions[i, g] == 0)
                disc_grp += int(decisions[i, r] == 0 and decisions[i, g] == 1)
                votes += int(decisions[i, g]) - int(decisions[i, r])
            flips += any(decisions[i, r] != decisions[i, g] for r, g in pairs)
            for_ref += votes < 0
            for_grp += votes > 0
            gaps.append(
                math.fsum(scores[i, g] - scores[i, r] for r, g in pairs) / len(pairs)
            )
        assert row["profiles"] == n and row["comparisons"] == n * len(pairs)
        assert row["flips"] == flips and row["flip_rate"] == pytest.approx(flips / n)
        if flips:
            interval = proportion_confint(flips, n, alpha=0.1, method="wilson")
        else:
            interval = (0.0, -math.log(0.1) / n)
        assert (row["flip_rate_low"], row["flip_rate_high"]) == pytest.approx(interval)
        assert (row["favours_reference"], row["favours_group"]) == (for_ref, for_grp)
        assert (row["discordant_reference"], row["discordant_group"]) == (
            disc_ref,
            disc_grp,
        )
        votes = for_ref + for_grp
        expected_p = binomtest(for_ref, votes, 0.5).pvalue if votes else 1.0
        assert row["mcnemar_p"] == pytest.approx(expected_p, rel=1e-12)
        assert row["too_small"] is np.False_ or row["too_small"] is False
        assert row["undefined"] is None
        gaps = np.array(gaps)
        assert row["mean_score_gap"] == pytest.approx(gaps.mean(), rel=1e-12)
        assert row["median_score_gap"] == pytest.approx(np.median(gaps), rel=1e-12)
        assert row["p95_abs_score_gap"] == pytest.approx(
            np.quantile(np.abs(gaps), 0.95), rel=1e-12
        )
        assert row["max_abs_score_gap"] == pytest.approx(np.abs(gaps).max(), rel=1e-12)
        assert row["score_gap_low"] < gaps.mean() < row["score_gap_high"]
        counts, edges = np.histogram(gaps, bins=7)
        assert hist[k]["attribute"] == name and hist[k]["group"] == group
        assert hist[k]["counts"] == counts.tolist()
        assert hist[k]["edges"] == pytest.approx(edges.tolist(), rel=1e-12)
    assert frame["flips"].sum() > 0 and frame["favours_group"].sum() > 0


def test_comparisons_of_one_attribute_have_no_intersections():
    items = comparisons(["race"], [["b", "w", "a"]], ["w"])
    assert [(c.attribute, c.group, c.reference, c.columns) for c in items] == [
        ("race", "b", "w", ((1, 0),)),
        ("race", "a", "w", ((1, 2),)),
    ]
    two = comparisons(
        ["sex", "race"], [SEX, ["b", "w", "a"]], ["M", "w"], intersections=False
    )
    assert [c.attribute for c in two] == ["sex", "race", "race"]


def test_no_profiles_give_undefined_rows_without_score_statistics():
    items = comparisons(["race"], [["b", "w", "a"]], ["w"])
    frame, hist = counterfactual_table(
        np.zeros((0, 3), dtype=np.int8), np.zeros((0, 3)), items
    )
    assert hist == []
    for _, row in frame.iterrows():
        assert row["undefined"] == "there are no pairs"
        assert row["profiles"] == 0 and row["flips"] == 0
        assert row["too_small"] is np.False_ or row["too_small"] is False
        for column in (
            "flip_rate",
            "flip_rate_low",
            "flip_rate_high",
            "mcnemar_p",
            "mean_score_gap",
            "score_gap_low",
        ):
            assert math.isnan(row[column]), column


# -- group values: count dtypes, tiny groups, reference rate 1 ---------------------------


def test_group_values_of_float32_counts_are_computed_in_float64():
    # Selection rates 1/3 and 2/7, which float32 would round.
    cells = np.array([[[1, 1], [0, 1]], [[3, 2], [1, 1]]], dtype=np.float32)
    v = group_values(cells, privileged=1)
    assert v["selection_rate"].dtype == np.float64
    assert v["selection_rate"].tolist() == [1 / 3, 2 / 7]
    assert v["disparate_impact"][0] == (1 / 3) / (2 / 7)


def test_a_group_of_one_row_counts_in_the_spreads():
    # "s" has one row, favoured: selection rate 1, the maximum of the spread.
    raw = {"a": rows_of(2, 1, 1, 1), "w": rows_of(1, 1, 2, 1), "s": rows_of(0, 0, 0, 1)}
    v = group_values(table_of([raw["a"], raw["w"], raw["s"]]), privileged=1)
    assert float(v["demographic_parity_difference"]) == pytest.approx(1 - 2 / 5)
    assert float(v["demographic_parity_ratio"]) == pytest.approx(2 / 5)
    assert v["disparate_impact"][2] == pytest.approx(1 / (3 / 5))


def test_a_reference_rate_of_one_divides_and_a_reference_rate_of_zero_is_undefined():
    # Privileged "w" always favoured: disparate impact is the group's own rate.
    always = group_values(table_of([rows_of(2, 1, 1, 1), rows_of(0, 0, 2, 2)]), 1)
    assert always["disparate_impact"].tolist() == [pytest.approx(2 / 5), 1.0]
    # Two groups are enough for a spread.
    assert float(always["demographic_parity_difference"]) == pytest.approx(3 / 5)
    assert float(always["demographic_parity_ratio"]) == pytest.approx(2 / 5)
    # Privileged never favoured: undefined (nan), never an infinite ratio.
    never = group_values(table_of([rows_of(2, 1, 1, 1), rows_of(2, 2, 0, 0)]), 1)
    assert math.isnan(never["disparate_impact"][0])
    assert math.isnan(never["disparate_impact"][1])


def test_one_group_with_rows_has_no_spread_and_no_ratio():
    v = group_values(table_of([[], rows_of(1, 1, 1, 1), []]), privileged=0)
    for name in SPREAD_NAMES:
        assert math.isnan(float(v[name])), name


# -- result tables ------------------------------------------------------------------------


def test_result_frame_gives_each_column_its_own_dtype_and_keeps_none():
    rows = [
        {"flag": True, "count": 3, "rate": 0.5, "text": None, "group": 1, "x": 1}
        | {"i32": np.int32(5), "f32": np.float32(0.5)},
        {"flag": np.False_, "count": np.int32(4), "rate": np.float32(0.25)}
        | {"text": "a", "group": None, "x": 2.5}
        | {"i32": np.int32(6), "f32": np.float32(0.75)},
    ]
    columns = ["flag", "count", "rate", "text", "group", "x", "i32", "f32"]
    frame = result_frame(rows, columns)
    assert list(frame.columns) == columns
    assert frame["flag"].dtype == bool and frame["flag"].tolist() == [True, False]
    assert frame["count"].dtype == np.int64 and frame["count"].tolist() == [3, 4]
    assert frame["rate"].dtype == np.float64 and frame["rate"].tolist() == [0.5, 0.25]
    assert frame["x"].dtype == np.float64 and frame["x"].tolist() == [1.0, 2.5]
    # numpy's own int32 and float32 become int64 and float64 too.
    assert frame["i32"].dtype == np.int64 and frame["i32"].tolist() == [5, 6]
    assert frame["f32"].dtype == np.float64 and frame["f32"].tolist() == [0.5, 0.75]
    assert frame["text"].tolist() == [None, "a"]
    assert frame["group"].tolist() == [1, None]
    assert frame["group"].dtype == object


def test_an_empty_result_frame_has_its_columns_as_objects():
    frame = result_frame([], ["flag", "count"])
    assert list(frame.columns) == ["flag", "count"] and len(frame) == 0
    assert frame.dtypes.tolist() == [object, object]


@pytest.mark.parametrize(
    ("raw", "min_cell_size", "expected"),
    [
        # An empty group is left out: the others have 11 and 11 rows.
        ([rows_of(3, 3, 3, 2), rows_of(2, 3, 3, 3), []], 5, False),
        # A group of one row counts: it is below 2.
        ([rows_of(3, 3, 3, 2), rows_of(2, 3, 3, 3), rows_of(0, 0, 0, 1)], 2, True),
        # No group has rows: nothing to compare, too small.
        ([[], [], []], 0, True),
    ],
)
def test_a_spread_is_too_small_by_the_groups_that_have_rows(
    raw, min_cell_size, expected
):
    _, metrics = group_metric_rows(
        "twins",
        Grouping("race", ("a", "w", "b"), 1),
        table_of(raw),
        None,
        labels=False,
        confidence=0.95,
        min_cell_size=min_cell_size,
    )
    spreads = [m for m in metrics if m["group"] is None]
    assert [m["metric"] for m in spreads] == list(SPREAD_NAMES[:2])
    assert [m["too_small"] for m in spreads] == [expected, expected]
