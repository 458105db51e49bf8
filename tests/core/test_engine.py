"""Hand-checked figures of the engine (docs/method.md: the numbers, policies, step costs), the
arithmetic written beside them."""

from __future__ import annotations

import pytest

import lineage

LLAMA2 = """
lineage: 1
defaults: {power: 400 W, pue: 1.1, intensity: 0.385 kgCO2e/kWh}
models:
  llama-2-70b:
    steps: [{kind: pretraining, gpu_hours: "1,720,320"}]
  llama-2-7b:
    steps: [{kind: pretraining, gpu_hours: "184,320"}]
"""

# T (100 t) has two students S1 and S2 (10 t each); S1 has a fine-tune F (1 t).
FAMILY = """
lineage: 1
models:
  t:  {steps: [{kind: pretraining, emissions: 100 t, energy: 1000 MWh}]}
  s1: {steps: [{kind: distillation, from: t, emissions: 10 t, energy: 100 MWh}]}
  s2: {steps: [{kind: distillation, from: t, emissions: 10 t, energy: 100 MWh}]}
  f:  {steps: [{kind: finetuning, from: s1, emissions: 1 t, energy: 10 MWh}]}
"""


def test_llama2_acceptance(make_project) -> None:
    r = lineage.compute(make_project(LLAMA2))
    # 1,720,320 h × 0.4 kW × 1.1 × 0.385 kg/kWh = 291,422.2 kg
    assert r.cost("llama-2-70b").own_kgco2e_bound.mid / 1000 == pytest.approx(291.42, abs=0.01)
    # 184,320 h × 0.4 kW × 1.1 × 0.385 kg/kWh = 31,223.8 kg
    assert r.cost("llama-2-7b").own_kgco2e_bound.mid / 1000 == pytest.approx(31.22, abs=0.01)
    # energy: 1,720,320 × 0.4 × 1.1 = 756,940.8 kWh
    assert r.cost("llama-2-70b").own_kwh_bound.mid == pytest.approx(756_940.8)


def test_equal_policy_worked_example(make_project) -> None:
    r = lineage.compute(make_project(FAMILY), "equal")
    c = {m: r.costs[m] for m in ("t", "s1", "s2", "f")}
    # t splits among itself and 2 children: s(t→s1) = s(t→s2) = 1/3; s(s1→f) = 1/2
    assert r.shares[("t", "s1")] == pytest.approx(1 / 3)
    assert r.shares[("s1", "f")] == pytest.approx(1 / 2)
    # c(s1) = 10 + 100/3 = 43.333 t; c(f) = 1 + 43.333/2 = 22.667 t
    assert c["s1"].cumulative_kgco2e_bound.mid == pytest.approx(43_333.33, rel=1e-6)
    assert c["f"].cumulative_kgco2e_bound.mid == pytest.approx(22_666.67, rel=1e-6)
    # a(t) = 100 × (1 − 2/3) = 33.333; a(s1) = 43.333 / 2 = 21.667; a(s2) = 43.333; a(f) = 22.667
    attributed = [c[m].attributed_kgco2e_bound.mid for m in ("t", "s1", "s2", "f")]
    assert attributed == pytest.approx([33_333.33, 21_666.67, 43_333.33, 22_666.67], rel=1e-6)
    # Σ a = 121 t = Σ d = 100 + 10 + 10 + 1
    assert sum(attributed) == pytest.approx(121_000)
    # contributions to f: t gives 100 × 1/3 × 1/2 = 16.667 t, s1 gives 10 × 1/2 = 5 t
    contrib = {x.model: x.kgco2e.mid for x in c["f"].contributions}
    assert contrib == pytest.approx({"t": 16_666.67, "s1": 5_000.0}, rel=1e-6)
    # own + contributions = cumulative: 1 + 16.667 + 5 = 22.667
    assert c["f"].own_kgco2e_bound.mid + sum(contrib.values()) == pytest.approx(
        c["f"].cumulative_kgco2e_bound.mid)
    # energy propagates with the same shares: 10 + 1000/3/2 + 100/2 = 226.667 MWh
    assert c["f"].cumulative_kwh_bound.mid == pytest.approx(226_666.67, rel=1e-6)


def test_expected_derivatives_reserve_room(make_project) -> None:
    text = FAMILY.replace("t:  {steps", "t:  {expected_derivatives: 5, steps")
    r = lineage.compute(make_project(text), "equal")
    # denominator 1 + max(5, 2) = 6, so s(t→s1) = 1/6; c(s1) = 10 + 100/6 = 26.667 t
    assert r.shares[("t", "s1")] == pytest.approx(1 / 6)
    assert r.cost("s1").cumulative_kgco2e_bound.mid == pytest.approx(26_666.67, rel=1e-6)


