"""Issue 11, size-aware inference: per-query energy from EcoLogits for a generative task served
by a model of known size, the measured task table otherwise, and the break-even in queries of
``lineage compare``. Every figure is hand-checked; the arithmetic is beside it."""

from __future__ import annotations

import json
import math
import socket
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ecologits.impacts.llm import compute_llm_impacts

import lineage
from lineage.cli.main import cli
from lineage.core.deployment import energy_per_1k
from lineage.core.engine import compute
from lineage.core.payoff import crossing, payoff
from lineage.model.graph import Project
from lineage.model.schema import ServingSpec


@cache
def registry() -> Project:
    return lineage.load()


def kwh_per_1k(model: str, project: Project | None = None, **serving: Any) -> tuple[float, str]:
    p = project or registry()
    spec = ServingSpec.model_validate({"task": "text-generation", **serving})
    per_1k, basis, _ = energy_per_1k(spec, p.models[p.model_id(model)], p.catalog)
    return per_1k.mid, basis


def ecologits_kwh_per_1k(active_b: float, total_b: float, tokens: int, **kw: Any) -> float:
    """EcoLogits called directly: the energy of one query × 1,000 (mix factors do not touch it)."""
    impacts = compute_llm_impacts(
        model_active_parameter_count=active_b, model_total_parameter_count=total_b,
        output_token_count=tokens, if_electricity_mix_adpe=0.0, if_electricity_mix_pe=0.0,
        if_electricity_mix_gwp=0.0, if_electricity_mix_wue=0.0, datacenter_pue=1.0,
        datacenter_wue=0.0, **kw)
    return float(impacts.energy.value) * 1000  # type: ignore[arg-type]


def test_llama_per_query_energy_grows_with_size_and_is_ecologits() -> None:
    got = {m: kwh_per_1k(m)[0] for m in ("llama-3.2-1b", "llama-3.1-8b", "llama-3.1-70b")}
    assert got["llama-3.2-1b"] < got["llama-3.1-8b"] < got["llama-3.1-70b"]
    assert got["llama-3.1-70b"] >= 4 * got["llama-3.2-1b"]  # 0.2192 / 0.0270 = 8.1×
    for model, billions in (("llama-3.2-1b", 1.23), ("llama-3.1-8b", 8.0),
                            ("llama-3.1-70b", 70.0)):  # the registry's params
        assert got[model] == pytest.approx(ecologits_kwh_per_1k(billions, billions, 400),
                                           rel=1e-12)


def test_the_1b_by_hand() -> None:
    # EcoLogits 0.11.3, batch 64, 400 tokens, 1.23B params:
    # GPU: (1.1665e-6 × e^(−0.0112059 × 64) × 1.23 + 4.05293e-5) Wh/token
    #      = (1.1665e-6 × 0.488147 × 1.23 + 4.05293e-5) = 4.12297e-5 Wh × 400 = 1.64919e-5 kWh
    # memory 1.2 × 1.23 × 16 / 8 = 2.95 GB → 1 GPU of 80 GB
    # latency (0.000678509 × 1.23 + 0.000311931 × 64 + 0.0194737) s/token × 400 = 16.109 s
    # server 16.109 / 3600 h × 1.2 kW × 1/8 GPUs × 1/64 batch = 1.04876e-5 kWh
    # one query 2.69795e-5 kWh → 0.02698 kWh per 1,000 (the table says 0.047 for any size)
    value, basis = kwh_per_1k("llama-3.2-1b")
    assert value == pytest.approx(0.0269793, rel=1e-5)
    assert basis == ("EcoLogits 0.11.3 from 1.23B params, 400 output tokens, the "
                     "text-generation default")


