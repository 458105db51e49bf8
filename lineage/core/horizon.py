"""Amortization horizons (docs/method.md, "Amortization horizon"): which ancestors of a model
split their cost over a declared number of derivatives, and which horizons the loaded lineage
has outgrown.

Under ``equal``, a parent u with horizon H and n ≤ H children gives each child
s = 1 / (1 + H) of its cumulative cost, whoever else publishes a derivative: the figure stays
put while the horizon holds. When n > H the split falls back to 1 / (1 + n), figures move as
derivatives are added, and a warning says the horizon is outdated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass

from lineage.model.errors import Warning_
from lineage.model.graph import Project


@dataclass(frozen=True)
class Horizon:
    """The horizon of one model as the explanation shows it."""

    model: str
    derivatives: int
    as_of: str | None  # None: a bare ``expected_derivatives``, undated
    source: str | None  # the source's title or url, when the horizon names one
    children: int  # the derivatives loaded now

    @property
    def is_exceeded(self) -> bool:
        return self.children > self.derivatives

    def text(self) -> str:
        """``1/1,201 each: horizon 1,200 derivatives, Hugging Face model tree on 2026-11-30``."""
        when = f" on {self.as_of}" if self.as_of else " (undated)"
        what = f", {self.source}" if self.source else ""
        out = (f"1/{1 + max(self.derivatives, self.children):,} each: horizon "
               f"{self.derivatives:,} derivatives{what}{when}")
        if self.is_exceeded:
            out += f"; OUTDATED: {self.children:,} derivatives loaded"
        return out

    def record(self) -> dict[str, object]:
        return asdict(self) | {"exceeded": self.is_exceeded}


def horizon_of(project: Project, mid: str, children: int | None = None) -> Horizon | None:
    """The horizon ``mid`` declares (``horizon:`` or ``expected_derivatives``), if any, with
    the derivatives its shares are computed over: ``children``, else its children in the
    project."""
    entry = project.models[mid]
    spec = entry.spec
    n = spec.derivatives_horizon
    if n is None:
        return None
    source = None
    if spec.horizon is not None and spec.horizon.source is not None:
        ref = spec.horizon.source if isinstance(spec.horizon.source, str) \
            else spec.horizon.source[0]
        found = entry.file.spec.sources.get(ref)
        source = (found.title or found.url or ref) if found is not None else ref
    as_of = spec.horizon.as_of if spec.horizon is not None else None
    if children is None:
        children = len(list(project.G.successors(mid)))
    return Horizon(mid, n, as_of, source, children)


def horizons_above(project: Project, ancestors: list[str],
                   children: Callable[[str], int]) -> list[Horizon]:
    """The horizons declared by ``ancestors`` (a model's contributors), in that order, each
    with the children its shares were computed over (``children``, e.g.
    :meth:`~lineage.core.engine.Results.children`: with a hub dump, its Hub derivatives too)."""
    return [h for m in ancestors if m in project.models
            and project.models[m].spec.derivatives_horizon is not None
            and (h := horizon_of(project, m, children(m))) is not None]


def horizon_warning(project: Project, mid: str, children: int | None = None) -> Warning_ | None:
    """The warning for ``mid``'s horizon if the loaded lineage (``children`` derivatives, else
    its children in the project) has outgrown it, else None."""
    h = horizon_of(project, mid, children)
    if h is None or not h.is_exceeded:
        return None
    entry = project.models[mid]
    key = "horizon" if entry.spec.horizon is not None else "expected_derivatives"
    return Warning_(entry.file.doc.at(("models", mid, key)),
                    f"{mid}: {h.children:,} derivatives loaded exceed its horizon of "
                    f"{h.derivatives:,}" + (f" (as of {h.as_of})" if h.as_of else "")
                    + ": its children's shares now move as derivatives are added; update the "
                    "horizon")


def horizon_warnings(project: Project, children: Mapping[str, int] | None = None
                     ) -> list[Warning_]:
    """A warning for every horizon the loaded lineage has outgrown (``children``: each model's
    derivatives where the project's own are not all, as with a hub dump)."""
    return [w for mid in sorted(project.models) if (w := horizon_warning(
        project, mid, None if children is None else children[mid]))]
