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


def _resolves(dotted: str) -> bool:
    """``lineage.a.b.c`` names a module, or an attribute reached from the longest module."""
    import importlib

    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for name in parts[i:]:
            if not hasattr(obj, name):
                return False
            obj = getattr(obj, name)
        return True
    return False


@pytest.mark.parametrize("doc", ["README.md", "docs/method.md", "docs/limits.md"])
def test_the_code_names_in_the_docs_exist(doc: str) -> None:
    """The docs point readers at functions and modules ("where each rule lives"): each
    ``lineage.…`` they name must still be there after a move."""
    named = set(re.findall(r"`(lineage(?:\.\w+)+)", (ROOT / doc).read_text(encoding="utf-8")))
    assert [n for n in sorted(named) if not _resolves(n)] == []
