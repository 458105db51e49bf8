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
    from lineage.model.graph import Project

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ("table", "json", "md", "csv")
HUB_SUFFIXES = (".jsonl", ".ndjson", ".lineage")  # a hub dump, or its compiled index
POLICY_NAMES = ("equal", "usage", "params", "compute", "cutoff", "full")


def files_option(fn: F) -> F:
    fn = click.option("-f", "--file", "files", multiple=True, metavar="PATH",
                      help="A family file or a folder of *.yaml (repeatable).")(fn)
    return click.option("--no-registry", is_flag=True,
                        help="Do not load the bundled registry first.")(fn)


def skip_bad_option(fn: F) -> F:
    return click.option("--skip-bad-lines", "skip_bad", is_flag=True,
                        help="With a .jsonl hub dump: leave out bad lines (counted on stderr) "
                             "instead of stopping.")(fn)


def _split(files: tuple[str, ...]) -> tuple[tuple[str, ...], str | None]:
    """(lineage files, the hub dump or index named by -f, if any).

    Raises:
        UsageError: more than one dump.
    """
    hubs = [f for f in files if f.lower().endswith(HUB_SUFFIXES)]
    if len(hubs) > 1:
        from lineage.model.errors import UsageError

        raise UsageError("one hub dump or index at a time (-f " + " -f ".join(hubs) + ")")
    return tuple(f for f in files if f not in hubs), (hubs[0] if hubs else None)


def policy_option(fn: F) -> F:
    return click.option("--policy", default="equal", show_default=True,
                        type=click.Choice(POLICY_NAMES),
                        help="How a parent's cost is shared with its children (SPEC §3).")(fn)


def format_option(fn: F) -> F:
    return click.option("--format", "fmt", default="table", show_default=True,
                        type=click.Choice(FORMATS), help="Output format.")(fn)


def _project(files: tuple[str, ...], no_registry: bool, assume: str | None = None) -> Project:
    from lineage.api import load

    hubs = [f for f in files if f.lower().endswith(HUB_SUFFIXES)]
    if hubs:
        from lineage.model.errors import UsageError

        command = click.get_current_context().info_name
        raise UsageError(f'{command} does not read hub dumps ("{hubs[0]}"); cost, table, '
                         "family, validate and index do")

    return _assumed(load(files, registry=not no_registry), assume)


class OutputClosed(Exception):
    """The reader of our standard output went away (``lineage table | head``): not an error.

    Why not BrokenPipeError itself: click turns an EPIPE ``OSError`` into exit code 1, which
    this tool keeps for bugs.
    """


def _out(text: str) -> None:
    try:
        click.echo(text, nl=False)
    except BrokenPipeError:
        raise OutputClosed from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]},
             invoke_without_command=True)
@click.pass_context
@click.version_option(package_name="lineage-carbon", prog_name="lineage")
def cli(ctx: click.Context) -> None:
    """lineage: the true carbon cost of an AI model, teachers included.

    Declare model families in YAML, then ask what a model cost once the teachers it was
    distilled, pruned or fine-tuned from are counted.

    Example: lineage cost llama-3.2-1b
    """
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


def assume_grid_option(fn: F) -> F:
    return click.option("--assume-grid", metavar="GRID",
                        help="Estimate emissions on GRID for steps that name no grid or "
                             'intensity (labelled "assumed", never "estimated").')(fn)


def _assumed(project: Project, grid: str | None) -> Project:
    if grid is None:
        return project
    from lineage.model.graph import assume_grid

    return assume_grid(project, grid)


def as_of_option(fn: F) -> F:
    return click.option("--as-of", "as_of", metavar="DATE",
                        help="Count only models released by DATE (YYYY-MM-DD).")(fn)


def check_date(as_of: str) -> None:
    """Raises UsageError unless ``as_of`` is a full, valid YYYY-MM-DD date."""
    import datetime as dt
    import re

    from lineage.model.errors import UsageError

    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", as_of):
            raise ValueError(as_of)
        dt.date.fromisoformat(as_of)
    except ValueError:
        raise UsageError(f'--as-of "{as_of}" is not a full date: write YYYY-MM-DD') from None


def _dated(project: Project, as_of: str | None) -> Project:
    if as_of is None:
        return project
    from lineage.model.graph import as_of as restrict

    check_date(as_of)
    dated, dropped = restrict(project, as_of)
    click.echo(f"as of {as_of}: {len(dated.models)} models released by then; {len(dropped)} "
               "later or undated left out", err=True)
    return dated


