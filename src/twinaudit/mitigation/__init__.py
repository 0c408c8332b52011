"""Mitigation strategies (scikit-learn meta-estimators), and mitigate-and-re-audit."""

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
from twinaudit.mitigation._mitigate import MitigationReport, MitigationResult, mitigate
from twinaudit.mitigation._preprocessing import (
    CorrelationRemover,
    CounterfactualAugmentation,
    Reweighing,
    Unawareness,
    kamiran_calders_weights,
)
from twinaudit.mitigation._registry import DESCRIPTIONS, STRATEGIES, make_strategy

__all__ = [
    "DESCRIPTIONS",
    "LFR",
    "STRATEGIES",
    "CalibratedEqOddsPostprocessing",
    "CorrelationRemover",
    "CounterfactualAugmentation",
    "EqOddsPostprocessing",
    "ExponentiatedGradient",
    "FairnessStrategy",
    "GridSearch",
    "MitigationReport",
    "MitigationResult",
    "RejectOptionClassification",
    "Reweighing",
    "ThresholdOptimizer",
    "Unawareness",
    "kamiran_calders_weights",
    "make_strategy",
    "mitigate",
]
