"""The library adapters with and without true labels.

``to_metric_frame`` without labels computes decision metrics only (a twin's
``y_true`` would be its own decision); with ``label_column=`` it holds the real
rows only. ``to_classification_datasets`` labels the real rows with their own
outcome, in their own order, and refuses generated twins. Expected values come
from Fairlearn and AIF360 run here on the raw rows, or from Fairlearn's user guide.
"""

from __future__ import annotations

import contextlib
import functools
import re
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import fairlearn.metrics as fl
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, recall_score

from twinaudit.adapters import (
    privileged_groups,
    to_classification_datasets,
    to_metric_frame,
    unprivileged_groups,
)
from twinaudit.adapters._lazy import import_aif360
from twinaudit.exceptions import DataError
from twinaudit.generation import from_frame, generate
from twinaudit.scoring import score
from twinaudit.spec import Integer, ProtectedAttribute, TwinSpec

TOL = 1e-12

SEX = ProtectedAttribute("sex", ["F", "M"], privileged="M")  # privileged last
RACE = ProtectedAttribute("race", ["black", "white", "asian"], privileged="white")
BONUS = {"sex": {"F": 0, "M": 17}, "race": {"black": 6, "white": 23, "asian": 0}}

# Decisions and labels: favourable / unfavourable value, favorable_label to pass.
FORMATS = {
    "int": (1, 0, None),
    "str": ("approved", "denied", "approved"),
    "zero": (0, 1, 0),
}


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", FutureWarning)
        yield


def make_model(fmt: str = "int") -> Any:
    """Favourable when x plus the sex and race bonuses exceeds 60."""
    fav, unfav, _ = FORMATS[fmt]

    def model(frame: pd.DataFrame) -> np.ndarray:
        total = frame["x"].to_numpy(dtype=float)
        for name, table in BONUS.items():
            total = total + np.array([table[v] for v in frame[name].tolist()])
        return np.where(total > 60, fav, unfav)

    return model


def real_rows(seed: int, fmt: str = "int", n: int = 200) -> pd.DataFrame:
    """Random rows with a shuffled non-default index; labels in the format."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 100, n)
    positive = rng.random(n) < 0.2 + 0.6 * x / 99
    fav, unfav, _ = FORMATS[fmt]
    rows = pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], n),
            "race": rng.choice(["black", "white", "asian"], n),
            "x": x,
            "label": np.where(positive, fav, unfav),
        },
        index=pd.Index(rng.permutation(n) * 3 + 500, name="applicant"),
    )
    return rows


def scored_rows(
    seed: int, fmt: str = "int", attrs: Sequence[ProtectedAttribute] = (SEX, RACE)
) -> tuple[Any, pd.DataFrame]:
    rows = real_rows(seed, fmt)
    twins = from_frame(rows, protected=list(attrs))
    scored = score(
        make_model(fmt),
        twins,
        favorable_label=FORMATS[fmt][2],
        features=["sex", "race", "x"],
    )
    return scored, rows


def generated_scored() -> Any:
    spec = TwinSpec(
        protected=[SEX, RACE],
        fields=[Integer("x", 0, 99), Integer("label", 0, 1)],
        seed=3,
    )
    twins = generate(spec, 50)
    return score(make_model(), twins, features=["sex", "race", "x"])


def by_group(mf: Any) -> dict[Any, dict[str, float]]:
    """``{group: {metric: value}}`` with tuple keys for intersections."""
    return {key: dict(row) for key, row in mf.by_group.to_dict("index").items()}


def sensitive(frame: pd.DataFrame, names: Sequence[str]) -> Any:
    if len(names) == 1:
        return frame[names[0]].reset_index(drop=True)
    return frame[list(names)].reset_index(drop=True)


# -- to_metric_frame ------------------------------------------------------------------
LABEL_METRIC_MESSAGE = (
    "Metric {name!r} may need true labels, and twins carry none: only "
    "selection_rate, count and mean_prediction are computed on twins without labels "
    "(a twin's y_true would be its own decision, giving TPR 1.0 and accuracy 1.0 for "
    "every group). Pass label_column=... with twins of real rows (from_frame) for "
    "label metrics."
)


@pytest.mark.parametrize(
    ("metrics", "name"),
    [
        ({"selection_rate": fl.selection_rate, "tpr": fl.true_positive_rate}, "tpr"),
        (fl.false_positive_rate, "metric"),
        ({"accuracy": accuracy_score}, "accuracy"),
    ],
)
def test_metric_frame_without_labels_refuses_label_metrics(metrics, name):
    scored, _ = scored_rows(0)
    with pytest.raises(
        DataError, match=re.escape(LABEL_METRIC_MESSAGE.format(name=name))
    ):
        to_metric_frame(scored, metrics=metrics)


def test_metric_frame_without_labels_holds_every_twin():
    """Decision metrics only, on every twin: the counts are the twins' counts and
    the selection rates Fairlearn's on the raw twin rows."""
    scored, rows = scored_rows(1)
    mf = to_metric_frame(scored, attributes=["race"])
    assert sorted(mf.by_group.columns) == ["count", "selection_rate"]
    frame = scored.twins.frame
    decisions = make_model()(frame)
    counts = frame["race"].value_counts()
    got = by_group(mf)
    assert {g: int(v["count"]) for g, v in got.items()} == {
        g: int(n) for g, n in counts.items()
    }
    assert sum(int(v["count"]) for v in got.values()) == 6 * len(rows)
    raw = fl.MetricFrame(
        metrics=fl.selection_rate,
        y_true=decisions,
        y_pred=decisions,
        sensitive_features=frame["race"],
    ).by_group
    for group, rate in raw.items():
        assert 0 < rate < 1
        assert got[group]["selection_rate"] == pytest.approx(rate, abs=TOL)


