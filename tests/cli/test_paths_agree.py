"""Two paths through lineage, one answer: lineage files or a hub dump (``-f dump.jsonl``), the
command line or the Python API. Each case here once differed by path (found by a bug hunt).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import lineage
from tests.support import run_main

FAMILY = """\
lineage: 1
sources: {paper: https://example.org/paper}
models:
  never:
    note: described in a paper, never released (undated)
    steps: [{kind: pretraining, emissions: 50 t, source: paper}]
  code:
    released: 2023-08-24
    steps: [{kind: continued-pretraining, from: never, emissions: 1 t, source: paper}]
  base:
    hf: org/base
    released: 2023-01-01
    mirrors: [{hf: mirror/base, source: paper}]
    steps: [{kind: pretraining, emissions: 100 t, source: paper}]
  late:
    hf: org/late
    released: 2024-01-01
    usage: 10
    steps: [{kind: pretraining, emissions: 10 t, source: paper}]
  served:
    released: 2023-02-01
    usage: 10
    steps: [{kind: finetuning, from: late, emissions: 1 t, source: paper}]
    deployment: {energy_per_1k_queries: 1 kWh, intensity: 500 gCO2e/kWh,
                 queries_per_day: 1000, days: 10}
"""

DUMP: list[dict[str, Any]] = [
    # the mirror's line: created on the Hub after the date asked, while the model it IS
    # (base) was released before it
    {"id": "mirror/base", "created_at": "2023-09-01"},
    {"id": "org/ft", "base_model": "mirror/base", "co2_eq_emissions": 1000,
     "created_at": "2023-05-01"},
    # late's line: created before late's release date
    {"id": "org/late", "created_at": "2022-06-01"},
    {"id": "org/ft-late", "base_model": "org/late", "created_at": "2023-05-01"},
]


@pytest.fixture
def files(tmp_path: Path) -> tuple[str, str]:
    family, dump = tmp_path / "family.yaml", tmp_path / "dump.jsonl"
    family.write_text(FAMILY, encoding="utf-8")
    dump.write_text("".join(json.dumps(x) + "\n" for x in DUMP), encoding="utf-8")
    return str(family), str(dump)


@pytest.fixture
def lineage_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                tmp_path: Path) -> Any:
    def run(*args: str) -> tuple[int, str, str]:
        return run_main(list(args), capsys, monkeypatch, tmp_path)
    return run


@pytest.mark.parametrize("command", ["cost", "family"])
@pytest.mark.parametrize("with_dump", [False, True])
def test_as_of_names_the_undated_ancestor(files: tuple[str, str], lineage_cli: Any,
                                          command: str, with_dump: bool) -> None:
    """code (2023-08-24) leaves because its parent "never" is undated: it was said to be
    released "after" a later date, and with a dump (family) "not in the registry"."""
    family, dump = files
    dumps = ["-f", dump] if with_dump else []
    code, out, err = lineage_cli(command, "code", "--no-registry", "-f", family, *dumps,
                                 "--as-of", "2024-01-01")
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == ('lineage: --as-of 2024-01-01 leaves out "code": it '
                                    'descends from "never", which has no release date')


def test_as_of_the_registry_codellama() -> None:
    """The registry's case: Code Llama 34B is dated, its base Llama 2 34B was never released."""
    from lineage.model.graph import left_out_of

    assert left_out_of(lineage.load(), "codellama-34b", "2024-01-01") == (
        '--as-of 2024-01-01 leaves out "codellama-34b": it descends from "llama-2-34b", which '
        "has no release date")


def test_a_mirror_line_is_dated_by_the_model_it_is(files: tuple[str, str],
                                                   lineage_cli: Any) -> None:
    """A dump line that is a project model (here a mirror's) stays or leaves as the project
    dates that model, whatever its created_at (docs/method.md#as-of)."""
    family, dump = files
    code, out, err = lineage_cli("cost", "org/ft", "--no-registry", "-f", family, "-f", dump,
                                 "--as-of", "2023-06-01", "--format", "json")
    assert code == 0, err
    # as of 2023-06-01 base (released 2023-01-01) has one child, org/ft (its mirror's line,
    # created 2023-09-01, is base itself): org/ft = 1,000 g + 100 t / 2 = 50,001 kg
    assert json.loads(out)["cumulative_kgco2e"] == pytest.approx(50_001.0)
    # the other way: org/late's line predates late's release; late decides, and its Hub
    # derivative leaves with it
    code, out, err = lineage_cli("cost", "org/ft-late", "--no-registry", "-f", family,
                                 "-f", dump, "--as-of", "2023-06-01")
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == ('lineage: --as-of 2023-06-01 leaves out "org/ft-late": it '
                                    'descends from "late", which was released on 2024-01-01')


def test_the_api_computes_a_project_loaded_with_a_hub_as_the_cli_does(
        tmp_path: Path, lineage_cli: Any) -> None:
    """lineage.compute(lineage.load(files, hub=...)) computed the partial graph (only the Hub
    parents the files name) as if complete: base's other Hub children took no share."""
    dump = tmp_path / "d.jsonl"
    dump.write_text("".join(json.dumps(x) + "\n" for x in [
        {"id": "org/base", "co2_eq_emissions": 90_000_000},
        {"id": "org/ft1", "base_model": "org/base", "co2_eq_emissions": 1000},
        {"id": "org/ft2", "base_model": "org/base"},
        {"id": "org/ft3", "base_model": "org/base"}]), encoding="utf-8")
    mine = tmp_path / "mine.yaml"
    mine.write_text("lineage: 1\nsources: {log: https://example.org/log}\nmodels:\n  mine:\n"
                    "    steps: [{kind: finetuning, from: org/ft1, emissions: 10 kg, "
                    "source: log}]\n", encoding="utf-8")
    hub = lineage.load_hub(dump)
    project = lineage.load([mine], registry=False, hub=hub)
    # base has 3 Hub children: 1/4 each → ft1 = 1 + 90,000/4 = 22,501 kg; ft1 has one child:
    # 1/2 → mine = 10 + 22,501/2 = 11,260.5 kg (the partial graph gave 10 + 45,001/2)
    api = lineage.compute(project).cost("mine").cumulative_kgco2e
    assert api is not None and api.mid == pytest.approx(11_260.5)
    assert lineage.hub_results(project, hub, "mine").cost("mine").cumulative_kgco2e == api
    joined, arrays = lineage.hub_arrays(project, hub)
    assert arrays.cumulative_kg[list(joined.graph.ids).index("mine"), 1] == pytest.approx(api.mid)
    code, out, err = lineage_cli("cost", "mine", "--no-registry", "-f", str(mine),
                                 "-f", str(dump), "--format", "json")
    assert code == 0, err
    assert json.loads(out)["cumulative_kgco2e"] == pytest.approx(api.mid)
    # attributed: base keeps 1/4 of its 90 t, as its three Hub children share the rest
    base = lineage.compute(project).cost("org/base").attributed_kgco2e
    assert base is not None and base.mid == pytest.approx(22_500.0)
    # family: the Hub members too, as `lineage family org/base -f ... -f dump`
    assert set(lineage.family(project, "org/base").models) == {
        "org/base", "org/ft1", "org/ft2", "org/ft3", "mine"}


@pytest.mark.parametrize("command", ["cost", "family"])
@pytest.mark.parametrize("with_dump", [False, True])
def test_an_unknown_model_gets_a_suggestion_on_every_path(
        files: tuple[str, str], lineage_cli: Any, command: str, with_dump: bool) -> None:
    family, dump = files
    dumps = ["-f", dump] if with_dump else []
    code, _, err = lineage_cli(command, "bsae", "--no-registry", "-f", family, *dumps)
    assert (code, err) == (2, 'lineage: unknown model "bsae"; did you mean "base"?\n')
    if with_dump:  # the dump's own ids are suggested too
        code, _, err = lineage_cli(command, "org/fy", "--no-registry", "-f", family, *dumps)
        assert (code, err) == (2, 'lineage: unknown model "org/fy"; did you mean "org/ft"?\n')


@pytest.mark.parametrize("model", ["served", "org/ft"])
def test_an_unknown_task_is_named_before_what_is_missing(files: tuple[str, str],
                                                         lineage_cli: Any, model: str) -> None:
    """served has a deployment: block with its volume; the Hub's org/ft cannot have one: the
    unknown task came first for the one, the missing --queries-per-day for the other."""
    family, dump = files
    code, _, err = lineage_cli("cost", model, "--no-registry", "-f", family, "-f", dump,
                               "--task", "text-genernation")
    assert code == 2
    assert err.splitlines()[-1].startswith('lineage: unknown task "text-genernation"')


@pytest.mark.parametrize("with_dump", [False, True])
def test_a_missing_usage_is_said_alike(files: tuple[str, str], lineage_cli: Any,
                                       with_dump: bool) -> None:
    family, dump = files
    dumps = ["-f", dump] if with_dump else []
    code, _, err = lineage_cli("cost", "code", "--no-registry", "-f", family, *dumps,
                               "--policy", "usage")
    assert code == 2
    assert err.splitlines()[:2] == [
        f'{family}:{line}:3: model "{m}" has no "usage" (nor Hub downloads), which --policy '
        "usage needs for every model with a parent or a child"
        for line, m in ((4, "never"), (7, "code"))]
