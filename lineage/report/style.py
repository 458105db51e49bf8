"""Text that fits the terminal: tables wrapped to its width (full width when piped), colour on
a terminal only (``NO_COLOR`` turns it off, ``FORCE_COLOR`` on; https://no-color.org).

Only the standard library: nothing here slows a command's start.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from collections.abc import Iterable
from typing import TextIO

MIN_COLUMN = 8  # a column is never wrapped narrower than this
MAX_CELL_LINES = 3  # a wrapped cell longer than this is elided with "…"


def terminal_width(stream: TextIO | None = None) -> int | None:
    """The width to fit text to: the terminal's, ``COLUMNS`` when set, or None (piped: no limit).

    Example:
        >>> import io
        >>> terminal_width(io.StringIO()) is None or "COLUMNS" in os.environ
        True
    """
    stream = stream or sys.stdout
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if _is_tty(stream):
        return shutil.get_terminal_size().columns
    return None


def use_colour(stream: TextIO | None = None) -> bool:
    """Colour on a terminal only; a non-empty ``NO_COLOR`` wins over ``FORCE_COLOR``."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return _is_tty(stream or sys.stdout)


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _widths(columns: list[list[str]], width: int, gap: int) -> list[int]:
    """Shrink the widest shrinkable column, one character at a time, until the row fits
    ``width``; a column keeps its longest word (up to 16 characters) whole."""
    widths = [max(len(x) for x in col) for col in columns]
    floors = [max(MIN_COLUMN, min(16, max(len(w) for x in col for w in x.split() or [""])))
              for col in columns]
    for floor in (floors, [MIN_COLUMN] * len(widths)):  # words whole if possible, else not
        while sum(widths) + gap * (len(widths) - 1) > width:
            shrinkable = [j for j in range(len(widths)) if widths[j] > floor[j]]
            if not shrinkable:
                break
            widths[max(shrinkable, key=lambda j: widths[j])] -= 1
    return widths  # may still be too wide: then the terminal wraps what is left


def fit_table(header: Iterable[str], rows: list[list[str]], width: int | None = None,
              colour: bool = False) -> str:
    """Columns padded (numbers right-aligned), wrapped inside their cells to fit ``width``.

    Example:
        >>> print(fit_table(("model", "note"), [["a", "one two three four"]], width=16), end="")
        model  note
        -----  ---------
        a      one two
               three
               four
    """
    head = [str(h) for h in header]
    cells = [[str(c) for c in row] for row in rows]
    columns = [list(col) for col in zip(head, *cells, strict=False)]
    widths = ([max(len(x) for x in col) for col in columns] if width is None
              else _widths(columns, width, 2))
    out = []
    for i, row in enumerate([head, *cells]):
        wrapped = [_wrap(c, w) for c, w in zip(row, widths, strict=False)]
        for k in range(max(len(w) for w in wrapped)):
            parts = []
            for j, (lines, w) in enumerate(zip(wrapped, widths, strict=False)):
                cell = lines[k] if k < len(lines) else ""
                right = i > 0 and j > 0 and (cell[:1].isdigit() or cell.startswith("≥"))
                parts.append(cell.rjust(w) if right else cell.ljust(w))
            line = "  ".join(parts).rstrip()
            out.append(f"\x1b[1m{line}\x1b[0m" if colour and i == 0 else line)  # a bold header
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out) + "\n"


def _wrap(cell: str, width: int) -> list[str]:
    """A cell's lines: wrapped to ``width``, at most :data:`MAX_CELL_LINES`, the rest elided."""
    lines = textwrap.wrap(cell, width, break_on_hyphens=False) or [""]
    if len(lines) > MAX_CELL_LINES:
        lines = lines[:MAX_CELL_LINES]
        lines[-1] = lines[-1][: width - 1] + "…"
    return lines


def fit_lines(text: str, width: int | None) -> str:
    """Wrap each line longer than ``width``, continuing under its own indent plus four."""
    if width is None:
        return text
    out = []
    for line in text.splitlines():
        if len(line) <= width:
            out.append(line)
            continue
        indent = " " * (len(line) - len(line.lstrip(" ")))
        out += textwrap.wrap(line, width, initial_indent="", subsequent_indent=indent + "    ",
                             break_on_hyphens=False, break_long_words=False) or [line]
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")
