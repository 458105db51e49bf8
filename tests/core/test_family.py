"""The family view (docs/method.md#family): one rule over lineage files and hub dumps, one text."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

import lineage
from lineage.cli.main import cli
from lineage.report.views import family_text

# A root R (100 t) with 22 fine-tunes: c0 … c20 report 1 t + k kg each, c21 reports nothing.
LARGE = "lineage: 1\nmodels:\n  r: {steps: [{kind: pretraining, emissions: 100 t}]}\n" + "".join(
    f"  c{k}: {{steps: [{{kind: finetuning, from: r, emissions: {1000 + k} kg}}]}}\n"
    for k in range(21)) + "  c21: {steps: [{kind: finetuning, from: r}]}\n"


def test_a_family_of_more_than_20_lists_its_20_largest_known_costs(make_project) -> None:
    fam = lineage.family(make_project(LARGE), "r")
    assert len(fam.models) == 23 and fam.unknown == ("c21",)
    # 100,000 + Σ (1000 + k) for k < 21 = 100,000 + 21,000 + 210 = 121,210 kg, a lower bound
    assert fam.own_kgco2e.mid == 121_210
    lines = family_text(fam).splitlines()
    assert lines[0] == ("Family of r: 23 models (the root and all its descendants, each "
                        "counted once)")
    assert lines[1].startswith("  own cost, summed   ≥ 121.21 tCO2e")
    assert lines[2] == "  coverage           95.7% of models have a known own cost (22/23)"
    assert lines[4] == "  largest known own costs:"
    listed = [line.split()[0] for line in lines[5:]]
    # r first, then c20 (1,020 kg) down to c2 (1,002 kg): c1, c0 and the unknown c21 left out
    assert listed == ["r", *(f"c{k}" for k in range(20, 1, -1))]


def test_a_small_family_lists_every_member_unknown_ones_too(make_project) -> None:
    text = family_text(lineage.family(make_project(LARGE.split("  c2:")[0]), "r"))
    assert text.splitlines()[4:] == [
        f"    {'c0':<48} {'1.00 tCO2e':>14}", f"    {'c1':<48} {'1.00 tCO2e':>14}",
        f"    {'r':<48} {'100.00 tCO2e':>14}"]


def test_a_dump_root_is_named_as_asked_wherever_its_line_is(tmp_path: Path) -> None:
    # the derivative's line comes first: the family is still x/base's
    dump = tmp_path / "d.jsonl"
    dump.write_text('{"id": "x/ft", "base_model": "x/base", "co2_eq_emissions": 500}\n'
                    '{"id": "x/base", "co2_eq_emissions": 2000}\n')
    result = CliRunner().invoke(cli, ["family", "x/base", "--no-registry", "-f", str(dump)])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Family of x/base: 2 models (the root and all its descendants, each counted once)\n"
        "  own cost, summed   2.5 kgCO2e   unknown\n"  # 2,000 g + 500 g; no energy given
        "  coverage           100.0% of models have a known own cost (2/2)\n"
        "  basis              100% reported\n"
        f"    {'x/ft':<48} {'500 gCO2e':>14}\n"
        f"    {'x/base':<48} {'2.0 kgCO2e':>14}\n")
    record = json.loads(CliRunner().invoke(cli, ["family", "x/base", "--no-registry", "-f",
                                                 str(dump), "--format", "json"]).output)
    assert record["root"] == "x/base"
    assert record["largest"] == [{"model": "x/base", "kgco2e": 2.0}, {"model": "x/ft",
                                                                      "kgco2e": 0.5}]


def test_equal_costs_are_listed_by_id_and_joint_totals_keep_their_range(
        make_project) -> None:
    # 22 fine-tunes of 1 t each: the 19 listed after r are the first ids in order
    text = ("lineage: 1\nmodels:\n  r: {steps: [{kind: pretraining, emissions: 100 t}]}\n"
            + "".join(f"  c{k:02}: {{steps: [{{kind: finetuning, from: r, emissions: 1 t}}]}}\n"
                      for k in range(22))
            + "totals:\n  - {models: [r, c00], emissions: 5..7 t}\n")
    lines = family_text(lineage.family(make_project(text), "r")).splitlines()
    assert [line.split()[0] for line in lines[5:25]] == ["r", *(f"c{k:02}" for k in range(19))]
    assert lines[-1] == "  reported jointly   6.00 tCO2e (5.00–7.00 tCO2e) for r, c00"


def test_a_large_family_of_unknown_costs_lists_none(make_project) -> None:
    text = "lineage: 1\nmodels:\n  r: {steps: [{kind: pretraining}]}\n" + "".join(
        f"  c{k}: {{steps: [{{kind: finetuning, from: r}}]}}\n" for k in range(21))
    lines = family_text(lineage.family(make_project(text), "r")).splitlines()
    assert lines[1:] == ["  own cost, summed   unknown   unknown",
                         "  coverage           0.0% of models have a known own cost (0/22)",
                         "  basis              no known figure"]
