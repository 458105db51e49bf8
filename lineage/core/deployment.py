"""Inference in use (docs/method.md#deployment, ``deployment:``): energy and emissions of
serving a model, when inference overtakes the training cost, and the training cost amortized
per 1,000 queries.

energy per 1,000 queries comes from a registry task (Luccioni et al. 2024, Table 2 means), an
explicit ``energy_per_1k_queries``, or ``gpu_hours_per_query`` × 1,000 × power × utilization
× PUE; emissions = energy × intensity (``grid``/``intensity`` of the block, else the file's
defaults).
"""

from __future__ import annotations

from dataclasses import dataclass

from lineage.core.engine import ModelCost
from lineage.core.stepcost import resolve_inputs
from lineage.model.catalog import Catalog
from lineage.model.errors import UsageError
from lineage.model.graph import ModelEntry
from lineage.model.interval import Interval
from lineage.model.schema import DeploymentSpec


@dataclass(frozen=True)
class DeploymentCost:
    """The footprint of serving a model, beside its cumulative training cost."""

    model: str
    kwh_per_1k_queries: Interval
    kgco2e_per_1k_queries: Interval | None  # None when no intensity is known
    basis: str  # "task text-generation (Luccioni et al. 2024)", "explicit", "GPU-hours"
    queries: float
    days: float
    queries_per_day: float
    energy_kwh: Interval
    emissions_kgco2e: Interval | None
    training_kgco2e: Interval
    training_complete: bool

    @property
    def break_even_queries(self) -> float | None:
        """Queries after which inference emissions exceed the cumulative training emissions."""
        per = self.kgco2e_per_1k_queries
        if per is None or per.mid <= 0:
            return None
        return self.training_kgco2e.mid / per.mid * 1000

    @property
    def break_even_days(self) -> float | None:
        q = self.break_even_queries
        return None if q is None or self.queries_per_day <= 0 else q / self.queries_per_day

    @property
    def training_kgco2e_per_1k_queries(self) -> float | None:
        """Cumulative training emissions spread over the deployment's queries."""
        return None if self.queries <= 0 else self.training_kgco2e.mid / self.queries * 1000


def energy_per_1k(spec: DeploymentSpec, entry: ModelEntry, cat: Catalog) -> tuple[Interval, str]:
    """kWh per 1,000 queries and a phrase saying where it comes from."""
    if spec.energy_per_1k_queries is not None:
        return spec.energy_per_1k_queries, "energy_per_1k_queries given"
    if spec.task is not None:
        task = cat.tasks.find(spec.task)
        if task is None:
            raise UsageError(f'unknown task "{spec.task}"')
        return task.spec.energy_per_1k_queries, f"registry task {task.id} (mean per 1,000)"
    assert spec.gpu_hours_per_query is not None
    inputs = resolve_inputs([spec, entry.file.spec.defaults], cat, spec.gpu_hours_per_query)
    if inputs.power_kw is None:
        raise UsageError(f'{entry.id}: deployment needs "hardware" or "power" to turn '
                         "GPU-hours per query into energy")
    per_query = spec.gpu_hours_per_query * inputs.power_kw * inputs.utilization * inputs.pue
    return per_query * 1000.0, "GPU-hours per query × power × utilization × PUE"


def deployment_cost(entry: ModelEntry, spec: DeploymentSpec, cat: Catalog,
                    training: ModelCost) -> DeploymentCost:
    """Serve ``entry`` as ``spec`` says, against its cumulative training cost ``training``."""
    per_1k, basis = energy_per_1k(spec, entry, cat)
    inputs = resolve_inputs([spec, entry.file.spec.defaults], cat, None)
    if spec.task is not None and spec.pue is not None:
        per_1k = per_1k * spec.pue  # task figures were measured at the device, without PUE
    intensity = inputs.intensity_kgco2e_per_kwh
    per_1k_kg = None if intensity is None else per_1k * intensity
    queries = spec.queries_per_day.mid * spec.days.mid
    return DeploymentCost(
        model=entry.id, kwh_per_1k_queries=per_1k, kgco2e_per_1k_queries=per_1k_kg,
        basis=basis, queries=queries, days=spec.days.mid,
        queries_per_day=spec.queries_per_day.mid,
        energy_kwh=per_1k * (queries / 1000),
        emissions_kgco2e=None if per_1k_kg is None else per_1k_kg * (queries / 1000),
        training_kgco2e=training.cumulative_kgco2e_bound, training_complete=training.is_complete,
    )
