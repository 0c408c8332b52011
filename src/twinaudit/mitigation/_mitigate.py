"""Mitigate and re-audit: every strategy trained on the same rows, every model
audited on the same twins and scored on the same held-out rows."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from twinaudit.exceptions import DataError, did_you_mean
from twinaudit.generation import Twins
from twinaudit.metrics import REGISTRY
from twinaudit.mitigation._base import FairnessStrategy, check_estimator_instance
from twinaudit.mitigation._registry import STRATEGIES, make_strategy
from twinaudit.report import AuditReport, audit
from twinaudit.spec import ProtectedAttribute

__all__ = ["MitigationReport", "MitigationResult", "mitigate"]

ORIGINAL = "original model"


@dataclass(frozen=True, eq=False)
class MitigationResult:
    """One strategy: its fitted model, its re-audit, its held-out accuracy."""

    strategy: str
    label: str
    model: Any
    report: AuditReport
    accuracy: float
    balanced_accuracy: float
    notes: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class MitigationReport:
    """The original model's audit next to each strategy's re-audit, on the same
    twins and the same held-out rows.

    Attributes
    ----------
    before : AuditReport
        The original model's audit.
    model : estimator
        The original model (the estimator given, or a clone trained on ``X, y``
        when it was not fitted).
    results : tuple of MitigationResult
    sensitive_features : tuple of str
        The training columns of the protected attributes.
    attribute : str
        The first protected attribute (``compare`` covers all of them).
    before_accuracy, before_balanced_accuracy : float
        On the held-out rows (``nan`` without ``X_test``).
    accuracy_on : {"held-out", None}
    """

    before: AuditReport
    model: Any
    results: tuple[MitigationResult, ...]
    sensitive_features: tuple[str, ...]
    attribute: str
    before_accuracy: float
    before_balanced_accuracy: float
    accuracy_on: str | None

    def __iter__(self) -> Iterator[MitigationResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, strategy: str) -> MitigationResult:
        for result in self.results:
            if result.strategy == strategy:
                return result
        names = [r.strategy for r in self.results]
        raise KeyError(
            f"No strategy {strategy!r}.{did_you_mean(strategy, names)} Have {names}."
        )

    @property
    def models(self) -> dict[str, Any]:
        """Strategy name -> fitted model."""
        return {r.strategy: r.model for r in self.results}

    def compare(self) -> pd.DataFrame:
        """Before and after, one row per (strategy, attribute, group).

        Columns are ``(metric, value)`` pairs: every group metric of
        :data:`twinaudit.metrics.REGISTRY` the reports hold (named
        ``"metric (observed)"`` on the factual rows of twins of real rows) with
        ``before``, ``after``, ``change`` and ``exceeds_interval`` (True when the
        before and after confidence intervals do not overlap, a conservative
        test on the same twins; None where a value or interval is undefined); then
        ``accuracy`` and ``balanced_accuracy`` on the held-out rows.
        """
        before = _group_values(self.before)
        records: list[dict[tuple[str, str], Any]] = []
        index: list[tuple[str, Any, Any]] = []
        for result in self.results:
            after = _group_values(result.report)
            for (attribute, group), metrics in after.items():
                row: dict[tuple[str, str], Any] = {}
                for name, (value, low, high) in metrics.items():
                    b_value, b_low, b_high = before.get((attribute, group), {}).get(
                        name, (math.nan, math.nan, math.nan)
                    )
                    row[(name, "before")] = b_value
                    row[(name, "after")] = value
                    row[(name, "change")] = value - b_value
                    row[(name, "exceeds_interval")] = _exceeds(
                        (b_low, b_high), (low, high)
                    )
                for name, b_value, a_value in (
                    ("accuracy", self.before_accuracy, result.accuracy),
                    (
                        "balanced_accuracy",
                        self.before_balanced_accuracy,
                        result.balanced_accuracy,
                    ),
                ):
                    row[(name, "before")] = b_value
                    row[(name, "after")] = a_value
                    row[(name, "change")] = a_value - b_value
                records.append(row)
                index.append((result.strategy, attribute, group))
        keys: list[tuple[str, str]] = list(dict.fromkeys(k for r in records for k in r))
        return pd.DataFrame(
            [[r.get(k) for k in keys] for r in records],
            index=pd.MultiIndex.from_tuples(
                index, names=["strategy", "attribute", "group"]
            ),
            columns=pd.MultiIndex.from_tuples(keys, names=["metric", "value"]),
        )

    def summary(self) -> pd.DataFrame:
        """One row per model (the original first): flip rate, the worst group's
        statistical parity difference and disparate impact, held-out accuracy."""
        rows = [_summary_row(ORIGINAL, self.before, self.before_accuracy)]
        rows += [_summary_row(r.label, r.report, r.accuracy) for r in self.results]
        return pd.DataFrame(rows).set_index("model")

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.table import Table
        from rich.text import Text

        table = Table(
            title=f"Before and after mitigation, re-audited on the same "
            f"{self.before.n_pairs:,} twin pairs",
            header_style="bold",
        )
        frame = self.summary()
        table.add_column("model")
        headers = {
            "flip_rate": "flip rate",
            "statistical_parity_difference": "stat. parity diff.",
            "disparate_impact": "disparate impact",
            "accuracy": "held-out accuracy",
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


def _group_values(
    report: AuditReport,
) -> dict[tuple[Any, Any], dict[str, tuple[float, float, float]]]:
    """``{(attribute, group): {metric: (value, low, high)}}`` for group metrics."""
    out: dict[tuple[Any, Any], dict[str, tuple[float, float, float]]] = {}
    table = report.metrics
    rows = table[table["group"].notna()]
    for record in rows.to_dict("records"):
        spec = REGISTRY.get(record["metric"])
        if spec is None or spec.scope != "group":
            continue
        name = record["metric"]
        if record["population"] != "twins":
            name = f"{name} ({record['population']})"
        out.setdefault((record["attribute"], record["group"]), {})[name] = (
            _float(record["value"]),
            _float(record["low"]),
            _float(record["high"]),
        )
    return out


def _float(value: Any) -> float:
    return math.nan if value is None or pd.isna(value) else float(value)


def _exceeds(before: tuple[float, float], after: tuple[float, float]) -> Any:
    if any(math.isnan(v) for v in (*before, *after)):
        return None
    return bool(after[0] > before[1] or after[1] < before[0])


def _summary_row(name: str, report: AuditReport, accuracy: float) -> dict[str, Any]:
    row: dict[str, Any] = {"model": name, "flip_rate": float(report.flip_rate)}
    for metric in ("statistical_parity_difference", "disparate_impact"):
        row[metric] = float(report.metric(metric, population="twins"))
    row["accuracy"] = accuracy
    return row


# -- checking the inputs -------------------------------------------------------------
def _check_labels(y: Any, n: int, what: str) -> np.ndarray:
    labels = np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y)
    if labels.ndim != 1 or len(labels) != n:
        raise DataError(
            f"{what} must be one label per row ({n} rows). Got shape {labels.shape}."
        )
    missing = pd.isna(labels)
    if missing.any():
        raise DataError(
            f"{what} has {int(missing.sum())} missing (NaN) label(s); drop those rows "
            "first."
        )
    values = pd.unique(labels).tolist()
    if labels.dtype.kind in "OUS" or any(isinstance(v, str) for v in values):
        shown = sorted(map(str, values))[:5]
        raise DataError(
            f"{what} holds text labels {shown}; mitigate needs 0/1 labels with 1 the "
            "favourable outcome. Map them first, e.g. y = (y == 'approved')"
            ".astype(int)."
        )
    if not set(values) <= {0, 1}:
        shown = sorted(values)[:5]
        raise DataError(
            f"{what} must be binary 0/1 labels (1 favourable); it holds "
            f"{len(values)} value(s), e.g. {shown}. Map them to 0/1 first."
        )
    return labels.astype(np.int64)


def _check_frame(X: Any, what: str) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise DataError(
            f"{what} must be a pandas DataFrame with the model's named columns. Got "
            f"{type(X).__name__}."
        )
    if len(X) == 0:
        raise DataError(f"{what} is empty.")
    return X


def _sensitive_columns(
    sensitive_features: Any, X: pd.DataFrame, twins: Twins
) -> tuple[list[str], dict[str, ProtectedAttribute]]:
    by_column = {a.column: a for a in twins.varied_attributes}
    if sensitive_features is None:
        names = [c for c in by_column if c in X.columns]
        if not names:
            raise DataError(
                f"None of the twins' protected columns {list(by_column)} is a column "
                f"of X ({[str(c) for c in X.columns][:20]}); pass "
                "sensitive_features=['<column>'] naming the protected column of X."
            )
    elif isinstance(sensitive_features, str):
        names = [sensitive_features]
    elif isinstance(sensitive_features, list | tuple) and all(
        isinstance(s, str) for s in sensitive_features
    ):
        names = list(sensitive_features)
    else:
        raise DataError(
            "sensitive_features must name the protected column(s) of X, e.g. "
            f"sensitive_features=['sex']. Got {type(sensitive_features).__name__}."
        )
    columns = [str(c) for c in X.columns]
    for name in names:
        if name not in columns:
            raise DataError(
                f"Sensitive feature {name!r} is not a column of X."
                f"{did_you_mean(name, columns)} Columns: {columns[:20]}."
            )
        if name not in by_column:
            raise DataError(
                f"Sensitive feature {name!r} is not the column of a varied protected "
                f"attribute of the twins (they vary {list(by_column)}). Declare it "
                "with ProtectedAttribute(..., model_column=...) so the twins and the "
                "training data agree."
            )
        attribute = by_column[name]
        codes = {attribute.code(v) for v in attribute.values}
        values = pd.unique(X[name]).tolist()
        if X[name].isna().any():
            raise DataError(
                f"Protected column {name!r} has {int(X[name].isna().sum())} missing "
                "value(s); fill or drop those rows first."
            )
        unknown = [v for v in values if v not in codes]
        if unknown:
            shown = {v: attribute.code(v) for v in attribute.values}
            raise DataError(
                f"Protected column {name!r} holds {sorted(map(repr, unknown))[:5]}, "
                f"which are not the twins' codes for {attribute.name!r} ({shown}). "
                "Encode the training column the way the model and the twins do."
            )
    return names, {name: by_column[name] for name in names}


def _strategies(strategies: Any, estimator: Any) -> list[FairnessStrategy]:
    from sklearn.base import clone

    if isinstance(strategies, str):
        raise DataError(
            f"strategies must be a list of names or strategies; got the string "
            f"{strategies!r}. Pass [{strategies!r}]."
        )
    if isinstance(strategies, FairnessStrategy):
        strategies = [strategies]
    try:
        chosen = list(strategies)
    except TypeError as exc:
        raise DataError(
            f"strategies must be a list of names (from {list(STRATEGIES)}) or "
            f"strategy instances. Got {type(strategies).__name__}."
        ) from exc
    if not chosen:
        raise DataError(
            f"Give at least one mitigation strategy (from {list(STRATEGIES)})."
        )
    out = []
    for value in chosen:
        strategy = make_strategy(value, estimator)
        out.append(clone(strategy) if strategy is value else strategy)
    names = [_name(s) for s in out]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise DataError(
            f"Strategy {duplicated[0]!r} is given more than once; give each once (use "
            "different instances with distinct parameters through the benchmark)."
        )
    return out


def _name(strategy: FairnessStrategy) -> str:
    return strategy.strategy_name or type(strategy).__name__


def _is_fitted(estimator: Any) -> bool:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(estimator)
    except (NotFittedError, TypeError):
        return False
    return True


def _predict(model: Any, X: pd.DataFrame, columns: list[str]) -> np.ndarray:
    if getattr(model, "requires_sensitive_features", False):
        return np.asarray(model.predict(X, sensitive_features=X[columns]))
    return np.asarray(model.predict(X))


def _accuracies(
    model: Any, X: pd.DataFrame | None, y: np.ndarray | None, columns: list[str]
) -> tuple[float, float]:
    from sklearn.metrics import accuracy_score, balanced_accuracy_score

    if X is None or y is None:
        return math.nan, math.nan
    predicted = _predict(model, X, columns)
    return float(accuracy_score(y, predicted)), float(
        balanced_accuracy_score(y, predicted)
    )


def mitigate(
    estimator: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    twins: Twins,
    sensitive_features: str | Sequence[str] | None = None,
    strategies: Sequence[Any] = ("reweighing", "augmentation"),
    X_test: pd.DataFrame | None = None,
    y_test: Any = None,
    y_true: str | None = None,
    random_state: int | None = 0,
    libraries: bool = True,
) -> MitigationReport:
    """Train each mitigation strategy on ``X, y`` and re-audit every model on the
    same ``twins`` and the same held-out rows.

    Parameters
    ----------
    estimator : estimator
        A scikit-learn classifier or pipeline. Fitted: it is the original model as
        given; not fitted: a clone trained on ``X, y`` is. Each strategy trains its
        own clone; ``estimator`` is never changed.
    X, y : DataFrame, array-like
        Training rows in the model's columns and codes, and their 0/1 labels (1
        favourable).
    twins : Twins
        The twins to audit every model on (``generate`` or ``from_frame``).
    sensitive_features : str or list of str, optional
        Protected column(s) of ``X``: the ``model_column`` of varied attributes of
        the twins (all of those present in ``X`` by default). Several columns
        mitigate for their intersections.
    strategies : sequence
        Names from :data:`twinaudit.mitigation.STRATEGIES` or strategy instances
        (``Reweighing(LogisticRegression())``; an instance's own estimator is
        used).
    X_test, y_test : optional
        Held-out rows, for accuracy and balanced accuracy (never training
        accuracy; without them accuracy is ``nan``).
    y_true : str, optional
        Column of true labels in ``twins`` (twins of real rows), for the label
        metrics of the ``observed`` population.
    random_state : int, optional
        Seed of every strategy with a ``random_state`` left at None, and of the
        audits' bootstrap intervals.
    libraries : bool
        Also compute AIF360's and Fairlearn's values in the audits.

    Returns
    -------
    MitigationReport

    Examples
    --------
    >>> from twinaudit.datasets import loan_applications, loan_model, loan_twin_spec
    >>> from twinaudit.generation import generate
    >>> history = loan_applications(500, seed=1)
    >>> X, y = history[["Gender_Code", "Income"]], history["Approved"]
    >>> result = mitigate(loan_model(history), X, y, twins=generate(
    ...     loan_twin_spec(1), 200), strategies=["unawareness"], libraries=False)
    >>> result["unawareness"].report.flip_rate
    0.0
    """
    owner = "mitigate"
    check_estimator_instance(estimator, owner)
    if not isinstance(twins, Twins):
        raise DataError(
            "mitigate needs the Twins to re-audit on (generate(spec, n) or "
            f"from_frame(rows, protected=...)). Got {type(twins).__name__}."
        )
    X = _check_frame(X, "X")
    y01 = _check_labels(y, len(X), "y")
    if len(np.unique(y01)) < 2:
        raise DataError(
            f"y holds only the label {int(y01[0])}: every model trained on it predicts "
            f"{int(y01[0])} for everyone, which would be reported as perfectly fair "
            "(flip rate 0) and accurate. Mitigation needs both labels in the training "
            "data."
        )
    columns, attributes = _sensitive_columns(sensitive_features, X, twins)
    if (X_test is None) != (y_test is None):
        raise DataError("Pass both X_test and y_test, or neither.")
    test_y: np.ndarray | None = None
    if X_test is not None:
        X_test = _check_frame(X_test, "X_test")
        test_y = _check_labels(y_test, len(X_test), "y_test")
        missing = [c for c in X.columns if c not in X_test.columns]
        if missing:
            raise DataError(
                f"X_test lacks the training column(s) {[str(c) for c in missing][:10]}."
            )
        for column in columns:
            seen = set(pd.unique(X[column]).tolist())
            absent = sorted(
                {v for v in pd.unique(X_test[column]).tolist() if v not in seen},
                key=repr,
            )
            if absent:
                raise DataError(
                    f"The test set has {column}={absent[0]!r}, a group absent from the "
                    f"training data ({sorted(seen, key=repr)}): no strategy learnt "
                    "anything about it. Train on data with every group, or drop those "
                    "test rows."
                )
    resolved = _strategies(strategies, estimator)
    seed = 0 if random_state is None else int(random_state)

    from sklearn.base import clone

    model = estimator if _is_fitted(estimator) else clone(estimator).fit(X, y01)
    before = audit(model, twins, y_true=y_true, libraries=libraries, random_state=seed)
    before_accuracy = _accuracies(model, X_test, test_y, columns)
    results = []
    for strategy in resolved:
        params = strategy.get_params(deep=False)
        if "random_state" in params and params["random_state"] is None:
            strategy.set_params(random_state=seed)
        fitted = strategy.fit(X, y01, sensitive_features=X[columns])
        report = audit(
            fitted, twins, y_true=y_true, libraries=libraries, random_state=seed
        )
        accuracy, balanced = _accuracies(fitted, X_test, test_y, columns)
        results.append(
            MitigationResult(
                strategy=_name(strategy),
                label=strategy.label or _name(strategy),
                model=fitted,
                report=report,
                accuracy=accuracy,
                balanced_accuracy=balanced,
                notes=_notes(fitted, attributes),
            )
        )
    return MitigationReport(
        before=before,
        model=model,
        results=tuple(results),
        sensitive_features=tuple(columns),
        attribute=attributes[columns[0]].name,
        before_accuracy=before_accuracy[0],
        before_balanced_accuracy=before_accuracy[1],
        accuracy_on=None if X_test is None else "held-out",
    )


def _notes(model: Any, attributes: dict[str, ProtectedAttribute]) -> tuple[str, ...]:
    notes = []
    for group, label in getattr(model, "empty_cells_", ()):
        who = ", ".join(
            f"{attributes[c].name}={_value(attributes[c], v)}"
            for c, v in zip(model.sensitive_feature_names_in_, group, strict=True)
        )
        outcome = "favourable" if label == 1 else "unfavourable"
        notes.append(
            f"No training row has {who} with an {outcome} label, so reweighing "
            "cannot balance that cell (AIF360 divides by zero there; no row carries "
            f"that weight). Every {who} row keeps the same label, so a model can "
            "still learn the attribute from it."
        )
    if getattr(model, "requires_sensitive_features", False):
        notes.append(
            "Reads the protected attribute at predict time (sensitive_features=)."
        )
    return tuple(notes)


def _value(attribute: ProtectedAttribute, code: Any) -> Any:
    for value in attribute.values:
        if attribute.code(value) == code:
            return value
    return code  # pragma: no cover - codes are checked on the way in
