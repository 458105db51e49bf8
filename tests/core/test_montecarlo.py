"""Monte Carlo uncertainty (issue 5, acceptance 2): hand-checked medians and percentiles,
reproducibility, and the bounds property on random DAGs.

Sampling tolerances: for n uniform draws on a range of width W, the sample median's
standard error is about 0.5·W/√n and the 5th percentile's √(0.05·0.95/n)·W; every
tolerance below is at least 4 standard errors (and the seeds are fixed, so the tests are
deterministic anyway).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lineage
from lineage.core.arrays import from_project
from lineage.core.arrays import shares as edge_shares
from lineage.core.montecarlo import MonteCarlo, simulate
from lineage.io.validation import validate_document
from lineage.model.errors import InputErrors, UsageError
from lineage.model.files import Document
from lineage.model.graph import Project, build
from tests import oracle

ROOT = """
lineage: 1
models:
  root: {steps: [{kind: pretraining, emissions: 90..110 t, energy: 200..400 MWh}]}
"""

# A parent with usage 1M and 100 t; its child's usage is 1M..3M and its own cost is 0.
USAGE = """
lineage: 1
models:
  parent: {usage: 1M, steps: [{kind: pretraining, emissions: 100 t, energy: 100 MWh}]}
  child:
    usage: 1M..3M
    steps: [{kind: finetuning, from: parent, emissions: 0 t, energy: 0 kWh}]
"""

# Under compute, the child's own energy 50..150 MWh sets its share of the parent's cost.
COMPUTE = """
lineage: 1
models:
  parent: {steps: [{kind: pretraining, emissions: 100 t, energy: 100 MWh}]}
  child: {steps: [{kind: finetuning, from: parent, emissions: 0 t, energy: 50..150 MWh}]}
"""

# T (100 t) has two students S1 and S2 (10 t each); S1 has a fine-tune F (1 t).
EXACT = """
lineage: 1
models:
  t:  {usage: 5, params: 70B, expected_derivatives: 4,
       steps: [{kind: pretraining, emissions: 100 t, energy: 1000 MWh}]}
  s1: {usage: 3, params: 8B,
       steps: [{kind: distillation, from: t, emissions: 10 t, energy: 100 MWh}]}
  s2: {usage: 2, params: 1B, steps: [{kind: distillation, from: [{model: t, share: 0.2}],
       gpu_hours: 1000, power: 1 kW, pue: 1.2, intensity: 0.4 kgCO2e/kWh}]}
  f:  {usage: 1, params: 8B,
       steps: [{kind: finetuning, from: s1, emissions: 1 t, energy: 10 MWh}]}
