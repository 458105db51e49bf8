"""Hub dumps read with pyarrow: its JSON reader and Parquet (multithreaded) (issue 12).

JSON Lines: ``pyarrow.json.read_json`` reads, with a typed schema, every field whose type is
fixed (``id``, ``tags``, ``safetensors.total``, ``gguf.total``, the counts and dates, their
types sniffed from the first value written); it ignores the rest. The free-form fields, whose
type changes from record to record (``base_model`` a string or a list, ``co2_eq_emissions``
a number, a mapping or text, ``cardData``, ``baseModels``), defeat a typed reader: the lines
that name one are found by a byte search and only those are parsed again, with orjson. The
cost: a second parse of those lines (about a third of the Hub's). Anything the fast reader
does not take as it is (a bad line, a type that changes, blank lines) returns None, and the
file is read line by line by :class:`lineage.io.dump.Lines`, which names every bad line.

Parquet: the columns of those names, nested values as structs or as JSON text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from lineage.io import hubrecords as rec
from lineage.io.dumplines import SPACED, Lines, repeated_key
from lineage.io.hubvalues import Problems, checked, dates
from lineage.model.errors import InputError, InputErrors, Position

COUNTS = ("downloads", "downloadsAllTime", "params")
DATES = ("created_at", "createdAt")
NESTED = ("baseModels", "cardData", "safetensors", "gguf")
WANTED = ("id", "tags", *COUNTS, *DATES, *NESTED, "base_model", "base_model_relation",
          "co2_eq_emissions")
_FREE = re.compile(rb'"(?:base_model|base_model_relation|co2_eq_emissions|baseModels|cardData)"')
BLOCK = 1 << 24


class Unread(Exception):
    """The fast reader does not take this file as it is."""


def read_json(path: Path) -> Lines | None:
    """A JSON Lines dump read with pyarrow, or None (then read it line by line)."""
    import pyarrow as pa

    try:
        return _json(str(path), path.read_bytes())
    except (Unread, pa.ArrowException, UnicodeDecodeError, ValueError):
        return None


def _sniff(data: bytes, key: str) -> Any:
    """The pyarrow type of ``key``'s first non-null value in ``data``: string or float64."""
    import pyarrow as pa

    for m in re.finditer(b'"' + key.encode() + rb'"\s*:\s*(.)', data[: 1 << 26]):
        if m.group(1) != b"n":
            return pa.string() if m.group(1) == b'"' else pa.float64()
    return pa.string()


def _json(name: str, data: bytes) -> Lines:
    import pyarrow as pa
    import pyarrow.json as pj

    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    n = data.count(b"\n") + (not data.endswith(b"\n"))
    if len(data) == start:
        raise Unread
    total = pa.struct([("total", pa.float64())])
    schema = pa.schema([("id", pa.string()), ("tags", pa.list_(pa.string())),
                        ("safetensors", total), ("gguf", total),
                        *((k, _sniff(data, k)) for k in COUNTS),
                        *((k, pa.string()) for k in DATES)])
    table = pj.read_json(pa.BufferReader(pa.py_buffer(data)[start:]),
                         read_options=pj.ReadOptions(use_threads=True, block_size=BLOCK),
                         parse_options=pj.ParseOptions(explicit_schema=schema,
                                                       unexpected_field_behavior="ignore",
                                                       newlines_in_values=False))
    if table.num_rows != n:  # blank lines, or two objects on one line
        raise Unread
    lines = Lines(name)
    _ids(lines, table["id"])
    lines.lines = np.arange(1, n + 1, dtype=np.int64)
    located = _located(data, lines)
    _typed(lines, table, located)
    return lines