def test_explicit_share_first_then_policy(make_project) -> None:
    text = FAMILY.replace("from: t, emissions: 10 t, energy: 100 MWh}]}\n  s2",
                          "from: [{model: t, share: 0.5}], emissions: 10 t, energy: 100 MWh}]}"
                          "\n  s2", 1)
    r = lineage.compute(make_project(text), "equal")
    # s1 takes 0.5; the other 0.5 is split evenly between t and s2: 0.25 each
    assert r.shares[("t", "s1")] == pytest.approx(0.5)
    assert r.shares[("t", "s2")] == pytest.approx(0.25)
    assert r.cost("t").attributed_kgco2e_bound.mid == pytest.approx(25_000)


def test_policies_usage_params_compute(make_project) -> None:
    text = """
lineage: 1
models:
  t: {usage: 2M, params: 70B, steps: [{kind: pretraining, emissions: 100 t, energy: 300 MWh}]}
  a: {usage: 6M, params: 7B,
      steps: [{kind: distillation, from: t, emissions: 10 t, energy: 100 MWh}]}
  b: {usage: 2M, params: 14B,
      steps: [{kind: distillation, from: t, emissions: 5 t, energy: 200 MWh}]}
"""
    p = make_project(text)
    usage = lineage.compute(p, "usage").shares
    assert usage[("t", "a")] == pytest.approx(6 / 10)  # 6M / (2M + 6M + 2M)
    params = lineage.compute(p, "params").shares
    assert params[("t", "b")] == pytest.approx(14 / 91)  # 14B / (70B + 7B + 14B)
    compute = lineage.compute(p, "compute").shares
    assert compute[("t", "b")] == pytest.approx(200 / 600)  # 200 MWh / (300 + 100 + 200)
    cutoff = lineage.compute(p, "cutoff")
    assert cutoff.cost("a").cumulative_kgco2e_bound.mid == pytest.approx(10_000)
    full = lineage.compute(p, "full")
    assert full.cost("a").cumulative_kgco2e_bound.mid == pytest.approx(110_000)  # 10 + 100
    assert full.cost("a").attributed_kgco2e is None


def test_usage_policy_needs_usage(make_project) -> None:
    p = make_project(FAMILY)
    with pytest.raises(lineage.InputErrors) as exc:
        lineage.compute(p, "usage")
    assert 'model "f" has no "usage"' in str(exc.value)


def test_teacher_inference_is_charged_to_the_step(make_project) -> None:
    text = """
lineage: 1
hardware:
  h100: {name: H100, power: 700 W, source: "https://example.org/h100"}
defaults: {hardware: h100, pue: 1.1, intensity: 0.385 kgCO2e/kWh}
models:
  big: {steps: [{kind: pretraining, gpu_hours: 1M}]}
  small:
    steps:
      - kind: distillation
        from: big
        gpu_hours: 370k
        emissions: 107 tCO2e
        teacher_inference: {gpu_hours: 43k}
"""
    r = lineage.compute(make_project(text), "cutoff")
    small = r.direct["small"]
    train, ti = small.steps[0].parts
    assert train.emissions_basis == "reported"
    # estimate beside the reported figure: 370,000 × 0.7 × 1.1 × 0.385 = 109,686.5 kg
    assert train.estimate_kgco2e is not None
    assert train.estimate_kgco2e.mid == pytest.approx(109_686.5)
    # teacher inference: 43,000 h × 0.7 kW × 1.1 × 0.385 = 12,747.35 kg, estimated
    assert ti.emissions_basis == "estimated"
    assert ti.emissions_kgco2e.mid == pytest.approx(12_747.35)
    assert small.emissions_kgco2e.mid == pytest.approx(107_000 + 12_747.35)
    # basis mix: 107 / 119.747 = 89.4% reported
    assert r.cost("small").basis["reported"] == pytest.approx(107 / 119.74735)


def test_unknown_steps_make_results_incomplete(make_project) -> None:
    text = """
lineage: 1
models:
  base: {steps: [{kind: pretraining}]}
  ft: {steps: [{kind: finetuning, from: base, emissions: 2 t}]}
"""
    r = lineage.compute(make_project(text))
    c = r.cost("ft")
    assert not c.is_complete
    assert c.unknown == ("base",)
    assert c.cumulative_kgco2e_bound.mid == pytest.approx(2000)  # a lower bound: ≥ 2 t


def test_ranges_give_bounds(make_project) -> None:
    text = """
lineage: 1
models:
  t: {steps: [{kind: pretraining, emissions: 90..110 t}]}
  s: {steps: [{kind: distillation, from: t, emissions: 2.8..3.36 tCO2e}]}
"""
    c = lineage.compute(make_project(text)).cost("s")
    # s(t→s) = 1/2: low 2.8 + 45 = 47.8; mid 3.08 + 50 = 53.08; high 3.36 + 55 = 58.36
    assert c.cumulative_kgco2e_bound.as_tuple() == pytest.approx((47_800, 53_080, 58_360))


