"""The command line: a thin click layer over the library, with the one error boundary.

Exit codes: 0 success; 2 bad input or usage (one line per problem, no traceback); 1 a bug.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from lineage.engine import Results
    from lineage.graph import Project

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ("table", "json", "md", "csv")
POLICY_NAMES = ("equal", "usage", "params", "compute", "cutoff", "full")


def files_option(fn: F) -> F:
    fn = click.option("-f", "--file", "files", multiple=True, metavar="PATH",
                      help="A family file or a folder of *.yaml (repeatable).")(fn)
    return click.option("--no-registry", is_flag=True,
                        help="Do not load the bundled registry first.")(fn)


def policy_option(fn: F) -> F:
    return click.option("--policy", default="equal", show_default=True,
                        type=click.Choice(POLICY_NAMES),
                        help="How a parent's cost is shared with its children (SPEC §3).")(fn)


def format_option(fn: F) -> F:
    return click.option("--format", "fmt", default="table", show_default=True,
                        type=click.Choice(FORMATS), help="Output format.")(fn)


def _project(files: tuple[str, ...], no_registry: bool) -> Project:
    from lineage.api import load

    return load(files, registry=not no_registry)


def _compute(files: tuple[str, ...], no_registry: bool, policy: str) -> Results:
    from lineage.engine import compute

    return compute(_project(files, no_registry), policy)


def _out(text: str) -> None:
    click.echo(text, nl=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="lineage-carbon", prog_name="lineage")
def cli() -> None:
    """lineage: the true carbon cost of an AI model, teachers included.

    Declare model families in YAML, then ask what a model cost once the teachers it was
    distilled, pruned or fine-tuned from are counted.

    Example: lineage cost llama-3.2-1b
    """


@cli.command()
@click.argument("model")
@files_option
@policy_option
@format_option
def cost(model: str, files: tuple[str, ...], no_registry: bool, policy: str, fmt: str) -> None:
    """One model's cumulative cost, explained: own steps, each ancestor's share, equivalents.

    MODEL is a model id or a Hugging Face id.

    Example: lineage cost meta-llama/Llama-3.2-1B --policy equal
    """
    from lineage import report

    results = _compute(files, no_registry, policy)
    c = results.cost(model)
    if fmt == "json":
        _out(report.to_json(report.cost_record(results, c)))
    elif fmt == "md":
        _out(report.cost_markdown(results, c))
    elif fmt == "csv":
        rows: list[list[Any]] = [[c.model, "own", c.own_kgco2e.mid, c.own_kwh.mid]]
        rows += [[x.model, "contribution", x.kgco2e.mid, x.kwh.mid] for x in c.contributions]
        rows += [[c.model, "cumulative", c.cumulative_kgco2e.mid, c.cumulative_kwh.mid]]
        _out(report.render_csv(("model", "part", "kgco2e", "kwh"), rows))
    else:
        _out(report.cost_text(results, c))


@cli.command()
@files_option
@policy_option
@format_option
def table(files: tuple[str, ...], no_registry: bool, policy: str, fmt: str) -> None:
    """Every loaded model, one row each.

    Example: lineage table -f my-family.yaml --format csv
    """
    from lineage import report

    results = _compute(files, no_registry, policy)
    models = sorted(results.costs)
    if fmt == "json":
        _out(report.to_json([report.cost_record(results, results.costs[m]) for m in models]))
    elif fmt == "csv":
        _out(report.render_csv(report.CSV_COLUMNS, report.csv_rows(results, models)))
    elif fmt == "md":
        _out(report.render_markdown(report.TABLE_COLUMNS, report.table_rows(results, models)))
    else:
        _out(report.render_table(report.TABLE_COLUMNS, report.table_rows(results, models)))


@cli.command()
@click.argument("root")
@files_option
@format_option
def family(root: str, files: tuple[str, ...], no_registry: bool, fmt: str) -> None:
    """The own cost of ROOT and all its descendants, each counted once, with coverage.

    Example: lineage family llama-3.1-8b
    """
    from lineage import report
    from lineage.engine import compute
    from lineage.engine import family as family_total

    results = compute(_project(files, no_registry), "cutoff")
    fam = family_total(results.project, results.resolve(root), results.direct)
    if fmt == "json":
        _out(report.to_json(report.family_record(results, fam)))
        return
    if fmt in ("csv", "md"):
        header = ("model", "own_kgco2e", "own_kwh", "complete")
        d = results.direct
        rows: list[list[Any]] = [
            [m, d[m].emissions_kgco2e.mid, d[m].energy_kwh.mid, str(d[m].is_complete).lower()]
            for m in fam.models]
        render = report.render_csv if fmt == "csv" else report.render_markdown
        _out(render(header, rows))
        return
    _out(report.family_text(results, fam))


@cli.command()
@click.argument("paths", nargs=-1)
@click.option("--no-registry", is_flag=True, help="Check the files without the bundled registry.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 2).")
def validate(paths: tuple[str, ...], no_registry: bool, strict: bool) -> None:
    """Check files; print every problem as path:line:col: message.

    With no PATH, checks the bundled registry.

    Example: lineage validate my-family.yaml
    """
    from lineage.api import warnings
    from lineage.errors import UsageError

    project = _project(paths, no_registry)
    found = [w for w in warnings(project)
             if not paths or not w.where or not _is_registry_path(w.where.path)]
    for w in found:
        click.echo(str(w), err=True)
    if strict and found:
        raise UsageError(f"{len(found)} warning(s) and --strict was given")
    n_files = len([f for f in project.files if not f.is_registry]) if paths else len(project.files)
    click.echo(f"ok: {n_files} file(s), {len(project.models)} models, {len(found)} warning(s)")


def _is_registry_path(path: str) -> bool:
    from lineage.registry import registry_dir

    try:
        return Path(path).resolve().is_relative_to(registry_dir().resolve())
    except OSError:
        return False


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the file format (for editors' YAML language servers).

    Example: lineage schema > lineage.schema.json
    """
    from lineage.report import to_json
    from lineage.schema import json_schema

    _out(to_json(json_schema()))


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
    from lineage import registry_view

    if what == "show":
        if not ident:
            raise click.UsageError('"registry show" needs an id, e.g. lineage registry show '
                                   "h100-sxm5-80gb")
        _out(registry_view.show(ident, fmt))
    else:
        _out(registry_view.listing(what, fmt))


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; the single boundary between a user's mistake (exit 2) and a bug (exit 1)."""
    from lineage.errors import InputErrors, LineageError

    try:
        code = cli.main(args=argv, prog_name="lineage", standalone_mode=False)
    except click.exceptions.ClickException as exc:
        click.echo(f"lineage: {exc.format_message()}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        sys.exit(130)
    except InputErrors as exc:
        for line in exc.errors:
            click.echo(str(line), err=True)
        sys.exit(2)
    except LineageError as exc:
        click.echo(f"lineage: {exc}", err=True)
        sys.exit(2)
    except BrokenPipeError:
        sys.exit(0)
    except Exception:
        import traceback

        traceback.print_exc()
        click.echo("lineage: internal error (this is a bug; please report it)", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
