"""The README's sample outputs are what the tool prints today (so the README stays true)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from lineage.cli.main import cli

ROOT = Path(__file__).parents[2]
BLOCKS = re.findall(r"```text\n\$ (lineage [^\n]*)\n(.*?)```",
                    (ROOT / "README.md").read_text(encoding="utf-8"), re.S)


def test_the_readme_shows_outputs() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize(("command", "shown"), BLOCKS, ids=[b[0] for b in BLOCKS])
def test_readme_output_is_current(command: str, shown: str, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, shlex.split(command)[1:])
    assert result.exit_code == 0, result.output
    if shown.startswith("...\n"):  # the README shows the tail of the output only
        tail = shown[4:]
        assert result.output.endswith(tail)
    else:
        assert result.output == shown
