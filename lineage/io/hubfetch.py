"""A Parquet snapshot of the Hub's model list, fetched a batch at a time and resumable (issue 12).

:func:`fetch` takes the models as the Hub API lists them (``huggingface_hub``'s ``ModelInfo``
objects, or the API's JSON records as dicts) and writes the fields we read — ``id``,
``createdAt``, ``downloads``, ``downloadsAllTime``, ``tags``, ``baseModels``, ``cardData``
(only ``base_model``, ``base_model_relation`` and ``co2_eq_emissions``), ``safetensors``,
``gguf`` (only ``total``) — as the columns :mod:`lineage.io.parquetrows` reads back: nested
values as JSON text, ``tags`` a list, ``createdAt`` a UTC timestamp.

While it runs, ``OUT.partial/`` holds one Parquet file per batch and ``state.json`` (the
filters, when the snapshot was started, the rows written, the last id). A rerun with the same
filters walks the listing again from its start, skips the ids already written and the models
created after the snapshot was started (so the snapshot is the Hub as it was then), and
writes only the rest: the Hub's listing has no cursor that huggingface_hub hands out, so a
resume costs the listing again but not the writing. The finished snapshot replaces ``OUT``
in one rename (:func:`lineage.io.atomic.write_atomic`); the snapshot's date, the filters and
the row count are in the schema's metadata under ``lineage``.
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


def list_kwargs(filters: Filters) -> dict[str, Any]:
    """The keyword arguments of ``HfApi.list_models`` for ``filters``: newest first, so a
    ``since`` date ends the listing early."""
    kwargs: dict[str, Any] = {"expand": list(EXPAND), "sort": "created_at"}
    if filters.author:
        kwargs["author"] = filters.author
    if filters.tag():
        kwargs["filter"] = filters.tag()
    if filters.search:
        kwargs["search"] = filters.search
    return kwargs


def record_of(info: Any) -> dict[str, Any]:
    """One model as the row we write, from a ``ModelInfo`` or an API JSON record."""
    if isinstance(info, dict):
        get: Callable[[str, str], Any] = lambda attr, key: info.get(key)  # noqa: E731
    else:
        get = lambda attr, key: getattr(info, attr, None)  # noqa: E731
    created = get("created_at", "createdAt")
    if isinstance(created, str):
        created = dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
    card = get("card_data", "cardData")
    if card is not None and not isinstance(card, dict):
        card = card.to_dict()
    card = {k: card[k] for k in CARD_KEYS if card and card.get(k) is not None} or None
    tensors = get("safetensors", "safetensors")
    if tensors is not None and not isinstance(tensors, dict):
        tensors = {"parameters": tensors.parameters, "total": tensors.total}
    gguf = get("gguf", "gguf")
    gguf = {"total": gguf["total"]} if isinstance(gguf, dict) and "total" in gguf else None
    return {"id": get("id", "id"), "createdAt": created, "downloads": get("downloads", "downloads"),
            "downloadsAllTime": get("downloads_all_time", "downloadsAllTime"),
            "tags": get("tags", "tags"), "baseModels": _text(get("base_models", "baseModels")),
            "cardData": _text(card), "safetensors": _text(tensors), "gguf": _text(gguf)}


def _text(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def schema() -> Any:
    import pyarrow as pa

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


def fetch(listing: Callable[[dict[str, Any]], Iterable[Any]], out: Path, filters: Filters, *,
          batch_rows: int = 1000, restart: bool = False,
          progress: Callable[[int], None] | None = None,
          now: Callable[[], dt.datetime] | None = None) -> State:
    """Write the models ``listing(list_kwargs(filters))`` yields that pass ``filters`` to
    ``out`` (Parquet), resuming an interrupted fetch of the same filters.

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
    for rec in _wanted(listing(list_kwargs(filters)), filters, started, progress):
        if rec["id"] in done:
            continue
        done.add(rec["id"])
        batch.append(rec)
        if len(batch) >= batch_rows:
            _flush(partial, state, batch)
        if filters.limit is not None and state.rows + len(batch) >= filters.limit:
            break
    _flush(partial, state, batch)
    write_atomic(out, _combine(partial, state))
    shutil.rmtree(partial)
    return state


def _wanted(models: Iterable[Any], filters: Filters, started: dt.datetime,
            progress: Callable[[int], None] | None) -> Iterator[dict[str, Any]]:
    """The records created between ``since`` and ``until`` and before the snapshot began.
    The listing is newest first, so the first model older than ``since`` ends it."""
    since = dt.date.fromisoformat(filters.since) if filters.since else None
    until = dt.date.fromisoformat(filters.until) if filters.until else None
    for k, info in enumerate(models, 1):
        if progress is not None:
            progress(k)
        rec = record_of(info)
        created = rec["createdAt"]
        if created is not None:
            if created > started:
                continue
            if until is not None and created.date() > until:
                continue
            if since is not None and created.date() < since:
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
    import pyarrow.parquet as pq

    return {m for k in range(parts)
            for m in pq.read_table(_part(partial, k), columns=["id"])["id"].to_pylist()}


def _flush(partial: Path, state: State, batch: list[dict[str, Any]]) -> None:
    """Write ``batch`` as the next part, then the state that counts it (both atomically, so
    an interruption between them leaves a part that the state does not count: rewritten)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not batch:
        return
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(batch, schema=schema()), sink)
    write_atomic(_part(partial, state.parts), sink.getvalue())
    state.parts += 1
    state.rows += len(batch)
    state.last_id = batch[-1]["id"]
    write_atomic(partial / "state.json", json.dumps(asdict(state)).encode())
    batch.clear()


def _combine(partial: Path, state: State) -> bytes:
    """The parts as one Parquet file, one row group each, with the snapshot's metadata."""
    import pyarrow.parquet as pq

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


def snapshot_metadata(path: Path) -> dict[str, Any] | None:
    """The ``lineage`` metadata of a snapshot written by :func:`fetch` (None for another file)."""
    import pyarrow.parquet as pq

    raw = (pq.read_schema(path).metadata or {}).get(b"lineage")
    return None if raw is None else dict(json.loads(raw))
