"""The ids of an index (:mod:`lineage.io.index`), read one at a time from the mapped Arrow
string column, and found by binary search in their case-folded order (no dictionary of
millions of strings)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from lineage.io.arrowcols import indices


class IndexIds(Sequence[str]):
    """``ids[i]`` decodes one id; ``find`` looks names up without case."""

    def __init__(self, column: Any, order: np.ndarray) -> None:
        self.column, self.order = column, order
        buffers = column.buffers()  # validity, offsets, bytes: checked by the index reader
        self.offsets = np.frombuffer(buffers[1], dtype=np.int32, count=len(column) + 1,
                                     offset=column.offset * 4)
        self.data = memoryview(buffers[2]) if buffers[2] is not None else memoryview(b"")

    def __len__(self) -> int:
        return len(self.column)

    def __getitem__(self, i: Any) -> Any:
        rows = range(len(self))[i]  # a row (from the end when negative; IndexError past it)
        if not isinstance(rows, range):
            return self.column[rows].as_py()
        if rows.step != 1:
            return [self[k] for k in rows]
        return self.column.slice(rows.start, len(rows)).to_pylist()

    def take(self, nodes: np.ndarray) -> list[str]:
        """The ids of ``nodes``, decoded in one call."""
        return list(self.column.take(indices(nodes)).to_pylist())

    def folded(self, k: int) -> bytes:
        """The k-th id in case-folded order, as the sort key (read from the bytes directly:
        a binary search reads about 21 of them per name)."""
        i = int(self.order[k])
        raw = bytes(self.data[int(self.offsets[i]):int(self.offsets[i + 1])])
        return raw.lower() if raw.isascii() else raw.decode("utf-8").lower().encode("utf-8")

    def find(self, names: Iterable[str]) -> dict[str, int]:
        """Binary search of each name, without case, in the ids sorted without case; among
        ids that differ only by case, the exact spelling wins, else the first line."""
        out: dict[str, int] = {}
        for name in set(names):
            key = name.lower().encode("utf-8")
            lo, hi = 0, len(self.order)
            while lo < hi:
                mid = (lo + hi) // 2
                if self.folded(mid) < key:
                    lo = mid + 1
                else:
                    hi = mid
            same = []
            while lo < len(self.order) and self.folded(lo) == key:
                same.append(int(self.order[lo]))
                lo += 1
            if same:
                exact = [i for i in same if self[i] == name]
                out[name] = min(exact or same)
        return out
