"""The record of one model: every figure, its completeness, contributions and steps with
their inputs, as plain values (docs/method.md#outputs). ``lineage cost --format json`` prints
it, ``ModelCost.to_dict()`` returns it. Arguments are a
:class:`~lineage.core.engine.Results` and its :class:`~lineage.core.engine.ModelCost` (typed
``Any`` here: the engine imports this module, not the other way round).
"""

from __future__ import annotations

import functools
from typing import Any

from lineage.model.interval import Interval


def known(value: Interval | None, complete: bool) -> Interval | None:
    """``value``, or None when nothing of it is known (incomplete, and its known part is 0):
    an unknown figure is written null (JSON) or left empty (CSV), never as a zero."""
    return None if value is None or (not complete and value.high == 0) else value


def figures(c: Any) -> dict[str, tuple[Interval | None, bool]]:
    """Each figure of a :class:`~lineage.core.engine.ModelCost` by its record key, with the
    completeness that decides whether it is known (in the order the record lists them)."""
    return {
        "own_kgco2e": (c.own_kgco2e_bound, c.is_own_complete),
        "inherited_kgco2e": (c.inherited_kgco2e_bound, c.is_inherited_complete),
        "cumulative_kgco2e": (c.cumulative_kgco2e_bound, c.is_complete),
        "attributed_kgco2e": (c.attributed_kgco2e_bound, c.is_complete),
        "own_kwh": (c.own_kwh_bound, c.is_own_energy_complete),
        "inherited_kwh": (c.inherited_kwh_bound, c.is_inherited_energy_complete),
        "cumulative_kwh": (c.cumulative_kwh_bound, c.is_energy_complete),
        "attributed_kwh": (c.attributed_kwh_bound, c.is_energy_complete),
    }


# The figures whose completeness ``complete`` and ``energy_complete`` (the cumulative and
# attributed figures') do not give: each carries ``<figure>_is_lower_bound``, true when it
# misses an unknown part (its value the known part, or null when nothing is known), the name
# model-card metadata uses (docs/method.md#completeness)
FLAGGED = ("own_kgco2e", "inherited_kgco2e", "own_kwh", "inherited_kwh")


def figure(out: dict[str, Any], key: str, value: Interval | None, ranged: bool) -> None:
    out[key] = None if value is None else value.mid
    if ranged:
        out[f"{key}_low"] = None if value is None else value.low
        out[f"{key}_high"] = None if value is None else value.high


def cost_record(results: Any, c: Any) -> dict[str, Any]:
    """The JSON object of docs/method.md#outputs for one model (kgCO2e and kWh)."""
    entry = results.project.models[c.model]
    ranged = not all(v.is_exact for v in (c.own_kgco2e_bound, c.cumulative_kgco2e_bound,
                                           c.own_kwh_bound, c.cumulative_kwh_bound))
    out: dict[str, Any] = {
        "model": c.model, "name": entry.label, "hf": entry.spec.hf, "policy": c.policy,
        "complete": c.is_complete, "energy_complete": c.is_energy_complete,
        "conserving": results.is_conserving, "unknown": list(c.unknown),
        "basis": {b: round(v, 6) for b, v in c.basis.items()},
    }
    for key, (value, complete) in figures(c).items():
        figure(out, key, known(value, complete), ranged)
        if key in FLAGGED:
            out[f"{key}_is_lower_bound"] = not complete
    contributions = []
    for x in c.contributions:
        item: dict[str, Any] = {"model": x.model, "share": x.coefficient,
                                "complete": x.is_complete}
        figure(item, "kgco2e", known(x.kgco2e, x.is_complete), ranged)
        figure(item, "kwh", known(x.kwh, results.direct[x.model].is_energy_complete), ranged)
        contributions.append(item)
    out["contributions"] = contributions
    out["cautions"] = results.cautions(c.model)
    out |= provenance(results.project, results.policy)
    if c.policy == "equal":
        from lineage.core.horizon import horizons_above

        found = horizons_above(results.project, [x.model for x in c.contributions],
                               results.children)
        if found:
            out["horizons"] = [h.record() for h in found]
    out["steps"] = step_records(results, c.model)
    return out


