"""More adapter details that a one-line change would break (found by mutmut).

The classification datasets' label and metadata, the twins they are built from
(attributes held fixed, another pair column, a label declared as a proxy, twins
built unchecked), and AIF360's arguments. Expected values are hand counts on the
rows written here, or AIF360 and Fairlearn run here on the raw rows.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from twinaudit.adapters import (
    Encoding,
    to_binary_label_dataset,
    to_classification_datasets,
    to_metric_frame,
    unprivileged_groups,
)
from twinaudit.adapters._aif360 import aif360_group_metrics, aif360_theil_index
from twinaudit.adapters._lazy import import_aif360
from twinaudit.exceptions import DataError, SpecError
from twinaudit.generation import Twins, from_frame
from twinaudit.scoring import score
from twinaudit.spec import ProtectedAttribute

SEX = ProtectedAttribute("sex", ["F", "M"], privileged="M")  # privileged last
RACE = ProtectedAttribute("race", ["black", "white", "asian"], privileged="white")


def rows(n: int = 12) -> pd.DataFrame:
    """Real rows with a text outcome and a non-default index."""
    rng = np.random.default_rng(5)
    return pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], n),
            "race": rng.choice(["black", "white", "asian"], n),
            "x": np.arange(n) * 7 % 100,
            "outcome": np.where(np.arange(n) % 3 == 0, "good", "bad"),
        },
        index=pd.Index(np.arange(n)[::-1] * 2 + 100, name="id"),
    )


def approve(frame: pd.DataFrame) -> np.ndarray:
    """Decisions 0/1 from x and sex (1 favourable)."""
    bonus = np.where(frame["sex"].to_numpy() == "M", 20, 0)
    return (frame["x"].to_numpy() + bonus > 50).astype(int)


def hand_decisions(data: pd.DataFrame) -> list[float]:
    return [
        float(x + (20 if s == "M" else 0) > 50)
        for x, s in zip(data["x"], data["sex"], strict=True)
    ]


def scored_twins(**kwargs: Any) -> tuple[Any, pd.DataFrame]:
    data = rows()
    twins = from_frame(data, protected=[SEX, RACE], **kwargs)
    return score(approve, twins, features=["sex", "race", "x"]), data


# -- to_classification_datasets --------------------------------------------------------
def test_the_favourable_label_argument_names_the_true_outcome():
    # The model decides 0/1; the label column says "good"/"bad".
    scored, data = scored_twins()
    assert scored.favorable_label == 1
    dataset_true, dataset_pred = to_classification_datasets(
        scored, "outcome", favorable_label="good"
    )
    expected = [1.0 if v == "good" else 0.0 for v in data["outcome"]]
    assert dataset_true.labels.ravel().tolist() == expected
    assert dataset_pred.labels.ravel().tolist() == hand_decisions(data)
    assert dataset_true.metadata["label_maps"] == [{1.0: "good", 0.0: "unfavourable"}]


@pytest.mark.parametrize("which", [0, 1])
def test_classification_metadata_maps_labels_and_describes_the_rows(which):
    scored, _ = scored_twins()
    dataset = to_classification_datasets(
        scored, "outcome", favorable_label="bad", attributes=["race", "sex"]
    )[which]
    assert dataset.metadata["label_maps"] == [{1.0: "bad", 0.0: "unfavourable"}]
    about = dataset.metadata["twinaudit"]
    assert about["row"] == "the factual rows of the twins, in pair order"
    assert about["n_variants"] == 6
    assert dataset.protected_attribute_names == ["race", "sex"]


def test_classification_datasets_group_by_the_varied_attributes_only():
    # race is protected but held fixed: pairs hold two twins, F and M.
    scored, data = scored_twins(vary=["sex"])
    assert scored.twins.n_variants == 2
    dataset_true, dataset_pred = to_classification_datasets(
        scored, "outcome", favorable_label="good"
    )
    for dataset in (dataset_true, dataset_pred):
        assert dataset.protected_attribute_names == ["sex"]
        sex = dataset.protected_attributes[:, 0].tolist()
        assert sex == [1.0 if v == "M" else 0.0 for v in data["sex"]]
    assert dataset_pred.labels.ravel().tolist() == hand_decisions(data)


def test_classification_datasets_leave_out_a_renamed_pair_column():
    scored, data = scored_twins(pair_column="pid")
    dataset_true, _ = to_classification_datasets(
        scored, "outcome", favorable_label="good"
    )
    assert "pid" not in dataset_true.feature_names
    assert "pair_id" not in dataset_true.feature_names
    assert "outcome" not in dataset_true.feature_names
    x = dataset_true.features[:, dataset_true.feature_names.index("x")]
    assert x.tolist() == data["x"].astype(float).tolist()


def hand_twins(extra: dict[str, list[float]] | None = None, **kwargs: Any) -> Twins:
    """Two pairs (F/M twins) of real rows, the factual twin first in pair 0 and
    last in pair 1; ``y`` is the real outcome of the factual twin."""
    frame = pd.DataFrame(
        {
            "pair_id": [0, 0, 1, 1],
            "sex": ["F", "M", "F", "M"],
            "x": [40, 40, 45, 45],
            "y": ["yes", "no", "no", "no"],
            **(extra or {}),
        }
    )
    return Twins(frame, [SEX], factual=[True, False, False, True], **kwargs)


def test_a_label_declared_as_a_proxy_is_still_the_real_outcome():
    # The label differs within pair 0, so it may be declared as a proxy; the
    # factual rows' labels are real all the same (yes for row 0, no for row 3).
    scored = score(approve, hand_twins(proxies=["y"]), features=["sex", "x"])
    dataset_true, dataset_pred = to_classification_datasets(
        scored, "y", favorable_label="yes"
    )
    assert dataset_true.labels.ravel().tolist() == [1.0, 0.0]
    # F with x 40 is refused, M with x 45 approved (45 + 20 > 50).
    assert dataset_pred.labels.ravel().tolist() == [0.0, 1.0]
    assert dataset_true.protected_attributes[:, 0].tolist() == [0.0, 1.0]
    assert dataset_true.feature_names == ["sex", "x"]  # AIF360 lists protected too


def test_twins_built_unchecked_are_not_checked_again():
    # z differs within pair 1 without being declared a proxy: invalid twins, which
    # the user built with validate=False; the adapter keeps to that.
    twins = hand_twins({"z": [7.0, 7.0, 8.0, 9.0]}, validate=False)
    scored = score(approve, twins, features=["sex", "x"])
    dataset_true, _ = to_classification_datasets(scored, "y", favorable_label="yes")
    assert dataset_true.labels.ravel().tolist() == [1.0, 0.0]
    z = dataset_true.features[:, dataset_true.feature_names.index("z")]
    assert z.tolist() == [7.0, 9.0]


# -- AIF360's group arguments -----------------------------------------------------------
def test_an_unknown_unprivileged_value_names_the_attribute():
    scored, _ = scored_twins()
    message = (
        "race: 'purple' is not a value of protected attribute 'race'; use one of "
        "['black', 'white', 'asian']."
    )
    with pytest.raises(SpecError, match=re.escape(message)):
        unprivileged_groups(scored, "race", "purple")


# -- the model's scores and the metadata --------------------------------------------------
class Lender:
    """Text classes, the favourable one first: P(approved) = (x + 30 for M) / 200."""

    classes_ = np.array(["approved", "denied"])

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        p = (frame["x"].to_numpy() + np.where(frame["sex"] == "M", 30, 0)) / 200
        return np.column_stack([p, 1 - p])

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return np.where(self.predict_proba(frame)[:, 0] > 0.3, "approved", "denied")


def hand_p(data: pd.DataFrame) -> list[float]:
    return [
        (x + (30 if s == "M" else 0)) / 200
        for x, s in zip(data["x"], data["sex"], strict=True)
    ]


def lender_scored(**kwargs: Any) -> tuple[Any, pd.DataFrame]:
    data = rows()
    twins = from_frame(data, protected=[SEX, RACE], **kwargs)
    scored = score(
        Lender(), twins, favorable_label="approved", features=["sex", "race", "x"]
    )
    return scored, data


def test_the_dataset_scores_are_the_favourable_class_probability():
    scored, _ = lender_scored(pair_column="pid")
    dataset = to_binary_label_dataset(scored)
    frame = scored.twins.frame  # every twin, in pair order
    expected = hand_p(frame)
    assert dataset.scores.ravel().tolist() == pytest.approx(expected, abs=1e-15)
    assert dataset.labels.ravel().tolist() == [float(p > 0.3) for p in expected]
    assert dataset.metadata["label_maps"] == [{1.0: "approved", 0.0: "unfavourable"}]
    about = dict(dataset.metadata["twinaudit"])
    assert isinstance(about.pop("encoding"), Encoding)
    assert about == {
        "model": "Lender",
        "pair_column": "pid",
        "n_variants": 6,
        "row": "row r is pair r // n_variants, variant r % n_variants",
    }


def test_the_predicted_dataset_scores_the_real_rows():
    scored, data = lender_scored()
    dataset_true, dataset_pred = to_classification_datasets(
        scored, "outcome", favorable_label="good"
    )
    expected = hand_p(data)
    assert dataset_pred.scores.ravel().tolist() == pytest.approx(expected, abs=1e-15)
    assert dataset_pred.labels.ravel().tolist() == [float(p > 0.3) for p in expected]
    # The true labels have no scores: AIF360 copies the labels into them.
    truth = [1.0 if v == "good" else 0.0 for v in data["outcome"]]
    assert dataset_true.scores.ravel().tolist() == truth
    for dataset in (dataset_true, dataset_pred):
        about = {
            k: v for k, v in dataset.metadata["twinaudit"].items() if k != "encoding"
        }
        assert about == {
            "model": "Lender",
            "pair_column": "pair_id",
            "n_variants": 6,
            "row": "the factual rows of the twins, in pair order",
        }


@pytest.mark.parametrize("name", ["decision", "score"])
def test_a_twin_column_named_like_the_models_output_is_refused(name):
    data = rows().assign(**{name: 1.5})
    twins = from_frame(data, protected=[SEX])
    scored = score(approve, twins, features=["sex", "x"])
    message = (
        f"The twins have a column named {name!r}, which the AIF360 dataset uses for "
        "the model's output; rename it."
    )
    with pytest.raises(DataError, match=f"^{re.escape(message)}$"):
        to_binary_label_dataset(scored)
    # Without the features, no clash.
    dataset = to_binary_label_dataset(scored, include_features=False)
    assert dataset.feature_names == ["sex"]


def test_the_encoding_records_date_columns():
    data = rows(4).assign(day=pd.to_datetime(["1970-01-03"] * 4))
    twins = from_frame(data, protected=[SEX])
    scored = score(approve, twins, features=["sex", "x"])
    for dataset in (
        to_binary_label_dataset(scored),
        *to_classification_datasets(scored, "outcome", favorable_label="good"),
    ):
        encoding = dataset.metadata["twinaudit"]["encoding"]
        assert encoding.dates == ["day"]
        day = dataset.features[:, dataset.feature_names.index("day")]
        assert day.tolist() == [2.0] * len(day)  # days since 1970-01-01


# -- Fairlearn's groups -----------------------------------------------------------------
def test_metric_frame_groups_are_the_declared_values():
    # The column holds floats; the attribute declares the ints 1, 2, 3 (privileged 2).
    data = pd.DataFrame({"grp": [2.0, 1.0, 3.0, 2.0], "x": [10, 60, 70, 80]})
    twins = from_frame(data, [ProtectedAttribute("grp", [1, 2, 3], privileged=2)])
    assert twins.frame["grp"].dtype == np.float64

    def model(frame: pd.DataFrame) -> np.ndarray:
        return (frame["x"].to_numpy() + 10 * frame["grp"].to_numpy() > 75).astype(int)

    mf = to_metric_frame(score(model, twins, features=["grp", "x"]))
    groups = mf.by_group.index.tolist()
    assert groups == [1, 2, 3]
    assert [type(g) for g in groups] == [int, int, int]
    assert mf.by_group["count"].tolist() == [4, 4, 4]
    # x + 10 * grp > 75 on x = 10, 60, 70, 80: 1 -> 70, 80; 2 and 3 -> 60, 70, 80
    assert mf.by_group["selection_rate"].tolist() == [0.5, 0.75, 0.75]


# -- AIF360's metrics on count tables ---------------------------------------------------
# Four intersectional groups of (sex, race) in AIF360 codes; group 1 is privileged.
GROUP_CODES = [
    {"sex": 0.0, "race": 2.0},
    {"sex": 1.0, "race": 1.0},
    {"sex": 0.0, "race": 0.0},
    {"sex": 1.0, "race": 0.0},
]
# cells[group, decision, label]: group 0 has no positive label (TPR undefined);
# group 2, after the privileged one, holds one row (favoured, positive), so its
# false positive rate is undefined; group 3 has no rows at all.
CELLS = np.array(
    [
        [[3, 0], [2, 0]],
        [[2, 3], [1, 4]],
        [[0, 0], [0, 1]],
        [[0, 0], [0, 0]],
    ]
)
PRIVILEGED = 1


def raw_dataset(cells: np.ndarray, which: int) -> Any:
    """The rows behind ``cells`` (one row per count, no weights), labelled with the
    decision (``which`` 1) or the true label (``which`` 2), in codes of their own
    (sex 5/6, race 7/8/9) so that nothing is shared with twinaudit's coding."""
    sex = {0.0: 5.0, 1.0: 6.0}
    race = {0.0: 7.0, 1.0: 8.0, 2.0: 9.0}
    records = [
        (sex[GROUP_CODES[g]["sex"]], race[GROUP_CODES[g]["race"]], (d, y)[which - 1])
        for g, d, y in np.ndindex(cells.shape)
        for _ in range(int(cells[g, d, y]))
    ]
    frame = pd.DataFrame(records, columns=["sex", "race", "y"], dtype=float)
    datasets = import_aif360("aif360.datasets")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return datasets.BinaryLabelDataset(
            df=frame,
            label_names=["y"],
            protected_attribute_names=["sex", "race"],
            favorable_label=1.0,
            unfavorable_label=0.0,
        )


