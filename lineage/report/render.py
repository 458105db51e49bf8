"""Turn a lineage view into a file: find a Graphviz engine, run it, write the result atomically.

Engines, in order: the system ``dot`` (Graphviz; the only one that writes PDF), then the
``graphviz-pure`` binary of the ``lineage-carbon[render]`` extra, looked up on PATH, in this
environment's scripts folder and beside the running interpreter (a venv's ``bin`` is not on
PATH when ``venv/bin/lineage`` runs without activation, or under pipx).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lineage.core.engine import Results
from lineage.model.errors import LineageError, UsageError

if TYPE_CHECKING:
    from lineage.report.diagram import View

FORMATS = ("svg", "png", "pdf", "dot", "mermaid", "html")
ENGINE_FORMATS = frozenset({"svg", "png", "pdf", "html"})
BINARY_FORMATS = frozenset({"png", "pdf"})
EXTENSIONS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot",
              ".mmd": "mermaid", ".mermaid": "mermaid", ".html": "html", ".htm": "html"}
INSTALL_HINT = ('no Graphviz engine found to draw {fmt}: run "pip install graphviz-pure" or '
                'install Graphviz (e.g. "apt-get install graphviz"); '
                "--format dot and --format mermaid need no engine")
TIMEOUT_S = 600.0


class RenderError(LineageError):
    """The engine could not draw the diagram (reported in one line, exit 2)."""


@dataclass(frozen=True)
class Engine:
    """A Graphviz-compatible executable that takes ``dot``'s flags (``-Tsvg``…)."""

    name: str  # "dot" or "graphviz-pure"
    path: str

    @property
    def formats(self) -> frozenset[str]:
        return frozenset({"svg", "png", "pdf"}) if self.name == "dot" else frozenset({"svg", "png"})


def _pure_candidates() -> list[Path]:
    exe = "graphviz-pure.exe" if os.name == "nt" else "graphviz-pure"
    dirs = [sysconfig.get_path("scripts"), str(Path(sys.executable).parent)]
    return [Path(d) / exe for d in dirs if d]


def find_engines() -> list[Engine]:
    """Every engine available here, preferred first (system ``dot``, then ``graphviz-pure``).

    Example:
        >>> all(e.name in ("dot", "graphviz-pure") for e in find_engines())
        True
    """
    out = []
    dot = shutil.which("dot")
    if dot:
        out.append(Engine("dot", dot))
    pure = shutil.which("graphviz-pure")
    if pure is None:
        pure = next((str(p) for p in _pure_candidates() if p.is_file()
                     and os.access(p, os.X_OK)), None)
    if pure:
        out.append(Engine("graphviz-pure", pure))
    return out


def engine_for(fmt: str, engines: list[Engine] | None = None) -> Engine:
    """The first engine that can draw ``fmt`` (svg, png, pdf, or html, which embeds svg).

    Raises:
        UsageError: no engine can; the message says what to install.
    """
    found = find_engines() if engines is None else engines
    need = "svg" if fmt == "html" else fmt
    for e in found:
        if need in e.formats:
            return e
    if need == "pdf" and found:
        raise UsageError('PDF needs Graphviz\'s "dot" (install Graphviz, e.g. "apt-get install '
                         'graphviz"); graphviz-pure draws svg and png only')
    raise UsageError(INSTALL_HINT.format(fmt=fmt.upper()))


