"""Hub-scale input: a JSON Lines dump of Hugging Face model metadata (issue 7).

One model per line, with the Hub's own field names; only ``id`` is required::

    {"id": "org/name", "base_model": ["org/parent"], "base_model_relation": "finetune",
     "co2_eq_emissions": 1234.5, "downloads": 1200, "created_at": "2024-09-18",
     "params": "1.2B"}

``co2_eq_emissions`` is in GRAMS, as on the Hub (a number, or a mapping with ``emissions``);
``downloads`` is the ``usage`` weight; ``base_model_relation`` is absent → inferred as the Hub
does (several bases → merge, otherwise finetune). Parents absent from the dump become stub
models with an unknown cost. The dump is kept as columns (numpy arrays), never as a Python
object per model, so that 1.9 million lines load in seconds.
"""

from __future__ import annotations

import gc
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lineage.model.errors import InputError, InputErrors, Position
from lineage.model.hub import RELATIONS, Hub, find_ids

if TYPE_CHECKING:
    pass

MAX_SHOWN = 20  # bad lines listed before "… and N more"
SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}
_COUNT = re.compile(r"^\s*([0-9][0-9_,]*(?:\.[0-9]+)?)\s*([kKmMbBtT]?)\s*$")
_BAD_ID = re.compile(r"^\s|\s$|^$|[\x00-\x1f\x7f]")
_SPACED = re.compile(r"(?m)^ | $|^$")  # over ids joined by newlines
_MASS = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)\s*(g|kg|t)?\s*"
                   r"(?:co2(?:e|eq)?)?\s*$", re.I)
_GRAMS = {"g": 1.0, "kg": 1e3, "t": 1e6}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