def raw_groups(g: int) -> dict[str, list[dict[str, float]]]:
    sex = {0.0: 5.0, 1.0: 6.0}
    race = {0.0: 7.0, 1.0: 8.0, 2.0: 9.0}

    def own(codes: dict[str, float]) -> dict[str, float]:
        return {"sex": sex[codes["sex"]], "race": race[codes["race"]]}

    return {
        "unprivileged_groups": [own(GROUP_CODES[g])],
        "privileged_groups": [own(GROUP_CODES[PRIVILEGED])],
    }


def same(a: float, b: float) -> bool:
    return (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, abs=1e-12)


@pytest.mark.parametrize("labels", [False, True])
def test_group_metrics_equal_aif360_on_the_rows(labels):
    metrics = import_aif360("aif360.metrics")
    out = aif360_group_metrics(CELLS, GROUP_CODES, PRIVILEGED, labels=labels)
    # The privileged group gets rates only (with labels); group 3 has no rows.
    assert set(out) == ({0, 1, 2} if labels else {0, 2})
    pred, true = raw_dataset(CELLS, 1), raw_dataset(CELLS, 2)
    names = ["statistical_parity_difference", "disparate_impact"]
    if labels:
        names += ["equal_opportunity_difference", "average_odds_difference"]
    rates = ["true_positive_rate", "false_positive_rate", "precision", "accuracy"]
    for g in (0, 2):
        with np.errstate(divide="ignore", invalid="ignore"):
            if labels:
                theirs = metrics.ClassificationMetric(true, pred, **raw_groups(g))
            else:
                theirs = metrics.BinaryLabelDatasetMetric(pred, **raw_groups(g))
            expected = {name: float(getattr(theirs, name)()) for name in names}
            if labels:
                expected |= {
                    r: float(getattr(theirs, r)(privileged=False)) for r in rates
                }
                privileged = {
                    r: float(getattr(theirs, r)(privileged=True)) for r in rates
                }
        assert set(out[g]) == set(expected), g
        for name, value in expected.items():
            assert same(out[g][name], value), (g, name, out[g][name], value)
        if labels:
            assert set(out[PRIVILEGED]) == set(rates)
            for name, value in privileged.items():
                assert same(out[PRIVILEGED][name], value), (name, value)
    # Hand counts: selection 2/5, 5/10 and 1/1 in groups 0, 1 and 2.
    assert out[0]["disparate_impact"] == pytest.approx(0.8, abs=1e-15)
    assert out[2]["statistical_parity_difference"] == pytest.approx(0.5, abs=1e-15)
    if labels:
        # Group 0: TPR undefined, FPR 2/5; group 2: TPR 1/1, FPR undefined;
        # group 1: TPR 4/7, FPR 1/3, precision 4/5, accuracy (2 + 4)/10.
        assert np.isnan(out[0]["true_positive_rate"])
        assert out[0]["false_positive_rate"] == pytest.approx(0.4, abs=1e-15)
        assert out[2]["true_positive_rate"] == 1.0
        assert np.isnan(out[2]["false_positive_rate"])
        assert out[PRIVILEGED] == pytest.approx(
            {
                "true_positive_rate": 4 / 7,
                "false_positive_rate": 1 / 3,
                "precision": 0.8,
                "accuracy": 0.6,
            },
            abs=1e-15,
        )


