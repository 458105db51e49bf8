"""The validated registry, cached between runs as JSON: its values with the position of each,
and its validated specs as tagged data.

Why JSON and not a pickle: loading a pickle can run any code its writer chose, so a cache
another user could write was a way to run code as you (issue 16). JSON is data only: the
decoder builds nothing but plain values, :class:`~lineage.model.interval.Interval` and the spec
classes of :mod:`lineage.model.schema` named in a fixed table (``model_construct``, no code of
the file's choosing). A cache is read only from a folder and a file that are ours and that no
one else can write, checked on the opened descriptors, not on the paths; a link is not
followed; its SHA-256 must match. A cache miss or a damaged cache is never an error: the files
are read and validated again.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

import pydantic

from lineage.io.reading import ReadRefused, open_regular, read_fd
from lineage.model import catalog_specs, interval, schema, spec_base
from lineage.model.errors import Position
from lineage.model.files import Deferred, Document, LoadedFile, PathKey
from lineage.model.interval import Interval
from lineage.model.version import __version__

FORMAT = 7  # 6: raw values and positions decoded when first needed; 7: a spec's fields a list
MAX_CACHE_BYTES = 100_000_000
SPECS = (schema, spec_base, catalog_specs)  # the modules whose classes a cache may build


def cache_path(bundled: list[Path]) -> Path | None:
    """Where the validated registry is cached, named by everything that could change it; None
    when caching is off (``LINEAGE_NO_CACHE``) or the system has no POSIX file owners."""
    if os.environ.get("LINEAGE_NO_CACHE") or not hasattr(os, "getuid"):
        return None
    base = os.environ.get("LINEAGE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "lineage")
    where = repr([str(p) for p in bundled]).encode()
    key = hashlib.sha256(repr((FORMAT, __version__, sys.version, pydantic.VERSION)).encode()
                         + where)
    for p in [Path(str(m.__file__)) for m in (*SPECS, interval)] + bundled:
        key.update(p.read_bytes())  # the contents, not dates: ~1 ms for 24 small files
    install = hashlib.sha256(where).hexdigest()[:8]  # one installation's registry folder
    return Path(base) / f"registry-{install}-{key.hexdigest()[:24]}.json"


def is_private(st: os.stat_result) -> bool:
    """Owned by us, and neither its group nor others may write it."""
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


def _open_dir(folder: Path) -> int | None:
    """A descriptor of ``folder`` if it is ours and private, else None."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(folder, flags)
    except OSError:
        return None
    if is_private(os.fstat(fd)):
        return fd
    os.close(fd)
    return None


def _read_private(path: Path) -> bytes | None:
    """The bytes of ``path`` if the folder and the file are ours and private (each opened
    once and checked through its descriptor; a link is not followed), else None."""
    dfd = _open_dir(path.parent)
    if dfd is None:
        return None
    try:
        fd, st = open_regular(path.name, nofollow=True, dir_fd=dfd)
        if not is_private(st):
            os.close(fd)
            return None
        return read_fd(fd, st, MAX_CACHE_BYTES)
    except ReadRefused:
        return None
    finally:
        os.close(dfd)


def cached_registry(bundled: list[Path]) -> list[LoadedFile] | None:
    """The validated registry from the cache, or None (no cache, one we do not trust, or a
    damaged one)."""
    path = cache_path(bundled)
    raw = None if path is None else _read_private(path)
    if raw is None:
        return None
    digest, _, payload = raw.partition(b"\n")
    if digest != hashlib.sha256(payload).hexdigest().encode():
        return None
    try:
        return _decode(payload, bundled)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError):
        return None  # a damaged cache is a cache miss, never an error


