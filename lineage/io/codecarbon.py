"""Read CodeCarbon's ``emissions.csv``: the runs a step measured, summed.

CodeCarbon writes one row per run (or per ``flush()``, each with the run's totals so far) with
``duration`` (s), ``emissions`` (kg CO2eq) and ``energy_consumed`` (kWh, PUE already applied),
plus ``gpu_count``/``gpu_model`` and the location. The columns changed across versions (31 in
2.3.3, 38 in 3.3.0: ``experiment_id``, ``water_consumed``, ``wue`` and the utilization columns
were added), so they are read by header name and a missing optional column is tolerated.

A family file's step may name such a file (``codecarbon: runs/emissions.csv``, relative to the
YAML file), optionally with a ``project_name`` or ``run_id`` filter; :func:`resolve_steps`
replaces the key by the summed energy and emissions with the basis ``measured``. Such a path
stays inside the YAML file's folder (no ``..``, absolute path or link out of it) unless a
folder is allowed by ``LINEAGE_ALLOW_PATH`` (``lineage --allow-path DIR``); and since the user
did not name that file, no message quotes its cells.
"""

from __future__ import annotations

import csv
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lineage.io.reading import ReadRefused, read_limited
from lineage.model.errors import InputError, InputErrors, Position, collecting
from lineage.model.interval import Interval
from lineage.model.units import MAX_VALUE

if TYPE_CHECKING:
    from lineage.model.files import Document, PathKey
    from lineage.model.schema import FileSpec, StepSpec

REQUIRED = ("duration", "emissions", "energy_consumed")
MAX_CSV_BYTES = 100_000_000
ALLOW_ENV = "LINEAGE_ALLOW_PATH"


@dataclass(frozen=True)
class Measured:
    """The matching runs of one CodeCarbon file, summed."""

    path: str
    runs: int
    energy_kwh: float
    emissions_kgco2e: float
    gpu_hours: float | None
    gpu_model: str | None
    location: str | None
    codecarbon_version: str | None


@dataclass(frozen=True)
class _Row:
    line: int
    raw: str
    cells: dict[str, str]


def _fail(where: Position, message: str) -> InputErrors:
    return InputErrors([InputError(where, message)])


def _cell_column(raw: str, index: int) -> int:
    """The 1-based character column where field ``index`` of a CSV line starts."""
    field, quoted = 0, False
    for pos, ch in enumerate(raw):
        if field == index:
            return pos + 1
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            field += 1
    return len(raw) + 1 if field == index else 1


def _number(row: _Row, header: list[str], key: str, name: str, quote: bool = True) -> float:
    """The number in column ``key``; ``quote``: the message may show the cell."""
    text = (row.cells.get(key) or "").strip()
    where = Position(name, row.line, _cell_column(row.raw, header.index(key)))
    try:
        value = float(text)
    except ValueError:
        held = f'holds "{text}", not' if quote else "does not hold"
        raise _fail(where, f'column "{key}" {held} a number') from None
    if not math.isfinite(value) or not 0 <= value <= MAX_VALUE:
        held = f"holds {text}:" if quote else "holds a number out of range:"
        raise _fail(where, f'column "{key}" {held} expected a finite number between 0 '
                    "and 1e30")
    return value


def _rows(name: str, text: str) -> tuple[list[str], list[_Row]]:
    lines = text.splitlines(keepends=True)
    reader = csv.reader(lines)
    try:
        header = [h.strip() for h in next(reader, [])]
        rows: list[_Row] = []
        start = reader.line_num + 1
        for cells in reader:
            if cells:
                row = dict(zip(header, cells, strict=False))
                rows.append(_Row(start, lines[start - 1].rstrip("\r\n"), row))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise _fail(Position(name, reader.line_num, 1), f"not a CSV file: {exc}") from None
    return header, rows


def read_codecarbon(path: Path, *, project_name: str | None = None, run_id: str | None = None,
                    where: Position | None = None, filter_where: Position | None = None,
                    quote: bool = True) -> Measured:
    """Sum the runs of a CodeCarbon ``emissions.csv`` (those matching the filters, if given).

    Args:
        path: the CSV file.
        project_name: keep only the rows whose ``project_name`` is this.
        run_id: keep only the rows whose ``run_id`` is this.
        where: where a missing or unreadable file is reported (default: the file itself).
        filter_where: where a filter that matches no row is reported.
        quote: messages may quote the file's cells (False for a file the user did not name
            on the command line, such as a family file's ``codecarbon:`` log).

    Raises:
        InputErrors: a missing or unreadable file, a missing column, a cell that is not a
            number (at its line and column), or filters that match no row.

    Example:
        >>> from pathlib import Path
        >>> m = read_codecarbon(Path("tests/data/import/emissions.csv"), run_id="run-2")
        >>> m.runs, m.emissions_kgco2e
        (1, 0.75)
    """
    name = str(path)
    try:
        text = read_limited(path, MAX_CSV_BYTES).decode("utf-8-sig")
    except (ReadRefused, UnicodeDecodeError) as exc:
        reason = str(exc) if isinstance(exc, ReadRefused) else "not UTF-8 text"
        raise _fail(where or Position(name, 1, 1), f"cannot read CodeCarbon log {name}: "
                    f"{reason}") from None
    header, rows = _rows(name, text)
    filters = {k: v for k, v in (("project_name", project_name), ("run_id", run_id)) if v}
    missing = [c for c in (*REQUIRED, *filters) if c not in header]
    if missing or not rows:
        what = f"missing column(s) {', '.join(missing)}" if missing else "no run in the file"
        raise _fail(Position(name, 1, 1), f"not a CodeCarbon emissions.csv: {what}")
    kept = [r for r in rows if all(r.cells.get(k, "").strip() == v for k, v in filters.items())]
    if not kept:
        shown = "; ".join(f'{k} "{v}"' for k, v in filters.items())
        have = sorted({r.cells.get(k, "").strip() for r in rows for k in filters})
        listed = f"; the file has: {', '.join(have)}" if quote else ""
        raise _fail(filter_where or Position(name, 1, 1), f"no run in {name} has {shown}{listed}")
    return _sum(name, header, _last_of_each_run(name, header, kept, quote), quote)


