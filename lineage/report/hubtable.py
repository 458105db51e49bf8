"""Hub-scale outputs: every model of a joined graph as streamed CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from lineage.report.escape import csv_cell
from lineage.report.tables import CSV_COLUMNS, known_or_none

if TYPE_CHECKING:
    from lineage.core.arrays import ArrayResults
    from lineage.core.hubgraph import Joined


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
                             *columns, flags(r.energy_complete[sl]),
                             flags(~g.own_complete[sl]), flags(~r.inherited_complete[sl]),
                             flags(~g.energy_complete[sl]), strict=True))
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()


def flags(values: np.ndarray) -> list[str]:
    return ["true" if v else "false" for v in values.tolist()]
