"""Importing CodeCarbon logs, and exporting model-card metadata."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import lineage
from lineage.cli.main import cli, main
from lineage.io.importers import read_codecarbon
from lineage.report.card import card_metadata

DATA = Path(__file__).parents[1] / "data" / "import"


def test_codecarbon_runs_are_summed() -> None:
    m = read_codecarbon(DATA / "emissions.csv")
    assert m.runs == 2
    assert m.energy_kwh == pytest.approx(4.925 + 2.4625)  # kWh, PUE included
    assert m.emissions_kgco2e == pytest.approx(1.5 + 0.75)  # kg
    assert m.gpu_hours == pytest.approx(8 * (7200 + 3600) / 3600)  # 24 GPU-hours
    assert m.gpu_model == "NVIDIA H100 80GB HBM3"


def test_import_makes_a_measured_step_that_loads(tmp_path: Path) -> None:
    out = tmp_path / "ft.yaml"
    result = CliRunner().invoke(cli, ["import", "codecarbon", str(DATA / "emissions.csv"),
                                      "--model", "acme-ft", "--from", "llama-3.2-1b",
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    step = yaml.safe_load(out.read_text())["models"]["acme-ft"]["steps"][0]
    assert step["hardware"] == "h100-sxm5-80gb"  # nvidia-smi's name resolves by alias
    r = lineage.compute(lineage.load([out]))
    part = r.direct["acme-ft"].steps[0].parts[0]
    assert part.emissions_basis == "measured" and part.energy_basis == "measured"
    assert part.emissions_kgco2e.mid == pytest.approx(2.25)
    assert r.cost("acme-ft").basis["measured"] > 0


@pytest.mark.parametrize(("name", "message"), [
    ("missing-column.csv", "missing-column.csv:1:1: not a CodeCarbon emissions.csv: missing "
                           "column(s) energy_consumed"),
    ("not-a-number.csv", 'not-a-number.csv:2:15: column "emissions" holds "abc", not a number'),
])
def test_bad_codecarbon_files(name: str, message: str, capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    with pytest.raises(SystemExit) as exc:
        main(["import", "codecarbon", name, "--model", "x"])
    assert exc.value.code == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", message + "\n")


def test_card_reports_grams_and_keeps_cumulative_apart(make_project) -> None:
    text = """
lineage: 1
models:
  t: {steps: [{kind: pretraining, emissions: 100 t, gpu_hours: 1000, hardware: gpu}]}
  s: {steps: [{kind: finetuning, from: t, emissions: 2 kg}]}
  u: {steps: [{kind: finetuning, from: t}]}
hardware:
  gpu: {name: GPU, power: 400 W, source: "https://example.org/gpu"}
"""
    r = lineage.compute(make_project(text), "equal")
    meta = card_metadata(r, "s")
    # Hugging Face wants grams of the model's own training: 2 kg = 2,000 g
    assert meta["co2_eq_emissions"]["emissions"] == 2000.0
    assert meta["co2_eq_emissions"]["training_type"] == "fine-tuning"
    # cumulative: 2 kg + 100 t / 3 (t has two children) = 33,335.333 kg
    assert meta["lineage"]["cumulative_kgco2e"] == pytest.approx(33_335.333, abs=1e-3)
    assert "co2_eq_emissions" not in card_metadata(r, "u")  # unknown own cost: no number
    assert card_metadata(r, "t")["co2_eq_emissions"]["hardware_used"] == \
        "1,000 GPU-hours on GPU"  # the hardware's name ("GPU"), not its id ("gpu")


def test_hf_card_emissions_are_grams(tmp_path: Path) -> None:
    out = tmp_path / "acme.yaml"
    result = CliRunner().invoke(cli, ["import", "hf-card", str(DATA / "README.md"),
                                      "--model", "acme", "-o", str(out)])
    assert result.exit_code == 0, result.output
    r = lineage.compute(lineage.load([out]))
    # co2_eq_emissions: 2250 (grams, the Hub's unit) = 2.25 kg
    assert r.direct["acme"].emissions_kgco2e.mid == pytest.approx(2.25)
    assert r.project.parents("acme") == ["llama-3.2-1b-instruct"]  # base_model by HF id


def test_hf_card_without_front_matter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    card = tmp_path / "README.md"
    card.write_text("# just a title\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["import", "hf-card", str(card), "--model", "x"])
    assert exc.value.code == 2
    assert capsys.readouterr().err.endswith(
        "README.md:1:1: no YAML front matter (--- … ---) at the top of the model card\n")
