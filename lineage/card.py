"""Model-card metadata: Hugging Face's ``co2_eq_emissions`` block (in GRAMS, own training only,
as the Hub expects) and a ``lineage`` block with the inherited and cumulative figures, so that
nobody counts a teacher twice by adding the two; plus a short paragraph for the card body.

``lineage import hf`` reads ``co2_eq_emissions`` back and ignores the ``lineage`` block, so a
card written from this output imports as the same own figure.
"""

from __future__ import annotations

from typing import Any

from lineage.engine import Results

TRAINING_TYPE = {"pretraining": "pre-training", "continued-pretraining": "pre-training",
                 "distillation": "distillation", "pruning": "pruning", "merging": "merging",
                 "quantization": "quantization"}
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
    from lineage import __version__

    c, d = results.costs[model], results.direct[model]
    kinds = [s.kind for s in d.steps]
    parts = [p for s in d.steps for p in s.parts]
    hardware = sorted({p.inputs.hardware for p in parts if p.inputs.hardware})
    gpu_hours = sum(p.inputs.gpu_hours.mid for p in parts if p.inputs.gpu_hours is not None)
    sources = sorted({src for p in parts for src in p.sources})
    co2: dict[str, Any] = {
        "emissions": _grams(c.own_kgco2e.mid),
        "source": f"lineage {__version__}: " + ("; ".join(sources) or "declared steps"),
        "training_type": ", ".join(dict.fromkeys(TRAINING_TYPE.get(k, "fine-tuning")
                                                 for k in kinds)),
    }
    if hardware or gpu_hours:
        co2["hardware_used"] = f"{gpu_hours:,.0f} GPU-hours on {', '.join(hardware)}" \
            if hardware else f"{gpu_hours:,.0f} GPU-hours"
    return co2


def card_metadata(results: Results, model: str) -> dict[str, Any]:
    """The YAML front-matter entries for ``model``'s card.

    ``co2_eq_emissions.emissions`` is the model's own cost in grams (left out when unknown);
    ``lineage`` carries own, inherited and cumulative figures in kgCO2e, the policy, the
    registry date, the scope, completeness and each ancestor's contribution.
    """
    from lineage import __version__

    c = results.costs[model]
    out: dict[str, Any] = {}
    if c.is_own_complete:
        out["co2_eq_emissions"] = _co2(results, model)
    block: dict[str, Any] = {
        "policy": c.policy,
        "complete": c.is_complete,
        "own_kgco2e": round(c.own_kgco2e.mid, 3),
        "inherited_kgco2e": round(c.inherited_kgco2e.mid, 3),
        "cumulative_kgco2e": round(c.cumulative_kgco2e.mid, 3),
        "cumulative_kwh": round(c.cumulative_kwh.mid, 3),
    }
    if not c.cumulative_kgco2e.is_exact:
        block["cumulative_kgco2e_range"] = [round(c.cumulative_kgco2e.low, 3),
                                            round(c.cumulative_kgco2e.high, 3)]
    block |= {
        "scope": SCOPE,
        "registry_checked": registry_checked(results),
        "tool": f"lineage {__version__}",
        "note": "cumulative includes an amortized share of every ancestor's cost; "
                "co2_eq_emissions (grams) is this model's own training only: do not add them",
        "contributions": {x.model: round(x.kgco2e.mid, 3) for x in c.contributions},
    }
    if c.unknown:
        block["unknown"] = list(c.unknown)
    out["lineage"] = block
    return out


def card_markdown(results: Results, model: str) -> str:
    """A paragraph for the card body that explains the figures of :func:`card_metadata`."""
    c = results.costs[model]
    label = results.project.models[model].label
    lower = "" if c.is_complete else "at least "
    own = (f"Training {label} itself emitted {_kg(c.own_kgco2e.mid)} kgCO2e "
           f"({_grams(c.own_kgco2e.mid):,.6g} g, the `co2_eq_emissions` figure)."
           if c.is_own_complete else f"The emissions of training {label} itself are unknown.")
    parents = results.project.parents(model)
    if parents:
        inherit = (f" It was derived from {', '.join(parents)}; under the `{c.policy}` allocation "
                   f"policy it inherits {lower}{_kg(c.inherited_kgco2e.mid)} kgCO2e of its "
                   f"ancestors' cost, for a cumulative cost of {lower}"
                   f"{_kg(c.cumulative_kgco2e.mid)} kgCO2e "
                   "(cradle to gate, training only).")
    else:
        inherit = " It has no parent model, so its cumulative cost is its own cost."
    unknown = (f" The cost of {', '.join(c.unknown)} is unknown, so these figures are lower "
               "bounds." if c.unknown else "")
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
