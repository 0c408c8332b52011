"""Adult (sex): Reweighing, ExponentiatedGradient(demographic_parity) and
ThresholdOptimizer(demographic_parity) each reduce the held-out statistical parity
difference across 5 resampled splits (one-sided Wilcoxon signed-rank test), at a
measured accuracy cost."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import wilcoxon
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from twinaudit.mitigation import (
    ExponentiatedGradient,
    Reweighing,
    ThresholdOptimizer,
)

SEEDS = range(5)
N = 1000  # training and held-out rows per seed (Adult subsampled for speed)


def logistic(data):
    text = [c for c in data.columns if not pd.api.types.is_numeric_dtype(data[c])]
    numbers = [c for c in data.columns if c not in text]
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), text), (StandardScaler(), numbers)
    )
    return make_pipeline(encode, LogisticRegression(max_iter=500))


def spd(decisions, female):
    """P(>50K predicted | Female) - P(>50K predicted | Male), by hand."""
    return decisions[female].mean() - decisions[~female].mean()


@pytest.fixture(scope="module")
def measured(shared_data):
    from twinaudit.datasets import fetch_adult

    adult = fetch_adult(data_home=shared_data)
    data = adult.data.copy()
    data["sex"] = data["sex"].astype(str)
    y = adult.target.to_numpy()
    rows = {name: [] for name in ("original", "reweighing", "eg", "threshold")}
    for seed in SEEDS:
        order = np.random.default_rng(seed).permutation(len(data))
        train, test = order[:N], order[N : 2 * N]
        X, X_test = data.iloc[train], data.iloc[test]
        female = (X_test["sex"] == "Female").to_numpy()
        models = {
            "original": logistic(data).fit(X, y[train]),
            "reweighing": Reweighing(logistic(data)),
            "eg": ExponentiatedGradient(logistic(data), max_iter=10, random_state=seed),
            "threshold": ThresholdOptimizer(logistic(data), random_state=seed),
        }
        for name, model in models.items():
            if name != "original":
                model.fit(X, y[train], sensitive_features=X[["sex"]])
            kwargs = (
                {"sensitive_features": X_test[["sex"]]}
                if getattr(model, "requires_sensitive_features", False)
                else {}
            )
            decisions = model.predict(X_test, **kwargs)
            rows[name].append((spd(decisions, female), (decisions == y[test]).mean()))
    return {name: np.asarray(values) for name, values in rows.items()}


@pytest.mark.parametrize("name", ["reweighing", "eg", "threshold"])
def test_mitigation_reduces_held_out_parity_gap_on_adult(measured, name):
    before, after = measured["original"], measured[name]
    assert (before[:, 0] < -0.1).all()  # women get >50K predicted far less often
    gap_before, gap_after = np.abs(before[:, 0]), np.abs(after[:, 0])
    assert wilcoxon(gap_before, gap_after, alternative="greater").pvalue < 0.05
    cost = before[:, 1] - after[:, 1]
    print(
        f"{name}: |SPD| {gap_before.mean():.3f} -> {gap_after.mean():.3f}; accuracy "
        f"{before[:, 1].mean():.3f} -> {after[:, 1].mean():.3f} (cost {cost.mean():.3f})"
    )
    assert -0.02 < cost.mean() < 0.06  # a cost of a few points at most
