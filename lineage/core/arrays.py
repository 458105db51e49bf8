"""The one engine, over columns: every rule of docs/method.md ("What the numbers mean",
"Policies", "Completeness", "Contributions") written once, from ten models to millions.

Computed in topological levels with numpy: a Kahn sort whose frontier is a whole level, then,
level by level, each child adds s(u→v)·C(u) of every parent (one gather and one segment sum
per level; edge by edge where a level is narrow), O(V + E) in all. ``lineage.core.engine``
presents these columns as one :class:`~lineage.core.engine.ModelCost` per model;
``tests/test_oracle.py`` checks every figure against the path-by-path reference engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from lineage.model.columns import csr, levels
from lineage.model.errors import InputError, Position
from lineage.model.policy import CONSERVING, POLICIES

if TYPE_CHECKING:
    from lineage.core.stepcost import DirectCost
    from lineage.model.graph import Project

FloatArray = np.ndarray
IntArray = np.ndarray


class WeightError(ValueError):
    """``--policy usage/params`` on models that lack the figure (``missing`` node indices)."""

    def __init__(self, policy: str, missing: IntArray) -> None:
        super().__init__(f"--policy {policy}: {missing.size} models have no weight")
        self.policy = policy
        self.missing = missing


def weight_errors(exc: WeightError, name: Callable[[int], str],
                  where: Callable[[int], Position]) -> list[InputError]:
    """The models ``--policy usage/params`` lacks a figure for (the first 20, then a count),
    said alike with lineage files and with a hub dump (whose downloads are a usage)."""
    what = '"usage" (nor Hub downloads)' if exc.policy == "usage" else f'"{exc.policy}"'
    out = [InputError(where(k), f'model "{name(k)}" has no {what}, which --policy '
                      f"{exc.policy} needs for every model with a parent or a child")
           for k in exc.missing[:20].tolist()]
    if exc.missing.size > 20:
        out.append(InputError(where(int(exc.missing[20])),
                              f"… and {exc.missing.size - 20} more models without it"))
    return out


@dataclass
class ArrayGraph:
    """A lineage graph as columns. Node i is ``ids[i]``; edge e goes ``parent[e] → child[e]``.

    Own figures are the known part (what :class:`~lineage.core.stepcost.DirectCost` gives: low, mid,
    high) with flags saying whether the whole is known. ``explicit`` is the written share of an
    edge (its central value) or NaN; ``expected`` is the derivatives horizon or NaN.
    """

    ids: Sequence[str]
    parent: IntArray
    child: IntArray
    own_kg: FloatArray  # (n, 3)
    own_kwh: FloatArray  # (n, 3)
    own_complete: np.ndarray  # bool (n,)
    energy_complete: np.ndarray  # bool (n,)
    explicit: FloatArray | None = None  # (E,) NaN = no written share
    expected: FloatArray | None = None  # (n,) NaN = none
    usage: FloatArray | None = None  # (n,) NaN = unknown
    params: FloatArray | None = None  # (n,) NaN = unknown
    _order: tuple[IntArray, IntArray] | None = field(default=None, repr=False)
    _in: tuple[list[int], list[int]] | None = field(default=None, repr=False)
    _out: tuple[list[int], list[int]] | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return len(self.ids)

    def out_degree(self) -> IntArray:
        return np.bincount(self.parent, minlength=self.n)

    def in_edges(self) -> tuple[list[int], list[int]]:
        """(start, edges): the edges into node i are ``edges[start[i]:start[i + 1]]``."""
        if self._in is None:
            start, edges = csr(self.n, self.child, np.arange(self.parent.size))
            self._in = (start.tolist(), edges.tolist())
        return self._in

    def out_edges(self) -> tuple[list[int], list[int]]:
        """(start, edges): the edges out of node i are ``edges[start[i]:start[i + 1]]``."""
        if self._out is None:
            start, edges = csr(self.n, self.parent, np.arange(self.parent.size))
            self._out = (start.tolist(), edges.tolist())
        return self._out

    def levels(self) -> tuple[IntArray, IntArray]:
        """(level of each node, edge order sorted by the child's level then child).

        Raises:
            CycleError: some parent links form a cycle.
        """
        if self._order is None:
            self._order = levels(self.n, self.parent, self.child)
        return self._order


def shares(g: ArrayGraph, policy: str, *, weights: FloatArray | None = None,
           explicit: FloatArray | None = None) -> FloatArray:
    """s(u→v) for every edge under ``policy``: THE share rule (docs/method.md, "Policies").

    Each parent u weighs itself ω_u and each child w ω_w; explicit ``share:`` values are
    taken first and the rest r_u is split: s(u→w) = r_u·ω_w / (ω_u + Σ_free ω + phantom),
    where ``equal``'s phantom reserves room for the derivatives of a declared horizon not yet
    born (``horizon:`` or ``expected_derivatives``).

    Args:
        weights: replaces the policy's weights, (n,) or (n, k) for k samples at once.
        explicit: replaces the written shares (NaN: none), (E,) or (E, k).

    Returns:
        (E,) shares, or (E, k) when ``weights`` or ``explicit`` has k columns.

    Raises:
        WeightError: ``usage``/``params`` unknown on a model with a parent or a child.
        ValueError: an unknown policy.
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}")
    e = g.parent.size
    if policy in ("cutoff", "full"):
        return np.full(e, 0.0 if policy == "cutoff" else 1.0)
    weight = _weights(g, policy) if weights is None else weights
    if explicit is None:
        explicit = g.explicit if g.explicit is not None else np.full(e, np.nan)
    if weight.ndim == 2 and explicit.ndim == 1:
        explicit = np.broadcast_to(explicit[:, None], (e, weight.shape[1]))
    if explicit.ndim == 2 and weight.ndim == 1:
        weight = np.broadcast_to(weight[:, None], (g.n, explicit.shape[1]))
    fixed = ~np.isnan(explicit)
    rest = np.maximum(0.0, 1.0 - _per_parent(g, np.where(fixed, explicit, 0.0)))
    denominator = weight + _per_parent(g, np.where(fixed, 0.0, weight[g.child]))
    if policy == "equal" and g.expected is not None:
        phantom = np.maximum(0.0, g.expected - g.out_degree())
        phantom = np.where(np.isnan(phantom), 0.0, phantom)
        denominator = denominator + (phantom if denominator.ndim == 1 else phantom[:, None])
    d = denominator[g.parent]
    free = np.divide(rest[g.parent] * weight[g.child], d, out=np.zeros(d.shape), where=d > 0)
    return np.where(fixed, explicit, free)


