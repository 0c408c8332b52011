"""Streamed audits (``chunk_size=``, threads) equal the one-shot audit: every count
to the last bit, every table exactly; bad options fail before any work."""

import importlib.util
import itertools
import os
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

import twinaudit.metrics._accumulator as accumulator_module
import twinaudit.report._streaming as streaming
from twinaudit.datasets import loan_applications, loan_model, loan_twin_spec
from twinaudit.exceptions import DataError, UndefinedMetricWarning
from twinaudit.generation import from_frame
from twinaudit.report import audit
from twinaudit.spec import Categorical, Integer, ProtectedAttribute, TwinSpec

# The raw-row expectations (AIF360 and Fairlearn on the rows themselves) of the
# library-equivalence tests, reused here for chunked audits.
_path = Path(__file__).parents[1] / "metrics" / "test_against_libraries.py"
_spec = importlib.util.spec_from_file_location("_against_libraries", _path)
assert _spec is not None and _spec.loader is not None
libs = sys.modules.setdefault(
    "_against_libraries", importlib.util.module_from_spec(_spec)
)
_spec.loader.exec_module(libs)


@pytest.fixture(scope="module")
def tree():
    return loan_model(loan_applications(1000, seed=42))


@pytest.fixture(scope="module")
def logistic():
    """A model with continuous scores that reads two protected attributes (one
    with three values): every score gap differs, Cochran's Q is defined."""
    rng = np.random.default_rng(0)
    n = 2_000
    X = pd.DataFrame(
        {
            "sex": rng.integers(0, 2, n),
            "race": rng.integers(0, 3, n),
            "income": rng.integers(0, 100, n),
            "job": rng.integers(0, 4, n),
        }
    )
    y = (X["income"] + 15 * X["sex"] - 8 * X["race"] + rng.normal(0, 10, n)) > 50
    return LogisticRegression(max_iter=500).fit(X, y.astype(int))


def two_attribute_spec(seed=3):
    return TwinSpec(
        fields=[Integer("income", 0, 99), Categorical("job", [0, 1, 2, 3])],
        protected=[
            ProtectedAttribute("sex", [0, 1], privileged=1),
            ProtectedAttribute("race", [0, 1, 2], privileged=0),
        ],
        seed=seed,
    )


def assert_same_report(a, b):
    for name in ("metrics", "groups", "counterfactual", "cochran"):
        pd.testing.assert_frame_equal(
            getattr(a, name), getattr(b, name), check_exact=True
        )
    for name in ("bins", "rules", "largest_gaps"):
        pd.testing.assert_frame_equal(getattr(a.where, name), getattr(b.where, name))
    assert a.score_gaps == b.score_gaps
    assert (a.flipped_pairs, a.n_pairs, a.observed_rows) == (
        b.flipped_pairs,
        b.n_pairs,
        b.observed_rows,
    )
    assert a.notes == b.notes
    assert a.to_dict()["populations"] == b.to_dict()["populations"]


@pytest.mark.parametrize(("chunk_size", "n_jobs"), [(700, 1), (1_024, 2)])
def test_streamed_tree_audit_equals_one_shot(tree, chunk_size, n_jobs):
    one = audit(tree, loan_twin_spec(), n_pairs=3_000, n_boot=200)
    streamed = audit(
        tree,
        loan_twin_spec(),
        n_pairs=3_000,
        n_boot=200,
        chunk_size=chunk_size,
        n_jobs=n_jobs,
    )
    assert_same_report(one, streamed)
    assert 0 < one.flip_rate < 1  # the fixture has bias to find


@pytest.mark.parametrize(("chunk_size", "n_jobs"), [(1_000, 2)])
def test_streamed_audit_with_continuous_scores_and_two_attributes(
    logistic, chunk_size, n_jobs
):
    one = audit(logistic, two_attribute_spec(), n_pairs=2_500, n_boot=100)
    streamed = audit(
        logistic,
        two_attribute_spec(),
        n_pairs=2_500,
        n_boot=100,
        chunk_size=chunk_size,
        n_jobs=n_jobs,
    )
    assert_same_report(one, streamed)
    assert len(one.cochran) == 2 and one.cochran["cochran_q"].notna().all()
    gaps = one.counterfactual["mean_score_gap"]
    assert gaps.notna().all() and (gaps != 0).all()


