"""The report's accessors, where mutation testing found the tests silent: what a
``MetricValue`` prints, which row ``metric`` and ``flip`` pick with two attributes,
what a library source returns (its own number, no interval), and every lookup
error word for word. Expected values are hand counts or the libraries' own numbers
on the report's table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from twinaudit.exceptions import DataError, UndefinedMetricWarning
from twinaudit.generation import from_frame
from twinaudit.report import Policy, Rule, audit
from twinaudit.report._report import MetricValue
from twinaudit.spec import Integer, ProtectedAttribute, TwinSpec

SEX = ProtectedAttribute("sex", ["F", "M"], privileged="M")
RACE = ProtectedAttribute("race", ["white", "black", "asian"], privileged="white")


def model(frame: pd.DataFrame) -> np.ndarray:
    # Women are refused below x = 50; asian applicants below x = 20; black never.
    x = frame["x"].to_numpy()
    woman = (frame["sex"] == "F").to_numpy()
    asian = (frame["race"] == "asian").to_numpy()
    return ~((woman & (x < 50)) | (asian & (x < 20))).astype(bool)


@pytest.fixture(scope="module")
def two():
    spec = TwinSpec(fields=[Integer("x", 0, 99)], protected=[SEX, RACE], seed=0)
    return audit(lambda f: model(f).astype(int), spec, n_pairs=600, n_boot=200)


def info(**extra):
    base = dict(
        metric="disparate_impact",
        population="twins",
        source="aif360",
        attribute="race",
        group="asian",
        reference="white",
        low=math.nan,
        high=math.nan,
        undefined=None,
    )
    return {**base, **extra}


@pytest.mark.parametrize(
    ("extra", "text"),
    [
        (
            {},
            "MetricValue(0.5, metric='disparate_impact', population='twins', "
            "race='asian', source='aif360')",
        ),
        (
            {"metric": "demographic_parity_ratio", "group": None, "reference": None},
            "MetricValue(0.5, metric='demographic_parity_ratio', population='twins', "
            "race, source='aif360')",
        ),
        (
            {"metric": "causal_discrimination_score", "attribute": None, "group": None},
            "MetricValue(0.5, metric='causal_discrimination_score', "
            "population='twins', overall, source='aif360')",
        ),
        (
            {"group": 3},
            "MetricValue(0.5, metric='disparate_impact', population='twins', "
            "race=3, source='aif360')",
        ),
    ],
    ids=["group", "attribute", "overall", "number"],
)
def test_a_metric_value_prints_its_value_and_where_it_belongs(extra, text):
    value = MetricValue(0.5, **info(**extra))
    assert repr(value) == text
    assert float(value) == 0.5


def test_flip_picks_the_asked_attribute_and_group(two):
    table = two.counterfactual.set_index(["attribute", "group"])
    # women flip below x = 50, asian applicants below 20: sex is the worst
    assert two.flip()[["attribute", "group"]].tolist() == ["sex", "F"]
    for attribute, group in [("race", "asian"), ("race", "black")]:
        row = two.flip(attribute, group)
        assert row[["attribute", "group"]].tolist() == [attribute, group]
        assert row["flip_rate"] == table.loc[(attribute, group), "flip_rate"]
    assert two.flip("race")["group"] == "asian"
    assert two.flip(group="black")["attribute"] == "race"


def test_a_metric_names_itself_and_its_source(two):
    di = two.metric("disparate_impact", attribute="race")
    assert (di.metric, di.source, di.population) == (
        "disparate_impact",
        "twinaudit",
        "twins",
    )
    assert (di.attribute, di.group, di.reference) == ("race", "asian", "white")
    aif = two.metric("disparate_impact", attribute="race", source="aif360")
    assert (aif.metric, aif.source) == ("disparate_impact", "aif360")
    rows = two.metrics.set_index(["metric", "attribute", "group"])
    assert float(aif) == rows.loc[("disparate_impact", "race", "asian"), "aif360"]
    # A library's number comes without twinaudit's (bootstrap) interval.
    assert di.low < float(di) < di.high
    assert math.isnan(aif.low) and math.isnan(aif.high)


def test_a_library_source_returns_the_librarys_own_number():
    """No 'asian' row has a favourable label: Fairlearn's TPR is 0 by its
    convention, twinaudit's is undefined (nan)."""
    rng = np.random.default_rng(4)
    n = 300
    rows = pd.DataFrame(
        {
            "race": rng.choice(["white", "black", "asian"], n),
            "x": rng.integers(0, 100, n),
        }
    )
    rows["label"] = ((rows["x"] > 40) & (rows["race"] != "asian")).astype(int)
    twins = from_frame(rows, protected={"race": "white"})
    with pytest.warns(UndefinedMetricWarning):
        report = audit(
            lambda f: (f["x"] > 50).astype(int).to_numpy(),
            twins,
            y_true="label",
            n_boot=0,
        )
    ours = report.metric("true_positive_rate", group="asian", population="observed")
    fair = report.metric(
        "true_positive_rate", group="asian", population="observed", source="fairlearn"
    )
    assert math.isnan(ours) and ours.undefined
    assert float(fair) == 0.0 and fair.source == "fairlearn"


