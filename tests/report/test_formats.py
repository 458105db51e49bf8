"""Every format of a view says what the text says, and every JSON document names its inputs
the same way (docs/method.md#outputs)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lineage.cli.main import cli
from tests.support import golden_file

ROOT = Path(__file__).parents[2]
DATA = ROOT / "tests" / "data"
FAMILY = "tests/data/family.yaml"
SAMPLE = "examples/hub-sample.jsonl"


@pytest.fixture(autouse=True)
def _from_the_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # files are named relative to the working folder


def run(*args: str) -> str:
    res = CliRunner().invoke(cli, list(args))
    assert res.exit_code == 0, res.output
    return res.stdout


def test_family_markdown_formats_figures_as_the_text_does() -> None:
    # tuned's own cost misses its preference-tuning step: "≥ 4.1 kgCO2e" (24 GPU-h × 0.4 kW ×
    # 1.1 × 0.385), never a raw float; the sum 291,422.2 + 31,694 + 18,634 + 4.07 kg prints
    # "≥ 341.75 tCO2e"
    text = run("family", "teacher", "-f", FAMILY, "--no-registry", "--format", "md")
    assert "None" not in text and "18634.0" not in text
    golden_file(DATA / "golden" / "family-teacher.md", text)


def test_family_markdown_says_unknown_not_none(tmp_path: Path) -> None:
    f = tmp_path / "f.yaml"
    f.write_text("lineage: 1\nmodels:\n  base: {steps: [{kind: pretraining}]}\n"
                 "  tuned: {steps: [{kind: finetuning, from: base, emissions: 2 t}]}\n",
                 encoding="utf-8")
    text = run("family", "base", "-f", str(f), "--no-registry", "--format", "md")
    assert "| base | unknown | unknown | no |" in text and "None" not in text
    assert "| tuned | 2.00 tCO2e | unknown | yes |" in text


def test_compare_markdown_keeps_the_break_even_sentence() -> None:
    # student 31,694 kg of its own, teacher 291,422.2 kg: 31,694 + 291,422.2 / (N + 1) ≤
    # 291,422.2 from N = 1 (31,694 + 145,711.1 = 177,405.1 kg)
    args = ["compare", "student", "teacher", "-f", FAMILY, "--no-registry"]
    text = run(*args, "--format", "md")
    sentence = ("Distilling wins from 1 student sharing the teacher: 31.69 tCO2e + 291.42 "
                "tCO2e / 2 = 177.41 tCO2e ≤ 291.42 tCO2e.")
    assert sentence in run(*args) and sentence in text
    golden_file(DATA / "golden" / "compare-student.md", text)


def documents(*common: str) -> dict[str, Any]:
    """The JSON document of each view, over the same files and options."""
    out = {
        "cost": run("cost", "student", *common, "--format", "json"),
        "policies": run("cost", "student", *common, "--policy", "all", "--format", "json"),
        "family": run("family", "teacher", *common, "--format", "json"),
        "compare": run("compare", "student", "teacher", *common, "--format", "json"),
        "table": run("table", *common, "--format", "json"),
    }
    return {k: json.loads(v) for k, v in out.items()}


DATED = """
lineage: 1
models:
  teacher: {released: 2024-01-01, steps: [{kind: pretraining, emissions: 100 t}]}
  student:
    released: 2024-03-01
    steps: [{kind: distillation, from: teacher, emissions: 10 t}]
  later: {released: 2025-01-01, steps: [{kind: finetuning, from: student, emissions: 1 t}]}
"""


def test_every_json_document_carries_the_same_inputs_block(tmp_path: Path) -> None:
    dated = tmp_path / "dated.yaml"
    dated.write_text(DATED, encoding="utf-8")
    docs = documents("-f", str(dated), "--no-registry", "--as-of", "2024-06-01")
    docs["table"] = docs["table"][0]  # a list of cost records: each carries the block
    sha = hashlib.sha256(dated.read_bytes()).hexdigest()
    for name, doc in docs.items():
        assert doc["as_of"] == "2024-06-01", name
        inputs = doc["inputs"]
        assert inputs["files"] == [{"path": str(dated), "sha256": sha}], name
        assert inputs["options"] == {"as_of": "2024-06-01", "assume_grid": None}, name
    # the policy each was computed under: none for the family (own costs only)
    assert {k: d["inputs"]["policy"] for k, d in docs.items()} == {
        "cost": "equal", "policies": "all", "family": None, "compare": "equal",
        "table": "equal"}


def test_a_hub_dump_is_named_with_its_sha256() -> None:
    sha = hashlib.sha256((ROOT / SAMPLE).read_bytes()).hexdigest()
    # a dump model, a registry model whose shares the dump weighs, a family, every policy
    for args in (["cost", "acme/support-1b"], ["cost", "llama-3.2-1b-instruct"],
                 ["family", "acme/support-1b"], ["cost", "acme/support-1b", "--policy", "all"]):
        doc = json.loads(run(*args, "-f", SAMPLE, "--format", "json"))
        assert {"path": SAMPLE, "sha256": sha} in doc["inputs"]["files"], args


@pytest.mark.parametrize("args", [["family", "teacher"], ["cost", "student", "--policy", "all"],
                                  ["table"]])
def test_markdown_names_its_inputs(args: list[str]) -> None:
    text = run(*args, "-f", FAMILY, "--no-registry", "--format", "md")
    sha = hashlib.sha256((DATA / "family.yaml").read_bytes()).hexdigest()
    assert f"`{FAMILY}` (sha256 `{sha[:12]}`)." in text.splitlines()[-1]
