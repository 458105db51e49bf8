"""The family view (docs/method.md, "Family"): the own cost of a root and of all its
descendants, each counted once, with the share of models whose cost is known. The
derivative-footprint answer (the Vector Institute's DIA "family sum"), beside the per-model
cumulative figures of :mod:`lineage.core.engine`. With a hub dump the family takes in the
dump's derivatives too (found by :func:`lineage.core.hubfamily.members`); the sum is the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lineage.core.arrays import model_rows
from lineage.core.stepcost import DirectCost, direct_costs
from lineage.model.graph import Project
from lineage.model.interval import Interval

if TYPE_CHECKING:
    from lineage.model.hub import Hub

LARGEST = 20  # a family of more members lists its largest known own costs only


@dataclass(frozen=True, eq=False)
class FamilyTotal:
    """docs/method.md#family: the own cost of a root and all its descendants, each counted once.

    ``models`` lists the project's members (sorted), then the dump's; ``kg`` and ``kwh`` hold
    each member's own cost (low, mid, high; the known part), ``complete`` whether it is known.
    """

    root: str
    models: tuple[str, ...]
    kg: np.ndarray  # (m, 3)
    kwh: np.ndarray  # (m, 3)
    complete: np.ndarray  # bool (m,)
    energy_complete: np.ndarray  # bool (m,)
    basis: dict[str, float]
    reported_totals: tuple[tuple[tuple[str, ...], Interval, str], ...]  # (models, kg, note)

    @property
    def own_kgco2e(self) -> Interval:
        """The family's own emissions, summed (the known part where :attr:`is_complete` is
        False)."""
        return Interval(*(float(self.kg[:, j].sum()) for j in range(3)))

    @property
    def own_kwh(self) -> Interval:
        return Interval(*(float(self.kwh[:, j].sum()) for j in range(3)))

    @property
    def known(self) -> tuple[str, ...]:
        return tuple(m for m, c in zip(self.models, self.complete.tolist(), strict=True) if c)

    @property
    def unknown(self) -> tuple[str, ...]:
        return tuple(m for m, c in zip(self.models, self.complete.tolist(), strict=True)
                     if not c)

    @property
    def coverage(self) -> float:
        """The share of the family's models whose own cost is known."""
        return float(self.complete.mean())

    @property
    def is_complete(self) -> bool:
        return bool(self.complete.all())

    @property
    def is_energy_complete(self) -> bool:
        return bool(self.energy_complete.all())

    def top(self, k: int = LARGEST) -> list[int]:
        """The members with the ``k`` biggest known own costs, biggest first, equal ones by
        id (as contributions are)."""
        known = np.flatnonzero(self.complete).tolist()
        return sorted(known, key=lambda i: (-float(self.kg[i, 1]), self.models[i]))[:k]

    def largest(self, k: int = LARGEST) -> list[tuple[str, float]]:
        """The ``k`` biggest known own costs (kgCO2e), biggest first."""
        return [(self.models[i], float(self.kg[i, 1])) for i in self.top(k)]


def family(project: Project, root: str, direct: Mapping[str, DirectCost] | None = None, *,
           hub: Hub | None = None) -> FamilyTotal:
    """Sum the own cost of ``root`` and all of its descendants (the derivative-footprint view);
    with ``hub`` (by default the one the project was loaded with), its descendants in the dump
    too, found by walking down from the root alone.

    Raises:
        UsageError: an unknown root.
        InputErrors: the dump's base models below the root form a cycle.
    """
    d = direct if direct is not None else direct_costs(project)
    hub = hub if hub is not None else project.hub
    if hub is None:
        name = project.model_id(root)
        in_project = sorted({name} | project.G.descendants(name))
        nodes = np.zeros(0, dtype=np.int64)
    else:
        from lineage.core.hubfamily import members

        name, in_project, nodes = members(project, hub, root)
    rows = model_rows(project, d, in_project)
    kg, kwh, complete, energy_complete = (rows[k] for k in ("own_kg", "own_kwh", "own_complete",
                                                            "energy_complete"))
    basis: dict[str, float] = {}
    for mid in in_project:
        for b, value in d[mid].by_basis().items():
            basis[b] = basis.get(b, 0.0) + value
    ids = list(in_project)
    if hub is not None and nodes.size:  # a dump's model: its reported grams, or unknown
        ids += [hub.ids[int(h)] for h in nodes]
        hub_kg, hub_known = hub.own_kg(nodes)
        kg, kwh = np.concatenate([kg, hub_kg]), np.concatenate([kwh, np.zeros((nodes.size, 3))])
        complete = np.concatenate([complete, hub_known])
        energy_complete = np.concatenate([energy_complete, np.zeros(nodes.size, bool)])
        if hub_known.any():
            basis["reported"] = basis.get("reported", 0.0) + float(hub_kg[hub_known, 1].sum())
    total = sum(basis.values())
    return FamilyTotal(name, tuple(ids), kg, kwh, complete, energy_complete,
                       {b: v / total for b, v in sorted(basis.items())} if total > 0 else {},
                       tuple(project.joint_totals(set(in_project))))
