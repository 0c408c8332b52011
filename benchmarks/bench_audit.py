"""Audit speed and memory against the cost of the model itself, and against the
tutorial's way, measured in the same run.

For 10^4 ... 10^7 twin pairs (the tutorial's decision tree; 2 x n rows):

- ``predict``: the model's bare ``predict`` on the 2 x n twin rows (what any audit
  must at least pay);
- ``audit``: ``twinaudit.audit(model, spec, n_pairs=n)`` end to end (generation,
  scoring, every metric with AIF360's and Fairlearn's columns, bootstrap intervals,
  where the bias lives), for the numeric spec (integer ID, income, gender) and for
  UUID IDs with gendered first names; at 10^7 pairs streamed
  (``chunk_size=2**18``), whose peak RSS is the memory target;
- ``loop``: the tutorial's per-record loop building the twins (a Mimesis UUID and
  income per applicant, a gendered first name per twin); ``loop+libs``: the loop
  followed by AIF360's ``BinaryLabelDatasetMetric`` and a Fairlearn
  ``MetricFrame`` on the raw rows, divided by each audit's time (the UUID and
  names audit builds the same twins). Measured up to ``--loop-cap`` pairs (10^5) and
  extrapolated beyond, linearly from the largest measured size (the loop is one
  Python iteration per pair, the libraries linear in rows), marked ``~``;
- ``dask``: the same audit on a 2-worker ``LocalCluster`` (``backend="dask"``,
  cluster start-up excluded), at 10^6 pairs;
- ``import twinaudit`` and ``twinaudit --help``: wall time of a fresh interpreter,
  minus that of ``python -c pass``.

Every measurement runs in a fresh process (so peak RSS is that measurement's own),
best of ``--repeat`` runs inside it.

    python benchmarks/bench_audit.py                 # 10^4 ... 10^7
    python benchmarks/bench_audit.py --max 1000000   # up to 10^6
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def numeric_spec():
    import twinaudit as ta

    return ta.TwinSpec(
        fields=[ta.Identifier("ID"), ta.Integer("Income", 30_000, 120_000)],
        protected=[
            ta.ProtectedAttribute(
                "Gender",
                ["Male", "Female"],
                privileged="Male",
                model_column="Gender_Code",
                encoding={"Male": 1, "Female": 0},
            )
        ],
        seed=42,
    )


def names_spec():
    from twinaudit.datasets import loan_twin_spec

    return loan_twin_spec()  # UUID IDs, income, gendered first names


def best_of(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def tutorial(model, n_pairs: int, libraries: bool) -> None:
    """The tutorial's per-record loop, then (``libraries``) AIF360 and Fairlearn
    on the raw rows."""
    import pandas as pd
    from mimesis import Generic
    from mimesis.enums import Gender

    from twinaudit.datasets import LOAN_FEATURES

    generic = Generic(seed=42)
    rows = []
    for _ in range(n_pairs):
        # The tutorial's applicant: an ID and an income, cloned into a male and a
        # female twin, each with a first name of that gender.
        applicant = generic.cryptographic.uuid()
        income = generic.random.randint(30_000, 120_000)
        for gender, code in ((Gender.MALE, 1), (Gender.FEMALE, 0)):
            rows.append(
                {
                    "ID": applicant,
                    "Name": generic.person.first_name(gender=gender),
                    "Gender_Code": code,
                    "Income": income,
                }
            )
    frame = pd.DataFrame(rows)
    frame["Approved"] = model.predict(frame[LOAN_FEATURES])
    if not libraries:
        return
    from aif360.datasets import BinaryLabelDataset
    from aif360.metrics import BinaryLabelDatasetMetric
    from fairlearn.metrics import MetricFrame, selection_rate

    data = BinaryLabelDataset(
        df=frame[["Gender_Code", "Income", "Approved"]].astype(float),
        label_names=["Approved"],
        protected_attribute_names=["Gender_Code"],
    )
    metric = BinaryLabelDatasetMetric(
        data,
        unprivileged_groups=[{"Gender_Code": 0}],
        privileged_groups=[{"Gender_Code": 1}],
    )
    metric.disparate_impact()
    metric.statistical_parity_difference()
    MetricFrame(
        metrics=selection_rate,
        y_true=frame["Approved"],
        y_pred=frame["Approved"],
        sensitive_features=frame["Gender_Code"],
    ).difference()


def measure(kind: str, n: int, repeat: int) -> dict[str, float]:
    """One measurement, in this (fresh) process."""
    import warnings

    import numpy as np

    import twinaudit as ta
    from twinaudit.datasets import LOAN_FEATURES, loan_applications, loan_model

    warnings.simplefilter("ignore")
    model = loan_model(loan_applications(1000, seed=42))
    ta.audit(model, numeric_spec(), n_pairs=1000)  # import AIF360/Fairlearn once
    out: dict[str, float] = {}
    if kind == "predict":
        twins = ta.generate(numeric_spec(), n)
        X = twins.frame.assign(
            Gender_Code=(twins.codes("Gender") == 0).astype(np.int64)
        )[LOAN_FEATURES]
        out["time"] = best_of(lambda: model.predict(X), repeat)
    elif kind in ("numeric", "names"):
        spec = numeric_spec() if kind == "numeric" else names_spec()
        options = {"chunk_size": 2**18} if n > 10**6 else {}
        out["time"] = best_of(
            lambda: ta.audit(model, spec, n_pairs=n, **options), repeat
        )
    elif kind in ("loop", "loop+libs"):
        out["time"] = best_of(lambda: tutorial(model, n, kind == "loop+libs"), repeat)
    elif kind == "dask":
        from distributed import Client, LocalCluster

        with (
            LocalCluster(
                n_workers=2, threads_per_worker=1, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            ta.audit(model, numeric_spec(), n_pairs=1000, backend="dask", client=client)
            out["time"] = best_of(
                lambda: ta.audit(
                    model, numeric_spec(), n_pairs=n, backend="dask", client=client
                ),
                repeat,
            )
    else:  # pragma: no cover
        raise SystemExit(f"unknown measurement {kind!r}")
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def child(kind: str, n: int, repeat: int, tries: int = 2) -> dict[str, float]:
    for attempt in range(tries):
        result = subprocess.run(
            [sys.executable, __file__, "--child", kind, str(n), str(repeat)],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
        if result.returncode == 0:
            break
        print(
            f"({kind} at {n:,} failed, attempt {attempt + 1}: {result.stderr[-300:]})"
        )
    result.check_returncode()
    return json.loads(result.stdout.strip().splitlines()[-1])


def startup(code: list[str], repeat: int = 5) -> float:
    def run(args: list[str]) -> float:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run(args, check=True, capture_output=True, cwd=ROOT)
            times.append(time.perf_counter() - start)
        return min(times)

    return run(code) - run([sys.executable, "-c", "pass"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", type=int, default=10**7, help="largest size")
    parser.add_argument("--loop-cap", type=int, default=10**5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--no-table", action="store_true", help="only the Dask and start-up times"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, n, repeat = args.child
        print(json.dumps(measure(kind, int(n), int(repeat))))
        return

    sizes = [n for n in (10**4, 10**5, 10**6, 10**7) if n <= args.max]
    table = [] if args.no_table else sizes
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    header = (
        f"{'pairs':>10} | {'predict':>8} | {'audit':>8} {'ratio':>6} {'RSS':>7} | "
        f"{'uuid+names':>10} {'ratio':>6} | {'loop':>8} | {'loop+libs':>9} | "
        f"{'÷ numeric':>9} {'÷ names':>8}"
    )
    print(header)
    print("-" * len(header))
    per_pair: dict[str, float] = {}
    for n in table:
        repeat = 1 if n >= 10**7 else args.repeat
        predict = child("predict", n, repeat)["time"]
        numeric = child("numeric", n, repeat)
        names = child("names", n, repeat)["time"]
        loops: dict[str, tuple[float, str]] = {}
        for kind in ("loop", "loop+libs"):
            if n <= args.loop_cap:
                loops[kind] = (child(kind, n, 1)["time"], "")
                per_pair[kind] = loops[kind][0] / n
            else:
                loops[kind] = (per_pair[kind] * n, "~")
        libs, mark = loops["loop+libs"]
        print(
            f"{n:>10,} | {predict:>7.3f}s | {numeric['time']:>7.3f}s "
            f"{numeric['time'] / predict:>5.1f}x {numeric['rss_mb']:>5.0f}MB | "
            f"{names:>9.3f}s {names / predict:>5.1f}x | "
            f"{mark}{loops['loop'][0]:>7.2f}s | {mark}{libs:>8.2f}s | "
            f"{mark}{libs / numeric['time']:>7.0f}x {mark}{libs / names:>6.0f}x"
        )
    if 10**6 in sizes:
        local = child("numeric", 10**6, args.repeat)["time"]
        dask = child("dask", 10**6, args.repeat)["time"]
        print(
            f"\ndask, 2-worker LocalCluster, 10^6 pairs: {dask:.3f}s "
            f"(local {local:.3f}s, overhead {dask - local:+.3f}s)"
        )
    imp = startup([sys.executable, "-c", "import twinaudit"])
    cli = startup([str(Path(sys.executable).parent / "twinaudit"), "--help"])
    print(f"import twinaudit: {imp:.3f}s; twinaudit --help: {cli:.3f}s")
    print("~ extrapolated linearly from the largest measured size")


if __name__ == "__main__":
    main()
