"""Generation speed and memory, against the tutorial's per-record Mimesis loop.

Baseline: the tutorial's way, measured in the same run: a seeded Mimesis
``Generic``, one call per field per base profile, a dict per twin, then a DataFrame.

    python benchmarks/bench_generate.py            # 10^4, 10^5, 10^6 pairs + memory
    python benchmarks/bench_generate.py --quick    # 10^4, 10^5 only

Targets (issue 3): at 10^6 pairs, >= 30x the loop for a numeric spec and >= 10x with
gendered first names and two Mimesis text fields; chunked generation of 10^7 pairs
under 1 GB peak RSS, and memory linear in the number of pairs.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time

import pandas as pd

from twinaudit import Identifier, Integer, ProtectedAttribute, Provider, Proxy, TwinSpec
from twinaudit import generate as generate_twins

GENDER = ProtectedAttribute("Gender", ["Male", "Female"], privileged="Male")


def numeric_spec(id_format: str = "int") -> TwinSpec:
    """The tutorial's twins: an ID and an income per applicant, gender varied."""
    return TwinSpec(
        fields=[Identifier("ID", format=id_format), Integer("Income", 30_000, 120_000)],
        protected=[GENDER],
        seed=42,
    )


def text_spec(id_format: str = "int") -> TwinSpec:
    """Plus a first name that follows gender and two Mimesis text fields."""
    return TwinSpec(
        fields=[
            Identifier("ID", format=id_format),
            Integer("Income", 30_000, 120_000),
            Provider("Occupation", "person.occupation"),
            Provider("City", "address.city"),
        ],
        protected=[GENDER],
        proxies=[
            Proxy.gendered("Name", "Gender", {"Male": "male", "Female": "female"})
        ],
        seed=42,
    )


def tutorial_loop(n_pairs: int, text: bool, id_format: str = "int") -> pd.DataFrame:
    """The tutorial's approach: per-record Mimesis calls, dicts, then a DataFrame."""
    from mimesis import Generic
    from mimesis.enums import Gender
    from mimesis.locales import Locale

    g = Generic(locale=Locale.EN, seed=42)
    new_id = g.cryptographic.uuid if id_format == "uuid" else g.numeric.increment
    rows = []
    for _ in range(n_pairs):
        base = {"ID": new_id(), "Income": g.numeric.integer_number(30_000, 120_000)}
        if text:
            gender = g.choice(["Male", "Female"])
            base["Name"] = g.person.first_name(
                gender=Gender.MALE if gender == "Male" else Gender.FEMALE
            )
            base["Occupation"] = g.person.occupation()
            base["City"] = g.address.city()
        for gender in ("Male", "Female"):
            rows.append({**base, "Gender": gender})
    return pd.DataFrame(rows)


def best_of(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


CASES = {
    # name: (spec, loop with text fields?, ID format, target ratio at 10^6 pairs)
    "numeric": (numeric_spec(), False, "int", 30),
    "names + 2 text fields": (text_spec(), True, "int", 10),
    "names + 2 text fields, UUID IDs": (text_spec("uuid"), True, "uuid", None),
}


def speed(sizes: list[int]) -> list[dict[str, object]]:
    rows = []
    generate_twins(text_spec("uuid"), 10)  # warm the provider caches
    for name, (spec, text, id_format, _) in CASES.items():
        for n in sizes:
            ours = best_of(lambda s=spec, k=n: generate_twins(s, k), 3)
            loop = best_of(lambda k=n, t=text, i=id_format: tutorial_loop(k, t, i), 1)
            rows.append(
                {
                    "spec": name,
                    "pairs": n,
                    "twinaudit s": round(ours, 4),
                    "pairs/s": f"{n / ours:,.0f}",
                    "tutorial loop s": round(loop, 3),
                    "ratio (loop / twinaudit)": round(loop / ours, 1),
                }
            )
    return rows


_MEMORY_CHILD = """
import json, sys
from twinaudit import iter_twins, generate
sys.path.insert(0, {here!r})
from bench_generate import text_spec
mode, n, chunk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = 0
if mode == "chunked":
    for part in iter_twins(text_spec(), n, chunk):
        rows += len(part.frame)
else:
    rows = len(generate(text_spec(), n).frame)
with open("/proc/self/status") as status:
    peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
print(json.dumps({{"rows": rows, "peak_mb": peak_kb / 1024}}))
"""


def memory(child_args: list[str]) -> dict[str, float]:
    from pathlib import Path

    code = _MEMORY_CHILD.format(here=str(Path(__file__).resolve().parent))
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code, *child_args],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout)
    result["seconds"] = time.perf_counter() - start
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="skip the 10^6 and 10^7 runs"
    )
    args = parser.parse_args()
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    table = pd.DataFrame(speed(sizes))
    print("Generation speed (best of 3 for twinaudit; baseline: tutorial loop, 1 run)")
    print(table.to_string(index=False))
    if not args.quick:
        big = table[table["pairs"] == 1_000_000].set_index("spec")
        for spec, (*_, target) in CASES.items():
            if target is None:
                continue
            ratio = big.loc[spec, "ratio (loop / twinaudit)"]
            verdict = "meets" if ratio >= target else "MISSES"
            print(
                f"{spec}: {ratio}x the tutorial loop at 10^6 pairs ({verdict} the "
                f"{target}x target)"
            )
    print()
    print("Peak memory (resident set, fresh process; text spec)")
    runs = [
        ("one shot", ["oneshot", "100000", "0"]),
        ("one shot", ["oneshot", "1000000", "0"]),
    ]
    if not args.quick:
        runs.append(("chunked, 100,000 per chunk", ["chunked", "10000000", "100000"]))
    mem_rows = []
    for label, child in runs:
        result = memory(child)
        mem_rows.append(
            {
                "how": label,
                "pairs": int(child[1]),
                "rows": result["rows"],
                "peak MB": round(result["peak_mb"]),
                "seconds": round(result["seconds"], 1),
            }
        )
    mem = pd.DataFrame(mem_rows)
    print(mem.to_string(index=False))
    one = mem[mem["how"] == "one shot"].set_index("pairs")["peak MB"]
    baseline = memory(["oneshot", "1", "0"])["peak_mb"]
    growth = (one[1_000_000] - baseline) / max(one[100_000] - baseline, 1)
    print(
        f"Memory above an empty run ({baseline:.0f} MB) grows {growth:.1f}x from "
        "10^5 to 10^6 pairs (10x is linear)."
    )
    if not args.quick:
        peak = mem.iloc[-1]["peak MB"]
        verdict = "meets" if peak < 1024 else "MISSES"
        print(f"Chunked 10^7 pairs: peak {peak} MB ({verdict} the 1 GB target).")


if __name__ == "__main__":
    main()
