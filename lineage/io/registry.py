"""Locate the bundled registry: inside the wheel (``lineage/_registry``) or, for an editable
install or a source checkout, the top-level ``registry/`` folder. Nothing is read at import.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path


@cache
def registry_dir() -> Path:
    """The folder that holds ``hardware.yaml``, ``grids.yaml``… and ``families/``.

    Raises:
        FileNotFoundError: when neither the wheel copy nor the source tree is present.
    """
    bundled = Path(str(resources.files("lineage"))) / "_registry"
    if (bundled / "hardware.yaml").is_file():
        return bundled
    source = Path(__file__).resolve().parents[2] / "registry"
    if source.is_dir():
        return source
    raise FileNotFoundError("the bundled registry is missing; reinstall lineage")


def registry_files() -> list[Path]:
    """Every YAML file of the registry, data tables first, then families in name order."""
    root = registry_dir()
    tables = [root / n for n in ("hardware.yaml", "grids.yaml", "tasks.yaml", "equivalents.yaml")]
    families = sorted((root / "families").glob("*.yaml")) if (root / "families").is_dir() else []
    return [p for p in tables if p.is_file()] + families
