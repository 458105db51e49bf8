"""What one Hub record says, whatever shape it comes in (issue 12).

Three shapes are read, in this order of precedence for each field:

- our flat lines: ``base_model``, ``base_model_relation``, ``co2_eq_emissions``, ``params``,
  ``downloads``, ``created_at`` as top-level keys;
- the Hub API's records (``HfApi.list_models(expand=[...])``, ``/api/models?expand[]=...``):
  ``baseModels`` ``{"relation": ..., "models": [{"id": ...}]}``, ``cardData`` (the card's
  front matter: ``base_model``, ``base_model_relation``, ``co2_eq_emissions`` in grams),
  ``safetensors`` ``{"parameters": {...}, "total": N}`` and ``gguf`` ``{"total": N, ...}``,
  ``downloadsAllTime`` / ``downloads``, ``createdAt``;
- the Hub's computed tags, when a record carries no other lineage:
  ``base_model:<relation>:<id>`` and the bare ``base_model:<id>``.

Values are returned raw; their types are checked by :mod:`lineage.io.dump`, which says where a
bad one is.
"""

from __future__ import annotations

from typing import Any

TAG = "base_model:"
TAG_RELATIONS = ("adapter", "finetune", "merge", "quantized")
LOOKED_FOR = ("base_model, base_model_relation, co2_eq_emissions, params (flat lines); "
              "baseModels, cardData.base_model, cardData.base_model_relation, "
              "cardData.co2_eq_emissions, safetensors.total, gguf.total and tags "
              '"base_model:…" (the Hub\'s records)')
BAD_BASES = object()  # a lineage field of the wrong shape: reported by the reader


def lineage(o: dict[str, Any]) -> tuple[Any, Any, str] | None:
    """(base models, relation, the key they came from) of the record ``o``, or None.

    ``base models`` is raw (a string or a list, checked later) or :data:`BAD_BASES`.
    """
    if "base_model" in o or "base_model_relation" in o:
        return o.get("base_model"), o.get("base_model_relation"), "base_model"
    bm = o.get("baseModels")
    if bm is not None:
        return _base_models(bm)
    card = o.get("cardData")
    if type(card) is dict and ("base_model" in card or "base_model_relation" in card):
        return card.get("base_model"), card.get("base_model_relation"), "cardData"
    tags = o.get("tags")
    if type(tags) is list:
        return from_tags([t for t in tags if type(t) is str and t.startswith(TAG)])
    return None


def _base_models(bm: Any) -> tuple[Any, Any, str]:
    models = bm.get("models") if type(bm) is dict else None
    if type(models) is not list or not all(type(m) is dict and type(m.get("id")) is str
                                           for m in models):
        return BAD_BASES, None, "baseModels"
    return [m["id"] for m in models], bm.get("relation"), "baseModels"


def from_tags(tags: list[str]) -> tuple[Any, Any, str] | None:
    """Lineage from the ``base_model:`` tags of one record (already filtered), or None.

    Tags with a relation win over the bare ones (the Hub writes both); a record whose tags
    name two relations keeps the first, as the Hub has one relation per model.
    """
    related, bare, relation = [], [], None
    for tag in tags:
        rest = tag[len(TAG):]
        kind, _, name = rest.partition(":")
        if name and kind in TAG_RELATIONS:
            related.append(name)
            relation = relation or kind
        elif rest and ":" not in rest:
            bare.append(rest)
    if related:
        return related, relation, "tags"
    return (bare, None, "tags") if bare else None


def emissions(o: dict[str, Any]) -> tuple[bool, Any]:
    """(whether the record reports emissions, the raw value: grams, a mapping or text)."""
    if "co2_eq_emissions" in o:
        return True, o["co2_eq_emissions"]
    card = o.get("cardData")
    if type(card) is dict and "co2_eq_emissions" in card:
        return True, card["co2_eq_emissions"]
    return False, None


def params(o: dict[str, Any]) -> Any:
    """``params``, else ``safetensors.total``, else ``gguf.total`` (raw); a null is not
    given."""
    if o.get("params") is not None:
        return o["params"]
    for key in ("safetensors", "gguf"):
        value = o.get(key)
        if type(value) is dict and value.get("total") is not None:
            return value["total"]
    return None


def downloads(o: dict[str, Any]) -> Any:
    """``downloadsAllTime`` (a model's whole life) when given, else ``downloads`` (the API's
    last 30 days; our flat lines' only count)."""
    value = o.get("downloadsAllTime")
    return value if value is not None else o.get("downloads")


def created(o: dict[str, Any]) -> Any:
    value = o.get("created_at")
    return value if value is not None else o.get("createdAt")
