"""The library as a notebook meets it: unknown stays unknown (None, never 0), and every record
is exactly what the command line prints (issue 11)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from click.testing import CliRunner

import lineage
from lineage.cli.main import cli

POLICIES = ("equal", "params", "compute", "cutoff", "full")


@pytest.fixture(scope="module")
def project() -> Any:
    return lineage.load()


def test_unknown_is_none_and_the_bound_is_separate(project: Any) -> None:
    c = lineage.compute(project).cost("falcon-40b")  # Falcon 40B: no published training figure
    assert c.own_kgco2e is None and c.cumulative_kgco2e is None
    assert c.own_kgco2e_bound.mid == 0.0  # the known part: nothing
    known = lineage.compute(project).cost("llama-3.2-1b")
    assert known.own_kgco2e is not None
    # 107 t reported + 11.37 t of teacher-logit generation = 118.37 t
    assert known.own_kgco2e.mid == pytest.approx(118_370, rel=1e-4)


def test_a_sum_over_models_cannot_mistake_unknown_for_zero(project: Any) -> None:
    r = lineage.compute(project)
    values = [c.own_kgco2e for c in r.costs.values()]
    assert any(v is None for v in values)  # unknown figures show up as None, not as 0
    frame = r.to_frame()
    assert math.isnan(frame.set_index("model").loc["falcon-40b", "own_kgco2e"])


@pytest.mark.parametrize("policy", POLICIES)
def test_to_dict_is_the_cli_json_for_every_registry_model(project: Any, policy: str) -> None:
    r = lineage.compute(project, policy)
    printed = CliRunner().invoke(cli, ["table", "--policy", policy, "--format", "json"])
    assert printed.exit_code == 0, printed.output
    rows = json.loads(printed.output)
    assert [row["model"] for row in rows] == sorted(r.costs)
    for row in rows:
        assert json.loads(json.dumps(r.costs[row["model"]].to_dict())) == row


def test_cost_json_is_to_dict() -> None:
    printed = CliRunner().invoke(cli, ["cost", "llama-3.2-1b", "--format", "json"])
    record = json.loads(printed.output)
    want = json.loads(json.dumps(lineage.compute(lineage.load()).cost("llama-3.2-1b").to_dict()))
    assert {k: v for k, v in record.items() if k in want} == want


def test_results_name_their_inputs_and_repeat_byte_for_byte() -> None:
    import hashlib
    from pathlib import Path

    family = Path("examples/my-finetune.yaml")
    args = ["cost", "llama-3.2-1b", "--format", "json", "-f", str(family)]
    first = CliRunner().invoke(cli, args).stdout
    assert CliRunner().invoke(cli, args).stdout == first  # the same inputs, the same bytes
    inputs = json.loads(first)["inputs"]
    assert inputs["files"] == [{"path": "examples/my-finetune.yaml",
                                "sha256": hashlib.sha256(family.read_bytes()).hexdigest()}]
    assert inputs["policy"] == "equal" and inputs["lineage"] == lineage.__version__
    registry = inputs["registry"]
    assert registry["files"] >= 30 and len(registry["sha256"]) == 64
    assert registry["checked"] == "2026-12-01"  # the newest checked: date of the registry
    dated = json.loads(CliRunner().invoke(cli, [*args, "--as-of", "2025-01-01"]).stdout)
    assert dated["inputs"]["options"] == {"as_of": "2025-01-01", "assume_grid": None}


def test_validate_json_lists_every_problem_with_its_position() -> None:
    result = CliRunner().invoke(cli, ["validate", "--format", "json", "--no-registry",
                                      "tests/data/bad/bare-energy.yaml"])
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {
        "ok": False, "files": None, "models": None,
        "problems": [{"path": "tests/data/bad/bare-energy.yaml", "line": 7, "col": 17,
                      "severity": "error",
                      "message": 'energy "5" needs a unit: write "5 kWh"'}]}
    fine = CliRunner().invoke(cli, ["validate", "--format", "json", "examples/my-finetune.yaml"])
    assert fine.exit_code == 0
    assert json.loads(fine.stdout) == {"ok": True, "files": 1, "models": 2, "problems": []}
    # the registry's explained warnings, as warnings (exit 0), or errors with --strict (exit 2)
    registry = CliRunner().invoke(cli, ["validate", "--format", "json", "--strict"])
    assert registry.exit_code == 2
    assert {p["severity"] for p in json.loads(registry.stdout)["problems"]} == {"error"}
