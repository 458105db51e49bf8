"""Read and validate lineage files (and the bundled registry, through its cache) into
:class:`~lineage.model.files.LoadedFile` objects, every problem of every file reported at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from lineage.io.cache import cached_registry, store_registry
from lineage.io.registry import registry_files
from lineage.io.validation import validate_document
from lineage.model.errors import InputError, InputErrors, collecting
from lineage.model.files import Document, LoadedFile


def load_files(paths: Iterable[str | Path] = (), *, registry: bool = True) -> list[LoadedFile]:
    """Read and validate files without building the graph (no networkx import)."""
    bundled = registry_files() if registry else []
    cached = cached_registry(bundled) if bundled else None
    sources = [(p, True) for p in bundled] if cached is None else []
    wanted = list(paths)
    if wanted or sources:  # YAML to read: the parser is imported only then
        from lineage.io.yamlio import expand_paths, read_file

        seen = {p.resolve() for p in bundled}
        for p in expand_paths(wanted):
            if p.resolve() not in seen:  # the same file named twice is read once
                seen.add(p.resolve())
                sources.append((p, False))
    docs: list[tuple[Document, bool]] = []
    errors: list[InputError] = []
    for path, is_registry in sources:
        with collecting(errors):
            docs.append((read_file(path), is_registry))
    InputErrors.raise_if_any(errors)
    if cached is not None:
        return cached + _validate_all(docs)
    files = _validate_all(docs)
    if bundled:
        store_registry(bundled, files[: len(bundled)])
    return files


def _validate_all(docs: list[tuple[Document, bool]]) -> list[LoadedFile]:
    files: list[LoadedFile] = []
    errors: list[InputError] = []
    for doc, is_registry in docs:
        with collecting(errors):
            files.append(validate_document(doc, is_registry=is_registry))
    InputErrors.raise_if_any(errors)
    return files
