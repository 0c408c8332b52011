"""The mitigation benchmark: data sets × attributes × estimators × strategies ×
seeds, resumable and parallel, with the statistics and reports of the comparison."""

from twinaudit.benchmark._config import (
    BASELINE,
    BenchmarkConfig,
    DatasetConfig,
    TuningConfig,
    default_config,
    load_config,
)
from twinaudit.benchmark._estimators import ESTIMATORS, CategoricalBoosting
from twinaudit.benchmark._metrics import (
    COLUMNS,
    FAIRNESS_METRICS,
    KEYS,
    PERFORMANCE_METRICS,
    TIMING_COLUMNS,
    TUNING_COLUMNS,
)
from twinaudit.benchmark._report import (
    benchmark_html,
    benchmark_markdown,
    tradeoff_figure,
    write_report,
)
from twinaudit.benchmark._run import (
    choose_candidate,
    load_results,
    run_benchmark,
    split_indices,
)
from twinaudit.benchmark._stats import pareto_front, rank_strategies, summarize

__all__ = [
    "BASELINE",
    "COLUMNS",
    "ESTIMATORS",
    "FAIRNESS_METRICS",
    "KEYS",
    "PERFORMANCE_METRICS",
    "TIMING_COLUMNS",
    "TUNING_COLUMNS",
    "BenchmarkConfig",
    "CategoricalBoosting",
    "DatasetConfig",
    "TuningConfig",
    "benchmark_html",
    "benchmark_markdown",
    "choose_candidate",
    "default_config",
    "load_config",
    "load_results",
    "pareto_front",
    "rank_strategies",
    "run_benchmark",
    "split_indices",
    "summarize",
    "tradeoff_figure",
    "write_report",
]
