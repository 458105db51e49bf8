"""Inference in use (docs/method.md#deployment, ``deployment:``): energy and emissions of
serving a model, when inference overtakes the training cost, and the training cost amortized
per 1,000 queries.

energy per 1,000 queries comes from EcoLogits (a generative task served by a model of known
size: active and total parameters, output tokens, bit width, GPU memory), a registry task
(Luccioni et al. 2024, Table 2 means: other tasks, models of unknown size), an explicit
``energy_per_1k_queries``, or ``gpu_hours_per_query`` × 1,000 × power × utilization × PUE;
emissions = energy × intensity (``grid``/``intensity`` of the block, else the file's
defaults).
"""

from __future__ import annotations

from dataclasses import dataclass

from lineage.core.engine import ModelCost
from lineage.core.stepcost import Inputs, resolve_inputs
from lineage.model.catalog import Catalog
from lineage.model.errors import UsageError
from lineage.model.graph import ModelEntry
from lineage.model.interval import Interval
from lineage.model.schema import DeploymentSpec, ServingSpec


@dataclass(frozen=True)
class DeploymentCost:
    """The footprint of serving a model, beside its cumulative training cost."""

    model: str
    kwh_per_1k_queries: Interval
    kgco2e_per_1k_queries: Interval | None  # None when no intensity is known
    basis: str  # "EcoLogits 0.11.3 from 1.23B params, …", "Luccioni et al. task mean, …", …
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


@dataclass(frozen=True)
class Generation:
    """The inputs of an EcoLogits estimate: what is passed to ``compute_llm_impacts``."""

    active_params: Interval  # parameters used per token (params for a dense model)
    total_params: Interval  # all parameters (sets the memory, hence the GPU count)
    output_tokens: int
    pue: float  # 1 unless the deployment gives one (the task table is at the device too)
    quantization_bits: int | None  # None: EcoLogits' default (16)
    gpu_memory_gb: float | None  # None: EcoLogits' reference GPU (80 GB)

    def basis(self, version: str, hardware: str | None, tokens_from: str) -> str:
        """"EcoLogits 0.11.3 from 1.23B params, 400 output tokens (task default)" and the rest."""
        def billions(n: Interval) -> str:
            return f"{n.mid / 1e9:,.4g}B"  # 1.23B, 671B, 2,000B

        params = billions(self.total_params)
        if self.active_params.mid != self.total_params.mid:
            params = f"{billions(self.active_params)} active of {params}"
        parts = [f"EcoLogits {version} from {params} params",
                 f"{self.output_tokens:,} output tokens{tokens_from}"]
        if self.quantization_bits is not None:
            parts.append(f"{self.quantization_bits}-bit weights")
        if hardware is not None and self.gpu_memory_gb is not None:
            parts.append(f"{hardware} memory {self.gpu_memory_gb:g} GB")
        if self.pue != 1.0:
            parts.append(f"PUE {self.pue:g}")
        return ", ".join(parts)


def ecologits_kwh_per_query(g: Generation, params: str = "mid") -> float:
    """kWh of one query, as ``ecologits.impacts.llm.compute_llm_impacts`` computes it.

    ``params`` picks the low, mid or high parameter count. Only the energy is read, so the
    electricity-mix factors are passed as 0 (EcoLogits multiplies them after the energy).
    EcoLogits is imported here, not at start-up; it computes locally (no network).
    """
    from ecologits.impacts.llm import compute_llm_impacts

    options: dict[str, float | int] = {}
    if g.quantization_bits is not None:
        options["model_quantization_bits"] = g.quantization_bits
    if g.gpu_memory_gb is not None:
        options["gpu_memory"] = g.gpu_memory_gb
    impacts = compute_llm_impacts(
        model_active_parameter_count=getattr(g.active_params, params) / 1e9,
        model_total_parameter_count=getattr(g.total_params, params) / 1e9,
        output_token_count=g.output_tokens, if_electricity_mix_adpe=0.0,
        if_electricity_mix_pe=0.0, if_electricity_mix_gwp=0.0, if_electricity_mix_wue=0.0,
        datacenter_pue=g.pue, datacenter_wue=0.0, **options)
    return float(impacts.energy.value)  # type: ignore[arg-type]  # floats in, a float out


