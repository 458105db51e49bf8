"""CodeCarbon logs named by a family file's step (``codecarbon: runs/emissions.csv``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import lineage
from lineage.cli.main import cli, main
from lineage.io.codecarbon import read_codecarbon

DATA = Path(__file__).parents[1] / "data" / "codecarbon"
V3_HEADER = (DATA / "v3" / "emissions.csv").read_text().splitlines()[0]


def test_codecarbon_2x_layout_is_read_by_header_name() -> None:
    m = read_codecarbon(DATA / "v2" / "emissions.csv")
    # the real 8 x A40 run of mlco2/codecarbon#544 (CodeCarbon 2.3.3, 31 columns, no
    # experiment_id / water columns): its own cells, kg and kWh as written
    assert (m.runs, m.codecarbon_version) == (1, "2.3.3")
    assert m.emissions_kgco2e == pytest.approx(110.51787583060145)
    assert m.energy_kwh == pytest.approx(302.3935181436902)
    # 8 GPUs x 495,066.1 s / 3600 = 1,100.147 GPU-hours
    assert m.gpu_hours == pytest.approx(8 * 495066.1067533493 / 3600)
    assert m.gpu_model == "NVIDIA A40"


def test_codecarbon_3x_layout_keeps_the_last_flush_of_each_run() -> None:
    m = read_codecarbon(DATA / "v3" / "emissions.csv")
    # run-a's 1800 s flush row (2.0 kWh) is a snapshot of its final row (3600 s, 4.0 kWh):
    # 4.0 + 9.0 (run-b) + 0.2 (run-c) = 13.2 kWh; 1.0 + 2.25 + 0.05 = 3.3 kg
    assert m.runs == 3
    assert m.energy_kwh == pytest.approx(13.2)
    assert m.emissions_kgco2e == pytest.approx(3.3)
    # 4 GPUs x (3600 + 7200 + 600) s / 3600 = 12.667 GPU-hours
    assert m.gpu_hours == pytest.approx(4 * 11400 / 3600)


@pytest.mark.parametrize(("filters", "kwh", "kg"), [
    ({"run_id": "run-b"}, 9.0, 2.25),                    # one run
    ({"project_name": "sft"}, 4.0 + 9.0, 1.0 + 2.25),      # run-a (final row) + run-b
    ({"project_name": "sft", "run_id": "run-a"}, 4.0, 1.0),
])
def test_filters_pick_the_runs(filters: dict[str, str], kwh: float, kg: float) -> None:
    m = read_codecarbon(DATA / "v3" / "emissions.csv", **filters)
    assert (m.energy_kwh, m.emissions_kgco2e) == (pytest.approx(kwh), pytest.approx(kg))


def test_family_steps_read_their_logs_as_measured() -> None:
    r = lineage.compute(lineage.load([DATA / "family.yaml"], registry=False), "cutoff")
    expected = {"tuned-b": (9.0, 2.25), "tuned-sft": (13.0, 3.25),
                "tuned-v2": (302.3935181436902, 110.51787583060145)}
    for model, (kwh, kg) in expected.items():
        d = r.direct[model]
        assert d.energy_kwh.mid == pytest.approx(kwh)
        assert d.emissions_kgco2e.mid == pytest.approx(kg)
        part = d.steps[0].parts[0]
        assert (part.energy_basis, part.emissions_basis) == ("measured", "measured")
    # base has no step: the cost of tuned-b under cutoff is its own 2.25 kg, complete for itself
    assert r.cost("tuned-b").basis == {"measured": 1.0}


def test_cost_json_of_a_measured_step() -> None:
    result = CliRunner().invoke(cli, ["cost", "tuned-b", "-f", str(DATA / "family.yaml"),
                                      "--no-registry", "--policy", "cutoff", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["own_kgco2e"] == pytest.approx(2.25)  # run-b: 9.0 kWh x 0.25 kg/kWh
    assert data["own_kwh"] == pytest.approx(9.0)


def _family(tmp_path: Path, step: str, csv_text: str | None = V3_HEADER) -> Path:
    runs = tmp_path / "runs"
    runs.mkdir()
    if csv_text is not None:
        (runs / "emissions.csv").write_text(csv_text, encoding="utf-8")
    path = tmp_path / "fam.yaml"
    path.write_text("lineage: 1\nmodels:\n  base: {}\n  ft:\n    steps:\n      - kind: finetuning\n"
                    "        from: base\n" + step, encoding="utf-8")
    return path


def _errors(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--no-registry", str(path)])
    assert exc.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err.replace(str(path.parent) + "/", "")


ROW = ("2026-03-02T09:00:00,sft,run-b,x,7200,2.25,0.0003,42.5,1520.0,20.0,0.2,8.68,0.12,9.0,0.0,"
       "Canada,CAN,quebec,,,Linux,3.12.3,3.3.0,64,EPYC,4,4 x NVIDIA A100-SXM4-80GB,-73.57,45.5,"
       "512.0,machine,12.6,93.1,30.4,155.0,N,1.1,0.0")


@pytest.mark.parametrize(("step", "csv_text", "message"), [
    ("        codecarbon: runs/missing.csv\n", V3_HEADER + "\n" + ROW + "\n",
     "fam.yaml:8:9: cannot read CodeCarbon log runs/missing.csv: No such file or directory"),
    ("        codecarbon: runs/emissions.csv\n",
     V3_HEADER.replace(",energy_consumed,", ",energy,") + "\n" + ROW + "\n",
     "runs/emissions.csv:1:1: not a CodeCarbon emissions.csv: missing column(s) energy_consumed"),
    ("        codecarbon: runs/emissions.csv\n",
     V3_HEADER + "\n" + ROW.replace(",2.25,", ",n/a,") + "\n",
     # the cell starts after "2026-03-02T09:00:00,sft,run-b,x,7200," (37 characters)
     # not quoted: the user named fam.yaml, not this log (issue 16)
     'runs/emissions.csv:2:38: column "emissions" does not hold a number'),
    ("        codecarbon: runs/emissions.csv\n        run_id: run-z\n", V3_HEADER + "\n" + ROW,
     'fam.yaml:9:9: no run in runs/emissions.csv has run_id "run-z"'),
    ("        codecarbon: runs/emissions.csv\n", V3_HEADER + "\n",
     "runs/emissions.csv:1:1: not a CodeCarbon emissions.csv: no run in the file"),
    ("        codecarbon: runs/emissions.csv\n        emissions: 3 kg\n", V3_HEADER + "\n" + ROW,
     'fam.yaml:9:9: "codecarbon" gives the measured energy and emissions; remove "emissions"'),
    ("        run_id: run-b\n", V3_HEADER + "\n" + ROW,
     'fam.yaml:8:9: "run_id" filters the runs of a CodeCarbon log: add '
     '"codecarbon: PATH/emissions.csv"'),
])
def test_broken_logs_give_one_located_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch, step: str,
                                           csv_text: str, message: str) -> None:
    _family(tmp_path, step, csv_text)
    monkeypatch.chdir(tmp_path)
    err = _errors(Path("fam.yaml"), capsys)
    assert err.replace(str(tmp_path) + "/", "") == message + "\n"


def test_the_log_is_found_beside_the_yaml_file(tmp_path: Path) -> None:
    shutil.copytree(DATA / "v3", tmp_path / "runs")
    path = tmp_path / "fam.yaml"
    path.write_text("lineage: 1\nmodels:\n  ft:\n    steps:\n      - kind: finetuning\n"
                    "        codecarbon: runs/emissions.csv\n        run_id: run-a\n")
    r = lineage.compute(lineage.load([path], registry=False))
    assert r.direct["ft"].emissions_kgco2e.mid == pytest.approx(1.0)  # run-a's final row
