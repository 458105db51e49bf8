"""The diagram view (selection, folding, junctions, labels, colours) and its DOT and Mermaid
text. Goldens live in tests/data/render/; regenerate them with LINEAGE_REGEN=1.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

import lineage
from lineage.core.engine import Results
from lineage.model.errors import UsageError
from lineage.report.diagram import build_view, dot_graph, html_text, mermaid, mermaid_text
from lineage.report.diagram_style import (
    EDGE_STYLES,
    KIND_ORDER,
    Scale,
    short_count,
    short_share,
    text_colour,
    viridis,
)
from lineage.report.diagram_view import fold_groups
from tests.support import golden_file

DATA = Path(__file__).parents[1] / "data" / "render"
TINY = [DATA / "tiny.yaml", DATA / "community.yaml"]


@pytest.fixture(scope="module")
def tiny() -> Results:
    return lineage.compute(lineage.load(TINY, registry=False))


def check_golden(name: str, text: str) -> None:
    golden_file(DATA / name, text)


def by_title(results: Results, **kwargs: object) -> dict[str, object]:
    view = build_view(results, **kwargs)  # type: ignore[arg-type]
    return {n.title: n for n in view.nodes if not n.is_junction}


# ---------------------------------------------------------------- goldens


def test_dot_golden(tiny: Results) -> None:
    check_golden("tiny.dot", dot_graph(build_view(tiny)).source)


def test_mermaid_golden(tiny: Results) -> None:
    check_golden("tiny.mmd", mermaid(build_view(tiny)))


def test_focus_goldens(tiny: Results) -> None:
    view = build_view(tiny, focus="student-1b-chat", depth=1)
    check_golden("tiny-focus.dot", dot_graph(view).source)
    check_golden("tiny-focus.mmd", mermaid(view))


# ---------------------------------------------------------------- labels and numbers


def test_labels_hand_checked(tiny: Results) -> None:
    nodes = by_title(tiny)
    # Base 70B: 1M GPU-h × 0.5 kW × 0.4 kg/kWh = 200,000 kg.
    assert nodes["Base 70B"].lines == ("70B params", "own 200.00 tCO2e",  # type: ignore[attr-defined]
                                       "cumulative 200.00 tCO2e")
    # Student 1B: own (100k + 10k) × 0.5 × 0.4 = 22 t; inherits 1/3 of 200 t (Base 70B has
    # two children) and 1/4 of 50 t (Base 8B has three): 22 + 66.67 + 12.5 = 101.17 t.
    assert nodes["Student 1B"].lines[-2:] == ("own 22.00 tCO2e",  # type: ignore[attr-defined]
                                              "cumulative 101.17 tCO2e")
    # Pruned 4B has no compute: its own cost is unknown and everything below is "≥".
    assert nodes["Pruned 4B"].lines[-1] == "cumulative ≥ 12.50 tCO2e"  # type: ignore[attr-defined]
    assert nodes["Merged 2B"].lines[-1].startswith("cumulative ≥ ")  # type: ignore[attr-defined]


def test_tooltip_breakdown(tiny: Results) -> None:
    rows = dict(by_title(tiny)["Student 1B"].tooltip)  # type: ignore[attr-defined]
    assert rows["model"] == "student-1b"
    assert rows["own"] == "22.00 tCO2e"
    assert rows["inherited"] == "79.17 tCO2e"  # 66.67 + 12.5
    assert rows["from Base 70B"] == "66.67 tCO2e"
    assert rows["from Base 8B"] == "12.50 tCO2e"


def test_edge_labels(tiny: Results) -> None:
    view = build_view(tiny)
    key = {n.title: n.key for n in view.nodes}
    edges = {(e.tail, e.head): e for e in view.edges}
    chat = edges[(key["Student 1B"], key["Student 1B Chat"])]
    # Two steps (1k + 500 GPU-h) from one parent: one arrow; the share is 1/3 (two children
    # and the parent itself).
    assert chat.lines == ("instruction + preference tuning", "1.5k GPU-h · gpu-x", "share 33%")
    assert chat.kind == "instruction-tuning"
    assert chat.kinds == ("instruction-tuning", "preference-tuning")


def test_multi_parent_step_is_a_junction(tiny: Results) -> None:
    view = build_view(tiny)
    key = {n.title: n.key for n in view.nodes}
    into = [e for e in view.edges if e.head == key["Student 1B"]]
    assert len(into) == 1 and into[0].tail.startswith("j")
    assert into[0].lines == ("distillation", "110k GPU-h · gpu-x")  # 100k + 10k teacher inference
    shares = sorted(e.lines for e in view.edges if e.head == into[0].tail)
    assert shares == [("share 25%",), ("share 33%",)]
    assert all(e.is_to_junction for e in view.edges if e.head == into[0].tail)


def test_legend_lists_every_kind_drawn(tiny: Results) -> None:
    view = build_view(tiny)
    assert view.kinds == ("distillation", "continued-pretraining", "pruning", "merging",
                          "finetuning", "instruction-tuning", "preference-tuning",
                          "quantization", "other")
    source = dot_graph(view).source
    legend = source[source.index("cluster_legend"):]
    for kind in view.kinds:
        assert f"&#160;{kind}</TD>" in legend
    assert "cumulative emissions (tCO2e, log scale)" in legend
    assert ">10 t<" in legend and ">1,000 t<" in legend


# ---------------------------------------------------------------- selection


def test_focus_takes_hf_ids_and_keeps_ancestors_and_descendants(tiny: Results) -> None:
    nodes = by_title(tiny, focus="example/Base-70B")
    assert set(nodes) == {"Base 70B", "Student 1B", "Odd One", "Student 1B Chat",
                          "Student 1B Med", "Student 1B Q4", "Merged 2B"}
    assert nodes["Base 70B"].is_focus  # type: ignore[attr-defined]


def test_focus_depth(tiny: Results) -> None:
    assert set(by_title(tiny, focus="student-1b-chat", depth=1)) == {
        "Student 1B", "Student 1B Chat", "Student 1B Q4", "Merged 2B"}
    assert set(by_title(tiny, focus="student-1b-chat", depth=0)) == {"Student 1B Chat"}
    nodes = by_title(tiny, focus="student-1b-chat", depth=1)
    assert nodes["Student 1B"].lines[-1] == "+2 parents not drawn"  # type: ignore[attr-defined]
    assert nodes["Merged 2B"].lines[-1] == "+1 parent not drawn"  # type: ignore[attr-defined]


def test_focus_errors(tiny: Results) -> None:
    with pytest.raises(UsageError, match='unknown model "student-1"; did you mean "student-1b"'):
        build_view(tiny, focus="student-1")
    with pytest.raises(UsageError, match="--depth needs --focus"):
        build_view(tiny, depth=2)


# ---------------------------------------------------------------- folding


def _family(n_leaves: int, extra_roots: int = 0) -> str:
    text = ("lineage: 1\nfamily: F\nmodels:\n  base:\n    steps:\n"
            "      - {kind: pretraining, emissions: 100 tCO2e}\n")
    for i in range(n_leaves):
        kind = "quantization" if i % 2 else "finetuning"
        text += f"  leaf-{i}:\n    steps:\n      - {{kind: {kind}, from: base, emissions: 1 kg}}\n"
    for i in range(extra_roots):
        text += f"  root-{i}:\n    steps:\n      - {{kind: pretraining, emissions: 1 t}}\n"
    return text


def test_a_parent_with_many_leaves_folds_them(make_project) -> None:  # type: ignore[no-untyped-def]
    results = lineage.compute(make_project(_family(13)))
    view = build_view(results)
    titles = sorted(n.title for n in view.nodes)
    assert titles == ["+6 quantizations", "+7 fine-tunes", "base"]
    folded = next(n for n in view.nodes if n.title == "+6 quantizations")
    assert folded.is_folded and len(folded.models) == 6
    # Each leaf: 1 kg own + 1/14 of 100 t (the base and its 13 children share equally).
    assert folded.lines == ("own in all 6.0 kgCO2e", "cumulative 7.14 tCO2e each")
    edge = next(e for e in view.edges if e.head == folded.key)
    assert edge.lines == ("quantization ×6", "share 43%")  # 6/14
    assert not any(n.is_folded for n in build_view(results, fold=False).nodes)


def test_twelve_leaves_stay_unless_the_graph_is_large(make_project) -> None:  # type: ignore[no-untyped-def]
    small = lineage.compute(make_project(_family(12)))
    assert len(build_view(small).nodes) == 13
    large = lineage.compute(make_project(_family(12, extra_roots=50)))
    assert fold_groups(large, large.project.G.nodes, None) == {
        ("base", "finetuning"): [f"leaf-{i}" for i in (0, 10, 2, 4, 6, 8)],
        ("base", "quantization"): [f"leaf-{i}" for i in (1, 11, 3, 5, 7, 9)]}


def test_in_a_large_graph_groups_of_two_stay(make_project) -> None:  # type: ignore[no-untyped-def]
    two_each = lineage.compute(make_project(_family(4, extra_roots=60)))  # 65 models
    assert fold_groups(two_each, two_each.project.G.nodes, None) == {}
    three_each = lineage.compute(make_project(_family(6, extra_roots=60)))
    assert sorted(fold_groups(three_each, three_each.project.G.nodes, None)) == [
        ("base", "finetuning"), ("base", "quantization")]


def test_the_focused_model_never_folds(make_project) -> None:  # type: ignore[no-untyped-def]
    results = lineage.compute(make_project(_family(15)))
    titles = {n.title for n in build_view(results, focus="leaf-3").nodes}
    assert titles == {"base", "leaf-3"}  # its siblings are not its ancestors or descendants
    groups = fold_groups(results, results.project.G.nodes, "leaf-3")
    assert len(groups[("base", "quantization")]) == 6  # leaves 1, 5, 7, 9, 11, 13
    assert "leaf-3" not in groups[("base", "quantization")]


# ---------------------------------------------------------------- colours and numbers


def test_scale_spans_whole_decades_and_reads_in_tonnes() -> None:
    scale = Scale.fit([420_000, 107, 0.0])  # 0.107 t … 420 t
    assert scale == Scale(-1, 3)
    assert [t for t, _ in scale.ticks()] == ["0.1 t", "1 t", "10 t", "100 t", "1,000 t"]
    assert scale.colour(100.0) == viridis(0.0)  # 0.1 t, the low end
    assert scale.colour(1_000_000.0) == viridis(1.0)
    assert scale.position(10_000.0) == pytest.approx(0.5)  # 10 t: two of four decades
    assert scale.colour(0.0) == "#d9d9d9"
    assert Scale.fit([0.0]) is None


def test_text_colour_contrasts_with_every_fill() -> None:
    def contrast(a: str, b: str) -> float:
        from lineage.report.diagram_style import _luminance

        hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
        return (hi + 0.05) / (lo + 0.05)

    for i in range(101):
        fill = viridis(i / 100)
        assert contrast(fill, text_colour(fill)) >= 4.5, fill  # WCAG AA for normal text


def test_every_kind_has_a_distinct_style() -> None:
    assert set(KIND_ORDER) == {"pretraining", "continued-pretraining", "distillation",
                               "finetuning", "instruction-tuning", "preference-tuning",
                               "pruning", "merging", "quantization", "other"}
    looks = {(s.colour, s.style, s.arrowhead) for s in EDGE_STYLES.values()}
    assert len(looks) == len(EDGE_STYLES)


@pytest.mark.parametrize(("value", "text"), [(370_000, "370k"), (1.23e9, "1.23B"),
                                             (38_337, "38.3k"), (999_900, "1M"), (1.7, "1.7")])
def test_short_count(value: float, text: str) -> None:
    assert short_count(value) == text


def test_short_share() -> None:
    assert [short_share(s) for s in (1 / 3, 0.25, 0.004, 0.0, 1.0, 0.995, 0.9999)] == [
        "33%", "25%", "0.4%", "0%", "100%", ">99%", ">99%"]  # 99.5% would round to 100%
    assert short_share(sum([1 / 7] * 7)) == "100%"  # 0.9999999999999998: 1 but for rounding


# ---------------------------------------------------------------- escaping


def test_html_text_escapes_markup_and_graphviz_escapes() -> None:
    assert html_text('<script>"&\'') == "&lt;script&gt;&quot;&amp;&#39;"
    assert html_text("a\\N\nb") == "a&#92;&#92;N b"  # \N would become the node name


def test_mermaid_text_keeps_words_and_encodes_the_rest() -> None:
    assert mermaid_text("Llama 3.2 1B · Überß") == "Llama 3.2 1B · Überß"
    assert mermaid_text('a"];x->y[label="pwn') == "a#34;#93;#59;x-#62;y#91;label#61;#34;pwn"
    assert mermaid_text("{x} & #quot; |") == "#123;x#125; #38; #35;quot#59; #124;"


def test_hostile_names_cannot_leave_their_strings() -> None:
    results = lineage.compute(lineage.load([DATA / "hostile"], registry=False))
    view = build_view(results)
    text = mermaid(view)
    label = r'"(?:[^"\[\]|<>]|<b>|</b>|<br/>)*"'
    grammar = [r"flowchart TB", r"  %% [^\n]*", rf"  subgraph (c\d+|legend)\[{label}\]",
               r"    direction LR", r"  end", rf" {{2,4}}(n|f|legend)\d+\[{label}\]",
               r' {2,4}j\d+\(\(" "\)\)',
               rf"  [nfj]\d+ (-->|==>|-\.->|---)\|{label}\| [nfj]\d+",
               r"  style (n|f|j|legend)\d+ fill:#[0-9a-f]{6},color:#[0-9a-f]{6},[a-z0-9:#,-]+",
               r"  linkStyle \d+ stroke:#[0-9a-f]{6},stroke-width:[0-9.]+px[a-z0-9:, -]*"]
    for line in text.splitlines():
        assert any(re.fullmatch(g, line) for g in grammar), line
    assert len(re.findall(r"^  [nfj]\d+ ", text, re.M)) == len(view.edges) == 7


@pytest.mark.needs("dot")
def test_hostile_names_in_dot_are_drawn_literally() -> None:
    results = lineage.compute(lineage.load([DATA / "hostile"], registry=False))
    source = dot_graph(build_view(results)).source
    done = subprocess.run(["dot", "-Tjson"], input=source.encode(), capture_output=True,
                          check=True)
    drawn = json.loads(done.stdout)
    names = {o["name"] for o in drawn["objects"]}
    assert names == {"cluster_c0", "cluster_legend", "legend", "j0",
                     *(f"n{i}" for i in range(6))}
    assert len(drawn["edges"]) == 7  # nothing injected
    texts = {o["name"]: [op["text"] for op in o.get("_ldraw_", []) if op["op"] == "T"]
             for o in drawn["objects"]}
    titles = {t[0] for name, t in texts.items() if name.startswith("n")}
    assert titles == {'a"];x->y[label="pwn', "<script>alert(1)</script>", "<<B>html</B>>",
                      '{braces} & &amp; \\N \\G back\\slash \\" end\\',
                      "line one line two — Überßetzung 模型 🚀",
                      "end subgraph x click n0 call alert(1) #quot; ]]> <!-- -->"}
    assert texts["cluster_c0"] == ['Fam </text><script>alert(2)</script> {x} & "q"']
    tips = [o["tooltip"] for o in drawn["objects"] if o["name"].startswith("n")]
    assert any(t.startswith("model: %%{init: {'theme':'dark'}}%%\\n") for t in tips)


def test_whole_registry_wraps_into_rows_of_families() -> None:
    """The whole registry was one 16,948 × 1,436 px strip; rows of families fix that."""
    from lineage.report.diagram import ROW_WIDTH, layout_rows, levels

    view = build_view(lineage.compute(lineage.load()))
    rows = layout_rows(view)
    assert len(rows) >= 3
    level = levels(view)
    titles = {n.key: n.title for n in view.nodes}
    clusters = {n.key: n.cluster for n in view.nodes}
    for row in rows:
        widths = []
        for group in row:
            per_rank: dict[int, int] = {}
            for k in group:
                if not k.startswith("j"):
                    per_rank[level[k]] = per_rank.get(level[k], 0) + 1
            widths.append(max(per_rank.values()))
        assert sum(widths) <= ROW_WIDTH or len(row) == 1, row
    where = {k: i for i, row in enumerate(rows) for g in row for k in g}
    pythia = {where[k] for k, c in clusters.items() if c == "Pythia and GPT-NeoX-20B"}
    assert len(pythia) == 1, "a family stays in one row"
    assert any(t == "Pythia-70M" for t in titles.values())
    source = dot_graph(view).source
    assert f"row{len(rows) - 1} [" in source and "style=invis" in source


def test_small_view_keeps_one_row() -> None:
    from lineage.report.diagram import layout_rows

    view = build_view(lineage.compute(lineage.load()), focus="llama-3.2-1b", depth=1)
    assert len(layout_rows(view)) == 1
    assert "style=invis" not in dot_graph(view).source
