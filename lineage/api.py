"""The public entry points: load files (and the bundled registry) into a project."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from lineage.io.loader import load_files as load_files
from lineage.model.errors import InputError, InputErrors, Position, Warning_
from lineage.model.graph import Project, build

if TYPE_CHECKING:
    from lineage.core.arrays import ArrayResults
    from lineage.core.engine import Results
    from lineage.core.hubgraph import Joined
    from lineage.model.hub import Hub


def load(paths: Iterable[str | Path] = (), *, registry: bool = True,
         hub: Hub | None = None) -> Project:
    """Load the bundled registry (unless ``registry=False``) and the files or folders ``paths``.

    With ``hub`` (see :func:`load_hub`), the files may name the dump's models as parents, and
    the project keeps the dump: :func:`~lineage.core.engine.compute` and
    :func:`~lineage.core.family.family` join it, as ``lineage cost -f DUMP`` does.

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
        from lineage.core.hubfiles import hub_parents_file

        extra = hub_parents_file(files, hub)
        return replace(build(files if extra is None else [*files, extra]), hub=hub)
    return build(files)


def warnings(project: Project, hub: Hub | None = None) -> list[Warning_]:
    """Problems worth a look that do not stop a computation (e.g. reported vs estimate gaps);
    with ``hub`` (by default the one the project was loaded with), a horizon counts the
    model's Hub derivatives too."""
    from lineage.core.horizon import horizon_warnings
    from lineage.core.stepcost import direct_costs, gap_warnings

    hub = hub if hub is not None else project.hub
    children = None
    if hub is not None and any(e.spec.derivatives_horizon is not None
                               for e in project.models.values()):  # else no join to pay for
        from lineage.core.hubgraph import join

        children = join(project, hub).children()
    return gap_warnings(project, direct_costs(project)) + horizon_warnings(project, children)


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
    from lineage.core.hubexplain import explain_results

    return explain_results(project, hub, model, policy)


def hub_arrays(project: Project, hub: Hub, policy: str = "equal") -> tuple[Joined, ArrayResults]:
    """Every model of the project and the hub at once, as columns (``joined.graph.ids[i]``)."""
    from lineage.core.hubgraph import join, whole

    joined = join(project, hub)
    return joined, whole(joined, policy)
