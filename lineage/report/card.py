"""Model-card metadata: Hugging Face's ``co2_eq_emissions`` block (in GRAMS, own training only,
as the Hub expects) and a ``lineage`` block with the inherited and cumulative figures, so that
nobody counts a teacher twice by adding the two; plus a short paragraph for the card body.

``base_model`` and ``base_model_relation`` name the parents as the Hub does. ``lineage import
hf`` reads ``base_model``, ``base_model_relation`` and ``co2_eq_emissions`` (its
``training_type`` for the kinds the Hub has no relation for) back and ignores the ``lineage``
block, so a card written from this output imports as the same own figure, parents and step kind
(instruction- and preference-tuning come back as finetuning: the Hub says "fine-tuning").
"""

from __future__ import annotations

from typing import Any

from lineage.core.engine import Results
from lineage.core.records import figures, inputs_record, known
from lineage.model.interval import Interval
from lineage.model.version import __version__
from lineage.report.tables import md_escape, unknown_phrase

TRAINING_TYPE = {"pretraining": "pre-training", "continued-pretraining": "pre-training",
                 "distillation": "distillation", "pruning": "pruning", "merging": "merging",
                 "quantization": "quantization"}
HUB_RELATION = {"finetuning": "finetune", "instruction-tuning": "finetune",
                "preference-tuning": "finetune", "quantization": "quantized", "merging": "merge"}
SCOPE = ("training only, cradle to gate: own = the steps that made this model (what "
         "co2_eq_emissions reports); inherited = the amortized share of every ancestor's "
         "cumulative cost under the policy; deployment and embodied hardware are not included")


def registry_checked(results: Results) -> str | None:
    """The latest ``checked:`` date of the loaded registry files (None without the registry)."""
    dates = [f.spec.checked for f in results.project.files if f.is_registry and f.spec.checked]
    return max(dates) if dates else None


def _grams(kg: float) -> float:
    return float(f"{kg * 1000:.12g}")


def _kg(x: float) -> str:
    """``89048.04`` → ``"89,048"``; ``2.41`` → ``"2.41"`` (kgCO2e as prose shows them)."""
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def _co2(results: Results, model: str) -> dict[str, Any]:
    c, d = results.costs[model], results.direct[model]
    kinds = [s.kind for s in d.steps]
    parts = [p for s in d.steps for p in s.parts]
    catalog = results.project.catalog
    hardware = sorted({_name(catalog.hardware.find(p.inputs.hardware), p.inputs.hardware)
                       for p in parts if p.inputs.hardware})
    found = [catalog.grids.find(p.inputs.intensity_from) for p in parts
             if p.emissions_basis != "assumed" and p.inputs.intensity_from not in ("", "intensity")]
    grids = sorted({_name(g, g.id) for g in found  # a place; a method factor locates nothing
                    if g is not None and g.spec.kind in ("country", "region", "cloud")})
    gpu_hours = sum(p.inputs.gpu_hours.mid for p in parts if p.inputs.gpu_hours is not None)
    sources = sorted({src for p in parts for src in p.sources})
    co2: dict[str, Any] = {
        "emissions": _grams(c.own_kgco2e_bound.mid),
        "source": f"lineage {__version__}: " + ("; ".join(sources) or "declared steps"),
        "training_type": ", ".join(dict.fromkeys(TRAINING_TYPE.get(k, "fine-tuning")
                                                 for k in kinds)),
    }
    if hardware or gpu_hours:
        co2["hardware_used"] = f"{gpu_hours:,.0f} GPU-hours on {', '.join(hardware)}" \
            if hardware else f"{gpu_hours:,.0f} GPU-hours"
    if grids:  # Hugging Face's key for where the training ran (here: the grid's name)
        co2["geographical_location"] = ", ".join(grids)
    return co2


def _name(entry: Any, fallback: str) -> str:
    """A catalog entry's human name (``NVIDIA H100 SXM5 80GB``), not its internal id."""
    return str(getattr(entry.spec, "name", None) or entry.id) if entry is not None else fallback


def _figure(block: dict[str, Any], key: str, value: Interval | None, complete: bool) -> None:
    """``key: x`` when known; ``key: null`` when nothing of it is known; ``key: x`` and
    ``key_is_lower_bound: true`` when a part is unknown (what the other formats print "≥")."""
    if (value := known(value, complete)) is None:
        block[key] = None
        return
    block[key] = round(value.mid, 3)
    if not complete:
        block[f"{key}_is_lower_bound"] = True


def _base_models(results: Results, model: str) -> dict[str, Any]:
    """``base_model`` (the parents' Hub ids, else their lineage ids) and, where the Hub has one
    for the kinds of the steps that name parents, ``base_model_relation``.

    Distillation, pruning, (continued) pre-training and other steps have no Hub relation: it is
    left out (the Hub then infers one) and ``co2_eq_emissions.training_type`` says the kind.
    """
    project = results.project
    parents = project.parents(model)
    if not parents:
        return {}
    hub = [project.models[p].spec.hf or p for p in parents]
    out: dict[str, Any] = {"base_model": hub[0] if len(hub) == 1 else hub}
    kinds = {s.kind for s in results.direct[model].steps if s.parents}
    relations = {HUB_RELATION.get(k) for k in kinds}
    if len(relations) == 1 and None not in relations:
        out["base_model_relation"] = relations.pop()
    return out


