"""The free-form fields of a JSON Lines dump read with pyarrow (issue 12): ``base_model`` (a
string or a list), ``base_model_relation``, ``co2_eq_emissions``, ``baseModels`` and
``cardData``, whose type changes from record to record and defeats one typed read of the file.

The lines that name one are found by a byte search (pyarrow's kernels over the lines, cut at
their newlines without a copy) and sorted by shape:

- flat lines whose ``base_model`` is a string, or a list, and that name no other free-form
  field nor hold an escape (every derivative's line in our dumps): each of the two groups is
  read again by pyarrow's JSON reader with a typed schema, and its edges are kept as columns
  (:class:`~lineage.io.dumplines.EdgeColumns`);
- the other lines (emissions, the Hub API's ``baseModels`` and ``cardData``, ``\\u`` escapes,
  ``base_model`` written twice or nested): parsed again with orjson, a slice at a time, and
  read as records by :mod:`lineage.io.hubrecords`.

A group that the typed read refuses (a relation that is not text, a list holding a number, a
key written twice) is parsed with orjson instead; a typed row whose values need a check (a
relation the Hub does not know, an empty list, a model naming itself, a parent id that is not
one, a list of several bases without a relation) is handed to the records' check as its
values, so that it is judged, and its line named, as the line reader would.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from lineage.io.arrowcols import filled, flags, indices, numbers, valid
from lineage.io.dumplines import EdgeColumns, Lines, repeated_key
from lineage.io.hubvalues import RELATION_CODES
from lineage.model.ids import BAD_ID

FREE = re.compile(rb'"(?:base_model|base_model_relation|co2_eq_emissions|baseModels|cardData)"')
ODD = r'"(?:co2_eq_emissions|baseModels|cardData)"|\\u|"base_model".*"base_model"'
SHAPE = r'"base_model"\s*:\s*(?P<open>["\[])'
SLICE = 1 << 16  # lines parsed at once by orjson: a few tens of MB of Python objects at most
BLOCK = 1 << 22  # 4 MB: 48 blocks for 2 cores to share on the 194 MB synthetic Hub


class Unread(Exception):
    """The fast reader does not take this file as it is."""


def free_form(cut: Any, lines: Lines) -> np.ndarray:
    """Read the free-form fields of the lines ``cut`` (:func:`cut_lines`) into ``lines``;
    returns the rows of the lines that name one (they take no lineage from their tags)."""
    rows = np.flatnonzero(flags(pc.match_substring_regex(cut, FREE.pattern.decode())))
    picked = cut.take(indices(rows))
    odd = flags(pc.match_substring_regex(picked, ODD))
    shape = pc.struct_field(pc.extract_regex(picked, SHAPE), "open")
    records = odd | ~valid(shape)
    for opening, kind in (('"', pa.string()), ("[", pa.list_(pa.string()))):
        sel = np.flatnonzero(~records & flags(pc.starts_with(shape, opening)))
        if sel.size:
            records[sel[_typed_group(picked.take(indices(sel)), rows[sel], kind, lines)]] = True
    sel = np.flatnonzero(records)
    for at in range(0, sel.size, SLICE):
        part = sel[at: at + SLICE]
        _parse(picked.take(indices(part)), rows[part].tolist(), lines)
    return rows


def cut_lines(data: bytes, start: int) -> Any:
    """The lines of ``data`` as an Arrow binary array over the same bytes (no copy), each with
    its newline."""
    newline = _newlines(data, start)
    ends = newline + 1 if data.endswith(b"\n") else np.append(newline + 1, len(data))
    offsets = np.concatenate([np.array([start], dtype=np.int64), ends.astype(np.int64)])
    return pa.LargeBinaryArray.from_buffers(pa.large_binary(), len(ends), [
        None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _newlines(data: bytes, start: int, step: int = 1 << 18) -> np.ndarray:
    """The offsets of the newlines of ``data`` from byte ``start``, found a quarter of a MB
    at a time (one comparison of the whole file would fault in as many bytes again)."""
    raw = np.frombuffer(data, dtype=np.uint8)
    found = np.empty(step, dtype=bool)
    parts = [np.empty(0, dtype=np.int64)]
    for at in range(start, len(raw), step):
        part = raw[at: at + step]
        np.equal(part, 10, out=found[: len(part)])
        parts.append(np.flatnonzero(found[: len(part)]) + at)
    return np.concatenate(parts)


def read_typed(data: Any, schema: Any) -> Any:
    """The table pyarrow's JSON reader makes of the JSON Lines in the buffer ``data``: the
    fields of ``schema``, typed as it says, the others ignored; blocks of :data:`BLOCK` bytes
    read on every core."""
    return pj.read_json(pa.BufferReader(data),
                        read_options=pj.ReadOptions(use_threads=True, block_size=BLOCK),
                        parse_options=pj.ParseOptions(explicit_schema=schema,
                                                      unexpected_field_behavior="ignore",
                                                      newlines_in_values=False))


def _body(raw_lines: Any) -> Any:
    """The bytes of the Arrow binary array ``raw_lines``, one line after another."""
    offsets = np.frombuffer(raw_lines.buffers()[1], dtype=np.int64)
    offsets = offsets[raw_lines.offset: raw_lines.offset + len(raw_lines) + 1]
    return raw_lines.buffers()[2][int(offsets[0]): int(offsets[-1])]


def _typed_group(raw_lines: Any, rows: np.ndarray, kind: Any, lines: Lines) -> np.ndarray:
    """Read lines whose ``base_model`` is of one ``kind`` (text or a list of text) with a typed
    schema; the clean rows' edges go to ``lines.typed``, the rows to check become records.

    Returns the positions (in ``rows``) to parse with orjson: all of them when the typed read
    refuses the group, else those whose top-level ``base_model`` is absent (it was nested).
    """
    schema = pa.schema([("id", pa.string()), ("base_model", kind),
                        ("base_model_relation", pa.string())])
    try:
        table = read_typed(_body(raw_lines), schema)
    except pa.ArrowInvalid:
        return np.arange(rows.size)
    if table.num_rows != rows.size:
        return np.arange(rows.size)
    if not pc.all(pc.equal(table["id"].combine_chunks(),
                           lines.column.take(indices(rows)))).as_py():
        raise Unread  # not the record the first read took from this line
    base = table["base_model"].combine_chunks()
    relation = table["base_model_relation"].combine_chunks()
    absent = ~valid(base)
    if pa.types.is_list(kind):
        names, owner = base.flatten(), filled(pc.list_parent_indices(base))
        count = filled(pc.list_value_length(base))
    else:
        names, owner, count = base, np.arange(rows.size), (~absent).astype(np.int64)
    code, inferred = _codes(relation, count)
    check = (code <= 0) | (count == 0)  # an unknown relation, no base, several without one
    bad_name = ~flags(pc.string_is_ascii(names)) | flags(pc.match_substring_regex(
        names, BAD_ID.pattern))
    folded = lines.folded.take(indices(rows[owner]))
    bad_name |= flags(pc.equal(pc.ascii_lower(names), folded))
    check[owner[bad_name]] = True  # no id, not ASCII, or the model itself
    check &= ~absent
    for k in np.flatnonzero(check).tolist():
        lines.bases.append((int(rows[k]), base[k].as_py(), relation[k].as_py(), "base_model"))
    keep = ~check & ~absent
    edge = np.flatnonzero(keep[owner])
    lines.typed.append(EdgeColumns(child=rows[owner[edge]], parent=names.take(indices(edge)),
                                   nodes=rows[keep], code=code[keep], inferred=inferred[keep]))
    return np.flatnonzero(absent)


def _codes(relation: Any, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's relation code (0 or less: to check) and whether it was inferred, as the line
    reader gives them: no relation and one base → finetune; no relation and several → to
    check (the bases must first be told apart)."""

    encoded = relation.dictionary_encode()
    table = np.array([RELATION_CODES.get(v, -1) for v in encoded.dictionary.to_pylist()] + [0],
                     dtype=np.int64)
    code = table[filled(encoded.indices, fill=len(table) - 1)]
    inferred = ~valid(relation)
    code[inferred] = np.where(count[inferred] == 1, 1, 0)
    return code.astype(np.int8), inferred


def _parse(raw_lines: Any, rows: list[int], lines: Lines) -> None:
    """Parse ``raw_lines`` (the rows ``rows``) with orjson and take their free-form fields.

    Raises:
        Unread: a line that is not the record pyarrow read (another id), or that repeats a key
            orjson would silently take the last of.
    """
    raws = raw_lines.to_pylist()
    objs = orjson.loads(b"[" + b",".join(raws) + b"]")
    twice = np.flatnonzero(numbers(pc.count_substring(raw_lines, b'"base_model"')) > 1)
    if any(repeated_key(raws[k]) for k in twice.tolist()):
        raise Unread
    ids = lines.column.take(indices(np.array(rows))).to_pylist()
    if len(objs) != len(rows) or not all(type(o) is dict and o.get("id") == m
                                         for m, o in zip(ids, objs, strict=True)):
        raise Unread
    lines.take(zip(rows, objs, strict=True))
