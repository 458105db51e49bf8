"""When a distilled model pays off in use: cumulative emissions against queries served.

Each model's line starts at its cumulative training emissions (under the policy) and rises by
its emissions per query; a model that costs more to make but less to serve overtakes the other
where the lines cross.
"""

from __future__ import annotations

from dataclasses import dataclass

from lineage.core.compare import BreakEven
from lineage.core.deployment import DeploymentCost
from lineage.model.errors import UsageError


@dataclass(frozen=True)
class Line:
    """One model in use: training emissions, then a constant emission per query served."""

    model: str
    name: str
    training_kgco2e: float  # cumulative training emissions under the policy
    kgco2e_per_1k_queries: float
    is_complete: bool  # False: the training figure is a lower bound ("≥")

    def at(self, queries: float) -> float:
        """Cumulative emissions after ``queries`` queries (kgCO2e)."""
        return self.training_kgco2e + self.kgco2e_per_1k_queries * queries / 1000


@dataclass(frozen=True)
class Payoff:
    """A distilled model against its alternative (its teacher, or a model trained from scratch).

    ``students`` is :func:`lineage.core.compare.break_even`'s answer when the alternative is a
    model trained from scratch (the training-only break-even that ``lineage compare`` prints).
    """

    policy: str
    student: Line
    alternative: Line
    queries: float  # the deployment's horizon: queries per day × days
    break_even: BreakEven | None

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
        gap = self.student.training_kgco2e - self.alternative.training_kgco2e
        slope = self.alternative.kgco2e_per_1k_queries - self.student.kgco2e_per_1k_queries
        if slope == 0 or gap == 0 or (gap > 0) != (slope > 0):
            return None
        return gap / slope * 1000


def line(d: DeploymentCost, name: str) -> Line:
    """The line of a deployment (see :func:`lineage.core.deployment.deployment_cost`).

    Raises:
        UsageError: the deployment has no emissions per query (no grid or intensity).
    """
    if d.kgco2e_per_1k_queries is None:
        raise UsageError(f"{d.model}: the deployment names no grid or intensity: give --grid")
    return Line(d.model, name, d.training_kgco2e.mid, d.kgco2e_per_1k_queries.mid,
                d.training_complete)
