"""Monte Carlo uncertainty (issue 5): sample every ranged input, propagate, summarise.

Interval bounds (docs/method.md#ranges) answer "how low or high could it be?"; sampling answers "how
likely?". Each ranged input a figure depends on (GPU-hours, GPU count, hours, days, power,
utilization, PUE, intensity, a given energy or emissions, ``usage``/``params`` weights, an
explicit ``share:``) is drawn ``n`` times, uniformly within its range or from a triangular
law whose mode is its central value. Each part's energy and emissions are then rebuilt
exactly as :func:`lineage.core.stepcost.part_cost` resolved them, the shares are recomputed
when they depend on sampled values, and c(v) = d(v) + Σ s(u→v)·c(u) is propagated with
the engine's own propagation over a (models, samples) matrix.

Why: a figure that several parts share (a registry grid's intensity, a hardware's rated
power, a file's ``defaults``) is one uncertain quantity, not one per part: it is drawn
once per sample for every part that uses it, keyed by the object it was read from.

Unknown parts count 0, as in the deterministic results: the sampled figures stay lower
bounds where :meth:`MonteCarlo.is_complete` is False.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray

from lineage.core.arrays import ArrayGraph, cumulate
from lineage.core.arrays import shares as edge_shares
from lineage.core.engine import Results, compute
from lineage.core.stepcost import DirectCost, PartCost
from lineage.model.errors import UsageError
from lineage.model.graph import Project
from lineage.model.interval import Interval
from lineage.model.schema import ComputeSpec

Array = NDArray[np.float64]
Value = float | Array  # a constant, or one value per sample

DISTRIBUTIONS: dict[str, str] = {
    "uniform": "every value within a range is equally likely",
    "triangular": "values near a range's central value are likelier (the mode is the central "
                  "value, the low and high bounds are the ends)",
}
QUANTITIES = ("kgco2e", "kwh")


@dataclass(frozen=True)
class Summary:
    """Percentiles of one model's sampled cumulative figure (kgCO2e or kWh).

    Example:
        >>> Summary.of(np.array([1.0, 2.0, 3.0])).median
        2.0
    """

    median: float
    p5: float
    p95: float
    min: float
    max: float
    n: int

    @classmethod
    def of(cls, samples: Array) -> Summary:
        """Summarise ``samples`` (linear interpolation between order statistics)."""
        p5, median, p95 = (float(x) for x in np.percentile(samples, [5.0, 50.0, 95.0]))
        return cls(median, p5, p95, float(samples.min()), float(samples.max()), samples.size)

    def as_interval(self) -> Interval:
        """The 5–95% interval with the median as its central value."""
        return Interval(self.p5, self.median, self.p95)

    def as_dict(self) -> dict[str, float | int]:
        """The fields as a JSON-ready mapping."""
        return asdict(self)


@dataclass(frozen=True, eq=False)
class MonteCarlo:
    """Sampled cumulative costs of every model under one policy.

    Attributes:
        results: the deterministic results at central values (shares, completeness).
        n: the number of samples.
        seed: the seed given, or None for a fresh one.
        distribution: ``uniform`` or ``triangular``.
        inputs_sampled: how many distinct ranged inputs were drawn.
        shares_vary: True when the shares were recomputed for every sample.
        kgco2e: cumulative emissions samples by model id (kgCO2e, ``n`` values each;
            treat them as read-only: a figure that does not vary is a broadcast view).
        kwh: cumulative energy samples by model id (kWh, ``n`` values each).
    """

    results: Results
    n: int
    seed: int | None
    distribution: str
    inputs_sampled: int
    shares_vary: bool
    kgco2e: Mapping[str, Array]
    kwh: Mapping[str, Array]

    @property
    def policy(self) -> str:
        return self.results.policy

    def samples(self, name: str, quantity: str = "kgco2e") -> Array:
        """The ``n`` sampled cumulative values of the model ``name`` (kgCO2e or kWh).

        Raises:
            UsageError: no model has that name, or ``quantity`` is not kgco2e or kwh.
        """
        if quantity not in QUANTITIES:
            raise UsageError(f'unknown quantity "{quantity}"; choose one of: '
                             f"{', '.join(QUANTITIES)}")
        table = self.kgco2e if quantity == "kgco2e" else self.kwh
        return table[self.results.resolve(name)]

    def summary(self, name: str, quantity: str = "kgco2e") -> Summary:
        """Median, 5th/95th percentiles, min and max of a model's cumulative figure."""
        return Summary.of(self.samples(name, quantity))

    def is_complete(self, name: str, quantity: str = "kgco2e") -> bool:
        """False when an unknown cost reaches the model: its figures are lower bounds."""
        cost = self.results.cost(name)
        return cost.is_complete if quantity == "kgco2e" else cost.is_energy_complete


