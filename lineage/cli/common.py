"""What every command shares: the ``lineage`` group, the common options, the input project,
and writing to standard output."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from lineage.model.errors import UsageError
from lineage.model.policy import Policy

if TYPE_CHECKING:
    from lineage.model.graph import Project

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ("table", "json", "md", "csv")
HUB_SUFFIXES = (".jsonl", ".ndjson", ".parquet", ".lineage")  # a hub dump, or its index
POLICY_NAMES = tuple(p.value for p in Policy)


def files_option(fn: F) -> F:
    fn = click.option("-f", "--file", "files", multiple=True, metavar="PATH",
                      help="A family file or a folder of *.yaml (repeatable).")(fn)
    return click.option("--no-registry", is_flag=True,
                        help="Do not load the bundled registry first.")(fn)


skip_bad_option = click.option(
    "--skip-bad-lines", "skip_bad", is_flag=True,
    help="With a .jsonl hub dump: leave out bad lines (counted on stderr) instead of stopping.")


def split_files(files: tuple[str, ...]) -> tuple[tuple[str, ...], str | None]:
    """(lineage files, the hub dump or index named by -f, if any).

    Raises:
        UsageError: more than one dump.
    """
    hubs = [f for f in files if f.lower().endswith(HUB_SUFFIXES)]
    if len(hubs) > 1:
        raise UsageError("one hub dump or index at a time (-f " + " -f ".join(hubs) + ")")
    return tuple(f for f in files if f not in hubs), (hubs[0] if hubs else None)


policy_option = click.option(
    "--policy", default="equal", show_default=True, type=click.Choice(POLICY_NAMES),
    help="How a parent's cost is shared with its children (docs/method.md#policies).")


format_option = click.option("--format", "fmt", default="table", show_default=True,
                             type=click.Choice(FORMATS), help="Output format.")


class OutputClosed(Exception):
    """The reader of our standard output went away (``lineage table | head``): not an error.

    Why not BrokenPipeError itself: click turns an EPIPE ``OSError`` into exit code 1, which
    this tool keeps for bugs.
    """


def out(text: str) -> None:
    try:
        click.echo(text, nl=False)
    except BrokenPipeError:
        raise OutputClosed from None


def out_bytes(data: bytes) -> None:
    """Write bytes (a PNG, a PDF) to standard output, after any text already written."""
    import sys

    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        raise OutputClosed from None


# Each command's module, imported when the command is asked for: ``lineage cost`` imports the
# query commands only; ``lineage --help`` lists every one (and imports them all).
COMMANDS = {"card": "io", "cite": "cite", "compare": "query", "cost": "query",
            "family": "query", "hub": "hub", "import": "io", "index": "hub", "plot": "plot",
            "registry": "checks", "render": "render", "schema": "checks", "table": "query",
            "validate": "checks"}


class _Commands(click.Group):
    """The ``lineage`` group, whose commands add themselves when their module is imported."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            # an unknown name (a typo) imports every command, for click's "Did you mean"
            wanted = [COMMANDS[cmd_name]] if cmd_name in COMMANDS else dict.fromkeys(
                COMMANDS.values())
            for module in wanted:
                importlib.import_module(f"lineage.cli.{module}")
        return self.commands.get(cmd_name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]},
             invoke_without_command=True)
@click.pass_context
@click.version_option(package_name="lineage-carbon", prog_name="lineage")
@click.option("--allow-path", "allow", multiple=True, metavar="DIR",
              help="Let a family file's codecarbon: logs be read from DIR too, not only from "
                   "the family file's own folder (repeatable; or LINEAGE_ALLOW_PATH).")
def cli(ctx: click.Context, allow: tuple[str, ...]) -> None:
    """lineage: the true carbon cost of an AI model, teachers included.

    Declare model families in YAML, then ask what a model cost once the teachers it was
    distilled, pruned or fine-tuned from are counted.

    Example: lineage cost llama-3.2-1b
    """
    if allow:
        _allow_paths(ctx, allow)
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


