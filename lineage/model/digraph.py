"""The lineage graph's adjacency: what the engine asks of a directed graph, and no more.

Why not ``networkx.DiGraph`` here: importing networkx costs ~70 ms, a fifth of a ``lineage
cost`` cold start, and the engine only walks parents and children. Topological order and
cycle detection come from the standard library (:mod:`graphlib`); the diagrams, which need
networkx's algorithms, get a real ``DiGraph`` from :meth:`Digraph.to_networkx`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from graphlib import TopologicalSorter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx


class Digraph:
    """Nodes and parent → child edges, in insertion order (like ``networkx.DiGraph``).

    Example:
        >>> g = Digraph(["a", "b", "c"], [("a", "b"), ("b", "c")])
        >>> g.topological_order(), sorted(g.ancestors("c")), g.out_degree("a")
        (['a', 'b', 'c'], ['a', 'b'], 1)
    """

    def __init__(self, nodes: Iterable[str] = (), edges: Iterable[tuple[str, str]] = ()
                 ) -> None:
        self._succ: dict[str, dict[str, None]] = {}
        self._pred: dict[str, dict[str, None]] = {}
        for n in nodes:
            self.add_node(n)
        for u, v in edges:
            self.add_edge(u, v)

    def add_node(self, n: str) -> None:
        if n not in self._succ:
            self._succ[n], self._pred[n] = {}, {}

    def add_edge(self, u: str, v: str) -> None:
        self.add_node(u)
        self.add_node(v)
        self._succ[u][v] = None
        self._pred[v][u] = None

    @property
    def nodes(self) -> list[str]:
        return list(self._succ)

    def __contains__(self, n: object) -> bool:
        return n in self._succ

    def __len__(self) -> int:
        return len(self._succ)

    def __iter__(self) -> Iterator[str]:
        return iter(self._succ)

    def predecessors(self, v: str) -> Iterator[str]:
        return iter(self._pred[v])

    def successors(self, u: str) -> Iterator[str]:
        return iter(self._succ[u])

    def in_degree(self, v: str) -> int:
        return len(self._pred[v])

    def out_degree(self, u: str) -> int:
        return len(self._succ[u])

    def edges(self) -> Iterator[tuple[str, str]]:
        return ((u, v) for u, kids in self._succ.items() for v in kids)

    def subgraph(self, keep: Iterable[str]) -> Digraph:
        """A copy restricted to ``keep`` and the edges between its nodes."""
        wanted = set(keep)
        return Digraph([n for n in self._succ if n in wanted],
                       [(u, v) for u, v in self.edges() if u in wanted and v in wanted])

    def topological_order(self) -> list[str]:
        """Parents before children.

        Raises:
            graphlib.CycleError: the edges loop (``args[1]`` holds one cycle).
        """
        return list(TopologicalSorter(self._pred).static_order())

    def _reach(self, start: str, *steps: dict[str, dict[str, None]]) -> set[str]:
        """The nodes reached from ``start`` along one or more links of ``steps``."""
        seen: set[str] = set()
        stack = [m for step in steps for m in step[start]]
        while stack:
            n = stack.pop()
            if n not in seen:
                seen.add(n)
                stack.extend(m for step in steps for m in step[n])
        return seen

    def ancestors(self, v: str) -> set[str]:
        return self._reach(v, self._pred)

    def descendants(self, u: str) -> set[str]:
        return self._reach(u, self._succ)

    def component(self, n: str) -> set[str]:
        """``n`` and every node linked to it by edges in either direction."""
        return {n} | self._reach(n, self._succ, self._pred)

    def to_networkx(self) -> nx.DiGraph:
        """The same graph as a ``networkx.DiGraph`` (for the diagrams' algorithms)."""
        import networkx as nx

        G = nx.DiGraph()
        G.add_nodes_from(self._succ)
        G.add_edges_from(self.edges())
        return G
