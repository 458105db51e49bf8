"""A directed graph as columns: node i, edge e going ``parent[e] → child[e]`` (int64 arrays).

What any lineage graph needs whatever its size, with numpy and no Python loop per node:
adjacency in compressed rows, topological levels (a Kahn sort whose frontier is a whole
level), and the nodes below some roots. The engine (:mod:`lineage.core.arrays`) and the Hub's
columns (:mod:`lineage.model.hub`) both build on it.
"""

from __future__ import annotations

import numpy as np

IntArray = np.ndarray


class CycleError(ValueError):
    """The parent links loop; ``members`` are the models left unsorted (a cycle among them)."""

    def __init__(self, members: IntArray) -> None:
        super().__init__(f"{members.size} models are in or below a cycle")
        self.members = members


def csr(n: int, src: IntArray, dst: IntArray) -> tuple[IntArray, IntArray]:
    """(start, targets): the targets of node i are ``targets[start[i]:start[i + 1]]``."""
    targets = dst[np.argsort(src, kind="stable")]
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=start[1:])
    return start, targets


def gather(start: IntArray, targets: IntArray, frontier: IntArray) -> IntArray:
    """The targets of every node of ``frontier``, with repeats (one gather, no Python loop)."""
    lo = start[frontier]
    counts = start[frontier + 1] - lo
    total = int(counts.sum())
    offsets = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(total)
    return targets[offsets]


def levels(n: int, parent: IntArray, child: IntArray) -> tuple[IntArray, IntArray]:
    start, kids = csr(n, parent, child)
    indegree = np.bincount(child, minlength=n).astype(np.int64)
    level = np.full(n, -1, dtype=np.int64)
    frontier = np.flatnonzero(indegree == 0)
    depth = 0
    while frontier.size:
        level[frontier] = depth
        reached = gather(start, kids, frontier)
        if reached.size > n >> 6:  # a wide level: one pass over the nodes beats a sort
            times = np.bincount(reached, minlength=n)
            indegree -= times
            frontier = np.flatnonzero((times > 0) & (indegree == 0))
        else:
            uniq, counts = np.unique(reached, return_counts=True)
            indegree[uniq] -= counts
            frontier = uniq[indegree[uniq] == 0]
        depth += 1
    if (level < 0).any():
        raise CycleError(np.flatnonzero(level < 0))
    order = np.argsort(level[child] * n + child, kind="stable")
    return level, order


def descendants_of(n: int, parent: IntArray, child: IntArray, roots: IntArray) -> IntArray:
    """:func:`descendants` on bare edge columns (``n`` nodes)."""
    start, targets = csr(n, parent, child)
    seen = np.zeros(n, dtype=bool)
    frontier = np.unique(roots)
    while frontier.size:
        seen[frontier] = True
        nxt = np.unique(gather(start, targets, frontier))
        frontier = nxt[~seen[nxt]]
    return np.flatnonzero(seen)


