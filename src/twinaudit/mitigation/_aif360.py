"""AIF360's post-processors and LFR as twinaudit strategies.

AIF360 works on its own ``BinaryLabelDataset`` and, on pandas 3, only on numeric
frames: each strategy builds numeric datasets (a 0/1 privileged indicator, the 0/1
favourable label, the scores) and keeps the map back to the user's values. AIF360
compares one privileged group with all others pooled, so these strategies take
``privileged_group=`` (default: the group with the highest favourable rate in the
training labels, stored in ``privileged_group_``). AIF360 seeds numpy's global
random state; the strategies restore it afterwards.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import clone

from twinaudit.exceptions import DataError, MitigationError, TwinauditWarning
from twinaudit.mitigation._base import FairnessStrategy, _plain
from twinaudit.mitigation._tuning import TuningParameter

__all__ = [
    "LFR",
    "CalibratedEqOddsPostprocessing",
    "EqOddsPostprocessing",
    "RejectOptionClassification",
]


@contextlib.contextmanager
def _aif360_calls() -> Iterator[None]:
    """Keep numpy's global random state (AIF360 reseeds it) and silence AIF360's
    numerical warnings (each case they flag is checked before the call)."""
    state = np.random.get_state()  # noqa: NPY002
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


def _dataset(privileged: np.ndarray, y01: np.ndarray, features: Any = None) -> Any:
    from twinaudit.adapters._lazy import import_aif360

    datasets = import_aif360("aif360.datasets")
    columns: dict[str, np.ndarray] = {}
    if features is not None:
        for i in range(features.shape[1]):
            columns[f"x{i}"] = features[:, i].astype(float)
    columns["privileged"] = privileged.astype(float)
    columns["label"] = y01.astype(float)
    with _aif360_calls():
        return datasets.BinaryLabelDataset(
            df=pd.DataFrame(columns),
            label_names=["label"],
            protected_attribute_names=["privileged"],
            favorable_label=1.0,
            unfavorable_label=0.0,
        )


_GROUPS = {
    "unprivileged_groups": [{"privileged": 0.0}],
    "privileged_groups": [{"privileged": 1.0}],
}


class _PrivilegedGroup(FairnessStrategy):
    """Picks AIF360's privileged group among the training groups."""

    privileged_group: Any

    def _privileged_code(self, y01: np.ndarray, groups: np.ndarray) -> int:
        if self.privileged_group is None:
            rates = np.bincount(groups, weights=y01) / np.bincount(groups)
            code = int(np.argmax(rates))
        else:
            wanted = self.privileged_group
            key = tuple(wanted) if isinstance(wanted, tuple | list) else (wanted,)
            matches = [i for i, g in enumerate(self.groups_) if g == key]
            if not matches:
                raise DataError(
                    f"{type(self).__name__}: privileged_group={wanted!r} is not among "
                    f"the training groups {[g if len(g) > 1 else g[0] for g in self.groups_]}."  # noqa: E501
                )
            code = matches[0]
        group = self.groups_[code]
        self.privileged_group_ = group if len(group) > 1 else group[0]
        return code

    def _privileged(self, groups: np.ndarray) -> np.ndarray:
        return (groups == self._privileged_code_).astype(np.int64)