def _last_of_each_run(name: str, header: list[str], rows: list[_Row],
                      quote: bool) -> list[_Row]:
    """One row per ``run_id``: the one with the longest ``duration``.

    Why: ``tracker.flush()`` appends a row with the run's totals so far, so several rows of one
    run are cumulative snapshots; adding them would count the start of the run again and again.
    """
    last: dict[str, _Row] = {}
    for i, row in enumerate(rows):
        key = row.cells.get("run_id", "").strip() or f"row {i}"
        old = last.get(key)
        if old is None or _number(row, header, "duration", name, quote) >= \
                _number(old, header, "duration", name, quote):
            last[key] = row
    return sorted(last.values(), key=lambda r: r.line)


def _sum(name: str, header: list[str], rows: list[_Row], quote: bool) -> Measured:
    energy = emissions = 0.0
    gpu_hours: float | None = 0.0
    for row in rows:
        energy += _number(row, header, "energy_consumed", name, quote)
        emissions += _number(row, header, "emissions", name, quote)
        if not max(energy, emissions) <= MAX_VALUE:  # each run is finite, their sum may not be
            raise _fail(Position(name, row.line, 1), "the runs up to this one sum to more than "
                        "1e30 kWh or kgCO2e: not a real measurement")
        count = (_number(row, header, "gpu_count", name, quote) if row.cells.get("gpu_count")
                 else None)
        if gpu_hours is not None and count is not None:
            gpu_hours += count * _number(row, header, "duration", name, quote) / 3600
            if not gpu_hours <= MAX_VALUE:
                raise _fail(Position(name, row.line, 1), "gpu_count × duration of the runs up "
                            "to this one pass 1e30 GPU-hours: not a real measurement")
        else:
            gpu_hours = None
    last = rows[-1].cells
    place = ", ".join(v for v in (last.get("region"), last.get("country_name")) if v)
    cloud = " ".join(v for v in (last.get("cloud_provider"), last.get("cloud_region")) if v)
    return Measured(name, len(rows), energy, emissions, gpu_hours or None,
                    _gpu_model(last.get("gpu_model")), (cloud or place) or None,
                    last.get("codecarbon_version") or None)


def _gpu_model(text: str | None) -> str | None:
    """``"8 x NVIDIA A100-SXM4-80GB"`` → ``"NVIDIA A100-SXM4-80GB"``."""
    if not text:
        return None
    return re.sub(r"^\s*\d+\s*x\s*", "", text).strip() or None


def _measured_step(doc: Document, loc: PathKey, step: StepSpec) -> StepSpec:
    assert step.codecarbon is not None
    where = doc.at((*loc, "codecarbon"), key=True)
    path = confined(Path(doc.path).parent, step.codecarbon, where)
    key = "run_id" if step.run_id else "project_name"
    m = read_codecarbon(path, project_name=step.project_name, run_id=step.run_id,
                        where=where, filter_where=doc.at((*loc, key), key=True), quote=False)
    shown = ", ".join(f"{k} {v}" for k, v in (("project_name", step.project_name),
                                               ("run_id", step.run_id)) if v)
    note = (f"{m.runs} CodeCarbon run(s) in {step.codecarbon}" + (f" ({shown})" if shown else "")
            + " summed; energy includes CodeCarbon's PUE")
    return step.model_copy(update={
        "energy": Interval.exact(m.energy_kwh), "emissions": Interval.exact(m.emissions_kgco2e),
        "basis": "measured", "note": step.note or note})


def allowed_folders() -> list[str]:
    """The folders named by ``LINEAGE_ALLOW_PATH`` (separated by ``os.pathsep``), resolved."""
    return [os.path.realpath(p) for p in os.environ.get(ALLOW_ENV, "").split(os.pathsep) if p]


def confined(folder: Path, written: str, where: Position) -> Path:
    """``written`` (a ``codecarbon:`` value) as a path inside ``folder`` or an allowed folder.

    The check is on the resolved path (``..`` and links followed) and says the same whether
    the file exists or not, so it cannot be used to probe the disk.

    Raises:
        InputErrors: the path leads outside (at ``where``).
    """
    path = folder / written
    real = os.path.realpath(path)
    roots = [os.path.realpath(folder), *allowed_folders()]
    if any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in roots):
        return path
    raise _fail(where, f'codecarbon path "{written}" leads outside the folder of {where.path}; '
                f"move the log beside the family file, or allow its folder with "
                f"lineage --allow-path DIR (or {ALLOW_ENV})")


def resolve_steps(doc: Document, spec: FileSpec) -> FileSpec:
    """``spec`` with every ``codecarbon:`` step's energy and emissions read from its log.

    Raises:
        InputErrors: every unreadable log, bad cell or empty filter, each at its place.
    """
    if not any(s.codecarbon for m in spec.models.values() for s in m.steps):
        return spec
    errors: list[InputError] = []
    models = {}
    for mid, model in spec.models.items():
        steps = []
        for i, step in enumerate(model.steps):
            if step.codecarbon is not None:
                with collecting(errors):
                    step = _measured_step(doc, ("models", mid, "steps", i), step)
            steps.append(step)
        models[mid] = model.model_copy(update={"steps": steps})
    InputErrors.raise_if_any(errors)
    return spec.model_copy(update={"models": models})
