"""Read YAML files into plain values, keeping the position of every key and value.

Every scalar is read as a string (YAML 1.1's ``NO``, ``012`` and ``1:20`` stay as written);
numbers are parsed later by :mod:`lineage.units`. Duplicate keys, aliases that expand
beyond a budget, and nesting deeper than :data:`MAX_DEPTH` are errors, so hostile files
are answered quickly and in bounded memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lineage.errors import InputError, InputErrors, Position

MAX_DEPTH = 64
MAX_NODES = 200_000
MAX_BYTES = 20_000_000
_Loader: Any = getattr(yaml, "CBaseLoader", yaml.BaseLoader)

PathKey = tuple[str | int, ...]


@dataclass
class Document:
    """One YAML file: its values and where each of them was written."""

    path: str
    data: Any
    values: dict[PathKey, Position] = field(default_factory=dict)
    keys: dict[PathKey, Position] = field(default_factory=dict)

    def at(self, loc: PathKey, *, key: bool = False) -> Position:
        """The position of ``loc`` (its key when ``key``), or of its nearest written parent."""
        table = self.keys if key else self.values
        probe = tuple(loc)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), Position(self.path, 1, 1))


class _Converter:
    def __init__(self, path: str) -> None:
        self.doc = Document(path, None)
        self.errors: list[InputError] = []
        self.count = 0

    def pos(self, node: yaml.Node) -> Position:
        mark = node.start_mark
        return Position(self.doc.path, mark.line + 1, mark.column + 1)

    def convert(self, node: yaml.Node, loc: PathKey, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise InputErrors([InputError(self.pos(node), f"document has over {MAX_NODES:,} "
                                          "values once aliases are expanded; refusing to read")])
        if depth > MAX_DEPTH:
            raise InputErrors([InputError(self.pos(node),
                                          f"nesting deeper than {MAX_DEPTH} levels")])
        self.doc.values[loc] = self.pos(node)
        if isinstance(node, yaml.ScalarNode):
            return str(node.value)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*loc, i), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.MappingNode)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.errors.append(InputError(self.pos(key_node), "keys must be plain text"))
                continue
            key = str(key_node.value)
            if key == "<<":
                self.errors.append(InputError(self.pos(key_node),
                                              "merge keys (<<) are not supported"))
                continue
            if key in out:
                first = self.doc.keys[(*loc, key)]
                self.errors.append(InputError(
                    self.pos(key_node), f'duplicate key "{key}" (first written at line '
                    f"{first.line})"))
                continue
            self.doc.keys[(*loc, key)] = self.pos(key_node)
            out[key] = self.convert(value_node, (*loc, key), depth + 1)
        return out


def _decode(path: str, raw: bytes) -> str:
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise InputErrors([InputError(Position(path, line, 1),
                                      "binary file: expected a UTF-8 YAML text file")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise InputErrors([InputError(Position(path, line, col),
                                      f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                                      "save the file as UTF-8")]) from None


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
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.YAMLError as exc:
        raise InputErrors([_yaml_problem(path, text, exc)]) from None
    except RecursionError:
        raise InputErrors([InputError(Position(path, 1, 1),
                                      f"nesting deeper than {MAX_DEPTH} levels")]) from None
    if len(nodes) > 1:
        second = nodes[1].start_mark if nodes[1] is not None else None
        where = Position(path, second.line + 1, 1) if second else Position(path, 1, 1)
        raise InputErrors([InputError(where, "several YAML documents (---) in one file; "
                                             "write one document per file")])
    if not nodes or nodes[0] is None:
        raise InputErrors([InputError(Position(path, 1, 1),
                                      'empty file: a lineage file starts with "lineage: 1"')])
    conv = _Converter(path)
    conv.doc.data = conv.convert(nodes[0], (), 0)
    InputErrors.raise_if_any(conv.errors)
    return conv.doc


def read_file(path: Path) -> Document:
    """Read and parse one YAML file."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputErrors([InputError(Position(name), f"file is {size:,} bytes; the limit "
                                          f"is {MAX_BYTES:,}")])
        raw = path.read_bytes()
    except OSError as exc:
        raise InputErrors([InputError(Position(name), f"cannot read: {exc.strerror}")]) from None
    return parse_text(name, _decode(name, raw))


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


def read_all(paths: Iterable[Path]) -> list[Document]:
    """Read every file, collecting the problems of all of them before raising."""
    docs: list[Document] = []
    errors: list[InputError] = []
    for p in paths:
        try:
            docs.append(read_file(p))
        except InputErrors as exc:
            errors.extend(exc.errors)
    InputErrors.raise_if_any(errors)
    return docs