"""


def test_median_of_a_uniform_root(make_project) -> None:
    mc = simulate(make_project(ROOT), n=10_000, seed=1)
    s = mc.summary("root")
    # U(90, 110) t: median 100 t (s.e. 0.5 × 20 / √10,000 = 0.1 t); p5 = 91 t, p95 = 109 t
    # (s.e. √(0.05 × 0.95 / 10,000) × 20 = 0.044 t)
    assert s.median == pytest.approx(100_000, abs=500)
    assert s.p5 == pytest.approx(91_000, abs=300)
    assert s.p95 == pytest.approx(109_000, abs=300)
    assert 90_000 <= s.min < s.max <= 110_000
    assert s.n == 10_000
    # energy U(200, 400) MWh: median 300 MWh (s.e. 1 MWh), drawn independently of emissions
    assert mc.summary("root", "kwh").median == pytest.approx(300_000, abs=5_000)
    assert mc.inputs_sampled == 2
    assert abs(np.corrcoef(mc.samples("root"), mc.samples("root", "kwh"))[0, 1]) < 0.05


def test_triangular_uses_the_central_value_as_mode(make_project) -> None:
    s = simulate(make_project(ROOT), n=10_000, seed=2, distribution="triangular").summary("root")
    # triangle on [90, 110] with mode 100: F(x) = (x − 90)² / (20 × 10) below the mode,
    # so p5 = 90 + √(0.05 × 200) = 93.162 t, p95 = 110 − √10 = 106.838 t, median 100 t
    assert s.median == pytest.approx(100_000, abs=500)
    assert s.p5 == pytest.approx((90 + math.sqrt(10)) * 1000, abs=300)
    assert s.p95 == pytest.approx((110 - math.sqrt(10)) * 1000, abs=300)


def test_usage_range_changes_the_share_and_widens_the_interval(make_project) -> None:
    project = make_project(USAGE)
    det = lineage.compute(project, "usage").cost("child").cumulative_kgco2e
    # deterministic: usage is taken at its central value 2M → s = 2M / (1M + 2M) = 2/3,
    # c(child) = 100 t × 2/3 = 66.667 t with no spread
    assert det.as_tuple() == pytest.approx((66_666.67,) * 3, rel=1e-6)
    mc = simulate(project, "usage", n=10_000, seed=3)
    assert mc.shares_vary
    s = mc.summary("child")
    # c(child) = 100 t × u / (1M + u) rises with u ~ U(1M, 3M), so its percentiles are those
    # of u: median f(2M) = 66.667 t; p5 f(1.1M) = 100 × 1.1 / 2.1 = 52.381 t;
    # p95 f(2.9M) = 100 × 2.9 / 3.9 = 74.359 t; all within [f(1M), f(3M)] = [50, 75] t.
    # (s.e. of the median: 0.1M in u × f'(2M) = 1M / 9M² per unit → 0.11 t)
    assert s.median == pytest.approx(66_666.67, abs=500)
    assert s.p5 == pytest.approx(52_381.0, abs=500)
    assert s.p95 == pytest.approx(74_359.0, abs=500)
    assert s.min >= 50_000 and s.max <= 75_000
    assert s.p95 - s.p5 > 20_000  # the interval widened from 0 to ~22 t
    # the parent keeps its own 100 t whatever the share
    assert mc.summary("parent").as_dict() == {"median": 100_000.0, "p5": 100_000.0,
                                              "p95": 100_000.0, "min": 100_000.0,
                                              "max": 100_000.0, "n": 10_000}


def test_compute_policy_shares_follow_sampled_energy(make_project) -> None:
    mc = simulate(make_project(COMPUTE), "compute", n=10_000, seed=4)
    assert mc.shares_vary
    # e ~ U(50, 150) MWh; s = e / (100 + e); c(child) = 100 t × s, rising with e:
    # median at e = 100: 50 t; p5 at e = 55: 100 × 55 / 155 = 35.484 t; max ≤ 100 × 150/250
    s = mc.summary("child")
    assert s.median == pytest.approx(50_000, abs=500)
    assert s.p5 == pytest.approx(35_484, abs=500)
    assert s.min >= 100_000 / 3 and s.max <= 60_000
    # energy: e + 100 MWh × s, median 100 + 50 = 150 MWh
    assert mc.summary("child", "kwh").median == pytest.approx(150_000, abs=1_500)


@pytest.mark.parametrize("policy", sorted(lineage.POLICIES))
def test_no_ranges_gives_the_deterministic_cumulative(make_project, policy: str) -> None:
    project = make_project(EXACT)
    r = lineage.compute(project, policy)
    mc = simulate(project, policy, n=50, seed=0)
    assert mc.inputs_sampled == 0 and not mc.shares_vary
    for m, cost in r.costs.items():
        for quantity, det in (("kgco2e", cost.cumulative_kgco2e_bound),
                              ("kwh", cost.cumulative_kwh_bound)):
            s = mc.summary(m, quantity)
            assert s.median == s.p5 == s.p95 == s.min == s.max
            assert s.median == pytest.approx(det.mid, rel=1e-12)


def test_same_seed_same_numbers_on_the_registry() -> None:
    project = lineage.load()
    a = simulate(project, "compute", n=1_000, seed=7)
    b = simulate(project, "compute", n=1_000, seed=7)
    c = simulate(project, "compute", n=1_000, seed=8)
    assert a.kgco2e.keys() == project.models.keys()
    for m in project.models:
        assert np.array_equal(a.samples(m), b.samples(m))
        assert np.array_equal(a.samples(m, "kwh"), b.samples(m, "kwh"))
        assert a.summary(m) == b.summary(m)
    # Zephyr's dSFT stage ran 2..4 hours: its energy is drawn anew with another seed
    assert not np.array_equal(a.samples("mistral-7b-sft-beta", "kwh"),
                              c.samples("mistral-7b-sft-beta", "kwh"))


def test_shared_input_is_drawn_once_and_separate_inputs_independently(make_project) -> None:
    shared = make_project("""
lineage: 1
defaults: {intensity: 0.3..0.5 kgCO2e/kWh}
models:
  a: {steps: [{kind: pretraining, energy: 1000 kWh}]}
  b: {steps: [{kind: pretraining, energy: 2000 kWh}]}
