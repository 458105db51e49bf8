"""A file as read: its values with the position of each (:class:`Document`), and the checked
file (:class:`LoadedFile`). Readers in :mod:`lineage.io` make them; everything else reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from lineage.model.errors import Position
from lineage.model.schema import FileSpec

PathKey = tuple[str | int, ...]


@dataclass
class Document:
    """One YAML file: its values and where each of them was written."""

    path: str
    data: Any
    values: Mapping[PathKey, Position] = field(default_factory=dict)
    keys: Mapping[PathKey, Position] = field(default_factory=dict)
    sha256: str | None = None  # of the bytes read, for every result's "inputs" block

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


class Deferred(Mapping[PathKey, Position]):
    """Positions built when first looked up: a cached file's thousands of positions serve only
    messages, which most runs never print."""

    def __init__(self, build: Callable[[], dict[PathKey, Position]]) -> None:
        self._build: Callable[[], dict[PathKey, Position]] | None = build
        self._table: dict[PathKey, Position] = {}

    def _get(self) -> dict[PathKey, Position]:
        if self._build is not None:
            self._table, self._build = self._build(), None
        return self._table

    def __getitem__(self, key: PathKey) -> Position:
        return self._get()[key]

    def __iter__(self) -> Iterator[PathKey]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


@dataclass(frozen=True)
class LoadedFile:
    """A validated file with the document it came from."""

    doc: Document
    spec: FileSpec
    is_registry: bool = False
