"""Hub dumps read with pyarrow: its JSON reader and Parquet (multithreaded) (issue 12).

JSON Lines: ``pyarrow.json.read_json`` reads, with a typed schema, every field whose type is
fixed (``id``, ``tags``, ``safetensors.total``, ``gguf.total``, the counts and dates, their
types sniffed from the first value written); it ignores the rest. The ids stay an Arrow column
(:mod:`lineage.io.dumpids`), checked, folded and told unique by pyarrow's kernels. The
free-form fields, whose type changes from record to record (``base_model`` a string or a
list, ``co2_eq_emissions`` a number, a mapping or text, ``cardData``, ``baseModels``), defeat
one typed read: :mod:`lineage.io.arrowfree` finds the lines that name one by a byte search and
reads them again, typed by shape, by pyarrow's JSON reader (our flat lines: ``base_model`` a
string, or a list), and with orjson only the others (emissions, the Hub API's nested
records). The cost, on the 1.86M-model synthetic Hub of ``benchmarks/hub_scale.py`` (2 cores,
2026-12): a second typed read of a third of its lines (0.3 s), where parsing them with orjson
and checking a Python record each took 1.9 s. Two cores share
the rest: while one reads the free-form fields, the other checks the ids, counts and dates.
Anything the fast reader does not take as it is (a bad line, a type that changes, blank lines,
a key written twice) returns None, and the file is read line by line by
:class:`lineage.io.dump.Lines`, which names every bad line.

Parquet (:mod:`lineage.io.parquetrows`): the columns of those names (:data:`WANTED`), nested
values as structs or as JSON text; the typed ones are read here (:func:`typed`).
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lineage.io import hubrecords as rec
from lineage.io.arrowcols import filled, flags, indices, strings
from lineage.io.arrowfree import Unread, cut_lines, free_form, read_typed
from lineage.io.dumpids import ColumnIds, Folded
from lineage.io.dumplines import SPACED, Lines
from lineage.io.hubvalues import Problems, checked, dates
from lineage.model.ids import BAD_ID

COUNTS = ("downloads", "downloadsAllTime", "params")
DATES = ("created_at", "createdAt")
NESTED = ("baseModels", "cardData", "safetensors", "gguf")
WANTED = ("id", "tags", *COUNTS, *DATES, *NESTED, "base_model", "base_model_relation",
          "co2_eq_emissions")


def read_json(path: Path) -> Lines | None:
    """A JSON Lines dump read with pyarrow, or None (then read it line by line).

    While it reads, pyarrow allocates with the C library's ``malloc`` (its system pool)
    rather than its default, mimalloc, unless ``ARROW_DEFAULT_MEMORY_POOL`` chooses: mimalloc
    hands freed pages back to the system and faults them in again at the next large array,
    which cost the 194 MB synthetic Hub (``benchmarks/hub_scale.py``) 0.7 s of system time
    and 150 MB of peak memory.
    """
    previous = pa.default_memory_pool()
    if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
        pa.set_memory_pool(pa.system_memory_pool())
    try:
        return _json(str(path), path.read_bytes())
    except (Unread, pa.ArrowException, UnicodeDecodeError, ValueError):
        return None
    finally:
        pa.set_memory_pool(previous)


def _sniff(data: bytes, key: str) -> Any:
    """The pyarrow type of ``key``'s first non-null value in ``data``: string or float64."""
    quoted = b'"' + key.encode() + b'"'
    pattern = re.compile(re.escape(quoted) + rb"\s*:\s*(.)")
    at = data.find(quoted, 0, 1 << 26)  # a byte search: a dump may never name the key
    for m in pattern.finditer(data, max(at, 0), 1 << 26 if at >= 0 else 0):
        if m.group(1) != b"n":
            return pa.string() if m.group(1) == b'"' else pa.float64()
    return pa.string()


def _json(name: str, data: bytes) -> Lines:
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    if len(data) == start:
        raise Unread
    cut = cut_lines(data, start)
    n = len(cut)
    total = pa.struct([("total", pa.float64())])
    schema = pa.schema([("id", pa.string()), ("tags", pa.list_(pa.string())),
                        ("safetensors", total), ("gguf", total),
                        *((k, _sniff(data, k)) for k in COUNTS),
                        *((k, pa.string()) for k in DATES)])
    table = read_typed(pa.py_buffer(data)[start:], schema)
    if table.num_rows != n:  # blank lines, or two objects on one line
        raise Unread
    lines = Lines(name)
    lines.lines = np.arange(1, n + 1, dtype=np.int64)
    folded = _ids(lines, table["id"])
    # pyarrow's kernels let go of the interpreter: one core hashes the ids and checks the
    # typed columns (a thread) while the other reads the free-form fields
    with ThreadPoolExecutor(1) as pool:
        unique = pool.submit(_columns, lines, table, folded)
        try:
            located = free_form(cut, lines)
            del cut
        finally:
            lines.unique = unique.result()
    if lines.unique:
        lines.finder = Folded(folded)
    if "tags" in table.column_names:
        _tags(lines, table["tags"].combine_chunks(), located)
    return lines


