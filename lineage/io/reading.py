"""Read a file without trusting it: a regular file only, opened once, at most a given size.

Why: ``Path.read_bytes`` on ``/dev/zero`` grows without end, and opening a named pipe (FIFO)
waits forever for a writer. Opening with ``O_NONBLOCK`` returns at once whatever the file is;
the opened descriptor (not the path, which could be swapped in between) is then checked.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"),
          (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


class ReadRefused(Exception):
    """A file that is not read: not a regular file, too large, or an OS error (the reason is
    ``str(exc)``, a short phrase without the path)."""


def kind_of(mode: int) -> str:
    """How a file that is not a regular file is named in a message."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def open_regular(path: str | Path, *, nofollow: bool = False,
                 dir_fd: int | None = None) -> tuple[int, os.stat_result]:
    """Open ``path`` for reading without blocking; return the descriptor and its ``fstat``.

    Raises:
        ReadRefused: the path cannot be opened, or it is not a regular file.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if nofollow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, dir_fd=dir_fd)
    except OSError as exc:
        raise ReadRefused(exc.strerror or str(exc)) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise ReadRefused(f"not a regular file ({kind_of(st.st_mode)})")
    return fd, st


def read_fd(fd: int, st: os.stat_result, limit: int) -> bytes:
    """Read an open regular file of at most ``limit`` bytes; the descriptor is closed.

    Raises:
        ReadRefused: the file is larger than ``limit`` (or grew past it while read).
    """
    with os.fdopen(fd, "rb") as f:
        if st.st_size > limit:
            raise ReadRefused(f"file is {st.st_size:,} bytes; the limit is {limit:,}")
        try:
            data = f.read(limit + 1)
        except OSError as exc:
            raise ReadRefused(exc.strerror or str(exc)) from None
    if len(data) > limit:
        raise ReadRefused(f"file is over {limit:,} bytes, the limit")
    return data


def read_limited(path: str | Path, limit: int) -> bytes:
    """The bytes of the regular file ``path``, refused beyond ``limit`` bytes.

    Raises:
        ReadRefused: not a regular file (a folder, a device, a named pipe…), too large, or
            unreadable.

    Example:
        >>> read_limited("/dev/zero", 10)
        Traceback (most recent call last):
        ...
        lineage.io.reading.ReadRefused: not a regular file (a device)
    """
    fd, st = open_regular(path)
    return read_fd(fd, st, limit)
