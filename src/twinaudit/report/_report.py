"""The audit: score twins, compute every metric, hold the results."""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from twinaudit._files import write_text
from twinaudit._stack import caller_level
from twinaudit._threads import in_background, two_cores
from twinaudit.adapters._encoding import real_rows
from twinaudit.exceptions import DataError, UndefinedMetricWarning, did_you_mean
from twinaudit.generation import Twins, generate
from twinaudit.metrics import (
    POPULATIONS,
    REGISTRY,
    SOURCES,
    AuditAccumulator,
    Grouping,
    ObservedChunk,
    Where,
    _accumulator,
    adjust_pvalues,
    cell_counts,
    comparisons,
    group_metric_rows,
    metric_row,
    proportion_interval,
    result_frame,
    theil_index,
    where_bias_lives,
)
from twinaudit.scoring import ScoredTwins, model_input, score
from twinaudit.spec import Identifier, ProtectedAttribute, TwinSpec

if TYPE_CHECKING:
    from twinaudit.report._policy import Policy, Verdict

__all__ = ["AuditReport", "MetricValue", "audit", "report_from_scored"]

SCHEMA_VERSION = 1


class MetricValue(float):
    """A metric's value (a ``float``) that also says where it comes from.

    Attributes
    ----------
    metric, population, source : str
    attribute, group, reference : object
        The attribute and group the value belongs to (``None`` where the metric is
        per attribute or overall).
    low, high : float
        The confidence interval (``nan`` where there is none).
    undefined : str or None
        Why the value is ``nan``.
    """

    metric: str
    population: str
    source: str
    attribute: Any
    group: Any
    reference: Any
    low: float
    high: float
    undefined: str | None

    def __new__(cls, value: float, **info: Any) -> MetricValue:
        self = super().__new__(cls, value)
        for key, item in info.items():
            setattr(self, key, item)
        return self

    def __repr__(self) -> str:
        where = f"{self.attribute}={self.group!r}" if self.group is not None else ""
        where = where or (self.attribute or "overall")
        return (
            f"MetricValue({float(self)!r}, metric={self.metric!r}, "
            f"population={self.population!r}, {where}, source={self.source!r})"
        )


