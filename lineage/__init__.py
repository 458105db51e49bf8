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
    from lineage.engine import Contribution, FamilyTotal, ModelCost, Results, compute, family
    from lineage.errors import InputError, InputErrors, LineageError, UsageError
    from lineage.interval import Interval
    from lineage.policies import POLICIES

__version__ = "0.1.0"

_WHERE = {
    "load": "api", "warnings": "api", "load_hub": "api", "hub_results": "api",
    "hub_arrays": "api", "Contribution": "engine", "FamilyTotal": "engine",
    "ModelCost": "engine", "Results": "engine", "compute": "engine", "family": "engine",
    "InputError": "errors", "InputErrors": "errors", "LineageError": "errors",
    "UsageError": "errors", "Interval": "interval", "POLICIES": "policies",
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


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"lineage.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'lineage' has no attribute {name!r}")
