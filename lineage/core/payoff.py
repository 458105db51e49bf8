"""When a distilled model pays off in use: cumulative emissions against queries served.

Each model's line starts at its cumulative training emissions (under the policy) and rises by
its emissions per query; a model that costs more to make but less to serve overtakes the other
where the lines cross. :func:`payoff` builds the two lines for ``lineage compare`` and for
``lineage plot --kind break-even``; :func:`crossing` is the one break-even-in-queries rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lineage.core.compare import BreakEven, break_even
from lineage.core.deployment import energy_per_1k
from lineage.core.engine import Results
from lineage.model.errors import UsageError
from lineage.model.schema import DeploymentSpec, ServingSpec


@dataclass(frozen=True)
class Line:
    """One model in use: training emissions, then a constant emission per query served."""

    model: str
    name: str
    training_kgco2e: float  # cumulative training emissions under the policy
    kgco2e_per_1k_queries: float
    is_complete: bool  # False: the training figure is a lower bound ("≥")
    kwh_per_1k_queries: float | None = None
    basis: str = ""  # where the energy per query comes from (EcoLogits, the task table, …)
    intensity_from: str = ""  # the grid id (or "intensity") of the emissions per query

    def at(self, queries: float) -> float:
        """Cumulative emissions after ``queries`` queries (kgCO2e)."""
        return self.training_kgco2e + self.kgco2e_per_1k_queries * queries / 1000


def crossing(gap_kgco2e: float, saving_per_1k: float) -> float | None:
    """Queries after which a model that costs ``gap_kgco2e`` more to make and
    ``saving_per_1k`` less per 1,000 queries to serve has caught up; None when never.

    A negative gap with a negative saving (cheaper to make, dearer to serve) gives the point
    where the other model catches up. The same rule answers ``lineage compare`` and draws the
    crossing of ``lineage plot --kind break-even``.

    Example:
        212 t more to make, 1 kg less per 1,000 queries: 212,000 / 1 × 1,000 = 212 M.

        >>> crossing(212_000.0, 1.0)
        212000000.0
        >>> crossing(-5.0, 1.0) is None  # cheaper to make and to serve: no crossing
        True
    """
    if saving_per_1k == 0 or gap_kgco2e == 0 or (gap_kgco2e > 0) != (saving_per_1k > 0):
        return None
    return gap_kgco2e / saving_per_1k * 1000


@dataclass(frozen=True)
class Payoff:
    """A distilled model against its alternative (its teacher, or a model trained from scratch).

    ``break_even`` is :func:`lineage.core.compare.break_even`'s answer when the alternative is a
    model trained from scratch (the training-only break-even that ``lineage compare`` prints).
    """

    policy: str
    student: Line
    alternative: Line
    queries: float  # the deployment's horizon: queries per day × days (0: none given)
    break_even: BreakEven | None

    @property
    def training_gap_kgco2e(self) -> float:
        """How much more the student costs to make (negative: less)."""
        return self.student.training_kgco2e - self.alternative.training_kgco2e

    @property
    def saving_per_1k_queries(self) -> float:
        """How much less the student emits per 1,000 queries (negative: more)."""
        return self.alternative.kgco2e_per_1k_queries - self.student.kgco2e_per_1k_queries

    @property
    def crossing_queries(self) -> float | None:
        """Queries served after which the two lines cross; None when they never do.

        Example:
            Student 40 t + 1 kg per 1,000 queries, alternative 10 t + 4 kg per 1,000:
            40,000 + q/1000 = 10,000 + 4q/1000 ⇔ q = 30,000 × 1000 / 3 = 10,000,000.

            >>> s = Line("s", "s", 40_000, 1.0, True)
            >>> a = Line("a", "a", 10_000, 4.0, True)
            >>> Payoff("equal", s, a, 1e6, None).crossing_queries
            10000000.0
        """
        return crossing(self.training_gap_kgco2e, self.saving_per_1k_queries)

    @property
    def verdict(self) -> str:
        """``repaid`` (dearer to make, cheaper to serve: the lines cross), ``cheaper`` (never
        dearer), ``never`` (dearer to make, no cheaper to serve), ``overtaken`` (cheaper to
        make, dearer to serve: the alternative catches up)."""
        gap, saving = self.training_gap_kgco2e, self.saving_per_1k_queries
        if gap > 0:
            return "repaid" if saving > 0 else "never"
        return "overtaken" if saving < 0 else "cheaper"


def serve(results: Results, model: str, spec: ServingSpec) -> Line:
    """``model``'s line: cumulative training emissions, then emissions per query as served.

    Raises:
        UsageError: the deployment has no emissions per query (no grid or intensity).
    """
    entry = results.project.models[model]
    per_1k, basis, inputs = energy_per_1k(spec, entry, results.project.catalog)
    intensity = inputs.intensity_kgco2e_per_kwh
    if intensity is None:
        raise UsageError(f"{model}: the deployment names no grid or intensity: give --grid")
    training = results.costs[model]
    return Line(model, entry.label, training.cumulative_kgco2e_bound.mid, (per_1k * intensity).mid,
                training.is_complete, per_1k.mid, basis, inputs.intensity_from)


def payoff(results: Results, student: str, alternative: str,
           specs: Mapping[str, ServingSpec]) -> Payoff:
    """``student`` against ``alternative``, each served as ``specs`` says.

    The horizon is the larger deployment (queries per day × days) of the two, 0 when neither
    spec says how much; the training-only :class:`BreakEven` is given when the alternative was
    trained from scratch.
    """
    lines = [serve(results, m, specs[m]) for m in (student, alternative)]
    horizon = max((s.queries_per_day.mid * s.days.mid
                   for s in (specs[student], specs[alternative])
                   if isinstance(s, DeploymentSpec)), default=0.0)
    project = results.project
    scratch = None if project.parents(alternative) or alternative in project.parents(student) \
        else break_even(results, student, alternative)
    return Payoff(results.policy, lines[0], lines[1], horizon, scratch)


def sampled_crossings(p: Payoff, student_kgco2e: Sequence[float],
                      alternative_kgco2e: Sequence[float]) -> list[float | None]:
    """:func:`crossing` for each Monte Carlo sample of the two training figures (drawn
    together, so a shared teacher moves both); the per-query figures stay central."""
    saving = p.saving_per_1k_queries
    return [crossing(s - a, saving) for s, a in zip(student_kgco2e, alternative_kgco2e,
                                                    strict=True)]