def _ids(lines: Lines, column: Any) -> None:
    """The ids, checked as the slow reader checks them, and folded for look-ups."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if column.null_count:
        raise Unread
    ascii_only = pc.all(pc.string_is_ascii(column)).as_py() is not False
    if ascii_only:  # printable and not spaced, checked in C
        if pc.any(pc.match_substring_regex(column, r"^\s|\s$|^$|[\x00-\x1f\x7f]")).as_py():
            raise Unread
        lines.ids = column.to_pylist()
        folded = pc.utf8_lower(column).combine_chunks()
    else:
        lines.ids = ids = column.to_pylist()
        if not all(map(str.isprintable, ids)) or SPACED.search("\n".join(ids)):
            raise Unread
        lines.lowered = [m.lower() for m in ids]
        folded = pa.array(lines.lowered, pa.string())
    lines.unique = pc.count_distinct(folded).as_py() == len(lines.ids)
    if lines.unique:
        lines.finder = Folded(folded)


class Folded:
    """Finds Hub ids, without case, in a column of the ids in lower case (one hash look-up in
    C per name: no dictionary of millions of Python strings). Used when no two ids are alike
    in any case, so that the exact spelling has nothing to win over."""

    def __init__(self, folded: Any) -> None:
        self.folded = folded

    def extend(self, ids: list[str]) -> None:
        import pyarrow as pa

        if ids:
            self.folded = pa.concat_arrays([self.folded.cast(pa.string()),
                                            pa.array([m.lower() for m in ids], pa.string())])

    def __call__(self, names: Iterable[str]) -> dict[str, int]:
        import pyarrow as pa
        import pyarrow.compute as pc

        names = list(names)
        if not names:
            return {}
        at = pc.index_in(pa.array([n.lower() for n in names], pa.string()),
                         value_set=self.folded).to_pylist()
        return {n: int(k) for n, k in zip(names, at, strict=True) if k is not None}


def _located(data: bytes, lines: Lines) -> set[int]:
    """The rows of the lines that name a free-form field, parsed with orjson a slice at a time
    (the lines are cut and searched by pyarrow's kernels, not by a Python loop) and taken into
    ``lines``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    whole = pa.LargeBinaryArray.from_buffers(pa.large_binary(), 1, [
        None, pa.py_buffer(np.array([0, len(data)], dtype=np.int64)), pa.py_buffer(data)])
    cut = pc.split_pattern(whole, b"\n").flatten()
    rows = np.flatnonzero(pc.match_substring_regex(cut, _FREE.pattern)
                          .to_numpy(zero_copy_only=False))
    picked = cut.take(pa.array(rows))
    del cut, whole
    for at in range(0, rows.size, SLICE):
        _parse(picked.slice(at, SLICE), rows[at: at + SLICE].tolist(), lines)
    return set(rows.tolist())


SLICE = 1 << 16  # lines parsed at once: a few tens of MB of Python objects at most


def _parse(raw_lines: Any, rows: list[int], lines: Lines) -> None:
    """Parse ``raw_lines`` (the rows ``rows``) with orjson and take their free-form fields.

    Raises:
        Unread: a line that is not the record pyarrow read (another id), or that repeats a key
            orjson would silently take the last of.
    """
    import orjson
    import pyarrow.compute as pc

    raws = raw_lines.to_pylist()
    if rows[0] == 0 and raws[0].startswith(b"\xef\xbb\xbf"):
        raws[0] = raws[0][3:]
    objs = orjson.loads(b"[" + b",".join(raws) + b"]")
    twice = np.flatnonzero(pc.greater(pc.count_substring(raw_lines, b'"base_model"'), 1)
                           .to_numpy(zero_copy_only=False))
    if any(repeated_key(raws[k]) for k in twice.tolist()):
        raise Unread
    ids = lines.ids
    if len(objs) != len(rows) or not all(type(o) is dict and o.get("id") == ids[r]
                                         for r, o in zip(rows, objs, strict=True)):
        raise Unread
    lines.take(zip(rows, objs, strict=True))


def _typed(lines: Lines, table: Any, located: set[int]) -> None:
    """Counts, dates and the lineage of tags, from the typed columns of ``table``."""
    import pyarrow.compute as pc

    names = table.column_names
    problems: Problems = lines.problems

    def column(key: str) -> Any:
        return table[key].combine_chunks() if key in names else None

    downloads, recent = column("downloadsAllTime"), column("downloads")
    if downloads is None or downloads.null_count == len(downloads):
        downloads = recent
    elif recent is not None and downloads.null_count and downloads.type == recent.type:
        downloads = pc.coalesce(downloads, recent)
    lines.downloads = _counts(downloads, "downloads", problems, len(lines.ids))
    lines.params = _counts(column("params"), "params", problems, len(lines.ids))
    for key in ("safetensors", "gguf"):
        if key in names and np.isnan(lines.params).any():
            total = _counts(pc.struct_field(column(key), "total"), key, problems,
                            len(lines.ids))
            lines.params = np.where(np.isnan(lines.params), total, lines.params)
    lines.created = _dates(column("created_at"), column("createdAt"), problems,
                           len(lines.ids))
    if "tags" in names:
        _tags(lines, column("tags"), located)


def _counts(values: Any, key: str, problems: Problems, n: int) -> np.ndarray:
    """A float column from a numeric or text (``"1.2B"``) arrow column; None → all NaN."""
    import pyarrow as pa

    if values is None:
        return np.full(n, np.nan)
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        encoded = values.dictionary_encode()
        table = [checked(v, key) for v in encoded.dictionary.to_pylist()]
        parsed = np.array([v if type(v) is float else np.nan for v in table] or [np.nan])
        index = encoded.indices.to_numpy(zero_copy_only=False)
        out = np.where(np.isnan(index), np.nan, parsed[np.nan_to_num(index).astype(np.int64)]) \
            if encoded.indices.null_count else parsed[index]
        for code in (i for i, v in enumerate(table) if type(v) is str):
            problems += [(int(r), key, str(table[code])) for r in np.flatnonzero(index == code)]
        return np.asarray(out, dtype=np.float64)
    if not (pa.types.is_integer(values.type) or pa.types.is_floating(values.type)
            or pa.types.is_null(values.type)):
        raise Unread(f'"{key}" is a column of {values.type}; expected numbers or text')
    number: np.ndarray = values.to_numpy(zero_copy_only=False).astype(np.float64)
    for r in np.flatnonzero(~np.isnan(number) & ~(np.isfinite(number) & (number >= 0))):
        problems.append((int(r), key, str(checked(float(number[r]), key))))
    return number


def _dates(created: Any, camel: Any, problems: Problems, n: int) -> np.ndarray:
    """datetime64[D] from ISO text (the first 10 characters) or an arrow timestamp/date."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = created if camel is None else camel if created is None else \
        pc.coalesce(created, camel) if created.type == camel.type else created
    if values is None:
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    if pa.types.is_timestamp(values.type) or pa.types.is_date(values.type):
        days: np.ndarray = values.cast(pa.date32()).to_numpy(zero_copy_only=False)
        return days.astype("datetime64[D]")
    if not pa.types.is_string(values.type):
        raise Unread
    try:
        dated = pc.all(pc.match_substring_regex(values, r"^\d{4}-\d{2}-\d{2}")).as_py()
        if dated not in (True, None):
            raise ValueError
        day: np.ndarray = pc.utf8_slice_codeunits(values, 0, 10).cast(pa.date32()) \
            .to_numpy(zero_copy_only=False)
        return day.astype("datetime64[D]")
    except (ValueError, pa.ArrowException):
        return dates(values.to_pylist(), problems)


def _tags(lines: Lines, tags: Any, located: set[int]) -> None:
    """Lineage from the ``base_model:`` tags of the rows that carry no other lineage."""
    import pyarrow.compute as pc

    flat = tags.flatten()
    row = pc.list_parent_indices(tags)
    mask = pc.fill_null(pc.starts_with(flat, rec.TAG), False)
    rows = row.filter(mask).to_pylist()
    values = flat.filter(mask).to_pylist()
    grouped: dict[int, list[str]] = {}
    for r, v in zip(rows, values, strict=True):
        if r not in located:
            grouped.setdefault(r, []).append(v)
    for r, found in ((r, rec.from_tags(v)) for r, v in grouped.items()):
        if found is not None:
            lines.bases.append((r, *found))
    lines.bases.sort(key=lambda b: b[0])


def read_parquet(path: Path) -> Lines:
    """A Parquet snapshot with the Hub's names as columns (``id`` required).

    Raises:
        InputErrors: not a readable Parquet file, or no ``id`` column.
    """
    from lineage.io.parquetrows import parquet_lines

    try:
        return parquet_lines(path, WANTED, _typed)
    except InputErrors:
        raise
    except Exception as exc:  # pyarrow's errors are many and unstable in their classes
        raise InputErrors([InputError(Position(str(path)), f"not a readable Parquet file: "
                                      f"{str(exc).splitlines()[0][:200]}")]) from None
