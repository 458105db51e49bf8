"""Peak memory of a ``lineage`` child process, as the child itself measured it."""

from __future__ import annotations

# The child reports its own high-water mark (VmHWM) as it exits. Why not wait4's ru_maxrss:
# Linux records the pre-exec image's peak too, and a child forked from a test process that
# has imported pandas or matplotlib would be charged for the parent's memory.
PEAK_SNIPPET = """
import atexit, os, runpy, sys
def _peak():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                with open(os.environ["LINEAGE_TEST_PEAK"], "w") as out:
                    out.write(line.split()[1])
atexit.register(_peak)
sys.argv = ["lineage", *sys.argv[1:]]
runpy.run_module("lineage", run_name="__main__")
"""