@dataclass(frozen=True, eq=False)
class AuditReport:
    """Everything an audit measured.

    Attributes
    ----------
    scored : ScoredTwins
        The twins with the model's decisions.
    metrics : DataFrame
        One row per reported number: ``metric, population, attribute, group,
        reference, value, low, high, aif360, fairlearn, undefined, too_small``.
        Populations are ``twins`` (every twin) and ``observed`` (the factual rows
        of twins of real rows). ``aif360``/``fairlearn`` hold the value the library
        computed, where its definition is the same. See
        :data:`twinaudit.metrics.REGISTRY` for every metric's definition.
    groups : DataFrame
        Per population, attribute and group: rows, favourable decisions, selection
        rate with its interval and, with labels, TPR, FPR, precision, accuracy.
    counterfactual : DataFrame
        Paired statistics per (attribute, unprivileged value), base profiles as the
        unit: flip rate with its interval, flips by direction, McNemar's exact
        p-value (raw and Benjamini-Hochberg adjusted), score gaps.
    cochran : DataFrame
        Cochran's Q for attributes with three or more values.
    where : Where or None
        Where the bias lives: flip rate by feature bin, rules, largest score gaps.
    flipped_pairs, n_pairs : int
        Base profiles whose twins do not all get the same decision, out of all.
    confidence : float
        Level of the intervals.
    label_column : str or None
        The true labels' column, when the audit had labels.
    """

    scored: ScoredTwins
    metrics: pd.DataFrame
    groups: pd.DataFrame
    counterfactual: pd.DataFrame
    cochran: pd.DataFrame
    score_gaps: tuple[dict[str, Any], ...]
    flipped_pairs: int
    n_pairs: int
    confidence: float
    min_cell_size: int
    label_column: str | None = None
    observed_rows: int | None = None
    where: Any = None
    policy: Policy | None = None
    notes: tuple[str, ...] = field(default=())

    # -- headline numbers ------------------------------------------------------------
    @property
    def flip_rate(self) -> float:
        """Share of base profiles whose twins do not all get the same decision (the
        causal discrimination score)."""
        return self.flipped_pairs / self.n_pairs

    @property
    def twins(self) -> Twins:
        return self.scored.twins

    @property
    def populations(self) -> tuple[str, ...]:
        return tuple(p for p in POPULATIONS if p in set(self.metrics["population"]))

    def metric(
        self,
        name: str,
        *,
        attribute: str | None = None,
        group: Any = None,
        source: str = "twinaudit",
        population: str | None = None,
    ) -> MetricValue:
        """One reported number, as a float that says where it comes from.

        Parameters
        ----------
        name : str
            A metric of :data:`twinaudit.metrics.REGISTRY`.
        attribute : str, optional
            A varied attribute, or an intersection such as ``"sex & race"``.
            Default: every attribute.
        group : object, optional
            One value of the attribute. Default: the worst group (by the metric's
            direction), which the result names in ``.attribute``/``.group``.
        source : {"twinaudit", "aif360", "fairlearn"}
        population : {"twins", "observed"}, optional
            Default: ``twins`` where the metric exists there, else ``observed``.

        Examples
        --------
        >>> di = report.metric("disparate_impact", source="aif360")  # doctest: +SKIP
        >>> float(di), di.group  # doctest: +SKIP
        (0.454, 'Female')
        """
        rows = self._select(name, attribute, group, source, population)
        column = "value" if source == "twinaudit" else source
        values = rows[column].to_numpy(dtype=float)
        spec = REGISTRY[name]
        chosen = 0
        for i in range(1, len(rows)):
            if np.isnan(values[chosen]) or (
                not np.isnan(values[i]) and spec.worse(values[i], values[chosen])
            ):
                chosen = i
        row = rows.iloc[chosen]
        interval = source == "twinaudit"
        return MetricValue(
            values[chosen],
            metric=name,
            population=row["population"],
            source=source,
            attribute=row["attribute"],
            group=row["group"],
            reference=row["reference"],
            low=float(row["low"]) if interval else np.nan,
            high=float(row["high"]) if interval else np.nan,
            undefined=row["undefined"],
        )

    def _select(
        self,
        name: str,
        attribute: str | None,
        group: Any,
        source: str,
        population: str | None,
    ) -> pd.DataFrame:
        if name not in REGISTRY:
            raise DataError(
                f"Unknown metric {name!r}.{did_you_mean(name, REGISTRY)} Metrics: "
                f"{sorted(REGISTRY)}."
            )
        spec = REGISTRY[name]
        if source not in SOURCES:
            raise DataError(
                f"Unknown source {source!r}.{did_you_mean(source, SOURCES)} Sources: "
                f"{list(SOURCES)}."
            )
        if source != "twinaudit" and source not in spec.libraries:
            have = ["twinaudit", *spec.libraries]
            raise DataError(
                f"{source} has no {name!r} with twinaudit's definition "
                f"({spec.definition}); sources for it: {have}."
            )
        if source != "twinaudit" and self.metrics[source].isna().all():
            raise DataError(
                f"This report has no {source} values: the audit ran with "
                "libraries=False. Audit with libraries=True (the default) to compare "
                "with AIF360 and Fairlearn."
            )
        if population is None:
            present = [p for p in spec.populations if p in self.populations]
            population = present[0] if present else spec.populations[0]
        elif population not in POPULATIONS:
            raise DataError(
                f"Unknown population {population!r}."
                f"{did_you_mean(population, POPULATIONS)} Populations: "
                f"{list(POPULATIONS)} (this report has {list(self.populations)})."
            )
        if population not in spec.populations:
            raise DataError(
                f"{name!r} is reported on the {list(spec.populations)} "
                f"population(s), not on {population!r}."
            )
        if spec.needs_labels and self.label_column is None:
            raise DataError(
                f"{name!r} needs true labels; audit with y_true='<label column>' "
                "(twins of real rows keep each row's label)."
            )
        if population not in self.populations:
            raise DataError(
                "This report has no 'observed' population: audit twins of real rows "
                "(from_frame(...)) to measure the model on the real people."
            )
        if spec.needs_scores and self.scored.scores is None:
            raise DataError(
                f"{name!r} needs scores, and the model {self.scored.model_name} has "
                "neither predict_proba nor decision_function."
            )
        table = self.metrics
        rows = table[(table["metric"] == name) & (table["population"] == population)]
        if attribute is not None:
            attributes = list(dict.fromkeys(rows["attribute"].dropna()))
            if attribute not in attributes:
                raise DataError(
                    f"No {name!r} for attribute {attribute!r}."
                    f"{did_you_mean(attribute, map(str, attributes))} Attributes: "
                    f"{attributes}."
                )
            rows = rows[rows["attribute"] == attribute]
        if group is not None:
            if spec.scope != "group":
                raise DataError(
                    f"{name!r} is one number per {spec.scope}, not per group; leave "
                    "out group=."
                )
            groups = rows["group"].tolist()
            if group not in groups:
                raise DataError(
                    f"No {name!r} for group {group!r}"
                    f"{'' if attribute is None else f' of {attribute!r}'}."
                    f"{did_you_mean(str(group), map(str, groups))} Groups: {groups}."
                )
            rows = rows[rows["group"] == group]
        if rows.empty:  # pragma: no cover - every registered metric has rows
            raise DataError(f"The report has no {name!r} on {population!r}.")
        return rows

    def flip(self, attribute: str | None = None, group: Any = None) -> pd.Series:
        """The counterfactual row of one (attribute, unprivileged value); by default
        the row with the highest flip rate."""
        value = self.metric(
            "flip_rate", attribute=attribute, group=group, population="twins"
        )
        table = self.counterfactual
        return table[
            (table["attribute"] == value.attribute) & (table["group"] == value.group)
        ].iloc[0]

    def verdict(self, policy: Policy | None = None) -> Verdict:
        """Check the report against ``policy`` (default: the audit's policy):
        ``pass``, ``fail`` or ``inconclusive`` per rule and overall."""
        from twinaudit.report._policy import Policy, evaluate

        policy = policy if policy is not None else self.policy
        if policy is None:
            raise DataError(
                "No policy to check: pass one, report.verdict(Policy(...)), or audit "
                "with policy=... (load_policy('policy.yaml') reads a file)."
            )
        if not isinstance(policy, Policy):
            raise DataError(
                f"verdict needs a twinaudit Policy. Got {type(policy).__name__}."
            )
        return evaluate(policy, self.metrics, confidence=self.confidence)

    # -- library objects -------------------------------------------------------------
    def to_binary_label_dataset(self, **kwargs: Any) -> Any:
        """The scored twins as an AIF360 ``BinaryLabelDataset``
        (see :func:`twinaudit.adapters.to_binary_label_dataset`)."""
        from twinaudit.adapters import to_binary_label_dataset

        return to_binary_label_dataset(self.scored, **kwargs)

    def to_classification_datasets(self, **kwargs: Any) -> Any:
        """The factual rows as AIF360 ``(dataset_true, dataset_pred)`` (see
        :func:`twinaudit.adapters.to_classification_datasets`)."""
        from twinaudit.adapters import to_classification_datasets

        label = kwargs.pop("label_column", self.label_column)
        if label is None:
            raise DataError(
                "The audit had no labels; pass label_column=... or audit with y_true=."
            )
        return to_classification_datasets(self.scored, label, **kwargs)

    def to_metric_frame(self, **kwargs: Any) -> Any:
        """A Fairlearn ``MetricFrame`` of the decisions by group: all twins by
        default, or, with ``label_column=`` (for example the audit's
        ``report.label_column``), the factual rows with their labels (see
        :func:`twinaudit.adapters.to_metric_frame`)."""
        from twinaudit.adapters import to_metric_frame

        return to_metric_frame(self.scored, **kwargs)

    # -- views -----------------------------------------------------------------------
    def decisions(self, n_pairs: int | None = None) -> pd.DataFrame:
        """The twins with the model's decisions, like the tutorial's table (the
        first ``n_pairs`` pairs, or all)."""
        frame = self.scored.to_frame()
        if n_pairs is not None:
            if (
                isinstance(n_pairs, bool)
                or not isinstance(n_pairs, int | np.integer)
                or n_pairs < 0
            ):
                raise DataError(
                    f"n_pairs must be a whole number >= 0 (or None for all). Got "
                    f"{n_pairs!r}."
                )
            frame = frame.iloc[: int(n_pairs) * self.twins.n_variants]
        return frame

    def summary(self) -> dict[str, Any]:
        """The headline numbers: per group, never collapsed to one group."""
        out: dict[str, Any] = {
            "model": self.scored.model_name,
            "pairs": self.n_pairs,
            "causal_discrimination_score": self.flip_rate,
            "flip_rate": {
                f"{r.attribute}={r.group}": r.flip_rate
                for r in rows(self.counterfactual)
            },
            "mcnemar_p_adjusted": {
                f"{r.attribute}={r.group}": r.mcnemar_p_adjusted
                for r in rows(self.counterfactual)
            },
        }
        for row in rows(self.metrics):
            if row.metric in ("flip_rate", "mcnemar_p"):
                continue
            where = (
                row.attribute if row.group is None else f"{row.attribute}={row.group}"
            )
            key = f"{row.metric}[{row.population}:{where or 'overall'}]"
            out[key] = row.value
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict following the report schema (version 1): ``nan``
        becomes ``None``, with the reason in ``undefined``."""
        return _report_dict(self)

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

        return report_to_markdown(self.to_dict())

    def to_html(
        self, path: str | os.PathLike[str] | None = None, *, overwrite: bool = False
    ) -> str:
        """One self-contained HTML page (figures inlined); written to ``path`` when
        given (never over an existing file unless ``overwrite=True``)."""
        from twinaudit.report._render import report_to_html

        text = report_to_html(self.to_dict())
        if path is not None:
            write_text(Path(path), text, overwrite=overwrite)
        return text

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from twinaudit.report._render import rich_renderables

        yield from rich_renderables(self.to_dict())

    def __repr__(self) -> str:
        return (
            f"AuditReport(model={self.scored.model_name}, pairs={self.n_pairs}, "
            f"flip_rate={self.flip_rate:.3f}, populations={list(self.populations)})"
        )


#: An audit of a spec for more pairs than this streams by itself, in chunks of
#: ``STREAM_CHUNK`` pairs (same result; ``report.scored`` keeps the first pairs).
STREAM_ABOVE = 1_000_000
STREAM_CHUNK = 500_000


def audit(
    model: Any,
    twins: Twins | TwinSpec,
    *,
    n_pairs: int | None = None,
    y_true: str | Sequence[Any] | np.ndarray | None = None,
    favorable_label: Any = None,
    features: Sequence[str] | None = None,
    confidence: float | None = None,
    policy: Policy | None = None,
    min_cell_size: int = 30,
    bins: Any = 5,
    libraries: bool = True,
    random_state: int = 0,
    n_boot: int = 1000,
    allow_unread: bool = False,
    chunk_size: int | None = None,
    n_jobs: int | None = None,
    backend: Literal["local", "dask"] = "local",
    client: Any = None,
    progress: bool | None = None,
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
    y_true : str or array-like, optional
        True labels, for the metrics of the ``observed`` population (the factual
        rows of twins of real rows): a column of the twins (``from_frame`` copies
        it to every twin), or one label per pair. Labels use the model's label
        values; the favourable one is ``favorable_label``.
    favorable_label : object, optional
        The favourable prediction (default 1/True for 0/1 models).
    features : sequence of str, optional
        Columns to feed the model (default: its ``feature_names_in_``).
    confidence : float, optional
        Level of the intervals (default 0.95, or ``1 - policy.significance``).
    policy : Policy, optional
        Rules to check; ``report.verdict()`` then gives the verdict.
    min_cell_size : int
        Groups (or audits) with fewer rows (profiles) are flagged ``too_small``;
        a policy rule on them is inconclusive.
    bins : int or mapping
        Quantile bins per feature for "where the bias lives", or
        ``{feature: [edges]}``.
    libraries : bool
        Also compute the metrics with AIF360 and Fairlearn (imports them, about two
        seconds the first time).
    random_state : int
        Seed of the bootstrap intervals and of the rule tree.
    n_boot : int
        Bootstrap replicates for the intervals of group metrics and score gaps.
    allow_unread : bool
        Audit an attribute the model never reads (warns instead of raising).
    chunk_size : int, optional
        Stream the audit: generate (or slice), score and accumulate this many pairs
        at a time, in memory bounded by the chunk, on ``n_jobs`` threads. The
        result equals the one-shot audit's (counts to the last bit); the rules
        of "where the bias lives" describe a uniform sample of at most 100,000
        profiles (the same however the audit is chunked; its bins count every
        profile), and ``report.scored`` holds the first 10,000 pairs. Default:
        one chunk (``backend="local"``), except for a spec audited for more
        than 1,000,000 pairs, which streams in chunks of 500,000 so that memory
        does not grow with ``n_pairs``.
    n_jobs : int, optional
        Threads scoring chunks of a streamed audit (default: one per core).
    backend : {"local", "dask"}
        ``"dask"`` generates, scores and accumulates the chunks on a
        ``dask.distributed`` cluster (``pip install 'twinaudit[dask]'``), with the
        same result: the model is sent to every worker once, and the accumulators
        are merged on the cluster.
    client : dask.distributed.Client or str, optional
        The cluster for ``backend="dask"``: a running client or a scheduler
        address. Default: a local cluster of 2 worker processes, closed after
        the audit.
    progress : bool, optional
        Show a progress bar on stderr for a streamed audit (default: on a
        terminal, for four chunks or more).

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
    from twinaudit.report._streaming import check_stream_options

    check_stream_options(chunk_size, n_jobs, backend, client)
    if (
        chunk_size is None
        and backend == "local"
        and isinstance(twins, TwinSpec)
        and isinstance(n_pairs, int | np.integer)
        and not isinstance(n_pairs, bool)
        and n_pairs > STREAM_ABOVE
    ):
        # Millions of pairs: stream by default, in bounded memory, same result.
        chunk_size = STREAM_CHUNK
    if chunk_size is not None or backend != "local":
        return _streamed(
            model,
            twins,
            n_pairs=n_pairs,
            y_true=y_true,
            favorable_label=favorable_label,
            features=features,
            confidence=confidence,
            policy=policy,
            min_cell_size=min_cell_size,
            bins=bins,
            libraries=libraries,
            random_state=random_state,
            n_boot=n_boot,
            allow_unread=allow_unread,
            chunk_size=chunk_size,
            n_jobs=n_jobs,
            backend=backend,
            client=client,
            progress=progress,
        )
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
    confidence = _confidence(confidence, policy)
    if (
        isinstance(y_true, str)
        and features is None
        and not hasattr(model, "feature_names_in_")
    ):
        # A model that does not name its columns gets every twin column: not the
        # true outcome.
        features = [c for c in model_input(twins).columns if c != y_true]
    scored = score(
        model,
        twins,
        favorable_label=favorable_label,
        features=features,
        **({"allow_unread": True} if allow_unread else {}),
    )
    return report_from_scored(
        scored,
        y_true=y_true,
        confidence=confidence,
        policy=policy,
        min_cell_size=min_cell_size,
        bins=bins,
        libraries=libraries,
        random_state=random_state,
        n_boot=n_boot,
    )


def _streamed(
    model: Any,
    twins: Twins | TwinSpec,
    *,
    n_pairs: int | None,
    y_true: Any,
    features: Sequence[str] | None,
    confidence: float | None,
    policy: Policy | None,
    min_cell_size: int,
    n_boot: int,
    random_state: int,
    chunk_size: int | None,
    **options: Any,
) -> AuditReport:
    """The audit of :func:`audit` in chunks (``chunk_size``) or on Dask."""
    from twinaudit.generation._engine import _check_request
    from twinaudit.report._streaming import stream_audit

    confidence = _confidence(confidence, policy)
    min_cell_size = _check_count("min_cell_size", min_cell_size, 0)
    n_boot = _check_count("n_boot", n_boot, 0)
    random_state = _check_count("random_state", random_state, 0)
    if isinstance(twins, TwinSpec):
        total = 1000 if n_pairs is None else n_pairs
        _check_request(total, None, None)  # the error generate() gives
    elif isinstance(twins, Twins):
        if n_pairs is not None:
            raise DataError(
                "n_pairs is only used when auditing a TwinSpec; the twins "
                "are already generated."
            )
        total = twins.n_pairs
        if (
            isinstance(y_true, str)
            and features is None
            and not hasattr(model, "feature_names_in_")
        ):
            features = [c for c in model_input(twins).columns if c != y_true]
    else:
        raise DataError(
            f"audit needs Twins (from generate/from_frame) or a TwinSpec. Got "
            f"{type(twins).__name__}."
        )
    bins = options.pop("bins")
    libraries = options.pop("libraries")
    accumulator, sample, label_column = stream_audit(
        model,
        twins,
        int(total),
        chunk_size=chunk_size,
        y_true=y_true,
        features=features,
        random_state=random_state,
        **options,
    )
    return report_from_accumulator(
        accumulator,
        sample,
        label_column=label_column,
        confidence=confidence,
        policy=policy,
        min_cell_size=min_cell_size,
        bins=bins,
        libraries=libraries,
        random_state=random_state,
        n_boot=n_boot,
    )


def _confidence(confidence: float | None, policy: Any) -> float:
    if policy is not None:
        from twinaudit.report._policy import Policy

        if not isinstance(policy, Policy):
            raise DataError(
                f"policy must be a twinaudit Policy (load_policy('file.yaml') reads "
                f"one). Got {type(policy).__name__}."
            )
        implied = 1 - policy.significance
        if confidence is None:
            return implied
        if abs(confidence - implied) > 1e-9:
            raise DataError(
                f"confidence={confidence!r} disagrees with the policy's significance "
                f"{policy.significance!r}; leave out confidence= to use "
                f"{implied:.4g}."
            )
    if confidence is None:
        return 0.95
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, float | int)
        or not 0 < confidence < 1
    ):
        raise DataError(
            f"confidence must be a number between 0 and 1 (e.g. 0.95). Got "
            f"{confidence!r}."
        )
    return float(confidence)


def _check_count(name: str, value: Any, low: int) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or value < low
    ):
        raise DataError(f"{name} must be a whole number >= {low}. Got {value!r}.")
    return int(value)


def report_from_scored(
    scored: ScoredTwins,
    *,
    y_true: str | Sequence[Any] | np.ndarray | None = None,
    confidence: float | None = None,
    policy: Policy | None = None,
    min_cell_size: int = 30,
    bins: Any = 5,
    libraries: bool = True,
    random_state: int = 0,
    n_boot: int = 1000,
) -> AuditReport:
    """Compute every metric of already scored twins (see :func:`audit`): the
    audit's accumulator fed once. ``confidence`` defaults to 1 - the policy's
    significance, or 0.95 without a policy."""
    confidence = _confidence(confidence, policy)
    min_cell_size = _check_count("min_cell_size", min_cell_size, 0)
    n_boot = _check_count("n_boot", n_boot, 0)
    random_state = _check_count("random_state", random_state, 0)
    label_column, labels = _labels(scored, y_true)
    accumulator = new_accumulator(
        scored, label_column, labels is not None, random_state
    )
    feed(accumulator, scored, labels, offset=0)
    return report_from_accumulator(
        accumulator,
        scored,
        label_column=label_column,
        confidence=confidence,
        policy=policy,
        min_cell_size=min_cell_size,
        bins=bins,
        libraries=libraries,
        random_state=random_state,
        n_boot=n_boot,
    )


def _where_columns(twins: Twins, label_column: str | None) -> list[str]:
    """The base profiles' own features (not the protected attributes, their
    proxies, identifiers or the label)."""
    hidden = {twins.pair_column, *twins.moving_columns, label_column}
    hidden |= {a.name for a in twins.protected}
    if twins.spec is not None:  # identifiers describe no one
        hidden |= {f.name for f in twins.spec.fields if isinstance(f, Identifier)}
    return [c for c in twins.frame.columns if c not in hidden]


def new_accumulator(
    scored: ScoredTwins, label_column: str | None, labels: bool, random_state: int
) -> AuditAccumulator:
    """An empty accumulator for audits of twins shaped like ``scored``'s."""
    twins = scored.twins
    attributes = twins.varied_attributes
    items = comparisons(
        [a.name for a in attributes],
        [list(a.values) for a in attributes],
        [a.privileged for a in attributes],
    )
    observed = None
    if real_rows(twins) is not None:
        observed = [len(g.groups) for g, _, _ in _twin_groupings(attributes)]
    return AuditAccumulator(
        twins.n_variants,
        items,
        scores=scored.scores is not None,
        observed_groups=observed,
        labels=labels,
        where_columns=_where_columns(twins, label_column),
        random_state=random_state,
    )