@pytest.mark.parametrize("labels", ["column", "array"])
def test_streamed_audit_of_real_rows_with_labels(labels):
    train, test = loan_applications(2000, seed=1), loan_applications(1500, seed=2)
    model = loan_model(train)
    gender = ProtectedAttribute(
        "Gender",
        ["Male", "Female"],
        privileged="Male",
        model_column="Gender_Code",
        encoding={"Male": 1, "Female": 0},
    )
    twins = from_frame(test.drop(columns="Gender_Code"), protected=[gender])
    y_true = "Approved" if labels == "column" else test["Approved"].to_numpy()
    # no man was ever denied: rates among unfavourable labels are undefined
    with pytest.warns(UndefinedMetricWarning, match="the group has no unfavourable"):
        one = audit(model, twins, y_true=y_true, n_boot=100)
    with pytest.warns(
        UndefinedMetricWarning, match="the group has no unfavourable"
    ) as caught:
        streamed = audit(
            model, twins, y_true=y_true, n_boot=100, chunk_size=400, n_jobs=2
        )
    if "MUTANT_UNDER_TEST" not in os.environ:
        # Points at the caller. (Under mutation testing mutmut's trampolines sit
        # between the test and twinaudit, so the location cannot be checked.)
        assert caught[0].filename == __file__
    assert_same_report(one, streamed)
    assert one.observed_rows == 1_500
    assert "theil_index" in set(streamed.metrics["metric"])


@settings(max_examples=3, deadline=None)
@given(
    case=st.sampled_from(
        [(libs.SEX_LAST, libs.RACE_MIDDLE), (libs.GRADE_SECOND,), (libs.MEMBER_FIRST,)]
    ),
    seed=st.integers(0, 1_000),
    cuts=st.lists(st.integers(20, 239), min_size=1, max_size=5),
)
def test_chunked_metrics_equal_aif360_and_fairlearn_on_the_raw_rows(case, seed, cuts):
    """Random real rows, audited in random chunks (two threads): every group metric
    of both populations equals AIF360's and Fairlearn's computed on the raw rows."""
    attrs = case
    rows = libs.real_rows(attrs, seed)
    twins = from_frame(rows, protected=[a.protected() for a in attrs])
    model = libs.additive_model(attrs)
    features = [*(a.name for a in attrs), "x"]
    chunk = min(cuts)
    report = audit(
        model,
        twins,
        y_true="label",
        features=features,
        n_boot=0,
        chunk_size=chunk,
        n_jobs=2,
    )
    expected = libs.expected_observed(
        rows, attrs, rows["label"].to_numpy(), model(rows[features]), "int"
    )
    libs.assert_report_matches(
        report, expected, "observed", libs.LABEL_METRICS, libraries=True
    )
    frame = twins.frame
    twin_expected = libs.expected_twins(frame, attrs, model(frame))
    libs.assert_report_matches(report, twin_expected, "twins", libs.DECISION_METRICS)


def test_where_on_a_sample_is_the_same_however_chunked(monkeypatch, tree):
    monkeypatch.setattr(accumulator_module, "WHERE_SAMPLE", 500)
    one = audit(tree, loan_twin_spec(), n_pairs=4_000, n_boot=0)
    streamed = audit(tree, loan_twin_spec(), n_pairs=4_000, n_boot=0, chunk_size=777)
    assert_same_report(one, streamed)
    assert one.where.rules["profiles"].sum() == 500
    assert any("uniform sample of 500 of the 4,000" in note for note in one.notes)
    # the headline counts every profile, the where view its sample
    assert one.n_pairs == 4_000


