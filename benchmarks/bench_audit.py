"""Audit speed against the cost of the model itself, and against the tutorial's way.

Baselines, measured in the same run:

- ``predict``: the tutorial's decision tree predicting on the 2 x n twin rows (what
  any audit must at least pay);
- ``tutorial``: the tutorial's per-record loop building the twins, then AIF360's
  ``BinaryLabelDatasetMetric`` and a Fairlearn ``MetricFrame`` on the raw rows (run
  at 10^4 and 10^5 pairs only; it takes minutes beyond).

    python benchmarks/bench_audit.py            # 10^4, 10^5, 10^6 pairs
    python benchmarks/bench_audit.py --quick    # 10^4, 10^5

Target (issue 6): the audit of 10^6 generated pairs (generation included) under 1 s
on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import twinaudit as ta
from twinaudit.datasets import LOAN_FEATURES, loan_applications, loan_model


def spec() -> ta.TwinSpec:
    return ta.TwinSpec(
        fields=[ta.Identifier("ID"), ta.Integer("Income", 30_000, 120_000)],
        protected=[
            ta.ProtectedAttribute(
                "Gender",
                ["Male", "Female"],
                privileged="Male",
                model_column="Gender_Code",
                encoding={"Male": 1, "Female": 0},
            )
        ],
        seed=42,
    )


def best_of(function, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def tutorial(model, n_pairs: int) -> None:
    """The tutorial's loop, then the two libraries on the raw rows."""
    from aif360.datasets import BinaryLabelDataset
    from aif360.metrics import BinaryLabelDatasetMetric
    from fairlearn.metrics import MetricFrame, selection_rate
    from mimesis import Generic

    generic = Generic(seed=42)
    rows = []
    for i in range(n_pairs):
        income = generic.random.randint(30_000, 120_000)
        for code in (1, 0):
            rows.append({"ID": i, "Gender_Code": code, "Income": income})
    frame = pd.DataFrame(rows)
    frame["Approved"] = model.predict(frame[LOAN_FEATURES])
    data = BinaryLabelDataset(
        df=frame[["Gender_Code", "Income", "Approved"]].astype(float),
        label_names=["Approved"],
        protected_attribute_names=["Gender_Code"],
    )
    metric = BinaryLabelDatasetMetric(
        data,
        unprivileged_groups=[{"Gender_Code": 0}],
        privileged_groups=[{"Gender_Code": 1}],
    )
    metric.disparate_impact()
    MetricFrame(
        metrics=selection_rate,
        y_true=frame["Approved"],
        y_pred=frame["Approved"],
        sensitive_features=frame["Gender_Code"],
    ).difference()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    model = loan_model(loan_applications(1000, seed=42))
    ta.audit(model, spec(), n_pairs=1000)  # import AIF360/Fairlearn once
    sizes = [10**4, 10**5] if args.quick else [10**4, 10**5, 10**6]
    print(
        f"{'pairs':>9} | {'predict':>8} | {'audit':>8} | {'audit/predict':>13} | "
        f"{'tutorial':>9} | {'tutorial/audit':>14}"
    )
    for n in sizes:
        twins = ta.generate(spec(), n)
        X = twins.frame.assign(Gender_Code=twins.codes("Gender") == 0)[LOAN_FEATURES]
        X = X.astype({"Gender_Code": np.int64})
        predict = best_of(lambda X=X: model.predict(X))
        audit = best_of(lambda n=n: ta.audit(model, spec(), n_pairs=n))
        loop = best_of(lambda n=n: tutorial(model, n), 1) if n <= 10**5 else np.nan
        print(
            f"{n:>9,} | {predict:>7.3f}s | {audit:>7.3f}s | {audit / predict:>12.1f}x"
            f" | {loop:>8.2f}s | {loop / audit:>13.0f}x"
        )


if __name__ == "__main__":
    main()
