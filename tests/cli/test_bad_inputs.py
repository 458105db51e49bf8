"""Bad inputs (issue 2, acceptance 4): each one is refused with exit 2 and one
``path:line:col: message`` line per problem, no traceback and nothing on stdout.

Every ``tests/data/bad/NAME.yaml`` file or ``NAME/`` folder is a case; ``NAME.expected`` holds
the exact stderr, with paths relative to ``tests/data/bad`` (the cases run from there). A case
runs ``lineage validate --no-registry NAME…`` unless :data:`ARGS` gives its command line.

Regenerate the goldens, and the fixtures written from bytes (:data:`GENERATED`), with::

    LINEAGE_REGEN=1 pytest tests/test_bad_inputs.py

then read the diff: a golden holds the message we want, which is not always what the code
prints today.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import PEAK_SNIPPET, REGEN, run_main

BAD = Path(__file__).parents[1] / "data" / "bad"
PROBLEM_LINE = re.compile(r"^[^:]+:\d+:\d+: .+")
MAX_RSS_BYTES = 200 * 1024 * 1024
HANG_GUARD_SECONDS = 120

# Cases whose command line is not `validate --no-registry INPUT` (paths relative to BAD).
ARGS: dict[str, list[str]] = {
    "usage-missing": [
        "cost",
        "child",
        "-f",
        "usage-missing.yaml",
        "--no-registry",
        "--policy",
        "usage",
    ],
    # The same two files as duplicate-model-id-two-files, as two -f in the other order.
    "duplicate-model-id-two-args": [
        "table",
        "--no-registry",
        "-f",
        "duplicate-model-id-two-files/b.yaml",
        "-f",
        "duplicate-model-id-two-files/a.yaml",
    ],
    # Hub dumps (issue 7): every bad line at its line and key; a cycle; a damaged index.
    "hub-bad-lines": ["cost", "ok/base", "--no-registry", "-f", "hub-bad-lines.jsonl"],
    "hub-many-bad-lines": ["table", "--no-registry", "-f", "hub-many-bad-lines.jsonl",
                           "--format", "csv"],
    "hub-cycle": ["cost", "x/b", "--no-registry", "-f", "hub-cycle.jsonl"],
    "hub-cycle-index": ["index", "hub-cycle.jsonl", "-o", "never-written.lineage"],
    "hub-cycle-table": ["table", "--no-registry", "-f", "hub-cycle.jsonl", "--format", "csv"],
    "hub-cycle-validate": ["validate", "hub-cycle.jsonl"],
    # a dump and a family file: the problems of both, listed together
    "hub-cycle-and-file": ["validate", "--no-registry", "hub-companion.yaml", "hub-cycle.jsonl"],
    "hub-not-an-index": ["cost", "x/a", "--no-registry", "-f", "hub-not-an-index.lineage"],
}

# Cases run as `python -m lineage` in a real process (exit status, no traceback, peak memory);
# the rest call lineage.cli.main.main in-process for speed.
# Why: deep-nesting-lists-100k crashed the interpreter (libyaml recursion), which would take
# pytest down with it if run in-process.
IN_SUBPROCESS = frozenset(
    {
        "alias-bomb",
        "deep-nesting-lists",
        "deep-nesting-mappings",
        "deep-nesting-lists-100k",
        "binary-nul",
        "yaml-syntax-unclosed-bracket",
        "duplicate-model-id-two-files",
    }
)


def _nested(opening: str, middle: str, closing: str, depth: int) -> bytes:
    head = "lineage: 1\nmodels:\n  base:\n    note: "
    return (head + opening * depth + middle + closing * depth + "\n").encode()


def _alias_bomb() -> bytes:
    # Billion laughs: nine anchors, each a list of nine aliases of the one before (9**9 values).
    lines = ["lineage: 1", "a: &a [" + ", ".join(['"lol"'] * 9) + "]"]
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    lines += ["models:", "  base:", "    note: *i"]
    return ("\n".join(lines) + "\n").encode()


# Fixtures that an editor or a careless copy would spoil (bytes, tabs) or that are too
# repetitive to write by hand; test_generated_fixtures_are_current keeps the files honest.
GENERATED: dict[str, Callable[[], bytes]] = {
    "tab-indent.yaml": lambda: b"lineage: 1\nmodels:\n  base:\n\tname: Base\n",
    "not-utf8.yaml": lambda: b"lineage: 1\nmodels:\n  base:\n    name: Caf\xe9 model\n",
    "utf16-text.yaml": lambda: (
        b"\xff\xfe" + "lineage: 1\nmodels:\n  base:\n    name: Base\n".encode("utf-16-le")
    ),
    # The first bytes of a gzip file: a NUL at line 1, column 4.
    "binary-nul.yaml": lambda: bytes.fromhex(
        "1f8b0800000000000003cbc9cc4b4d4c4fb55230e402008f1d106c0b000000"
    ),
    "alias-bomb.yaml": _alias_bomb,
    "deep-nesting-lists.yaml": lambda: _nested("[", "", "]", 5000),
    "deep-nesting-mappings.yaml": lambda: _nested("{a: ", "b", "}", 5000),
    "deep-nesting-lists-100k.yaml": lambda: _nested("[", "", "]", 100_000),
    "hub-many-bad-lines.jsonl": lambda: b"".join(b'{"id": "m/%d", "downloads": "lots"}\n' % i
                                                 for i in range(30)),
}
if REGEN:
    # Written at import, before the cases are collected from the folder.
    for _filename, _make in GENERATED.items():
        (BAD / _filename).write_bytes(_make())


def _case_names() -> list[str]:
    inputs = {p.stem for p in BAD.iterdir() if p.suffix == ".yaml"}
    inputs |= {p.name for p in BAD.iterdir() if p.is_dir()}
    return sorted(inputs | set(ARGS))


def _input(name: str) -> str:
    return f"{name}.yaml" if (BAD / f"{name}.yaml").is_file() else name


def _args(name: str) -> list[str]:
    return ARGS.get(name, ["validate", "--no-registry", _input(name)])


def _normalise(text: str) -> str:
    return text.replace(os.sep, "/") if os.sep != "/" else text


def _run_process(args: list[str], tmp_path: Path) -> tuple[int, str, str, int | None]:
    """Run ``python -m lineage ARGS`` from BAD; return its exit code, output and peak RSS."""
    measured = Path("/proc/self/status").exists()
    peak_path = tmp_path / "peak"
    env = {**os.environ, "PYTHONUTF8": "1", "LINEAGE_TEST_PEAK": str(peak_path)}
    argv = [sys.executable, "-c", PEAK_SNIPPET, *args] if measured else \
        [sys.executable, "-m", "lineage", *args]
    out_path, err_path = tmp_path / "stdout", tmp_path / "stderr"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(argv, cwd=BAD, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err)
        # The timeout only keeps a hung child from hanging the suite; it asserts no speed.
        try:
            proc.wait(timeout=HANG_GUARD_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    peak = int(peak_path.read_text()) * 1024 if measured and peak_path.exists() else None
    return (
        proc.returncode,
        out_path.read_text("utf-8", "replace"),
        err_path.read_text("utf-8", "replace"),
        peak,
    )


@pytest.mark.parametrize("name", _case_names())
def test_bad_input_is_refused_with_its_golden_message(
    name: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    args = _args(name)
    peak = None
    if name in IN_SUBPROCESS:
        code, out, err, peak = _run_process(args, tmp_path)
    else:
        code, out, err = run_main(args, capsys, monkeypatch, BAD)
    err = _normalise(err)
    golden = BAD / f"{name}.expected"
    if REGEN:
        golden.write_text(err, encoding="utf-8", newline="\n")

    assert "Traceback" not in out + err
    assert code == 2, f"exit code {code}; stderr:\n{err}"
    assert out == "", "no partial output on stdout"
    lines = err.splitlines()
    assert lines, "at least one problem is reported"
    for line in lines:
        assert PROBLEM_LINE.match(line), f"not path:line:col: message: {line!r}"
    assert golden.is_file(), f"missing golden {golden.name}; run with LINEAGE_REGEN=1"
    assert err == golden.read_text(encoding="utf-8")
    if peak is not None:
        assert peak < MAX_RSS_BYTES, f"peak memory {peak / 2**20:.0f} MiB"


def test_every_golden_has_a_case() -> None:
    names = set(_case_names())
    orphans = sorted(p.name for p in BAD.glob("*.expected") if p.stem not in names)
    assert orphans == []


def test_there_are_at_least_35_cases() -> None:
    assert len(_case_names()) >= 35


def test_the_case_tables_name_existing_cases() -> None:
    inputs = {p.stem for p in BAD.iterdir() if p.suffix == ".yaml" or p.is_dir()}
    assert IN_SUBPROCESS - set(ARGS) <= inputs
    for args in ARGS.values():
        outputs = {b for a, b in itertools.pairwise(args) if a == "-o"}
        named = [a for a in args if a.endswith((".yaml", ".jsonl", ".lineage"))
                 and a not in outputs]
        assert named, args
        assert all((BAD / a).is_file() for a in named), args
        assert not any((BAD / a).exists() for a in outputs), "no output is left behind"


@pytest.mark.parametrize("filename", sorted(GENERATED))
def test_generated_fixtures_are_current(filename: str) -> None:
    path = BAD / filename
    assert path.read_bytes() == GENERATED[filename](), f"{filename} differs from its generator"


def test_the_cycle_named_does_not_depend_on_the_hash_seed() -> None:
    # with the registry loaded, the cycle was walked from wherever a set's order began:
    # "a -> b -> c -> a", "b -> …" or "c -> …" from one PYTHONHASHSEED to the next
    seen = set()
    for seed in ("1", "2", "3", "4"):
        done = subprocess.run([sys.executable, "-m", "lineage", "validate", "cycle.yaml"],
                              cwd=BAD, capture_output=True, text=True,
                              env={**os.environ, "PYTHONHASHSEED": seed})
        seen.add((done.returncode, done.stderr))
    assert seen == {(2, "cycle.yaml:10:15: cycle in the lineage: a -> b -> c -> a\n")}