class _PostProcessor(_PrivilegedGroup):
    """Trains ``estimator``, then an AIF360 post-processor on out-of-fold scores."""

    requires_sensitive_features = True
    #: Whether every (group, label) cell must hold rows (rates per label).
    needs_both_labels: ClassVar[bool] = True

    estimator: Any
    cv: int
    random_state: int | None

    def _make(self) -> Any:  # pragma: no cover - each subclass implements it
        raise NotImplementedError

    def _fit(
        self,
        X: Any,
        y: np.ndarray,
        y01: np.ndarray,
        sensitive: pd.DataFrame,
        groups: np.ndarray,
    ) -> None:
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        owner = type(self).__name__
        if not callable(getattr(self.estimator, "predict_proba", None)):
            raise MitigationError(
                f"{owner} post-processes scores: {type(self.estimator).__name__} has "
                "no predict_proba. Use a probabilistic classifier (or wrap it in "
                "CalibratedClassifierCV)."
            )
        if len(self.groups_) < 2:
            raise MitigationError(
                f"{owner} needs at least two groups; the training data has only "
                f"{self.groups_[0]!r}."
            )
        self._privileged_code_ = self._privileged_code(y01, groups)
        privileged = self._privileged(groups)
        if self.needs_both_labels:
            for who, flag in (("privileged", 1), ("unprivileged", 0)):
                for label in (0, 1):
                    if not ((privileged == flag) & (y01 == label)).any():
                        raise MitigationError(
                            f"{owner}: no training row of the {who} group "
                            f"({self._describe(flag)}) has the label "
                            f"{_plain(self.classes_[label])!r}, so its true/false "
                            "positive rates are undefined (AIF360 divides by zero). "
                            "Use reweighing, augmentation or threshold_optimizer "
                            "with demographic_parity, or train on data with both "
                            "labels in every group."
                        )
        folds = StratifiedKFold(
            int(self.cv), shuffle=True, random_state=self.random_state
        )
        try:
            scores = cross_val_predict(
                clone(self.estimator), X, y, cv=folds, method="predict_proba"
            )[:, 1]
        except ValueError as exc:
            raise DataError(
                f"{owner} scores the training rows out of fold ({self.cv} folds): {exc}"
            ) from exc
        self.estimator_ = clone(self.estimator).fit(X, y)
        truth = _dataset(privileged, y01)
        predicted = truth.copy(deepcopy=True)
        predicted.scores = scores.reshape(-1, 1)
        predicted.labels = (scores > 0.5).astype(float).reshape(-1, 1)
        self.postprocessor_ = self._make()
        self._fit_postprocessor(truth, predicted)
        self._check_fitted_params()

    def _fit_postprocessor(self, truth: Any, predicted: Any) -> None:
        with _aif360_calls():
            self.postprocessor_.fit(truth, predicted)

    def _describe(self, flag: int) -> str:
        if flag:
            return f"{self.sensitive_feature_names_in_} = {self.privileged_group_!r}"
        return "every other group"

    def _check_fitted_params(self) -> None:
        """Hook: raise if AIF360's fitted parameters are not finite."""

    def _predict(self, X: Any, groups: np.ndarray | None) -> np.ndarray:
        assert groups is not None  # requires_sensitive_features
        scores = self.estimator_.predict_proba(X)[:, 1]
        dataset = _dataset(self._privileged(groups), np.zeros(len(scores)))
        dataset.scores = scores.reshape(-1, 1)
        dataset.labels = (scores > 0.5).astype(float).reshape(-1, 1)
        with _aif360_calls():
            out = self.postprocessor_.predict(dataset)
        labels = np.asarray(out.labels).ravel().astype(int)
        return np.asarray(self.classes_[labels])


class EqOddsPostprocessing(_PostProcessor):
    """AIF360's ``EqOddsPostprocessing`` (Hardt et al. 2016): randomly flips some
    predicted labels per group (a linear program) to equalize true and false
    positive rates. Trained on out-of-fold scores of the training rows (``cv``
    folds); the final estimator is trained on all of them.

    AIF360 divides by zero when a group has no row of one label (its rates are
    undefined): this is refused with a :class:`MitigationError` before AIF360 runs.
    Needs ``sensitive_features`` at predict time.

    Attributes
    ----------
    estimator_, postprocessor_, privileged_group_
    """

    strategy_name = "eq_odds"
    #: No main parameter: fitted once when the benchmark tunes.
    tuning_parameter: ClassVar[TuningParameter | None] = None
    label = "AIF360 equalized odds"

    def __init__(
        self,
        estimator: Any,
        *,
        privileged_group: Any = None,
        cv: int = 5,
        random_state: int | None = None,
    ) -> None:
        self.estimator = estimator
        self.privileged_group = privileged_group
        self.cv = cv
        self.random_state = random_state

    def _make(self) -> Any:
        from twinaudit.adapters._lazy import import_aif360

        module = import_aif360("aif360.algorithms.postprocessing")
        return module.EqOddsPostprocessing(**_GROUPS, seed=self._seed())

    def _seed(self) -> int:
        return 0 if self.random_state is None else int(self.random_state)

    def _check_fitted_params(self) -> None:
        params = np.asarray(self.postprocessor_.model_params.x, dtype=float)
        if (
            not np.isfinite(params).all()
            or not self.postprocessor_.model_params.success
        ):
            raise MitigationError(
                "EqOddsPostprocessing: AIF360's linear program found no solution "
                f"({self.postprocessor_.model_params.message}); the groups' rates "
                "cannot be equalized on this data."
            )


