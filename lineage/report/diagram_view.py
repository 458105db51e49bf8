"""What a lineage diagram shows, independent of its format: a :class:`View`.

The view holds the selected models (``--focus``/``--depth``), leaf quantizations and
fine-tunes folded into counted nodes when the graph is too large to read, a junction point
for each step that has several parents, every label, the fill of each model on a log-scaled
viridis ramp of cumulative emissions, each edge's step kinds, and each model's cost breakdown
for tooltips. :mod:`lineage.report.diagram` turns it into DOT or Mermaid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx

from lineage.core.engine import ModelCost, Results
from lineage.core.records import figures
from lineage.model.errors import UsageError
from lineage.model.interval import Interval, total
from lineage.report.diagram_style import (
    EDGE_STYLES,
    FOLD_NOUN,
    KIND_ORDER,
    UNKNOWN_FILL,
    Scale,
    plain,
    short_count,
    short_share,
    text_colour,
)
from lineage.report.tables import basis_line, fmt, fmt_kg, unknown_models

MAX_NODES = 60  # above this many models, every group of two or more leaf derivatives folds
MAX_LEAVES = 12  # a parent with more foldable leaves than this has them folded regardless
MIN_GROUP = 3  # in a large graph, smaller groups stay drawn: folding them saves too little
MAX_TIP_CONTRIBUTIONS = 8


@dataclass(frozen=True)
class NodeView:
    """One box of the diagram: a model, or a counted group of folded leaves."""

    key: str
    models: tuple[str, ...]
    title: str
    lines: tuple[str, ...]
    cumulative_kgco2e: float
    fill: str
    font: str
    cluster: str | None
    tooltip: tuple[tuple[str, str], ...]
    is_focus: bool = False

    @property
    def is_folded(self) -> bool:
        return len(self.models) > 1

    @property
    def is_junction(self) -> bool:
        """A point where a step with several parents meets: it has no model of its own."""
        return not self.models


@dataclass(frozen=True)
class EdgeView:
    """A parent → child arrow, styled by its main step kind."""

    tail: str
    head: str
    kind: str
    kinds: tuple[str, ...]  # every kind of step along this edge, main kind first
    lines: tuple[str, ...]

    @property
    def is_to_junction(self) -> bool:
        """A parent's line into a junction: the arrow is drawn once, out of the junction."""
        return self.head.startswith("j")


@dataclass(frozen=True)
class View:
    """Everything a renderer needs, in a stable order (goldens depend on it)."""

    title: str
    nodes: tuple[NodeView, ...]
    edges: tuple[EdgeView, ...]
    clusters: tuple[tuple[str, str], ...]  # (key, family name)
    scale: Scale | None
    kinds: tuple[str, ...]
    has_unknown: bool


# ---------------------------------------------------------------- selection and folding


def select(results: Results, focus: str | None, depth: int | None) -> tuple[list[str], str | None]:
    """The models to draw, in a stable topological order, and the focused model's id.

    Raises:
        UsageError: an unknown ``focus``, or ``depth`` without ``focus``.
    """
    G = results.project.G.to_networkx()
    if focus is None:
        if depth is not None:
            raise UsageError("--depth needs --focus MODEL")
        return list(nx.lexicographical_topological_sort(G)), None
    mid = results.resolve(focus)
    down = nx.single_source_shortest_path_length(G, mid, cutoff=depth)
    up = nx.single_source_shortest_path_length(G.reverse(copy=False), mid, cutoff=depth)
    keep = set(down) | set(up)
    return list(nx.lexicographical_topological_sort(G.subgraph(keep))), mid