def store_registry(bundled: list[Path], files: list[LoadedFile]) -> None:
    """Cache the validated registry; nothing happens where we could not trust it later."""
    import tempfile

    path = cache_path(bundled)
    if path is None:
        return
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        dfd = _open_dir(path.parent)
        if dfd is None:  # a folder others can write: a cache there would never be read
            return
        os.close(dfd)
        payload = _encode(files)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".registry-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _prune(path)
    except (OSError, ValueError, TypeError):
        return  # a read-only home: no cache, same results


KEPT = 8  # caches of other installations (virtual environments, checkouts) kept beside ours


def _prune(path: Path) -> None:
    """Remove the caches this one replaces (the same installation's, of an earlier registry
    or version), the old pickles, and all but the :data:`KEPT` newest of other installations'
    (several environments on one machine must not evict each other's caches at every run)."""
    install = path.name.split("-")[1]
    others = []
    for old in (*path.parent.glob("registry-*.json"), *path.parent.glob("registry-*.pickle")):
        if old == path:
            continue
        parts = old.name.split("-")
        if old.suffix == ".pickle" or len(parts) != 3 or parts[1] == install:
            old.unlink(missing_ok=True)
        else:
            others.append((old.stat().st_mtime, old))
    for _, old in sorted(others, reverse=True)[KEPT:]:
        old.unlink(missing_ok=True)


# The encoding, JSON texts on lines. The first holds each file's path, sha256 and spec: plain
# JSON values as they are; {"$i": [low, mid, high]} an Interval;
# {"$m": "StepSpec", "f": [...], "s": [...]} a spec (its fields' values in the class's field
# order, and the names of the fields it was given); {"$d": {...}} a mapping of values (whose
# keys never start with "$", checked when writing). Then one line per file holds its raw values
# and positions, read only when a message needs a position in that file (they are most of the
# work of decoding; most runs print no message).


def _spec_classes() -> dict[str, tuple[Any, tuple[str, ...], frozenset[str], bool]]:
    """The classes a cache may build, by name, with their field names in order and as a set,
    and whether an object can be made by setting its fields directly (what
    ``model_construct`` does: no alias, extra, private attribute or post-init step to run)."""
    return {name: (cls, tuple(cls.model_fields), frozenset(cls.model_fields),
                   not cls.__pydantic_post_init__ and cls.model_config.get("extra") != "allow"
                   and not cls.__pydantic_root_model__ and not cls.__private_attributes__)
            for m in SPECS for name, cls in vars(m).items()
            if isinstance(cls, type) and issubclass(cls, pydantic.BaseModel)
            and cls.__module__ == m.__name__}


def _to_json(v: Any) -> Any:
    if v is None or isinstance(v, str | bool | int | float):
        return v
    if isinstance(v, Interval):
        return {"$i": [v.low, v.mid, v.high]}
    if isinstance(v, pydantic.BaseModel):
        return {"$m": type(v).__name__, "s": sorted(v.model_fields_set),
                "f": [_to_json(getattr(v, k)) for k in type(v).model_fields]}
    if isinstance(v, list):
        return [_to_json(x) for x in v]
    if isinstance(v, dict) and all(isinstance(k, str) and not k.startswith("$") for k in v):
        return {"$d": {k: _to_json(x) for k, x in v.items()}}
    raise TypeError(f"cannot cache a {type(v).__name__}")


def _hook(classes: dict[str, tuple[Any, tuple[str, ...], frozenset[str], bool]]) -> Any:
    """The decoder's ``object_hook``: each tagged object as it is built, innermost first (the
    JSON scanner walks the text in C; only objects reach Python, so a spec's fields are a
    list: one call per spec). The most frequent tag is tested first."""
    setter = object.__setattr__

    def build(v: dict[str, Any]) -> Any:
        name = v.get("$m")
        if name is not None:
            cls, order, names, direct = classes[name]  # a KeyError for a name not in the table
            given = v["f"]
            if type(given) is not list or len(given) != len(order):
                raise ValueError(f"a {name} of {len(given)} fields")  # a damaged cache: a miss
            fields = dict(zip(order, given, strict=True))
            if direct:
                m = cls.__new__(cls)
                setter(m, "__dict__", fields)
                setter(m, "__pydantic_fields_set__", names.intersection(v["s"]))
                setter(m, "__pydantic_extra__", None)
                setter(m, "__pydantic_private__", None)
                return m
            return cls.model_construct(_fields_set=names.intersection(v["s"]), **fields)
        if "$i" in v:
            low, mid, high = v["$i"]
            return Interval(float(low), float(mid), float(high))
        if "$d" in v:
            return v["$d"]
        return v  # a file's entry, the whole text

    return build