class _Lines:
    """Collects the columns while the file is read.

    The file is parsed in chunks of a few MB, each as one JSON array (orjson), and each field
    is pulled out of a chunk with one list comprehension; a chunk that holds a bad line is
    read again line by line to say which. Downloads, params, dates and emissions are kept raw
    and converted column by column afterwards (numpy), with a per-value check only to locate
    a bad value. No dictionary of all ids is built unless a query needs one.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.ids: list[str] = []
        self.lines: list[int] = []
        self.bases: list[Any] = []  # (node, base_model, base_model_relation) of lines with one
        self.emissions: dict[int, Any] = {}
        self.downloads: list[Any] = []
        self.params: list[Any] = []
        self.created: list[Any] = []
        self.errors: list[InputError] = []
        self.dropped: set[int] = set()
        self.lowered: list[str] = []  # the ids in lower case, once duplicates() ran

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
            if objs is None or len(objs) != len(chunk) or any(map(_may_repeat, chunk)) or \
                    not self.chunk(first, objs):
                self.slow(first, chunk)
            first += len(chunk)

    def chunk(self, first: int, objs: list[Any]) -> bool:
        """Take a parsed chunk whose lines are all objects with good ids; False otherwise."""
        if set(map(type, objs)) != {dict}:
            return False
        ids = [o.get("id") for o in objs]
        if set(map(type, ids)) != {str} or not all(map(str.isprintable, ids)) or \
                _SPACED.search("\n".join(ids)):
            return False
        node = len(self.ids)
        self.ids += ids
        self.lines += range(first, first + len(objs))
        self.downloads += [o.get("downloads") for o in objs]
        self.params += [o.get("params") for o in objs]
        self.created += [o.get("created_at") for o in objs]
        self.bases += [(node + i, o.get("base_model"), o.get("base_model_relation"))
                       for i, o in enumerate(objs)
                       if "base_model" in o or "base_model_relation" in o]
        self.emissions.update((node + i, o["co2_eq_emissions"]) for i, o in enumerate(objs)
                              if "co2_eq_emissions" in o)
        return True

    def slow(self, first: int, chunk: list[bytes]) -> None:
        """Line by line, to name each bad line (JSON, object, id); the good ones are kept."""
        import orjson

        for lineno, raw in enumerate(chunk, first):
            if raw.isspace():
                continue
            try:
                obj = orjson.loads(raw)
                repeated = _repeated_key(raw) if _may_repeat(raw) else None
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
            if type(mid) is not str or _BAD_ID.search(mid) or not mid.isprintable():
                self.bad(lineno, raw, "id" if "id" in obj else None, '"id" must be a Hub id '
                         'such as "org/name" (a non-empty string without control characters)')
                continue
            self.chunk(lineno, [obj])

    def edges(self, problems: list[tuple[int, str, str]]) -> tuple[list[int], list[str],
                                                                    list[int], list[bool]]:
        """(child nodes, parent names) of every edge, and each node's relation code."""
        child_of: list[int] = []
        parent_names: list[str] = []
        relation = [0] * len(self.ids)
        inferred = [False] * len(self.ids)
        ids = self.ids
        for node, base, rel in self.bases:
            if type(base) is str:
                parents = [base]
            elif type(base) is list and all(type(p) is str for p in base):
                parents = list(dict.fromkeys(base))
            elif base is None or base == []:
                parents = []
            else:
                problems.append((node, "base_model", _BASE))
                continue
            if not parents and rel is None:  # "base_model": null, as exports write it
                continue
            code = _RELATION.get(rel, -1) if rel is not None else \
                (4 if len(parents) > 1 else 1)
            if code <= 0 or not parents:
                problems.append((node, "base_model_relation", _relation_problem(rel)))
                continue
            if ids[node].lower() in {p.lower() for p in parents}:
                problems.append((node, "base_model", f'"{ids[node]}" names itself as its base '
                                 "model"))
                continue
            relation[node], inferred[node] = code, rel is None
            child_of += [node] * len(parents)
            parent_names += parents
        if not all(map(str.isprintable, parent_names)) or \
                _SPACED.search("\n".join(parent_names)):
            bad = {c for c, p in zip(child_of, parent_names, strict=True) if _BAD_ID.search(p)
                   or not p.isprintable()}
            problems += [(c, "base_model", _BASE) for c in sorted(bad)]
            pairs = [(c, p) for c, p in zip(child_of, parent_names, strict=True) if c not in bad]
            child_of, parent_names = [c for c, _ in pairs], [p for _, p in pairs]
        return child_of, parent_names, relation, inferred

    def duplicates(self, problems: list[tuple[int, str, str]]) -> None:
        """Ids written on two lines, in any case as the Hub compares them (found by sorting
        hashes, not with a dictionary of all)."""
        self.lowered = folded = [m.lower() for m in self.ids]  # kept for the parents' look-up
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

    def hub(self, skip_bad: bool, read_line: Any) -> Hub:
        """The columns, with every bad value of every line reported (or its line skipped)."""
        problems: list[tuple[int, str, str]] = []  # (node, key, message)
        self.duplicates(problems)
        child_of, parent_names, relation, inferred = self.edges(problems)
        downloads = _counts(self.downloads, "downloads", problems)
        params = _counts(self.params, "params", problems)
        created = _dates(self.created, problems)
        grams = np.full(len(self.ids), math.nan)
        for node, value in self.emissions.items():
            try:
                grams[node] = _grams(value)
            except _Bad as exc:
                problems.append((node, exc.key, exc.message))
        problems.sort()
        raws = read_line(sorted({self.lines[node] for node, _, _ in problems[:MAX_SHOWN + 1]}))
        for node, key, message in problems:
            lineno = self.lines[node]
            self.bad(lineno, raws.get(lineno, b""), key, message)
        if self.errors and not skip_bad:
            raise InputErrors(_shown(sorted(self.errors, key=lambda e: e.sort_key())))
        keep = np.ones(len(self.ids), dtype=bool)
        keep[[node for node, _, _ in problems]] = False
        ids, lowered = self.ids, self.lowered
        if not keep.all():
            ids = [m for m, k in zip(ids, keep.tolist(), strict=True) if k]
            lowered = [m for m, k in zip(lowered, keep.tolist(), strict=True) if k]
            renumber = np.cumsum(keep) - 1
            pairs = [(int(renumber[c]), p) for c, p in zip(child_of, parent_names, strict=True)
                     if keep[c]]
            child_of, parent_names = [c for c, _ in pairs], [p for _, p in pairs]
        n_models = len(ids)
        where = find_ids(ids, set(parent_names), lowered)  # Hub ids are case-insensitive
        stubs_by_key: dict[str, int] = {}
        for name in dict.fromkeys(parent_names):  # parents absent from the dump: stubs
            if name not in where:  # (one stub for all the spellings of one id)
                if name.lower() not in stubs_by_key:
                    stubs_by_key[name.lower()] = len(ids)
                    ids.append(name)
                where[name] = stubs_by_key[name.lower()]
        parent = np.fromiter(map(where.__getitem__, parent_names), dtype=np.int64,
                             count=len(parent_names))
        child = np.array(child_of, dtype=np.int64)
        if parent.size:  # two spellings of one parent make one edge; children stay sorted
            pair = np.unique(child * len(ids) + parent)
            child, parent = pair // len(ids), pair % len(ids)
        stubs = len(ids) - n_models

        def column(values: Any, dtype: Any, fill: Any) -> np.ndarray:
            values = np.asarray(values, dtype=dtype)[keep]
            return np.concatenate([values, np.full(stubs, fill, dtype=values.dtype)])

        return Hub(
            path=self.path, ids=ids, n_models=n_models,
            line=column(self.lines, np.int64, 0),
            parent=parent, child=child,
            relation=column(relation, np.int8, 0), inferred=column(inferred, bool, False),
            emissions_g=column(grams, np.float64, math.nan),
            downloads=column(downloads, np.float64, math.nan),
            params=column(params, np.float64, math.nan),
            created=column(created, "datetime64[D]", np.datetime64("NaT")),
            skipped=sorted(self.errors, key=lambda e: e.sort_key()) if skip_bad else [])


