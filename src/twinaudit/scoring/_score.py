"""Feed twins to a model: the columns and codes it expects, decisions and scores."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from twinaudit._stack import caller_level
from twinaudit._threads import in_background, two_cores
from twinaudit.exceptions import (
    DataError,
    ModelError,
    TwinauditWarning,
    UnreadAttributeWarning,
    did_you_mean,
)
from twinaudit.generation import Twins
from twinaudit.generation._twins import suggest_value
from twinaudit.spec import Derived, ProtectedAttribute

__all__ = ["ScoreSource", "ScoredTwins", "model_input", "score"]

#: Which method of the model gave :attr:`ScoredTwins.scores`.
ScoreSource = Literal["predict_proba", "decision_function"]

_SHOWN = 10  # columns listed in a message


@dataclass(frozen=True, eq=False)
class ScoredTwins:
    """Twins with the model's decisions.

    Attributes
    ----------
    twins : Twins
    y_pred : ndarray of int8
        1 where the model's decision is the favourable one, per row of the twins.
    predictions : ndarray
        The model's raw predictions.
    scores : ndarray of float or None
        The model's score of the favourable decision: the probability of the
        favourable class (``predict_proba``), or the decision function signed so
        that higher favours the person (``decision_function``); None for a model
        with neither.
    favorable_label : object
        The prediction counted as favourable.
    model_name : str
    features : tuple of str
        The columns passed to the model, in order.
    score_source : {"predict_proba", "decision_function"} or None
        The method that gave ``scores``.
    notes : tuple of str
        What the audit should say about how the model was run (a model that
        reads the protected attribute directly through ``sensitive_features``).
    """

    twins: Twins
    y_pred: np.ndarray
    predictions: np.ndarray
    scores: np.ndarray | None
    favorable_label: Any
    model_name: str
    features: tuple[str, ...]
    score_source: ScoreSource | None = None
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.score_source not in (None, *get_args(ScoreSource)):
            raise ModelError(
                f"score_source must be one of {list(get_args(ScoreSource))} or None. "
                f"Got {self.score_source!r}."
            )
        if self.scores is None and self.score_source is not None:
            raise ModelError(
                f"score_source is {self.score_source!r} but there are no scores."
            )

    @property
    def n_pairs(self) -> int:
        return self.twins.n_pairs

    def __repr__(self) -> str:
        return (
            f"ScoredTwins({self.model_name} on {self.twins!r}: "
            f"{int(self.y_pred.sum()):,} of {len(self.y_pred):,} decisions favourable)"
        )

    def decision_matrix(self) -> np.ndarray:
        """``(n_pairs, n_variants)`` favourable decisions, columns in the order of
        ``twins.combinations()``."""
        return self.y_pred.reshape(self.twins.n_pairs, self.twins.n_variants)

    def score_matrix(self) -> np.ndarray | None:
        if self.scores is None:
            return None
        return self.scores.reshape(self.twins.n_pairs, self.twins.n_variants)

    def to_frame(self, decision_column: str = "decision") -> pd.DataFrame:
        """The twins with the model's decision (and score) appended."""
        frame = self.twins.frame.copy()
        if decision_column in frame.columns:
            raise DataError(
                f"The twins already have a column {decision_column!r}; pass another "
                "decision_column=... name."
            )
        frame[decision_column] = self.predictions
        if self.scores is not None:
            frame[f"{decision_column}_score"] = self.scores
        return frame


def _model_name(model: Any) -> str:
    name = type(model).__name__
    if name == "function":
        return getattr(model, "__name__", "function")
    return name