def test_hf_id_and_case_resolve(make_project) -> None:
    text = """
lineage: 1
models:
  llama-3.2-1b: {hf: meta-llama/Llama-3.2-1B, steps: [{kind: pretraining, emissions: 1 t}]}
"""
    r = lineage.compute(make_project(text))
    assert r.resolve("meta-llama/Llama-3.2-1B") == "llama-3.2-1b"
    assert r.resolve("LLAMA-3.2-1B") == "llama-3.2-1b"
    with pytest.raises(lineage.UsageError, match=r'did you mean "llama-3\.2-1b"'):
        r.resolve("llama-3.2-1c")


def test_family_view(make_project) -> None:
    text = FAMILY + "  g: {steps: [{kind: finetuning, from: s2}]}\n"
    fam = lineage.family(make_project(text), "s2")
    assert fam.models == ("g", "s2")
    assert fam.own_kgco2e.mid == pytest.approx(10_000)
    assert fam.coverage == pytest.approx(0.5)  # g is unknown


def test_ranged_explicit_share_bounds_are_exact(make_project) -> None:
    text = """
lineage: 1
models:
  p: {steps: [{kind: pretraining, energy: 1000 kWh ± 10%, intensity: 0.4..0.6 kgCO2e/kWh}]}
  a: {steps: [{kind: distillation, from: [{model: p, share: 0.1..0.3}], emissions: 50 kg}]}
  b: {steps: [{kind: distillation, from: p, emissions: 10 kg}]}
"""
    r = lineage.compute(make_project(text), "equal")
    # p: 900..1100 kWh × 0.4..0.6 kg/kWh = 360..660 kg (mid 1000 × 0.5 = 500)
    # a: 50 + [0.1 × 360, 0.3 × 660] = 86..248 kg (mid 50 + 0.2 × 500 = 150)
    assert r.cost("a").cumulative_kgco2e_bound.as_tuple() == pytest.approx((86, 150, 248))
    # b splits the rest with p: share (1 − s_a) / 2 ∈ [0.35, 0.45]
    # → 10 + [0.35 × 360, 0.45 × 660] = 136..307 kg (mid 10 + 0.4 × 500 = 210)
    assert r.cost("b").cumulative_kgco2e_bound.as_tuple() == pytest.approx((136, 210, 307))


def test_compute_policy_with_an_unknown_energy_is_incomplete(make_project) -> None:
    text = """
lineage: 1
models:
  p: {steps: [{kind: pretraining, emissions: 100 t, energy: 200 MWh}]}
  a: {steps: [{kind: distillation, from: p, emissions: 10 t}]}
"""
    r = lineage.compute(make_project(text), "compute")
    # a's energy is unknown, so its compute weight (and share of p) is unknown: "≥ 10 t"
    assert r.shares[("p", "a")] == 0.0
    assert not r.cost("a").is_complete and r.cost("a").unknown == ("a",)
    assert r.cost("p").is_complete


MERGE_OF_TWO_FINETUNES = """
lineage: 1
models:
  base: {steps: [{kind: pretraining, emissions: 100 t}]}
  ft-a: {steps: [{kind: finetuning, parents: [base], emissions: 1 t}]}
  ft-b: {steps: [{kind: finetuning, parents: [base], emissions: 1 t}]}
  merged: {steps: [{kind: merging, parents: [ft-a, ft-b], emissions: 0.1 t}]}
  child: {steps: [{kind: finetuning, parents: [merged], emissions: 0.5 t}]}
"""


def test_full_counts_each_ancestor_once(make_project) -> None:
    r = lineage.compute(make_project(MERGE_OF_TWO_FINETUNES), "full")
    # merged: 0.1 + ft-a 1 + ft-b 1 + base 100 once (two paths lead from it) = 102.1 t
    assert r.costs["merged"].cumulative_kgco2e_bound.mid == pytest.approx(102_100)
    # below a merge, one parent: 0.5 + 102.1 = 102.6 t
    assert r.costs["child"].cumulative_kgco2e_bound.mid == pytest.approx(102_600)
    base = {x.model: x.coefficient for x in r.costs["child"].contributions}["base"]
    assert base == 1.0  # once, not once per path
    assert r.costs["ft-a"].cumulative_kgco2e_bound.mid == pytest.approx(101_000)  # 1 + 100
    # the worst case is at most every ancestor's own cost once: 100 + 1 + 1 + 0.1 + 0.5 t
    assert r.costs["child"].cumulative_kgco2e_bound.mid <= 102_600 + 1e-9


def test_equal_contributions_are_listed_by_id(make_project) -> None:
    # z gives c 0.1 of 3 kg, a gives c all of 0.3 kg: 0.3 kg each, but 3 × 0.1 is
    # 0.30000000000000004 in floating point, which alone would put z first
    text = """
lineage: 1
models:
  z: {steps: [{kind: pretraining, emissions: 3 kg}]}
  a: {steps: [{kind: pretraining, emissions: 0.3 kg}]}
  c: {steps: [{kind: merging, from: [{model: z, share: 0.1}, {model: a, share: 1}]}]}
"""
    cost = lineage.compute(make_project(text)).cost("c")
    assert [(x.model, x.kgco2e.mid) for x in cost.contributions] == [
        ("a", 0.3), ("z", pytest.approx(0.3))]
