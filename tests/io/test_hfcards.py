"""``lineage import hf`` on real model-card front matter, ``lineage card`` back, and DIA reports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import lineage
from lineage.cli.main import cli, main
from lineage.core.family import family

CARDS = Path(__file__).parents[1] / "data" / "cards"
DIA = Path(__file__).parents[1] / "data" / "dia"
ROOT = Path(__file__).parents[2]


def _import(tmp_path: Path, *paths: Path, registry: bool = True) -> tuple[Path, str]:
    out = tmp_path / "family.yaml"
    args = ["import", "hf", *map(str, paths), "-o", str(out)]
    result = CliRunner().invoke(cli, args + ([] if registry else ["--no-registry"]))
    assert result.exit_code == 0, result.output
    return out, result.stderr


def _model(out: Path, mid: str) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(out.read_text())["models"][mid]  # type: ignore[no-any-return]


def test_llama_3_2_1b_card_is_the_registry_model(tmp_path: Path) -> None:
    out, err = _import(tmp_path, CARDS / "meta-llama")
    # the card's Hub id meta-llama/Llama-3.2-1B is the registry's llama-3.2-1b: not redefined
    assert 'meta-llama/Llama-3.2-1B is the registry model "llama-3.2-1b"' in err
    assert yaml.safe_load(out.read_text())["models"] == {}
    out, _ = _import(tmp_path, CARDS / "meta-llama", registry=False)
    # without the registry: a model of unknown cost (its front matter has no base_model and no
    # co2_eq_emissions; Meta's figures are in the card body), its license kept as a note
    assert _model(out, "llama-3.2-1b") == {
        "hf": "meta-llama/Llama-3.2-1B",
        "note": "license: llama3.2; the card names no base_model and no emissions: cost unknown"}


def test_dict_form_is_read_in_grams(tmp_path: Path) -> None:
    out, err = _import(tmp_path, CARDS / "nicholasKluge" / "Aira-2-portuguese-1B7")
    step = _model(out, "aira-2-portuguese-1b7")["steps"][0]
    assert step["emissions"] == "1990 gCO2e"
    assert (step["kind"], step["from"]) == ("finetuning", ["bloom-1b7"])
    assert (step["hardware"], step["grid"]) == ("a100-sxm4-40gb", "SG")  # registry ids
    assert "inferred finetune" in step["note"]
    r = lineage.compute(lineage.load([out]), "cutoff")
    # 1,990 g = 1.99 kg (the card body says "Emissions: 1.99 KgCO2")
    assert r.direct["aira-2-portuguese-1b7"].emissions_kgco2e.mid == pytest.approx(1.99)
    assert not r.direct["bloom-1b7"].is_complete  # the stub: unknown cost
    assert "1 stubbed" in err and "0 resolved to registry models" in err


def test_small_dict_form_location_and_ignored_model_index(tmp_path: Path) -> None:
    out, _ = _import(tmp_path, CARDS / "Gabriel")
    step = _model(out, "bart-base-cnn-swe")["steps"][0]
    assert step["grid"] == "DK"  # "Fredericia, Denmark" → its last part, Denmark
    assert "hardware" not in step  # a Tesla P100 is not in the registry
    assert "from" not in step and step["kind"] == "finetuning"  # training_type: fine-tuning
    r = lineage.compute(lineage.load([out]))
    # 0.0334 g = 0.0000334 kg
    assert r.direct["bart-base-cnn-swe"].emissions_kgco2e.mid == pytest.approx(3.34e-5)


def test_bare_number_is_grams(tmp_path: Path) -> None:
    out, _ = _import(tmp_path, CARDS / "allenai")
    r = lineage.compute(lineage.load([out]))
    # co2_eq_emissions: 1 → 1 g = 0.001 kg
    assert r.direct["olmoe-1b-7b-0924-instruct"].emissions_kgco2e.mid == pytest.approx(0.001)
    assert r.project.parents("olmoe-1b-7b-0924-instruct") == ["olmoe-1b-7b-0924-sft"]


@pytest.mark.parametrize(("folder", "mid", "kind", "parents", "inferred"), [
    ("sayakpaul", "flux.1-merged", "merging", ["flux.1-dev", "flux.1-schnell"], False),
    ("yamatazen", "lorablatedstock-12b", "merging",
     ["forgottenmaid-12b-lorablated", "fusionengine-12b-lorablated",
      "hms-fusion-12b-lorablated"], True),
    ("jxia58", "sonomed-vlm-medgemma-1.5-4b-lora", "finetuning", ["medgemma-1.5-4b-it"], False),
    ("bartowski", "openai_gpt-oss-120b-gguf", "quantization", ["gpt-oss-120b"], False),
])
def test_relations(tmp_path: Path, folder: str, mid: str, kind: str, parents: list[str],
                   inferred: bool) -> None:
    out, err = _import(tmp_path, CARDS / folder)
    step = _model(out, mid)["steps"][0]
    assert step["kind"] == kind
    assert ("inferred merge" in step.get("note", "")) is inferred  # a list of 3, no relation
    project = lineage.load([out])
    assert project.parents(mid) == parents
    assert f"{len(parents)} stubbed" in err
    r = lineage.compute(project)
    assert not r.costs[mid].is_complete  # no emissions on these cards: unknown, never zero


def test_all_real_cards_validate_and_round_trip(tmp_path: Path) -> None:
    out, err = _import(tmp_path, CARDS)
    result = CliRunner().invoke(cli, ["validate", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output == "ok: 1 file(s), 16 models, 0 warning(s)\n"  # 7 cards + 9 stubs
    # the written file loads to the same own figures the cards give (grams / 1000)
    r = lineage.compute(lineage.load([out]))
    own = {m: r.direct[m].emissions_kgco2e.mid for m in r.project.models
           if m in yaml.safe_load(out.read_text())["models"] and r.direct[m].is_complete}
    assert own == pytest.approx({"aira-2-portuguese-1b7": 1.99, "bart-base-cnn-swe": 3.34e-5,
                                 "olmoe-1b-7b-0924-instruct": 0.001})
    assert err.endswith("imported 8 card(s) as 16 model(s); parents: 0 among the cards, 0 "
                        "resolved to registry models, 9 stubbed (unknown cost), 0 missing (not "
                        "a Hub id)\n  meta-llama/Llama-3.2-1B is the registry model "
                        '"llama-3.2-1b": the registry entry is kept (--no-registry imports the '
                        "card instead)\n")


def test_kilograms_under_emissions_warn_and_convert(tmp_path: Path) -> None:
    # DERIVED from the Aira card: its emissions rewritten as "1.99 kg", the slip the Hub misreads
    card = tmp_path / "cards" / "nicholasKluge" / "Aira-kg" / "README.md"
    card.parent.mkdir(parents=True)
    text = (CARDS / "nicholasKluge" / "Aira-2-portuguese-1B7" / "README.md").read_text()
    card.write_text(text.replace("emissions: 1990", "emissions: 1.99 kg"))
    out, err = _import(tmp_path, tmp_path / "cards")
    line = next(i for i, t in enumerate(card.read_text().splitlines(), 1) if "1.99 kg" in t)
    assert f"{card}:{line}:14: warning: co2_eq_emissions \"1.99 kg\" is not in grams (the Hub " \
           "reads the first number as grams): read as 1.99 kgCO2e = 1,990 g" in err
    r = lineage.compute(lineage.load([out]))
    assert r.direct["aira-kg"].emissions_kgco2e.mid == pytest.approx(1.99)  # 1.99 kg, not g


def test_tonnes_too(tmp_path: Path) -> None:
    card = tmp_path / "c" / "org" / "m" / "README.md"
    card.parent.mkdir(parents=True)
    card.write_text("---\nco2_eq_emissions: 2.5 tCO2e\n---\n")
    out, err = _import(tmp_path, card)
    assert "README.md:2:19: warning: co2_eq_emissions \"2.5 tCO2e\"" in err
    r = lineage.compute(lineage.load([out]))
    assert r.direct["m"].emissions_kgco2e.mid == pytest.approx(2500.0)  # 2.5 t = 2,500 kg


def _variants(root: Path) -> None:
    """50 cards: the 8 real ones plus 42 DERIVED variants of the Aira card (same front matter,
    other ids, emissions i x 10 g, bases among the cards, the registry and outside)."""
    shutil.copytree(CARDS, root, ignore=shutil.ignore_patterns("README.md"), dirs_exist_ok=True)
    for src in CARDS.rglob("README.md"):
        if src.parent != CARDS:
            dst = root / src.relative_to(CARDS)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dst)
    aira = (CARDS / "nicholasKluge" / "Aira-2-portuguese-1B7" / "README.md").read_text()
    bases = ["meta-llama/Llama-3.2-1B", "sayakpaul/FLUX.1-merged", "org-x/unknown-base"]
    for i in range(1, 43):
        base = bases[i % 3] if i > 1 else "bigscience/bloom-1b7"
        text = aira.replace("emissions: 1990", f"emissions: {i * 10}")
        text = text.replace("  - bigscience/bloom-1b7", f"  - {base}")
        card = root / "variants" / f"aira-variant-{i}" / "README.md"
        card.parent.mkdir(parents=True)
        card.write_text(text)


def test_fifty_cards_validate_and_cost(tmp_path: Path) -> None:
    _variants(tmp_path / "cards")
    assert len(list((tmp_path / "cards").rglob("*/README.md"))) == 50
    out, err = _import(tmp_path, tmp_path / "cards")
    # distinct parents: among the cards sayakpaul/FLUX.1-merged; in the registry
    # meta-llama/Llama-3.2-1B; stubs: the 9 of the real cards plus org-x/unknown-base
    assert "imported 50 card(s) as 59 model(s); parents: 1 among the cards, 1 resolved to " \
           "registry models, 10 stubbed (unknown cost), 0 missing (not a Hub id)" in err
    result = CliRunner().invoke(cli, ["validate", str(out)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["cost", "aira-variant-3", "-f", str(out), "--format",
                                      "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    # own: 3 x 10 g = 30 g = 0.03 kg; its base is the registry's llama-3.2-1b (107 tCO2e own)
    assert data["own_kgco2e"] == pytest.approx(0.03)
    share = {c["model"]: c["share"] for c in data["contributions"]}
    # llama-3.2-1b splits its cost (equal policy) between itself, its registry child
    # llama-3.2-1b-instruct and the 14 variants i = 3, 6, …, 42 built on it: 1 / (1 + 15)
    assert share["llama-3.2-1b"] == pytest.approx(1 / 16)
    assert data["own_kgco2e"] + data["inherited_kgco2e"] == \
        pytest.approx(data["cumulative_kgco2e"])
    assert data["inherited_kgco2e"] == pytest.approx(sum(c["kgco2e"]
                                                         for c in data["contributions"]))


def test_missing_parents_are_counted(tmp_path: Path) -> None:
    card = tmp_path / "c" / "org" / "merge" / "README.md"
    card.parent.mkdir(parents=True)
    # the shape of real mergekit cards that list a local folder as a base model
    card.write_text("---\nbase_model:\n- 01-ai/Yi-1.5-6B\n- D:/Uni/finetuned_models/remerge_2\n"
                    "library_name: transformers\n---\n")
    out, err = _import(tmp_path, card)
    assert 'README.md:4:3: warning: base_model "D:/Uni/finetuned_models/remerge_2" is not a ' \
           "Hub id (ORG/NAME); left out of the lineage" in err
    assert "1 stubbed (unknown cost), 1 missing (not a Hub id)" in err
    step = _model(out, "merge")["steps"][0]
    assert (step["kind"], step["from"]) == ("merging", ["yi-1.5-6b"])  # two bases → merge


@pytest.mark.parametrize(("text", "message"), [
    ("# no front matter\n", "README.md:1:1: no YAML front matter (--- … ---) at the top of the "
                            "model card"),
    ("---\nco2_eq_emissions:\n  emissions: lots\n---\n",
     'README.md:3:14: co2_eq_emissions "lots" is not a number (co2_eq_emissions is a number '
     "of grams)"),
    ("---\ndia_report:\n  scope: cumulative\n---\n",
     'README.md:3:10: DIA scope "cumulative" is not "incremental": a cumulative figure would '
     "count ancestors twice"),
    # a string instead of a list: one error, not one per character (it gave 23)
    ('---\ndia_report:\n  lineage: "meta-llama/Llama-3.2-1B"\n---\n',
     "README.md:3:12: DIA lineage is a list of {model: ORG/NAME, relation: finetune|lora|qlora|"
     "adapter|quantized|merge|distill|fork} entries, e.g. [{model: meta-llama/Llama-3.2-1B, "
     "relation: finetune}]\n"),
    # [20, 10] was silently swapped to 10..20: refused, as "20..10 kWh" is in a lineage file
    ("---\ndia_report:\n  footprint:\n    energy_kwh: {value: [20, 10], quality: measured}\n"
     "---\n", "README.md:4:25: DIA range [20, 10] is reversed: write [low, high], e.g. "
               "[10, 20]\n"),
])
def test_bad_cards_are_located(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
                               message: str) -> None:
    card = tmp_path / "org" / "m" / "README.md"
    card.parent.mkdir(parents=True)
    card.write_text(text)
    with pytest.raises(SystemExit) as exc:
        main(["import", "hf", str(card)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{card.parent}/{message}"), err
    assert err.count("\n") == 1, err  # one error each


def test_id_from_the_command_line(tmp_path: Path) -> None:
    out, _ = _import(tmp_path, CARDS / "allenai" / "OLMoE-1B-7B-0924-Instruct" / "README.md")
    assert "olmoe-1b-7b-0924-instruct" in yaml.safe_load(out.read_text())["models"]
    result = CliRunner().invoke(cli, ["import", "hf", str(CARDS / "allenai"), "--id", "me/x",
                                      "--no-registry"])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["models"]["x"]["hf"] == "me/x"
    result = CliRunner().invoke(cli, ["import", "hf", str(CARDS / "sayakpaul"),
                                      str(CARDS / "allenai"), "--id", "me/x"])
    assert result.exit_code != 0


def test_card_export_parses_and_imports_back(tmp_path: Path) -> None:
    example = ROOT / "examples" / "my-finetune.yaml"
    result = CliRunner().invoke(cli, ["card", "acme-support-1b", "-f", str(example)])
    assert result.exit_code == 0, result.output
    meta = yaml.safe_load(result.output)
    r = lineage.compute(lineage.load([example]), "equal")
    own_kg = r.costs["acme-support-1b"].own_kgco2e_bound.mid
    assert meta["co2_eq_emissions"]["emissions"] == pytest.approx(own_kg * 1000)  # grams
    c = r.costs["acme-support-1b"]
    # own + inherited = cumulative, in the lineage block
    assert meta["lineage"]["own_kgco2e"] + meta["lineage"]["inherited_kgco2e"] == \
        pytest.approx(meta["lineage"]["cumulative_kgco2e"], abs=2e-3)
    assert meta["lineage"]["cumulative_kgco2e"] == pytest.approx(c.cumulative_kgco2e_bound.mid,
                                                                 abs=1e-3)
    assert meta["lineage"]["registry_checked"] == "2026-12-01"  # the latest registry checked: date
    assert meta["lineage"]["policy"] == "equal"
    # the --markdown skeleton is a card that `import hf` reads back to the same own figure
    readme = tmp_path / "cards" / "acme" / "acme-support-1b" / "README.md"
    readme.parent.mkdir(parents=True)
    result = CliRunner().invoke(cli, ["card", "acme-support-1b", "-f", str(example),
                                      "--markdown"])
    readme.write_text(result.output)
    assert "## Environmental impact" in result.output
    out, _ = _import(tmp_path, tmp_path / "cards", registry=False)
    back = lineage.compute(lineage.load([out], registry=False))
    assert back.direct["acme-support-1b"].emissions_kgco2e.mid == pytest.approx(own_kg)


def test_dia_family_sum_equals_lineage_family(tmp_path: Path) -> None:
    out, err = _import(tmp_path, DIA, registry=False)
    assert "parents: 3 among the cards" in err  # base-7b, base-7b-lora, base-7b-q4
    r = lineage.compute(lineage.load([out], registry=False), "cutoff")
    fam = family(r.project, "base-7b", r.direct)
    # DIA's family sum adds each member's incremental interval once (the merge too):
    # carbon low  = 1000 + 0.8 + 0.1 + 0.05 = 1000.95 kg; high = 1400 + 0.8 + 0.3 + 0.05 = 1401.15
    assert (fam.own_kgco2e.low, fam.own_kgco2e.high) == (pytest.approx(1000.95),
                                                         pytest.approx(1401.15))
    # energy: 2500 + 2.0 + 0.5 = 2502.5 kWh low; 3500 + 2.0 + 0.5 = 3502.5 high (the merge's
    # energy is "unavailable", the distillation reports nothing)
    assert (fam.own_kwh.low, fam.own_kwh.high) == (pytest.approx(2502.5), pytest.approx(3502.5))
    assert fam.unknown == ("base-7b-distill",)  # DIA's coverage: 4 of 5 report
    assert fam.coverage == pytest.approx(4 / 5)
    lora = r.direct["base-7b-lora"].steps[0].parts[0]
    assert lora.emissions_basis == "measured" and lora.emissions_kgco2e.mid == 0.8
    q4 = r.direct["base-7b-q4"].steps[0].parts[0]
    assert q4.is_estimate_input and q4.emissions_basis == "reported"  # labelled estimate
    assert r.direct["base-7b-merge"].steps[0].kind == "merging"
    assert r.direct["base-7b-distill"].steps[0].kind == "distillation"
    result = CliRunner().invoke(cli, ["family", "base-7b", "-f", str(out), "--no-registry",
                                      "--format", "json"])
    # central: 1200 + 0.8 + 0.2 + 0.05 = 1201.05 kg
    assert json.loads(result.output)["own_kgco2e_total"] == pytest.approx(1201.05)


def _card(root: Path, hub_id: str, front: str) -> Path:
    """A card written for the test at ``root/ORG/NAME/README.md``."""
    card = root / hub_id / "README.md"
    card.parent.mkdir(parents=True, exist_ok=True)
    card.write_text(f"---\n{front}---\n# {hub_id}\n")
    return card


@pytest.mark.parametrize("carbon", ["    carbon_kgco2eq: {value: 0, quality: unavailable}\n", ""])
def test_dia_without_carbon_keeps_the_cards_co2(tmp_path: Path, carbon: str) -> None:
    _card(tmp_path / "c", "org/m1", "base_model: org/base\nco2_eq_emissions: 5000\n"
          "dia_report:\n  scope: incremental\n  lineage:\n  - {model: org/base, relation: lora}\n"
          "  footprint:\n    energy_kwh: {value: [10, 20], quality: measured}\n" + carbon)
    out, _ = _import(tmp_path, tmp_path / "c", registry=False)
    step = _model(out, "m1")["steps"][0]
    assert step["emissions"] == "5000 gCO2e"
    assert "the card's co2_eq_emissions used" in step["note"]
    assert "read in grams" in step["note"]
    part = lineage.compute(lineage.load([out], registry=False)).direct["m1"].steps[0].parts[0]
    # co2_eq_emissions: 5000 g = 5 kg (the card's own figure, not unknown)
    assert part.emissions_kgco2e.mid == pytest.approx(5.0)
    # the emissions are the card's reported figure: basis reported, not DIA's measured energy's
    assert (part.emissions_basis, part.is_estimate_input) == ("reported", False)
    # energy 10..20 kWh measured by DIA: central (10 + 20) / 2 = 15 kWh
    assert part.energy_kwh.as_tuple() == (10.0, 15.0, 20.0)
    assert "energy measured but the emissions are the card's reported figure" in step["note"]


def test_dia_carbon_wins_over_the_cards_co2(tmp_path: Path) -> None:
    _card(tmp_path / "c", "org/m1", "co2_eq_emissions: 5000\ndia_report:\n  footprint:\n"
          "    carbon_kgco2eq: {value: 0.8, quality: measured}\n")
    out, _ = _import(tmp_path, tmp_path / "c", registry=False)
    step = _model(out, "m1")["steps"][0]
    assert step["emissions"] == "0.8 kgCO2e"
    assert "read in grams" not in step["note"]  # that figure is not the one written
    assert "the card's co2_eq_emissions (5000 gCO2e) not used" in step["note"]


def test_dia_measured_carbon_with_estimated_energy_keeps_the_measured_basis(
        tmp_path: Path) -> None:
    _card(tmp_path / "c", "org/m2", "dia_report:\n  footprint:\n"
          "    energy_kwh: {value: [10, 20], quality: estimated-from-hardware}\n"
          "    carbon_kgco2eq: {value: [1, 3], quality: measured}\n")
    out, _ = _import(tmp_path, tmp_path / "c", registry=False)
    step = _model(out, "m2")["steps"][0]
    assert (step["basis"], "estimate" in step) == ("measured", False)
    assert "energy an estimate (estimated-from-hardware) but carbon measured" in step["note"]
    part = lineage.compute(lineage.load([out], registry=False)).direct["m2"].steps[0].parts[0]
    assert (part.emissions_basis, part.is_estimate_input) == ("measured", False)
    assert part.emissions_kgco2e.as_tuple() == (1.0, 2.0, 3.0)  # [1, 3] kg, central 2


def _fails(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    return capsys.readouterr().err


def test_base_model_mapping_is_a_located_error(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    # it was ignored, and the note said "the card names no base_model"
    card = _card(tmp_path, "org/m", "license: mit\nbase_model: {a: 1}\n")
    err = _fails(["import", "hf", str(card)], capsys)
    assert err == f"{card}:3:13: base_model is a Hub id ORG/NAME or a list of them, not a " \
                  "mapping: e.g. base_model: meta-llama/Llama-3.2-1B\n"
    card.write_text("---\nbase_model:\n- org/a\n- {b: 1}\n---\n")
    assert _fails(["import", "hf", str(card)], capsys).startswith(f"{card}:4:3: base_model is")


def test_relation_without_base_model_warns(tmp_path: Path) -> None:
    card = _card(tmp_path / "c", "org/m", "base_model_relation: finetune\n")
    out, err = _import(tmp_path, card, registry=False)
    assert f'{card}:2:22: warning: base_model_relation "finetune" but the card names no ' \
           "base_model: the model gets no parent, so nothing is inherited" in err
    assert "from" not in _model(out, "m")["steps"][0]


def test_an_unknown_relation_warns_and_names_the_hubs(tmp_path: Path) -> None:
    card = _card(tmp_path / "c", "org/m", "base_model: org/a\nbase_model_relation: forked\n")
    _, err = _import(tmp_path, card, registry=False)
    assert f'{card}:3:22: warning: unknown base_model_relation "forked"; expected finetune, ' \
           "adapter, quantized or merge" in err


def test_a_folder_reads_only_readme_cards(tmp_path: Path) -> None:
    # a CHANGELOG.md with front matter in a card's folder was imported as "name/CHANGELOG"
    card = _card(tmp_path / "c", "org/name", "license: mit\n")
    (card.parent / "CHANGELOG.md").write_text("---\ntitle: changelog\n---\n# 1.0\n")
    (card.parent / "docs").mkdir()
    (card.parent / "docs" / "usage.md").write_text("---\ntitle: usage\n---\n")
    out, err = _import(tmp_path, tmp_path / "c", registry=False)
    assert list(yaml.safe_load(out.read_text())["models"]) == ["name"]
    assert "imported 1 card(s)" in err
    # named on the command line, any .md is read (its id from its folder and name)
    out, _ = _import(tmp_path, card.parent / "CHANGELOG.md", registry=False)
    assert _model(out, "changelog")["hf"] == "name/CHANGELOG"


def test_bad_id_is_blamed_on_the_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    card = _card(tmp_path, "org/m", "license: mit\n")
    err = _fails(["import", "hf", str(card), "--id", "bad id"], capsys)
    assert err == "--id \"bad id\" is not a Hub id ORG/NAME (letters, digits, '.', '_' and " \
                  "'-')\n"  # it said '"bad id" (from the folder)'
    card = _card(tmp_path, "org/bad name", "license: mit\n")
    err = _fails(["import", "hf", str(card)], capsys)
    assert '"org/bad name" (from the folder) is not a Hub id' in err


def test_kg_note_says_what_was_read(tmp_path: Path) -> None:
    _card(tmp_path / "c", "org/m", "co2_eq_emissions: 12 kg\n")
    out, _ = _import(tmp_path, tmp_path / "c", registry=False)
    note = _model(out, "m")["steps"][0]["note"]
    assert "read in grams" not in note  # it said so although 12 kg was read as kilograms
    # 12 kg = 12 kgCO2e = 12,000 g
    assert note == 'co2_eq_emissions "12 kg" is not in grams, as the Hub expects: read in its ' \
                   "own unit and converted, 12 kgCO2e = 12,000 g"


FAMILY = """
lineage: 1
models:
  t:
    hf: org/t
    steps: [{kind: pretraining, emissions: 100 t, gpu_hours: 1000, power: 400 W}]
  s: {hf: org/s, steps: [{kind: instruction-tuning, from: t}]}
  g: {hf: org/g, steps: [{kind: finetuning, from: s, emissions: 2 kg}]}
  q: {hf: org/t-q4, steps: [{kind: quantization, from: t, emissions: 3 kg}]}
  d: {hf: org/d, steps: [{kind: distillation, from: t, emissions: 50 kg}]}
  m: {hf: org/m, steps: [{kind: merging, from: [q, g], emissions: 10 g}]}