""")
    mc = simulate(shared, n=1_000, seed=5)
    # one uncertain intensity: b emits exactly twice a in every sample
    assert mc.inputs_sampled == 1
    assert np.allclose(mc.samples("b"), 2 * mc.samples("a"), rtol=1e-15)
    separate = make_project("""
lineage: 1
models:
  a: {steps: [{kind: pretraining, energy: 1000 kWh, intensity: 0.3..0.5 kgCO2e/kWh}]}
  b: {steps: [{kind: pretraining, energy: 2000 kWh, intensity: 0.3..0.5 kgCO2e/kWh}]}
""")
    mc = simulate(separate, n=1_000, seed=5)
    assert mc.inputs_sampled == 2
    assert abs(np.corrcoef(mc.samples("a"), mc.samples("b"))[0, 1]) < 0.15


def test_gpus_days_and_teacher_inference_are_sampled(make_project) -> None:
    project = make_project("""
lineage: 1
defaults: {power: 1 kW, intensity: 0.5 kgCO2e/kWh}
models:
  m:
    steps:
      - kind: distillation
        gpus: 10
        days: 1..3
        teacher_inference: {gpu_hours: 100..300}
""")
    mc = simulate(project, n=10_000, seed=6)
    # training: 10 × days × 24 h × 1 kW = 240 × days kWh, median 480 kWh (s.e. 2.4 kWh);
    # teacher inference: gpu_hours × 1 kW, median 200 kWh (s.e. 1 kWh); sum ~ 680 kWh
    kwh = mc.summary("m", "kwh")
    assert kwh.median == pytest.approx(680, abs=15)
    assert kwh.min >= 240 + 100 and kwh.max <= 720 + 300
    # emissions are energy × 0.5 kg/kWh, sample by sample
    assert np.allclose(mc.samples("m"), 0.5 * mc.samples("m", "kwh"), rtol=1e-15)
    assert mc.inputs_sampled == 2


def test_unknown_costs_count_zero_and_stay_incomplete(make_project) -> None:
    project = make_project("""
lineage: 1
models:
  p: {steps: [{kind: pretraining, emissions: 90..110 t}]}
  c: {steps: [{kind: finetuning, from: p}]}