def step_records(results: Any, model: str) -> list[dict[str, Any]]:
    """Own steps with their parts, bases, estimates and sources."""
    steps = []
    for s in results.direct[model].steps:
        parts = []
        for p in s.parts:
            parts.append({
                "part": p.label, "kgco2e": p.emissions_kgco2e.mid if p.is_complete else None,
                "kwh": p.energy_kwh.mid if p.is_energy_complete else None,
                "emissions_basis": p.emissions_basis, "energy_basis": p.energy_basis,
                "estimate_kgco2e": None if p.estimate_kgco2e is None else p.estimate_kgco2e.mid,
                "gpu_hours": None if p.inputs.gpu_hours is None else p.inputs.gpu_hours.mid,
                "inputs_are_estimates": p.is_estimate_input, **step_inputs(results, p.inputs),
                "sources": list(p.sources), "note": p.note,
            })
        steps.append({"kind": s.kind, "from": list(s.parents), "parts": parts})
    return steps


def step_inputs(results: Any, i: Any) -> dict[str, Any]:
    """What a part's estimate was computed from, as the table shows it (internal units)."""
    hw = results.project.catalog.hardware.find(i.hardware) if i.hardware else None
    grid = i.intensity_from if i.intensity_from not in ("", "intensity") else None
    return {
        "hardware": i.hardware, "hardware_name": hw.spec.name if hw else None,
        "power_kw": None if i.power_kw is None else i.power_kw.mid,
        "utilization": i.utilization.mid, "pue": i.pue.mid, "grid": grid,
        "intensity_kgco2e_per_kwh": None if i.intensity_kgco2e_per_kwh is None
        else i.intensity_kgco2e_per_kwh.mid,
        "defaults": defaults_applied(i) if i.gpu_hours is not None and i.power_kw is not None
        else [],
    }


def defaults_applied(i: Any) -> list[str]:
    """The defaults an estimate rests on: 100% of TDP, PUE 1 (the values used when none is
    given; a value of exactly 1 is read as the default)."""
    return [text for value, text in ((i.utilization, "100% of TDP"), (i.pue, "PUE 1"))
            if value.is_exact and value.mid == 1]


def provenance(project: Any, policy: str | None, hub: str | None = None) -> dict[str, Any]:
    """The keys every JSON document carries (docs/method.md#outputs): ``inputs``
    (:func:`inputs_record`) and ``as_of``, the date of ``--as-of`` or None."""
    return {"inputs": inputs_record(project, policy, hub), "as_of": project.as_of}


def inputs_record(project: Any, policy: str | None, hub: str | None = None) -> dict[str, Any]:
    """What a result was computed from (docs/method.md#outputs, "inputs"), the block every
    JSON document carries: the lineage version, the bundled registry (its newest
    ``checked:`` date and one sha256 over its files), every other file read (``hub``: a dump
    or index given with ``-f``) with its sha256, the policy (None for a view without one)
    and the options. Two teams with the same block get the same figures; the same inputs give
    byte-identical JSON."""
    import hashlib

    from lineage.model.version import __version__

    registry = [f for f in project.files if f.is_registry]
    digest = hashlib.sha256()
    for f in registry:
        digest.update(f"{_name(f.doc.path)}\0{f.doc.sha256}\n".encode())
    checked = [str(f.spec.checked) for f in registry if f.spec.checked]
    files = {_shown(f.doc.path): f.doc.sha256 for f in project.files if not f.is_registry}
    if hub is not None:
        files.setdefault(_shown(hub), None)
    return {
        "lineage": __version__,
        "registry": {"files": len(registry), "checked": str(max(checked)) if checked else None,
                     "sha256": digest.hexdigest()} if registry else None,
        # a dump is read as columns, not as a document: its bytes are hashed here
        "files": [{"path": path, "sha256": sha or file_sha256(path)}
                  for path, sha in files.items()],
        "policy": policy,
        "options": {"as_of": project.as_of, "assume_grid": project.assumed_grid},
    }


def file_sha256(path: str) -> str | None:
    """The sha256 of the file at ``path``, read in blocks, once per version of the file (a
    ``table`` of many records names the same dump); None when it cannot be read."""
    import os

    try:
        st = os.stat(path)
    except OSError:
        return None
    return _sha256(os.path.abspath(path), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=8)
def _sha256(path: str, mtime_ns: int, size: int) -> str | None:
    import hashlib

    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        return None


def _name(path: str) -> str:
    """A registry file's name within the registry (the same wherever lineage is installed)."""
    parts = path.replace("\\", "/").split("/")
    return "/".join(parts[-2:]) if len(parts) > 1 and parts[-2] == "families" else parts[-1]


def _shown(path: str) -> str:
    """A file's path relative to the working folder when it lies inside it (so the record is
    the same on every machine for the same checkout), else as given."""
    import os

    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive
        return path
    return path if rel.startswith("..") else rel.replace(os.sep, "/")