def fold_groups(results: Results, models: Iterable[str], keep: str | None
                ) -> dict[tuple[str, str], list[str]]:
    """Groups of leaf derivatives to draw as one counted node, keyed by (parent, kind).

    A leaf folds when it has one parent, no children, and only quantization or fine-tuning
    steps from that parent. Groups fold when the parent has more than :data:`MAX_LEAVES` such
    leaves, or when the diagram has more than :data:`MAX_NODES` models and the group has at
    least :data:`MIN_GROUP`; a group of one never folds.

    Why: hub-scale families have hundreds of community quantizations per base model; drawn
    one by one they hide the lineage the diagram is for.
    """
    G, edges = results.project.G, results.project.edges
    shown = list(models)
    groups: dict[tuple[str, str], list[str]] = {}
    for v in shown:
        if v == keep or G.out_degree(v) != 0 or G.in_degree(v) != 1:
            continue
        (u,) = G.predecessors(v)
        kinds = edges[(u, v)].kinds
        if kinds and all(k in FOLD_NOUN for k in kinds):  # quantizations and fine-tunes
            groups.setdefault((u, min(kinds)), []).append(v)
    per_parent: dict[str, int] = {}
    for (u, _), vs in groups.items():
        per_parent[u] = per_parent.get(u, 0) + len(vs)
    too_big = len(shown) > MAX_NODES
    return {k: sorted(vs) for k, vs in groups.items() if len(vs) >= 2 and (
        per_parent[k[0]] > MAX_LEAVES or (too_big and len(vs) >= MIN_GROUP))}


# ---------------------------------------------------------------- labels and tooltips


def _cluster_name(results: Results, model: str) -> str | None:
    family = results.project.models[model].file.spec.family
    return plain(family) if family else None


def _model_lines(results: Results, c: ModelCost) -> tuple[str, ...]:
    spec = results.project.models[c.model].spec
    lines = [f"{short_count(spec.params.mid)} params"] if spec.params is not None else []
    lines.append(f"own {fmt(c.own_kgco2e_bound, results.direct[c.model].is_complete)}")
    lines.append(f"cumulative {fmt(c.cumulative_kgco2e_bound, c.is_complete)}")
    return tuple(lines)


def model_tooltip(results: Results, c: ModelCost) -> tuple[tuple[str, str], ...]:
    """The breakdown of one model's cost as (label, value) rows, for tooltips."""
    entry = results.project.models[c.model]
    rows = [("model", plain(c.model))]
    if entry.spec.hf:
        rows.append(("Hugging Face", plain(entry.spec.hf)))
    for key, (value, complete) in figures(c).items():  # each with its own completeness
        if key.endswith("_kgco2e") and value is not None:
            rows.append((key.removesuffix("_kgco2e"), fmt(value, complete)))
    if c.basis:
        rows.append(("basis", basis_line(c.basis)))
    for x in c.contributions[:MAX_TIP_CONTRIBUTIONS]:
        name = plain(results.project.models[x.model].label)
        rows.append((f"from {name}", fmt(x.kgco2e, x.is_complete)))
    if len(c.contributions) > MAX_TIP_CONTRIBUTIONS:
        rows.append(("…", f"{len(c.contributions) - MAX_TIP_CONTRIBUTIONS} more ancestors"))
    own, weighed = unknown_models(c)
    if own:
        rows.append(("unknown cost", ", ".join(plain(m) for m in own)))
    if weighed:  # under compute: their unknown energy weighed the shares
        rows.append(("unknown energy", ", ".join(plain(m) for m in weighed)))
    rows.append(("policy", c.policy))
    return tuple(rows)


def _folded_lines(results: Results, members: list[str]) -> tuple[tuple[str, ...], float]:
    """The own cost of all the folded models together, and the range of their cumulative costs.

    Returns:
        The label lines, and the highest cumulative emissions (kgCO2e) for the fill.
    """
    costs = [results.costs[m] for m in members]
    own = fmt(total([c.own_kgco2e_bound for c in costs]),
              all(results.direct[m].is_complete for m in members))
    lo = min(c.cumulative_kgco2e_bound.mid for c in costs)
    hi = max(c.cumulative_kgco2e_bound.mid for c in costs)
    complete = all(c.is_complete for c in costs)
    each = fmt(Interval.exact(hi), complete)
    if lo != hi:
        each = f"{fmt(Interval.exact(lo), complete)} – {fmt_kg(hi)}"
    return (f"own in all {own}", f"cumulative {each} each"), hi


# ---------------------------------------------------------------- building the view


