"""Shared fixtures: build projects from YAML text without touching the bundled registry.

Tests that need a system program carry ``@pytest.mark.needs("dot")`` (or ``"chromium"``). On a
machine without it they skip, naming what to install, so the README's test command passes with
Python and pip alone. CI installs every such program and sets ``LINEAGE_REQUIRE_SYSTEM=1``,
under which a missing program fails the test instead: CI runs every test.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import lineage
from lineage.model.graph import Project

DATA = Path(__file__).parent / "data"

# program → (executables it takes, what to install)
SYSTEM_PROGRAMS = {
    "dot": (("dot",), "Graphviz: apt-get install graphviz (or brew install graphviz)"),
    "chromium": ((os.environ.get("LINEAGE_CHROMIUM", "/usr/bin/chromium"),
                  os.environ.get("LINEAGE_CHROMEDRIVER", "/usr/bin/chromedriver")),
                 "Chromium and its driver: apt-get install chromium chromium-driver"),
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs(program): the test needs a system program "
                            f"({', '.join(SYSTEM_PROGRAMS)}); skipped without it")


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers("needs"):
        for program in mark.args:
            exes, install = SYSTEM_PROGRAMS[program]
            missing = [e for e in exes if not shutil.which(e)]
            if not missing:
                continue
            reason = f"needs {', '.join(missing)}: install {install}"
            if os.environ.get("LINEAGE_REQUIRE_SYSTEM") == "1":
                pytest.fail(f"LINEAGE_REQUIRE_SYSTEM=1 and {reason}", pytrace=False)
            pytest.skip(reason)


@pytest.fixture
def make_project(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write YAML text to files and load them (without the registry unless asked)."""

    def make(*texts: str, registry: bool = False) -> Project:
        paths = []
        for i, text in enumerate(texts):
            p = tmp_path / f"f{i}.yaml"
            p.write_text(text, encoding="utf-8")
            paths.append(p)
        return lineage.load(paths, registry=registry)

    return make


@pytest.fixture(params=["pyarrow", "lines"])
def both_readers(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A test run twice: its dumps read with pyarrow, then line by line (in use, files under
    ``lineage.io.dump.ARROW_MIN_BYTES`` take the line reader)."""
    monkeypatch.setattr("lineage.io.dump.ARROW_MIN_BYTES", 0 if request.param == "pyarrow"
                        else 1 << 62)
    return str(request.param)
