"""The audit report: populations, accessors, labels, bad input."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest

from twinaudit.datasets import loan_applications, loan_model, loan_twin_spec
from twinaudit.exceptions import (
    DataError,
    ModelError,
    OutputExistsError,
    UndefinedMetricWarning,
)
from twinaudit.generation import from_frame, generate
from twinaudit.report import audit
from twinaudit.spec import Integer, ProtectedAttribute, TwinSpec


def spec_of(*attributes, x=(0, 99), seed=0):
    return TwinSpec(fields=[Integer("x", *x)], protected=list(attributes), seed=seed)


SEX_LAST = ProtectedAttribute("sex", ["F", "M"], privileged="M")


def sex_model(frame):
    return ((frame["sex"] == "M") | (frame["x"] > 49)).astype(int).to_numpy()


# -- the tutorial --------------------------------------------------------------------
def test_tutorial_flips_below_the_trees_threshold_and_never_above(loan_report):
    decisions = loan_report.scored.decision_matrix()
    income = loan_report.twins.frame["Income"].to_numpy()[::2]
    below = income <= 79_997
    assert below.sum() == 546
    flipped = decisions[:, 0] != decisions[:, 1]
    assert flipped[below].mean() == 1.0 and flipped[~below].mean() == 0.0
    row = loan_report.flip("Gender", "Female")
    assert row.favours_group == 0 and row.favours_reference == 546
    assert row.mcnemar_p < 1e-6 and row.mcnemar_p_adjusted < 1e-6
    assert loan_report.flip_rate == 0.546


def test_a_model_that_ignores_gender_has_no_flip_and_a_shrinking_bound(loan_tree):
    def blind(frame):
        return (frame["Income"] > 60_000).astype(int).to_numpy()

    bounds = []
    for n in (100, 1000, 10_000):
        report = audit(
            blind, loan_twin_spec(1), n_pairs=n, libraries=False, allow_unread=True
        )
        assert report.flip_rate == 0.0
        value = report.metric("flip_rate")
        assert float(value) == 0.0 and value.low == 0.0
        assert value.high == pytest.approx(-math.log(0.05) / n)
        bounds.append(value.high)
    assert bounds[0] > bounds[1] > bounds[2]


# -- issue 6 item 1: the privileged value listed last --------------------------------
def test_aif360_agrees_when_the_privileged_value_is_listed_last():
    report = audit(sex_model, spec_of(SEX_LAST), n_pairs=1000)
    spd = report.metric("statistical_parity_difference")
    aif = report.metric("statistical_parity_difference", source="aif360")
    assert float(spd) == float(aif) and spd < 0
    x = generate(spec_of(SEX_LAST), 1000).frame["x"].to_numpy()[::2]
    assert float(spd) == pytest.approx((x > 49).mean() - 1.0, abs=1e-12)
    di = report.metric("disparate_impact")
    assert float(di) == pytest.approx(
        float(report.metric("disparate_impact", source="aif360")), abs=1e-12
    )
    assert di.group == "F" and di.reference == "M"


# -- issue 6 item 5: three values never collapse to the first group ------------------
RACE = ProtectedAttribute("race", ["white", "black", "asian"], privileged="white")


def race_model(frame):
    harmed = (frame["race"] == "asian") & (frame["x"] < 60)
    return (~harmed & (frame["x"] > 19)).astype(int).to_numpy()


@pytest.fixture(scope="module")
def race_report():
    return audit(race_model, spec_of(RACE), n_pairs=1000)


def test_accessors_return_the_worst_group_and_say_which(race_report):
    di = race_report.metric("disparate_impact")
    assert di.group == "asian" and di < 0.6
    black = race_report.metric("disparate_impact", group="black")
    assert float(black) == 1.0
    flip = race_report.flip()
    assert flip["group"] == "asian" and flip["flip_rate"] > 0.3
    summary = race_report.summary()
    assert summary["mcnemar_p_adjusted"]["race=asian"] < 1e-100
    assert summary["mcnemar_p_adjusted"]["race=black"] == 1.0
    assert summary["flip_rate"]["race=black"] == 0.0
    assert race_report.cochran["p_value"].iloc[0] < 1e-100


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            dict(name="disparate_impakt"),
            "Unknown metric 'disparate_impakt'. Did you mean 'disparate_impact'?",
        ),
        (
            dict(name="disparate_impact", source="AIF360"),
            "Unknown source 'AIF360'. Did you mean 'aif360'? Sources: ['twinaudit', "
            "'aif360', 'fairlearn'].",
        ),
        (
            dict(name="disparate_impact", source="fairlearn"),
            "fairlearn has no 'disparate_impact' with twinaudit's definition",
        ),
        (
            dict(name="disparate_impact", population="real"),
            "Unknown population 'real'.",
        ),
        (
            dict(name="disparate_impact", population="observed"),
            "This report has no 'observed' population: audit twins of real rows",
        ),
        (
            dict(name="equal_opportunity_difference"),
            "'equal_opportunity_difference' needs true labels; audit with y_true=",
        ),
        (
            dict(name="disparate_impact", attribute="sex"),
            "No 'disparate_impact' for attribute 'sex'. Attributes: ['race'].",
        ),
        (
            dict(name="disparate_impact", group="hispanic"),
            "No 'disparate_impact' for group 'hispanic'.",
        ),
        (
            dict(name="demographic_parity_ratio", group="asian"),
            "'demographic_parity_ratio' is one number per attribute, not per group",
        ),
        (
            dict(name="flip_rate", population="observed"),
            "'flip_rate' is reported on the ['twins'] population(s), not on "
            "'observed'.",
        ),
    ],
)
def test_bad_metric_lookups_are_typed_errors(race_report, kwargs, message):
    name = kwargs.pop("name")
    with pytest.raises(DataError, match=re.escape(message)):
        race_report.metric(name, **kwargs)


def test_score_metrics_need_scores(race_report):
    with pytest.raises(DataError, match=re.escape("'mean_score_gap' needs scores")):
        race_report.metric("mean_score_gap")


# -- two attributes at once ---------------------------------------------------------
def test_intersections_and_per_attribute_rows():
    spec = spec_of(SEX_LAST, RACE)
    report = audit(lambda f: race_model(f) * sex_model(f), spec, n_pairs=400)
    attributes = set(report.metrics["attribute"].dropna())
    assert attributes == {"sex", "race", "sex & race"}
    worst = report.metric("disparate_impact", attribute="sex & race")
    assert worst.group == "F & asian" and worst.reference == "M & white"
    rows = report.metrics
    di = rows[(rows["metric"] == "disparate_impact") & rows["aif360"].notna()]
    np.testing.assert_allclose(di["aif360"], di["value"], atol=1e-12)
    assert len(di) == 1 + 2 + 5


# -- the observed population and true labels ----------------------------------------
@pytest.fixture(scope="module")
def labelled():
    rng = np.random.default_rng(11)
    n = 600
    rows = pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], n, p=[0.4, 0.6]),
            "x": rng.integers(0, 100, n),
        },
        index=pd.Index(rng.permutation(n) + 1000, name="id"),
    )
    rows["label"] = ((rows["x"] + rng.normal(0, 20, n)) > 45).astype(int)
    return rows


def test_observed_population_uses_only_the_real_rows(labelled):
    twins = from_frame(labelled, protected={"sex": "M"})
    report = audit(sex_model, twins, y_true="label", n_boot=200)
    assert report.populations == ("twins", "observed")
    assert report.observed_rows == len(labelled)
    decisions = sex_model(labelled)
    truth = labelled["label"].to_numpy()
    female = (labelled["sex"] == "F").to_numpy()
    tpr_f = (decisions[female & (truth == 1)] == 1).mean()
    tpr_m = (decisions[~female & (truth == 1)] == 1).mean()
    eod = report.metric("equal_opportunity_difference")
    assert eod.population == "observed"
    assert float(eod) == pytest.approx(tpr_f - tpr_m, abs=1e-12)
    assert eod.low < float(eod) < eod.high
    sel = report.metric("selection_rate", group="F", population="observed")
    assert float(sel) == pytest.approx(decisions[female].mean(), abs=1e-12)
    twins_sel = report.metric("selection_rate", group="F", population="twins")
    assert float(twins_sel) == pytest.approx((labelled["x"] > 49).mean(), abs=1e-12)


@pytest.mark.parametrize(
    "y_true, message",
    [
        ("lable", "y_true='lable' is not a column of the twins. Did you mean 'label'?"),
        ("x", "The label column 'x' is one of the model's input columns"),
        (np.zeros(3), "y_true must be a column name or one label per pair (600)."),
    ],
)
def test_bad_labels(labelled, y_true, message):
    twins = from_frame(labelled, protected={"sex": "M"})
    with pytest.raises(DataError, match=re.escape(message)):
        audit(sex_model, twins, y_true=y_true, features=["sex", "x"])


@pytest.mark.parametrize(
    "labels, message",
    [
        ([0, 1, 2], "True labels 'label' are not binary: they hold 3 values"),
        ([0.0, np.nan, 1.0], "True labels 'label' have 200 missing value(s)"),
        (
            ["yes", "no"],
            "True labels 'label' hold ['no', 'yes'], and none is the "
            "favourable decision 1",
        ),
    ],
)
def test_labels_must_be_binary_complete_and_in_the_models_values(
    labelled, labels, message
):
    rows = labelled.copy()
    rows["label"] = np.resize(np.asarray(labels, dtype=object), len(rows))
    twins = from_frame(rows, protected={"sex": "M"})
    with pytest.raises(DataError, match=re.escape(message)):
        audit(sex_model, twins, y_true="label")


def test_labels_need_real_rows():
    with pytest.raises(DataError, match=re.escape("y_true needs real rows")):
        audit(sex_model, spec_of(SEX_LAST), y_true=np.zeros(1000))


# -- undefined metrics ---------------------------------------------------------------
def test_undefined_metrics_are_nan_with_the_reason_and_one_warning():
    with pytest.warns(UndefinedMetricWarning, match="metric\\(s\\) are undefined"):
        report = audit(
            lambda f: np.zeros(len(f), dtype=int),
            spec_of(SEX_LAST),
            n_pairs=50,
            allow_unread=True,
        )
    di = report.metric("disparate_impact")
    assert math.isnan(di)
    assert di.undefined == (
        "disparate impact of sex='F' on the twins population is undefined: the "
        "privileged group ('M') is never favoured."
    )
    assert di.undefined in report.notes
    rows = json.loads(report.to_json())["metrics"]
    di_row = next(r for r in rows if r["metric"] == "disparate_impact")
    assert di_row["value"] is None and di_row["undefined"] == di.undefined
    dpd = report.metric("demographic_parity_difference")
    assert dpd.group is None and dpd.undefined is None


# -- output and views ----------------------------------------------------------------
def test_json_is_strict_and_never_overwrites(loan_report, tmp_path):
    data = json.loads(loan_report.to_json())
    assert data["schema_version"] == 1 and data["pairs"] == 1000
    assert data["headline"]["causal_discrimination_score"] == 0.546
    assert data["attributes"][0]["privileged"] == "Male"
    path = tmp_path / "report.json"
    path.write_text("keep me")
    with pytest.raises(OutputExistsError):
        loan_report.to_json(path)
    assert path.read_text() == "keep me"
    loan_report.to_json(path, overwrite=True)
    assert json.loads(path.read_text())["model"]["name"] == "DecisionTreeClassifier"


@pytest.mark.parametrize("n", [-1, 1.5, True])
def test_decisions_view_refuses_bad_counts(loan_report, n):
    with pytest.raises(DataError, match=re.escape(f"Got {n!r}.")):
        loan_report.decisions(n)
    assert len(loan_report.decisions(3)) == 6


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(model=object()), ModelError, "The model must be a fitted estimator"),
        (dict(n_pairs=5), DataError, "n_pairs is only used when auditing a TwinSpec"),
        (
            dict(confidence=95),
            DataError,
            "confidence must be a number between 0 and 1 (e.g. 0.95). Got 95.",
        ),
        (dict(min_cell_size=-1), DataError, "min_cell_size must be a whole number"),
        (dict(n_boot=1.5), DataError, "n_boot must be a whole number >= 0. Got 1.5."),
    ],
)
def test_bad_audit_calls(loan_tree, loan_twins, kwargs, error, message):
    kwargs.setdefault("model", loan_tree)
    with pytest.raises(error, match=re.escape(message)):
        audit(kwargs.pop("model"), loan_twins, **kwargs)


def test_audit_needs_twins_or_a_spec(loan_tree):
    rows = pd.DataFrame({"Gender": ["Male", "Female"], "Income": [1, 2]})
    with pytest.raises(DataError, match="audit needs Twins"):
        audit(loan_tree, rows)


def test_the_same_seed_gives_the_same_intervals():
    history = loan_applications(300, seed=1)
    model = loan_model(history)
    a = audit(model, loan_twin_spec(3), n_pairs=300, libraries=False)
    b = audit(model, loan_twin_spec(3), n_pairs=300, libraries=False)
    pd.testing.assert_frame_equal(a.metrics, b.metrics)


# -- verdicts ------------------------------------------------------------------------
def test_the_tutorial_tree_fails_the_four_fifths_rule(loan_report):
    from twinaudit.report import Policy

    verdict = loan_report.verdict(Policy.four_fifths())
    assert verdict.status == "fail" and verdict.exit_code == 1
    assert json.loads(loan_report.to_json())["verdict"] is None


@pytest.mark.parametrize("n_pairs, status", [(100, "inconclusive"), (1000, "pass")])
def test_a_blind_model_passes_once_the_audit_is_large_enough(n_pairs, status):
    from twinaudit.report import Policy, Rule

    def blind(frame):
        return (frame["Income"] > 60_000).astype(int).to_numpy()

    policy = Policy([Rule("flip_rate", max=0.01)])
    report = audit(
        blind,
        loan_twin_spec(1),
        n_pairs=n_pairs,
        policy=policy,
        libraries=False,
        allow_unread=True,
    )
    assert report.verdict().status == status
    assert json.loads(report.to_json())["verdict"]["status"] == status


def test_a_policy_sets_the_confidence():
    from twinaudit.report import Policy

    policy = Policy.four_fifths(significance=0.1)
    report = audit(sex_model, spec_of(SEX_LAST), n_pairs=200, policy=policy)
    assert report.confidence == pytest.approx(0.9)
    with pytest.raises(DataError, match=re.escape("disagrees with the policy")):
        audit(sex_model, spec_of(SEX_LAST), confidence=0.95, policy=policy)
    with pytest.raises(DataError, match=re.escape("No policy to check")):
        audit(sex_model, spec_of(SEX_LAST), n_pairs=50).verdict()


def test_every_kind_of_report_follows_the_schema(loan_report, race_report, labelled):
    from twinaudit.report import Policy, validate_report

    two = audit(
        lambda f: race_model(f) * sex_model(f), spec_of(SEX_LAST, RACE), n_pairs=60
    )
    observed = audit(
        sex_model,
        from_frame(labelled, protected={"sex": "M"}),
        y_true="label",
        policy=Policy.four_fifths(),
        n_boot=50,
    )
    for report in (loan_report, race_report, two, observed):
        validate_report(report.to_dict())
        validate_report(json.loads(report.to_json()))