def test_output_tokens_pue_bits_and_memory_are_passed_through() -> None:
    value, basis = kwh_per_1k("llama-3.2-1b", output_tokens=800)
    assert value == pytest.approx(ecologits_kwh_per_1k(1.23, 1.23, 800), rel=1e-12)
    assert "800 output tokens as given" in basis
    # 70B: 1.2 × 70 × 16 / 8 = 168 GB → 3 GPUs → 4 (a power of two); at 4 bits 42 GB → 1 GPU
    full, _ = kwh_per_1k("llama-3.1-70b")
    quant, basis = kwh_per_1k("llama-3.1-70b", quantization_bits=4)
    assert quant == pytest.approx(ecologits_kwh_per_1k(70, 70, 400, model_quantization_bits=4))
    assert quant < full / 3 and "4-bit weights" in basis
    # on a 141 GB H200: 168 / 141 → 2 GPUs; the PUE multiplies the whole request
    h200, basis = kwh_per_1k("llama-3.1-70b", hardware="H200", pue=1.2)
    assert h200 == pytest.approx(1.2 * ecologits_kwh_per_1k(70, 70, 400, gpu_memory=141))
    assert basis.endswith("H200 memory 141 GB, PUE 1.2")


def test_mixture_of_experts_uses_active_params() -> None:
    for model, active, total in (("deepseek-v3", 37, 671), ("llama-4-scout-17b-16e", 17, 109),
                                 ("llama-4-maverick-17b-128e", 17, 400)):
        value, basis = kwh_per_1k(model)
        assert value == pytest.approx(ecologits_kwh_per_1k(active, total, 400), rel=1e-12)
        assert f"from {active}B active of {total}B params" in basis


def test_unknown_size_and_other_tasks_keep_the_measured_table(make_project) -> None:  # type: ignore[no-untyped-def]
    p = make_project("""
lineage: 1
models:
  sizeless: {}
  sized: {params: 7B}
""", registry=True)
    value, basis = kwh_per_1k("sizeless", p)
    assert (value, basis) == (0.047, "Luccioni et al. task mean, text-generation: sizeless has "
                                     "no params, so its size is unknown")
    spec = ServingSpec(task="text-classification")
    per_1k, basis, _ = energy_per_1k(spec, p.models["sized"], p.catalog)
    assert (per_1k.mid, basis) == (0.002, "Luccioni et al. task mean, text-classification")


def test_ecologits_stays_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network used")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert kwh_per_1k("llama-3.1-8b", output_tokens=123)[0] > 0


def test_active_params_above_params_is_refused(make_project) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(lineage.InputErrors, match='"active_params" exceeds "params"'):
        make_project("lineage: 1\nmodels:\n  m: {params: 7B, active_params: 8B}\n")


def test_crossing_rule() -> None:
    assert crossing(166_370.0, 1.052) == pytest.approx(166_370 / 1.052 * 1000)
    assert crossing(-10.0, 1.0) is None and crossing(10.0, -1.0) is None
    assert crossing(-10.0, -2.0) == 5_000.0  # 10 kg less to make, 2 kg more per 1,000


PAIR = """
lineage: 1
models:
  teacher:
    steps: [{kind: pretraining, emissions: 100 t}]
    deployment: {energy_per_1k_queries: 4 kWh, intensity: 0.5 kgCO2e/kWh,
                 queries_per_day: 1M, days: 10}
  student:
    steps: [{kind: distillation, from: teacher, emissions: 20 t}]
    deployment: {energy_per_1k_queries: 1 kWh, intensity: 0.5 kgCO2e/kWh,
                 queries_per_day: 1M, days: 10}
"""


