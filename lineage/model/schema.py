"""The file format of docs/method.md#files as pydantic models (``…Spec``), and its JSON Schema.

Every quantity is written as text with its unit and parsed by :mod:`lineage.model.units` into an
:class:`~lineage.model.interval.Interval` in internal units (kWh, kgCO2e, kW, kgCO2e/kWh, h).
Unknown keys are errors. Positions are not stored here: :mod:`lineage.io.validation` maps each
validation error back to the line and column of the YAML it came from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from lineage.model.catalog_specs import (
    EmbodiedSpec,
    EquivalentSpec,
    GridSpec,
    HardwareSpec,
    TaskSpec,
)
from lineage.model.interval import Interval
from lineage.model.spec_base import (
    DATE,
    Count,
    Days,
    Emissions,
    Energy,
    Fraction,
    GpuHours,
    Hours,
    Intensity,
    Power,
    Pue,
    SourceRef,
    SourceSpec,
    Spec,
    conflict,
    date_parts,
)

__all__ = [
    "ComputeSpec", "DefaultsSpec", "DeploymentSpec", "EmbodiedSpec", "EquivalentSpec",
    "FileSpec", "GridSpec", "HardwareSpec", "HorizonSpec", "ModelSpec", "ParentSpec",
    "ServingSpec", "SiteSpec", "SourceSpec", "StepKind", "StepSpec", "TaskSpec",
    "TeacherInferenceSpec", "TotalSpec", "conflict", "json_schema",
]

FORMAT_VERSION = 1

StepKind = Literal[
    "pretraining", "continued-pretraining", "distillation", "finetuning", "instruction-tuning",
    "preference-tuning", "pruning", "merging", "quantization", "other",
]


class SiteSpec(Spec):
    """Where and on what compute ran: the fields a file's ``defaults`` may set."""

    hardware: str | None = None
    power: Power | None = None
    utilization: Fraction | None = None
    pue: Pue | None = None
    grid: str | None = None
    intensity: Intensity | None = None

    @model_validator(mode="after")
    def _grid_or_intensity(self) -> SiteSpec:
        if self.grid is not None and self.intensity is not None:
            raise conflict("intensity", 'write either "grid" or "intensity", not both')
        return self


class DefaultsSpec(SiteSpec):
    """Values every step of the file inherits unless it sets its own."""


class ComputeSpec(SiteSpec):
    """The compute fields shared by steps and teacher inference (docs/method.md#step-costs)."""

    gpu_hours: GpuHours | None = None
    gpus: Count | None = None
    hours: Hours | None = None
    days: Days | None = None
    energy: Energy | None = None
    emissions: Emissions | None = None
    basis: Literal["reported", "measured"] | None = Field(
        None, description="what the given energy/emissions are: reported (default) or measured")
    source: SourceRef | None = None
    estimate: bool = Field(False, description="the compute inputs are an estimate, not reported")
    note: str | None = None

    @model_validator(mode="after")
    def _one_way_to_count(self) -> ComputeSpec:
        if self.gpu_hours is not None and self.gpus is not None:
            raise conflict("gpus", 'write either "gpu_hours" or "gpus" with "hours"/"days", '
                           "not both")
        if self.gpus is not None and (self.hours is None) == (self.days is None):
            raise conflict("hours" if self.hours is not None else "gpus",
                           '"gpus" needs exactly one of "hours" or "days"')
        if self.gpus is None and (self.hours is not None or self.days is not None):
            raise conflict("hours" if self.hours is not None else "days",
                           '"hours"/"days" need "gpus" (or write "gpu_hours")')
        return self

    @property
    def gpu_hours_total(self) -> Interval | None:
        """GPU-hours from ``gpu_hours``, ``gpus × hours`` or ``gpus × days × 24``."""
        total: Interval | None = self.gpu_hours_of(lambda x: x)
        return total

    def gpu_hours_of(self, value: Callable[[Interval], Any]) -> Any:
        """:attr:`gpu_hours_total` with each field read through ``value`` (Monte Carlo reads
        a sample of it: :mod:`lineage.core.montecarlo`); None when no field gives it."""
        if self.gpu_hours is not None:
            return value(self.gpu_hours)
        if self.gpus is None:
            return None
        if self.hours is not None:
            return value(self.gpus) * value(self.hours)
        assert self.days is not None
        return value(self.gpus) * value(self.days) * 24.0


class TeacherInferenceSpec(ComputeSpec):
    """Compute spent by teachers producing labels, logits or synthetic data for a step."""


class ParentSpec(Spec):
    """A parent written as a mapping: ``{model: ID, share: 0.2, role: teacher}``."""

    model: str
    share: Fraction | None = None
    role: Literal["base", "teacher"] | None = None