def feed(
    accumulator: AuditAccumulator,
    scored: ScoredTwins,
    labels: np.ndarray | None,
    offset: int,
) -> None:
    """Add a chunk of scored twins whose first pair is pair ``offset``."""
    twins = scored.twins
    observed = None
    if accumulator.observed_groups is not None:
        factual = np.asarray(twins.factual, dtype=bool)
        first = twins.varied_attributes[0]
        observed = ObservedChunk(
            codes=tuple(_observed_codes(twins, factual)),
            y_pred=scored.y_pred[factual],
            y_true=labels,
            theil_codes=twins.codes(first.name)[factual],
        )
    accumulator.update(
        scored.decision_matrix(),
        scored.score_matrix(),
        offset=offset,
        frame=twins.frame,
        observed=observed,
    )


def report_from_accumulator(
    accumulator: AuditAccumulator,
    sample: ScoredTwins,
    *,
    label_column: str | None,
    confidence: float,
    policy: Policy | None,
    min_cell_size: int,
    bins: Any,
    libraries: bool,
    random_state: int,
    n_boot: int,
) -> AuditReport:
    """Every metric of an audit from its accumulator; ``sample`` (all the scored
    twins, or the first pairs of a streamed audit) becomes ``report.scored``.

    "Where the bias lives" (a tree fitted on up to 100,000 profiles, which runs
    without the GIL) is computed on a second thread while this one computes the
    rest, when there is a second core and enough profiles to be worth it: the
    same result, sooner."""
    threaded = accumulator.n_profiles >= WHERE_THREAD_ABOVE and two_cores()
    with in_background(
        _where,
        accumulator,
        bins,
        random_state,
        threaded=threaded,
        name="twinaudit-where",
    ) as where:
        return _assemble_report(
            accumulator,
            sample,
            where,
            label_column=label_column,
            confidence=confidence,
            policy=policy,
            min_cell_size=min_cell_size,
            libraries=libraries,
            random_state=random_state,
            n_boot=n_boot,
        )


