"""Results → text for people (table, Markdown) and for programs (JSON, CSV); equivalents.

Every figure that misses an unknown part is printed with "≥" in human formats and carries
``"complete": false`` in JSON.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from lineage.core.horizon import horizons_above
from lineage.core.records import cost_record, defaults_applied, figures, inputs_record, known
from lineage.model.catalog import Catalog
from lineage.model.interval import Interval
from lineage.model.units import Dim, UnitError, classify_unit, parse
from lineage.report.escape import csv_cell, strict_json, visible
from lineage.report.style import fit_table, terminal_width, use_colour

if TYPE_CHECKING:  # annotations only: listing the registry needs no engine (nor numpy)
    from lineage.core.engine import ModelCost, Results


def fmt_kg(kg: float) -> str:
    """Emissions in the unit that reads best.

    Example:
        >>> fmt_kg(291422.2), fmt_kg(381.0), fmt_kg(0.5), fmt_kg(0.0025), fmt_kg(11390000)
        ('291.42 tCO2e', '381.0 kgCO2e', '500 gCO2e', '2.5 gCO2e', '11,390 tCO2e')
    """
    if kg == 0:
        return "0 tCO2e"
    return _scaled(kg, ((1000, 10_000, ",.0f", "tCO2e"), (1000, 1, ",.2f", "tCO2e"),
                        (1, 1, ",.1f", "kgCO2e")), "gCO2e")


def fmt_kwh(kwh: float) -> str:
    """Energy in the unit that reads best.

    Example:
        >>> fmt_kwh(756940.8), fmt_kwh(12.5), fmt_kwh(4.9e6)
        ('756.94 MWh', '12.5 kWh', '4.90 GWh')
    """
    if kwh == 0:
        return "0 kWh"
    return _scaled(kwh, ((1e6, 1, ",.2f", "GWh"), (1e3, 1, ",.2f", "MWh"), (1, 1, ",.1f", "kWh")),
                   "Wh")


def _scaled(x: float, units: tuple[tuple[float, float, str, str], ...], small: str) -> str:
    """``x`` in the first of ``units`` (size, at least this many of it, format, name) it
    reaches; below them all, in thousandths named ``small``: three significant digits below
    100 (2.5, 0.0334), whole numbers above (504)."""
    for size, least, spec, name in units:
        if x / size >= least:
            return f"{x / size:{spec}} {name}"
    x *= 1000
    return f"{x:,.0f} {small}" if x >= 99.95 else f"{x:.3g} {small}"


def fmt(value: Interval | None, complete: bool, unit: str = "kg") -> str:
    """A figure with "≥" when incomplete and its bounds when it is a range."""
    f = fmt_kg if unit == "kg" else fmt_kwh
    if (value := known(value, complete)) is None:
        return "unknown"
    text = f(value.mid)
    if not value.is_exact:
        low, high = f(value.low), f(value.high)
        same_unit = low.split(" ")[1] == high.split(" ")[1]
        text += f" ({low.split(' ')[0]}–{high})" if same_unit else f" ({low} – {high})"
    return text if complete else f"≥ {text}"


# ---------------------------------------------------------------- equivalents


def equivalents(catalog: Catalog, kg: float, kwh: float) -> list[tuple[str, float]]:
    """(name, how many) for each registry equivalent of ``kg`` and ``kwh``."""
    out = []
    for e in catalog.equivalents.entries.values():
        try:
            found = classify_unit(e.spec.per.split(" ", 1)[-1].strip() or "?")
            dim = found[0] if found else None
            per = parse(e.spec.per, Dim.ENERGY if dim is Dim.ENERGY else Dim.EMISSIONS)
        except UnitError:
            continue
        amount = kwh if dim is Dim.ENERGY else kg
        if per.mid > 0 and amount > 0:
            out.append((e.spec.name, amount / per.mid))
    return out


# ---------------------------------------------------------------- cost: JSON


def to_json(data: Any) -> str:
    """Stable, sorted, strict JSON (no ``Infinity`` or ``NaN``: a non-finite figure raises
    :class:`~lineage.model.errors.LineageError`)."""
    return strict_json(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- cost: text


def basis_line(basis: dict[str, float]) -> str:
    if not basis:
        return "no known figure"
    ordered = sorted(basis.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{v:.0%} {b}" if v >= 0.005 else f"<1% {b}" for b, v in ordered if v > 0)


def _formula(i: Any) -> str:
    """GPU-h × W × utilization × PUE × intensity, as the estimate was computed: every factor
    shown, the defaults included."""
    text = (f"{i.gpu_hours.mid:,.0f} GPU-h × {i.power_kw.mid * 1000:,.0f} W × "
            f"{i.utilization.mid:.0%} of TDP × PUE {i.pue.mid:g}")
    if i.intensity_kgco2e_per_kwh is not None:
        text += f" × {i.intensity_kgco2e_per_kwh.mid:g} kgCO2e/kWh ({i.intensity_from})"
    return text


def _missing(p: Any) -> str:
    """Say which input an unknown figure lacks."""
    i = p.inputs
    if p.energy_basis == "unknown":
        if i.gpu_hours is None:
            return "no compute published"
        if i.power_kw is None:
            return (f"no rated power for {i.hardware}" if i.hardware else
                    "no hardware or power given")
    energy = fmt_kwh(p.energy_kwh.mid) if p.energy_basis != "unknown" else "energy unknown"
    return f"{energy}, but no grid or intensity given"


def _part_line(p: Any) -> str:
    i = p.inputs
    if p.emissions_basis == "unknown":
        head = f"unknown ({_missing(p)})"
    else:
        head = f"{fmt(p.emissions_kgco2e, True)} {p.emissions_basis}"
    bits = []
    if p.emissions_basis in ("estimated", "assumed"):
        if p.energy_basis == "estimated":
            bits.append(_formula(i))
        elif i.intensity_kgco2e_per_kwh is not None:
            bits.append(f"{fmt_kwh(p.energy_kwh.mid)} {p.energy_basis} × "
                        f"{i.intensity_kgco2e_per_kwh.mid:g} kgCO2e/kWh ({i.intensity_from})")
    if p.emissions_basis == "assumed":
        bits.append(f"grid {i.intensity_from} ASSUMED (--assume-grid): no location published")
    if p.estimate_kgco2e is not None:
        source = (f"{i.gpu_hours.mid:,.0f} GPU-h" if p.energy_basis == "estimated" and
                  i.gpu_hours is not None else fmt_kwh(p.energy_kwh.mid))
        intensity = i.intensity_kgco2e_per_kwh.mid if i.intensity_kgco2e_per_kwh else 0.0
        bits.append(f"estimate {fmt(p.estimate_kgco2e, True)} from {source} at "
                    f"{intensity:g} kgCO2e/kWh ({i.intensity_from})")
    if p.energy_basis == "estimated" and defaults_applied(i):
        bits.append(f"assumes {' and '.join(defaults_applied(i))}: none given")
    if p.is_estimate_input:
        bits.append("inputs are an estimate")
    return head + (f"  [{'; '.join(bits)}]" if bits else "")


def cost_text(results: Results, c: ModelCost) -> str:
    """The terminal explanation of one model's cumulative cost."""
    project = results.project
    entry = project.models[c.model]
    title = entry.label if entry.label == c.model else f"{entry.label} ({c.model})"
    bounds = figures(c)  # a line per figure: its name, emissions and energy
    line = {name: f"  {name:<13}{fmt(*bounds[f'{name}_kgco2e']):>24}   "
                  f"{fmt(*bounds[f'{name}_kwh'], 'kwh')}"
            for name in ("own", "inherited", "cumulative")}
    lines = [f"{title} · policy {c.policy}", line["cumulative"], line["own"]]
    if not results.direct[c.model].steps:
        lines.append("      no step declared: its own cost is unknown")
    for s in results.direct[c.model].steps:
        origin = f" from {', '.join(s.parents)}" if s.parents else ""
        lines.append(f"      {s.kind}{origin}")
        for p in s.parts:
            lines.append(f"        {p.label}: {_part_line(p)}")
            for src in p.sources:
                lines.append(f"          source: {src}")
    lines.append(line["inherited"])
    for x in c.contributions:
        share = f"× {x.coefficient:.4g}"
        lines.append(f"      {x.model:<32} {share:<10} {fmt(x.kgco2e, x.is_complete):>22}")
    if c.policy == "equal":
        for h in horizons_above(project, [x.model for x in c.contributions],
                                 results.children):
            lines.append(f"      horizon of {h.model}: {h.text()}")
    if c.attributed_kgco2e_bound is not None:
        lines.append(f"  attributed   {fmt(c.attributed_kgco2e_bound, c.is_complete):>24}   "
                     "(what it bears after passing shares to its children)")
    else:
        lines.append("  attributed   n/a (policy full does not conserve: teachers are counted "
                     "in every child)")
    assumed = sorted({d for s in results.direct[c.model].steps for p in s.parts
                      if p.energy_basis == "estimated" for d in defaults_applied(p.inputs)})
    lines.append(f"  basis        {basis_line(c.basis)}" + (
        f" (estimates assume {' and '.join(assumed)} where none is given)" if assumed else ""))
    eq = equivalents(project.catalog, c.cumulative_kgco2e_bound.mid, c.cumulative_kwh_bound.mid)
    if eq and c.cumulative_kgco2e_bound.mid > 0:
        mark = "" if c.is_complete else "≥ "
        lines.append("  equivalents  " + " · ".join(f"{mark}{fmt_count(n)} {name}"
                                                    for name, n in eq))
    for models, value, note in project.joint_totals({c.model}):
        lines.append(f"  reported     {fmt_kg(value.mid)} jointly for {', '.join(models)}"
                     " (no per-model split published)" + (f": {note}" if note else ""))
    own, weighed = unknown_models(c)
    if own:
        lines.append(f"  unknown      own cost unknown for {', '.join(own)}; "
                     "figures that include them are lower bounds (≥)")
    if weighed:
        lines.append(f"  unknown      energy unknown for {', '.join(weighed)}: the compute shares "
                     "weighed with it are unknown, so figures inherited through them are "
                     "incomplete (≥)")
    for caution in results.cautions(c.model):
        lines.append(f"  caution      {caution} (lineage validate); the figures above include it")
    return visible("\n".join(lines)) + "\n"


