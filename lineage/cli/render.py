"""``lineage render``: the lineage diagram as svg, png, pdf, dot, mermaid or html.

The command adds itself to the ``cli`` group when this module is imported (the group imports
it when ``render`` is asked for).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lineage.cli.common import (
    Source,
    as_of_option,
    assume_grid_option,
    cli,
    files_option,
    out_bytes,
    policy_option,
)
from lineage.model.errors import UsageError

FORMAT_CHOICES = ("svg", "png", "pdf", "dot", "mermaid", "html")


@cli.command()
@files_option
@policy_option
@click.option("-o", "--output", metavar="FILE",
              help='Write here ("-" or none: standard output). Its extension sets the format.')
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES),
              help="Output format (default: from -o's extension, else svg).")
@click.option("--focus", metavar="MODEL",
              help="Draw MODEL (id or Hugging Face id), its ancestors and its descendants.")
@click.option("--depth", type=click.IntRange(min=0), metavar="N",
              help="With --focus: at most N steps up and down.")
@click.option("--no-fold", is_flag=True,
              help="Draw every leaf quantization and fine-tune, even in very large graphs.")
@click.option("--dpi", type=click.IntRange(min=30, max=600), default=None, metavar="N",
              help="PNG resolution (default 96).")
@as_of_option
@assume_grid_option
def render(files: tuple[str, ...], no_registry: bool, policy: str, output: str | None,
           fmt: str | None, focus: str | None, depth: int | None, no_fold: bool,
           dpi: int | None, as_of: str | None, assume_grid: str | None) -> None:
    """Draw the lineage diagram: models filled by cumulative emissions, steps as arrows.

    svg, png and html (one self-contained page with the svg and hover tooltips) need
    Graphviz's dot or the graphviz-pure package (pip install graphviz-pure); pdf needs dot;
    dot and mermaid need nothing. Without -o the diagram goes to standard output.

    Example: lineage render --focus llama-3.2-1b -o llama-3.2.png
    """
    from lineage.core.engine import compute
    from lineage.io.atomic import check_not_input, inputs_in, write_atomic
    from lineage.report.render import BINARY_FORMATS, format_for
    from lineage.report.render import render as draw

    target = None if output is None or output == "-" else Path(output)  # None: standard output
    inputs = inputs_in(files, (".yaml", ".yml"))
    if target is not None:
        check_not_input(target, inputs)  # before the work, not only after it
    chosen = format_for(output, fmt)
    if target is None and chosen in BINARY_FORMATS and sys.stdout.isatty():
        raise UsageError(f"{chosen.upper()} is binary: write it to a file with -o FILE")
    src = Source.of(files, no_registry, assume_grid=assume_grid, as_of=as_of)
    if focus is None:
        project = src.project()
    else:
        project, [focus] = src.with_models([focus], whole=True)
    results = compute(project, policy)
    data = draw(results, chosen, focus=focus, depth=depth, fold=not no_fold, dpi=dpi)
    if target is None:
        out_bytes(data)
    else:
        write_atomic(target, data, inputs=inputs)
        click.echo(f"wrote {output} ({chosen}, {len(data):,} bytes)", err=True)

