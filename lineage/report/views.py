"""Text and JSON for the views that answer the seed question: every policy side by side,
models compared (with break-even), deployment, embodied emissions, a family; the writers of
``compare`` and ``family``, one per ``--format``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from lineage.core.records import cost_record, figure, figures, known, provenance
from lineage.model.interval import Interval
from lineage.report import tables
from lineage.report.escape import visible
from lineage.report.style import fit_lines, terminal_width
from lineage.report.tables import (
    basis_line,
    fmt,
    fmt_count,
    fmt_kg,
    fmt_kwh,
    fmt_share,
    inputs_line,
    known_or_none,
    md_escape,
    render_table,
)

if TYPE_CHECKING:  # the results' types only: ``cost`` needs none of their modules
    from lineage.core.compare import BreakEven, Comparison, PolicyOutcome
    from lineage.core.deployment import DeploymentCost
    from lineage.core.embodied import EmbodiedCost
    from lineage.core.family import FamilyTotal
    from lineage.core.payoff import Line, Payoff


def policies_text(model: str, outcomes: list[PolicyOutcome]) -> str:
    """``cost --policy all``: one row per policy, with what the policy assumes."""
    rows = []
    for o in outcomes:
        if o.cost is None:
            rows.append([o.policy, "n/a", "n/a", "n/a", o.problem or ""])
            continue
        c = o.cost
        attributed = "n/a" if c.attributed_kgco2e_bound is None else fmt(c.attributed_kgco2e_bound,
                                                                     c.is_complete)
        rows.append([o.policy, fmt(c.cumulative_kgco2e_bound, c.is_complete),
                     fmt(c.inherited_kgco2e_bound, c.is_inherited_complete), attributed,
                     o.assumption])
    known = [o.cost.cumulative_kgco2e_bound.mid for o in outcomes
             if o.cost is not None and o.policy != "full"]
    head = f"{visible(model)}: cumulative cost under every allocation policy\n"
    table = render_table(("policy", "cumulative", "inherited", "attributed", "assumes"), rows)
    foot = ""
    if known and min(known) > 0:
        foot = (f"Among conserving policies the cumulative cost ranges from {fmt_kg(min(known))} "
                f"to {fmt_kg(max(known))} ({max(known) / min(known):.1f}×): the allocation "
                "choice matters; say which one you used.\n")
    return head + table + foot


def policies_json(model: str, outcomes: list[PolicyOutcome],
                  prov: dict[str, Any]) -> dict[str, Any]:
    """``cost --policy all --format json``; ``prov``: :func:`~lineage.core.records.provenance`."""
    out: dict[str, Any] = {"model": model, "policies": {}, **prov}
    for o in outcomes:
        entry: dict[str, Any] = {"assumes": o.assumption, "problem": o.problem}
        if o.cost is not None:
            entry["complete"] = o.cost.is_complete
            bounds = figures(o.cost)
            for key in ("cumulative_kgco2e", "inherited_kgco2e", "attributed_kgco2e",
                        "cumulative_kwh"):  # unknown: null, never 0
                figure(entry, key, known(*bounds[key]), ranged=False)
        out["policies"][o.policy] = entry
    return out


COMPARE_COLUMNS = ("model", "own", "inherited", "cumulative", "cumulative energy", "basis",
                   "complete")


def compare_rows(cmp: Comparison) -> list[list[str]]:
    """The rows of ``lineage table`` for the compared models, in :data:`COMPARE_COLUMNS`
    (no attributed figure); an incomplete row says "no (≥)"."""
    at = [tables.TABLE_COLUMNS.index(column) for column in COMPARE_COLUMNS]
    return [[row[i] for i in at[:-1]] + ["yes" if row[at[-1]] == "yes" else "no (≥)"]
            for row in tables.table_rows(cmp.results, cmp.models)]


def break_even_text(be: BreakEven) -> str:
    head = (f"{be.student} vs {be.scratch} (equal amortization): the student costs "
            f"{_kg_or_bound(be.student_own_kgco2e, be.is_own_known)} of its own and shares "
            f"{_kg_or_bound(be.teachers_kgco2e, be.is_teachers_known)} of teacher cost "
            f"({', '.join(be.teachers)}); "
            f"{be.scratch} costs {_kg_or_bound(be.scratch_own_kgco2e, be.is_scratch_known)}.")
    if not be.is_known:
        return head + (" Break-even unknown: a cost it depends on is not published "
                       "(figures are lower bounds).\n")
    if be.students is None:
        return head + " Distilling never wins: the student's own cost alone is not lower.\n"
    n = be.students
    at_n = be.student_own_kgco2e + be.teachers_kgco2e / (n + 1)
    return (head + f" Distilling wins from {n} student{'s' if n > 1 else ''} sharing the "
            f"teacher: {fmt_kg(be.student_own_kgco2e)} + {fmt_kg(be.teachers_kgco2e)} / {n + 1}"
            f" = {fmt_kg(at_n)} ≤ {fmt_kg(be.scratch_own_kgco2e)}.\n")


def _kg_or_bound(kg: float, is_known: bool) -> str:
    """A figure, "≥ figure" when it is a lower bound, "an unknown amount" when nothing is known."""
    if is_known:
        return fmt_kg(kg)
    return "an unknown amount" if kg == 0 else f"≥ {fmt_kg(kg)}"


def compare_text(cmp: Comparison) -> str:
    out = f"policy {cmp.results.policy}\n" + render_table(COMPARE_COLUMNS, compare_rows(cmp))
    for be in cmp.break_evens:
        out += "\n" + visible(break_even_text(be))
    return out


def break_even_json(be: BreakEven) -> dict[str, Any]:
    return {"student": be.student, "scratch": be.scratch, "teachers": list(be.teachers),
            "teachers_kgco2e": be.teachers_kgco2e if be.is_teachers_known else None,
            "student_own_kgco2e": be.student_own_kgco2e if be.is_own_known else None,
            "scratch_kgco2e": be.scratch_own_kgco2e if be.is_scratch_known else None,
            "complete": be.is_known,
            "break_even_students": be.students if be.is_known else None}


# ``compare --task``: the models in use, as text and as JSON records (None without --task)
InUse = tuple[str, list[dict[str, Any]]] | None


def _compare_json(cmp: Comparison, policy: str, in_use: InUse) -> str:
    r = cmp.results
    record = {"policy": policy,
              "models": [cost_record(r, r.costs[m]) for m in cmp.models],
              "break_even": [break_even_json(b) for b in cmp.break_evens],
              **provenance(r.project, policy)}
    return tables.to_json(record if in_use is None else {**record, "in_use": in_use[1]})


def _compare_md(cmp: Comparison, policy: str, in_use: InUse) -> str:
    """The table, each break-even sentence, the models in use and the inputs (what the text
    format prints, as Markdown)."""
    text = "" if in_use is None else in_use[0]
    inputs = provenance(cmp.results.project, policy)["inputs"]
    return (tables.render_markdown(COMPARE_COLUMNS, compare_rows(cmp))
            + "".join(f"\n{md_escape(break_even_text(be).strip())}\n" for be in cmp.break_evens)
            + (f"\n```text{text}```\n" if text else "") + f"\n{inputs_line(inputs)}\n")


def _compare_table(cmp: Comparison, policy: str, in_use: InUse) -> str:
    return fit_lines(compare_text(cmp) + ("" if in_use is None else in_use[0]), terminal_width())


# One writer per ``--format`` of ``lineage compare``: (the comparison, the --policy asked for,
# the models in use); csv is ``lineage table``'s of the compared models.
COMPARE_WRITERS: dict[str, Callable[[Any, str, InUse], str]] = {
    "json": _compare_json,
    "csv": lambda cmp, policy, in_use: tables.TABLE_WRITERS["csv"](cmp.results, cmp.models),
    "md": _compare_md,
    "table": _compare_table,
}


def deployment_text(d: DeploymentCost) -> str:
    lines = [f"  deployment   {fmt_count(d.queries_per_day)} queries/day × {fmt_count(d.days)} "
             f"days = {fmt_count(d.queries)} queries at {d.kwh_per_1k_queries.mid:g} kWh per "
             f"1,000 ({d.basis})",
             f"    inference  {fmt_kwh(d.energy_kwh.mid)} · "
             + ("emissions unknown (no grid or intensity)" if d.emissions_kgco2e is None
                else fmt_kg(d.emissions_kgco2e.mid))]
    mark = "" if d.training_complete else "≥ "
    if d.break_even_queries is not None and d.break_even_days is not None:
        lines.append(f"    overtakes  the cumulative training cost after {mark}"
                     f"{fmt_count(d.break_even_queries)} queries ({mark}"
                     f"{fmt_count(d.break_even_days)} days at this rate)")
    if d.training_kgco2e_per_1k_queries is not None:
        lines.append(f"    amortized  training cost per 1,000 queries over this deployment: "
                     f"{mark}{fmt_kg(d.training_kgco2e_per_1k_queries)}")
    return "\n".join(lines) + "\n"


def deployment_json(d: DeploymentCost) -> dict[str, Any]:
    return {"kwh_per_1k_queries": d.kwh_per_1k_queries.mid,
            "kgco2e_per_1k_queries": None if d.kgco2e_per_1k_queries is None
            else d.kgco2e_per_1k_queries.mid, "basis": d.basis, "queries": d.queries,
            "inference_kwh": d.energy_kwh.mid,
            "inference_kgco2e": None if d.emissions_kgco2e is None else d.emissions_kgco2e.mid,
            "break_even_queries": d.break_even_queries, "break_even_days": d.break_even_days,
            "training_kgco2e_per_1k_queries": d.training_kgco2e_per_1k_queries}


def payoff_text(p: Payoff) -> str:
    """``compare --task``: each model per million queries, and when the student's training is
    repaid by its cheaper queries (or why never)."""
    s, a = p.student, p.alternative
    width = max(len(s.model), len(a.model))
    lines = [f"{s.model} vs {a.model} in use (policy {p.policy}): training, then per million "
             "queries"]
    lines += [f"  {ln.model:<{width}}  {_training(ln)} to make · {_per_million(ln)} per million "
              f"queries ({ln.basis})" for ln in (s, a)]
    return "\n".join(lines) + "\n  " + _verdict(p) + "\n"


def _training(ln: Line) -> str:
    return fmt_kg(ln.training_kgco2e) if ln.is_complete else f"≥ {fmt_kg(ln.training_kgco2e)}"


def _per_million(ln: Line) -> str:
    kwh = "" if ln.kwh_per_1k_queries is None else f"{fmt_kwh(ln.kwh_per_1k_queries * 1000)}, "
    grid = "" if not ln.intensity_from else " (intensity given)" \
        if ln.intensity_from == "intensity" else f" (grid {ln.intensity_from})"
    return kwh + fmt_kg(ln.kgco2e_per_1k_queries * 1000) + grid


def _bounds(p: Payoff) -> tuple[int, str, str]:
    """Which way the true training gap may lie from the one computed (docs/method.md,
    "Student against teacher in use"): +1 when the student's figure is a lower bound (the gap
    can only grow), -1 when the other's is (it can only shrink), 0 when both are known; with
    the marks of the gap's size ("X more/less to make") and of the crossing."""
    d = 0 if p.student.is_complete == p.alternative.is_complete else \
        (1 if p.alternative.is_complete else -1)
    up = {1: "≥ ", -1: "≤ ", 0: ""}
    size = up[d if p.training_gap_kgco2e >= 0 else -d]  # "less": a bigger gap is less less
    cross = up[d if p.saving_per_1k_queries > 0 else -d]  # overtaken: the other catches up sooner
    return d, size, cross


