"""audit's and report_from_scored's documented defaults, and the arguments audit
hands on to score, where mutation testing found the tests silent: every test
passed the option it needed, so a changed default or a dropped argument went
unnoticed. Each default is checked where it shows (30 real rows per cell is not
too small, 5 bins, the bootstrap's 1000 resamples and seed 0, the libraries'
columns), and each passed argument against a count by hand."""

from __future__ import annotations

import os
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from sklearn.tree import DecisionTreeClassifier

import twinaudit
import twinaudit.metrics._accumulator as accumulator_module
from twinaudit.datasets import loan_applications, loan_model
from twinaudit.exceptions import (
    DataError,
    ModelError,
    UndefinedMetricWarning,
    UnreadAttributeWarning,
)
from twinaudit.generation import from_frame, generate
from twinaudit.report import Policy, Rule, audit, report_from_scored
from twinaudit.scoring import score
from twinaudit.spec import Integer, ProtectedAttribute, TwinSpec

SPEC = TwinSpec(
    fields=[Integer("x", 0, 99)],
    protected=[ProtectedAttribute("sex", ["F", "M"], privileged="M")],
    seed=8,
)
DOCUMENTED = {
    "min_cell_size": 30,
    "bins": 5,
    "libraries": True,
    "random_state": 0,
    "n_boot": 1000,
}


def approve(frame: pd.DataFrame) -> np.ndarray:
    x, male = frame["x"], frame["sex"] == "M"
    return ((x > 20) | ((x > 10) & male)).astype(int).to_numpy()


@pytest.fixture(scope="module")
def twins():
    """Exactly 30 real rows: the default min_cell_size's boundary."""
    rows = pd.DataFrame({"sex": ["F", "M"] * 15, "x": range(30)})
    rows["label"] = (rows["x"] % 3 == 0).astype(int)
    return from_frame(rows, protected={"sex": "M"})


def relabelled(twins, labels):
    """The twins' real rows with ``labels`` in place of their label column."""
    rows = twins.frame[twins.factual].drop(columns="pair_id")
    return from_frame(rows.assign(label=labels), protected={"sex": "M"})


def check_documented_defaults(report, explicit, other_seed, more_boot) -> None:
    assert_frame_equal(report.metrics, explicit.metrics)
    assert_frame_equal(report.where.bins, explicit.where.bins)
    table = report.metrics.set_index("metric")
    # 30 rows are enough at the default min_cell_size=30
    assert bool(table.loc["theil_index", "too_small"]) is False
    # five quantile bins of x, six profiles each
    x_bins = report.where.bins[report.where.bins["feature"] == "x"]
    assert x_bins["profiles"].tolist() == [6, 6, 6, 6, 6]
    # the libraries' columns are filled: AIF360's disparate impact is 0.3/0.6333
    di = report.metric("disparate_impact", group="F", source="aif360")
    assert di == pytest.approx(9 / 19)
    # the bootstrap's seed and its number of resamples both show in the intervals
    bounds = ["low", "high"]
    assert not report.metrics[bounds].equals(other_seed.metrics[bounds])
    assert not report.metrics[bounds].equals(more_boot.metrics[bounds])


def test_audit_uses_its_documented_defaults(twins):
    report = audit(approve, twins, y_true="label")
    explicit = audit(approve, twins, y_true="label", **DOCUMENTED)
    other_seed = audit(approve, twins, y_true="label", random_state=1)
    more_boot = audit(approve, twins, y_true="label", n_boot=1001)
    check_documented_defaults(report, explicit, other_seed, more_boot)


def test_report_from_scored_uses_its_documented_defaults(twins):
    scored = audit(approve, twins, y_true="label", n_boot=0).scored
    report = report_from_scored(scored, y_true="label")
    explicit = report_from_scored(scored, y_true="label", **DOCUMENTED)
    other_seed = report_from_scored(scored, y_true="label", random_state=1)
    more_boot = report_from_scored(scored, y_true="label", n_boot=1001)
    check_documented_defaults(report, explicit, other_seed, more_boot)


def test_report_from_scored_takes_its_confidence_from_the_policy(twins):
    scored = audit(approve, twins, y_true="label", n_boot=0).scored
    report = report_from_scored(
        scored, policy=Policy([Rule("flip_rate", max=0.5)], significance=0.1), n_boot=0
    )
    at_90 = report_from_scored(scored, confidence=0.9, n_boot=0)
    assert report.confidence == 0.9
    assert_frame_equal(report.metrics, at_90.metrics)
    headline = report.metric("causal_discrimination_score")
    assert (headline.low, headline.high) == (
        at_90.metric("causal_discrimination_score").low,
        at_90.metric("causal_discrimination_score").high,
    )


