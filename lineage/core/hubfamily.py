"""The members of a root's family over a project and a dump (docs/method.md, "Family"): the
root and every descendant, project and Hub; and the warning for dump lines that are registry
models."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from lineage.core.hubexplain import Walk
from lineage.core.hubgraph import cycle_error, matches
from lineage.model.columns import CycleError, levels, unique
from lineage.model.errors import InputErrors, Warning_
from lineage.model.graph import Project
from lineage.model.hub import Hub


def members(project: Project, hub: Hub, root: str) -> tuple[str, list[str], np.ndarray]:
    """(the root's name, the project's members sorted, the dump's members as hub nodes): the
    root and every descendant across the project and the dump, found by walking down from the
    root alone (:func:`lineage.core.family.family` sums them).

    Raises:
        UsageError: an unknown root.
        InputErrors: the dump's base models below the root form a cycle.
    """
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
            below = unique(below[keep])
            frontier = below[~hub_seen[below]]
            hub_seen[frontier] = True
    nodes = np.flatnonzero(hub_seen)
    if hub_edges:
        _check_no_cycle(hub, nodes, hub_edges)
    name = hub.ids[int(start[1])] if start[0] == "h" else str(start[1])
    return name, sorted(project_ids), nodes


def _check_no_cycle(hub: Hub, nodes: np.ndarray,
                    edges: list[tuple[np.ndarray, np.ndarray]]) -> None:
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
