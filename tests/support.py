"""Helpers the test modules share: ``lineage``'s main run in this process (exit code, stdout,
stderr), a golden file compared (or rewritten under ``LINEAGE_REGEN=1``), and a child process
that reports its own peak memory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lineage.cli.main import main

REGEN = os.environ.get("LINEAGE_REGEN") == "1"


def golden_file(path: Path, text: str) -> None:
    """``text`` must be the golden file ``path`` (``LINEAGE_REGEN=1`` rewrites it first)."""
    if REGEN:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), \
        f"{path.name} changed; LINEAGE_REGEN=1 rewrites it"


def run_main(args: list[str], capsys: pytest.CaptureFixture[str],
             monkeypatch: pytest.MonkeyPatch, cwd: Path) -> tuple[int, str, str]:
    """``lineage ARGS`` through the real error boundary, from ``cwd``."""
    monkeypatch.chdir(cwd)
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 1), out, err


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
