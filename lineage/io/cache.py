"""The validated registry, cached between runs (validating its files costs more than the rest of
a ``cost`` query). A cache miss or a damaged cache is never an error: the files are read again.
"""

from __future__ import annotations

from pathlib import Path

from lineage.model.files import LoadedFile


def cache_path(bundled: list[Path]) -> Path | None:
    """Where the validated registry is cached, named by everything that could change it."""
    import hashlib
    import os
    import sys

    import pydantic

    from lineage.model.version import __version__

    if os.environ.get("LINEAGE_NO_CACHE"):
        return None
    base = os.environ.get("LINEAGE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "lineage")
    key = hashlib.sha256(repr((__version__, sys.version, pydantic.VERSION,
                               [str(p) for p in bundled])).encode())
    for p in bundled:  # the contents, not dates: reading 24 small files costs ~1 ms
        key.update(p.read_bytes())
    return Path(base) / f"registry-{key.hexdigest()[:24]}.pickle"


def cached_registry(bundled: list[Path]) -> list[LoadedFile] | None:
    """The validated registry from the cache, or None (no cache, or an unreadable one).

    Why: validating the 24 registry files costs more than all the rest of a ``cost`` query;
    a pickle written by this same version, from these same files, skips it. Any problem
    with the file means a fresh read, never an error.
    """
    import os
    import pickle

    try:
        path = cache_path(bundled)
        if path is None or not path.is_file():
            return None
        st = path.stat()
        if st.st_uid != os.getuid() or st.st_mode & 0o022:  # only a file no one else could
            return None                                     # have written is unpickled
        files = pickle.loads(path.read_bytes())
        if isinstance(files, list) and len(files) == len(bundled) and all(
                isinstance(f, LoadedFile) and f.doc.path == str(p)
                for f, p in zip(files, bundled, strict=True)):
            return files
    except Exception:  # a damaged cache is a cache miss, never an error
        return None
    return None


def store_registry(bundled: list[Path], files: list[LoadedFile]) -> None:
    import os
    import pickle
    import tempfile

    try:
        path = cache_path(bundled)
        if path is None:
            return
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False) as tmp:
            tmp.write(pickle.dumps(files, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp.name, path)
        for old in path.parent.glob("registry-*.pickle"):  # earlier registries' caches
            if old != path:
                old.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError):
        return  # a read-only home: no cache, same results
