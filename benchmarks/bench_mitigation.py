"""Run the mitigation benchmark, write its report, print the headline table and
the time it took.

    python benchmarks/bench_mitigation.py --out bench-results --n-jobs 2
    python benchmarks/bench_mitigation.py --out probe --seeds 0    # one seed of five

The configuration is ``benchmarks/bench_mitigation.yaml`` (what ``twinaudit bench``
runs by default) unless ``--config`` names another. ``--seeds`` replaces its seeds:
every seed runs the same cells on a split of the same size, so the time of one seed
times the number of seeds estimates the time of the whole run (the README's numbers
are of a whole run). A rerun resumes: finished cells are not run again.

Target (issue 10): the default benchmark in under 20 minutes on the 2-core machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import pandas as pd

from twinaudit.benchmark import (
    BASELINE,
    TIMING_COLUMNS,
    load_config,
    rank_strategies,
    run_benchmark,
    write_report,
)

HERE = Path(__file__).resolve().parent


def headline(table: pd.DataFrame) -> str:
    """Per data set, attribute and estimator: the unmitigated model against the
    strategy ranked first (closest to statistical parity), means across seeds."""
    ranking = rank_strategies(table)
    lines = [
        "| data set | attribute | estimator | unmitigated: accuracy, |SPD|, flip rate "
        "| first-ranked strategy | its accuracy, |SPD|, flip rate |",
        "|---|---|---|---|---|---|",
    ]
    for (dataset, attribute, estimator), part in ranking.groupby(
        ["dataset", "attribute", "estimator"], sort=False
    ):
        base = part[part["strategy"] == BASELINE].iloc[0]
        best = part.sort_values("rank").iloc[0]

        def triple(row: pd.Series) -> str:
            return (
                f"{row['accuracy']:.3f}, {row['unfairness']:.3f}, "
                f"{row['flip_rate']:.3f}"
            )

        lines.append(
            f"| {dataset} | {attribute} | {estimator} | {triple(base)} | "
            f"{best['strategy']} | {triple(best)} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=HERE / "bench_mitigation.yaml")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--seeds", type=int, nargs="+", default=None)
    parser.add_argument("--data-home", default=None)
    args = parser.parse_args()

    config = load_config(args.config)
    changes: dict = {}
    if args.seeds is not None:
        changes["seeds"] = tuple(args.seeds)
    if args.data_home is not None:
        changes["data_home"] = args.data_home
    config = dataclasses.replace(config, **changes)

    start = time.perf_counter()
    table = run_benchmark(config, args.out, n_jobs=args.n_jobs)
    wall = time.perf_counter() - start
    write_report(table, args.out)
    cell_seconds = table[list(TIMING_COLUMNS)].sum(axis=1)
    failed = int((table["status"] != "ok").sum())
    print(headline(table))
    print()
    print(
        f"{len(table)} cells ({failed} failed) in {wall:.0f} s with n_jobs="
        f"{args.n_jobs}; cells' own time {cell_seconds.sum():.0f} s (fit, predict, "
        f"audit). Seeds {list(config.seeds)}."
    )
    slowest = (
        table.assign(seconds=cell_seconds)
        .groupby(["estimator", "strategy"])["seconds"]
        .sum()
        .sort_values(ascending=False)
        .head(5)
    )
    print("Slowest (estimator, strategy), seconds summed over cells:")
    print(slowest.round(0).to_string())
    print(f"Report: {args.out / 'report.html'}")


if __name__ == "__main__":
    main()