def model_input(
    twins: Twins,
    model: Any = None,
    features: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The frame the model sees: protected values as plain values (the model's
    codes under its column names where the attribute has ``model_column`` /
    ``encoding``), and only the columns the model was trained on
    (``feature_names_in_``, or ``features``)."""
    frame = twins.frame
    encoded: dict[str, Any] = {}
    replaced: set[str] = set()
    # Protected columns reach the model as plain values (its codes where an
    # encoding is given), never as pandas categoricals, whose dtype some
    # estimators read (HistGradientBoosting's categorical_features="from_dtype").
    for attribute in twins.protected:
        codes = twins.codes(attribute.name)
        table = np.asarray([attribute.code(v) for v in attribute.values])
        if table.dtype.kind not in "biuf":  # text codes stay Python objects
            table = np.asarray(
                [attribute.code(v) for v in attribute.values], dtype=object
            )
            encoded[attribute.column] = pd.Series(table[codes], dtype=object)
        else:
            encoded[attribute.column] = table[codes]
        if attribute.model_column is not None:
            replaced.add(attribute.name)
    wanted: list[str] | None = None
    if features is not None:
        wanted = list(features)
    elif model is not None and hasattr(model, "feature_names_in_"):
        wanted = [str(c) for c in model.feature_names_in_]
    available = [
        c for c in frame.columns if c != twins.pair_column and c not in replaced
    ]
    available += [c for c in encoded if c not in available]
    if wanted is None:
        wanted = available
    missing = [c for c in wanted if c not in available]
    if missing:
        hints = "".join(did_you_mean(c, available) for c in missing[:1])
        protected = [p.name for p in twins.protected]
        raise DataError(
            f"The model needs column(s) {missing} that the twins do not have.{hints} "
            f"Twins provide {available}. Add them to the spec as fields, or, if one is "
            f"a protected attribute under another name or coding, set model_column= "
            f"and encoding= on the ProtectedAttribute ({protected})."
        )
    columns = {c: (encoded[c] if c in encoded else frame[c]) for c in wanted}
    return pd.DataFrame(columns, copy=False).set_axis(frame.index)


def score(
    model: Any,
    twins: Twins,
    *,
    favorable_label: Any = None,
    features: Sequence[str] | None = None,
    allow_unread: bool = False,
) -> ScoredTwins:
    """Run ``model`` on ``twins``.

    The model runs once for its decisions (``predict``) and, when it has them,
    once for its scores: ``predict_proba`` (the favourable class's column, found
    by its position in ``classes_``), else ``decision_function`` (signed so that
    higher favours the person). A scoring method that fails raises
    :class:`~twinaudit.exceptions.ModelError` rather than leaving the scores out
    silently.

    Parameters
    ----------
    model : estimator or callable
        A fitted scikit-learn estimator or pipeline (anything with ``predict``), or
        a callable ``DataFrame -> decisions``. A pandas Series is matched to the
        rows by its index.
    twins : Twins
    favorable_label : object, optional
        The favourable prediction. Defaults to ``1``/``True`` for 0/1 models;
        required when the model predicts other labels. It must be one of the
        model's ``classes_`` (or of the labels it returned).
    features : sequence of str, optional
        Columns to pass, in order. Defaults to the model's ``feature_names_in_``, or
        every twin column except the pair id.
    allow_unread : bool
        Audit a varied attribute that none of the model's inputs follows (it then
        finds no bias by construction) with an
        :class:`~twinaudit.exceptions.UnreadAttributeWarning` instead of an error.

    Returns
    -------
    ScoredTwins

    Raises
    ------
    ModelError
        The model cannot score the twins, does not return one binary decision per
        row, or does not read a varied attribute (unless ``allow_unread``).

    Examples
    --------
    >>> from twinaudit.datasets import loan_applications, loan_model, loan_twin_spec
    >>> from twinaudit.generation import generate
    >>> scored = score(loan_model(loan_applications()), generate(loan_twin_spec(), 4))
    >>> scored.decision_matrix().shape, scored.score_source
    ((4, 2), 'predict_proba')
    """
    if not isinstance(twins, Twins):
        raise DataError(f"score needs Twins. Got {type(twins).__name__}.")
    if not isinstance(allow_unread, bool | np.bool_):
        raise DataError(f"allow_unread must be True or False. Got {allow_unread!r}.")
    predict: Callable[[pd.DataFrame], Any]
    if isinstance(model, type):
        raise ModelError(
            f"The model must be a fitted estimator instance, not the class "
            f"{model.__name__}: create and fit it first "
            f"(model = {model.__name__}(...).fit(X, y)), then pass the instance."
        )
    if hasattr(model, "predict") and callable(model.predict):
        predict = model.predict
    elif callable(model) and not isinstance(model, type):
        predict = model
    else:
        raise ModelError(
            f"The model must be a fitted estimator with a predict method, or a "
            f"callable taking a DataFrame and returning decisions. Got "
            f"{type(model).__name__!s} ({model!r:.60})."
        )
    name = _model_name(model)
    unnamed = _fitted_without_names(model)
    if unnamed is not None and features is None:
        columns = [c for c in twins.frame.columns if c != twins.pair_column]
        raise ModelError(
            f"The model {name} was fitted without column names "
            f"({unnamed} features), so twinaudit cannot tell which twin columns it "
            "needs. Pass features=[...] with the twin columns in training order "
            f"(the twins have {columns} and the model columns of the protected "
            "attributes)."
        )
    X = model_input(twins, model, features)
    extra, notes = _sensitive_features(model, twins, name)
    sensitive = extra.get("sensitive_features")
    read_too = () if sensitive is None else tuple(sensitive.columns)
    _check_read(twins, X, name, allow_unread, read_too)
    # A model fitted on a plain array gets one (sklearn warns on named columns).
    model_X: Any = X.to_numpy() if unnamed is not None else X
    try:
        raw, proba = _predict_once(model, predict, model_X, extra)
    except Exception as exc:
        from sklearn.exceptions import NotFittedError

        if isinstance(exc, NotFittedError):
            raise ModelError(
                f"The model {name} is not fitted; call fit(...) on your "
                "training data first."
            ) from exc
        raise ModelError(
            f"The model {name} failed on the twins "
            f"({type(exc).__name__}: {exc}). It received columns {list(X.columns)}."
        ) from exc
    predictions = _decisions(raw, X.index, name)
    favorable = _favorable(model, predictions, favorable_label, name)
    y_pred = np.asarray(predictions == favorable).astype(np.int8)
    scores, source = _scores(model, model_X, favorable, name, extra, proba)
    return ScoredTwins(
        twins=twins,
        y_pred=y_pred,
        predictions=predictions,
        scores=scores,
        favorable_label=favorable,
        model_name=name,
        features=tuple(X.columns),
        score_source=source,
        notes=notes,
    )


# -- models that read the protected attribute at predict time ----------------------
def needs_sensitive_features(model: Any) -> bool:
    """Whether ``model.predict`` needs ``sensitive_features=``: a twinaudit strategy
    that declares it (``requires_sensitive_features``), or a ``predict`` with a
    ``sensitive_features`` parameter without a default (Fairlearn's
    ``ThresholdOptimizer``)."""
    import inspect

    declared = getattr(model, "requires_sensitive_features", None)
    if isinstance(declared, bool | np.bool_):
        return bool(declared)
    predict = getattr(model, "predict", None)
    if not callable(predict):
        return False
    try:
        parameters = inspect.signature(predict).parameters
    except (TypeError, ValueError):  # a C callable, e.g. operator.itemgetter
        return False
    parameter = parameters.get("sensitive_features")
    return parameter is not None and parameter.default is inspect.Parameter.empty


def _sensitive_features(
    model: Any, twins: Twins, name: str
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The ``sensitive_features=`` keyword for a model that needs it (each twin's
    own protected values, in the model's codes under its column names) and the
    report's note saying so; nothing for other models."""
    if not needs_sensitive_features(model):
        return {}, ()
    available = {a.column: a for a in twins.protected}
    wanted = getattr(model, "sensitive_feature_names_in_", None)
    columns = list(available) if wanted is None else [str(c) for c in wanted]
    missing = [c for c in columns if c not in available]
    if missing:
        raise ModelError(
            f"The model {name} reads sensitive feature(s) {missing} at predict time, "
            f"but no protected attribute of the twins has that column (they have "
            f"{list(available)}).{did_you_mean(missing[0], available)} Declare the "
            "attribute with model_column= (and encoding=) naming the column the "
            "model was given as sensitive_features."
        )
    frame = model_input(twins, features=columns)
    names = ", ".join(repr(available[c].name) for c in columns)
    note = (
        f"The model {name} reads the protected attribute(s) {names} directly "
        "(sensitive_features= at predict time): each twin was scored with its own "
        "value, so its decisions may depend on the attribute by design."
    )
    return {"sensitive_features": frame}, (note,)


