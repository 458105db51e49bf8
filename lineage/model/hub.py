"""The Hub's models as columns (:class:`Hub`): what a dump or its index holds, one numpy
array per field, never a Python object per model, so that millions of models fit. Read by
:mod:`lineage.io.dump` and :mod:`lineage.io.index`; joined to a project by the engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from lineage.model.columns import csr, descendants_of, gather, starts
from lineage.model.errors import InputError, Position

if TYPE_CHECKING:
    from lineage.model.schema import StepKind

RELATIONS = ("", "finetune", "adapter", "quantized", "merge")
KIND_OF_RELATION: dict[str, StepKind] = {"finetune": "finetuning", "adapter": "finetuning",
                                         "quantized": "quantization", "merge": "merging"}


@dataclass(frozen=True)
class HubStep:
    """What a dump says of one model's own step: its kind (from the relation to its bases),
    its emissions in grams (None: not reported) and a note saying how it was read."""

    kind: StepKind
    grams: float | None
    note: str | None


def hub_step(hub: Hub, h: int, has_parents: bool) -> HubStep | None:
    """Node ``h``'s own step, or None when the dump gives it none: a parent the dump does not
    hold, or a line with neither a base model nor an emissions figure."""
    if h >= hub.n_models:
        return None
    grams = float(hub.emissions_g[h])
    known = not math.isnan(grams)
    if not has_parents and not known:
        return None
    relation = RELATIONS[int(hub.relation[h])]
    notes = [f"base_model_relation {relation}" + (" (inferred as the Hub does)"
                                                   if hub.inferred[h] else "")] \
        if has_parents else []
    if not known:
        notes.append("no co2_eq_emissions on the Hub: cost unknown")
    return HubStep(KIND_OF_RELATION.get(relation, "other"), grams if known else None,
                   "; ".join(notes) or None)


@dataclass
class Hub:
    """A dump as columns. Nodes ``0 … n_models-1`` are the dump's lines; the rest are stubs
    (parents named by a line but absent from the dump). Edges go ``parent[e] → child[e]``."""

    path: str
    ids: Sequence[str]
    n_models: int
    line: np.ndarray  # int64 line number per node (0 for stubs)
    parent: np.ndarray  # int64 per edge
    child: np.ndarray  # int64 per edge
    relation: np.ndarray  # int8 per node: index into RELATIONS (0: no parent)
    inferred: np.ndarray  # bool per node: relation inferred, not written
    emissions_g: np.ndarray  # float64 per node, NaN = not reported
    downloads: np.ndarray  # float64 per node, NaN = unknown
    params: np.ndarray  # float64 per node, NaN = unknown
    dates: np.ndarray | Callable[[], np.ndarray]  # see created; a reader may defer it
    skipped: list[InputError] = field(default_factory=list)
    kids: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)  # see downs
    up_start: np.ndarray | None = field(default=None, repr=False)  # see ups
    finder: Callable[[Iterable[str]], dict[str, int]] | None = field(default=None, repr=False)
    found: dict[str, int | None] = field(default_factory=dict, repr=False)  # find's answers

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def created(self) -> np.ndarray:
        """datetime64[D] per node, NaT = unknown (converted when first asked for: most
        queries never read a date)."""
        if callable(self.dates):
            self.dates = self.dates()
        return self.dates

    @property
    def ups(self) -> np.ndarray:
        """Where each node's parents start: node k's parents are
        ``parent[start[k]:start[k + 1]]`` (edges are sorted by child)."""
        if self.up_start is None:
            self.up_start = starts(self.n, self.child)
        return self.up_start

    @property
    def downs(self) -> tuple[np.ndarray, np.ndarray]:
        """The children by parent, as (start, child): node k's children are
        ``child[start[k]:start[k + 1]]``. An index stores them; a dump's are sorted once."""
        if self.kids is None:
            self.kids = csr(self.n, self.parent, self.child)
        return self.kids

    def children_of(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(parent, child) of every edge out of ``nodes``, vectorised."""
        start, child = self.downs
        return np.repeat(nodes, start[nodes + 1] - start[nodes]), gather(start, child, nodes)

    def own_kg(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(kgCO2e (k, 3), known (k,)) of ``nodes``: their ``co2_eq_emissions``, read in grams as
        the Hub defines it; 0 and not known where none is reported (docs/method.md, "Hub
        dumps")."""
        grams = self.emissions_g[nodes]
        known = ~np.isnan(grams)
        return np.repeat(np.where(known, grams / 1000, 0.0)[:, None], 3, axis=1), known

    def find(self, names: Iterable[str]) -> dict[str, int]:
        """The nodes of the Hub ids ``names``, compared without case as the Hub does (an exact
        spelling wins over another case).

        One pass over the ids for the names not looked up before (no dictionary of millions
        of entries for a few look-ups); answers are remembered.
        """
        wanted = set(names)
        todo = [n for n in wanted if n not in self.found]
        if todo:
            got = self.finder(todo) if self.finder is not None else find_ids(self.ids, todo)
            self.found.update((n, got.get(n)) for n in todo)
        return {n: h for n in wanted if (h := self.found[n]) is not None}

    def as_of(self, date: str, project: Mapping[int, bool] | None = None) -> tuple[Hub, int]:
        """The dump as it stood on ``date`` (YYYY-MM-DD): models created by then, without the
        descendants of those left out (a model cannot predate its base). Undated models are
        left out, as in the registry; stubs (parents the dump does not hold) stay. The lines
        ``project`` maps are project models: the project's date and parents decide whether
        they stay (True) or leave, with their descendants (docs/method.md#as-of). Returns the
        new dump and how many models were left out.
        """
        day = np.datetime64(date, "D")
        is_model = np.arange(self.n) < self.n_models
        late = is_model & (np.isnat(self.created) | (self.created > day))
        decided = np.zeros(self.n, dtype=bool)
        if project:
            lines = np.fromiter(project, dtype=np.int64, count=len(project))
            decided[lines] = True
            late[lines] = ~np.fromiter(project.values(), dtype=bool, count=len(project))
        free = ~decided[self.child]  # a project model keeps the parents it declares
        drop = np.zeros(self.n, dtype=bool)
        drop[descendants_of(self.n, self.parent[free], self.child[free],
                            np.flatnonzero(late))] = True
        keep = ~drop
        number = np.cumsum(keep) - 1
        edges = keep[self.parent] & keep[self.child]
        dated = Hub(path=self.path, ids=[self.ids[int(i)] for i in np.flatnonzero(keep)],
                    n_models=int((keep & is_model).sum()), line=self.line[keep],
                    parent=number[self.parent[edges]], child=number[self.child[edges]],
                    relation=self.relation[keep], inferred=self.inferred[keep],
                    emissions_g=self.emissions_g[keep], downloads=self.downloads[keep],
                    params=self.params[keep], dates=self.created[keep])
        return dated, int(drop.sum())

    def where(self, node: int) -> Position:
        return Position(self.path, int(self.line[node]), 1) if node < self.n_models \
            else Position(self.path)


def take_ids(ids: Sequence[str], nodes: np.ndarray) -> list[str]:
    """``[ids[k] for k in nodes]``, in one call where the ids can (``take``: an index's or a
    dump's Arrow column), so that a table of millions of rows does not decode its ids one at
    a time."""
    take = getattr(ids, "take", None)
    if take is not None:
        return list(take(nodes))
    return [ids[k] for k in nodes.tolist()]


def find_ids(ids: Sequence[str], names: Iterable[str],
             lowered: Sequence[str] | None = None) -> dict[str, int]:
    """``{name: position in ids}`` for the ``names`` found, exact spelling first, then any case.

    ``lowered`` may give ``ids`` already in lower case (lowering millions of ids costs).
    """
    wanted = {n.lower(): n for n in names}
    exact: dict[str, int] = {}
    folded: dict[str, int] = {}
    for i, (m, key) in enumerate(zip(ids, lowered if lowered is not None else
                                     map(str.lower, ids), strict=True)):
        if key in wanted:
            if m == wanted[key]:
                exact.setdefault(m, i)
            folded.setdefault(key, i)
    return {n: exact[n] if n in exact else folded[n.lower()] for n in set(names)
            if n in exact or n.lower() in folded}


