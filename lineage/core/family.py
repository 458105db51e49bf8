"""The family view (docs/method.md, "Family"): the own cost of a root and of all its
descendants, each counted once, with the share of models whose cost is known. The
derivative-footprint answer (the Vector Institute's DIA "family sum"), beside the per-model
cumulative figures of :mod:`lineage.core.engine`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lineage.core.stepcost import DirectCost, direct_costs
from lineage.model.graph import Project
from lineage.model.interval import ZERO, Interval


@dataclass(frozen=True)
class FamilyTotal:
    """docs/method.md#family: the own cost of a root and all its descendants, each counted once."""

    root: str
    models: tuple[str, ...]
    own_kgco2e: Interval
    own_kwh: Interval
    known: tuple[str, ...]
    unknown: tuple[str, ...]
    basis: dict[str, float]
    reported_totals: tuple[tuple[tuple[str, ...], Interval, str], ...]

    @property
    def coverage(self) -> float:
        """The share of the family's models whose own cost is known."""
        return len(self.known) / len(self.models)

    @property
    def is_complete(self) -> bool:
        return not self.unknown


def family(project: Project, root: str, direct: Mapping[str, DirectCost] | None = None
           ) -> FamilyTotal:
    """Sum the own cost of ``root`` and all of its descendants (the derivative-footprint view)."""
    d = direct if direct is not None else direct_costs(project)
    members = tuple(sorted({root} | project.G.descendants(root)))
    total, total_kwh = ZERO, ZERO
    basis: dict[str, float] = {}
    for m in members:
        total = total + d[m].emissions_kgco2e
        total_kwh = total_kwh + d[m].energy_kwh
        for b, kg in d[m].by_basis().items():
            basis[b] = basis.get(b, 0.0) + kg
    known = tuple(m for m in members if d[m].is_complete)
    unknown = tuple(m for m in members if not d[m].is_complete)
    s = sum(basis.values())
    reported: list[tuple[tuple[str, ...], Interval, str]] = []
    for f in project.files:
        for t in f.spec.totals:
            ids = tuple(project.resolve(m) or m for m in t.models)
            if t.emissions is not None and set(ids) & set(members):
                reported.append((ids, t.emissions, t.note or ""))
    return FamilyTotal(root, members, total, total_kwh, known, unknown,
                       {b: v / s for b, v in sorted(basis.items())} if s > 0 else {},
                       tuple(reported))
