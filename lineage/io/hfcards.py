"""Hugging Face model cards (their YAML front matter) → a lineage family file.

A card does not name its own repository, so a card's Hub id comes from its folder
(``cards/org/name/README.md`` → ``org/name``, the layout ``--local-dir cards/org/name`` gives);
in a folder only ``README.md`` files are cards, while a ``.md`` file named on its own is read.
Read: ``base_model`` (a string or a list), ``base_model_relation`` (finetune, adapter,
quantized, merge; absent → inferred as the Hub does: several bases → merge, else finetune),
``co2_eq_emissions`` (a bare number or a mapping, in GRAMS), ``license``, and a DIA
``dia_report`` block (:mod:`lineage.io.dia`) when present. ``model-index`` and the rest are ignored.

Parents that are not among the imported cards become references to registry models when their
``hf:`` id matches, otherwise stub models without steps (unknown cost).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lineage.io.dia import DiaReport, Figure, read_dia
from lineage.io.reading import ReadRefused, read_limited
from lineage.io.yamlio import MAX_BYTES, parse_text
from lineage.model.catalog import Catalog
from lineage.model.errors import InputError, InputErrors, Position, Warning_
from lineage.model.files import Document
from lineage.model.hub import KIND_OF_RELATION
from lineage.model.units import Dim, UnitError, parse

HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")
RELATION_NAMES = list(KIND_OF_RELATION)  # in messages
TRAINING_KINDS = {"pretraining": "pretraining", "continuedpretraining": "continued-pretraining",
                  "finetuning": "finetuning", "instructiontuning": "instruction-tuning",
                  "preferencetuning": "preference-tuning", "distillation": "distillation",
                  "pruning": "pruning", "merging": "merging", "merge": "merging",
                  "quantization": "quantization", "quantisation": "quantization"}
FINETUNE_KINDS = ("finetuning", "instruction-tuning", "preference-tuning",
                  "continued-pretraining")
_FRONT = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)^---[ \t]*\r?$", re.S | re.M)
_BARE = re.compile(r"^[+-]?[\d.,]+(?:[eE][+-]?\d+)?$")
_GRAMS = re.compile(r"^[\d.,eE+-]+\s*g\s*(co2|co₂)?(e|eq|-eq)?$", re.I)
_EMPTY = ("", "null", "~", "none")


@dataclass(frozen=True)
class CardFile:
    """A card on disk and the Hub id it stands for."""

    path: Path
    hub_id: str


@dataclass
class Card:
    """What one card says, ready to become a model of the family file."""

    file: CardFile
    parents: list[str] = field(default_factory=list)  # Hub ids
    missing: list[str] = field(default_factory=list)  # base_model entries that are no Hub id
    kind: str | None = None
    step: dict[str, Any] = field(default_factory=dict)  # compute fields of the step
    notes: list[str] = field(default_factory=list)
    license: str | None = None
    co2_note: str | None = None  # the note on the card's own co2_eq_emissions, if read


def _id_from_folder(path: Path) -> str:
    """``cards/org/name/README.md`` (or ``cards/org/name.md``) → ``org/name``."""
    folder = path.parent if path.name.lower() == "readme.md" else path.with_suffix("")
    folder = folder.resolve()
    return "/".join(p for p in (folder.parent.name, folder.name) if p)


def find_cards(paths: Sequence[Path], hub_id: str | None = None) -> list[CardFile]:
    """The cards named by ``paths``: files as given, folders searched for ``README.md`` files
    with front matter; each with its Hub id (``--id`` for a single card).

    Raises:
        InputErrors: a missing path, a folder without cards, ``--id`` with several cards, or
            a folder layout that gives no valid Hub id.
    """
    found: list[CardFile] = []
    errors: list[InputError] = []
    for p in paths:
        if p.is_dir():
            # only README.md is a card in a folder: a CHANGELOG.md or docs page with front
            # matter beside it is not (a .md file named on the command line is still read)
            cards = [q for q in sorted(p.rglob("*.md")) if q.name.lower() == "readme.md"
                     and q.is_file() and _has_front(q)]
            if not cards:
                errors.append(InputError(Position(str(p)), "folder holds no model card "
                                         "(README.md starting with --- front matter)"))
            found += [CardFile(q, _id_from_folder(q)) for q in cards]
        elif p.is_file():
            found.append(CardFile(p, _id_from_folder(p)))
        else:
            errors.append(InputError(Position(str(p)), "no such file or folder"))
    if hub_id is not None:
        if len(found) > 1:
            errors.append(InputError(None, f"--id names one card, but {len(found)} were given"))
        if not HUB_ID.match(hub_id):
            errors.append(InputError(None, f'--id "{hub_id}" is not a Hub id ORG/NAME (letters, '
                                     "digits, '.', '_' and '-')"))
        found = [CardFile(c.path, hub_id) for c in found]
    for c in found if hub_id is None else []:
        if not HUB_ID.match(c.hub_id):
            errors.append(InputError(Position(str(c.path), 1, 1), f'"{c.hub_id}" (from the '
                                     "folder) is not a Hub id ORG/NAME: put the card in "
                                     "cards/ORG/NAME/README.md or give --id"))
    InputErrors.raise_if_any(errors)
    return found


def _has_front(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(8).lstrip(b"\xef\xbb\xbf").startswith(b"---")
    except OSError:
        return False


def read_front_matter(path: Path) -> Document:
    """The card's front matter as a document whose lines are the file's own lines.

    Raises:
        InputErrors: an unreadable file, no front matter, or bad YAML (located).
    """
    name = str(path)
    try:
        text = read_limited(path, MAX_BYTES).decode("utf-8-sig")
        text = text.replace("\r\n", "\n").replace("\r", "\n")  # universal newlines
    except (ReadRefused, UnicodeDecodeError) as exc:
        raise InputErrors([InputError(Position(name, 1, 1), f"cannot read: {exc}")]) from None
    match = _FRONT.match(text)
    if not match:
        raise InputErrors([InputError(Position(name, 1, 1), "no YAML front matter (--- … ---) "
                                      "at the top of the model card")])
    doc = parse_text(name, "\n" + match.group(1))  # the blank line stands for the first ---
    if doc.data is None:
        doc.data = {}
    if not isinstance(doc.data, dict):
        raise InputErrors([InputError(doc.at(()), "front matter is not a mapping")])
    return doc


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in _EMPTY)


def _emissions(doc: Document, loc: tuple[str, ...], raw: Any, errors: list[InputError],
               warnings: list[Warning_]) -> tuple[str, str] | None:
    """The emissions text to write (grams unless the card wrote another unit) and the note
    that says how it was read."""
    where = doc.at(loc)
    text = str(raw).strip() if isinstance(raw, str) else ""
    grams = "co2_eq_emissions read in grams, as the Hub defines it"
    try:
        if _BARE.match(text):
            parse(f"{text} g", Dim.EMISSIONS, "co2_eq_emissions")
            return f"{text} gCO2e", grams
        kg = parse(text, Dim.EMISSIONS, "co2_eq_emissions")
    except UnitError as exc:
        errors.append(InputError(where, f"{exc} (co2_eq_emissions is a number of grams)"))
        return None
    if _GRAMS.match(text):
        return text, grams
    read = f"{kg.mid:,.10g} kgCO2e = {kg.mid * 1000:,.10g} g"
    warnings.append(Warning_(where, f'co2_eq_emissions "{text}" is not in grams (the Hub '
                             f"reads the first number as grams): read as {read}"))
    return text, f'co2_eq_emissions "{text}" is not in grams, as the Hub expects: read in its ' \
        f"own unit and converted, {read}"


def _co2(doc: Document, card: Card, catalog: Catalog | None, errors: list[InputError],
         warnings: list[Warning_]) -> None:
    co2 = doc.data.get("co2_eq_emissions")
    if _empty(co2):
        return
    loc: tuple[str, ...] = ("co2_eq_emissions",)
    extras: dict[str, str] = {}
    if isinstance(co2, dict):
        raw, loc = co2.get("emissions"), (*loc, "emissions")
        extras = {k: v for k in ("source", "training_type", "geographical_location",
                                 "hardware_used") if isinstance(v := co2.get(k), str) and v}
    elif isinstance(co2, str):
        raw = co2
    else:
        errors.append(InputError(doc.at(loc), "co2_eq_emissions must be a number of grams or a "
                                 "mapping with emissions: (grams)"))
        return
    if not _empty(raw):
        read = _emissions(doc, loc, raw, errors, warnings)
        if read is not None:
            card.step["emissions"], card.co2_note = read
            card.notes.append(card.co2_note)
    card.notes += [f"{k}: {v}" for k, v in extras.items()]
    for key, step_key, find in (("hardware_used", "hardware", _hardware),
                                ("geographical_location", "grid", _grid)):
        found = find(extras[key], catalog) if catalog is not None and key in extras else None
        if found is not None:
            card.step[step_key] = found


def _hardware(text: str, catalog: Catalog) -> str | None:
    """``"8 V100 GPUs"``, ``"1x NVIDIA Tesla T4 (16 GB)"`` → a registry hardware id."""
    plain = re.sub(r"\(.*?\)", "", text)
    plain = re.sub(r"^\s*\d+\s*(x|×)?\s+", "", plain)
    plain = re.sub(r"^\s*\d+\s*(x|×)\s*", "", plain)
    plain = re.sub(r"\bgpus?\b", "", plain, flags=re.I).strip()
    for candidate in (text, plain):
        found = catalog.hardware.find(candidate) if candidate else None
        if found is not None:
            return found.id
    return None


def _grid(text: str, catalog: Catalog) -> str | None:
    """``"Fredericia, Denmark"`` → ``DK``: the whole text, then each part from the last."""
    for candidate in [text, *reversed(text.split(","))]:
        found = catalog.grids.find(candidate.strip()) if candidate.strip() else None
        if found is not None:
            return found.id
    return None


def _lineage(doc: Document, card: Card, dia: DiaReport | None, errors: list[InputError],
             warnings: list[Warning_]) -> None:
    meta = doc.data
    base = meta.get("base_model")
    named: list[tuple[Any, tuple[str | int, ...]]] = []
    if dia is not None:
        named += [(m, ("dia_report", "lineage", i)) for i, (m, _) in enumerate(dia.parents)]
    if isinstance(base, list):
        named += [(b, ("base_model", i)) for i, b in enumerate(base)]
    elif base is not None:
        named.append((base, ("base_model",)))
    for b, loc in named:
        if not isinstance(b, str):
            errors.append(InputError(doc.at(loc), "base_model is a Hub id ORG/NAME or a list of "
                                     f"them, not a {'mapping' if isinstance(b, dict) else 'list'}"
                                     ": e.g. base_model: meta-llama/Llama-3.2-1B"))
            continue
        b = b.strip()
        if _empty(b) or b.lower() in {p.lower() for p in card.parents + card.missing}:
            continue
        if b.lower() == card.file.hub_id.lower():
            errors.append(InputError(doc.at(loc), f'base_model "{b}" is this card\'s own model: '
                                     "a model cannot derive from itself; remove it"))
            continue
        if HUB_ID.match(b):
            card.parents.append(b)
        else:
            card.missing.append(b)
            warnings.append(Warning_(doc.at(loc), f'base_model "{b}" is not a Hub id '
                                     "(ORG/NAME); left out of the lineage"))
    relation = meta.get("base_model_relation")
    if not _empty(relation) and not (card.parents or card.missing):
        warnings.append(Warning_(doc.at(("base_model_relation",)), f'base_model_relation '
                                 f'"{relation}" but the card names no base_model: the model gets '
                                 "no parent, so nothing is inherited"))
    trained = _training_kind(meta.get("co2_eq_emissions"), bool(card.parents or card.missing))
    if dia is not None and dia.kind is not None:
        card.kind = dia.kind
    elif isinstance(relation, str) and relation in KIND_OF_RELATION:
        card.kind = KIND_OF_RELATION[relation]
        if relation in ("finetune", "adapter") and trained in FINETUNE_KINDS:
            card.kind = trained  # a finer kind the Hub's relation cannot say
    elif card.parents or card.missing:
        if not _empty(relation):
            warnings.append(Warning_(doc.at(("base_model_relation",)), f'unknown '
                                     f'base_model_relation "{relation}"; expected '
                                     + ", ".join(RELATION_NAMES[:-1]) + " or "
                                     + RELATION_NAMES[-1]))
        inferred = "merge" if len(card.parents) + len(card.missing) >= 2 else "finetune"
        card.kind = KIND_OF_RELATION[inferred]
        if trained is not None and trained != card.kind:
            # distillation, pruning and continued pre-training have no Hub relation: the card
            # (e.g. one `lineage card` wrote) says them in co2_eq_emissions.training_type
            card.kind = trained
            card.notes.append(f"base_model_relation not given: {trained} from "
                              f"co2_eq_emissions.training_type (the Hub would infer {inferred})")
        else:
            card.notes.append(f"base_model_relation not given: inferred {inferred} as the Hub "
                              "does (several base models → merge, else finetune)")
    elif trained is not None:
        card.kind = trained


def _training_kind(co2: Any, has_parents: bool) -> str | None:
    """Our step kind for ``co2_eq_emissions.training_type`` ("fine-tuning", "pre-training",
    "quantization", …: the words :mod:`lineage.report.card` writes); None when absent or not one of
    them. Of several (``"pre-training, fine-tuning"``), the last: the step that made the model.
    Pre-training from a base model is continued pre-training."""
    text = co2.get("training_type") if isinstance(co2, dict) else None
    if not isinstance(text, str):
        return None
    kinds = [TRAINING_KINDS.get(re.sub(r"[^a-z]", "", part.lower())) for part in text.split(",")]
    kind = kinds[-1] if kinds else None
    if kind == "pretraining" and has_parents:
        return "continued-pretraining"
    return kind


def _dia_step(card: Card, dia: DiaReport, catalog: Catalog | None) -> None:
    """The step's figures from the DIA report, falling back on the card's co2_eq_emissions.

    A step has one ``basis`` and one ``estimate`` flag for both its figures (stepcost.py gives
    the energy and the emissions the same basis; ``estimate: true`` labels the whole part "inputs
    are an estimate"). Emissions are what every total, the by-basis breakdown and the "≥" marks
    count, so the basis and the flag follow the emissions figure: DIA's carbon when known, else
    the card's co2_eq_emissions (reported: no basis, no flag), else the energy (the emissions
    are then energy × intensity). When the other figure is of another quality, the note says
    so, e.g. carbon measured (basis measured) but energy estimated (energy labelled measured by
    the shared basis: the note is the only place that can say it is an estimate).
    """
    energy = dia.energy if dia.energy is not None and dia.energy.is_known else None
    carbon = dia.carbon if dia.carbon is not None and dia.carbon.is_known else None
    notes: list[str] = []
    if carbon is not None and "emissions" in card.step:
        if card.co2_note in card.notes:
            card.notes.remove(card.co2_note)
        notes.append(f"the card's co2_eq_emissions ({card.step.pop('emissions')}) not used: "
                     "the DIA report's carbon is")
    elif carbon is None and "emissions" in card.step:
        notes.append("DIA carbon " + ("unavailable" if dia.carbon is not None else "not given")
                     + ": the card's co2_eq_emissions used")
    for key, fig, unit in (("energy", energy, "kWh"), ("emissions", carbon, "kgCO2e")):
        if fig is not None:
            v = fig.value
            card.step[key] = f"{_num(v.mid)} {unit}" if v.is_exact else \
                f"{_num(v.low)}..{_num(v.high)} {unit}"
    lead = carbon if carbon is not None else None if "emissions" in card.step else energy
    if lead is not None and lead.quality == "measured":
        card.step["basis"] = "measured"
    if lead is not None and lead.is_estimate:
        card.step["estimate"] = True
    if lead is carbon and carbon is not None and energy is not None \
            and _tier(energy) != _tier(carbon):
        notes.append(f"energy {_quality(energy)} but carbon {_quality(carbon)}: the step's "
                     "basis and estimate flag follow the carbon")
    elif lead is None and "emissions" in card.step and energy is not None \
            and _tier(energy) != "reported":
        notes.append(f"energy {_quality(energy)} but the emissions are the card's reported "
                     "figure: the step's basis and estimate flag follow the emissions")
    if dia.gpu_hours is not None:
        card.step["gpu_hours"] = _num(dia.gpu_hours)
    if dia.gpu and catalog is not None:
        hw = _hardware(dia.gpu, catalog)
        if hw is not None:
            card.step["hardware"] = hw
    card.notes.append(dia.note())
    card.notes += notes


def _quality(fig: Figure) -> str:
    """``measured``, ``an estimate (imputed)`` or ``of no stated quality``."""
    tier = _tier(fig)
    return "measured" if tier == "measured" else f"an estimate ({fig.quality})" \
        if tier == "an estimate" else "of no stated quality"


def _tier(fig: Figure) -> str:
    """``measured``, ``an estimate`` or ``reported`` (no quality given): what a basis can say."""
    return "measured" if fig.quality == "measured" else "an estimate" if fig.is_estimate \
        else "reported"


def _num(x: float) -> str:
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def read_card(cf: CardFile, catalog: Catalog | None, errors: list[InputError],
              warnings: list[Warning_]) -> Card | None:
    """Read one card; its problems go to ``errors`` and ``warnings`` (each located)."""
    try:
        doc = read_front_matter(cf.path)
    except InputErrors as exc:
        errors.extend(exc.errors)
        return None
    card = Card(cf)
    dia = None
    if "dia_report" in doc.data:
        dia = read_dia(doc, ("dia_report",), doc.data["dia_report"], errors)
    _lineage(doc, card, dia, errors, warnings)
    _co2(doc, card, catalog, errors, warnings)
    if dia is not None:
        _dia_step(card, dia, catalog)
    lic = doc.data.get("license")
    card.license = lic if isinstance(lic, str) and not _empty(lic) else None
    return card
