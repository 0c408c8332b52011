"""The report's views and library objects, where mutation testing found the tests
silent: every summary key, ``decisions(0)``, the JSON layout, the HTML file, and
the options passed through to the AIF360 and Fairlearn adapters. Expected values
come from the report's own tables read another way (its rows, its decision
matrix), or by hand."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from twinaudit.exceptions import DataError, OutputExistsError, SpecError
from twinaudit.generation import from_frame
from twinaudit.report import audit
from twinaudit.spec import Integer, ProtectedAttribute, TwinSpec

SEX = ProtectedAttribute("sex", ["F", "M"], privileged="M")
RACE = ProtectedAttribute("race", ["white", "black", "asian"], privileged="white")


def refuse(frame: pd.DataFrame) -> np.ndarray:
    x = frame["x"].to_numpy()
    woman = (frame["sex"] == "F").to_numpy()
    asian = (frame["race"] == "asian").to_numpy()
    return (~((woman & (x < 50)) | (asian & (x < 20)))).astype(int)


@pytest.fixture(scope="module")
def two():
    spec = TwinSpec(fields=[Integer("x", 0, 99)], protected=[SEX, RACE], seed=0)
    return audit(refuse, spec, n_pairs=120, n_boot=0)


@pytest.fixture(scope="module")
def labelled():
    rng = np.random.default_rng(5)
    n = 200
    rows = pd.DataFrame(
        {"sex": rng.choice(["F", "M"], n), "x": rng.integers(0, 100, n)}
    )
    rows["label"] = (rows["x"] > 40).astype(int)
    rows["other"] = 1 - rows["label"]
    twins = from_frame(rows, protected={"sex": "M"})
    model = lambda f: ((f["sex"] == "M") | (f["x"] > 49)).astype(int).to_numpy()  # noqa: E731
    return audit(model, twins, y_true="label", n_boot=0), rows


def test_the_summary_holds_every_number_once_under_its_key(two):
    summary = two.summary()
    decisions = two.scored.decision_matrix()
    flipped = (decisions != decisions[:, :1]).any(axis=1)
    assert summary["model"] == "refuse"
    assert summary["pairs"] == 120
    assert summary["causal_discrimination_score"] == flipped.mean()
    expected = {}
    for row in two.metrics.itertuples():
        if row.metric in ("flip_rate", "mcnemar_p"):
            continue  # under "flip_rate" and "mcnemar_p_adjusted", per group
        if row.attribute is None:
            where = "overall"
        elif row.group is None:
            where = row.attribute
        else:
            where = f"{row.attribute}={row.group}"
        expected[f"{row.metric}[{row.population}:{where}]"] = row.value
    headline = {"model", "pairs", "causal_discrimination_score"}
    per_group = {"flip_rate", "mcnemar_p_adjusted"}
    assert set(summary) == headline | per_group | set(expected)
    for key, value in expected.items():
        assert summary[key] == value or (np.isnan(summary[key]) and np.isnan(value))
    assert "causal_discrimination_score[twins:overall]" in summary
    assert "demographic_parity_ratio[twins:race]" in summary
    assert "disparate_impact[twins:race=asian]" in summary


def test_no_pairs_of_decisions_is_an_empty_table(two):
    empty = two.decisions(0)
    assert empty.empty
    assert list(empty.columns) == list(two.decisions(1).columns)
    assert len(two.decisions(1)) == 6  # one pair: a twin per (sex, race)


def test_json_is_indented_by_two_unless_asked(two, tmp_path):
    text = two.to_json()
    assert text.startswith('{\n  "schema_version": 1,\n')
    assert json.loads(text) == two.to_dict()
    flat = two.to_json(indent=None)
    assert "\n" not in flat and json.loads(flat) == two.to_dict()


def test_the_html_page_is_written_and_never_over_a_file(two, tmp_path):
    path = tmp_path / "audit.html"
    text = two.to_html(path)
    assert path.read_text(encoding="utf-8") == text
    assert text.lstrip().lower().startswith("<!doctype html>")
    path.write_text("keep me")
    with pytest.raises(OutputExistsError):
        two.to_html(path)
    assert path.read_text() == "keep me"
    two.to_html(str(path), overwrite=True)
    assert path.read_text(encoding="utf-8") == text


def test_library_objects_take_their_options(two):
    assert two.to_binary_label_dataset().protected_attribute_names == ["sex", "race"]
    race = two.to_binary_label_dataset(attributes="race", include_features=False)
    assert race.protected_attribute_names == ["race"]
    assert race.features.shape == (2 * 3 * 120, 1)
    frame = two.to_metric_frame(attributes="race")
    assert list(frame.by_group.index.names) == ["race"]
    assert list(two.to_metric_frame().by_group.index.names) == ["sex", "race"]


def test_classification_datasets_use_the_audits_labels(labelled):
    report, rows = labelled
    truth, predicted = report.to_classification_datasets()
    assert truth.labels.ravel().tolist() == rows["label"].astype(float).tolist()
    assert predicted.protected_attribute_names == ["sex"]
    _, only_sex = report.to_classification_datasets(include_features=False)
    assert only_sex.features.shape == (len(rows), 1)
    other, _ = report.to_classification_datasets(label_column="other")
    assert other.labels.ravel().tolist() == rows["other"].astype(float).tolist()


def test_classification_datasets_need_labels(two):
    with pytest.raises(DataError) as caught:
        two.to_classification_datasets()
    assert str(caught.value) == (
        "The audit had no labels; pass label_column=... or audit with y_true=."
    )


def test_a_report_prints_its_model_pairs_flip_rate_and_populations(two, labelled):
    for report, model, populations in [
        (two, "refuse", "['twins']"),
        (labelled[0], "<lambda>", "['twins', 'observed']"),
    ]:
        decisions = report.scored.decision_matrix()
        flipped = (decisions != decisions[:, :1]).any(axis=1)
        assert repr(report) == (
            f"AuditReport(model={model}, pairs={len(flipped)}, "
            f"flip_rate={flipped.mean():.3f}, populations={populations})"
        )


SPEC = TwinSpec(fields=[Integer("x", 0, 99)], protected=[SEX], seed=1)


def sex_only(frame: pd.DataFrame) -> np.ndarray:
    return ((frame["sex"] == "M") | (frame["x"] > 49)).astype(int).to_numpy()


@pytest.mark.parametrize("chunk_size", [None, 40])
def test_the_confidence_comes_from_the_argument_or_the_policy(chunk_size):
    from twinaudit.report import Policy, Rule

    policy = Policy([Rule("disparate_impact", min=0.8)], significance=0.1)
    options = dict(n_pairs=100, n_boot=0, chunk_size=chunk_size)
    assert audit(sex_only, SPEC, confidence=0.8, **options).confidence == 0.8
    assert audit(sex_only, SPEC, policy=policy, **options).confidence == 0.9
    with pytest.raises(DataError) as caught:
        audit(sex_only, SPEC, policy=policy, confidence=0.95, **options)
    assert str(caught.value) == (
        "confidence=0.95 disagrees with the policy's significance 0.1; leave out "
        "confidence= to use 0.9."
    )


@pytest.mark.parametrize("chunk_size", [None, 40])
@pytest.mark.parametrize("name", ["min_cell_size", "n_boot", "random_state"])
def test_bad_counts_name_themselves_also_when_streamed(chunk_size, name):
    with pytest.raises(DataError) as caught:
        audit(sex_only, SPEC, n_pairs=100, chunk_size=chunk_size, **{name: -1})
    assert str(caught.value) == f"{name} must be a whole number >= 0. Got -1."


def test_labels_that_are_all_unfavourable_are_accepted():
    """Labels {0} are among the model's labels {0, 1}: no favourable outcome on
    the rows is data, not an error (the rates built on it are undefined)."""
    rng = np.random.default_rng(2)
    rows = pd.DataFrame(
        {"sex": rng.choice(["F", "M"], 80), "x": rng.integers(0, 100, 80)}
    )
    rows["label"] = 0
    twins = from_frame(rows, protected={"sex": "M"})
    with pytest.warns(UserWarning):
        report = audit(sex_only, twins, y_true="label", n_boot=0)
    tpr = report.metric("true_positive_rate", group="F", population="observed")
    assert np.isnan(tpr) and tpr.undefined
    rows["label"] = "no"
    with pytest.raises(DataError, match="none is the favourable decision 1"):
        audit(sex_only, from_frame(rows, protected={"sex": "M"}), y_true="label")


@pytest.mark.parametrize("chunk_size", [None, 300])
def test_a_spec_without_n_pairs_is_audited_on_1000_pairs(chunk_size):
    report = audit(sex_only, SPEC, n_boot=0, chunk_size=chunk_size)
    assert report.n_pairs == 1000


@pytest.mark.parametrize("chunk_size", [None, 40])
def test_one_pair_is_enough_and_none_is_an_error(chunk_size):
    one = audit(sex_only, SPEC, n_pairs=1, n_boot=0, chunk_size=chunk_size)
    assert one.n_pairs == 1
    # the same error as generate(), one-shot or streamed
    with pytest.raises(SpecError) as caught:
        audit(sex_only, SPEC, n_pairs=0, chunk_size=chunk_size)
    assert str(caught.value) == "n_pairs must be a positive integer. Got 0."


@pytest.mark.parametrize("chunk_size", [None, 40])
def test_generated_twins_take_no_n_pairs(chunk_size):
    from twinaudit.generation import generate

    twins = generate(SPEC, 50)
    with pytest.raises(DataError) as caught:
        audit(sex_only, twins, n_pairs=50, chunk_size=chunk_size)
    assert str(caught.value) == (
        "n_pairs is only used when auditing a TwinSpec; the twins are already "
        "generated."
    )


def test_a_streamed_audit_with_labels_leaves_the_label_out_of_the_features():
    rng = np.random.default_rng(8)
    rows = pd.DataFrame(
        {"sex": rng.choice(["F", "M"], 90), "x": rng.integers(0, 100, 90)}
    )
    rows["label"] = (rows["x"] > 30).astype(int)
    twins = from_frame(rows, protected={"sex": "M"})
    whole = audit(sex_only, twins, y_true="label", n_boot=0)
    streamed = audit(sex_only, twins, y_true="label", n_boot=0, chunk_size=25)
    assert list(streamed.scored.features) == ["sex", "x"]
    pd.testing.assert_frame_equal(whole.metrics, streamed.metrics)
