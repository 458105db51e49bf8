"""The hostile-world corpus (issue 16, the file-system and hang classes): each
``cases/NAME/`` holds the inputs and ``cmd`` (the command line, one argument per line); its
``expected`` file holds the exact standard error. Every case is refused with exit 2, nothing
on standard output, no traceback, in bounded memory and without waiting, and its inputs are
left as they were.

A case runs in a fresh copy of its folder, as ``python -m lineage`` in a real process (a hang
or a memory blow-up must not take the test session with it). Inputs that cannot live in git
(named pipes, links out of the folder, a 1 MB string aliased 3,000 times) are made by
:data:`SETUP`. Regenerate the goldens with ``LINEAGE_REGEN=1 pytest tests/hostile``, then read
the diff.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import PEAK_SNIPPET, REGEN

CASES = Path(__file__).parent / "cases"
MAX_RSS_BYTES = 300 * 1024 * 1024
HANG_GUARD_SECONDS = 60


def _fifo(name: str) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(folder / name)
    return make


def _link_out(folder: Path) -> None:
    """runs/emissions.csv → a file outside the family's folder holding a secret."""
    outside = folder.parent / "outside.csv"
    outside.write_text("run_id,duration,emissions,energy_consumed\nSECRET,1,SECRET,1\n",
                       encoding="utf-8")
    (folder / "runs").mkdir()
    (folder / "runs" / "emissions.csv").symlink_to(outside)


def _hard_link(folder: Path) -> None:
    os.link(folder / "fam.yaml", folder / "link.yaml")


def _dump_link(folder: Path) -> None:
    os.link(folder / "dump.jsonl", folder / "same.lineage")


def _alias_bomb_1mb(folder: Path) -> None:
    """A 1 MB string aliased 3,000 times: 1 MB on disk, 3 GB once expanded."""
    aliases = ", ".join(["*big"] * 3000)
    (folder / "big.yaml").write_text(
        f"lineage: 1\nmodels:\n  base:\n    name: &big {'x' * 1_000_000}\n"
        f"    tags: [{aliases}]\n", encoding="utf-8")


SETUP: dict[str, Callable[[Path], None]] = {
    "fifo-as-family-file": _fifo("fifo.yaml"),
    "fifo-as-index": _fifo("hub.lineage"),
    "codecarbon-fifo": _fifo("runs/emissions.csv"),
    "codecarbon-link-out": _link_out,
    "render-onto-an-input-by-another-name": _hard_link,
    "index-onto-its-dump": _dump_link,
    "alias-1mb-3000-times-render": _alias_bomb_1mb,
    "alias-1mb-3000-times-table-json": _alias_bomb_1mb,
}


def _names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if p.is_dir())


def _digests(folder: Path) -> dict[str, str]:
    """Every regular file under ``folder`` (links and pipes not followed) by its content."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink() and p.name != "cmd"}


def run(args: list[str], cwd: Path) -> tuple[int, str, str, int]:
    """``python -m lineage ARGS`` in ``cwd``: exit code, stdout, stderr, peak RSS in bytes."""
    peak_path = cwd.parent / "peak"
    env = {**os.environ, "PYTHONUTF8": "1", "LINEAGE_NO_CACHE": "1",
           "LINEAGE_TEST_PEAK": str(peak_path)}
    env.pop("LINEAGE_ALLOW_PATH", None)
    out_path, err_path = cwd.parent / "stdout", cwd.parent / "stderr"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        # the child reports its own peak (tests/peak.py): wait4's would include the pages of
        # this test process it was forked from
        proc = subprocess.Popen([sys.executable, "-c", PEAK_SNIPPET, *args], cwd=cwd, env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        # Why: the timeout only keeps a hung child from hanging the suite; no speed is asserted.
        try:
            proc.wait(timeout=HANG_GUARD_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    peak = int(peak_path.read_text()) * 1024 if peak_path.exists() else 0
    return (proc.returncode, out_path.read_text("utf-8", "replace"),
            err_path.read_text("utf-8", "replace"), peak)


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not hasattr(os, "wait4"), reason="POSIX only")
@pytest.mark.parametrize("name", _names())
def test_hostile_input_is_refused_with_its_golden_message(name: str, tmp_path: Path) -> None:
    folder = tmp_path / "case"
    shutil.copytree(CASES / name, folder, ignore=shutil.ignore_patterns("expected"))
    if name in SETUP:
        SETUP[name](folder)
    before = _digests(folder)
    args = (CASES / name / "cmd").read_text(encoding="utf-8").splitlines()
    code, out, err, peak = run(args, folder)
    golden = CASES / name / "expected"
    if REGEN:
        golden.write_text(err, encoding="utf-8", newline="\n")
    assert "Traceback" not in out + err
    assert code == 2, f"exit code {code}; stderr:\n{err}"
    assert out == ""
    assert err == golden.read_text(encoding="utf-8")
    assert peak < MAX_RSS_BYTES, f"peak memory {peak / 2**20:.0f} MiB"
    assert _digests(folder) == before, "an input was changed"
    assert not list(folder.rglob(".*.tmp")), "a temporary file was left behind"


def test_no_message_quotes_a_secret_or_says_whether_a_file_outside_exists() -> None:
    for name in _names():
        assert "SECRET" not in (CASES / name / "expected").read_text(encoding="utf-8")

    def message(name: str) -> str:
        text = (CASES / name / "expected").read_text(encoding="utf-8")
        return text.replace("/etc/passwd", "PATH").replace("/etc/no-such-file-here", "PATH")

    assert message("codecarbon-absolute-path") == message("codecarbon-absolute-path-missing")


def test_every_case_has_a_golden_and_a_command() -> None:
    for name in _names():
        assert (CASES / name / "cmd").is_file(), name
        assert (CASES / name / "expected").is_file(), f"{name}: run with LINEAGE_REGEN=1"
    assert set(SETUP) <= set(_names())
