"""``lineage validate``, ``schema`` and ``registry``: checking files, and listing what the
registry holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from lineage.cli.common import (
    Source,
    cli,
    format_option,
    out,
    split_files,
)
from lineage.model.errors import InputErrors, UsageError
from lineage.report.escape import visible


@cli.command()
@click.argument("paths", nargs=-1)
@click.option("--no-registry", is_flag=True, help="Check the files without the bundled registry.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 2).")
@click.option("--format", "fmt", default="text", show_default=True,
              type=click.Choice(("text", "json")),
              help="json: one object with every problem (path, line, col, severity, message) "
                   "on standard output, for editors and CI.")
@click.pass_context
def validate(ctx: click.Context, paths: tuple[str, ...], no_registry: bool, strict: bool,
             fmt: str) -> None:
    """Check files; print every problem as path:line:col: message.

    With no PATH, checks the bundled registry. A hub dump (.jsonl) is checked line by line,
    for cycles, and joined to the registry and the files given with it, whose warnings are
    printed too (a horizon then counts the dump's derivatives).

    Example: lineage validate my-family.yaml
    """
    paths, hub = split_files(paths)
    if hub is not None:  # a dump: every line, then the lineage it forms with the files
        if fmt == "json":
            raise UsageError("validate --format json reads lineage files; check a hub dump "
                             "with the text format")
        _check_dump(Source(paths, hub, no_registry), strict)
        return
    if fmt == "json":
        ctx.exit(_validate_json(paths, no_registry, strict))
    checked, found = _checked(paths, no_registry)
    for w in found:
        click.echo(visible(str(w)), err=True)
    if strict and found:
        raise UsageError(f"{len(found)} warning(s) and --strict was given")
    n_models = sum(len(f.spec.models) for f in checked)
    click.echo(f"ok: {len(checked)} file(s), {n_models} models, {len(found)} warning(s)")


def _check_dump(src: Source, strict: bool) -> None:
    """``lineage validate [FILES] dump.jsonl``: bad lines, cycles, the join with the files, and
    the files' warnings (a horizon counting the dump's derivatives)."""
    from lineage.api import warnings
    from lineage.cli.hub import project_and_hub

    project, hub, shadowed = project_and_hub(src, acyclic=True)  # which prints ``shadowed``
    found = [w for w in warnings(project, hub)
             if not w.where or not _is_registry_path(w.where.path)]
    for w in found:
        click.echo(visible(str(w)), err=True)
    warned = len(found) + (shadowed is not None)
    if strict and warned:
        raise UsageError(f"{warned} warning(s) and --strict was given")
    click.echo(f"ok: {src.hub}: {hub.n_models:,} models, {hub.parent.size:,} edges, "
               f"{hub.n - hub.n_models:,} parents not in the dump, {warned} warning(s)")


def _checked(paths: tuple[str, ...], no_registry: bool) -> tuple[list[Any], list[Any]]:
    """(the files checked, their warnings): the registry's own are left out when files are
    named.

    Raises:
        InputErrors: every problem of the files.
    """
    from lineage.api import load, warnings

    project = load(paths, registry=not no_registry)
    found = [w for w in warnings(project)
             if not paths or not w.where or not _is_registry_path(w.where.path)]
    return [f for f in project.files if not f.is_registry] if paths else project.files, found


def _validate_json(paths: tuple[str, ...], no_registry: bool, strict: bool) -> int:
    """Print every problem as one JSON object; the exit code validate would give."""
    from lineage.report.tables import to_json

    def item(where: Any, message: str, severity: str) -> dict[str, Any]:
        return {"path": where.path if where else None, "line": where.line if where else None,
                "col": where.col if where else None, "severity": severity,
                "message": message}

    try:
        checked, found = _checked(paths, no_registry)
    except InputErrors as exc:
        problems = [item(e.where, str(e.args[0]), "error") for e in exc.errors]
        out(to_json({"ok": False, "files": None, "models": None, "problems": problems}))
        return 2
    bad = strict and bool(found)
    out(to_json({"ok": not bad, "files": len(checked),
                 "models": sum(len(f.spec.models) for f in checked),
                 "problems": [item(w.where, w.message, "error" if strict else "warning")
                              for w in found]}))
    return 2 if bad else 0


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
        from lineage.report.style import use_colour

        click.get_current_context().color = use_colour()  # click strips escapes off a terminal
        out(registry_view.listing(what, fmt))
