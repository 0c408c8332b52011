"""The metric registry: one entry per reported number.

The report, the renderers, the policy and the mitigation deltas all read this
table, so adding a metric touches one place. Each entry says what the metric is,
which library computes it too (and with which sign convention), where parity is,
which side is worse, what it needs (true labels, scores) and on which populations
it exists.

Populations:

- ``twins``: the balanced counterfactual population (every twin of every pair);
- ``observed``: the factual rows only (twins of real rows): the real people in
  their real groups, with their true labels when given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

__all__ = ["POPULATIONS", "REGISTRY", "SOURCES", "Metric"]

Direction = Literal["higher_is_worse", "lower_is_worse", "away_from_parity_is_worse"]
Scope = Literal["group", "attribute", "overall"]
Population = Literal["twins", "observed"]

POPULATIONS: tuple[str, ...] = ("twins", "observed")
SOURCES: tuple[str, ...] = ("twinaudit", "aif360", "fairlearn")


@dataclass(frozen=True)
class Metric:
    """One reported metric.

    Attributes
    ----------
    name : str
        The key used everywhere (``report.metric(name)``, policy files, JSON).
    label : str
        A short human name.
    definition : str
        The formula, with its sign convention.
    parity : float
        The value of a perfectly fair model.
    direction : {"higher_is_worse", "lower_is_worse", "away_from_parity_is_worse"}
        Which side is worse for the group (used to pick the worst group).
    scope : {"group", "attribute", "overall"}
        ``group``: one value per (attribute, group) compared with the privileged
        value; ``attribute``: one per attribute; ``overall``: one per population.
    populations : tuple of str
        Populations on which the metric is reported.
    needs_labels, needs_scores : bool
        Whether it needs true labels (``audit(y_true=...)``) or model scores.
    libraries : mapping
        ``{library: "the library's name for it"}`` for AIF360 and Fairlearn,
        only where their definition is the same as ours.
    undefined : str
        When the metric is undefined (reported as ``nan`` with this reason).
    interval : bool
        Whether the report gives a confidence interval for it.
    """

    name: str
    label: str
    definition: str
    parity: float
    direction: Direction
    scope: Scope
    populations: tuple[str, ...]
    needs_labels: bool = False
    needs_scores: bool = False
    libraries: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    undefined: str = ""
    interval: bool = True

    def worse(self, a: float, b: float) -> bool:
        """Whether value ``a`` is worse than value ``b``."""
        if self.direction == "higher_is_worse":
            return a > b
        if self.direction == "lower_is_worse":
            return a < b
        return abs(a - self.parity) > abs(b - self.parity)


def _libs(**names: str) -> Mapping[str, str]:
    return MappingProxyType(dict(names))


_BOTH = ("twins", "observed")
_OBSERVED = ("observed",)
_TWINS = ("twins",)

_METRICS = (
    # -- decisions, on either population --------------------------------------------
    Metric(
        "selection_rate",
        "selection rate",
        "P(favourable | group)",
        parity=float("nan"),
        direction="lower_is_worse",
        scope="group",
        populations=_BOTH,
        libraries=_libs(fairlearn="selection_rate"),
        undefined="the group is empty",
    ),
    Metric(
        "statistical_parity_difference",
        "statistical parity difference",
        "P(fav | group) - P(fav | privileged); negative: the group is favoured less",
        parity=0.0,
        direction="away_from_parity_is_worse",
        scope="group",
        populations=_BOTH,
        libraries=_libs(aif360="statistical_parity_difference"),
        undefined="a group is empty",
    ),
    Metric(
        "disparate_impact",
        "disparate impact",
        "P(fav | group) / P(fav | privileged); the four-fifths rule flags < 0.8",
        parity=1.0,
        direction="lower_is_worse",
        scope="group",
        populations=_BOTH,
        libraries=_libs(aif360="disparate_impact"),
        undefined="the privileged group is never favoured",
    ),
    Metric(
        "demographic_parity_difference",
        "demographic parity difference",
        "max - min selection rate over the attribute's values; never negative",
        parity=0.0,
        direction="higher_is_worse",
        scope="attribute",
        populations=_BOTH,
        libraries=_libs(fairlearn="demographic_parity_difference"),
        undefined="fewer than two groups have rows",
    ),
    Metric(
        "demographic_parity_ratio",
        "demographic parity ratio",
        "min / max selection rate over the attribute's values",
        parity=1.0,
        direction="lower_is_worse",
        scope="attribute",
        populations=_BOTH,
        libraries=_libs(fairlearn="demographic_parity_ratio"),
        undefined="no group is ever favoured",
    ),
    # -- true labels, on the observed population ------------------------------------
    Metric(
        "true_positive_rate",
        "true positive rate",
        "P(fav decision | fav label, group)",
        parity=float("nan"),
        direction="lower_is_worse",
        scope="group",
        populations=_OBSERVED,
        needs_labels=True,
        libraries=_libs(aif360="true_positive_rate", fairlearn="true_positive_rate"),
        undefined="the group has no favourable labels",
    ),
    Metric(
        "false_positive_rate",
        "false positive rate",
        "P(fav decision | unfav label, group)",
        parity=float("nan"),
        direction="higher_is_worse",
        scope="group",
        populations=_OBSERVED,
        needs_labels=True,
        libraries=_libs(aif360="false_positive_rate", fairlearn="false_positive_rate"),
        undefined="the group has no unfavourable labels",
    ),
    Metric(
        "precision",
        "precision",
        "P(fav label | fav decision, group)",
        parity=float("nan"),
        direction="lower_is_worse",
        scope="group",
        populations=_OBSERVED,
        needs_labels=True,
        libraries=_libs(aif360="precision", fairlearn="precision"),
        undefined="the group never gets a favourable decision",
    ),
    Metric(
        "accuracy",
        "accuracy",
        "P(decision = label | group)",
        parity=float("nan"),
        direction="lower_is_worse",
        scope="group",
        populations=_OBSERVED,
        needs_labels=True,
        libraries=_libs(aif360="accuracy", fairlearn="accuracy"),
        undefined="the group is empty",
    ),
    Metric(
        "equal_opportunity_difference",
        "equal opportunity difference",
        "TPR(group) - TPR(privileged); negative: qualified members of the group "
        "are favoured less",
        parity=0.0,
        direction="away_from_parity_is_worse",
        scope="group",
        populations=_OBSERVED,
        needs_labels=True,
        libraries=_libs(aif360="equal_opportunity_difference"),
        undefined="a group has no favourable labels",
    ),
    Metric(
        "average_odds_difference",
        "average odds difference",
        "((FPR(group) - FPR(privileged)) + (TPR(group) - TPR(privileged))) / 2",
        parity=0.0,
        direction="away_from_parity_is_worse",
        scope="group",
        populations=_OBSERVED,
        needs_labels=True,
        libraries=_libs(aif360="average_odds_difference"),
        undefined="a group has no favourable or no unfavourable labels",
    ),
    Metric(
        "equalized_odds_difference",
        "equalized odds difference",
        "max(TPR max - min, FPR max - min) over the attribute's values",
        parity=0.0,
        direction="higher_is_worse",
        scope="attribute",
        populations=_OBSERVED,
        needs_labels=True,
        libraries=_libs(fairlearn="equalized_odds_difference"),
        undefined="a group has no favourable or no unfavourable labels",
    ),
    Metric(
        "equalized_odds_ratio",
        "equalized odds ratio",
        "min(TPR min / max, FPR min / max) over the attribute's values",
        parity=1.0,
        direction="lower_is_worse",
        scope="attribute",
        populations=_OBSERVED,
        needs_labels=True,
        libraries=_libs(fairlearn="equalized_odds_ratio"),
        undefined="a rate is undefined for a group, or both maxima are 0",
    ),
    Metric(
        "theil_index",
        "Theil index",
        "generalised entropy (alpha=1) of the benefits b = decision - label + 1 "
        "over all rows",
        parity=0.0,
        direction="higher_is_worse",
        scope="overall",
        populations=_OBSERVED,
        needs_labels=True,
        libraries=_libs(aif360="theil_index"),
        undefined="no row has a positive benefit",
        interval=False,
    ),
    # -- counterfactual, on the twins ------------------------------------------------
    Metric(
        "flip_rate",
        "flip rate",
        "share of base profiles whose decision changes when the attribute goes "
        "from the privileged value to the group's (in any setting of the other "
        "varied attributes); Wilson interval, base profiles as the unit",
        parity=0.0,
        direction="higher_is_worse",
        scope="group",
        populations=_TWINS,
        undefined="there are no pairs",
    ),
    Metric(
        "causal_discrimination_score",
        "causal discrimination score",
        "share of base profiles whose twins do not all get the same decision",
        parity=0.0,
        direction="higher_is_worse",
        scope="overall",
        populations=_TWINS,
        undefined="there are no pairs",
    ),
    Metric(
        "mean_score_gap",
        "mean score gap",
        "mean over base profiles of score(group twin) - score(privileged twin); "
        "bootstrap interval resampling base profiles",
        parity=0.0,
        direction="away_from_parity_is_worse",
        scope="group",
        populations=_TWINS,
        needs_scores=True,
        undefined="the model gives no scores",
    ),
    Metric(
        "mcnemar_p",
        "McNemar p (BH-adjusted)",
        "exact two-sided test that flips go both ways equally, one vote per base "
        "profile; Benjamini-Hochberg adjusted over every test of the audit",
        parity=1.0,
        direction="lower_is_worse",
        scope="group",
        populations=_TWINS,
        undefined="there are no pairs",
        interval=False,
    ),
)

REGISTRY: Mapping[str, Metric] = MappingProxyType({m.name: m for m in _METRICS})
