"""``lineage cite``: the methods paragraph and BibTeX, against golden files."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from lineage.cli.cite import cite
from lineage.cli.main import main
from tests.support import golden_file

DATA = Path(__file__).parents[1] / "data"
PAYOFF = str(DATA / "plot" / "payoff.yaml")


def golden(name: str, text: str) -> None:
    golden_file(DATA / "cite" / name, text)


@pytest.mark.parametrize(("model", "args", "name"), [
    # student: own 18..22 t, inherited 300 t / 2 = 150 t, cumulative 168..172 t
    ("student", ["-f", PAYOFF, "--no-registry"], "student"),
    # Llama 3.2 1B: 118.37 own + 408 + 60 inherited = 586.37 t (README's Quick start)
    ("llama-3.2-1b", [], "llama-3.2-1b"),
])
@pytest.mark.parametrize("fmt", ["md", "latex"])
def test_cite_golden(model: str, args: list[str], name: str, fmt: str) -> None:
    result = CliRunner().invoke(cite, [model, *args, "--format", fmt], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    golden(f"{name}.{'tex' if fmt == 'latex' else 'md'}", result.output)


def test_cite_numbers_and_policy_assumption() -> None:
    text = CliRunner().invoke(cite, ["student", "-f", PAYOFF, "--no-registry", "--policy",
                                     "cutoff"]).output
    assert "at 20.00 tCO2e (18.00–22.00 tCO2e)" in text  # cutoff: own cost only
    assert "0 tCO2e inherited" in text
    assert 'the "cutoff" allocation policy, which assumes that no inheritance' in text
    assert "last checked on 2026-01-15" in text


def test_unknown_model_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["cite", "nobody", "-f", PAYOFF, "--no-registry"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and 'unknown model "nobody"' in err
