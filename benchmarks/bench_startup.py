"""Cold start of the CLI on the bundled registry, beside the cost of importing its dependencies.

Each figure is the median of N fresh interpreter starts (wall clock), so it includes the
interpreter's own start-up; the "python -c pass" row is that baseline.

    python benchmarks/bench_startup.py [N]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def median_seconds(argv: list[str], n: int) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    py = sys.executable
    cases = {
        "python -c pass": [py, "-c", "pass"],
        "import yaml": [py, "-c", "import yaml"],
        "import click": [py, "-c", "import click"],
        "import pydantic": [py, "-c", "import pydantic"],
        "import networkx": [py, "-c", "import networkx"],
        "import graphviz": [py, "-c", "import graphviz"],
        "import all declared dependencies": [
            py, "-c", "import yaml, click, pydantic, networkx, graphviz"],
        "lineage --help": [py, "-m", "lineage", "--help"],
        "lineage schema": [py, "-m", "lineage", "schema"],
        "lineage registry hardware": [py, "-m", "lineage", "registry", "hardware"],
        "lineage cost llama-3.2-1b": [py, "-m", "lineage", "cost", "llama-3.2-1b"],
        "lineage table": [py, "-m", "lineage", "table"],
        "lineage validate (whole registry)": [py, "-m", "lineage", "validate"],
    }
    results = {name: median_seconds(argv, n) for name, argv in cases.items()}
    base = results["python -c pass"]
    deps = results["import all declared dependencies"]
    print(f"median of {n} cold starts (ms); 'net' subtracts the bare interpreter start")
    print(f"{'case':<36} {'ms':>8} {'net ms':>8} {'net / deps':>11}")
    for name, s in results.items():
        net = s - base
        ratio = net / (deps - base) if deps > base else float("nan")
        print(f"{name:<36} {s * 1000:8.0f} {net * 1000:8.0f} {ratio:11.2f}")


if __name__ == "__main__":
    main()
