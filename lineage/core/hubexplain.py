"""One model of a hub dump, explained without touching the other millions (issue 7).

A model's cumulative cost depends only on its ancestors and on the shares of the edges
between them; a share s(u→v) depends only on u's children. So the model, its ancestors and
the children of all of them make a small graph whose shares are exactly those of the whole
hub: :mod:`lineage.core.arrays` computes them there, the ancestors become an ordinary
:class:`~lineage.model.graph.Project`, and the reference engine explains the model as usual.

Parents are found by binary search in the dump's edges (kept sorted by child) and children
through the edges' order by parent, so a query on a memory-mapped index reads a few pages,
not the whole file.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from lineage.core.arrays import ArrayGraph, WeightError, compute_arrays
from lineage.core.hubgraph import matches, weight_errors
from lineage.core.stepcost import DirectCost
from lineage.model.columns import CycleError
from lineage.model.errors import InputErrors, Position, UsageError, Warning_
from lineage.model.graph import Project
from lineage.model.hub import KIND_OF_RELATION, RELATIONS, Hub

Key = tuple[str, int | str]  # ("p", project id) or ("h", hub node)
LONG_WALK = 2_000  # models walked one numpy call each before the edges are read as lists


@dataclass
class Explained:
    """What :func:`lineage.core.engine.compute` needs to explain ``names`` with whole-hub shares."""

    project: Project
    shares: dict[tuple[str, str], float]
    retained: dict[str, float]
    complete: dict[str, bool]  # whole-hub completeness (incl. --policy compute's rule)
    ids: dict[str, str]  # each requested name → its model id


class _Walk:
    """The ancestors of some models across the project and the hub."""

    def __init__(self, project: Project, hub: Hub, names: list[str]) -> None:
        self.project, self.hub = project, hub
        self.to_project, self.named = matches(project, hub, names)
        self.to_hub: dict[str, list[int]] = {}  # one project model, maybe several spellings
        for h, m in sorted(self.to_project.items()):
            self.to_hub.setdefault(m, []).append(h)
        self.matched = np.fromiter(self.to_project, dtype=np.int64)
        self.matched_set = set(self.to_project)
        self.closure: list[Key] = []
        self.calls = 0
        self._lists: tuple[list[int], list[int], list[int], list[int]] | None = None

    def lists(self) -> tuple[list[int], list[int], list[int], list[int]] | None:
        """The dump's edges as plain lists (by child; by parent), once a walk is long enough
        that one numpy call per model would cost more than reading the columns once."""
        self.calls += 1
        if self._lists is None and self.calls > LONG_WALK:
            hub = self.hub
            order = hub.by_parent
            self._lists = (hub.child.tolist(), hub.parent.tolist(),
                           hub.parent[order].tolist(), hub.child[order].tolist())
        return self._lists

    def key(self, name: str) -> Key:
        mid = self.project.resolve(name)
        if mid is not None:
            return ("p", mid)
        if name not in self.named:
            raise UsageError(f'unknown model "{name}": not in the registry, the files, nor '
                             f"{self.hub.path}")
        return self._of_hub(self.named[name])

    def _of_hub(self, h: int) -> Key:
        return ("p", self.to_project[h]) if h in self.to_project else ("h", h)

    def parents(self, k: Key) -> list[Key]:
        if k[0] == "p":
            return [("p", u) for u in sorted(self.project.G.predecessors(str(k[1])))]
        h = int(k[1])
        lists = self.lists()
        if lists is not None:
            child, parent = lists[0], lists[1]
            lo, hi = bisect_left(child, h), bisect_left(child, h + 1)
            return list(dict.fromkeys(self._of_hub(u) for u in parent[lo:hi]))
        lo, hi = np.searchsorted(self.hub.child, [h, h + 1])
        return list(dict.fromkeys(self._of_hub(int(u)) for u in self.hub.parent[lo:hi]))

    def children(self, k: Key) -> tuple[list[Key], np.ndarray]:
        """(project children, unmatched hub children) in the joined graph."""
        hub = self.hub
        nodes = self.to_hub.get(str(k[1]), []) if k[0] == "p" else [int(k[1])]
        project_kids: list[Key] = [("p", w) for w in sorted(
            self.project.G.successors(str(k[1])))] if k[0] == "p" else []
        lists = self.lists()
        if lists is not None:
            by_parent, their_child = lists[2], lists[3]
            kids_set: set[int] = set()
            for h in nodes:
                kids_set.update(their_child[bisect_left(by_parent, h):
                                            bisect_left(by_parent, h + 1)])
            return project_kids, np.array(sorted(kids_set - self.matched_set), dtype=np.int64)
        found = []
        for h in nodes:
            lo, hi = np.searchsorted(hub.parent, [h, h + 1], sorter=hub.by_parent)
            found.append(hub.child[hub.by_parent[lo:hi]])
        kids = np.unique(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)
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


def explain(project: Project, hub: Hub, names: list[str], policy: str,
            direct: dict[str, DirectCost] | None = None) -> Explained:
    """The project of ``names`` and their ancestors, with the whole joined graph's shares.

    Raises:
        UsageError: a name that neither the project nor the dump holds.
        InputErrors: a cycle among the ancestors, or a policy that lacks data.
    """
    from lineage.core.stepcost import direct_costs

    d = direct if direct is not None else direct_costs(project)
    walk = _Walk(project, hub, names)
    starts = [walk.key(n) for n in names]
    closure = walk.above(starts)
    small = _small_graph(walk, closure, d)
    try:
        r = compute_arrays(small.graph, policy)
    except CycleError:
        r = None  # the ancestors loop: build() below names the cycle at its lines
    except WeightError as exc:
        raise InputErrors(weight_errors(exc, lambda k: _small_name(small, k),
                                        small.where)) from None
    files = list(project.files)
    hub_keys = [k for k in closure if k[0] == "h"]
    if hub_keys:
        files.append(_hub_file(walk, hub_keys))
    from lineage.model.graph import assume_grid, build, subproject

    built = subproject(build(files), {small.name(k) for k in closure})
    if project.assumed_grid is not None:
        built = assume_grid(built, project.assumed_grid)
    assert r is not None  # build() raised on a cycle
    n_closure = len(closure)
    kept = 1.0 - np.bincount(small.graph.parent, weights=r.shares, minlength=small.graph.n)
    shares = {(small.name(closure[int(u)]), small.name(closure[int(v)])): float(s)
              for u, v, s in zip(small.graph.parent, small.graph.child, r.shares, strict=True)
              if v < n_closure}
    return Explained(built, shares,
                     {small.name(k): float(kept[i]) for i, k in enumerate(closure)},
                     {small.name(k): bool(r.complete[i]) for i, k in enumerate(closure)},
                     {n: small.name(k) for n, k in zip(names, starts, strict=True)})


@dataclass
class _Small:
    """The closure (nodes 0 … C-1) and every other child of a closure node, as arrays."""

    graph: ArrayGraph
    project: Project
    hub: Hub
    project_side: list[str | None]  # the project model of each node, if it is one
    hub_side: np.ndarray  # the hub node of each node, or -1

    def name(self, k: Key) -> str:
        return str(k[1]) if k[0] == "p" else self.hub.ids[int(k[1])]

    def where(self, i: int) -> Position:
        m = self.project_side[i] if i < len(self.project_side) else None
        return self.project.models[m].where if m else self.hub.where(int(self.hub_side[i]))


def _small_graph(walk: _Walk, closure: list[Key], d: dict[str, DirectCost]) -> _Small:
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
    fresh_list: list[int] = []
    for i, kids in hub_edges:  # hub children: a closure node, or a new leaf (plain Python:
        for h in kids.tolist():  # a chain has one child per node, a numpy call would dominate)
            pos = in_closure.get(h, -1)
            if pos < 0:
                pos = hub_base + len(fresh_list)
                fresh_list.append(h)
            parent.append(i)
            child.append(pos)
            explicit.append(math.nan)
    others = np.array(fresh_list, dtype=np.int64)
    n = hub_base + others.size
    project_side: list[str | None] = [str(k[1]) if k[0] == "p" else None for k in closure]
    project_side += extra_project
    hub_side = np.concatenate([
        np.array([int(k[1]) if k[0] == "h" else walk.to_hub.get(str(k[1]), [-1])[0]
                  for k in closure] + [walk.to_hub.get(m, [-1])[0] for m in extra_project],
                 dtype=np.int64), others])
    own_kg, own_kwh = np.zeros((n, 3)), np.zeros((n, 3))
    own_complete, energy_complete = np.zeros(n, bool), np.zeros(n, bool)
    expected, usage, params = np.full(n, math.nan), np.full(n, math.nan), np.full(n, math.nan)
    for i, m in enumerate(project_side):
        if m is None:
            continue
        c, spec = d[m], project.models[m].spec
        own_kg[i], own_kwh[i] = c.emissions_kgco2e.as_tuple(), c.energy_kwh.as_tuple()
        own_complete[i], energy_complete[i] = c.is_complete, c.is_energy_complete
        if spec.derivatives_horizon is not None:
            expected[i] = spec.derivatives_horizon
        usage[i] = math.nan if spec.usage is None else spec.usage.mid
        params[i] = math.nan if spec.params is None else spec.params.mid
    is_project = np.array([m is not None for m in project_side] + [False] * others.size)
    pure = np.flatnonzero((hub_side >= 0) & ~is_project)  # hub models, not project ones
    grams = hub.emissions_g[hub_side[pure]]
    own_kg[pure] = np.where(np.isnan(grams), 0.0, grams / 1000)[:, None]
    own_complete[pure] = ~np.isnan(grams)
    from_hub = np.flatnonzero(hub_side >= 0)
    for column, values in ((usage, hub.downloads), (params, hub.params)):
        fill = from_hub[np.isnan(column[from_hub])]  # a project figure wins over the hub's
        column[fill] = values[hub_side[fill]]
    small = _Small(ArrayGraph([""] * n, np.array(parent, dtype=np.int64),
                              np.array(child, dtype=np.int64), own_kg, own_kwh, own_complete,
                              energy_complete, explicit=np.array(explicit), expected=expected,
                              usage=usage, params=params),
                   project, hub, project_side, hub_side)
    return small


def _small_name(small: _Small, k: int) -> str:
    m = small.project_side[k] if k < len(small.project_side) else None
    return m or small.hub.ids[int(small.hub_side[k])]


def _hub_file(walk: _Walk, keys: list[Key]) -> Any:
    hub = walk.hub
    return hub_file(hub, {int(k[1]): [str(p[1]) if p[0] == "p" else hub.ids[int(p[1])]
                                      for p in walk.parents(k)] for k in keys})


def hub_file(hub: Hub, parents: dict[int, list[str]]) -> Any:
    """The hub nodes ``parents`` names (with their parents' ids) as a lineage file, each model
    at its line of the dump.

    Built with ``model_construct``: the values come from the checked columns, and validating
    them again would build pydantic's validators, the slowest part of a cold start.
    """
    from lineage.model.files import Document, LoadedFile
    from lineage.model.schema import DefaultsSpec, FileSpec, SourceSpec

    models: dict[str, Any] = {}
    where: dict[tuple[Any, ...], Position] = {}
    for h, names in parents.items():
        mid = hub.ids[h]
        where[("models", mid)] = hub.where(h)
        models[mid] = hub_model(hub, h, names)
    source = SourceSpec.model_construct(
        title=f"Hugging Face Hub metadata ({hub.path})",
        note="co2_eq_emissions read in grams, as the Hub defines it; downloads as usage")
    spec = FileSpec.model_construct(lineage=1, defaults=DefaultsSpec.model_construct(),
                                    sources={"hub": source}, models=models)
    return LoadedFile(Document(hub.path, {}, values=where, keys=dict(where)), spec)


def hub_model(hub: Hub, h: int, parents: list[str]) -> Any:
    """Hub node ``h`` as a lineage :class:`~lineage.model.schema.ModelSpec`."""
    from lineage.model.interval import Interval
    from lineage.model.schema import ModelSpec, ParentSpec, StepSpec

    def known(x: float) -> Interval | None:
        return None if math.isnan(x) else Interval.exact(float(x))

    if h >= hub.n_models:
        return ModelSpec.model_construct(hf=hub.ids[h], note=f"named as a base model in "
                                         f"{hub.path} but absent from it: cost unknown")
    grams = float(hub.emissions_g[h])
    steps = []
    if parents or not math.isnan(grams):
        relation = RELATIONS[int(hub.relation[h])]
        notes = [f"base_model_relation {relation}" + (" (inferred as the Hub does)"
                                                       if hub.inferred[h] else "")] \
            if parents else []
        if math.isnan(grams):
            notes.append("no co2_eq_emissions on the Hub: cost unknown")
        steps.append(StepSpec.model_construct(
            kind=KIND_OF_RELATION.get(relation, "other"),
            parents=[ParentSpec.model_construct(model=p) for p in parents],
            emissions=known(grams / 1000), source=None if math.isnan(grams) else "hub",
            note="; ".join(notes) or None))
    return ModelSpec.model_construct(
        hf=hub.ids[h], usage=known(hub.downloads[h]), params=known(hub.params[h]),
        released=None if np.isnat(hub.created[h]) else str(hub.created[h]), steps=steps)


def hub_parents_file(files: list[Any], hub: Hub) -> Any | None:
    """The dump models that lineage files name as parents, with their hub ancestors, as a
    lineage file to load beside them (None when the files name none).

    A parent that no file declares (the registry's included), but the dump holds (in any
    case), is taken from the dump; its ancestors come along up to the declared models.
    """
    names: dict[str, str] = {}  # spelled as matches() spells them: one look-up serves both
    for f in files:
        for mid, spec in f.spec.models.items():
            names[mid] = mid
            if spec.hf:
                names[spec.hf] = mid
    declared = {n.lower() for n in names}
    wanted = {ref.model for f in files if not f.is_registry for spec in f.spec.models.values()
              for step in spec.steps for ref in step.parents
              if ref.model.lower() not in declared}
    if not wanted:
        return None
    found = hub.find([*wanted, *names])
    # hub lines that ARE declared models stop the walk
    stop = {found[n]: m for n, m in names.items() if n in found}
    found = {n: found[n] for n in wanted if n in found}
    parents: dict[int, list[str]] = {}
    stack = [h for h in found.values() if h not in stop]
    while stack:
        h = stack.pop()
        if h in parents:
            continue
        lo, hi = np.searchsorted(hub.child, [h, h + 1])
        above = [int(u) for u in hub.parent[lo:hi]]
        parents[h] = list(dict.fromkeys(stop.get(u, hub.ids[u]) for u in above))
        stack.extend(u for u in above if u not in stop)
    return hub_file(hub, parents) if parents else None


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
    walk = _Walk(project, hub, [root])
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
            parents, below = _hub_children(hub, frontier)
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


def _hub_children(hub: Hub, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(parent, child) of every dump edge out of ``nodes``, vectorised."""
    lo = np.searchsorted(hub.parent, nodes, side="left", sorter=hub.by_parent)
    hi = np.searchsorted(hub.parent, nodes, side="right", sorter=hub.by_parent)
    counts = hi - lo
    offsets = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
    return np.repeat(nodes, counts), hub.child[hub.by_parent[offsets]]


def _check_no_cycle(hub: Hub, nodes: np.ndarray,
                    edges: list[tuple[np.ndarray, np.ndarray]], cycle_error: Any) -> None:
    from lineage.model.columns import CycleError, levels

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


def explain_results(project: Project, hub: Hub, name: str, policy: str) -> Any:
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
    import dataclasses

    from lineage.core.engine import Results
    from lineage.core.hubgraph import cycle_error
    from lineage.core.stepcost import direct_costs
    from lineage.model.graph import ModelEntry

    d = direct_costs(project)
    walk = _Walk(project, hub, [name])
    start = walk.key(name)
    closure = walk.above([start])
    small = _small_graph(walk, closure, d)
    g = small.graph
    g.ids = _Names(small)
    try:
        r = compute_arrays(g, policy)
    except CycleError as exc:
        raise InputErrors([cycle_error(g.ids, g.parent, g.child, exc.members,
                                       small.where)]) from None
    except WeightError as exc:
        raise InputErrors(weight_errors(exc, lambda k: _small_name(small, k),
                                        small.where)) from None
    members = [small.name(k) for k in closure]
    walk.closure = closure
    direct = _HubDirect(d, small, walk)
    n_closure = len(closure)
    shares = {(g.ids[u], g.ids[v]): s for u, v, s in zip(
        g.parent.tolist(), g.child.tolist(), r.shares.tolist(), strict=True) if v < n_closure}
    mid = small.name(start)
    shown = project
    if start[0] == "h":  # the asked model is the dump's: an entry to name it, its steps below
        f = hub_file(hub, {int(start[1]): []})
        entry = ModelEntry(mid, f.spec.models[mid], f)
        shown = dataclasses.replace(project, files=[*project.files, f],
                                    models={**project.models, mid: entry},
                                    aliases={**project.aliases, mid.lower(): mid})
    return Results(shown, policy, direct, shares, g, r, members=members)


class _Names(Sequence[str]):
    """The small graph's node names, read from the dump only when asked for (a registry
    model's thousands of Hub children weigh its shares but are never named)."""

    def __init__(self, small: _Small) -> None:
        self.small, self.size = small, len(small.graph.ids)

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, k: int) -> str: ...

    @overload
    def __getitem__(self, k: slice) -> Sequence[str]: ...

    def __getitem__(self, k: int | slice) -> str | Sequence[str]:
        if isinstance(k, slice):
            return [_small_name(self.small, j) for j in range(*k.indices(len(self)))]
        return _small_name(self.small, k)