def _counts(raw: list[Any], key: str, problems: list[tuple[int, str, str]]) -> np.ndarray:
    """A float column from JSON numbers or count strings ("1.2B"); None → NaN.

    Each distinct value is parsed once (Hub columns repeat a lot), then mapped in C.
    """
    if not set(map(type, raw)) <= {int, float, str, type(None)}:  # lists, objects, booleans
        parsed = [_checked(v, key) for v in raw]
    else:
        table = {v: _checked(v, key) for v in set(raw)}
        parsed = list(map(table.__getitem__, raw))
    if str in set(map(type, parsed)):
        for i, v in enumerate(parsed):
            if type(v) is str:
                problems.append((i, key, v))
        parsed = [math.nan if type(v) is str else v for v in parsed]
    return np.array(parsed, dtype=np.float64)


def _checked(value: Any, key: str) -> float | str:
    """The count ``value`` holds, or the message saying why it is not one."""
    if type(value) is bool:
        return f'"{key}" must be a count such as 1200 or "1.2B", not {_show(value)}'
    try:
        return _count(value, key)
    except _Bad as exc:
        return exc.message


def _dates(raw: list[Any], problems: list[tuple[int, str, str]]) -> np.ndarray:
    text = [v[:10] if type(v) is str else "NaT" for v in raw]
    for i in (i for i, v in enumerate(raw) if v is not None and type(v) is not str):
        problems.append((i, "created_at", f'"created_at" must be a date such as '
                         f'"2024-09-18", not {_show(raw[i])}'))
    try:
        return np.array(text, dtype="datetime64[D]")
    except ValueError:  # find the bad ones
        out = np.full(len(raw), np.datetime64("NaT"), dtype="datetime64[D]")
        for i, v in enumerate(text):
            try:
                out[i] = np.datetime64(_date(raw[i]), "D") if v != "NaT" else out[i]
            except _Bad as exc:
                problems.append((i, exc.key, exc.message))
        return out


def _shown(errors: list[InputError]) -> list[InputError]:
    if len(errors) <= MAX_SHOWN:
        return errors
    rest = errors[MAX_SHOWN]
    return [*errors[:MAX_SHOWN], InputError(rest.where, f"… and {len(errors) - MAX_SHOWN} more "
                                            "bad lines (--skip-bad-lines loads the others)")]


class _Bad(Exception):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key, self.message = key, message


_BASE = '"base_model" must be a Hub id or a list of Hub ids'
_RELATION = {name: code for code, name in enumerate(RELATIONS) if name}


def _relation_problem(value: Any) -> str:
    if value is None or value in _RELATION:
        return '"base_model_relation" without a "base_model"'
    return (f'"base_model_relation" is {_show(value)}; the Hub knows finetune, adapter, '
            "quantized and merge")


