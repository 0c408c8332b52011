"""mitigate() with two sensitive attributes at once (sex and race) on Adult:
compare() has a row for every group of both attributes and of their
intersections, and before and after are measured on the same twins and the same
held-out rows (checked against hand counts and Fairlearn on the raw rows)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from twinaudit.exceptions import UndefinedMetricWarning
from twinaudit.generation import from_frame
from twinaudit.mitigation import mitigate

SEEDS = (0, 1)
N = 1000  # training and held-out rows per seed (Adult subsampled for speed)
STRATEGIES = ("reweighing", "unawareness", "augmentation")
SEX = ["Female", "Male"]
RACE = ["Amer-Indian-Eskimo", "Asian-Pac-Islander", "Black", "Other", "White"]


def _encoder():
    return make_column_transformer(
        (
            OneHotEncoder(handle_unknown="ignore"),
            make_column_selector(dtype_exclude="number"),
        ),
        (StandardScaler(), make_column_selector(dtype_include="number")),
    )


@pytest.fixture(scope="module", params=SEEDS)
def adult(request, shared_data):
    from twinaudit.datasets import fetch_adult

    seed = request.param
    data = fetch_adult(data_home=shared_data)
    order = np.random.default_rng(seed).permutation(len(data.data))
    train, test = order[:N], order[N : 2 * N]
    X, X_test = data.data.iloc[train], data.data.iloc[test]
    y = data.target.to_numpy()
    y_train, y_test = y[train], y[test]
    # Twins of the held-out rows across sex x race; their true label rides along
    # for the metrics of the observed population (the held-out rows themselves).
    twins = from_frame(
        X_test.assign(income=y_test), {"sex": "Male", "race": "White"}, seed=seed
    )
    estimator = make_pipeline(_encoder(), LogisticRegression(max_iter=500))
    # Tiny groups (a handful of Amer-Indian-Eskimo rows, none above 50K) leave
    # some label metrics undefined; the report says so with this warning.
    with pytest.warns(UndefinedMetricWarning, match="undefined on this data"):
        result = mitigate(
            estimator,
            X,
            y_train,
            twins=twins,
            sensitive_features=["sex", "race"],
            strategies=list(STRATEGIES),
            X_test=X_test,
            y_test=y_test,
            y_true="income",
            random_state=seed,
            libraries=False,
        )
    return X, y_train, X_test, y_test, twins, result


def test_compare_has_a_row_for_every_group_of_both_attributes(adult):
    *_, result = adult
    table = result.compare()
    assert result.sensitive_features == ("sex", "race")
    expected = {
        (strategy, attribute, group)
        for strategy in STRATEGIES
        for attribute, group in [
            *(("sex", g) for g in SEX),
            *(("race", g) for g in RACE),
            *(("sex & race", f"{s} & {r}") for s in SEX for r in RACE),
        ]
    }
    assert set(table.index) == expected
    assert len(table) == len(expected) == 3 * (2 + 5 + 10)


def test_before_is_the_same_audit_for_every_strategy(adult):
    *_, result = adult
    table = result.compare()
    before = table.xs("before", axis=1, level="value")
    for strategy in STRATEGIES[1:]:
        pd.testing.assert_frame_equal(
            before.xs(strategy, level="strategy"),
            before.xs(STRATEGIES[0], level="strategy"),
        )
    assert result.before.n_pairs == N
    for strategy in STRATEGIES:
        assert result[strategy].report.n_pairs == N


def measured(result, strategy):
    """The model, its compare() rows and the column to read: the original model's
    values are the "before" of every strategy's rows (the first one's here)."""
    if strategy == "before":
        return result.model, result.compare().loc[STRATEGIES[0]], "before"
    return result[strategy].model, result.compare().loc[strategy], "after"


def selection_rates(model, frame, column):
    """Share of rows of each group predicted >50K, by hand."""
    predicted = model.predict(frame)
    return pd.Series(predicted).groupby(frame[column].astype(str).to_numpy()).mean()


@pytest.mark.parametrize("strategy", ["before", *STRATEGIES])
def test_selection_rates_on_the_twins_by_hand(adult, strategy):
    X, _, _, _, twins, result = adult
    model, table, value = measured(result, strategy)
    rows = twins.frame[list(X.columns)]
    for column, groups in (("sex", SEX), ("race", RACE)):
        rates = selection_rates(model, rows, column)
        for group in groups:
            assert table.loc[(column, group), ("selection_rate", value)] == (
                pytest.approx(rates[group], abs=1e-12)
            )
    by_sex = selection_rates(model, rows, "sex")
    rates_spd = by_sex["Female"] - by_sex["Male"]
    assert table.loc[
        ("sex", "Female"), ("statistical_parity_difference", value)
    ] == pytest.approx(rates_spd, abs=1e-12)


@pytest.mark.parametrize("strategy", ["before", *STRATEGIES])
def test_observed_metrics_are_fairlearns_on_the_raw_held_out_rows(adult, strategy):
    from fairlearn.metrics import (
        MetricFrame,
        demographic_parity_difference,
        selection_rate,
    )

    _, _, X_test, y_test, _, result = adult
    model, table, value = measured(result, strategy)
    predicted = model.predict(X_test)
    for column in ("sex", "race"):
        groups = X_test[column].astype(str).to_numpy()
        by_group = MetricFrame(
            metrics=selection_rate,
            y_true=y_test,
            y_pred=predicted,
            sensitive_features=groups,
        ).by_group
        for group, rate in by_group.items():
            assert table.loc[
                (column, group), ("selection_rate (observed)", value)
            ] == pytest.approx(rate, abs=1e-12)
    gap = demographic_parity_difference(
        y_test, predicted, sensitive_features=X_test["sex"].astype(str).to_numpy()
    )
    spd = table.loc[
        ("sex", "Female"), ("statistical_parity_difference (observed)", value)
    ]
    assert abs(spd) == pytest.approx(gap, abs=1e-12)
    assert spd < 0  # women are predicted >50K less often on the held-out rows


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_accuracy_is_on_the_held_out_rows(adult, strategy):
    X, y, X_test, y_test, _, result = adult
    row = result.compare().loc[(strategy, "sex", "Female")]
    model = result[strategy].model
    assert row[("accuracy", "after")] == accuracy_score(y_test, model.predict(X_test))
    assert row[("balanced_accuracy", "after")] == balanced_accuracy_score(
        y_test, model.predict(X_test)
    )
    before = (result.model.predict(X_test) == y_test).mean()
    assert row[("accuracy", "before")] == pytest.approx(before, abs=1e-12)
    train = (result.model.predict(X) == y).mean()
    assert train != pytest.approx(before, abs=1e-9)  # not the training accuracy


def test_unawareness_removes_every_flip_of_both_attributes(adult):
    *_, result = adult
    table = result.compare().loc["unawareness"]
    flips = table[("flip_rate", "after")].dropna()
    assert len(flips) == 1 + 4 + 9  # every non-reference group
    assert (flips == 0).all()
    assert (table[("flip_rate", "before")].dropna() > 0).any()