#: Profiles from which "where the bias lives" runs on a second thread.
WHERE_THREAD_ABOVE = 20_000


def _assemble_report(
    accumulator: AuditAccumulator,
    sample: ScoredTwins,
    where_result: Any,
    *,
    label_column: str | None,
    confidence: float,
    policy: Policy | None,
    min_cell_size: int,
    libraries: bool,
    random_state: int,
    n_boot: int,
) -> AuditReport:
    twins = sample.twins
    attributes = twins.varied_attributes
    names = [a.name for a in attributes]
    values = [list(a.values) for a in attributes]
    rng = np.random.default_rng(random_state)
    has_labels = accumulator.labels

    metric_rows: list[dict[str, Any]] = []
    group_rows: list[dict[str, Any]] = []

    def add(
        population: str,
        grouping: Grouping,
        group_codes: list[dict[str, float]],
        cells: np.ndarray,
        replicates: np.ndarray | None,
        has_labels: bool,
    ) -> None:
        g_rows, m_rows = group_metric_rows(
            population,
            grouping,
            cells,
            replicates,
            labels=has_labels,
            confidence=confidence,
            min_cell_size=min_cell_size,
        )
        if libraries:
            _library_columns(m_rows, grouping, group_codes, cells, has_labels)
        group_rows.extend(g_rows)
        metric_rows.extend(m_rows)

    # -- the twins: every decision metric from the profiles' decision patterns ------
    patterns, counts = accumulator.pattern_table()
    n_profiles = accumulator.n_profiles
    n_variants = accumulator.n_variants
    # Every audit has profiles; n_boot=0 draws an empty (0, patterns) array.
    boot = rng.multinomial(n_profiles, counts / counts.sum(), size=n_boot)
    groupings = _twin_groupings(attributes)
    for grouping, group_codes, column_group in groupings:
        n_groups = len(grouping.groups)
        onehot = np.zeros((n_variants, n_groups))
        onehot[np.arange(n_variants), column_group] = 1
        # every group has variant columns (each combination is a variant)
        per_group = np.bincount(column_group) * n_profiles
        membership = patterns @ onehot  # favourable twins per pattern and group
        cells = _decision_cells(counts @ membership, per_group)
        replicates = _decision_cells(boot @ membership, per_group)
        add("twins", grouping, group_codes, cells, replicates, False)

    # -- the real people: factual rows ----------------------------------------------
    observed_rows = None
    observed_cells = accumulator.observed_cells()
    if observed_cells is not None:
        observed_rows = int(observed_cells[0].sum())
        for (grouping, group_codes, _), cells in zip(
            groupings, observed_cells, strict=True
        ):
            flat = cells.ravel()
            total = int(flat.sum())
            # Every pair of real rows has one factual row, so total >= 1.
            observed_replicates = rng.multinomial(
                total, flat / total, size=n_boot
            ).reshape((n_boot, *cells.shape))
            add(
                "observed",
                grouping,
                group_codes,
                cells,
                observed_replicates,
                has_labels,
            )
        rows_with_labels = accumulator.observed_rows()
        if rows_with_labels is not None:  # only kept with labels
            metric_rows.append(_theil_row(*rows_with_labels, libraries, min_cell_size))

    # -- paired statistics ------------------------------------------------------------
    counterfactual, histograms = accumulator.counterfactual_table(
        confidence=confidence,
        min_cell_size=min_cell_size,
        n_boot=n_boot,
        random_state=random_state,
    )
    cochran = accumulator.cochran_table(names, values)
    adjust_pvalues(counterfactual, cochran)
    metric_rows.extend(_counterfactual_rows(counterfactual, accumulator.scores))
    flipped, n = accumulator.flipped(), n_profiles
    where = where_result()
    low, high = proportion_interval(flipped, n, confidence)
    metric_rows.append(
        metric_row(
            metric="causal_discrimination_score",
            population="twins",
            attribute=None,
            group=None,
            reference=None,
            value=flipped / n,
            low=low,
            high=high,
            undefined=None,
            too_small=n < min_cell_size,
        )
    )
    metrics = result_frame(metric_rows, list(metric_rows[0]))
    notes = (*sample.notes, *dict.fromkeys(metrics["undefined"].dropna().tolist()))
    if n > accumulator.where_size:
        exact = set(accumulator.value_counts())
        shown = list(dict.fromkeys(where.bins["feature"])) if where is not None else []
        sampled = [f for f in shown if f not in {str(c) for c in exact}]
        notes += (
            f"Where the bias lives: the rules and the quantile edges describe a "
            f"uniform sample of {accumulator.where_size:,} of the {n:,} base "
            "profiles (the same profiles however the audit is chunked); "
            + (
                "the bins count every profile."
                if not sampled
                else f"the bins of {', '.join(sampled)} (more than "
                f"{_accumulator.EXACT_VALUES:,} distinct values) count the sample, "
                "the others every profile."
            )
            + " Every other number counts all of them.",
        )
    undefined = tuple(dict.fromkeys(metrics["undefined"].dropna().tolist()))
    if undefined:
        warnings.warn(
            f"{len(undefined)} metric(s) are undefined on this data and reported as "
            f"nan; the reasons are in report.notes (first: {undefined[0]})",
            UndefinedMetricWarning,
            stacklevel=caller_level(),
        )
    return AuditReport(
        scored=sample,
        metrics=metrics,
        groups=result_frame(group_rows, list(group_rows[0])),
        counterfactual=counterfactual,
        cochran=cochran,
        score_gaps=tuple(histograms),
        flipped_pairs=flipped,
        n_pairs=n,
        confidence=confidence,
        min_cell_size=min_cell_size,
        label_column=label_column,
        observed_rows=observed_rows,
        where=where,
        policy=policy,
        notes=notes,
    )