class StepSpec(ComputeSpec):
    """One step that produced a model: its kind, its parents and its compute."""

    kind: StepKind
    parents: list[ParentSpec] = Field(default_factory=list, alias="from")
    tokens: Count | None = None
    teacher_inference: TeacherInferenceSpec | None = None
    codecarbon: str | None = Field(
        None, description="a CodeCarbon emissions.csv, relative to this file: the energy and "
        "emissions of its runs, summed, with the basis measured")
    project_name: str | None = Field(None, description='keep the "codecarbon" runs of this project')
    run_id: str | None = Field(None, description='keep the "codecarbon" runs with this run_id')

    @field_validator("parents", mode="before")
    @classmethod
    def _parents_as_mappings(cls, value: Any) -> Any:
        items = [value] if isinstance(value, str | dict) else value
        if not isinstance(items, list):
            return items
        return [{"model": v} if isinstance(v, str) else v for v in items]

    @field_validator("codecarbon")
    @classmethod
    def _codecarbon_path(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError('codecarbon is empty: write the path of a CodeCarbon log, e.g. '
                             '"codecarbon: runs/emissions.csv", or remove the key')
        return value

    @model_validator(mode="after")
    def _codecarbon_alone(self) -> StepSpec:
        if self.codecarbon is not None:
            for key in ("energy", "emissions", "basis"):
                if getattr(self, key) is not None:
                    raise conflict(key, f'"codecarbon" gives the measured energy and emissions; '
                                   f'remove "{key}"')
        for key in ("project_name", "run_id"):
            if self.codecarbon is None and getattr(self, key) is not None:
                raise conflict(key, f'"{key}" filters the runs of a CodeCarbon log: add '
                               '"codecarbon: PATH/emissions.csv"')
        return self


class ServingSpec(SiteSpec):
    """How a model is served: the energy of a query, and where (docs/method.md#deployment)."""

    task: str | None = None
    energy_per_1k_queries: Energy | None = None
    gpu_hours_per_query: GpuHours | None = None
    output_tokens: int | None = Field(
        None, ge=1, le=10**9, description="tokens generated per query (generative tasks; "
        "default: the task's output_tokens)")
    quantization_bits: int | None = Field(
        None, ge=1, le=64, description="bit width of the served weights (default 16)")
    source: SourceRef | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_energy_basis(self) -> ServingSpec:
        ways = [self.task is not None, self.energy_per_1k_queries is not None,
                self.gpu_hours_per_query is not None]
        if sum(ways) != 1:
            raise conflict("task", 'write exactly one of "task", '
                           '"energy_per_1k_queries" or "gpu_hours_per_query"')
        if self.output_tokens is not None and self.task is None:
            raise conflict("output_tokens", '"output_tokens" sizes a "task"; with '
                           '"energy_per_1k_queries" or "gpu_hours_per_query" remove it')
        return self


class DeploymentSpec(ServingSpec):
    """The inference footprint of a model in use (docs/method.md#deployment, ``deployment:``):
    how it is served, and how much."""

    queries_per_day: Count
    days: Days


class HorizonSpec(Spec):
    """The number of derivatives a model's cost is amortized over, with its date and source
    (docs/method.md, "Amortization horizon"). Under ``equal`` each derivative takes
    1 / (1 + derivatives) of the parent's cost while it has no more children than that, so a
    derivative someone else adds moves nobody else's figures."""

    derivatives: int = Field(ge=0)
    as_of: str = Field(description="YYYY-MM-DD: when the count was read")
    source: SourceRef | None = None
    note: str | None = None

    @field_validator("as_of")
    @classmethod
    def _day(cls, value: str) -> str:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f'as_of "{value}" is not a date: write YYYY-MM-DD') from None
        return value

class MirrorSpec(Spec):
    """A third-party re-upload of a model's identical weights on the Hugging Face Hub."""

    hf: str = Field(description="the re-upload's Hugging Face repo id")
    source: SourceRef = Field(description="what shows the weights are the model's own")
    note: str | None = None


