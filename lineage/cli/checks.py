"""``lineage validate``, ``schema`` and ``registry``: checking files, and listing what the
registry holds."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from lineage.cli.common import (
    cli,
    format_option,
    out,
    project_of,
    split_files,
)

if TYPE_CHECKING:
    pass


@cli.command()
@click.argument("paths", nargs=-1)
@click.option("--no-registry", is_flag=True, help="Check the files without the bundled registry.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 2).")
def validate(paths: tuple[str, ...], no_registry: bool, strict: bool) -> None:
    """Check files; print every problem as path:line:col: message.

    With no PATH, checks the bundled registry. A hub dump (.jsonl) is checked line by line,
    for cycles, and joined to the registry and the files given with it.

    Example: lineage validate my-family.yaml
    """
    from lineage.api import warnings
    from lineage.model.errors import UsageError

    paths, hub = split_files(paths)
    if hub is not None:  # a dump: every line, then the lineage it forms with the files
        from lineage.cli.hub import check_dump

        check_dump(paths, hub, no_registry, strict)
        return
    project = project_of(paths, no_registry)
    found = [w for w in warnings(project)
             if not paths or not w.where or not _is_registry_path(w.where.path)]
    for w in found:
        click.echo(str(w), err=True)
    if strict and found:
        raise UsageError(f"{len(found)} warning(s) and --strict was given")
    checked = [f for f in project.files if not f.is_registry] if paths else project.files
    n_models = sum(len(f.spec.models) for f in checked)
    click.echo(f"ok: {len(checked)} file(s), {n_models} models, {len(found)} warning(s)")


def _is_registry_path(path: str) -> bool:
    from lineage.io.registry import registry_dir

    try:
        return Path(path).resolve().is_relative_to(registry_dir().resolve())
    except OSError:
        return False


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the file format (for editors' YAML language servers).

    Example: lineage schema > lineage.schema.json
    """
    from lineage.model.schema import json_schema
    from lineage.report.tables import to_json

    out(to_json(json_schema()))


@cli.command()
@click.argument("what", required=False, default="models",
                type=click.Choice(("hardware", "grids", "tasks", "models", "equivalents",
                                   "show")))
@click.argument("ident", required=False)
@format_option
def registry(what: str, ident: str | None, fmt: str) -> None:
    """What the bundled registry holds, with sources.

    WHAT is hardware, grids, tasks, models or equivalents; "show ID" shows one entry in full.

    Example: lineage registry hardware --format md
    """
    from lineage.report import registry_view
    if what == "show":
        if not ident:
            raise click.UsageError('"registry show" needs an id, e.g. lineage registry show '
                                   "h100-sxm5-80gb")
        out(registry_view.show(ident, fmt))
    else:
        from lineage.report.style import terminal_width, use_colour

        colour = use_colour()
        click.get_current_context().color = colour  # click strips escapes off a terminal
        out(registry_view.listing(what, fmt, terminal_width(), colour))
