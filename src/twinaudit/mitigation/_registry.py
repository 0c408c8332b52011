"""The strategy registry: ``STRATEGIES[name](estimator, **params)``.

``mitigate(strategies=[...])``, ``twinaudit mitigate --strategy NAME`` and the
benchmark build strategies from it; every entry is a scikit-learn meta-estimator
with ``fit(X, y, *, sensitive_features=...)`` and
``predict(X, *, sensitive_features=None)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from twinaudit.exceptions import MitigationError, did_you_mean
from twinaudit.mitigation._aif360 import (
    LFR,
    CalibratedEqOddsPostprocessing,
    EqOddsPostprocessing,
    RejectOptionClassification,
)
from twinaudit.mitigation._base import FairnessStrategy
from twinaudit.mitigation._fairlearn import (
    ExponentiatedGradient,
    GridSearch,
    ThresholdOptimizer,
)
from twinaudit.mitigation._preprocessing import (
    CorrelationRemover,
    CounterfactualAugmentation,
    Reweighing,
    Unawareness,
)

__all__ = ["DESCRIPTIONS", "STRATEGIES", "make_strategy"]

_ENTRIES: tuple[tuple[type[FairnessStrategy], str], ...] = (
    (
        Reweighing,
        "Kamiran-Calders weights P(g)P(y)/P(g,y) as sample_weight (AIF360's "
        "Reweighing, safe on empty cells)",
    ),
    (Unawareness, "train without the sensitive column(s): the naive baseline"),
    (
        CounterfactualAugmentation,
        "add a twin of every training row with the attribute changed, same label",
    ),
    (
        CorrelationRemover,
        "Fairlearn's CorrelationRemover: decorrelate numeric features from the "
        "attribute, drop it",
    ),
    (
        ExponentiatedGradient,
        "Fairlearn's ExponentiatedGradient reduction (randomized classifier under "
        "a fairness constraint)",
    ),
    (
        GridSearch,
        "Fairlearn's GridSearch reduction (best model over a grid of Lagrange "
        "multipliers)",
    ),
    (
        ThresholdOptimizer,
        "Fairlearn's ThresholdOptimizer: group-specific thresholds (reads the "
        "attribute at predict time)",
    ),
    (
        EqOddsPostprocessing,
        "AIF360's equalized-odds post-processing: flips labels per group (reads the "
        "attribute)",
    ),
    (
        CalibratedEqOddsPostprocessing,
        "AIF360's calibrated equalized odds: mixes scores per group (reads the "
        "attribute)",
    ),
    (
        RejectOptionClassification,
        "AIF360's reject-option classification: favours the unprivileged group "
        "near the threshold (reads the attribute)",
    ),
    (
        LFR,
        "AIF360's learning fair representations, then the estimator on them "
        "(text columns one-hot encoded; reads the attribute)",
    ),
)

#: Strategy name -> class. Build one with ``STRATEGIES[name](estimator, **params)``.
STRATEGIES: Mapping[str, type[FairnessStrategy]] = MappingProxyType(
    {cls.strategy_name: cls for cls, _ in _ENTRIES}
)
#: Strategy name -> one-line description.
DESCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {cls.strategy_name: text for cls, text in _ENTRIES}
)


def make_strategy(value: Any, estimator: Any) -> FairnessStrategy:
    """A strategy for ``estimator`` from a registry name, or a strategy instance
    (used as given)."""
    if isinstance(value, FairnessStrategy):
        return value
    if isinstance(value, str) and value in STRATEGIES:
        return STRATEGIES[value](estimator)
    if isinstance(value, type) and issubclass(value, FairnessStrategy):
        return value(estimator)
    raise MitigationError(
        f"Unknown mitigation strategy {value!r}.{did_you_mean(str(value), STRATEGIES)}"
        f" Available: {', '.join(STRATEGIES)}, or a strategy instance such as "
        "Reweighing(LogisticRegression())."
    )