def unknown_models(c: ModelCost) -> tuple[list[str], list[str]]:
    """The models of ``c.unknown`` whose own cost is unknown and reaches ``c`` (the model
    itself or a contributing ancestor), and the others: under ``compute``, those whose unknown
    energy weighed a share ``c`` inherits through (docs/method.md#completeness)."""
    own = {x.model for x in c.contributions if not x.is_complete}
    if not c.is_own_complete:
        own.add(c.model)
    return [m for m in c.unknown if m in own], [m for m in c.unknown if m not in own]


def unknown_phrase(c: ModelCost, name: Callable[[str], str] = str,
                   verb: str = "is unknown") -> str:
    """Why ``c``'s figures are incomplete, for prose: "the cost of A is unknown" and, under
    ``compute``, "the energy of B, which weighs the compute shares, is unknown"."""
    own, weighed = unknown_models(c)
    parts = [f"the cost of {', '.join(map(name, own))} {verb}"] if own else []
    if weighed:
        parts.append(f"the energy of {', '.join(map(name, weighed))}, which weighs the compute "
                     f"shares, {verb}")
    return "; ".join(parts)


def fmt_count(n: float) -> str:
    """A count with three significant digits and thousands separators.

    Example:
        >>> fmt_count(85_762_345.0), fmt_count(2.456), fmt_count(0.0307)
        ('85,800,000', '2.46', '0.0307')
    """
    if n >= 100:
        return f"{float(f'{n:.3g}'):,.0f}"
    if 0 < n < 0.001:
        return "< 0.001"
    return f"{n:.3g}"