""")
    mc = simulate(project, n=1_000, seed=9)
    assert mc.is_complete("p") and not mc.is_complete("c")
    # equal: s(p→c) = 1/2 and c's own cost is unknown (0), so c = p / 2 in every sample
    assert np.allclose(mc.samples("c"), mc.samples("p") / 2, rtol=1e-15)
    assert not mc.is_complete("p", "kwh")  # no energy anywhere


def test_bad_requests_are_usage_errors(make_project) -> None:
    project = make_project(ROOT)
    with pytest.raises(UsageError, match="at least 1 sample"):
        simulate(project, n=0)
    with pytest.raises(UsageError, match='unknown distribution "normal"'):
        simulate(project, n=10, distribution="normal")
    with pytest.raises(UsageError, match='unknown policy "eqaul"'):
        simulate(project, "eqaul", n=10)
    mc = simulate(project, n=10, seed=0)
    with pytest.raises(UsageError, match='unknown model "rot"; did you mean "root"'):
        mc.summary("rot")
    with pytest.raises(UsageError, match='unknown quantity "kg"'):
        mc.summary("root", "kg")
    with pytest.raises(InputErrors, match='has no "usage"'):
        simulate(make_project(COMPUTE), "usage", n=10)


# --- properties on random DAGs -------------------------------------------------------------

SHARE_FIXED = ("equal", "usage", "params", "cutoff", "full", "compute")


def _figure(draw: Any, exact_energy: bool) -> dict[str, Any]:
    """One compute block: given figures, an estimate from GPU-hours or GPUs × days, or none."""
    kind = draw(st.sampled_from(["given", "gpu_hours", "gpus", "grid", "unknown"]))
    lo = draw(st.integers(0, 1000))
    if kind == "given":
        width = 0 if exact_energy else draw(st.sampled_from([0, 10, 500]))
        return {"emissions": f"{lo}..{lo + draw(st.integers(1, 300))} t",
                "energy": f"{lo}..{lo + width} MWh" if width else f"{lo} MWh"}
    if kind == "gpu_hours":  # power, PUE and intensity from the file's defaults (shared)
        return {"gpu_hours": f"{lo}" if exact_energy else f"{lo}..{lo + 500}"}
    if kind == "gpus":
        return {"gpus": str(draw(st.integers(1, 64))), "days": "2" if exact_energy else "1..3",
                "power": "400 W" if exact_energy else "300..700 W"}
    if kind == "grid":  # the grid's intensity is shared; its PUE (1.5) beats the defaults'
        return {"gpu_hours": str(lo), "grid": "g1"}
    return {}


@st.composite
def ranged_dags(draw: Any, exact_energy: bool) -> dict[str, Any]:
    """A file whose shares are fixed: exact explicit shares, usage and params."""
    models: dict[str, Any] = {}
    explicit: dict[int, int] = {}  # explicit shares per parent: at most 3 × 0.25 ≤ 1
    for i in range(draw(st.integers(1, 8))):
        parents = draw(st.lists(st.integers(0, i - 1), unique=True, max_size=3)) if i else []
        refs: list[Any] = []
        for p in parents:
            if explicit.get(p, 0) < 3 and draw(st.booleans()):
                explicit[p] = explicit.get(p, 0) + 1
                refs.append({"model": f"m{p}", "share": "0.25"})
            else:
                refs.append(f"m{p}")
        step = {"kind": "distillation" if refs else "pretraining", "from": refs,
                **_figure(draw, exact_energy)}
        if draw(st.booleans()):
            step["teacher_inference"] = _figure(draw, exact_energy)
        model: dict[str, Any] = {"usage": str(draw(st.integers(1, 10**6))),
                                 "params": f"{draw(st.integers(1, 400))}B", "steps": [step]}
        if draw(st.booleans()):
            model["expected_derivatives"] = str(draw(st.integers(0, 6)))
        models[f"m{i}"] = model
    pue = "1.2" if exact_energy else "1.1..1.3"
    return {"lineage": "1", "models": models,
            "defaults": {"power": "400 W" if exact_energy else "350..450 W", "pue": pue,
                         "intensity": "0.2..0.6 kgCO2e/kWh"},
            "grids": {"g1": {"name": "G1", "intensity": "0.1..0.9 kgCO2e/kWh", "pue": "1.5"}}}


def project_of(data: dict[str, Any]) -> Project:
    return build([validate_document(Document("random.yaml", data))])


def _assert_within(mc: MonteCarlo, results: lineage.Results) -> None:
    for m, cost in results.costs.items():
        for quantity, det in (("kgco2e", cost.cumulative_kgco2e_bound),
                              ("kwh", cost.cumulative_kwh_bound)):
            s = mc.summary(m, quantity)
            assert s.min >= det.low * (1 - 1e-9) - 1e-9
            assert s.max <= det.high * (1 + 1e-9) + 1e-9
            assert s.min <= s.p5 <= s.median <= s.p95 <= s.max


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(SHARE_FIXED).flatmap(
    lambda p: st.tuples(st.just(p), ranged_dags(exact_energy=p == "compute"))),
    st.integers(0, 2**32 - 1), st.sampled_from(["uniform", "triangular"]))
def test_min_and_max_stay_within_the_exact_bounds(case: tuple[str, dict[str, Any]], seed: int,
                                                  distribution: str) -> None:
    policy, data = case
    mc = simulate(project_of(data), policy, n=200, seed=seed, distribution=distribution)
    assert not mc.shares_vary
    _assert_within(mc, mc.results)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(("equal", "usage", "params", "compute")),
       ranged_dags(exact_energy=False), st.integers(0, 2**32 - 1))
def test_per_sample_shares_match_the_reference_sample_by_sample(policy: str,
                                                                data: dict[str, Any],
                                                                seed: int) -> None:
    # The engine's one share rule, given k sampled weights and explicit shares at once,
    # equals the reference engine's rule applied to each sample alone.
    project = project_of(data)
    rng = np.random.default_rng(seed)
    k = 4
    results = lineage.compute(project, "cutoff")
    g = from_project(project, results.direct)
    weights = rng.uniform(0.0, 10.0, (g.n, k)) if policy != "equal" else None
    explicit = np.full((g.parent.size, k), np.nan)
    edges = [(g.ids[u], g.ids[v]) for u, v in zip(g.parent.tolist(), g.child.tolist(),
                                                     strict=True)]
    for e, edge in enumerate(edges):
        if project.edges[edge].share is not None:
            explicit[e] = rng.uniform(0.0, 0.4, k)
    got = edge_shares(g, policy, weights=weights, explicit=explicit)
    for j in range(k):
        want = oracle.compute_shares(
            project, policy, results.direct,
            weights=None if weights is None else {m: float(weights[i, j])
                                                  for i, m in enumerate(g.ids)},
            explicit={edge: float(explicit[e, j]) for e, edge in enumerate(edges)
                      if not np.isnan(explicit[e, j])})
        for e, edge in enumerate(edges):
            assert float(got[e, j]) == pytest.approx(want[edge], rel=1e-12, abs=1e-15)


def test_registry_bounds_hold_with_fixed_shares() -> None:
    project = lineage.load()
    for policy in ("equal", "cutoff"):
        mc = simulate(project, policy, n=2_000, seed=11)
        assert not mc.shares_vary
        _assert_within(mc, mc.results)


def test_explicit_share_range_is_sampled(make_project) -> None:
    project = make_project("""
