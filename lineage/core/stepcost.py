"""One step's energy and emissions (docs/method.md#step-costs).

energy = ``energy`` if given, else GPU-hours × power × utilization × PUE;
emissions = ``emissions`` if reported, else energy × intensity. A teacher-inference block
is costed the same way and charged to its step. An input that cannot be found makes the
figure unknown (``complete=False``): it is never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lineage.model.catalog import Catalog
from lineage.model.errors import Position, Warning_
from lineage.model.files import LoadedFile
from lineage.model.graph import ModelEntry, Project, source_spec
from lineage.model.interval import ZERO, Interval, total
from lineage.model.schema import ComputeSpec, DefaultsSpec, SiteSpec, StepSpec
from lineage.model.spec_base import source_refs

WARN_GAP = 0.25  # reported vs estimated emissions differing by more than this are flagged


@dataclass(frozen=True)
class Inputs:
    """What an estimate was computed from (None where not found)."""

    gpu_hours: Interval | None
    power_kw: Interval | None
    utilization: Interval
    pue: Interval
    intensity_kgco2e_per_kwh: Interval | None
    intensity_from: str  # grid id or "intensity"
    hardware: str | None = None  # the registry hardware id the step ran on, if named

    @property
    def energy_kwh(self) -> Interval | None:
        """GPU-hours × power × utilization × PUE (docs/method.md#step-costs); None without
        GPU-hours or power. (:mod:`lineage.core.montecarlo` samples the same product.)"""
        if self.gpu_hours is None or self.power_kw is None:
            return None
        return self.gpu_hours * self.power_kw * self.utilization * self.pue


@dataclass(frozen=True)
class PartCost:
    """The cost of a step's training part or of its teacher inference."""

    label: str
    energy_kwh: Interval
    energy_basis: str  # reported | measured | estimated | unknown
    emissions_kgco2e: Interval
    emissions_basis: str  # reported | measured | estimated | assumed (an assumed grid) | unknown
    estimate_kgco2e: Interval | None  # the estimate shown beside a reported figure
    inputs: Inputs
    sources: tuple[str, ...]
    is_estimate_input: bool
    note: str | None

    @property
    def is_complete(self) -> bool:
        return self.emissions_basis != "unknown"

    @property
    def is_energy_complete(self) -> bool:
        return self.energy_basis != "unknown"


@dataclass(frozen=True)
class StepCost:
    """A step and its parts (training, then teacher inference if any)."""

    model: str
    index: int
    kind: str
    parents: tuple[str, ...]
    parts: tuple[PartCost, ...]

    @property
    def emissions_kgco2e(self) -> Interval:
        return total([p.emissions_kgco2e for p in self.parts])

    @property
    def energy_kwh(self) -> Interval:
        return total([p.energy_kwh for p in self.parts])

    @property
    def is_complete(self) -> bool:
        return all(p.is_complete for p in self.parts)

    @property
    def is_energy_complete(self) -> bool:
        return all(p.is_energy_complete for p in self.parts)


@dataclass
class DirectCost:
    """d(v): the steps that produced one model, summed."""

    model: str
    steps: list[StepCost] = field(default_factory=list)

    @property
    def emissions_kgco2e(self) -> Interval:
        return total([s.emissions_kgco2e for s in self.steps])

    @property
    def energy_kwh(self) -> Interval:
        return total([s.energy_kwh for s in self.steps])

    @property
    def is_complete(self) -> bool:
        """False when any step is unknown, or the model has no step at all."""
        return bool(self.steps) and all(s.is_complete for s in self.steps)

    @property
    def is_energy_complete(self) -> bool:
        return bool(self.steps) and all(s.is_energy_complete for s in self.steps)

    def by_basis(self) -> dict[str, float]:
        """Central emissions (kgCO2e) by basis: reported, measured, estimated."""
        out: dict[str, float] = {}
        for s in self.steps:
            for p in s.parts:
                if p.is_complete:
                    out[p.emissions_basis] = out.get(p.emissions_basis, 0.0) + \
                        p.emissions_kgco2e.mid
        return out


def _innermost(levels: Sequence[SiteSpec], key: str, ref: str, table: Any
               ) -> tuple[Interval | None, str]:
    """(value, where from) for ``power`` or ``intensity``: the innermost level's own ``key``
    ("power"), else the figure of the entry its ``ref`` names (a hardware or grid id)."""
    for level in levels:
        if getattr(level, key) is not None:
            return getattr(level, key), key
        name = getattr(level, ref)
        if name is not None:
            entry = table.find(name)
            return (None, "") if entry is None else (getattr(entry.spec, key), entry.id)
    return None, ""


def resolve_inputs(levels: Sequence[SiteSpec], cat: Catalog, gpu_hours: Interval | None
                   ) -> Inputs:
    """Find power, utilization, PUE and intensity through ``levels`` (innermost first)."""
    hardware = next((lv.hardware for lv in levels if lv.hardware is not None), None)
    found = cat.hardware.find(hardware) if hardware is not None else None
    power, _ = _innermost(levels, "power", "hardware", cat.hardware)
    intensity, intensity_from = _innermost(levels, "intensity", "grid", cat.grids)
    pue = _pue(levels, cat) or Interval.exact(1.0)
    utilization = next((lv.utilization for lv in levels if lv.utilization is not None),
                       Interval.exact(1.0))
    return Inputs(gpu_hours, power, utilization, pue, intensity, intensity_from,
                  found.id if found is not None else None)


def _pue(levels: Sequence[SiteSpec], cat: Catalog) -> Interval | None:
    """The innermost PUE: a level's own ``pue``, else the PUE of the grid that level names.

    Why: a step that names a grid with a published PUE (e.g. Meta's method grid) is more
    specific than a file-wide ``defaults.pue``.
    """
    for level in levels:
        if level.pue is not None:
            return level.pue
        grid = cat.grids.find(level.grid) if level.grid is not None else None
        if grid is not None and grid.spec.pue is not None:
            return grid.spec.pue
    return None


def _sources(f: LoadedFile, ref: str | list[str] | None) -> tuple[str, ...]:
    """The sources ``ref`` names, each once: "title <url>", else the title, url or key."""
    texts = []
    for r in source_refs(ref):
        s = source_spec(f, r)
        texts.append(f"{s.title} <{s.url}>" if s.title and s.url else s.title or s.url or r)
    return tuple(dict.fromkeys(texts))


def part_cost(label: str, block: ComputeSpec, levels: Sequence[SiteSpec],
              cat: Catalog, f: LoadedFile, fallback_source: str | list[str] | None,
              assumed_grid: str | None = None) -> PartCost:
    """Cost one compute block; ``levels`` lists where inputs are looked up, innermost first.

    ``assumed_grid`` is used only where no level names a grid or an intensity; emissions
    estimated with it have the basis ``assumed`` (never ``estimated``), so they stay visible.
    """
    located = any(lv.grid is not None or lv.intensity is not None for lv in levels)
    if assumed_grid is not None and not located:
        levels = [*levels, DefaultsSpec(grid=assumed_grid)]
    inputs = resolve_inputs(levels, cat, block.gpu_hours_total)
    given: str = block.basis or "reported"
    energy, energy_basis = block.energy, given
    if energy is None:
        energy, energy_basis = inputs.energy_kwh, "estimated"
    estimate = None
    if energy is not None and inputs.intensity_kgco2e_per_kwh is not None:
        estimate = energy * inputs.intensity_kgco2e_per_kwh
    emissions, emissions_basis = block.emissions, given
    if emissions is None:
        emissions, estimate = estimate, None
        emissions_basis = "estimated" if located or assumed_grid is None else "assumed"
    return PartCost(
        label=label,
        energy_kwh=energy or ZERO,
        energy_basis=energy_basis if energy is not None else "unknown",
        emissions_kgco2e=emissions or ZERO,
        emissions_basis=emissions_basis if emissions is not None else "unknown",
        estimate_kgco2e=estimate,
        inputs=inputs,
        sources=_sources(f, block.source or fallback_source),
        is_estimate_input=block.estimate,
        note=block.note,
    )


def step_cost(entry: ModelEntry, index: int, step: StepSpec, cat: Catalog,
              parents: tuple[str, ...], assumed_grid: str | None = None) -> StepCost:
    """Cost step ``index`` of ``entry``, with its teacher inference if any."""
    f = entry.file
    defaults = f.spec.defaults
    fallback = entry.spec.source
    parts = [part_cost("training", step, [step, defaults], cat, f, fallback, assumed_grid)]
    ti = step.teacher_inference
    if ti is not None:
        parts.append(part_cost("teacher inference", ti, [ti, step, defaults], cat, f,
                               step.source or fallback, assumed_grid))
    return StepCost(entry.id, index, step.kind, parents, tuple(parts))


def direct_cost(entry: ModelEntry, project: Project) -> DirectCost:
    """d(v) of one model (of ``project``, or a hub dump's model beside it), step by step."""
    d = DirectCost(entry.id)
    for i, step in enumerate(entry.spec.steps):
        parents = tuple(sorted({project.resolve(p.model) or p.model for p in step.parents}))
        d.steps.append(step_cost(entry, i, step, project.catalog, parents,
                                 project.assumed_grid))
    return d


def direct_costs(project: Project) -> dict[str, DirectCost]:
    """d(v) for every model of ``project``."""
    return {mid: direct_cost(entry, project) for mid, entry in project.models.items()}


def gap_warnings(project: Project, costs: dict[str, DirectCost]) -> list[Warning_]:
    """Warnings where a reported figure and its estimate differ by more than 25%, and where a
    model is released before one of its parents."""
    return release_order_warnings(project) + [w for _, w in estimate_gaps(project, costs)]


def estimate_gaps(project: Project, costs: Mapping[str, DirectCost]
                  ) -> list[tuple[str, Warning_]]:
    """(model, warning) where a reported figure and its estimate differ by more than 25 %."""
    out: list[tuple[str, Warning_]] = []
    for mid, d in costs.items():
        entry = project.models[mid]
        for s in d.steps:
            for k, p in enumerate(s.parts):
                est, rep = p.estimate_kgco2e, p.emissions_kgco2e
                if est is None or p.emissions_basis == "estimated" or est.mid <= 0:
                    continue
                gap = (rep.mid - est.mid) / est.mid
                if abs(gap) > WARN_GAP:
                    loc: tuple[str | int, ...] = ("models", mid, "steps", s.index)
                    if k:
                        loc = (*loc, "teacher_inference")
                    where: Position = entry.file.doc.at((*loc, "emissions"))
                    out.append((mid, Warning_(
                        where, f'{mid}: reported {p.label} emissions {rep.mid / 1000:,.4g} '
                        f"tCO2e differ from the estimate {est.mid / 1000:,.4g} tCO2e by "
                        f"{gap:+.0%}")))
    return out


def release_order_warnings(project: Project) -> list[Warning_]:
    """A model released before one of its parents, compared at the dates' common precision
    ("2024" is not before "2024-06")."""
    out: list[Warning_] = []
    for mid, entry in project.models.items():
        released = entry.spec.released
        if released is None:
            continue
        for parent in project.parents(mid):
            other = project.models.get(parent)
            before = other.spec.released if other is not None else None
            if before is None:
                continue
            a, b = released.split("-"), before.split("-")
            n = min(len(a), len(b))
            if [int(x) for x in a[:n]] < [int(x) for x in b[:n]]:
                out.append(Warning_(entry.file.doc.at(("models", mid, "released")),
                                    f'{mid}: released {released}, before its parent "{parent}" '
                                    f"(released {before}); check the dates"))
    return out
