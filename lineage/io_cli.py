"""``lineage card`` and ``lineage import``: model cards and measurement logs in and out."""

from __future__ import annotations

from pathlib import Path

import click

from lineage.cli import _out, _project, cli, files_option, policy_option


@cli.command()
@click.argument("model")
@files_option
@policy_option
def card(model: str, files: tuple[str, ...], no_registry: bool, policy: str) -> None:
    """Model-card metadata: Hugging Face's co2_eq_emissions (grams, own training) and a
    lineage block with the cumulative cost and each ancestor's contribution.

    Paste the output into the YAML front matter of the model's README.md.

    Example: lineage card acme-support-1b -f examples/my-finetune.yaml
    """
    from lineage.card import card_yaml
    from lineage.engine import compute
    from lineage.graph import component

    full = _project(files, no_registry)
    mid = full.model_id(model)
    results = compute(component(full, [mid]), policy)
    _out(card_yaml(results, mid))


@cli.group(name="import")
def import_() -> None:
    """Turn measurement logs into lineage files.

    Example: lineage import codecarbon emissions.csv --model my-ft --from llama-3.2-1b
    """


@import_.command()
@click.argument("csv_path", metavar="CSV", type=click.Path(path_type=Path))
@click.option("--model", required=True, help="The id of the model the runs produced.")
@click.option("--from", "parents", multiple=True, metavar="PARENT",
              help="A parent model (repeatable; registry ids and HF ids work).")
@click.option("--kind", default="finetuning", show_default=True,
              type=click.Choice(("pretraining", "continued-pretraining", "distillation",
                                 "finetuning", "instruction-tuning", "preference-tuning",
                                 "pruning", "merging", "quantization", "other")))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Write the lineage file here (default: standard output).")
def codecarbon(csv_path: Path, model: str, parents: tuple[str, ...], kind: str,
               output: Path | None) -> None:
    """A lineage file from a CodeCarbon emissions.csv: the runs summed as one measured step.

    Energy keeps CodeCarbon's PUE; emissions are its kg CO2eq (lineage writes the units).

    Example: lineage import codecarbon emissions.csv --model my-ft --from llama-3.2-1b -o my.yaml
    """
    from lineage.importers import read_codecarbon, step_yaml

    measured = read_codecarbon(csv_path)
    hardware = None
    if measured.gpu_model:
        from lineage.api import load_files
        from lineage.catalog import Catalog

        catalog = Catalog.build(load_files(()), [])
        found = catalog.hardware.find(measured.gpu_model)
        hardware = found.id if found is not None else None
    text = step_yaml(measured, model, list(parents), kind, hardware)
    if output is None:
        _out(text)
    else:
        from lineage.render import write_atomic

        write_atomic(output, text.encode("utf-8"))
        click.echo(f"wrote {output}: {measured.runs} run(s), {measured.energy_kwh:,.4g} kWh, "
                   f"{measured.emissions_kgco2e:,.4g} kgCO2e", err=True)


@import_.command(name="hf-card")
@click.argument("card_path", metavar="README", type=click.Path(path_type=Path))
@click.option("--model", required=True, help="The id to give the model.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Write the lineage file here (default: standard output).")
def hf_card(card_path: Path, model: str, output: Path | None) -> None:
    """A lineage file from a Hugging Face model card (base_model, co2_eq_emissions in grams).

    Example: lineage import hf-card README.md --model my-model -o my-model.yaml
    """
    from lineage.importers import hf_card_yaml

    text = hf_card_yaml(card_path, model)
    if output is None:
        _out(text)
    else:
        from lineage.render import write_atomic

        write_atomic(output, text.encode("utf-8"))
