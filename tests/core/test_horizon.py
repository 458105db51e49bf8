"""Amortization horizons (issue 11): a figure stays put when someone else publishes a
derivative, as long as the parent's declared horizon holds."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import lineage
from lineage.cli.main import cli
from tests.core.test_properties import dags, project_of


def _children(models: dict[str, Any], mid: str) -> int:
    return sum(1 for m in models.values() for s in m["steps"] for r in s["from"]
               if (r if isinstance(r, str) else r["model"]) == mid)


@settings(max_examples=80, deadline=None)
@given(dags(), st.data())
def test_a_derivative_below_the_horizon_moves_no_other_figure(models: dict[str, Any],
                                                              data: Any) -> None:
    for mid, m in models.items():  # every model declares room for 3 more derivatives
        m["expected_derivatives"] = _children(models, mid) + 3
    before = lineage.compute(project_of(models), "equal")
    parent = data.draw(st.sampled_from(sorted(models)))
    grown = copy.deepcopy(models)
    grown["newcomer"] = {"steps": [{"kind": "finetuning", "from": [parent],
                                    "emissions": "1 t"}]}
    after = lineage.compute(project_of(grown), "equal")
    for mid, c in before.costs.items():
        moved = after.costs[mid]
        assert moved.cumulative_kgco2e_bound.as_tuple() == pytest.approx(
            c.cumulative_kgco2e_bound.as_tuple(), rel=1e-12, abs=1e-9)
        if mid != parent:  # the parent alone keeps less: it passes a share to the newcomer
            assert moved.attributed_kgco2e_bound is not None
            assert c.attributed_kgco2e_bound is not None
            assert moved.attributed_kgco2e_bound.as_tuple() == pytest.approx(
                c.attributed_kgco2e_bound.as_tuple(), rel=1e-12, abs=1e-9)


HORIZON = """
lineage: 1
sources:
  tree: {url: "https://huggingface.co/example/base", title: "Model tree of example/base"}
models:
  base:
    horizon: {derivatives: 2, as_of: 2026-11-30, source: tree}
    steps: [{kind: pretraining, emissions: 90 t}]
  a: {steps: [{kind: finetuning, parents: [base], emissions: 1 t}]}
"""


def test_the_horizon_shows_in_the_explanation_and_json(tmp_path: Path) -> None:
    f = tmp_path / "h.yaml"
    f.write_text(HORIZON, encoding="utf-8")
    result = CliRunner().invoke(cli, ["cost", "a", "-f", str(f), "--no-registry"])
    # base splits over itself and its horizon of 2 derivatives: 90 t / 3 = 30 t; a = 1 + 30
    assert "cumulative                31.00 tCO2e" in result.output
    assert ("horizon of base: 1/3 each: horizon 2 derivatives, Model tree of example/base on "
            "2026-11-30") in result.output
    record = lineage.compute(lineage.load([f], registry=False)).cost("a").to_dict()
    assert record["horizons"] == [{"model": "base", "derivatives": 2, "as_of": "2026-11-30",
                                   "source": "Model tree of example/base", "children": 1,
                                   "exceeded": False}]


def test_an_outgrown_horizon_is_a_warning(tmp_path: Path) -> None:
    f = tmp_path / "h.yaml"
    f.write_text(HORIZON + "  b: {steps: [{kind: finetuning, parents: [base], emissions: 1 t}]}\n"
                 "  c: {steps: [{kind: finetuning, parents: [base], emissions: 1 t}]}\n",
                 encoding="utf-8")
    warned = [str(w) for w in lineage.warnings(lineage.load([f], registry=False))]
    assert warned == [f"{f}:7:14: warning: base: 3 derivatives loaded exceed its horizon of 2 "
                      "(as of 2026-11-30): its children's shares now move as derivatives are "
                      "added; update the horizon"]
    # cost says so too, on stderr, for the horizons above the model it explains
    shown = CliRunner().invoke(cli, ["cost", "a", "-f", str(f), "--no-registry"])
    assert shown.stderr == warned[0] + "\n"
    # now 1/(1 + 3) each: a = 1 + 90/4 = 23.5 t
    assert lineage.compute(lineage.load([f], registry=False)).cost("a") \
        .cumulative_kgco2e_bound.mid == pytest.approx(23_500)


def test_a_horizon_counts_the_hub_derivatives_a_dump_adds(tmp_path: Path) -> None:
    # base (hf: example/base) has 1 child in the file and 4 in the dump: its shares are
    # computed over 5 children, beyond its horizon of 2, so the explanation says 1/6 and
    # OUTDATED (it said "1/3 each" beside a coefficient of 1/6) and cost warns on stderr
    f = tmp_path / "h.yaml"
    f.write_text(HORIZON.replace("    horizon:", "    hf: example/base\n    horizon:"),
                 encoding="utf-8")
    dump = tmp_path / "d.jsonl"
    dump.write_text("".join(f'{{"id": "x/ft{i}", "base_model": "example/base"}}\n'
                            for i in range(4)), encoding="utf-8")
    args = ["cost", "a", "-f", str(f), "-f", str(dump), "--no-registry"]
    shown = CliRunner().invoke(cli, args)
    # 1/(1 + 5) each: a = 1 + 90/6 = 16 t
    assert "cumulative                16.00 tCO2e" in shown.output
    assert ("horizon of base: 1/6 each: horizon 2 derivatives, Model tree of example/base on "
            "2026-11-30; OUTDATED: 5 derivatives loaded") in shown.output
    assert shown.stderr == (f"{f}:8:14: warning: base: 5 derivatives loaded exceed its horizon "
                            "of 2 (as of 2026-11-30): its children's shares now move as "
                            "derivatives are added; update the horizon\n")
    record = json.loads(CliRunner().invoke(cli, [*args, "--format", "json"]).stdout)
    assert [(h["children"], h["exceeded"]) for h in record["horizons"]] == [(5, True)]
    # validate with the dump says so too (it reported no warning of the files at all)
    checked = CliRunner().invoke(cli, ["validate", str(f), str(dump), "--no-registry"])
    assert checked.exit_code == 0
    assert checked.stderr == shown.stderr
    assert checked.stdout.endswith("1 warning(s)\n")
    strict = CliRunner().invoke(cli, ["validate", str(f), str(dump), "--strict"])
    assert str(strict.exception) == "1 warning(s) and --strict was given"  # exit 2 in main


def test_horizon_and_expected_derivatives_are_exclusive(tmp_path: Path) -> None:
    f = tmp_path / "h.yaml"
    f.write_text(HORIZON.replace("    horizon:", "    expected_derivatives: 3\n    horizon:"),
                 encoding="utf-8")
    with pytest.raises(lineage.InputErrors) as err:
        lineage.load([f], registry=False)
    assert 'write either "horizon" (dated, sourced) or "expected_derivatives"' in str(
        err.value.errors[0])
