"""A JSON Lines dump read line by line with orjson (the path every bad line is named on, at
``path:line:col``), its columns gathered as they are read, then assembled into the
:class:`~lineage.model.hub.Hub` columns: ids, parents (stubs for those the dump lacks),
relations, emissions, downloads, params, dates."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby, islice
from typing import Any

import numpy as np

from lineage.io import hubrecords as rec
from lineage.io.arrowcols import indices, strings
from lineage.io.dumpids import ColumnIds, with_stubs
from lineage.io.hubvalues import (
    BASE,
    RELATION_CODES,
    Bad,
    Problems,
    as_written,
    counts,
    dates,
    grams,
    relation_problem,
)
from lineage.model.columns import unique
from lineage.model.errors import InputError, InputErrors, Position
from lineage.model.hub import Hub, find_ids
from lineage.model.ids import BAD_ID

MAX_SHOWN = 20  # bad lines listed before "… and N more"
SPACED = re.compile(r"(?m)^ | $|^$")  # over ids joined by newlines
NOT_AN_ID = '"id" must be a Hub id such as "org/name" (a non-empty string without control ' \
    'characters)'


@dataclass
class EdgeColumns:
    """Edges read as columns by a fast reader, their values already checked: ``parent[e]``
    (an Arrow string array) is a base of node ``child[e]``; node ``nodes[k]`` has the
    relation ``code[k]`` (``inferred[k]``: not written). Nodes with a problem are left to
    ``Lines.bases``, whose check says what it is."""

    child: np.ndarray
    parent: Any
    nodes: np.ndarray
    code: np.ndarray
    inferred: np.ndarray


class Lines:
    """Collects the columns while the file is read.

    The slow path parses the file in chunks of a few MB, each as one JSON array (orjson); a
    chunk that holds a bad line is read again line by line to say which. The fast readers
    (:mod:`lineage.io.arrowread`) fill the same fields, with ``downloads``, ``params`` and
    ``created`` already as checked numpy columns.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.ids: list[str] | ColumnIds = []
        self.lines: Any = []  # line (or row) numbers, 1-based
        self.bases: list[Any] = []  # (node, base models, relation, key) of nodes with lineage
        self.typed: list[EdgeColumns] = []  # or as columns, from a fast reader
        self.emissions: dict[int, Any] = {}
        self.downloads: Any = []  # raw values, or a float64 column
        self.params: Any = []
        self.created: Any = []  # raw values, or a datetime64[D] column
        self.errors: list[InputError] = []
        self.problems: Problems = []  # found by a fast reader: (node, key, message)
        self.lowered: list[str] | None = None  # the ids in lower case
        self.unique = False  # a fast reader found no two ids alike, in any case
        self.finder: Any = None  # with ``unique``: finds ids in a column (lineage.io.dumpids)
        self.column: Any = None  # a fast reader's ids as an Arrow column
        self.folded: Any = None  # and in lower case

    def bad(self, lineno: int, raw: bytes, key: str | None, message: str) -> None:
        at = raw.find(f'"{key}"'.encode()) if key else -1
        col = len(raw[:at].decode("utf-8", "replace")) + 1 if at >= 0 else 1  # characters
        self.errors.append(InputError(Position(self.path, lineno, col), message))

    def read(self, f: Any, advance: Any) -> None:
        """Read every line of the binary file ``f``."""
        import orjson

        first = 1
        while chunk := f.readlines(1 << 22):
            advance(f.tell())
            if first == 1 and chunk[0].startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark
                chunk[0] = chunk[0][3:]
            try:
                objs = orjson.loads(b"[" + b",".join(chunk) + b"]")
            except orjson.JSONDecodeError:
                objs = None
            # one object per line: a line holding two objects would shift every line number
            if objs is None or len(objs) != len(chunk) or any(map(may_repeat, chunk)) or \
                    not self.chunk(first, objs):
                self.slow(first, chunk)
            first += len(chunk)

    def chunk(self, first: int, objs: list[Any]) -> bool:
        """Take a parsed chunk whose lines are all objects with good ids; False otherwise."""
        if set(map(type, objs)) != {dict}:
            return False
        ids = [o.get("id") for o in objs]
        if set(map(type, ids)) != {str} or not all(map(str.isprintable, ids)) or \
                SPACED.search("\n".join(ids)):
            return False
        node = len(self.ids)
        assert isinstance(self.ids, list)  # the line reader's own list
        self.ids += ids
        self.lines += range(first, first + len(objs))
        self.downloads += map(rec.downloads, objs)
        self.params += map(rec.params, objs)
        self.created += map(rec.created, objs)
        self.take(enumerate(objs, node))
        return True

    def take(self, records: Iterable[tuple[int, dict[str, Any]]]) -> None:
        """The free-form fields (lineage, emissions) of the ``(node, record)`` pairs."""
        for i, o in records:
            found = rec.lineage(o)
            if found is not None:
                self.bases.append((i, *found))
            has, value = rec.emissions(o)
            if has:
                self.emissions[i] = value

    def slow(self, first: int, chunk: list[bytes]) -> None:
        """Line by line, to name each bad line (JSON, object, id); the good ones are kept."""
        import orjson

        for lineno, raw in enumerate(chunk, first):
            if raw.isspace():
                continue
            try:
                obj = orjson.loads(raw)
                repeated = repeated_key(raw) if may_repeat(raw) else None
            except orjson.JSONDecodeError:  # its wording changes between orjson versions
                self.bad(lineno, raw, None, "not a valid JSON line (JSON Lines: one object "
                         "per line)")
                continue
            if type(obj) is not dict:
                self.bad(lineno, raw, None, 'a line must be a JSON object {"id": "org/name", …}')
                continue
            if repeated:  # orjson would keep the last one silently
                self.bad(lineno, raw, repeated, f'the record has "{repeated}" twice; keep one')
                continue
            mid = obj.get("id")
            if type(mid) is not str or BAD_ID.search(mid) or not mid.isprintable():
                self.bad(lineno, raw, "id" if "id" in obj else None, NOT_AN_ID)
                continue
            self.chunk(lineno, [obj])

    def edges(self, problems: Problems) -> tuple[np.ndarray, Any, np.ndarray, np.ndarray]:
        """(child nodes, parent names) of every edge, and each node's relation code and
        whether it was inferred. The names are a list, or an Arrow array when a fast reader
        gave edges as columns (:attr:`typed`)."""
        child_of: list[int] = []
        parent_names: list[str] = []
        relation = np.zeros(len(self.ids), dtype=np.int8)
        inferred = np.zeros(len(self.ids), dtype=bool)
        ids = self.ids
        for node, base, rel, key in self.bases:
            if type(base) is str:
                parents = [base]
            elif type(base) is list and all(type(p) is str for p in base):
                parents = list(dict.fromkeys(base))
            elif base is None or base == []:
                parents = []
            else:
                problems.append((node, key, _base_problem(key)))
                continue
            if not parents and rel is None:  # "base_model": null, as exports write it
                continue
            code = RELATION_CODES.get(rel, -1) if rel is not None else \
                (4 if len(parents) > 1 else 1)
            if code <= 0 or not parents:
                problems.append((node, key if key != "base_model" else "base_model_relation",
                                 relation_problem(rel)))
                continue
            if ids[node].lower() in {p.lower() for p in parents}:
                problems.append((node, key, f'"{ids[node]}" names itself as its base model'))
                continue
            relation[node], inferred[node] = code, rel is None
            child_of += [node] * len(parents)
            parent_names += parents
        if not all(map(str.isprintable, parent_names)) or \
                SPACED.search("\n".join(parent_names)):
            bad = {c for c, p in zip(child_of, parent_names, strict=True) if BAD_ID.search(p)
                   or not p.isprintable()}
            problems += [(c, "base_model", BASE) for c in sorted(bad)]
            pairs = [(c, p) for c, p in zip(child_of, parent_names, strict=True) if c not in bad]
            child_of, parent_names = [c for c, _ in pairs], [p for _, p in pairs]
        child = np.array(child_of, dtype=np.int64)
        if not self.typed:
            return child, parent_names, relation, inferred
        import pyarrow as pa

        for part in self.typed:
            relation[part.nodes], inferred[part.nodes] = part.code, part.inferred
        child = np.concatenate([child, *(part.child for part in self.typed)])
        names = pa.concat_arrays([strings(parent_names),
                                  *(part.parent.cast(pa.string()) for part in self.typed)])
        order = np.argsort(child, kind="stable")  # the lines' order, as the line reader's
        return child[order], names.take(indices(order)), relation, inferred

    def duplicates(self, problems: Problems) -> None:
        """Ids written on two lines, in any case as the Hub compares them (found by sorting
        hashes, not with a dictionary of all)."""
        if self.unique:
            return
        if self.lowered is None:
            self.lowered = [m.lower() for m in self.ids]  # kept for the parents' look-up
        folded = self.lowered
        hashes = np.fromiter(map(hash, folded), dtype=np.int64, count=len(folded))
        order = np.argsort(hashes, kind="stable")  # equal hashes: ascending nodes
        same = np.flatnonzero(hashes[order][1:] == hashes[order][:-1])
        first: dict[str, int] = {}
        reported: set[int] = set()
        for k in same.tolist():
            for node in (int(order[k]), int(order[k + 1])):
                key = folded[node]
                if first.setdefault(key, node) != node and node not in reported:
                    reported.add(node)
                    earlier = self.ids[first[key]]
                    spelled = "" if earlier == self.ids[node] else f' as "{earlier}"'
                    problems.append((node, "id", f'duplicate id "{self.ids[node]}" (first on '
                                     f"line {self.lines[first[key]]}{spelled})"))

    def columns(self, problems: Problems) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(downloads, params, created) as checked columns (a fast reader gives all three as
        columns, already checked)."""
        if isinstance(self.downloads, np.ndarray):
            return self.downloads, self.params, self.created
        return (counts(self.downloads, "downloads", problems),
                counts(self.params, "params", problems), dates(self.created, problems))

    def hub(self, skip_bad: bool, read_line: Any) -> Hub:
        """The columns, with every bad value of every line reported (or its line skipped)."""
        problems: Problems = list(self.problems)
        self.duplicates(problems)
        child_of, parent_names, relation, inferred = self.edges(problems)
        downloads, params, created = self.columns(problems)
        grams_ = np.full(len(self.ids), math.nan)
        for node, value in self.emissions.items():
            try:
                grams_[node] = grams(value)
            except Bad as exc:
                problems.append((node, exc.key, exc.message))
        problems.sort()  # by node, so by line: the lines shown are the first few
        raws = read_line(list(islice((line for line, _ in groupby(
            int(self.lines[node]) for node, _, _ in problems)), MAX_SHOWN + 1)))
        for node, key, message in problems:
            lineno = int(self.lines[node])
            line = raws.get(lineno, b"")
            self.bad(lineno, line, key, as_written(line, key) or message)
        if self.errors and not skip_bad:
            raise InputErrors(shown(sorted(self.errors, key=lambda e: e.sort_key())))
        if self.ids and not child_of.size and not self.emissions and np.isnan(params).all():
            raise InputErrors([InputError(Position(self.path), "not one record carries lineage"
                                          f", emissions or params; we read {rec.LOOKED_FOR}")])
        keep = np.ones(len(self.ids), dtype=bool)
        keep[[node for node, _, _ in problems]] = False
        ids, lowered = self.ids, self.lowered
        if not keep.all() or self.finder is None:
            lowered = self.lowered = lowered or [m.lower() for m in ids]
            self.finder = None
        if not keep.all():
            ids = [m for m, k in zip(ids, keep.tolist(), strict=True) if k]
            lowered = [m for m, k in zip(lowered or [], keep.tolist(), strict=True) if k]
            kept = keep[child_of]
            child_of = (np.cumsum(keep) - 1)[child_of[kept]]
            if isinstance(parent_names, list):
                parent_names = [p for p, k in zip(parent_names, kept.tolist(), strict=True) if k]
            else:
                parent_names = parent_names.take(indices(np.flatnonzero(kept)))
        return _assemble(self, ids, lowered, keep, child_of, parent_names,
                         (relation, inferred, grams_, downloads, params, created), skip_bad)


def _assemble(lines: Lines, ids: list[str] | ColumnIds, lowered: list[str] | None,
              keep: np.ndarray, child: np.ndarray, parent_names: Any, cols: tuple[Any, ...],
              skip_bad: bool) -> Hub:
    """The :class:`Hub`: parents found among the ids (or made stubs), edges, columns."""
    relation, inferred, grams_, downloads, params, created = cols
    n_models = len(ids)
    finder = lines.finder
    if finder is not None and not isinstance(parent_names, list):
        parent, stub_names = finder.join(parent_names, n_models)
    else:
        names = parent_names if isinstance(parent_names, list) else parent_names.to_pylist()
        parent, stub_names = _parents_by_name(ids, lowered, finder, names)
    for name in stub_names:
        ids.append(name)
    if finder is not None:
        finder.extend(stub_names)
    if parent.size:  # two spellings of one parent make one edge; children stay sorted
        pair = unique(child * len(ids) + parent)
        child, parent = pair // len(ids), pair % len(ids)
    stubs = len(ids) - n_models
    every = bool(keep.all())

    def column(values: Any, dtype: Any, fill: Any) -> np.ndarray:
        array: np.ndarray = np.asarray(values, dtype=dtype)
        if every and not stubs:  # no copy of millions of values for nothing
            return array
        return np.concatenate([array if every else array[keep],
                               np.full(stubs, fill, dtype=array.dtype)])

    return Hub(
        path=lines.path, ids=ids, n_models=n_models,
        line=column(lines.lines, np.int64, 0),
        parent=parent, child=child,
        relation=column(relation, np.int8, 0), inferred=column(inferred, bool, False),
        emissions_g=column(grams_, np.float64, math.nan),
        downloads=column(downloads, np.float64, math.nan),
        params=column(params, np.float64, math.nan),
        dates=column(created, "datetime64[D]", np.datetime64("NaT")),
        skipped=sorted(lines.errors, key=lambda e: e.sort_key()) if skip_bad else [],
        finder=finder)


def _parents_by_name(ids: list[str] | ColumnIds, lowered: list[str] | None, finder: Any,
                     parent_names: list[str]) -> tuple[np.ndarray, list[str]]:
    """The node of each parent name, and the stubs to append to the ids (parents absent
    from the dump, in the order they are first named: one for all the spellings of an id)."""
    where = finder(set(parent_names)) if finder is not None else \
        find_ids(ids, set(parent_names), lowered)  # Hub ids are case-insensitive
    distinct = list(dict.fromkeys(parent_names))
    nodes, stub_names = with_stubs(distinct, [where.get(m, -1) for m in distinct], len(ids))
    node_of = dict(zip(distinct, nodes, strict=True))
    parent = np.fromiter(map(node_of.__getitem__, parent_names), dtype=np.int64,
                         count=len(parent_names))
    return parent, stub_names


def _base_problem(key: str) -> str:
    if key == "baseModels":
        return '"baseModels" must be {"relation": …, "models": [{"id": "org/name"}, …]}'
    if key == "cardData":
        return '"cardData.base_model" must be a Hub id or a list of Hub ids'
    return BASE


KEYED = (b'"id"', b'"base_model"')


def may_repeat(raw: bytes) -> bool:
    """Whether a line may hold a key that matters twice (a quick test; see repeated_key)."""
    return any(raw.count(k) > 1 for k in KEYED)


def repeated_key(raw: bytes) -> str | None:
    """The first top-level key of the JSON object ``raw`` written twice, or None."""
    pairs = json.loads(raw, object_pairs_hook=lambda p: p)
    if not isinstance(pairs, list):
        return None
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return str(key)
        seen.add(key)
    return None


def shown(errors: list[InputError]) -> list[InputError]:
    """Every problem of the first :data:`MAX_SHOWN` bad lines (sorted), then how many more
    lines are bad (lines, not problems: a line may have several)."""
    lines = [(e.where.path, e.where.line) if e.where else None for e in errors]
    first = list(dict.fromkeys(lines))
    if len(first) <= MAX_SHOWN:
        return errors
    cut = lines.index(first[MAX_SHOWN])
    return [*errors[:cut], InputError(errors[cut].where, f"… and {len(first) - MAX_SHOWN} more "
                                      "bad lines (--skip-bad-lines loads the others)")]
