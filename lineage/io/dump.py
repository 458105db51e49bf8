"""Hub-scale input: a dump of Hugging Face model metadata, JSON Lines or Parquet (issues 7, 12).

One model per line (or row); only ``id`` is required. Our flat lines::

    {"id": "org/name", "base_model": ["org/parent"], "base_model_relation": "finetune",
     "co2_eq_emissions": 1234.5, "downloads": 1200, "created_at": "2024-09-18",
     "params": "1.2B"}

and the Hub's own records (``baseModels``, ``cardData``, ``safetensors``, ``tags``…: see
:mod:`lineage.io.hubrecords`) are both read. ``co2_eq_emissions`` is in GRAMS, as on the Hub;
``base_model_relation`` absent → inferred as the Hub does (several bases → merge, otherwise
finetune). Parents absent from the dump become stub models with an unknown cost. The dump is
kept as columns (numpy arrays), never as a Python object per model.

Reading: :mod:`lineage.io.arrowread` reads the file with pyarrow (multithreaded) when it is
well-formed; a file it cannot take (a bad line, a field that changes type) is read here, line
by line with orjson, so that every bad line is named at ``path:line:col``.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any

from lineage.io.dumplines import Lines
from lineage.model.errors import InputError, InputErrors, Position
from lineage.model.hub import Hub

ARROW_MIN_BYTES = 32_000_000


def read_dump(path: Path, *, skip_bad: bool = False) -> Hub:
    """Read a hub dump into columns: JSON Lines (our flat lines or the Hub API's records) or a
    Parquet snapshot (told by its first bytes, ``PAR1``).

    Raises:
        InputErrors: bad lines (each at its line and the column of the offending key; in
            Parquet, at its row), unless ``skip_bad``, when they are left out and kept in
            ``Hub.skipped``; a file in which no record carries anything we read.
    """
    name = str(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise InputErrors([InputError(Position(name), f"cannot read: {exc.strerror}")]) \
            from None
    was_enabled = gc.isenabled()
    gc.disable()  # millions of small containers: the cyclic collector would rescan them all
    try:
        if magic == b"PAR1":
            from lineage.io.parquetrows import read_parquet

            return read_parquet(path).hub(skip_bad, lambda wanted: {})
        lines = None
        if size >= ARROW_MIN_BYTES:  # None: a file the fast reader does not take as it is
            from lineage.io.arrowread import read_json

            lines = read_json(path)
        if lines is None:
            lines = Lines(name)
            with path.open("rb") as f, progress(size, f"reading {path.name}",
                                                size > 20_000_000) as advance:
                lines.read(f, advance)
        return lines.hub(skip_bad, lambda wanted: _lines_at(path, wanted))
    finally:
        if was_enabled:
            gc.enable()


read_jsonl = read_dump  # its name before Parquet was read
# Below this size the line reader (orjson) is as fast as pyarrow's threads and spares their
# import: a 7 MB dump of 100,000 fine-tunes reads in 0.48 s line by line, 0.59 s + 0.08 s of
# import with pyarrow; the 194 MB synthetic Hub reads faster with pyarrow.


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
        self.total, self.label, self.shown = total, label, -1
        self.on = slow and sys.stderr.isatty()

    def __enter__(self) -> Any:
        return self.advance

    def advance(self, done: int) -> None:
        if not self.on:
            return
        percent = 100 * done // self.total
        if percent != self.shown:
            self.shown = percent
            bar = "#" * (percent // 4)
            sys.stderr.write(f"\r{self.label} [{bar:<25}] {percent:3d}%")

    def __exit__(self, *exc: object) -> None:
        if self.on:
            sys.stderr.write("\r" + " " * (len(self.label) + 35) + "\r")
