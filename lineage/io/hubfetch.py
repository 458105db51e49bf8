"""A Parquet snapshot of the Hub's model list, fetched a page at a time and resumable (issue 12).

:func:`fetch` reads the Hub API's model list (``GET /api/models``, the request
``huggingface_hub.HfApi.list_models(expand=[...])`` makes) page by page, following the
``Link: <…>; rel="next"`` URL each page names (it carries the listing's cursor), and writes the
fields we read — ``id``, ``createdAt``, ``downloads``, ``downloadsAllTime``, ``tags``,
``baseModels``, ``cardData`` (only ``base_model``, ``base_model_relation`` and
``co2_eq_emissions``), ``safetensors``, ``gguf`` (only ``total``) — as the columns
:mod:`lineage.io.parquetrows` reads back: nested values as JSON text, ``tags`` a list,
``createdAt`` a UTC timestamp. The requests go through huggingface_hub's own HTTP helpers
(its session, token, retries and error messages); only the page loop is ours, because
huggingface_hub does not hand out the cursor that a resume needs.

While it runs, ``OUT.partial/`` holds one Parquet file per batch and ``state.json`` (the
filters, when the snapshot was started, the rows written, the last id, and the URL of the
page to read next). A rerun with the same filters starts from that page, not from the
beginning: the pages already read are not asked for again, and the ids already written in
the page it was in are skipped; models created after the snapshot was started are left out
(so the snapshot is the Hub as it was then). The finished snapshot replaces ``OUT`` in one
rename (:func:`lineage.io.atomic.write_atomic`); the snapshot's date, the filters and the row
count are in the schema's metadata under ``lineage``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from lineage.io.atomic import write_atomic
from lineage.model.errors import UsageError

EXPAND = ("baseModels", "cardData", "createdAt", "downloads", "downloadsAllTime", "gguf",
          "safetensors", "tags")
CARD_KEYS = ("base_model", "base_model_relation", "co2_eq_emissions")
FORMAT = "lineage-hub-snapshot"


@dataclass(frozen=True)
class Filters:
    """What to fetch. ``author`` and ``base_model`` are the API's own filters (``author=``;
    ``filter=base_model:<id>``, the tag the Hub gives a model's direct derivatives); the
    dates bound ``createdAt`` (YYYY-MM-DD, both included) and are applied here, as the API
    has no date filter."""

    author: str | None = None
    base_model: str | None = None
    search: str | None = None
    since: str | None = None
    until: str | None = None
    limit: int | None = None

    def tag(self) -> str | None:
        """The ``filter=`` tag: ``base_model:<id>`` (a full ``base_model:…`` tag as it is)."""
        if self.base_model is None:
            return None
        return self.base_model if self.base_model.startswith("base_model:") \
            else f"base_model:{self.base_model}"


def list_params(filters: Filters) -> dict[str, Any]:
    """The query of ``GET /api/models`` for ``filters``, as ``HfApi.list_models`` writes it:
    newest first, so a ``since`` date ends the listing early."""
    params: dict[str, Any] = {"sort": "createdAt", "expand": list(EXPAND)}
    if filters.author:
        params["author"] = filters.author
    if filters.tag():
        params["filter"] = [filters.tag()]
    if filters.search:
        params["search"] = filters.search
    return params


Page = tuple[list[dict[str, Any]], "str | None"]  # the records, the next page's URL
Pages = Callable[[dict[str, Any], "str | None"], Iterator[Page]]


def api_pages(params: dict[str, Any], start: str | None) -> Iterator[Page]:
    """The Hub's model list a page at a time, from its first page (``params``) or from the
    page URL ``start`` (a resumed fetch: the URL holds the query and the cursor).

    Raises:
        UsageError: the API cannot be reached or refuses (its message, on one line), a page
            that is not a list of records, or a next page off the API's models listing
            (the token is sent to the endpoint only).
    """
    from huggingface_hub import constants, hf_raise_for_status
    from huggingface_hub.utils import (  # type: ignore[attr-defined]
        build_hf_headers,
        http_backoff,
    )

    base = f"{constants.ENDPOINT.rstrip('/')}/api/models"
    headers = build_hf_headers()
    url: str | None = _on_endpoint(start, base) if start else base
    query: dict[str, Any] | None = None if start else params
    while url is not None:
        try:
            r = http_backoff("GET", url, params=query, headers=headers)
            hf_raise_for_status(r)
            records = r.json()
        except Exception as exc:  # the network's failures, whatever their class
            again = " (if the saved page is no longer served, add --restart)" \
                if start and url == start else ""
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise UsageError(f"the Hub API failed on {url}: {first}{again}") from None
        if not isinstance(records, list) or not all(isinstance(x, dict) for x in records):
            raise UsageError(f"the Hub API sent something other than a list of models "
                             f"from {url}")
        following = r.links.get("next", {}).get("url")
        url, query = (None if following is None else _on_endpoint(following, base)), None
        yield records, url


def _on_endpoint(url: str, base: str) -> str:
    """``url`` if it is a page of ``base`` (same scheme, host and path).

    Raises:
        UsageError: it is not: the token must not go elsewhere.
    """
    from urllib.parse import urlsplit

    got, want = urlsplit(url), urlsplit(base)
    if (got.scheme, got.netloc, got.path) != (want.scheme, want.netloc, want.path):
        raise UsageError(f'the next page "{url}" is not on {base}: refusing to follow it '
                         "(a changed HF_ENDPOINT? add --restart)")
    return url


def record_of(info: dict[str, Any]) -> dict[str, Any]:
    """One model of the API's JSON as the row we write. The nested fields (``cardData``,
    ``safetensors``, ``gguf``) are written as they came, whatever their shape: the dump reader
    takes from them what it reads, as from a JSON Lines dump (docs/method.md, "Hub dumps"). A
    column the snapshot types must fit it; a count out of range is the reader's to report.

    Raises:
        UsageError: an ``id`` that is not text, a count that is not a whole number of int64,
            ``tags`` that are not a list of text, a ``createdAt`` that is not an ISO date.
    """
    mid, created = info.get("id"), _created(info.get("createdAt"))
    for key, ok, wanted in (
            ("id", isinstance(mid, str), "text"),
            ("downloads", _count(info.get("downloads")), "a whole number"),
            ("downloadsAllTime", _count(info.get("downloadsAllTime")), "a whole number"),
            ("tags", _texts(info.get("tags")), "a list of text"),
            ("createdAt", created is not False, "a date and time")):
        if not ok:
            raise UsageError(f'the Hub API sent "{key}": {str(info.get(key))[:100]!r} for '
                             f"{str(mid)[:200]!r}, where {wanted} belongs")
    card = info.get("cardData")
    if isinstance(card, dict):
        card = {k: card[k] for k in CARD_KEYS if card.get(k) is not None} or None
    gguf = info.get("gguf")
    if isinstance(gguf, dict):
        gguf = {"total": gguf["total"]} if "total" in gguf else None
    return {"id": mid, "createdAt": created,
            "downloads": info.get("downloads"), "downloadsAllTime": info.get("downloadsAllTime"),
            "tags": info.get("tags"), "baseModels": _text(info.get("baseModels")),
            "cardData": _text(card), "safetensors": _text(info.get("safetensors")),
            "gguf": _text(gguf)}


def _count(value: Any) -> bool:
    return value is None or (type(value) is int and -(2**63) <= value < 2**63)


def _texts(value: Any) -> bool:
    return value is None or (isinstance(value, list) and all(isinstance(t, str) for t in value))


def _created(value: Any) -> dt.datetime | bool | None:
    """``createdAt`` as a date and time (None: not given), or False when it is not one."""
    if value is None:
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return False
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)  # the API's UTC


def _text(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def schema() -> Any:
    text = pa.string()
    return pa.schema([("id", text), ("createdAt", pa.timestamp("ms", tz="UTC")),
                      ("downloads", pa.int64()), ("downloadsAllTime", pa.int64()),
                      ("tags", pa.list_(text)), ("baseModels", text), ("cardData", text),
                      ("safetensors", text), ("gguf", text)])


@dataclass
class State:
    """``OUT.partial/state.json``: what a rerun needs to go on."""

    filters: dict[str, Any]
    started: str  # ISO UTC: the snapshot's date
    rows: int = 0
    parts: int = 0
    last_id: str | None = None
    page: str | None = None  # the URL of the page to read from on a rerun (None: the first)


def fetch(pages: Pages, out: Path, filters: Filters, *, batch_rows: int = 1000,
          restart: bool = False, progress: Callable[[int], None] | None = None,
          now: Callable[[], dt.datetime] | None = None) -> State:
    """Write the models of ``pages(list_params(filters), start)`` that pass ``filters`` to
    ``out`` (Parquet), resuming an interrupted fetch of the same filters from its page.

    ``progress(k)`` is called with the number of models read (kept or not) after each one.

    Raises:
        UsageError: ``OUT.partial`` holds a fetch with other filters (rerun with them, or
            pass ``restart``), or a file cannot be written.
    """
    partial = out.with_name(out.name + ".partial")
    if restart and partial.exists():
        shutil.rmtree(partial)
    state = _resume(partial, filters, now)
    done = _ids_in(partial, state.parts)
    started = dt.datetime.fromisoformat(state.started)
    batch: list[dict[str, Any]] = []
    read = 0
    for records, following in pages(list_params(filters), state.page):
        for rec in _wanted(records, filters, started):
            if rec is None:  # older than --since: the listing is done
                following = None
                break
            if rec["id"] in done:
                continue
            done.add(rec["id"])
            batch.append(rec)
            if len(batch) >= batch_rows:
                _flush(partial, state, batch)
            if filters.limit is not None and state.rows + len(batch) >= filters.limit:
                following = None
                break
        read += len(records)
        if progress is not None:
            progress(read)
        _flush(partial, state, batch, page=following)  # a rerun starts at the next page
        if following is None:
            break
    write_atomic(out, _combine(partial, state))
    shutil.rmtree(partial)
    return state


def _wanted(records: Iterable[Any], filters: Filters, started: dt.datetime
            ) -> Iterator[dict[str, Any] | None]:
    """The records created between ``since`` and ``until`` and before the snapshot began;
    None for the first one older than ``since`` (the listing is newest first: it ends there).
    """
    since = dt.date.fromisoformat(filters.since) if filters.since else None
    until = dt.date.fromisoformat(filters.until) if filters.until else None
    for info in records:
        rec = record_of(info)
        created = rec["createdAt"]
        if created is not None:
            if created > started:
                continue
            if until is not None and created.date() > until:
                continue
            if since is not None and created.date() < since:
                yield None
                return
        elif since is not None or until is not None:
            continue  # undated: outside any date range
        yield rec


def _resume(partial: Path, filters: Filters,
            now: Callable[[], dt.datetime] | None) -> State:
    wanted = asdict(filters)
    path = partial / "state.json"
    if path.exists():
        state = State(**json.loads(path.read_text(encoding="utf-8")))
        if state.filters != wanted:
            raise UsageError(f'"{partial}" holds a fetch with other filters '
                             f"({_shown(state.filters)}): rerun with them, or add --restart")
        return state
    try:
        partial.mkdir(exist_ok=True)
    except OSError as exc:
        raise UsageError(f'cannot write "{partial}": {exc.strerror or exc}') from None
    started = (now or (lambda: dt.datetime.now(dt.UTC)))().replace(microsecond=0)
    return State(filters=wanted, started=started.isoformat())


def _shown(filters: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in filters.items() if v is not None) or "none"


def _part(partial: Path, k: int) -> Path:
    return partial / f"part-{k:06d}.parquet"


def _ids_in(partial: Path, parts: int) -> set[str]:
    return {m for k in range(parts)
            for m in pq.read_table(_part(partial, k), columns=["id"])["id"].to_pylist()}


def _flush(partial: Path, state: State, batch: list[dict[str, Any]], *,
           page: str | None = None) -> None:
    """Write ``batch`` as the next part, then the state that counts it (both atomically, so
    an interruption between them leaves a part that the state does not count: rewritten).
    ``page``: the page a rerun starts from, once every record before it is written."""
    if page is not None:
        state.page = page
    if batch:
        sink = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(batch, schema=schema()), sink)
        write_atomic(_part(partial, state.parts), sink.getvalue())
        state.parts += 1
        state.rows += len(batch)
        state.last_id = batch[-1]["id"]
        batch.clear()
    elif page is None:
        return
    write_atomic(partial / "state.json", json.dumps(asdict(state)).encode())


def _combine(partial: Path, state: State) -> bytes:
    """The parts as one Parquet file, one row group each, with the snapshot's metadata."""
    from lineage.model.version import __version__

    meta = {"format": FORMAT, "version": 1, "snapshot": state.started,
            "filters": state.filters, "rows": state.rows, "expand": list(EXPAND),
            "lineage": __version__}
    sch = schema().with_metadata({"lineage": json.dumps(meta)})
    sink = io.BytesIO()
    with pq.ParquetWriter(sink, sch) as writer:
        for k in range(state.parts):
            writer.write_table(pq.read_table(_part(partial, k)).cast(sch))
        if not state.parts:
            writer.write_table(sch.empty_table())
    return sink.getvalue()
