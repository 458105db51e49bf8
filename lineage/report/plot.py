"""Pictures of the numbers (``lineage plot``): where a model's tonnes come from, how much the
policy matters, the Monte Carlo spread, and when a distilled model pays off in use.

Each function takes figures already computed and returns a matplotlib ``Figure``; it computes
nothing. matplotlib (the ``[plot]`` extra) is imported inside the functions, never at start-up.

Why ``Figure`` and not ``pyplot``: no global state, no GUI backend, safe in a server or a test.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lineage.model.errors import UsageError
from lineage.report.diagram_style import viridis

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from lineage.core.compare import PolicyOutcome
    from lineage.core.engine import ModelCost
    from lineage.core.payoff import Payoff

FORMATS = ("png", "svg", "pdf")
HATCH = "///"  # an incomplete figure: a lower bound, written "≥"
OWN, INHERITED, SPREAD, ACCENT = viridis(0.15), viridis(0.6), viridis(0.45), viridis(0.9)


def format_of(path: str) -> str:
    """The image format ``path``'s extension names.

    Raises:
        UsageError: an extension other than .png, .svg or .pdf.
    """
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if suffix not in FORMATS:
        raise UsageError(f'cannot tell the image format of "{path}": end it in .png, .svg '
                         "or .pdf")
    return suffix


def to_bytes(fig: Figure, fmt: str, dpi: int = 150) -> bytes:
    """The figure as PNG, SVG or PDF bytes (no creation date, so the bytes are reproducible)."""
    import matplotlib

    buf = io.BytesIO()
    metadata = {"png": {"Software": None}, "pdf": {"CreationDate": None}}.get(fmt, {"Date": None})
    with matplotlib.rc_context({"svg.hashsalt": "lineage", "svg.fonttype": "none"}):
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=metadata, bbox_inches="tight")
    return buf.getvalue()


def tonnes(kg: float) -> float:
    return kg / 1000.0


def _figure(height_in: float) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.0, max(3.2, height_in)), layout="constrained")
    ax = fig.add_subplot()
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def _label_t(kg: float, complete: bool) -> str:
    t = tonnes(kg)
    return ("" if complete else "≥ ") + f"{t:,.4g} t"


def count(x: float) -> str:
    """A number of queries in words: 70,000,000 → "70 million".

    >>> count(70_000_000), count(36_500_000), count(2.5e9), count(1234)
    ('70 million', '36.5 million', '2.5 billion', '1,234')
    """
    for size, word in ((1e9, "billion"), (1e6, "million")):
        if x >= size:
            return f"{x / size:,.4g} {word}"
    return f"{x:,.0f}"


def _incomplete_patch() -> Any:
    from matplotlib.patches import Patch

    return Patch(facecolor="white", edgecolor="#444444", hatch=HATCH,
                 label="incomplete: a lower bound (≥), some cost unpublished")


def contributions(cost: ModelCost, name: str) -> Figure:
    """Horizontal bars, largest first: the model's own steps and each ancestor's contribution.

    Bars are tCO2e; a hatched bar with "≥" misses a cost nobody published.
    """
    from matplotlib.patches import Patch

    bars = [(f"{name} (own steps)", cost.own_kgco2e_bound.mid, cost.is_own_complete, True)]
    bars += [(f"{x.model} × {x.coefficient:.3g}", x.kgco2e.mid, x.is_complete, False)
             for x in cost.contributions]
    bars.sort(key=lambda b: (-b[1], b[0]))
    fig, ax = _figure(1.2 + 0.42 * len(bars))
    ys = list(range(len(bars)))[::-1]
    for y, (_, kg, complete, own) in zip(ys, bars, strict=True):
        ax.barh(y, tonnes(kg), color=OWN if own else INHERITED, edgecolor="#333333",
                linewidth=0.5, hatch=None if complete else HATCH)
        ax.annotate(_label_t(kg, complete), (tonnes(kg), y), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=9)
    ax.set_yticks(ys, [b[0] for b in bars])
    ax.set_xlabel("emissions (tCO2e)")
    ax.margins(x=0.18)
    total = _label_t(cost.cumulative_kgco2e_bound.mid, cost.is_complete)
    ax.set_title(f"Where {name}'s {total}CO2e come from (policy {cost.policy})", loc="left")
    handles = [Patch(facecolor=OWN, label="own steps (incl. teacher inference)"),
               Patch(facecolor=INHERITED, label="inherited: ancestor's own cost × share")]
    if not all(b[2] for b in bars):
        handles.append(_incomplete_patch())
    _legend(fig, handles)
    return fig


def _legend(fig: Figure, handles: list[Any]) -> None:
    """Below the axes, never over a bar."""
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 3),
               fontsize=8, frameon=False)


def policies(name: str, outcomes: Sequence[PolicyOutcome]) -> Figure:
    """The cumulative figure under each policy, own and inherited stacked (tCO2e).

    A policy that lacks data is drawn as a label saying why.
    """
    from matplotlib.patches import Patch

    fig, ax = _figure(1.4 + 0.5 * len(outcomes))
    ys = list(range(len(outcomes)))[::-1]
    labels = []
    incomplete = False
    for y, o in zip(ys, outcomes, strict=True):
        labels.append(o.policy + (" (no conservation)" if o.policy == "full" else ""))
        if o.cost is None:
            problem = o.problem or ""
            problem = problem if len(problem) <= 70 else problem[:69] + "…"
            ax.annotate(f"n/a: {problem}", (0, y), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=8, color="#555555")
            continue
        c = o.cost
        hatch = None if c.is_complete else HATCH
        incomplete |= not c.is_complete
        own, inherited = tonnes(c.own_kgco2e_bound.mid), tonnes(c.inherited_kgco2e_bound.mid)
        ax.barh(y, own, color=OWN, edgecolor="#333333", linewidth=0.5, hatch=hatch)
        ax.barh(y, inherited, left=own, color=INHERITED, edgecolor="#333333", linewidth=0.5,
                hatch=hatch)
        ax.annotate(_label_t(c.cumulative_kgco2e_bound.mid, c.is_complete), (own + inherited, y),
                    xytext=(4, 0), textcoords="offset points", va="center", fontsize=9)
    ax.set_yticks(ys, labels)
    ax.set_xlabel("cumulative emissions (tCO2e)")
    ax.set_ylabel("allocation policy")
    ax.margins(x=0.18)
    ax.set_title(f"{name}: cumulative emissions under each allocation policy", loc="left")
    handles = [Patch(facecolor=OWN, label="own"), Patch(facecolor=INHERITED, label="inherited")]
    if incomplete:
        handles.append(_incomplete_patch())
    _legend(fig, handles)
    return fig


def montecarlo(name: str, policy: str, samples_kgco2e: Sequence[float], central_kgco2e: float,
               *, seed: int | None, distribution: str, is_complete: bool) -> Figure:
    """Histogram of the sampled cumulative emissions, with the median and 5–95 % band (tCO2e)."""
    import numpy as np

    t = np.asarray(samples_kgco2e, dtype=float) / 1000.0
    p5, median, p95 = (float(v) for v in np.percentile(t, [5, 50, 95]))
    fig, ax = _figure(4.5)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.axvspan(p5, p95, color=SPREAD, alpha=0.18, label=f"5–95 %: {p5:,.4g}–{p95:,.4g} t")
    spread = float(t.max()) > float(t.min())
    ax.hist(t, bins="auto" if spread else 1, color=OWN, alpha=0.85,
            range=None if spread else (median * 0.999, median * 1.001),
            label=f"{len(t):,} samples")
    if not spread:
        ax.text(0.02, 0.5, "every sample is the central value:\nno input of this lineage "
                "is a range", transform=ax.transAxes, fontsize=9, color="white")
    ax.axvline(median, color=ACCENT, linewidth=2.2, label=f"median {median:,.4g} t")
    ax.axvline(central_kgco2e / 1000.0, color="#222222", linestyle="--", linewidth=1.2,
               label=f"central value {central_kgco2e / 1000.0:,.4g} t")
    ax.set_xlabel("cumulative emissions (tCO2e)" + ("" if is_complete else ", a lower bound (≥)"))
    ax.set_ylabel("samples")
    seeded = f", seed {seed}" if seed is not None else ""
    ax.set_title(f"{name}: Monte Carlo of cumulative emissions (policy {policy}, "
                 f"{distribution}{seeded})", loc="left", fontsize=10)
    _legend(fig, ax.get_legend_handles_labels()[0])
    return fig


def break_even(payoff: Payoff) -> Figure:
    """Cumulative emissions (training, then each query served) of a distilled model against
    its alternative; the crossing, when the lines cross, is marked."""
    import numpy as np

    s, a = payoff.student, payoff.alternative
    cross = payoff.crossing_queries
    horizon = max(payoff.queries, 1.5 * cross if cross is not None else 0.0, 1.0)
    scale, unit = (1e6, "millions") if horizon >= 1e6 else (1.0, "")
    q = np.linspace(0.0, horizon, 200)
    fig, ax = _figure(4.8)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    for ln, colour, style in ((s, OWN, "-"), (a, INHERITED, "--")):
        per = f"{ln.kgco2e_per_1k_queries * 1000:,.4g} g per 1,000 queries"
        ax.plot(q / scale, [ln.at(x) / 1000 for x in q], color=colour, linestyle=style,
                linewidth=2.2, label=f"{ln.name}: {_label_t(ln.training_kgco2e, ln.is_complete)}"
                f" to make, + {per}")
    if cross is not None:
        y = s.at(cross) / 1000
        ax.plot([cross / scale], [y], marker="o", markersize=9, color=ACCENT,
                markeredgecolor="#222222", linestyle="none",
                label=f"crossing: {count(cross)} queries, {y:,.4g} t")
        ax.annotate(f"lines cross after\n{count(cross)} queries", (cross / scale, y),
                    xytext=(10, -28), textcoords="offset points", fontsize=9)
    else:
        low = s if s.at(horizon) <= a.at(horizon) else a
        ax.text(0.98, 0.04, f"the lines never cross: {low.name} stays lower", ha="right",
                transform=ax.transAxes, fontsize=9)
    if payoff.queries > 0:
        ax.axvline(payoff.queries / scale, color="#888888", linestyle=":", linewidth=1,
                   label=f"deployment horizon: {count(payoff.queries)} queries")
    ax.set_xlabel(f"queries served ({unit})" if unit else "queries served")
    ax.set_ylabel("cumulative emissions (tCO2e): training + inference")
    ax.set_xlim(0, horizon / scale)
    ax.set_ylim(bottom=0)
    title = f"{s.name} vs {a.name}: when does the distilled model pay off? (policy {payoff.policy})"
    be = payoff.break_even
    if be is not None and be.is_known:
        title += ("\nlineage compare (training only): distilling wins from "
                  f"{be.students} students sharing the teacher" if be.students is not None else
                  "\nlineage compare (training only): distilling never wins")
    ax.set_title(title, loc="left", fontsize=10)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return fig