@pytest.mark.parametrize("chunk_size", [None, 70])
def test_audit_refuses_an_unread_attribute_unless_allowed(chunk_size):
    history = loan_applications(200, seed=7)
    tree = loan_model()
    twins = from_frame(history, protected={"Gender": "Male"})
    options = {"libraries": False, "n_boot": 0, "chunk_size": chunk_size}
    with pytest.raises(ModelError, match="does not read protected attribute"):
        audit(tree, twins, **options)
    with pytest.warns(UnreadAttributeWarning):
        report = audit(tree, twins, allow_unread=True, **options)
    assert report.flip_rate == 0.0


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_n_jobs_bounds_the_chunks_scored_at_once(n_jobs):
    """n_jobs=1 is how a model that is not thread-safe is audited: never two
    chunks in the model at once. With 2, the 8 chunks (each held 20 ms) overlap."""
    lock = threading.Lock()
    active, most = [0], [0]

    def slow(frame: pd.DataFrame) -> np.ndarray:
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        time.sleep(0.02)
        with lock:
            active[0] -= 1
        return approve(frame)

    audit(slow, SPEC, n_pairs=400, chunk_size=50, n_jobs=n_jobs, n_boot=0)
    assert most[0] == n_jobs


def test_a_closed_dask_client_reaches_the_streamed_audit():
    """The backend and the client are handed on to the streamed audit: a closed
    client is refused there, in this process (no worker runs)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, processes=False, dashboard_address=None
    ) as cluster:
        closed = distributed.Client(cluster, set_as_default=False)
        closed.close()
        with pytest.raises(DataError, match="The Dask client is closed, not running"):
            audit(approve, SPEC, n_pairs=100, backend="dask", client=closed)


@pytest.mark.parametrize("chunk_size", [None, 70])
def test_audit_hands_the_favourable_label_to_score(chunk_size):
    """String decisions: with favorable_label='no' the selection rate is the
    share of 'no', counted by hand on the model's answers."""
    spec = TwinSpec(
        fields=[Integer("x", 0, 99)],
        protected=[ProtectedAttribute("sex", ["F", "M"], privileged="M")],
        seed=4,
    )

    def answer(frame: pd.DataFrame) -> np.ndarray:
        yes = (frame["x"] > 60) | ((frame["x"] > 30) & (frame["sex"] == "M"))
        return np.where(yes, "yes", "no")

    report = audit(
        answer,
        spec,
        n_pairs=200,
        favorable_label="no",
        n_boot=0,
        chunk_size=chunk_size,
    )
    rows = generate(spec, 200).frame  # a streamed report keeps one chunk
    for group in ("F", "M"):
        mine = rows[rows["sex"] == group]
        by_hand = float((answer(mine) == "no").mean())
        rate = report.metric("selection_rate", group=group)
        assert rate == pytest.approx(by_hand)
    assert report.scored.favorable_label == "no"


@pytest.mark.parametrize("chunk_size", [None, 70])
def test_audit_hands_features_to_score_in_the_order_given(chunk_size):
    """A model fitted on an array reads columns by position: features= names
    them. The twins hold x before sex_code; the model was fitted on
    (sex_code, x)."""
    rng = np.random.default_rng(5)
    sex_code = rng.integers(0, 2, 400)
    x = rng.integers(0, 100, 400)
    y = ((sex_code == 1) | (x > 70)).astype(int)
    model = DecisionTreeClassifier(random_state=0).fit(
        np.column_stack([sex_code, x]), y
    )
    spec = TwinSpec(
        fields=[Integer("x", 0, 99)],
        protected=[ProtectedAttribute("sex_code", [0, 1], privileged=1)],
        seed=6,
    )
    report = audit(
        model,
        spec,
        n_pairs=300,
        features=["sex_code", "x"],
        libraries=False,
        n_boot=0,
        chunk_size=chunk_size,
    )
    frame = generate(spec, 300).frame
    decisions = model.predict(frame[["sex_code", "x"]].to_numpy())
    women = frame["sex_code"].to_numpy() == 0
    assert report.flip_rate == pytest.approx(
        float(np.mean(decisions[~women] != decisions[women]))
    )


@pytest.fixture(scope="module")
def tree_twins():
    """A tree with scores, audited on 200 pairs of real rows (sex 0/1, 1
    privileged)."""
    rng = np.random.default_rng(9)
    rows = pd.DataFrame(
        {"sex": rng.integers(0, 2, 200), "x": rng.integers(0, 100, 200)}
    )
    truth = (rows["sex"] == 1) | (rows["x"] > 60)
    rows["label"] = (truth ^ (rng.random(200) < 0.2)).astype(int)
    tree = DecisionTreeClassifier(max_depth=3, random_state=0)
    tree.fit(rows[["sex", "x"]], rows["label"])
    return from_frame(rows, protected={"sex": 1}), tree


