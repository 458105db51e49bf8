"""Monte Carlo over the bundled registry (issue 5, acceptance 2): 1,000 and 10,000 samples.

Two registries are timed: the bundled one as it is (few of its figures are ranges), and a
worst case where every exact quantity of every file is widened to ±10%, so that every
input of every part is drawn and, under ``compute``, the shares vary per sample. Each
figure is the best of R runs of :func:`lineage.core.montecarlo.simulate` (wall clock, loading
excluded, the deterministic ``compute`` it starts with included).

    python benchmarks/bench_montecarlo.py [R]
"""

from __future__ import annotations

import dataclasses
import sys
import time
from typing import Any

from pydantic import BaseModel

from lineage.api import load_files
from lineage.core.montecarlo import simulate
from lineage.model.graph import Project, build
from lineage.model.interval import Interval

POLICIES = ("equal", "compute")
SIZES = (1_000, 10_000)


def widen(value: Any, pct: float) -> Any:
    """``value`` with every exact positive quantity turned into ``mid ± pct`` (not shares)."""
    if isinstance(value, Interval):
        if not value.is_exact or value.mid <= 0:
            return value
        return Interval(value.mid * (1 - pct), value.mid, value.mid * (1 + pct))
    if isinstance(value, BaseModel):
        fields = [k for k in type(value).model_fields if k != "share"]
        return value.model_copy(update={k: widen(getattr(value, k), pct) for k in fields})
    if isinstance(value, dict):
        return {k: widen(v, pct) for k, v in value.items()}
    if isinstance(value, list):
        return [widen(v, pct) for v in value]
    return value


def registries() -> dict[str, Project]:
    files = load_files()
    wide = [dataclasses.replace(f, spec=widen(f.spec, 0.10)) for f in files]
    return {"bundled": build(files), "every input ±10%": build(wide)}


def best_seconds(project: Project, policy: str, n: int, repeats: int) -> tuple[float, int]:
    times, sampled = [], 0
    for seed in range(repeats):
        start = time.perf_counter()
        mc = simulate(project, policy, n=n, seed=seed)
        times.append(time.perf_counter() - start)
        sampled = mc.inputs_sampled
    return min(times), sampled


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    projects = registries()
    models = len(next(iter(projects.values())).models)
    print(f"lineage.core.montecarlo.simulate over {models} models; best of {repeats} runs")
    print(f"{'registry':<18} {'policy':<8} {'samples':>8} {'inputs':>7} {'seconds':>9} "
          f"{'samples/s':>11}")
    for name, project in projects.items():
        for policy in POLICIES:
            for n in SIZES:
                seconds, sampled = best_seconds(project, policy, n, repeats)
                print(f"{name:<18} {policy:<8} {n:>8,} {sampled:>7} {seconds:>9.3f} "
                      f"{n / seconds:>11,.0f}")


if __name__ == "__main__":
    main()
