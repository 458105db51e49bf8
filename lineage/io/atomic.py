"""Write a file all at once: a reader never sees half of it, and a failure leaves no partial
output."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from lineage.model.errors import UsageError


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    An error at any point leaves ``path`` as it was (absent or its old content).

    Raises:
        UsageError: the folder does not exist or cannot be written.
    """
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f'cannot write "{path}": {exc.strerror or exc}') from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise UsageError(f'cannot write "{path}": {exc.strerror or exc}') from None
        raise


def _mode_for(path: Path) -> int:
    """The mode a plain ``open(path, "w")`` would give (mkstemp makes files 0600)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