def _model_node(results: Results, key: str, model: str, scale: Scale | None,
                focus: str | None, drawn: set[str]) -> NodeView:
    c = results.costs[model]
    fill = scale.colour(c.cumulative_kgco2e_bound.mid) if scale else UNKNOWN_FILL
    lines = _model_lines(results, c)
    hidden = sum(1 for u in results.project.G.predecessors(model) if u not in drawn)
    if hidden:  # --depth or --focus left out a parent whose share is in the cumulative figure
        lines += (f"+{hidden} parent{'s' if hidden > 1 else ''} not drawn",)
    return NodeView(key, (model,), plain(results.project.models[model].label), lines,
                    c.cumulative_kgco2e_bound.mid, fill, text_colour(fill),
                    _cluster_name(results, model), model_tooltip(results, c),
                    is_focus=model == focus)


def _folded_node(results: Results, key: str, parent: str, kind: str, members: list[str],
                 scale: Scale | None) -> NodeView:
    lines, hi = _folded_lines(results, members)
    fill = scale.colour(hi) if scale else UNKNOWN_FILL
    names = [plain(results.project.models[m].label) for m in members]
    tip = [("folded", f"{len(members)} {FOLD_NOUN[kind]} of "
            f"{plain(results.project.models[parent].label)}")]
    tip += [("", n) for n in names[:20]]
    if len(names) > 20:
        tip.append(("…", f"{len(names) - 20} more"))
    return NodeView(key, tuple(members), f"+{len(members)} {FOLD_NOUN[kind]}", lines, hi,
                    fill, text_colour(fill), _cluster_name(results, parent), tuple(tip))


def _hardware(results: Results, model: str, index: int) -> list[str]:
    entry = results.project.models[model]
    step = entry.spec.steps[index]
    found = [step.hardware, step.teacher_inference.hardware if step.teacher_inference else None]
    names = [plain(h) for h in found if h] or (
        [plain(entry.file.spec.defaults.hardware)] if entry.file.spec.defaults.hardware else [])
    return list(dict.fromkeys(names))


def _step_lines(results: Results, parents: list[str], children: list[str]) -> list[str]:
    """The kinds of the steps along parents → children, and their GPU-hours and hardware."""
    kinds = sorted({k for u in parents for v in children for k in _kinds(results, u, v)},
                   key=KIND_ORDER.index)
    gpu_hours, hardware = 0.0, []
    for v in children:
        for s in results.direct[v].steps:
            if set(s.parents) & set(parents):
                gpu_hours += sum(p.inputs.gpu_hours.mid for p in s.parts
                                 if p.inputs.gpu_hours is not None)
                hardware += _hardware(results, v, s.index)
    lines = [join_kinds(kinds) + (f" ×{len(children)}" if len(children) > 1 else "")]
    if gpu_hours > 0:
        lines.append(" · ".join([f"{short_count(gpu_hours)} GPU-h", *dict.fromkeys(hardware)]))
    return lines


def join_kinds(kinds: list[str]) -> str:
    """Several step kinds in few words.

    Example:
        >>> join_kinds(["instruction-tuning", "preference-tuning"])
        'instruction + preference tuning'
        >>> join_kinds(["distillation", "finetuning"])
        'distillation + finetuning'
    """
    if len(kinds) > 1 and all(k.endswith("-tuning") for k in kinds):
        return " + ".join(k.removesuffix("-tuning") for k in kinds) + " tuning"
    return " + ".join(kinds)


def _share_line(results: Results, parents: list[str], children: list[str]) -> str:
    return f"share {short_share(sum(results.shares[(u, v)] for u in parents for v in children))}"


def _edge_lines(results: Results, parents: list[str], children: list[str]) -> tuple[str, ...]:
    return (*_step_lines(results, parents, children), _share_line(results, parents, children))


def _kinds(results: Results, u: str, v: str) -> tuple[str, ...]:
    kinds = {k if k in EDGE_STYLES else "other" for k in results.project.edges[(u, v)].kinds}
    return tuple(sorted(kinds, key=KIND_ORDER.index)) or ("other",)


