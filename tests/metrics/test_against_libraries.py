"""Every group metric of the report equals AIF360 and Fairlearn run on the raw rows.

The expected numbers never come from twinaudit's count tables: AIF360
(``ClassificationMetric``/``BinaryLabelDatasetMetric``) and Fairlearn
(``MetricFrame`` and its disparity functions) run here on the raw rows themselves,
one row per real person (the ``observed`` population: the factual rows of twins of
real rows) or one row per twin (the ``twins`` population), with protected codes
chosen by this file. Both the report's own ``value`` and its ``aif360`` and
``fairlearn`` columns are checked against them, to 1e-12.

Fixtures vary what users vary without thinking: 2-, 3- and 4-valued attributes, the
privileged value first, in the middle and last, values as str, int and bool, two
attributes at once (and their intersection), a non-default index, decisions as
int, bool and strings, and a favourable label of 0. Every fixture is checked to
have reference rates strictly between 0 and 1 and non-zero differences, so a
wrong sign, a swapped ratio or a wrong reference group cannot pass unseen.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

from twinaudit.adapters._lazy import import_aif360
from twinaudit.exceptions import UndefinedMetricWarning
from twinaudit.generation import from_frame, generate
from twinaudit.report import audit, report_from_scored
from twinaudit.scoring import score
from twinaudit.spec import Integer, ProtectedAttribute, TwinSpec

TOL = 1e-12

RATES = (
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "precision",
    "accuracy",
)
VERSUS = (
    "statistical_parity_difference",
    "disparate_impact",
    "equal_opportunity_difference",
    "average_odds_difference",
)
SPREADS = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
)
DECISION_METRICS = (
    "selection_rate",
    "statistical_parity_difference",
    "disparate_impact",
    "demographic_parity_difference",
    "demographic_parity_ratio",
)
LABEL_METRICS = (*RATES, *VERSUS, *SPREADS, "theil_index")
# What each library computes with twinaudit's definition (the report's columns).
AIF360_HAS = {
    "statistical_parity_difference",
    "disparate_impact",
    "equal_opportunity_difference",
    "average_odds_difference",
    "true_positive_rate",
    "false_positive_rate",
    "precision",
    "accuracy",
    "theil_index",
}
FAIRLEARN_HAS = {*RATES, *SPREADS}


# -- the fixtures: attributes, rows, a model ------------------------------------------
@dataclass(frozen=True)
class Attr:
    """A protected attribute of the test data and what the model adds to ``x`` for
    each of its values (distinct, so every group's rates differ)."""

    name: str
    values: tuple[Any, ...]
    privileged: Any
    bonus: tuple[int, ...]

    def protected(self) -> ProtectedAttribute:
        return ProtectedAttribute(self.name, list(self.values), self.privileged)

    @property
    def position(self) -> int:
        return self.values.index(self.privileged)


SEX_LAST = Attr("sex", ("F", "M"), "M", (0, 17))
SEX_FIRST = Attr("sex", ("M", "F"), "M", (17, 0))
RACE_MIDDLE = Attr("race", ("black", "white", "asian"), "white", (6, 23, 0))
RACE_LAST = Attr("race", ("asian", "black", "white"), "white", (0, 6, 23))
RACE_FIRST = Attr("race", ("black", "asian", "white"), "black", (19, 0, 8))
GRADE_SECOND = Attr("grade", (1, 2, 3, 4), 2, (0, 21, 9, 4))
GRADE_THIRD = Attr("grade", (1, 2, 3, 4), 3, (3, 0, 22, 11))
GRADE_LAST = Attr("grade", (1, 2, 3, 4), 4, (0, 7, 13, 26))
GRADE_FIRST = Attr("grade", (4, 3, 2, 1), 4, (25, 0, 12, 5))
MEMBER_LAST = Attr("member", (True, False), False, (0, 14))
MEMBER_FIRST = Attr("member", (True, False), True, (15, 0))

THRESHOLD = 60


def additive_model(attrs: Sequence[Attr]) -> Callable[[pd.DataFrame], np.ndarray]:
    """Favourable (1) when ``x`` plus the attributes' bonuses exceeds a threshold."""
    tables = {a.name: dict(zip(a.values, a.bonus, strict=True)) for a in attrs}

    def model(frame: pd.DataFrame) -> np.ndarray:
        total = frame["x"].to_numpy(dtype=float)
        for name, table in tables.items():
            total = total + np.array([table[v] for v in frame[name].tolist()])
        return (total > THRESHOLD).astype(int)

    return model


def real_rows(attrs: Sequence[Attr], seed: int, n: int = 240) -> pd.DataFrame:
    """Random real rows with a non-default, shuffled index; the label depends on
    ``x`` (so the model is neither always right nor always wrong)."""
    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {}
    for a in attrs:
        pick = rng.integers(0, len(a.values), n)
        pick[: len(a.values)] = np.arange(len(a.values))  # every value occurs
        values = np.empty(len(a.values), dtype=object)
        values[:] = list(a.values)
        column = pd.Series(values[pick]).infer_objects()
        columns[a.name] = column.to_numpy()
    x = rng.integers(0, 100, n)
    columns["x"] = x
    columns["label"] = (rng.random(n) < 0.2 + 0.6 * x / 99).astype(int)
    index = pd.Index(rng.permutation(n) * 7 + 1000, name="applicant")
    return pd.DataFrame(columns, index=index)


# Decision and label formats: (model output for favourable / unfavourable, the
# favorable_label to pass, AIF360 code of favourable / unfavourable).
FORMATS: dict[str, tuple[Any, Any, Any, float, float]] = {
    "int": (1, 0, None, 1.0, 0.0),
    "bool": (True, False, None, 1.0, 0.0),
    "str": ("approved", "denied", "approved", 0.0, 1.0),
    "zero": (0, 1, 0, 0.0, 1.0),
}


def formatted(decisions01: np.ndarray, fmt: str) -> np.ndarray:
    """0/1 (1 favourable) as the format's raw values."""
    fav, unfav = FORMATS[fmt][:2]
    out = np.where(decisions01 == 1, fav, unfav)
    return out.astype(bool) if fmt == "bool" else out


def in_format(model: Callable[[pd.DataFrame], np.ndarray], fmt: str) -> Callable:
    return lambda frame: formatted(model(frame), fmt)


# -- the expected values: AIF360 and Fairlearn on the raw rows -------------------------
@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """The libraries' own warnings (0/0 rates, pandas deprecations), locally."""
    from sklearn.exceptions import UndefinedMetricWarning as SklearnUndefined

    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", SklearnUndefined)
        yield


@dataclass(frozen=True)
class RawGrouping:
    """One attribute (or an intersection) as the report names it."""

    name: str
    columns: tuple[str, ...]
    groups: tuple[tuple[Any, ...], ...]
    privileged: tuple[Any, ...]

    def label(self, group: tuple[Any, ...]) -> Any:
        return group[0] if len(group) == 1 else " & ".join(str(v) for v in group)


def groupings(attrs: Sequence[Attr]) -> list[RawGrouping]:
    out = [
        RawGrouping(a.name, (a.name,), tuple((v,) for v in a.values), (a.privileged,))
        for a in attrs
    ]
    if len(attrs) > 1:
        out.append(
            RawGrouping(
                " & ".join(a.name for a in attrs),
                tuple(a.name for a in attrs),
                tuple(itertools.product(*(a.values for a in attrs))),
                tuple(a.privileged for a in attrs),
            )
        )
    return out


def code_maps(attrs: Sequence[Attr]) -> dict[str, dict[Any, float]]:
    """This file's AIF360 codes: 10, 11, ... in the order of ``values`` (unlike
    twinaudit's, which put the privileged value at 1.0)."""
    return {a.name: {v: 10.0 + i for i, v in enumerate(a.values)} for a in attrs}


def aif_dataset(
    frame: pd.DataFrame, attrs: Sequence[Attr], outcome: np.ndarray, fav: float
) -> Any:
    datasets = import_aif360("aif360.datasets")
    maps = code_maps(attrs)
    columns = {
        a.name: np.array([maps[a.name][v] for v in frame[a.name].tolist()])
        for a in attrs
    }
    columns["outcome"] = np.asarray(outcome, dtype=float)
    with quiet():
        return datasets.BinaryLabelDataset(
            df=pd.DataFrame(columns),
            label_names=["outcome"],
            protected_attribute_names=[a.name for a in attrs],
            favorable_label=fav,
            unfavorable_label=1.0 - fav,
        )


def fairlearn_sensitive(frame: pd.DataFrame, g: RawGrouping) -> Any:
    if len(g.columns) == 1:
        return frame[g.columns[0]].reset_index(drop=True)
    return frame[list(g.columns)].reset_index(drop=True)


def by_group(mf: Any) -> dict[tuple[Any, ...], dict[str, float]]:
    table = mf.by_group.to_dict("index")
    return {
        (key if isinstance(key, tuple) else (key,)): row for key, row in table.items()
    }


def expected_observed(
    frame: pd.DataFrame,
    attrs: Sequence[Attr],
    raw_true: np.ndarray,
    raw_pred: np.ndarray,
    fmt: str,
    *,
    fairlearn_rates: bool = True,
) -> dict[tuple[str, Any, Any], dict[str, float]]:
    """Every metric of the observed population, by AIF360 and Fairlearn on the raw
    rows: ``{(metric, attribute, group): {"aif360": v, "fairlearn": v}}``.

    ``fairlearn_rates=False`` leaves out Fairlearn's TPR, FPR, precision and
    accuracy by group (AIF360 gives them too; for reports without library columns,
    to keep the file fast)."""
    metrics = import_aif360("aif360.metrics")
    import fairlearn.metrics as fl
    from sklearn.metrics import accuracy_score, precision_score

    fav_raw = FORMATS[fmt][0]
    fav_code, unfav_code = FORMATS[fmt][3:]
    to_code = {True: fav_code, False: unfav_code}
    true_codes = np.array([to_code[bool(v == fav_raw)] for v in raw_true])
    pred_codes = np.array([to_code[bool(v == fav_raw)] for v in raw_pred])
    ds_true = aif_dataset(frame, attrs, true_codes, fav_code)
    ds_pred = aif_dataset(frame, attrs, pred_codes, fav_code)
    maps = code_maps(attrs)
    true01 = (np.asarray(raw_true) == fav_raw).astype(int)
    pred01 = (np.asarray(raw_pred) == fav_raw).astype(int)

    out: dict[tuple[str, Any, Any], dict[str, float]] = {}

    def put(metric: str, attribute: Any, group: Any, source: str, value: Any) -> None:
        out.setdefault((metric, attribute, group), {})[source] = float(value)

    for g in groupings(attrs):

        def codes(group: tuple[Any, ...], g: RawGrouping = g) -> dict[str, float]:
            return {c: maps[c][v] for c, v in zip(g.columns, group, strict=True)}

        reference = codes(g.privileged)
        for group in g.groups:
            if group == g.privileged:
                continue
            with quiet():
                cm = metrics.ClassificationMetric(
                    ds_true,
                    ds_pred,
                    unprivileged_groups=[codes(group)],
                    privileged_groups=[reference],
                )
                values = {
                    "statistical_parity_difference": cm.statistical_parity_difference(),
                    "disparate_impact": cm.disparate_impact(),
                    "equal_opportunity_difference": cm.equal_opportunity_difference(),
                    "average_odds_difference": cm.average_odds_difference(),
                }
                for side, member in ((False, group), (True, g.privileged)):
                    values_side = {
                        "selection_rate": cm.selection_rate(privileged=side),
                        "true_positive_rate": cm.true_positive_rate(privileged=side),
                        "false_positive_rate": cm.false_positive_rate(privileged=side),
                        "precision": cm.precision(privileged=side),
                        "accuracy": cm.accuracy(privileged=side),
                    }
                    for name, value in values_side.items():
                        put(name, g.name, g.label(member), "aif360", value)
            for name, value in values.items():
                put(name, g.name, g.label(group), "aif360", value)

        sensitive = fairlearn_sensitive(frame, g)
        with quiet():
            rates: dict[str, Callable[..., Any]] = {
                "selection_rate": functools.partial(
                    fl.selection_rate, pos_label=fav_raw
                )
            }
            if fairlearn_rates:
                rates.update(
                    true_positive_rate=functools.partial(
                        fl.true_positive_rate, pos_label=fav_raw
                    ),
                    false_positive_rate=functools.partial(
                        fl.false_positive_rate, pos_label=fav_raw
                    ),
                    precision=functools.partial(
                        precision_score, pos_label=fav_raw, zero_division=np.nan
                    ),
                    accuracy=accuracy_score,
                )
            mf = fl.MetricFrame(
                metrics=rates,
                y_true=np.asarray(raw_true),
                y_pred=np.asarray(raw_pred),
                sensitive_features=sensitive,
            )
            spreads = {
                name: getattr(fl, name)(true01, pred01, sensitive_features=sensitive)
                for name in SPREADS
            }
        for group, row in by_group(mf).items():
            for name, value in row.items():
                put(name, g.name, g.label(group), "fairlearn", value)
        for name, value in spreads.items():
            put(name, g.name, None, "fairlearn", value)

    with quiet():
        theil = metrics.ClassificationMetric(ds_true, ds_pred).theil_index()
    put("theil_index", None, None, "aif360", theil)
    return out


def expected_twins(
    frame: pd.DataFrame, attrs: Sequence[Attr], pred01: np.ndarray
) -> dict[tuple[str, Any, Any], dict[str, float]]:
    """The decision metrics of every twin row, by AIF360 and Fairlearn."""
    metrics = import_aif360("aif360.metrics")
    import fairlearn.metrics as fl

    dataset = aif_dataset(frame, attrs, pred01, 1.0)
    maps = code_maps(attrs)
    out: dict[tuple[str, Any, Any], dict[str, float]] = {}

    def put(metric: str, attribute: Any, group: Any, source: str, value: Any) -> None:
        out.setdefault((metric, attribute, group), {})[source] = float(value)

    for g in groupings(attrs):

        def codes(group: tuple[Any, ...], g: RawGrouping = g) -> dict[str, float]:
            return {c: maps[c][v] for c, v in zip(g.columns, group, strict=True)}

        for group in g.groups:
            if group == g.privileged:
                continue
            with quiet():
                bm = metrics.BinaryLabelDatasetMetric(
                    dataset,
                    unprivileged_groups=[codes(group)],
                    privileged_groups=[codes(g.privileged)],
                )
                values = {
                    "statistical_parity_difference": bm.statistical_parity_difference(),
                    "disparate_impact": bm.disparate_impact(),
                    "selection_rate": bm.base_rate(privileged=False),
                }
                reference_rate = bm.base_rate(privileged=True)
            for name, value in values.items():
                put(name, g.name, g.label(group), "aif360", value)
            put(
                "selection_rate",
                g.name,
                g.label(g.privileged),
                "aif360",
                reference_rate,
            )
        sensitive = fairlearn_sensitive(frame, g)
        with quiet():
            mf = fl.MetricFrame(
                metrics={"selection_rate": fl.selection_rate},
                y_true=pred01,
                y_pred=pred01,
                sensitive_features=sensitive,
            )
            for name in SPREADS[:2]:
                value = getattr(fl, name)(pred01, pred01, sensitive_features=sensitive)
                put(name, g.name, None, "fairlearn", value)
        for group, row in by_group(mf).items():
            rate = row["selection_rate"]
            put("selection_rate", g.name, g.label(group), "fairlearn", rate)
    return out


def check_fixture(
    expected: dict[tuple[str, Any, Any], dict[str, float]],
    attrs: Sequence[Attr],
    labels: bool,
) -> None:
    """The fixture can show a formula's mistake: reference rates strictly between 0
    and 1, and no difference that is 0 (no ratio that is 1)."""
    for g in groupings(attrs):
        reference = g.label(g.privileged)
        rates = ("selection_rate", "true_positive_rate", "false_positive_rate")
        for rate in rates if labels else rates[:1]:
            value = expected[(rate, g.name, reference)]["aif360"]
            assert 0 < value < 1, (rate, g.name, reference, value)
        versus = VERSUS if labels else VERSUS[:2]
        for group in g.groups:
            if group == g.privileged:
                continue
            for name in versus:
                value = expected[(name, g.name, g.label(group))]["aif360"]
                parity = 1.0 if name == "disparate_impact" else 0.0
                assert abs(value - parity) > 1e-9, (name, g.name, group, value)
        for name in SPREADS if labels else SPREADS[:2]:
            value = expected[(name, g.name, None)]["fairlearn"]
            parity = 1.0 if name.endswith("ratio") else 0.0
            assert abs(value - parity) > 1e-9, (name, g.name, value)


# -- comparing the report with the expected values ------------------------------------
def same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= TOL


def report_rows(report: Any, population: str, names: Sequence[str]) -> pd.DataFrame:
    table = report.metrics
    return table[(table["population"] == population) & table["metric"].isin(names)]


def key_of(row: Any) -> tuple[str, Any, Any]:
    group = row["group"] if row["metric"] in (*RATES, *VERSUS) else None
    attribute = None if row["metric"] == "theil_index" else row["attribute"]
    return (row["metric"], attribute, group)


def assert_report_matches(
    report: Any,
    expected: dict[tuple[str, Any, Any], dict[str, float]],
    population: str,
    names: Sequence[str],
    *,
    value_overrides: dict[tuple[str, Any, Any], float] | None = None,
    libraries: bool = True,
) -> None:
    """Every row of ``names`` on ``population``: the same set of (metric, attribute,
    group) as expected, and ``value``, ``aif360``, ``fairlearn`` equal to the
    libraries on the raw rows (``value`` to AIF360 where it has the metric, else to
    Fairlearn; ``value_overrides`` where twinaudit deliberately differs)."""
    rows = report_rows(report, population, names)
    keys = [key_of(row) for _, row in rows.iterrows()]
    assert len(keys) == len(set(keys)), "a metric is reported twice"
    wanted = {k for k in expected if k[0] in names}
    assert set(keys) == wanted, (
        f"missing {sorted(map(str, wanted - set(keys)))}, "
        f"unexpected {sorted(map(str, set(keys) - wanted))}"
    )
    overrides = value_overrides or {}
    with_libraries = libraries
    wrong = []
    for (_, row), key in zip(rows.iterrows(), keys, strict=True):
        libraries = expected[key]
        metric = key[0]
        if key in overrides:
            value = overrides[key]
        elif "aif360" in libraries:
            value = libraries["aif360"]
        else:
            value = libraries["fairlearn"]
        checks = [("value", value)]
        if with_libraries and metric in AIF360_HAS and "aif360" in libraries:
            checks.append(("aif360", libraries["aif360"]))
        if with_libraries and metric in FAIRLEARN_HAS and "fairlearn" in libraries:
            checks.append(("fairlearn", libraries["fairlearn"]))
        for column, want in checks:
            got = float(row[column])
            if not same(got, want):
                wrong.append(f"{key} {column}: report {got!r}, library {want!r}")
        # An undefined value is nan with the reason, and only then.
        finite = math.isfinite(float(row["value"]))
        reason = row["undefined"]
        if finite == (isinstance(reason, str) and bool(reason)):
            wrong.append(
                f"{key}: value {row['value']!r}, undefined {row['undefined']!r}"
            )
    assert not wrong, "\n".join(wrong)


def expected_sources_agree(
    expected: dict[tuple[str, Any, Any], dict[str, float]],
) -> None:
    """Where AIF360 and Fairlearn both define a metric they agree (so the choice of
    reference for ``value`` does not matter)."""
    for key, libraries in expected.items():
        if {"aif360", "fairlearn"} <= set(libraries):
            a, f = libraries["aif360"], libraries["fairlearn"]
            if math.isfinite(a) and math.isfinite(f):
                assert same(a, f), (key, a, f)


# -- the observed population: twins of real rows, with labels ----------------------
OBSERVED_CASES = [  # attributes, mapping, format, seed, library columns, route
    pytest.param(
        (SEX_LAST, RACE_MIDDLE), False, "int", 0, True, "audit", id="str2-last&str3-mid"
    ),
    pytest.param(
        (SEX_FIRST, RACE_FIRST),
        True,
        "bool",
        1,
        False,
        "audit",
        id="mapping-first-bool",
    ),
    pytest.param(
        (MEMBER_LAST, GRADE_SECOND),
        False,
        "str",
        2,
        True,
        "audit",
        id="bool2-last&int4-second-str",
    ),
    pytest.param(
        (GRADE_LAST,), False, "zero", 3, True, "audit", id="int4-last-favourable0"
    ),
    pytest.param(
        (RACE_LAST,), False, "int", 4, False, "scored", id="str3-last-from-scored"
    ),
    pytest.param(
        (GRADE_FIRST,), True, "int", 5, False, "audit", id="mapping-int4-first"
    ),
]


def observed_audit(
    attrs: Sequence[Attr],
    mapping: bool,
    fmt: str,
    seed: int,
    *,
    route: str = "audit",
    **kwargs: Any,
) -> tuple[Any, pd.DataFrame, np.ndarray]:
    """Audit twins of random real rows; also the raw rows and the model's raw
    decisions on them."""
    rows = real_rows(attrs, seed)
    rows["label"] = formatted(rows["label"].to_numpy(), fmt)
    protected: Any = (
        {a.name: a.privileged for a in attrs}
        if mapping
        else [a.protected() for a in attrs]
    )
    twins = from_frame(rows, protected=protected)
    model = in_format(additive_model(attrs), fmt)
    features = [*(a.name for a in attrs), "x"]
    favorable = FORMATS[fmt][2]
    options = {"n_boot": 0, **kwargs}
    if route == "audit":
        report = audit(
            model,
            twins,
            y_true="label",
            favorable_label=favorable,
            features=features,
            **options,
        )
    else:
        scored = score(model, twins, favorable_label=favorable, features=features)
        report = report_from_scored(scored, y_true="label", **options)
    return report, rows, model(rows[features])


@pytest.mark.parametrize(
    ("attrs", "mapping", "fmt", "seed", "libraries", "route"), OBSERVED_CASES
)
def test_observed_metrics_equal_the_libraries_on_the_raw_rows(
    attrs, mapping, fmt, seed, libraries, route
):
    report, rows, raw_pred = observed_audit(
        attrs, mapping, fmt, seed, route=route, libraries=libraries
    )
    expected = expected_observed(
        rows,
        attrs,
        rows["label"].to_numpy(),
        raw_pred,
        fmt,
        fairlearn_rates=libraries,
    )
    check_fixture(expected, attrs, labels=True)
    expected_sources_agree(expected)
    assert report.observed_rows == len(rows)
    assert_report_matches(
        report, expected, "observed", LABEL_METRICS, libraries=libraries
    )


def test_observed_rows_are_the_real_rows_not_the_twins():
    """The observed population is the factual rows: its counts by group are the
    raw rows' counts, and the twins' (balanced) counts are different."""
    attrs = (SEX_LAST, RACE_MIDDLE)
    report, rows, _ = observed_audit(attrs, False, "int", 0, libraries=False)
    groups = report.groups
    observed = groups[(groups["population"] == "observed")]
    for a in attrs:
        counts = rows[a.name].value_counts()
        mine = observed[observed["attribute"] == a.name].set_index("group")["n"]
        assert {k: int(v) for k, v in mine.items()} == {
            k: int(v) for k, v in counts.items()
        }
    twins = groups[(groups["population"] == "twins") & (groups["attribute"] == "sex")]
    assert twins["n"].tolist() == [3 * len(rows), 3 * len(rows)]


def test_labels_as_an_array_per_pair_equal_the_label_column():
    attrs = (MEMBER_LAST, GRADE_SECOND)
    by_column, rows, _ = observed_audit(attrs, False, "int", 6, libraries=False)
    twins = from_frame(rows, protected=[a.protected() for a in attrs])
    by_array = audit(
        additive_model(attrs),
        twins,
        y_true=rows["label"].to_numpy(),
        features=["member", "grade", "x"],
        n_boot=0,
        libraries=False,
    )
    a = report_rows(by_column, "observed", LABEL_METRICS)
    b = report_rows(by_array, "observed", LABEL_METRICS)
    assert len(a) == len(b) > 0
    np.testing.assert_allclose(a["value"], b["value"], rtol=0, atol=TOL)


def test_a_group_without_positives_is_undefined_with_the_reason():
    """No 'asian' row has a favourable label: Fairlearn says TPR 0, AIF360 nan;
    twinaudit reports nan with the reason, for the rate, the differences built on
    it and the equalized-odds spreads, and warns."""
    attrs = (RACE_MIDDLE,)
    rows = real_rows(attrs, 8)
    rows.loc[rows["race"] == "asian", "label"] = 0
    twins = from_frame(rows, protected=[RACE_MIDDLE.protected()])
    model = additive_model(attrs)
    with pytest.warns(UndefinedMetricWarning, match="undefined on this data"):
        report = audit(model, twins, y_true="label", features=["race", "x"], n_boot=0)
    expected = expected_observed(
        rows, attrs, rows["label"].to_numpy(), model(rows), "int"
    )
    key = ("true_positive_rate", "race", "asian")
    assert expected[key]["fairlearn"] == 0.0  # Fairlearn's convention
    assert math.isnan(expected[key]["aif360"])  # AIF360's
    for name in ("equal_opportunity_difference", "average_odds_difference"):
        assert math.isnan(expected[(name, "race", "asian")]["aif360"])
    overrides = {
        (name, "race", None): math.nan
        for name in ("equalized_odds_difference", "equalized_odds_ratio")
    }
    assert math.isfinite(expected[(SPREADS[2], "race", None)]["fairlearn"])
    assert_report_matches(
        report, expected, "observed", LABEL_METRICS, value_overrides=overrides
    )
    table = report.metrics.set_index(["metric", "group"], drop=False)
    tpr = table.loc[("true_positive_rate", "asian")]
    assert tpr["undefined"] == (
        "true positive rate of race='asian' on the observed population is "
        "undefined: the group has no favourable labels."
    )
    eod = table[table["metric"] == "equalized_odds_difference"].iloc[0]
    assert eod["undefined"] == (
        "equalized odds difference of race on the observed population is "
        "undefined: a group has no favourable or no unfavourable labels."
    )
    # Reported as null with its reason in JSON, and rendered with the reason.
    record = next(
        r
        for r in report.to_dict()["metrics"]
        if r["metric"] == "true_positive_rate"
        and r["population"] == "observed"
        and r["group"] == "asian"
    )
    assert record["value"] is None and record["undefined"] == tpr["undefined"]
    assert "the group has no favourable labels" in report.to_markdown()
    # The other groups have positives: still defined.
    for group in ("black", "white"):
        value = report.metric(
            "true_positive_rate", attribute="race", group=group, population="observed"
        )
        assert 0 < value < 1


def test_an_empty_intersection_is_undefined_and_left_out_of_the_spreads():
    """No real row is 'F & asian': its rates and differences are nan with a true
    reason, and the spreads are over the groups that have rows, as Fairlearn's."""
    attrs = (SEX_LAST, RACE_MIDDLE)
    rows = real_rows(attrs, 9)
    rows = rows[~((rows["sex"] == "F") & (rows["race"] == "asian"))]
    twins = from_frame(rows, protected=[a.protected() for a in attrs])
    model = additive_model(attrs)
    with pytest.warns(UndefinedMetricWarning):
        report = audit(
            model,
            twins,
            y_true="label",
            features=["sex", "race", "x"],
            n_boot=0,
            libraries=False,
        )
    expected = expected_observed(
        rows, attrs, rows["label"].to_numpy(), model(rows), "int", fairlearn_rates=False
    )
    empty = "F & asian"
    # AIF360 gives 0.0 for an empty group's precision and accuracy; 0/0 is nan.
    overrides = {
        (name, "sex & race", empty): math.nan for name in ("precision", "accuracy")
    }
    assert_report_matches(
        report,
        expected,
        "observed",
        LABEL_METRICS,
        value_overrides=overrides,
        libraries=False,
    )
    table = report.metrics
    rows_empty = table[(table["population"] == "observed") & (table["group"] == empty)]
    assert rows_empty["value"].isna().all()
    for metric in (
        "selection_rate",
        "statistical_parity_difference",
        "disparate_impact",
    ):
        reason = rows_empty[rows_empty["metric"] == metric]["undefined"].iloc[0]
        assert "empty" in reason, (metric, reason)
        # The privileged group 'M & white' is favoured: do not say otherwise.
        assert "privileged group is never favoured" not in reason, (metric, reason)


def test_missing_fields_of_a_metric_are_none_not_nan():
    """The plan's contract: ``group``/``reference`` None for attribute and overall
    metrics, ``attribute`` None for overall ones, ``undefined`` None or the reason.
    A ``nan`` there is truthy (``if value.undefined:`` would say "undefined") and
    shows as ``sex=nan`` in the repr."""
    attrs = (SEX_LAST, RACE_MIDDLE)
    rows = real_rows(attrs, 8)
    rows.loc[rows["race"] == "asian", "label"] = 0  # some metrics undefined
    twins = from_frame(rows, protected=[a.protected() for a in attrs])
    with pytest.warns(UndefinedMetricWarning):
        report = audit(
            additive_model(attrs),
            twins,
            y_true="label",
            features=["sex", "race", "x"],
            n_boot=0,
            libraries=False,
        )
    defined = report.metric(
        "true_positive_rate", attribute="sex", group="F", population="observed"
    )
    assert defined.undefined is None
    spread = report.metric("demographic_parity_difference", attribute="sex")
    assert spread.group is None and spread.reference is None
    assert report.metric("theil_index").attribute is None
    table = report.metrics
    spreads = table[table["metric"] == "demographic_parity_difference"]
    assert all(g is None for g in spreads["group"])
    finite = table[np.isfinite(table["value"].to_numpy(dtype=float))]
    assert all(u is None for u in finite["undefined"])


def test_intervals_exist_with_the_default_bootstrap():
    attrs = (SEX_LAST, RACE_MIDDLE)
    report, _, _ = observed_audit(attrs, False, "int", 0, libraries=False, n_boot=1000)
    table = report.metrics
    grouped = table[table["metric"].isin([*RATES, *VERSUS, *SPREADS])]
    assert set(grouped["population"]) == {"twins", "observed"}
    low, high, value = (
        grouped[c].to_numpy(dtype=float) for c in ("low", "high", "value")
    )
    assert np.isfinite(low).all() and np.isfinite(high).all()
    assert (low <= value + TOL).all() and (value <= high + TOL).all()
    assert (low < high).all()
    theil = table[table["metric"] == "theil_index"]
    assert theil[["low", "high"]].isna().all(axis=None)


def test_intervals_follow_the_confidence():
    """A lower confidence gives a narrower interval inside the wider one, for every
    group metric with an interval (a hard-coded level would give equal ones)."""
    attrs = (SEX_LAST, RACE_MIDDLE)
    wide, _, _ = observed_audit(attrs, False, "int", 0, libraries=False, n_boot=400)
    narrow, _, _ = observed_audit(
        attrs, False, "int", 0, libraries=False, n_boot=400, confidence=0.8
    )
    names = [*RATES, *VERSUS, *SPREADS]
    a = wide.metrics[wide.metrics["metric"].isin(names)]
    b = narrow.metrics[narrow.metrics["metric"].isin(names)]
    assert len(a) == len(b) > 0
    np.testing.assert_array_equal(a["value"], b["value"])
    assert (b["low"].to_numpy() >= a["low"].to_numpy()).all()
    assert (b["high"].to_numpy() <= a["high"].to_numpy()).all()
    width_a = a["high"].to_numpy() - a["low"].to_numpy()
    width_b = b["high"].to_numpy() - b["low"].to_numpy()
    assert (width_b < width_a).all()
    assert wide.confidence == 0.95 and narrow.confidence == 0.8


# -- the twins population: generated twins, decisions only ---------------------------
TWIN_CASES = [
    pytest.param((SEX_LAST, RACE_FIRST), 0, id="str2-last&str3-first"),
    pytest.param((MEMBER_FIRST, GRADE_THIRD), 1, id="bool2-first&int4-third"),
    pytest.param((GRADE_LAST,), 2, id="int4-last"),
    pytest.param((RACE_MIDDLE,), 3, id="str3-middle"),
]


@pytest.mark.parametrize(("attrs", "seed"), TWIN_CASES)
def test_twin_metrics_equal_the_libraries_on_every_twin_row(attrs, seed):
    spec = TwinSpec(
        protected=[a.protected() for a in attrs],
        fields=[Integer("x", 0, 99)],
        seed=seed,
    )
    twins = generate(spec, 150)
    model = additive_model(attrs)
    report = audit(model, twins, n_boot=0)
    frame = twins.frame
    expected = expected_twins(frame, attrs, model(frame))
    check_fixture(expected, attrs, labels=False)
    expected_sources_agree(expected)
    assert_report_matches(report, expected, "twins", DECISION_METRICS)
    assert "observed" not in set(report.metrics["population"])


# -- Fairlearn's user-guide example ---------------------------------------------------
# Fairlearn's user guide ("Performing a Fairness Assessment" and "Common fairness
# metrics"): 18 samples, groups a, b, c, and its published numbers.
GUIDE_Y_TRUE = [0, 1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1]
GUIDE_Y_PRED = [0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0]
GUIDE_SF = list("bbabbcccaacabccbcc")
PUBLISHED_BY_GROUP = {  # tpr, fpr, selection rate, count
    "a": (0.5, 1.0, 0.75, 4),
    "b": (0.6, 0.0, 0.5, 6),
    "c": (0.4, 2 / 3, 0.5, 8),
}
PUBLISHED_SPREADS = {
    "demographic_parity_difference": 0.25,
    "demographic_parity_ratio": 2 / 3,
    "equalized_odds_difference": 1.0,
    "equalized_odds_ratio": 0.0,
}


def guide_model(frame: pd.DataFrame) -> np.ndarray:
    """The example's y_pred for each real row (by its id); a counterfactual twin
    gets the opposite decision, so the model reads the group."""
    i = frame["id"].to_numpy()
    pred = np.asarray(GUIDE_Y_PRED)[i]
    own = np.asarray(GUIDE_SF, dtype=object)[i] == frame["group"].to_numpy()
    return np.where(own, pred, 1 - pred)


def test_fairlearn_user_guide_example_through_the_report():
    rows = pd.DataFrame(
        {"id": range(18), "group": GUIDE_SF, "label": GUIDE_Y_TRUE},
        index=pd.RangeIndex(100, 118),
    )
    twins = from_frame(
        rows, protected=[ProtectedAttribute("group", ["b", "a", "c"], "a")]
    )
    report = audit(
        guide_model, twins, y_true="label", features=["id", "group"], n_boot=0
    )

    def get(metric, group=None, source="twinaudit"):
        return float(
            report.metric(
                metric,
                attribute="group",
                group=group,
                population="observed",
                source=source,
            )
        )

    for group, (tpr, fpr, sel, count) in PUBLISHED_BY_GROUP.items():
        for source in ("twinaudit", "fairlearn"):
            assert get("true_positive_rate", group, source) == pytest.approx(
                tpr, abs=TOL
            )
            assert get("false_positive_rate", group, source) == pytest.approx(
                fpr, abs=TOL
            )
            assert get("selection_rate", group, source) == pytest.approx(sel, abs=TOL)
        n = report.groups[
            (report.groups["population"] == "observed")
            & (report.groups["group"] == group)
        ]["n"]
        assert n.tolist() == [count]
    for metric, published in PUBLISHED_SPREADS.items():
        for source in ("twinaudit", "fairlearn"):
            assert get(metric, source=source) == pytest.approx(published, abs=TOL)
    # Differences against the privileged group "a", from the published rates.
    by_hand = {
        "statistical_parity_difference": {"b": 0.5 - 0.75, "c": 0.5 - 0.75},
        "disparate_impact": {"b": 0.5 / 0.75, "c": 0.5 / 0.75},
        "equal_opportunity_difference": {"b": 0.6 - 0.5, "c": 0.4 - 0.5},
        "average_odds_difference": {
            "b": ((0.0 - 1.0) + (0.6 - 0.5)) / 2,
            "c": ((2 / 3 - 1.0) + (0.4 - 0.5)) / 2,
        },
    }
    for metric, values in by_hand.items():
        for group, value in values.items():
            for source in ("twinaudit", "aif360"):
                assert get(metric, group, source) == pytest.approx(value, abs=TOL)
