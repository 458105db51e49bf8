"""The public entry points: load files (and the bundled registry) into a project."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from lineage.errors import InputError, InputErrors, Warning_
from lineage.graph import Project, build
from lineage.registry import registry_files
from lineage.validation import LoadedFile, validate_document
from lineage.yamlio import Document, expand_paths, read_file


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


def load(paths: Iterable[str | Path] = (), *, registry: bool = True) -> Project:
    """Load the bundled registry (unless ``registry=False``) and the files or folders ``paths``.

    Raises:
        InputErrors: every problem of every file, each as ``path:line:col: message``.

    Example:
        >>> import lineage
        >>> project = lineage.load()
        >>> "llama-3.2-1b" in project.models
        True
    """
    return build(load_files(paths, registry=registry))


def load_files(paths: Iterable[str | Path] = (), *, registry: bool = True) -> list[LoadedFile]:
    """Read and validate files without building the graph (no networkx import)."""
    sources: list[tuple[Path, bool]] = []
    bundled = registry_files() if registry else []
    seen = {p.resolve() for p in bundled}
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
    return _validate_all(docs)


def warnings(project: Project) -> list[Warning_]:
    """Problems worth a look that do not stop a computation (e.g. reported vs estimate gaps)."""
    from lineage.stepcost import direct_costs, gap_warnings

    return gap_warnings(project, direct_costs(project))