def cost_markdown(results: Results, c: ModelCost) -> str:
    """The explanation of one model as a Markdown section (for model cards)."""
    entry = results.project.models[c.model]
    bounds = figures(c)
    out = [f"### {md_escape(entry.label)} — cumulative cost (policy `{c.policy}`)", "",
           "| | emissions | energy |", "|---|---:|---:|"]
    for name in ("own", "inherited", "cumulative"):
        out.append(f"| {name} | {fmt(*bounds[f'{name}_kgco2e'])} | "
                   f"{fmt(*bounds[f'{name}_kwh'], 'kwh')} |")
    if c.contributions:
        out += ["", "| ancestor | share | emissions |", "|---|---:|---:|"]
        for x in c.contributions:
            out.append(f"| {md_escape(x.model)} | {x.coefficient:.4g} | "
                       f"{fmt(x.kgco2e, x.is_complete)} |")
    out += ["", f"Basis: {basis_line(c.basis)}."]
    own, weighed = unknown_models(c)
    if own:
        out.append(f"Unknown own cost: {md_escape(', '.join(own))} (figures are lower bounds).")
    if weighed:
        out.append(f"Unknown energy weighing compute shares: {md_escape(', '.join(weighed))} "
                   "(figures inherited through them are incomplete).")
    out.append(inputs_line(inputs_record(results.project, results.policy)))
    return "\n".join(out) + "\n"