class CalibratedEqOddsPostprocessing(EqOddsPostprocessing):
    """AIF360's ``CalibratedEqOddsPostprocessing`` (Pleiss et al. 2017): mixes
    calibrated scores with a constant per group to equalize the generalized false
    positive or negative rate (``cost_constraint``: ``"fpr"``, ``"fnr"`` or
    ``"weighted"``). Needs ``sensitive_features`` at predict time."""

    strategy_name = "calibrated_eq_odds"
    label = "AIF360 calibrated equalized odds"

    def __init__(
        self,
        estimator: Any,
        *,
        cost_constraint: str = "weighted",
        privileged_group: Any = None,
        cv: int = 5,
        random_state: int | None = None,
    ) -> None:
        self.estimator = estimator
        self.cost_constraint = cost_constraint
        self.privileged_group = privileged_group
        self.cv = cv
        self.random_state = random_state

    def _make(self) -> Any:
        from twinaudit.adapters._lazy import import_aif360

        if self.cost_constraint not in ("fpr", "fnr", "weighted"):
            raise DataError(
                "cost_constraint must be 'fpr', 'fnr' or 'weighted'. Got "
                f"{self.cost_constraint!r}."
            )
        module = import_aif360("aif360.algorithms.postprocessing")
        return module.CalibratedEqOddsPostprocessing(
            **_GROUPS, cost_constraint=self.cost_constraint, seed=self._seed()
        )

    def _check_fitted_params(self) -> None:
        rates = (self.postprocessor_.priv_mix_rate, self.postprocessor_.unpriv_mix_rate)
        if not np.isfinite(np.asarray(rates, dtype=float)).all():
            raise MitigationError(
                "CalibratedEqOddsPostprocessing: AIF360's mixing rates are not "
                "finite on this data (a group's generalized rate is undefined)."
            )


class RejectOptionClassification(_PostProcessor):
    """AIF360's ``RejectOptionClassification`` (Kamiran et al. 2012): in a band of
    uncertain scores around the threshold, gives the unprivileged group the
    favourable label and the privileged group the unfavourable one; the band and
    threshold are searched to bring ``metric_name`` within its bounds. Needs
    ``sensitive_features`` at predict time."""

    strategy_name = "reject_option"
    #: What the benchmark's ``tuning`` varies: the symmetric bound ``metric_ub``
    #: (``metric_lb = -metric_ub``), 0.005 to 0.5 on a log scale (0.05 in the
    #: middle).
    tuning_parameter: ClassVar[TuningParameter | None] = TuningParameter(
        "metric_ub", 0.005, 0.5, "log", mirror="metric_lb"
    )
    label = "AIF360 reject option"
    needs_both_labels = False

    def __init__(
        self,
        estimator: Any,
        *,
        metric_name: str = "Statistical parity difference",
        metric_ub: float = 0.05,
        metric_lb: float = -0.05,
        num_class_thresh: int = 100,
        num_ROC_margin: int = 50,
        privileged_group: Any = None,
        cv: int = 5,
        random_state: int | None = None,
    ) -> None:
        self.estimator = estimator
        self.metric_name = metric_name
        self.metric_ub = metric_ub
        self.metric_lb = metric_lb
        self.num_class_thresh = num_class_thresh
        self.num_ROC_margin = num_ROC_margin
        self.privileged_group = privileged_group
        self.cv = cv
        self.random_state = random_state

    def _make(self) -> Any:
        from twinaudit.adapters._lazy import import_aif360

        names = (
            "Statistical parity difference",
            "Average odds difference",
            "Equal opportunity difference",
        )
        if self.metric_name not in names:
            raise DataError(
                f"metric_name must be one of {list(names)}. Got {self.metric_name!r}."
            )
        module = import_aif360("aif360.algorithms.postprocessing")
        return module.RejectOptionClassification(
            **_GROUPS,
            metric_name=self.metric_name,
            metric_ub=self.metric_ub,
            metric_lb=self.metric_lb,
            num_class_thresh=self.num_class_thresh,
            num_ROC_margin=self.num_ROC_margin,
        )

    def _fit_postprocessor(self, truth: Any, predicted: Any) -> None:
        with _aif360_calls(), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            self.postprocessor_.fit(truth, predicted)
        unmet = any("Unable to satisy" in str(w.message) for w in caught)
        self.constraint_met_ = not unmet
        if unmet:
            warnings.warn(
                "RejectOptionClassification: no threshold and band bring "
                f"{self.metric_name!r} within [{self.metric_lb}, {self.metric_ub}] on "
                "the training scores (AIF360: 'Unable to satisfy fairness "
                "constraints'); it keeps the closest one. Scores of 0 or 1 only (a "
                "tree with pure leaves) leave no uncertain band to act on.",
                TwinauditWarning,
                stacklevel=4,
            )