def test_the_metrics_table_repeats_the_paired_statistics(tree_twins):
    """flip_rate, mcnemar_p and mean_score_gap rows are the counterfactual table's;
    the headline is the share of pairs whose decisions differ, counted by hand,
    with its Wilson interval from statsmodels."""
    from statsmodels.stats.proportion import proportion_confint

    twins, model = tree_twins
    report = audit(model, twins, y_true="label", n_boot=200, confidence=0.9)
    m = report.metrics
    cf = report.counterfactual.iloc[0]
    for metric, column in [
        ("flip_rate", "flip_rate"),
        ("mcnemar_p", "mcnemar_p_adjusted"),
        ("mean_score_gap", "mean_score_gap"),
    ]:
        row = m[(m["metric"] == metric) & (m["group"] == 0)]
        assert len(row) == 1, metric
        assert row["value"].iloc[0] == cf[column]
    decisions = report.scored.decision_matrix()
    flipped = int((decisions[:, 0] != decisions[:, 1]).sum())
    assert 0 < flipped < 200
    headline = report.metric("causal_discrimination_score")
    assert headline == flipped / 200
    low, high = proportion_confint(flipped, 200, alpha=0.1, method="wilson")
    assert (headline.low, headline.high) == (pytest.approx(low), pytest.approx(high))
    # the paired table is at the audit's confidence too
    low, high = proportion_confint(int(cf["flips"]), 200, alpha=0.1, method="wilson")
    assert (cf["flip_rate_low"], cf["flip_rate_high"]) == (
        pytest.approx(low),
        pytest.approx(high),
    )


@pytest.mark.parametrize(("min_cell_size", "too_small"), [(200, False), (201, True)])
def test_200_pairs_are_too_few_only_from_201(tree_twins, min_cell_size, too_small):
    twins, model = tree_twins
    report = audit(model, twins, y_true="label", n_boot=0, min_cell_size=min_cell_size)
    m = report.metrics.set_index("metric")
    assert bool(m.loc["causal_discrimination_score", "too_small"]) is too_small
    assert bool(report.counterfactual["too_small"].iloc[0]) is too_small


def test_the_score_gap_interval_follows_n_boot_and_random_state(tree_twins):
    twins, model = tree_twins

    def interval(**options):
        cf = audit(model, twins, y_true="label", **options).counterfactual.iloc[0]
        return cf["score_gap_low"], cf["score_gap_high"]

    default = interval()
    assert default == interval(n_boot=1000, random_state=0)
    assert default != interval(n_boot=200)
    assert default != interval(random_state=1)


def reject_everyone(frame: pd.DataFrame) -> np.ndarray:
    return np.zeros(len(frame), dtype=int)


def where_note(n: int, bins: str) -> str:
    return (
        "Where the bias lives: the rules and the quantile edges describe a uniform "
        f"sample of 50 of the {n:,} base profiles (the same profiles however the "
        f"audit is chunked); {bins} Every other number counts all of them."
    )