def _allow_paths(ctx: click.Context, allow: tuple[str, ...]) -> None:
    """Widen the folders ``codecarbon:`` paths may lead to, for this command only."""
    import os

    from lineage.io.codecarbon import ALLOW_ENV

    before = os.environ.get(ALLOW_ENV)
    os.environ[ALLOW_ENV] = os.pathsep.join([*allow, *([before] if before else [])])

    def restore() -> None:
        if before is None:
            os.environ.pop(ALLOW_ENV, None)
        else:
            os.environ[ALLOW_ENV] = before

    ctx.call_on_close(restore)


assume_grid_option = click.option(
    "--assume-grid", metavar="GRID",
    help='Estimate emissions on GRID for steps that name no grid or intensity (labelled '
         '"assumed", never "estimated").')


def assumed(project: Project, grid: str | None) -> Project:
    if grid is None:
        return project
    from lineage.model.graph import assume_grid

    return assume_grid(project, grid)


as_of_option = click.option("--as-of", "as_of", metavar="DATE",
                            help="Count only models released by DATE (YYYY-MM-DD).")


def check_date(day: str, flag: str = "--as-of") -> None:
    """Raises UsageError unless ``day`` (given with ``flag``) is a full, valid YYYY-MM-DD
    date."""
    import datetime as dt
    import re

    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
            raise ValueError(day)
        dt.date.fromisoformat(day)
    except ValueError:
        raise UsageError(f'{flag} "{day}" is not a full date: write YYYY-MM-DD') from None


def dated(project: Project, as_of: str | None) -> Project:
    if as_of is None:
        return project
    from lineage.model.graph import as_of as restrict

    dated, dropped = restrict(project, as_of)
    click.echo(f"as of {as_of}: {len(dated.models)} models released by then; {len(dropped)} "
               "later or undated left out", err=True)
    return dated


@dataclass(frozen=True)
class Source:
    """What a command reads, resolved once: lineage files, at most one hub dump or index, the
    registry or not, and the options that shape the loaded project (``--skip-bad-lines``,
    ``--assume-grid``, ``--as-of``). Commands take one of these instead of six parameters.
    """

    files: tuple[str, ...]
    hub: str | None
    no_registry: bool = False
    skip_bad: bool = False
    assume_grid: str | None = None
    as_of: str | None = None

    @classmethod
    def of(cls, files: tuple[str, ...], no_registry: bool, *, skip_bad: bool = False,
           assume_grid: str | None = None, as_of: str | None = None) -> Source:
        """The source that ``-f`` options name (a dump or index told by its suffix).

        Raises:
            UsageError: more than one dump, or an --as-of that is not a full date.
        """
        lineage_files, hub = split_files(files)
        if as_of is not None:
            check_date(as_of)
        return cls(lineage_files, hub, no_registry, skip_bad, assume_grid, as_of)

    def project(self, *, dated_too: bool = True) -> Project:
        """The registry (unless left out) and the files, the grid assumed, restricted to
        ``as_of`` (unless ``dated_too`` is False: then the caller restricts it).

        Raises:
            UsageError: a hub dump was named (this command reads lineage files only).
        """
        from lineage.api import load

        if self.hub is not None:
            command = click.get_current_context().info_name
            raise UsageError(f'{command} does not read hub dumps ("{self.hub}"); cost, table, '
                             "family, validate and index do")
        project = assumed(load(self.files, registry=not self.no_registry), self.assume_grid)
        return dated(project, self.as_of) if dated_too else project

    def with_models(self, names: Iterable[str], *, whole: bool = False
                    ) -> tuple[Project, list[str]]:
        """The project (as of ``--as-of``) and the ids ``names`` resolve to: every command that
        names models resolves them here, once, with one message for each way it can fail.
        Unless ``whole``, only the part of the project connected to them, where their figures
        are the same (:func:`lineage.model.graph.component`).

        Raises:
            UsageError: a name that is no model (with the nearest ids), or a model that
                ``--as-of`` leaves out (released later or undated, itself or an ancestor).
        """
        from lineage.model.graph import component, left_out_of

        full = self.project(dated_too=False)
        ids = [full.model_id(name) for name in names]
        for mid in ids:
            if self.as_of is not None and (why := left_out_of(full, mid, self.as_of)):
                raise UsageError(why)
        project = dated(full, self.as_of)
        return (project if whole else component(project, ids)), ids
