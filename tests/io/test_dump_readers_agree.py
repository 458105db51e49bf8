"""The pyarrow reader of JSON Lines dumps reads the free-form fields of most lines as typed
columns (lineage.io.arrowfree); every line it cannot take as it is goes back to the records'
check. Whatever a line holds, both readers must give the same hub, and the same errors at the
same places: each tricky line is put among ordinary ones of both shapes (so that the typed
groups are read) and the two readers' answers are compared field by field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lineage.io import dump
from lineage.model.errors import InputErrors

PLAIN = [
    '{"id": "root/a", "downloads": 10, "created_at": "2023-01-01"}',
    '{"id": "root/b", "params": "7B"}',
    '{"id": "ft/one", "base_model": "root/a", "base_model_relation": "finetune"}',
    '{"id": "ft/two", "base_model": "Root/A"}',
    '{"id": "ad/one", "base_model": ["root/b"], "base_model_relation": "adapter"}',
    '{"id": "mg/one", "base_model": ["root/a", "root/b", "gone/x"], '
    '"base_model_relation": "merge", "downloads": 3}',
    '{"id": "q/one", "base_model": ["GONE/X"], "base_model_relation": "quantized"}',
]

TRICKY = [
    '{"id": "t/1", "base_model": "root/a", "base_model_relation": 5}',
    '{"id": "t/2", "base_model": ["root/a", 5]}',
    '{"id": "t/3", "base_model": ["root/a", null], "base_model_relation": "merge"}',
    '{"id": "t/4", "base_model": [], "base_model_relation": "finetune"}',
    '{"id": "t/5", "base_model": []}',
    '{"id": "t/6", "base_model": null}',
    '{"id": "t/7", "base_model": "root/a", "base_model_relation": "distill"}',
    '{"id": "t/8", "base_model": "T/8"}',
    '{"id": "t/9", "base_model": ["root/a", "t/9"], "base_model_relation": "merge"}',
    '{"id": "t/10", "base_model": " root/a"}',
    '{"id": "t/11", "base_model": ["root/a", "bad\\tname"], "base_model_relation": "merge"}',
    '{"id": "t/12", "base_model": "r\\u00e9sum\\u00e9/model"}',
    '{"id": "t/13", "base_model": "résumé/model"}',
    '{"id": "t/14", "base_model": ["root/a", "root/a"]}',
    '{"id": "t/15", "base_model": ["root/a", "ROOT/A"]}',
    '{"id": "t/16", "base_model": ["root/a", "root/b"]}',
    '{"id": "t/17", "extra": {"base_model": ["x/y"]}}',
    '{"id": "t/18", "extra": {"base_model": ["x/y"]}, "base_model": "root/a"}',
    '{"id": "t/19", "base_model": "root/a", "base_model": "root/b"}',
    '{"id": "t/20", "base_model_relation": "finetune"}',
    '{"id": "t/21", "base_model": "root/a", "co2_eq_emissions": 12.5}',
    '{"id": "t/22", "co2_eq_emissions": {"emissions": "3 kg"}}',
    '{"id": "t/23", "cardData": {"base_model": "root/b", "co2_eq_emissions": 4}}',
    '{"id": "t/24", "baseModels": {"relation": "adapter", "models": [{"id": "root/a"}]}}',
    '{"id": "t/25", "tags": ["base_model:finetune:root/a"], "base_model": "root/b"}',
    '{"id": "t/26", "tags": ["base_model:quantized:root/b"]}',
    '{"id": "t/27", "base_model": {"id": "root/a"}}',
    '{"id": "t/28", "base_model": "root/a", "base_model_relation": null}',
    '{"id": "t/29", "base_model" : [ "root/a" ] , "base_model_relation" : "adapter" }',
    '{"id": "t/30", "base_model": "quote\\"d/x"}',
    '{"id": "t/31", "base_model": "", "base_model_relation": "finetune"}',
    '{"id": "ROOT/A", "base_model": "root/b"}',
    '{"id": "t/33", "base_model": ["\\u212a/x", "root/a"], "base_model_relation": "merge"}',
    '{"id": "t/34", "base_model": "root/a", "base_model_relation": "finetune", '
    '"note": "the \\"base_model\\": [\\"x\\"] of it"}',
    '{"id": "été/x", "base_model": "root/a"}',
    '{"id": "t/37", "downloads": -1}',
    '{"id": "t/38", "downloads": -1.5}',
    '{"id": "t/39", "params": -2.0}',
    '{"id": "t/40", "downloads": 1e400}',
    '{"id": "t/41", "downloads": "12 apples"}',
    '{"id": "t/42", "downloads": true}',
    '{"id": "t/43", "safetensors": {"total": -3}}',
    '{"id": "t/44", "params": 7, "safetensors": {"total": -3}}',
    '{"id": "t/45", "params": null, "safetensors": {"total": 5}}',
    '{"id": "t/46", "downloadsAllTime": -4, "downloads": 9}',
    '{"id": "Été/y", "base_model": ["ÉTÉ/X", "root/b"], "base_model_relation": "merge"}',
]


def _read(path: Path, arrow: bool, skip_bad: bool, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setattr(dump, "ARROW_MIN_BYTES", 0 if arrow else 1 << 62)
    try:
        hub = dump.read_dump(path, skip_bad=skip_bad)
    except InputErrors as exc:
        return [str(e) for e in exc.errors]
    return {"ids": list(hub.ids), "n_models": hub.n_models,
            "skipped": [str(e) for e in hub.skipped],
            **{k: getattr(hub, k).tolist() for k in ("line", "parent", "child", "relation",
                                                      "inferred")},
            **{k: np.nan_to_num(getattr(hub, k), nan=-1.0).tolist()
               for k in ("downloads", "params", "emissions_g")},
            "created": hub.created.astype(str).tolist(),
            "found": hub.find(["root/a", "GONE/x", "t/18", "nobody/here"])}


@pytest.mark.parametrize("skip_bad", [False, True])
@pytest.mark.parametrize("line", TRICKY)
def test_both_readers_agree_on_a_tricky_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             line: str, skip_bad: bool) -> None:
    path = tmp_path / "dump.jsonl"
    path.write_text("\n".join([*PLAIN[:4], line, *PLAIN[4:]]) + "\n", encoding="utf-8")
    fast = _read(path, True, skip_bad, monkeypatch)
    slow = _read(path, False, skip_bad, monkeypatch)
    assert fast == slow


@pytest.mark.parametrize("twice", [False, True])
def test_both_readers_agree_on_all_of_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           twice: bool) -> None:
    """All at once, with a byte-order mark and no final newline; with ``twice``, also a key
    written twice (the whole file goes to the line reader) and an id written twice."""
    path = tmp_path / "dump.jsonl"
    tricky = [t for t in TRICKY if twice or not ('"t/19"' in t or '"ROOT/A"' in t)]
    path.write_text("\ufeff" + "\n".join([*PLAIN[2:], *PLAIN[:2], *tricky, *PLAIN[2:]]),
                    encoding="utf-8")  # the first line, after the mark, names a base model
    assert _read(path, True, True, monkeypatch) == _read(path, False, True, monkeypatch)
    assert _read(path, True, False, monkeypatch) == _read(path, False, False, monkeypatch)


def test_the_fast_reader_does_not_import_pandas(tmp_path: Path) -> None:
    """pyarrow's own conversions import pandas (0.15 s of start-up) when it is installed."""
    path = tmp_path / "dump.jsonl"
    path.write_text("\n".join([*PLAIN, TRICKY[-1]]) + "\n", encoding="utf-8")
    code = ("import sys\nfrom pathlib import Path\nfrom lineage.io import dump\n"
            "dump.ARROW_MIN_BYTES = 0\n"
            f"hub = dump.read_dump(Path({str(path)!r}), skip_bad=True)\n"
            "print(hub.find(['ROOT/b'])['ROOT/b'], hub.ids[3], type(hub.ids).__name__, "
            "len(hub.skipped), 'pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parents[2])
    assert out.stdout.split() == ["1", "ft/two", "ColumnIds", "0", "False"]
