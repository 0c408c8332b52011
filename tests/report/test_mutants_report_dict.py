"""The report as a dict (JSON, HTML and Markdown are built from it), and streamed
audits' options, where mutation testing found the tests silent: the where view,
the headline interval, the score source, which attributes vary, each metric's
parity, how single values are written, a streamed audit's kept pairs and policy,
and the Theil index without a positive benefit. Expected values come from the
report's own accessors or by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from twinaudit.exceptions import DataError, UndefinedMetricWarning
from twinaudit.generation import from_frame, generate
from twinaudit.metrics import REGISTRY
from twinaudit.report import Policy, Rule, audit
from twinaudit.report._report import finite_or_none
from twinaudit.spec import Integer, ProtectedAttribute, TwinSpec

SEX = ProtectedAttribute("sex", ["F", "M"], privileged="M")
RACE = ProtectedAttribute("race", ["white", "black"], privileged="white")
SPEC = TwinSpec(fields=[Integer("x", 0, 99)], protected=[SEX, RACE], seed=3)


def refuse(frame: pd.DataFrame) -> np.ndarray:
    return ((frame["sex"] == "M") | (frame["x"] > 49)).astype(int).to_numpy()


@pytest.fixture(scope="module")
def report():
    return audit(refuse, SPEC, n_pairs=200, n_boot=0)


def test_the_dict_holds_the_where_view_and_the_headline_interval(report):
    out = report.to_dict()
    assert out["where"] == report.where.to_dict()
    assert out["where"]["rules"]  # the view is there, not null
    score = report.metric("causal_discrimination_score")
    assert out["headline"]["low"] == score.low and out["headline"]["high"] == score.high
    assert 0 < out["headline"]["low"] < report.flip_rate < out["headline"]["high"] < 1
    assert json.loads(report.to_json())["where"] == json.loads(json.dumps(out["where"]))


def test_the_dict_says_where_the_scores_come_from():
    rng = np.random.default_rng(0)
    history = pd.DataFrame(
        {"sex_code": rng.integers(0, 2, 300), "x": rng.integers(0, 100, 300)}
    )
    y = ((history["sex_code"] == 1) | (history["x"] > 60)).astype(int)
    spec = TwinSpec(
        fields=[Integer("x", 0, 99)],
        protected=[ProtectedAttribute("sex_code", [0, 1], privileged=1)],
        seed=0,
    )
    models = {
        "predict_proba": DecisionTreeClassifier(random_state=0).fit(history, y),
        "decision_function": LinearSVC(random_state=0).fit(history, y),
    }
    for source, model in models.items():
        out = audit(model, spec, n_pairs=50, n_boot=0).to_dict()
        assert out["model"]["scores"] == source
    assert (
        audit(refuse, SPEC, n_pairs=20, n_boot=0).to_dict()["model"]["scores"] is None
    )


def test_the_dict_says_which_attributes_vary():
    spec = TwinSpec(
        fields=[Integer("x", 0, 99)], protected=[SEX, RACE], vary=["sex"], seed=3
    )
    out = audit(refuse, spec, n_pairs=30, n_boot=0).to_dict()
    assert [(a["name"], a["varied"]) for a in out["attributes"]] == [
        ("sex", True),
        ("race", False),
    ]


def test_the_registry_in_the_dict_gives_each_metrics_parity(report):
    registry = report.to_dict()["registry"]
    for name, entry in registry.items():
        parity = REGISTRY[name].parity
        assert entry["parity"] == (None if math.isnan(parity) else parity), name
    assert registry["disparate_impact"]["parity"] == 1.0
    assert registry["flip_rate"]["parity"] == 0.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (np.int64(3), 3),
        (np.int8(-2), -2),
        (np.bool_(True), True),
        (np.bool_(False), False),
        (np.float32(0.5), 0.5),
        (math.nan, None),
        (-math.inf, None),
        (pd.NA, None),
        (pd.NaT, None),
        (pd.Timestamp("2021-03-01 12:00"), "2021-03-01 12:00:00"),
        (np.datetime64("2021-03-01"), "2021-03-01"),
        ("F", "F"),
        (7, 7),
    ],
)
def test_single_values_are_written_as_plain_json(value, expected):
    out = finite_or_none(value)
    assert out == expected and type(out) is type(expected)


def test_a_streamed_audit_keeps_its_first_chunk_and_its_policy():
    policy = Policy([Rule("disparate_impact", min=0.8)], significance=0.1)
    streamed = audit(refuse, SPEC, n_pairs=100, chunk_size=40, n_boot=0, policy=policy)
    assert streamed.scored.twins.n_pairs == 40  # the first chunk's pairs
    assert streamed.n_pairs == 100
    assert streamed.policy is policy
    assert streamed.verdict().status == "fail"  # women: 50% against 100%


@pytest.mark.parametrize("chunk_size", [None, 40])
def test_an_audit_of_something_else_than_twins_is_refused(chunk_size):
    with pytest.raises(DataError) as caught:
        audit(refuse, pd.DataFrame({"x": [1]}), chunk_size=chunk_size)
    assert str(caught.value) == (
        "audit needs Twins (from generate/from_frame) or a TwinSpec. Got DataFrame."
    )
    assert generate(SPEC, 2).n_pairs == 2


def test_the_theil_index_without_a_positive_benefit_is_undefined_and_says_why():
    # Every row is refused (decision 0) while its label is favourable (1): the
    # benefit decision - label + 1 is 0 everywhere.
    rows = pd.DataFrame({"sex": ["F", "M"] * 20, "x": range(40), "label": 1})
    twins = from_frame(rows, protected={"sex": "M"})
    with pytest.warns(UndefinedMetricWarning):
        report = audit(lambda f: np.zeros(len(f), int), twins, y_true="label", n_boot=0)
    theil = report.metric("theil_index")
    assert math.isnan(theil)
    assert theil.undefined == (
        "Theil index on the observed population is undefined: no row has a "
        "positive benefit."
    )


def test_a_report_without_a_where_view_writes_null(report):
    import dataclasses

    assert dataclasses.replace(report, where=None).to_dict()["where"] is None


def test_scores_without_a_named_source_are_read_as_probabilities():
    import dataclasses

    from twinaudit.report import report_from_scored

    rng = np.random.default_rng(1)
    history = pd.DataFrame(
        {"sex": rng.integers(0, 2, 200), "x": rng.integers(0, 100, 200)}
    )
    model = DecisionTreeClassifier(random_state=0).fit(history, history["x"] > 50)
    spec = TwinSpec(
        fields=[Integer("x", 0, 99)],
        protected=[ProtectedAttribute("sex", [0, 1], privileged=1)],
        seed=0,
    )
    scored = audit(model, spec, n_pairs=30, n_boot=0).scored
    assert scored.score_source == "predict_proba"
    unnamed = dataclasses.replace(scored, score_source=None)
    out = report_from_scored(unnamed, n_boot=0).to_dict()
    assert out["model"]["scores"] == "predict_proba"


@pytest.mark.parametrize(("min_cell_size", "too_small"), [(40, False), (41, True)])
def test_the_theil_index_is_too_small_below_min_cell_size_rows(
    min_cell_size, too_small
):
    rows = pd.DataFrame({"sex": ["F", "M"] * 20, "x": range(40)})
    rows["label"] = (rows["x"] % 3 == 0).astype(int)
    twins = from_frame(rows, protected={"sex": "M"})
    approve = lambda f: (f["x"] > 10).astype(int).to_numpy()  # noqa: E731
    report = audit(
        approve, twins, y_true="label", n_boot=0, min_cell_size=min_cell_size
    )
    table = report.metrics.set_index("metric")
    assert bool(table.loc["theil_index", "too_small"]) is too_small


def test_an_observed_group_without_rows_is_nan_for_every_source():
    from twinaudit.spec import ProtectedAttribute as Attr

    rows = pd.DataFrame({"sex": ["F", "M"] * 30, "x": range(60)})
    rows["label"] = (rows["x"] % 2 == 0).astype(int)
    # 'X' is a value of the attribute that no real row holds
    twins = from_frame(rows, protected=[Attr("sex", ["F", "M", "X"], privileged="M")])
    with pytest.warns(UndefinedMetricWarning):
        report = audit(
            lambda f: (f["x"] > 20).astype(int).to_numpy(),
            twins,
            y_true="label",
            n_boot=0,
        )
    m = report.metrics
    empty = m[(m["population"] == "observed") & (m["group"] == "X")]
    assert set(empty["metric"]) >= {"selection_rate", "true_positive_rate"}
    assert empty[["value", "aif360", "fairlearn"]].isna().all().all()
    filled = m[(m["population"] == "observed") & (m["group"] == "F")]
    assert filled.set_index("metric").loc["selection_rate", "fairlearn"] == (
        (rows.loc[rows["sex"] == "F", "x"] > 20).mean()
    )
