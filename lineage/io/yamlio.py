"""Read YAML files into plain values, keeping the position of every key and value.

Every scalar is read as a string (YAML 1.1's ``NO``, ``012`` and ``1:20`` stay as written);
numbers are parsed later by :mod:`lineage.model.units`. Duplicate keys, aliases that expand
beyond a budget (:data:`MAX_NODES` values or :data:`MAX_EXPANDED_CHARS` characters), nesting
deeper than :data:`MAX_DEPTH`, and files that are not regular files or are larger than
:data:`MAX_BYTES` are errors, so hostile files are answered quickly and in bounded memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lineage.io.reading import ReadRefused, read_limited
from lineage.model.errors import InputError, InputErrors, Position
from lineage.model.files import Document, PathKey

MAX_DEPTH = 64
MAX_NODES = 200_000
MAX_BYTES = 20_000_000
# Aliases may not make a document larger than the largest file could be written out in full:
# a 1 MB string aliased 3,000 times is 3 GB of text once a report copies it.
MAX_EXPANDED_CHARS = MAX_BYTES
_Loader: Any = getattr(yaml, "CBaseLoader", yaml.BaseLoader)

@dataclass
class _Open:
    """A mapping or sequence being built, with what it needs to finish."""

    value: Any
    loc: PathKey
    anchor: str | None
    size: int = 1
    chars: int = 0
    key: str | None = None  # a mapping's pending key
    key_pos: Position | None = None


class _Composer:
    """Build plain values from PyYAML's event stream, iteratively.

    Why: libyaml's own composer recurses in C and crashes on very deep input, and expanding
    aliases node by node lets a "billion laughs" file eat memory. Working on events keeps the
    depth and the expanded size in check before anything large is built, and every problem
    points at the exact alias or key that caused it.
    """

    def __init__(self, path: str) -> None:
        self.values: dict[PathKey, Position] = {}
        self.keys: dict[PathKey, Position] = {}
        self.doc = Document(path, None, self.values, self.keys)
        self.errors: list[InputError] = []
        self.anchors: dict[str, tuple[Any, int, int]] = {}
        self.count = 0
        self.chars = 0
        self.stack: list[_Open] = []

    def pos(self, event: Any) -> Position:
        mark = event.start_mark
        return Position(self.doc.path, mark.line + 1, mark.column + 1)

    def fail(self, event: Any, message: str) -> InputErrors:
        return InputErrors([InputError(self.pos(event), message)])

    def _loc(self) -> PathKey | None:
        """The path of the next value, or None when it is a mapping key."""
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.value, list):
            return (*top.loc, len(top.value))
        return None if top.key is None else (*top.loc, top.key)

    def _grow(self, event: Any, size: int, chars: int = 0) -> None:
        self.count += size
        self.chars += chars
        if self.count > MAX_NODES:
            raise self.fail(event, f"document has over {MAX_NODES:,} values once aliases are "
                            "expanded; refusing to read")
        if self.chars > MAX_EXPANDED_CHARS:
            raise self.fail(event, f"document has over {MAX_EXPANDED_CHARS:,} characters once "
                            "aliases are expanded; refusing to read")

    def _key(self, event: Any, key: str) -> None:
        self._grow(event, 0, len(key))
        top = self.stack[-1]
        top.key, top.key_pos = key, self.pos(event)
        top.chars += len(key)

    def _place(self, value: Any, size: int, chars: int, event: Any) -> None:
        """Attach a finished value to its parent (or make it the document)."""
        if not self.stack:
            self.doc.data = value
            return
        top = self.stack[-1]
        top.size += size
        top.chars += chars
        if isinstance(top.value, list):
            top.value.append(value)
            return
        assert top.key is not None
        if top.key in top.value:
            first = self.keys[(*top.loc, top.key)]
            self.errors.append(InputError(top.key_pos, f'duplicate key "{top.key}" (first '
                                          f"written at line {first.line})"))
        elif top.key == "<<":
            self.errors.append(InputError(top.key_pos, "merge keys (<<) are not supported"))
        else:
            assert top.key_pos is not None
            self.keys[(*top.loc, top.key)] = top.key_pos
            top.value[top.key] = value
        top.key, top.key_pos = None, None

    def _scalar_or_key(self, event: Any) -> None:
        loc = self._loc()
        if loc is None:  # a mapping key
            self._key(event, str(event.value))
            return
        value = str(event.value)
        self._value(event, value, loc, 1, len(value))

    def _value(self, event: Any, value: Any, loc: PathKey, size: int, chars: int) -> None:
        self._grow(event, size, chars)
        self.values.setdefault(loc, self.pos(event))
        anchor = getattr(event, "anchor", None)
        if anchor is not None and not isinstance(event, yaml.AliasEvent):
            self.anchors[anchor] = (value, size, chars)
        self._place(value, size, chars, event)

    def _open(self, event: Any, value: Any) -> None:
        loc = self._loc()
        if loc is None:
            raise self.fail(event, "keys must be plain text")
        if len(self.stack) > MAX_DEPTH:
            raise self.fail(event, f"nesting deeper than {MAX_DEPTH} levels")
        self._grow(event, 1)
        self.values.setdefault(loc, self.pos(event))
        self.stack.append(_Open(value, loc, event.anchor))

    def _close(self, event: Any) -> None:
        done = self.stack.pop()
        if done.anchor is not None:
            self.anchors[done.anchor] = (done.value, done.size, done.chars)
        self._place(done.value, done.size, done.chars, event)

    def _alias(self, event: Any) -> None:
        loc = self._loc()
        if event.anchor not in self.anchors:
            open_anchor = any(o.anchor == event.anchor for o in self.stack)
            name = f'"*{event.anchor}"'
            raise self.fail(event, f"alias {name} refers to its own anchor" if open_anchor
                            else f"YAML syntax error: undefined alias {name}")
        value, size, chars = self.anchors[event.anchor]
        if loc is None:
            if not isinstance(value, str):
                raise self.fail(event, "keys must be plain text")
            self._key(event, value)
            return
        self._value(event, value, loc, size, chars)

    def feed(self, event: Any) -> None:
        if isinstance(event, yaml.ScalarEvent):
            self._scalar_or_key(event)
        elif isinstance(event, yaml.MappingStartEvent):
            self._open(event, {})
        elif isinstance(event, yaml.SequenceStartEvent):
            self._open(event, [])
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            self._close(event)
        elif isinstance(event, yaml.AliasEvent):
            self._alias(event)


def _decode(path: str, raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):  # a UTF-16/32 mark
        name = "UTF-32" if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")) \
            else "UTF-16"  # UTF-32 LE starts as UTF-16 LE does
        raise InputErrors([InputError(Position(path, 1, 1), f"not UTF-8 text ({name}); save "
                                      "the file as UTF-8")])
    if b"\x00" in raw:
        raise InputErrors([InputError(_at(path, raw, raw.index(b"\x00")),
                                      "binary file: expected a UTF-8 YAML text file")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputErrors([InputError(_at(path, raw, exc.start),
                                      f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                                      "save the file as UTF-8")]) from None


def _at(path: str, raw: bytes, offset: int) -> Position:
    """Where byte ``offset`` of ``raw`` is: its line and its column, both from 1."""
    return Position(path, raw.count(b"\n", 0, offset) + 1, offset - raw.rfind(b"\n", 0, offset))


def _yaml_problem(path: str, text: str, exc: yaml.YAMLError) -> InputError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = Position(path, mark.line + 1, mark.column + 1) if mark else Position(path, 1, 1)
    problem = str(getattr(exc, "problem", None) or exc).strip()
    lines = text.splitlines()
    at = lines[mark.line][mark.column : mark.column + 1] if mark and mark.line < len(lines) else ""
    if at == "\t" or "'\\t'" in problem:
        problem = "tab character: YAML indentation must use spaces"
    elif problem.startswith("found undefined alias"):
        problem = problem.replace("found undefined alias", "undefined alias")
    return InputError(where, f"YAML syntax error: {problem}")


def _compose(path: str, text: str, loader: Any) -> _Composer:
    composer = _Composer(path)
    documents = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise composer.fail(event, "several YAML documents (---) in one file; "
                                    "write one document per file")
        composer.feed(event)
    return composer


def parse_text(path: str, text: str) -> Document:
    """Parse ``text`` (the content of ``path``) into a :class:`Document`.

    Raises:
        InputErrors: syntax errors, duplicate keys, empty files, alias bombs, deep nesting.

    Example:
        >>> d = parse_text("x.yaml", "a:\\n  b: NO\\n")
        >>> d.data, str(d.values[("a", "b")])
        ({'a': {'b': 'NO'}}, 'x.yaml:2:6')
    """
    try:
        composer = _compose(path, text, _Loader)
    except yaml.YAMLError as exc:
        if "maximum nesting depth" not in str(exc):
            raise InputErrors([_yaml_problem(path, text, exc)]) from None
        # Some libyaml builds stop at 1,000 levels while scanning ahead; the pure-Python
        # parser yields events lazily, so the composer stops at our own limit, in place.
        try:
            composer = _compose(path, text, yaml.BaseLoader)
        except yaml.YAMLError as inner:
            raise InputErrors([_yaml_problem(path, text, inner)]) from None
    if composer.doc.data is None:
        raise InputErrors([InputError(Position(path, 1, 1),
                                      'empty file: a lineage file starts with "lineage: 1"')])
    InputErrors.raise_if_any(composer.errors)
    return composer.doc


def read_file(path: Path) -> Document:
    """Read and parse one YAML file.

    Raises:
        InputErrors: not a regular file (a device, a named pipe: refused without waiting),
            larger than :data:`MAX_BYTES`, unreadable, or not valid YAML.
    """
    name = str(path)
    try:
        raw = read_limited(path, MAX_BYTES)
    except ReadRefused as exc:
        raise InputErrors([InputError(Position(name), f"cannot read: {exc}")]) from None
    doc = parse_text(name, _decode(name, raw))
    doc.sha256 = hashlib.sha256(raw).hexdigest()
    return doc


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named by ``paths``: a file as is, a folder as its ``*.yaml``/``*.yml`` files.

    Raises:
        InputErrors: a path that does not exist, or a folder with no YAML file.
    """
    out: list[Path] = []
    errors: list[InputError] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.suffix in (".yaml", ".yml") and q.is_file())
            if not found:
                errors.append(InputError(Position(str(p)), "folder holds no *.yaml file"))
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            errors.append(InputError(Position(str(p)), "no such file or folder"))
    InputErrors.raise_if_any(errors)
    return out
