"""Write a command's output file: all at once over a regular file (a reader never sees half of
it, a failure leaves no partial output), streamed to anything else, never over an input.

Why not always a rename: renaming a temporary file over ``/dev/null``, ``/dev/full`` or
``/dev/stdout`` replaces the device itself with a regular file (as root, for every program on
the machine). A device, a pipe or a terminal is written to in place instead.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from lineage.model.errors import UsageError


def write_atomic(path: Path, data: bytes, *, inputs: Iterable[Path] = ()) -> None:
    """Write ``data`` to ``path``: through a temporary file in the same folder and a rename
    when ``path`` is a regular file (through a link: the file it points to) or does not exist
    yet; written in place when it is a device or a pipe.

    An error or an interruption (Ctrl-C, or SIGTERM under :func:`lineage.cli.main.main`)
    leaves ``path`` as it was (absent or its old content) and no temporary file behind.

    Raises:
        UsageError: ``path`` is a folder, is one of ``inputs`` (the same file, whatever its
            name), or cannot be written (its folder is missing, the device is full…).
    """
    check_not_input(path, inputs)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise UsageError(f'cannot write "{path}": {exc.strerror or exc}') from None
    if st is None or stat.S_ISREG(st.st_mode):
        _replace(Path(os.path.realpath(path)) if path.is_symlink() else path, data, shown=path)
    elif stat.S_ISDIR(st.st_mode):
        raise UsageError(f'cannot write "{path}": it is a folder; name a file')
    else:
        _stream(path, data)


def check_not_input(output: Path, inputs: Iterable[Path]) -> None:
    """Refuse an output that is one of the inputs (compared as files, not as names).

    Raises:
        UsageError: naming both.
    """
    try:
        out = os.stat(output)
    except OSError:
        return  # a new file cannot be an input
    if not stat.S_ISREG(out.st_mode):
        return
    for p in inputs:
        try:
            st = os.stat(p)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == (out.st_dev, out.st_ino):
            same = "" if str(p) == str(output) else f' (the same file as "{p}")'
            raise UsageError(f'-o "{output}" is one of the command\'s inputs{same}; writing it '
                             "would destroy it: write the output to another file")


def inputs_in(paths: Iterable[str | Path], suffixes: tuple[str, ...]) -> list[Path]:
    """The files a command reads from ``paths``: each file, and a folder's files ending with
    one of ``suffixes`` (for :func:`check_not_input`)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(q for q in p.rglob("*") if q.name.lower().endswith(suffixes))
        else:
            out.append(p)
    return out


def _replace(path: Path, data: bytes, *, shown: Path) -> None:
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f'cannot write "{shown}": {exc.strerror or exc}') from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException as exc:  # KeyboardInterrupt and SystemExit (SIGTERM) too
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise UsageError(f'cannot write "{shown}": {exc.strerror or exc}') from None
        raise


def _stream(path: Path, data: bytes) -> None:
    """Write to a device or a pipe in place (no creation, no truncation, no rename)."""
    try:
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
    except BrokenPipeError:
        raise  # the reader went away (-o /dev/stdout | head): not an error
    except OSError as exc:
        raise UsageError(f'cannot write "{path}": {exc.strerror or exc}') from None


def _mode_for(path: Path) -> int:
    """The mode a plain ``open(path, "w")`` would give (mkstemp makes files 0600)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
