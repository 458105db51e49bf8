"""Answers to the questions users ask: how much does the allocation choice matter
(``--policy all``), how do models compare, and how many students must share a teacher before
distilling beats training from scratch (break-even under ``equal`` amortization).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from lineage.core.engine import ModelCost, Results, compute
from lineage.core.stepcost import direct_costs
from lineage.model.errors import InputErrors
from lineage.model.graph import Project
from lineage.model.policy import POLICIES


@dataclass(frozen=True)
class PolicyOutcome:
    """One policy's answer for a model, or why it has none."""

    policy: str
    assumption: str
    cost: ModelCost | None
    problem: str | None


def all_policies(project: Project, model: str,
                 cost_of: Callable[[str], ModelCost] | None = None) -> list[PolicyOutcome]:
    """``model``'s costs under every policy; a policy that lacks data says why instead.

    ``cost_of(policy)`` replaces the computation on ``project`` (a hub dump's whole-graph
    shares: :func:`lineage.api.hub_results`).
    """
    direct = direct_costs(project) if cost_of is None else {}  # the steps are costed once
    out = []
    for policy, assumption in POLICIES.items():
        try:
            cost = cost_of(policy) if cost_of is not None else \
                compute(project, policy, direct=direct).cost(model)
        except InputErrors as exc:
            first = exc.errors[0].message if exc.errors else str(exc)
            out.append(PolicyOutcome(policy, assumption, None, first))
            continue
        out.append(PolicyOutcome(policy, assumption, cost, None))
    return out


@dataclass(frozen=True)
class BreakEven:
    """Distilled student vs a model trained from scratch, under ``equal`` amortization.

    With N students sharing the teacher(s) equally, a student's cumulative cost is
    d(student) + c(teachers) / (N + 1); distilling wins once that drops below d(scratch).
    """

    student: str
    scratch: str
    teachers: tuple[str, ...]
    teachers_kgco2e: float  # Σ c(u) over the student's parents
    student_own_kgco2e: float  # d(student), teacher inference included
    scratch_own_kgco2e: float  # d(scratch)
    is_known: bool  # False when the student's, teachers' or scratch model's cost is unknown
    is_teachers_known: bool  # False when a teacher's cumulative cost is unknown (a lower bound)
    is_own_known: bool  # False when the student's own cost is unknown (a lower bound)
    is_scratch_known: bool  # False when the scratch model's cumulative cost is unknown
    students: int | None  # the smallest N ≥ 1 at which distilling wins; None if never


def break_even(results: Results, student: str, scratch: str) -> BreakEven | None:
    """The number of students at which distilling ``student`` beats pretraining ``scratch``.

    Returns None when ``student`` has no parent. ``students`` is None when distilling never
    wins (the student's own cost alone is not below the scratch model's).

    Example:
        Teacher 300 t, student 20 t (teacher inference included), scratch 100 t:
        20 + 300/(N+1) ≤ 100 ⇔ N + 1 ≥ 3.75 ⇔ N ≥ 3 (at N = 3: 20 + 75 = 95 t).
    """
    parents = tuple(results.project.parents(student))
    if not parents:
        return None
    teachers = sum(results.costs[p].cumulative_kgco2e_bound.mid for p in parents)
    own = results.direct[student].emissions_kgco2e.mid
    other = results.costs[scratch].cumulative_kgco2e_bound.mid
    teachers_known = all(results.costs[p].is_complete for p in parents)
    # the three figures the rule reads, whatever the policy makes of the student's cumulative
    # cost (under cutoff it is complete without its teachers)
    known = results.direct[student].is_complete and teachers_known and \
        results.costs[scratch].is_complete
    n: int | None = None
    if own < other:
        n = max(1, math.ceil(teachers / (other - own) - 1 - 1e-12))
    return BreakEven(student, scratch, parents, teachers, own, other, known, teachers_known,
                     results.direct[student].is_complete, results.costs[scratch].is_complete, n)


@dataclass(frozen=True)
class Comparison:
    """Models side by side under one policy."""

    results: Results
    models: tuple[str, ...]
    break_evens: tuple[BreakEven, ...]


def compare(results: Results, names: list[str]) -> Comparison:
    """Resolve ``names`` and pair every derived model with every root model for break-even."""
    models = tuple(dict.fromkeys(results.resolve(n) for n in names))
    pairs = []
    for a in models:
        for b in models:
            if a != b and results.project.parents(a) and not results.project.parents(b):
                be = break_even(results, a, b)
                if be is not None:
                    pairs.append(be)
    return Comparison(results, models, tuple(pairs))
