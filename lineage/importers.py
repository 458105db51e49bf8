"""Turn measurements into lineage steps: CodeCarbon's ``emissions.csv``.

CodeCarbon writes one row per run with ``duration`` (s), ``emissions`` (kg CO2eq) and
``energy_consumed`` (kWh, PUE already applied), plus ``gpu_count``/``gpu_model`` and the
location. Columns changed across versions, so they are read by header name, and a missing
optional column is tolerated. The step it makes has ``basis: measured``.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lineage.errors import InputError, InputErrors, Position

REQUIRED = ("duration", "emissions", "energy_consumed")


@dataclass(frozen=True)
class Measured:
    """The runs of one CodeCarbon file, summed."""

    path: str
    runs: int
    energy_kwh: float
    emissions_kgco2e: float
    gpu_hours: float | None
    gpu_model: str | None
    location: str | None
    codecarbon_version: str | None


def _number(row: dict[str, str], key: str, where: Position) -> float:
    text = (row.get(key) or "").strip()
    try:
        value = float(text)
    except ValueError:
        raise InputErrors([InputError(where, f'column "{key}" holds "{text}", not a '
                                      "number")]) from None
    if not math.isfinite(value) or value < 0:
        raise InputErrors([InputError(where, f'column "{key}" holds {text}: expected a '
                                      "finite number ≥ 0")])
    return value


def read_codecarbon(path: Path) -> Measured:
    """Sum the runs of a CodeCarbon ``emissions.csv``.

    Raises:
        InputErrors: an unreadable file, a missing column, or a cell that is not a number,
            at its line and column.
    """
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputErrors([InputError(Position(name, 1, 1), f"cannot read: {exc}")]) from None
    rows = list(csv.DictReader(io.StringIO(text)))
    header = next(csv.reader(io.StringIO(text)), [])
    missing = [c for c in REQUIRED if c not in header]
    if missing or not rows:
        what = f"missing column(s) {', '.join(missing)}" if missing else "no run in the file"
        raise InputErrors([InputError(Position(name, 1, 1), f"not a CodeCarbon emissions.csv: "
                                      f"{what}")])
    energy = emissions = 0.0
    gpu_hours: float | None = 0.0
    for i, row in enumerate(rows):
        where = Position(name, i + 2, 1)
        energy += _number(row, "energy_consumed", where)
        emissions += _number(row, "emissions", where)
        count = _gpu_count(row.get("gpu_count"))
        if gpu_hours is not None and count is not None:
            gpu_hours += count * _number(row, "duration", where) / 3600
        else:
            gpu_hours = None
    last = rows[-1]
    place = ", ".join(v for v in (last.get("region"), last.get("country_name")) if v)
    cloud = " ".join(v for v in (last.get("cloud_provider"), last.get("cloud_region")) if v)
    return Measured(name, len(rows), energy, emissions, gpu_hours or None,
                    _gpu_model(last.get("gpu_model")), (cloud or place) or None,
                    last.get("codecarbon_version") or None)


def _gpu_count(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def _gpu_model(text: str | None) -> str | None:
    """``"8 x NVIDIA A100-SXM4-80GB"`` → ``"NVIDIA A100-SXM4-80GB"``."""
    if not text:
        return None
    return re.sub(r"^\s*\d+\s*x\s*", "", text).strip() or None


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
