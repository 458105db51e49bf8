"""``lineage plot``: the numbers as a picture (PNG, SVG or PDF; needs the ``[plot]`` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from lineage.cli.common import (
    Source,
    as_of_option,
    assume_grid_option,
    cli,
    files_option,
    policy_option,
)
from lineage.model.errors import UsageError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lineage.core.engine import Results
    from lineage.model.graph import Project

KINDS = ("contributions", "policies", "montecarlo", "break-even")


@cli.command()
@click.argument("model")
@files_option
@policy_option
@as_of_option
@assume_grid_option
@click.option("-o", "--output", metavar="FILE", required=True,
              help="Write the image here; .png, .svg or .pdf sets the format.")
@click.option("--kind", type=click.Choice(KINDS), default="contributions", show_default=True,
              help="What to draw.")
@click.option("--monte-carlo", "monte_carlo", type=click.IntRange(1, 1_000_000), default=10_000,
              show_default=True, metavar="N", help="--kind montecarlo: the number of samples.")
@click.option("--seed", type=int, help="--kind montecarlo: seed (reproducible pictures).")
@click.option("--distribution", type=click.Choice(("uniform", "triangular")),
              default="uniform", show_default=True, help="--kind montecarlo: how to sample.")
@click.option("--against", metavar="MODEL",
              help="--kind break-even: the alternative (default: the model's first teacher).")
@click.option("--task", help="--kind break-even: deployment task (e.g. text-generation).")
@click.option("--queries-per-day", help="--kind break-even: queries per day (e.g. 1M).")
@click.option("--days", help="--kind break-even: deployment duration in days.")
@click.option("--grid", help="--kind break-even: deployment grid (registry id).")
@click.option("--dpi", type=click.IntRange(30, 600), default=150, show_default=True,
              help="PNG resolution.")
def plot(model: str, files: tuple[str, ...], no_registry: bool, policy: str,
         as_of: str | None, assume_grid: str | None, output: str, kind: str,
         monte_carlo: int, seed: int | None, distribution: str, against: str | None,
         task: str | None, queries_per_day: str | None, days: str | None, grid: str | None,
         dpi: int) -> None:
    """Draw a model's numbers: contributions (default), policies, montecarlo or break-even.

    contributions: where the model's tonnes come from (own steps and each ancestor).
    policies: its cumulative cost under every allocation policy. montecarlo: the spread of
    --monte-carlo N samples. break-even: cumulative emissions against queries served for the
    model and --against MODEL (its teacher, or a model trained from scratch), each served as
    its deployment: block or --task, --queries-per-day, --days, --grid say.

    Example: lineage plot llama-3.2-1b -o llama-3.2-1b.png
    """
    from lineage.io.atomic import write_atomic
    from lineage.report import plot as draw

    fmt = draw.format_of(output)
    src = Source.of(files, no_registry, assume_grid=assume_grid, as_of=as_of)
    project, [mid, *others] = src.with_models([model, *([against] if against else [])])
    if kind == "policies":
        from lineage.core.compare import all_policies

        fig = draw.policies(project.models[mid].label, all_policies(project, mid))
    elif kind == "montecarlo":
        fig = _montecarlo(project, policy, mid, monte_carlo, seed, distribution)
    else:
        from lineage.core.engine import compute

        results = compute(project, policy)
        if kind == "break-even":
            fig = _break_even(results, mid, others[0] if others else None,
                              (task, queries_per_day, days, grid))
        else:
            fig = draw.contributions(results.costs[mid], project.models[mid].label)
    write_atomic(Path(output), draw.to_bytes(fig, fmt, dpi))
    click.echo(f"wrote {output} ({kind} of {mid}, {fmt.upper()})", err=True)


def _montecarlo(project: Project, policy: str, mid: str, n: int, seed: int | None,
                distribution: str) -> Figure:
    from lineage.core.montecarlo import simulate
    from lineage.report import plot as draw

    mc = simulate(project, policy, n=n, seed=seed, distribution=distribution)
    cost = mc.results.costs[mid]
    return draw.montecarlo(project.models[mid].label, policy, mc.samples(mid).tolist(),
                           cost.cumulative_kgco2e_bound.mid, seed=seed, distribution=distribution,
                           is_complete=cost.is_complete)


def _break_even(results: Results, mid: str, against: str | None,
                serving: tuple[str | None, ...]) -> Figure:
    from lineage.core.payoff import payoff
    from lineage.model.schema import DeploymentSpec
    from lineage.report import plot as draw
    from lineage.report.costview import Extras, serving_spec

    parents = results.project.parents(mid)
    if not parents:
        raise UsageError(f'"{mid}" has no parent: break-even compares a distilled model with '
                         "its alternative")
    alt = against or parents[0]
    task, queries_per_day, days, grid = serving
    extras = Extras(deployment=True, task=task, queries_per_day=queries_per_day, days=days,
                    grid=grid)
    specs = {m: serving_spec(results, m, extras, DeploymentSpec) for m in (mid, alt)}
    return draw.break_even(payoff(results, mid, alt, specs))
