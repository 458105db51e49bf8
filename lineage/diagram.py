"""Lineage diagrams: results → a format-neutral :class:`View` → DOT (Graphviz) or Mermaid.

A view holds what a reader sees: the selected models (``--focus``/``--depth``), leaf
quantizations and fine-tunes folded into counted nodes when the graph is too large to read,
labels, colours on a log-scaled viridis ramp of cumulative emissions, edge styles per step
kind, and each model's cost breakdown for tooltips.

Names are data, never markup: DOT labels are built with :func:`graphviz.escape` or as
HTML-like labels from :func:`html_text`, Mermaid labels with :func:`mermaid_text`, and node
identifiers are generated (``n0``, ``n1``…), so no name reaches a position where it is parsed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from lineage.diagram_style import (
    EDGE_STYLES,
    FOLD_NOUN,
    KIND_ORDER,
    UNKNOWN_FILL,
    Scale,
    fmt_count,
    fmt_share,
    text_colour,
)
from lineage.engine import ModelCost, Results
from lineage.errors import UsageError
from lineage.report import fmt

FOLDABLE = {"quantization": "quantization", "finetuning": "finetuning"}
MAX_NODES = 60  # above this many models, every group of two or more leaf derivatives folds
MAX_LEAVES = 12  # a parent with more foldable leaves than this has them folded regardless
MAX_TIP_CONTRIBUTIONS = 8
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ufffe\uffff]+")


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


def plain(text: str) -> str:
    """``text`` on one line: control characters (newlines, tabs…) become single spaces.

    Example:
        >>> plain("a\\nb\\t c")
        'a b  c'
    """
    return _CONTROL.sub(" ", text)


# ---------------------------------------------------------------- selection and folding


def select(results: Results, focus: str | None, depth: int | None) -> tuple[list[str], str | None]:
    """The models to draw, in a stable topological order, and the focused model's id.

    Raises:
        UsageError: an unknown ``focus``, or ``depth`` without ``focus``.
    """
    import networkx as nx

    G = results.project.G
    if focus is None:
        if depth is not None:
            raise UsageError("--depth needs --focus MODEL")
        return list(nx.lexicographical_topological_sort(G)), None
    mid = results.resolve(focus)
    down = nx.single_source_shortest_path_length(G, mid, cutoff=depth)
    up = nx.single_source_shortest_path_length(G.reverse(copy=False), mid, cutoff=depth)
    keep = set(down) | set(up)
    return list(nx.lexicographical_topological_sort(G.subgraph(keep))), mid


def fold_groups(results: Results, models: Iterable[str], keep: str | None,
                *, max_nodes: int = MAX_NODES, max_leaves: int = MAX_LEAVES
                ) -> dict[tuple[str, str], list[str]]:
    """Groups of leaf derivatives to draw as one counted node, keyed by (parent, kind).

    A leaf folds when it has one parent, no children, and only quantization or fine-tuning
    steps from that parent. Groups fold when the diagram has more than ``max_nodes`` models or
    the parent has more than ``max_leaves`` such leaves; a group of one never folds.

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
        if kinds and all(k in FOLDABLE for k in kinds):
            groups.setdefault((u, FOLDABLE[min(kinds)]), []).append(v)
    per_parent: dict[str, int] = {}
    for (u, _), vs in groups.items():
        per_parent[u] = per_parent.get(u, 0) + len(vs)
    too_big = len(shown) > max_nodes
    return {k: sorted(vs) for k, vs in groups.items()
            if len(vs) >= 2 and (too_big or per_parent[k[0]] > max_leaves)}


# ---------------------------------------------------------------- labels and tooltips


def _cluster_name(results: Results, model: str) -> str | None:
    family = results.project.models[model].file.spec.family
    return plain(family) if family else None


def _model_lines(results: Results, c: ModelCost) -> tuple[str, ...]:
    spec = results.project.models[c.model].spec
    lines = [f"{fmt_count(spec.params.mid)} params"] if spec.params is not None else []
    lines.append(f"own {fmt(c.own_kgco2e, results.direct[c.model].is_complete)}")
    lines.append(f"cumulative {fmt(c.cumulative_kgco2e, c.is_complete)}")
    return tuple(lines)


