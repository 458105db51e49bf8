"""Look-up tables for hardware, grids, tasks and equivalents, gathered from every loaded
file (the registry first, then the user's files, which may add their own entries).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from lineage.model.errors import InputError, Position, did_you_mean
from lineage.model.files import LoadedFile
from lineage.model.schema import EquivalentSpec, GridSpec, HardwareSpec, TaskSpec

_VENDOR_WORDS = frozenset({"nvidia", "amd", "google", "intel", "habana", "instinct", "cloud"})
T = TypeVar("T")


def hardware_key(name: str) -> frozenset[str]:
    """The order-free token set a hardware name is matched by.

    Example:
        >>> hardware_key("NVIDIA A100-SXM4-80GB") == hardware_key("a100 80gb sxm4")
        True
    """
    return frozenset(re.findall(r"[a-z0-9]+", name.lower())) - _VENDOR_WORDS


def grid_key(name: str) -> str:
    """Grids match case-insensitively, ignoring spaces, underscores and hyphens.

    Example:
        >>> grid_key("US West_Coast-2") == grid_key("uswestcoast2")
        True
    """
    return "".join(name.lower().split()).replace("_", "").replace("-", "")


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One catalog entry with the file and place it was declared at."""

    id: str
    spec: T
    file: LoadedFile
    table: str  # its key in the file: hardware, grids, tasks or equivalents

    @property
    def where(self) -> Position:
        return self.file.doc.at((self.table, self.id), key=True)


@dataclass
class Table(Generic[T]):
    """Entries by id, with an alias index; ``what`` names the table in messages."""

    what: str
    normalize: Callable[[str], object] = grid_key
    entries: dict[str, Entry[T]] = field(default_factory=dict)
    index: dict[object, str] = field(default_factory=dict)

    def add(self, entry: Entry[T], aliases: list[str], errors: list[InputError]) -> None:
        if entry.id in self.entries:
            first = self.entries[entry.id].where
            errors.append(InputError(entry.where, f'duplicate {self.what} id "{entry.id}" '
                                     f"(also defined at {first})"))
            return
        self.entries[entry.id] = entry
        for name in [entry.id, *aliases]:
            key = self.normalize(name)
            owner = self.index.get(key)
            if owner is not None and owner != entry.id:
                errors.append(InputError(entry.where, f'{self.what} alias "{name}" of '
                                         f'"{entry.id}" already names "{owner}"'))
                continue
            self.index[key] = entry.id

    def find(self, name: str) -> Entry[T] | None:
        """The entry that ``name`` (an id or alias) names, or None."""
        got = self.index.get(self.normalize(name))
        return self.entries[got] if got is not None else None

    def unknown(self, name: str, where: Position) -> InputError:
        """The error for a name that matches nothing, with a suggestion (the closest id or
        name) and, for hardware, the way out: its rated power written as ``power:``."""
        names = list(self.entries)
        if self.normalize is hardware_key:  # "RTX 4090" is closer to a name than to an id
            names += [str(getattr(e.spec, "name", "") or e.id) for e in self.entries.values()]
        message = f'unknown {self.what} "{name}"' + did_you_mean(name, names)
        if self.normalize is hardware_key:
            message += (" If it is not listed (lineage registry hardware), write its rated "
                        'power instead of "hardware", e.g. "power: 300 W"')
        return InputError(where, message)


@dataclass
class Catalog:
    """Hardware, grids, tasks and equivalents from all loaded files."""

    hardware: Table[HardwareSpec] = field(
        default_factory=lambda: Table("hardware", hardware_key))
    grids: Table[GridSpec] = field(default_factory=lambda: Table("grid"))
    tasks: Table[TaskSpec] = field(default_factory=lambda: Table("task"))
    equivalents: Table[EquivalentSpec] = field(default_factory=lambda: Table("equivalent"))

    @classmethod
    def build(cls, files: list[LoadedFile], errors: list[InputError]) -> Catalog:
        """Gather every table entry of ``files``, appending duplicate ids to ``errors``."""
        cat = cls()
        for f in files:
            s = f.spec
            for hid, hw in s.hardware.items():
                cat.hardware.add(Entry(hid, hw, f, "hardware"),
                                 hw.aliases, errors)
            for gid, grid in s.grids.items():
                cat.grids.add(Entry(gid, grid, f, "grids"),
                              grid.aliases, errors)
            for tid, task in s.tasks.items():
                cat.tasks.add(Entry(tid, task, f, "tasks"), [],
                              errors)
            for eid, eq in s.equivalents.items():
                cat.equivalents.add(Entry(eid, eq, f, "equivalents"),
                                    [], errors)
        return cat
