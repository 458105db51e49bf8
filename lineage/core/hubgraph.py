"""A hub dump joined to the loaded project (registry and YAML files), at hub scale (issue 7).

The join is one graph: the project's models, then every hub model that is not already one of
them (a hub line whose id is a project model's Hugging Face id or id IS that model: the
project's declaration keeps its steps and parents, the hub adds its downloads and its
derivatives). Hub derivatives of a registry model therefore take their share of its cost, and
leave less of it to the registry's own children — shares are computed on the whole graph, so
nothing is counted twice.

Every model at once (``table``, ``family``) is computed here with :mod:`lineage.core.arrays`;
one model explained (``cost``) is :mod:`lineage.core.hubexplain`'s job, on its ancestors alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lineage.core.arrays import (
    ArrayGraph,
    ArrayResults,
    WeightError,
    compute_arrays,
    from_project,
    shares,
    weight_errors,
)
from lineage.model.columns import CycleError, unique
from lineage.model.errors import InputError, InputErrors, Position, UsageError
from lineage.model.graph import Project
from lineage.model.hub import Hub, take_ids

if TYPE_CHECKING:
    from lineage.core.stepcost import DirectCost


class _UnionIds(Sequence[str]):
    """Ids of the joined graph without copying the hub's millions of strings."""

    def __init__(self, project_ids: list[str], hub: Hub, unmatched: np.ndarray) -> None:
        self.project_ids, self.hub, self.unmatched = project_ids, hub, unmatched
        self.p = len(project_ids)

    def __len__(self) -> int:
        return self.p + len(self.unmatched)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            lo, hi, step = i.indices(len(self))
            if step != 1 or hi <= lo:
                return [self[k] for k in range(lo, hi, step)]
            head = self.project_ids[lo:min(hi, self.p)]
            return head + take_ids(self.hub.ids, self.unmatched[max(lo - self.p, 0):
                                                                max(hi - self.p, 0)])
        if i < 0:
            i += len(self)
        return self.project_ids[i] if i < self.p else self.hub.ids[int(self.unmatched[i - self.p])]


@dataclass
class Joined:
    """The project and a hub dump as one :class:`~lineage.core.arrays.ArrayGraph`."""

    project: Project
    hub: Hub
    graph: ArrayGraph
    pids: list[str]  # union nodes 0 … P-1
    hmap: np.ndarray  # hub node → union node
    unmatched: np.ndarray  # union node P + k is hub node unmatched[k]

    @property
    def p(self) -> int:
        return len(self.pids)

    def children(self) -> dict[str, int]:
        """Each project model's children in the joined graph (its Hub derivatives included)."""
        counts = np.bincount(self.graph.parent, minlength=self.graph.n)
        return dict(zip(self.pids, counts[: self.p].tolist(), strict=True))

    def node(self, name: str) -> int:
        """The union node ``name`` names: a project id, alias or HF id, or a hub id.

        Raises:
            UsageError: neither the project nor the dump has it.
        """
        mid = self.project.resolve(name)
        if mid is not None:
            return self.pids.index(mid)
        found = self.hub.find([name])
        if name in found:
            return int(self.hmap[found[name]])
        raise UsageError(f'unknown model "{name}": not in the registry, the files, nor '
                         f"{self.hub.path}")

    def where(self, node: int) -> Position:
        if node < self.p:
            return self.project.models[self.pids[node]].where
        return self.hub.where(int(self.unmatched[node - self.p]))


def matches(project: Project, hub: Hub, also: Iterable[str] = ()
            ) -> tuple[dict[int, str], dict[str, int]]:
    """(hub node → project model, for hub nodes that ARE a project model by HF id or id, in
    any case; and the hub nodes of the names ``also``), found in one pass over the hub."""
    names = {m: m for m in project.models} | {h: m for m, e in project.models.items()
                                              for h in e.spec.hub_ids}
    extra = list(also)
    found = hub.find([*names, *extra])
    return ({node: names[name] for name, node in found.items() if name in names},
            {n: found[n] for n in extra if n in found})