class _Sampler:
    """Draws each distinct ranged input once, keyed by the object it was read from."""

    def __init__(self, n: int, seed: int | None, distribution: str) -> None:
        self.n = n
        self.distribution = distribution
        self._rng = np.random.default_rng(seed)
        # The interval is kept beside its draw so that its id() cannot be reused.
        self._drawn: dict[int, tuple[Interval, Array]] = {}

    @property
    def count(self) -> int:
        return len(self._drawn)

    def value(self, interval: Interval) -> Value:
        """A constant for an exact interval, else its ``n`` samples."""
        if not interval.low < interval.high:
            return float(interval.mid)
        got = self._drawn.get(id(interval))
        if got is None:
            got = (interval, self._draw(interval))
            self._drawn[id(interval)] = got
        return got[1]

    def _draw(self, iv: Interval) -> Array:
        if self.distribution == "triangular":
            mode = min(max(iv.mid, iv.low), iv.high)
            return self._rng.triangular(iv.low, mode, iv.high, self.n)
        return self._rng.uniform(iv.low, iv.high, self.n)


def _part_energy(part: PartCost, block: ComputeSpec, s: _Sampler) -> Value:
    """kWh of one part, following the basis :func:`~lineage.core.stepcost.part_cost` chose."""
    if part.energy_basis == "unknown":
        return 0.0
    if part.energy_basis != "estimated":
        assert block.energy is not None
        return s.value(block.energy)
    i = part.inputs
    assert i.power_kw is not None
    gpu_hours: Value = block.gpu_hours_of(s.value)
    return gpu_hours * s.value(i.power_kw) * s.value(i.utilization) * s.value(i.pue)


def _part_emissions(part: PartCost, block: ComputeSpec, energy: Value, s: _Sampler) -> Value:
    """kgCO2e of one part: the given figure, or its sampled energy × intensity."""
    if part.emissions_basis == "unknown":
        return 0.0
    if part.emissions_basis not in ("estimated", "assumed"):
        assert block.emissions is not None
        return s.value(block.emissions)
    assert part.inputs.intensity_kgco2e_per_kwh is not None
    return energy * s.value(part.inputs.intensity_kgco2e_per_kwh)


def _direct(project: Project, direct: Mapping[str, DirectCost], s: _Sampler
            ) -> tuple[dict[str, Value], dict[str, Value]]:
    """d(v) per model of ``direct`` as (kgCO2e, kWh), each a constant or ``n`` samples."""
    kg: dict[str, Value] = {}
    kwh: dict[str, Value] = {}
    for mid, d in direct.items():
        specs = project.models[mid].spec.steps
        kg_total: Value = 0.0
        kwh_total: Value = 0.0
        for step in d.steps:
            spec = specs[step.index]
            ti = spec.teacher_inference
            blocks: tuple[ComputeSpec, ...] = (spec,) if ti is None else (spec, ti)
            for part, block in zip(step.parts, blocks, strict=True):
                energy = _part_energy(part, block, s)
                kwh_total = kwh_total + energy
                kg_total = kg_total + _part_emissions(part, block, energy, s)
        kg[mid], kwh[mid] = kg_total, kwh_total
    return kg, kwh


def _columns(results: Results, values: Mapping[str, Value], n: int) -> Array:
    """Per-model values as a (models, n) array in the engine's node order."""
    out = np.empty((results.graph.n, n))
    for m, i in results.index.items():
        out[i] = values[m]
    return out


def _sampled_shares(project: Project, results: Results, kwh: Array, s: _Sampler
                    ) -> tuple[Array, bool]:
    """The shares, (E,) or (E, n) when they vary with the samples: the engine's own share
    rule (:func:`lineage.core.arrays.shares`) given sampled weights and explicit shares."""
    g, policy = results.graph, results.policy
    if policy in ("cutoff", "full"):  # explicit shares are ignored there
        return results.arrays.shares, False
    weights: Array | None = None
    if policy == "compute":
        weights = kwh
    elif policy in ("usage", "params"):  # compute() rejected a linked model without it
        base = getattr(g, policy)
        weights = np.broadcast_to(np.where(np.isnan(base), 0.0, base)[:, None],
                                  (g.n, s.n)).copy()
        for i in np.unique(np.r_[g.parent, g.child]).tolist():
            weights[i] = s.value(getattr(project.models[g.ids[i]].spec, policy))
    assert g.explicit is not None
    explicit = np.broadcast_to(g.explicit[:, None], (g.explicit.size, s.n)).copy()
    for e, (u, v) in enumerate(zip(g.parent.tolist(), g.child.tolist(), strict=True)):
        share = project.edges[(g.ids[u], g.ids[v])].share
        if share is not None:
            explicit[e] = s.value(share)
    if (weights is None or np.all(weights == weights[:, :1])) and \
            np.all(np.isnan(explicit) | (explicit == explicit[:, :1])):
        return results.arrays.shares, False
    return edge_shares(g, policy, weights=weights, explicit=explicit), True


def _check(n: int, distribution: str) -> None:
    if n < 1:
        raise UsageError(f"--monte-carlo needs at least 1 sample, not {n}")
    if distribution not in DISTRIBUTIONS:
        raise UsageError(f'unknown distribution "{distribution}"; choose one of: '
                         f"{', '.join(DISTRIBUTIONS)}")


