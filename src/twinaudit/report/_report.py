"""The audit: score twins, compute every metric, hold the results."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from twinaudit._files import write_text
from twinaudit.exceptions import DataError
from twinaudit.generation import Twins, generate
from twinaudit.metrics import (
    any_flip,
    cochran_table,
    counterfactual_table,
    decision_counts,
    disparity_table,
    selection_table,
)
from twinaudit.scoring import ScoredTwins, score
from twinaudit.spec import TwinSpec

__all__ = ["AuditReport", "audit"]


@dataclass(frozen=True, eq=False)
class AuditReport:
    """Everything an audit measured.

    Attributes
    ----------
    scored : ScoredTwins
        The twins with the model's decisions.
    selection : DataFrame
        Selection rate per (attribute, value), and the rate Fairlearn's
        ``MetricFrame`` gives by group (``fairlearn``).
    disparities : DataFrame
        Statistical parity difference and disparate impact per unprivileged value,
        demographic parity difference and ratio per attribute: twinaudit's value
        and the value AIF360 / Fairlearn computed (``aif360``, ``fairlearn``).
    counterfactual : DataFrame
        Paired statistics per (attribute, unprivileged value): flip rate with its
        interval, flips by direction, McNemar's exact p-value, score gaps.
    cochran : DataFrame
        Cochran's Q for attributes with more than two values.
    flipped_pairs, n_pairs : int
        Pairs whose twins do not all get the same decision, out of all pairs.
    confidence : float
        Level of the intervals.
    """

    scored: ScoredTwins
    selection: pd.DataFrame
    disparities: pd.DataFrame
    counterfactual: pd.DataFrame
    cochran: pd.DataFrame
    flipped_pairs: int
    n_pairs: int
    confidence: float
    notes: tuple[str, ...] = field(default=())

    # -- headline numbers ------------------------------------------------------------
    @property
    def flip_rate(self) -> float:
        """Share of pairs whose twins do not all get the same decision."""
        return self.flipped_pairs / self.n_pairs

    @property
    def twins(self) -> Twins:
        return self.scored.twins

    def metric(
        self,
        name: str,
        attribute: str | None = None,
        group: Any = None,
        source: str = "value",
    ) -> float:
        """One disparity metric: ``source`` is ``"value"`` (twinaudit),
        ``"aif360"`` or ``"fairlearn"``.

        Examples
        --------
        >>> report.metric("disparate_impact", source="aif360")  # doctest: +SKIP
        0.52
        """
        table = self.disparities
        if name not in set(table["metric"]):
            raise DataError(
                f"Unknown metric {name!r}; the report has "
                f"{sorted(set(table['metric']))}."
            )
        rows = table[table["metric"] == name]
        attribute = attribute or self.twins.varied[0]
        rows = rows[rows["attribute"] == attribute]
        if group is not None:
            rows = rows[rows["group"] == group]
        if rows.empty:
            raise DataError(
                f"No {name!r} for attribute {attribute!r}, group {group!r}."
            )
        return float(rows.iloc[0][source])

    def flip(self, attribute: str | None = None, group: Any = None) -> pd.Series:
        """The counterfactual row of one (attribute, unprivileged value)."""
        table = self.counterfactual
        attribute = attribute or self.twins.varied[0]
        rows = table[table["attribute"] == attribute]
        if group is not None:
            rows = rows[rows["group"] == group]
        if rows.empty:
            raise DataError(
                f"No comparison for attribute {attribute!r}, group {group!r}."
            )
        return rows.iloc[0]

    # -- library objects -------------------------------------------------------------
    def to_binary_label_dataset(self, **kwargs: Any) -> Any:
        """The scored twins as an AIF360 ``BinaryLabelDataset``
        (see :func:`twinaudit.adapters.to_binary_label_dataset`)."""
        from twinaudit.adapters import to_binary_label_dataset

        return to_binary_label_dataset(self.scored, **kwargs)

    def to_metric_frame(self, **kwargs: Any) -> Any:
        """A Fairlearn ``MetricFrame`` of the decisions by group
        (see :func:`twinaudit.adapters.to_metric_frame`)."""
        from twinaudit.adapters import to_metric_frame

        return to_metric_frame(self.scored, **kwargs)

    # -- views -----------------------------------------------------------------------
    def decisions(self, n_pairs: int | None = None) -> pd.DataFrame:
        """The twins with the model's decisions, like the tutorial's table."""
        frame = self.scored.to_frame()
        if n_pairs is not None:
            frame = frame.iloc[: n_pairs * self.twins.n_variants]
        return frame

    def summary(self) -> dict[str, Any]:
        """The headline numbers."""
        first = self.counterfactual.iloc[0]
        out: dict[str, Any] = {
            "model": self.scored.model_name,
            "pairs": self.n_pairs,
            "flip_rate": self.flip_rate,
            "flip_rate_by_attribute": {
                f"{r.attribute}={r.group}": r.flip_rate
                for r in rows(self.counterfactual)
            },
            "mcnemar_p": float(first["mcnemar_p"]),
        }
        for row in rows(self.disparities):
            key = (
                f"{row.metric}[{row.attribute}]"
                if pd.isna(row.group)
                else f"{row.metric}[{row.attribute}={row.group}]"
            )
            out[key] = row.value
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``nan`` becomes ``None``, with the reason in
        ``undefined``)."""
        from twinaudit.report._render import report_to_dict

        return report_to_dict(self)

    def to_json(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        overwrite: bool = False,
        indent: int = 2,
    ) -> str:
        """The report as JSON; written to ``path`` when given (never over an
        existing file unless ``overwrite=True``)."""
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False)
        if path is not None:
            write_text(Path(path), text, overwrite=overwrite)
        return text

    def to_markdown(self) -> str:
        from twinaudit.report._render import report_to_markdown

        return report_to_markdown(self)

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from twinaudit.report._render import rich_renderables

        yield from rich_renderables(self)

    def __repr__(self) -> str:
        return (
            f"AuditReport(model={self.scored.model_name}, pairs={self.n_pairs}, "
            f"flip_rate={self.flip_rate:.3f})"
        )


