"""Output that fits the terminal: tables wrapped to 80 or 200 columns, full width when piped,
colour on a terminal only (NO_COLOR respected)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from lineage.cli.main import cli
from lineage.report import style
from tests.support import golden_file

DATA = Path(__file__).parents[1] / "data"
FAMILY = str(DATA / "family.yaml")


def golden(name: str, text: str) -> None:
    golden_file(DATA / "golden" / name, text)


def invoke(monkeypatch: pytest.MonkeyPatch, columns: str | None, *args: str) -> str:
    for var in ("COLUMNS", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(var, raising=False)
    if columns is not None:
        monkeypatch.setenv("COLUMNS", columns)
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("columns", ["80", "200", None], ids=["80", "200", "piped"])
def test_table_fits_the_terminal(monkeypatch: pytest.MonkeyPatch, columns: str | None) -> None:
    text = invoke(monkeypatch, columns, "table", "-f", FAMILY, "--no-registry")
    golden(f"table-{columns or 'piped'}.txt", text)
    if columns is not None:
        assert max(len(line) for line in text.splitlines()) <= int(columns)


@pytest.mark.parametrize("columns", ["80", "200"])
def test_registry_tables_fit(monkeypatch: pytest.MonkeyPatch, columns: str) -> None:
    for what in ("hardware", "grids", "tasks", "models", "equivalents"):
        text = invoke(monkeypatch, columns, "registry", what)
        assert max(len(line) for line in text.splitlines()) <= int(columns), what
    golden(f"registry-tasks-{columns}.txt", invoke(monkeypatch, columns, "registry", "tasks"))


def test_piped_registry_is_full_width(monkeypatch: pytest.MonkeyPatch) -> None:
    text = invoke(monkeypatch, None, "registry", "hardware")
    assert max(len(line) for line in text.splitlines()) > 200  # nothing wrapped or elided
    assert "…" not in text


def test_cost_wraps_at_80(monkeypatch: pytest.MonkeyPatch) -> None:
    golden("cost-tuned-80.txt", invoke(monkeypatch, "80", "cost", "tuned", "-f", FAMILY,
                                       "--no-registry"))


def test_cost_of_a_dump_model_wraps_like_any_other(monkeypatch: pytest.MonkeyPatch) -> None:
    sample = str(Path(__file__).parents[2] / "examples" / "hub-sample.jsonl")
    text = invoke(monkeypatch, "60", "cost", "acme/support-1b", "-f", sample)
    assert max(len(line) for line in text.splitlines()) <= 60  # was not wrapped
    assert invoke(monkeypatch, None, "cost", "acme/support-1b", "-f", sample) != text


def test_colour_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    tty = Tty()
    for var in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(var, raising=False)
    assert style.use_colour(tty)  # type: ignore[arg-type]
    monkeypatch.setenv("NO_COLOR", "1")
    assert not style.use_colour(tty)  # type: ignore[arg-type]
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert not style.use_colour(tty)  # type: ignore[arg-type]  # NO_COLOR wins
    monkeypatch.delenv("NO_COLOR")
    assert style.use_colour(None)  # FORCE_COLOR: colour even when piped


def test_no_color_keeps_escapes_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[1m" in CliRunner().invoke(cli, ["registry", "tasks"]).stdout
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in CliRunner().invoke(cli, ["registry", "tasks"]).stdout
