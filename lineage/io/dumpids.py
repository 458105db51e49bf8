"""The ids of a dump read with pyarrow (issue 12): kept as the Arrow column they were read
into, decoded one at a time when a model is named (a query names a few of 1.86M), and found
without case by a hash look-up in C (:class:`Folded`). No list of millions of Python strings
is built unless the whole column is walked."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

import numpy as np

from lineage.io.arrowcols import filled, indices, strings

MANY = 10_000  # ids decoded one at a time before the whole column is decoded at once


class ColumnIds(Sequence[str]):
    """The dump's ids (an Arrow string array), then the stubs appended after them.

    ``ids[i]`` decodes one id; a walk over all of them (``list(ids)``, a table of every
    model) decodes the column once, after :data:`MANY` single look-ups or at the first
    iteration.
    """

    def __init__(self, column: Any) -> None:
        self.column = column
        self.extra: list[str] = []
        self.decoded: list[str] | None = None
        self.calls = 0

    def __len__(self) -> int:
        return len(self.column) + len(self.extra)

    def append(self, name: str) -> None:
        self.extra.append(name)
        if self.decoded is not None:
            self.decoded.append(name)

    def whole(self) -> list[str]:
        """Every id as a Python list (decoded once, then kept)."""
        if self.decoded is None:
            self.decoded = [*self.column.to_pylist(), *self.extra]
        return self.decoded

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> list[str]: ...

    def __getitem__(self, i: Any) -> Any:
        if self.decoded is not None:
            return self.decoded[i]
        if isinstance(i, slice):
            return self.whole()[i]
        i = range(len(self))[int(i)]  # from the end when negative; IndexError past it
        n = len(self.column)
        self.calls += 1
        if self.calls > MANY:
            return self.whole()[i]
        return str(self.column[i].as_py()) if i < n else self.extra[i - n]

    def __iter__(self) -> Iterator[str]:
        return iter(self.whole())

    def take(self, nodes: np.ndarray) -> list[str]:
        """The ids of ``nodes``, decoded in one call (a batch of a table's rows)."""
        if self.decoded is not None:
            return [self.decoded[k] for k in nodes.tolist()]
        n = len(self.column)
        inside = nodes < n
        if inside.all():
            return list(self.column.take(indices(nodes)).to_pylist())
        return [str(self.column[k].as_py()) if k < n else self.extra[k - n]
                for k in nodes.tolist()]


class Folded:
    """Finds Hub ids, without case, in a column of the ids in lower case (one hash look-up in
    C per call: no dictionary of millions of Python strings). Used when no two ids are alike
    in any case, so that the exact spelling has nothing to win over."""

    def __init__(self, folded: Any) -> None:
        self.folded = folded

    def extend(self, ids: list[str]) -> None:
        import pyarrow as pa

        if ids:
            self.folded = pa.concat_arrays([self.folded.cast(pa.string()),
                                            strings([m.lower() for m in ids])])

    def __call__(self, names: Iterable[str]) -> dict[str, int]:
        names = list(names)
        folded = list(dict.fromkeys(n.lower() for n in names))
        at = dict(zip(folded, self.nodes(folded).tolist(), strict=True))
        return {n: at[n.lower()] for n in names if at[n.lower()] >= 0}

    def nodes(self, folded_names: Sequence[str]) -> np.ndarray:
        """The node of each name (distinct names, already in lower case), -1 where none.

        The column is searched for the names (a hash table of the names, probed by each id),
        not the names in the column: hashing a few thousand names costs little, hashing the
        millions of ids would cost a third of a second at each call.
        """
        import pyarrow.compute as pc

        out = np.full(len(folded_names), -1, dtype=np.int64)
        if not len(folded_names):
            return out
        which = filled(pc.index_in(self.folded, value_set=strings(list(folded_names))), -1)
        hit = np.flatnonzero(which >= 0)
        out[which[hit]] = hit  # ids are unique without case: one node per name at most
        return out

    def join(self, names: Any, n: int) -> tuple[np.ndarray, list[str]]:
        """The node of each parent name in the Arrow array ``names``, and the stubs to append
        after the ``n`` ids: parents absent from the dump, in the order they are first named,
        one for all the spellings of an id. Each distinct name is looked up once (the
        dictionary of the names keeps the order they are first named in)."""
        encoded = names.dictionary_encode()
        distinct = encoded.dictionary.to_pylist()
        folded = [m.lower() for m in distinct]
        unique = list(dict.fromkeys(folded))
        found = dict(zip(unique, self.nodes(unique).tolist(), strict=True))
        node, stub_names = with_stubs(distinct, [found[key] for key in folded], n)
        return np.array(node, dtype=np.int64)[filled(encoded.indices)], stub_names


def with_stubs(distinct: Sequence[str], found: Sequence[int], n: int
               ) -> tuple[list[int], list[str]]:
    """The node of each of the ``distinct`` parent names (``found``: its node, or -1 when the
    dump does not hold it), and the stubs to append after the ``n`` ids for those it does not
    hold: one for all the spellings of an id, in the order they are first named."""
    stubs_by_key: dict[str, int] = {}
    stub_names: list[str] = []
    nodes = []
    for name, h in zip(distinct, found, strict=True):
        if h < 0:
            key = name.lower()
            if key not in stubs_by_key:
                stubs_by_key[key] = n + len(stub_names)
                stub_names.append(name)
            h = stubs_by_key[key]
        nodes.append(h)
    return nodes, stub_names
