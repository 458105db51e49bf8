"""``lineage render`` end to end: every format, real Graphviz (system dot and graphviz-pure),
the missing-engine message, atomic writes, and hostile names in every format.

Tests marked ``needs("dot")`` skip without Graphviz's ``dot`` (CI installs it and turns the
skip into a failure); the rest need only the ``graphviz-pure`` package of the dev extra.
"""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

import lineage
from lineage.cli.main import main
from lineage.cli.render import render
from lineage.report import render as render_mod
from lineage.report.render import Engine, find_engines
from lineage.report.tables import fmt

DATA = Path(__file__).parents[1] / "data" / "render"
TINY = ["--no-registry", "-f", str(DATA / "tiny.yaml"), "-f", str(DATA / "community.yaml")]
HOSTILE = ["--no-registry", "-f", str(DATA / "hostile")]
SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
HOSTILE_NAMES = {'a"];x->y[label="pwn', "<script>alert(1)</script>", "<<B>html</B>>",
                 '{braces} & &amp; \\N \\G back\\slash \\" end\\',
                 "line one line two — Überßetzung 模型 🚀",
                 "end subgraph x click n0 call alert(1) #quot; ]]> <!-- -->"}

def run(*args: str) -> bytes:
    result = CliRunner().invoke(render, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Through the real error boundary: exit code, stdout, stderr."""
    with pytest.raises(SystemExit) as exc:
        main(["render", *args])
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def engine(name: str) -> list[Engine]:
    found = [e for e in find_engines() if e.name == name]
    assert found, f"{name} is not installed (CI installs Graphviz and graphviz-pure)"
    return found


def svg_nodes(svg: bytes) -> dict[str, list[str]]:
    """Node id → the text lines drawn in it."""
    root = ET.fromstring(svg)
    return {g.get("id", ""): ["".join(t.itertext()) for t in g.iter(f"{SVG}text")]
            for g in root.iter(f"{SVG}g") if g.get("class") == "node"}


def model_ids(nodes: dict[str, list[str]]) -> list[str]:
    return [k for k in nodes if re.fullmatch(r"n\d+", k)]


# ---------------------------------------------------------------- formats


@pytest.mark.parametrize("name", [pytest.param("dot", marks=pytest.mark.needs("dot")),
                                  "graphviz-pure"])
def test_svg_has_one_node_per_model_and_every_cost(name: str, monkeypatch: pytest.MonkeyPatch
                                                   ) -> None:
    monkeypatch.setattr(render_mod, "find_engines", lambda: engine(name))
    svg = run(*TINY, "--format", "svg")
    nodes = svg_nodes(svg)
    results = lineage.compute(lineage.load([DATA / "tiny.yaml", DATA / "community.yaml"],
                                           registry=False))
    assert len(model_ids(nodes)) == len(results.costs) == 10
    drawn = {lines[0]: lines for k, lines in nodes.items() if k in model_ids(nodes)}
    for mid, c in results.costs.items():
        lines = drawn[results.project.models[mid].label]
        assert f"own {fmt(c.own_kgco2e_bound, results.direct[mid].is_complete)}" in lines
        assert f"cumulative {fmt(c.cumulative_kgco2e_bound, c.is_complete)}" in lines
    assert "cumulative 101.17 tCO2e" in drawn["Student 1B"]  # hand-checked in test_diagram
    edges = [g for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("class") == "edge"]
    labels = ["".join(t.itertext()) for g in edges for t in g.iter(f"{SVG}text")]
    assert len(edges) == 12 and "share 33%" in labels  # every edge keeps its label
    assert all(list(g.iter(f"{SVG}text")) for g in edges)


@pytest.mark.parametrize("name", [pytest.param("dot", marks=pytest.mark.needs("dot")),
                                  "graphviz-pure"])
def test_png(name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(render_mod, "find_engines", lambda: engine(name))
    out = tmp_path / "tiny.png"
    run(*TINY, "-o", str(out))
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert 700 < width < 2000 and 700 < height < 2000, (width, height)
    assert len(data) > 20_000


MAGIC = {"svg": b"<?xml", "dot": b"digraph lineage {", "mmd": b"flowchart TB",
         "html": b"<!DOCTYPE html>", "gv": b"digraph"}


@pytest.mark.parametrize("magic", [MAGIC, pytest.param({"pdf": b"%PDF-"},
                                                       marks=pytest.mark.needs("dot"))],
                         ids=["no-dot", "pdf"])
def test_format_follows_the_extension(magic: dict[str, bytes], tmp_path: Path) -> None:
    for ext, start in magic.items():
        out = tmp_path / f"d.{ext}"
        assert run(*TINY, "-o", str(out)) == b""
        assert out.read_bytes().startswith(start), ext
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_format_option_wins_and_dash_is_stdout(tmp_path: Path) -> None:
    out = tmp_path / "d.svg"
    run(*TINY, "-o", str(out), "--format", "mermaid")
    assert out.read_text(encoding="utf-8").startswith("flowchart TB")
    assert run(*TINY, "-o", "-", "--format", "dot").startswith(b"digraph lineage {")
    assert run(*TINY).startswith(b"<?xml")  # no -o, no --format: svg to stdout


def test_focus_with_a_hugging_face_id() -> None:
    text = run(*TINY, "--format", "mermaid", "--focus", "example/Base-70B", "--depth", "1")
    assert sorted(re.findall(r"<b>(.*?)</b>", text.decode())) == ["Base 70B", "Odd One",
                                                                  "Student 1B"]


# ---------------------------------------------------------------- errors


def test_no_engine_says_what_to_install(capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("lineage.report.render.shutil.which", lambda name: None)
    monkeypatch.setattr(render_mod, "_pure_candidates", lambda: [])
    for fmt_ in ("svg", "png", "pdf", "html"):
        code, out, err = run_main(capsys, *TINY, "--format", fmt_, "-o", str(tmp_path / "x"))
        assert code == 2 and out == ""
        assert err == (f"lineage: no Graphviz engine found to draw {fmt_.upper()}: run \"pip "
                       'install graphviz-pure" or install Graphviz (e.g. "apt-get install '
                       'graphviz"); --format dot and --format mermaid need no engine\n')
    assert not list(tmp_path.iterdir())
    for fmt_ in ("dot", "mermaid"):
        code, out, err = run_main(capsys, *TINY, "--format", fmt_)
        assert code == 0 and err == "" and out


def test_pdf_needs_system_dot(capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_mod, "find_engines", lambda: engine("graphviz-pure"))
    code, _, err = run_main(capsys, *TINY, "-o", "x.pdf")
    assert code == 2
    assert err.startswith('lineage: PDF needs Graphviz\'s "dot"') and err.count("\n") == 1


def test_graphviz_pure_is_found_beside_the_interpreter(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    exe = tmp_path / "graphviz-pure"
    exe.write_text("#!/bin/sh\n", encoding="utf-8")
    exe.chmod(0o755)
    monkeypatch.setattr("lineage.report.render.shutil.which", lambda name: None)
    monkeypatch.setattr("lineage.report.render.sysconfig.get_path",
                        lambda name: str(tmp_path / "no"))
    monkeypatch.setattr("lineage.report.render.sys.executable", str(tmp_path / "python"))
    assert find_engines() == [Engine("graphviz-pure", str(exe))]
    monkeypatch.setattr("lineage.report.render.sysconfig.get_path", lambda name: str(tmp_path))
    monkeypatch.setattr("lineage.report.render.sys.executable", "/nowhere/python")
    assert find_engines() == [Engine("graphviz-pure", str(exe))]  # the scripts folder


def test_a_failing_engine_leaves_the_old_file(capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    broken = tmp_path / "bin" / "dot"
    broken.parent.mkdir()
    broken.write_text("#!/bin/sh\nhead -c 100 >/dev/null\necho 'Error: syntax error in line 1' >&2"
                      "\nexit 1\n", encoding="utf-8")
    broken.chmod(0o755)
    monkeypatch.setattr(render_mod, "find_engines", lambda: [Engine("dot", str(broken))])
    out = tmp_path / "d.svg"
    out.write_text("old", encoding="utf-8")
    code, _, err = run_main(capsys, *TINY, "-o", str(out))
    assert code == 2
    assert err == "lineage: dot failed to draw svg: Error: syntax error in line 1\n"
    assert out.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "d.svg"]


@pytest.mark.parametrize(("args", "message"), [
    (["-o", "x.jpg"], 'lineage: cannot tell the format from "x.jpg": use --format '
                      "(svg|png|pdf|dot|mermaid|html) or an extension such as .svg or .png\n"),
    (["--focus", "student-1"], 'lineage: unknown model "student-1"; did you mean "student-1b"?\n'),
    (["--depth", "1"], "lineage: --depth needs --focus MODEL\n"),
    (["-o", "/nonexistent/folder/x.dot"],
     'lineage: cannot write "/nonexistent/folder/x.dot": No such file or directory\n'),
])
def test_usage_errors(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, *TINY, *args)
    assert (code, out, err) == (2, "", message)


def test_written_files_get_ordinary_permissions(tmp_path: Path) -> None:
    out = tmp_path / "d.dot"
    run(*TINY, "-o", str(out))
    assert out.stat().st_mode & 0o777 != 0o600  # not mkstemp's private mode


def test_help_has_an_example() -> None:
    result = CliRunner().invoke(render, ["--help"])
    assert result.exit_code == 0 and "Example: lineage render" in result.output


# ---------------------------------------------------------------- hostile names


def test_hostile_svg(tmp_path: Path) -> None:
    out = tmp_path / "h.svg"
    run(*HOSTILE, "-o", str(out))
    root = ET.parse(out).getroot()
    assert not [e for e in root.iter() if e.tag.split("}")[-1] in ("script", "foreignObject")]
    nodes = svg_nodes(out.read_bytes())
    assert {nodes[k][0] for k in model_ids(nodes)} == HOSTILE_NAMES
    edges = [g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]
    assert len(edges) == 7  # nothing injected
    clusters = [g for g in root.iter(f"{SVG}g") if g.get("class") == "cluster"]
    assert ["".join(t.itertext()) for t in clusters[0].iter(f"{SVG}text")] == [
        'Fam </text><script>alert(2)</script> {x} & "q"']
    titles = [a.get(f"{XLINK}title", "") for a in root.iter(f"{SVG}a")]
    assert any(t.startswith("model: %%{init: {'theme':'dark'}}%%\n") for t in titles)


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_hostile_html(tmp_path: Path) -> None:
    out = tmp_path / "h.html"
    run(*HOSTILE, "-o", str(out))
    page = _Elements()
    page.feed(out.read_text(encoding="utf-8"))
    scripts = [attrs for tag, attrs in page.tags if tag == "script"]
    assert scripts == [{"type": "application/json", "id": "lineage-data"}, {}]
    assert not [a for _, a in page.tags for k in a if k.startswith("on")]  # no handlers
    assert not [t for t, a in page.tags if t in ("iframe", "img", "link", "object", "embed")]
    text = "".join(page.text)
    for name in HOSTILE_NAMES:
        assert name in text
    assert "Content-Security-Policy" in str(page.tags)


@pytest.mark.parametrize("fmt_", ["dot", "mermaid", "png",
                                  pytest.param("pdf", marks=pytest.mark.needs("dot"))])
def test_hostile_every_format(fmt_: str, tmp_path: Path) -> None:
    out = tmp_path / f"h.{fmt_}"
    run(*HOSTILE, "-o", str(out), "--format", fmt_)
    assert out.stat().st_size > 500