class LFR(_PrivilegedGroup):
    """AIF360's ``LFR``, learning fair representations (Zemel et al. 2013), then
    the estimator.

    LFR learns ``k`` prototypes such that the prototype each row maps to keeps
    information about ``X`` (weight ``Ax``) and the label (``Ay``) but not about the
    privileged group (``Az``). Each row's features are replaced by their
    reconstruction from the prototypes, and ``estimator`` is trained on that. The
    prototypes are learnt on the features and the privileged indicator (as in
    AIF360), so ``predict`` needs ``sensitive_features`` too.

    Numeric (and boolean) columns are standardized with the training means and
    standard deviations, and their reconstructions mapped back to the original
    units. Text, category and string columns of a DataFrame are one-hot encoded
    first (scikit-learn's ``OneHotEncoder`` fitted on the training rows, a value
    unseen in training encoded as all zeros), as 0/1 columns named ``col=value``.
    The estimator therefore sees only numeric columns: with text columns, a
    DataFrame of the numeric columns (in ``X``'s order) followed by the one-hot
    columns, each a reconstruction (the one-hot ones are soft, not 0/1), named as
    in ``feature_names_out_``; with numeric columns only, ``X``'s own columns.

    Attributes
    ----------
    estimator_, lfr_, privileged_group_
    encoder_ : OneHotEncoder or None
        Fitted on the text columns (None when every column is numeric).
    feature_names_out_ : ndarray of str
        The columns the estimator is trained on (for a DataFrame ``X``).
    """

    strategy_name = "lfr"
    #: What the benchmark's ``tuning`` varies: the weight of group information,
    #: 1 to 2,500 on a log scale (the default 50 in the middle).
    tuning_parameter: ClassVar[TuningParameter | None] = TuningParameter(
        "Az", 1.0, 2500.0, "log"
    )
    label = "AIF360 LFR"
    requires_sensitive_features = True

    def __init__(
        self,
        estimator: Any,
        *,
        k: int = 5,
        Ax: float = 0.01,
        Ay: float = 1.0,
        Az: float = 50.0,
        maxiter: int = 5000,
        privileged_group: Any = None,
        random_state: int | None = None,
    ) -> None:
        self.estimator = estimator
        self.k = k
        self.Ax = Ax
        self.Ay = Ay
        self.Az = Az
        self.maxiter = maxiter
        self.privileged_group = privileged_group
        self.random_state = random_state

    def _fit_encoder(self, X: Any) -> None:
        """Which columns are one-hot encoded, and the encoder (fitted)."""
        self.encoder_: Any = None
        self.text_columns_: list[Any] = []
        if not isinstance(X, pd.DataFrame):
            return
        self.text_columns_ = [
            c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])
        ]
        self.numeric_columns_ = [c for c in X.columns if c not in self.text_columns_]
        if not self.text_columns_:
            self.feature_names_out_ = np.asarray([str(c) for c in X.columns], object)
            return
        from sklearn.preprocessing import OneHotEncoder

        self.encoder_ = OneHotEncoder(
            handle_unknown="ignore",
            sparse_output=False,
            dtype=np.float64,
            feature_name_combiner=lambda column, value: f"{column}={value}",
        ).fit(X[self.text_columns_].astype(object))
        self.feature_names_out_ = np.asarray(
            [
                *(str(c) for c in self.numeric_columns_),
                *self.encoder_.get_feature_names_out(
                    [str(c) for c in self.text_columns_]
                ),
            ],
            dtype=object,
        )

    def _numeric(self, X: Any) -> np.ndarray:
        """The matrix LFR reads (before standardizing): numeric columns as they
        are, then the one-hot columns of the text ones."""
        if self.encoder_ is None:
            if isinstance(X, pd.DataFrame):
                text = [
                    str(c) for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])
                ]
                if text:
                    raise DataError(
                        f"LFR was trained on numeric columns only; column(s) "
                        f"{text[:5]} of this X are not numeric. Pass X with the "
                        "training dtypes."
                    )
            return np.asarray(X, dtype=float)
        if not isinstance(X, pd.DataFrame):
            raise DataError(
                "LFR was trained on a DataFrame with text columns "
                f"{[str(c) for c in self.text_columns_][:5]}; pass X as a DataFrame "
                f"with columns {list(self.feature_names_in_)}."
            )
        missing = [
            str(c)
            for c in [*self.numeric_columns_, *self.text_columns_]
            if c not in X.columns
        ]
        if missing:
            raise DataError(
                f"X lacks the column(s) {missing[:5]} LFR was trained on; pass X with "
                f"columns {list(self.feature_names_in_)}."
            )
        text = [
            str(c)
            for c in self.numeric_columns_
            if not pd.api.types.is_numeric_dtype(X[c])
        ]
        if text:
            raise DataError(
                f"LFR was trained with numeric column(s) {text[:5]}, which are not "
                "numeric in this X; pass them with the training dtypes."
            )
        numbers = X[self.numeric_columns_].to_numpy(dtype=float)
        dummies = self.encoder_.transform(X[self.text_columns_].astype(object))
        return np.column_stack([numbers, dummies])

    def _fit(
        self,
        X: Any,
        y: np.ndarray,
        y01: np.ndarray,
        sensitive: pd.DataFrame,
        groups: np.ndarray,
    ) -> None:
        from twinaudit.adapters._lazy import import_aif360

        if len(self.groups_) < 2:
            raise MitigationError(
                f"LFR needs at least two groups; the training data has only "
                f"{self.groups_[0]!r}."
            )
        self._privileged_code_ = self._privileged_code(y01, groups)
        self._fit_encoder(X)
        values = self._numeric(X)
        # Numeric columns are standardized; one-hot columns stay 0/1.
        n_numbers = values.shape[1] - (
            0 if self.encoder_ is None else len(self.encoder_.get_feature_names_out())
        )
        numbers = values[:, :n_numbers]
        mean = numbers.mean(axis=0) if n_numbers else np.zeros(0)
        scale = numbers.std(axis=0) if n_numbers else np.ones(0)
        n_dummies = values.shape[1] - n_numbers
        self.mean_ = np.concatenate([mean, np.zeros(n_dummies)])
        self.scale_ = np.concatenate(
            [np.where(scale > 0, scale, 1.0), np.ones(n_dummies)]
        )
        standardized = (values - self.mean_) / self.scale_
        module = import_aif360("aif360.algorithms.preprocessing")
        self.lfr_ = module.LFR(
            **_GROUPS,
            k=self.k,
            Ax=self.Ax,
            Ay=self.Ay,
            Az=self.Az,
            seed=0 if self.random_state is None else int(self.random_state),
        )
        dataset = _dataset(self._privileged(groups), y01, standardized)
        with _aif360_calls():
            self.lfr_.fit(dataset, maxiter=self.maxiter, maxfun=self.maxiter)
        self.estimator_ = clone(self.estimator).fit(self._transform(X, groups), y)

    def _transform(self, X: Any, groups: np.ndarray) -> Any:
        from twinaudit.adapters._lazy import import_aif360

        helpers = import_aif360("aif360.algorithms.preprocessing.lfr_helpers.helpers")
        standardized = (self._numeric(X) - self.mean_) / self.scale_
        # LFR learnt on the features and the privileged indicator (AIF360's dataset
        # holds the protected attribute as its last feature), as AIF360's transform.
        features = np.column_stack([standardized, self._privileged(groups)])
        with _aif360_calls():
            _, x_hat, _ = helpers.get_xhat_y_hat(
                self.lfr_.prototypes, self.lfr_.w, features
            )
        restored = x_hat[:, :-1] * self.scale_ + self.mean_
        if isinstance(X, pd.DataFrame):
            columns = X.columns if self.encoder_ is None else self.feature_names_out_
            return pd.DataFrame(restored, columns=columns, index=X.index)
        return restored

    def _predict(self, X: Any, groups: np.ndarray | None) -> np.ndarray:
        assert groups is not None  # requires_sensitive_features
        return np.asarray(self.estimator_.predict(self._transform(X, groups)))

    def predict_proba(self, X: Any, *, sensitive_features: Any = None) -> np.ndarray:
        """The estimator's probabilities on the reconstructed features."""
        groups = self._check_predict(X, sensitive_features)
        assert groups is not None
        return np.asarray(self.estimator_.predict_proba(self._transform(X, groups)))
