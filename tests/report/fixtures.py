"""Hand-built report dicts (schema version 1) for the renderer tests.

Each function returns a fresh dict. The counts are made up by hand and kept
consistent (group counts add up across attributes and their intersection, flips
split into both directions, label counts give the rates); rates, differences and
ratios are derived from those counts here with plain arithmetic, and intervals with
a textbook Wilson formula, so no number comes from twinaudit's own code.

- :func:`two_valued_report`: one attribute ``sex`` with the privileged value listed
  last, true labels on the observed rows, model scores, ``where``, and a verdict.
- :func:`three_valued_report`: ``sex`` and ``race`` (privileged value in the middle)
  varied together, with the intersection; observed rows without labels, no scores,
  no ``where``, no verdict.
- :func:`undefined_report`: integer group codes, a model that favours nobody, so
  disparate impact, the demographic parity ratio and Cochran's Q are undefined
  (nulls with reasons); one group below the minimum cell size; an inconclusive
  verdict on an undefined value.
"""

from __future__ import annotations

import copy
import math
from typing import Any

Z95 = 1.959963984540054

REGISTRY: dict[str, dict[str, Any]] = {
    "selection_rate": {
        "label": "selection rate",
        "definition": "P(favourable | group)",
        "parity": None,
        "direction": "lower_is_worse",
        "libraries": ["fairlearn"],
    },
    "statistical_parity_difference": {
        "label": "statistical parity difference",
        "definition": "P(fav | group) - P(fav | privileged); negative: the group is "
        "favoured less",
        "parity": 0.0,
        "direction": "away_from_parity_is_worse",
        "libraries": ["aif360"],
    },
    "disparate_impact": {
        "label": "disparate impact",
        "definition": "P(fav | group) / P(fav | privileged); the four-fifths rule "
        "flags < 0.8",
        "parity": 1.0,
        "direction": "lower_is_worse",
        "libraries": ["aif360"],
    },
    "demographic_parity_difference": {
        "label": "demographic parity difference",
        "definition": "max - min selection rate over the attribute's values",
        "parity": 0.0,
        "direction": "higher_is_worse",
        "libraries": ["fairlearn"],
    },
    "demographic_parity_ratio": {
        "label": "demographic parity ratio",
        "definition": "min / max selection rate over the attribute's values",
        "parity": 1.0,
        "direction": "lower_is_worse",
        "libraries": ["fairlearn"],
    },
    "true_positive_rate": {
        "label": "true positive rate",
        "definition": "P(fav decision | fav label, group)",
        "parity": None,
        "direction": "lower_is_worse",
    },
    "false_positive_rate": {
        "label": "false positive rate",
        "definition": "P(fav decision | unfav label, group)",
        "parity": None,
        "direction": "higher_is_worse",
    },
    "precision": {
        "label": "precision",
        "definition": "P(fav label | fav decision, group)",
        "parity": None,
        "direction": "lower_is_worse",
        "libraries": ["aif360", "fairlearn"],
        "undefined": "no favourable decision in the group",
    },
    "equal_opportunity_difference": {
        "label": "equal opportunity difference",
        "definition": "TPR(group) - TPR(privileged)",
        "parity": 0.0,
        "direction": "away_from_parity_is_worse",
        "libraries": ["aif360"],
    },
    "theil_index": {
        "label": "Theil index",
        "definition": "generalised entropy (alpha=1) of the benefits b = decision - "
        "label + 1 over all rows",
        "parity": 0.0,
        "direction": "higher_is_worse",
        "libraries": ["aif360"],
    },
    "flip_rate": {
        "label": "flip rate",
        "definition": "share of base profiles whose decision changes when the "
        "attribute goes from the privileged value to the group's",
        "parity": 0.0,
        "direction": "higher_is_worse",
    },
    "causal_discrimination_score": {
        "label": "causal discrimination score",
        "definition": "share of base profiles whose twins do not all get the same "
        "decision",
        "parity": 0.0,
        "direction": "higher_is_worse",
    },
    "mean_score_gap": {
        "label": "mean score gap",
        "definition": "mean over base profiles of score(group twin) - "
        "score(privileged twin)",
        "parity": 0.0,
        "direction": "away_from_parity_is_worse",
    },
    "mcnemar_p": {
        "label": "McNemar p (BH-adjusted)",
        "definition": "exact two-sided test that flips go both ways equally",
        "parity": 1.0,
        "direction": "lower_is_worse",
    },
}


def wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson score interval at 95% (textbook formula)."""
    p = k / n
    denominator = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denominator
    if k == 0:
        return 0.0, min(1.0, centre + half)
    return max(0.0, centre - half), min(1.0, centre + half)


def _group(
    population: str,
    attribute: str,
    group: Any,
    privileged: bool,
    n: int,
    favourable: int,
    *,
    labels: tuple[int, int] | None = None,
    too_small: bool = False,
) -> dict[str, Any]:
    """One row of ``groups``; ``labels`` is (positives, true positives)."""
    low, high = wilson(favourable, n)
    row: dict[str, Any] = {
        "population": population,
        "attribute": attribute,
        "group": group,
        "privileged": privileged,
        "n": n,
        "favourable": favourable,
        "selection_rate": favourable / n,
        "selection_rate_low": low,
        "selection_rate_high": high,
        "positives": None,
        "true_positive_rate": None,
        "false_positive_rate": None,
        "precision": None,
        "accuracy": None,
        "too_small": too_small,
    }
    if labels is not None:
        positives, tp = labels
        fp = favourable - tp
        tn = (n - positives) - fp
        row.update(
            positives=positives,
            true_positive_rate=tp / positives,
            false_positive_rate=fp / (n - positives),
            precision=tp / favourable if favourable else None,
            accuracy=(tp + tn) / n,
        )
    return row


def _metric(
    metric: str,
    population: str,
    attribute: str | None,
    group: Any,
    reference: Any,
    value: float | None,
    low: float | None = None,
    high: float | None = None,
    *,
    aif360: float | None = None,
    fairlearn: float | None = None,
    undefined: str | None = None,
    too_small: bool = False,
) -> dict[str, Any]:
    return {
        "metric": metric,
        "population": population,
        "attribute": attribute,
        "group": group,
        "reference": reference,
        "value": value,
        "low": low,
        "high": high,
        "aif360": aif360,
        "fairlearn": fairlearn,
        "undefined": undefined,
        "too_small": too_small,
    }


def _decision_metrics(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Selection rates, parity differences and ratios of ``groups`` (one
    population, one attribute), by arithmetic on the group rows."""
    population, attribute = groups[0]["population"], groups[0]["attribute"]
    reference = next(g for g in groups if g["privileged"])
    out = [
        _metric(
            "selection_rate",
            population,
            attribute,
            g["group"],
            None,
            g["selection_rate"],
            g["selection_rate_low"],
            g["selection_rate_high"],
            fairlearn=g["selection_rate"],
            too_small=g["too_small"],
        )
        for g in groups
    ]
    ref_rate = reference["selection_rate"]
    for g in groups:
        if g is reference:
            continue
        rate = g["selection_rate"]
        spd = rate - ref_rate
        se = math.sqrt(
            rate * (1 - rate) / g["n"] + ref_rate * (1 - ref_rate) / reference["n"]
        )
        out.append(
            _metric(
                "statistical_parity_difference",
                population,
                attribute,
                g["group"],
                reference["group"],
                spd,
                spd - Z95 * se,
                spd + Z95 * se,
                aif360=spd,
            )
        )
        if ref_rate == 0:
            reason = "the privileged group is never favoured"
            out.append(
                _metric(
                    "disparate_impact",
                    population,
                    attribute,
                    g["group"],
                    reference["group"],
                    None,
                    undefined=reason,
                    too_small=g["too_small"],
                )
            )
        else:
            di = rate / ref_rate
            out.append(
                _metric(
                    "disparate_impact",
                    population,
                    attribute,
                    g["group"],
                    reference["group"],
                    di,
                    di * math.exp(-Z95 * 0.08),
                    di * math.exp(Z95 * 0.08),
                    aif360=di,
                )
            )
    rates = [g["selection_rate"] for g in groups]
    dpd = max(rates) - min(rates)
    out.append(
        _metric(
            "demographic_parity_difference",
            population,
            attribute,
            None,
            None,
            dpd,
            max(0.0, dpd - 0.05),
            dpd + 0.05,
            fairlearn=dpd,
        )
    )
    if max(rates) == 0:
        out.append(
            _metric(
                "demographic_parity_ratio",
                population,
                attribute,
                None,
                None,
                None,
                undefined="no group is ever favoured",
            )
        )
    else:
        dpr = min(rates) / max(rates)
        out.append(
            _metric(
                "demographic_parity_ratio",
                population,
                attribute,
                None,
                None,
                dpr,
                dpr - 0.06,
                min(1.0, dpr + 0.06),
                fairlearn=dpr,
            )
        )
    return out


