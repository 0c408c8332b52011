"""Mitigate and re-audit on the same twins; compare before and after."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from twinaudit.exceptions import DataError
from twinaudit.generation import Twins
from twinaudit.mitigation._strategies import MitigationStrategy, strategy_from
from twinaudit.report import AuditReport, audit

__all__ = ["MitigationReport", "MitigationResult", "mitigate"]


@dataclass(frozen=True, eq=False)
class MitigationResult:
    """One strategy: the model it trained, its re-audit, what it did."""

    strategy: str
    label: str
    model: Any
    report: AuditReport
    accuracy: float
    notes: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class MitigationReport:
    """The original model's audit next to each strategy's re-audit on the same
    twins."""

    attribute: str
    before: AuditReport
    before_accuracy: float
    results: tuple[MitigationResult, ...]
    accuracy_on: str

    def __iter__(self) -> Iterator[MitigationResult]:
        return iter(self.results)

    def __getitem__(self, strategy: str) -> MitigationResult:
        for result in self.results:
            if result.strategy == strategy:
                return result
        raise KeyError(
            f"No strategy {strategy!r}; have {[r.strategy for r in self.results]}."
        )

    def compare(self) -> pd.DataFrame:
        """One row per model (the original first): flip rate, disparities,
        accuracy."""
        rows = [
            _row("original model", self.before, self.before_accuracy, self.attribute)
        ]
        rows += [
            _row(r.label, r.report, r.accuracy, self.attribute) for r in self.results
        ]
        return pd.DataFrame(rows).set_index("model")

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.table import Table
        from rich.text import Text

        table = Table(
            title=f"Before and after mitigation, re-audited on the same "
            f"{self.before.n_pairs:,} twin pairs",
            header_style="bold",
        )
        frame = self.compare()
        table.add_column("model")
        headers = {
            "flip_rate": "flip rate",
            "statistical_parity_difference": "stat. parity diff.",
            "disparate_impact": "disparate impact",
            "demographic_parity_difference": "dem. parity diff.",
            "demographic_parity_ratio": "dem. parity ratio",
            "accuracy": f"accuracy ({self.accuracy_on})",
        }
        for column in frame.columns:
            table.add_column(headers.get(column, column), justify="right")
        for name, row in frame.iterrows():
            table.add_row(
                str(name),
                *["undefined" if pd.isna(v) else f"{v:.3f}" for v in row.tolist()],
            )
        yield table
        for result in self.results:
            for note in result.notes:
                yield Text(f"{result.label}: {note}", style="yellow")


def _row(
    name: str, report: AuditReport, accuracy: float, attribute: str
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "model": name,
        "flip_rate": float(report.flip(attribute)["flip_rate"]),
    }
    for metric in (
        "statistical_parity_difference",
        "disparate_impact",
        "demographic_parity_difference",
        "demographic_parity_ratio",
    ):
        row[metric] = float(report.metric(metric, attribute=attribute))
    row["accuracy"] = accuracy
    return row


def _accuracy(model: Any, X: pd.DataFrame, y: np.ndarray) -> float:
    from sklearn.metrics import accuracy_score

    return float(accuracy_score(y, model.predict(X)))


def mitigate(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    twins: Twins,
    strategies: Sequence[str | MitigationStrategy] = ("reweighing", "augmentation"),
    attribute: str | None = None,
    X_test: pd.DataFrame | None = None,
    y_test: Any = None,
    favorable_label: Any = None,
    libraries: bool = True,
) -> MitigationReport:
    """Train a mitigated copy of ``model`` with each strategy and re-audit every one
    on the same ``twins``.

    Parameters
    ----------
    model : estimator
        The fitted original model; each strategy trains a clone of it.
    X, y : DataFrame, array-like
        The training data, in the model's columns and codes.
    twins : Twins
        The twins of the original audit (the attribute's ``model_column`` and
        ``encoding`` tell which training column and codes it is).
    strategies : sequence
        Names (``"reweighing"``, ``"augmentation"``) or strategy objects.
    attribute : str, optional
        The protected attribute to mitigate (the first varied one by default).
    X_test, y_test : optional
        Held-out data for accuracy; without it, accuracy is on the training data.
    favorable_label : object, optional
        The favourable label (default 1/True).

    Returns
    -------
    MitigationReport
    """
    if not isinstance(twins, Twins):
        raise DataError(
            f"mitigate needs the Twins to re-audit on. Got {type(twins).__name__}."
        )
    if not strategies:
        raise DataError("Give at least one mitigation strategy.")
    chosen = twins.attribute(attribute or twins.varied[0])
    resolved = [strategy_from(s) for s in strategies]
    before = audit(model, twins, favorable_label=favorable_label, libraries=libraries)
    favorable = before.scored.favorable_label
    if (X_test is None) != (y_test is None):
        raise DataError("Pass both X_test and y_test, or neither.")
    eval_X, eval_y = (X, y) if X_test is None else (X_test, y_test)
    eval_y = np.asarray(eval_y)
    before_accuracy = _accuracy(model, eval_X, eval_y)
    results = []
    for strategy in resolved:
        mitigated = strategy.fit(
            model, X, y, attribute=chosen, favorable_label=favorable
        )
        report = audit(
            mitigated.model, twins, favorable_label=favorable_label, libraries=libraries
        )
        results.append(
            MitigationResult(
                strategy=strategy.name or type(strategy).__name__,
                label=strategy.label or type(strategy).__name__,
                model=mitigated.model,
                report=report,
                accuracy=_accuracy(mitigated.model, eval_X, eval_y),
                notes=mitigated.notes,
            )
        )
    return MitigationReport(
        attribute=chosen.name,
        before=before,
        before_accuracy=before_accuracy,
        results=tuple(results),
        accuracy_on="held-out" if X_test is not None else "training",
    )
