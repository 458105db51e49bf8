"""The engine over columns by hand, against scipy, and on deep chains (the reference
engine comparison is tests/test_oracle.py)."""

from __future__ import annotations

import numpy as np
import pytest

from lineage.core.arrays import (
    ArrayGraph,
    WeightError,
    compute_arrays,
)
from lineage.model.columns import CycleError, descendants_of

POLICIES = ("equal", "usage", "params", "compute", "cutoff", "full")


def graph(n: int, edges: list[tuple[int, int]], own: list[float],
          known: list[bool] | None = None) -> ArrayGraph:
    kg = np.repeat(np.array(own, dtype=float)[:, None], 3, axis=1)
    flags = np.array(known if known is not None else [True] * n)
    return ArrayGraph([f"m{i}" for i in range(n)],
                      np.array([u for u, _ in edges], dtype=np.int64),
                      np.array([v for _, v in edges], dtype=np.int64),
                      kg, kg / 10, flags, flags.copy())


def test_equal_shares_on_a_diamond_by_hand() -> None:
    # t (100) → a (10), t → b (20), a → m (1), b → m: a merge of a and b.
    g = graph(4, [(0, 1), (0, 2), (1, 3), (2, 3)], [100, 10, 20, 1])
    r = compute_arrays(g, "equal")
    # t splits over itself + 2 children: s(t→a) = s(t→b) = 1/3; a and b keep 1/2, give m 1/2.
    # C(a) = 10 + 100/3 = 43.33; C(b) = 20 + 100/3 = 53.33; C(m) = 1 + (43.33 + 53.33)/2 = 49.33
    assert r.cumulative_kg[:, 1] == pytest.approx([100, 43.3333333, 53.3333333, 49.3333333])
    # attributed: t keeps 1/3 (33.33), a and b keep half (21.67, 26.67), m all (49.33): Σ = 131
    assert r.attributed_kg is not None
    assert r.attributed_kg[:, 1].sum() == pytest.approx(131.0)
    assert r.complete.all()


def test_unknown_own_cost_reaches_descendants_through_positive_shares_only() -> None:
    g = graph(3, [(0, 1), (1, 2)], [0, 5, 1], known=[False, True, True])
    assert compute_arrays(g, "equal").complete.tolist() == [False, False, False]
    assert compute_arrays(g, "cutoff").complete.tolist() == [False, True, True]


def test_levels_ancestors_descendants_and_cycles() -> None:
    g = graph(5, [(0, 1), (1, 2), (0, 3), (3, 2)], [1] * 5)
    level, _ = g.levels()
    assert level.tolist() == [0, 1, 2, 1, 0]
    assert descendants_of(g.n, g.parent, g.child, np.array([1])).tolist() == [1, 2]
    assert descendants_of(g.n, g.parent, g.child, np.array([0])).tolist() == [0, 1, 2, 3]
    with pytest.raises(CycleError) as err:
        graph(3, [(0, 1), (1, 2), (2, 1)], [1] * 3).levels()
    assert err.value.members.tolist() == [1, 2]


def test_usage_policy_names_the_models_without_usage() -> None:
    g = graph(3, [(0, 1)], [1] * 3)
    g.usage = np.array([5.0, np.nan, np.nan])
    with pytest.raises(WeightError) as err:
        compute_arrays(g, "usage")
    assert err.value.missing.tolist() == [1]  # node 2 has no edge: its usage is not needed


def test_equals_a_sparse_linear_solve() -> None:
    # The LCA way: (I − Sᵀ) c = d, solved by scipy on a random 20,000-node DAG.
    from scipy.sparse import csr_matrix, identity
    from scipy.sparse.linalg import spsolve

    rng = np.random.default_rng(7)
    n = 20_000
    child = np.repeat(np.arange(1, n), 2)
    parent = (rng.random(child.size) * child).astype(np.int64)  # parents precede children
    pairs = np.unique(np.stack([parent, child], axis=1), axis=0)
    own = rng.lognormal(3, 2, n)
    g = graph(n, [(int(u), int(v)) for u, v in pairs], own.tolist())
    r = compute_arrays(g, "equal")
    s = csr_matrix((r.shares, (g.child, g.parent)), shape=(n, n))
    solved = spsolve((identity(n, format="csr") - s).tocsc(), own)
    assert np.allclose(r.cumulative_kg[:, 1], solved, rtol=1e-9, atol=0)
