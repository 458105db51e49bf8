"""A Parquet snapshot of the Hub's models, row by row where it must be (issue 12).

The typed columns (counts, dates, tags, ``safetensors.total``) are read as columns; the
free-form ones (``baseModels``, ``cardData``, flat ``base_model`` and ``co2_eq_emissions``)
are turned into a small record per row that has one, from a struct or from JSON text, and
read by :mod:`lineage.io.hubrecords` as a JSON line would be. A bad value is reported at
``path:ROW:1`` (rows counted from 1).
"""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lineage.io.arrowcols import flags
from lineage.io.arrowread import WANTED, typed
from lineage.io.dumplines import NOT_AN_ID, Lines
from lineage.io.hubvalues import checked
from lineage.model.errors import InputError, InputErrors, Position
from lineage.model.ids import BAD_ID

FREE = ("baseModels", "cardData", "base_model", "base_model_relation", "co2_eq_emissions")
CARD = ("base_model", "base_model_relation", "co2_eq_emissions")


def read_parquet(path: Path) -> Lines:
    """A Parquet snapshot with the Hub's names as columns (``id`` required).

    Raises:
        InputErrors: not a readable Parquet file, or no ``id`` column.
    """
    try:
        return _rows(path)
    except InputErrors:
        raise
    except Exception as exc:  # pyarrow's errors are many and unstable in their classes
        raise InputErrors([InputError(Position(str(path)), f"not a readable Parquet file: "
                                      f"{str(exc).splitlines()[0][:200]}")]) from None


def _rows(path: Path) -> Lines:
    """The rows of ``path`` as :class:`Lines` (the typed columns read by
    :func:`lineage.io.arrowread.typed`)."""
    name = str(path)
    pf = pq.ParquetFile(path)
    present = [c for c in WANTED if c in pf.schema_arrow.names]
    if "id" not in present:
        raise InputErrors([InputError(Position(name), 'a Parquet snapshot needs an "id" '
                                      f"column; it has {', '.join(pf.schema_arrow.names)}")])
    table = pf.read(columns=present, use_threads=True)
    lines = Lines(name)
    ids = table["id"].combine_chunks()
    ids_list: list[Any] = ids.to_pylist() if str(ids.type) in ("string", "large_string") \
        else [None] * len(table)
    good = np.array([type(m) is str and not BAD_ID.search(m) and m.isprintable()
                     for m in ids_list], dtype=bool)
    for row in np.flatnonzero(~good).tolist():
        lines.errors.append(InputError(Position(name, row + 1, 1), NOT_AN_ID))
    if not good.all():
        table = table.filter(pa.array(good))
        ids_list = [m for m, g in zip(ids_list, good.tolist(), strict=True) if g]
    lines.ids = ids_list
    lines.lowered = [m.lower() for m in ids_list]
    lines.lines = np.flatnonzero(good) + 1
    records = _records(table, lines)
    lines.take(records.items())
    bad: dict[int, Any] = {}
    typed(lines, _typed_only(table, bad), np.array(sorted(records), dtype=np.int64))
    missing = np.isnan(lines.params)  # a bad total counts where it would give the params
    lines.problems += [(row, "params", why) for row, raw in bad.items()
                       if missing[row] and isinstance(why := checked(raw, "params"), str)]
    return lines


def _typed_only(table: Any, bad: dict[int, Any]) -> Any:
    """The table with ``safetensors``/``gguf`` as structs (JSON text parsed) and the free-form
    columns left out. A total given as text ("1.2B") is read as JSON Lines read it; one of
    another type goes to ``bad`` (row: value), to be reported in the same words."""
    for key in ("safetensors", "gguf"):
        if key in table.column_names and pa.types.is_string(table[key].type):
            totals = [_total(v) for v in _values(table[key])]
            for row, t in enumerate(totals):
                if t is not None and type(t) not in (int, float, str):
                    bad.setdefault(row, t)
                    totals[row] = None
            text = any(type(t) is str for t in totals)
            totals = [str(t) if text and t is not None else t for t in totals]
            struct = pa.array([None if t is None else {"total": t} for t in totals],
                              type=pa.struct([("total", pa.string() if text else pa.float64())]))
            table = table.set_column(table.column_names.index(key), key, struct)
    keep = [c for c in table.column_names if c not in FREE]
    return table.select(keep)


def _total(value: Any) -> Any:
    return value.get("total") if type(value) is dict else None


def _values(column: Any) -> list[Any]:
    """Python values of one free-form column, as a JSON line holds them: in a text column, a
    nested value written as JSON text (``'["org/a", "org/b"]'``, ``'{"emissions": 5}'``,
    docs/method.md "Hub dumps") is that list or mapping; other text (an id, ``"12 kg"``,
    ``"1.2B"``: none starts with ``[`` or ``{``), and text that is not JSON, is itself, as a
    JSON line's string would be."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    values: list[Any] = column.to_pylist()
    if str(column.type) in ("string", "large_string"):
        nested = flags(pc.match_substring_regex(column, r"^\s*[\[{]"))
        for row in np.flatnonzero(nested).tolist():
            with suppress(orjson.JSONDecodeError):
                values[row] = orjson.loads(values[row])
    return values


def _card(table: Any) -> list[Any]:
    """``cardData`` per row, only the keys we read (a struct can hold hundreds)."""
    column = table["cardData"].combine_chunks()
    if not pa.types.is_struct(column.type):
        return _values(column)
    fields = [column.type.field(i).name for i in range(column.type.num_fields)]
    parts = {k: _values(pc.struct_field(column, k)) for k in CARD if k in fields}
    valid = column.is_valid().to_pylist()
    return [{k: v[i] for k, v in parts.items() if v[i] is not None} if valid[i] else None
            for i in range(len(column))]


def _records(table: Any, lines: Lines) -> dict[int, dict[str, Any]]:
    """``{row: record}`` of the rows that carry a free-form field."""
    columns = {k: (_card(table) if k == "cardData" else _values(table[k]))
               for k in FREE if k in table.column_names}
    tags = table["tags"].to_pylist() if "tags" in table.column_names and columns else None
    out: dict[int, dict[str, Any]] = {}
    for key, values in columns.items():
        for row in (i for i, v in enumerate(values) if v is not None):
            record = out.setdefault(row, {"id": lines.ids[row]})
            record[key] = values[row]
            if tags is not None:
                record["tags"] = tags[row]
    return out
