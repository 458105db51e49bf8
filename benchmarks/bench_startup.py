"""Cold start of the CLI on the bundled registry, beside the cost of importing its dependencies.

Each figure is the median of N fresh interpreter starts (wall clock), so it includes the
interpreter's own start-up; the "python -c pass" row is that baseline. The cases run in turn
(one start of each, N rounds), so a machine that slows down during the run slows them alike.
The package's modules are byte-compiled first, as ``pip install`` leaves them (an editable
install under ``PYTHONDONTWRITEBYTECODE`` would otherwise recompile them on every start).

The yardstick (issue 13) is the import of the dependencies ``cost`` needs on the bundled
registry: every module that ``lineage cost llama-3.2-1b`` imports that is not lineage's own
(click, pydantic with what our specs use of it, numpy, and the standard library's modules),
found by running the command once and reading ``sys.modules``; PyYAML is not among them (the
registry comes from its cache). A second, simpler yardstick imports click, pydantic.main and
numpy only. The command line raises the garbage collector's threshold (``lineage/cli``), which
speeds up the imports too: the row "the same at lineage's GC threshold" imports the yardstick's
modules that way, and the last column divides by it (lineage's own work alone).

A last table splits lineage's own work (importing its modules, creating its classes, loading
the cached registry, the command itself) in one process whose dependencies are imported first.

    python benchmarks/bench_startup.py [N]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def seconds(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def _dependencies(py: str) -> list[str]:
    """The modules ``lineage cost llama-3.2-1b`` imports that are not lineage's own nor
    already there in a bare interpreter, in the order they were first imported."""
    probe = ("import sys, io, contextlib\nbare = set(sys.modules)\n"
             "from lineage.cli.main import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             "    try:\n        main(['cost', 'llama-3.2-1b'])\n"
             "    except SystemExit:\n        pass\n"
             "print(' '.join(m for m in sys.modules if m not in bare and "
             "m.split('.')[0] != 'lineage'))")
    out = subprocess.run([py, "-c", probe], check=True, capture_output=True, text=True)
    return out.stdout.split()


def main() -> None:
    import compileall
    from pathlib import Path

    import lineage

    compileall.compile_dir(str(Path(lineage.__file__).parent), quiet=1)
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    py = sys.executable
    needed = "import click, pydantic.main, numpy"
    deps_list = _dependencies(py)
    every = ("import importlib\nfor m in " + repr(deps_list) + ":\n    try:\n"
             "        importlib.import_module(m)\n    except Exception:\n        pass")
    cases = {
        "python -c pass": [py, "-c", "pass"],
        "import yaml": [py, "-c", "import yaml"],
        "import click": [py, "-c", "import click"],
        "import pydantic": [py, "-c", "import pydantic"],
        "import networkx": [py, "-c", "import networkx"],
        "import graphviz": [py, "-c", "import graphviz"],
        "import all declared dependencies": [
            py, "-c", "import yaml, click, pydantic, networkx, graphviz"],
        "import click, pydantic.main, numpy": [py, "-c", needed],
        "import what cost imports (yardstick)": [py, "-c", every],
        "the same at lineage's GC threshold": [
            py, "-c", "import gc\ngc.set_threshold(100_000)\n" + every],
        "lineage --help": [py, "-m", "lineage", "--help"],
        "lineage schema": [py, "-m", "lineage", "schema"],
        "lineage registry hardware": [py, "-m", "lineage", "registry", "hardware"],
        "lineage cost llama-3.2-1b": [py, "-m", "lineage", "cost", "llama-3.2-1b"],
        "lineage table": [py, "-m", "lineage", "table"],
        "lineage validate (whole registry)": [py, "-m", "lineage", "validate"],
    }
    runs: dict[str, list[float]] = {name: [] for name in cases}
    for argv in cases.values():
        seconds(argv)  # warm the file cache
    for _ in range(n):
        for name, argv in cases.items():
            runs[name].append(seconds(argv))
    results = {name: statistics.median(t) for name, t in runs.items()}
    base = results["python -c pass"]
    deps = results["import what cost imports (yardstick)"]
    print(f"median of {n} cold starts (ms), in turn; 'net' subtracts the bare interpreter "
          f"start; yardstick: the {len(deps_list)} modules not lineage's own that cost imports")
    same = results["the same at lineage's GC threshold"]
    print(f"{'case':<36} {'ms':>8} {'net ms':>8} {'/ yardstick':>12} {'net / net':>10} "
          f"{'/ same GC':>10}")
    for name, s in results.items():
        net = s - base
        ratio = net / (deps - base) if deps > base else float("nan")
        print(f"{name:<36} {s * 1000:8.0f} {net * 1000:8.0f} {s / deps:12.2f} {ratio:10.2f} "
              f"{s / same:10.2f}")


    _own_work(py, deps_list, n, 0.1 * deps)


# In one process, the dependencies imported first: what is left is lineage's own work, split
# into its parts. Class creation is timed by wrapping the dataclass decorator's worker and
# pydantic's model metaclass while lineage's modules import.
_OWN = """
import contextlib, dataclasses, importlib, io, json, sys, time
for m in json.loads(sys.argv[1]):
    try:
        importlib.import_module(m)
    except Exception:
        pass
from pydantic._internal import _model_construction as mc
T = time.perf_counter
spent = {"creating dataclasses": 0.0, "creating pydantic models": 0.0}
def timed(key, f):
    def run(*a, **k):
        start = T()
        try:
            return f(*a, **k)
        finally:
            spent[key] += T() - start
    return run
process, meta = dataclasses._process_class, mc.ModelMetaclass.__new__
dataclasses._process_class = timed("creating dataclasses", process)
mc.ModelMetaclass.__new__ = timed("creating pydantic models", meta)
t0 = T()
for m in json.loads(sys.argv[2]):
    importlib.import_module(m)
t1 = T()
dataclasses._process_class, mc.ModelMetaclass.__new__ = process, meta
from lineage.api import load
from lineage.cli.main import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main(["cost", "llama-3.2-1b"])
    except SystemExit:
        pass
t2 = T()
load()
t3 = T()
print(json.dumps({"import lineage's modules": t1 - t0, **spent,
                  "run the command": t2 - t1,
                  "loading the registry (cached) and the graph": t3 - t2}))
"""


def _own_work(py: str, deps_list: list[str], n: int, budget: float) -> None:
    """Print lineage's own share of the cold start: what the 1.1× target leaves for it."""
    import json

    probe = ("import sys\nbare = set(sys.modules)\nimport io, contextlib\n"
             "from lineage.cli.main import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n    try:\n"
             "        main(['cost', 'llama-3.2-1b'])\n    except SystemExit:\n        pass\n"
             "print(' '.join(m for m in sys.modules if m not in bare and "
             "m.split('.')[0] == 'lineage'))")
    ours = subprocess.run([py, "-c", probe], check=True, capture_output=True,
                          text=True).stdout.split()
    parts: dict[str, list[float]] = {}
    for _ in range(n):
        got = subprocess.run([py, "-c", _OWN, json.dumps(deps_list), json.dumps(ours)],
                             check=True, capture_output=True, text=True).stdout
        for name, t in json.loads(got).items():
            parts.setdefault(name, []).append(t)
    print(f"\nlineage's own work ({len(ours)} modules), dependencies already imported; median "
          f"of {n}; the 1.1× target leaves {budget * 1000:.0f} ms for all of it; 'of which' "
          "rows are parts of the row above them")
    for name, t in parts.items():
        indent = "  of which " if name != "import lineage's modules" and \
            name != "run the command" else ""
        print(f"  {indent + name:<56} {statistics.median(t) * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
