"""A damaged hub index gives the same answer or a clean refusal: never a traceback, never other
numbers (issue 16, class 5). Random single-bit flips and truncations (hypothesis), and crafted
headers that carry a valid checksum."""

from __future__ import annotations

import contextlib
import io
import json
import re
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage.cli.main import main
from lineage.io.dump import read_jsonl
from lineage.io.index import crc, write_index

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


def _forged(good: Path, out: Path, meta_edit: Any = None, column: str | None = None,
            values: Any = None) -> None:
    """The index with its metadata edited by ``meta_edit(meta)`` or one column replaced, every
    checksum made valid again: what a deliberate forger would write."""
    import pyarrow as pa

    table = pa.ipc.open_file(pa.memory_map(str(good))).read_all()
    meta = json.loads(table.schema.metadata[b"lineage"])
    if column is not None:
        table = table.set_column(table.schema.names.index(column), column, values)
        meta["crc32"][column] = crc(table.column(column))
    if meta_edit is not None:
        meta_edit(meta)
    text = json.dumps(meta).encode()
    table = table.replace_schema_metadata({b"lineage": text,
                                           b"lineage_crc32": b"%08x" % zlib.crc32(text)})
    with pa.ipc.new_file(str(out), table.schema) as writer:
        writer.write_table(table)


def _set(path: tuple[str | int, ...], value: object) -> object:
    def edit(header: dict[str, object]) -> None:
        node: object = header
        for key in path[:-1]:
            node = node[key]  # type: ignore[index]
        node[path[-1]] = value  # type: ignore[index]
    return edit


def _parents(outside: int) -> Any:
    import pyarrow as pa

    return pa.array([[], [outside], [1], [0, 1]], pa.list_(pa.int64()))


@pytest.mark.parametrize(("edit", "column", "reason"), [
    (_set(("n_models",), "6"), None, "n_models is not a count"),
    (_set(("n_models",), -1), None, "n_models is not a count"),
    (_set(("n_models",), 10**30), None, "the ids do not fit their offsets"),
    (_set(("crc32",), []), None, "the metadata lacks its source or its checksums"),
    (_set(("crc32", "params"), 1), None, "column params's checksum does not match"),
    (_set(("version",), 3), None, "format version 3, expected 5"),
    (_set(("format",), "other"), None, "it lacks its lineage metadata"),
    (None, ("parents", _parents(10**9)), "column parents points outside the index"),
    (None, ("parents", _parents(-1)), "column parents points outside the index"),
    (None, ("params", "text"), "column params is not described"),
    (None, ("children", "other edges"), "columns parents and children do not hold the same "
                                        "edges"),
])
def test_a_forged_index_is_refused(index: tuple[Path, bytes, list[str]], edit: object,
                                   column: Any, reason: str) -> None:
    import pyarrow as pa

    path, _, _ = index
    forged = path.with_name("forged.lineage")
    name, values = column if column else (None, None)
    if values == "other edges":  # as many children per model, not the parents' edges
        values = pa.array([[2, 3], [1, 3], [], []], pa.list_(pa.int64()))
    elif isinstance(values, str):
        values = pa.array(["x"] * 4)
    _forged(path, forged, edit, name, values)
    code, out, err = _run([*COMMANDS[0], "-f", str(forged)])
    assert (code, out) == (2, "")
    assert err == f"{forged}:1:1: damaged lineage hub index: {reason} (rebuild it with " \
                  "lineage index)\n"


def test_the_index_opens_with_pyarrow_and_duckdb(index: tuple[Path, bytes, list[str]]) -> None:
    import pyarrow as pa

    path, _, _ = index
    table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
    assert table.column("id").to_pylist() == ["org/t", "a/ft", "a/q", "b/merge"]
    assert table.column("parents").to_pylist() == [[], [0], [1], [0, 1]]
    assert table.column("relation").to_pylist() == ["", "finetune", "quantized", "merge"]
    assert table.column("emissions_g").to_pylist()[:2] == [5000.0, 1500.0]  # grams
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    con.register("t", table)
    assert con.execute("SELECT id, len(parents) FROM t WHERE len(parents) > 0 ORDER BY id"
                       ).fetchall() == [("a/ft", 1), ("a/q", 1), ("b/merge", 2)]
