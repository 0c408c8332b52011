"""The numbers of one benchmark cell, and the columns of the tidy table."""

from __future__ import annotations

from typing import Any

__all__ = [
    "COLUMNS",
    "FAIRNESS_METRICS",
    "KEYS",
    "PERFORMANCE_METRICS",
    "TIMING_COLUMNS",
    "TUNING_COLUMNS",
    "parity",
]

#: The columns that identify a cell.
KEYS = ("dataset", "attribute", "estimator", "strategy", "seed")

#: Performance on the test rows (ROC AUC where the model gives scores).
PERFORMANCE_METRICS = (
    "accuracy",
    "balanced_accuracy",
    "roc_auc",
    "validation_accuracy",
)

#: Fairness metrics of the registry on the ``observed`` population (the test rows
#: with their true labels; for an attribute with more than two values, the worst
#: group against the privileged one), and the flip rate on twins of the test rows.
FAIRNESS_METRICS = (
    "statistical_parity_difference",
    "disparate_impact",
    "equal_opportunity_difference",
    "average_odds_difference",
    "equalized_odds_difference",
    "flip_rate",
)

#: Wall-clock seconds; left out when two tables are compared.
TIMING_COLUMNS = ("fit_time", "predict_time", "audit_time")

#: What the configuration's ``tuning`` chose: the strategy's main parameter (None
#: when it has none or tuning is off), the chosen value (nan then), and the number
#: of models fitted and compared on the validation rows (1 when fitted once).
TUNING_COLUMNS = ("tuned_parameter", "tuned_value", "n_candidates")

COLUMNS = (
    *KEYS,
    "status",
    "error",
    "n_train",
    "n_validation",
    "n_test",
    *TUNING_COLUMNS,
    *PERFORMANCE_METRICS,
    *FAIRNESS_METRICS,
    "flip_rate_low",
    "flip_rate_high",
    "train_mean_difference",
    "warnings",
    *TIMING_COLUMNS,
)


def parity(metric: str) -> float:
    """The registry's parity point of a fairness metric (0, or 1 for ratios)."""
    from twinaudit.metrics import REGISTRY

    value: Any = REGISTRY[metric].parity
    return float(value)
