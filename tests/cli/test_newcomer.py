"""A newcomer's first hour: the spellings people write, the way out of an unknown name, the
common fine-tuning GPUs, and every input and default visible in the outputs (issue 15)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lineage.cli.main import cli, main
from lineage.model.units import Dim, UnitError, parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("40 GPU-h", (40, 40, 40)),  # the unit the tool itself prints
        ("40 GPU-hours", (40, 40, 40)),
        ("40 gpu hours", (40, 40, 40)),
        ("40 h", (40, 40, 40)),
        ("40", (40, 40, 40)),
        ("370k GPU-h", (370e3, 370e3, 370e3)),
        ("1,720,320 GPU-h", (1720320, 1720320, 1720320)),
        ("2G", (2e9, 2e9, 2e9)),  # a giga suffix still reads as one, not as the G of "GPU"
        ("40..50 GPU-h", (40, 45, 50)),  # (40 + 50) / 2
        ("40 GPU-h ± 10%", (36, 40, 44)),
    ],
)
def test_gpu_hours_spellings(text: str, expected: tuple[float, float, float]) -> None:
    assert parse(text, Dim.GPU_HOURS).as_tuple() == pytest.approx(expected)


@pytest.mark.parametrize("text", ["40 kWh", "3 days", "40 GPU-days"])
def test_gpu_hours_refuses_other_units(text: str) -> None:
    with pytest.raises(UnitError, match='write GPU-hours such as "40 GPU-h"'):
        parse(text, Dim.GPU_HOURS)


def write(tmp_path: Path, body: str) -> str:
    path = tmp_path / "ft.yaml"
    path.write_text("lineage: 1\nmodels:\n  ft:\n    steps:\n      - kind: finetuning\n"
                    + body, encoding="utf-8")
    return str(path)


def cost_json(path: str, *extra: str) -> dict[str, object]:
    result = CliRunner().invoke(cli, ["cost", "ft", "-f", path, "--format", "json", *extra])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert isinstance(data, dict)
    return data


def test_rtx_4090_fine_tune_in_the_users_words(tmp_path: Path) -> None:
    path = write(tmp_path, "        gpu_hours: 40 GPU-h\n        hardware: RTX 4090\n"
                           "        intensity: 0.1 kgCO2e/kWh\n")
    data = cost_json(path)
    # 40 GPU-h × 0.450 kW (RTX 4090 board power) × utilization 1 × PUE 1 = 18 kWh; × 0.1 = 1.8 kg
    assert data["own_kwh"] == pytest.approx(18.0)
    assert data["own_kgco2e"] == pytest.approx(1.8)


@pytest.mark.parametrize(("name", "watts"), [("RTX 3090", 350), ("GeForce RTX 4090", 450),
                                             ("RTX A6000", 300), ("L40S", 350), ("T4", 70),
                                             ("L4", 72)])
def test_fine_tuning_gpus_are_in_the_registry(tmp_path: Path, name: str, watts: int) -> None:
    path = write(tmp_path, f"        gpu_hours: 100\n        hardware: {name}\n"
                           "        intensity: 1 kgCO2e/kWh\n")
    # 100 GPU-h × watts / 1000 kW = watts / 10 kWh
    assert cost_json(path)["own_kwh"] == pytest.approx(watts / 10)


def test_every_registry_gpu_carries_a_quoted_source() -> None:
    import yaml

    from lineage.io.registry import registry_dir

    data = yaml.safe_load((registry_dir() / "hardware.yaml").read_text(encoding="utf-8"))
    for hid in ("rtx-3090", "rtx-4090", "rtx-a6000"):
        refs = data["hardware"][hid]["source"]
        for ref in [refs] if isinstance(refs, str) else refs:
            cited = data["sources"][ref]
            assert cited["url"].startswith("https://") and cited["quote"], hid


def test_unknown_hardware_suggests_and_says_how_to_give_power(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "        gpu_hours: 40\n        hardware: RTX 4080\n")
    with pytest.raises(SystemExit) as exit_:
        main(["validate", path])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == (
        f'{path}:7:19: unknown hardware "RTX 4080"; did you mean "rtx-4090"? If it is not '
        'listed (lineage registry hardware), write its rated power instead of "hardware", '
        'e.g. "power: 300 W"\n')


def test_json_steps_carry_their_inputs(tmp_path: Path) -> None:
    path = write(tmp_path, "        gpu_hours: 40 GPU-h\n        hardware: RTX 4090\n"
                           "        grid: FR\n        pue: 1.2\n")
    part = cost_json(path)["steps"][0]["parts"][0]  # type: ignore[index]
    assert {k: part[k] for k in ("hardware", "hardware_name", "power_kw", "utilization", "pue",
                                 "grid", "defaults")} == {
        "hardware": "rtx-4090", "hardware_name": "NVIDIA GeForce RTX 4090", "power_kw": 0.45,
        "utilization": 1.0, "pue": 1.2, "grid": "FR", "defaults": ["100% of TDP"]}
    # 40 GPU-h × 0.45 kW × 1 × 1.2 = 21.6 kWh
    assert part["kwh"] == pytest.approx(21.6)
    assert part["intensity_kgco2e_per_kwh"] == pytest.approx(part["kgco2e"] / 21.6)


def test_formula_shows_every_default_and_the_basis_names_it(tmp_path: Path) -> None:
    path = write(tmp_path, "        gpu_hours: 40\n        power: 300 W\n"
                           "        intensity: 0.5 kgCO2e/kWh\n")
    result = CliRunner().invoke(cli, ["cost", "ft", "-f", path, "--no-registry"])
    assert result.exit_code == 0, result.output
    # 40 × 0.3 kW × 1 × 1 = 12 kWh; × 0.5 = 6 kgCO2e
    assert ("training: 6.0 kgCO2e estimated  [40 GPU-h × 300 W × 100% of TDP × PUE 1 × "
            "0.5 kgCO2e/kWh (intensity); assumes 100% of TDP and PUE 1: none given]"
            in result.output)
    assert ("  basis        100% estimated (estimates assume 100% of TDP and PUE 1 where none "
            "is given)\n") in result.output


def test_an_inherited_cost_without_ancestors_is_zero_everywhere() -> None:
    """TinyLlama has no parent: what it inherits is exactly 0, though its own cost is unknown."""
    compare = CliRunner().invoke(cli, ["compare", "tinyllama-1.1b", "llama-3.2-1b"])
    cost = CliRunner().invoke(cli, ["cost", "tinyllama-1.1b"])
    assert compare.exit_code == cost.exit_code == 0
    row = next(line for line in compare.output.splitlines() if line.startswith("tinyllama"))
    assert row.split()[1:4] == ["unknown", "0", "tCO2e"]
    assert "  inherited                     0 tCO2e   0 kWh\n" in cost.output


def test_card_names_hardware_and_location_as_people_do(tmp_path: Path) -> None:
    import yaml

    path = write(tmp_path, "        gpu_hours: 40 GPU-h\n        hardware: h100-sxm5-80gb\n"
                           "        grid: FR\n")
    result = CliRunner().invoke(cli, ["card", "ft", "-f", path])
    assert result.exit_code == 0, result.output
    co2 = yaml.safe_load(result.output)["co2_eq_emissions"]
    assert co2["hardware_used"] == "40 GPU-hours on NVIDIA H100 80GB SXM5"
    assert co2["geographical_location"] == "France"


def test_render_says_what_it_wrote_and_takes_the_shared_options(tmp_path: Path) -> None:
    out = tmp_path / "d.mermaid"
    result = CliRunner().invoke(cli, ["render", "--focus", "llama-3.2-1b", "-o", str(out),
                                      "--as-of", "2024-10-01", "--assume-grid", "world"])
    assert result.exit_code == 0, result.output
    assert result.stderr.endswith(f"wrote {out} (mermaid, {out.stat().st_size:,} bytes)\n")
    assert result.stdout == ""


def test_card_and_family_take_as_of() -> None:
    card = CliRunner().invoke(cli, ["card", "llama-3.2-1b", "--as-of", "2024-01-01"])
    assert card.exit_code != 0
    assert '"llama-3.2-1b" was released on 2024-09-25, after --as-of 2024-01-01' in \
        str(card.exception)
    family = CliRunner().invoke(cli, ["family", "llama-3.1-8b", "--as-of", "2024-10-01"])
    assert family.exit_code == 0, family.output
    assert "as of 2024-10-01:" in family.stderr