def _columns(lines: Lines, table: Any, folded: Any) -> bool:
    """The typed columns but the tags (:func:`typed`), and whether no two ids are alike in
    any case: one hash pass (``unique``), a third of what ``count_distinct`` costs.

    Raises:
        Unread: an id that is not one (its line is named by the line reader).
    """
    if pc.any(pc.match_substring_regex(lines.column, BAD_ID.pattern)).as_py():
        raise Unread  # a bad id: the line reader names its line
    typed(lines, table.drop_columns(["tags"]) if "tags" in table.column_names else table,
           np.empty(0, dtype=np.int64))
    return len(pc.unique(folded)) == len(folded)


def _ids(lines: Lines, column: Any) -> Any:
    """The ids, checked as the slow reader checks them; returns them folded for look-ups.

    ASCII ids (the Hub's) stay an Arrow column (:class:`~lineage.io.dumpids.ColumnIds`), are
    checked and lowered by pyarrow's kernels; other ids are lowered by Python, as the line
    reader does.
    """
    if column.null_count:
        raise Unread
    lines.column = column = column.combine_chunks()
    lines.ids = ColumnIds(column)
    ascii_only = pc.all(pc.string_is_ascii(column)).as_py() is not False
    if ascii_only:  # printable and not spaced: checked in C by _columns
        folded = pc.ascii_lower(column)
    else:
        ids = lines.ids.whole()
        if not all(map(str.isprintable, ids)) or SPACED.search("\n".join(ids)):
            raise Unread
        lines.lowered = [m.lower() for m in ids]
        folded = strings(lines.lowered)
    lines.folded = folded
    return folded


def typed(lines: Lines, table: Any, located: np.ndarray) -> None:
    """Counts, dates and the lineage of tags, from the typed columns of ``table``."""
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
            found: Problems = []  # a bad total counts only where it gives the params
            total = _counts(pc.struct_field(column(key), "total"), "params", found,
                            len(lines.ids))
            missing = np.isnan(lines.params)
            problems += [p for p in found if missing[p[0]]]
            lines.params = np.where(missing, total, lines.params)
    lines.created = _dates(column("created_at"), column("createdAt"), problems,
                           len(lines.ids))
    if "tags" in names:
        _tags(lines, column("tags"), located)


def _counts(values: Any, key: str, problems: Problems, n: int) -> np.ndarray:
    """A float column from a numeric or text (``"1.2B"``) arrow column; None → all NaN."""
    if values is None or pa.types.is_null(values.type):
        return np.full(n, np.nan)
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        encoded = values.dictionary_encode()
        table = [checked(v, key) for v in encoded.dictionary.to_pylist()]
        parsed = np.array([v if type(v) is float else np.nan for v in table] + [np.nan])
        index = filled(encoded.indices, fill=len(table))  # null: the NaN after the values
        for code in (i for i, v in enumerate(table) if type(v) is str):
            problems += [(int(r), key, str(table[code])) for r in np.flatnonzero(index == code)]
        return np.asarray(parsed[index], dtype=np.float64)
    if not (pa.types.is_integer(values.type) or pa.types.is_floating(values.type)):
        raise Unread(f'"{key}" is a column of {values.type}; expected numbers or text')
    number = filled(values, np.nan, np.float64)
    for r in np.flatnonzero(~np.isnan(number) & ~(np.isfinite(number) & (number >= 0))):
        problems.append((int(r), key, str(checked(float(number[r]), key))))
    return number


def _dates(created: Any, camel: Any, problems: Problems, n: int) -> np.ndarray:
    """datetime64[D] from ISO text (the first 10 characters) or an arrow timestamp/date."""
    values = created if camel is None else camel if created is None else \
        pc.coalesce(created, camel) if created.type == camel.type else created
    if values is None:
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    if pa.types.is_timestamp(values.type) or pa.types.is_date(values.type):
        return filled(values.cast(pa.date32()), np.datetime64("NaT"), "datetime64[D]")
    if not pa.types.is_string(values.type):
        raise Unread
    try:
        dated = pc.all(pc.match_substring_regex(values, r"^\d{4}-\d{2}-\d{2}")).as_py()
        if dated not in (True, None):
            raise ValueError
        return filled(pc.utf8_slice_codeunits(values, 0, 10).cast(pa.date32()),
                      np.datetime64("NaT"), "datetime64[D]")
    except (ValueError, pa.ArrowException):
        return dates(values.to_pylist(), problems)


def _tags(lines: Lines, tags: Any, located: np.ndarray) -> None:
    """Lineage from the ``base_model:`` tags of the rows that carry no other lineage (not
    ``located``: naming no free-form field)."""
    flat = tags.flatten()
    row = filled(pc.list_parent_indices(tags))
    mask = flags(pc.starts_with(flat, rec.TAG))
    free = np.zeros(len(tags), dtype=bool)
    free[located] = True
    mask &= ~free[row]
    rows = row[mask].tolist()
    values = flat.take(indices(np.flatnonzero(mask))).to_pylist()
    grouped: dict[int, list[str]] = {}
    for r, v in zip(rows, values, strict=True):
        grouped.setdefault(r, []).append(v)
    for r, found in ((r, rec.from_tags(v)) for r, v in grouped.items()):
        if found is not None:
            lines.bases.append((r, *found))
    lines.bases.sort(key=lambda b: b[0])