@pytest.mark.parametrize(
    ("attributes", "fmt"),
    [
        (["sex"], "int"),
        (["race"], "str"),
        (["sex", "race"], "zero"),
    ],
    ids=["sex-privileged-last", "race-privileged-middle-str", "intersection-fav0"],
)
def test_metric_frame_with_labels_holds_only_the_real_rows(attributes, fmt):
    scored, rows = scored_rows(2, fmt)
    fav = scored.favorable_label
    mf = to_metric_frame(scored, attributes=attributes, label_column="label")
    got = by_group(mf)
    # Counts: the real rows, not the twins (6 per real row).
    assert sum(int(v["count"]) for v in got.values()) == len(rows)
    counts = rows.groupby(attributes).size()
    for group, n in counts.items():
        assert int(got[group]["count"]) == int(n)
    # Label metrics: Fairlearn on the raw rows, labels as they are in the data.
    y_true = rows["label"].to_numpy()
    y_pred = make_model(fmt)(rows)
    with quiet():
        raw = fl.MetricFrame(
            metrics={
                "selection_rate": functools.partial(fl.selection_rate, pos_label=fav),
                "true_positive_rate": functools.partial(
                    fl.true_positive_rate, pos_label=fav
                ),
                "false_positive_rate": functools.partial(
                    fl.false_positive_rate, pos_label=fav
                ),
                "accuracy": accuracy_score,
            },
            y_true=y_true,
            y_pred=y_pred,
            sensitive_features=sensitive(rows, attributes),
        )
    for group, values in by_group(raw).items():
        for metric, value in values.items():
            if metric != "accuracy":
                assert 0 < value < 1, (group, metric, value)  # a visible fixture
            assert got[group][metric] == pytest.approx(value, abs=TOL), (group, metric)


def test_metric_frame_with_labels_refuses_generated_twins():
    scored = generated_scored()
    message = (
        "Label metrics need real rows: these twins were generated, so their 'label' "
        "column is not a true outcome. Build the twins from your labelled data with "
        "from_frame(...), or leave out label_column= for decision metrics."
    )
    with pytest.raises(DataError, match=re.escape(message)):
        to_metric_frame(scored, label_column="label")