def build_view(results: Results, focus: str | None = None, depth: int | None = None,
               *, fold: bool = True) -> View:
    """Select, fold and label the models of ``results`` for drawing.

    Raises:
        UsageError: an unknown ``focus``, or ``depth`` without ``focus``.

    Example:
        >>> import lineage
        >>> from lineage.report.diagram import build_view
        >>> results = lineage.compute(lineage.load())
        >>> view = build_view(results, focus="llama-3.2-1b", depth=1)
        >>> [n.title for n in view.nodes if not n.is_junction]
        ['Llama 3.1 70B', 'Llama 3.1 8B', 'Llama 3.2 1B', 'Llama 3.2 1B Instruct']
    """
    models, focus_id = select(results, focus, depth)
    groups = fold_groups(results, models, focus_id) if fold else {}
    folded = {v: k for k, vs in groups.items() for v in vs}
    shown = [m for m in models if m not in folded]
    scale = Scale.fit([results.costs[m].cumulative_kgco2e_bound.mid for m in models])
    key = {m: f"n{i}" for i, m in enumerate(shown)}
    selected = set(models)
    nodes = [_model_node(results, key[m], m, scale, focus_id, selected) for m in shown]
    for i, ((parent, kind), members) in enumerate(groups.items()):
        key.update({v: f"f{i}" for v in members})
        nodes.append(_folded_node(results, f"f{i}", parent, kind, members, scale))
    junctions, edges = _view_edges(results, shown, groups, key)
    nodes += junctions
    clusters = list(dict.fromkeys(n.cluster for n in nodes if n.cluster))
    return View(_title(results, focus_id), tuple(nodes), tuple(edges),
                tuple((f"c{i}", c) for i, c in enumerate(clusters)), scale,
                tuple(k for k in KIND_ORDER if any(k in e.kinds for e in edges)),
                any(n.cumulative_kgco2e <= 0 for n in nodes if not n.is_junction))


def _junction_parents(results: Results, v: str, visible: set[str]) -> list[str]:
    """The parents of ``v`` joined by one step, when it has only that step and they are two or
    more: that step is drawn once, as a junction, instead of once per parent.

    Why: a distillation from two teachers drawn as two labelled arrows repeats its GPU-hours
    and doubles the labels that fight for room where the arrows converge.
    """
    steps = [s for s in results.direct[v].steps if s.parents]
    if len(steps) != 1:
        return []
    parents = sorted(u for u in steps[0].parents if u in visible)
    return parents if len(parents) >= 2 else []


def _junction(results: Results, jkey: str, v: str, parents: list[str],
              key: dict[str, str]) -> tuple[NodeView, list[EdgeView]]:
    """The junction of ``v``'s one step: a point, a line from each parent, one arrow out."""
    step = _step_lines(results, parents, [v])
    node = NodeView(jkey, (), "", (), 0.0, "#555555", "#ffffff", _cluster_name(results, v),
                    (("step", step[0]), *(("compute", x) for x in step[1:])))
    kinds = tuple(sorted({k for u in parents for k in _kinds(results, u, v)},
                         key=KIND_ORDER.index))
    edges = [EdgeView(key[u], jkey, _kinds(results, u, v)[0], _kinds(results, u, v),
                      (_share_line(results, [u], [v]),)) for u in parents]
    return node, [*edges, EdgeView(jkey, key[v], kinds[0], kinds, tuple(step))]


def _view_edges(results: Results, shown: list[str], groups: dict[tuple[str, str], list[str]],
                key: dict[str, str]) -> tuple[list[NodeView], list[EdgeView]]:
    G, visible = results.project.G, set(shown)
    nodes: list[NodeView] = []
    out: list[EdgeView] = []
    for v in shown:
        joined = _junction_parents(results, v, visible)
        if joined:
            node, edges = _junction(results, f"j{len(nodes)}", v, joined, key)
            nodes.append(node)
            out += edges
        for u in sorted(G.predecessors(v)):
            if u in visible and u not in joined:
                kinds = _kinds(results, u, v)
                out.append(EdgeView(key[u], key[v], kinds[0], kinds,
                                    _edge_lines(results, [u], [v])))
    for (parent, kind), members in groups.items():
        out.append(EdgeView(key[parent], key[members[0]], kind, (kind,),
                            _edge_lines(results, [parent], members)))
    return nodes, out


def _title(results: Results, focus: str | None) -> str:
    title = f"Lineage carbon cost · policy {results.policy}"
    if focus is not None:
        title += f" · around {plain(results.project.models[focus].label)}"
    return title