def audit(
    model: Any,
    twins: Twins | TwinSpec,
    *,
    n_pairs: int | None = None,
    favorable_label: Any = None,
    features: Sequence[str] | None = None,
    confidence: float = 0.95,
    libraries: bool = True,
) -> AuditReport:
    """Audit ``model`` on counterfactual twins.

    Parameters
    ----------
    model : estimator or callable
        A fitted scikit-learn estimator or pipeline, or a callable
        ``DataFrame -> decisions``.
    twins : Twins or TwinSpec
        The twins, or a spec to generate ``n_pairs`` of them from.
    n_pairs : int, optional
        Pairs to generate when ``twins`` is a spec (default 1,000).
    favorable_label : object, optional
        The favourable prediction (default 1/True for 0/1 models).
    features : sequence of str, optional
        Columns to feed the model (default: its ``feature_names_in_``).
    confidence : float
        Level of the confidence intervals.
    libraries : bool
        Also compute the disparity metrics with AIF360 and Fairlearn (imports them,
        about two seconds the first time).

    Returns
    -------
    AuditReport

    Examples
    --------
    >>> from twinaudit.datasets import loan_applications, loan_model, loan_twin_spec
    >>> model = loan_model(loan_applications())
    >>> report = audit(model, loan_twin_spec(), n_pairs=200, libraries=False)
    >>> 0 < report.flip_rate < 1
    True
    """
    if isinstance(twins, TwinSpec):
        twins = generate(twins, 1000 if n_pairs is None else n_pairs)
    elif n_pairs is not None:
        raise DataError(
            "n_pairs is only used when auditing a TwinSpec; the twins "
            "are already generated."
        )
    if not isinstance(twins, Twins):
        raise DataError(
            f"audit needs Twins (from generate/from_frame) or a TwinSpec. Got "
            f"{type(twins).__name__}."
        )
    if not (isinstance(confidence, float) and 0 < confidence < 1):
        raise DataError(f"confidence must be between 0 and 1. Got {confidence!r}.")
    scored = score(model, twins, favorable_label=favorable_label, features=features)
    return report_from_scored(scored, confidence=confidence, libraries=libraries)


def report_from_scored(
    scored: ScoredTwins, *, confidence: float = 0.95, libraries: bool = True
) -> AuditReport:
    """Compute every metric of already scored twins."""
    selection = selection_table(scored)
    library = _library_values(scored) if libraries else None
    selection["fairlearn"] = [
        (library or {})
        .get(row.attribute, {})
        .get("fairlearn", {})
        .get("selection_rate", {})
        .get(row.value, np.nan)
        for row in rows(selection)
    ]
    disparities = disparity_table(scored, selection, library)
    counterfactual = counterfactual_table(scored, confidence)
    flipped, n = any_flip(scored)
    notes = tuple(reason for reason in disparities["undefined"].dropna().tolist())
    return AuditReport(
        scored=scored,
        selection=selection,
        disparities=disparities,
        counterfactual=counterfactual,
        cochran=cochran_table(scored),
        flipped_pairs=flipped,
        n_pairs=n,
        confidence=confidence,
        notes=notes,
    )


def _library_values(scored: ScoredTwins) -> dict[str, dict[str, Any]]:
    from twinaudit.adapters._aif360 import aif360_disparities
    from twinaudit.adapters._encoding import attribute_codes
    from twinaudit.adapters._fairlearn import fairlearn_disparities

    out = {}
    for attribute in scored.twins.varied_attributes:
        counts = decision_counts(
            scored.twins.codes(attribute.name), scored.y_pred, len(attribute.values)
        )
        out[attribute.name] = {
            "aif360": aif360_disparities(
                counts, attribute_codes(attribute), attribute.name
            ),
            "fairlearn": fairlearn_disparities(counts, attribute.values),
        }
    return out


def rows(frame: pd.DataFrame) -> list[Any]:
    """The rows of a result table as objects with one attribute per column."""
    return [
        SimpleNamespace(**{str(k): v for k, v in r.items()})
        for r in frame.to_dict("records")
    ]


def finite_or_none(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value