def join(project: Project, hub: Hub, direct: Mapping[str, DirectCost] | None = None
         ) -> Joined:
    """Join ``hub`` to ``project`` (see the module docstring; ``direct``: the project's steps
    already costed); cycles are found when the graph is sorted (:func:`whole`) or a model's
    ancestors are built (:func:`lineage.core.hubexplain.explain_results`).
    """
    own = from_project(project, direct)  # the project's columns, its models sorted by id
    pids = list(own.ids)
    pindex = {m: i for i, m in enumerate(pids)}
    matched, _ = matches(project, hub)
    is_matched = np.zeros(hub.n, dtype=bool)
    is_matched[list(matched)] = True
    unmatched = np.flatnonzero(~is_matched)
    p, u = len(pids), unmatched.size
    hmap = np.empty(hub.n, dtype=np.int64)
    hmap[unmatched] = p + np.arange(u)
    for node, mid in matched.items():
        hmap[node] = pindex[mid]
    spelled = spellings(matched)
    keep = ~is_matched[hub.child]  # a project model keeps the parents it declares
    n = p + u
    pairs = unique(hmap[hub.child[keep]] * n + hmap[hub.parent[keep]])  # two spellings of
    hub_child, hub_parent = pairs // n, pairs % n                          # a parent: one edge
    hub_kg, hub_known = hub.own_kg(unmatched)
    assert own.explicit is not None and own.expected is not None
    graph = ArrayGraph(
        _UnionIds(pids, hub, unmatched), np.concatenate([own.parent, hub_parent]),
        np.concatenate([own.child, hub_child]), np.concatenate([own.own_kg, hub_kg]),
        np.concatenate([own.own_kwh, np.zeros((u, 3))]),
        np.concatenate([own.own_complete, hub_known]),
        np.concatenate([own.energy_complete, np.zeros(u, dtype=bool)]),
        explicit=np.concatenate([own.explicit, np.full(hub_child.size, math.nan)]),
        expected=np.concatenate([own.expected, np.full(u, math.nan)]),
        usage=_weights(own.usage, hub.downloads, pindex, spelled, unmatched),
        params=_weights(own.params, hub.params, pindex, spelled, unmatched))
    return Joined(project, hub, graph, pids, hmap, unmatched)


def whole(j: Joined, policy: str) -> ArrayResults:
    """Every model's figures over the joined graph (:func:`lineage.core.arrays.compute_arrays`).

    Raises:
        InputErrors: the base models form a cycle (at a line of it), or a policy lacks data.
    """
    s = edge_shares(j, policy)
    try:
        return compute_arrays(j.graph, policy, s=s)
    except CycleError as exc:
        raise InputErrors([cycle_error(j.graph.ids, j.graph.parent, j.graph.child, exc.members,
                                       j.where)]) from None


def spellings(matched: dict[int, str]) -> dict[str, list[int]]:
    """Each matched project model's dump lines (its id, HF id or mirrors), in line order."""
    out: dict[str, list[int]] = {}
    for node, mid in sorted(matched.items()):
        out.setdefault(mid, []).append(node)
    return out


def hub_figure(values: np.ndarray, lines: list[int]) -> float:
    """A project model's figure from the dump (downloads as usage, params): the first of its
    ``lines`` that has one, else unknown (NaN). The joined graph and a model's ancestors read
    it here alike."""
    found = values[lines]
    found = found[~np.isnan(found)]
    return float(found[0]) if found.size else math.nan


def _weights(own: np.ndarray | None, hub_values: np.ndarray, pindex: dict[str, int],
             spelled: dict[str, list[int]], unmatched: np.ndarray) -> np.ndarray:
    """A project model's own figure, else the hub's (:func:`hub_figure`), else unknown."""
    assert own is not None
    own = own.copy()
    for mid, lines in spelled.items():
        if math.isnan(own[pindex[mid]]):
            own[pindex[mid]] = hub_figure(hub_values, lines)
    return np.concatenate([own, hub_values[unmatched]])


def cycle_error(ids: Sequence[str], parent: np.ndarray, child: np.ndarray,
                members: np.ndarray, where: Callable[[int], Position]) -> InputError:
    """A cycle among ``members`` (the nodes a topological sort left), walked up from the
    first: each of them has a parent among them, so the walk must come back on itself."""
    inside = np.zeros(len(ids), dtype=bool)
    inside[members] = True
    keep = inside[parent] & inside[child]
    parents: dict[int, int] = {}
    for u, v in zip(parent[keep].tolist(), child[keep].tolist(), strict=True):
        parents.setdefault(v, u)
    path, node = [], int(members[0])
    while node not in path:
        path.append(node)
        node = parents[node]
    loop = path[path.index(node):]
    names = " -> ".join(ids[k] for k in [loop[0], *reversed(loop[1:]), loop[0]])
    return InputError(where(loop[0]), f"cycle in the lineage: {names}")  # as graph.build says


def edge_shares(j: Joined, policy: str) -> np.ndarray:
    """s(u→v) on every edge of the joined graph.

    Raises:
        InputErrors: ``--policy usage/params`` and models without the figure (first ones named).
    """
    try:
        return shares(j.graph, policy)
    except WeightError as exc:
        raise InputErrors(weight_errors(exc, j.graph.ids.__getitem__, j.where)) from None
