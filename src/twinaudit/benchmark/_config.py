"""The benchmark configuration: what to run, validated before anything runs.

A configuration is a frozen value built from a mapping (or a YAML/TOML file with
the same keys); every name is checked against the loaders, the estimators and the
mitigation strategies, and an unknown one is refused with the closest name.
Its hash (sha256 of its canonical JSON) identifies a results directory.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from twinaudit.exceptions import ConfigError, did_you_mean

__all__ = [
    "BASELINE",
    "BenchmarkConfig",
    "DatasetConfig",
    "TuningConfig",
    "default_config",
    "load_config",
]

#: The name of the unmitigated baseline: the plain estimator.
BASELINE = "unmitigated"

SplitMethod = Literal["stratified", "permutation"]

_KEYS = (
    "datasets",
    "estimators",
    "strategies",
    "seeds",
    "test_size",
    "validation_size",
    "split",
    "strategy_params",
    "data_home",
    "confidence",
    "rank_by",
    "tuning",
)
_DATASET_KEYS = ("name", "attributes", "max_rows")
_TUNING_KEYS = ("budget", "metric", "max_violation")


def _strategies() -> Mapping[str, Any]:
    from twinaudit.mitigation import STRATEGIES

    return STRATEGIES


def _unknown(kind: str, name: Any, known: Sequence[str], where: str) -> ConfigError:
    return ConfigError(
        f"{where}: unknown {kind} {name!r}.{did_you_mean(str(name), known)} "
        f"Known: {', '.join(known)}."
    )


@dataclass(frozen=True)
class DatasetConfig:
    """One data set of a benchmark.

    Parameters
    ----------
    name : str
        A loader of :data:`twinaudit.datasets.LOADERS` (``"adult"``, ...).
    attributes : tuple of str, optional
        Protected attributes to audit (default: all of the data set's).
    max_rows : int, optional
        Use a stratified sample of this many rows (drawn once, with seed 0, so
        every seed splits the same rows). For the loan scenario, the number of
        applicants drawn (default 2,000).
    """

    name: str
    attributes: tuple[str, ...] = ()
    max_rows: int | None = None

    def __post_init__(self) -> None:
        from twinaudit.datasets import PROTECTED

        where = f"datasets[{self.name!r}]"
        if self.name not in PROTECTED:
            raise _unknown("data set", self.name, list(PROTECTED), "datasets")
        known = list(PROTECTED[self.name])
        attributes = tuple(self.attributes) or tuple(known)
        for attribute in attributes:
            if attribute not in known:
                raise _unknown(
                    "protected attribute", attribute, known, f"{where}.attributes"
                )
        if len(set(attributes)) != len(attributes):
            raise ConfigError(f"{where}.attributes: names an attribute twice.")
        object.__setattr__(self, "attributes", attributes)
        if self.max_rows is not None and (
            isinstance(self.max_rows, bool)
            or not isinstance(self.max_rows, int)
            or self.max_rows < 20
        ):
            raise ConfigError(
                f"{where}.max_rows must be a whole number >= 20. Got {self.max_rows!r}."
            )


def _observed_metrics() -> list[str]:
    """The fairness metrics measured on the held-out rows themselves (all but the
    flip rate, which is measured on their twins)."""
    from twinaudit.benchmark._metrics import FAIRNESS_METRICS

    return [m for m in FAIRNESS_METRICS if m != "flip_rate"]


@dataclass(frozen=True)
class TuningConfig:
    """The same tuning budget for every strategy with a main parameter.

    Each strategy that declares a ``tuning_parameter`` (its fairness tolerance or
    main trade-off parameter, with a documented range: see
    :mod:`twinaudit.mitigation._tuning`) is fitted ``budget`` times on the training
    rows, once per candidate value evenly spaced over its range, and each candidate
    is measured on the validation rows. The chosen one is, among the candidates
    whose ``metric`` is within ``max_violation`` of parity on the validation rows,
    the most accurate there; if none is, the one closest to parity (ties by
    validation accuracy, then by the order of the candidates). Only the chosen
    model is measured on the test rows. Strategies without a main parameter, and
    the unmitigated model, are fitted once.

    Parameters
    ----------
    budget : int
        Candidate values per tunable strategy (at least 2).
    metric : str, optional
        A fairness metric of the observed rows (any of
        :data:`~twinaudit.benchmark.FAIRNESS_METRICS` but ``flip_rate``); default:
        the benchmark's ``rank_by``.
    max_violation : float
        The largest distance from parity (``|metric - parity|``: 0 for
        differences, 1 for disparate impact) accepted on the validation rows.
    """

    budget: int
    metric: str | None = None
    max_violation: float = 0.05

    def __post_init__(self) -> None:
        budget = self.budget
        if isinstance(budget, bool) or not isinstance(budget, int) or budget < 2:
            raise ConfigError(
                "tuning.budget must be a whole number >= 2 (the candidate values of "
                f"each tunable strategy). Got {budget!r}."
            )
        if self.metric is not None:
            observed = _observed_metrics()
            if self.metric == "flip_rate":
                raise ConfigError(
                    "tuning.metric: 'flip_rate' is measured on twins of the rows, "
                    "not on the validation rows; choose one of "
                    f"{', '.join(observed)}."
                )
            if self.metric not in observed:
                raise _unknown(
                    "fairness metric", self.metric, observed, "tuning.metric"
                )
        value = self.max_violation
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not 0 <= value < math.inf
        ):
            raise ConfigError(
                "tuning.max_violation must be a number >= 0 (the largest distance "
                f"from parity accepted on the validation rows, e.g. 0.05). Got "
                f"{value!r}."
            )
        object.__setattr__(self, "max_violation", float(value))


def _tuning(value: Any) -> TuningConfig:
    if isinstance(value, TuningConfig):
        return value
    if not isinstance(value, Mapping):
        raise ConfigError(
            "tuning must be a mapping with 'budget' (and optionally 'metric' and "
            f"'max_violation'), or left out. Got {value!r}."
        )
    for key in value:
        if key not in _TUNING_KEYS:
            raise _unknown("key", key, list(_TUNING_KEYS), "tuning")
    if "budget" not in value:
        raise ConfigError(
            "tuning: 'budget' is required (the candidate values of each tunable "
            "strategy, e.g. 5)."
        )
    return TuningConfig(**value)


@dataclass(frozen=True)
class BenchmarkConfig:
    """What a benchmark runs: data sets × attributes × estimators × strategies ×
    seeds.

    Parameters
    ----------
    datasets : sequence of DatasetConfig, str or mapping
        ``"adult"``, ``{"name": "adult", "attributes": ["sex"]}``, ...
    estimators : sequence of str
        Names of :data:`twinaudit.benchmark.ESTIMATORS`.
    strategies : sequence of str, or "all"
        Names of :data:`twinaudit.mitigation.STRATEGIES`; the unmitigated baseline
        (the plain estimator) always runs too. ``"all"`` is every registered
        strategy, written out in the configuration (and its hash).
    seeds : sequence of int
        One split and one seeded estimator per seed, shared by every strategy.
    test_size, validation_size : float
        Shares of the rows held out for testing and for validation.
    split : {"stratified", "permutation"}
        ``stratified`` by the label (scikit-learn's ``train_test_split``), or
        ``permutation``: AIF360's ``split(shuffle=True)`` after
        ``np.random.seed(seed)`` (train first, then validation, then test).
    strategy_params : mapping
        ``{strategy: {parameter: value}}`` passed to the strategy's constructor.
    data_home : str, optional
        Folder of the real data sets (default ``$TWINAUDIT_DATA``, then the cache).
    confidence : float
        Level of the intervals (flip rate, and across seeds).
    rank_by : str
        The fairness metric that ranks strategies (distance from parity).
    tuning : TuningConfig or mapping, optional
        ``{"budget": 5, "metric": ..., "max_violation": 0.05}``: every strategy
        with a main parameter chooses among ``budget`` values of it on the
        validation rows (see :class:`TuningConfig`). Off by default; when off, it
        is left out of :meth:`to_dict` and of the hash.
    """

    datasets: tuple[DatasetConfig, ...]
    estimators: tuple[str, ...] = ("logistic_regression", "gradient_boosting")
    strategies: tuple[str, ...] = ()
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    test_size: float = 0.3
    validation_size: float = 0.2
    split: SplitMethod = "stratified"
    strategy_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    data_home: str | None = None
    confidence: float = 0.95
    rank_by: str = "statistical_parity_difference"
    tuning: TuningConfig | None = None

    def __post_init__(self) -> None:
        from twinaudit.benchmark._estimators import ESTIMATORS
        from twinaudit.benchmark._metrics import FAIRNESS_METRICS

        datasets = self.datasets
        if isinstance(datasets, str | Mapping | DatasetConfig):
            datasets = (datasets,)  # type: ignore[assignment]
        if not datasets:
            raise ConfigError("datasets: name at least one data set.")
        parsed = tuple(_dataset(d, i) for i, d in enumerate(datasets))
        if len({d.name for d in parsed}) != len(parsed):
            raise ConfigError("datasets: names a data set twice.")
        object.__setattr__(self, "datasets", parsed)

        estimators = _names(self.estimators, "estimators")
        for name in estimators:
            if name not in ESTIMATORS:
                raise _unknown("estimator", name, list(ESTIMATORS), "estimators")
        object.__setattr__(self, "estimators", estimators)

        registry = _strategies()
        if self.strategies == "all":
            strategies: tuple[str, ...] = tuple(registry)
        else:
            strategies = _names(self.strategies, "strategies", empty=True)
        for name in strategies:
            if name not in registry:
                raise (
                    _unknown("strategy", name, [BASELINE, *registry], "strategies")
                    if name != BASELINE
                    else ConfigError(
                        f"strategies: {BASELINE!r} (the plain estimator) always runs; "
                        "leave it out of the list."
                    )
                )
        object.__setattr__(self, "strategies", strategies)

        params = dict(self.strategy_params or {})
        for name, values in params.items():
            if name not in strategies:
                raise _unknown("strategy", name, list(strategies), "strategy_params")
            if not isinstance(values, Mapping):
                raise ConfigError(
                    f"strategy_params.{name} must be a mapping of parameters. Got "
                    f"{values!r}."
                )
            accepted = list(registry[name](None).get_params(deep=False))
            for key in values:
                if key not in accepted or key == "estimator":
                    raise _unknown(
                        "parameter",
                        key,
                        [a for a in accepted if a != "estimator"],
                        f"strategy_params.{name}",
                    )
            params[name] = dict(values)
        object.__setattr__(self, "strategy_params", params)

        seeds = self.seeds
        if isinstance(seeds, int):
            seeds = (seeds,)
        if (
            not isinstance(seeds, Sequence)
            or not seeds
            or any(
                isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in seeds
            )
        ):
            raise ConfigError(
                f"seeds must be a non-empty list of whole numbers >= 0. Got {seeds!r}."
            )
        if len(set(seeds)) != len(seeds):
            raise ConfigError(f"seeds: a seed is repeated. Got {list(seeds)!r}.")
        object.__setattr__(self, "seeds", tuple(seeds))

        for key in ("test_size", "validation_size"):
            value = getattr(self, key)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 0 <= value < 1
                or (key == "test_size" and value == 0)
            ):
                raise ConfigError(
                    f"{key} must be a share of the rows, "
                    f"{'above' if key == 'test_size' else 'at least'} 0 and below 1. "
                    f"Got {value!r}."
                )
            object.__setattr__(self, key, float(value))
        if self.test_size + self.validation_size > 0.8:
            raise ConfigError(
                f"test_size + validation_size must leave at least 20% of the rows "
                f"for training. Got {self.test_size} + {self.validation_size}."
            )
        if self.split not in ("stratified", "permutation"):
            raise _unknown(
                "split method", self.split, ["stratified", "permutation"], "split"
            )
        if (
            isinstance(self.confidence, bool)
            or not isinstance(self.confidence, int | float)
            or not 0 < self.confidence < 1
        ):
            raise ConfigError(
                f"confidence must be between 0 and 1 (e.g. 0.95). Got "
                f"{self.confidence!r}."
            )
        if self.rank_by not in FAIRNESS_METRICS:
            raise _unknown(
                "fairness metric", self.rank_by, list(FAIRNESS_METRICS), "rank_by"
            )
        if self.data_home is not None:
            object.__setattr__(self, "data_home", str(self.data_home))
        if self.tuning is not None:
            object.__setattr__(self, "tuning", self._check_tuning(_tuning(self.tuning)))

    def _check_tuning(self, tuning: TuningConfig) -> TuningConfig:
        """Fill in the metric (``rank_by``) and check the tuning against the rest."""
        if tuning.metric is None:
            if self.rank_by == "flip_rate":
                raise ConfigError(
                    "tuning.metric defaults to rank_by ('flip_rate'), which is "
                    "measured on twins of the rows, not on the validation rows; set "
                    f"tuning.metric to one of {', '.join(_observed_metrics())}."
                )
            tuning = replace(tuning, metric=self.rank_by)
        if self.validation_size == 0:
            raise ConfigError(
                "tuning chooses on the validation rows, and validation_size is 0. "
                "Set validation_size above 0 (e.g. 0.2), or leave tuning out."
            )
        registry = _strategies()
        for name in self.strategies:
            parameter = getattr(registry[name], "tuning_parameter", None)
            if parameter is None:
                continue
            given = self.strategy_params.get(name, {})
            for key in parameter.parameters:
                if key in given:
                    raise ConfigError(
                        f"strategy_params.{name}.{key} conflicts with tuning, which "
                        f"gives {name} {tuning.budget} values of {parameter.name} "
                        f"from {parameter.low:g} to {parameter.high:g}. Remove "
                        f"{key} from strategy_params.{name}, or leave tuning out."
                    )
            if name == "threshold_optimizer" and given.get("constraints") == (
                "equalized_odds"
            ):
                raise ConfigError(
                    "strategy_params.threshold_optimizer.constraints: "
                    "'equalized_odds' cannot be tuned, because Fairlearn's "
                    "ThresholdOptimizer has no tolerance (tol) for equalized odds. "
                    "Choose another constraint, or leave threshold_optimizer or "
                    "tuning out."
                )
        return tuning

    # -- identity -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The configuration as plain JSON-able data (``from_dict`` reads it)."""
        out = asdict(self)
        out["datasets"] = [
            {**d, "attributes": list(d["attributes"])} for d in out["datasets"]
        ]
        for key in ("estimators", "strategies", "seeds"):
            out[key] = list(out[key])
        out["strategy_params"] = {k: dict(v) for k, v in self.strategy_params.items()}
        if self.tuning is None:
            # Left out when off: configurations from before tuning keep their hash.
            del out["tuning"]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "config") -> Any:
        """Build a configuration from a mapping; unknown keys are refused."""
        if not isinstance(data, Mapping):
            raise ConfigError(
                f"{where} must be a mapping of settings. Got {type(data).__name__}."
            )
        for key in data:
            if key not in _KEYS:
                raise _unknown("key", key, list(_KEYS), where)
        if "datasets" not in data:
            raise ConfigError(f"{where}: 'datasets' is required.")
        values = dict(data)
        for key in ("estimators", "strategies", "seeds"):
            if key in values and isinstance(values[key], list):
                values[key] = tuple(values[key])
        return cls(**values)

    def identity(self) -> dict[str, Any]:
        """What decides the results: the configuration without ``data_home`` (the
        files are checked by sha256 wherever they are)."""
        out = self.to_dict()
        out.pop("data_home")
        return out

    @property
    def hash(self) -> str:
        """sha256 of the canonical JSON of :meth:`identity`."""
        text = json.dumps(self.identity(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def cells(self) -> list[tuple[str, str, str, str, int]]:
        """Every (data set, attribute, estimator, strategy, seed), in table order."""
        return [
            (d.name, attribute, estimator, strategy, seed)
            for d in self.datasets
            for attribute in d.attributes
            for estimator in self.estimators
            for strategy in (BASELINE, *self.strategies)
            for seed in self.seeds
        ]


def _names(value: Any, key: str, *, empty: bool = False) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{key} must be a list of names. Got {value!r}.")
    if not value and not empty:
        raise ConfigError(f"{key}: name at least one.")
    if len(set(value)) != len(value):
        raise ConfigError(f"{key}: a name is repeated. Got {list(value)!r}.")
    return tuple(value)


def _dataset(value: Any, index: int) -> DatasetConfig:
    if isinstance(value, DatasetConfig):
        return value
    if isinstance(value, str):
        return DatasetConfig(value)
    if isinstance(value, Mapping):
        for key in value:
            if key not in _DATASET_KEYS:
                raise _unknown("key", key, list(_DATASET_KEYS), f"datasets[{index}]")
        if "name" not in value:
            raise ConfigError(f"datasets[{index}]: 'name' is required.")
        attributes = value.get("attributes", ())
        if isinstance(attributes, str):
            attributes = (attributes,)
        return DatasetConfig(value["name"], tuple(attributes), value.get("max_rows"))
    raise ConfigError(
        f"datasets[{index}] must be a name or a mapping with 'name'. Got {value!r}."
    )


def load_config(path: str | os.PathLike[str]) -> BenchmarkConfig:
    """Read a configuration from a YAML (``.yaml``/``.yml``) or TOML file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"Benchmark configuration {str(path)!r} not found.")
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    try:
        if suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        elif suffix == ".toml":
            data = tomllib.loads(text)
        else:
            raise ConfigError(
                f"{str(path)!r}: a configuration file ends in .yaml, .yml or .toml."
            )
    except (ValueError, ImportError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"{str(path)!r} is not valid {suffix[1:]}: {exc}") from exc
    except Exception as exc:  # yaml.YAMLError
        raise ConfigError(f"{str(path)!r} is not valid YAML: {exc}") from exc
    config: BenchmarkConfig = BenchmarkConfig.from_dict(data, where=path.name)
    return config


#: Rows sampled from the two large data sets in the default benchmark, so that it
#: runs in minutes; the sample is stratified and the same for every seed.
DEFAULT_MAX_ROWS = {"adult": 5000, "bank_marketing": 5000}

#: Smaller search budgets than the strategies' own defaults, the same for every
#: data set and estimator, so the default benchmark fits in 20 minutes on 2 cores.
DEFAULT_STRATEGY_PARAMS: dict[str, dict[str, Any]] = {
    "exponentiated_gradient": {"max_iter": 5},
    "grid_search": {"grid_size": 5},
    "threshold_optimizer": {"grid_size": 200},
    "eq_odds": {"cv": 3},
    "calibrated_eq_odds": {"cv": 3},
    "reject_option": {"cv": 3, "num_class_thresh": 20, "num_ROC_margin": 10},
    "lfr": {"maxiter": 500},
}


def default_config(data_home: str | None = None) -> BenchmarkConfig:
    """The default benchmark (``twinaudit bench`` without ``--config``, and
    ``benchmarks/bench_mitigation.yaml``): the four real data sets whose files are
    present (Adult and Bank marketing sampled to 5,000 rows), the loan scenario,
    logistic regression and gradient boosting, every registered strategy (with
    :data:`DEFAULT_STRATEGY_PARAMS` for those registered), 5 seeds."""
    from twinaudit.datasets import FILES, get_data_home

    home = get_data_home(data_home)
    present = [
        name
        for name, files in FILES.items()
        if name != "loan" and all((home / f).is_file() for f in files)
    ]
    datasets = [
        {"name": name, "max_rows": DEFAULT_MAX_ROWS[name]}
        if name in DEFAULT_MAX_ROWS
        else name
        for name in [*present, "loan"]
    ]
    strategies = tuple(_strategies())
    return BenchmarkConfig.from_dict(
        {
            "datasets": datasets,
            "strategies": list(strategies),
            "strategy_params": {
                k: v for k, v in DEFAULT_STRATEGY_PARAMS.items() if k in strategies
            },
            "data_home": data_home,
        }
    )
