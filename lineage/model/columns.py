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


def starts(n: int, src: IntArray) -> IntArray:
    """Where each node's run begins in edges sorted by ``src`` (n + 1 offsets)."""
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=start[1:])
    return start


def csr(n: int, src: IntArray, dst: IntArray) -> tuple[IntArray, IntArray]:
    """(start, targets): the targets of node i are ``targets[start[i]:start[i + 1]]``."""
    return starts(n, src), dst[np.argsort(src, kind="stable")]


def unique(values: IntArray) -> IntArray:
    """The distinct values, sorted: a sort and a mask. Why not ``np.unique``: without
    ``return_counts`` numpy 2 hashes first, about 50× slower on millions of int64.

    Example:
        >>> unique(np.array([3, 1, 3, 2])).tolist(), unique(np.array([], dtype=np.int64)).size
        ([1, 2, 3], 0)
    """
    s = np.sort(values)
    return s[np.append(True, s[1:] != s[:-1])] if s.size else s


def gather(start: IntArray, targets: IntArray, frontier: IntArray) -> IntArray:
    """The targets of every node of ``frontier``, with repeats (one gather, no Python loop)."""
    lo = start[frontier]
    counts = start[frontier + 1] - lo
    total = int(counts.sum())
    offsets = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(total)
    return targets[offsets]


NARROW = 64  # a frontier this small is walked node by node (numpy calls cost more than it)
NARROW_RUN = 64  # ... once that many narrow levels came (a chain, not a wide graph's tail)


def levels(n: int, parent: IntArray, child: IntArray) -> tuple[IntArray, IntArray]:
    """(level of each node, the edges sorted by their child's level then child).

    A Kahn sort whose frontier is a whole level: one gather per level while levels are wide
    (hub graphs: a dozen levels of thousands), node by node over plain lists once a run of
    narrow levels shows a chain (100,000 fine-tunes: one level each), so both cost O(V + E);
    the few narrow levels at the tail of a wide graph stay arrays (no list of millions).

    Raises:
        CycleError: some parent links form a cycle.
    """
    start, kids = csr(n, parent, child)
    indegree = np.bincount(child, minlength=n).astype(np.int64)
    level = np.full(n, -1, dtype=np.int64)
    frontier = np.flatnonzero(indegree == 0)
    depth = narrow = 0
    lists: tuple[list[int], list[int], list[int]] | None = None
    while frontier.size:
        level[frontier] = depth
        narrow = narrow + 1 if frontier.size < NARROW else 0
        if narrow > NARROW_RUN or (lists is not None and frontier.size < NARROW):
            if lists is None:  # the columns as lists once: then each step costs its edges
                lists = (start.tolist(), kids.tolist(), indegree.tolist())
            frontier = _narrow_step(lists, frontier.tolist())
            depth += 1
            continue
        if lists is not None:  # back to arrays: the counts left by the narrow steps
            indegree, lists = np.array(lists[2], dtype=np.int64), None
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


def _narrow_step(lists: tuple[list[int], list[int], list[int]], frontier: list[int]
                 ) -> IntArray:
    """The next level of a small frontier, with plain Python lists (``indegree`` updated)."""
    start, kids, indegree = lists
    nxt = []
    for f in frontier:
        for k in kids[start[f]:start[f + 1]]:
            indegree[k] -= 1
            if indegree[k] == 0:
                nxt.append(k)
    return np.array(sorted(nxt), dtype=np.int64)


def descendants_of(n: int, parent: IntArray, child: IntArray, roots: IntArray) -> IntArray:
    """:func:`descendants` on bare edge columns (``n`` nodes)."""
    start, targets = csr(n, parent, child)
    seen = np.zeros(n, dtype=bool)
    frontier = unique(roots)
    while frontier.size:
        seen[frontier] = True
        nxt = unique(gather(start, targets, frontier))
        frontier = nxt[~seen[nxt]]
    return np.flatnonzero(seen)