@pytest.mark.parametrize("model", [approve, reject_everyone])
def test_the_where_note_is_added_only_when_the_sample_leaves_profiles_out(
    monkeypatch, model
):
    """50 profiles in a sample of 50 are all of them: no note. From 51 on, the note
    follows every other note (the undefined metrics' reasons when nobody is
    approved), and the bins of x, with fewer distinct values than the exact
    counts hold, count every profile."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        unsampled = audit(model, SPEC, n_pairs=51, n_boot=0)
        monkeypatch.setattr(accumulator_module, "WHERE_SAMPLE", 50)
        whole = audit(model, SPEC, n_pairs=50, n_boot=0)
        sampled = audit(model, SPEC, n_pairs=51, n_boot=0)
    assert not any("Where the bias lives" in note for note in whole.notes)
    assert whole.where.rules["profiles"].sum() == 50
    assert sampled.where.rules["profiles"].sum() == 50
    if model is reject_everyone:
        assert any("undefined" in note or "nan" in note for note in unsampled.notes)
    assert sampled.notes == (
        *unsampled.notes,
        where_note(51, "the bins count every profile."),
    )


def test_the_where_note_names_the_features_whose_bins_count_the_sample(monkeypatch):
    monkeypatch.setattr(accumulator_module, "WHERE_SAMPLE", 50)
    monkeypatch.setattr(accumulator_module, "EXACT_VALUES", 10)
    report = audit(approve, SPEC, n_pairs=400, n_boot=0)
    assert report.notes[-1] == where_note(
        400,
        "the bins of x (more than 10 distinct values) count the sample, the others "
        "every profile.",
    )
    assert report.where.bins["profiles"].sum() == 50


@pytest.mark.parametrize("min_cell_size", [None, 0, 7])
def test_the_report_keeps_the_min_cell_size_it_was_computed_with(min_cell_size):
    given = {} if min_cell_size is None else {"min_cell_size": min_cell_size}
    report = audit(approve, SPEC, n_pairs=40, n_boot=0, **given)
    assert report.min_cell_size == (30 if min_cell_size is None else min_cell_size)


def test_the_undefined_metric_warning_points_outside_twinaudit():
    """At the caller's line; under mutation testing mutmut's trampoline sits
    between the test and twinaudit, so there it points at the trampoline."""
    with pytest.warns(UndefinedMetricWarning) as caught:
        audit(reject_everyone, SPEC, n_pairs=40, n_boot=0)
    package = Path(twinaudit.__file__).resolve().parent
    where = Path(caught[0].filename).resolve()
    assert not where.is_relative_to(package), where
    if "MUTANT_UNDER_TEST" not in os.environ:
        assert where == Path(__file__).resolve()


def test_the_metrics_tables_number_columns_are_numbers():
    """The paired rows (flip rate, McNemar's p) have no interval of their own for
    McNemar: nan, like every missing number, so the columns stay float."""
    report = audit(approve, SPEC, n_pairs=40, n_boot=0)
    table = report.metrics
    for column in ("value", "low", "high", "aif360", "fairlearn"):
        assert table[column].dtype == np.float64, column
    assert table["too_small"].dtype == bool
    mcnemar = table[table["metric"] == "mcnemar_p"]
    assert len(mcnemar) == 1
    assert mcnemar[["low", "high"]].isna().all(axis=None)


@pytest.mark.parametrize(("min_cell_size", "too_small"), [(40, False), (41, True)])
def test_paired_rows_are_too_small_below_min_cell_size(min_cell_size, too_small):
    report = audit(approve, SPEC, n_pairs=40, n_boot=0, min_cell_size=min_cell_size)
    table = report.metrics.set_index("metric")
    for metric in ("flip_rate", "mcnemar_p", "causal_discrimination_score"):
        assert bool(table.loc[metric, "too_small"]) is too_small, metric


def test_the_label_is_not_a_feature_of_where_the_bias_lives(twins):
    report = audit(approve, twins, y_true="label", n_boot=0)
    assert set(report.where.bins["feature"]) == {"x"}
    assert "label" in twins.frame.columns


def test_the_audits_seed_draws_the_where_sample(monkeypatch):
    """The quantile edges describe the sample; another seed, another sample."""
    monkeypatch.setattr(accumulator_module, "WHERE_SAMPLE", 50)
    edges = {
        seed: audit(approve, SPEC, n_pairs=400, n_boot=0, random_state=seed)
        .where.bins["bin"]
        .tolist()
        for seed in (0, 1)
    }
    assert edges[0] != edges[1]
    again = audit(approve, SPEC, n_pairs=400, n_boot=0, random_state=1)
    assert again.where.bins["bin"].tolist() == edges[1]


def test_labels_of_generated_twins_are_refused_in_full():
    message = (
        "y_true needs real rows: these twins were generated, so there is no real "
        "person whose outcome the label could be. Build the twins from your "
        "labelled data with from_frame(data, protected=...) and pass "
        "y_true='<label column>'."
    )
    with pytest.raises(DataError) as caught:
        audit(approve, generate(SPEC, 10), y_true="label", n_boot=0)
    assert str(caught.value) == message


def test_a_label_column_that_is_not_there_is_refused_with_the_columns(twins):
    with pytest.raises(DataError) as caught:
        audit(approve, twins, y_true="lable", n_boot=0)
    assert str(caught.value) == (
        "y_true='lable' is not a column of the twins. Did you mean 'label'? "
        "Columns: ['pair_id', 'sex', 'x', 'label']."
    )


def test_a_label_the_model_reads_is_refused_in_full(twins):
    rows = twins.frame[twins.factual]
    model = DecisionTreeClassifier(random_state=0).fit(
        rows[["x", "label"]], rows["label"]
    )
    with pytest.raises(DataError) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreadAttributeWarning)  # it reads no 'sex'
        audit(model, twins, y_true="label", n_boot=0, allow_unread=True)
    assert str(caught.value) == (
        "The label column 'label' is one of the model's input columns ['x', "
        "'label']; a model must not read the true outcome. Drop it from "
        "features=... (or from the model's training columns)."
    )


def test_labels_given_as_an_array_are_named_y_true(twins):
    labels = twins.frame["label"].to_numpy()[twins.factual]
    report = audit(approve, twins, y_true=labels, n_boot=0)
    assert report.label_column == "y_true"
    with pytest.raises(DataError) as caught:
        audit(approve, twins, y_true=np.r_[np.nan, labels[1:]], n_boot=0)
    assert str(caught.value) == (
        "True labels 'y_true' have 1 missing value(s); drop those rows or fill them "
        "before auditing."
    )


@pytest.mark.parametrize("confidence", ["0.95", True, 0, 1, 0.0, 1.0, -0.5])
@pytest.mark.parametrize("entry", ["audit", "report_from_scored"])
def test_a_confidence_outside_zero_to_one_is_refused(twins, confidence, entry):
    with pytest.raises(DataError) as caught:
        if entry == "audit":
            audit(approve, twins, n_boot=0, confidence=confidence)
        else:
            report_from_scored(score(approve, twins), n_boot=0, confidence=confidence)
    assert str(caught.value) == (
        f"confidence must be a number between 0 and 1 (e.g. 0.95). Got {confidence!r}."
    )


def test_a_policy_that_is_not_a_policy_is_refused_by_its_type(twins):
    with pytest.raises(DataError) as caught:
        audit(approve, twins, n_boot=0, policy={"rules": []})
    assert str(caught.value) == (
        "policy must be a twinaudit Policy (load_policy('file.yaml') reads one). "
        "Got dict."
    )


def test_labels_with_more_than_two_values_are_refused_with_six_of_them(twins):
    many = relabelled(twins, [f"grade {i % 8}" for i in range(30)])
    with pytest.raises(DataError) as caught:
        audit(approve, many, y_true="label", n_boot=0)
    assert str(caught.value) == (
        "True labels 'label' are not binary: they hold 8 values, e.g. ['grade 0', "
        "'grade 1', 'grade 2', 'grade 3', 'grade 4', 'grade 5']. Map them to the "
        "model's two labels first."
    )


def test_labels_all_unfavourable_are_read_when_the_model_never_approves(twins):
    """A model that never approves and labels that are never favourable hold the
    same single value: the audit reads them (nothing to map), with the
    positive-based metrics undefined."""
    never = relabelled(twins, 0)
    with pytest.warns(UndefinedMetricWarning):
        report = audit(lambda f: np.zeros(len(f), dtype=int), never, y_true="label")
    assert report.metric("selection_rate", group="F", population="observed") == 0.0
    assert np.isnan(
        report.metric("true_positive_rate", group="F", population="observed")
    )


def test_labels_in_other_values_than_the_models_are_refused_in_full(twins):
    named = relabelled(twins, np.where(np.arange(30) % 3 == 0, "approved", "denied"))
    with pytest.raises(DataError) as caught:
        audit(approve, named, y_true="label", n_boot=0)
    assert str(caught.value) == (
        "True labels 'label' hold ['approved', 'denied'], and none is the favourable "
        "decision 1: labels must use the model's label values (map them first, e.g. "
        "{'approved': 1, 'denied': 0})."
    )


def test_a_declared_group_with_no_real_rows_is_undefined_in_every_source():
    """'X' is declared but no real row has it: its observed rows are nan in
    twinaudit's, AIF360's and Fairlearn's columns alike (AIF360 reports nothing
    for an empty group), and the columns stay float."""
    rows = pd.DataFrame({"sex": ["F", "M"] * 30, "x": range(60)})
    rows["label"] = (rows["x"] % 3 == 0).astype(int)
    sex = ProtectedAttribute("sex", ["M", "F", "X"], privileged="M")
    twins = from_frame(rows, protected=[sex])
    with pytest.warns(UndefinedMetricWarning):
        report = audit(approve, twins, y_true="label", n_boot=0)
    table = report.metrics
    empty = table[(table["group"] == "X") & (table["population"] == "observed")]
    assert len(empty) == 9
    assert empty[["value", "aif360", "fairlearn"]].isna().all().all()
    assert empty["undefined"].str.endswith("is undefined: the group is empty.").all()
    for column in ("value", "aif360", "fairlearn"):
        assert table[column].dtype == np.float64
    # the groups AIF360 does report keep their values
    f_di = table[
        (table["group"] == "F")
        & (table["population"] == "observed")
        & (table["metric"] == "disparate_impact")
    ]
    assert f_di["aif360"].iloc[0] == pytest.approx(f_di["value"].iloc[0])