def card_metadata(results: Results, model: str) -> dict[str, Any]:
    """The YAML front-matter entries for ``model``'s card.

    ``base_model`` and ``base_model_relation`` name the parents as the Hub does;
    ``co2_eq_emissions.emissions`` is the model's own cost in grams (left out when unknown);
    ``lineage`` carries own, inherited and cumulative figures in kgCO2e, the policy, the
    registry date, the scope, completeness and each ancestor's contribution. A figure of which
    nothing is known is ``null`` (never 0); one that misses an unknown part carries
    ``<figure>_is_lower_bound: true`` beside it.
    """
    c = results.costs[model]
    out: dict[str, Any] = _base_models(results, model)
    if c.is_own_complete:
        out["co2_eq_emissions"] = _co2(results, model)
    block: dict[str, Any] = {"policy": c.policy, "complete": c.is_complete}
    bounds = figures(c)
    for key in ("own_kgco2e", "inherited_kgco2e", "cumulative_kgco2e", "cumulative_kwh"):
        _figure(block, key, *bounds[key])
    if block["cumulative_kgco2e"] is not None and not c.cumulative_kgco2e_bound.is_exact:
        block["cumulative_kgco2e_range"] = [round(c.cumulative_kgco2e_bound.low, 3),
                                            round(c.cumulative_kgco2e_bound.high, 3)]
    block |= {
        "scope": SCOPE,
        "registry_checked": registry_checked(results),
        "tool": f"lineage {__version__}",
        "inputs": inputs_record(results.project, results.policy),
        "note": "cumulative includes an amortized share of every ancestor's cost; "
                "co2_eq_emissions (grams) is this model's own training only: do not add them",
        # an ancestor of unknown cost contributes null, as in `lineage cost --format json`
        "contributions": {x.model: None if known(x.kgco2e, x.is_complete) is None
                          else round(x.kgco2e.mid, 3) for x in c.contributions},
    }
    if c.unknown:
        block["unknown"] = list(c.unknown)
    out["lineage"] = block
    return out


def _prose(value: Interval, complete: bool) -> str | None:
    """``"1,234 kgCO2e"``, ``"at least 1,234 kgCO2e"``, or None when nothing of it is known."""
    if known(value, complete) is None:
        return None
    return ("" if complete else "at least ") + f"{_kg(value.mid)} kgCO2e"


def card_markdown(results: Results, model: str) -> str:
    """A paragraph for the card body that explains the figures of :func:`card_metadata`."""
    c = results.costs[model]
    label = md_escape(results.project.models[model].label)
    own = (f"Training {label} itself emitted {_kg(c.own_kgco2e_bound.mid)} kgCO2e "
           f"({_grams(c.own_kgco2e_bound.mid):,.6g} g, the `co2_eq_emissions` figure)."
           if c.is_own_complete else f"The emissions of training {label} itself are unknown.")
    parents = results.project.parents(model)
    if parents:
        inherited = _prose(c.inherited_kgco2e_bound, c.is_inherited_complete)
        cumulative = _prose(c.cumulative_kgco2e_bound, c.is_complete)
        inherit = (f" It was derived from {md_escape(', '.join(parents))}; under the "
                   f"`{c.policy}` allocation policy it inherits "
                   + (f"{inherited} of its ancestors' cost" if inherited
                      else "an unknown share of its ancestors' cost")
                   + (f", for a cumulative cost of {cumulative}" if cumulative
                      else ", so its cumulative cost is unknown")
                   + " (cradle to gate, training only).")
    else:
        inherit = " It has no parent model, so its cumulative cost is its own cost."
    why = unknown_phrase(c, md_escape)
    unknown = f" T{why[1:]}, so these figures are lower bounds." if why else ""
    date = registry_checked(results)
    tail = (" Figures computed with [lineage](https://pypi.org/project/lineage-carbon/)"
            + (f" (registry checked {date})" if date else "") + "; the `lineage` block of the "
            "metadata lists each ancestor's contribution. Do not add the own and cumulative "
            "figures: the cumulative one already includes the own one.")
    return "## Environmental impact\n\n" + own + inherit + unknown + tail + "\n"


def card_yaml(results: Results, model: str) -> str:
    """:func:`card_metadata` as YAML, ready to paste into the card's front matter."""
    import yaml

    return yaml.safe_dump(card_metadata(results, model), sort_keys=False, allow_unicode=True,
                          width=100)


def card_readme(results: Results, model: str) -> str:
    """A card skeleton: the metadata as ``---`` front matter, then :func:`card_markdown`."""
    return f"---\n{card_yaml(results, model)}---\n\n{card_markdown(results, model)}"