def _where(
    accumulator: AuditAccumulator, bins: Any, random_state: int, top: int = 10
) -> Any:
    """Where the bias lives, on the accumulator's sample of base profiles; the
    largest score gaps over all profiles."""
    kept = accumulator.where_sample()
    if kept is None:  # pragma: no cover - every audit has at least one profile
        return None
    profiles, flipped, _ = kept
    for column in list(profiles.columns):
        series = profiles[column]
        text = series.dtype.kind not in "biufmM" and not isinstance(
            series.dtype, pd.CategoricalDtype
        )
        # A text column with a value per profile is an identifier, not a trait.
        if text and series.nunique() > max(50, len(series) // 2):
            profiles = profiles.drop(columns=[column])
    counts = None
    if accumulator.n_profiles > len(profiles):  # a sample: count bins on everyone
        counts = {
            c: (v.values, v.profiles, v.flips)
            for c, v in accumulator.value_counts().items()
            if c in profiles.columns
        }
    where = where_bias_lives(
        profiles,
        flipped,
        None,
        bins=bins,
        top=top,
        random_state=random_state,
        counts=counts,
    )
    if not accumulator.scores:
        return where
    gaps = [g for g in accumulator.largest_gaps() if not np.isnan(g["score_gap"])]
    if not gaps:
        return where
    order = np.argsort(-np.abs([g["score_gap"] for g in gaps]), kind="stable")[:top]
    features = list(profiles.columns)
    largest = pd.DataFrame(
        [
            {
                **gaps[i],
                "features": {c: gaps[i]["features"][c] for c in features},
            }
            for i in order
        ],
        columns=["pair", "attribute", "group", "score_gap", "features"],
    )
    return Where(bins=where.bins, rules=where.rules, largest_gaps=largest)


def _decision_cells(favourable: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``[..., group, decision, label]`` counts from favourable counts per group
    (no labels: every row in label 0)."""
    favourable = np.asarray(favourable, dtype=float)
    cells = np.zeros((*favourable.shape, 2, 2))
    cells[..., 1, 0] = favourable
    cells[..., 0, 0] = n - favourable
    return cells


def _aif360_codes(attribute: ProtectedAttribute) -> dict[Any, float]:
    from twinaudit.adapters._encoding import attribute_codes

    return attribute_codes(attribute)


def _intersection_label(values: Sequence[Any]) -> str:
    return " & ".join(str(v) for v in values)


def _twin_groupings(
    attributes: Sequence[ProtectedAttribute],
) -> list[tuple[Grouping, list[dict[str, float]], np.ndarray]]:
    """Per varied attribute (and their intersection): the grouping, the AIF360
    codes of each group, and the group of each variant column."""
    import itertools

    combos = list(itertools.product(*(range(len(a.values)) for a in attributes)))
    out = []
    for i, a in enumerate(attributes):
        codes = _aif360_codes(a)
        column_group = np.array([c[i] for c in combos])
        out.append(
            (
                Grouping(a.name, tuple(a.values), a.values.index(a.privileged)),
                [{a.name: codes[v]} for v in a.values],
                column_group,
            )
        )
    if len(attributes) > 1:
        out.append(
            (
                _intersection(attributes, combos),
                _intersection_codes(attributes, combos),
                np.arange(len(combos)),
            )
        )
    return out


def _intersection(
    attributes: Sequence[ProtectedAttribute], combos: list[tuple[int, ...]]
) -> Grouping:
    groups = tuple(
        _intersection_label(
            [a.values[c] for a, c in zip(attributes, combo, strict=True)]
        )
        for combo in combos
    )
    reference = _intersection_label([a.privileged for a in attributes])
    return Grouping(
        " & ".join(a.name for a in attributes), groups, groups.index(reference)
    )


def _intersection_codes(
    attributes: Sequence[ProtectedAttribute], combos: list[tuple[int, ...]]
) -> list[dict[str, float]]:
    maps = [_aif360_codes(a) for a in attributes]
    return [
        {
            a.name: m[a.values[c]]
            for a, m, c in zip(attributes, maps, combo, strict=True)
        }
        for combo in combos
    ]


def _observed_codes(twins: Twins, factual: np.ndarray) -> list[np.ndarray]:
    """Each factual row's group per varied attribute, then, with two or more, per
    intersection (the order of the observed groupings)."""
    attributes = twins.varied_attributes
    row_codes = [twins.codes(a.name)[factual] for a in attributes]
    if len(attributes) > 1:
        combined = np.zeros(int(factual.sum()), dtype=np.int64)
        for a, codes in zip(attributes, row_codes, strict=True):
            combined = combined * len(a.values) + codes
        row_codes.append(combined)
    return row_codes


def _library_columns(
    rows: list[dict[str, Any]],
    grouping: Grouping,
    group_codes: list[dict[str, float]],
    cells: np.ndarray,
    labels: bool,
) -> None:
    """Fill the ``aif360`` and ``fairlearn`` columns of ``rows`` with the values
    those libraries compute on the same counts."""
    from twinaudit.adapters._aif360 import aif360_group_metrics
    from twinaudit.adapters._fairlearn import fairlearn_group_metrics

    aif = aif360_group_metrics(cells, group_codes, grouping.privileged, labels=labels)
    fair = fairlearn_group_metrics(cells, grouping.groups, labels=labels)
    index = {g: i for i, g in enumerate(grouping.groups)}
    for row in rows:
        libraries = REGISTRY[row["metric"]].libraries
        group = row["group"]
        if "aif360" in libraries and group is not None:
            row["aif360"] = aif.get(index[group], {}).get(libraries["aif360"], np.nan)
        if "fairlearn" in libraries:
            name = libraries["fairlearn"]
            if group is None:
                row["fairlearn"] = fair.get(name, np.nan)
            else:
                row["fairlearn"] = fair["by_group"].get(group, {}).get(name, np.nan)


def _theil_row(
    codes: np.ndarray,
    y_pred: np.ndarray,
    truth: np.ndarray,
    libraries: bool,
    min_cell_size: int,
) -> dict[str, Any]:
    """The Theil index of the factual rows (``codes``: the first varied
    attribute's, for AIF360, which computes it on the rows)."""
    cells = cell_counts(np.zeros(len(y_pred), np.int64), y_pred, truth, 1)
    value = theil_index(cells)
    row = metric_row(
        metric="theil_index",
        population="observed",
        attribute=None,
        group=None,
        reference=None,
        value=value,
        low=np.nan,
        high=np.nan,
        undefined=None
        if np.isfinite(value)
        else "Theil index on the observed population is undefined: no row has a "
        "positive benefit.",
        too_small=len(y_pred) < min_cell_size,
    )
    if libraries:
        from twinaudit.adapters._aif360 import aif360_theil_index

        row["aif360"] = aif360_theil_index(codes, y_pred, truth)
    return row


def _counterfactual_rows(
    counterfactual: pd.DataFrame, has_scores: bool
) -> list[dict[str, Any]]:
    out = []
    for r in rows(counterfactual):
        common = {
            "population": "twins",
            "attribute": r.attribute,
            "group": r.group,
            "reference": r.reference,
            "too_small": bool(r.too_small),
        }
        out.append(
            metric_row(
                metric="flip_rate",
                value=r.flip_rate,
                low=r.flip_rate_low,
                high=r.flip_rate_high,
                undefined=r.undefined,
                **common,
            )
        )
        out.append(
            metric_row(
                metric="mcnemar_p",
                value=r.mcnemar_p_adjusted,
                low=np.nan,
                high=np.nan,
                undefined=r.undefined,
                **common,
            )
        )
        if has_scores:
            out.append(
                metric_row(
                    metric="mean_score_gap",
                    value=r.mean_score_gap,
                    low=r.score_gap_low,
                    high=r.score_gap_high,
                    undefined=r.undefined,
                    **common,
                )
            )
    return out


def _labels(scored: ScoredTwins, y_true: Any) -> tuple[str | None, np.ndarray | None]:
    """The true labels of the factual rows as 0/1 (1 = favourable), and the label
    column's name."""
    if y_true is None:
        return None, None
    twins = scored.twins
    if real_rows(twins) is None:
        raise DataError(
            "y_true needs real rows: these twins were generated, so there is no real "
            "person whose outcome the label could be. Build the twins from your "
            "labelled data with from_frame(data, protected=...) and pass "
            "y_true='<label column>'."
        )
    factual = np.asarray(twins.factual, dtype=bool)
    favourable = scored.favorable_label
    if isinstance(y_true, str):
        column = y_true
        if column not in twins.frame.columns:
            raise DataError(
                f"y_true={column!r} is not a column of the twins."
                f"{did_you_mean(column, map(str, twins.frame.columns))} Columns: "
                f"{[str(c) for c in twins.frame.columns]}."
            )
        if column in scored.features:
            raise DataError(
                f"The label column {column!r} is one of the model's input columns "
                f"{list(scored.features)}; a model must not read the true outcome. "
                "Drop it from features=... (or from the model's training columns)."
            )
        truth = twins.frame[column].to_numpy()[factual]
    else:
        column = "y_true"
        truth = np.asarray(y_true)
        if truth.ndim != 1 or len(truth) != twins.n_pairs:
            raise DataError(
                f"y_true must be a column name or one label per pair ({twins.n_pairs}"
                f"). Got an array of shape {truth.shape}."
            )
    series = pd.Series(truth)
    if series.isna().any():
        raise DataError(
            f"True labels {column!r} have {int(series.isna().sum())} missing "
            "value(s); drop those rows or fill them before auditing."
        )
    observed = list(pd.unique(series))
    if len(observed) > 2:
        raise DataError(
            f"True labels {column!r} are not binary: they hold {len(observed)} "
            f"values, e.g. {sorted(map(str, observed))[:6]}. Map them to the model's "
            "two labels first."
        )
    if favourable not in observed and not set(observed) <= set(_model_labels(scored)):
        raise DataError(
            f"True labels {column!r} hold {sorted(map(str, observed))}, and none is "
            f"the favourable decision {favourable!r}: labels must use the model's "
            "label values (map them first, e.g. {'approved': 1, 'denied': 0})."
        )
    return column, (series.to_numpy() == favourable).astype(np.int8)


def _model_labels(scored: ScoredTwins) -> list[Any]:
    return pd.unique(pd.Series(scored.predictions)).tolist()


def _report_dict(report: AuditReport) -> dict[str, Any]:
    from twinaudit import __version__

    scored = report.scored
    twins = scored.twins
    head = report.metrics[report.metrics["metric"] == "causal_discrimination_score"]
    verdict = report.verdict().to_dict() if report.policy is not None else None
    used = list(dict.fromkeys(report.metrics["metric"]))
    return {
        "schema_version": SCHEMA_VERSION,
        "twinaudit_version": __version__,
        "model": {
            "name": scored.model_name,
            "features": list(scored.features),
            "favorable_label": finite_or_none(scored.favorable_label),
            "scores": getattr(scored, "score_source", None)
            or ("predict_proba" if scored.scores is not None else None),
        },
        "confidence": report.confidence,
        "pairs": report.n_pairs,
        "variants": twins.n_variants,
        "attributes": [
            {
                "name": a.name,
                "values": [finite_or_none(v) for v in a.values],
                "privileged": finite_or_none(a.privileged),
                "varied": a.name in twins.varied,
            }
            for a in twins.protected
        ],
        "populations": {
            "twins": {
                "rows": report.n_pairs * twins.n_variants,
                "profiles": report.n_pairs,
            },
            "observed": None
            if report.observed_rows is None
            else {
                "rows": report.observed_rows,
                "labels": report.label_column is not None,
            },
        },
        "headline": {
            "causal_discrimination_score": report.flip_rate,
            "low": finite_or_none(head["low"].iloc[0]),
            "high": finite_or_none(head["high"].iloc[0]),
            "flipped_profiles": report.flipped_pairs,
            "profiles": report.n_pairs,
        },
        "groups": records(report.groups),
        "metrics": records(report.metrics),
        "counterfactual": records(
            report.counterfactual.drop(
                columns=["discordant_reference", "discordant_group", "too_small"]
            )
        ),
        "score_gaps": [dict(h) for h in report.score_gaps],
        "cochran": records(report.cochran),
        "where": None if report.where is None else report.where.to_dict(),
        "verdict": verdict,
        "registry": {
            name: {
                "label": REGISTRY[name].label,
                "definition": REGISTRY[name].definition,
                "parity": finite_or_none(REGISTRY[name].parity),
                "direction": REGISTRY[name].direction,
                "libraries": list(REGISTRY[name].libraries),
                "undefined": REGISTRY[name].undefined,
            }
            for name in used
        },
        "notes": list(report.notes),
    }


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A result table as JSON-ready records (``nan`` -> ``None``)."""
    return [
        {str(k): finite_or_none(v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


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
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | np.datetime64):
        return str(value)
    return value
