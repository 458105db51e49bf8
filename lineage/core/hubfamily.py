"""The family of a root over a project and a dump (docs/method.md, "Family"): the root and
every descendant, project and Hub, each counted once; and the warning for dump lines that
are registry models."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from lineage.core.hubexplain import Walk
from lineage.core.hubgraph import matches
from lineage.core.stepcost import DirectCost
from lineage.model.columns import CycleError
from lineage.model.errors import InputErrors, Warning_
from lineage.model.graph import Project
from lineage.model.hub import Hub


def family(project: Project, hub: Hub, root: str,
           direct: dict[str, DirectCost] | None = None) -> Any:
    """The root and every descendant across the project and the dump, each counted once
    (:class:`~lineage.core.hubgraph.HubFamily`), found by walking down from the root alone.

    Raises:
        UsageError: an unknown root.
        InputErrors: the dump's base models below the root form a cycle.
    """
    from lineage.core.hubgraph import HubFamily, cycle_error
    from lineage.core.stepcost import direct_costs

    d = direct if direct is not None else direct_costs(project)
    walk = Walk(project, hub, [root])
    start = walk.key(root)
    project_ids: dict[str, None] = {}
    hub_seen = np.zeros(hub.n, dtype=bool)
    hub_edges: list[tuple[np.ndarray, np.ndarray]] = []
    todo: list[str] = [str(start[1])] if start[0] == "p" else []
    frontier = np.array([int(start[1])] if start[0] == "h" else [], dtype=np.int64)
    hub_seen[frontier] = True
    while todo or frontier.size:
        while todo:  # project models: declared children, and the hub's children of them
            mid = todo.pop()
            if mid in project_ids:
                continue
            project_ids[mid] = None
            declared, hub_kids = walk.children(("p", mid))
            todo.extend(str(k[1]) for k in declared)
            fresh = hub_kids[~hub_seen[hub_kids]]
            hub_seen[fresh] = True
            frontier = np.concatenate([frontier, fresh])
        if frontier.size:  # hub models: a whole level at once
            parents, below = hub.children_of(frontier)
            keep = ~np.isin(below, walk.matched)  # a project model keeps its declared parents
            hub_edges.append((parents[keep], below[keep]))
            below = np.unique(below[keep])
            frontier = below[~hub_seen[below]]
            hub_seen[frontier] = True
    nodes = np.flatnonzero(hub_seen)
    if hub_edges:
        _check_no_cycle(hub, nodes, hub_edges, cycle_error)
    in_project = sorted(project_ids)
    ids = in_project + [hub.ids[int(h)] for h in nodes]
    size, p = len(ids), len(in_project)
    own_kg, own_kwh = np.zeros((size, 3)), np.zeros((size, 3))
    complete, energy_complete = np.zeros(size, bool), np.zeros(size, bool)
    basis: dict[str, float] = {}
    for i, mid in enumerate(in_project):
        c = d[mid]
        own_kg[i], own_kwh[i] = c.emissions_kgco2e.as_tuple(), c.energy_kwh.as_tuple()
        complete[i], energy_complete[i] = c.is_complete, c.is_energy_complete
        for b, kg in c.by_basis().items():
            basis[b] = basis.get(b, 0.0) + kg
    grams = hub.emissions_g[nodes]
    own_kg[p:] = np.where(np.isnan(grams), 0.0, grams / 1000)[:, None]
    complete[p:] = ~np.isnan(grams)
    if complete[p:].any():
        basis["reported"] = basis.get("reported", 0.0) + float(own_kg[p:, 1][complete[p:]].sum())
    total = sum(basis.values())
    reported = []
    for f in project.files:
        for t in f.spec.totals:
            named = [project.resolve(x) or x for x in t.models]
            if t.emissions is not None and set(named) & set(project_ids):
                reported.append({"models": named, "kgco2e": t.emissions.mid,
                                 "note": (t.note or "").strip()})
    return HubFamily(ids[0] if start[0] == "h" else str(start[1]), ids, own_kg, own_kwh,
                     complete, energy_complete,
                     {b: v / total for b, v in sorted(basis.items())} if total > 0 else {},
                     reported)


def _check_no_cycle(hub: Hub, nodes: np.ndarray,
                    edges: list[tuple[np.ndarray, np.ndarray]], cycle_error: Any) -> None:
    from lineage.model.columns import levels

    parent = np.concatenate([e[0] for e in edges])
    child = np.concatenate([e[1] for e in edges])
    inside = np.isin(parent, nodes)
    parent, child = np.searchsorted(nodes, parent[inside]), np.searchsorted(nodes, child[inside])
    try:
        levels(nodes.size, parent, child)
    except CycleError as exc:
        ids = [hub.ids[int(h)] for h in nodes]
        raise InputErrors([cycle_error(ids, parent, child, exc.members,
                                       lambda k: hub.where(int(nodes[k])))]) from None


def shadowed(project: Project, hub: Hub, also: Iterable[str] = ()) -> Warning_ | None:
    """A warning when dump lines that ARE declared models also give parents or emissions:
    the declaration wins (its sourced steps and parents), the dump's figures are not used.

    ``also``: names looked up in the same pass, for the queries to come.
    """
    matched, _ = matches(project, hub, also)
    nodes = np.array(sorted(h for h, m in matched.items() if h < hub.n_models  # not the
                            and project.models[m].file.doc.path != hub.path), dtype=np.int64)
    # (models a family file took from this dump as parents are the dump's own lines)
    if not nodes.size:
        return None
    lo = np.searchsorted(hub.child, nodes, side="left")
    hi = np.searchsorted(hub.child, nodes, side="right")
    used = nodes[(hi > lo) | ~np.isnan(hub.emissions_g[nodes])]
    if not used.size:
        return None
    first = int(used[0])
    return Warning_(hub.where(first), f"{used.size} line(s) of the dump are models the registry "
                    f"or your files declare (first: {hub.ids[first]} = {matched[first]}): "
                    "their declared steps and parents are used, not the dump's base_model "
                    "and co2_eq_emissions")