def simulate(project: Project, policy: str = "equal", n: int = 10_000, seed: int | None = None,
             distribution: str = "uniform") -> MonteCarlo:
    """Sample every ranged input ``n`` times and propagate each sample through the lineage.

    Args:
        project: the loaded project (:func:`lineage.load`).
        policy: an allocation policy of :data:`lineage.model.policy.POLICIES`.
        n: the number of samples.
        seed: makes the draws reproducible; None draws fresh ones.
        distribution: ``uniform`` within each range, or ``triangular`` with the central
            value as the mode.

    Returns:
        A :class:`MonteCarlo` with every model's cumulative kgCO2e and kWh samples.

    Raises:
        UsageError: an unknown policy or distribution, or ``n`` < 1.
        InputErrors: a policy that needs data a model lacks (``usage``, ``params``).

    Example:
        >>> from lineage.model.graph import build
        >>> from lineage.io.validation import validate_document
        >>> from lineage.io.yamlio import parse_text
        >>> f = validate_document(parse_text("x.yaml", "lineage: 1\\nmodels:\\n  a: "
        ...     "{steps: [{kind: pretraining, emissions: 90..110 t}]}\\n"))
        >>> s = simulate(build([f]), n=1000, seed=1).summary("a")
        >>> 90_000 <= s.min < s.p5 < s.median < s.p95 < s.max <= 110_000
        True
    """
    _check(n, distribution)
    return simulate_results(compute(project, policy), n, seed, distribution)


def simulate_results(results: Results, n: int = 10_000, seed: int | None = None,
                     distribution: str = "uniform") -> MonteCarlo:
    """:func:`simulate` for results already computed: a project's (the same draws as
    :func:`simulate` with the results' project and policy), or one model explained from a hub
    dump (:func:`lineage.core.hubexplain.explain_results`).

    For a hub explanation, the ranged inputs of the project models among the explained
    model and its ancestors (``results.members``; those whose own cost is a range) are
    sampled and propagated over those models alone, with the shares of the whole joined
    graph as computed (at central values: they are not resampled). The Hub's models report
    exact figures, so their own costs are constants; the children that only weigh the shares
    are not part of it.

    Raises:
        UsageError: an unknown distribution, or ``n`` < 1.

    Example: a registry-like model ``base`` (own 90..110 t) with two hub children, one of
    them ``org/ft`` (100 kg reported), which takes a third of it under ``equal``: its
    cumulative samples lie in [30.1, 36.77] t (``tests/test_montecarlo.py``).
    """
    _check(n, distribution)
    sampler = _Sampler(n, seed, distribution)
    if results.members is None:  # every model of the project; shares resampled if they vary
        graph = results.graph
        kg, kwh = _direct(results.project, results.direct, sampler)
        kg_columns, kwh_columns = _columns(results, kg, n), _columns(results, kwh, n)
        shares, vary = _sampled_shares(results.project, results, kwh_columns, sampler)
    else:
        graph, shares, kg_columns, kwh_columns = _members(results, results.members, sampler)
        vary = False
    cumulative_kg = cumulate(graph, shares, kg_columns, results.policy)
    cumulative_kwh = cumulate(graph, shares, kwh_columns, results.policy)
    return MonteCarlo(
        results=results, n=n, seed=seed, distribution=distribution,
        inputs_sampled=sampler.count, shares_vary=vary,
        kgco2e={m: cumulative_kg[i] for m, i in results.index.items()},
        kwh={m: cumulative_kwh[i] for m, i in results.index.items()})


def _members(results: Results, members: list[str], s: _Sampler
             ) -> tuple[ArrayGraph, Array, Array, Array]:
    """A hub explanation's members over the edges between them, with their shares as
    computed, and their own (kgCO2e, kWh) columns: ranged ones sampled, the rest central."""
    m = len(members)
    g = results.graph
    keep = g.child < m  # the members come first and hold all their ancestors
    closure = ArrayGraph(list(members), g.parent[keep], g.child[keep], g.own_kg[:m],
                         g.own_kwh[:m], g.own_complete[:m], g.energy_complete[:m])
    spread = (closure.own_kg[:, 0] < closure.own_kg[:, 2]) | \
        (closure.own_kwh[:, 0] < closure.own_kwh[:, 2])  # the Hub's figures are exact
    ranged = {members[i]: results.direct[members[i]] for i in np.flatnonzero(spread).tolist()}
    kg, kwh = _direct(results.project, ranged, s)
    kg_columns = np.repeat(closure.own_kg[:, 1:2], s.n, axis=1)
    kwh_columns = np.repeat(closure.own_kwh[:, 1:2], s.n, axis=1)
    for i, mid in enumerate(members):
        if mid in ranged:
            kg_columns[i], kwh_columns[i] = kg[mid], kwh[mid]
    return closure, results.arrays.shares[keep], kg_columns, kwh_columns