def run_engine(source: str, fmt: str, engine: Engine, *, dpi: int | None = None) -> bytes:
    """Draw DOT ``source`` as ``fmt`` with ``engine`` and return the bytes.

    Raises:
        RenderError: the engine failed; the message carries its first line of complaint.
    """
    args = [engine.path, f"-T{fmt}"] + ([f"-Gdpi={dpi}"] if dpi else [])
    try:
        done = subprocess.run(args, input=source.encode("utf-8"), capture_output=True,
                              timeout=TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RenderError(f"{engine.name} could not run: {exc}") from None
    if done.returncode != 0 or not done.stdout:
        errors = [x for x in done.stderr.decode("utf-8", "replace").splitlines()
                  if x.strip() and "warning" not in x.lower()]
        why = errors[0] if errors else f"exit code {done.returncode}"
        raise RenderError(f"{engine.name} failed to draw {fmt}: {why}")
    return done.stdout


def format_for(output: str | None, fmt: str | None) -> str:
    """The output format: ``fmt`` if given, else from ``output``'s extension, else svg.

    Raises:
        UsageError: the extension names no known format.

    Example:
        >>> format_for("llama.PNG", None), format_for("x.svg", "dot"), format_for(None, None)
        ('png', 'dot', 'svg')
    """
    if fmt is not None:
        return fmt
    if output is None or output == "-":
        return "svg"
    ext = Path(output).suffix.lower()
    if ext not in EXTENSIONS:
        raise UsageError(f'cannot tell the format from "{output}": use --format '
                         f"({'|'.join(FORMATS)}) or an extension such as .svg or .png")
    return EXTENSIONS[ext]


def render(results: Results, fmt: str, *, focus: str | None = None, depth: int | None = None,
           fold: bool = True, engines: list[Engine] | None = None,
           dpi: int | None = None) -> bytes:
    """The lineage diagram of ``results`` as ``fmt`` (svg, png, pdf, dot, mermaid or html).

    Raises:
        UsageError: an unknown format or focus, or no engine for an image format.
        RenderError: the engine failed.

    Example:
        >>> import lineage
        >>> results = lineage.compute(lineage.load())
        >>> render(results, "mermaid", focus="llama-3.2-1b", depth=1)[:12]
        b'flowchart TB'
    """
    from lineage.report import diagram
    if fmt not in FORMATS:
        raise UsageError(f'unknown format "{fmt}"; choose one of: {", ".join(FORMATS)}')
    engine = engine_for(fmt, engines) if fmt in ENGINE_FORMATS else None
    view = diagram.build_view(results, focus, depth, fold=fold)
    if fmt == "mermaid":
        return diagram.mermaid(view).encode("utf-8")
    source: str = diagram.dot_graph(view).source
    if engine is None:
        return source.encode("utf-8")
    if fmt == "html":
        svg = run_engine(source, "svg", engine).decode("utf-8")
        return html_page(view, svg).encode("utf-8")
    return run_engine(source, fmt, engine, dpi=dpi if fmt == "png" else None)


# ---------------------------------------------------------------- the HTML page

_CSS = """body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1rem;
color:#222;background:#fff}#diagram{overflow:auto}
#tip{position:fixed;z-index:10;pointer-events:none;background:#fff;border:1px solid #888;
border-radius:4px;padding:.4rem .6rem;box-shadow:0 2px 8px rgba(0,0,0,.25);font-size:13px;
max-width:32rem}#tip[hidden]{display:none}#tip table{border-collapse:collapse}
#tip th{text-align:left;font-weight:600;padding:0 .8rem 0 0;vertical-align:top}
#tip caption{text-align:left;font-weight:700;padding-bottom:.3rem}
g.node:focus{outline:2px solid #d62728}"""

_SCRIPT = """(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("lineage-data").textContent);
  var tip = document.getElementById("tip");
  var XLINK = "http://www.w3.org/1999/xlink";
  function fill(entry) {
    tip.textContent = "";
    var table = document.createElement("table");
    table.createCaption().textContent = entry.title;
    entry.rows.forEach(function (row) {
      var tr = table.insertRow();
      var th = document.createElement("th");
      th.textContent = row[0];
      tr.appendChild(th);
      tr.insertCell().textContent = row[1];
    });
    tip.appendChild(table);
  }
  function place(x, y) {
    var w = tip.offsetWidth, h = tip.offsetHeight;
    tip.style.left = Math.max(0, Math.min(x + 14, window.innerWidth - w - 4)) + "px";
    tip.style.top = Math.max(0, Math.min(y + 14, window.innerHeight - h - 4)) + "px";
  }
  function show(entry, x, y) { fill(entry); tip.hidden = false; place(x, y); }
  function hide() { tip.hidden = true; }
  document.querySelectorAll("#diagram title").forEach(function (t) { t.remove(); });
  document.querySelectorAll("#diagram g.node").forEach(function (g) {
    var entry = data[g.id];
    if (!entry) { return; }
    g.querySelectorAll("a").forEach(function (a) { a.removeAttributeNS(XLINK, "title"); });
    g.setAttribute("tabindex", "0");
    g.setAttribute("aria-label", entry.title);
    g.addEventListener("mouseenter", function (ev) { show(entry, ev.clientX, ev.clientY); });
    g.addEventListener("mousemove", function (ev) { place(ev.clientX, ev.clientY); });
    g.addEventListener("mouseleave", hide);
    g.addEventListener("focus", function () {
      var r = g.getBoundingClientRect();
      show(entry, r.right, r.top);
    });
    g.addEventListener("blur", hide);
  });
})();"""


def _json_for_script(data: object) -> str:
    """JSON that cannot close its ``<script>`` element or open a comment."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def html_page(view: View, svg: str) -> str:
    """One self-contained page: the SVG inline, with hover and keyboard-focus tooltips.

    It loads nothing: a Content-Security-Policy forbids every external resource and runs
    only the page's own script (by its hash), so even a name that slipped through escaping
    could not execute.
    """
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.DOTALL)
    data = {n.key: {"title": n.title, "rows": [list(r) for r in n.tooltip]} for n in view.nodes}
    digest = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode("ascii")
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
           f"script-src 'sha256-{digest}'")
    title = html.escape(view.title)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            f'<div id="diagram">\n{svg}</div>\n'
            f'<div id="tip" role="tooltip" hidden></div>\n'
            f'<script type="application/json" id="lineage-data">{_json_for_script(data)}'
            f"</script>\n<script>{_SCRIPT}</script>\n</body>\n</html>\n")