def _positions(path: str, rows: list[Any]) -> dict[PathKey, Position]:
    """Why unchecked: the file's SHA-256 matched and no one else could have written it."""
    return {tuple(row[:-2]): Position(path, row[-2], row[-1]) for row in rows}


class _Later:
    """Each file's line of the cache (its raw values and positions), decoded when first
    needed."""

    def __init__(self, text: bytes) -> None:
        self.text = text  # the lines after the first, split when one is first needed
        self.lines: list[bytes] | None = None
        self.decoded: dict[int, dict[str, Any]] = {}

    def line(self, i: int) -> dict[str, Any]:
        """File ``i``'s line; one that does not decode (it cannot happen once the cache's
        SHA-256 matched, short of a bug) gives no values, and messages the file's first line."""
        if i not in self.decoded:
            if self.lines is None:
                self.lines = self.text.split(b"\n")
            try:
                value = json.loads(self.lines[i])
            except (ValueError, IndexError):
                value = None
            self.decoded[i] = value if isinstance(value, dict) else {}
        return self.decoded[i]

    def table(self, i: int, which: str, path: str) -> dict[PathKey, Position]:
        try:
            return _positions(path, self.line(i).get(which, []))
        except (TypeError, ValueError, IndexError):
            return {}


_UNSET: Any = object()


class _CachedDocument(Document):
    """A cached registry file: its raw values (which nothing reads once the file is
    validated) and positions are decoded from its line when first asked for."""

    def __init__(self, path: str, sha256: str | None, later: _Later, i: int) -> None:
        # the fields set here, not by Document's __init__ (which would set ``data``)
        self.path, self.sha256, self._later, self._i, self._data = path, sha256, later, i, _UNSET
        self.values = Deferred(partial(later.table, i, "values", path))
        self.keys = Deferred(partial(later.table, i, "keys", path))

    @property
    def data(self) -> Any:
        if self._data is _UNSET:
            self._data = self._later.line(self._i).get("data")
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value


def _decode(payload: bytes, bundled: list[Path]) -> list[LoadedFile] | None:
    first, _, rest = payload.partition(b"\n")
    obj = json.loads(first, object_hook=_hook(_spec_classes()))
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        return None
    files = obj["files"]
    if not isinstance(files, list) or len(files) != len(bundled) or \
            rest.count(b"\n") != len(files) - 1:
        return None
    later = _Later(rest)
    out = []
    for i, (f, p) in enumerate(zip(files, bundled, strict=True)):
        spec, path = f["spec"], f["path"]
        if path != str(p) or not isinstance(spec, schema.FileSpec):
            return None
        doc = _CachedDocument(path, f.get("sha256"), later, i)
        out.append(LoadedFile(doc, spec, is_registry=True))
    return out


def _encode(files: list[LoadedFile]) -> bytes:
    def rows(table: Mapping[PathKey, Position]) -> list[list[Any]]:
        return [[*loc, p.line, p.col] for loc, p in table.items()]

    def text(obj: Any) -> bytes:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    return text({"format": FORMAT, "files": [
        {"path": f.doc.path, "sha256": f.doc.sha256, "spec": _to_json(f.spec)}
        for f in files]}) + b"".join(b"\n" + text(
            {"data": f.doc.data, "values": rows(f.doc.values), "keys": rows(f.doc.keys)})
            for f in files)
