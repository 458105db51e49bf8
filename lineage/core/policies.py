"""Allocation policies (SPEC §3): how much of a parent's cumulative cost each child takes.

Each parent u weighs itself ω_u and each child w ω_uw; then s(u→w) = ω_uw / (ω_u + Σ ω_u·).
Explicit ``share:`` values are taken first and the rest is split by the policy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from lineage.core.stepcost import DirectCost
from lineage.model.errors import InputError, InputErrors
from lineage.model.graph import Project

POLICIES: dict[str, str] = {
    "equal": "the parent and each derivative are co-products that split its cost evenly "
             "(expected_derivatives reserves room for derivatives to come)",
    "usage": "shares follow each model's usage (downloads or queries): the more a model is "
             "used, the more of its parent's cost it bears",
    "params": "shares follow parameter counts: bigger models bear more",
    "compute": "shares follow work done: each child's own step energy against the "
               "parent's own energy",
    "cutoff": "no inheritance: only a model's own steps count, as model cards report today",
    "full": "every child bears its parents' whole cost: a worst case that counts teachers "
            "many times and does not conserve",
}
CONSERVING = frozenset({"equal", "usage", "params", "compute", "cutoff"})

Shares = dict[tuple[str, str], float]
Weight = Callable[[str], float]


def _attribute_weight(project: Project, attr: str, policy: str) -> Weight:
    involved = {m for edge in project.edges for m in edge}
    errors = []
    for mid in sorted(involved):
        entry = project.models[mid]
        if getattr(entry.spec, attr) is None:
            errors.append(InputError(entry.where, f'model "{mid}" has no "{attr}", which '
                                     f"--policy {policy} needs for every model with a parent "
                                     "or a child"))
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
