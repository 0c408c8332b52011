"""The metric registry, the count engine, group and paired statistics."""

from twinaudit.metrics._accumulator import AuditAccumulator, ObservedChunk
from twinaudit.metrics._counterfactual import (
    BOOTSTRAP_LIMIT,
    Comparison,
    adjust_pvalues,
    any_flip,
    cochran_table,
    comparisons,
    counterfactual_table,
    profile_gaps,
)
from twinaudit.metrics._counts import (
    cell_counts,
    decision_counts,
    paired_counts,
    pattern_counts,
)
from twinaudit.metrics._group import (
    GROUP_RATES,
    Grouping,
    group_metric_rows,
    group_values,
    metric_row,
    result_frame,
    theil_index,
)
from twinaudit.metrics._registry import POPULATIONS, REGISTRY, SOURCES, Metric
from twinaudit.metrics._stats import (
    benjamini_hochberg,
    mcnemar_exact,
    percentile_interval,
    proportion_interval,
    wilson_interval,
)
from twinaudit.metrics._where import Where, where_bias_lives

__all__ = [
    "BOOTSTRAP_LIMIT",
    "GROUP_RATES",
    "POPULATIONS",
    "REGISTRY",
    "SOURCES",
    "AuditAccumulator",
    "Comparison",
    "Grouping",
    "Metric",
    "ObservedChunk",
    "Where",
    "adjust_pvalues",
    "any_flip",
    "benjamini_hochberg",
    "cell_counts",
    "cochran_table",
    "comparisons",
    "counterfactual_table",
    "decision_counts",
    "group_metric_rows",
    "group_values",
    "mcnemar_exact",
    "metric_row",
    "paired_counts",
    "pattern_counts",
    "percentile_interval",
    "profile_gaps",
    "proportion_interval",
    "result_frame",
    "theil_index",
    "where_bias_lives",
    "wilson_interval",
]
