"""A damaged hub index gives the same answer or a clean refusal: never a traceback, never other
numbers (issue 16, class 5). Random single-bit flips and truncations (hypothesis), and crafted
headers that carry a valid checksum."""

from __future__ import annotations

import contextlib
import io
import json
import re
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage.cli.main import main
from lineage.io.dump import read_jsonl
from lineage.io.index import ALIGN, MAGIC, write_index

DUMP = [
    {"id": "org/t", "downloads": 1000, "co2_eq_emissions": 5000},
    {"id": "a/ft", "base_model": "org/t", "base_model_relation": "finetune",
     "co2_eq_emissions": {"emissions": 1500.0}, "downloads": 50,
     "created_at": "2024-09-18T10:00:00.000Z", "params": "1.2B"},
    {"id": "a/q", "base_model": ["a/ft"], "base_model_relation": "quantized"},
    {"id": "b/merge", "base_model": ["org/t", "a/ft"], "downloads": 3},
]
COMMANDS = (["cost", "a/q", "--no-registry"], ["table", "--no-registry", "--format", "csv"])
REFUSAL = re.compile(r"^[^\n]+:\d+:\d+: [^\n]+\n$|^[^\n]+: cannot read: [^\n]+\n$")


def _run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            pytest.raises(SystemExit) as exit_info:
        main(args)
    code = exit_info.value.code
    return (code if isinstance(code, int) else 1), out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes, list[str]]:
    """A small index, its bytes, and the answers of :data:`COMMANDS` on it."""
    folder = tmp_path_factory.mktemp("index")
    dump = folder / "dump.jsonl"
    dump.write_text("".join(json.dumps(r) + "\n" for r in DUMP), encoding="utf-8")
    path = folder / "hub.lineage"
    write_index(read_jsonl(dump), path)
    answers = []
    for args in COMMANDS:
        code, out, err = _run([*args, "-f", str(path)])
        assert code == 0, err
        answers.append(out)
    assert "a/q" in answers[0]
    return path, path.read_bytes(), answers


def _check(path: Path, damaged: bytes, answers: list[str]) -> None:
    path.write_bytes(damaged)
    for args, answer in zip(COMMANDS, answers, strict=True):
        code, out, err = _run([*args, "-f", str(path)])
        assert "Traceback" not in err
        if code == 0:
            assert out == answer, "other numbers from a damaged index"
        else:
            assert code == 2, err
            assert out == ""
            assert REFUSAL.match(err), err


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_single_bit_flip_gives_the_same_answer_or_a_refusal(
        index: tuple[Path, bytes, list[str]], data: st.DataObject) -> None:
    path, good, answers = index
    bit = data.draw(st.integers(0, len(good) * 8 - 1), label="bit")
    damaged = bytearray(good)
    damaged[bit // 8] ^= 1 << (bit % 8)
    _check(path.with_name("flipped.lineage"), bytes(damaged), answers)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_truncated_index_is_refused(index: tuple[Path, bytes, list[str]],
                                      data: st.DataObject) -> None:
    path, good, answers = index
    size = data.draw(st.integers(0, len(good) - 1), label="size")
    _check(path.with_name("cut.lineage"), good[:size], answers)


def _crafted(good: bytes, edit: object) -> bytes:
    """The index with its header replaced by ``edit(header)`` (or by raw bytes), the header's
    checksum made valid again: what a deliberate forger would write."""
    (size,) = struct.unpack("<Q", good[len(MAGIC): len(MAGIC) + 8])
    header = json.loads(good[len(MAGIC) + 8: len(MAGIC) + 8 + size])
    if isinstance(edit, bytes):
        text = edit
    else:
        assert callable(edit)
        edit(header)
        header.pop("crc32")
        header["crc32"] = "0" * 8
        text = json.dumps(header).encode()
        text = text[:-10] + b"%08x" % zlib.crc32(text) + text[-2:]
    def start(n: int) -> int:
        return -(-(len(MAGIC) + 8 + n) // ALIGN) * ALIGN

    head = MAGIC + struct.pack("<Q", len(text)) + text
    return head + bytes(start(len(text)) - len(head)) + good[start(size):]


def _set(path: tuple[str | int, ...], value: object) -> object:
    def edit(header: dict[str, object]) -> None:
        node: object = header
        for key in path[:-1]:
            node = node[key]  # type: ignore[index]
        node[path[-1]] = value  # type: ignore[index]
    return edit


@pytest.mark.parametrize(("edit", "reason"), [
    (b"[" * 100_000, "the header's checksum does not match"),
    (_set(("n_models",), "6"), "n_models is not a count"),
    (_set(("n_models",), -1), "n_models is not a count"),
    (_set(("n_models",), 10**30), "the ids do not fit their offsets"),
    (_set(("arrays",), []), "the header lacks its source or its columns"),
    (_set(("arrays", "parent", "dtype"), "|O"), "column parent is not described"),
    (_set(("arrays", "parent", "shape"), [-1]), "column parent is not described"),
    (_set(("arrays", "parent", "shape"), [2, 2]), "column parent is not described"),
    (_set(("arrays", "parent", "offset"), 10**12), "column parent is cut short"),
    (_set(("arrays", "parent", "dtype"), "<f8"), "column parent does not hold positions"),
    (_set(("arrays", "line", "crc32"), 1), "column line's checksum does not match"),
    (_set(("version",), 2), "format version 2, expected 3"),
])
def test_a_crafted_header_is_refused(index: tuple[Path, bytes, list[str]], edit: object,
                                     reason: str) -> None:
    path, good, _ = index
    crafted = path.with_name("crafted.lineage")
    crafted.write_bytes(_crafted(good, edit))
    code, out, err = _run([*COMMANDS[0], "-f", str(crafted)])
    assert (code, out) == (2, "")
    assert err == f"{crafted}:1:1: damaged lineage hub index: {reason} (rebuild it with " \
                  "lineage index)\n"