def _per_parent(g: ArrayGraph, values: FloatArray) -> FloatArray:
    """Σ over each parent's edges of ``values`` ((E,) → (n,), (E, k) → (n, k))."""
    if values.ndim == 1:
        return np.bincount(g.parent, weights=values, minlength=g.n)
    out = np.zeros((g.n, values.shape[1]))
    np.add.at(out, g.parent, values)
    return out


def _weights(g: ArrayGraph, policy: str) -> FloatArray:
    if policy == "equal":
        return np.ones(g.n)
    if policy == "compute":
        return g.own_kwh[:, 1].copy()
    values = g.usage if policy == "usage" else g.params
    if values is None:
        values = np.full(g.n, np.nan)
    involved = np.zeros(g.n, dtype=bool)
    involved[g.parent] = True
    involved[g.child] = True
    missing = np.flatnonzero(involved & np.isnan(values))
    if missing.size:
        raise WeightError(policy, missing)
    return np.where(np.isnan(values), 0.0, values)


def propagate(g: ArrayGraph, weights: FloatArray, values: FloatArray, *,
              inplace: bool = False) -> FloatArray:
    """x(v) = values(v) + Σ_parents weights(u→v)·x(u): THE propagation (docs/method.md).

    ``values`` is (n, k): k quantities (or samples) at once; ``weights`` is (E,) or (E, k).
    Level by level, each child adds weights·x(parent) of all its parents at once (one gather
    and one segment sum); a level of a few edges is added edge by edge, so a chain of
    100,000 fine-tunes costs O(V + E) and no numpy call per level. ``inplace`` adds into
    ``values`` itself (a float64 array): no copy of an (n, k) array.
    """
    level, order = g.levels()
    x = values if inplace else np.array(values, dtype=np.float64, copy=True)
    if order.size == 0:
        return x
    parent, child, w = g.parent[order], g.child[order], weights[order]
    bounds = np.flatnonzero(np.diff(level[child])) + 1
    if w.ndim == 1 and bounds.size * 4 > order.size:  # narrow levels (chains): plain Python
        return _propagate_edgewise(x, parent.tolist(), child.tolist(), w.tolist())
    if w.ndim == 1:
        w = w[:, None]
    for lo, hi in zip(np.r_[0, bounds].tolist(), np.r_[bounds, order.size].tolist(),
                      strict=True):
        if hi - lo < 8:
            for e in range(lo, hi):
                x[child[e]] += w[e] * x[parent[e]]
            continue
        kids = child[lo:hi]
        contrib = w[lo:hi] * x[parent[lo:hi]]
        heads = np.r_[0, np.flatnonzero(np.diff(kids)) + 1]
        x[kids[heads]] += np.add.reduceat(contrib, heads, axis=0)
    return x


