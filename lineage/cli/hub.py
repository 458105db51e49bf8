"""Hub dumps on the command line: ``lineage hub fetch``, ``lineage index`` and the hub paths of
``cost``, ``table`` and ``family`` (a ``-f`` that names a dump or a ``.lineage`` index)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lineage.cli.common import Source, assumed, check_date, cli, out, skip_bad_option
from lineage.model.errors import InputError, InputErrors, UsageError, bad_lines, collecting

if TYPE_CHECKING:
    from lineage.model.errors import Warning_
    from lineage.model.graph import Project
    from lineage.model.hub import Hub


def open_hub(path: str, skip_bad: bool) -> Hub:
    """:func:`lineage.api.load_hub`, with the skipped lines counted on stderr."""
    from lineage.api import load_hub

    hub = load_hub(path, skip_bad=skip_bad)
    if hub.skipped:  # lines, not problems: a line may have several
        lines, problems = bad_lines(hub.skipped), len(hub.skipped)
        several = f" ({problems:,} problems)" if problems != lines else ""
        click.echo(f"{path}: warning: skipped {lines:,} bad line(s){several}; the first: "
                   f"{hub.skipped[0]}", err=True)
    return hub


def project_and_hub(src: Source, *, acyclic: bool = False, query: Sequence[str] = ()
                    ) -> tuple[Project, Hub, Warning_ | None]:
    """The registry and the files, with the dump models they name as parents; the dump; and
    a warning if dump lines restate declared models.

    Raises:
        InputErrors: every problem of the dump (and, with ``acyclic``, its cycles) and of the
            files at once, before any is built.
    """
    from lineage.api import load_files
    from lineage.core.hubfamily import shadowed
    from lineage.core.hubfiles import hub_parents_file
    from lineage.model.graph import build

    errors: list[InputError] = []
    hub = loaded = None
    assert src.hub is not None
    with collecting(errors):
        hub = open_hub(src.hub, src.skip_bad)
    with collecting(errors):
        loaded = load_files(src.files, registry=not src.no_registry)
    InputErrors.raise_if_any(errors)
    assert hub is not None and loaded is not None
    if acyclic:
        with collecting(errors):
            _check_acyclic(hub)
    extra = hub_parents_file(loaded, hub)
    with collecting(errors):
        project = assumed(build(loaded if extra is None else [*loaded, extra]),
                          src.assume_grid)
    InputErrors.raise_if_any(errors)
    if src.as_of is not None:
        project, hub = _as_of(project, hub, src.as_of, query)
    warning = shadowed(project, hub, query)  # one pass finds the queried names too
    if warning is not None:
        click.echo(str(warning), err=True)
    return project, hub, warning


def _as_of(project: Project, hub: Hub, date: str, query: Sequence[str]) -> tuple[Project, Hub]:
    """Both as they stood on ``date``; a dump line that is a project model stays or leaves
    with it, as the project dates it (docs/method.md#as-of).

    Raises:
        UsageError: a ``query`` name that is no model, or that the date leaves out (the
            reason, as :meth:`Source.with_models` gives it for lineage files).
    """
    from lineage.core.hubexplain import left_out_of_hub
    from lineage.core.hubgraph import matches
    from lineage.model.graph import as_of as restrict

    for name in query:
        if why := left_out_of_hub(project, hub, name, date):
            raise UsageError(why)
    dated, dropped = restrict(project, date)
    matched, _ = matches(project, hub)
    hub, left_out = hub.as_of(date, {h: m in dated.models for h, m in matched.items()})
    click.echo(f"as of {date}: {len(dated.models)} models released by then and "
               f"{hub.n_models:,} dump models created by then; {len(dropped)} and "
               f"{left_out:,} later or undated left out (with their derivatives)", err=True)
    return dated, hub


def explained(src: Source, model: str, policy: str) -> tuple[Any, str, Any]:
    """``lineage cost MODEL -f dump``: (the model's ancestors explained with whole-hub shares,
    its id, its cost under any policy for ``--policy all``)."""
    from lineage.api import hub_results

    project, hub, _ = project_and_hub(src, query=[model])
    results = hub_results(project, hub, model, "equal" if policy == "all" else policy)
    mid = results.resolve(model)
    return results, mid, lambda p: hub_results(project, hub, mid, p).cost(mid)


def table(src: Source, policy: str, fmt: str) -> None:
    """Every model of the files joined to the dump as CSV, streamed a batch at a time."""
    from lineage.core.hubgraph import join, whole
    from lineage.report.hubtable import csv_stream

    project, hub, _ = project_and_hub(src)
    j = join(project, hub)
    if fmt != "csv":
        raise UsageError(f"with a hub dump, table writes --format csv (streamed), not {fmt}")
    for chunk in csv_stream(j, whole(j, policy)):
        out(chunk)


def _check_acyclic(hub: Hub) -> None:
    """An index is only written for a dump whose base models form no cycle."""
    from lineage.core.hubgraph import cycle_error
    from lineage.model.columns import CycleError, levels

    try:
        levels(hub.n, hub.parent, hub.child)
    except CycleError as exc:
        raise InputErrors([cycle_error(hub.ids, hub.parent, hub.child, exc.members,
                                       hub.where)]) from None


@cli.command()
@click.argument("dump", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="The index file to write (e.g. hub.lineage).")
@skip_bad_option
def index(dump: Path, output: Path, skip_bad: bool) -> None:
    """Compile a JSON Lines hub dump into a binary index that later queries open instantly.

    Example: lineage index hub.jsonl -o hub.lineage && lineage cost org/model -f hub.lineage
    """
    from lineage.io.index import write_index

    if output.suffix != ".lineage":
        raise UsageError(f'write the index to a ".lineage" file, not "{output}"')
    start = time.perf_counter()
    hub = open_hub(str(dump), skip_bad)
    _check_acyclic(hub)
    size = write_index(hub, output)
    click.echo(f"indexed {hub.n_models:,} models, {hub.parent.size:,} edges, "
               f"{hub.n - hub.n_models:,} parents not in the dump → {output} "
               f"({size / 1e6:,.1f} MB) in {time.perf_counter() - start:.1f} s", err=True)


@cli.group(name="hub")
def hub_group() -> None:
    """The Hugging Face Hub's model list: fetch a snapshot to give to -f.

    Example: lineage hub fetch --author acme -o acme.parquet
    """


@hub_group.command()
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="The Parquet snapshot to write (e.g. snapshot.parquet).")
@click.option("--author", help="Only this user's or organisation's models.")
@click.option("--base-model", "base_model", metavar="ID",
              help="Only the direct derivatives of ID (the Hub's base_model:ID tag); a full "
                   "tag such as base_model:quantized:ID is passed as it is.")
@click.option("--search", help="Only models whose id contains this text (the Hub's search).")
@click.option("--since", metavar="YYYY-MM-DD", help="Only models created on or after this day.")
@click.option("--until", metavar="YYYY-MM-DD", help="Only models created on or before this day.")
@click.option("--limit", type=click.IntRange(min=1), help="Stop after this many models.")
@click.option("--restart", is_flag=True, help="Discard an interrupted fetch and start again.")
@click.option("--batch-rows", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Models per row group (and per resumable step).")
def fetch(output: Path, author: str | None, base_model: str | None, search: str | None,
          since: str | None, until: str | None, limit: int | None, restart: bool,
          batch_rows: int) -> None:
    """Stream the Hub API's model list into a Parquet snapshot that -f reads (resumable:
    rerun the same command after an interruption).

    Example: lineage hub fetch --author meta-llama -o meta.parquet &&
    lineage cost meta-llama/Llama-3.2-1B -f meta.parquet
    """
    import sys

    if output.suffix != ".parquet":
        raise UsageError(f'write the snapshot to a ".parquet" file, not "{output}"')
    for flag, day in (("--since", since), ("--until", until)):
        if day is not None:
            check_date(day, flag)
    try:
        import huggingface_hub  # noqa: F401  (the requests go through its HTTP helpers)
        from tqdm.auto import tqdm  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise UsageError("lineage hub fetch needs huggingface_hub: "
                         "pip install 'lineage-carbon[hub]'") from None
    from lineage.io.hubfetch import Filters, api_pages  # pyarrow: once the checks have passed
    from lineage.io.hubfetch import fetch as fetch_models

    filters = Filters(author=author, base_model=base_model, search=search, since=since,
                      until=until, limit=limit)
    with tqdm(unit=" models", file=sys.stderr, disable=not sys.stderr.isatty(),
              desc="listing the Hub") as bar:
        state = fetch_models(api_pages, output, filters, batch_rows=batch_rows,
                             restart=restart,
                             progress=lambda k: bar.update(k - bar.n))
    click.echo(f"fetched {state.rows:,} models (snapshot of {state.started}) → {output}",
               err=True)
