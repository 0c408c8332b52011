"""More adapter details that a one-line change would break (found by mutmut).

The classification datasets' label and metadata, the twins they are built from
(attributes held fixed, another pair column, a label declared as a proxy, twins
built unchecked), and AIF360's arguments. Expected values are hand counts on the
rows written here, or AIF360 and Fairlearn run here on the raw rows.
"""

from __future__ import annotations

import re
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
