"""``lineage index``: a hub dump compiled into one binary file that opens instantly (issue 7).

Layout: the magic ``LINEAGE-HUB\\n``, a little-endian u64 header length, a JSON header
(format version, the dump it came from, one ``{dtype, shape, offset}`` entry per column),
then each column's raw bytes, aligned to 64 bytes. Reading maps the file into memory
(``numpy.memmap``): nothing is parsed or copied until a query touches it, so opening a
1.9-million-model index costs milliseconds. Ids are one UTF-8 blob with offsets, plus the
order that sorts them, so a look-up is a binary search, not a dictionary of millions of
strings.
"""

from __future__ import annotations

import itertools
import json
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lineage.model.errors import InputError, InputErrors, Position
from lineage.model.hub import Hub

MAGIC = b"LINEAGE-HUB\n"
VERSION = 2
ALIGN = 64
COLUMNS = ("line", "parent", "child", "relation", "inferred", "emissions_g", "downloads",
           "params", "created")


def write_index(hub: Hub, path: Path) -> int:
    """Write ``hub`` to ``path`` atomically; returns the file size in bytes."""
    from lineage.io.atomic import write_atomic
    from lineage.io.dump import progress

    with progress(4, f"writing {path.name}", hub.n > 200_000) as advance:
        return _write(hub, path, advance, write_atomic)


