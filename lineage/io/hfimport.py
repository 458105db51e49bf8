"""``lineage import hf``: many model cards → one family file, parents resolved or stubbed.

Model ids follow the registry's convention (the lowercase repository name, ``org-name`` where
two would clash) and each model keeps its Hub id in ``hf:``, so both names work afterwards.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lineage.io.hfcards import Card, find_cards, read_card
from lineage.io.importers import checked
from lineage.model.catalog import Catalog
from lineage.model.errors import InputError, InputErrors, Warning_


@dataclass(frozen=True)
class RegistryIndex:
    """What the import needs from the registry: models by Hub id, ids in use, the catalog."""

    by_hf: dict[str, str]
    taken: frozenset[str]
    catalog: Catalog | None

    @classmethod
    def load(cls, registry: bool = True) -> RegistryIndex:
        if not registry:
            return cls({}, frozenset(), None)
        from lineage.io.loader import load_files

        files = load_files(())
        by_hf = {h.lower(): mid for f in files for mid, m in f.spec.models.items()
                 for h in m.hub_ids}
        taken = frozenset(mid.lower() for f in files for mid in f.spec.models) | set(by_hf)
        return cls(by_hf, taken, Catalog.build(files, []))


@dataclass
class Imported:
    """The written family file and what the import did."""

    text: str
    cards: int
    written: int
    parents: Counter[str] = field(default_factory=Counter)  # outcome → distinct parents
    in_registry: list[tuple[str, str]] = field(default_factory=list)  # (Hub id, registry id)
    warnings: list[Warning_] = field(default_factory=list)

    def summary(self) -> str:
        """The one-paragraph report printed on stderr."""
        p = self.parents
        lines = [f"imported {self.cards} card(s) as {self.written} model(s); parents: "
                 f"{p['card']} among the cards, {p['registry']} resolved to registry models, "
                 f"{p['stub']} stubbed (unknown cost), {p['missing']} missing (not a Hub id)"]
        for hub, mid in self.in_registry:
            lines.append(f'  {hub} is the registry model "{mid}": the registry entry is kept '
                         "(--no-registry imports the card instead)")
        return "\n".join(lines) + "\n"


def _assign_ids(hub_ids: list[str], taken: frozenset[str]) -> dict[str, str]:
    """Model ids: the lowercase repository name, else ``org-name``, else a numbered one."""
    names = Counter(h.rsplit("/", 1)[-1].lower() for h in hub_ids)
    used = set(taken)
    out: dict[str, str] = {}
    for hub in hub_ids:
        name = hub.rsplit("/", 1)[-1].lower()
        cand = name if names[name] == 1 and name not in used else hub.lower().replace("/", "-")
        base, n = cand, 2
        while cand in used:
            cand, n = f"{base}-{n}", n + 1
        used.add(cand)
        out[hub.lower()] = cand
    return out


def _step(card: Card, ids: dict[str, str], reg: RegistryIndex, source: str) -> dict[str, Any]:
    kind = card.kind
    if kind is None:
        training = next((n for n in card.notes if n.startswith("training_type:")), "")
        kind = "finetuning" if "fine" in training.lower() else "pretraining"
    step: dict[str, Any] = {"kind": kind}
    refs = [ids.get(p.lower()) or reg.by_hf[p.lower()] for p in card.parents]
    if refs:
        step["from"] = refs
    step |= card.step
    step["source"] = source
    if card.notes:
        step["note"] = "; ".join(card.notes)
    return step


def build_family(cards: list[Card], reg: RegistryIndex) -> Imported:
    """The family file (YAML text) for ``cards``, with parents resolved or stubbed."""
    kept = [c for c in cards if c.file.hub_id.lower() not in reg.by_hf]
    skipped = [(c.file.hub_id, reg.by_hf[c.file.hub_id.lower()]) for c in cards
               if c.file.hub_id.lower() in reg.by_hf]
    own = {c.file.hub_id.lower() for c in kept}
    outcome: dict[str, str] = {}
    stubs: dict[str, list[str]] = {}
    for c in cards:
        for p in c.parents:
            key = p.lower()
            outcome[key] = "card" if key in own else "registry" if key in reg.by_hf else "stub"
            if outcome[key] == "stub":
                stubs.setdefault(p, []).append(c.file.hub_id)
        for m in c.missing:
            outcome[f"missing:{m}"] = "missing"
    ids = _assign_ids([c.file.hub_id for c in kept] + sorted(stubs, key=str.lower), reg.taken)
    sources: dict[str, Any] = {}
    models: dict[str, Any] = {}
    for c in kept:
        mid = ids[c.file.hub_id.lower()]
        sources[mid] = {"url": f"https://huggingface.co/{c.file.hub_id}",
                        "title": f"Hugging Face model card {c.file.hub_id}",
                        "note": f"front matter read from {c.file.path}"}
        entry: dict[str, Any] = {"hf": c.file.hub_id}
        if c.license:
            entry["note"] = f"license: {c.license}"
        if c.parents or c.step or c.kind:
            entry["steps"] = [_step(c, ids, reg, mid)]
        else:
            entry["note"] = "; ".join(filter(None, [entry.get("note"), "the card names no "
                                                    "base_model and no emissions: cost unknown"]))
        models[mid] = entry
    for hub, children in sorted(stubs.items(), key=lambda kv: kv[0].lower()):
        models[ids[hub.lower()]] = {
            "hf": hub, "note": f"stub: base model of {', '.join(sorted(set(children)))}; not "
                               "among the imported cards nor in the registry, so its cost is "
                               "unknown"}
    data = {"lineage": 1,
            "description": f"imported from {len(cards)} Hugging Face model card(s) by "
                           "lineage import hf",
            "sources": sources, "models": models}
    text = checked(data, ", ".join(sorted({str(c.file.path) for c in cards})[:3]) or "no card")
    return Imported(text, len(cards), len(models), Counter(outcome.values()), skipped)


def import_hf(paths: Sequence[Path], hub_id: str | None = None, *, registry: bool = True
              ) -> Imported:
    """Read the model cards under ``paths`` into one family file.

    Raises:
        InputErrors: every unreadable card, bad front matter or bad figure, each located.

    Example:
        >>> from pathlib import Path
        >>> out = import_hf([Path("tests/data/cards/sayakpaul")], registry=False)
        >>> out.parents["stub"], out.written
        (2, 3)
    """
    reg = RegistryIndex.load(registry)
    files = find_cards(paths, hub_id)
    errors: list[InputError] = []
    warnings: list[Warning_] = []
    seen: dict[str, Path] = {}
    for cf in files:
        first = seen.setdefault(cf.hub_id.lower(), cf.path)
        if first != cf.path:
            errors.append(InputError(None, f'two cards stand for "{cf.hub_id}": {first} and '
                                     f"{cf.path}"))
    cards = [c for cf in files if (c := read_card(cf, reg.catalog, errors, warnings))]
    InputErrors.raise_if_any(errors)
    imported = build_family(cards, reg)
    imported.warnings = warnings
    return imported
