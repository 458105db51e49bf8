"""``lineage index``: a hub dump compiled into one binary file that opens instantly (issue 7).

Layout: the magic ``LINEAGE-HUB\\n``, a little-endian u64 header length, a JSON header
(format version, the dump it came from, one ``{dtype, shape, offset, crc32}`` entry per
column, and last the header's own CRC-32 computed with its eight hex digits as zeros), then
each column's raw bytes, aligned to 64 bytes. Opening checks the header (its checksum, types,
ranges, every column inside the file) and every column's CRC-32, so a damaged file is refused
at once, never read as other numbers (issue 16; CRC-32 finds every single-bit flip and every
burst of up to 32 bits). Reading maps the file into memory
(``numpy.memmap``): nothing is parsed or copied until a query touches it, so opening a
1.9-million-model index costs milliseconds. Ids are one UTF-8 blob with offsets, plus the
order that sorts them, so a look-up is a binary search, not a dictionary of millions of
strings.
"""

from __future__ import annotations

import itertools
import json
import struct
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lineage.model.errors import InputError, InputErrors, Position
from lineage.model.hub import Hub

MAGIC = b"LINEAGE-HUB\n"
VERSION = 3
ALIGN = 64
HEAD = len(MAGIC) + 8  # the magic, the header length
MAX_HEADER = 1_000_000
_CRC_KEY = b', "crc32": "'  # the header's last key; its value is 8 hex digits and '"}'
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
                                  "offset": offset, "crc32": zlib.crc32(a.data)}
        offset += -(-a.nbytes // ALIGN) * ALIGN
    header["crc32"] = "0" * 8
    text = json.dumps(header).encode("utf-8")
    text = text[:-10] + b"%08x" % zlib.crc32(text) + text[-2:]
    start = -(-(HEAD + len(text)) // ALIGN) * ALIGN
    body = bytearray(start + offset)
    body[: len(MAGIC)] = MAGIC
    body[len(MAGIC): HEAD] = struct.pack("<Q", len(text))
    body[HEAD: HEAD + len(text)] = text
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
        if a.dtype.kind not in "iu" or offsets.dtype.kind not in "iu":
            raise ValueError(f"column {key} does not hold positions")
        if a.size != size or (size and (a.min() < 0 or a.max() >= bound)):
            raise ValueError(f"column {key} points outside the index")
    for key in COLUMNS:
        if arrays[key].size != (e if key in ("parent", "child") else n):
            raise ValueError(f"column {key} has the wrong length")


def _header(mm: np.ndarray) -> tuple[dict[str, Any], int]:
    """The checked header and where the columns start.

    Raises:
        ValueError: the first problem found.
    """
    (size,) = struct.unpack("<Q", mm[len(MAGIC): HEAD].tobytes())
    if size > min(MAX_HEADER, mm.size - HEAD):
        raise ValueError("the header is cut short")
    text = mm[HEAD: HEAD + size].tobytes()
    zeroed = text[:-10] + b"0" * 8 + text[-2:]
    if text[-22:-10] != _CRC_KEY or text[-2:] != b'"}' or \
            text[-10:-2] != b"%08x" % zlib.crc32(zeroed):
        raise ValueError("the header's checksum does not match")
    header = json.loads(text)
    if not isinstance(header, dict) or header.get("version") != VERSION:
        found = header.get("version") if isinstance(header, dict) else None
        raise ValueError(f"format version {found}, expected {VERSION}")
    for key in ("n_models", "skipped"):
        if type(header.get(key)) is not int or header[key] < 0:
            raise ValueError(f"{key} is not a count")
    if not isinstance(header.get("source"), str) or not isinstance(header.get("arrays"), dict):
        raise ValueError("the header lacks its source or its columns")
    return header, -(-(HEAD + size) // ALIGN) * ALIGN


def _column(mm: np.ndarray, key: str, spec: Any, start: int) -> np.ndarray:
    """One column, mapped, once its description is checked (its checksum: :func:`_verify`).

    Raises:
        ValueError: a bad description or a column outside the file.
    """
    if not isinstance(spec, dict) or not isinstance(spec.get("dtype"), str):
        raise ValueError(f"column {key} is not described")
    dtype = np.dtype(spec["dtype"])
    shape, offset, crc = spec.get("shape"), spec.get("offset"), spec.get("crc32")
    if dtype.kind not in "biuf" or dtype.itemsize > 8 or not (
            isinstance(shape, list) and len(shape) == 1 and type(shape[0]) is int
            and shape[0] >= 0 and type(offset) is int and offset >= 0 and type(crc) is int):
        raise ValueError(f"column {key} is not described")
    at = start + offset
    if at + shape[0] * dtype.itemsize > mm.size:
        raise ValueError(f"column {key} is cut short")
    return np.frombuffer(mm, dtype=dtype, count=shape[0], offset=at)


def _verify(arrays: dict[str, np.ndarray], header: dict[str, Any]) -> None:
    """Raises ValueError for the first column whose CRC-32 does not match."""
    for key, a in arrays.items():
        if zlib.crc32(a.data) != header["arrays"][key]["crc32"]:
            raise ValueError(f"column {key}'s checksum does not match")


def _map(path: Path) -> np.ndarray:
    """The file mapped into memory, once it is known to be a regular file (a named pipe
    would block the opening).

    Raises:
        InputErrors: not a regular file, unreadable or empty.
    """
    import os

    from lineage.io.reading import ReadRefused, open_regular

    name = str(path)
    try:
        fd, _ = open_regular(path)
    except ReadRefused as exc:
        raise InputErrors([InputError(Position(name), f"cannot read: {exc}")]) from None
    with os.fdopen(fd, "rb") as f:
        try:
            return np.memmap(f, dtype=np.uint8, mode="r")
        except (OSError, ValueError) as exc:
            raise InputErrors([InputError(Position(name), f"cannot read: {exc}")]) from None


def read_index(path: Path) -> Hub:
    """Open an index written by :func:`write_index` (memory-mapped).

    Raises:
        InputErrors: not an index, another format version, or a damaged or truncated file
            (every column's checksum is checked).
    """
    name = str(path)
    mm = _map(path)
    if mm.size < HEAD or mm[: len(MAGIC)].tobytes() != MAGIC:
        raise InputErrors([InputError(Position(name, 1, 1), "not a lineage hub index (make "
                                      "one with lineage index DUMP.jsonl -o FILE.lineage)")])
    try:
        header, start = _header(mm)
        arrays = {key: _column(mm, key, spec, start) for key, spec in header["arrays"].items()}
        _check(arrays, header["n_models"])
        _verify(arrays, header)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        reason = str(exc).strip(chr(39)) if not isinstance(exc, RecursionError) else \
            "the header nests too deeply"
        raise InputErrors([InputError(Position(name, 1, 1), f"damaged lineage hub index: "
                                      f"{reason} (rebuild it with lineage index)")]) from None
    ids = _BlobIds(arrays["id_blob"], arrays["id_offsets"], arrays["id_order"])
    return Hub(path=header["source"], ids=ids, n_models=header["n_models"],
               line=arrays["line"], parent=arrays["parent"], child=arrays["child"],
               relation=arrays["relation"], inferred=arrays["inferred"],
               emissions_g=arrays["emissions_g"], downloads=arrays["downloads"],
               params=arrays["params"], created=arrays["created"].view("datetime64[D]"),
               parent_order=arrays["by_parent"], finder=ids.find)
