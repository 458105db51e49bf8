"""Models and their parents as a directed acyclic graph, with every cross-file
check: unknown or duplicate models, self-loops, cycles, unknown hardware, grids, tasks and
sources, explicit shares over 1.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field, replace
from graphlib import CycleError
from typing import TYPE_CHECKING, Any, TypeVar

from lineage.model.catalog import Catalog
from lineage.model.digraph import Digraph
from lineage.model.errors import InputError, InputErrors, Position, UsageError, did_you_mean
from lineage.model.files import LoadedFile, PathKey
from lineage.model.ids import BAD_ID
from lineage.model.interval import Interval
from lineage.model.schema import ModelSpec, SiteSpec, SourceSpec
from lineage.model.spec_base import date_parts, source_refs

if TYPE_CHECKING:
    from lineage.model.hub import Hub


@dataclass(frozen=True)
class ModelEntry:
    """One model with the file it was declared in."""

    id: str
    spec: ModelSpec
    file: LoadedFile

    @property
    def where(self) -> Position:
        return self.file.doc.at(("models", self.id), key=True)

    @property
    def label(self) -> str:
        return self.spec.name or self.id


@dataclass(frozen=True)
class Edge:
    """Parent → child: the explicit share if one was written, and the roles given."""

    parent: str
    child: str
    share: Interval | None
    roles: frozenset[str]
    kinds: frozenset[str]
    file: LoadedFile  # the parent first written at ``loc`` of this file
    loc: PathKey

    @property
    def where(self) -> Position:
        return self.file.doc.at(self.loc)


@dataclass
class Project:
    """Everything loaded: the catalog, the models, the edges and the graph ``G``."""

    files: list[LoadedFile]
    catalog: Catalog
    models: dict[str, ModelEntry]
    edges: dict[tuple[str, str], Edge]
    G: Digraph
    aliases: dict[str, str] = field(default_factory=dict)
    assumed_grid: str | None = None  # a grid the user assumes where a step names none
    as_of: str | None = None  # the date the project was restricted to (--as-of)
    hub: Hub | None = None  # the dump it was loaded with: figures are computed joined to it

    def resolve(self, name: str) -> str | None:
        """The model id that ``name`` (an id, any case, or a Hugging Face id) names."""
        if name in self.models:
            return name
        return self.aliases.get(name.lower())

    def model_id(self, name: str) -> str:
        """Like :meth:`resolve`, but an unknown name is an error.

        Raises:
            UsageError: no model has that name; the message suggests the closest.
        """
        mid = self.resolve(name)
        if mid is None:
            raise unknown_model(name, self.models)
        return mid

    def joint_totals(self, members: set[str]) -> list[tuple[tuple[str, ...], Interval, str]]:
        """The figures published only for a group of models (``totals:``) that takes in any
        of ``members``: (its model ids, its emissions, its note on one line)."""
        found = []
        for f in self.files:
            for t in f.spec.totals:
                ids = tuple(self.resolve(m) or m for m in t.models)
                if t.emissions is not None and set(ids) & members:
                    found.append((ids, t.emissions, " ".join((t.note or "").split())))
        return found

    def parents(self, model: str) -> list[str]:
        return sorted(self.G.predecessors(model))

    def children(self, model: str) -> list[str]:
        return sorted(self.G.successors(model))


def unknown_model(name: str, choices: Iterable[str]) -> UsageError:
    """The one message for a name that no model has, with the closest of ``choices``."""
    return UsageError(f'unknown model "{name}"' + did_you_mean(name, choices))


def _sources_ok(ref: Any, f: LoadedFile, loc: tuple[Any, ...], errors: list[InputError]) -> None:
    for i, r in enumerate(source_refs(ref)):
        if r in f.spec.sources or re.match(r"^(https?://|doi:|arxiv:)", r):
            continue
        at = f.doc.at((*loc, i) if not isinstance(ref, str) else loc)
        errors.append(InputError(at, f'unknown source "{r}": name one of the file\'s "sources" '
                                 "or write a URL" + did_you_mean(r, list(f.spec.sources))))


def _site_refs(site: SiteSpec, cat: Catalog, f: LoadedFile, loc: tuple[Any, ...],
               errors: list[InputError]) -> None:
    """The hardware and grid a step, teacher inference, deployment or ``defaults`` names."""
    if site.hardware is not None and cat.hardware.find(site.hardware) is None:
        errors.append(cat.hardware.unknown(site.hardware, f.doc.at((*loc, "hardware"))))
    if site.grid is not None and cat.grids.find(site.grid) is None:
        errors.append(cat.grids.unknown(site.grid, f.doc.at((*loc, "grid"))))


def _check_refs(entry: ModelEntry, cat: Catalog, errors: list[InputError]) -> None:
    f, spec = entry.file, entry.spec
    base = ("models", entry.id)
    _sources_ok(spec.source, f, (*base, "source"), errors)
    if spec.horizon is not None:
        _sources_ok(spec.horizon.source, f, (*base, "horizon", "source"), errors)
    for i, mirror in enumerate(spec.mirrors):
        _sources_ok(mirror.source, f, (*base, "mirrors", i, "source"), errors)
    blocks: list[tuple[SiteSpec, tuple[Any, ...]]] = []
    for i, step in enumerate(spec.steps):
        blocks.append((step, (*base, "steps", i)))
        if step.teacher_inference is not None:
            blocks.append((step.teacher_inference, (*base, "steps", i, "teacher_inference")))
    dep = spec.deployment
    if dep is not None:
        blocks.append((dep, (*base, "deployment")))
        if dep.task is not None and cat.tasks.find(dep.task) is None:  # (errors are sorted)
            errors.append(cat.tasks.unknown(dep.task, f.doc.at((*base, "deployment", "task"))))
    for block, loc in blocks:
        _site_refs(block, cat, f, loc, errors)
        _sources_ok(getattr(block, "source", None), f, (*loc, "source"), errors)


def _file_refs(f: LoadedFile, cat: Catalog, models: dict[str, ModelEntry],
               aliases: dict[str, str], errors: list[InputError]) -> None:
    _site_refs(f.spec.defaults, cat, f, ("defaults",), errors)
    tables: list[tuple[str, dict[str, Any]]] = [
        ("hardware", f.spec.hardware), ("grids", f.spec.grids), ("tasks", f.spec.tasks),
        ("equivalents", f.spec.equivalents)]
    for section, table in tables:
        for key, item in table.items():
            _sources_ok(item.source, f, (section, key, "source"), errors)
            embodied = getattr(item, "embodied", None)
            if embodied is not None:
                _sources_ok(embodied.source, f, (section, key, "embodied", "source"), errors)
    for i, t in enumerate(f.spec.totals):
        _sources_ok(t.source, f, ("totals", i, "source"), errors)
        for k, m in enumerate(t.models):
            if m not in models and m.lower() not in aliases:
                errors.append(InputError(f.doc.at(("totals", i, "models", k)),
                                         f'unknown model "{m}"' + did_you_mean(m, list(models))))


def _collect_models(files: list[LoadedFile], errors: list[InputError]
                    ) -> tuple[dict[str, ModelEntry], dict[str, str]]:
    models: dict[str, ModelEntry] = {}
    aliases: dict[str, str] = {}
    for f in files:
        for mid, spec in f.spec.models.items():
            entry = ModelEntry(mid, spec, f)
            if BAD_ID.search(mid):
                shown = mid.encode("unicode_escape").decode("ascii")
                errors.append(InputError(entry.where, f'model id "{shown}" must not be empty, '
                                         "start or end with a space, or hold control "
                                         "characters such as newlines"))
                continue
            if mid in models:
                errors.append(InputError(entry.where, f'duplicate model id "{mid}" (also '
                                         f"defined at {models[mid].where})"))
                continue
            models[mid] = entry
    for mid, entry in models.items():
        for alias in (mid.lower(), *(h.lower() for h in entry.spec.hub_ids)):
            owner = aliases.setdefault(alias, mid)
            if owner != mid:
                what = "model ids differ only by case" if alias == mid.lower() == \
                    owner.lower() else f'"{alias}" names both "{owner}" and "{mid}"'
                errors.append(InputError(entry.where, f"{what} (also defined at "
                                         f"{models[owner].where})"))
    return models, aliases


def _collect_edges(models: dict[str, ModelEntry], aliases: dict[str, str],
                   errors: list[InputError]) -> dict[tuple[str, str], Edge]:
    edges: dict[tuple[str, str], Edge] = {}
    for mid, entry in models.items():
        for i, step in enumerate(entry.spec.steps):
            for j, ref in enumerate(step.parents):
                loc: PathKey = ("models", mid, "steps", i, "from", j)
                parent = ref.model if ref.model in models else aliases.get(ref.model.lower())
                at = entry.file.doc.at  # positions are looked up for messages only
                if parent is None:
                    errors.append(InputError(at(loc), f'unknown model "{ref.model}"'
                                             + did_you_mean(ref.model, list(models))))
                    continue
                if parent == mid:
                    errors.append(InputError(at(loc), f'model "{mid}" lists itself as a parent'))
                    continue
                # a parent named again (by another step) adds to the edge first written
                old = edges.get((parent, mid)) or Edge(parent, mid, None, frozenset(),
                                                       frozenset(), entry.file, loc)
                if old.share is not None and ref.share is not None:
                    errors.append(InputError(at(loc), f'"{parent}" is given a share twice for '
                                             f'"{mid}"'))
                    continue
                edges[(parent, mid)] = replace(
                    old, share=old.share if ref.share is None else ref.share,
                    roles=old.roles | ({ref.role} if ref.role else set()),
                    kinds=old.kinds | {step.kind})
    return edges


def _check_shares(edges: dict[tuple[str, str], Edge], errors: list[InputError]) -> None:
    out: dict[str, list[Edge]] = {}
    for e in edges.values():
        if e.share is not None:
            out.setdefault(e.parent, []).append(e)
    for parent, es in out.items():
        for bound in ("low", "mid", "high"):
            s = sum(getattr(e.share, bound) for e in es if e.share is not None)
            if s > 1 + 1e-9:
                listed = ", ".join(f'"{e.child}"' for e in es)
                errors.append(InputError(es[-1].where, f'explicit shares of "{parent}" add up '
                                         f"to {s:g} (> 1) across {listed}"))
                break


def _check_cycles(G: Digraph, edges: dict[tuple[str, str], Edge],
                  errors: list[InputError]) -> None:
    try:
        G.topological_order()
        return
    except CycleError:
        pass
    import networkx as nx  # only on this error path: every cycle, each named once

    nxG = G.to_networkx()
    seen: set[frozenset[str]] = set()
    for comp in nx.strongly_connected_components(nxG):
        if len(comp) < 2 or frozenset(comp) in seen:
            continue
        seen.add(frozenset(comp))
        # a graph of its own in the files' order: a subgraph view iterates the set, whose
        # order (and so the cycle named) changed with the hash seed
        cycle = nx.find_cycle(nx.DiGraph((u, v) for u, v in G.edges() if {u, v} <= comp))
        path = " -> ".join([cycle[0][0]] + [v for _, v in cycle])
        first = edges[(cycle[0][0], cycle[0][1])]
        errors.append(InputError(first.where, f"cycle in the lineage: {path}"))


def build(files: list[LoadedFile]) -> Project:
    """Build the project from validated files (registry files first).

    Raises:
        InputErrors: every cross-file problem, each at its line and column.

    Example:
        >>> from lineage.io.yamlio import parse_text
        >>> from lineage.io.validation import validate_document
        >>> f = validate_document(parse_text("x.yaml", "lineage: 1\\nmodels:\\n  a: {}\\n"
        ...     "  b:\\n    steps: [{kind: finetuning, from: a}]\\n"))
        >>> build([f]).parents("b")
        ['a']
    """
    errors: list[InputError] = []
    catalog = Catalog.build(files, errors)
    models, aliases = _collect_models(files, errors)
    for f in files:
        _file_refs(f, catalog, models, aliases, errors)
    for entry in models.values():
        _check_refs(entry, catalog, errors)
    edges = _collect_edges(models, aliases, errors)
    _check_shares(edges, errors)
    G = Digraph(models, edges)
    _check_cycles(G, edges, errors)
    InputErrors.raise_if_any(errors)
    return Project(files, catalog, models, edges, G, aliases)


def subproject(project: Project, keep: set[str]) -> Project:
    """The project restricted to the models ``keep`` (and the edges between them)."""
    G = project.G.subgraph(keep)
    edges = {k: e for k, e in project.edges.items() if k[0] in keep and k[1] in keep}
    models = {m: e for m, e in project.models.items() if m in keep}
    aliases = {a: m for a, m in project.aliases.items() if m in keep}
    return Project(project.files, project.catalog, models, edges, G, aliases,
                   project.assumed_grid, project.as_of, project.hub)


def assume_grid(project: Project, grid: str) -> Project:
    """The project with ``grid`` assumed for every step that names no grid or intensity.

    Raises:
        UsageError: an unknown grid (with a suggestion).
    """
    entry = project.catalog.grids.find(grid)
    if entry is None:
        raise UsageError(str(project.catalog.grids.unknown(grid, None)))  # type: ignore[arg-type]
    return replace(project, assumed_grid=entry.id)


def component(project: Project, models: list[str]) -> Project:
    """The connected part of the lineage around ``models``.

    Why: a model's shares depend only on its connected component, so computing there gives
    the same figures, and a policy's data (``usage``, ``params``) is needed only there.
    """
    keep: set[str] = set()
    for m in models:
        keep |= project.G.component(m)
    return subproject(project, keep)


def as_of(project: Project, date: str) -> tuple[Project, list[str]]:
    """The project as it stood on ``date`` (YYYY-MM-DD): only models released by then.

    Models without a ``released`` date are left out (nobody can say they existed), and so is
    every descendant of a model left out. Returns the project and the ids left out.
    """
    keep = {m for m, e in project.models.items() if late(e.spec.released, date) is None}
    dropped = set(project.models) - keep
    for m in list(dropped):
        dropped |= project.G.descendants(m)
    keep -= dropped
    return replace(subproject(project, keep), as_of=date), sorted(dropped)


def late(released: str | None, date: str) -> str | None:
    """Why a model released on ``released`` did not exist on ``date`` by its own date
    ("has no release date", "was released on …"), or None (docs/method.md#as-of)."""
    if released is None:
        return "has no release date"
    return f"was released on {released}" if date_parts(released) > date_parts(date) else None


K = TypeVar("K", bound=Hashable)


def left_out(start: K, date: str, own: Callable[[K], str | None],
             parents: Callable[[K], Iterable[K]], name: Callable[[K], str]) -> str | None:
    """Why ``--as-of date`` leaves out ``start``, or None when it stays: its own date
    (``own``: :func:`late` of one model), else the nearest ancestor's, since a model leaves
    with its ancestors. Every command says it so, with lineage files or a hub dump.
    """
    seen, queue = {start}, deque([start])
    while queue:
        k = queue.popleft()
        why = own(k)
        if why is not None:
            if k == start:
                return (f'"{name(k)}" {why}, after --as-of {date}' if why.startswith("was")
                        else f'"{name(k)}" {why}, so --as-of {date} leaves it out')
            return f'--as-of {date} leaves out "{name(start)}": it descends from ' \
                   f'"{name(k)}", which {why}'
        for u in parents(k):
            if u not in seen:
                seen.add(u)
                queue.append(u)
    return None


def left_out_of(project: Project, mid: str, date: str) -> str | None:
    """:func:`left_out` for a model of the project."""
    return left_out(mid, date, lambda m: late(project.models[m].spec.released, date),
                    project.parents, str)


def source_spec(f: LoadedFile, ref: str) -> SourceSpec:
    """The citation a ``source:`` reference names (a URL is its own citation)."""
    return f.spec.sources.get(ref) or SourceSpec(url=ref)