lineage: 1
models:
  parent: {steps: [{kind: pretraining, emissions: 100 t}]}
  child:
    steps: [{kind: finetuning, from: [{model: parent, share: 0.1..0.3}], emissions: 0 t}]
""")
    mc = simulate(project, "equal", n=10_000, seed=12)
    assert mc.shares_vary
    # c(child) = 100 t × s, s ~ U(0.1, 0.3): median 20 t, p5 = 11 t, p95 = 29 t
    # (s.e. 0.1 t and 0.044 t)
    s = mc.summary("child")
    assert (s.median, s.p5, s.p95) == pytest.approx((20_000, 11_000, 29_000), abs=400)
    assert s.min >= 10_000 and s.max <= 30_000
    # full and cutoff ignore explicit shares (as the engine does): nothing varies
    for policy, share in (("full", 1.0), ("cutoff", 0.0)):
        mc = simulate(project, policy, n=100, seed=12)
        assert not mc.shares_vary
        assert mc.summary("child").max == mc.summary("child").min == 100_000 * share


def test_monte_carlo_over_a_hub_dump_samples_the_ranged_ancestor(tmp_path: Any) -> None:
    """A registry-like model ``base`` (own 90..110 t, Hub id org/base) has two Hub children:
    ``org/ft`` (reports 100,000 g = 100 kg) and ``org/other`` (no figure). Under ``equal``,
    base splits with both: s(base→ft) = 1/3, so c(ft) = 0.1 t + base/3, every sample in
    [0.1 + 30, 0.1 + 36.667] t = [30,100, 36,766.7] kg, central value 33,433.3 kg. The hub
    model's own cost is exact; only base's range is drawn; org/other only weighs the share."""
    import json

    from click.testing import CliRunner

    from lineage.api import hub_results, load, load_hub
    from lineage.cli.main import cli
    from lineage.core.montecarlo import simulate_results

    family = tmp_path / "base.yaml"
    family.write_text("lineage: 1\nmodels:\n  base:\n    hf: org/base\n"
                      "    steps: [{kind: pretraining, emissions: 90..110 t}]\n")
    dump = tmp_path / "hub.jsonl"
    dump.write_text('{"id": "org/ft", "base_model": "org/base", "co2_eq_emissions": 100000}\n'
                    '{"id": "org/other", "base_model": "org/base"}\n')
    hub = load_hub(dump)
    results = hub_results(load([family], registry=False, hub=hub), hub, "org/ft")
    assert results.cost("org/ft").cumulative_kgco2e_bound.mid == pytest.approx(100 + 100_000 / 3)
    mc = simulate_results(results, n=4000, seed=7)
    ft, base = mc.samples("org/ft"), mc.samples("base")
    assert mc.inputs_sampled == 1 and not mc.shares_vary
    assert np.allclose(ft, 100 + base / 3, rtol=1e-12)  # the propagation, sample by sample
    assert base.min() >= 90_000 and base.max() <= 110_000
    s = mc.summary("org/ft")
    assert s.min >= 30_100 and s.max <= 100 + 110_000 / 3
    # uniform on [30,100, 36,766.7]: median 33,433.3, 5th percentile 30,433.3 (W = 6,666.7;
    # 4 standard errors ≈ 210 and 55)
    assert s.median == pytest.approx(33_433.3, abs=210)
    assert s.p5 == pytest.approx(30_433.3, abs=60)
    assert set(mc.kgco2e) == {"org/ft", "base"}  # the ancestors only, not org/other
    # the command line: the same draws (same seed) in the JSON record
    result = CliRunner().invoke(cli, ["cost", "org/ft", "-f", str(family), "-f", str(dump),
                                      "--no-registry", "--monte-carlo", "4000", "--seed", "7",
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)["monte_carlo"]
    assert record["kgco2e"]["median"] == s.median and record["kgco2e"]["n"] == 4000
