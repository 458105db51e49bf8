"""Hub-scale outputs: every model of a joined graph as streamed CSV, and the family of a root
over a project and a dump (JSON record, rows, text)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from lineage.model.interval import Interval
from lineage.report.escape import csv_cell, visible
from lineage.report.tables import CSV_COLUMNS, fmt, fmt_share

if TYPE_CHECKING:
    from lineage.core.arrays import ArrayResults
    from lineage.core.hubgraph import HubFamily, Joined


def csv_stream(j: Joined, r: ArrayResults, batch: int = 20_000) -> Iterator[str]:
    """``table --format csv`` for every model of the joined graph (figures ``r``), a batch of
    rows at a time."""
    policy = r.policy
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    if j.graph.n == 0:
        yield buf.getvalue()
    ids, g = j.graph.ids, j.graph
    for lo in range(0, g.n, batch):
        hi = min(lo + batch, g.n)
        sl = slice(lo, hi)
        own, cum = g.own_kg[sl], r.cumulative_kg[sl]
        inherited = cum - own
        kept = r.kept[sl] if r.kept is not None else None
        columns = [
            known_or_none(own[:, 1], own[:, 2], g.own_complete[sl]),
            known_or_none(inherited[:, 1], inherited[:, 2], r.inherited_complete[sl]),
            known_or_none(cum[:, 1], cum[:, 2], r.complete[sl]),
            known_or_none(cum[:, 1] * kept, cum[:, 2] * kept, r.complete[sl]) if kept is not None
            else [None] * (hi - lo),
            known_or_none(g.own_kwh[sl, 1], g.own_kwh[sl, 2], g.energy_complete[sl]),
            known_or_none(r.cumulative_kwh[sl, 1], r.cumulative_kwh[sl, 2], r.energy_complete[sl])]
        writer.writerows(zip(map(csv_cell, ids[lo:hi]), [csv_cell(policy)] * (hi - lo),
                             flags(r.complete[sl]),
                             *columns, flags(r.energy_complete[sl]), strict=True))
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()


def known_or_none(mid: np.ndarray, high: np.ndarray, complete: np.ndarray) -> list[float | None]:
    """Figures as :func:`lineage.report.tables.known` writes them: None where nothing is known."""
    unknown = ~complete & (high == 0)
    return [None if u else v for v, u in zip(mid.tolist(), unknown.tolist(), strict=True)]


def flags(values: np.ndarray) -> list[str]:
    return ["true" if v else "false" for v in values.tolist()]


def family_record(self: HubFamily) -> dict[str, Any]:
    """The keys of ``lineage family --format json`` (as without a dump) plus ``largest``."""
    return {"root": self.root, "models": self.ids, "complete": self.is_complete,
            "own_kgco2e_total": float(self.own_kg[:, 1].sum()),
            "own_kwh_total": float(self.own_kwh[:, 1].sum()), "coverage": self.coverage,
            "known": self.known, "unknown": self.unknown, "basis": self.basis,
            "reported_totals": self.reported_totals,
            "largest": [{"model": m, "kgco2e": v} for m, v in self.largest()]}


def family_rows(self: HubFamily) -> Iterator[list[Any]]:
    """(model, own_kgco2e, own_kwh, complete) per member, for CSV and Markdown."""
    kg = known_or_none(self.own_kg[:, 1], self.own_kg[:, 2], self.complete)
    kwh = known_or_none(self.own_kwh[:, 1], self.own_kwh[:, 2], self.energy_complete)
    for i, m in enumerate(self.ids):
        yield [m, kg[i], kwh[i], "true" if self.complete[i] else "false"]


def family_text(self: HubFamily) -> str:
    size, known = len(self.ids), int(self.complete.sum())
    total = Interval(*self.own_kg.sum(axis=0).tolist())
    energy = Interval(*self.own_kwh.sum(axis=0).tolist())
    lines = [f"Family of {self.root}: {size:,} models (the root and all its "
             "descendants, each counted once)",
             f"  own cost, summed   {fmt(total, self.is_complete)}   "
             f"{fmt(energy, bool(self.energy_complete.all()), 'kwh')}",
             f"  coverage           {fmt_share(self.coverage)} of models have a known own cost "
             f"({known:,}/{size:,})",
             "  basis              " + (", ".join(f"{v:.0%} {b}" for b, v in
                                                  self.basis.items()) or "none known")]
    largest = self.largest()
    if largest:
        lines.append("  largest known own costs:")
        lines += [f"    {visible(m):<48} {fmt(Interval.exact(v), True):>14}" for m, v in largest]
    for t in self.reported_totals:
        lines.append(f"  reported jointly   {fmt(Interval.exact(t['kgco2e']), True)} for "
                     f"{', '.join(t['models'])}" + (f" — {t['note']}" if t["note"] else ""))
    return visible("\n".join(lines)) + "\n"
