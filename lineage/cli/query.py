"""``lineage cost``, ``compare``, ``table`` and ``family``: the questions asked of a model."""

from __future__ import annotations

from typing import Any

import click

from lineage.cli.common import (
    POLICY_NAMES,
    Source,
    as_of_option,
    assume_grid_option,
    cli,
    files_option,
    format_option,
    out,
    policy_option,
    skip_bad_option,
)
from lineage.model.errors import UsageError

output_tokens_option = click.option(
    "--output-tokens", type=click.IntRange(1, 10**9), metavar="N",
    help="Tokens generated per query (generative tasks; default: the task's, e.g. 400 for "
         "text-generation).")


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
@output_tokens_option
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
         output_tokens: int | None, queries_per_day: str | None, days: str | None,
         grid: str | None, embodied: bool,
         monte_carlo: int | None, seed: int | None, distribution: str, skip_bad: bool) -> None:
    """One model's cumulative cost, explained: own steps, each ancestor's share, equivalents.

    MODEL is a model id or a Hugging Face id (or a model of a hub dump given with -f).

    Example: lineage cost meta-llama/Llama-3.2-1B --policy all
    """
    from lineage.report import costview

    src = Source.of(files, no_registry, skip_bad=skip_bad, assume_grid=assume_grid,
                    as_of=as_of)
    extras = costview.Extras(
        deployment=deployment or any(v is not None for v in (task, output_tokens,
                                                             queries_per_day, days)),
        task=task, output_tokens=output_tokens, queries_per_day=queries_per_day, days=days,
        grid=grid, embodied=embodied,
        monte_carlo=monte_carlo, seed=seed, distribution=distribution)
    if policy == "all" and (deployment or embodied or monte_carlo or
                            any((task, output_tokens, queries_per_day, days, grid))):
        raise UsageError("--policy all compares policies; use --deployment, --embodied "
                         "and --monte-carlo with one policy")
    results = cost_of = None
    if src.hub is not None:  # the ancestors explained with the whole hub's shares
        from lineage.cli.hub import explained

        results, mid, cost_of = explained(src, model, policy)
        project = results.project
    else:
        project, [mid] = src.with_models([model])
    if policy == "all":
        out(costview.all_policies(project, mid, fmt, cost_of))
        return
    if results is None:
        from lineage.core.engine import compute

        results = compute(project, policy)
    _warn_outdated_horizons(results, mid)
    out(costview.render(results, mid, fmt, extras))


@cli.command()
@click.argument("models", nargs=-1, required=True)
@files_option
@click.option("--policy", default="equal", show_default=True,
              type=click.Choice((*POLICY_NAMES, "all")),
              help='How a parent\'s cost is shared with its children; "all": every policy '
                   "(with --task or --deployment).")
@format_option
@as_of_option
@assume_grid_option
@click.option("--deployment", is_flag=True,
              help="Serve each model as its deployment: block says, and say after how many "
                   "queries the first model's training is repaid.")
@click.option("--task", help="Serve every model on this task (e.g. text-generation).")
@output_tokens_option
@click.option("--grid", help="Serving grid (registry id), when a block names none.")
@click.option("--monte-carlo", "monte_carlo", type=click.IntRange(1, 1_000_000), metavar="N",
              help="With --task/--deployment: sample ranged inputs N times; report the "
                   "break-even's median and 5–95%.")
@click.option("--seed", type=int, help="Seed for --monte-carlo (reproducible results).")
@click.option("--distribution", type=click.Choice(("uniform", "triangular")),
              default="uniform", show_default=True, help="How --monte-carlo samples a range.")
def compare(models: tuple[str, ...], files: tuple[str, ...], no_registry: bool, policy: str,
            fmt: str, as_of: str | None, assume_grid: str | None, deployment: bool,
            task: str | None, output_tokens: int | None, grid: str | None,
            monte_carlo: int | None, seed: int | None, distribution: str) -> None:
    """Models side by side: own, inherited, cumulative, energy, basis mix, completeness.

    For a derived model beside a model trained from scratch, also the break-even number of
    students that must share the teacher before distilling wins (equal amortization). With
    --task or --deployment, the first model is the student: after how many queries its extra
    training is repaid by cheaper queries, against each other model.

    Example: lineage compare llama-3.2-1b llama-3.1-8b --task text-generation
    """
    from lineage.core.compare import compare as compare_models
    from lineage.core.engine import compute
    from lineage.report import costview
    from lineage.report.views import COMPARE_WRITERS

    serving = deployment or any(v is not None for v in (task, output_tokens, grid))
    if not serving and (policy == "all" or monte_carlo is not None):
        raise UsageError("--policy all and --monte-carlo on compare need --task or --deployment")
    project, ids = Source.of(files, no_registry, assume_grid=assume_grid,
                             as_of=as_of).with_models(models)
    results = compute(project, "equal" if policy == "all" else policy)
    cmp = compare_models(results, ids)
    in_use = None
    if serving:
        if len(cmp.models) < 2:
            raise UsageError("compare --task needs a student and at least one other model")
        extras = costview.Extras(deployment=True, task=task, output_tokens=output_tokens,
                                 grid=grid, monte_carlo=monte_carlo, seed=seed,
                                 distribution=distribution)
        in_use = costview.in_use(project, list(cmp.models), policy, extras)
    out(COMPARE_WRITERS[fmt](cmp, policy, in_use))


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
    from lineage.report.tables import TABLE_WRITERS

    src = Source.of(files, no_registry, skip_bad=skip_bad, assume_grid=assume_grid,
                    as_of=as_of)
    if src.hub is not None:
        from lineage.cli import hub as hub_cli
        hub_cli.table(src, policy, fmt)
        return
    results = compute(src.project(), policy)
    if fmt == "table":
        from lineage.report.style import use_colour

        click.get_current_context().color = use_colour()  # click strips escapes off a terminal
    out(TABLE_WRITERS[fmt](results, sorted(results.costs)))


@cli.command()
@click.argument("root")
@files_option
@format_option
@as_of_option
@assume_grid_option
@skip_bad_option
def family(root: str, files: tuple[str, ...], no_registry: bool, fmt: str,
           as_of: str | None, assume_grid: str | None, skip_bad: bool) -> None:
    """The own cost of ROOT and all its descendants, each counted once, with coverage.

    Example: lineage family llama-3.1-8b
    """
    from lineage.core.family import family as family_total
    from lineage.core.records import provenance
    from lineage.report.views import FAMILY_WRITERS

    src = Source.of(files, no_registry, skip_bad=skip_bad, assume_grid=assume_grid,
                    as_of=as_of)
    if src.hub is not None:  # both dated by --as-of, as for cost and table
        from lineage.cli.hub import project_and_hub

        project, hub, _ = project_and_hub(src, query=[root])
        fam = family_total(project, root, hub=hub)
    else:
        project, [root_id] = src.with_models([root], whole=True)
        fam = family_total(project, root_id)
    out(FAMILY_WRITERS[fmt](fam, provenance(project, None, src.hub)))


def _warn_outdated_horizons(results: Any, mid: str) -> None:
    """On stderr: the horizons above ``mid`` that the loaded lineage has outgrown."""
    from lineage.core.horizon import horizon_warning

    for x in results.costs[mid].contributions:
        if x.model in results.project.models and (w := horizon_warning(
                results.project, x.model, results.children(x.model))) is not None:
            click.echo(str(w), err=True)
