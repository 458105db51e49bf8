"""Model-card metadata: Hugging Face's ``co2_eq_emissions`` block (in GRAMS, own training only,
as the Hub expects) and a ``lineage`` block with the cumulative figures, so that nobody counts
a teacher twice by adding the two."""

from __future__ import annotations

from typing import Any

from lineage.engine import Results

TRAINING_TYPE = {"pretraining": "pre-training", "continued-pretraining": "pre-training"}


def card_metadata(results: Results, model: str) -> dict[str, Any]:
    """The YAML front-matter entries for ``model``'s card.

    ``co2_eq_emissions.emissions`` is the model's own cost in grams (left out when unknown);
    ``lineage`` carries the cumulative cost, the policy, completeness and each ancestor's
    contribution in kgCO2e.
    """
    from lineage import __version__

    c = results.costs[model]
    d = results.direct[model]
    kinds = [s.kind for s in d.steps]
    hardware = sorted({p.inputs.hardware for s in d.steps for p in s.parts
                       if p.inputs.hardware})
    gpu_hours = sum(p.inputs.gpu_hours.mid for s in d.steps for p in s.parts
                    if p.inputs.gpu_hours is not None)
    sources = sorted({src for s in d.steps for p in s.parts for src in p.sources})
    out: dict[str, Any] = {}
    if c.is_own_complete:
        co2: dict[str, Any] = {
            "emissions": round(c.own_kgco2e.mid * 1000, 1),
            "source": f"lineage {__version__}: " + ("; ".join(sources) or "declared steps"),
            "training_type": ", ".join(dict.fromkeys(TRAINING_TYPE.get(k, "fine-tuning")
                                                     for k in kinds)),
        }
        if hardware or gpu_hours:
            co2["hardware_used"] = f"{gpu_hours:,.0f} GPU-hours on {', '.join(hardware)}" \
                if hardware else f"{gpu_hours:,.0f} GPU-hours"
        out["co2_eq_emissions"] = co2
    out["lineage"] = {
        "policy": c.policy,
        "complete": c.is_complete,
        "own_kgco2e": round(c.own_kgco2e.mid, 3),
        "cumulative_kgco2e": round(c.cumulative_kgco2e.mid, 3),
        "cumulative_kwh": round(c.cumulative_kwh.mid, 3),
        "note": "cumulative includes an amortized share of every ancestor's cost; "
                "co2_eq_emissions (grams) is this model's own training only",
        "contributions": {x.model: round(x.kgco2e.mid, 3) for x in c.contributions},
    }
    return out


def card_yaml(results: Results, model: str) -> str:
    import yaml

    return yaml.safe_dump(card_metadata(results, model), sort_keys=False, allow_unicode=True,
                          width=100)