def model_tooltip(results: Results, c: ModelCost) -> tuple[tuple[str, str], ...]:
    """The breakdown of one model's cost as (label, value) rows, for tooltips."""
    entry = results.project.models[c.model]
    rows = [("model", plain(c.model))]
    if entry.spec.hf:
        rows.append(("Hugging Face", plain(entry.spec.hf)))
    rows.append(("own", fmt(c.own_kgco2e, results.direct[c.model].is_complete)))
    rows.append(("inherited", fmt(c.inherited_kgco2e, c.is_complete)))
    rows.append(("cumulative", fmt(c.cumulative_kgco2e, c.is_complete)))
    if c.attributed_kgco2e is not None:
        rows.append(("attributed", fmt(c.attributed_kgco2e, c.is_complete)))
    if c.basis:
        rows.append(("basis", ", ".join(f"{v:.0%} {b}" for b, v in c.basis.items())))
    for x in c.contributions[:MAX_TIP_CONTRIBUTIONS]:
        name = plain(results.project.models[x.model].label)
        rows.append((f"from {name}", fmt(x.kgco2e, x.is_complete)))
    if len(c.contributions) > MAX_TIP_CONTRIBUTIONS:
        rows.append(("…", f"{len(c.contributions) - MAX_TIP_CONTRIBUTIONS} more ancestors"))
    if c.unknown:
        rows.append(("unknown cost", ", ".join(plain(m) for m in c.unknown)))
    rows.append(("policy", c.policy))
    return tuple(rows)


def _folded_lines(results: Results, members: list[str]) -> tuple[tuple[str, ...], float]:
    costs = [results.costs[m] for m in members]
    own = sum(c.own_kgco2e.mid for c in costs)
    own_complete = all(results.direct[m].is_complete for m in members)
    lo = min(c.cumulative_kgco2e.mid for c in costs)
    hi = max(c.cumulative_kgco2e.mid for c in costs)
    prefix = "" if all(c.is_complete for c in costs) else "≥ "
    from lineage.report import fmt_kg

    each = fmt_kg(lo) if lo == hi else f"{fmt_kg(lo)} – {fmt_kg(hi)}"
    return (f"own in all {'' if own_complete else '≥ '}{fmt_kg(own)}",
            f"cumulative {prefix}{each} each"), hi


# ---------------------------------------------------------------- building the view


