"""Completeness flows everywhere (issue 11): a student whose ancestor's figure is unknown or
flagged shows it in every figure that includes that ancestor."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

import lineage
from lineage.cli.main import cli

FAMILY = """
lineage: 1
models:
  teacher:
    steps: [{kind: pretraining, gpu_hours: 1000, power: 700 W, emissions: 5 t}]
  student:
    steps: [{kind: distillation, parents: [teacher], gpu_hours: 1000, hardware: H100-80GB,
             emissions: 1 t}]
"""


def test_an_ancestor_of_unknown_embodied_cost_makes_the_student_a_lower_bound(
        tmp_path: Path) -> None:
    f = tmp_path / "f.yaml"
    f.write_text(FAMILY, encoding="utf-8")
    args = ["cost", "student", "-f", str(f), "--embodied"]
    text = CliRunner().invoke(cli, args).stdout
    # the teacher names no hardware: its embodied emissions are unknown. The student's own
    # are known (1,000 H100-h / 26,280 h × 164 kgCO2e = 6.24 kgCO2e), its cumulative is "≥".
    assert "embodied     own 6.2 kgCO2e · cumulative ≥ 6.2 kgCO2e" in text  # two figures shown
    record = json.loads(CliRunner().invoke(cli, [*args, "--format", "json"]).stdout)
    assert record["embodied_complete"] is False
    assert record["embodied_kgco2e"] == record["embodied_cumulative_kgco2e"]


def test_a_flagged_reported_figure_is_carried_into_its_descendants() -> None:
    r = lineage.compute(lineage.load())
    flagged = r.cautions("llama-3.3-70b-instruct")
    assert flagged == ["llama-3.3-70b-instruct: reported training emissions 12.9 tCO2e differ "
                       "from the estimate 2,075 tCO2e by -99%"]
    assert r.cost("llama-3.3-70b-instruct").to_dict()["cautions"] == flagged
    assert r.cautions("llama-3.2-1b") == []  # no flagged figure among its ancestors
