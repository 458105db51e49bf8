"""Every figure of every model (docs/method.md, "What the numbers mean"), as views over the
one engine over columns (:mod:`lineage.core.arrays`): shares, propagation and completeness
are computed there, once, for all models; a model's :class:`ModelCost` (its contributions
by one backward pass over its ancestors) is built when it is first asked for. Also the
family view (docs/method.md, "Family").
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lineage.core.arrays import (
    ArrayGraph,
    ArrayResults,
    WeightError,
    compute_arrays,
    cumulate,
    from_project,
    upstream,
    weight_errors,
)
from lineage.core.arrays import shares as edge_shares
from lineage.core.stepcost import DirectCost, direct_costs, estimate_gaps
from lineage.model.errors import InputErrors, UsageError, did_you_mean
from lineage.model.graph import Project
from lineage.model.interval import Interval
from lineage.model.policy import CONSERVING, POLICIES


@dataclass(frozen=True)
class Contribution:
    """What ancestor ``model`` adds to a model: d(x) × Σ over paths of the share products."""

    model: str
    coefficient: float
    kgco2e: Interval
    kwh: Interval
    is_complete: bool


@dataclass(frozen=True)
class ModelCost:
    """Every figure of one model under one policy (kgCO2e and kWh).

    A figure is ``None`` when it is unknown (it sums a cost nobody published); its known part,
    a lower bound, is the ``…_bound`` field beside it (what the CLI prints after "≥"). So a
    notebook that sums ``cumulative_kgco2e`` cannot mistake an unknown for 0.

    Example:
        >>> import lineage
        >>> c = lineage.compute(lineage.load()).cost("falcon-40b")
        >>> c.own_kgco2e is None and c.own_kgco2e_bound.mid == 0
        True
    """

    model: str
    policy: str
    own_kgco2e_bound: Interval
    own_kwh_bound: Interval
    cumulative_kgco2e_bound: Interval
    cumulative_kwh_bound: Interval
    attributed_kgco2e_bound: Interval | None  # None also under --policy full
    attributed_kwh_bound: Interval | None
    contributions: tuple[Contribution, ...]
    is_complete: bool
    is_energy_complete: bool
    is_own_complete: bool
    is_own_energy_complete: bool
    is_inherited_complete: bool
    is_inherited_energy_complete: bool
    unknown: tuple[str, ...]  # the models whose own cost is unknown and reaches this one
    basis: dict[str, float]  # share of the cumulative central emissions by basis
    shares_in: dict[str, float]
    shares_out: dict[str, float]
    results: Any = field(default=None, repr=False, compare=False)

    @property
    def own_kgco2e(self) -> Interval | None:
        return self.own_kgco2e_bound if self.is_own_complete else None

    @property
    def own_kwh(self) -> Interval | None:
        return self.own_kwh_bound if self.is_own_energy_complete else None

    @property
    def cumulative_kgco2e(self) -> Interval | None:
        return self.cumulative_kgco2e_bound if self.is_complete else None

    @property
    def cumulative_kwh(self) -> Interval | None:
        return self.cumulative_kwh_bound if self.is_energy_complete else None

    @property
    def attributed_kgco2e(self) -> Interval | None:
        return self.attributed_kgco2e_bound if self.is_complete else None

    @property
    def attributed_kwh(self) -> Interval | None:
        return self.attributed_kwh_bound if self.is_energy_complete else None

    @property
    def inherited_kgco2e_bound(self) -> Interval:
        c, o = self.cumulative_kgco2e_bound, self.own_kgco2e_bound
        return Interval(c.low - o.low, c.mid - o.mid, c.high - o.high)

    @property
    def inherited_kwh_bound(self) -> Interval:
        c, o = self.cumulative_kwh_bound, self.own_kwh_bound
        return Interval(c.low - o.low, c.mid - o.mid, c.high - o.high)

    @property
    def inherited_kgco2e(self) -> Interval | None:
        return self.inherited_kgco2e_bound if self.is_inherited_complete else None

    @property
    def inherited_kwh(self) -> Interval | None:
        return self.inherited_kwh_bound if self.is_inherited_energy_complete else None

    def to_dict(self) -> dict[str, Any]:
        """Exactly the record ``lineage cost MODEL --format json`` prints for this model."""
        from lineage.core.records import cost_record

        return cost_record(self.results, self)


Shares = dict[tuple[str, str], float]
MAX_RANGED_SHARES = 10


@dataclass
class Results:
    """Costs of every model of ``project`` under ``policy``.

    ``costs`` maps every model id to its :class:`ModelCost`, built on first access from the
    engine's columns (``graph``, ``arrays``): asking for one model of a long chain costs its
    ancestors, not the chain squared. ``shares`` holds s(u→v) of every edge into a member.
    """

    project: Project
    policy: str
    direct: dict[str, DirectCost]
    graph: ArrayGraph
    arrays: ArrayResults
    bounds: dict[str, np.ndarray] = field(default_factory=dict)  # ranged shares' (n, 2) per figure
    members: list[str] | None = None  # the models explained (default: every node of graph)
    costs: Mapping[str, ModelCost] = field(init=False)
    shares: Shares = field(init=False)

    def __post_init__(self) -> None:
        # members come first in the graph's node order when given (a hub explanation: the
        # closure, then children only there to weigh the shares), so only they are named
        g = self.graph
        names = g.ids if self.members is None else self.members
        self.index = {m: i for i, m in enumerate(names)}
        self.shares = {(g.ids[u], g.ids[v]): x for u, v, x in zip(
            g.parent.tolist(), g.child.tolist(), self.arrays.shares.tolist(), strict=True)
            if v < len(self.index)}
        self.costs = _Costs(self)
        self._cautions: dict[str, list[str]] | None = None

    def propagate(self, values: Mapping[str, Interval]) -> dict[str, Interval]:
        """Cumulate any per-model quantity with this policy's shares (e.g. embodied emissions).

        Example: ``results.propagate({"t": Interval.exact(5.0)})["s"]`` is t's 5 × s(t→s).
        """
        x = np.zeros((self.graph.n, 3))
        for m, v in values.items():
            x[self.index[m]] = v.as_tuple()
        x = cumulate(self.graph, self.arrays.shares, x, self.policy)
        return {m: Interval(*x[i].tolist()) for m, i in self.index.items()}

    def cautions(self, mid: str) -> list[str]:
        """The warnings on figures that ``mid``'s cumulative cost includes: its own and its
        contributing ancestors' reported figures that disagree with their estimate by more
        than 25 % (what ``lineage validate`` flags), carried into every figure built on them.
        """
        if self._cautions is None:
            found: dict[str, list[str]] = {}
            ours = {m: self.direct[m] for m in self.project.models if m in self.index}
            for model, w in estimate_gaps(self.project, ours):
                found.setdefault(model, []).append(w.message)
            self._cautions = found
        models = [mid, *(x.model for x in self.costs[mid].contributions)]
        return [m for model in models for m in self._cautions.get(model, [])]

    def children(self, mid: str) -> int:
        """How many children ``mid`` has in the graph its shares were computed on (with a hub
        dump, its Hub derivatives included)."""
        return int(np.count_nonzero(self.graph.parent == self.index[mid]))

    @property
    def is_conserving(self) -> bool:
        return self.policy in CONSERVING

    def resolve(self, name: str) -> str:
        """The model id for ``name`` (id, any case, or Hugging Face id).

        Raises:
            UsageError: no model has that name; the message suggests the closest.
        """
        return self.project.model_id(name)

    def cost(self, name: str) -> ModelCost:
        """The :class:`ModelCost` of the model ``name`` names."""
        return self.costs[self.resolve(name)]

    def to_frame(self) -> Any:
        """One row per model (a ``model`` column) with the figures of ``cost --format json``,
        unknown as NaN (needs pandas: ``pip install 'lineage-carbon[pandas]'``).

        Example: ``lineage.compute(lineage.load()).to_frame().sort_values("cumulative_kgco2e")``
        """
        from lineage.core.frames import to_frame

        return to_frame(self)

    def to_networkx(self) -> Any:
        """The lineage as a networkx DiGraph, figures on nodes (own, cumulative, attributed,
        complete, name, family) and edges (share, kind, gpu_hours)."""
        from lineage.core.frames import to_networkx

        return to_networkx(self)


class _Costs(Mapping[str, ModelCost]):
    """Every model's :class:`ModelCost`, each built when first read."""

    def __init__(self, results: Results) -> None:
        self.results = results
        self.built: dict[str, ModelCost] = {}

    def __getitem__(self, mid: str) -> ModelCost:
        if mid not in self.built:
            if mid not in self.results.index:
                raise KeyError(mid)
            self.built[mid] = _model_cost(self.results, mid)
        return self.built[mid]

    def __iter__(self) -> Iterator[str]:
        members = self.results.members
        return iter(members if members is not None else self.results.graph.ids)

    def __len__(self) -> int:
        members = self.results.members
        return len(members) if members is not None else self.results.graph.n