def test_streamed_report_keeps_only_its_first_pairs(monkeypatch, tree):
    monkeypatch.setattr(streaming, "REPORT_SAMPLE", 100)
    report = audit(tree, loan_twin_spec(), n_pairs=5_000, n_boot=0, chunk_size=1_000)
    assert report.scored.n_pairs == 100
    assert len(report.decisions()) == 200
    assert report.n_pairs == 5_000
    assert report.to_dict()["populations"]["twins"] == {
        "rows": 10_000,
        "profiles": 5_000,
    }


def test_progress_bar_only_on_request_or_a_terminal(tree, capsys):
    audit(tree, loan_twin_spec(), n_pairs=4_000, n_boot=0, chunk_size=500)
    assert capsys.readouterr().err == ""  # not a terminal
    audit(
        tree, loan_twin_spec(), n_pairs=4_000, n_boot=0, chunk_size=500, progress=True
    )
    assert "auditing pairs" in capsys.readouterr().err


@pytest.mark.parametrize("bad", [0, -3, 1.5, True, "100"])
def test_chunk_size_below_one_is_refused_before_any_work(bad):
    def model(frame):
        raise AssertionError("the model must not run")

    message = (
        "chunk_size must be a whole number of pairs >= 1 (e.g. 100_000), or None "
        f"for one chunk. Got {bad!r}."
    )
    with pytest.raises(DataError, match=re.escape(message)):
        audit(model, loan_twin_spec(), n_pairs=10, chunk_size=bad)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"n_jobs": 0},
            "n_jobs must be a whole number >= 1 (threads scoring chunks), or None for "
            "one per core. Got 0.",
        ),
        (
            {"backend": "spark"},
            "backend must be 'local' or 'dask'. Got 'spark'. ('dask' runs the audit on "
            "a dask.distributed cluster.)",
        ),
        ({"client": object()}, "client= is only used with backend='dask'."),
    ],
)
def test_bad_stream_options_are_refused(options, message):
    def model(frame):
        raise AssertionError("the model must not run")

    with pytest.raises(DataError, match=re.escape(message)):
        audit(model, loan_twin_spec(), n_pairs=10, chunk_size=5, **options)


def test_one_chunk_equals_many_for_every_pairing_of_chunk_and_threads(tree):
    """The thread pool merges in pair order whatever finishes first."""
    reports = [
        audit(tree, loan_twin_spec(), n_pairs=600, n_boot=50, chunk_size=c, n_jobs=j)
        for c, j in itertools.product([100, 600], [1, 2])
    ]
    for other in reports[1:]:
        assert_same_report(reports[0], other)


def test_a_large_audit_of_a_spec_streams_by_itself(monkeypatch, tree):
    # Above STREAM_ABOVE pairs an audit of a spec streams in STREAM_CHUNK chunks
    # without being asked, so audit(model, spec, n_pairs=10**7) stays in bounded
    # memory; the report equals the one-shot audit's (counts exactly).
    import twinaudit.report._report as report_module

    one = audit(tree, loan_twin_spec(), n_pairs=3_000, n_boot=100)
    seen = []
    original = report_module._streamed

    def spy(*args, **kwargs):
        seen.append(kwargs["chunk_size"])
        return original(*args, **kwargs)

    monkeypatch.setattr(report_module, "_streamed", spy)
    monkeypatch.setattr(report_module, "STREAM_ABOVE", 2_000)
    monkeypatch.setattr(report_module, "STREAM_CHUNK", 1_100)
    monkeypatch.setattr(streaming, "REPORT_SAMPLE", 100)
    auto = audit(tree, loan_twin_spec(), n_pairs=3_000, n_boot=100)
    assert seen == [1_100]
    assert_same_report(one, auto)
    assert auto.scored.n_pairs == 100
    # At or below the bound, the one-shot path (every pair kept).
    seen.clear()
    small = audit(tree, loan_twin_spec(), n_pairs=2_000, n_boot=0)
    assert seen == [] and small.scored.n_pairs == 2_000