def is_sure(p: Payoff) -> bool:
    """Whether the verdict holds whatever the unknown training costs are: "repaid" and
    "overtaken" always do (only the crossing moves), "never" unless the other model's figure
    is a lower bound, "cheaper" unless the student's is; none when both are lower bounds."""
    if not (p.student.is_complete or p.alternative.is_complete):
        return False
    d = _bounds(p)[0]
    return not ((p.verdict == "never" and d < 0) or (p.verdict == "cheaper" and d > 0))


def _verdict(p: Payoff) -> str:
    """One sentence; "≥"/"≤" on the gap and the crossing when a training figure is a lower
    bound, and no ordering claimed that the unknown part could reverse."""
    a = p.alternative
    if not (p.student.is_complete or a.is_complete):
        return ("Break-even unknown: both training figures are lower bounds "
                "(a cost they depend on is not published).")
    d, size, mark = _bounds(p)
    gap = f"{size}{fmt_kg(abs(p.training_gap_kgco2e))}"
    saving = abs(p.saving_per_1k_queries) * 1000
    per = f"{fmt_kg(saving)} {'saved' if p.saving_per_1k_queries > 0 else 'more'} per million"
    why = {0: "", 1: "the student's training figure is a lower bound",
           -1: f"{a.model}'s training figure is a lower bound"}[d]
    bound, per = (f" ({why})", f"{per}; {why}") if why else ("", per)
    cross = p.crossing_queries
    if p.verdict == "repaid" and cross is not None:
        return (f"The student's {gap} of extra training is repaid by its cheaper queries "
                f"after {mark}{fmt_count(cross)} queries ({per}).")
    if p.verdict == "overtaken" and cross is not None:
        return (f"The student costs {gap} less to make but more to serve: {a.model} catches "
                f"up after {mark}{fmt_count(cross)} queries ({per}).")
    if p.verdict == "never":
        if not is_sure(p):
            return (f"The student costs {gap} more to make and no less to serve{bound}: "
                    "whether its training is ever repaid is unknown.")
        return (f"The student costs {gap} more to make and no less to serve: its training "
                f"is never repaid{bound}.")
    if not is_sure(p):
        return (f"The student costs {gap} less to make and no more to serve{bound}: whether "
                "it is cheaper from the first query is unknown.")
    return (f"The student costs {gap} less to make and no more to serve: it is cheaper from "
            f"the first query{bound}.")