def inputs_line(inputs: dict[str, Any]) -> str:
    """The ``inputs`` block as one Markdown sentence (what the figures were computed from)."""
    reg = inputs["registry"]
    parts = [f"lineage {inputs['lineage']}"]
    if inputs["policy"] is not None:  # the family view has none
        parts.append(f"policy `{inputs['policy']}`")
    if reg:
        parts.append(f"registry checked {reg['checked']} (sha256 `{reg['sha256'][:12]}`)")
    parts += [f"`{md_escape(f['path'])}` (sha256 `{(f['sha256'] or '')[:12]}`)"
              for f in inputs["files"]]
    parts += [f"{k.replace('_', '-')} {v}" for k, v in inputs["options"].items() if v]
    return "Computed from: " + ", ".join(parts) + "."


def md_escape(text: str) -> str:
    """Escape text for a Markdown table cell (or a line of Markdown)."""
    out = visible(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
    for ch in "<>*_`[]":
        out = out.replace(ch, "\\" + ch)
    return out


# ---------------------------------------------------------------- table


TABLE_COLUMNS = ("model", "own", "inherited", "cumulative", "attributed", "cumulative energy",
                 "basis", "complete")


def table_rows(results: Results, models: Iterable[str]) -> list[list[str]]:
    """One row of human-readable figures per model."""
    rows = []
    for mid in models:
        c = results.costs[mid]
        rows.append([
            mid, fmt(c.own_kgco2e_bound, c.is_own_complete),
            fmt(c.inherited_kgco2e_bound, c.is_inherited_complete),
            fmt(c.cumulative_kgco2e_bound, c.is_complete),
            "n/a" if c.attributed_kgco2e_bound is None
            else fmt(c.attributed_kgco2e_bound, c.is_complete),
            fmt(c.cumulative_kwh_bound, c.is_energy_complete, "kwh"), basis_line(c.basis),
            "yes" if c.is_complete else "no",
        ])
    return rows


def render_table(header: Iterable[str], rows: list[list[str]]) -> str:
    """Columns padded to width, numbers right-aligned; control characters shown escaped."""
    return fit_table(header, [[visible(str(c)).replace("\n", "\\n") for c in row]
                              for row in rows])


def render_markdown(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    head = list(header)
    out = ["| " + " | ".join(md_escape(h) for h in head) + " |",
           "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(md_escape(str(c)) for c in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


def render_csv(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(map(csv_cell, header))
    w.writerows(map(csv_cell, row) for row in rows)
    return buf.getvalue()


CSV_COLUMNS = ("model", "policy", "complete", "own_kgco2e", "inherited_kgco2e",
               "cumulative_kgco2e", "attributed_kgco2e", "own_kwh", "cumulative_kwh",
               "energy_complete", "own_kgco2e_is_lower_bound",
               "inherited_kgco2e_is_lower_bound", "own_kwh_is_lower_bound")


def csv_rows(results: Results, models: Iterable[str]) -> list[list[Any]]:
    """Machine-readable rows (kgCO2e, kWh) for ``table --format csv``."""
    rows = []
    for mid in models:
        r = cost_record(results, results.costs[mid])
        rows.append([r[k] if not isinstance(r[k], bool) else str(r[k]).lower()
                     for k in CSV_COLUMNS])
    return rows


def _table_text(results: Results, models: list[str]) -> str:
    return fit_table(TABLE_COLUMNS, table_rows(results, models), terminal_width(), use_colour())


# One writer per ``--format`` of ``lineage table``: (the results, the models to list).
TABLE_WRITERS: dict[str, Callable[[Any, list[str]], str]] = {
    "json": lambda r, ms: to_json([cost_record(r, r.costs[m]) for m in ms]),
    "csv": lambda r, ms: render_csv(CSV_COLUMNS, csv_rows(r, ms)),
    "md": lambda r, ms: render_markdown(TABLE_COLUMNS, table_rows(r, ms))
    + f"\n{inputs_line(inputs_record(r.project, r.policy))}\n",
    "table": _table_text,
}


def known_or_none(mid: Any, high: Any, complete: Any) -> list[float | None]:
    """Figures (numpy columns) as :func:`known` writes them: None where nothing is known."""
    unknown = ~complete & (high == 0)
    return [None if u else v for v, u in zip(mid.tolist(), unknown.tolist(), strict=True)]


def fmt_share(x: float) -> str:
    """A share as a percentage that is never rounded to 0% or 100% when it is neither.

    Example:
        >>> fmt_share(1 / 100_001), fmt_share(0.5), fmt_share(100_000 / 100_001), fmt_share(0.0)
        ('<0.1%', '50.0%', '>99.9%', '0.0%')
    """
    if 0 < x < 0.001:
        return "<0.1%"
    if 0.999 < x < 1:
        return ">99.9%"
    return f"{x:.1%}"
