"""An unknown figure is null in JSON and empty in CSV in every output, and a figure that
misses an unknown part says so the same way in every format (docs/method.md#completeness)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lineage.cli.main import cli

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