def generation(spec: ServingSpec, entry: ModelEntry, tokens: int, cat: Catalog) -> Generation:
    """The EcoLogits inputs for ``entry`` served as ``spec`` (``entry`` has ``params``)."""
    total = entry.spec.params
    assert total is not None
    memory = None
    if spec.hardware is not None:
        hw = cat.hardware.find(spec.hardware)
        if hw is None:
            raise UsageError(str(cat.hardware.unknown(spec.hardware, None)))  # type: ignore[arg-type]
        memory = None if hw.spec.memory is None else hw.spec.memory.mid
    pue = 1.0 if spec.pue is None else spec.pue.mid
    return Generation(entry.spec.active_params or total, total, tokens, pue,
                      spec.quantization_bits, memory)


def energy_per_1k(spec: ServingSpec, entry: ModelEntry, cat: Catalog
                  ) -> tuple[Interval, str, Inputs]:
    """kWh per 1,000 queries, a phrase saying where it comes from, and the deployment's
    inputs (its intensity: the block's ``grid``/``intensity``, else the file's defaults).

    A generative task (one with ``output_tokens``) served by a model of known size is costed
    with EcoLogits; other tasks, and models without ``params``, take the task table's mean.
    """
    inputs = resolve_inputs([spec, entry.file.spec.defaults], cat, spec.gpu_hours_per_query)
    if spec.energy_per_1k_queries is not None:
        return spec.energy_per_1k_queries, "energy_per_1k_queries given", inputs
    if spec.task is not None:
        return (*_task_energy(spec, entry, cat), inputs)
    if inputs.energy_kwh is None:
        raise UsageError(f'{entry.id}: deployment needs "hardware" or "power" to turn '
                         "GPU-hours per query into energy")
    return inputs.energy_kwh * 1000.0, "GPU-hours per query × power × utilization × PUE", inputs


def _task_energy(spec: ServingSpec, entry: ModelEntry, cat: Catalog) -> tuple[Interval, str]:
    assert spec.task is not None
    task = cat.tasks.find(spec.task)
    if task is None:
        raise UsageError(f'unknown task "{spec.task}"')
    default = task.spec.output_tokens
    if default is None and spec.output_tokens is not None:
        raise UsageError(f'task "{task.id}" is not generative (the registry gives it no '
                         "output_tokens): output tokens apply to a generative task such as "
                         "text-generation")
    table = task.spec.energy_per_1k_queries
    if spec.pue is not None:
        table = table * spec.pue  # the table was measured at the device, without PUE
    mean = f"Luccioni et al. task mean, {task.id}"
    if default is None:
        return table, mean
    if entry.spec.params is None:
        return table, f"{mean}: {entry.id} has no params, so its size is unknown"
    tokens, tokens_from = (default, f", the {task.id} default") if spec.output_tokens is None \
        else (spec.output_tokens, " as given")
    g = generation(spec, entry, tokens, cat)
    if g.active_params.is_exact and g.total_params.is_exact:
        per_1k = Interval.exact(ecologits_kwh_per_query(g) * 1000.0)
    else:
        per_1k = Interval(*(ecologits_kwh_per_query(g, p) * 1000.0 for p in ("low", "mid", "high")))
    from ecologits import __version__

    return per_1k, g.basis(__version__, spec.hardware, tokens_from)


def deployment_cost(entry: ModelEntry, spec: DeploymentSpec, cat: Catalog,
                    training: ModelCost) -> DeploymentCost:
    """Serve ``entry`` as ``spec`` says, against its cumulative training cost ``training``."""
    per_1k, basis, inputs = energy_per_1k(spec, entry, cat)
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
