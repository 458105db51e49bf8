"""``lineage hub fetch`` against recorded API pages (tests/data/hubapi/, written by hand from
the documented shapes: see its README): no network, huggingface_hub's ``http_backoff``
monkeypatched to serve them with the ``Link`` headers the Hub sends."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from lineage.cli.main import cli
from lineage.io.hubfetch import EXPAND

PAGES = sorted((Path(__file__).parents[1] / "data" / "hubapi").glob("page-*.json"))
RECORDS = [r for p in PAGES for r in json.loads(p.read_text(encoding="utf-8"))]
ENDPOINT = "https://huggingface.co/api/models"


def snapshot_metadata(path: Path) -> dict[str, Any] | None:
    """The ``lineage`` metadata of a snapshot (docs/method.md), as any Parquet reader sees it
    (None for another file)."""
    raw = (pq.read_schema(path).metadata or {}).get(b"lineage")
    return None if raw is None else dict(json.loads(raw))


class Response:
    def __init__(self, records: list[dict[str, Any]], following: str | None) -> None:
        self.records = records
        self.links = {"next": {"url": following}} if following else {}

    def json(self) -> list[dict[str, Any]]:
        return self.records


class FakeHub:
    """``GET /api/models`` served from the recorded pages, filtered as the Hub filters
    (``author``: the id's owner; ``filter``: a tag the model carries; ``search``: part of the
    id); each page names the next in its ``Link`` header, the query and a cursor in its URL,
    as the Hub does. Asked for page ``fail_after``, the listing breaks (a lost connection)."""

    calls: ClassVar[list[dict[str, Any]]] = []  # the query of each first page asked for
    read: ClassVar[list[int]] = []  # the pages served, in order
    fail_after: ClassVar[int | None] = None

    @classmethod
    def get(cls, method: str, url: str, params: dict[str, Any] | None = None,
            headers: Any = None) -> Response:
        assert method == "GET"
        if params is not None:  # the first page: the query as list_models sends it
            assert url == ENDPOINT
            cls.calls.append(params)
            query, k = params, 0
        else:  # a next page: everything is in its URL
            raw = parse_qs(urlsplit(url).query)
            k = int(raw.pop("cursor")[0])
            query = {key: v if key in ("expand", "filter") else v[0] for key, v in raw.items()}
        if cls.fail_after is not None and k == cls.fail_after:
            raise KeyboardInterrupt  # Ctrl-C or a dropped connection between pages
        cls.read.append(k)
        items = [item for item in json.loads(PAGES[k].read_text(encoding="utf-8"))
                 if not (query.get("author") and not item["id"].startswith(query["author"] + "/"))
                 and not (query.get("filter") and query["filter"][0] not in item.get("tags", []))
                 and not (query.get("search") and query["search"] not in item["id"])]
        following = f"{ENDPOINT}?{urlencode(query, doseq=True)}&cursor={k + 1}" \
            if k + 1 < len(PAGES) else None
        return Response(items, following)


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> type[FakeHub]:
    import huggingface_hub
    import huggingface_hub.utils

    FakeHub.calls, FakeHub.read, FakeHub.fail_after = [], [], None
    monkeypatch.setattr(huggingface_hub.utils, "http_backoff", FakeHub.get)
    monkeypatch.setattr(huggingface_hub, "hf_raise_for_status", lambda r: None)
    return FakeHub


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """The real entry point in this process (its error boundary included): (exit, stderr)."""
    from lineage.cli.main import main as entry

    with pytest.raises(SystemExit) as exc:
        entry(list(args))
    return int(exc.value.code or 0), capsys.readouterr().err


def test_fetch_writes_the_fields_we_read_and_the_snapshot_metadata(hub: Any,
                                                                   tmp_path: Path) -> None:
    out = tmp_path / "snapshot.parquet"
    result = run("hub", "fetch", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert hub.calls == [{"sort": "createdAt", "expand": list(EXPAND)}]
    assert hub.read == [0, 1, 2]
    table = pq.read_table(out)
    assert table["id"].to_pylist() == [r["id"] for r in RECORDS]
    assert table.column_names == ["id", "createdAt", "downloads", "downloadsAllTime", "tags",
                                  "baseModels", "cardData", "safetensors", "gguf"]
    row = table.slice(1, 1).to_pylist()[0]  # acme/llama-3.2-1b-support
    assert row["downloadsAllTime"] == 9400
    assert json.loads(row["baseModels"]) == {
        "relation": "finetune", "models": [{"id": "meta-llama/Llama-3.2-1B-Instruct"}]}
    # only the card's keys we read; the emissions mapping as written (grams)
    assert json.loads(row["cardData"]) == {
        "base_model": "meta-llama/Llama-3.2-1B-Instruct",
        "co2_eq_emissions": {"emissions": 148000, "source": "CodeCarbon",
                             "training_type": "fine-tuning", "geographical_location": "France",
                             "hardware_used": "8 x H100-80GB"}}
    assert json.loads(row["safetensors"])["total"] == 1235814400
    assert row["createdAt"].isoformat() == "2025-02-03T14:00:00+00:00"
    gguf = table.slice(0, 1).to_pylist()[0]["gguf"]
    assert json.loads(gguf) == {"total": 1235814400}  # not the chat template
    meta = snapshot_metadata(out)
    assert meta is not None and meta["format"] == "lineage-hub-snapshot"
    assert meta["rows"] == 8 and meta["expand"] == list(EXPAND)
    assert meta["filters"] == {"author": None, "base_model": None, "search": None,
                               "since": None, "until": None, "limit": None}
    assert meta["snapshot"].endswith("+00:00")
    assert not (tmp_path / "snapshot.parquet.partial").exists()
    assert "fetched 8 models" in result.stderr


def test_the_snapshot_reads_back_as_the_same_api_records_in_json_lines(hub: Any,
                                                                      tmp_path: Path) -> None:
    out = tmp_path / "snapshot.parquet"
    assert run("hub", "fetch", "-o", str(out)).exit_code == 0
    lines = tmp_path / "records.jsonl"
    lines.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    model = "acme/llama-3.2-1b-support-GGUF"
    from_parquet = run("cost", model, "-f", str(out), "--format", "json")
    from_lines = run("cost", model, "-f", str(lines), "--format", "json")
    assert from_parquet.exit_code == 0, from_parquet.output
    same = json.loads(from_parquet.stdout.replace(str(out), "DUMP"))
    other = json.loads(from_lines.stdout.replace(str(lines), "DUMP"))
    # the same figures; the inputs name each file by its own bytes
    assert [f["sha256"] for f in same["inputs"]["files"]] == [
        hashlib.sha256(out.read_bytes()).hexdigest()]
    assert [f["sha256"] for f in other["inputs"]["files"]] == [
        hashlib.sha256(lines.read_bytes()).hexdigest()]
    for doc in (same, other):
        doc["inputs"]["files"] = [{**f, "sha256": None} for f in doc["inputs"]["files"]]
    assert same == other
    cost = json.loads(run("cost", "acme/llama-3.2-1b-support", "-f", str(out),
                          "--format", "json").stdout)
    assert cost["own_kgco2e"] == 148.0  # cardData.co2_eq_emissions: 148,000 g
    assert {c["model"] for c in cost["contributions"]} >= {"llama-3.2-1b"}


def test_filters_go_to_the_api_and_dates_are_applied_here(hub: Any, tmp_path: Path) -> None:
    out = tmp_path / "s.parquet"
    result = run("hub", "fetch", "-o", str(out), "--author", "acme",
                 "--base-model", "meta-llama/Llama-3.2-1B-Instruct")
    assert result.exit_code == 0, result.output
    assert hub.calls[-1]["author"] == "acme"
    assert hub.calls[-1]["filter"] == ["base_model:meta-llama/Llama-3.2-1B-Instruct"]
    assert pq.read_table(out)["id"].to_pylist() == ["acme/llama-3.2-1b-support"]
    assert run("hub", "fetch", "-o", str(out), "--since", "2024-09-18",
               "--until", "2025-01-31").exit_code == 0
    assert pq.read_table(out)["id"].to_pylist() == [
        "beta/support-merge", "zeta/llama-3.2-1b-math", "meta-llama/Llama-3.2-1B-Instruct",
        "meta-llama/Llama-3.2-1B"]
    meta = snapshot_metadata(out)
    assert meta is not None and meta["filters"]["since"] == "2024-09-18"
    assert hub.read[-3:] == [0, 1, 2]  # newest first: page 3's first model, older, ends it
    hub.read.clear()
    assert run("hub", "fetch", "-o", str(out), "--search", "llama", "--limit", "2").exit_code == 0
    assert pq.read_table(out)["id"].to_pylist() == ["acme/llama-3.2-1b-support-GGUF",
                                                    "acme/llama-3.2-1b-support"]
    assert hub.read == [0]  # the limit is reached in page 1: page 2 is never asked for


def test_an_interrupted_fetch_resumes_at_its_page(hub: Any, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s.parquet"
    partial = tmp_path / "s.parquet.partial"
    hub.fail_after = 1  # the listing breaks when page 2 is asked for (page 1: 3 models)
    result = CliRunner().invoke(cli, ["hub", "fetch", "-o", str(out), "--batch-rows", "2"])
    assert result.exit_code != 0 and not out.exists()
    state = json.loads((partial / "state.json").read_text())
    assert (state["rows"], state["parts"], state["last_id"]) == (3, 2, "beta/support-merge")
    assert state["page"].endswith("&cursor=1")  # the page to go on from, with its query
    hub.fail_after = None
    code, err = main(capsys, "hub", "fetch", "-o", str(out), "--author", "acme")
    assert code == 2
    assert err == (f'lineage: "{partial}" holds a fetch with other filters (none): rerun '
                   "with them, or add --restart\n")
    hub.read.clear()
    result = run("hub", "fetch", "-o", str(out), "--batch-rows", "2")
    assert result.exit_code == 0, result.output
    assert hub.read == [1, 2]  # page 1 is not asked for again
    table = pq.read_table(out)
    assert table["id"].to_pylist() == [r["id"] for r in RECORDS]  # each once, in order
    assert pq.ParquetFile(out).metadata.num_row_groups == 5  # page by page: 2+1, 2+1, 2
    meta = snapshot_metadata(out)
    assert meta is not None and meta["snapshot"] == state["started"]
    assert not partial.exists()


def test_a_fetch_broken_inside_a_page_rereads_that_page_only(
        hub: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A part written in the middle of a page: the rerun reads that page again, skipping
    the ids already written."""
    import lineage.io.hubfetch as hubfetch

    out = tmp_path / "s.parquet"
    real = hubfetch.record_of
    seen: list[str] = []

    def breaking(info: Any) -> dict[str, Any]:
        seen.append(info["id"])
        if len(seen) == 5:  # page 2's second model: page 2's first is written (batch of 1)
            raise KeyboardInterrupt
        return real(info)

    monkeypatch.setattr(hubfetch, "record_of", breaking)
    result = CliRunner().invoke(cli, ["hub", "fetch", "-o", str(out), "--batch-rows", "1"])
    assert result.exit_code != 0
    state = json.loads((out.with_name("s.parquet.partial") / "state.json").read_text())
    assert (state["rows"], state["last_id"]) == (4, "zeta/llama-3.2-1b-math")
    monkeypatch.setattr(hubfetch, "record_of", real)
    hub.read.clear()
    assert run("hub", "fetch", "-o", str(out), "--batch-rows", "1").exit_code == 0
    assert hub.read == [1, 2]
    assert pq.read_table(out)["id"].to_pylist() == [r["id"] for r in RECORDS]


