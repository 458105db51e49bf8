"""Dump models as lineage models: the Hub records a family file names as parents (with their
own Hub ancestors) become model specs beside it, so the file's models inherit from them
(docs/method.md, "Hub dumps")."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lineage.model.errors import Position
from lineage.model.hub import Hub, hub_step


def hub_file(hub: Hub, parents: dict[int, list[str]]) -> Any:
    """The hub nodes ``parents`` names (with their parents' ids) as a lineage file, each model
    at its line of the dump.

    Built with ``model_construct``: the values come from the checked columns, and validating
    them again would build pydantic's validators, the slowest part of a cold start.
    """
    from lineage.model.files import Document, LoadedFile
    from lineage.model.schema import DefaultsSpec, FileSpec, SourceSpec

    models: dict[str, Any] = {}
    where: dict[tuple[Any, ...], Position] = {}
    for h, names in parents.items():
        mid = hub.ids[h]
        where[("models", mid)] = hub.where(h)
        models[mid] = hub_model(hub, h, names)
    source = SourceSpec.model_construct(
        title=f"Hugging Face Hub metadata ({hub.path})",
        note="co2_eq_emissions read in grams, as the Hub defines it; downloads as usage")
    spec = FileSpec.model_construct(lineage=1, defaults=DefaultsSpec.model_construct(),
                                    sources={"hub": source}, models=models)
    return LoadedFile(Document(hub.path, {}, values=where, keys=dict(where)), spec)


def hub_model(hub: Hub, h: int, parents: list[str]) -> Any:
    """Hub node ``h`` as a lineage :class:`~lineage.model.schema.ModelSpec`."""
    from lineage.model.interval import Interval
    from lineage.model.schema import ModelSpec, ParentSpec, StepSpec

    def known(x: float) -> Interval | None:
        return None if math.isnan(x) else Interval.exact(float(x))

    if h >= hub.n_models:
        return ModelSpec.model_construct(hf=hub.ids[h], note=f"named as a base model in "
                                         f"{hub.path} but absent from it: cost unknown")
    step = hub_step(hub, h, bool(parents))
    steps = [] if step is None else [StepSpec.model_construct(
        kind=step.kind, parents=[ParentSpec.model_construct(model=p) for p in parents],
        emissions=None if step.grams is None else Interval.exact(step.grams / 1000),
        source=None if step.grams is None else "hub", note=step.note)]
    return ModelSpec.model_construct(
        hf=hub.ids[h], usage=known(hub.downloads[h]), params=known(hub.params[h]),
        released=None if np.isnat(hub.created[h]) else str(hub.created[h]), steps=steps)


def hub_parents_file(files: list[Any], hub: Hub) -> Any | None:
    """The dump models that lineage files name as parents, with their hub ancestors, as a
    lineage file to load beside them (None when the files name none).

    A parent that no file declares (the registry's included), but the dump holds (in any
    case), is taken from the dump; its ancestors come along up to the declared models.
    """
    names: dict[str, str] = {}  # spelled as matches() spells them: one look-up serves both
    for f in files:
        for mid, spec in f.spec.models.items():
            names[mid] = mid
            names.update(dict.fromkeys(spec.hub_ids, mid))
    declared = {n.lower() for n in names}
    wanted = {ref.model for f in files if not f.is_registry for spec in f.spec.models.values()
              for step in spec.steps for ref in step.parents
              if ref.model.lower() not in declared}
    if not wanted:
        return None
    found = hub.find([*wanted, *names])
    # hub lines that ARE declared models stop the walk
    stop = {found[n]: m for n, m in names.items() if n in found}
    parents: dict[int, list[str]] = {}
    stack = [found[n] for n in wanted if n in found and found[n] not in stop]
    while stack:
        h = stack.pop()
        if h in parents:
            continue
        lo, hi = np.searchsorted(hub.child, [h, h + 1])
        above = [int(u) for u in hub.parent[lo:hi]]
        parents[h] = list(dict.fromkeys(stop.get(u, hub.ids[u]) for u in above))
        stack.extend(u for u in above if u not in stop)
    return hub_file(hub, parents) if parents else None
