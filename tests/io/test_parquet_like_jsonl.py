"""A Parquet snapshot reads the values a JSON Lines dump reads: a text column holds a nested
value (a list of base models, an emissions mapping) as JSON text (docs/method.md, "Hub
dumps"), read as the list or mapping the JSON line holds; other text is itself. The files are
written by pyarrow, several row groups each (the columns come back in chunks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lineage.io.dump import read_dump
from lineage.model.errors import InputErrors

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

GOOD = [
    {"id": "a/base", "params": 1000},
    {"id": "b/base", "co2_eq_emissions": 1500},
    {"id": "c/ft", "base_model": "a/base", "co2_eq_emissions": "12 kg"},
    {"id": "d/one", "base_model": ["b/base"]},
    {"id": "e/merge", "base_model": ["a/base", "b/base", "gone/x"]},
    {"id": "f/mapped", "co2_eq_emissions": {"emissions": 250, "source": "code carbon"}},
]
FIELDS = ("id", "params", "base_model", "co2_eq_emissions")


def _as_text(value: Any) -> str | None:
    """A value as a text column holds it: nested ones as JSON text."""
    return None if value is None else value if type(value) is str else json.dumps(value)


def _files(tmp_path: Path, records: list[dict[str, Any]]) -> tuple[Path, Path]:
    jsonl, parquet = tmp_path / "d.jsonl", tmp_path / "d.parquet"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    pq.write_table(pa.table({k: [_as_text(r.get(k)) for r in records] for k in FIELDS}),
                   parquet, row_group_size=4)
    return jsonl, parquet


def _hub(path: Path) -> dict[str, Any]:
    hub = read_dump(path)
    return {"ids": list(hub.ids), "edges": list(zip(hub.parent.tolist(), hub.child.tolist(),
                                                    strict=True)),
            "relation": hub.relation.tolist(), "line": hub.line.tolist(),
            "grams": np.nan_to_num(hub.emissions_g, nan=-1.0).tolist()}


def test_nested_values_as_json_text_are_read_as_in_json_lines(tmp_path: Path) -> None:
    # d/one's '["b/base"]' was a parent named '["b/base"]', e/merge's text one named
    # '["a/base", "b/base", "gone/x"]', and f/mapped's mapping as text was refused
    jsonl, parquet = _files(tmp_path, GOOD)
    assert _hub(parquet) == _hub(jsonl) == {
        "ids": ["a/base", "b/base", "c/ft", "d/one", "e/merge", "f/mapped", "gone/x"],
        # c/ft and d/one: one base each (finetune, inferred); e/merge: three (merge)
        "edges": [(0, 2), (1, 3), (0, 4), (1, 4), (6, 4)],
        "relation": [0, 0, 1, 1, 4, 0, 0],
        "line": [1, 2, 3, 4, 5, 6, 0],  # lines, rows; 0 for the stub
        # 1500 g; "12 kg" = 12,000 g; the mapping's 250 g; -1: none reported
        "grams": [-1.0, 1500.0, 12_000.0, -1.0, -1.0, 250.0, -1.0],
    }


def test_json_text_may_be_spaced(tmp_path: Path) -> None:
    path = tmp_path / "s.parquet"
    pq.write_table(pa.table({"id": ["a/base", "g/spaced"],
                             "base_model": [None, ' [ "a/base" ] '],
                             "co2_eq_emissions": [None, ' {"emissions": 2}']}), path)
    hub = read_dump(path)
    assert hub.parent.tolist() == [0] and hub.child.tolist() == [1]
    assert hub.emissions_g[1] == 2.0


@pytest.mark.parametrize(("record", "message"), [
    ({"id": "x/y", "co2_eq_emissions": {"emissions": "lots"}},
     '"co2_eq_emissions" must be a number of grams (or a string such as "12 kg"), not "lots"'),
    ({"id": "x/y", "base_model": ["a/base", 5]},
     '"base_model" must be a Hub id or a list of Hub ids'),
    ({"id": "x/y", "co2_eq_emissions": "{not json"},
     '"co2_eq_emissions" must be a number of grams (or a string such as "12 kg"), not '
     '"{not json"'),
])
def test_a_bad_nested_value_is_refused_alike(tmp_path: Path, record: dict[str, Any],
                                             message: str) -> None:
    jsonl, parquet = _files(tmp_path, [GOOD[0], record])
    for path in (jsonl, parquet):
        with pytest.raises(InputErrors) as info:
            read_dump(path)
        [error] = info.value.errors
        assert error.where is not None and error.where.line == 2  # the line, or the row
        assert error.message == message
