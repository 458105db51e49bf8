"""``--skip-bad-lines`` and the list of bad lines count lines (or Parquet rows), not problems:
a line with two bad values is one bad line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lineage.cli.main import cli
from lineage.io.dump import read_dump
from lineage.model.errors import InputErrors

pytestmark = pytest.mark.usefixtures("both_readers")

RECORDS = [
    {"id": "a/base", "params": 1000},
    {"id": "a/two", "base_model": "a/base", "downloads": -1, "params": "zz"},  # 2 problems
    {"id": "a/one", "base_model": "a/base", "downloads": "lots"},  # 1 problem
    {"id": "a/ok", "base_model": "a/base", "co2_eq_emissions": 10},
]


def _jsonl(tmp_path: Path) -> Path:
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    return path


def _parquet(tmp_path: Path) -> Path:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({k: [None if r.get(k) is None else str(r[k]) for r in RECORDS]
                             for k in ("id", "base_model", "downloads", "params",
                                       "co2_eq_emissions")}), path)
    return path


@pytest.mark.parametrize("make", [_jsonl, _parquet])
def test_a_line_with_two_problems_is_one_skipped_line(tmp_path: Path, make: object) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    result = CliRunner().invoke(cli, ["cost", "a/ok", "--no-registry", "-f", str(path),
                                      "--skip-bad-lines"])
    assert result.exit_code == 0, result.output
    # lines 2 and 3 are bad: 2 lines, 2 + 1 = 3 problems (it said "skipped 3 bad line(s)")
    assert f"{path}: warning: skipped 2 bad line(s) (3 problems); the first: {path}:2:" \
        in result.stderr


def test_the_index_counts_the_skipped_lines(tmp_path: Path) -> None:
    pa_ipc = pytest.importorskip("pyarrow.ipc")
    path, index = _jsonl(tmp_path), tmp_path / "d.lineage"
    result = CliRunner().invoke(cli, ["index", str(path), "-o", str(index), "--skip-bad-lines"])
    assert result.exit_code == 0, result.output
    assert "skipped 2 bad line(s) (3 problems)" in result.stderr
    meta = json.loads(pa_ipc.open_file(str(index)).schema.metadata[b"lineage"])
    assert meta["skipped"] == 2  # lines 2 and 3, as docs/method.md says: bad lines left out


def test_the_bad_lines_listed_are_lines(tmp_path: Path) -> None:
    # 22 lines with 2 problems each: every problem of the first 20 lines (40), then the
    # 2 lines left; it listed 20 problems (10 lines) and "… and 24 more bad lines"
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps({"id": f"m/{i}", "downloads": "lots", "params": "few"})
                            + "\n" for i in range(22)), encoding="utf-8")
    with pytest.raises(InputErrors) as info:
        read_dump(path)
    errors = [str(e) for e in info.value.errors]
    assert len(errors) == 41
    assert errors[38].startswith(f'{path}:20:16: "downloads" must be a count')
    # its column too: {"id": "m/19", (15) + "downloads": "lots", (21) + 1 = 37
    assert errors[39].startswith(f'{path}:20:37: "params" must be a count')
    assert errors[40] == f"{path}:21:16: … and 2 more bad lines (--skip-bad-lines loads the " \
        "others)"
