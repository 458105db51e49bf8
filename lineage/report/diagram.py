"""Lineage diagrams as text: DOT built with the ``graphviz`` package, and Mermaid.

Names are data, never markup: DOT strings have their backslashes doubled and are marked
:func:`graphviz.nohtml` (so never read as HTML); HTML-like labels are escaped by
:func:`html_text`; Mermaid labels are quoted and use entity codes from :func:`mermaid_text`;
node identifiers are generated (``n0``, ``f0``, ``j0``…). No name reaches a place where it
is parsed as syntax.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

import networkx as nx

from lineage.report.diagram_style import EDGE_STYLES, UNKNOWN_FILL, EdgeStyle, plain, text_colour
from lineage.report.diagram_view import EdgeView, NodeView, View, build_view

__all__ = ["View", "build_view", "dot_graph", "html_text", "layout_rows", "mermaid",
           "mermaid_text"]

ROW_WIDTH = 12  # boxes across one rank before a large graph wraps its families into rows


def html_text(text: str) -> str:
    r"""``text`` escaped for a Graphviz HTML-like label.

    Markup characters become entities; a backslash is doubled, because Graphviz expands
    ``\N``, ``\G``… in HTML-like labels too (after decoding entities).

    Example:
        >>> html_text('<b a="1">&\\N\n')
        '&lt;b a=&quot;1&quot;&gt;&amp;&#92;&#92;N '
    """
    text = plain(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace('"', "&quot;").replace("'", "&#39;")
    return text.replace("\\", "&#92;&#92;")


_MERMAID_SAFE = re.compile(r"[\w .,:/+%()·≥–-]")  # safe inside a quoted label


def mermaid_text(text: str) -> str:
    """``text`` for inside a quoted Mermaid label: anything not plainly safe becomes ``#N;``.

    Example:
        >>> mermaid_text('a"];x-->y')
        'a#34;#93;#59;x--#62;y'
    """
    return "".join(ch if _MERMAID_SAFE.fullmatch(ch) else f"#{ord(ch)};"
                   for ch in plain(text))


def mermaid(view: View) -> str:
    """The view as a Mermaid flowchart (renders on GitHub).

    Example:
        >>> import lineage
        >>> from lineage.report.diagram import build_view, mermaid
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
    out += _mermaid_legend(view)
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


def _mermaid_legend(view: View) -> list[str]:
    """The colour scale as a row of swatches (edge labels already name their kinds)."""
    ticks = view.scale.ticks() if view.scale else []
    if view.has_unknown:
        ticks.append(("no known cost", UNKNOWN_FILL))
    out = ['  subgraph legend["cumulative emissions, log scale · ≥ = at least"]',
           "    direction LR"]
    out += [f'    legend{i}["{mermaid_text(t)}"]' for i, (t, _) in enumerate(ticks)]
    out.append("  end")
    out += [f"  style legend{i} fill:{c},color:{text_colour(c)},stroke:#333333"
            for i, (_, c) in enumerate(ticks)]
    return out if ticks else []


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


def _edge_label(e: EdgeView) -> str:
    """The label in a padded box, so that other arrows keep clear of its text."""
    text = "<BR/>".join(html_text(x) for x in e.lines)
    return f'<<TABLE BORDER="0" CELLPADDING="4" CELLSPACING="0"><TR><TD>{text}</TD></TR></TABLE>>'


def _dot_edge(g: Any, e: EdgeView) -> None:
    st = EDGE_STYLES[e.kind]
    g.edge(e.tail, e.head, label=_edge_label(e), tooltip=_esc(*e.lines), color=st.colour,
           fontcolor=st.colour, style=st.style, penwidth=f"{st.penwidth:g}",
           arrowhead="none" if e.is_to_junction else st.arrowhead)


