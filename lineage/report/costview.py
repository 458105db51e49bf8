"""``lineage cost``: one model's explanation, with the optional deployment, embodied and
Monte Carlo sections, in every output format."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError

from lineage.core.engine import ModelCost, Results
from lineage.core.records import cost_record, figure, known, provenance
from lineage.model.errors import InputErrors, UsageError
from lineage.model.graph import Project
from lineage.model.schema import DeploymentSpec, ServingSpec
from lineage.report import tables as report
from lineage.report import views
from lineage.report.style import fit_lines, terminal_width


@dataclass(frozen=True)
class Extras:
    """What the user asked for beyond the plain explanation."""

    deployment: bool = False
    task: str | None = None
    output_tokens: int | None = None
    queries_per_day: str | None = None
    days: str | None = None
    grid: str | None = None
    embodied: bool = False
    monte_carlo: int | None = None
    seed: int | None = None
    distribution: str = "uniform"


Spec = TypeVar("Spec", ServingSpec, DeploymentSpec)


def serving_spec(results: Results, model: str, extras: Extras, kind: type[Spec]) -> Spec:
    """How ``model`` is served: its ``deployment:`` block with the command line's values on
    top, as a :class:`ServingSpec`; as a :class:`DeploymentSpec`, also how much (queries per
    day and days).

    Raises:
        UsageError: no block and not enough on the command line to make one.
    """
    block = results.project.models[model].spec.deployment
    data: dict[str, Any] = {} if block is None else {  # values as read: quantities too
        k: v for k in type(block).model_fields if (v := getattr(block, k)) is not None}
    overrides = {"task": extras.task, "output_tokens": extras.output_tokens,
                 "queries_per_day": extras.queries_per_day, "days": extras.days,
                 "grid": extras.grid}
    if extras.task is not None:
        data.pop("energy_per_1k_queries", None)
        data.pop("gpu_hours_per_query", None)
        if extras.task != data.get("task"):
            data.pop("output_tokens", None)  # the block's length was for its own task
    if extras.grid is not None:
        data.pop("intensity", None)
    data |= {k: v for k, v in overrides.items() if v is not None}
    data = {k: v for k, v in data.items() if k in kind.model_fields}  # ServingSpec: no volume
    # the names first, then what is missing: one order whether the model has a block or not
    catalog = results.project.catalog
    if (grid := data.get("grid")) is not None and catalog.grids.find(grid) is None:
        raise catalog.grids.unknown(grid, None)  # type: ignore[arg-type]
    if (task := data.get("task")) is not None and catalog.tasks.find(task) is None:
        raise UsageError(str(catalog.tasks.unknown(task, None)))  # type: ignore[arg-type]
    try:
        return kind.model_validate(data)
    except ValidationError as exc:
        raise _missing(exc, model, block is None, extras) from None


def _missing(exc: Any, model: str, no_block: bool, extras: Extras) -> UsageError:
    """What the command line must add, or the first problem of the spec."""
    missing = [f"--{str(e['loc'][0]).replace('_', '-')}" for e in exc.errors()
               if e["type"] == "missing"]
    if no_block and extras.task is None:
        missing.insert(0, "--task")
    if missing:
        whose = f'"{model}" has no deployment: block' if no_block else \
            f'the deployment: block of "{model}" lacks them'
        return UsageError(f"deployment needs {', '.join(missing)} ({whose})")
    first = exc.errors()[0]
    message = str(first.get("ctx", {}).get("error", first["msg"]))
    return UsageError(f"deployment: {message}")


def render(results: Results, model: str, fmt: str, extras: Extras) -> str:
    """The whole ``cost`` output for ``model``."""
    c = results.costs[model]
    # the JSON record gathers the sections' figures as they are computed (COST_WRITERS["json"]
    # writes it); the other formats write the sections' text
    record: dict[str, Any] | None = cost_record(results, c) if fmt == "json" else None
    sections: list[str] = []
    if extras.deployment:
        from lineage.core.deployment import deployment_cost

        entry = results.project.models[model]
        d = deployment_cost(entry, serving_spec(results, model, extras, DeploymentSpec),
                            results.project.catalog, c)
        sections.append(views.deployment_text(d))
        if record is not None:
            record["deployment"] = views.deployment_json(d)
    if extras.embodied:
        from lineage.core.embodied import embodied_costs, embodied_cumulative

        # the explained models (with a dump: the model and its ancestors, Hub ones included)
        own = embodied_costs({m: results.direct[m] for m in results.costs},
                             results.project.catalog)
        cumulative, complete = embodied_cumulative(results, own, model)
        sections.append(views.embodied_text(own[model], cumulative, complete))
        if record is not None:  # unknown: null, never 0
            figure(record, "embodied_kgco2e", known(own[model].kgco2e, own[model].is_complete),
                   ranged=False)
            figure(record, "embodied_cumulative_kgco2e", known(cumulative, complete),
                   ranged=False)
            record["embodied_complete"] = complete
    if extras.monte_carlo is not None:
        sections.append(_monte_carlo(results, model, extras, record))
    return COST_WRITERS[fmt](results, c, sections, record)


def _cost_csv(results: Results, c: ModelCost) -> str:
    """Own, each contribution, cumulative: a row each (an unknown figure empty, never 0)."""
    def row(model: str, part: str, kg: Any, kwh: Any, complete: bool,
            energy_complete: bool) -> list[Any]:
        figures = (known(kg, complete), known(kwh, energy_complete))
        return [model, part, *(None if f is None else f.mid for f in figures),
                str(complete).lower()]

    direct = results.direct
    return report.render_csv(("model", "part", "kgco2e", "kwh", "complete"), [
        row(c.model, "own", c.own_kgco2e_bound, c.own_kwh_bound, c.is_own_complete,
            c.is_own_energy_complete),
        *(row(x.model, "contribution", x.kgco2e, x.kwh, x.is_complete,
              direct[x.model].is_energy_complete) for x in c.contributions),
        row(c.model, "cumulative", c.cumulative_kgco2e_bound, c.cumulative_kwh_bound,
            c.is_complete, c.is_energy_complete)])


# One writer per --format: (results, the model's cost, extra text sections, JSON record).
COST_WRITERS: dict[str, Callable[[Results, ModelCost, list[str], Any], str]] = {
    "json": lambda r, c, sections, record: report.to_json(record),
    "md": lambda r, c, sections, _: report.cost_markdown(r, c) + "".join(
        f"\n```text\n{s}```\n" for s in sections),
    "csv": lambda r, c, sections, _: _cost_csv(r, c),
    "table": lambda r, c, sections, _: fit_lines(report.cost_text(r, c) + "".join(sections),
                                                 terminal_width()),
}


def _monte_carlo(results: Results, model: str, extras: Extras,
                 record: dict[str, Any] | None) -> str:
    from lineage.core.montecarlo import simulate_results

    assert extras.monte_carlo is not None
    mc = simulate_results(results, n=extras.monte_carlo, seed=extras.seed,
                          distribution=extras.distribution)
    s, e = mc.summary(model), mc.summary(model, "kwh")
    head, about = _monte_carlo_head(extras, mc.distribution)
    c = results.costs[model]
    if record is not None:
        record["monte_carlo"] = about | {"kgco2e": _summary(s, c.is_complete),
                                         "kwh": _summary(e, c.is_energy_complete)}
    return (f"{head}median and 5–95% interval\n"
            f"               {report.fmt(s.as_interval(), c.is_complete)}   "
            f"{report.fmt(e.as_interval(), c.is_energy_complete, 'kwh')}\n")


def _summary(s: Any, complete: bool) -> dict[str, Any]:
    """A Monte Carlo summary as JSON: null where the text says "unknown" (nothing of the
    figure is known: every sample is 0), never 0."""
    out: dict[str, Any] = s.as_dict()
    if known(s.as_interval(), complete) is None:
        out |= {k: None for k in out if k != "n"}
    return out


def _monte_carlo_head(extras: Extras, distribution: str) -> tuple[str, dict[str, Any]]:
    """The start of a Monte Carlo line, and of its JSON record: samples, law, seed."""
    seeded = f", seed {extras.seed}" if extras.seed is not None else ""
    return (f"  monte carlo  {extras.monte_carlo:,} samples ({distribution}{seeded}): ",
            {"n": extras.monte_carlo, "seed": extras.seed, "distribution": distribution})


def all_policies(project: Project, mid: str, fmt: str,
                 cost_of: Callable[[str], ModelCost] | None = None) -> str:
    """``cost --policy all`` of the model ``mid`` (``cost_of``: see
    :func:`lineage.core.compare.all_policies`)."""
    from lineage.core.compare import all_policies as outcomes_of

    return POLICIES_WRITERS[fmt](mid, outcomes_of(project, mid, cost_of),
                                 provenance(project, "all"))


def _policies_csv(mid: str, outcomes: list[Any], prov: dict[str, Any]) -> str:
    """Per policy: its cumulative kgCO2e and whether it is complete (empty where the policy
    does not apply or nothing is known: as null in JSON), and what it assumes or why it does
    not apply."""
    policies = views.policies_json(mid, outcomes, prov)["policies"]
    return report.render_csv(("policy", "cumulative_kgco2e", "complete", "assumes"), [
        [p, e.get("cumulative_kgco2e"), str(e["complete"]).lower() if "complete" in e else "",
         e["problem"] or e["assumes"]] for p, e in policies.items()])


def _policies_md(outcomes: list[Any], prov: dict[str, Any]) -> str:
    return report.render_markdown(("policy", "cumulative", "assumes"), [
        [o.policy, "n/a" if o.cost is None else
         report.fmt(o.cost.cumulative_kgco2e_bound, o.cost.is_complete),
         o.problem or o.assumption] for o in outcomes]) + \
        f"\n{report.inputs_line(prov['inputs'])}\n"


# One writer per --format of ``cost --policy all``: (the model, each policy's outcome, the
# provenance of :func:`~lineage.core.records.provenance`).
POLICIES_WRITERS: dict[str, Callable[[str, list[Any], dict[str, Any]], str]] = {
    "json": lambda mid, outcomes, prov: report.to_json(views.policies_json(mid, outcomes, prov)),
    "csv": _policies_csv,
    "md": lambda mid, outcomes, prov: _policies_md(outcomes, prov),
    "table": lambda mid, outcomes, prov: views.policies_text(mid, outcomes),
}


def in_use(project: Project, models: list[str], policy: str,
           extras: Extras) -> tuple[str, list[dict[str, Any]]]:
    """``compare --task`` / ``--deployment``: the first model against each other one in use,
    under ``policy`` (or every policy), with ``--monte-carlo`` spreads; text and JSON."""
    from lineage.core.engine import compute
    from lineage.core.payoff import payoff
    from lineage.model.policy import POLICIES

    text, records = "", []
    for name in list(POLICIES) if policy == "all" else [policy]:
        try:
            results = compute(project, name)
        except InputErrors as exc:
            first = exc.errors[0].message if exc.errors else str(exc)
            text += f"\npolicy {name}: n/a ({first})\n"
            records.append({"policy": name, "problem": first})
            continue
        specs = {m: serving_spec(results, m, extras, ServingSpec) for m in models}
        for other in models[1:]:
            p = payoff(results, models[0], other, specs)
            text += "\n" + views.payoff_text(p)
            record = views.payoff_json(p)
            if extras.monte_carlo is not None:
                line, record["monte_carlo"] = _payoff_monte_carlo(project, p, extras)
                text += line
            records.append(record)
    return text, records


def _payoff_monte_carlo(project: Project, p: Any, extras: Extras) -> tuple[str, dict[str, Any]]:
    import numpy as np

    from lineage.core.montecarlo import simulate
    from lineage.core.payoff import sampled_crossings

    assert extras.monte_carlo is not None
    mc = simulate(project, p.policy, n=extras.monte_carlo, seed=extras.seed,
                  distribution=extras.distribution)
    got = sampled_crossings(p, mc.samples(p.student.model).tolist(),
                            mc.samples(p.alternative.model).tolist())
    crossed = np.array([q for q in got if q is not None])
    share = len(crossed) / len(got)
    head, record = _monte_carlo_head(extras, mc.distribution)
    record["share_crossing"] = share
    # docs/method.md#monte-carlo: unknown parts count 0 in every sample
    zero = "" if p.student.is_complete and p.alternative.is_complete else \
        ", the unknown training costs counted as 0"
    if not len(crossed):
        why = "the student is cheaper from the first query" if p.saving_per_1k_queries > 0 \
            else "the lines never cross"
        return head + f"{why} in every sample{zero}\n", record
    lo, mid, hi = (float(np.percentile(crossed, q)) for q in (5, 50, 95))
    record |= {"median": mid, "p5": lo, "p95": hi}
    return (head + f"break-even median {report.fmt_count(mid)} queries, 5–95% "
            f"{report.fmt_count(lo)}–{report.fmt_count(hi)} (in {share:.0%} of samples"
            f"{zero})\n", record)