@cli.command()
@click.argument("model")
@files_option
@click.option("--policy", default="equal", show_default=True,
              type=click.Choice((*POLICY_NAMES, "all")),
              help='How a parent\'s cost is shared with its children; "all" compares them.')
@format_option
@as_of_option
@assume_grid_option
@click.option("--deployment", is_flag=True,
              help="Add the inference footprint of the model's deployment: block.")
@click.option("--task", help="Deployment task (a registry task, e.g. text-generation).")
@click.option("--queries-per-day", help="Deployment queries per day (e.g. 1M).")
@click.option("--days", help="Deployment duration in days.")
@click.option("--grid", help="Deployment grid (registry id), when the block names none.")
@click.option("--embodied", is_flag=True,
              help="Show embodied hardware emissions (time share of manufacturing).")
@click.option("--monte-carlo", "monte_carlo", type=click.IntRange(1, 1_000_000), metavar="N",
              help="Sample ranged inputs N times; report median and 5–95%.")
@click.option("--seed", type=int, help="Seed for --monte-carlo (reproducible results).")
@click.option("--distribution", type=click.Choice(("uniform", "triangular")),
              default="uniform", show_default=True,
              help="How --monte-carlo samples a range (triangular: mode at the central value).")
@skip_bad_option
def cost(model: str, files: tuple[str, ...], no_registry: bool, policy: str, fmt: str,
         as_of: str | None, assume_grid: str | None, deployment: bool, task: str | None,
         queries_per_day: str | None, days: str | None, grid: str | None, embodied: bool,
         monte_carlo: int | None, seed: int | None, distribution: str, skip_bad: bool) -> None:
    """One model's cumulative cost, explained: own steps, each ancestor's share, equivalents.

    MODEL is a model id or a Hugging Face id (or a model of a hub dump given with -f).

    Example: lineage cost meta-llama/Llama-3.2-1B --policy all
    """
    from lineage.model.errors import UsageError
    from lineage.model.graph import component
    from lineage.report import costview

    files, hub = _split(files)
    extras = costview.Extras(
        deployment=deployment or any(v is not None for v in (task, queries_per_day, days)),
        task=task, queries_per_day=queries_per_day, days=days, grid=grid, embodied=embodied,
        monte_carlo=monte_carlo, seed=seed, distribution=distribution, as_of=as_of)
    if hub is not None:
        if monte_carlo:
            raise UsageError("--monte-carlo does not read hub dumps yet")
        if policy == "all" and (deployment or embodied or
                                any((task, queries_per_day, days, grid))):
            raise UsageError("--policy all compares policies; use --deployment and --embodied "
                             "with one policy")
        from lineage.cli import hub as hub_cli
        hub_cli.cost(files, hub, no_registry, skip_bad, assume_grid, model, policy, fmt, extras,
                     as_of)
        return
    full = _project(files, no_registry, assume_grid)
    mid = full.model_id(model)
    project = _dated(full, as_of)
    if mid not in project.models:
        released = full.models[mid].spec.released
        raise UsageError(f'"{mid}" was released on {released}, after --as-of {as_of}' if
                         released else f'"{mid}" has no "released" date, so --as-of leaves '
                         "it out")
    project = component(project, [mid])
    if policy == "all":
        if deployment or embodied or monte_carlo or any((task, queries_per_day, days, grid)):
            raise UsageError("--policy all compares policies; use --deployment, --embodied "
                             "and --monte-carlo with one policy")
        _out(costview.all_policies(project, model, fmt))
        return
    from lineage.core.engine import compute

    results = compute(project, policy)
    _out(costview.render(results, results.resolve(model), fmt, extras))


