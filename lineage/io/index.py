"""``lineage index``: a hub dump compiled into an Arrow IPC file that opens instantly (issues 7,
12, 16).

The file is a standard Arrow IPC file (Feather v2, uncompressed, one record batch): pyarrow,
DuckDB and polars open it as it is (``pyarrow.ipc.open_file``, ``polars.read_ipc``, DuckDB's
``arrow`` extension). One row per node (the dump's models, then the parents it names but does
not hold); the layout is written in ``docs/method.md`` ("The index file"). The schema's metadata
``lineage`` is a JSON object (format, version, source, counts, the CRC-32 of every column)
and ``lineage_crc32`` the CRC-32 of that text. Opening maps the file into memory (nothing is
parsed or copied) and checks the metadata, the types, every position against its range and
every column's CRC-32, so a damaged file is refused at once, never read as other numbers.
"""

from __future__ import annotations

import json
import mmap
import os
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from lineage.io.arrowcols import bits, filled, numbers
from lineage.io.indexids import IndexIds
from lineage.io.reading import ReadRefused, open_regular
from lineage.model.columns import csr
from lineage.model.errors import InputError, InputErrors, Position, bad_lines
from lineage.model.hub import RELATIONS, Hub

FORMAT = "lineage-hub-index"
VERSION = 5  # 5: the children of each node beside its parents
MAX_METADATA = 1_000_000


def write_index(hub: Hub, path: Path) -> int:
    """Write ``hub`` to ``path`` atomically; returns the file size in bytes."""
    from lineage.io.atomic import write_atomic
    from lineage.io.dump import progress

    with progress(3, f"writing {path.name}", hub.n > 200_000) as advance:
        batch = _batch(hub)
        advance(1)
        meta = {"format": FORMAT, "version": VERSION, "source": hub.path,
                "n_models": hub.n_models, "skipped": bad_lines(hub.skipped),
                "crc32": {name: crc(batch.column(name)) for name in batch.schema.names}}
        text = json.dumps(meta)
        schema = batch.schema.with_metadata({"lineage": text,
                                             "lineage_crc32": f"{zlib.crc32(text.encode()):08x}"})
        sink = pa.BufferOutputStream()
        with pa.ipc.new_file(sink, schema) as writer:
            writer.write_batch(batch.replace_schema_metadata(schema.metadata))
        advance(2)
        data = sink.getvalue().to_pybytes()
        write_atomic(path, data, inputs=[Path(hub.path)])
        advance(3)
    return len(data)


def _batch(hub: Hub) -> Any:
    """The index's one record batch (see the module docstring for its columns)."""
    offsets, by_child = csr(hub.n, hub.child, hub.parent)  # children are sorted; stay safe
    parents = pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), pa.array(by_child))
    start, below = hub.downs
    children = pa.ListArray.from_arrays(pa.array(start.astype(np.int32)), pa.array(below))
    folded = sorted(range(hub.n), key=lambda i: hub.ids[i].lower().encode("utf-8"))
    created = hub.created.astype("datetime64[D]")
    return pa.RecordBatch.from_pydict({
        "id": pa.array(list(hub.ids), pa.string()),
        "line": pa.array(hub.line, pa.int64()),
        "relation": pa.DictionaryArray.from_arrays(pa.array(hub.relation, pa.int8()),
                                                   pa.array(RELATIONS, pa.string())),
        "inferred": pa.array(hub.inferred, pa.bool_()),
        "emissions_g": pa.array(hub.emissions_g, pa.float64()),
        "downloads": pa.array(hub.downloads, pa.float64()),
        "params": pa.array(hub.params, pa.float64()),
        "created": pa.array(created, pa.date32(), mask=np.isnat(created)),
        "parents": parents,
        "children": children,
        "id_order": pa.array(np.array(folded, dtype=np.int64)),
    })


def _view(buf: Any, dtype: Any, count: int) -> memoryview:
    """The first ``count`` items of ``buf`` (ValueError if it is shorter), as bytes to sum."""
    return np.frombuffer(buf, dtype=dtype, count=count).data if count else memoryview(b"")


