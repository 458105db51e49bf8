"""Output formats chosen from a table, one writer per ``--format``: every loaded model
(``table``), a family (``family``, over lineage files and maybe a hub dump) and models side by side
(``compare``; ``cost`` has its own in :mod:`lineage.report.costview`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lineage.core.records import cost_record
from lineage.report import tables as report
from lineage.report import views
from lineage.report.style import fit_lines, fit_table, terminal_width, use_colour
from lineage.report.views import COMPARE_COLUMNS, break_even_json, compare_rows, compare_text


def _table_text(results: Any, models: list[str]) -> str:
    return fit_table(report.TABLE_COLUMNS, report.table_rows(results, models), terminal_width(),
                     use_colour())


TABLE_WRITERS: dict[str, Callable[[Any, list[str]], str]] = {
    "json": lambda r, ms: report.to_json([cost_record(r, r.costs[m]) for m in ms]),
    "csv": lambda r, ms: report.render_csv(report.CSV_COLUMNS, report.csv_rows(r, ms)),
    "md": lambda r, ms: report.render_markdown(report.TABLE_COLUMNS, report.table_rows(r, ms)),
    "table": _table_text,
}

FAMILY_WRITERS: dict[str, Callable[[Any], str]] = {
    "json": lambda fam: report.to_json(views.family_record(fam)),
    "csv": lambda fam: report.render_csv(views.FAMILY_HEADER, views.family_rows(fam)),
    "md": lambda fam: report.render_markdown(views.FAMILY_HEADER, views.family_rows(fam)),
    "table": views.family_text,
}


# ``compare --task``: the models in use, as text and as JSON records (None without --task)
InUse = tuple[str, list[dict[str, Any]]] | None


def _compare_json(cmp: Any, policy: str, in_use: InUse) -> str:
    r = cmp.results
    record = {"policy": policy,
              "models": [cost_record(r, r.costs[m]) for m in cmp.models],
              "break_even": [break_even_json(b) for b in cmp.break_evens]}
    return report.to_json(record if in_use is None else {**record, "in_use": in_use[1]})


def _compare_md(cmp: Any, policy: str, in_use: InUse) -> str:
    text = "" if in_use is None else in_use[0]
    return report.render_markdown(COMPARE_COLUMNS, compare_rows(cmp)) + (
        f"\n```text{text}```\n" if text else "")


def _compare_table(cmp: Any, policy: str, in_use: InUse) -> str:
    return fit_lines(compare_text(cmp) + ("" if in_use is None else in_use[0]), terminal_width())


# (the comparison, the --policy asked for, the models in use)
COMPARE_WRITERS: dict[str, Callable[[Any, str, InUse], str]] = {
    "json": _compare_json,
    "csv": lambda cmp, policy, in_use: TABLE_WRITERS["csv"](cmp.results, cmp.models),
    "md": _compare_md,
    "table": _compare_table,
}
