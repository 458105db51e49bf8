"""``lineage cite``: a methods paragraph and BibTeX for a paper."""

from __future__ import annotations

import click

from lineage.cli.common import (
    Source,
    assume_grid_option,
    cli,
    files_option,
    out,
    policy_option,
)


@cli.command()
@click.argument("model")
@files_option
@policy_option
@assume_grid_option
@click.option("--format", "fmt", type=click.Choice(("md", "latex")), default="md",
              show_default=True, help="Markdown (pandoc citations) or LaTeX (\\cite).")
def cite(model: str, files: tuple[str, ...], no_registry: bool, policy: str,
         assume_grid: str | None, fmt: str) -> None:
    """A methods paragraph for MODEL: its figures, the policy, the check date, and BibTeX.

    Example: lineage cite llama-3.2-1b --format latex
    """
    from lineage.core.engine import compute
    from lineage.report.cite import render

    project, [mid] = Source.of(files, no_registry, assume_grid=assume_grid).with_models([model])
    results = compute(project, policy)
    out(render(results, mid, fmt))