class _HubDirect(dict[str, DirectCost]):
    """Own costs of the small graph's models: the project's as computed, the dump's read from
    its columns when first asked for."""

    def __init__(self, project: dict[str, DirectCost], small: _Small, walk: _Walk) -> None:
        super().__init__(project)
        self.small, self.walk = small, walk
        self.rows = {_small_name(small, k): k for k in range(len(walk.closure))
                     if small.project_side[k] is None}

    def __missing__(self, mid: str) -> DirectCost:
        k = self.rows[mid]
        h = int(self.small.hub_side[k])
        parents = [_small_name(self.small, int(self.small.graph.parent[e]))
                   for e in _in(self.small.graph, k)]
        cost = hub_direct(self.small.hub, h, parents)
        self[mid] = cost
        return cost


def _in(g: ArrayGraph, k: int) -> list[int]:
    start, edges = g.in_edges()
    return edges[start[k]:start[k + 1]]


def hub_direct(hub: Hub, h: int, parents: list[str]) -> DirectCost:
    """Hub node ``h``'s own cost from the dump's columns: one step, its reported emissions
    (grams on the Hub) or unknown; no step at all for a model with neither parent nor figure
    (and for a parent the dump does not hold)."""
    from lineage.core.stepcost import Inputs, PartCost, StepCost
    from lineage.model.interval import ZERO, Interval

    mid = hub.ids[h]
    if h >= hub.n_models:
        return DirectCost(mid, [])
    grams = float(hub.emissions_g[h])
    if not parents and math.isnan(grams):
        return DirectCost(mid, [])
    relation = RELATIONS[int(hub.relation[h])]
    notes = [f"base_model_relation {relation}" + (" (inferred as the Hub does)"
                                                   if hub.inferred[h] else "")] if parents else []
    known = not math.isnan(grams)
    if not known:
        notes.append("no co2_eq_emissions on the Hub: cost unknown")
    part = PartCost(
        label="training", energy_kwh=ZERO, energy_basis="unknown",
        emissions_kgco2e=Interval.exact(grams / 1000) if known else ZERO,
        emissions_basis="reported" if known else "unknown", estimate_kgco2e=None,
        inputs=Inputs(None, None, "", Interval.exact(1.0), Interval.exact(1.0), None, ""),
        sources=(f"Hugging Face Hub metadata ({hub.path})",) if known else (),
        is_estimate_input=False, note="; ".join(notes) or None)
    kind = KIND_OF_RELATION.get(relation, "other") if parents else "other"
    return DirectCost(mid, [StepCost(mid, 0, kind, tuple(parents), (part,))])
