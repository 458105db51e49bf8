"""Propagation (SPEC §2): direct, cumulative, attributed and contributions for every model,
for emissions and energy alike, with low/high bounds; and the family view (SPEC §8).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lineage.core.policies import CONSERVING, POLICIES, Shares, compute_shares
from lineage.core.stepcost import DirectCost, direct_costs
from lineage.model.errors import UsageError, did_you_mean
from lineage.model.graph import Project
from lineage.model.interval import ZERO, Interval


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
    """Every figure of one model under one policy (kgCO2e and kWh)."""

    model: str
    policy: str
    own_kgco2e: Interval
    own_kwh: Interval
    cumulative_kgco2e: Interval
    cumulative_kwh: Interval
    attributed_kgco2e: Interval | None
    attributed_kwh: Interval | None
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

    @property
    def inherited_kgco2e(self) -> Interval:
        c, o = self.cumulative_kgco2e, self.own_kgco2e
        return Interval(c.low - o.low, c.mid - o.mid, c.high - o.high)

    @property
    def inherited_kwh(self) -> Interval:
        c, o = self.cumulative_kwh, self.own_kwh
        return Interval(c.low - o.low, c.mid - o.mid, c.high - o.high)


@dataclass
class Results:
    """Costs of every model of ``project`` under ``policy``."""

    project: Project
    policy: str
    direct: dict[str, DirectCost]
    shares: Shares
    costs: dict[str, ModelCost] = field(default_factory=dict)
    coefficients: dict[str, dict[str, float]] = field(default_factory=dict)
    retained: Mapping[str, float] = field(default_factory=dict)

    def propagate(self, values: Mapping[str, Interval]) -> dict[str, Interval]:
        """Cumulate any per-model quantity with this policy's shares (e.g. embodied emissions).

        Example: ``results.propagate({"t": Interval.exact(5.0)})["s"]`` is t's 5 × s(t→s).
        """
        out: dict[str, Interval] = {}
        for v, row in self.coefficients.items():
            acc = ZERO
            for x, k in row.items():
                if x in values:
                    acc = acc + values[x] * k
            out[v] = acc
        return out

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


def _coefficients(project: Project, shares: Shares) -> dict[str, dict[str, float]]:
    coeff: dict[str, dict[str, float]] = {}
    for v in project.G.topological_order():
        row: dict[str, float] = {v: 1.0}
        for u in project.G.predecessors(v):
            s = shares[(u, v)]
            if s == 0.0:
                continue
            for x, k in coeff[u].items():
                row[x] = row.get(x, 0.0) + s * k
        coeff[v] = row
    return coeff


def _model_cost(mid: str, row: dict[str, float], results: Results) -> ModelCost:
    direct, project, shares = results.direct, results.project, results.shares
    cumulative, cumulative_kwh = ZERO, ZERO
    contributions: list[Contribution] = []
    unknown: list[str] = []
    basis: dict[str, float] = {}
    for x in sorted(row, key=lambda m: (-row[m] * direct[m].emissions_kgco2e.mid, m)):
        k, d = row[x], direct[x]
        cumulative = cumulative + d.emissions_kgco2e * k
        cumulative_kwh = cumulative_kwh + d.energy_kwh * k
        if not d.is_complete:
            unknown.append(x)
        for b, kg in d.by_basis().items():
            basis[b] = basis.get(b, 0.0) + kg * k
        if x != mid and k > 0:
            contributions.append(Contribution(x, k, d.emissions_kgco2e * k, d.energy_kwh * k,
                                              d.is_complete))
    total_basis = sum(basis.values())
    basis = {b: v / total_basis for b, v in sorted(basis.items())} if total_basis > 0 else {}
    out = {w: shares[(mid, w)] for w in project.G.successors(mid)}
    kept = results.retained.get(mid, 1.0 - sum(out.values()))
    attributed = cumulative * kept if results.is_conserving else None
    attributed_kwh = cumulative_kwh * kept if results.is_conserving else None
    return ModelCost(
        model=mid, policy=results.policy,
        own_kgco2e=direct[mid].emissions_kgco2e, own_kwh=direct[mid].energy_kwh,
        cumulative_kgco2e=cumulative, cumulative_kwh=cumulative_kwh,
        attributed_kgco2e=attributed, attributed_kwh=attributed_kwh,
        contributions=tuple(contributions),
        is_complete=not unknown,
        is_energy_complete=all(direct[x].is_energy_complete for x in row),
        is_own_complete=direct[mid].is_complete,
        is_own_energy_complete=direct[mid].is_energy_complete,
        is_inherited_complete=all(direct[x].is_complete for x in row if x != mid),
        is_inherited_energy_complete=all(direct[x].is_energy_complete for x in row if x != mid),
        unknown=tuple(sorted(unknown)), basis=basis,
        shares_in={u: shares[(u, mid)] for u in project.G.predecessors(mid)},
        shares_out=out,
    )


def compute(project: Project, policy: str = "equal", *,
            direct: Mapping[str, DirectCost] | None = None,
            shares: Shares | None = None,
            retained: Mapping[str, float] | None = None) -> Results:
    """Compute every model's costs under ``policy``.

    ``shares`` replaces the policy's shares; ``retained`` gives the share of its cumulative
    cost a model keeps when some of its children are not in ``project`` (a hub dump's
    derivatives: see :mod:`lineage.core.hubgraph`).

    Raises:
        UsageError: an unknown policy.
        InputErrors: a policy that needs data a model lacks (``usage``, ``params``).
    """
    if policy not in POLICIES:
        raise UsageError(f'unknown policy "{policy}"' + did_you_mean(policy, list(POLICIES))
                         + f"; choose one of: {', '.join(POLICIES)}")
    d = dict(direct) if direct is not None else direct_costs(project)
    s = shares if shares is not None else compute_shares(project, policy, d)
    results = Results(project, policy, d, s, retained=retained or {})
    results.coefficients = _coefficients(project, s)
    for mid, row in results.coefficients.items():
        results.costs[mid] = _model_cost(mid, row, results)
    if policy == "compute":
        _flag_unknown_weights(results)
    if shares is None:
        _widen_for_ranged_shares(results)
    return results


def _flag_unknown_weights(results: Results) -> None:
    """Under ``compute``, a share weighed with an unknown energy is itself unknown.

    A model whose inherited share depends on such a weight (its own, a parent's or a
    sibling's, at any level up) is marked incomplete, with the models whose energy is unknown.
    """
    import dataclasses

    G, direct = results.project.G, results.direct
    blind = {m for m in G.nodes if not direct[m].is_energy_complete}
    if not blind:
        return
    culprits: dict[str, set[str]] = {}
    for u in G.nodes:
        family = ({u} | set(G.successors(u))) & blind
        if family and G.out_degree(u):
            culprits[u] = family
    for v, c in results.costs.items():
        found: set[str] = set()
        for a in {v} | G.ancestors(v):
            for p in G.predecessors(a):
                found |= culprits.get(p, set())
        if found:
            results.costs[v] = dataclasses.replace(
                c, is_complete=False, is_inherited_complete=False,
                unknown=tuple(sorted(set(c.unknown) | found)))


MAX_RANGED_SHARES = 10


def _widen_for_ranged_shares(results: Results) -> None:
    """Make low/high exact when explicit ``share:`` values are ranges.

    Why: every figure is multilinear in the explicit shares (a path crosses each parent once,
    and the rest of a parent's cost is split linearly), so its extremes lie at the corners of
    the box of share ranges. Each corner is computed and the bounds taken over all of them.
    """
    import itertools

    if results.policy in ("cutoff", "full"):
        return
    project = results.project
    ranged = sorted(k for k, e in project.edges.items()
                    if e.share is not None and not e.share.is_exact)
    if not ranged or len(ranged) > MAX_RANGED_SHARES:
        return
    bounds: dict[str, dict[str, list[float]]] = {}
    for corner in itertools.product(*[(0, 1) for _ in ranged]):
        explicit = {}
        for k, side in zip(ranged, corner, strict=True):
            share = project.edges[k].share
            assert share is not None
            explicit[k] = share.high if side else share.low
        shares = compute_shares(project, results.policy, results.direct, explicit=explicit)
        corner_results = compute(project, results.policy, direct=results.direct, shares=shares)
        for mid, c in corner_results.costs.items():
            for key, value in _figures(c).items():
                lo_hi = bounds.setdefault(mid, {}).setdefault(key, [value.low, value.high])
                lo_hi[0], lo_hi[1] = min(lo_hi[0], value.low), max(lo_hi[1], value.high)
    for mid, c in results.costs.items():
        results.costs[mid] = _with_bounds(c, bounds[mid])


def _figures(c: ModelCost) -> dict[str, Interval]:
    out = {"cumulative_kgco2e": c.cumulative_kgco2e, "cumulative_kwh": c.cumulative_kwh}
    if c.attributed_kgco2e is not None and c.attributed_kwh is not None:
        out |= {"attributed_kgco2e": c.attributed_kgco2e, "attributed_kwh": c.attributed_kwh}
    return out


def _with_bounds(c: ModelCost, bounds: dict[str, list[float]]) -> ModelCost:
    import dataclasses

    changes: dict[str, Any] = {}
    for key, (low, high) in bounds.items():
        mid = getattr(c, key).mid
        changes[key] = Interval(min(low, mid), mid, max(high, mid))
    return dataclasses.replace(c, **changes)


@dataclass(frozen=True)
class FamilyTotal:
    """SPEC §8: the own cost of a root and all its descendants, each counted once."""

    root: str
    models: tuple[str, ...]
    own_kgco2e: Interval
    own_kwh: Interval
    known: tuple[str, ...]
    unknown: tuple[str, ...]
    basis: dict[str, float]
    reported_totals: tuple[tuple[tuple[str, ...], Interval, str], ...]

    @property
    def coverage(self) -> float:
        """The share of the family's models whose own cost is known."""
        return len(self.known) / len(self.models)

    @property
    def is_complete(self) -> bool:
        return not self.unknown


def family(project: Project, root: str, direct: Mapping[str, DirectCost] | None = None
           ) -> FamilyTotal:
    """Sum the own cost of ``root`` and all of its descendants (the derivative-footprint view)."""
    d = direct if direct is not None else direct_costs(project)
    members = tuple(sorted({root} | project.G.descendants(root)))
    total, total_kwh = ZERO, ZERO
    basis: dict[str, float] = {}
    for m in members:
        total = total + d[m].emissions_kgco2e
        total_kwh = total_kwh + d[m].energy_kwh
        for b, kg in d[m].by_basis().items():
            basis[b] = basis.get(b, 0.0) + kg
    known = tuple(m for m in members if d[m].is_complete)
    unknown = tuple(m for m in members if not d[m].is_complete)
    s = sum(basis.values())
    reported: list[tuple[tuple[str, ...], Interval, str]] = []
    for f in project.files:
        for t in f.spec.totals:
            ids = tuple(project.resolve(m) or m for m in t.models)
            if t.emissions is not None and set(ids) & set(members):
                reported.append((ids, t.emissions, t.note or ""))
    return FamilyTotal(root, members, total, total_kwh, known, unknown,
                       {b: v / s for b, v in sorted(basis.items())} if s > 0 else {},
                       tuple(reported))