# -- does each varied attribute reach the model? -------------------------------------
def _check_read(
    twins: Twins,
    X: pd.DataFrame,
    name: str,
    allow_unread: bool,
    read_too: Sequence[str] = (),
) -> None:
    """Raise (or warn) for each varied attribute none of whose moving columns is
    among the model's inputs (``X`` and ``read_too``, the sensitive features it
    gets at predict time): every twin of a pair then gets the same decision."""
    read = set(X.columns) | set(read_too)
    for attribute in twins.varied_attributes:
        following = _following(twins, attribute)
        if read.intersection(following):
            continue
        columns = _few(list(X.columns))
        candidate = _aligned_column(twins, attribute, X)
        if allow_unread:
            warnings.warn(
                f"The model {name} does not read protected attribute "
                f"{attribute.name!r} (it reads {columns}): twins that differ only in "
                f"{attribute.name!r} get the same decision, so its audit finds no "
                f"bias by construction.{candidate}",
                UnreadAttributeWarning,
                stacklevel=caller_level(),
            )
            continue
        raise ModelError(
            f"The model {name} does not read protected attribute "
            f"{attribute.name!r}: it reads {columns}, and none of the columns that "
            f"move with {attribute.name!r} ({following}) is among them, so twins "
            f"that differ only in {attribute.name!r} get the same decision and the "
            f"audit would find no bias whatever the model does.{candidate} If the "
            "model "
            f"sees {attribute.name!r} under another name or coding, set "
            "model_column= and encoding= on its ProtectedAttribute; to audit an "
            "attribute the model does not read, pass allow_unread=True."
        )


