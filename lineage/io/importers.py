"""``lineage import codecarbon``: a CodeCarbon log (read by :mod:`lineage.io.codecarbon`) as a
lineage file with one measured step. Model cards are imported by :mod:`lineage.io.hfimport`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lineage.io.codecarbon import Measured, read_codecarbon
from lineage.model.errors import InputError, InputErrors, Position

__all__ = ["Measured", "checked", "read_codecarbon", "step_yaml"]


def checked(data: dict[str, Any], origin: str) -> str:
    """``data`` as YAML text, once it is known to be a valid lineage file; an importer writes
    nothing ``validate`` refuses.

    Raises:
        InputErrors: what validation found, said of the import (this would be a bug: every
            figure is checked where it is read).
    """
    import yaml

    from lineage.io.validation import validate_document
    from lineage.io.yamlio import parse_text

    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    try:
        validate_document(parse_text(f"<imported from {origin}>", text))
    except InputErrors as exc:
        raise InputErrors([InputError(Position(origin), "the imported file would "
                                      f"not validate: {e.message}; nothing was written")
                           for e in exc.errors]) from None
    return text


def step_yaml(m: Measured, model: str, parents: list[str], kind: str,
              hardware: str | None) -> str:
    """A lineage file with one model whose step is the measured runs."""
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
    return checked(data, m.path)
