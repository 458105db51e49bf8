"""Invariants of docs/method.md#what-the-numbers-mean on random DAGs (multi-parent, explicit
shares, several steps)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lineage
from lineage.io.validation import validate_document
from lineage.model.files import Document
from lineage.model.graph import Project, build

CONSERVING = ("equal", "usage", "params", "compute", "cutoff")


@st.composite
def dags(draw: Any) -> dict[str, Any]:
    n = draw(st.integers(1, 10))
    models: dict[str, Any] = {}
    explicit_out: dict[int, int] = {}
    for i in range(n):
        parents = draw(st.lists(st.integers(0, i - 1), unique=True, max_size=3)) if i else []
        refs: list[Any] = []
        for p in parents:
            if draw(st.booleans()) and explicit_out.get(p, 0) < 3:
                explicit_out[p] = explicit_out.get(p, 0) + 1
                refs.append({"model": f"m{p}", "share": str(draw(st.sampled_from(
                    [0, 0.05, 0.1, 0.2, 0.3]))), "role": "teacher"})
            else:
                refs.append(f"m{p}")
        low = draw(st.integers(0, 1000))
        spread = draw(st.sampled_from([0, 0, 10, 250]))
        split = draw(st.integers(0, len(refs)))
        steps = [{"kind": "distillation" if refs else "pretraining", "from": refs[:split],
                  "emissions": f"{low}..{low + spread} t" if spread else f"{low} t",
                  "energy": f"{draw(st.integers(0, 5000))} MWh"}]
        if draw(st.booleans()) or refs[split:]:
            steps.append({"kind": "finetuning", "from": refs[split:],
                          "emissions": f"{draw(st.integers(0, 50))} t",
                          "energy": f"{draw(st.integers(0, 100))} MWh"})
        model: dict[str, Any] = {"usage": str(draw(st.integers(0, 10**6))),
                                 "params": f"{draw(st.integers(1, 400))}B", "steps": steps}
        if draw(st.booleans()):
            model["expected_derivatives"] = str(draw(st.integers(0, 20)))
        models[f"m{i}"] = model
    return models


def project_of(models: dict[str, Any], files: int = 1, seed: int = 0) -> Project:
    ids = list(models)
    random.Random(seed).shuffle(ids)
    loaded = []
    for k in range(files):
        part = {m: models[m] for m in ids[k::files]}
        loaded.append(validate_document(Document(f"f{k}.yaml", {"lineage": "1",
                                                                 "models": part})))
    return build(loaded)


@settings(max_examples=60, deadline=None)
@given(dags(), st.sampled_from(CONSERVING))
def test_conservation(models: dict[str, Any], policy: str) -> None:
    r = lineage.compute(project_of(models), policy)
    for bound in ("low", "mid", "high"):
        attributed = sum(getattr(c.attributed_kgco2e, bound) for c in r.costs.values())
        direct = sum(getattr(d.emissions_kgco2e, bound) for d in r.direct.values())
        assert attributed == pytest.approx(direct, rel=1e-9, abs=1e-6)
        attributed_kwh = sum(getattr(c.attributed_kwh, bound) for c in r.costs.values())
        direct_kwh = sum(getattr(d.energy_kwh, bound) for d in r.direct.values())
        assert attributed_kwh == pytest.approx(direct_kwh, rel=1e-9, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(dags(), st.sampled_from((*CONSERVING, "full")))
def test_own_plus_contributions_is_cumulative_and_bounds_are_ordered(
        models: dict[str, Any], policy: str) -> None:
    r = lineage.compute(project_of(models), policy)
    for c in r.costs.values():
        for bound in ("low", "mid", "high"):
            total = getattr(c.own_kgco2e, bound) + sum(
                getattr(x.kgco2e, bound) for x in c.contributions)
            assert total == pytest.approx(getattr(c.cumulative_kgco2e, bound), rel=1e-9, abs=1e-6)
        v = c.cumulative_kgco2e
        assert v.low <= v.mid <= v.high


@settings(max_examples=40, deadline=None)
@given(dags())
def test_cutoff_means_cumulative_is_direct(models: dict[str, Any]) -> None:
    r = lineage.compute(project_of(models), "cutoff")
    for m, c in r.costs.items():
        assert c.cumulative_kgco2e == r.direct[m].emissions_kgco2e
        assert c.contributions == ()


@settings(max_examples=40, deadline=None)
@given(dags(), st.sampled_from(CONSERVING), st.integers(0, 1000))
def test_order_of_files_and_models_does_not_matter(models: dict[str, Any], policy: str,
                                                   seed: int) -> None:
    a = lineage.compute(project_of(models, files=1, seed=0), policy)
    b = lineage.compute(project_of(models, files=3, seed=seed), policy)
    for m in models:
        assert a.costs[m].cumulative_kgco2e_bound.as_tuple() == pytest.approx(
            b.costs[m].cumulative_kgco2e_bound.as_tuple(), rel=1e-12)
