"""AIF360 and Fairlearn views of scored twins (both imported lazily)."""

from twinaudit.adapters._aif360 import (
    privileged_groups,
    to_binary_label_dataset,
    to_classification_datasets,
    unprivileged_groups,
)
from twinaudit.adapters._encoding import Encoding, attribute_codes
from twinaudit.adapters._fairlearn import to_metric_frame

__all__ = [
    "Encoding",
    "attribute_codes",
    "privileged_groups",
    "to_binary_label_dataset",
    "to_classification_datasets",
    "to_metric_frame",
    "unprivileged_groups",
]