def _model_node(results: Results, key: str, model: str, scale: Scale | None,
                focus: str | None) -> NodeView:
    c = results.costs[model]
    fill = scale.colour(c.cumulative_kgco2e.mid) if scale else UNKNOWN_FILL
    return NodeView(key, (model,), plain(results.project.models[model].label),
                    _model_lines(results, c), c.cumulative_kgco2e.mid, fill, text_colour(fill),
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
        lines.append(" · ".join([f"{fmt_count(gpu_hours)} GPU-h", *dict.fromkeys(hardware)]))
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
    return f"share {fmt_share(sum(results.shares[(u, v)] for u in parents for v in children))}"


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
        >>> from lineage.diagram import build_view
        >>> results = lineage.compute(lineage.load())
        >>> view = build_view(results, focus="llama-3.2-1b", depth=1)
        >>> [n.title for n in view.nodes][-1]
        'Llama 3.2 1B Instruct'
    """
    models, focus_id = select(results, focus, depth)
    groups = fold_groups(results, models, focus_id) if fold else {}
    folded = {v: k for k, vs in groups.items() for v in vs}
    shown = [m for m in models if m not in folded]
    scale = Scale.fit([results.costs[m].cumulative_kgco2e.mid for m in models])
    key = {m: f"n{i}" for i, m in enumerate(shown)}
    nodes = [_model_node(results, key[m], m, scale, focus_id) for m in shown]
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


def _junction(results: Results, key: str, v: str, parents: list[str],
              cluster: str | None) -> tuple[NodeView, list[EdgeView]]:
    step = _step_lines(results, parents, [v])
    node = NodeView(key, (), "", (), 0.0, "#555555", "#ffffff", cluster,
                    (("step", step[0]), *(("compute", x) for x in step[1:])))
    kinds = tuple(sorted({k for u in parents for k in _kinds(results, u, v)},
                         key=KIND_ORDER.index))
    edges = [EdgeView(key, "", kinds[0], kinds, tuple(step))]
    edges += [EdgeView("", key, _kinds(results, u, v)[0], _kinds(results, u, v),
                       (_share_line(results, [u], [v]),)) for u in parents]
    return node, edges


def _view_edges(results: Results, shown: list[str], groups: dict[tuple[str, str], list[str]],
                key: dict[str, str]) -> tuple[list[NodeView], list[EdgeView]]:
    G, visible = results.project.G, set(shown)
    nodes: list[NodeView] = []
    out: list[EdgeView] = []
    for v in shown:
        joined = _junction_parents(results, v, visible)
        if joined:
            j, edges = _junction(results, f"j{len(nodes)}", v, joined, _cluster_name(results, v))
            nodes.append(j)
            out.append(replace(edges[0], head=key[v]))
            out += [replace(e, tail=key[u]) for u, e in zip(joined, edges[1:], strict=True)]
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


# ---------------------------------------------------------------- text escaping


def html_text(text: str) -> str:
    """``text`` escaped for a Graphviz HTML-like label (and for HTML/XML text).

    Example:
        >>> html_text('<b a="1">&\\n')
        '&lt;b a=&quot;1&quot;&gt;&amp; '
    """
    text = plain(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;").replace("'", "&#39;")


_MERMAID_SAFE = re.compile(r"[\w .,:/+%·≥–-]")


def mermaid_text(text: str) -> str:
    """``text`` for inside a quoted Mermaid label: anything not plainly safe becomes ``#N;``.

    Example:
        >>> mermaid_text('a"];x-->y')
        'a#34;#93;#59;x-->y'
    """
    return "".join(ch if _MERMAID_SAFE.fullmatch(ch) else f"#{ord(ch)};"
                   for ch in plain(text)).replace(">", "#62;")


def mermaid(view: View) -> str:
    """The view as a Mermaid flowchart (renders on GitHub).

    Example:
        >>> import lineage
        >>> from lineage.diagram import build_view, mermaid
        >>> view = build_view(lineage.compute(lineage.load()), focus="llama-3.2-1b", depth=1)
        >>> mermaid(view).splitlines()[0]
        'flowchart TB'
    """
    out = ["flowchart TB", f"  %% {mermaid_text(view.title)}"]
    for key, name in view.clusters:
        out.append(f'  subgraph {key}["{mermaid_text(name)}"]')
        out += [f"    {_mermaid_node(n)}" for n in view.nodes if n.cluster == name]
        out.append("  end")
    out += [f"  {_mermaid_node(n)}" for n in view.nodes if n.cluster is None]
    for e in view.edges:
        label = "<br/>".join(mermaid_text(x) for x in e.lines)
        arrow = "---" if e.is_to_junction else EDGE_STYLES[e.kind].mermaid
        out.append(f'  {e.tail} {arrow}|"{label}"| {e.head}')
    for n in view.nodes:
        stroke = "stroke:#d62728,stroke-width:3px" if n.is_focus else "stroke:#333333"
        out.append(f"  style {n.key} fill:{n.fill},color:{n.font},{stroke}")
    for i, e in enumerate(view.edges):
        st = EDGE_STYLES[e.kind]
        dash = ",stroke-dasharray:6 4" if st.style == "dashed" else (
            ",stroke-dasharray:2 3" if st.style == "dotted" else "")
        out.append(f"  linkStyle {i} stroke:{st.colour},stroke-width:{st.penwidth:g}px{dash}")
    return "\n".join(out) + "\n"


def _mermaid_node(n: NodeView) -> str:
    if n.is_junction:
        return f'{n.key}((" "))'
    label = "<br/>".join([f"<b>{mermaid_text(n.title)}</b>",
                          *(mermaid_text(x) for x in n.lines)])
    return f'{n.key}["{label}"]'


# ---------------------------------------------------------------- DOT (Graphviz)

# Why Helvetica: fontconfig maps it to a metric-compatible face (Liberation Sans, Arimo),
# SVG output names a sans-serif fallback, and graphviz-pure has built-in metrics for it.
_FONT = "Helvetica"


def _esc(*lines: str) -> Any:
    """Plain text lines as a DOT escString: backslashes doubled, never read as HTML."""
    import graphviz

    return graphviz.nohtml("\\n".join(plain(x).replace("\\", "\\\\") for x in lines))


def _tip(rows: Iterable[tuple[str, str]]) -> Any:
    return _esc(*(f"{k}: {v}" if k else v for k, v in rows))


def _node_label(n: NodeView) -> str:
    more = "".join(f'<BR/><FONT POINT-SIZE="10">{html_text(x)}</FONT>' for x in n.lines)
    return f"<<B>{html_text(n.title)}</B>{more}>"


def _dot_node(g: Any, n: NodeView) -> None:
    if n.is_junction:
        g.node(n.key, label="", shape="point", width="0.09", fillcolor=n.fill, color=n.fill,
               tooltip=_tip(n.tooltip), id=n.key)
        return
    focus = {"color": "#d62728", "penwidth": "3"} if n.is_focus else {}
    g.node(n.key, label=_node_label(n), tooltip=_tip(n.tooltip), id=n.key,
           fillcolor=n.fill, fontcolor=n.font, **focus)


def _dot_edge(g: Any, e: EdgeView) -> None:
    st = EDGE_STYLES[e.kind]
    g.edge(e.tail, e.head, label=_esc(*e.lines), tooltip=_esc(*e.lines), color=st.colour,
           fontcolor=st.colour, style=st.style, penwidth=f"{st.penwidth:g}",
           arrowhead="none" if e.is_to_junction else st.arrowhead)


def _legend_label(view: View) -> str:
    ticks = view.scale.ticks() if view.scale else []
    cells = "".join(f'<TD BGCOLOR="{c}" BORDER="1"><FONT COLOR="{text_colour(c)}">'
                    f"{html_text(t)}</FONT></TD>" for t, c in ticks)
    rows = ["<B>cumulative emissions (tCO2e, log scale)</B>"]
    rows += [f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="4"><TR>{cells}</TR></TABLE>'] \
        if cells else []
    if view.has_unknown:
        rows.append('<TABLE BORDER="0" CELLPADDING="4"><TR><TD BORDER="1" BGCOLOR="'
                    f'{UNKNOWN_FILL}">no known cost</TD></TR></TABLE>')
    rows.append("≥ : at least (a step upstream has no known cost)")
    kinds = "".join(f'<TR><TD WIDTH="60" HEIGHT="15" FIXEDSIZE="TRUE" ALIGN="LEFT"><FONT COLOR="'
                    f'{EDGE_STYLES[k].colour}">{EDGE_STYLES[k].sample}</FONT></TD>'
                    f'<TD ALIGN="LEFT">{k}</TD></TR>' for k in view.kinds)
    if kinds:
        rows.append(f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">{kinds}</TABLE>')
        rows.append("arrow labels: step kind · GPU-hours · hardware ·<BR/>"
                    "share of the parent&#39;s cumulative cost passed on")
    body = "".join(f"<TR><TD>{r}</TD></TR>" for r in rows)
    return f'<<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="2">{body}</TABLE>>'


def _legend(g: Any, view: View) -> None:
    with g.subgraph(name="cluster_legend") as lg:
        lg.attr(label="Legend", style="rounded", color="#999999", fontsize="14",
                id="cluster_legend")
        lg.node("legend", label=_legend_label(view), shape="plaintext", style="", id="legend",
                fontsize="10")


def dot_graph(view: View) -> Any:
    """The view as a :class:`graphviz.Digraph` (top-down; clusters per family; a legend).

    Example:
        >>> import lineage
        >>> from lineage.diagram import build_view, dot_graph
        >>> view = build_view(lineage.compute(lineage.load()), focus="llama-3.2-1b", depth=1)
        >>> dot_graph(view).source.startswith("digraph lineage {")
        True
    """
    import graphviz

    g = graphviz.Digraph("lineage")
    g.attr(rankdir="TB", label=_esc(view.title), labelloc="t", fontsize="18", fontname=_FONT,
           bgcolor="white", nodesep="0.35", ranksep="0.7")
    g.attr("node", shape="box", style="rounded,filled", fontname=_FONT, fontsize="12",
           color="#333333", margin="0.15,0.08")
    g.attr("edge", fontname=_FONT, fontsize="9", arrowsize="0.8")
    for key, name in view.clusters:
        with g.subgraph(name=f"cluster_{key}") as sub:
            sub.attr(label=_esc(name), style="rounded", color="#aaaaaa", fontsize="14",
                     id=f"cluster_{key}")
            for n in view.nodes:
                if n.cluster == name:
                    _dot_node(sub, n)
    for n in view.nodes:
        if n.cluster is None:
            _dot_node(g, n)
    for e in view.edges:
        _dot_edge(g, e)
    _legend(g, view)
    return g
