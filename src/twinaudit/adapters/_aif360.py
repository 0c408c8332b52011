"""Scored twins as AIF360 ``BinaryLabelDataset`` objects, and AIF360's metrics.

AIF360 0.6.1 needs all-numeric frames (its string handling breaks on pandas 3), so
protected attributes are coded (privileged ``1.0``) and text features factorised,
with every mapping kept in the dataset's ``metadata``.

For the report, AIF360's metrics are computed on the table of (group, decision)
cells weighted by their counts: the same numbers as on the full data (AIF360 sums
instance weights), in milliseconds instead of the seconds its per-row bookkeeping
takes on millions of twins.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from twinaudit.adapters._encoding import (
    Encoding,
    attribute_codes,
    attribute_names,
    encode_features,
    real_rows,
    true_labels,
)
from twinaudit.adapters._lazy import import_aif360
from twinaudit.exceptions import DataError

if TYPE_CHECKING:
    from twinaudit.scoring import ScoredTwins

__all__ = [
    "privileged_groups",
    "to_binary_label_dataset",
    "to_classification_datasets",
    "unprivileged_groups",
]

DECISION = "decision"
SCORE = "score"


def _attributes(
    scored: ScoredTwins, attributes: str | Sequence[str] | None
) -> list[Any]:
    twins = scored.twins
    return [twins.attribute(n) for n in attribute_names(twins, attributes)]


def privileged_groups(
    scored: ScoredTwins, attribute: str | None = None
) -> list[dict[str, float]]:
    """AIF360's ``privileged_groups`` argument for ``attribute`` (the first varied
    attribute by default), in the codes of :func:`to_binary_label_dataset`."""
    a = _attributes(scored, [attribute] if attribute else None)[0]
    return [{a.name: 1.0}]


def unprivileged_groups(
    scored: ScoredTwins, attribute: str | None = None, value: Any = None
) -> list[dict[str, float]]:
    """AIF360's ``unprivileged_groups``: one value, or all unprivileged values."""
    a = _attributes(scored, [attribute] if attribute else None)[0]
    codes = attribute_codes(a)
    values = a.unprivileged if value is None else (a.match_value(value, a.name),)
    return [{a.name: codes[v]} for v in values]


def _dataset(
    columns: dict[str, np.ndarray],
    label: str,
    protected: list[str],
    favorable: float,
    metadata: dict[str, Any],
    scores: str | None = None,
    weights: np.ndarray | None = None,
) -> Any:
    datasets = import_aif360("aif360.datasets")
    frame = pd.DataFrame(columns, copy=False)
    kwargs: dict[str, Any] = {}
    if weights is not None:
        frame["__weight__"] = weights
        kwargs["instance_weights_name"] = "__weight__"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return datasets.BinaryLabelDataset(
            df=frame,
            label_names=[label],
            protected_attribute_names=protected,
            favorable_label=favorable,
            unfavorable_label=1.0 - favorable,
            scores_names=[scores] if scores else [],
            privileged_protected_attributes=[np.array([1.0]) for _ in protected],
            unprivileged_protected_attributes=[
                np.array(sorted(set(np.unique(columns[p])) - {1.0})) for p in protected
            ],
            metadata=metadata,
            **kwargs,
        )


def _encoded(
    scored: ScoredTwins,
    attributes: str | Sequence[str] | None,
    include_features: bool,
    labels: np.ndarray,
) -> tuple[dict[str, np.ndarray], list[str], Encoding, str | None]:
    twins = scored.twins
    chosen = _attributes(scored, attributes)
    encoding = Encoding()
    columns: dict[str, np.ndarray] = {}
    for a in chosen:
        codes = attribute_codes(a)
        table = np.array([codes[v] for v in a.values])
        columns[a.name] = table[twins.codes(a.name)]
        encoding.protected[a.name] = {c: v for v, c in codes.items()}
    if include_features:
        exclude = [twins.pair_column, *columns]
        features, feature_encoding = encode_features(twins.frame, exclude)
        for name in (DECISION, SCORE):
            if name in features:
                raise DataError(
                    f"The twins have a column named {name!r}, which the AIF360 dataset "
                    "uses for the model's output; rename it."
                )
        columns.update(features)
        encoding.features = feature_encoding.features
        encoding.dates = feature_encoding.dates
    columns[DECISION] = labels.astype(np.float64)
    score_name = None
    if scored.scores is not None:
        columns[SCORE] = scored.scores.astype(np.float64)
        score_name = SCORE
    return columns, [a.name for a in chosen], encoding, score_name


