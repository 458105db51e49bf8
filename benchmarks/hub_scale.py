"""The whole Hugging Face model tree on a laptop (issue 7): load, propagate, query, memory.

Generates (once) a synthetic dump with the Hub's shape (``hub_synth.py``: 1.86M models,
574k edges), then reports, each as the median of R runs:

- in process: reading the dump, joining it to the bundled registry, propagation over every
  model with :mod:`lineage.core.arrays` — beside two references in the same run, a plain networkx
  propagation (topological order, a loop over predecessors) and a sparse linear solve of
  (I − Sᵀ)c = d with scipy (the LCA way, as Brightway does it), and the way a data scientist
  would write it in DuckDB (SQL over the edge table) and in polars (joins and a group-by),
  each pass resolving one more level, until nothing changes — whose results must agree with
  ours to 1e-9 relative; then explaining one model;
- as a user runs it (a fresh ``lineage`` process, wall clock and peak RSS from ``wait4``):
  ``cost`` on the dump, ``index``, ``cost`` and ``family`` on the index, ``table --format
  csv`` over every model, and plain ``cost llama-3.2-1b`` for reference; beside two fresh
  processes that bound them: reading every line of the dump with ``json.loads`` (the
  reference of the dump rows) and importing every module the index query imports that is
  not lineage's own (the floor of the index rows).

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


def duckdb_propagation(j: Joined, s: np.ndarray) -> tuple[float, float, int, np.ndarray]:
    """(build s, propagation s, passes, cumulative kg): SQL over the edge table in DuckDB.

    c₀ = d, then c_{k+1}(v) = d(v) + Σ s(u→v)·c_k(u) as one join and one GROUP BY per pass,
    until a pass changes no value by more than 1e-12 relative (DuckDB's parallel sums are
    not summed in a fixed order, so exact equality may never come): on a DAG, pass k fixes
    the models of level k, so it stops after depth + 1 passes. (A recursive CTE over every
    ancestor path, the other textbook form, builds one row per path: far more rows than
    models on the Hub's fan-out.)
    """
    import duckdb
    import pyarrow as pa

    start = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads TO {os.cpu_count() or 1}")
    nodes = pa.table({"id": np.arange(j.graph.n), "own": j.graph.own_kg[:, 1]})
    edges = pa.table({"parent": j.graph.parent, "child": j.graph.child, "s": s})
    con.register("nodes_arrow", nodes)
    con.register("edges_arrow", edges)
    con.execute("CREATE TABLE nodes AS SELECT * FROM nodes_arrow")
    con.execute("CREATE TABLE edges AS SELECT * FROM edges_arrow")
    built = time.perf_counter() - start
    start = time.perf_counter()
    con.execute("CREATE TABLE c AS SELECT id, own AS c FROM nodes")
    passes = 0
    while True:
        passes += 1
        con.execute("""
            CREATE OR REPLACE TABLE c_next AS
            SELECT n.id, n.own + coalesce(i.inherited, 0) AS c
            FROM nodes n LEFT JOIN (
                SELECT e.child, sum(e.s * c.c) AS inherited
                FROM edges e JOIN c ON c.id = e.parent GROUP BY e.child
            ) i ON i.child = n.id""")
        changed = con.execute("SELECT count(*) FROM c JOIN c_next USING (id) "
                              "WHERE abs(c.c - c_next.c) > 1e-12 * abs(c_next.c)").fetchone()
        con.execute("DROP TABLE c")
        con.execute("ALTER TABLE c_next RENAME TO c")
        if changed is None or changed[0] == 0:
            break
    out = con.execute("SELECT c FROM c ORDER BY id").fetchnumpy()["c"]
    elapsed = time.perf_counter() - start
    con.close()
    return built, elapsed, passes, np.asarray(out)


def polars_propagation(j: Joined, s: np.ndarray) -> tuple[float, float, int, np.ndarray]:
    """(build s, propagation s, passes, cumulative kg): the same passes as polars joins."""
    import polars as pl

    start = time.perf_counter()
    nodes = pl.DataFrame({"id": np.arange(j.graph.n), "own": j.graph.own_kg[:, 1]})
    edges = pl.DataFrame({"parent": j.graph.parent, "child": j.graph.child, "s": s})
    built = time.perf_counter() - start
    start = time.perf_counter()
    c = nodes.select("id", pl.col("own").alias("c"))
    passes = 0
    while True:
        passes += 1
        inherited = (edges.join(c, left_on="parent", right_on="id")
                     .group_by("child").agg((pl.col("s") * pl.col("c")).sum().alias("i")))
        nxt = (nodes.join(inherited, left_on="id", right_on="child", how="left",
                          maintain_order="left")
               .select("id", (pl.col("own") + pl.col("i").fill_null(0.0)).alias("c")))
        moved = ((nxt["c"] - c["c"]).abs() > 1e-12 * nxt["c"].abs()).any()
        c = nxt
        if not moved:
            break
    return built, time.perf_counter() - start, passes, c["c"].to_numpy()


def column_bytes(n: int, e: int, *objs: Any) -> tuple[float, float]:
    """(bytes per model, bytes per edge) of the numpy columns the objects hold after the
    propagation: every array field whose first dimension is n (per node) or e (per edge)."""
    per_node = per_edge = 0
    for obj in objs:
        for value in vars(obj).values():
            arrays = value if isinstance(value, tuple) else (value,)
            for a in arrays:
                if isinstance(a, np.ndarray) and a.ndim and a.shape[0] in (n, e):
                    if a.shape[0] == n:
                        per_node += a.nbytes
                    else:
                        per_edge += a.nbytes
    return per_node / n, per_edge / e


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
    """(median wall seconds, max peak RSS MiB) of ``lineage ARGS`` in fresh processes."""
    return run_process([sys.executable, "-m", "lineage", *args], runs)


def run_process(argv: list[str], runs: int) -> tuple[float, float]:
    """(median wall seconds, max peak RSS MiB) of ``argv`` in fresh processes.

    Why a launcher: Linux reports a child's peak RSS as at least its parent's at fork time,
    and this benchmark's own process holds the whole dump.
    """
    walls, peaks = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", LAUNCHER, *argv],
                             capture_output=True, text=True, check=True).stdout
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
    db_build, db_s, db_passes, db_c = duckdb_propagation(j, s)
    pl_build, pl_s, pl_passes, pl_c = polars_propagation(j, s)
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
                         ("  DuckDB peer: load the node and edge tables", db_build),
                         (f"  DuckDB peer: SQL propagation ({db_passes} passes)", db_s),
                         ("  polars peer: build the frames", pl_build),
                         (f"  polars peer: join propagation ({pl_passes} passes)", pl_s),
                         (f"explain one model ({name}, depth {level[deepest]})", query_s)):
        print(f"{label:<52}{value:>10.3f}")
    print(f"\npropagation / ours: networkx {nx_s / prop_s:,.1f}×, scipy {sp_s / prop_s:,.1f}×, "
          f"DuckDB {db_s / prop_s:,.1f}×, polars {pl_s / prop_s:,.1f}×")
    print(f"largest relative difference: vs scipy {rel(sp_c):.1e}, vs networkx {rel(nx_c):.1e}, "
          f"vs DuckDB {rel(db_c):.1e}, vs polars {rel(pl_c):.1e}")
    for other in (sp_c, nx_c, db_c, pl_c):
        assert rel(other) <= 1e-9, rel(other)
    del nx_c, db_c, pl_c

    node_b, edge_b = column_bytes(j.graph.n, j.graph.parent.size, hub, j.graph, r)
    print(f"numpy columns held after the propagation: {node_b:,.0f} bytes per model, "
          f"{edge_b:,.0f} bytes per edge (the ids' Python strings aside)")

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
    read_all = f"import json\nwith open({str(dump)!r}, encoding='utf-8') as f:\n" \
        "    [json.loads(line) for line in f]"
    fresh_stdlib, _ = run_process([sys.executable, "-c", read_all], opts.runs)
    measured = {label: run_cli(args, opts.runs) for label, args in rows}  # index written
    floor, _ = run_process([sys.executable, "-c", imports_of(["cost", name, "-f", str(index)])],
                           opts.runs)
    print(f"{'stdlib json.loads of every line (the reference)':<58}{fresh_stdlib:>9.2f}")
    print(f"{'import what cost -f hub.lineage imports (its floor)':<58}{floor:>9.2f}")
    peaks = {}
    for label, (wall, peak) in measured.items():
        peaks[label] = peak
        ratio = f"{wall / fresh_stdlib:>7.2f}× stdlib json" if "-f dump" in label else \
            f"{wall / floor:>7.2f}× its imports" if "-f hub" in label else ""
        print(f"{label:<58}{wall:>9.2f}{peak:>10,.0f}  {ratio}")
    base = peaks[rows[0][0]]
    for label, _ in rows[1:]:
        if "dump.jsonl" in label or "index" in label:
            per_model = (peaks[label] - base) * 2**20 / hub.n_models
            print(f"peak above start-up per model ({hub.parent.size / hub.n_models:.2f} edges "
                  f"each): {per_model:,.0f} bytes — {label}")

def imports_of(args: list[str]) -> str:
    """A script importing every module ``lineage ARGS`` imports that is not lineage's own
    (its dependencies and the standard library's modules): what any run of it must pay."""
    probe = ("import sys, io, contextlib\nbare = set(sys.modules)\n"
             "from lineage.cli.main import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             f"    try:\n        main({args!r})\n    except SystemExit:\n        pass\n"
             "print(' '.join(m for m in sys.modules if m not in bare and "
             "m.split('.')[0] != 'lineage'))")
    modules = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                             text=True).stdout.split()
    return (f"import importlib\nfor m in {modules!r}:\n    try:\n"
            "        importlib.import_module(m)\n    except Exception:\n        pass")


if __name__ == "__main__":
    main()
