"""Issue 14: the families added to the bundled registry reproduce their publishers' own
figures, the vision models inherit from their text models, and every registry model has a
sourced parameter count (or is listed below as having none).

Tested through the CLI's JSON output (``lineage cost MODEL --format json``), the stable
contract while ``lineage/`` is restructured; each model's JSON is computed once per module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
FAMILIES = ROOT / "registry" / "families"

MODELS = [
    "meta-llama/Llama-4-Scout-17B-16E",
    "meta-llama/Llama-4-Maverick-17B-128E",
    "meta-llama/Llama-3.2-11B-Vision",
    "meta-llama/Llama-3.2-90B-Vision",
    "allenai/OLMo-2-1124-7B",
    "allenai/OLMo-2-1124-13B",
    # issue 14 leftovers (2026-12-01)
    "ibm-granite/granite-3.0-2b-base",
    "ibm-granite/granite-3.0-8b-base",
    "ibm-granite/granite-3.0-1b-a400m-base",
    "ibm-granite/granite-3.0-3b-a800m-base",
    "ibm-granite/granite-3.0-8b-instruct",
    "bigcode/starcoderbase",
    "bigcode/starcoder",
    "mistralai/Mistral-7B-Instruct-v0.1",
    "Qwen/Qwen2.5-Coder-7B-Instruct",
    "apple/OpenELM-270M-Instruct",
    "apple/OpenELM-3B-Instruct",
]

# Registry models with no sourced parameter count, each with the reason. Keep in step with
# registry/README.md ("Parameter counts"). Llama 4 Behemoth carries a labelled estimate (2T,
# from the blog's "nearly two trillion") so that --policy params runs on the whole registry.
WITHOUT_PARAMS: set[str] = set()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    # the worktree's lineage and registry, whatever is installed in the environment
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, "-m", "lineage", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=120, check=False)


@pytest.fixture(scope="module")
def cost() -> dict[str, dict[str, Any]]:
    out = {}
    for model in MODELS:
        r = _run("cost", model, "--format", "json")
        assert r.returncode == 0, r.stderr
        out[model] = json.loads(r.stdout)
    return out


def _parts(c: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for s in c["steps"] for p in s["parts"]]


def test_the_cli_reads_this_checkout_s_registry(cost: dict[str, dict[str, Any]]) -> None:
    # a model that exists only in this branch's registry/ is found, under its own id
    assert cost["meta-llama/Llama-4-Scout-17B-16E"]["model"] == "llama-4-scout-17b-16e"
    assert cost["allenai/OLMo-2-1124-7B"]["hf"] == "allenai/OLMo-2-1124-7B"


@pytest.mark.parametrize(("model", "published_t"), [
    # Llama 4 card: "| Llama 4 Scout | 5.0M | 700 | 1,354 | 0 |"
    ("meta-llama/Llama-4-Scout-17B-16E", 1354),
    # "| Llama 4 Maverick | 2.38M | 700 | 645 | 0 |"
    ("meta-llama/Llama-4-Maverick-17B-128E", 645),
    # Llama 3.2 Vision card: 11B row (147K + 98K + 896 + 224 H100-h) 71 t
    ("meta-llama/Llama-3.2-11B-Vision", 71),
    # 90B row (885K + 885K + 3,072 + 2,048 H100-h) 513 t
    ("meta-llama/Llama-3.2-90B-Vision", 513),
    # OLMo 2 Table 19: 131 MWh x PUE 1.2 x 0.332 kg/kWh = 52.2 t, reported 52 t
    ("allenai/OLMo-2-1124-7B", 52),
    # 257 MWh, reported 101 t
    ("allenai/OLMo-2-1124-13B", 101),
])
def test_own_figure_is_the_published_one(cost: dict[str, dict[str, Any]], model: str,
                                         published_t: float) -> None:
    c = cost[model]
    assert c["own_kgco2e"] / 1000 == pytest.approx(published_t, rel=0.02)
    training = [p for p in _parts(c) if p["part"] == "training"]
    assert len(training) == 1
    assert training[0]["emissions_basis"] in {"reported", "measured"}


@pytest.mark.parametrize(("model", "gpu_hours", "estimate_t", "published_t"), [
    # 5.0M GPU-h x 0.7 kW x 1.1 PUE x 0.385 kg/kWh = 1,482 t beside the card's 1,354 t
    # (Meta's Llama 4 factor is 0.387 t per MWh of GPU energy: 1,354 / 3,500 MWh)
    ("meta-llama/Llama-4-Scout-17B-16E", 5_000_000, 1482.25, 1354),
    # 2.38M x 0.7 x 1.1 x 0.385 = 705.6 t beside 645 t
    ("meta-llama/Llama-4-Maverick-17B-128E", 2_380_000, 705.55, 645),
    # (147K + 98K) x 0.7 x 1.1 x 0.385 = 72.6 t beside 71 t (the row also has 1,120 h of SFT+RLHF)
    ("meta-llama/Llama-3.2-11B-Vision", 245_000, 72.63, 71),
    # (885K + 885K) x 0.7 x 1.1 x 0.385 = 524.7 t beside 513 t
    ("meta-llama/Llama-3.2-90B-Vision", 1_770_000, 524.68, 513),
])
def test_meta_gpu_hours_and_the_estimate_beside_them(
        cost: dict[str, dict[str, Any]], model: str, gpu_hours: float, estimate_t: float,
        published_t: float) -> None:
    (part,) = [p for p in _parts(cost[model]) if p["part"] == "training"]
    assert part["gpu_hours"] == gpu_hours
    assert part["estimate_kgco2e"] / 1000 == pytest.approx(estimate_t, rel=1e-3)
    assert part["kgco2e"] / 1000 == pytest.approx(published_t, rel=1e-9)


@pytest.mark.parametrize(("model", "parent", "parent_t"), [
    # built on Llama 3.1 8B (card: 1.46M H100-h, 420 t) and 70B (7.0M H100-h, 2,040 t)
    ("meta-llama/Llama-3.2-11B-Vision", "llama-3.1-8b", 420),
    ("meta-llama/Llama-3.2-90B-Vision", "llama-3.1-70b", 2040),
])
def test_vision_models_inherit_from_their_text_models(
        cost: dict[str, dict[str, Any]], model: str, parent: str, parent_t: float) -> None:
    c = cost[model]
    assert [x["model"] for x in c["contributions"]] == [parent]
    assert c["steps"][0]["from"] == [parent]
    (contribution,) = c["contributions"]
    assert c["inherited_kgco2e"] > 0
    # policy "equal": the parent's cumulative cost times the share this child takes
    assert contribution["kgco2e"] == pytest.approx(parent_t * 1000 * contribution["share"])
    assert c["cumulative_kgco2e"] == pytest.approx(c["own_kgco2e"] + c["inherited_kgco2e"])


def test_maverick_is_a_lower_bound_because_behemoth_is_unknown(
        cost: dict[str, dict[str, Any]]) -> None:
    c = cost["meta-llama/Llama-4-Maverick-17B-128E"]
    assert c["steps"][0]["from"] == ["llama-4-behemoth"]
    assert not c["complete"]
    # the teacher's forward passes for new data have no published compute
    teacher = [p for p in _parts(c) if p["part"] == "teacher inference"]
    assert teacher and teacher[0]["emissions_basis"] == "unknown"


def test_olmo_2_is_measured_gpu_energy(cost: dict[str, dict[str, Any]]) -> None:
    # the paper's "Total GPU power": 131 MWh and 257 MWh (PUE not included)
    assert cost["allenai/OLMo-2-1124-7B"]["own_kwh"] == pytest.approx(131_000)
    assert cost["allenai/OLMo-2-1124-13B"]["own_kwh"] == pytest.approx(257_000)
    assert cost["allenai/OLMo-2-1124-7B"]["basis"] == {"measured": 1.0}


def _registry_models() -> dict[str, dict[str, Any]]:
    models: dict[str, dict[str, Any]] = {}
    for path in sorted(FAMILIES.glob("*.yaml")):
        models.update(yaml.safe_load(path.read_text(encoding="utf-8")).get("models") or {})
    return models


def test_every_registry_model_has_params_or_is_listed() -> None:
    models = _registry_models()
    assert len(models) >= 120
    missing = {m for m, spec in models.items() if spec.get("params") is None}
    assert missing == WITHOUT_PARAMS
    # every count is covered by a source on the model (the model-level source covers params)
    assert [m for m, spec in models.items()
            if spec.get("params") is not None and not spec.get("source")] == []


def test_the_params_policy_runs_on_the_new_families() -> None:
    # --policy params needs a parameter count on every model with a parent or a child
    r = _run("cost", "meta-llama/Llama-3.2-11B-Vision-Instruct", "--policy", "params",
             "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["policy"] == "params"


# --- issue 14 leftovers: Granite 3.0, StarCoder, lineage-only families ----------------------

@pytest.mark.parametrize(("model", "gpu_hours", "published_t", "estimate_t"), [
    # Granite 3.0 report, Table 7: "Granite 3.0 2B 700W 192,030 174.6 68.1"
    # estimate: 192,030 h x 0.7 kW x PUE 1.3 x 0.39 kg/kWh = 68,152 kg = 68.15 t
    ("ibm-granite/granite-3.0-2b-base", 192_030, 68.1, 68.152),
    # "Granite 3.0 8B 700W 832,102 757.0 295.2"; 832,102 x 0.7 x 1.3 x 0.39 = 295.31 t
    ("ibm-granite/granite-3.0-8b-base", 832_102, 295.2, 295.313),
    # "Granite 3.0 1B-400M 700W 71,171 64.5 25.2"; 71,171 x 0.7 x 1.3 x 0.39 = 25.26 t
    ("ibm-granite/granite-3.0-1b-a400m-base", 71_171, 25.2, 25.259),
    # "Granite 3.0 3B-800M 700W 133,308 121.2 47.2"; 133,308 x 0.7 x 1.3 x 0.39 = 47.31 t
    ("ibm-granite/granite-3.0-3b-a800m-base", 133_308, 47.2, 47.311),
])
def test_granite_reproduces_table_7(cost: dict[str, dict[str, Any]], model: str,
                                    gpu_hours: float, published_t: float,
                                    estimate_t: float) -> None:
    c = cost[model]
    (part,) = [p for p in _parts(c) if p["part"] == "training"]
    assert part["gpu_hours"] == gpu_hours
    assert part["power_kw"] == pytest.approx(0.7)
    assert part["pue"] == pytest.approx(1.3)
    assert part["intensity_kgco2e_per_kwh"] == pytest.approx(0.39)
    assert part["emissions_basis"] == "reported"
    assert c["own_kgco2e"] / 1000 == pytest.approx(published_t, rel=1e-9)
    assert part["estimate_kgco2e"] / 1000 == pytest.approx(estimate_t, rel=1e-4)
    # IBM's own factor reproduces its table within 0.5 %
    assert part["estimate_kgco2e"] / 1000 == pytest.approx(published_t, rel=0.005)


def test_granite_energy_includes_ibm_s_pue(cost: dict[str, dict[str, Any]]) -> None:
    # Table 7's "Total power consumption": 757.0 MWh; 832,102 h x 0.7 kW x 1.3 = 757,213 kWh
    assert cost["ibm-granite/granite-3.0-8b-base"]["own_kwh"] == pytest.approx(757_212.82)


def test_granite_instruct_inherits_from_its_base(cost: dict[str, dict[str, Any]]) -> None:
    c = cost["ibm-granite/granite-3.0-8b-instruct"]
    assert c["steps"][0]["from"] == ["granite-3.0-8b-base"]
    assert c["own_kgco2e"] is None  # post-training compute is not published
    assert not c["complete"]
    (contribution,) = c["contributions"]
    # policy "equal": 295.2 t x the share this child takes (0.5: the base keeps half)
    assert contribution["kgco2e"] == pytest.approx(295_200 * contribution["share"])


def test_starcoderbase_secondary_figures(cost: dict[str, dict[str, Any]]) -> None:
    c = cost["bigcode/starcoderbase"]
    (part,) = [p for p in _parts(c) if p["part"] == "training"]
    # 320,256 A100-hours and 16.68 tCO2e, both secondary (see registry/families/starcoder.yaml)
    assert part["gpu_hours"] == 320_256
    assert part["hardware"] == "a100-sxm4-80gb"
    assert c["own_kgco2e"] == pytest.approx(16_680)
    assert part["emissions_basis"] == "reported"
    assert part["estimate_kgco2e"] is None  # no grid published, so no estimate beside it
    # energy at the rated 400 W and PUE 1: 320,256 h x 0.4 kW = 128,102.4 kWh
    assert c["own_kwh"] == pytest.approx(128_102.4)


def test_starcoder_is_starcoderbase_further_trained_on_python(
        cost: dict[str, dict[str, Any]]) -> None:
    c = cost["bigcode/starcoder"]
    assert c["steps"][0]["from"] == ["starcoderbase"]
    assert c["steps"][0]["kind"] == "continued-pretraining"
    (part,) = _parts(c)
    # 11,208 GPU-hours (secondary) x 0.4 kW = 4,483.2 kWh; no grid, so emissions unknown
    assert part["gpu_hours"] == 11_208
    assert c["own_kwh"] == pytest.approx(4_483.2)
    assert c["own_kgco2e"] is None
    assert c["unknown"] == ["starcoder"]
    # it inherits StarCoderBase's 16.68 t times its share
    (contribution,) = c["contributions"]
    assert contribution["model"] == "starcoderbase"
    assert contribution["kgco2e"] == pytest.approx(16_680 * contribution["share"])


@pytest.mark.parametrize(("model", "parent", "params_model"), [
    # "a instruct fine-tuned version of the Mistral-7B-v0.1" (card)
    ("mistralai/Mistral-7B-Instruct-v0.1", "mistral-7b-v0.1", "mistral-7b-instruct-v0.1"),
    # "This repo contains the instruction-tuned 7B Qwen2.5-Coder model" (card)
    ("Qwen/Qwen2.5-Coder-7B-Instruct", "qwen2.5-coder-7b", "qwen2.5-coder-7b-instruct"),
    # "We release both pretrained and instruction tuned models with 270M, ... 3B" (card)
    ("apple/OpenELM-270M-Instruct", "openelm-270m", "openelm-270m-instruct"),
    ("apple/OpenELM-3B-Instruct", "openelm-3b", "openelm-3b-instruct"),
])
def test_lineage_only_families_have_their_parent_and_unknown_cost(
        cost: dict[str, dict[str, Any]], model: str, parent: str, params_model: str) -> None:
    c = cost[model]
    assert c["model"] == params_model
    assert c["steps"][0]["from"] == [parent]
    assert c["own_kgco2e"] is None and c["own_kwh"] is None
    assert c["cumulative_kgco2e"] is None or not c["complete"]


def test_qwen_coder_chain_reaches_qwen2_5_7b() -> None:
    r = _run("cost", "Qwen/Qwen2.5-Coder-7B", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["steps"][0]["from"] == ["qwen2.5-7b"]


def test_quebec_grid_is_hydro_quebec_s_direct_rate() -> None:
    # Hydro-Québec 2016: "360 t CO2/TWh" = 360e6 g / 1e9 kWh = 0.36 g/kWh
    r = _run("registry", "grids", "--format", "json")
    assert r.returncode == 0, r.stderr
    grids = {g["id"]: g for g in json.loads(r.stdout)}
    assert float(grids["CA-QC"]["kgCO2e/kWh"]) == pytest.approx(0.00036)
    assert grids["CA-QC"]["year"] == "2016"
    # IBM's factor for Granite 3.0: 0.39 kg/kWh with PUE 1.3
    assert float(grids["ibm-granite-us"]["kgCO2e/kWh"]) == pytest.approx(0.39)
    assert float(grids["ibm-granite-us"]["pue"]) == pytest.approx(1.3)


def test_the_forest_hectare_equivalent_is_gone() -> None:
    # no primary source for 290 t per "hectare of forest": removed on 2026-12-01
    r = _run("cost", "ibm-granite/granite-3.0-8b-base")
    assert r.returncode == 0, r.stderr
    (line,) = [x for x in r.stdout.splitlines() if x.strip().startswith("equivalents")]
    assert "forest" not in line
    # 295.2 t / 9.2 t per French resident-year = 32.1
    assert "32.1 French resident-years" in line


# --- Amortization horizons (issue 11, "Stable amortization") --------------------------------
# Two fine-tunes somebody else publishes: one of Llama 3.1 8B, one of Llama 3.1 70B. Neither is
# an ancestor of Llama 3.2 1B, so with sourced horizons on its two teachers its figure must not
# move. registry/README.md ("Horizons") lists which registry models carry a horizon; on
# 2026-12-01 none did (no stored copy of their Hub model tree could be read), so only one of
# the two tests below runs: whichever matches the registry as it stands.
UNRELATED = """\
lineage: 1
models:
  someone-elses-8b-finetune:
    steps: [{kind: finetuning, from: [llama-3.1-8b], emissions: 1 t}]
  someone-elses-70b-finetune:
    steps: [{kind: finetuning, from: [llama-3.1-70b], emissions: 1 t}]
