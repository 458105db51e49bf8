"""The whole Hugging Face model tree on a laptop (issue 7): load, propagate, query, memory.

Generates (once) a synthetic dump with the Hub's shape (``hub_synth.py``: 1.86M models,
574k edges), then reports, each as the median of R runs:

- in process: reading the dump, joining it to the bundled registry, propagation over every
  model with :mod:`lineage.core.arrays` — beside two references in the same run, a plain networkx
  propagation (topological order, a loop over predecessors) and a sparse linear solve of
  (I − Sᵀ)c = d with scipy (the LCA way, as Brightway does it), whose results must agree
  with ours to 1e-9 relative — and explaining one model;
- as a user runs it (a fresh ``lineage`` process, wall clock and peak RSS from ``wait4``):
  ``cost`` on the dump, ``index``, ``cost`` and ``family`` on the index, ``table --format
  csv`` over every model, and plain ``cost llama-3.2-1b`` for reference.

    python benchmarks/hub_scale.py [--models N] [--runs R] [--dir DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from hub_synth import HUB_MODELS, generate

from lineage.api import load
from lineage.core.arrays import compute_arrays
from lineage.core.hubexplain import explain_results
from lineage.core.hubgraph import Joined, edge_shares, join
from lineage.io.dump import read_jsonl


def median_time(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def stdlib_read(path: Path) -> int:
    """The reference a user would write: every line through the standard library's json."""
    import json

    with path.open(encoding="utf-8") as f:
        return len([json.loads(line) for line in f])


def networkx_propagation(j: Joined, s: np.ndarray) -> tuple[float, float, np.ndarray]:
    """(build seconds, propagation seconds, cumulative kg): the textbook networkx way."""
    import networkx as nx

    start = time.perf_counter()
    G = nx.DiGraph()
    G.add_nodes_from(range(j.graph.n))
    G.add_weighted_edges_from(zip(j.graph.parent.tolist(), j.graph.child.tolist(),
                                  s.tolist(), strict=True), weight="s")
    built = time.perf_counter() - start
    own = j.graph.own_kg[:, 1].tolist()
    start = time.perf_counter()
    c = [0.0] * j.graph.n
    for v in nx.topological_sort(G):
        c[v] = own[v] + sum(data["s"] * c[u] for u, _, data in G.in_edges(v, data=True))
    return built, time.perf_counter() - start, np.array(c)


def scipy_solve(j: Joined, s: np.ndarray) -> tuple[float, np.ndarray]:
    from scipy.sparse import csr_matrix, identity
    from scipy.sparse.linalg import spsolve

    start = time.perf_counter()
    n = j.graph.n
    S = csr_matrix((s, (j.graph.child, j.graph.parent)), shape=(n, n))
    c = spsolve((identity(n, format="csr") - S).tocsc(), j.graph.own_kg[:, 1])
    return time.perf_counter() - start, c


LAUNCHER = """
import os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
_, status, usage = os.wait4(proc.pid, 0)
wall = time.perf_counter() - start
if os.waitstatus_to_exitcode(status):
    sys.exit(proc.stderr.read().decode())
print(wall, usage.ru_maxrss / 1024)
"""