def _interval(row: np.ndarray) -> Interval:
    return Interval(*(float(x) for x in row))


def _model_cost(results: Results, mid: str) -> ModelCost:
    g, r, direct = results.graph, results.arrays, results.direct
    i = results.index[mid]
    row = upstream(g, r.shares, i)
    if results.policy == "full":  # each ancestor once (docs/method.md, "Policies")
        row = dict.fromkeys(row, 1.0)
    ids = g.ids
    # the rows of the model's ancestors only: one model costs its ancestry, not the graph
    kg = {x: g.own_kg[x].tolist() for x in row}
    # biggest first; equal ones by id, also when float products differ in the last bits
    order = sorted(row, key=lambda x: (-float(f"{row[x] * kg[x][1]:.12g}"), ids[x]))
    contributions: list[Contribution] = []
    basis: dict[str, float] = {}
    for x in order:
        k = row[x]
        for b, value in _basis_of(results, ids[x], x).items():
            basis[b] = basis.get(b, 0.0) + value * k
        if x != i and k > 0:
            contributions.append(Contribution(ids[x], k, Interval(*kg[x]) * k,
                                              Interval(*g.own_kwh[x].tolist()) * k,
                                              bool(g.own_complete[x])))
    unknown = {ids[x] for x in row if not g.own_complete[x]}
    if results.policy == "compute" and not r.complete[i]:
        unknown |= _unweighed(results, i)
    total = sum(basis.values())
    s = r.shares
    out_start, out_edges = g.out_edges()
    in_start, in_edges = g.in_edges()
    cumulative = _bounded(results, "cumulative_kgco2e", i, _interval(r.cumulative_kg[i]))
    cumulative_kwh = _bounded(results, "cumulative_kwh", i, _interval(r.cumulative_kwh[i]))
    attributed = attributed_kwh = None
    if results.is_conserving:
        assert r.kept is not None
        kept = float(r.kept[i])
        attributed = _bounded(results, "attributed_kgco2e", i,
                              _interval(r.cumulative_kg[i]) * kept)
        attributed_kwh = _bounded(results, "attributed_kwh", i,
                                  _interval(r.cumulative_kwh[i]) * kept)
    own = direct[mid]
    return ModelCost(
        model=mid, policy=results.policy,
        own_kgco2e_bound=own.emissions_kgco2e, own_kwh_bound=own.energy_kwh,
        cumulative_kgco2e_bound=cumulative, cumulative_kwh_bound=cumulative_kwh,
        attributed_kgco2e_bound=attributed, attributed_kwh_bound=attributed_kwh,
        contributions=tuple(contributions),
        is_complete=bool(r.complete[i]), is_energy_complete=bool(r.energy_complete[i]),
        is_own_complete=own.is_complete, is_own_energy_complete=own.is_energy_complete,
        is_inherited_complete=bool(r.inherited_complete[i]),
        is_inherited_energy_complete=bool(r.inherited_energy_complete[i]),
        unknown=tuple(sorted(unknown)),
        basis={b: v / total for b, v in sorted(basis.items())} if total > 0 else {},
        shares_in={ids[int(g.parent[e])]: float(s[e])
                   for e in in_edges[in_start[i]:in_start[i + 1]]},
        shares_out={ids[k]: float(s[e]) for e in out_edges[out_start[i]:out_start[i + 1]]
                    if (k := int(g.child[e])) < len(results.index)},
        results=results)


