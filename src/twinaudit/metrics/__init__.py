"""Group metrics, paired counterfactual statistics and the count engine."""

from twinaudit.metrics._counterfactual import (
    any_flip,
    cochran_table,
    counterfactual_table,
    mcnemar_exact,
    wilson_interval,
)
from twinaudit.metrics._counts import decision_counts, paired_counts
from twinaudit.metrics._group import DEFINITIONS, disparity_table, selection_table

__all__ = [
    "DEFINITIONS",
    "any_flip",
    "cochran_table",
    "counterfactual_table",
    "decision_counts",
    "disparity_table",
    "mcnemar_exact",
    "paired_counts",
    "selection_table",
    "wilson_interval",
]