def cumulate(g: ArrayGraph, s: FloatArray, values: FloatArray, policy: str) -> FloatArray:
    """The cumulative figure of every node: :func:`propagate` with the shares ``s``, except
    under ``full``, where each ancestor counts ONCE however many paths lead from it
    (docs/method.md, "Policies"): c(v) = d(v) + Σ over the set of v's ancestors of d(x).

    Why not paths: a merge of two fine-tunes of one base would carry the base twice, more
    than the whole family ever emitted. A node with one parent adds its parent's figure (their
    ancestor sets are disjoint); a node with several parents sums its ancestor set, found by
    one backward walk, so the cost is O(V + E + Σ over merges of their ancestors).
    """
    if policy != "full":
        return propagate(g, s, values)
    indegree = np.bincount(g.child, minlength=g.n)
    x = np.array(values, dtype=np.float64, copy=True)
    ones = np.ones(g.parent.size)
    for m in np.flatnonzero(indegree >= 2).tolist():
        above = list(upstream(g, ones, m, every=True))
        x[m] = values[above].sum(axis=0)
    weights = np.where(indegree[g.child] >= 2, 0.0, 1.0)
    return propagate(g, weights, x, inplace=True)


def _propagate_edgewise(x: FloatArray, parent: list[int], child: list[int],
                        weights: list[float]) -> FloatArray:
    """:func:`propagate` edge by edge over Python lists: the edges come sorted by their
    child's level, so each parent's row is final when it is read."""
    rows = x.tolist()
    width = range(x.shape[1])
    for p, c, w in zip(parent, child, weights, strict=True):
        if w:
            rp, rc = rows[p], rows[c]
            for j in width:
                rc[j] += w * rp[j]
    x[:] = rows
    return x


def upstream(g: ArrayGraph, s: FloatArray, v: int, *, every: bool = False
             ) -> dict[int, float]:
    """The contribution coefficients of node ``v``: {ancestor x: Σ over paths x→v of the
    product of the shares} (docs/method.md, "Contributions"), with ``v`` itself at 1.

    One backward pass over ``v``'s ancestors only (children before parents, in the reverse
    of a depth-first post-order), so explaining one model costs O(its ancestors and their
    edges), not O(graph). Paths through
    a zero share are dropped unless ``every`` (then every ancestor is listed, at 0 or more).
    """
    start, edges = g.in_edges()
    parent = g.parent
    coeff: dict[int, float] = {v: 1.0}
    seen = {v}
    done: list[int] = []  # depth-first post-order: each ancestor after all of its own
    stack = [(v, start[v])]
    while stack:  # the ancestors reached (through non-zero shares unless ``every``)
        c, at = stack[-1]
        if at == start[c + 1]:
            stack.pop()
            done.append(c)
            continue
        stack[-1] = (c, at + 1)
        e = edges[at]
        p = int(parent[e])
        if (every or s[e] != 0.0) and p not in seen:
            seen.add(p)
            stack.append((p, start[p]))
    for c in reversed(done):  # children before parents: no level of the whole graph needed
        k = coeff.get(c, 0.0)
        for e in edges[start[c]:start[c + 1]]:
            p = int(parent[e])
            if p in seen and (every or s[e] != 0.0):
                coeff[p] = coeff.get(p, 0.0) + float(s[e]) * k
    return coeff


@dataclass(frozen=True)
class ArrayResults:
    """Every model's figures under one policy, as columns (kgCO2e and kWh; low, mid, high)."""

    policy: str
    shares: FloatArray  # (E,)
    cumulative_kg: FloatArray  # (n, 3)
    cumulative_kwh: FloatArray  # (n, 3)
    kept: FloatArray | None  # (n,) the share of its cumulative cost a model keeps; None: full
    complete: np.ndarray  # bool (n,): every emissions figure it sums is known
    energy_complete: np.ndarray  # bool (n,)
    inherited_complete: np.ndarray  # bool (n,): the ancestors' part alone
    inherited_energy_complete: np.ndarray  # bool (n,)

    @property
    def attributed_kg(self) -> FloatArray | None:
        """What each model bears after passing shares on (conserving policies only)."""
        return None if self.kept is None else self.cumulative_kg * self.kept[:, None]

    @property
    def attributed_kwh(self) -> FloatArray | None:
        return None if self.kept is None else self.cumulative_kwh * self.kept[:, None]


