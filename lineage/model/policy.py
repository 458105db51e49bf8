"""The allocation policies by name, each with its assumption (docs/method.md, "Policies").

How much of a parent's cumulative cost each child takes is computed by one function,
:func:`lineage.core.arrays.shares`; this module only names the policies and says what each
assumes, so that the command line, the reports and the engine agree on one list.
"""

from __future__ import annotations

from enum import StrEnum


class Policy(StrEnum):
    """An allocation policy; :data:`RULES` says what each assumes."""

    EQUAL = "equal"
    USAGE = "usage"
    PARAMS = "params"
    COMPUTE = "compute"
    CUTOFF = "cutoff"
    FULL = "full"


RULES: dict[Policy, str] = {
    Policy.EQUAL: "the parent and each derivative are co-products that split its cost evenly "
                  "(expected_derivatives reserves room for derivatives to come)",
    Policy.USAGE: "shares follow each model's usage (downloads or queries): the more a model "
                  "is used, the more of its parent's cost it bears",
    Policy.PARAMS: "shares follow parameter counts: bigger models bear more",
    Policy.COMPUTE: "shares follow work done: each child's own step energy against the "
                    "parent's own energy",
    Policy.CUTOFF: "no inheritance: only a model's own steps count, as model cards report today",
    Policy.FULL: "every child bears its parents' whole cost: a worst case that counts teachers "
                 "many times and does not conserve",
}
POLICIES: dict[str, str] = {p.value: RULES[p] for p in Policy}
# The policies under which the attributed figures of all models add up to their direct costs.
CONSERVING = frozenset(POLICIES) - {Policy.FULL.value}
