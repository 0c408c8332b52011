"""How the adapters take their arguments: one attribute name as a plain string, and
metrics by name, never iterated letter by letter (issue 7)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from twinaudit.adapters import to_binary_label_dataset, to_metric_frame
from twinaudit.exceptions import DataError
from twinaudit.generation import generate
from twinaudit.scoring import score
from twinaudit.spec import Integer, ProtectedAttribute, TwinSpec

KNOWN = (
    "['accuracy', 'balanced_accuracy', 'count', 'false_negative_rate', "
    "'false_positive_rate', 'mean_prediction', 'precision', 'recall', "
    "'selection_rate', 'true_negative_rate', 'true_positive_rate']"
)


@pytest.fixture(scope="module")
def scored():
    spec = TwinSpec(
        fields=[Integer("x", 0, 9)],
        seed=3,
        protected=[
            # Privileged listed last, three values: the shapes fixtures forget.
            ProtectedAttribute("race", ["black", "asian", "white"], "white"),
            ProtectedAttribute("sex", ["F", "M"], "M"),
        ],
    )
    return score(
        lambda f: ((f["race"] == "white") | (f["x"] > 6)).to_numpy(),
        generate(spec, 300),
    )


def test_one_attribute_name_as_a_string_is_that_attribute(scored):
    bld = to_binary_label_dataset(scored, attributes="race")
    assert bld.protected_attribute_names == ["race"]
    mf = to_metric_frame(scored, attributes="race")
    # Hand count: white always favoured; the others when x > 6 (x in 0..9).
    frame = scored.twins.frame
    rate_black = ((frame["x"] > 6) & (frame["race"] == "black")).sum() / (
        frame["race"] == "black"
    ).sum()
    assert mf.by_group.loc["white", "selection_rate"] == 1.0
    assert mf.by_group.loc["black", "selection_rate"] == pytest.approx(rate_black)
    assert list(mf.by_group.index.names) == ["race"]


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        (
            "Race",
            "'Race' is not a protected attribute of these twins. Did you mean 'race'? Protected: ['race', 'sex'].",
        ),
        (
            3,
            "attributes must be a protected attribute's name or a list of names. Got 3. Protected: ['race', 'sex'].",
        ),
        (
            [],
            "attributes is empty: name at least one of ['race', 'sex'], or leave it out for all of them.",
        ),
        (
            ["race", "x"],
            "'x' is not a protected attribute of these twins. Protected: ['race', 'sex'].",
        ),
    ],
)
def test_bad_attributes_name_the_choices(scored, attributes, message):
    for adapter in (to_binary_label_dataset, to_metric_frame):
        with pytest.raises(DataError, match=re.escape(message)):
            adapter(scored, attributes=attributes)


@pytest.mark.parametrize("metrics", ["selection_rate", ["selection_rate", "count"]])
def test_metrics_by_name(scored, metrics):
    mf = to_metric_frame(scored, metrics=metrics, attributes=["sex"])
    names = [metrics] if isinstance(metrics, str) else metrics
    assert list(mf.by_group.columns) == names
    if not isinstance(metrics, str):
        # 300 pairs of 3 x 2 variants: three rows per pair for each sex.
        assert mf.by_group["count"].tolist() == [900, 900]
    # Both sexes see the same rows (twins), so the same selection rate.
    rates = mf.by_group["selection_rate"].to_numpy()
    assert rates[0] == rates[1]
    frame = scored.twins.frame
    expected = np.mean((frame["race"] == "white") | (frame["x"] > 6))
    assert rates[0] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("metrics", "message"),
    [
        (
            "selection",
            f"Unknown metric name 'selection'. Did you mean 'selection_rate'? Known names: {KNOWN}; or pass the function itself.",
        ),
        (
            3,
            f"metrics must be a metric function, a mapping of names to functions, or metric names from {KNOWN}. Got 3.",
        ),
        (
            {"a": 1},
            "metrics['a'] must be a metric function (y_true, y_pred) -> value. Got 1.",
        ),
        (
            [],
            f"metrics is empty: name at least one of {KNOWN}, or leave it out for the default.",
        ),
        (
            # A label metric by name is still refused on generated twins.
            "accuracy",
            "Metric 'accuracy' may need true labels, and twins carry none",
        ),
    ],
)
def test_bad_metrics_say_what_is_accepted(scored, metrics, message):
    with pytest.raises(DataError, match=re.escape(message)):
        to_metric_frame(scored, metrics=metrics)