def _basis_of(results: Results, mid: str, x: int) -> dict[str, float]:
    """A model's own central emissions by basis: from its steps when it is a model of the
    project, else (a row of a hub dump) reported on the Hub when known."""
    if mid in results.project.models:
        return results.direct[mid].by_basis()
    g = results.graph
    return {"reported": float(g.own_kg[x, 1])} if g.own_complete[x] else {}


def _unweighed(results: Results, i: int) -> set[str]:
    """Under ``compute``, the models with an unknown energy that weighed a share model ``i``
    inherits through (its own, a parent's or a sibling's, at any level up): what
    :func:`lineage.core.arrays.blind` flags, named."""
    g = results.graph
    in_start, in_edges = g.in_edges()
    out_start, out_edges = g.out_edges()
    found: set[str] = set()
    for a in upstream(g, results.arrays.shares, i, every=True):
        for e in in_edges[in_start[a]:in_start[a + 1]]:
            p = int(g.parent[e])
            family = {p, *(int(g.child[f]) for f in out_edges[out_start[p]:out_start[p + 1]])}
            found |= {g.ids[m] for m in family if not g.energy_complete[m]}
    return found


def _bounded(results: Results, key: str, i: int, value: Interval) -> Interval:
    """``value`` widened to the extremes over the corners of ranged ``share:`` values."""
    b = results.bounds.get(key)
    if b is None:
        return value
    return Interval(min(float(b[i, 0]), value.mid), value.mid, max(float(b[i, 1]), value.mid))


