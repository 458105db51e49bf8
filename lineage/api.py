"""The public entry points: load files (and the bundled registry) into a project."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from lineage.io.registry import registry_files
from lineage.io.validation import LoadedFile, validate_document
from lineage.io.yamlio import Document, expand_paths, read_file
from lineage.model.errors import InputError, InputErrors, Position, Warning_
from lineage.model.graph import Project, build

if TYPE_CHECKING:
    from lineage.core.arrays import ArrayResults
    from lineage.core.engine import Results
    from lineage.core.hubgraph import Joined
    from lineage.io.dump import Hub


def _validate_all(docs: list[tuple[Document, bool]]) -> list[LoadedFile]:
    files: list[LoadedFile] = []
    errors: list[InputError] = []
    for doc, is_registry in docs:
        try:
            files.append(validate_document(doc, is_registry=is_registry))
        except InputErrors as exc:
            errors.extend(exc.errors)
    InputErrors.raise_if_any(errors)
    return files


def load(paths: Iterable[str | Path] = (), *, registry: bool = True,
         hub: Hub | None = None) -> Project:
    """Load the bundled registry (unless ``registry=False``) and the files or folders ``paths``.

    With ``hub`` (see :func:`load_hub`), the files may name the dump's models as parents.

    Raises:
        InputErrors: every problem of every file, each as ``path:line:col: message``.

    Example:
        >>> import lineage
        >>> project = lineage.load()
        >>> "llama-3.2-1b" in project.models
        True
    """
    files = load_files(paths, registry=registry)
    if hub is not None:
        from lineage.core.hubexplain import hub_parents_file

        extra = hub_parents_file(files, hub)
        files = files if extra is None else [*files, extra]
    return build(files)


def load_files(paths: Iterable[str | Path] = (), *, registry: bool = True) -> list[LoadedFile]:
    """Read and validate files without building the graph (no networkx import)."""
    sources: list[tuple[Path, bool]] = []
    bundled = registry_files() if registry else []
    seen = {p.resolve() for p in bundled}
    cached = _cached_registry(bundled) if bundled else None
    if cached is None:
        sources += [(p, True) for p in bundled]
    for p in expand_paths(paths):
        if p.resolve() not in seen:  # the same file named twice is read once
            seen.add(p.resolve())
            sources.append((p, False))
    docs: list[tuple[Document, bool]] = []
    errors: list[InputError] = []
    for path, is_registry in sources:
        try:
            docs.append((read_file(path), is_registry))
        except InputErrors as exc:
            errors.extend(exc.errors)
    InputErrors.raise_if_any(errors)
    if cached is not None:
        return cached + _validate_all(docs)
    files = _validate_all(docs)
    if bundled:
        _store_registry(bundled, files[: len(bundled)])
    return files


def _cache_path(bundled: list[Path]) -> Path | None:
    """Where the validated registry is cached, named by everything that could change it."""
    import hashlib
    import os
    import sys

    import pydantic

    from lineage import __version__

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


def _cached_registry(bundled: list[Path]) -> list[LoadedFile] | None:
    """The validated registry from the cache, or None (no cache, or an unreadable one).

    Why: validating the 24 registry files costs more than all the rest of a ``cost`` query;
    a pickle written by this same version, from these same files, skips it. Any problem
    with the file means a fresh read, never an error.
    """
    import os
    import pickle

    try:
        path = _cache_path(bundled)
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


def _store_registry(bundled: list[Path], files: list[LoadedFile]) -> None:
    import os
    import pickle
    import tempfile

    try:
        path = _cache_path(bundled)
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


def warnings(project: Project) -> list[Warning_]:
    """Problems worth a look that do not stop a computation (e.g. reported vs estimate gaps)."""
    from lineage.core.stepcost import direct_costs, gap_warnings

    return gap_warnings(project, direct_costs(project))


def load_hub(path: str | Path, *, skip_bad: bool = False) -> Hub:
    """Read a JSON Lines hub dump (``.jsonl``) or map a compiled index (``.lineage``).

    Raises:
        InputErrors: no such file, bad lines (unless ``skip_bad``), or a damaged index.
    """
    p = Path(path)
    if not p.is_file():
        raise InputErrors([InputError(Position(str(path)), "not a file (a hub dump or index)"
                                      if p.exists() else "no such file")])
    if p.suffix.lower() == ".lineage":
        from lineage.io.index import read_index

        return read_index(p)
    from lineage.io.dump import read_jsonl

    return read_jsonl(p, skip_bad=skip_bad)


def hub_results(project: Project, hub: Hub, model: str, policy: str = "equal") -> Results:
    """``model`` (a project or hub model) explained with the shares of the whole joined graph.

    Example:
        >>> import lineage
        >>> hub = lineage.load_hub("examples/hub-sample.jsonl")
        >>> r = lineage.hub_results(lineage.load(), hub, "acme/support-1b")
        >>> round(r.cost("acme/support-1b").own_kgco2e.mid, 1)  # 148,000 g
        148.0
    """
    import dataclasses

    from lineage.core.engine import compute
    from lineage.core.hubexplain import explain

    x = explain(project, hub, [model], policy)
    results = compute(x.project, policy, shares=x.shares, retained=x.retained)
    mid = x.ids[model]
    c = results.costs[mid]
    if c.is_complete and not x.complete[mid]:  # --policy compute: an unknown hub energy
        results.costs[mid] = dataclasses.replace(c, is_complete=False,
                                                 is_inherited_complete=False)
    return results


def hub_arrays(project: Project, hub: Hub, policy: str = "equal") -> tuple[Joined, ArrayResults]:
    """Every model of the project and the hub at once, as columns (``joined.graph.ids[i]``)."""
    from lineage.core.hubgraph import join, whole

    joined = join(project, hub)
    return joined, whole(joined, policy)
