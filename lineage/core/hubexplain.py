"""One model of a hub dump, explained without touching the other millions (issue 7).

A model's cumulative cost depends only on its ancestors and on the shares of the edges
between them; a share s(u→v) depends only on u's children. So the model, its ancestors and
the children of all of them make a small graph whose shares are exactly those of the whole
hub: :mod:`lineage.core.arrays` computes them there, and the engine's
:class:`~lineage.core.engine.Results` explains the model from that small graph's columns (the
hub ancestors stay rows of it; no spec or file is built for them).

Parents are found by binary search in the dump's edges (kept sorted by child) and children
through the edges' order by parent, so a query on a memory-mapped index reads a few pages,
not the whole file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, overload

import numpy as np

from lineage.core.arrays import ArrayGraph, WeightError, compute_arrays, model_rows, weight_errors
from lineage.core.engine import Results
from lineage.core.hubfiles import hub_file
from lineage.core.hubgraph import cycle_error, hub_figure, matches, spellings
from lineage.core.stepcost import DirectCost, direct_cost, direct_costs
from lineage.model.columns import CycleError, unique
from lineage.model.errors import InputErrors, Position
from lineage.model.graph import ModelEntry, Project, late, left_out, unknown_model
from lineage.model.hub import Hub

Key = tuple[str, int | str]  # ("p", project id) or ("h", hub node)
LONG_WALK = 2_000  # models walked one numpy call each before the edges are read as lists
SMALL = 64  # children read one by one below this, as arrays above
SUGGEST = 100_000  # a dump's ids are suggested for an unknown name up to this many


class Walk:
    """The ancestors of some models across the project and the hub."""

    def __init__(self, project: Project, hub: Hub, names: list[str]) -> None:
        self.project, self.hub = project, hub
        self.to_project, self.named = matches(project, hub, names)
        self.to_hub = spellings(self.to_project)  # one project model, maybe several lines
        self.matched = np.fromiter(self.to_project, dtype=np.int64)
        self.matched_set = set(self.to_project)
        self.calls = 0
        self._lists: tuple[list[int], list[int], list[int], list[int]] | None = None

    def lists(self) -> tuple[list[int], list[int], list[int], list[int]] | None:
        """The dump's edges as plain lists (where each node's parents start, the parents;
        where its children start, the children), once a walk is long enough that one numpy
        call per model would cost more than reading the columns once."""
        self.calls += 1
        if self._lists is None and self.calls > LONG_WALK:
            hub = self.hub
            start, child = hub.downs
            self._lists = (hub.ups.tolist(), hub.parent.tolist(), start.tolist(),
                           child.tolist())
        return self._lists

    def key(self, name: str) -> Key:
        """The node ``name`` names: a project model (its id, any case, or a Hugging Face id)
        or a dump line.

        Raises:
            UsageError: neither has it (the closest names suggested, as without a dump).
        """
        mid = self.project.resolve(name)
        if mid is not None:
            return ("p", mid)
        if name not in self.named:
            hub = self.hub  # difflib reads about a million names in 5 s: a small dump's only
            near = hub.ids[:hub.n_models] if hub.n_models <= SUGGEST else []
            raise unknown_model(name, [*self.project.models, *near])
        return self._of_hub(self.named[name])

    def released(self, k: Key, date: str) -> str | None:
        """:func:`~lineage.model.graph.late` for node ``k``: a project model by its
        ``released`` (a dump line that is one included), a dump model by its creation date;
        a parent the dump does not hold is never late."""
        if k[0] == "p":
            return late(self.project.models[str(k[1])].spec.released, date)
        h = int(k[1])
        if h >= self.hub.n_models:
            return None
        created = self.hub.created[h]
        return late(None if np.isnat(created) else str(created), date)

    def _of_hub(self, h: int) -> Key:
        return ("p", self.to_project[h]) if h in self.to_project else ("h", h)

    def parents(self, k: Key) -> list[Key]:
        if k[0] == "p":
            return [("p", u) for u in sorted(self.project.G.predecessors(str(k[1])))]
        h = int(k[1])
        lists = self.lists()
        up, parent = (self.hub.ups, self.hub.parent) if lists is None else lists[:2]
        return list(dict.fromkeys(self._of_hub(int(u)) for u in parent[up[h]:up[h + 1]]))

    def children(self, k: Key) -> tuple[list[Key], np.ndarray]:
        """(project children, unmatched hub children) in the joined graph."""
        hub = self.hub
        nodes = self.to_hub.get(str(k[1]), []) if k[0] == "p" else [int(k[1])]
        project_kids: list[Key] = [("p", w) for w in sorted(
            self.project.G.successors(str(k[1])))] if k[0] == "p" else []
        lists = self.lists()
        if lists is not None:
            start, their_child = lists[2], lists[3]
            kids_set: set[int] = set()
            for h in nodes:
                kids_set.update(their_child[start[h]:start[h + 1]])
            return project_kids, np.array(sorted(kids_set - self.matched_set), dtype=np.int64)
        _, found = hub.children_of(np.array(nodes, dtype=np.int64))
        kids = unique(found)
        if self.matched.size and kids.size:  # a project model keeps its declared parents
            kids = kids[~np.isin(kids, self.matched)]
        return project_kids, kids

    def above(self, starts: list[Key]) -> list[Key]:
        """``starts`` and all their ancestors, parents before children where it matters."""
        seen: dict[Key, None] = {}
        stack = list(starts)
        while stack:
            k = stack.pop()
            if k not in seen:
                seen[k] = None
                stack.extend(self.parents(k))
        return list(seen)


def left_out_of_hub(project: Project, hub: Hub, name: str, date: str) -> str | None:
    """Why ``--as-of date`` leaves out ``name`` (a project or dump model), as
    :func:`~lineage.model.graph.left_out` says it, or None.

    Raises:
        UsageError: no model has that name.
    """
    walk = Walk(project, hub, [name])
    return left_out(walk.key(name), date, lambda k: walk.released(k, date), walk.parents,
                    lambda k: str(k[1]) if k[0] == "p" else hub.ids[int(k[1])])


@dataclass
class _Small(Sequence[str]):
    """The closure (nodes 0 … C-1) and every other child of a closure node, as arrays; as a
    sequence, the nodes' names (the graph's ids), read from the dump only when asked for (a
    registry model's thousands of Hub children weigh its shares but are never named)."""

    graph: ArrayGraph
    project: Project
    hub: Hub
    project_side: list[str | None]  # the project model of each node, if it is one
    hub_side: np.ndarray  # the hub node of each node, or -1

    def name(self, k: Key) -> str:
        return str(k[1]) if k[0] == "p" else self.hub.ids[int(k[1])]

    def __len__(self) -> int:
        return len(self.hub_side)

    @overload
    def __getitem__(self, k: int) -> str: ...

    @overload
    def __getitem__(self, k: slice) -> Sequence[str]: ...

    def __getitem__(self, k: int | slice) -> str | Sequence[str]:
        if isinstance(k, slice):
            return [self[j] for j in range(*k.indices(len(self)))]
        m = self.project_side[k] if k < len(self.project_side) else None
        return m or self.hub.ids[int(self.hub_side[k])]

    def where(self, i: int) -> Position:
        m = self.project_side[i] if i < len(self.project_side) else None
        return self.project.models[m].where if m else self.hub.where(int(self.hub_side[i]))


def _small_graph(walk: Walk, closure: list[Key], d: dict[str, DirectCost]) -> _Small:
    project, hub = walk.project, walk.hub
    index = {k: i for i, k in enumerate(closure)}
    extra_project: list[str] = []
    parent: list[int] = []
    child: list[int] = []
    explicit: list[float] = []
    hub_edges: list[tuple[int, np.ndarray]] = []
    for i, k in enumerate(closure):
        project_kids, hub_kids = walk.children(k)
        for w in project_kids:
            if w not in index:
                index[w] = len(closure) + len(extra_project)
                extra_project.append(str(w[1]))
            parent.append(i)
            child.append(index[w])
            share = project.edges[(str(k[1]), str(w[1]))].share
            explicit.append(math.nan if share is None else share.mid)
        if hub_kids.size:
            hub_edges.append((i, hub_kids))
    hub_base = len(closure) + len(extra_project)
    in_closure = {int(k[1]): i for i, k in enumerate(closure) if k[0] == "h"}
    closure_hub = np.fromiter(in_closure, dtype=np.int64, count=len(in_closure))
    fresh: list[np.ndarray] = []  # hub children that are new leaves, in order
    loose: list[int] = []  # the latest of them, not yet in ``fresh``
    n_fresh = 0
    ends: list[tuple[np.ndarray, np.ndarray]] = []  # (parent, child) of the hub edges
    for i, kids in hub_edges:  # hub children: a closure node, or a new leaf
        if kids.size <= SMALL:  # plain Python: along a chain a numpy call would dominate
            pos = []
            for h in kids.tolist():
                j = in_closure.get(h, -1)
                if j < 0:
                    j = hub_base + n_fresh
                    loose.append(h)
                    n_fresh += 1
                pos.append(j)
            at = np.array(pos, dtype=np.int64)
        else:  # a model with thousands of derivatives: vectorised
            inside = np.isin(kids, closure_hub)
            at = np.empty(kids.size, dtype=np.int64)
            at[inside] = [in_closure[h] for h in kids[inside].tolist()]
            new = kids[~inside]
            at[~inside] = hub_base + n_fresh + np.arange(new.size)
            fresh += [np.array(loose, dtype=np.int64), new]
            loose = []
            n_fresh += new.size
        ends.append((np.full(kids.size, i, dtype=np.int64), at))
    others = np.concatenate([*fresh, np.array(loose, dtype=np.int64)])
    parent_all = np.concatenate([np.array(parent, dtype=np.int64), *(e[0] for e in ends)])
    child_all = np.concatenate([np.array(child, dtype=np.int64), *(e[1] for e in ends)])
    explicit_all = np.concatenate([np.array(explicit, dtype=float),
                                   np.full(parent_all.size - len(parent), math.nan)])
    n = hub_base + others.size
    project_side: list[str | None] = [str(k[1]) if k[0] == "p" else None for k in closure]
    project_side += extra_project
    hub_side = np.concatenate([
        np.array([int(k[1]) if k[0] == "h" else walk.to_hub.get(str(k[1]), [-1])[0]
                  for k in closure] + [walk.to_hub.get(m, [-1])[0] for m in extra_project],
                 dtype=np.int64), others])
    cols: dict[str, Any] = {k: np.zeros((n, 3)) for k in ("own_kg", "own_kwh")}
    cols |= {k: np.zeros(n, bool) for k in ("own_complete", "energy_complete")}
    cols |= {k: np.full(n, math.nan) for k in ("expected", "usage", "params")}
    rows = [i for i, m in enumerate(project_side) if m is not None]
    for key, values in model_rows(project, d, [str(project_side[i]) for i in rows]).items():
        cols[key][rows] = values
    is_project = np.array([m is not None for m in project_side] + [False] * others.size)
    pure = np.flatnonzero((hub_side >= 0) & ~is_project)  # hub models, not project ones
    cols["own_kg"][pure], cols["own_complete"][pure] = hub.own_kg(hub_side[pure])
    for column, values in ((cols["usage"], hub.downloads), (cols["params"], hub.params)):
        column[pure] = values[hub_side[pure]]
        for i in rows:  # a project figure wins over the hub's
            if math.isnan(column[i]) and (lines := walk.to_hub.get(str(project_side[i]))):
                column[i] = hub_figure(values, lines)
    return _Small(ArrayGraph([""] * n, parent_all, child_all, explicit=explicit_all, **cols),
                  project, hub, project_side, hub_side)


def explain_results(project: Project, hub: Hub, name: str, policy: str) -> Results:
    """``name`` (a project or hub model) explained with the shares of the whole joined graph,
    computed on its ancestors' small graph and nothing else (docs/method.md, "Hub dumps").

    The engine runs on the small graph's columns; the hub models among the ancestors stay rows
    of it (their own cost read from the dump's columns as a one-step
    :class:`~lineage.core.stepcost.DirectCost`), so no model spec, file or project is built
    for them: explaining the leaf of a 100,000-model chain costs its chain, once.

    Raises:
        UsageError: a name that neither the project nor the dump holds.
        InputErrors: a cycle among the ancestors, or a policy that lacks data.
    """
    d = direct_costs(project)
    walk = Walk(project, hub, [name])
    start = walk.key(name)
    closure = walk.above([start])
    small = _small_graph(walk, closure, d)
    g = small.graph
    g.ids = small
    try:
        r = compute_arrays(g, policy)
    except CycleError as exc:
        raise InputErrors([cycle_error(g.ids, g.parent, g.child, exc.members,
                                       small.where)]) from None
    except WeightError as exc:
        raise InputErrors(weight_errors(exc, small.__getitem__,
                                        small.where)) from None
    members = [small.name(k) for k in closure]
    direct = _HubDirect(d, small, len(closure))
    mid = small.name(start)
    # the dump is a file read, also when the asked model is the project's (records' "inputs")
    f = hub_file(hub, {int(start[1]): []} if start[0] == "h" else {})
    shown = replace(project, files=[*project.files, f])
    if start[0] == "h":  # the asked model is the dump's: an entry to name it, its steps below
        entry = ModelEntry(mid, f.spec.models[mid], f)
        shown = replace(shown, models={**project.models, mid: entry},
                        aliases={**project.aliases, mid.lower(): mid})
    return Results(shown, policy, direct, g, r, members=members)


class _HubDirect(dict[str, DirectCost]):
    """Own costs of the small graph's models: the project's as computed, the dump's read from
    its columns when first asked for."""

    def __init__(self, project: dict[str, DirectCost], small: _Small, n_closure: int) -> None:
        super().__init__(project)
        self.small = small
        self.rows = {small[k]: k for k in range(n_closure)
                     if small.project_side[k] is None}

    def __missing__(self, mid: str) -> DirectCost:
        """A hub model's own cost: the node as a lineage model
        (:func:`lineage.core.hubfiles.hub_model`: one step, its reported grams or unknown; no
        step for a model with neither parent nor figure), costed like any other."""
        small, k = self.small, self.rows[mid]
        start, edges = small.graph.in_edges()
        parents = [small[int(small.graph.parent[e])]
                   for e in edges[start[k]:start[k + 1]]]
        f = hub_file(small.hub, {int(small.hub_side[k]): parents})
        cost = direct_cost(ModelEntry(mid, f.spec.models[mid], f), small.project)
        self[mid] = cost
        return cost
