"""Arrow arrays to numpy and back through their buffers (issues 7, 12).

pyarrow's own conversions (``to_numpy``, ``pa.array``, a Python scalar given to a kernel)
ask pandas whether a value is one of its own, which imports pandas when it is installed:
0.15 s of a command's start-up, for nothing. The readers use these instead; each reads or
builds the buffers of the array as the Arrow format lays them out.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def numbers(arr: Any) -> np.ndarray:
    """A fixed-width arrow array's values as a numpy view, without a copy (the values under
    a null are whatever the buffer holds: see :func:`valid`)."""
    import pyarrow as pa

    width = arr.type.bit_width // 8
    kind = "f" if pa.types.is_floating(arr.type) else \
        "u" if pa.types.is_unsigned_integer(arr.type) else "i"
    return np.frombuffer(arr.buffers()[1], dtype=np.dtype(f"<{kind}{width}"), count=len(arr),
                         offset=arr.offset * width)


def bits(arr: Any, which: int, missing: bool = False) -> np.ndarray:
    """A bitmap of ``arr`` (0: validity, 1: boolean values) as a bool array (all ``missing``
    when there is none)."""
    buf = arr.buffers()[which]
    if buf is None:
        return np.full(len(arr), missing)
    end = arr.offset + len(arr)
    raw = np.frombuffer(buf, dtype=np.uint8, count=-(-end // 8))
    return np.unpackbits(raw, bitorder="little")[arr.offset: end].astype(bool)


def valid(arr: Any) -> np.ndarray:
    """Where ``arr`` holds a value (not null)."""
    return bits(arr, 0, True)


def flags(arr: Any) -> np.ndarray:
    """A boolean arrow array as a bool array, a null read as False."""
    out: np.ndarray = bits(arr, 1) & valid(arr)
    return out


def filled(values: Any, fill: Any = 0, dtype: Any = np.int64) -> np.ndarray:
    """A fixed-width arrow array as a numpy array of ``dtype`` (int64 unless told: float64
    for counts, datetime64[D] for a date32), a null read as ``fill``."""
    out = numbers(values).astype(dtype)
    if values.null_count:
        out[~valid(values)] = fill
    return out


def indices(values: np.ndarray) -> Any:
    """An int64 arrow array over a numpy array (positions for ``take``)."""
    import pyarrow as pa

    values = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


def strings(values: list[str]) -> Any:
    """A string arrow array of ``values``."""
    import pyarrow as pa

    encoded = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)),
              out=offsets[1:])
    return pa.LargeStringArray.from_buffers(len(encoded), pa.py_buffer(offsets),
                                            pa.py_buffer(b"".join(encoded))).cast(pa.string())
