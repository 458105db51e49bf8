"""The Vector Institute's DIA report (``dia_report`` in a model card's front matter).

Schema v0.1 (VectorInstitute/ai-impact-accounting, ``src/ai_impact_accounting/schema/
dia_schema.json``): ``scope`` (must be ``incremental``: a node reports only its own delta),
``lineage[]`` of ``{model, relation}``, ``compute.{hardware.{gpu, count}, duration_gpu_hours}``,
``footprint.{energy_kwh, carbon_kgco2eq, water_liters}`` each ``{value: x | [lo, hi], quality}``,
``context.{region, carbon_intensity, wue_l_per_kwh}`` and ``tool``.

An incremental report is exactly our own (direct) cost of a model, so the "family sum" DIA
computes (each member's interval once) is what ``lineage family`` computes. Quality tiers map to
our bases: ``measured`` → measured; ``estimated-*`` and ``imputed`` → a figure labelled
``estimate: true``; ``unavailable`` → the figure is left out (unknown; the card's own
``co2_eq_emissions`` stands in for unavailable carbon). A step has one basis for both figures:
:func:`lineage.io.hfcards._dia_step` lets the emissions figure decide it. A value is a number or
``[low, high]``; a reversed pair is an error. Water is not modelled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lineage.model.errors import InputError
from lineage.model.files import Document, PathKey
from lineage.model.interval import Interval
from lineage.model.units import MAX_VALUE

KIND_OF_DIA_RELATION = {  # the DIA report's relation words (the Hub's, and more)
    "finetune": "finetuning", "lora": "finetuning", "qlora": "finetuning",
    "adapter": "finetuning", "quantized": "quantization", "merge": "merging",
    "distill": "distillation", "fork": "other"}
ENTRY = "{model: ORG/NAME, relation: " + "|".join(KIND_OF_DIA_RELATION) + "}"  # in messages
QUALITIES = ("measured", "estimated-from-region", "estimated-from-default-wue",
             "estimated-from-hardware", "imputed", "unavailable")


@dataclass(frozen=True)
class Figure:
    """One footprint figure: its value (kWh or kgCO2e) and DIA's quality tier."""

    value: Interval
    quality: str | None

    @property
    def is_known(self) -> bool:
        return self.quality != "unavailable"

    @property
    def is_estimate(self) -> bool:
        return self.quality is not None and (self.quality.startswith("estimated")
                                             or self.quality == "imputed")


@dataclass(frozen=True)
class DiaReport:
    """What a ``dia_report`` block says about one model's own (incremental) cost."""

    parents: tuple[tuple[str, str], ...]  # (Hub id, relation)
    energy: Figure | None
    carbon: Figure | None
    gpu: str | None
    gpu_hours: float | None
    region: str | None
    carbon_intensity: str | None
    tool: str | None

    @property
    def kind(self) -> str | None:
        """Our step kind, from the first parent's relation (as DIA takes its ``method``)."""
        return KIND_OF_DIA_RELATION.get(self.parents[0][1]) if self.parents else None

    def note(self) -> str:
        parts = [f"DIA report ({self.tool or 'tool not named'})"]
        for label, fig in (("energy", self.energy), ("carbon", self.carbon)):
            if fig is not None:
                parts.append(f"{label} quality {fig.quality or 'not given'}")
        if self.region:
            parts.append(f"region {self.region}")
        if self.carbon_intensity:
            parts.append(f"carbon intensity {self.carbon_intensity} kgCO2/kWh")
        relations = sorted({r for _, r in self.parents})
        if relations:
            parts.append("relation " + "/".join(relations))
        return "; ".join(parts)


def _mapping(data: Any) -> dict[str, Any]:
    return data if isinstance(data, dict) else {}


def _float(text: Any) -> float | None:
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and 0 <= value <= MAX_VALUE else None


def _figure(doc: Document, loc: PathKey, data: Any, errors: list[InputError]) -> Figure | None:
    if data is None:
        return None
    if not isinstance(data, dict) or "value" not in data:
        errors.append(InputError(doc.at(loc), 'a DIA footprint figure is {value: x, quality: …}'))
        return None
    raw, quality = data["value"], data.get("quality")
    if quality is not None and quality not in QUALITIES:
        errors.append(InputError(doc.at((*loc, "quality")), f'unknown DIA quality "{quality}"; '
                                 f"expected one of: {', '.join(QUALITIES)}"))
        return None
    values = [_float(v) for v in (raw if isinstance(raw, list) else [raw])]
    if len(values) not in (1, 2) or any(v is None for v in values):
        errors.append(InputError(doc.at((*loc, "value")), f'DIA value "{raw}" is not a number '
                                 "between 0 and 1e30 or a [low, high] pair"))
        return None
    lo, hi = values[0], values[-1]
    assert lo is not None and hi is not None
    if lo > hi:
        # An error, not a silent swap: DIA's schema writes [low, high], and lineage refuses a
        # reversed range in its own files too ("20..10 kWh"); a reversed pair may be a typo or
        # two figures pasted the wrong way round, and guessing would hide that.
        # (only a [low, high] list has two ends)
        errors.append(InputError(doc.at((*loc, "value")), f"DIA range [{', '.join(map(str, raw))}]"
                                 f" is reversed: write [low, high], e.g. [{hi:g}, {lo:g}]"))
        return None
    return Figure(Interval(lo, (lo + hi) / 2, hi), quality)


def read_dia(doc: Document, loc: PathKey, block: Any, errors: list[InputError]
             ) -> DiaReport | None:
    """Read the ``dia_report`` mapping at ``loc`` of ``doc`` (every scalar a string).

    Problems are appended to ``errors`` at their line; None when the block is unusable.
    """
    if not isinstance(block, dict):
        errors.append(InputError(doc.at(loc), "dia_report must be a mapping"))
        return None
    scope = block.get("scope", "incremental")
    if scope != "incremental":
        errors.append(InputError(doc.at((*loc, "scope")), f'DIA scope "{scope}" is not '
                                 '"incremental": a cumulative figure would count ancestors twice'))
        return None
    parents: list[tuple[str, str]] = []
    items = block.get("lineage") or []
    if not isinstance(items, list):
        example = f"[{{model: {items}, relation: finetune}}]" if isinstance(items, str) else \
            "[{model: ORG/NAME, relation: finetune}]"
        errors.append(InputError(doc.at((*loc, "lineage")),
                                 f"DIA lineage is a list of {ENTRY} entries, e.g. {example}"))
        items = []
    for i, item in enumerate(items):
        model = item.get("model") if isinstance(item, dict) else None
        relation = item.get("relation", "finetune") if isinstance(item, dict) else None
        if not model or relation not in KIND_OF_DIA_RELATION:
            errors.append(InputError(doc.at((*loc, "lineage", i)),
                                     f"a DIA lineage entry is {ENTRY}"))
            continue
        parents.append((str(model), str(relation)))
    fp = _mapping(block.get("footprint"))
    energy = _figure(doc, (*loc, "footprint", "energy_kwh"), fp.get("energy_kwh"), errors)
    carbon = _figure(doc, (*loc, "footprint", "carbon_kgco2eq"), fp.get("carbon_kgco2eq"),
                     errors)
    compute = _mapping(block.get("compute"))
    context = _mapping(block.get("context"))
    gpu = _mapping(compute.get("hardware")).get("gpu")
    return DiaReport(tuple(parents), energy, carbon, str(gpu) if gpu else None,
                     _float(compute.get("duration_gpu_hours")),
                     context.get("region") or None, context.get("carbon_intensity") or None,
                     block.get("tool") or None)
