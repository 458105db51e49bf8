"""``lineage card`` and ``lineage import``: model cards and measurement logs in and out."""

from __future__ import annotations

from pathlib import Path

import click

from lineage.cli.common import (
    Source,
    as_of_option,
    assume_grid_option,
    cli,
    files_option,
    out,
    policy_option,
)


@cli.command()
@click.argument("model")
@files_option
@policy_option
@click.option("--markdown", is_flag=True,
              help="Print a card skeleton: the metadata as --- front matter, then a paragraph "
                   "for the card body that explains the figures.")
@as_of_option
@assume_grid_option
def card(model: str, files: tuple[str, ...], no_registry: bool, policy: str,
         markdown: bool, as_of: str | None, assume_grid: str | None) -> None:
    """Model-card metadata: Hugging Face's co2_eq_emissions (grams, own training) and a
    lineage block with the inherited and cumulative cost, policy, registry date and scope.

    Paste the output into the YAML front matter of the model's README.md; with --markdown,
    the output is a README.md that `lineage import hf` reads back.

    Example: lineage card acme-support-1b -f examples/my-finetune.yaml
    """
    from lineage.core.engine import compute
    from lineage.report.card import card_readme, card_yaml

    project, [mid] = Source.of(files, no_registry, assume_grid=assume_grid,
                               as_of=as_of).with_models([model])
    results = compute(project, policy)
    out((card_readme if markdown else card_yaml)(results, mid))


@cli.group(name="import")
def import_() -> None:
    """Turn model cards and measurement logs into lineage files.

    Example: lineage import hf cards/ -o family.yaml
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
    from lineage.io.atomic import check_not_input
    from lineage.io.importers import read_codecarbon, step_yaml

    if output is not None:
        check_not_input(output, [csv_path])
    measured = read_codecarbon(csv_path)
    hardware = None
    if measured.gpu_model:
        from lineage.api import load_files
        from lineage.model.catalog import Catalog

        catalog = Catalog.build(load_files(()), [])
        found = catalog.hardware.find(measured.gpu_model)
        hardware = found.id if found is not None else None
    text = step_yaml(measured, model, list(parents), kind, hardware)
    if output is None:
        out(text)
    else:
        from lineage.io.atomic import write_atomic

        write_atomic(output, text.encode("utf-8"), inputs=[csv_path])
        click.echo(f"wrote {output}: {measured.runs} run(s), {measured.energy_kwh:,.4g} kWh, "
                   f"{measured.emissions_kgco2e:,.4g} kgCO2e", err=True)


@import_.command(name="hf")
@click.argument("paths", metavar="CARD.md|FOLDER...", nargs=-1, required=True,
                type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Write the family file here (default: standard output).")
@click.option("--id", "hub_id", metavar="ORG/NAME",
              help="The Hub id of the card (one card only; default: from its folder).")
@click.option("--no-registry", is_flag=True,
              help="Do not resolve parents to registry models: every outside parent is a stub.")
def hf(paths: tuple[Path, ...], output: Path | None, hub_id: str | None,
       no_registry: bool) -> None:
    """A family file from Hugging Face model cards (their YAML front matter).

    A folder is searched for README.md cards (another .md file is read only when named); each
    card's Hub id comes from its folder (cards/ORG/NAME/README.md → ORG/NAME). Reads
    base_model, base_model_relation, co2_eq_emissions (GRAMS), license and a DIA dia_report
    block. Parents outside the cards become registry models (by hf: id) or stubs of unknown
    cost.

    Example: lineage import hf cards/ -o family.yaml
    """
    from lineage.io.atomic import check_not_input, inputs_in
    from lineage.io.hfimport import import_hf

    inputs = inputs_in(paths, (".md",))
    if output is not None:
        check_not_input(output, inputs)
    imported = import_hf(list(paths), hub_id, registry=not no_registry)
    for w in imported.warnings:
        click.echo(str(w), err=True)
    if output is None:
        out(imported.text)
    else:
        from lineage.io.atomic import write_atomic

        write_atomic(output, imported.text.encode("utf-8"), inputs=inputs)
        click.echo(f"wrote {output}", err=True)
    click.echo(imported.summary(), err=True, nl=False)


@import_.command(name="hf-card", hidden=True)
@click.argument("card_path", metavar="README", type=click.Path(path_type=Path))
@click.option("--model", "--id", "hub_id", required=True, help="The Hub id of the card.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Write the lineage file here (default: standard output).")
@click.pass_context
def hf_card(ctx: click.Context, card_path: Path, hub_id: str, output: Path | None) -> None:
    """Alias of "lineage import hf CARD --id ID" (kept for scripts).

    Example: lineage import hf-card README.md --model my-model -o my-model.yaml
    """
    ctx.invoke(hf, paths=(card_path,), output=output, hub_id=hub_id, no_registry=False)