def _number(value: Any, key: str, what: str) -> float:
    if type(value) in (int, float):
        x = float(value)
    elif type(value) is str and key == "co2_eq_emissions" and _MASS.match(value):
        m = _MASS.match(value)  # "149.2", "149.2 g", "12 kg", "1.5 t": the unit is explicit
        assert m is not None
        x = float(m.group(1)) * _GRAMS[(m.group(2) or "g").lower()]
    elif type(value) is str and _COUNT.match(value) and key != "co2_eq_emissions":
        m = _COUNT.match(value)
        assert m is not None
        x = float(m.group(1).replace(",", "").replace("_", "")) * \
            SUFFIX.get(m.group(2).lower(), 1.0)
    else:
        raise _Bad(key, f'"{key}" must be {what}, not {_show(value)}')
    if not math.isfinite(x) or x < 0:
        raise _Bad(key, f'"{key}" must be a finite number ≥ 0, not {_show(value)}')
    return x


def _grams(value: Any) -> float:
    if type(value) is dict:
        value = value.get("emissions")
    if value is None:
        return math.nan
    return _number(value, "co2_eq_emissions", 'a number of grams (or a string such as "12 kg")')


def _count(value: Any, key: str) -> float:
    return math.nan if value is None else _number(value, key, 'a count such as 1200 or "1.2B"')


def _date(value: Any) -> str:
    if value is None:
        return "NaT"
    if type(value) is not str or not re.match(r"^\d{4}-\d{2}-\d{2}", value):
        raise _Bad("created_at", f'"created_at" must be a date such as "2024-09-18", not '
                   f"{_show(value)}")
    try:
        np.datetime64(value[:10], "D")
    except ValueError:
        raise _Bad("created_at", f'"created_at" "{value}" is not a valid date') from None
    return value[:10]


def _show(value: Any) -> str:
    """``value`` as JSON writes it (true, null, "text"), cut to 40 characters."""
    import json

    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


_KEYED = (b'"id"', b'"base_model"')


def _may_repeat(raw: bytes) -> bool:
    """Whether a line may hold a key that matters twice (a quick test; see _repeated_key)."""
    return any(raw.count(k) > 1 for k in _KEYED)


def _repeated_key(raw: bytes) -> str | None:
    """The first top-level key of the JSON object ``raw`` written twice, or None."""
    import json

    pairs = json.loads(raw, object_pairs_hook=lambda p: p)
    if not isinstance(pairs, list):
        return None
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return str(key)
        seen.add(key)
    return None


def read_jsonl(path: Path, *, skip_bad: bool = False) -> Hub:
    """Read a JSON Lines dump into columns.

    Raises:
        InputErrors: bad lines (each at its line and the column of the offending key), unless
            ``skip_bad``, when they are left out and kept in ``Hub.skipped``.
    """
    name = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputErrors([InputError(Position(name), f"cannot read: {exc.strerror}")]) \
            from None
    lines = _Lines(name)
    was_enabled = gc.isenabled()
    gc.disable()  # millions of small containers: the cyclic collector would rescan them all
    try:
        with path.open("rb") as f, progress(size, f"reading {path.name}",
                                                      size > 20_000_000) as advance:
            lines.read(f, advance)
        return lines.hub(skip_bad, lambda wanted: _lines_at(path, wanted))
    finally:
        if was_enabled:
            gc.enable()


def _lines_at(path: Path, wanted: list[int]) -> dict[int, bytes]:
    """The raw lines numbered ``wanted`` (sorted), in one pass."""
    out: dict[int, bytes] = {}
    if not wanted:
        return out
    with path.open("rb") as f:
        for i, raw in enumerate(f, 1):
            if i in wanted:
                out[i] = raw
            if i >= wanted[-1]:
                break
    return out


class progress:
    """A progress bar on stderr for work over ~1 second (``slow``), only on a terminal.

    ``with progress(total, label, slow) as advance: advance(done)``.
    """

    def __init__(self, total: int, label: str, slow: bool) -> None:
        import sys

        self.total, self.label, self.done, self.shown = total, label, 0, -1
        self.on = slow and sys.stderr.isatty()

    def __enter__(self) -> Any:
        return self.advance if self.on else _nothing

    def advance(self, done: int) -> None:
        import sys

        self.done = done
        percent = 100 * self.done // self.total
        if percent != self.shown:
            self.shown = percent
            bar = "#" * (percent // 4)
            sys.stderr.write(f"\r{self.label} [{bar:<25}] {percent:3d}%")

    def __exit__(self, *exc: object) -> None:
        if self.on:
            import sys

            sys.stderr.write("\r" + " " * (len(self.label) + 35) + "\r")


def _nothing(done: int) -> None:
    return None
