"""Turn measurements into lineage steps: CodeCarbon's ``emissions.csv``.

CodeCarbon writes one row per run with ``duration`` (s), ``emissions`` (kg CO2eq) and
``energy_consumed`` (kWh, PUE already applied), plus ``gpu_count``/``gpu_model`` and the
location. Columns changed across versions, so they are read by header name, and a missing
optional column is tolerated. The step it makes has ``basis: measured``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lineage.codecarbon import Measured, read_codecarbon
from lineage.errors import InputError, InputErrors, Position

__all__ = ["Measured", "hf_card_yaml", "read_codecarbon", "step_yaml"]

def step_yaml(m: Measured, model: str, parents: list[str], kind: str,
              hardware: str | None) -> str:
    """A lineage file with one model whose step is the measured runs."""
    import yaml

    step: dict[str, Any] = {"kind": kind}
    if parents:
        step["from"] = parents
    if m.gpu_hours is not None:
        step["gpu_hours"] = f"{m.gpu_hours:.6g}"
    if hardware is not None:
        step["hardware"] = hardware
    step |= {"energy": f"{m.energy_kwh:.6g} kWh", "emissions": f"{m.emissions_kgco2e:.6g} kgCO2e",
             "basis": "measured", "source": "codecarbon",
             "note": (f"{m.runs} CodeCarbon run(s) summed; energy includes PUE"
                      + (f"; location {m.location}" if m.location else "")
                      + (f"; GPU {m.gpu_model}" if m.gpu_model else ""))}
    data = {"lineage": 1,
            "sources": {"codecarbon": {
                "title": f"CodeCarbon log {Path(m.path).name}"
                         + (f" (CodeCarbon {m.codecarbon_version})" if m.codecarbon_version
                            else ""),
                "note": "imported with lineage import codecarbon"}},
            "models": {model: {"steps": [step]}}}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


KIND_FOR_RELATION = {"finetune": "finetuning", "adapter": "finetuning",
                     "quantized": "quantization", "merge": "merging"}


def hf_card_yaml(path: Path, model: str) -> str:
    """A lineage file from a Hugging Face model card's YAML front matter.

    Reads ``base_model`` (parents), ``base_model_relation`` (the step kind) and
    ``co2_eq_emissions`` — a bare number or ``{emissions: …}``, in GRAMS as the Hub defines it.

    Raises:
        InputErrors: no front matter, or an emissions value that is not a number.
    """
    import yaml

    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputErrors([InputError(Position(name, 1, 1), f"cannot read: {exc}")]) from None
    match = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", text, re.S)
    if not match:
        raise InputErrors([InputError(Position(name, 1, 1), "no YAML front matter (--- … ---) "
                                      "at the top of the model card")])
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise InputErrors([InputError(Position(name, 2, 1), f"front matter: {exc}")]) from None
    if not isinstance(meta, dict):
        raise InputErrors([InputError(Position(name, 2, 1), "front matter is not a mapping")])
    base = meta.get("base_model") or []
    parents = [str(b) for b in (base if isinstance(base, list) else [base])]
    kind = KIND_FOR_RELATION.get(str(meta.get("base_model_relation", "")),
                                 "finetuning" if parents else "pretraining")
    step: dict[str, Any] = {"kind": kind}
    if parents:
        step["from"] = parents
    co2 = meta.get("co2_eq_emissions")
    grams = co2.get("emissions") if isinstance(co2, dict) else co2
    notes = []
    if grams is not None:
        try:
            value = float(str(grams).strip().rstrip("g").strip())
        except ValueError:
            raise InputErrors([InputError(Position(name, 2, 1), f'co2_eq_emissions "{grams}" '
                                          "is not a number of grams")]) from None
        step["emissions"] = f"{value:.6g} gCO2e"
        if isinstance(co2, dict):
            notes += [f"{k}: {co2[k]}" for k in ("source", "training_type",
                                                  "geographical_location", "hardware_used")
                      if co2.get(k)]
    step["source"] = "card"
    if notes:
        step["note"] = "; ".join(notes)
    data = {"lineage": 1,
            "sources": {"card": {"title": f"model card {path.name}",
                                 "note": "co2_eq_emissions read in grams (Hugging Face)"}},
            "models": {model: {"steps": [step]}}}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