def compute_arrays(g: ArrayGraph, policy: str = "equal", *, s: FloatArray | None = None
                   ) -> ArrayResults:
    """Cumulative and attributed figures and completeness of every node of ``g`` under
    ``policy`` (docs/method.md#what-the-numbers-mean).

    Example:
        >>> import numpy as np
        >>> g = ArrayGraph(["t", "s"], np.array([0]), np.array([1]),
        ...                np.array([[10.0] * 3, [2.0] * 3]), np.zeros((2, 3)),
        ...                np.ones(2, bool), np.ones(2, bool))
        >>> float(compute_arrays(g, "equal").cumulative_kg[1, 1])  # 2 + 10 / 2
        7.0

    ``s`` gives shares already computed with :func:`shares`.
    """
    if s is None:
        s = shares(g, policy)
    x = cumulate(g, s, np.hstack([g.own_kg, g.own_kwh]), policy)
    reach = (s > 0).astype(np.float64)
    own_unknown = np.stack([~g.own_complete, ~g.energy_complete], axis=1).astype(np.float64)
    paths = propagate(g, reach, own_unknown)  # unknown models reached, counted with repeats
    complete, energy_complete = paths[:, 0] == 0, paths[:, 1] == 0
    inherited = paths - own_unknown
    inherited_complete, inherited_energy_complete = inherited[:, 0] == 0, inherited[:, 1] == 0
    if policy == "compute":  # the untrusted shares weigh energy and emissions alike
        unseen = blind(g)
        for flags in (complete, inherited_complete, energy_complete, inherited_energy_complete):
            flags &= ~unseen
    kept = 1.0 - np.bincount(g.parent, weights=s, minlength=g.n) if policy in CONSERVING \
        else None
    return ArrayResults(policy, s, x[:, :3], x[:, 3:], kept, complete, energy_complete,
                        inherited_complete, inherited_energy_complete)


def blind(g: ArrayGraph) -> np.ndarray:
    """Under ``compute``, the models whose inherited share was weighed with an unknown energy
    (their own, a parent's or a sibling's, at any level up): THE rule (docs/method.md), for
    their emissions and energy figures alike."""
    unknown = ~g.energy_complete
    has_kids = g.out_degree() > 0
    bad_parent = has_kids & (unknown | (np.bincount(g.parent, weights=unknown[g.child],
                                                  minlength=g.n) > 0))
    hit = np.bincount(g.child, weights=bad_parent[g.parent], minlength=g.n)
    return propagate(g, np.ones(g.parent.size), hit[:, None])[:, 0] > 0


def model_rows(project: Project, direct: Mapping[str, DirectCost], mids: Sequence[str]
               ) -> dict[str, Any]:
    """The :class:`ArrayGraph` columns of the models ``mids`` of ``project``: own kgCO2e and
    kWh (the known part, (m, 3)), whether each is known, the derivatives horizon, usage and
    params (NaN: none). The one place a model of the files becomes a row of the engine."""
    d = [direct[m] for m in mids]
    specs = [project.models[m].spec for m in mids]

    def mid_or_nan(values: Iterable[Any]) -> FloatArray:
        return np.array([math.nan if v is None else float(getattr(v, "mid", v)) for v in values],
                        dtype=np.float64)

    return {"own_kg": np.array([c.emissions_kgco2e.as_tuple() for c in d]).reshape(-1, 3),
            "own_kwh": np.array([c.energy_kwh.as_tuple() for c in d]).reshape(-1, 3),
            "own_complete": np.array([c.is_complete for c in d], dtype=bool),
            "energy_complete": np.array([c.is_energy_complete for c in d], dtype=bool),
            "expected": mid_or_nan(s.derivatives_horizon for s in specs),
            "usage": mid_or_nan(s.usage for s in specs),
            "params": mid_or_nan(s.params for s in specs)}


def from_project(project: Project, direct: Mapping[str, DirectCost] | None = None
                 ) -> ArrayGraph:
    """The columns of a loaded :class:`~lineage.model.graph.Project` (registry and YAML files)."""
    from lineage.core.stepcost import direct_costs

    d = direct if direct is not None else direct_costs(project)
    ids = sorted(project.models)
    index = {m: i for i, m in enumerate(ids)}
    edges = sorted(project.edges.items())
    parent = np.array([index[u] for (u, _), _ in edges], dtype=np.int64)
    child = np.array([index[v] for (_, v), _ in edges], dtype=np.int64)
    explicit = np.array([np.nan if e.share is None else e.share.mid for _, e in edges])
    return ArrayGraph(ids, parent, child, explicit=explicit, **model_rows(project, d, ids))