def test_without_huggingface_hub_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    code, err = main(capsys, "hub", "fetch", "-o", str(tmp_path / "s.parquet"))
    assert (code, err) == (2, "lineage: lineage hub fetch needs huggingface_hub: "
                              "pip install 'lineage-carbon[hub]'\n")
    assert not (tmp_path / "s.parquet.partial").exists()


def test_bad_dates_and_outputs_are_one_line(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, err = main(capsys, "hub", "fetch", "-o", str(tmp_path / "s.parquet"),
                     "--since", "2024-13-01")
    assert (code, err) == (2, 'lineage: --since "2024-13-01" is not a full date: write '
                              "YYYY-MM-DD\n")
    code, err = main(capsys, "hub", "fetch", "-o", str(tmp_path / "no" / "s.parquet"))
    assert code == 2
    assert err.startswith(f'lineage: cannot write "{tmp_path / "no" / "s.parquet.partial"}": ')
    code, err = main(capsys, "hub", "fetch", "-o", str(tmp_path / "s.jsonl"))
    assert (code, err) == (2, f'lineage: write the snapshot to a ".parquet" file, not '
                              f'"{tmp_path / "s.jsonl"}"\n')


def test_a_failing_api_is_one_line_and_the_fetch_can_go_on(
        hub: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A refused request (an expired cursor, a lost connection) is exit 2 with the API's
    message on one line, the partial fetch kept; the saved page is named."""
    import huggingface_hub.utils

    out = tmp_path / "s.parquet"
    hub.fail_after = 1
    assert CliRunner().invoke(cli, ["hub", "fetch", "-o", str(out)]).exit_code != 0
    hub.fail_after = None
    state = json.loads((tmp_path / "s.parquet.partial" / "state.json").read_text())

    def refuse(method: str, url: str, **kwargs: Any) -> Any:
        raise ConnectionError("Connection reset by peer\nmore detail")

    monkeypatch.setattr(huggingface_hub.utils, "http_backoff", refuse)
    code, err = main(capsys, "hub", "fetch", "-o", str(out))
    assert code == 2
    assert err == (f"lineage: the Hub API failed on {state['page']}: Connection reset by "
                   "peer (if the saved page is no longer served, add --restart)\n")
    assert (tmp_path / "s.parquet.partial" / "state.json").exists() and not out.exists()


@pytest.mark.parametrize(("body", "link", "message"), [
    ({"error": "x"}, None, "the Hub API sent something other than a list of models from "
                           f"{ENDPOINT}"),
    (["not a record"], None, "the Hub API sent something other than a list of models from "
                             f"{ENDPOINT}"),
    # a typed column of the snapshot with another type: one line, not a traceback
    ([{"id": "a/b", "downloads": "many"}], None, """the Hub API sent "downloads": 'many' for """
     "'a/b', where a whole number belongs"),
    ([{"id": "a/b", "downloads": 2**64}], None, """the Hub API sent "downloads": """
     "'18446744073709551616' for 'a/b', where a whole number belongs"),
    ([{"id": "a/b", "createdAt": "yesterday"}], None, """the Hub API sent "createdAt": """
     "'yesterday' for 'a/b', where a date and time belongs"),
    ([{"id": "a/b", "tags": "text"}], None, """the Hub API sent "tags": 'text' for 'a/b', """
     "where a list of text belongs"),
    ([{"id": 7}], None, """the Hub API sent "id": '7' for '7', where text belongs"""),
    ([], "https://elsewhere.example/api/models?cursor=1", 'the next page '
     '"https://elsewhere.example/api/models?cursor=1" is not on '
     f"{ENDPOINT}: refusing to follow it (a changed HF_ENDPOINT? add --restart)"),
])
def test_what_the_api_sends_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str], body: Any,
                                       link: str | None, message: str) -> None:
    """A page that is not a list of records, and a next page off the API's listing (the
    token goes to the endpoint only), are refused on one line."""
    import huggingface_hub
    import huggingface_hub.utils

    sent: list[str] = []

    class Reply:
        links = {"next": {"url": link}} if link else {}

        def json(self) -> Any:
            return body

    def serve(method: str, url: str, **kwargs: Any) -> Reply:
        sent.append(url)
        return Reply()

    monkeypatch.setattr(huggingface_hub.utils, "http_backoff", serve)
    monkeypatch.setattr(huggingface_hub, "hf_raise_for_status", lambda r: None)
    code, err = main(capsys, "hub", "fetch", "-o", str(tmp_path / "s.parquet"))
    assert (code, err) == (2, f"lineage: {message}\n")
    assert sent == [ENDPOINT]  # nothing was asked of another host


def test_odd_nested_fields_are_written_as_they_came(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A cardData or safetensors of another shape is the dump reader's to judge, not a crash
    of the fetch (it was: 'str' object has no attribute 'to_dict'); a date without a zone is
    the API's UTC."""
    import huggingface_hub
    import huggingface_hub.utils

    body = [{"id": "a/b", "cardData": "oops", "safetensors": [1],
             "createdAt": "2024-05-01T00:00:00"}]
    monkeypatch.setattr(huggingface_hub.utils, "http_backoff",
                        lambda method, url, **kwargs: Response(body, None))
    monkeypatch.setattr(huggingface_hub, "hf_raise_for_status", lambda r: None)
    out = tmp_path / "s.parquet"
    assert run("hub", "fetch", "-o", str(out)).exit_code == 0
    row = pq.read_table(out).to_pylist()[0]
    assert (row["cardData"], row["safetensors"]) == ('"oops"', "[1]")
    assert row["createdAt"].isoformat() == "2024-05-01T00:00:00+00:00"


def test_a_negative_count_is_written_and_reported_by_the_reader(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import huggingface_hub
    import huggingface_hub.utils

    body = [{"id": "a/b", "downloadsAllTime": -1, "cardData": {"co2_eq_emissions": 5}}]
    monkeypatch.setattr(huggingface_hub.utils, "http_backoff",
                        lambda method, url, **kwargs: Response(body, None))
    monkeypatch.setattr(huggingface_hub, "hf_raise_for_status", lambda r: None)
    out = tmp_path / "s.parquet"
    assert run("hub", "fetch", "-o", str(out)).exit_code == 0
    capsys.readouterr()
    assert main(capsys, "validate", str(out)) == (
        2, f'{out}:1:1: "downloads" must be a finite number ≥ 0, not -1.0\n')
