"""Explaining one model of a hub dump against the size of its ancestry: the leaf of a chain of
fine-tunes (fine-tune of a fine-tune of …) and a merge of many parents. Each figure is the
median wall time of a fresh ``lineage cost`` process (reading the dump included); the ratio
column shows how the time grows with the chain (linear: ×10 per ×10).

    python benchmarks/bench_chain.py [RUNS]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def chain(path: Path, n: int) -> str:
    with path.open("w", encoding="utf-8") as f:
        f.write(json.dumps({"id": "c/m0", "co2_eq_emissions": 1000.0}) + "\n")
        for i in range(1, n):
            f.write(json.dumps({"id": f"c/m{i}", "base_model": f"c/m{i - 1}",
                                "co2_eq_emissions": 10.0}) + "\n")
    return f"c/m{n - 1}"


def merge(path: Path, n: int) -> str:
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"p/m{i}", "co2_eq_emissions": 10.0}) + "\n")
        f.write(json.dumps({"id": "p/merge", "base_model": [f"p/m{i}" for i in range(n)]})
                + "\n")
    return "p/merge"


def seconds(model: str, dump: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "lineage", "cost", model, "-f", str(dump),
                        "--no-registry"], check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    with tempfile.TemporaryDirectory() as tmp:
        print(f"median of {runs} fresh processes (s); ratio to the previous row")
        for name, make, sizes in (("chain", chain, (1_000, 10_000, 100_000)),
                                  ("merge", merge, (1_000, 32_000))):
            previous = None
            for n in sizes:
                dump = Path(tmp) / f"{name}{n}.jsonl"
                t = seconds(make(dump, n), dump, runs)
                ratio = f"{t / previous:5.2f}" if previous else "    -"
                print(f"{name} of {n:>7,} models: {t:6.2f} s   ×{ratio}")
                previous = t


if __name__ == "__main__":
    main()
