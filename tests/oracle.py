"""The reference engine the package is checked against: the dict-by-dict formulas of
docs/method.md written as plainly as possible, path by path (a coefficient row per model).

It was the package's engine until the one engine over columns (``lineage.core.arrays``)
replaced it; it stays here as an independent oracle: ``tests/test_oracle.py`` compares both
on random DAGs for every policy. It is quadratic and for tests only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from lineage.core.engine import Contribution, ModelCost
from lineage.core.stepcost import DirectCost, direct_costs
from lineage.model.errors import InputError, InputErrors
from lineage.model.graph import Project
from lineage.model.interval import ZERO
from lineage.model.policy import CONSERVING, POLICIES

Shares = dict[tuple[str, str], float]
Weight = Callable[[str], float]


@dataclass
class Results:
    """The oracle's figures of every model under ``policy``."""

    project: Project
    policy: str
    direct: dict[str, DirectCost]
    shares: Shares
    costs: dict[str, ModelCost] = field(default_factory=dict)
    coefficients: dict[str, dict[str, float]] = field(default_factory=dict)
    retained: Mapping[str, float] = field(default_factory=dict)

    @property
    def is_conserving(self) -> bool:
        return self.policy in CONSERVING


def _attribute_weight(project: Project, attr: str, policy: str) -> Weight:
    involved = {m for edge in project.edges for m in edge}
    what = '"usage" (nor Hub downloads)' if attr == "usage" else f'"{attr}"'
    errors = []
    for mid in sorted(involved):
        entry = project.models[mid]
        if getattr(entry.spec, attr) is None:
            errors.append(InputError(entry.where, f'model "{mid}" has no {what}, which '
                                     f"--policy {policy} needs for every model with a parent "
                                     "or a child"))
    if len(errors) > 20:  # the first 20, then a count
        errors[20:] = [InputError(errors[20].where,
                                  f"… and {len(errors) - 20} more models without it")]
    InputErrors.raise_if_any(errors)

    def weight(mid: str) -> float:
        value = getattr(project.models[mid].spec, attr)
        return float(value.mid)

    return weight


def _weight_fn(project: Project, policy: str, direct: Mapping[str, DirectCost],
               sample: Mapping[str, float] | None) -> Weight:
    if policy == "equal":
        return lambda mid: 1.0
    if policy == "usage":
        base = _attribute_weight(project, "usage", policy)
    elif policy == "params":
        base = _attribute_weight(project, "params", policy)
    elif policy == "compute":
        def base(mid: str) -> float:
            return direct[mid].energy_kwh.mid
    else:
        raise ValueError(policy)
    if sample is None:
        return base
    return lambda mid: sample.get(mid, base(mid))


def compute_shares(project: Project, policy: str, direct: Mapping[str, DirectCost],
                   *, weights: Mapping[str, float] | None = None,
                   explicit: Mapping[tuple[str, str], float] | None = None) -> Shares:
    """s(u→w) for every edge under ``policy``.

    Args:
        weights: optional per-model weights replacing the policy's (Monte Carlo samples).
        explicit: optional explicit shares replacing the central written ones.

    Raises:
        InputErrors: ``usage``/``params`` missing on a model that needs it.
        ValueError: an unknown policy name.
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}")
    if policy in ("cutoff", "full"):
        value = 0.0 if policy == "cutoff" else 1.0
        return {edge: value for edge in project.edges}
    weight = _weight_fn(project, policy, direct, weights)
    shares: Shares = {}
    for parent in project.G.nodes:
        children = list(project.G.successors(parent))
        if not children:
            continue
        fixed = {w: _explicit(project, explicit, parent, w) for w in children}
        free = [w for w in children if fixed[w] is None]
        rest = max(0.0, 1.0 - sum(v for v in fixed.values() if v is not None))
        phantom = 0.0
        n = project.models[parent].spec.expected_derivatives
        if policy == "equal" and n is not None:
            phantom = float(max(0, n - len(children)))
        denominator = weight(parent) + sum(weight(w) for w in free) + phantom
        for w in children:
            f = fixed[w]
            if f is not None:
                shares[(parent, w)] = f
            else:
                shares[(parent, w)] = rest * weight(w) / denominator if denominator > 0 else 0.0
    return shares


def _explicit(project: Project, explicit: Mapping[tuple[str, str], float] | None,
              parent: str, child: str) -> float | None:
    if explicit is not None and (parent, child) in explicit:
        return explicit[(parent, child)]
    share = project.edges[(parent, child)].share
    return None if share is None else share.mid


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
        own_kgco2e_bound=direct[mid].emissions_kgco2e, own_kwh_bound=direct[mid].energy_kwh,
        cumulative_kgco2e_bound=cumulative, cumulative_kwh_bound=cumulative_kwh,
        attributed_kgco2e_bound=attributed, attributed_kwh_bound=attributed_kwh,
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


def _flag_unknown_weights(results: Results) -> None:
    """Under ``compute``, a share weighed with an unknown energy is itself unknown.

    A model whose inherited share depends on such a weight (its own, a parent's or a
    sibling's, at any level up) is marked incomplete, with the models whose energy is unknown.
    """
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
                c, is_complete=False, is_inherited_complete=False, is_energy_complete=False,
                is_inherited_energy_complete=False,
                unknown=tuple(sorted(set(c.unknown) | found)))




def compute(project: Project, policy: str = "equal") -> Results:
    """Every model's figures under ``policy``, path by path."""
    d = direct_costs(project)
    s = compute_shares(project, policy, d)
    results = Results(project, policy, d, s)
    results.coefficients = _coefficients(project, s)
    if policy == "full":  # each ancestor once, whatever the number of paths
        results.coefficients = {v: dict.fromkeys({v} | project.G.ancestors(v), 1.0)
                                for v in project.G.nodes}
    for mid, row in results.coefficients.items():
        results.costs[mid] = _model_cost(mid, row, results)
    if policy == "compute":
        _flag_unknown_weights(results)
    return results