"""


def _card_cli(model: str, family_file: Path, *extra: str) -> str:
    result = CliRunner().invoke(cli, ["card", model, "-f", str(family_file), "--no-registry",
                                      *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_card_unknown_figures_are_null_and_lower_bounds_say_so(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text(FAMILY)
    meta = yaml.safe_load(_card_cli("s", tmp_path / "f.yaml"))["lineage"]
    # s has no figure of its own: null, not 0.0 (it printed own_kgco2e: 0.0)
    assert meta["own_kgco2e"] is None and "own_kgco2e_is_lower_bound" not in meta
    # t's 100 t split (equal) between t and its 3 children: 100,000 / 4 = 25,000 kg, all known
    assert meta["inherited_kgco2e"] == 25_000.0 and "inherited_kgco2e_is_lower_bound" not in meta
    # cumulative = unknown own + 25,000: at least 25,000
    assert (meta["cumulative_kgco2e"], meta["cumulative_kgco2e_is_lower_bound"]) == (25_000.0,
                                                                                     True)
    # energy: t's 1,000 GPU-h x 0.4 kW = 400 kWh, a quarter = 100 kWh; s's own energy unknown
    assert (meta["cumulative_kwh"], meta["cumulative_kwh_is_lower_bound"]) == (100.0, True)
    assert meta["complete"] is False and meta["unknown"] == ["s"]
    meta = yaml.safe_load(_card_cli("g", tmp_path / "f.yaml"))["lineage"]
    # g: own 2 kg known; inherits half of s's cumulative (s has one child): ≥ 12,500 kg
    assert (meta["own_kgco2e"], "own_kgco2e_is_lower_bound" in meta) == (2.0, False)
    assert (meta["inherited_kgco2e"], meta["inherited_kgco2e_is_lower_bound"]) == (12_500.0, True)
    assert meta["contributions"] == {"t": 12_500.0, "s": None}  # s's unknown cost: null, not 0
    # a stub of unknown cost: every carbon figure is null
    (tmp_path / "u.yaml").write_text("lineage: 1\nmodels:\n  u: {hf: org/u}\n"
                                     "  v: {steps: [{kind: finetuning, from: u}]}\n")
    meta = yaml.safe_load(_card_cli("v", tmp_path / "u.yaml"))["lineage"]
    assert [meta[k] for k in ("own_kgco2e", "inherited_kgco2e", "cumulative_kgco2e",
                              "cumulative_kwh")] == [None, None, None, None]
    text = _card_cli("v", tmp_path / "u.yaml", "--markdown")
    assert "0 kgCO2e" not in text and "so its cumulative cost is unknown" in text


def test_card_names_base_models_and_their_relation(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text(FAMILY)
    front = {mid: yaml.safe_load(_card_cli(mid, tmp_path / "f.yaml"))
             for mid in ("t", "s", "q", "d", "m")}
    assert "base_model" not in front["t"]  # a root
    assert (front["s"]["base_model"], front["s"]["base_model_relation"]) == ("org/t", "finetune")
    assert (front["q"]["base_model"], front["q"]["base_model_relation"]) == ("org/t", "quantized")
    assert front["d"]["base_model"] == "org/t" and "base_model_relation" not in front["d"]
    assert (front["m"]["base_model"], front["m"]["base_model_relation"]) == (
        ["org/g", "org/t-q4"], "merge")
    # a parent without a Hub id is named by its lineage id; pruning has no Hub relation
    (tmp_path / "p.yaml").write_text("lineage: 1\nmodels:\n  a: {steps: [{kind: pretraining, "
                                     "emissions: 1 t}]}\n  b: {steps: [{kind: pruning, from: a, "
                                     "emissions: 1 kg}]}\n")
    meta = yaml.safe_load(_card_cli("b", tmp_path / "p.yaml"))
    assert meta["base_model"] == "a" and "base_model_relation" not in meta
    assert meta["co2_eq_emissions"]["training_type"] == "pruning"


def test_card_round_trip_keeps_own_figure_parents_and_kind(tmp_path: Path) -> None:
    """card --markdown → import hf → the same own figure, parents and step kind."""
    (tmp_path / "f.yaml").write_text(FAMILY)
    before = lineage.compute(lineage.load([tmp_path / "f.yaml"], registry=False))
    hub = {"t": "org/t", "s": "org/s", "g": "org/g", "q": "org/t-q4", "d": "org/d", "m": "org/m"}
    for mid, hub_id in hub.items():
        _card(tmp_path / "cards", hub_id, "")
        (tmp_path / "cards" / hub_id / "README.md").write_text(
            _card_cli(mid, tmp_path / "f.yaml", "--markdown"))
    out, _ = _import(tmp_path, tmp_path / "cards", registry=False)
    after = lineage.compute(lineage.load([out], registry=False))
    back = {h.split("/")[1]: m for m, h in hub.items()}  # imported id → original id
    assert sorted(back) == sorted(after.project.models)
    kinds = {"t": "pretraining", "s": "finetuning", "g": "finetuning", "q": "quantization",
             "d": "distillation", "m": "merging"}
    for new, old in back.items():
        d0, d1 = before.direct[old], after.direct[new]
        assert d1.is_complete is d0.is_complete
        assert d1.emissions_kgco2e.mid == pytest.approx(d0.emissions_kgco2e.mid)
        assert sorted(back[p] for p in after.project.parents(new)) == \
            before.project.parents(old), new
        # instruction-tuning has no word of its own on the Hub: it comes back as finetuning
        assert d1.steps[0].kind == kinds[old], new
    # own figures by hand: t 100 t, q 3 kg, d 50 kg, g 2 kg, m 10 g; s unknown
    assert after.direct["m"].emissions_kgco2e.mid == pytest.approx(0.01)
    assert after.direct["t"].emissions_kgco2e.mid == pytest.approx(100_000.0)


def test_a_card_based_on_a_registry_mirror_inherits_from_the_registry_model(
        tmp_path: Path) -> None:
    # huggyllama/llama-7b is a mirror of the registry's llama-7b: the card's parent is that
    # model, not a stub named like a mirror, which validate refused as a second owner
    card = tmp_path / "cards" / "acme" / "ft" / "README.md"
    card.parent.mkdir(parents=True)
    card.write_text("---\nbase_model: huggyllama/llama-7b\nco2_eq_emissions: 5000\n---\n")
    out, err = _import(tmp_path, tmp_path / "cards")
    assert "1 resolved to registry models, 0 stubbed" in err
    assert _model(out, "ft")["steps"][0]["from"] == ["llama-7b"]
    assert CliRunner().invoke(cli, ["validate", str(out)]).exit_code == 0


def test_a_card_beyond_the_size_limit_is_refused_unread(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a sparse 30 MB card: refused from its size (the limit of a lineage file, 20 MB), never
    # read into memory
    card = tmp_path / "org" / "m" / "README.md"
    card.parent.mkdir(parents=True)
    with card.open("wb") as fh:
        fh.write(b"---\nlicense: mit\n---\n")
        fh.truncate(30_000_000)
    with pytest.raises(SystemExit) as exc:
        main(["import", "hf", str(card)])
    assert exc.value.code == 2
    assert capsys.readouterr().err == (f"{card}:1:1: cannot read: file is 30,000,000 bytes; "
                                       "the limit is 20,000,000\n")


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no named pipes here")
def test_a_card_that_became_a_named_pipe_is_refused_not_waited_on(tmp_path: Path) -> None:
    # find_cards keeps regular files only, but the path may change before it is read: the
    # reader opens without blocking and refuses what is not a regular file (it hung on a pipe)
    import os

    from lineage.io.hfcards import read_front_matter
    from lineage.model.errors import InputErrors

    pipe = tmp_path / "README.md"
    os.mkfifo(pipe)
    with pytest.raises(InputErrors) as exc:
        read_front_matter(pipe)
    assert str(exc.value.errors[0]) == f"{pipe}:1:1: cannot read: not a regular file (a named pipe)"


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_cards_with_windows_or_old_mac_line_ends_import_alike(tmp_path: Path,
                                                               newline: str) -> None:
    # read_limited gives bytes: its text is read with universal newlines, as read_text did
    # (a card ending its lines with a lone CR lost its front matter)
    text = "---\nlicense: mit\nbase_model: meta-llama/Llama-3.2-1B\nco2_eq_emissions: 1500\n---\n"
    outputs = []
    for name, ends in (("unix", "\n"), ("other", newline)):
        card = tmp_path / name / "org" / "m" / "README.md"
        card.parent.mkdir(parents=True)
        card.write_bytes(text.replace("\n", ends).encode())
        out, _ = _import(tmp_path / name, card)
        outputs.append(_model(out, "m"))
    assert outputs[0] == outputs[1]
    assert outputs[0]["steps"][0]["emissions"] == "1500 gCO2e"