def test_compare_deployment_break_even_by_hand(make_project) -> None:  # type: ignore[no-untyped-def]
    # full: student 20 + 100 = 120 t, teacher 100 t; per 1,000: 0.5 vs 2 kg
    # (120,000 − 100,000) / (2 − 0.5) × 1,000 = 13,333,333 queries
    r = compute(make_project(PAIR), "full")
    specs = {m: r.project.models[m].spec.deployment for m in ("student", "teacher")}
    p = payoff(r, "student", "teacher", specs)  # type: ignore[arg-type]
    assert p.crossing_queries == pytest.approx(20_000 / 1.5 * 1000)
    assert (p.verdict, p.queries) == ("repaid", 10_000_000)  # the horizon: 1M a day × 10
    # equal: the student carries 100 / 2 = 50 t of the teacher: 70 t; the teacher's cumulative
    # cost is still its whole 100 t (the lines use c(v) for both, as the plot does)
    p = payoff(compute(r.project, "equal"), "student", "teacher", specs)  # type: ignore[arg-type]
    assert (p.training_gap_kgco2e, p.verdict) == (-30_000, "cheaper")
    # cutoff: student 20 t, teacher 100 t: cheaper to make and to serve
    p = payoff(compute(r.project, "cutoff"), "student", "teacher", specs)  # type: ignore[arg-type]
    assert (p.verdict, p.crossing_queries) == ("cheaper", None)


def test_compare_cli_in_use(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "pair.yaml"
    f.write_text(PAIR, encoding="utf-8")
    args = ["compare", "student", "teacher", "-f", str(f), "--no-registry", "--deployment"]
    res = CliRunner().invoke(cli, [*args, "--policy", "full"])
    assert res.exit_code == 0, res.output
    assert ("The student's 20.00 tCO2e of extra training is repaid by its cheaper queries "
            "after 13,300,000 queries (1.50 tCO2e saved per million).") in res.output
    # 1 kWh per 1,000 → 1 MWh per million, × 0.5 kg/kWh = 500 kg
    assert "1.00 MWh, 500.0 kgCO2e (intensity given) per million queries" in res.output
    res = CliRunner().invoke(cli, [*args, "--policy", "all", "--format", "json"])
    data = json.loads(res.output)
    by = {r["policy"]: r for r in data["in_use"]}
    assert by["cutoff"]["verdict"] == "cheaper" and by["cutoff"]["break_even_queries"] is None
    assert by["full"]["break_even_queries"] == pytest.approx(13_333_333.33)
    res = CliRunner().invoke(cli, [*args, "--monte-carlo", "50", "--seed", "1"])
    assert "the student is cheaper from the first query in every sample" in res.output


def test_registry_1b_against_8b_in_queries() -> None:
    res = CliRunner().invoke(cli, ["compare", "llama-3.2-1b", "llama-3.1-8b", "--task",
                                   "text-generation", "--format", "json"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.output)["in_use"][0]
    s, a = got["student"], got["alternative"]
    gap = s["training_kgco2e"] - a["training_kgco2e"]
    saving = a["kgco2e_per_1k_queries"] - s["kgco2e_per_1k_queries"]
    assert got["break_even_queries"] == pytest.approx(gap / saving * 1000)
    assert s["kwh_per_1k_queries"] == pytest.approx(ecologits_kwh_per_1k(1.23, 1.23, 400))
    assert a["kwh_per_1k_queries"] == pytest.approx(ecologits_kwh_per_1k(8, 8, 400))
    assert math.isclose(s["kgco2e_per_1k_queries"] / s["kwh_per_1k_queries"],
                        a["kgco2e_per_1k_queries"] / a["kwh_per_1k_queries"])  # one grid


@pytest.mark.parametrize(("args", "message"), [
    (["cost", "llama-3.2-1b", "--task", "text-classification", "--output-tokens", "50",
      "--queries-per-day", "1k", "--days", "1"],
     'lineage: task "text-classification" is not generative (the registry gives it no '
     "output_tokens): output tokens apply to a generative task such as text-generation\n"),
    (["compare", "llama-3.2-1b", "llama-3.1-8b", "--policy", "all"],
     "lineage: --policy all and --monte-carlo on compare need --task or --deployment\n"),
])
def test_bad_requests_are_one_line(args: list[str], message: str) -> None:
    p = subprocess.run([sys.executable, "-m", "lineage", *args], capture_output=True,
                       text=True, cwd=Path(__file__).parents[2])
    assert (p.returncode, p.stdout, p.stderr) == (2, "", message)