def run_cli(args: list[str], runs: int) -> tuple[float, float]:
    """(median wall seconds, max peak RSS MiB) of ``lineage ARGS`` in fresh processes.

    Why a launcher: Linux reports a child's peak RSS as at least its parent's at fork time,
    and this benchmark's own process holds the whole dump.
    """
    walls, peaks = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", LAUNCHER, sys.executable, "-m", "lineage",
                              *args], capture_output=True, text=True, check=True).stdout
        wall, peak = map(float, out.split())
        walls.append(wall)
        peaks.append(peak)
    return statistics.median(walls), max(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=HUB_MODELS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/lineage-hub"))
    opts = parser.parse_args()
    opts.dir.mkdir(parents=True, exist_ok=True)
    dump = opts.dir / f"hub-{opts.models}.jsonl"
    index = opts.dir / f"hub-{opts.models}.lineage"
    if not dump.exists():
        start = time.perf_counter()
        shape = generate(dump, opts.models)
        print(f"generated {dump} in {time.perf_counter() - start:.1f} s: {shape}")
    print(f"dump: {dump} ({dump.stat().st_size / 1e6:,.0f} MB), median of {opts.runs} runs, "
          f"{os.cpu_count()} cores\n")

    raw_s, _ = median_time(dump.read_bytes, opts.runs)
    stdlib_s, _ = median_time(lambda: stdlib_read(dump), opts.runs)
    load_s, hub = median_time(lambda: read_jsonl(dump), opts.runs)
    project = load()
    join_s, j = median_time(lambda: join(project, hub), opts.runs)
    level, _ = j.graph.levels()
    fanout = np.bincount(j.graph.parent, minlength=j.graph.n)
    print(f"shape: {hub.n_models:,} models, {hub.parent.size:,} edges, depth {level.max()} "
          f"(levels: {np.bincount(level).tolist()}), largest fan-out {fanout.max():,}, "
          f"{(fanout > 0).sum():,} models with children")

    s = edge_shares(j, "equal")

    def propagate() -> Any:
        j.graph._order = None  # the topological levels are computed again each run
        return compute_arrays(j.graph, "equal", s=s)

    prop_s, r = median_time(propagate, opts.runs)
    nx_build, nx_s, nx_c = networkx_propagation(j, s)
    sp_s, sp_c = scipy_solve(j, s)
    ours = r.cumulative_kg[:, 1]
    rel = lambda other: float(np.max(np.abs(ours - other) / np.maximum(np.abs(other), 1e-300)))  # noqa: E731
    deepest = int(np.argmax(level))
    name = j.graph.ids[deepest]

    def query() -> float:
        return explain_results(project, hub, name, "equal") \
            .costs[name].cumulative_kgco2e_bound.mid

    query_s, answer = median_time(query, opts.runs)
    assert abs(answer - ours[deepest]) <= 1e-9 * max(abs(answer), 1.0)
    print(f"\n{'in process':<52}{'seconds':>10}")
    for label, value in (("raw read of the file (the floor)", raw_s),
                         ("stdlib json.loads of every line (the reference)", stdlib_s),
                         ("read the dump (JSON Lines → columns)", load_s),
                         ("join it to the bundled registry", join_s),
                         ("propagate over every model (lineage.core.arrays)", prop_s),
                         ("  networkx reference: build the DiGraph", nx_build),
                         ("  networkx reference: propagate", nx_s),
                         ("  scipy reference: sparse solve of (I − Sᵀ)c = d", sp_s),
                         (f"explain one model ({name}, depth {level[deepest]})", query_s)):
        print(f"{label:<52}{value:>10.3f}")
    print(f"\nnetworkx propagation / ours: {nx_s / prop_s:,.1f}×   scipy solve / ours: "
          f"{sp_s / prop_s:,.1f}×")
    print(f"largest relative difference: vs scipy {rel(sp_c):.1e}, vs networkx {rel(nx_c):.1e}")
    del nx_c

    print(f"\n{'a fresh lineage process':<58}{'seconds':>9}{'peak MiB':>10}")
    rows = [("cost llama-3.2-1b (registry only)", ["cost", "llama-3.2-1b"]),
            (f"cost {name} -f dump.jsonl", ["cost", name, "-f", str(dump)]),
            ("index dump.jsonl -o hub.lineage (Arrow IPC)",
             ["index", str(dump), "-o", str(index)]),
            (f"cost {name} -f hub.lineage", ["cost", name, "-f", str(index)]),
            ("cost meta-llama/Llama-3.2-1B -f hub.lineage",
             ["cost", "meta-llama/Llama-3.2-1B", "-f", str(index)]),
            ("family meta-llama/Llama-3.2-1B -f hub.lineage",
             ["family", "meta-llama/Llama-3.2-1B", "-f", str(index)]),
            ("table -f dump.jsonl --format csv (every row)",
             ["table", "-f", str(dump), "--format", "csv"])]
    for label, args in rows:
        wall, peak = run_cli(args, opts.runs)
        ratio = f"{wall / stdlib_s:>7.2f}× stdlib json" if "-f dump" in label or \
            "-f hub" in label else ""
        print(f"{label:<58}{wall:>9.2f}{peak:>10,.0f}  {ratio}")

if __name__ == "__main__":
    main()
