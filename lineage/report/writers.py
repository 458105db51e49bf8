"""Output formats chosen from a table, one writer per ``--format``: every loaded model
(``table``) and a family (``family``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lineage.report import tables as report


def _table_text(results: Any, models: list[str]) -> str:
    from lineage.report.style import fit_table, terminal_width, use_colour

    return fit_table(report.TABLE_COLUMNS, report.table_rows(results, models), terminal_width(),
                     use_colour())


TABLE_WRITERS: dict[str, Callable[[Any, list[str]], str]] = {
    "json": lambda r, ms: report.to_json([report.cost_record(r, r.costs[m]) for m in ms]),
    "csv": lambda r, ms: report.render_csv(report.CSV_COLUMNS, report.csv_rows(r, ms)),
    "md": lambda r, ms: report.render_markdown(report.TABLE_COLUMNS, report.table_rows(r, ms)),
    "table": _table_text,
}

FAMILY_HEADER = ("model", "own_kgco2e", "own_kwh", "complete")


def _family_rows(results: Any, fam: Any) -> list[list[Any]]:
    """(model, own kgCO2e, own kWh, complete) per member; unknown figures empty."""
    d = results.direct
    return [[m, getattr(report.known(d[m].emissions_kgco2e, d[m].is_complete), "mid", None),
             getattr(report.known(d[m].energy_kwh, d[m].is_energy_complete), "mid", None),
             str(d[m].is_complete).lower()] for m in fam.models]


FAMILY_WRITERS: dict[str, Callable[[Any, Any], str]] = {
    "json": lambda r, fam: report.to_json(report.family_record(r, fam)),
    "csv": lambda r, fam: report.render_csv(FAMILY_HEADER, _family_rows(r, fam)),
    "md": lambda r, fam: report.render_markdown(FAMILY_HEADER, _family_rows(r, fam)),
    "table": lambda r, fam: report.family_text(r, fam),
}
