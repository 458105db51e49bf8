"""lineage: the true carbon cost of an AI model, teachers included.

The names below are imported lazily so that ``lineage --help`` starts fast.

Example:
    >>> import lineage
    >>> project = lineage.load()
    >>> results = lineage.compute(project, policy="equal")
    >>> cost = results.cost("llama-3.2-1b")
    >>> round(cost.own_kgco2e.mid / 1000) >= 107
    True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lineage.api import hub_arrays, hub_results, load, load_hub, warnings
    from lineage.core.engine import Contribution, ModelCost, Results, compute
    from lineage.core.family import FamilyTotal, family
    from lineage.model.errors import InputError, InputErrors, LineageError, UsageError
    from lineage.model.interval import Interval
    from lineage.model.policy import POLICIES

from lineage.model.version import __version__

_WHERE = {
    "load": "api", "warnings": "api", "load_hub": "api", "hub_results": "api",
    "hub_arrays": "api", "Contribution": "core.engine", "FamilyTotal": "core.family",
    "ModelCost": "core.engine", "Results": "core.engine", "compute": "core.engine",
    "family": "core.family", "InputError": "model.errors", "InputErrors": "model.errors",
    "LineageError": "model.errors", "UsageError": "model.errors",
    "Interval": "model.interval", "POLICIES": "model.policy",
}

__all__ = [
    "POLICIES",
    "Contribution",
    "FamilyTotal",
    "InputError",
    "InputErrors",
    "Interval",
    "LineageError",
    "ModelCost",
    "Results",
    "UsageError",
    "__version__",
    "compute",
    "family",
    "hub_arrays",
    "hub_results",
    "load",
    "load_hub",
    "warnings",
]


def __dir__() -> list[str]:
    """The public names (what a notebook's completion should offer), not the imports."""
    return sorted(__all__)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"lineage.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'lineage' has no attribute {name!r}")