def crc(arr: Any) -> int:
    """CRC-32 of a column's logical bytes (values, offsets, validity), whatever padding the
    file adds around them.

    Raises:
        ValueError: a buffer too short for its length (a damaged file).
    """
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.offset:
        raise ValueError("a column starts at an offset")
    n, bufs = len(arr), arr.buffers()
    if pa.types.is_dictionary(arr.type):
        return crc(arr.indices)
    value = zlib.crc32(_view(bufs[0], np.uint8, -(-n // 8))) if n and bufs[0] is not None \
        else 0
    if pa.types.is_boolean(arr.type):
        return zlib.crc32(_view(bufs[1], np.uint8, -(-n // 8)), value)
    if pa.types.is_string(arr.type) or pa.types.is_list(arr.type):
        offsets = np.frombuffer(bufs[1], dtype=np.int32, count=n + 1)
        value = zlib.crc32(offsets.data, value)
        end = int(offsets[-1]) if n else 0
        if pa.types.is_string(arr.type):
            return zlib.crc32(_view(bufs[2], np.uint8, end), value)
        return zlib.crc32(_view(arr.values.buffers()[1], np.int64, end), value)
    return zlib.crc32(_view(bufs[1], np.dtype(f"u{arr.type.bit_width // 8}"), n), value)


def _crcs(columns: list[Any]) -> list[int]:
    """:func:`crc` of each column, on two threads (zlib lets go of the interpreter while it
    sums a large buffer: the checks of a 141 MB index take half the time)."""
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(crc, columns))


def _metadata(schema: Any) -> dict[str, Any]:
    """The checked ``lineage`` metadata.

    Raises:
        ValueError: the first problem found.
    """
    meta = schema.metadata or {}
    text, check = meta.get(b"lineage"), meta.get(b"lineage_crc32")
    if text is None or check is None or len(text) > MAX_METADATA:
        raise ValueError("it lacks its lineage metadata")
    if check != b"%08x" % zlib.crc32(text):
        raise ValueError("the metadata's checksum does not match")
    header = json.loads(text)
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError("it lacks its lineage metadata")
    if header.get("version") != VERSION:
        raise ValueError(f"format version {header.get('version')}, expected {VERSION}")
    for key in ("n_models", "skipped"):
        if type(header.get(key)) is not int or header[key] < 0:
            raise ValueError(f"{key} is not a count")
    if not isinstance(header.get("source"), str) or not isinstance(header.get("crc32"), dict):
        raise ValueError("the metadata lacks its source or its checksums")
    return header


EXPECTED = {"id": "string", "line": "int64", "relation": "dictionary<values=string, "
            "indices=int8, ordered=0>", "inferred": "bool", "emissions_g": "double",
            "downloads": "double", "params": "double", "created": "date32[day]",
            "parents": "list<item: int64>", "children": "list<item: int64>",
            "id_order": "int64"}


def _columns(table: Any, header: dict[str, Any], lo: int, hi: int) -> dict[str, Any]:
    """The columns, each checked for its type, its buffers (inside the file's mapping, from
    address ``lo`` to ``hi``: a forged length must not read past it), its checksum and its
    ranges.

    Raises:
        ValueError: the first problem found.
    """
    if table.num_columns != len(EXPECTED) or table.schema.names != list(EXPECTED):
        raise ValueError("its columns are not the index's")
    cols: dict[str, Any] = {}
    for name, kind in EXPECTED.items():
        column = table.column(name)
        if str(column.type) != kind or column.num_chunks != 1:
            raise ValueError(f"column {name} is not described")
        arr = column.chunk(0)
        parts = [arr.indices, arr.dictionary] if name == "relation" else [arr]
        if not all(lo <= b.address and b.address + b.size <= hi for part in parts
                   for b in part.buffers() if b is not None and b.size):  # empty: reads nothing
            raise ValueError(f"column {name} is cut short")
        arr.validate()  # lengths against buffer sizes (a forged length reads past its buffer)
        cols[name] = arr
    for name, value in zip(cols, _crcs(list(cols.values())), strict=True):
        if value != header["crc32"].get(name):
            raise ValueError(f"column {name}'s checksum does not match")
    n = table.num_rows
    if n < header["n_models"]:
        raise ValueError("the ids do not fit their offsets")
    cols["relation"].dictionary.validate(full=True)  # not in a checksum: its offsets checked
    if cols["relation"].dictionary.to_pylist() != list(RELATIONS):
        raise ValueError("column relation does not name the Hub's relations")
    for name, values, bound in (("relation", cols["relation"].indices, len(RELATIONS)),
                                ("parents", cols["parents"].values, n),
                                ("children", cols["children"].values, n),
                                ("id_order", cols["id_order"], n)):
        a = numbers(values)
        if a.size and (a.min() < 0 or a.max() >= bound):
            raise ValueError(f"column {name} points outside the index")
    for k in ("id", "line", "inferred", "emissions_g", "downloads", "params", "parents",
              "children", "id_order"):
        if cols[k].null_count:
            raise ValueError(f"column {k} has a null where every row holds a value")
    return cols


def _mapped(path: Path) -> Any:
    """The file mapped into memory, once it is known to be a regular file (a named pipe would
    block). Read through a ``BufferReader``, every buffer the file describes is checked to lie
    inside the mapping (``pyarrow.memory_map`` let a forged length read past the end).

    Raises:
        InputErrors: not a regular file, unreadable or empty.
    """
    try:
        fd, _ = open_regular(path)
        try:
            return mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        finally:
            os.close(fd)
    except (ReadRefused, OSError, ValueError) as exc:
        raise InputErrors([InputError(Position(str(path)), f"cannot read: {exc}")]) from None


def read_index(path: Path) -> Hub:
    """Open an index written by :func:`write_index` (memory-mapped).

    Raises:
        InputErrors: not an index, another format version, or a damaged or truncated file
            (every column's checksum is checked).
    """
    name = str(path)
    mapped = _mapped(path)
    whole = pa.py_buffer(mapped)
    try:
        reader = pa.ipc.open_file(pa.BufferReader(whole))
    except (pa.ArrowException, OSError, ValueError):
        magic = mapped[:12]  # the file's first bytes, as mapped
        reason = "the file is cut short or its footer is damaged" if magic.startswith(
            b"ARROW1") else "format version 3, expected 5" if magic == b"LINEAGE-HUB\n" else None
        message = f"damaged lineage hub index: {reason} (rebuild it with lineage index)" \
            if reason else "not a lineage hub index (make one with lineage index DUMP.jsonl -o " \
            "FILE.lineage)"
        raise InputErrors([InputError(Position(name, 1, 1), message)]) from None
    try:
        header = _metadata(reader.schema)
        if reader.num_record_batches != 1:
            raise ValueError("it holds more than one record batch")
        table = pa.Table.from_batches([reader.get_batch(0)])
        cols = _columns(table, header, whole.address, whole.address + whole.size)
        parents, children = cols["parents"], cols["children"]
        offsets, kid_start = _offsets(parents, "parents"), _offsets(children, "children")
        child = np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), np.diff(offsets))
        if len(parents.values) != len(children.values) or _fingerprint(
                numbers(parents.values), child, table.num_rows) != _fingerprint(
                np.repeat(np.arange(len(kid_start) - 1, dtype=np.int64), np.diff(kid_start)),
                numbers(children.values), table.num_rows):
            raise ValueError("columns parents and children do not hold the same edges")
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError,
            IndexError, OverflowError, pa.ArrowException) as exc:
        reason = str(exc).strip(chr(39)).splitlines()[0] if not isinstance(
            exc, RecursionError) else "the metadata nests too deeply"
        raise InputErrors([InputError(Position(name, 1, 1), f"damaged lineage hub index: "
                                      f"{reason} (rebuild it with lineage index)")]) from None
    ids = IndexIds(cols["id"], numbers(cols["id_order"]))
    return Hub(path=header["source"], ids=ids, n_models=header["n_models"],
               line=numbers(cols["line"]), parent=numbers(parents.values), child=child,
               relation=numbers(cols["relation"].indices), inferred=bits(cols["inferred"], 1),
               emissions_g=numbers(cols["emissions_g"]), downloads=numbers(cols["downloads"]),
               params=numbers(cols["params"]), finder=ids.find,
               dates=lambda: filled(cols["created"], np.datetime64("NaT"), "datetime64[D]"),
               kids=(kid_start, numbers(children.values)), up_start=offsets)


def _fingerprint(parent: np.ndarray, child: np.ndarray, n: int) -> int:
    """An order-free digest of the edges (a sum of each pair's 64-bit mix): the same for
    ``parents`` and ``children`` when they hold the same edges, whatever their order, so a
    forged column cannot make costs and walks follow two different graphs. O(E)."""
    x = parent.astype(np.uint64) * np.uint64(n) + child.astype(np.uint64)
    with np.errstate(over="ignore"):
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
        return int(x.sum(dtype=np.uint64))


def _offsets(column: Any, name: str) -> np.ndarray:
    """A list column's offsets, checked to rise from 0 to its length.

    Raises:
        ValueError: they do not.
    """
    offsets = numbers(column.offsets)
    if offsets[0] != 0 or np.any(np.diff(offsets) < 0) or offsets[-1] != len(column.values):
        raise ValueError(f"column {name} points outside the index")
    return offsets