def _counterfactual(
    attribute: str,
    group: Any,
    reference: Any,
    profiles: int,
    comparisons: int,
    favours_reference: int,
    favours_group: int,
    p: float,
    p_adjusted: float,
    gaps: tuple[float, float, float, float, float, float] | None = None,
    undefined: str | None = None,
) -> dict[str, Any]:
    """``gaps``: mean, low, high, median, p95 |gap|, max |gap| (None: no scores)."""
    flips = favours_reference + favours_group
    low, high = wilson(flips, profiles)
    if flips == 0:
        low, high = 0.0, 3 / profiles  # the rule of three
    mean, gap_low, gap_high, median, p95, largest = gaps or (None,) * 6
    return {
        "attribute": attribute,
        "group": group,
        "reference": reference,
        "profiles": profiles,
        "comparisons": comparisons,
        "flips": flips,
        "flip_rate": flips / profiles,
        "flip_rate_low": low,
        "flip_rate_high": high,
        "favours_reference": favours_reference,
        "favours_group": favours_group,
        "mcnemar_p": p,
        "mcnemar_p_adjusted": p_adjusted,
        "mean_score_gap": mean,
        "score_gap_low": gap_low,
        "score_gap_high": gap_high,
        "median_score_gap": median,
        "p95_abs_score_gap": p95,
        "max_abs_score_gap": largest,
        "undefined": undefined,
    }


def _paired_metrics(row: dict[str, Any]) -> list[dict[str, Any]]:
    where = ("twins", row["attribute"], row["group"], row["reference"])
    out = [
        _metric(
            "flip_rate",
            *where,
            row["flip_rate"],
            row["flip_rate_low"],
            row["flip_rate_high"],
        ),
        _metric("mcnemar_p", *where, row["mcnemar_p_adjusted"]),
    ]
    if row["mean_score_gap"] is not None:
        out.append(
            _metric(
                "mean_score_gap",
                *where,
                row["mean_score_gap"],
                row["score_gap_low"],
                row["score_gap_high"],
            )
        )
    return out


def _headline(flipped: int, profiles: int) -> dict[str, Any]:
    low, high = wilson(flipped, profiles)
    if flipped == 0:
        low, high = 0.0, 3 / profiles
    return {
        "causal_discrimination_score": flipped / profiles,
        "low": low,
        "high": high,
        "flipped_profiles": flipped,
        "profiles": profiles,
    }