@cli.command()
@click.argument("models", nargs=-1, required=True)
@files_option
@policy_option
@format_option
@as_of_option
@assume_grid_option
def compare(models: tuple[str, ...], files: tuple[str, ...], no_registry: bool, policy: str,
            fmt: str, as_of: str | None, assume_grid: str | None) -> None:
    """Models side by side: own, inherited, cumulative, energy, basis mix, completeness.

    For a derived model beside a model trained from scratch, also the break-even number of
    students that must share the teacher before distilling wins (equal amortization).

    Example: lineage compare llama-3.2-1b tinyllama-1.1b
    """
    from lineage.core.compare import compare as compare_models
    from lineage.core.engine import compute
    from lineage.model.graph import component
    from lineage.report import tables as report
    from lineage.report.views import (
        COMPARE_COLUMNS,
        break_even_json,
        compare_rows,
        compare_text,
    )

    project = _dated(_project(files, no_registry, assume_grid), as_of)
    project = component(project, [project.model_id(m) for m in models])
    results = compute(project, policy)
    cmp = compare_models(results, list(models))
    if fmt == "json":
        _out(report.to_json({"policy": policy,
                             "models": [report.cost_record(results, results.costs[m])
                                        for m in cmp.models],
                             "break_even": [break_even_json(b) for b in cmp.break_evens]}))
    elif fmt == "csv":
        _out(report.render_csv(report.CSV_COLUMNS, report.csv_rows(results, cmp.models)))
    elif fmt == "md":
        _out(report.render_markdown(COMPARE_COLUMNS, compare_rows(cmp)))
    else:
        _out(compare_text(cmp))


@cli.command()
@files_option
@policy_option
@format_option
@as_of_option
@assume_grid_option
@skip_bad_option
def table(files: tuple[str, ...], no_registry: bool, policy: str, fmt: str,
          as_of: str | None, assume_grid: str | None, skip_bad: bool) -> None:
    """Every loaded model, one row each (a hub dump: CSV rows streamed).

    Example: lineage table -f my-family.yaml --format csv
    """
    from lineage.core.engine import compute
    from lineage.report import tables as report

    files, hub = _split(files)
    if hub is not None:
        from lineage.cli import hub as hub_cli
        hub_cli.table(hub_cli.joined(files, hub, no_registry, skip_bad, assume_grid, as_of),
                      policy, fmt)
        return

    results = compute(_dated(_project(files, no_registry, assume_grid), as_of), policy)
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
@assume_grid_option
@skip_bad_option
def family(root: str, files: tuple[str, ...], no_registry: bool, fmt: str,
           assume_grid: str | None, skip_bad: bool) -> None:
    """The own cost of ROOT and all its descendants, each counted once, with coverage.

    Example: lineage family llama-3.1-8b
    """
    from lineage.core.engine import compute
    from lineage.core.engine import family as family_total
    from lineage.report import tables as report

    files, hub = _split(files)
    if hub is not None:
        from lineage.cli import hub as hub_cli
        hub_cli.family(files, hub, no_registry, skip_bad, assume_grid, root, fmt)
        return

    results = compute(_project(files, no_registry, assume_grid), "cutoff")
    fam = family_total(results.project, results.resolve(root), results.direct)
    if fmt == "json":
        _out(report.to_json(report.family_record(results, fam)))
        return
    if fmt in ("csv", "md"):
        header = ("model", "own_kgco2e", "own_kwh", "complete")
        d = results.direct
        figure = report.known
        rows: list[list[Any]] = [
            [m, getattr(figure(d[m].emissions_kgco2e, d[m].is_complete), "mid", None),
             getattr(figure(d[m].energy_kwh, d[m].is_energy_complete), "mid", None),
             str(d[m].is_complete).lower()]
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

    With no PATH, checks the bundled registry. A hub dump (.jsonl) is checked line by line,
    for cycles, and joined to the registry and the files given with it.

    Example: lineage validate my-family.yaml
    """
    from lineage.api import warnings
    from lineage.model.errors import UsageError

    paths, hub = _split(paths)
    if hub is not None:  # a dump: every line, then the lineage it forms with the files
        from lineage.cli.hub import check_dump

        check_dump(paths, hub, no_registry, strict)
        return
    project = _project(paths, no_registry)
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
    from lineage.report import registry_view
    if what == "show":
        if not ident:
            raise click.UsageError('"registry show" needs an id, e.g. lineage registry show '
                                   "h100-sxm5-80gb")
        _out(registry_view.show(ident, fmt))
    else:
        _out(registry_view.listing(what, fmt))


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; the single boundary between a user's mistake (exit 2) and a bug (exit 1)."""
    from lineage.model.errors import InputErrors, LineageError

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
    except (BrokenPipeError, OutputClosed):
        import contextlib
        import os

        with contextlib.suppress(OSError, ValueError):  # not even the final flush
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except Exception:
        import traceback

        traceback.print_exc()
        click.echo("lineage: internal error (this is a bug; please report it)", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
import lineage.cli.hub  # noqa: E402  (registers `lineage index`)
import lineage.cli.io  # noqa: E402  (registers `lineage card` and `lineage import`)
import lineage.cli.render  # noqa: E402,F401  (registers `lineage render`)
