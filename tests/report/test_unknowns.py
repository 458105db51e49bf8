"""An unknown figure is null in JSON and empty in CSV in every output, and a figure that
misses an unknown part says so the same way in every format (docs/method.md#completeness)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lineage.cli.main import cli
from tests.support import golden_file

UNKNOWN_BASE = """
lineage: 1
models:
  base: {steps: [{kind: pretraining}]}
  tuned: {steps: [{kind: finetuning, from: base, emissions: 1..2 t}]}
"""


def cost_json(path: Path, *args: str) -> dict:  # type: ignore[type-arg]
    res = CliRunner().invoke(cli, ["cost", *args, "-f", str(path), "--no-registry",
                                   "--format", "json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)  # type: ignore[no-any-return]


def test_monte_carlo_json_writes_null_for_an_unknown_figure(tmp_path: Path) -> None:
    f = tmp_path / "f.yaml"
    f.write_text(UNKNOWN_BASE, encoding="utf-8")
    mc = ["--monte-carlo", "100", "--seed", "1"]
    # base: nothing of its cost is known (no compute, no emissions): null, as cumulative_kgco2e
    got = cost_json(f, "base", *mc)
    assert got["cumulative_kgco2e"] is None
    for quantity in ("kgco2e", "kwh"):
        assert got["monte_carlo"][quantity] == {"n": 100, "median": None, "p5": None,
                                                "p95": None, "min": None, "max": None}
    # tuned: its own 1..2 t is known, its energy is not: kgCO2e sampled, kWh null
    got = cost_json(f, "tuned", *mc)
    assert 1000 <= got["monte_carlo"]["kgco2e"]["min"] <= got["monte_carlo"]["kgco2e"]["max"] \
        <= 2000
    assert got["monte_carlo"]["kwh"]["median"] is None and got["cumulative_kwh"] is None


COMPUTE_BLIND = Path(__file__).parents[1] / "data" / "compute-blind.yaml"


def test_compute_policy_marks_energy_as_it_marks_emissions() -> None:
    # b: 20 t and 100 MWh of its own, 100 / (0 + 100 + 200) = 1/3 of p's 100 t and 200 MWh
    # (a weighs 0: its energy is unknown), so 53.33 t and 166.67 MWh, both incomplete
    got = cost_json(COMPUTE_BLIND, "b", "--policy", "compute")
    assert (got["cumulative_kgco2e"], got["cumulative_kwh"]) == pytest.approx(
        (20_000 + 100_000 / 3, 100_000 + 200_000 / 3))
    assert (got["complete"], got["energy_complete"]) == (False, False)
    # a: nothing inherited is known, in kWh as in kgCO2e (null, not 0.0)
    got = cost_json(COMPUTE_BLIND, "a", "--policy", "compute")
    assert (got["inherited_kgco2e"], got["inherited_kwh"]) == (None, None)
    assert got["unknown"] == ["a"]  # JSON lists it: its unknown energy weighed a share


@pytest.mark.parametrize("fmt", ["table", "md"])
def test_compute_policy_golden(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # energy carries "≥" as the emissions do; a's own cost (10 t) is known: it is named for
    # its unknown energy, not as an "own cost unknown"
    monkeypatch.chdir(COMPUTE_BLIND.parents[2])  # the md names the file from the root
    res = CliRunner().invoke(cli, ["cost", "b", "-f", str(COMPUTE_BLIND), "--no-registry",
                                   "--policy", "compute", "--format", fmt])
    assert res.exit_code == 0, res.output
    golden_file(COMPUTE_BLIND.parent / "golden" / f"cost-compute-blind.{fmt}", res.output)


def test_compute_policy_cite_and_card_name_the_unknown_energy() -> None:
    args = ["b", "-f", str(COMPUTE_BLIND), "--no-registry", "--policy", "compute"]
    text = CliRunner().invoke(cli, ["cite", *args]).output
    assert ("Figures marked ≥ are lower bounds: the energy of a, which weighs the compute "
            "shares, was not published.") in text
    text = CliRunner().invoke(cli, ["card", *args, "--markdown"]).output
    assert ("The energy of a, which weighs the compute shares, is unknown, so these figures "
            "are lower bounds.") in text


FAMILY = Path(__file__).parents[1] / "data" / "family.yaml"


def test_own_and_inherited_figures_carry_the_cards_lower_bound_flag() -> None:
    # tuned: its finetuning is known (24 GPU-h × 0.4 kW × 1.1 × 0.385 = 4.0656 kg), its
    # preference-tuning is not: own "≥ 4.1 kgCO2e"; it inherits half of student's 128,834.7
    # kg (student has one child: 1/2) = 64,417.4 kg, all of it known
    got = cost_json(FAMILY, "tuned")
    assert got["own_kgco2e"] == pytest.approx(4.0656)
    assert (got["own_kgco2e_is_lower_bound"], got["own_kwh_is_lower_bound"]) == (True, True)
    assert got["inherited_kgco2e"] == pytest.approx(64_417.368)
    assert (got["inherited_kgco2e_is_lower_bound"], got["inherited_kwh_is_lower_bound"]) == \
        (False, False)
    card = CliRunner().invoke(cli, ["card", "tuned", "-f", str(FAMILY), "--no-registry"]).output
    assert "own_kgco2e_is_lower_bound: true" in card  # the same name
    res = CliRunner().invoke(cli, ["table", "-f", str(FAMILY), "--no-registry", "--format",
                                   "csv"])
    rows = {r["model"]: r for r in csv.DictReader(io.StringIO(res.output))}
    assert (rows["tuned"]["own_kgco2e_is_lower_bound"],
            rows["tuned"]["inherited_kgco2e_is_lower_bound"],
            rows["tuned"]["own_kwh_is_lower_bound"]) == ("true", "false", "true")
    assert rows["student"]["own_kgco2e_is_lower_bound"] == "false"
