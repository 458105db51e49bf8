"""Embodied hardware emissions (opt-in, ``--embodied``): the manufacturing emissions of the
accelerators a step ran on, spread over their lifetime by time share (SCI's
``M = TE × TiR / EL``): GPU-hours / lifetime hours × embodied kgCO2e per device.

Kept apart from operational figures and shown on its own line: it is never folded into them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lineage.core.stepcost import DirectCost
from lineage.model.catalog import Catalog
from lineage.model.interval import ZERO, Interval


@dataclass(frozen=True)
class EmbodiedPart:
    """One part's embodied share, with what it came from."""

    model: str
    step_kind: str
    part: str
    hardware: str | None
    gpu_hours: Interval | None
    lifetime_hours: Interval | None
    device_kgco2e: Interval | None
    is_estimate: bool  # the device figure is labelled an estimate in the registry

    @property
    def kgco2e(self) -> Interval | None:
        """GPU-hours / lifetime × device embodied emissions, or None when a figure is missing."""
        if self.gpu_hours is None or self.lifetime_hours is None or self.device_kgco2e is None:
            return None
        return self.gpu_hours * self.device_kgco2e * (1.0 / self.lifetime_hours.mid)


@dataclass(frozen=True)
class EmbodiedCost:
    """A model's own embodied emissions (the parts of its steps)."""

    model: str
    parts: tuple[EmbodiedPart, ...]

    @property
    def kgco2e(self) -> Interval:
        return sum((p.kgco2e or ZERO for p in self.parts), ZERO)

    @property
    def is_complete(self) -> bool:
        """True when every step has an embodied figure (and the model has steps)."""
        return bool(self.parts) and all(p.kgco2e is not None for p in self.parts)


def embodied_costs(direct: Mapping[str, DirectCost], cat: Catalog) -> dict[str, EmbodiedCost]:
    """Own embodied emissions of every model.

    Example:
        With 1,000 H100-hours and the registry's 164 kgCO2e over 3 years (26,280 h),
        a step bears 1,000 / 26,280 × 164 = 6.24 kgCO2e.
    """
    out: dict[str, EmbodiedCost] = {}
    for mid, d in direct.items():
        parts = []
        for s in d.steps:
            for p in s.parts:
                hw = cat.hardware.find(p.inputs.hardware) if p.inputs.hardware else None
                emb = hw.spec.embodied if hw is not None else None
                parts.append(EmbodiedPart(
                    mid, s.kind, p.label, hw.id if hw else None, p.inputs.gpu_hours,
                    emb.lifetime if emb else None, emb.emissions if emb else None,
                    bool(emb and emb.estimate)))
        out[mid] = EmbodiedCost(mid, tuple(parts))
    return out


def embodied_cumulative(results: Any, own: Mapping[str, EmbodiedCost], model: str
                        ) -> tuple[Interval, bool]:
    """``model``'s cumulative embodied emissions under the results' policy, and whether it
    is complete: its own and every contributing ancestor's embodied figure known (an
    ancestor's unknown hardware makes the student's figure a lower bound, "≥")."""
    cumulative = results.propagate({m: e.kgco2e for m, e in own.items()})[model]
    complete = own[model].is_complete and all(
        own[x.model].is_complete for x in results.costs[model].contributions)
    return cumulative, complete