def compute(project: Project, policy: str = "equal", *,
            direct: Mapping[str, DirectCost] | None = None) -> Results:
    """Compute every model's costs under ``policy`` (``direct``: the steps already costed).

    A project loaded with a hub (``lineage.load(files, hub=...)``) is joined to it: shares over
    the whole joined graph, as ``lineage cost -f DUMP`` (docs/method.md, "Hub dumps").

    Raises:
        UsageError: an unknown policy.
        InputErrors: a policy that needs data a model lacks (``usage``, ``params``).
    """
    if policy not in POLICIES:
        raise UsageError(f'unknown policy "{policy}"' + did_you_mean(policy, list(POLICIES))
                         + f"; choose one of: {', '.join(POLICIES)}")
    d = dict(direct) if direct is not None else direct_costs(project)
    if project.hub is not None:  # the project's models come first in the joined graph
        from lineage.core.hubgraph import join, whole

        j = join(project, project.hub, d)
        return Results(project, policy, d, j.graph, whole(j, policy), members=j.pids)
    g = from_project(project, d)
    r = compute_arrays(g, policy, s=_policy_shares(project, g, policy))
    return Results(project, policy, d, g, r, _ranged_bounds(project, g, policy))


def _policy_shares(project: Project, g: ArrayGraph, policy: str,
                   explicit: np.ndarray | None = None) -> np.ndarray:
    try:
        return edge_shares(g, policy, explicit=explicit)
    except WeightError as exc:
        raise InputErrors(weight_errors(exc, g.ids.__getitem__,
                                        lambda k: project.models[g.ids[k]].where)) from None


def _ranged_bounds(project: Project, g: ArrayGraph, policy: str) -> dict[str, np.ndarray]:
    """Exact low/high when explicit ``share:`` values are ranges (at most 10 of them).

    Why: every figure is multilinear in the explicit shares (a path crosses each parent once,
    and the rest of a parent's cost is split linearly), so its extremes lie at the corners of
    the box of share ranges. Each corner is propagated and the bounds taken over all of them.
    """
    if policy in ("cutoff", "full"):
        return {}
    ranged = [(e, share) for e, (u, v) in enumerate(zip(g.parent.tolist(), g.child.tolist(),
                                                        strict=True))
              if (share := project.edges[(g.ids[u], g.ids[v])].share) is not None
              and not share.is_exact]
    if not ranged or len(ranged) > MAX_RANGED_SHARES:
        return {}
    assert g.explicit is not None
    lows: dict[str, list[np.ndarray]] = {}
    highs: dict[str, list[np.ndarray]] = {}
    for corner in itertools.product(*[(0, 1) for _ in ranged]):
        explicit = g.explicit.copy()
        for (e, share), side in zip(ranged, corner, strict=True):
            explicit[e] = share.high if side else share.low
        r = compute_arrays(g, policy, s=_policy_shares(project, g, policy, explicit))
        figures = {"cumulative_kgco2e": r.cumulative_kg, "cumulative_kwh": r.cumulative_kwh,
                   "attributed_kgco2e": r.attributed_kg, "attributed_kwh": r.attributed_kwh}
        for key, value in figures.items():
            assert value is not None  # a conserving policy: every model keeps a part
            lows.setdefault(key, []).append(value[:, 0])
            highs.setdefault(key, []).append(value[:, 2])
    return {key: np.stack([np.min(lows[key], axis=0), np.max(highs[key], axis=0)], axis=1)
            for key in lows}