class ModelSpec(Spec):
    """One model: a node of the lineage graph."""

    name: str | None = None
    params: Count | None = None
    active_params: Count | None = Field(
        None, description="parameters active per token (mixture of experts; default: params)")
    hf: str | None = Field(None, description="Hugging Face repo id, accepted wherever an id is")
    mirrors: list[MirrorSpec] = Field(default_factory=list, description="third-party "
                                      "re-uploads of the same weights: other names of this "
                                      "model, on the Hub and on the command line")
    released: str | None = Field(None, description="YYYY-MM-DD (or YYYY-MM, YYYY)")
    usage: Count | None = None
    expected_derivatives: int | None = Field(None, ge=0)
    horizon: HorizonSpec | None = None
    source: SourceRef | None = None
    note: str | None = None
    steps: list[StepSpec] = Field(default_factory=list)
    deployment: DeploymentSpec | None = None

    @model_validator(mode="after")
    def _one_horizon(self) -> ModelSpec:
        if self.horizon is not None and self.expected_derivatives is not None:
            raise conflict("horizon", 'write either "horizon" (dated, sourced) or '
                           '"expected_derivatives", not both')
        return self

    @property
    def hub_ids(self) -> list[str]:
        """The Hugging Face ids of this model's weights: its ``hf`` and its mirrors' (other
        names of the model, on the Hub and on the command line)."""
        return ([self.hf] if self.hf else []) + [m.hf for m in self.mirrors]

    @property
    def derivatives_horizon(self) -> int | None:
        """The derivatives this model's cost is amortized over under ``equal``, if declared."""
        return self.horizon.derivatives if self.horizon is not None \
            else self.expected_derivatives

    @field_validator("released")
    @classmethod
    def _date(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not DATE.match(value):
            raise ValueError(f'released "{value}" is not a date: write YYYY-MM-DD')
        try:
            dt.date(*date_parts(value))
        except ValueError:
            raise ValueError(f'released "{value}" is not a valid date') from None
        return value

    @model_validator(mode="after")
    def _active_within_total(self) -> ModelSpec:
        if self.active_params is not None and self.params is not None and \
                self.active_params.mid > self.params.mid:
            raise conflict("active_params", '"active_params" exceeds "params": the active '
                           "parameters are a part of the total")
        return self


class TotalSpec(Spec):
    """A figure published only for a group of models (e.g. Gemma 2's one total)."""

    models: list[str]
    emissions: Emissions | None = None
    energy: Energy | None = None
    gpu_hours: GpuHours | None = None
    source: SourceRef | None = None
    note: str | None = None


class FileSpec(Spec):
    """One lineage file: models and, for registry or user data, hardware, grids, tasks."""

    lineage: int = Field(description="format version; write 1")
    family: str | None = None
    organization: str | None = None
    checked: str | None = None
    description: str | None = None
    defaults: DefaultsSpec = Field(default_factory=DefaultsSpec)
    sources: dict[str, SourceSpec] = Field(default_factory=dict)
    models: dict[str, ModelSpec] = Field(default_factory=dict)
    totals: list[TotalSpec] = Field(default_factory=list)
    hardware: dict[str, HardwareSpec] = Field(default_factory=dict)
    grids: dict[str, GridSpec] = Field(default_factory=dict)
    tasks: dict[str, TaskSpec] = Field(default_factory=dict)
    equivalents: dict[str, EquivalentSpec] = Field(default_factory=dict)

    @field_validator("sources", mode="before")
    @classmethod
    def _url_shorthand(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {k: {"url": v} if isinstance(v, str) else v for k, v in value.items()}

    @field_validator("lineage", mode="before")
    @classmethod
    def _version(cls, value: Any) -> Any:
        if str(value).strip() != str(FORMAT_VERSION):
            raise ValueError(f'unsupported format version "{value}"; this lineage reads '
                             f'"lineage: {FORMAT_VERSION}"')
        return FORMAT_VERSION


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a lineage file, for editors' YAML language servers."""
    schema = FileSpec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "lineage file"
    defs = schema["$defs"]
    # The shorthands the reader accepts, which pydantic's "before" validators do not show:
    # `from: id`, `from: [id, {model: id, share: 0.2}]`, and `sources: {key: URL}`.
    parent = {"anyOf": [{"type": "string"}, {"$ref": "#/$defs/ParentSpec"}]}
    step_from = defs["StepSpec"]["properties"]["from"]
    step_from.pop("items", None)
    step_from.pop("type", None)
    step_from["anyOf"] = [{"type": "string"}, {"type": "array", "items": parent}]
    schema["properties"]["sources"]["additionalProperties"] = {
        "anyOf": [{"type": "string"}, {"$ref": "#/$defs/SourceSpec"}]}
    # YAML editors read `released: 2024` and `year: 2023` as integers.
    for spec in defs.values():
        for key in ("released", "year"):
            if key in spec.get("properties", {}):
                spec["properties"][key] = {"anyOf": [{"type": "string"}, {"type": "integer"},
                                                     {"type": "null"}], "default": None}
    schema["properties"]["checked"] = {"anyOf": [{"type": "string"}, {"type": "null"}],
                                       "default": None}
    return schema
