"""Results as the notebook's own objects: a pandas DataFrame and a networkx graph.

pandas and networkx are imported inside the functions (pandas is the ``[pandas]`` extra).
An unknown figure is NaN in the frame and None on the graph, never a zero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lineage.core.records import FLAGGED, figure, figures, known

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd

BASES = ("reported", "measured", "estimated", "assumed")
FIGURES = ("own", "inherited", "cumulative", "attributed")
# The scalar fields of ``lineage cost --format json`` (report.tables.cost_record), one column
# each, with low/high always present; its nested lists (contributions, steps) are left out and
# its basis dict becomes one column per basis.
COLUMNS = (
    "model", "name", "hf", "policy", "complete", "energy_complete", "conserving", "unknown",
    *(f"{fig}_{unit}{end}" for unit in ("kgco2e", "kwh") for fig in FIGURES
      for end in ("", "_low", "_high")),
    *(f"{key}_is_lower_bound" for key in FLAGGED),
    *(f"basis_{b}" for b in BASES),
)


def record(results: Any, c: Any) -> dict[str, Any]:
    """One row of :func:`to_frame`: the record's scalars, unknown figures as None."""
    entry = results.project.models[c.model]
    row: dict[str, Any] = {
        "model": c.model, "name": entry.label, "hf": entry.spec.hf, "policy": c.policy,
        "complete": c.is_complete, "energy_complete": c.is_energy_complete,
        "conserving": results.is_conserving, "unknown": ", ".join(c.unknown),
    }
    for key, (value, complete) in figures(c).items():
        figure(row, key, known(value, complete), ranged=True)
        if key in FLAGGED:
            row[f"{key}_is_lower_bound"] = not complete
    for b in BASES:
        row[f"basis_{b}"] = c.basis.get(b, 0.0)
    return row


def to_frame(results: Any) -> pd.DataFrame:
    """One row per model (sorted by id), the columns of :data:`COLUMNS`; unknown is NaN.

    Example:
        >>> import lineage
        >>> df = to_frame(lineage.compute(lineage.load(), "equal"))
        >>> round(float(df.set_index("model").loc["llama-3.2-1b", "cumulative_kgco2e"]) / 1000, 2)
        586.37
    """
    import pandas as pd

    rows = [record(results, results.costs[m]) for m in sorted(results.costs)]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    numeric = [c for c in COLUMNS if c.endswith(("kgco2e", "kwh", "_low", "_high"))]
    frame[numeric] = frame[numeric].astype(float)  # None → NaN
    return frame


def edge_gpu_hours(results: Any, parent: str, child: str) -> float | None:
    """GPU-hours of ``child``'s steps from ``parent`` (teacher inference included)."""
    hours = [p.inputs.gpu_hours.mid for s in results.direct[child].steps if parent in s.parents
             for p in s.parts if p.inputs.gpu_hours is not None]
    return sum(hours) if hours else None


def to_networkx(results: Any) -> nx.DiGraph:
    """The lineage as a ``networkx.DiGraph`` with the figures as attributes.

    Nodes: ``own``, ``cumulative``, ``attributed`` (kgCO2e, central; None when unknown or,
    for attributed, under a policy that does not conserve), ``complete``, ``name``,
    ``family``. Edges: ``share`` (of the parent's cumulative cost), ``kind`` (the step kinds,
    joined by "+"), ``gpu_hours`` (None when not given).

    Example:
        >>> import lineage
        >>> G = to_networkx(lineage.compute(lineage.load(), "equal"))
        >>> round(G.edges["llama-3.1-70b", "llama-3.2-1b"]["share"], 3)
        0.2
    """
    import networkx as nx

    project = results.project
    G = nx.DiGraph()
    for m in sorted(results.costs):
        c, entry = results.costs[m], project.models[m]
        bounds = figures(c)
        attrs = {k: known(*bounds[f"{k}_kgco2e"]) for k in ("own", "cumulative", "attributed")}
        G.add_node(m, **{k: None if v is None else v.mid for k, v in attrs.items()},
                   complete=c.is_complete, name=entry.label, family=entry.file.spec.family)
    for (u, v), edge in sorted(project.edges.items()):
        G.add_edge(u, v, share=results.shares[(u, v)], kind="+".join(sorted(edge.kinds)),
                   gpu_hours=edge_gpu_hours(results, u, v))
    return G