def _registry(metrics: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    used = dict.fromkeys(m["metric"] for m in metrics)
    return {name: copy.deepcopy(REGISTRY[name]) for name in used}


# -- the three reports ----------------------------------------------------------------
def two_valued_report() -> dict[str, Any]:
    """``sex`` in ["F", "M"], privileged "M" listed last; labels, scores, where,
    verdict (fail). 400 pairs: men favoured 240, women 204; 40 profiles flip, 38
    towards the man."""
    twins = [
        _group("twins", "sex", "F", False, 400, 204),
        _group("twins", "sex", "M", True, 400, 240),
    ]
    # Observed: M 210 rows, 130 favoured, 120 positives of which 105 favoured;
    # F 190 rows, 90 favoured, 110 positives of which 80 favoured.
    observed = [
        _group("observed", "sex", "F", False, 190, 90, labels=(110, 80)),
        _group("observed", "sex", "M", True, 210, 130, labels=(120, 105)),
    ]
    cf = _counterfactual(
        "sex",
        "F",
        "M",
        400,
        400,
        38,
        2,
        1.49e-09,
        1.49e-09,
        gaps=(-0.042, -0.051, -0.033, -0.01, 0.31, 0.47),
    )
    f_obs, m_obs = observed
    headline = _headline(40, 400)
    metrics = [
        *_decision_metrics(twins),
        *_paired_metrics(cf),
        _metric(
            "causal_discrimination_score",
            "twins",
            None,
            None,
            None,
            0.1,
            headline["low"],
            headline["high"],
        ),
        *_decision_metrics(observed),
    ]
    for name in ("true_positive_rate", "false_positive_rate"):
        for g in observed:
            metrics.append(_metric(name, "observed", "sex", g["group"], None, g[name]))
    eod = f_obs["true_positive_rate"] - m_obs["true_positive_rate"]
    metrics.append(
        _metric(
            "equal_opportunity_difference",
            "observed",
            "sex",
            "F",
            "M",
            eod,
            eod - 0.1,
            eod + 0.1,
            aif360=eod,
        )
    )
    metrics.append(
        _metric("theil_index", "observed", None, None, None, 0.1234, aif360=0.1234)
    )
    twins_di = next(m for m in metrics if m["metric"] == "disparate_impact")
    observed_di = [m for m in metrics if m["metric"] == "disparate_impact"][1]
    return {
        "schema_version": 1,
        "twinaudit_version": "0.1.0",
        "model": {
            "name": "GradientBoostingClassifier",
            "features": ["age", "income", "sex"],
            "favorable_label": 1,
            "scores": "predict_proba",
        },
        "confidence": 0.95,
        "pairs": 400,
        "variants": 2,
        "attributes": [
            {"name": "sex", "values": ["F", "M"], "privileged": "M", "varied": True}
        ],
        "populations": {
            "twins": {"rows": 800, "profiles": 400},
            "observed": {"rows": 400, "labels": True},
        },
        "headline": headline,
        "groups": twins + observed,
        "metrics": metrics,
        "counterfactual": [cf],
        "score_gaps": [
            {
                "attribute": "sex",
                "group": "F",
                "edges": [-0.5, -0.4, -0.3, -0.2, -0.1, 0.0, 0.1],
                "counts": [6, 14, 12, 8, 60, 300],
            }
        ],
        "cochran": [],
        "where": {
            "bins": [
                {
                    "feature": "income",
                    "bin": "[12000, 31000)",
                    "profiles": 100,
                    "flips": 27,
                    "flip_rate": 0.27,
                },
                {
                    "feature": "income",
                    "bin": "[31000, 52000)",
                    "profiles": 100,
                    "flips": 9,
                    "flip_rate": 0.09,
                },
                {
                    "feature": "income",
                    "bin": "[52000, 80000)",
                    "profiles": 100,
                    "flips": 3,
                    "flip_rate": 0.03,
                },
                {
                    "feature": "income",
                    "bin": "[80000, 250000]",
                    "profiles": 100,
                    "flips": 1,
                    "flip_rate": 0.01,
                },
                {
                    "feature": "age",
                    "bin": "[18, 35)",
                    "profiles": 150,
                    "flips": 20,
                    "flip_rate": 20 / 150,
                },
                {
                    "feature": "age",
                    "bin": "[35, 50)",
                    "profiles": 130,
                    "flips": 12,
                    "flip_rate": 12 / 130,
                },
                {
                    "feature": "age",
                    "bin": "[50, 90]",
                    "profiles": 120,
                    "flips": 8,
                    "flip_rate": 8 / 120,
                },
            ],
            "rules": [
                {
                    "rule": "income <= 31000 and age <= 35",
                    "profiles": 60,
                    "flips": 21,
                    "flip_rate": 0.35,
                },
                {
                    "rule": "income > 31000",
                    "profiles": 300,
                    "flips": 13,
                    "flip_rate": 13 / 300,
                },
            ],
            "largest_gaps": [
                {
                    "pair": 17,
                    "attribute": "sex",
                    "group": "F",
                    "score_gap": -0.47,
                    "features": {"age": 23, "income": 18250.0},
                },
                {
                    "pair": 243,
                    "attribute": "sex",
                    "group": "F",
                    "score_gap": -0.44,
                    "features": {"age": 31, "income": 22100.0},
                },
            ],
        },
        "verdict": {
            "status": "fail",
            "significance": 0.05,
            "rules": [
                {
                    "rule": "disparate_impact ≥ 0.8",
                    "metric": "disparate_impact",
                    "population": None,
                    "status": "fail",
                    "reason": "sex=F on observed: 0.765 < 0.8 with its interval",
                    "checks": [
                        {
                            "population": "twins",
                            "attribute": "sex",
                            "group": "F",
                            "value": twins_di["value"],
                            "low": twins_di["low"],
                            "high": twins_di["high"],
                            "status": "inconclusive",
                            "reason": "the interval straddles 0.8",
                        },
                        {
                            "population": "observed",
                            "attribute": "sex",
                            "group": "F",
                            "value": observed_di["value"],
                            "low": observed_di["value"] - 0.02,
                            "high": 0.79,
                            "status": "fail",
                            "reason": "the interval lies below 0.8",
                        },
                    ],
                },
                {
                    "rule": "flip_rate ≤ 0.2 (twins)",
                    "metric": "flip_rate",
                    "population": "twins",
                    "status": "pass",
                    "reason": "every interval lies below 0.2",
                    "checks": [
                        {
                            "attribute": "sex",
                            "group": "F",
                            "value": cf["flip_rate"],
                            "low": cf["flip_rate_low"],
                            "high": cf["flip_rate_high"],
                            "status": "pass",
                            "reason": "the interval lies below 0.2",
                        }
                    ],
                },
            ],
        },
        "registry": _registry(metrics),
        "notes": [
            "Twins are made from 400 real rows; label metrics use the factual rows "
            "only."
        ],
    }


def three_valued_report() -> dict[str, Any]:
    """``sex`` (["M", "F"], privileged first) and ``race`` (["black", "white",
    "asian"], privileged in the middle) varied together: 300 pairs of 6 twins,
    intersection rows, observed rows without labels, no scores, no where, no
    verdict."""
    by_cell = {  # favourable twins per (sex, race) out of 300 each
        ("M", "white"): 160,
        ("M", "black"): 130,
        ("M", "asian"): 160,
        ("F", "white"): 140,
        ("F", "black"): 110,
        ("F", "asian"): 140,
    }
    sex = [
        _group(
            "twins",
            "sex",
            s,
            s == "M",
            900,
            sum(v for (a, _), v in by_cell.items() if a == s),
        )
        for s in ("M", "F")
    ]
    race = [
        _group(
            "twins",
            "race",
            r,
            r == "white",
            600,
            sum(v for (_, b), v in by_cell.items() if b == r),
        )
        for r in ("black", "white", "asian")
    ]
    both = [
        _group(
            "twins",
            "sex & race",
            f"{s} & {r}",
            (s, r) == ("M", "white"),
            300,
            v,
        )
        for (s, r), v in by_cell.items()
    ]
    observed_sex = [
        _group("observed", "sex", "M", True, 160, 84),
        _group("observed", "sex", "F", False, 140, 60),
    ]
    observed_race = [
        _group("observed", "race", "black", False, 90, 36),
        _group("observed", "race", "white", True, 150, 80),
        _group("observed", "race", "asian", False, 60, 28),
    ]
    counterfactual = [
        _counterfactual("sex", "F", "M", 300, 900, 42, 3, 6.1e-10, 1.2e-9),
        _counterfactual("race", "black", "white", 300, 600, 28, 2, 8.7e-7, 1.2e-6),
        _counterfactual("race", "asian", "white", 300, 600, 6, 6, 1.0, 1.0),
        *[
            _counterfactual("sex & race", g, "M & white", 300, 300, r, b, p, p)
            for g, r, b, p in (
                ("M & black", 28, 2, 8.7e-7),
                ("M & asian", 4, 4, 1.0),
                ("F & white", 20, 1, 2.1e-5),
                ("F & black", 45, 3, 1.1e-10),
                ("F & asian", 21, 3, 2.9e-4),
            )
        ],
    ]
    metrics: list[dict[str, Any]] = []
    for groups in (sex, race, both, observed_sex, observed_race):
        metrics += _decision_metrics(groups)
    for row in counterfactual:
        metrics += _paired_metrics(row)
    headline = _headline(60, 300)
    metrics.append(
        _metric(
            "causal_discrimination_score",
            "twins",
            None,
            None,
            None,
            0.2,
            headline["low"],
            headline["high"],
        )
    )
    return {
        "schema_version": 1,
        "twinaudit_version": "0.1.0",
        "model": {
            "name": "LogisticRegression",
            "features": ["sex", "race", "hours_per_week", "education"],
            "favorable_label": ">50K",
            "scores": None,
        },
        "confidence": 0.9,
        "pairs": 300,
        "variants": 6,
        "attributes": [
            {"name": "sex", "values": ["M", "F"], "privileged": "M", "varied": True},
            {
                "name": "race",
                "values": ["black", "white", "asian"],
                "privileged": "white",
                "varied": True,
            },
        ],
        "populations": {
            "twins": {"rows": 1800, "profiles": 300},
            "observed": {"rows": 300, "labels": False},
        },
        "headline": headline,
        "groups": sex + race + both + observed_sex + observed_race,
        "metrics": metrics,
        "counterfactual": counterfactual,
        "score_gaps": [],
        "cochran": [
            {
                "attribute": "race",
                "setting": "sex=M",
                "values": 3,
                "profiles": 300,
                "cochran_q": 18.2,
                "p_value": 1.1e-4,
                "p_adjusted": 2.2e-4,
                "undefined": None,
            },
            {
                "attribute": "race",
                "setting": "sex=F",
                "values": 3,
                "profiles": 300,
                "cochran_q": 22.5,
                "p_value": 1.3e-5,
                "p_adjusted": 3.9e-5,
                "undefined": None,
            },
            {
                "attribute": "sex & race",
                "setting": None,
                "values": 6,
                "profiles": 300,
                "cochran_q": 40.1,
                "p_value": 1.4e-7,
                "p_adjusted": 8.4e-7,
                "undefined": None,
            },
        ],
        "where": None,
        "verdict": None,
        "registry": _registry(metrics),
        "notes": [],
    }


def undefined_report() -> dict[str, Any]:
    """Integer codes [0, 1, 2] with privileged 1; the model favours nobody, so
    disparate impact, the demographic parity ratio, precision and Cochran's Q are
    undefined; observed group 2 is below the minimum cell size; an inconclusive
    verdict."""
    twins = [
        _group("twins", "group", 0, False, 200, 0),
        _group("twins", "group", 1, True, 200, 0),
        _group("twins", "group", 2, False, 200, 0),
    ]
    counterfactual = [
        _counterfactual(
            "group", code, 1, 200, 200, 0, 0, 1.0, 1.0, gaps=(0, 0, 0, 0, 0, 0)
        )
        for code in (0, 2)
    ]
    # Observed: 225 real rows, none favoured; group 2 has 20 rows (< 30).
    observed = [
        _group("observed", "group", 0, False, 120, 0, labels=(40, 0)),
        _group("observed", "group", 1, True, 85, 0, labels=(30, 0)),
        _group("observed", "group", 2, False, 20, 0, labels=(5, 0), too_small=True),
    ]
    metrics = _decision_metrics(twins)
    for row in counterfactual:
        metrics += _paired_metrics(row)
    metrics += _decision_metrics(observed)
    for g in observed:
        metrics.append(
            _metric(
                "precision",
                "observed",
                "group",
                g["group"],
                None,
                None,
                undefined="the group never gets a favourable decision",
                too_small=g["too_small"],
            )
        )
    headline = _headline(0, 200)
    metrics.append(
        _metric(
            "causal_discrimination_score",
            "twins",
            None,
            None,
            None,
            0.0,
            headline["low"],
            headline["high"],
        )
    )
    return {
        "schema_version": 1,
        "twinaudit_version": "0.1.0",
        "model": {
            "name": "DummyClassifier",
            "features": ["group", "score"],
            "favorable_label": True,
            "scores": "decision_function",
        },
        "confidence": 0.95,
        "pairs": 200,
        "variants": 3,
        "attributes": [
            {"name": "group", "values": [0, 1, 2], "privileged": 1, "varied": True}
        ],
        "populations": {
            "twins": {"rows": 600, "profiles": 200},
            "observed": {"rows": 225, "labels": True},
        },
        "headline": headline,
        "groups": twins + observed,
        "metrics": metrics,
        "counterfactual": counterfactual,
        "score_gaps": [
            {"attribute": "group", "group": code, "edges": [-0.5, 0.5], "counts": [200]}
            for code in (0, 2)
        ],
        "cochran": [
            {
                "attribute": "group",
                "setting": None,
                "values": 3,
                "profiles": 200,
                "cochran_q": None,
                "p_value": None,
                "p_adjusted": None,
                "undefined": "every profile gets the same decision for every value",
            }
        ],
        "where": {
            "bins": [
                {
                    "feature": "score",
                    "bin": "[0, 1)",
                    "profiles": 200,
                    "flips": 0,
                    "flip_rate": 0.0,
                },
                {
                    "feature": "score",
                    "bin": "[1, 2]",
                    "profiles": 0,
                    "flips": 0,
                    "flip_rate": None,
                },
            ],
            "rules": [],
            "largest_gaps": [],
        },
        "verdict": {
            "status": "inconclusive",
            "significance": 0.05,
            "rules": [
                {
                    "rule": "disparate_impact ≥ 0.8 (twins)",
                    "metric": "disparate_impact",
                    "population": "twins",
                    "status": "inconclusive",
                    "reason": "disparate impact is undefined: the privileged group is "
                    "never favoured",
                    "checks": [
                        {
                            "attribute": "group",
                            "group": code,
                            "value": None,
                            "low": None,
                            "high": None,
                            "status": "inconclusive",
                            "reason": "undefined: the privileged group is never "
                            "favoured",
                        }
                        for code in (0, 2)
                    ],
                }
            ],
        },
        "registry": _registry(metrics),
        "notes": [
            "Observed group 2 has 20 rows, fewer than the minimum cell size (30)."
        ],
    }


FIXTURES = {
    "two_valued": two_valued_report,
    "three_valued": three_valued_report,
    "undefined": undefined_report,
}


def replace_value(data: Any, old: str, new: str) -> Any:
    """A copy of ``data`` with every string equal to ``old`` (or containing it as an
    intersection part, ``"F & old"``) replaced by ``new``; dict keys too."""
    if isinstance(data, dict):
        return {
            replace_value(k, old, new): replace_value(v, old, new)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [replace_value(v, old, new) for v in data]
    if isinstance(data, str):
        if data == old:
            return new
        parts = data.split(" & ")
        if old in parts:
            return " & ".join(new if p == old else p for p in parts)
    return data
