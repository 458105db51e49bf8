"""The reference tables' entries (docs/method.md#files): accelerators and their embodied
emissions, grid intensities, inference tasks, familiar equivalents."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
)

from lineage.model.spec_base import (
    Emissions,
    Energy,
    Intensity,
    Lifetime,
    Memory,
    Power,
    Pue,
    SourceRef,
    Spec,
)


class EmbodiedSpec(Spec):
    """Manufacturing emissions of one device, spread over its lifetime."""

    emissions: Emissions
    lifetime: Lifetime
    estimate: bool = False
    source: SourceRef | None = None
    note: str | None = None


class HardwareSpec(Spec):
    """An accelerator of the registry."""

    name: str
    vendor: str | None = None
    kind: Literal["gpu", "tpu", "accelerator", "cpu"] = "gpu"
    form_factor: str | None = None
    aliases: list[str] = Field(default_factory=list)
    power: Power | None = Field(None, description="rated power; leave out when unpublished")
    memory: Memory | None = None
    released: str | None = None
    source: SourceRef | None = None
    note: str | None = None
    embodied: EmbodiedSpec | None = None


class GridSpec(Spec):
    """The carbon intensity of a place's electricity, or of a publisher's method."""

    name: str
    kind: Literal["country", "region", "cloud", "world", "method"] = "region"
    intensity: Intensity
    year: str | None = None
    pue: Pue | None = None
    aliases: list[str] = Field(default_factory=list)
    source: SourceRef | None = None
    note: str | None = None


class TaskSpec(Spec):
    """Inference energy of a task, per 1,000 queries."""

    name: str
    energy_per_1k_queries: Energy
    std_per_1k_queries: Energy | None = None
    median_per_1k_queries: Energy | None = None
    output_tokens: int | None = Field(
        None, ge=1, description="typical tokens generated per query: the task is generative "
        "and a model of known size is costed with EcoLogits")
    source: SourceRef | None = None
    note: str | None = None


class EquivalentSpec(Spec):
    """A familiar unit: one of it equals ``per`` (an emission or an energy)."""

    name: str
    per: str = Field(description="emissions (e.g. 290 tCO2e) or energy (e.g. 0.022 kWh)")
    source: SourceRef | None = None
    note: str | None = None