def _metadata(
    scored: ScoredTwins,
    encoding: Encoding,
    label_values: tuple[Any, Any],
    protected: list[str],
) -> dict[str, Any]:
    favorable, unfavorable = label_values
    return {
        "label_maps": [{1.0: favorable, 0.0: unfavorable}],
        "protected_attribute_maps": [encoding.protected[p] for p in protected],
        "twinaudit": {
            "encoding": encoding,
            "model": scored.model_name,
            "pair_column": scored.twins.pair_column,
            "n_variants": scored.twins.n_variants,
            "row": "row r is pair r // n_variants, variant r % n_variants",
        },
    }


def to_binary_label_dataset(
    scored: ScoredTwins,
    *,
    attributes: str | Sequence[str] | None = None,
    include_features: bool = True,
) -> Any:
    """The scored twins as an AIF360 ``BinaryLabelDataset`` whose labels are the
    model's decisions (``1.0`` = favourable) and whose scores are the model's
    probability of the favourable decision, when it has one.

    Protected attributes are coded with the privileged value at ``1.0``; use
    :func:`privileged_groups` and :func:`unprivileged_groups` for AIF360's metric
    arguments. ``metadata["protected_attribute_maps"]`` and
    ``metadata["twinaudit"]["encoding"]`` map codes back to values.

    Examples
    --------
    >>> ds = to_binary_label_dataset(scored)  # doctest: +SKIP
    >>> BinaryLabelDatasetMetric(ds, unprivileged_groups=unprivileged_groups(scored),
    ...     privileged_groups=privileged_groups(scored)).disparate_impact()
    ... # doctest: +SKIP
    """
    columns, protected, encoding, score_name = _encoded(
        scored, attributes, include_features, scored.y_pred
    )
    metadata = _metadata(
        scored, encoding, (scored.favorable_label, "unfavourable"), protected
    )
    return _dataset(columns, DECISION, protected, 1.0, metadata, scores=score_name)


def to_classification_datasets(
    scored: ScoredTwins,
    label_column: str,
    *,
    attributes: str | Sequence[str] | None = None,
    favorable_label: Any = None,
    include_features: bool = True,
) -> tuple[Any, Any]:
    """``(dataset_true, dataset_pred)`` for AIF360's ``ClassificationMetric``: the
    factual rows of twins of real rows (:func:`~twinaudit.from_frame`), labelled
    with the true outcome in ``label_column`` and with the model's decisions.
    Counterfactual twins are left out: they carry their factual row's label, which
    is no outcome of theirs."""
    favorable = scored.favorable_label if favorable_label is None else favorable_label
    twins = scored.twins
    factual = real_rows(twins)
    if factual is None:
        raise DataError(
            "Classification metrics need real rows: these twins were generated, so "
            f"their {label_column!r} column is not a true outcome. Build the twins "
            "from your labelled data with from_frame(...)."
        )
    y_true = true_labels(twins.frame, label_column, favorable)
    trimmed = _without_column(scored, label_column)
    true_cols, protected, encoding, _ = _encoded(
        trimmed, attributes, include_features, y_true
    )
    pred_cols, _, _, score_name = _encoded(
        trimmed, attributes, include_features, scored.y_pred
    )
    metadata = _metadata(scored, encoding, (favorable, "unfavourable"), protected)
    metadata["twinaudit"]["row"] = "the factual rows of the twins, in pair order"
    true_cols = {k: v[factual] for k, v in true_cols.items()}
    pred_cols = {k: v[factual] for k, v in pred_cols.items()}
    return (
        _dataset(true_cols, DECISION, protected, 1.0, metadata),
        _dataset(pred_cols, DECISION, protected, 1.0, metadata, scores=score_name),
    )


def _without_column(scored: ScoredTwins, column: str) -> ScoredTwins:
    """The same scored twins without ``column`` (the label must not be a feature,
    and may have been declared a proxy)."""
    from dataclasses import replace

    from twinaudit.generation import Twins

    twins = scored.twins
    slim = Twins(
        twins.frame.drop(columns=[column]),
        twins.protected,
        proxies=[p for p in twins.proxies if p != column],
        pair_column=twins.pair_column,
        varied=twins.varied,
        spec=twins.spec,
        factual=twins.factual,
        validate=False,
    )
    return replace(scored, twins=slim)