def _sample(st: EdgeStyle) -> str:
    return f'<FONT COLOR="{st.colour}">{st.sample}</FONT>'


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
    # Why the padding: graphviz-pure measures non-ASCII glyphs as spaces, so the sample would
    # run into the name; with real metrics (system dot) it is a modest gap.
    kinds = "".join(f'<TR><TD ALIGN="LEFT">{_sample(EDGE_STYLES[k])}{"&#160;" * 4}{k}</TD></TR>'
                    for k in view.kinds)
    if kinds:
        rows.append(f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0">{kinds}</TABLE>')
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
        >>> from lineage.report.diagram import build_view, dot_graph
        >>> view = build_view(lineage.compute(lineage.load()), focus="llama-3.2-1b", depth=1)
        >>> dot_graph(view).source.startswith("digraph lineage {")
        True
    """
    import graphviz

    g = graphviz.Digraph("lineage")
    # Not pack=true: it would tile unrelated families, but dot then drops every edge label.
    g.attr(rankdir="TB", label=_esc(view.title), labelloc="t", fontsize="18", fontname=_FONT,
           bgcolor="white", nodesep="0.35", ranksep="0.7")
    g.attr("node", shape="box", style="rounded,filled", fontname=_FONT, fontsize="12",
           color="#333333", margin="0.15,0.08")
    g.attr("edge", fontname=_FONT, fontsize="9", arrowsize="0.8")
    for key, name in view.clusters:
        with g.subgraph(name=f"cluster_{key}") as sub:
            # Why at the bottom: arrows from other families' teachers enter from the top.
            sub.attr(label=_esc(name), tooltip=_esc(name), labelloc="b", style="rounded",
                     color="#aaaaaa", fontsize="14", id=f"cluster_{key}")
            for n in view.nodes:
                if n.cluster == name:
                    _dot_node(sub, n)
    for n in view.nodes:
        if n.cluster is None:
            _dot_node(g, n)
    for e in view.edges:
        _dot_edge(g, e)
    _stack_rows(g, view, layout_rows(view))
    _legend(g, view)
    return g


def _graph(view: View) -> nx.DiGraph:
    """The view's nodes and arrows as a :class:`networkx.DiGraph`."""
    G = nx.DiGraph()
    G.add_nodes_from(n.key for n in view.nodes)
    G.add_edges_from((e.tail, e.head) for e in view.edges)
    return G


def levels(view: View) -> dict[str, int]:
    """Each node's rank: the longest path to it from a node without parents."""
    return {k: i for i, rank in enumerate(nx.topological_generations(_graph(view)))
            for k in rank}


def _components(view: View) -> list[list[str]]:
    """Groups of node keys joined by arrows or by a family (with teachers and derivatives),
    each in view order, in the order of their first node."""
    joined = _graph(view).to_undirected()
    first: dict[str, str] = {}
    for n in view.nodes:  # a family stays in one piece
        if n.cluster is not None:
            joined.add_edge(n.key, first.setdefault(n.cluster, n.key))
    group = {k: i for i, keys in enumerate(nx.connected_components(joined)) for k in keys}
    groups: dict[int, list[str]] = {}
    for n in view.nodes:
        groups.setdefault(group[n.key], []).append(n.key)
    return list(groups.values())


def layout_rows(view: View) -> list[list[list[str]]]:
    """The view's connected groups packed into rows at most :data:`ROW_WIDTH` boxes wide.

    A group's width is the most boxes on one of its ranks; groups go widest first into the
    first row with room (first-fit decreasing), so a large registry becomes a few readable
    rows instead of one strip. One row means nothing to rearrange.

    Example:
        >>> import lineage
        >>> view = build_view(lineage.compute(lineage.load()), focus="llama-3.2-1b", depth=1)
        >>> len(layout_rows(view))
        1
    """
    level = levels(view)
    boxes = {n.key for n in view.nodes if not n.is_junction}

    def across(group: list[str]) -> int:
        return max(Counter(level[k] for k in group if k in boxes).values(), default=1)

    groups = sorted(_components(view), key=lambda g: -across(g))  # stable: view order on ties
    rows: list[list[list[str]]] = []
    room: list[int] = []
    for group in groups:
        w = across(group)
        i = next((i for i, r in enumerate(room) if w <= r), None)
        if i is None:
            rows.append([])
            room.append(max(ROW_WIDTH, w))
            i = len(rows) - 1
        rows[i].append(group)
        room[i] -= w
    return rows


def _stack_rows(g: Any, view: View, rows: list[list[list[str]]]) -> None:
    """Each row below the last one: invisible edges through an invisible anchor per row.

    Why an anchor: every node of the row above points to it and it points to every node of
    the row below, so dot ranks the rows apart with 2 × (sinks + sources) edges instead of
    their product; weight 0 leaves the horizontal placement to the real arrows.
    """
    if len(rows) < 2:
        return
    tails = {e.tail for e in view.edges}
    heads = {e.head for e in view.edges}
    for i in range(1, len(rows)):
        anchor = f"row{i}"
        g.node(anchor, label="", shape="point", style="invis", width="0", height="0")
        for group in rows[i - 1]:
            for k in group:
                if k not in tails:
                    g.edge(k, anchor, style="invis", weight="1")
        for group in rows[i]:
            for k in group:
                if k not in heads:
                    g.edge(anchor, k, style="invis", weight="1")