def test_group_metrics_need_the_privileged_group_present():
    cells = CELLS.copy()
    cells[PRIVILEGED] = 0
    assert aif360_group_metrics(cells, GROUP_CODES, PRIVILEGED, labels=True) == {}


def test_one_group_has_nothing_to_compare():
    assert aif360_group_metrics(CELLS[1:2], GROUP_CODES[1:2], 0, labels=True) == {}


def test_undefined_metrics_are_nan_under_strict_numpy_errors():
    # The privileged group 1 favours nobody: disparate impact divides 2/3 by 0;
    # group 0 has no positive label (TPR 0/0).
    cells = np.array([[[1, 0], [2, 0]], [[2, 1], [0, 0]]])
    codes = [{"g": 0.0}, {"g": 1.0}]
    with np.errstate(all="raise"):
        out = aif360_group_metrics(cells, codes, 1, labels=True)
        theil = aif360_theil_index(np.array([0, 1, 1]), np.zeros(3), np.ones(3))
    assert out[0]["statistical_parity_difference"] == pytest.approx(2 / 3, abs=1e-15)
    assert np.isnan(out[0]["disparate_impact"])
    assert np.isnan(out[0]["true_positive_rate"])
    assert out[0]["false_positive_rate"] == pytest.approx(2 / 3, abs=1e-15)
    assert out[1]["true_positive_rate"] == 0.0
    # No row has a positive benefit (every decision unfavourable, every label
    # favourable): AIF360's Theil index is 0/0.
    assert np.isnan(theil)
    # Benefits 1 + pred - true = 1, 0, 2 (mean 1): Theil = (0 + 0 + 2 ln 2) / 3.
    value = aif360_theil_index(
        np.array([0, 1, 1]), np.array([1, 0, 1]), np.array([1, 1, 0])
    )
    assert value == pytest.approx(2 * np.log(2) / 3, abs=1e-15)


def test_label_metrics_get_integer_labels_and_decisions():
    # A metric of the user's own that needs integers (np.bincount): true positives.
    data = rows().assign(y=lambda d: (d["outcome"] == "good").astype(int))
    twins = from_frame(data, protected=[SEX, RACE])
    scored = score(approve, twins, features=["sex", "race", "x"])

    def true_positives(y_true: Any, y_pred: Any) -> int:
        pairs = 2 * np.asarray(y_true) + np.asarray(y_pred)
        return int(np.bincount(pairs, minlength=4)[3])

    mf = to_metric_frame(
        scored, metrics={"tp": true_positives}, label_column="y", attributes="sex"
    )
    good = data["y"].to_numpy() == 1
    decided = np.asarray(hand_decisions(data)) == 1.0
    expected = {
        s: int((good & decided & (data["sex"] == s).to_numpy()).sum()) for s in "FM"
    }
    assert dict(mf.by_group["tp"]) == expected
    assert sum(expected.values()) > 0
