"""Outputs that are not plain files, interruptions, standard output that cannot be written,
paths widened on purpose, and a cache planted by another process (issue 16, classes 1, 2, 6,
7). The refusals with a golden message are in ``cases/``; these need a shell, a signal or a
check after the run."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

FAM = ("lineage: 1\nmodels:\n  base:\n    steps:\n      - kind: pretraining\n"
       "        emissions: 10 kg\n")
ENV = {**os.environ, "PYTHONUTF8": "1", "LINEAGE_NO_CACHE": "1"}
pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX devices and signals")


def sh(command: str, cwd: Path, env: dict[str, str] | None = None
       ) -> subprocess.CompletedProcess[str]:
    """``command`` in a shell, ``lineage`` being this interpreter's ``-m lineage``."""
    lineage = f"{sys.executable} -m lineage"
    return subprocess.run(["sh", "-c", command.replace("lineage ", lineage + " ", 1)], cwd=cwd,
                          env=env or ENV, capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.fixture
def fam(tmp_path: Path) -> Path:
    (tmp_path / "fam.yaml").write_text(FAM, encoding="utf-8")
    return tmp_path


def test_dev_null_stays_a_device(fam: Path) -> None:
    r = sh("lineage render -f fam.yaml --no-registry --format dot -o /dev/null", fam)
    assert (r.returncode, r.stdout) == (0, "")
    assert r.stderr.startswith("wrote /dev/null (dot, ")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_dev_stdout_is_written_in_place(fam: Path) -> None:
    r = sh("lineage render -f fam.yaml --no-registry --format mermaid -o /dev/stdout | cat", fam)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("flowchart")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.parametrize("command", [
    "lineage table --no-registry -f fam.yaml > /dev/full",
    "lineage cost base --no-registry -f fam.yaml > /dev/full",
    "lineage render -f fam.yaml --no-registry --format dot > /dev/full",
])
def test_a_full_standard_output_is_one_line_and_exit_2(fam: Path, command: str) -> None:
    r = sh(command, fam)
    assert (r.returncode, r.stderr) == (
        2, "lineage: cannot write to standard output: No space left on device\n")


@pytest.mark.parametrize("command", ["lineage cost base --no-registry -f fam.yaml >&-",
                                     "lineage table --no-registry -f fam.yaml >&-"])
def test_a_closed_standard_output_is_reported(fam: Path, command: str) -> None:
    r = sh(command, fam)
    assert (r.returncode, r.stderr) == (
        2, "lineage: cannot write to standard output: standard output is closed\n")


def test_a_closed_standard_output_does_not_stop_a_command_writing_a_file(fam: Path) -> None:
    r = sh("lineage render -f fam.yaml --no-registry -o out.dot >&-", fam)
    assert r.returncode == 0, r.stderr
    assert r.stderr.startswith("wrote out.dot (dot, ")
    assert (fam / "out.dot").read_text(encoding="utf-8").startswith("digraph")


def test_a_reader_that_goes_away_is_not_an_error() -> None:
    r = subprocess.run(["bash", "-c", f"{sys.executable} -m lineage table | head -1 >/dev/null;"
                        " echo ${PIPESTATUS[0]}"], env=ENV, capture_output=True, text=True,
                       timeout=120, check=False)
    assert (r.stdout, r.stderr) == ("0\n", "")


_INTERRUPT = textwrap.dedent("""
    import os, signal, sys
    from lineage.cli.main import main
    def fsync(fd):  # the moment the output is half written
        {action}
    os.fsync = fsync
    main(["render", "-f", "fam.yaml", "--no-registry", "-o", "out.dot"])
""")


@pytest.mark.parametrize(("action", "code"), [
    ("os.kill(os.getpid(), signal.SIGTERM)", 143),
    ("raise KeyboardInterrupt", 130),
])
def test_an_interrupted_write_leaves_nothing(fam: Path, action: str, code: int) -> None:
    (fam / "out.dot").write_text("the old content\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-c", _INTERRUPT.format(action=action)], cwd=fam,
                       env=ENV, capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == code, r.stderr
    assert "Traceback" not in r.stderr
    assert (fam / "out.dot").read_text(encoding="utf-8") == "the old content\n"
    assert sorted(p.name for p in fam.iterdir()) == ["fam.yaml", "out.dot"]


def test_a_link_to_a_file_is_written_through(fam: Path) -> None:
    (fam / "real.dot").write_text("old\n", encoding="utf-8")
    (fam / "out.dot").symlink_to(fam / "real.dot")
    r = sh("lineage render -f fam.yaml --no-registry -o out.dot", fam)
    assert r.returncode == 0, r.stderr
    assert (fam / "out.dot").is_symlink()
    assert (fam / "real.dot").read_text(encoding="utf-8").startswith("digraph")


CSV = ("run_id,duration,emissions,energy_consumed\n"
       "run-1,3600,2.5,10\n")  # 2.5 kg, 10 kWh


@pytest.mark.parametrize("how", ["option", "env"])
def test_a_folder_can_be_allowed_on_purpose(tmp_path: Path, how: str) -> None:
    logs, family = tmp_path / "logs", tmp_path / "family"
    logs.mkdir()
    family.mkdir()
    (logs / "emissions.csv").write_text(CSV, encoding="utf-8")
    (family / "fam.yaml").write_text(
        "lineage: 1\nmodels:\n  base:\n    steps:\n      - kind: pretraining\n"
        "        codecarbon: ../logs/emissions.csv\n", encoding="utf-8")
    refused = sh("lineage validate --no-registry fam.yaml", family)
    assert refused.returncode == 2
    assert "leads outside the folder" in refused.stderr
    if how == "option":
        r = sh(f"lineage --allow-path {logs} cost base --no-registry -f fam.yaml --format json",
               family)
    else:
        r = sh("lineage cost base --no-registry -f fam.yaml --format json", family,
               env={**ENV, "LINEAGE_ALLOW_PATH": str(logs)})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["own_kgco2e"] == 2.5  # the log's 2.5 kg, read from logs/


class _Planted:
    def __init__(self, mark: str) -> None:
        self.mark = mark

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (self.mark,))


def test_a_pickle_planted_in_the_cache_never_runs(tmp_path: Path) -> None:
    """Another process swaps the cache for a pickle (with a valid checksum); nothing runs."""
    cache = tmp_path / "cache"
    env = {**ENV, "LINEAGE_CACHE_DIR": str(cache)}
    env.pop("LINEAGE_NO_CACHE")
    first = sh("lineage cost llama-3.2-1b --format json", tmp_path, env)
    assert first.returncode == 0, first.stderr
    (path,) = cache.glob("registry-*.json")
    mark = tmp_path / "ran"
    payload = pickle.dumps(_Planted(str(mark)))
    path.write_bytes(hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
    path.with_suffix(".pickle").write_bytes(payload)
    again = sh("lineage cost llama-3.2-1b --format json", tmp_path, env)
    assert (again.returncode, again.stdout) == (0, first.stdout)
    assert not mark.exists()