# -- to_classification_datasets --------------------------------------------------------
@pytest.mark.parametrize("fmt", ["int", "str", "zero"])
def test_classification_datasets_hold_the_real_labels_in_row_order(fmt):
    scored, rows = scored_rows(3, fmt)
    fav = scored.favorable_label
    dataset_true, dataset_pred = to_classification_datasets(scored, "label")
    raw_true = (rows["label"].to_numpy() == fav).astype(float)
    raw_pred = (make_model(fmt)(rows) == fav).astype(float)
    # A reversed, shuffled or flipped label column would differ from these.
    assert (raw_true != raw_true[::-1]).any() and 0 < raw_true.mean() < 1
    assert dataset_true.favorable_label == dataset_pred.favorable_label == 1.0
    np.testing.assert_array_equal(dataset_true.labels.ravel(), raw_true)
    np.testing.assert_array_equal(dataset_pred.labels.ravel(), raw_pred)
    assert len(dataset_true.labels) == len(rows)
    maps = dataset_true.metadata["protected_attribute_maps"]
    for j, name in enumerate(dataset_true.protected_attribute_names):
        codes = dataset_true.protected_attributes[:, j]
        decoded = [maps[j][float(c)] for c in codes]
        assert decoded == rows[name].tolist()
        np.testing.assert_array_equal(dataset_pred.protected_attributes[:, j], codes)
    # The label is no feature; x is, in row order.
    assert "label" not in dataset_true.feature_names
    x = dataset_true.features[:, dataset_true.feature_names.index("x")]
    np.testing.assert_array_equal(x, rows["x"].to_numpy(dtype=float))


@pytest.mark.parametrize("value", ["black", "asian"])
def test_classification_datasets_give_the_metrics_of_the_raw_rows(value):
    """ClassificationMetric on the adapter's datasets equals ClassificationMetric
    on datasets built here from the raw rows, with codes of this file's own."""
    metrics = import_aif360("aif360.metrics")
    datasets = import_aif360("aif360.datasets")
    scored, rows = scored_rows(4)
    dataset_true, dataset_pred = to_classification_datasets(
        scored, "label", attributes=["race"]
    )
    codes = {"black": 5.0, "white": 6.0, "asian": 7.0}

    def raw(outcome: np.ndarray) -> Any:
        frame = pd.DataFrame(
            {
                "race": [codes[v] for v in rows["race"]],
                "outcome": outcome.astype(float),
            }
        )
        with quiet():
            return datasets.BinaryLabelDataset(
                df=frame,
                label_names=["outcome"],
                protected_attribute_names=["race"],
                favorable_label=1.0,
                unfavorable_label=0.0,
            )

    with quiet():
        ours = metrics.ClassificationMetric(
            dataset_true,
            dataset_pred,
            unprivileged_groups=unprivileged_groups(scored, "race", value),
            privileged_groups=privileged_groups(scored, "race"),
        )
        theirs = metrics.ClassificationMetric(
            raw(rows["label"].to_numpy()),
            raw(make_model()(rows)),
            unprivileged_groups=[{"race": codes[value]}],
            privileged_groups=[{"race": codes["white"]}],
        )
    for name in (
        "statistical_parity_difference",
        "disparate_impact",
        "equal_opportunity_difference",
        "average_odds_difference",
        "theil_index",
    ):
        a, b = getattr(ours, name)(), getattr(theirs, name)()
        assert a == pytest.approx(b, abs=TOL), name
        if name != "disparate_impact":
            assert abs(b) > 1e-9, name  # a visible difference
    for privileged in (False, True):
        for name in ("true_positive_rate", "false_positive_rate", "precision"):
            a = getattr(ours, name)(privileged=privileged)
            b = getattr(theirs, name)(privileged=privileged)
            assert 0 < b < 1, (name, privileged)
            assert a == pytest.approx(b, abs=TOL), (name, privileged)


def test_classification_datasets_refuse_generated_twins():
    scored = generated_scored()
    message = (
        "Classification metrics need real rows: these twins were generated, so their "
        "'label' column is not a true outcome. Build the twins from your labelled "
        "data with from_frame(...)."
    )
    with pytest.raises(DataError, match=re.escape(message)):
        to_classification_datasets(scored, "label")


