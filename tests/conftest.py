"""Shared fixtures: build projects from YAML text without touching the bundled registry."""

from __future__ import annotations

from pathlib import Path

import pytest

import lineage
from lineage.graph import Project

DATA = Path(__file__).parent / "data"


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