# -- the fast paths used by the report ---------------------------------------------
def _cell_rows(
    cells: np.ndarray, group_codes: Sequence[dict[str, float]]
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """The non-empty cells of ``[group, decision, label]`` counts as rows: the
    protected columns (AIF360 codes), decision, label and count (the weight)."""
    counts = np.asarray(cells, dtype=float)
    group, decision, label = np.nonzero(counts)
    weight = counts[group, decision, label]
    names = list(group_codes[0])
    columns = {
        name: np.array([codes[name] for codes in group_codes], dtype=float)[group]
        for name in names
    }
    return columns, decision.astype(float), label.astype(float), weight


def aif360_group_metrics(
    cells: np.ndarray,
    group_codes: Sequence[dict[str, float]],
    privileged: int,
    *,
    labels: bool,
) -> dict[int, dict[str, float]]:
    """AIF360's metrics of every group against the privileged one, computed by
    AIF360 on the ``[group, decision, label]`` counts as weighted rows (AIF360 sums
    instance weights in these count metrics, so they equal the values on the full
    rows).

    ``group_codes[g]`` is group ``g`` as AIF360 columns and codes
    (``{"sex": 0.0}``, or ``{"sex": 0.0, "race": 2.0}`` for an intersection).
    Returns ``{group index: {metric: value}}``; undefined values are ``nan``. With
    ``labels``, also the per-group rates (``true_positive_rate``, ...), equal
    opportunity and average odds differences.
    """
    metrics = import_aif360("aif360.metrics")
    columns, decision, label, weight = _cell_rows(cells, group_codes)
    protected = list(columns)
    pred = _dataset(
        {**columns, DECISION: decision}, DECISION, protected, 1.0, {}, weights=weight
    )
    true = None
    if labels:
        true = _dataset(
            {**columns, DECISION: label}, DECISION, protected, 1.0, {}, weights=weight
        )
    present = np.asarray(cells).sum(axis=(1, 2)) > 0
    out: dict[int, dict[str, float]] = {}
    for g, codes in enumerate(group_codes):
        if g == privileged or not present[g] or not present[privileged]:
            continue
        groups = {
            "unprivileged_groups": [dict(codes)],
            "privileged_groups": [dict(group_codes[privileged])],
        }
        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if true is None:
                metric = metrics.BinaryLabelDatasetMetric(pred, **groups)
                values = {
                    "statistical_parity_difference": (
                        metric.statistical_parity_difference()
                    ),
                    "disparate_impact": metric.disparate_impact(),
                }
            else:
                metric = metrics.ClassificationMetric(true, pred, **groups)
                values = {
                    "statistical_parity_difference": (
                        metric.statistical_parity_difference()
                    ),
                    "disparate_impact": metric.disparate_impact(),
                    "equal_opportunity_difference": (
                        metric.equal_opportunity_difference()
                    ),
                    "average_odds_difference": metric.average_odds_difference(),
                }
                for privileged_side, index in ((False, g), (True, privileged)):
                    rates = {
                        "true_positive_rate": metric.true_positive_rate(
                            privileged=privileged_side
                        ),
                        "false_positive_rate": metric.false_positive_rate(
                            privileged=privileged_side
                        ),
                        "precision": metric.precision(privileged=privileged_side),
                        "accuracy": metric.accuracy(privileged=privileged_side),
                    }
                    out.setdefault(index, {}).update(_finite(rates))
        out.setdefault(g, {}).update(_finite(values))
    return out


def _finite(values: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) if np.isfinite(float(v)) else np.nan for k, v in values.items()}


def aif360_theil_index(
    group: np.ndarray, y_pred: np.ndarray, y_true: np.ndarray
) -> float:
    """AIF360's Theil index, on the rows themselves (AIF360 ignores instance
    weights in it, so counts-as-weights would give another number)."""
    metrics = import_aif360("aif360.metrics")
    columns = {"group": np.asarray(group, dtype=float)}
    true = _dataset(
        {**columns, DECISION: np.asarray(y_true, float)}, DECISION, ["group"], 1.0, {}
    )
    pred = _dataset(
        {**columns, DECISION: np.asarray(y_pred, float)}, DECISION, ["group"], 1.0, {}
    )
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value = float(metrics.ClassificationMetric(true, pred).theil_index())
    return value if np.isfinite(value) else np.nan