def test_a_library_source_of_an_audit_without_the_libraries_is_an_error():
    spec = TwinSpec(fields=[Integer("x", 0, 99)], protected=[SEX], seed=0)
    report = audit(
        lambda f: (f["x"] > 40).astype(int).to_numpy(),
        spec,
        n_pairs=50,
        libraries=False,
    )
    with pytest.raises(DataError) as caught:
        report.metric("disparate_impact", source="aif360")
    assert str(caught.value) == (
        "This report has no aif360 values: the audit ran with libraries=False. Audit "
        "with libraries=True (the default) to compare with AIF360 and Fairlearn."
    )
    assert float(report.metric("disparate_impact")) == 1.0


METRICS = (
    "['accuracy', 'average_odds_difference', 'causal_discrimination_score', "
    "'demographic_parity_difference', 'demographic_parity_ratio', 'disparate_impact', "
    "'equal_opportunity_difference', 'equalized_odds_difference', "
    "'equalized_odds_ratio', 'false_positive_rate', 'flip_rate', 'mcnemar_p', "
    "'mean_score_gap', 'precision', 'selection_rate', "
    "'statistical_parity_difference', 'theil_index', 'true_positive_rate']"
)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            dict(name="disparate_impakt"),
            "Unknown metric 'disparate_impakt'. Did you mean 'disparate_impact'? "
            f"Metrics: {METRICS}.",
        ),
        (
            dict(name="disparate_impact", source="AIF360"),
            "Unknown source 'AIF360'. Did you mean 'aif360'? Sources: ['twinaudit', "
            "'aif360', 'fairlearn'].",
        ),
        (
            dict(name="disparate_impact", source="fairlearn"),
            "fairlearn has no 'disparate_impact' with twinaudit's definition "
            "(P(fav | group) / P(fav | privileged); the four-fifths rule flags < 0.8); "
            "sources for it: ['twinaudit', 'aif360'].",
        ),
        (
            dict(name="disparate_impact", population="twin"),
            "Unknown population 'twin'. Did you mean 'twins'? Populations: "
            "['twins', 'observed'] (this report has ['twins']).",
        ),
        (
            dict(name="disparate_impact", population="observed"),
            "This report has no 'observed' population: audit twins of real rows "
            "(from_frame(...)) to measure the model on the real people.",
        ),
        (
            dict(name="equal_opportunity_difference"),
            "'equal_opportunity_difference' needs true labels; audit with "
            "y_true='<label column>' (twins of real rows keep each row's label).",
        ),
        (
            dict(name="disparate_impact", attribute="rase"),
            "No 'disparate_impact' for attribute 'rase'. Did you mean 'race'? "
            "Attributes: ['sex', 'race', 'sex & race'].",
        ),
        (
            dict(name="disparate_impact", group="asain"),
            "No 'disparate_impact' for group 'asain'. Did you mean 'asian'? Groups: "
            "['F', 'black', 'asian', 'F & white', 'F & black', 'F & asian', "
            "'M & black', 'M & asian'].",
        ),
        (
            dict(name="disparate_impact", attribute="race", group="asain"),
            "No 'disparate_impact' for group 'asain' of 'race'. Did you mean 'asian'? "
            "Groups: ['black', 'asian'].",
        ),
        (
            dict(name="demographic_parity_ratio", group="F"),
            "'demographic_parity_ratio' is one number per attribute, not per group; "
            "leave out group=.",
        ),
        (
            dict(name="flip_rate", population="observed"),
            "'flip_rate' is reported on the ['twins'] population(s), not on "
            "'observed'.",
        ),
        (
            dict(name="mean_score_gap"),
            "'mean_score_gap' needs scores, and the model <lambda> has neither "
            "predict_proba nor decision_function.",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 30 else None,
)
def test_every_lookup_error_word_for_word(two, kwargs, message):
    kwargs = dict(kwargs)
    name = kwargs.pop("name")
    with pytest.raises(DataError) as caught:
        two.metric(name, **kwargs)
    assert str(caught.value) == message


def test_verdict_errors_word_for_word(two):
    with pytest.raises(DataError) as caught:
        two.verdict()
    assert str(caught.value) == (
        "No policy to check: pass one, report.verdict(Policy(...)), or audit with "
        "policy=... (load_policy('policy.yaml') reads a file)."
    )
    with pytest.raises(DataError) as caught:
        two.verdict({"rules": []})
    assert str(caught.value) == "verdict needs a twinaudit Policy. Got dict."
    policy = Policy([Rule("disparate_impact", min=0.8)])
    assert two.verdict(policy).status == "fail"