def _write(hub: Hub, path: Path, advance: Any, write_atomic: Any) -> int:
    encoded = [m.encode("utf-8") for m in hub.ids]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)),
              out=offsets[1:])
    folded = [m.lower().encode("utf-8") for m in hub.ids]  # Hub ids ignore case
    advance(1)
    order = np.array(sorted(range(len(folded)), key=folded.__getitem__), dtype=np.int64)
    advance(2)
    arrays: dict[str, np.ndarray] = {
        "id_blob": np.frombuffer(b"".join(encoded), dtype=np.uint8),
        "id_offsets": offsets, "id_order": order, "by_parent": hub.by_parent,
    }
    for name in COLUMNS:
        value = getattr(hub, name)
        arrays[name] = value.view(np.int64) if name == "created" else value
    header: dict[str, Any] = {"version": VERSION, "source": hub.path, "n_models": hub.n_models,
                              "skipped": len(hub.skipped), "arrays": {}}
    offset = 0
    for name, a in arrays.items():
        a = np.ascontiguousarray(a)
        arrays[name] = a
        header["arrays"][name] = {"dtype": a.dtype.str, "shape": list(a.shape),
                                  "offset": offset}
        offset += -(-a.nbytes // ALIGN) * ALIGN
    text = json.dumps(header).encode("utf-8")
    start = -(-(len(MAGIC) + 8 + len(text)) // ALIGN) * ALIGN
    body = bytearray(start + offset)
    body[: len(MAGIC)] = MAGIC
    body[len(MAGIC): len(MAGIC) + 8] = struct.pack("<Q", len(text))
    body[len(MAGIC) + 8: len(MAGIC) + 8 + len(text)] = text
    for name, a in arrays.items():
        at = start + header["arrays"][name]["offset"]
        body[at: at + a.nbytes] = a.tobytes()
    advance(3)
    write_atomic(path, bytes(body), inputs=[Path(hub.path)])
    advance(4)
    return len(body)


class _BlobIds(Sequence[str]):
    """The ids of an index, decoded one at a time from the mapped blob."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray, order: np.ndarray) -> None:
        self.blob, self.offsets, self.order = blob, offsets, order

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def raw(self, i: int) -> bytes:
        return self.blob[self.offsets[i]: self.offsets[i + 1]].tobytes()

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            lo, hi, step = i.indices(len(self))
            if step != 1:
                return [self[k] for k in range(lo, hi, step)]
            data = self.blob[self.offsets[lo]: self.offsets[hi]].tobytes()
            cuts = (self.offsets[lo: hi + 1] - self.offsets[lo]).tolist()
            return [data[a:b].decode("utf-8") for a, b in itertools.pairwise(cuts)]
        if i < 0:
            i += len(self)
        return self.raw(int(i)).decode("utf-8")

    def folded(self, k: int) -> bytes:
        return self.raw(int(self.order[k])).decode("utf-8").lower().encode("utf-8")

    def find(self, names: Iterable[str]) -> dict[str, int]:
        """Binary search of each name, without case, in the ids sorted without case; among
        ids that differ only by case, the exact spelling wins, else the first line."""
        out: dict[str, int] = {}
        for name in set(names):
            key = name.lower().encode("utf-8")
            lo, hi = 0, len(self.order)
            while lo < hi:
                mid = (lo + hi) // 2
                if self.folded(mid) < key:
                    lo = mid + 1
                else:
                    hi = mid
            same = []
            while lo < len(self.order) and self.folded(lo) == key:
                same.append(int(self.order[lo]))
                lo += 1
            if same:
                exact = [i for i in same if self[i] == name]
                out[name] = min(exact or same)
        return out


def _check(arrays: dict[str, np.ndarray], n_models: int) -> None:
    """Cheap checks that every index points inside its array (min and max, no full scan of
    the ids), so that a damaged file is refused here rather than failing later.

    Raises:
        ValueError: the first problem found.
    """
    for key in ("id_blob", "id_offsets", "id_order", "by_parent", *COLUMNS):
        if key not in arrays:
            raise ValueError(f"column {key} is missing")
    offsets = arrays["id_offsets"]
    n, e = offsets.size - 1, arrays["parent"].size
    if n < n_models or offsets[0] != 0 or offsets[-1] != arrays["id_blob"].size:
        raise ValueError("the ids do not fit their offsets")
    for key, size, bound in (("id_order", n, n), ("parent", e, n), ("child", e, n),
                             ("by_parent", e, e)):
        a = arrays[key]
        if a.size != size or (size and (a.min() < 0 or a.max() >= bound)):
            raise ValueError(f"column {key} points outside the index")
    for key in COLUMNS:
        if arrays[key].size != (e if key in ("parent", "child") else n):
            raise ValueError(f"column {key} has the wrong length")


def read_index(path: Path) -> Hub:
    """Open an index written by :func:`write_index` (memory-mapped).

    Raises:
        InputErrors: not an index, another format version, or a truncated file.
    """
    name = str(path)
    try:
        mm = np.memmap(path, dtype=np.uint8, mode="r")
    except (OSError, ValueError) as exc:
        raise InputErrors([InputError(Position(name), f"cannot read: {exc}")]) from None
    head = len(MAGIC) + 8
    if mm.size < head or mm[: len(MAGIC)].tobytes() != MAGIC:
        raise InputErrors([InputError(Position(name, 1, 1), "not a lineage hub index (make "
                                      "one with lineage index DUMP.jsonl -o FILE.lineage)")])
    (size,) = struct.unpack("<Q", mm[len(MAGIC): head].tobytes())
    try:
        header = json.loads(mm[head: head + size].tobytes())
        if header.get("version") != VERSION:
            raise ValueError(f"format version {header.get('version')}, expected {VERSION}")
        start = -(-(head + size) // ALIGN) * ALIGN
        arrays = {}
        for key, spec in header["arrays"].items():
            dtype = np.dtype(spec["dtype"])
            count = int(np.prod(spec["shape"]))
            at = start + spec["offset"]
            if at + count * dtype.itemsize > mm.size:
                raise ValueError(f"column {key} is cut short")
            arrays[key] = np.frombuffer(mm, dtype=dtype, count=count, offset=at)
        _check(arrays, int(header["n_models"]))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputErrors([InputError(Position(name, 1, 1), f"damaged lineage hub index: "
                                      f"{str(exc).strip(chr(39))} (rebuild it with lineage "
                                      "index)")]) from None
    ids = _BlobIds(arrays["id_blob"], arrays["id_offsets"], arrays["id_order"])
    return Hub(path=str(header["source"]), ids=ids, n_models=int(header["n_models"]),
               line=arrays["line"], parent=arrays["parent"], child=arrays["child"],
               relation=arrays["relation"], inferred=arrays["inferred"],
               emissions_g=arrays["emissions_g"], downloads=arrays["downloads"],
               params=arrays["params"], created=arrays["created"].view("datetime64[D]"),
               parent_order=arrays["by_parent"], finder=ids.find)