"""


def _registry_horizons() -> dict[str, dict[str, Any]]:
    out = {}
    for path in sorted(FAMILIES.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for mid, m in (doc.get("models") or {}).items():
            if isinstance(m, dict) and m.get("horizon"):
                out[mid] = m["horizon"]
    return out


def _with_and_without_unrelated(tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    extra = tmp_path / "unrelated.yaml"
    extra.write_text(UNRELATED, encoding="utf-8")
    alone = _run("cost", "llama-3.2-1b", "--format", "json")
    grown = _run("cost", "llama-3.2-1b", "--format", "json", "-f", str(extra))
    assert alone.returncode == 0, alone.stderr
    assert grown.returncode == 0, grown.stderr
    return json.loads(alone.stdout), json.loads(grown.stdout)


TEACHERS = ("llama-3.1-8b", "llama-3.1-70b")
_HORIZONS = _registry_horizons()


@pytest.mark.xfail(not all(t in _HORIZONS for t in TEACHERS), strict=True,
                   reason="llama-3.1-8b and llama-3.1-70b carry no sourced horizon in the "
                          "registry yet (registry/README.md, 'Horizons'): the figure moves")
def test_unrelated_finetunes_of_the_teachers_move_no_figure(tmp_path: Path) -> None:
    alone, grown = _with_and_without_unrelated(tmp_path)
    h8, h70 = (_HORIZONS[t]["derivatives"] for t in TEACHERS)
    # Under equal, each teacher gives each of its derivatives 1/(1 + H) of its cost while it
    # has no more children than H: 420 t x 1/(1 + H8) from the 8B and 2,040 t x 1/(1 + H70)
    # from the 70B, before and after the two unrelated fine-tunes alike.
    assert grown["cumulative_kgco2e"] == pytest.approx(alone["cumulative_kgco2e"], rel=1e-12)
    inherited = 420_000 / (1 + h8) + 2_040_000 / (1 + h70)
    assert alone["inherited_kgco2e"] == pytest.approx(inherited, rel=1e-9)
    shown = {h["model"]: h for h in alone["horizons"]}
    for teacher, h in zip(TEACHERS, (h8, h70), strict=True):
        assert shown[teacher]["derivatives"] == h
        assert shown[teacher]["as_of"] == str(_HORIZONS[teacher]["as_of"])
        assert not shown[teacher]["exceeded"]


@pytest.mark.xfail(any(t in _HORIZONS for t in TEACHERS), strict=True,
                   reason="a teacher of llama-3.2-1b declares a horizon: the test above applies")
def test_without_horizons_the_teachers_split_over_their_loaded_children(
        tmp_path: Path) -> None:
    # What the README says beside its headline until the horizons are sourced: each teacher
    # splits its cost between itself and the children loaded. Registry alone: the 70B has 4
    # children (1/5 of 2,040 t = 408 t), the 8B 6 (1/7 of 420 t = 60 t): 468 t inherited,
    # 118.37 t own, 586.37 t. With the two unrelated fine-tunes: 1/6 of 2,040 t = 340 t and
    # 1/8 of 420 t = 52.5 t: 392.5 t inherited, 510.87 t. The figure moves by 75.5 t (-12.9 %).
    alone, grown = _with_and_without_unrelated(tmp_path)
    assert alone["inherited_kgco2e"] == pytest.approx(2_040_000 / 5 + 420_000 / 7, rel=1e-9)
    assert grown["inherited_kgco2e"] == pytest.approx(2_040_000 / 6 + 420_000 / 8, rel=1e-9)
    assert alone["cumulative_kgco2e"] - grown["cumulative_kgco2e"] == pytest.approx(75_500)
    assert "horizons" not in alone and "horizons" not in grown
