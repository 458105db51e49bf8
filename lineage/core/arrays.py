"""The engine over arrays, for graphs of millions of models (issue 7).

The same definitions as :mod:`lineage.core.engine` (SPEC §2–3) computed in topological levels
with numpy: a Kahn sort whose frontier is a whole level, then, level by level, each child adds
s(u→v)·C(u) of every parent — one vectorised gather and one segment sum per level, O(V + E)
in all. Hub graphs are shallow (a dozen levels), so a level costs one pass over its edges.

:mod:`lineage.core.engine` stays the reference on small graphs (contributions, explanations, ranged
shares); ``tests/test_arrays.py`` checks that both give the same figures on random graphs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from lineage.core.policies import CONSERVING, POLICIES
from lineage.model.columns import descendants_of, levels

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


@dataclass
class ArrayGraph:
    """A lineage graph as columns. Node i is ``ids[i]``; edge e goes ``parent[e] → child[e]``.

    Own figures are the known part (what :class:`~lineage.core.stepcost.DirectCost` gives: low, mid,
    high) with flags saying whether the whole is known. ``explicit`` is the written share of an
    edge (its central value) or NaN; ``expected`` is ``expected_derivatives`` or NaN.
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

    @property
    def n(self) -> int:
        return len(self.ids)

    def out_degree(self) -> IntArray:
        return np.bincount(self.parent, minlength=self.n)

    def levels(self) -> tuple[IntArray, IntArray]:
        """(level of each node, edge order sorted by the child's level then child).

        Raises:
            CycleError: some parent links form a cycle.
        """
        if self._order is None:
            self._order = levels(self.n, self.parent, self.child)
        return self._order


def shares(g: ArrayGraph, policy: str) -> FloatArray:
    """s(u→v) for every edge under ``policy`` (see :func:`lineage.core.policies.compute_shares`).

    Raises:
        WeightError: ``usage``/``params`` unknown on a model with a parent or a child.
        ValueError: an unknown policy.
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}")
    e = g.parent.size
    if policy in ("cutoff", "full"):
        return np.full(e, 0.0 if policy == "cutoff" else 1.0)
    weight = _weights(g, policy)
    explicit = g.explicit if g.explicit is not None else np.full(e, np.nan)
    fixed = ~np.isnan(explicit)
    fixed_sum = np.bincount(g.parent, weights=np.where(fixed, explicit, 0.0), minlength=g.n)
    rest = np.maximum(0.0, 1.0 - fixed_sum)
    free_w = np.bincount(g.parent, weights=np.where(fixed, 0.0, weight[g.child]), minlength=g.n)
    denominator = weight + free_w
    if policy == "equal" and g.expected is not None:
        phantom = np.maximum(0.0, g.expected - g.out_degree())
        denominator += np.where(np.isnan(phantom), 0.0, phantom)
    d = denominator[g.parent]
    free = np.divide(rest[g.parent] * weight[g.child], d, out=np.zeros(e), where=d > 0)
    return np.where(fixed, explicit, free)


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
    """x(v) = values(v) + Σ_parents weights(u→v)·x(u), for every column of ``values`` (n, k).

    ``inplace`` adds into ``values`` itself (a float64 array): no copy of an (n, k) array.
    """
    _, order = g.levels()
    x = values if inplace else np.array(values, dtype=np.float64, copy=True)
    if order.size == 0:
        return x
    level = g.levels()[0]
    parent, child, w = g.parent[order], g.child[order], weights[order]
    child_level = level[child]
    bounds = np.flatnonzero(np.diff(child_level)) + 1
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, order.size], strict=True):
        kids = child[lo:hi]
        contrib = w[lo:hi, None] * x[parent[lo:hi]]
        heads = np.r_[0, np.flatnonzero(np.diff(kids)) + 1]
        x[kids[heads]] += np.add.reduceat(contrib, heads, axis=0)
    return x


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
    """Cumulative and attributed figures of every node of ``g`` (SPEC §2) under ``policy``.

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
    x = propagate(g, s, np.hstack([g.own_kg, g.own_kwh]), inplace=True)
    reach = (s > 0).astype(np.float64)
    own_unknown = np.stack([~g.own_complete, ~g.energy_complete], axis=1).astype(np.float64)
    paths = propagate(g, reach, own_unknown)  # unknown models reached, counted with repeats
    complete, energy_complete = paths[:, 0] == 0, paths[:, 1] == 0
    inherited = paths - own_unknown
    inherited_complete, inherited_energy_complete = inherited[:, 0] == 0, inherited[:, 1] == 0
    if policy == "compute":
        blind = _blind(g)
        complete &= ~blind
        inherited_complete &= ~blind
    kept = 1.0 - np.bincount(g.parent, weights=s, minlength=g.n) if policy in CONSERVING \
        else None
    return ArrayResults(policy, s, x[:, :3], x[:, 3:], kept, complete, energy_complete,
                        inherited_complete, inherited_energy_complete)


def _blind(g: ArrayGraph) -> np.ndarray:
    """Under ``compute``, models whose share was weighed with an unknown energy, at any level
    up (the rule of :func:`lineage.core.engine._flag_unknown_weights`)."""
    blind = ~g.energy_complete
    has_kids = g.out_degree() > 0
    bad_parent = has_kids & (blind | (np.bincount(g.parent, weights=blind[g.child],
                                                  minlength=g.n) > 0))
    hit = np.bincount(g.child, weights=bad_parent[g.parent], minlength=g.n)
    return propagate(g, np.ones(g.parent.size), hit[:, None])[:, 0] > 0


def descendants(g: ArrayGraph, roots: IntArray) -> IntArray:
    """``roots`` and every node below them, sorted (a vectorised breadth-first search)."""
    return descendants_of(g.n, g.parent, g.child, roots)


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

    def column(get: Callable[[str], float | None]) -> FloatArray:
        return np.array([np.nan if (x := get(m)) is None else x for m in ids], dtype=np.float64)

    def spec_mid(attr: str) -> Callable[[str], float | None]:
        def get(m: str) -> float | None:
            value = getattr(project.models[m].spec, attr)
            return None if value is None else float(value.mid)
        return get

    return ArrayGraph(
        ids, parent, child,
        own_kg=np.array([d[m].emissions_kgco2e.as_tuple() for m in ids]).reshape(-1, 3),
        own_kwh=np.array([d[m].energy_kwh.as_tuple() for m in ids]).reshape(-1, 3),
        own_complete=np.array([d[m].is_complete for m in ids], dtype=bool),
        energy_complete=np.array([d[m].is_energy_complete for m in ids], dtype=bool),
        explicit=explicit,
        expected=column(lambda m: project.models[m].spec.expected_derivatives),
        usage=column(spec_mid("usage")), params=column(spec_mid("params")))
