"""``lineage registry``: list what the bundled registry holds, with sources, in any format."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lineage.io.loader import load_files
from lineage.model.catalog import Catalog
from lineage.model.errors import UsageError, did_you_mean
from lineage.model.files import LoadedFile
from lineage.model.graph import source_spec
from lineage.model.interval import Interval
from lineage.model.spec_base import source_refs
from lineage.report.style import fit_table, terminal_width, use_colour
from lineage.report.tables import (
    fmt_kg,
    fmt_kwh,
    render_csv,
    render_markdown,
    to_json,
)


def _src(f: LoadedFile, ref: str | list[str] | None) -> str:
    out = []
    for r in source_refs(ref):
        s = source_spec(f, r)
        out.append(s.url or s.title or r)
    return " ; ".join(out)


def _files() -> tuple[list[LoadedFile], Catalog]:
    files = load_files(())
    return files, Catalog.build(files, [])  # the bundled registry: no error to collect


def _rows(what: str) -> tuple[tuple[str, ...], list[list[str]]]:
    files, cat = _files()
    head: tuple[str, ...]
    if what == "hardware":
        head = ("id", "name", "power", "memory", "released", "embodied", "source")
        rows = []
        for e in cat.hardware.entries.values():
            h = e.spec
            emb = ""
            if h.embodied is not None:
                emb = fmt_kg(h.embodied.emissions.mid) + (" (estimate)" if h.embodied.estimate
                                                          else "")
            power = "unknown" if h.power is None else f"{h.power.mid * 1000:,.0f} W"
            rows.append([e.id, h.name, power,
                         "" if h.memory is None else f"{h.memory.mid:g} GB", h.released or "",
                         emb, _src(e.file, h.source)])
        return head, rows
    if what == "grids":
        head = ("id", "name", "kind", "kgCO2e/kWh", "pue", "year", "source")
        return head, [[e.id, e.spec.name, e.spec.kind, f"{e.spec.intensity.mid:.4g}",
                       "" if e.spec.pue is None else f"{e.spec.pue.mid:g}", e.spec.year or "",
                       _src(e.file, e.spec.source)] for e in cat.grids.entries.values()]
    if what == "tasks":
        head = ("id", "name", "kWh per 1,000 queries", "median", "source")
        return head, [[e.id, e.spec.name, f"{e.spec.energy_per_1k_queries.mid:g}",
                       "" if e.spec.median_per_1k_queries is None else
                       f"{e.spec.median_per_1k_queries.mid:g}", _src(e.file, e.spec.source)]
                      for e in cat.tasks.entries.values()]
    if what == "equivalents":
        head = ("id", "name", "per", "source")
        return head, [[e.id, e.spec.name, e.spec.per, _src(e.file, e.spec.source)]
                      for e in cat.equivalents.entries.values()]
    head = ("id", "name", "family", "hf", "steps", "parents", "source")
    rows = []
    for f in files:
        for mid, m in f.spec.models.items():
            parents = sorted({p.model for s in m.steps for p in s.parents})
            srcs = [s.source for s in m.steps if s.source] or ([m.source] if m.source else [])
            rows.append([mid, m.name or "", f.spec.family or "", m.hf or "",
                         ", ".join(s.kind for s in m.steps), ", ".join(parents),
                         " ; ".join(dict.fromkeys(_src(f, s) for s in srcs if s))])
    return head, rows


def listing(what: str, fmt: str) -> str:
    """The registry table ``what`` in ``fmt`` (table, json, md, csv); a table is fit to the
    terminal (full width when piped)."""
    head, rows = _rows(what)
    return LISTING_WRITERS[fmt](head, rows)


LISTING_WRITERS: dict[str, Callable[[tuple[str, ...], list[list[str]]], str]] = {
    "json": lambda head, rows: to_json([dict(zip(head, r, strict=True)) for r in rows]),
    "csv": render_csv,
    "md": render_markdown,
    "table": lambda head, rows: fit_table(head, rows, terminal_width(), use_colour()),
}


def _plain(value: Any) -> Any:
    if isinstance(value, Interval):
        return value.mid if value.is_exact else [value.low, value.mid, value.high]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v not in (None, [], {}, False)}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def show(ident: str, fmt: str) -> str:
    """One registry entry in full, with its citations (quotes included)."""
    files, cat = _files()
    found: tuple[str, Any, LoadedFile] | None = None
    for kind, table in (("hardware", cat.hardware), ("grid", cat.grids), ("task", cat.tasks),
                        ("equivalent", cat.equivalents)):
        e = table.find(ident)
        if e is not None:
            found = (kind, e.spec, e.file)
            break
    if found is None:
        for f in files:
            for mid, m in f.spec.models.items():
                if ident.lower() in (mid.lower(), *(h.lower() for h in m.hub_ids)):
                    found = ("model", m, f)
    if found is None:
        names = [*cat.hardware.entries, *cat.grids.entries, *cat.tasks.entries,
                 *(m for f in files for m in f.spec.models)]
        raise UsageError(f'nothing in the registry is called "{ident}"'
                         + did_you_mean(ident, names))
    kind, spec, f = found
    data = _plain(spec.model_dump(by_alias=True))
    refs = _collect_refs(data)
    data = {"entry": kind, "file": f.doc.path, **data,
            "citations": {r: _plain(source_spec(f, r).model_dump()) for r in refs}}
    if fmt == "json":
        return to_json({**data, "units": INTERNAL_UNITS})
    return _as_text(data, 0) + ("\n" if fmt != "md" else "")


def _collect_refs(data: Any) -> list[str]:
    out: list[str] = []
    if isinstance(data, dict):
        for k, v in data.items():
            if k == "source":
                out += source_refs(v)
            else:
                out += _collect_refs(v)
    elif isinstance(data, list):
        for v in data:
            out += _collect_refs(v)
    return list(dict.fromkeys(out))


def _as_text(data: Any, depth: int) -> str:
    pad = "  " * depth
    lines = []
    if isinstance(data, dict):
        for k, v in data.items():
            nested = isinstance(v, dict) or (isinstance(v, list) and not _is_range(v))
            if nested and v:
                lines.append(f"{pad}{k}:")
                lines.append(_as_text(v, depth + 1))
            else:
                lines.append(f"{pad}{k}: {_scalar(k, v)}")
    else:
        for v in data:
            if isinstance(v, dict | list):
                lines.append(f"{pad}-")
                lines.append(_as_text(v, depth + 1))
            else:
                lines.append(f"{pad}- {v}")
    return "\n".join(lines)


INTERNAL_UNITS = {
    "power": "kW", "memory": "GB", "intensity": "kgCO2e/kWh", "lifetime": "h",
    "emissions": "kgCO2e", "energy": "kWh", "energy_per_1k_queries": "kWh",
    "std_per_1k_queries": "kWh", "median_per_1k_queries": "kWh", "gpu_hours": "GPU-h",
    "hours": "h", "days": "days",
}


def _one(key: str, v: float) -> str:
    if key == "power":
        return f"{v * 1000:,.4g} W"
    if key == "lifetime":
        return f"{v:,.0f} h ({v / 8760:.3g} years)"
    if key == "emissions":
        return fmt_kg(v)
    if key in ("energy", "energy_per_1k_queries", "std_per_1k_queries",
               "median_per_1k_queries"):
        return fmt_kwh(v) if v >= 1 else f"{v:g} kWh"
    if key in ("params", "tokens", "usage", "gpu_hours", "gpus"):
        return f"{v:,.0f}" if v >= 1000 else f"{v:g}"
    unit = INTERNAL_UNITS.get(key)
    return f"{v:.6g} {unit}" if unit else f"{v:.6g}"


def _is_range(v: list[Any]) -> bool:
    return len(v) == 3 and all(isinstance(x, float | int) for x in v)


def _scalar(key: str, value: Any) -> str:
    if isinstance(value, list) and _is_range(value):
        return f"{_one(key, value[1])} ({_one(key, value[0])} – {_one(key, value[2])})"
    if isinstance(value, bool) or not isinstance(value, float | int):
        return str(value)
    return _one(key, float(value))