def _following(twins: Twins, attribute: ProtectedAttribute) -> list[str]:
    """The model-input columns that move with ``attribute``: its own column and,
    from the spec, the proxies and derived fields that follow it (every declared
    proxy for twins without a spec)."""
    own = attribute.column
    proxies = set(twins.proxies)
    spec = twins.spec
    if spec is not None:
        moving = {attribute.name}
        moving |= {p.name for p in spec.proxies if p.attribute == attribute.name}
        derived = {f.name: f for f in spec.fields if isinstance(f, Derived)}
        for field in spec.derived_order:
            if any(dep in moving for dep in derived[field].depends_on):
                moving.add(field)
        proxies &= moving
    others = [c for c in twins.frame.columns if c in proxies and c != own]
    return [own, *others]


def _aligned_column(
    twins: Twins, attribute: ProtectedAttribute, X: pd.DataFrame
) -> str:
    """A hint naming a column the model reads that matches ``attribute`` one to one
    in the factual rows but is copied unchanged to every twin (the tutorial's
    ``Gender_Code`` beside ``Gender``), with the declaration that fixes it."""
    if twins.factual is None:
        return ""
    factual = twins.frame.loc[twins.factual]
    own = twins.codes(attribute.name)[twins.factual]
    k = len(attribute.values)
    if len(np.unique(own)) != k:  # every value must appear to give the encoding
        return ""
    for column in X.columns:
        if column not in factual.columns or column in twins.moving_columns:
            continue
        codes, uniques = pd.factorize(factual[column], use_na_sentinel=True)
        if len(uniques) != k or (codes < 0).any():
            continue
        pairs = np.unique(own * k + codes)
        if len(pairs) != k:  # each value maps to one code, and each code to one value
            continue
        encoding = {
            attribute.values[v]: _plain(uniques[c])
            for v, c in zip(pairs // k, pairs % k, strict=True)
        }
        encoding = {v: encoding[v] for v in attribute.values}
        shown = ", ".join(f"{v!r} -> {c!r}" for v, c in encoding.items())
        return (
            f" Column {column!r}, which the model reads, matches {attribute.name!r} "
            f"one to one in the factual rows ({shown}) but is copied unchanged to "
            f"every twin: use ProtectedAttribute({attribute.name!r}, "
            f"{list(attribute.values)!r}, privileged={attribute.privileged!r}, "
            f"model_column={column!r}, encoding={encoding!r})."
        )
    return ""


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _few(columns: list[str]) -> str:
    if len(columns) <= _SHOWN:
        return repr(columns)
    return f"{columns[:_SHOWN]!r} and {len(columns) - _SHOWN} more"


# -- decisions ---------------------------------------------------------------------
def _decisions(raw: Any, index: pd.Index, name: str) -> np.ndarray:
    """One decision per row as an array, a pandas result matched on its index."""
    if isinstance(raw, pd.DataFrame) and raw.shape[1] == 1:
        raw = raw.iloc[:, 0]
    if isinstance(raw, pd.Series) and not raw.index.equals(index):
        raw = _align(raw, index, name)
    if isinstance(raw, pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
        missing = int(pd.isna(raw).sum())
        if missing:
            _missing_decisions(name, missing, len(index))
        raw = raw.to_numpy()
    predictions = np.asarray(raw)
    if predictions.ndim == 2 and predictions.shape[1] == 1:
        predictions = predictions.ravel()
    if predictions.shape != (len(index),):
        raise ModelError(
            f"The model {name} returned predictions of shape {predictions.shape} for "
            f"{len(index)} twins; it must return one decision per row."
        )
    if predictions.dtype.kind in "fcO":
        missing = int(pd.isna(predictions).sum())
        if missing:
            _missing_decisions(name, missing, len(index))
    return predictions


def _missing_decisions(name: str, missing: int, n: int) -> None:
    raise ModelError(
        f"The model {name} returned {missing} missing (NaN) decision(s) for {n} "
        "twins; it must return a decision for every twin."
    )


def _align(raw: pd.Series, index: pd.Index, name: str) -> pd.Series:
    """``raw`` in the order of ``index`` when its index is a permutation of it."""
    problem = None
    if len(raw) != len(index):
        return raw  # the shape check names the problem
    duplicated = raw.index.duplicated()
    if duplicated.any():
        problem = f"label {_plain(raw.index[duplicated][0])!r} appears more than once"
    else:
        position = index.get_indexer(raw.index)
        if (position < 0).any():
            label = raw.index[np.flatnonzero(position < 0)[0]]
            problem = f"label {_plain(label)!r} is not one of them"
    if problem is not None:
        raise ModelError(
            f"The model {name} returned a pandas Series whose index does not match "
            f"the rows it received ({problem}); return one decision per row, in the "
            "order received or with the index received."
        )
    return raw.reindex(index)


def _favorable(
    model: Any, predictions: np.ndarray, favorable_label: Any, name: str
) -> Any:
    classes = getattr(model, "classes_", None)
    if classes is None:  # the labels the model produced
        labels = [_plain(v) for v in pd.unique(predictions)]
        scores = predictions.dtype.kind == "f" and not np.array_equal(
            predictions, np.round(predictions)
        )
        if scores or len(labels) > 2:
            kind = "scores" if scores else "labels"
            shown = sorted(labels, key=lambda v: (str(type(v)), v))[:5]
            raise ModelError(
                f"The model {name} returned {len(labels)} distinct {kind} "
                f"(e.g. {shown}); twinaudit audits binary decisions. Wrap it so it "
                "returns 0/1 decisions (threshold scores first)."
            )
    else:
        labels = [_plain(v) for v in np.asarray(classes).tolist()]
    if classes is not None and len(labels) > 2:
        raise ModelError(
            f"The model {name} has {len(labels)} classes {labels[:6]}; twinaudit "
            "audits binary decisions. Audit a binary model, or wrap it to return "
            "favourable/unfavourable decisions."
        )
    zero_one = all(_is_zero_one(v) for v in labels)
    if favorable_label is not None:
        if any(_label_is(v, favorable_label) for v in labels) or (
            zero_one and _is_zero_one(favorable_label)
        ):
            return favorable_label
        which = (
            "the model's classes"
            if classes is not None
            else "the labels the model produced:"
        )
        shown = sorted(labels, key=lambda v: (str(type(v)), v))
        raise ModelError(
            f"favorable_label={favorable_label!r} is not among {which} {shown}."
            f"{suggest_value(favorable_label, shown)} Pass one of them (the decision "
            "that favours the person, such as an approval)."
        )
    if zero_one:
        return True if any(isinstance(v, bool) for v in labels) else 1
    raise ModelError(
        f"Cannot tell which of the model's labels {labels} is the favourable decision; "
        "pass favorable_label=... (for example the label meaning 'approved')."
    )


def _is_zero_one(value: Any) -> bool:
    return isinstance(value, bool | int | float | np.number | np.bool_) and value in (
        0,
        1,
    )


def _label_is(label: Any, value: Any) -> bool:
    """Whether ``value`` names ``label`` (1 names 1.0 and True; '1' does not)."""
    if isinstance(label, str) != isinstance(value, str):
        return False
    try:
        return bool(label == value)
    except Exception:  # pragma: no cover - exotic labels
        return False


def _fitted_without_names(model: Any) -> int | None:
    """The number of features of a model fitted on an array without column names,
    or None."""
    if hasattr(model, "feature_names_in_"):
        return None
    n = getattr(model, "n_features_in_", None)
    return int(n) if isinstance(n, int | np.integer) else None


# -- scores -----------------------------------------------------------------------
def _predict_once(
    model: Any, predict: Callable[..., Any], X: Any, extra: dict[str, Any]
) -> tuple[Any, np.ndarray | None]:
    """The model's predictions, and its ``predict_proba`` when ``predict`` is, by
    scikit-learn's own code, ``classes_.take(argmax(predict_proba(X)))``: then the
    model runs once and the decisions are read off the probabilities (the same
    array, so the same decisions). Any other model runs ``predict`` here and its
    scoring method later."""
    final = model
    from sklearn.pipeline import Pipeline

    if type(model) is Pipeline:  # transforms run once either way
        final = model[-1]
    if extra or not _predict_is_argmax_of_proba(final):
        return predict(X, **extra), None
    proba = _predict_proba_on_cores(model, X)
    return final.classes_.take(_argmax_rows(proba), axis=0), proba


#: Rows from which a single decision tree scores halves of them on two threads.
SPLIT_ROWS_ABOVE = 200_000


def _predict_proba_on_cores(model: Any, X: Any) -> np.ndarray:
    """``model.predict_proba(X)``; for a lone scikit-learn decision tree on many
    rows, computed on two threads, each taking half of the rows (the tree's
    traversal runs without the GIL and reads each row alone, so the result is the
    same array)."""
    from sklearn.tree import DecisionTreeClassifier

    n = len(X)
    if (
        type(model) is not DecisionTreeClassifier
        or n <= SPLIT_ROWS_ABOVE
        or not two_cores()
        or not isinstance(X, pd.DataFrame)
    ):
        return model.predict_proba(X)
    half = n // 2
    with in_background(
        model.predict_proba, X.iloc[half:], name="twinaudit-score"
    ) as second:
        first = model.predict_proba(X.iloc[:half])
        return np.concatenate([first, second()])


def _argmax_rows(proba: np.ndarray) -> np.ndarray:
    """``np.argmax(proba, axis=1)``, for two columns by comparing them (numpy's
    reduction over rows of two is several times slower than the model): the first
    maximum, and the first NaN where there is one, as ``argmax`` takes."""
    proba = np.asarray(proba)
    if proba.ndim != 2 or proba.shape[1] != 2:
        return np.argmax(proba, axis=1)
    first, second = proba[:, 0], proba[:, 1]
    take = second > first
    nan = np.isnan(second)
    if nan.any():
        take |= nan & ~np.isnan(first)
    return take.view(np.int8)


def _predict_is_argmax_of_proba(estimator: Any) -> bool:
    from sklearn.ensemble._forest import ForestClassifier
    from sklearn.tree import DecisionTreeClassifier

    kind = type(estimator)
    if getattr(estimator, "n_outputs_", None) != 1:
        return False
    # DecisionTreeClassifier.predict: classes_.take(argmax(tree_.predict(X))), and
    # predict_proba: tree_.predict(X)[:, :n_classes_]; ForestClassifier.predict:
    # classes_.take(argmax(self.predict_proba(X))). Only where neither is overridden.
    return any(
        issubclass(kind, base)
        and kind.predict is base.predict
        and kind.predict_proba is base.predict_proba
        for base in (DecisionTreeClassifier, ForestClassifier)
    )


def _scores(
    model: Any,
    X: Any,
    favorable: Any,
    name: str,
    extra: dict[str, Any] | None = None,
    proba: np.ndarray | None = None,
) -> tuple[np.ndarray | None, ScoreSource | None]:
    """The model's score of the favourable decision, and the method that gave it
    (``proba``: ``predict_proba``'s output, when the model already gave it)."""
    source: ScoreSource
    if callable(getattr(model, "predict_proba", None)):
        source = "predict_proba"
    elif callable(getattr(model, "decision_function", None)):
        source = "decision_function"
    else:
        return None, None
    classes = getattr(model, "classes_", None)
    if classes is None:
        warnings.warn(
            f"The model {name} has {source} but no classes_, so twinaudit cannot "
            "tell which column scores the favourable decision; scores are left out. "
            "Give the model a classes_ attribute to include them.",
            TwinauditWarning,
            stacklevel=caller_level(),
        )
        return None, None
    labels = [_plain(v) for v in np.asarray(classes).tolist()]
    position = next((i for i, v in enumerate(labels) if _label_is(v, favorable)), None)
    if position is None:
        # A 0/1 model fitted on one class never gives the other, favourable one.
        if source == "predict_proba":
            return np.zeros(len(X)), source
        return None, None
    try:
        if proba is not None and source == "predict_proba":
            raw = proba
        else:
            raw = getattr(model, source)(X, **(extra or {}))
    except Exception as exc:
        raise ModelError(
            f"The model {name} has {source}, but it failed on the twins "
            f"({type(exc).__name__}: {exc}); fix it, or wrap the model so it "
            "exposes predict only."
        ) from exc
    values = np.asarray(raw, dtype=float)
    n = len(X)
    if source == "predict_proba" and values.shape == (n, len(labels)):
        scores = values[:, position]
    elif source == "decision_function" and values.shape in ((n,), (n, 1)):
        # A binary decision function scores classes_[1]: flip it for classes_[0].
        scores = values.ravel() if position == 1 else -values.ravel()
    else:
        raise ModelError(
            f"The model {name}'s {source} returned shape {values.shape} for {n} "
            f"twins and classes {labels}; it must return "
            + (
                "one column per class."
                if source == "predict_proba"
                else "one score per row."
            )
        )
    finite = bool(np.isfinite(scores).all())  # one pass where all is well
    missing = 0 if finite else int(np.isnan(scores).sum())
    if missing:
        raise ModelError(
            f"The model {name}'s {source} returned {missing} NaN score(s) for {n} "
            "twins."
        )
    infinite = 0 if finite else int(np.isinf(scores).sum())
    if infinite:
        raise ModelError(
            f"The model {name}'s {source} returned {infinite} infinite score(s) for "
            f"{n} twins; score gaps between twins need finite scores. Wrap the "
            "model in a callable returning its decisions to audit those alone."
        )
    return np.ascontiguousarray(scores), source
