"""The tutorial's loan scenario (and, later, loaders of real data sets)."""

from twinaudit.datasets._loan import FEATURES as LOAN_FEATURES
from twinaudit.datasets._loan import (
    loan_applications,
    loan_model,
    loan_twin_spec,
    tutorial_rule,
)

__all__ = [
    "LOAN_FEATURES",
    "loan_applications",
    "loan_model",
    "loan_twin_spec",
    "tutorial_rule",
]
