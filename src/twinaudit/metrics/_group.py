"""Group metrics of decisions: selection rates and the standard disparities.

Sign conventions (stated in every report):

- statistical parity difference (AIF360) = P(fav | group) - P(fav | privileged);
  negative means the group is favoured less; 0 is parity.
- disparate impact (AIF360) = P(fav | group) / P(fav | privileged); 1 is parity,
  the "four-fifths rule" flags values below 0.8. Undefined when the privileged
  group is never favoured.
- demographic parity difference (Fairlearn) = max - min of the selection rates
  over all values of the attribute; 0 is parity, never negative.
- demographic parity ratio (Fairlearn) = min / max; 1 is parity. Undefined when
  no group is ever favoured.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from twinaudit.exceptions import UndefinedMetricWarning
from twinaudit.metrics._counts import decision_counts

if TYPE_CHECKING:
    from twinaudit.scoring import ScoredTwins

DEFINITIONS = {
    "selection_rate": "P(favourable | group)",
    "statistical_parity_difference": (
        "P(fav | group) - P(fav | privileged); 0 is parity"
    ),
    "disparate_impact": "P(fav | group) / P(fav | privileged); 1 is parity",
    "demographic_parity_difference": (
        "max - min selection rate over groups; 0 is parity"
    ),
    "demographic_parity_ratio": "min / max selection rate over groups; 1 is parity",
}


def selection_table(scored: ScoredTwins) -> pd.DataFrame:
    """One row per (attribute, value): twins, favourable decisions, selection rate."""
    rows = []
    twins = scored.twins
    for attribute in twins.varied_attributes:
        counts = decision_counts(
            twins.codes(attribute.name), scored.y_pred, len(attribute.values)
        )
        for i, value in enumerate(attribute.values):
            n = int(counts[i].sum())
            fav = int(counts[i, 1])
            rows.append(
                {
                    "attribute": attribute.name,
                    "value": value,
                    "privileged": value == attribute.privileged,
                    "n": n,
                    "favourable": fav,
                    "selection_rate": fav / n if n else np.nan,
                }
            )
    return pd.DataFrame(rows)


def _undefined(reason: str) -> tuple[float, str]:
    warnings.warn(reason, UndefinedMetricWarning, stacklevel=4)
    return np.nan, reason


def disparity_table(
    scored: ScoredTwins,
    selection: pd.DataFrame,
    library: Mapping[str, Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """Disparity metrics per attribute from twinaudit's count engine, next to the
    values AIF360 and Fairlearn computed (``library[attribute]["aif360"]`` and
    ``["fairlearn"]``, when given)."""
    rows: list[dict[str, Any]] = []
    twins = scored.twins
    for attribute in twins.varied_attributes:
        sel = selection[selection["attribute"] == attribute.name].set_index("value")
        rates = sel["selection_rate"]
        reference = float(rates[attribute.privileged])
        computed = (library or {}).get(attribute.name, {})
        for value in attribute.unprivileged:
            rate = float(rates[value])
            spd = rate - reference
            note = None
            if reference == 0:
                di, note = _undefined(
                    f"disparate impact of {attribute.name}={value!r} is undefined: the "
                    f"privileged group ({attribute.privileged!r}) is never favoured."
                )
            else:
                di = rate / reference
            for metric, ours in (
                ("statistical_parity_difference", spd),
                ("disparate_impact", di),
            ):
                rows.append(
                    {
                        "attribute": attribute.name,
                        "metric": metric,
                        "group": value,
                        "reference": attribute.privileged,
                        "value": ours,
                        "aif360": computed.get("aif360", {})
                        .get(value, {})
                        .get(metric, np.nan),
                        "fairlearn": np.nan,
                        "undefined": note if metric == "disparate_impact" else None,
                    }
                )
        finite = rates.dropna()
        dpd = float(finite.max() - finite.min())
        note = None
        if float(finite.max()) == 0:
            dpr, note = _undefined(
                f"demographic parity ratio of {attribute.name} is undefined: no group "
                "is ever favoured."
            )
        else:
            dpr = float(finite.min() / finite.max())
        fair = computed.get("fairlearn", {})
        for metric, ours in (
            ("demographic_parity_difference", dpd),
            ("demographic_parity_ratio", dpr),
        ):
            rows.append(
                {
                    "attribute": attribute.name,
                    "metric": metric,
                    "group": None,
                    "reference": None,
                    "value": ours,
                    "aif360": np.nan,
                    "fairlearn": fair.get(metric, np.nan),
                    "undefined": note if metric == "demographic_parity_ratio" else None,
                }
            )
    return pd.DataFrame(rows)