def payoff_json(p: Payoff) -> dict[str, Any]:
    """The verdict is null when the unknown training costs could change it
    (:func:`is_sure`); ``break_even_bound`` says which way the crossing may move."""
    def side(ln: Line) -> dict[str, Any]:
        return {"model": ln.model, "training_kgco2e": ln.training_kgco2e,
                "training_complete": ln.is_complete,
                "kwh_per_1k_queries": ln.kwh_per_1k_queries,
                "kgco2e_per_1k_queries": ln.kgco2e_per_1k_queries, "basis": ln.basis,
                "intensity_from": ln.intensity_from}

    sure = is_sure(p)
    mark = _bounds(p)[2]
    return {"policy": p.policy, "student": side(p.student), "alternative": side(p.alternative),
            "verdict": p.verdict if sure else None,
            "break_even_queries": p.crossing_queries if sure else None,
            "break_even_bound": {"≥ ": "lower", "≤ ": "upper", "": None}[mark]
            if sure and p.crossing_queries is not None else None}


def embodied_text(own: EmbodiedCost, cumulative: Interval, complete: bool) -> str:
    lines = [f"  embodied     own {fmt(own.kgco2e, own.is_complete)} · cumulative "
             f"{fmt(cumulative, complete)} (hardware manufacturing, by time share; "
             "not included in the figures above)"]
    for p in own.parts:
        if p.kgco2e is None:
            why = "no hardware named" if p.hardware is None else (
                "no GPU-hours" if p.gpu_hours is None else f"no embodied figure for {p.hardware}")
            lines.append(f"      {p.step_kind} {p.part}: unknown ({why})")
            continue
        assert p.gpu_hours and p.lifetime_hours and p.device_kgco2e
        lines.append(f"      {p.step_kind} {p.part}: {p.gpu_hours.mid:,.0f} GPU-h / "
                     f"{p.lifetime_hours.mid:,.0f} h × {fmt_kg(p.device_kgco2e.mid)} "
                     f"({p.hardware}{', estimate' if p.is_estimate else ''}) = "
                     f"{fmt_kg(p.kgco2e.mid)}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- family


def family_record(fam: FamilyTotal, prov: dict[str, Any]) -> dict[str, Any]:
    """The keys of ``lineage family --format json``; ``prov``:
    :func:`~lineage.core.records.provenance`."""
    kg, kwh = known(fam.own_kgco2e, fam.is_complete), known(fam.own_kwh, fam.is_energy_complete)
    return {**prov, "root": fam.root, "models": list(fam.models), "complete": fam.is_complete,
            "energy_complete": fam.is_energy_complete,
            "own_kgco2e_total": None if kg is None else kg.mid,  # unknown: null, never 0
            "own_kwh_total": None if kwh is None else kwh.mid,
            "coverage": fam.coverage, "known": list(fam.known), "unknown": list(fam.unknown),
            "basis": fam.basis,
            "reported_totals": [{"models": list(models), "kgco2e": kg.mid, "note": note}
                                for models, kg, note in fam.reported_totals],
            "largest": [{"model": m, "kgco2e": v} for m, v in fam.largest()]}


FAMILY_HEADER = ("model", "own_kgco2e", "own_kwh", "complete")


def family_rows(fam: FamilyTotal) -> Iterator[list[Any]]:
    """(model, own kgCO2e, own kWh, complete) per member, for CSV and Markdown; unknown
    figures empty."""
    kg = known_or_none(fam.kg[:, 1], fam.kg[:, 2], fam.complete)
    kwh = known_or_none(fam.kwh[:, 1], fam.kwh[:, 2], fam.energy_complete)
    for i, m in enumerate(fam.models):
        yield [m, kg[i], kwh[i], "true" if fam.complete[i] else "false"]


def family_markdown(fam: FamilyTotal, prov: dict[str, Any]) -> str:
    """``lineage family --format md``: every member's own cost as the text prints it, the
    sum, coverage and basis, figures reported jointly, and the inputs."""
    rows = [[m, fmt(Interval(*fam.kg[i].tolist()), bool(fam.complete[i])),
             fmt(Interval(*fam.kwh[i].tolist()), bool(fam.energy_complete[i]), "kwh"),
             "yes" if fam.complete[i] else "no"] for i, m in enumerate(fam.models)]
    size = len(fam.models)
    lines = [f"### Family of {md_escape(fam.root)}: {size:,} models (the root and all its "
             "descendants, each counted once)", "",
             tables.render_markdown(("model", "own", "own energy", "complete"), rows).rstrip(),
             "", f"Own cost, summed: {fmt(fam.own_kgco2e, fam.is_complete)} · "
             f"{fmt(fam.own_kwh, fam.is_energy_complete, 'kwh')}; coverage "
             f"{fmt_share(fam.coverage)} of models have a known own cost "
             f"({int(fam.complete.sum()):,}/{size:,}); basis {basis_line(fam.basis)}."]
    lines += [f"Reported jointly: {fmt(kg, True)} for {md_escape(', '.join(models))}"
              + (f" — {md_escape(note)}" if note else "") + "." for models, kg, note in
              fam.reported_totals]
    return "\n".join([*lines, inputs_line(prov["inputs"])]) + "\n"


def family_text(fam: FamilyTotal) -> str:
    """Every member's own cost, or the largest known ones in a family of more than
    :data:`~lineage.core.family.LARGEST` models."""
    from lineage.core.family import LARGEST

    size, known_ = len(fam.models), int(fam.complete.sum())
    lines = [f"Family of {fam.root}: {size:,} models (the root and all its "
             "descendants, each counted once)",
             f"  own cost, summed   {fmt(fam.own_kgco2e, fam.is_complete)}   "
             f"{fmt(fam.own_kwh, fam.is_energy_complete, 'kwh')}",
             f"  coverage           {fmt_share(fam.coverage)} of models have a known own cost "
             f"({known_:,}/{size:,})",
             f"  basis              {basis_line(fam.basis)}"]
    shown = range(size) if size <= LARGEST else fam.top()
    if size > LARGEST and shown:
        lines.append("  largest known own costs:")
    cells = [(fam.models[i], fmt(Interval(*fam.kg[i].tolist()), bool(fam.complete[i])))
             for i in shown]
    width = max([14, *(len(figure) for _, figure in cells)])  # ranges are wider
    lines += [f"    {visible(m):<48} {figure:>{width}}" for m, figure in cells]
    for models, kg, note in fam.reported_totals:
        lines.append(f"  reported jointly   {fmt(kg, True)} for {', '.join(models)}"
                     + (f" — {note}" if note else ""))
    return visible("\n".join(lines)) + "\n"


# One writer per ``--format`` of ``lineage family``: (the family, its provenance).
FAMILY_WRITERS: dict[str, Callable[[Any, dict[str, Any]], str]] = {
    "json": lambda fam, prov: tables.to_json(family_record(fam, prov)),
    "csv": lambda fam, prov: tables.render_csv(FAMILY_HEADER, family_rows(fam)),
    "md": family_markdown,
    "table": lambda fam, prov: family_text(fam),
}