# -- Fairlearn's user-guide example through the adapters -------------------------------
# "Performing a Fairness Assessment" in Fairlearn's user guide: 18 samples, groups
# a, b, c, and its published MetricFrame.
GUIDE_Y_TRUE = [0, 1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1]
GUIDE_Y_PRED = [0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0]
GUIDE_SF = list("bbabbcccaacabccbcc")


def guide_scored() -> Any:
    rows = pd.DataFrame(
        {"id": range(18), "group": GUIDE_SF, "label": GUIDE_Y_TRUE},
        index=pd.RangeIndex(40, 58),
    )
    twins = from_frame(
        rows, protected=[ProtectedAttribute("group", ["c", "b", "a"], "a")]
    )

    def model(frame: pd.DataFrame) -> np.ndarray:
        # The example's y_pred on each real row; the opposite on its twins.
        i = frame["id"].to_numpy()
        pred = np.asarray(GUIDE_Y_PRED)[i]
        own = np.asarray(GUIDE_SF, dtype=object)[i] == frame["group"].to_numpy()
        return np.where(own, pred, 1 - pred)

    return score(model, twins, features=["id", "group"])


def test_fairlearn_user_guide_metric_frame_through_the_adapter():
    mf = to_metric_frame(
        guide_scored(),
        label_column="label",
        metrics={
            "tpr": recall_score,
            "fpr": fl.false_positive_rate,
            "sel": fl.selection_rate,
            "count": fl.count,
        },
    )
    published = {
        "a": {"tpr": 0.5, "fpr": 1.0, "sel": 0.75, "count": 4},
        "b": {"tpr": 0.6, "fpr": 0.0, "sel": 0.5, "count": 6},
        "c": {"tpr": 0.4, "fpr": 2 / 3, "sel": 0.5, "count": 8},
    }
    got = by_group(mf)
    for group, values in published.items():
        for metric, value in values.items():
            assert got[group][metric] == pytest.approx(value, abs=TOL), (group, metric)
    overall = mf.overall
    assert overall["tpr"] == pytest.approx(0.5, abs=TOL)
    assert overall["fpr"] == pytest.approx(2 / 3, abs=TOL)
    assert overall["sel"] == pytest.approx(10 / 18, abs=TOL)
    assert overall["count"] == 18
    difference, ratio = mf.difference(), mf.ratio()
    for metric, value in {"tpr": 0.2, "fpr": 1.0, "sel": 0.25}.items():
        assert difference[metric] == pytest.approx(value, abs=TOL), metric
    for metric, value in {"tpr": 2 / 3, "fpr": 0.0, "sel": 2 / 3}.items():
        assert ratio[metric] == pytest.approx(value, abs=TOL), metric


def test_fairlearn_user_guide_example_through_the_aif360_adapter():
    metrics = import_aif360("aif360.metrics")
    scored = guide_scored()
    dataset_true, dataset_pred = to_classification_datasets(scored, "label")
    published = {"a": (0.5, 1.0, 0.75), "b": (0.6, 0.0, 0.5), "c": (0.4, 2 / 3, 0.5)}
    tpr_a, fpr_a, sel_a = published["a"]
    for group in ("b", "c"):
        tpr, fpr, sel = published[group]
        with quiet():
            cm = metrics.ClassificationMetric(
                dataset_true,
                dataset_pred,
                unprivileged_groups=unprivileged_groups(scored, "group", group),
                privileged_groups=privileged_groups(scored, "group"),
            )
        assert cm.true_positive_rate(privileged=False) == pytest.approx(tpr, abs=TOL)
        assert cm.false_positive_rate(privileged=False) == pytest.approx(fpr, abs=TOL)
        assert cm.selection_rate(privileged=False) == pytest.approx(sel, abs=TOL)
        assert cm.true_positive_rate(privileged=True) == pytest.approx(tpr_a, abs=TOL)
        assert cm.false_positive_rate(privileged=True) == pytest.approx(fpr_a, abs=TOL)
        assert cm.statistical_parity_difference() == pytest.approx(sel - sel_a, abs=TOL)
        assert cm.equal_opportunity_difference() == pytest.approx(tpr - tpr_a, abs=TOL)
