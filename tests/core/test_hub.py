"""Hub dumps (issue 7): JSON Lines in, joined to lineage files, explained, indexed, streamed."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from lineage.api import load
from lineage.cli.main import cli, main
from lineage.core.arrays import compute_arrays
from lineage.core.hubexplain import explain_results
from lineage.core.hubgraph import edge_shares, join, whole
from lineage.io.dump import read_jsonl
from lineage.io.index import read_index, write_index
from lineage.model.errors import InputErrors
from lineage.report.hubtable import csv_stream

FAMILY = """\
lineage: 1
sources: {paper: https://example.org/t}
models:
  t:
    hf: org/t
    steps: [{kind: pretraining, emissions: 100 t, source: paper}]
  s:
    steps: [{kind: finetuning, from: t, emissions: 2 t, source: paper}]
"""



pytestmark = pytest.mark.usefixtures("both_readers")

def write(tmp_path: Path, name: str, lines: list[dict[str, Any]]) -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return path


@pytest.fixture
def family(tmp_path: Path) -> Path:
    path = tmp_path / "family.yaml"
    path.write_text(FAMILY, encoding="utf-8")
    return path


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    return write(tmp_path, "dump.jsonl", [
        {"id": "org/t", "downloads": 1000},
        {"id": "a/ft", "base_model": "org/t", "base_model_relation": "finetune",
         "co2_eq_emissions": {"emissions": 1500.0, "source": "code carbon"},
         "downloads": 50, "created_at": "2024-09-18T10:00:00.000Z", "params": "1.2B"},
        {"id": "a/q", "base_model": ["a/ft"], "base_model_relation": "quantized"},
        {"id": "b/merge", "base_model": ["org/t", "a/ft", "gone/parent"], "downloads": 3},
        {"id": "c/alone", "co2_eq_emissions": 250},
    ])


def test_columns_by_hand(dump: Path) -> None:
    hub = read_jsonl(dump)
    assert list(hub.ids) == ["org/t", "a/ft", "a/q", "b/merge", "c/alone", "gone/parent"]
    assert hub.n_models == 5  # "gone/parent" is a stub: named as a base, absent from the dump
    edges = sorted(zip(hub.parent.tolist(), hub.child.tolist(), strict=True))
    assert edges == [(0, 1), (0, 3), (1, 2), (1, 3), (5, 3)]
    # relations: finetune (written), quantized (written), merge (inferred: three bases)
    assert hub.relation.tolist() == [0, 1, 3, 4, 0, 0]
    assert hub.inferred.tolist() == [False, False, False, True, False, False]
    # co2_eq_emissions is in grams on the Hub: 1,500 g and 250 g
    assert hub.emissions_g[[1, 4]].tolist() == [1500.0, 250.0]
    assert np.isnan(hub.emissions_g[[0, 2, 3, 5]]).all()
    assert hub.params[1] == 1.2e9  # "1.2B"
    assert str(hub.created[1]) == "2024-09-18"
    assert hub.downloads[[0, 1, 3]].tolist() == [1000, 50, 3]


def test_hub_derivatives_take_their_share_of_a_lineage_model(family: Path, dump: Path) -> None:
    j = join(load([family], registry=False), read_jsonl(dump))
    # org/t is the YAML model t (its hf id); hub adds a/ft and b/merge to its children (s).
    # Equal: t splits over itself and its 3 children: s(t→·) = 1/4.
    # a/ft: own 1.5 kg + 100 t/4 = 25,001.5 kg; it splits over itself, a/q and b/merge: 1/3.
    # b/merge: own unknown; inherits 100 t/4 + 25,001.5/3 + (stub: unknown) = 33,333.83 kg.
    r = compute_arrays(j.graph, "equal")
    at = {j.graph.ids[i]: i for i in range(j.graph.n)}
    assert r.cumulative_kg[at["s"], 1] == pytest.approx(2000 + 25_000)
    assert r.cumulative_kg[at["a/ft"], 1] == pytest.approx(25_001.5)
    assert r.cumulative_kg[at["b/merge"], 1] == pytest.approx(25_000 + 25_001.5 / 3)
    assert not r.complete[at["b/merge"]] and r.complete[at["a/ft"]]
    assert r.attributed_kg is not None
    assert r.attributed_kg[at["t"], 1] == pytest.approx(25_000)  # t keeps 1/4
    # the explanation of one model gives the same figures as the whole-graph arrays
    c = explain_results(j.project, j.hub, "b/merge", "equal").costs["b/merge"]
    assert c.cumulative_kgco2e_bound.mid == pytest.approx(25_000 + 25_001.5 / 3)
    assert {x.model: round(x.coefficient, 6) for x in c.contributions} == {
        "t": round(1 / 4 + 1 / 4 * 1 / 3, 6), "a/ft": round(1 / 3, 6), "gone/parent": 0.5}


def random_dump(rng: random.Random, n: int) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for i in range(n):
        line: dict[str, Any] = {"id": f"o/m{i}", "downloads": rng.randint(0, 500),
                                "params": f"{rng.randint(1, 70)}B"}
        earlier = [f"o/m{k}" for k in range(i)] + ["org/t"] * 3
        if i and rng.random() < 0.7:
            line["base_model"] = rng.sample(earlier, k=min(len(earlier), rng.choice([1, 1, 2])))
        if rng.random() < 0.5:
            line["co2_eq_emissions"] = rng.choice([rng.uniform(0, 1e6), {"emissions": 10.0}])
        lines.append(line)
    rng.shuffle(lines)
    return lines


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("policy", ["equal", "usage", "params", "cutoff", "full", "compute"])
def test_explaining_one_model_agrees_with_the_arrays(tmp_path: Path, family: Path, seed: int,
                                                     policy: str) -> None:
    rng = random.Random(seed)
    path = write(tmp_path, "r.jsonl", [{"id": "org/t", "downloads": 7, "params": "8B"},
                                       *random_dump(rng, 40)])
    (tmp_path / "u.yaml").write_text(FAMILY.replace("hf: org/t", "hf: org/t\n    usage: 9\n"
                                                    "    params: 8B") +
                                     "    usage: 4\n    params: 1B\n", encoding="utf-8")
    j = join(load([tmp_path / "u.yaml"], registry=False), read_jsonl(path))
    whole = compute_arrays(j.graph, policy, s=edge_shares(j, policy))
    for name in [*rng.sample([f"o/m{i}" for i in range(40)], 8), "s", "t"]:
        c = explain_results(j.project, j.hub, name, policy).costs[name]
        i = j.node(name)
        assert c.is_complete == whole.complete[i]
        assert c.cumulative_kgco2e_bound.as_tuple() == pytest.approx(
            tuple(whole.cumulative_kg[i]), rel=1e-9, abs=1e-9)
        if c.attributed_kgco2e is not None and whole.attributed_kg is not None:
            assert c.attributed_kgco2e_bound.mid == pytest.approx(whole.attributed_kg[i, 1],
                                                            rel=1e-9, abs=1e-9)


def test_the_registry_rows_are_the_same_with_and_without_a_dump(tmp_path: Path) -> None:
    # The streamed array path and the reference engine agree on all 148 registry models.
    unrelated = write(tmp_path, "one.jsonl", [{"id": "x/unrelated", "co2_eq_emissions": 5}])
    runner = CliRunner()
    small = runner.invoke(cli, ["table", "--format", "csv"])
    big = runner.invoke(cli, ["table", "--format", "csv", "-f", str(unrelated)])
    assert small.exit_code == big.exit_code == 0, big.output
    rows, hub_rows = small.output.splitlines(), big.output.splitlines()
    assert len(rows) == 149  # the header and 148 models (127 + 21 added for issue 14)
    assert rows[0] == hub_rows[0]
    for a, b in zip(rows[1:], hub_rows[1:], strict=False):  # the same to a float's last bits
        fa, fb = a.split(","), b.split(",")
        assert fa[:3] == fb[:3] and fa[9:] == fb[9:]  # model, policy, the two flags
        assert [float(x or "nan") for x in fa[3:9]] == pytest.approx(
            [float(x or "nan") for x in fb[3:9]], rel=1e-12, abs=1e-9, nan_ok=True)
        assert [x == "" for x in fa] == [x == "" for x in fb]  # unknown: empty in both
    # the one hub row: 5 g = 0.005 kg, known, nothing inherited
    # (its energy is unknown: empty, energy_complete false, own_kwh_is_lower_bound true)
    assert hub_rows[len(rows):] == [
        "x/unrelated,equal,true,0.005,0.0,0.005,0.005,,,false,false,false,true"]


def test_csv_is_streamed_in_batches(family: Path, dump: Path) -> None:
    j = join(load([family], registry=False), read_jsonl(dump))
    chunks = list(csv_stream(j, whole(j, "equal"), batch=2))
    assert len(chunks) == 4  # 7 models in batches of 2
    assert "".join(chunks).splitlines()[0].startswith("model,policy,complete")


def test_the_index_answers_like_the_dump(tmp_path: Path, family: Path, dump: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "hub.lineage"
    made = runner.invoke(cli, ["index", str(dump), "-o", str(out)])
    assert made.exit_code == 0, made.output
    assert "indexed 5 models, 5 edges, 1 parents not in the dump" in made.output
    hub, index = read_jsonl(dump), read_index(out)
    assert list(index.ids) == list(hub.ids)
    assert index.find(["a/q", "nope", "gone/parent"]) == {"a/q": 2, "gone/parent": 5}
    for column in ("parent", "child", "relation", "inferred", "emissions_g", "downloads",
                   "params", "created", "line"):
        np.testing.assert_array_equal(getattr(index, column), getattr(hub, column))
    for args in (["cost", "b/merge"], ["family", "org/t"], ["table", "--format", "csv"]):
        a = runner.invoke(cli, [*args, "--no-registry", "-f", str(family), "-f", str(dump)])
        b = runner.invoke(cli, [*args, "--no-registry", "-f", str(family), "-f", str(out)])
        assert a.exit_code == b.exit_code == 0, a.output + b.output
        assert a.output == b.output
    for stored, sorted_ in zip(index.downs, hub.downs, strict=True):  # the children the
        np.testing.assert_array_equal(stored, sorted_)  # index stores, the dump's sorted
    np.testing.assert_array_equal(index.ups, hub.ups)


def test_queries_on_an_index_import_no_pandas(tmp_path: Path, dump: Path) -> None:
    """pyarrow's own conversions import pandas (0.15 s of start-up) when it is installed."""
    import subprocess
    import sys

    out = tmp_path / "hub.lineage"
    write_index(read_jsonl(dump), out)
    code = ("import sys, io, contextlib\nfrom lineage.cli.main import main\n"
            f"for args in (['cost', 'a/q'], ['table', '--format', 'csv'], ['family', 'org/t']):\n"
            "    with contextlib.redirect_stdout(io.StringIO()):\n"
            "        try:\n"
            f"            main([*args, '--no-registry', '-f', {str(out)!r}])\n"
            "        except SystemExit as exc:\n"
            "            assert not exc.code, exc.code\n"
            "print('pandas' in sys.modules)")
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert ran.stdout.split() == ["False"]


def test_a_damaged_index_is_refused(tmp_path: Path, dump: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "hub.lineage"
    write_index(read_jsonl(dump), out)
    out.write_bytes(out.read_bytes()[:-100])
    with pytest.raises(SystemExit) as exit_info:
        main(["cost", "a/q", "--no-registry", "-f", str(out)])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (f"{out}:1:1: damaged lineage hub index: the file is "
                                       "cut short or its footer is damaged (rebuild it with "
                                       "lineage index)\n")


def test_family_over_a_dump(family: Path, dump: Path) -> None:
    result = CliRunner().invoke(cli, ["family", "org/t", "--no-registry", "-f", str(family),
                                      "-f", str(dump), "--format", "json"])
    assert result.exit_code == 0, result.output
    fam = json.loads(result.output)
    # t, s, a/ft, a/q, b/merge: 100 t + 2 t + 1.5 kg (a/q and b/merge unknown)
    assert fam["models"] == ["s", "t", "a/ft", "a/q", "b/merge"]  # project first, then hub
    assert fam["known"] == ["s", "t", "a/ft"] and fam["unknown"] == ["a/q", "b/merge"]
    assert fam["own_kgco2e_total"] == pytest.approx(102_001.5)
    assert fam["largest"][0] == {"model": "t", "kgco2e": 100_000.0}


def test_skip_bad_lines_loads_the_rest(tmp_path: Path) -> None:
    bad = Path(__file__).parents[1] / "data" / "bad" / "hub-bad-lines.jsonl"
    result = CliRunner().invoke(cli, ["cost", "ok/base", "--no-registry", "-f", str(bad),
                                      "--skip-bad-lines"])
    assert result.exit_code == 0, result.output
    assert (f"{bad}: warning: skipped 16 bad line(s); the first: {bad}:2:1: not a valid JSON "
            "line") in result.output


def test_deeply_nested_json_neither_crashes_nor_hangs(tmp_path: Path) -> None:
    # orjson before 3.11 reads any depth; later versions stop at 1,024 levels. Either way
    # the line is read or refused at its place, never a crash of the interpreter.
    path = tmp_path / "deep.jsonl"
    path.write_bytes(b'{"id": "x/a"}\n{"id": "x/b", "tags": ' + b"[" * 100_000
                     + b"]" * 100_000 + b"}\n")
    try:
        assert list(read_jsonl(path).ids) == ["x/a", "x/b"]
    except InputErrors as exc:
        assert [str(e) for e in exc.errors] == [
            f"{path}:2:1: not a valid JSON line (JSON Lines: one object per line)"]


def test_hub_names_cannot_break_the_output(tmp_path: Path) -> None:
    path = write(tmp_path, "h.jsonl", [{"id": 'x/"<b>",\n'.strip()},
                                       {"id": 'y/a,"b"', "base_model": 'x/"<b>",'}])
    result = CliRunner().invoke(cli, ["table", "--no-registry", "-f", str(path),
                                      "--format", "csv"])
    import csv
    import io

    rows = list(csv.reader(io.StringIO(result.output)))
    assert [r[0] for r in rows[1:]] == ['x/"<b>",', 'y/a,"b"']


def test_the_python_api(tmp_path: Path) -> None:
    import lineage

    project = lineage.load()
    hub = lineage.load_hub(Path(__file__).parents[2] / "examples" / "hub-sample.jsonl")
    r = lineage.hub_results(project, hub, "acme/support-1b-lora-fr")
    c = r.cost("acme/support-1b-lora-fr")
    assert c.own_kgco2e_bound.mid == pytest.approx(2.1)  # co2_eq_emissions: 2100 g
    # its parent acme/support-1b splits over itself and 3 children (GGUF, lora-fr, merge)
    assert c.shares_in == {"acme/support-1b": pytest.approx(0.25)}
    joined, every = lineage.hub_arrays(project, hub)
    i = joined.node("acme/support-1b-lora-fr")
    assert every.cumulative_kg[i, 1] == pytest.approx(c.cumulative_kgco2e_bound.mid)


def cost_and_table(args: list[str], model: str) -> tuple[float, float]:
    runner = CliRunner()
    cost = runner.invoke(cli, ["cost", model, "--format", "json", *args])
    table = runner.invoke(cli, ["table", "--format", "csv", *args])
    assert cost.exit_code == table.exit_code == 0, cost.output + table.output
    row = next(r for r in table.output.splitlines() if r.startswith(model + ","))
    return json.loads(cost.output)["cumulative_kgco2e"], float(row.split(",")[5])


@pytest.mark.parametrize("lines", [
    # a registry parent named in another case: Hub ids are case-insensitive
    [{"id": "x/ft1", "base_model": "meta-llama/llama-3.2-1b", "co2_eq_emissions": 1e6}],
    # one parent named twice (its id and its Hub id): one edge, not two
    [{"id": "x/ft1", "base_model": ["llama-3.2-1b", "meta-llama/Llama-3.2-1B"],
      "co2_eq_emissions": 1e6}],
    # the registry model on two lines, each with a child: both children are its children
    [{"id": "llama-3.2-1b"}, {"id": "meta-llama/Llama-3.2-1B"},
     {"id": "x/ft1", "base_model": "meta-llama/Llama-3.2-1B", "co2_eq_emissions": 1e6},
     {"id": "x/ft2", "base_model": "llama-3.2-1b"}],
])
def test_cost_and_table_agree_on_spellings_of_a_registry_model(
        tmp_path: Path, lines: list[dict[str, Any]]) -> None:
    dump = write(tmp_path, "c.jsonl", lines)
    cost, table = cost_and_table(["-f", str(dump)], "x/ft1")
    assert cost == pytest.approx(table, rel=1e-12)
    # llama-3.2-1b's cumulative C splits over itself, its registry children and the hub
    # ones; x/ft1 inherits C × its share, so more than its own 1,000 kg in every case
    assert cost > 1000 + 1


SPELLED = """\
lineage: 1
sources: {paper: https://example.org/t}
models:
  teacher:
    usage: 1000
    steps: [{kind: pretraining, emissions: 100 t, source: paper}]
  x:
    hf: org/x
    mirrors: [{hf: mirror/x, source: paper}]
    steps: [{kind: distillation, from: teacher, emissions: 1 t, source: paper}]
  y:
    usage: 100
    steps: [{kind: distillation, from: teacher, emissions: 1 t, source: paper}]
"""


def test_a_model_on_several_dump_lines_reads_its_downloads_alike_in_cost_and_table(
        tmp_path: Path) -> None:
    # x's first line (its hf) has no downloads, its mirror's line has 300: both the whole
    # graph (table) and x's ancestors (cost) read the first line that has them; cost used
    # to read the first line only and refused x for having no usage
    family = tmp_path / "f.yaml"
    family.write_text(SPELLED, encoding="utf-8")
    dump = write(tmp_path, "d.jsonl", [
        {"id": "org/x"}, {"id": "mirror/x", "downloads": 300},
        {"id": "org/x-ft", "base_model": "org/x", "downloads": 5}])
    args = ["--no-registry", "-f", str(family), "-f", str(dump), "--policy", "usage"]
    for model, expected in (
            # teacher's 100 t over usage 1000 (itself) + 300 (x) + 100 (y): x bears 3/14
            ("x", 1000 + 100_000 * 300 / 1400),
            # x's 22,428.57 kg over x (300) and org/x-ft (5): 5/305 of it
            ("org/x-ft", (1000 + 100_000 * 300 / 1400) * 5 / 305)):
        cost, table = cost_and_table(args, model)
        assert cost == pytest.approx(expected, rel=1e-12)
        assert table == pytest.approx(expected, rel=1e-12)


def test_null_base_model_and_string_emissions(tmp_path: Path) -> None:
    dump = tmp_path / "n.jsonl"
    dump.write_bytes("\ufeff".encode() + b"".join(json.dumps(x).encode() + b"\n" for x in [
        {"id": "a/x", "base_model": None, "base_model_relation": None},
        {"id": "a/y", "co2_eq_emissions": "149.2"},          # a number as text: grams
        {"id": "a/z", "co2_eq_emissions": {"emissions": "12 kg"}},  # the unit is explicit
        {"id": "a/w", "co2_eq_emissions": "1.5 tCO2e"},
        {"id": "a/v", "co2_eq_emissions": {"emissions": None}},
    ]))
    hub = read_jsonl(dump)  # the UTF-8 byte-order mark is skipped
    assert hub.parent.size == 0
    # 149.2 g; 12 kg = 12,000 g; 1.5 t = 1,500,000 g; null stays unknown
    assert hub.emissions_g[1:4].tolist() == [149.2, 12_000.0, 1_500_000.0]
    assert np.isnan(hub.emissions_g[[0, 4]]).all()


def test_ids_are_found_without_case_in_the_dump_and_the_index(tmp_path: Path,
                                                              dump: Path) -> None:
    out = tmp_path / "hub.lineage"
    write_index(read_jsonl(dump), out)
    for hub in (read_jsonl(dump), read_index(out)):
        assert hub.find(["A/Q", "a/ft", "GONE/Parent", "nope"]) == {
            "A/Q": 2, "a/ft": 1, "GONE/Parent": 5}


def test_family_over_a_dump_as_csv_and_a_cycle_is_refused(tmp_path: Path, family: Path,
                                                         dump: Path) -> None:
    result = CliRunner().invoke(cli, ["family", "org/t", "--no-registry", "-f", str(family),
                                      "-f", str(dump), "--format", "csv"])
    # no energy is known anywhere, and a/q and b/merge report no emissions: empty, not 0
    assert result.output.splitlines() == [
        "model,own_kgco2e,own_kwh,complete", "s,2000.0,,true", "t,100000.0,,true",
        "a/ft,1.5,,true", "a/q,,,false", "b/merge,,,false"]
    loop = write(tmp_path, "loop.jsonl", [{"id": "x/a", "base_model": "x/b"},
                                          {"id": "x/b", "base_model": "x/a"}])
    refused = CliRunner().invoke(cli, ["family", "x/a", "--no-registry", "-f", str(loop)])
    assert refused.exit_code == 1 and isinstance(refused.exception, InputErrors)
    assert str(refused.exception) == f"{loop}:1:1: cycle in the lineage: x/a -> x/b -> x/a"


def test_a_closed_pipe_is_not_an_error(tmp_path: Path) -> None:
    # `lineage table … | head -1`: the reader leaves after one line; exit 0, no traceback
    import subprocess
    import sys

    dump = write(tmp_path, "big.jsonl", [{"id": f"o/m{i}", "params": "1B"} for i in range(20_000)])
    proc = subprocess.Popen([sys.executable, "-m", "lineage", "table", "--no-registry", "-f",
                             str(dump), "--format", "csv"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline() == b"model,policy,complete,own_kgco2e,inherited_kgco2e," \
        b"cumulative_kgco2e,attributed_kgco2e,own_kwh,cumulative_kwh,energy_complete," \
        b"own_kgco2e_is_lower_bound,inherited_kgco2e_is_lower_bound,own_kwh_is_lower_bound\n"
    proc.stdout.close()
    assert proc.wait(timeout=120) == 0
    assert proc.stderr.read() == b""


def test_a_family_file_can_name_a_dump_model_as_parent(tmp_path: Path, family: Path,
                                                      dump: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("lineage: 1\nsources: {log: https://example.org/log}\nmodels:\n  mine:\n"
                    "    steps: [{kind: finetuning, from: A/FT, emissions: 10 kg, "
                    "source: log}]\n", encoding="utf-8")
    args = ["--no-registry", "-f", str(family), "-f", str(mine), "-f", str(dump)]
    cost, table = cost_and_table(args, "mine")
    # a/ft (from the dump) has 25,001.5 kg cumulative (see above) and now 4 children: a/q,
    # b/merge and mine split it with a/ft itself: 1/4 each → mine = 10 + 25,001.5 / 4
    assert cost == pytest.approx(10 + 25_001.5 / 4)
    assert table == pytest.approx(cost, rel=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_family_walk_agrees_with_the_whole_graph(tmp_path: Path, family: Path,
                                                 seed: int) -> None:
    from lineage.core.family import family as family_of
    from lineage.model.columns import descendants_of

    rng = random.Random(seed)
    path = write(tmp_path, "r.jsonl", [{"id": "org/t"}, *random_dump(rng, 60)])
    j = join(load([family], registry=False), read_jsonl(path))
    for root in ["t", "org/t", *rng.sample([f"o/m{i}" for i in range(60)], 10)]:
        fam = family_of(j.project, root, hub=j.hub)
        g = j.graph
        below = descendants_of(g.n, g.parent, g.child, np.array([j.node(root)]))
        assert sorted(fam.models) == sorted(j.graph.ids[int(i)] for i in below)
        assert fam.kg.sum(axis=0) == pytest.approx(j.graph.own_kg[below].sum(axis=0))


def test_a_dump_line_that_is_a_registry_model_is_said_to_be_unused(tmp_path: Path) -> None:
    dump = write(tmp_path, "s.jsonl", [
        {"id": "meta-llama/Llama-3.2-1B", "base_model": "x/y", "co2_eq_emissions": 5},
        {"id": "a/b", "base_model": "meta-llama/Llama-3.2-1B"}])
    result = CliRunner().invoke(cli, ["cost", "a/b", "-f", str(dump)])
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == (
        f"{dump}:1:1: warning: 1 line(s) of the dump are models the registry or your files "
        "declare (first: meta-llama/Llama-3.2-1B = llama-3.2-1b): their declared steps and "
        "parents are used, not the dump's base_model and co2_eq_emissions")


def test_validate_reads_a_dump() -> None:
    sample = Path(__file__).parents[2] / "examples" / "hub-sample.jsonl"
    result = CliRunner().invoke(cli, ["validate", str(sample)])
    assert result.exit_code == 0
    # 4 lines; 6 edges (the merge has 3 bases); meta-llama/Llama-3.2-1B-Instruct (a registry
    # model) and other/unlisted-1b are named as bases but are not lines of the dump
    assert result.output == (f"ok: {sample}: 4 models, 6 edges, 2 parents not in the dump, "
                             "0 warning(s)\n")


def test_a_family_file_can_name_a_dump_model_that_descends_from_the_registry(
        tmp_path: Path) -> None:
    sample = Path(__file__).parents[2] / "examples" / "hub-sample.jsonl"
    mine = tmp_path / "mine.yaml"
    mine.write_text("lineage: 1\nsources: {log: https://example.org/log}\nmodels:\n  mine:\n"
                    "    steps: [{kind: finetuning, from: acme/support-1b, emissions: 10 kg, "
                    "source: log}]\n", encoding="utf-8")
    cost, table = cost_and_table(["-f", str(mine), "-f", str(sample)], "mine")
    assert table == pytest.approx(cost, rel=1e-12)
    # acme/support-1b now has 4 children (GGUF, lora-fr, the merge, mine) and keeps 1/5;
    # mine = 10 kg + its 1/5 of acme/support-1b's cumulative
    base, _ = cost_and_table(["-f", str(mine), "-f", str(sample)], "acme/support-1b")
    assert cost == pytest.approx(10 + base / 5)


def test_the_api_loads_files_that_name_dump_models(tmp_path: Path, family: Path,
                                                   dump: Path) -> None:
    import lineage

    mine = tmp_path / "mine.yaml"
    mine.write_text("lineage: 1\nmodels:\n  mine:\n    steps: [{kind: finetuning, "
                    "from: a/ft}]\n", encoding="utf-8")
    hub = lineage.load_hub(dump)
    project = lineage.load([family, mine], registry=False, hub=hub)
    assert project.parents("mine") == ["a/ft"] and project.parents("a/ft") == ["t"]


def test_as_of_a_date(tmp_path: Path, family: Path) -> None:
    dump = write(tmp_path, "d.jsonl", [
        {"id": "org/t", "created_at": "2024-01-01"},
        {"id": "a/early", "base_model": "org/t", "co2_eq_emissions": 1000,
         "created_at": "2024-02-01"},
        {"id": "a/late", "base_model": "org/t", "created_at": "2024-06-01"},
        {"id": "a/late-child", "base_model": "a/late", "created_at": "2024-03-01"},
        {"id": "a/undated", "base_model": "org/t"},
    ])
    hub, left_out = read_jsonl(dump).as_of("2024-04-01")
    # a/late is later; a/late-child "predates" its base, so it goes too; a/undated is undated
    assert list(hub.ids) == ["org/t", "a/early"] and left_out == 3
    assert hub.parent.tolist() == [0] and hub.child.tolist() == [1]
    dated = tmp_path / "dated.yaml"
    dated.write_text(FAMILY.replace("    hf: org/t\n", "    hf: org/t\n    released: 2023-12-01\n"),
                     encoding="utf-8")
    args = ["--no-registry", "-f", str(dated), "-f", str(dump), "--format", "json"]
    result = CliRunner().invoke(cli, ["cost", "a/early", "--as-of", "2024-04-01", *args])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output[result.output.index("{"):])
    # as of the date t's only child is a/early (s is undated, the others later): t splits
    # over itself and a/early, 1/2 each → a/early = 1 kg + 100 t / 2 = 50,001 kg
    assert record["cumulative_kgco2e"] == pytest.approx(50_001.0)
    now = CliRunner().invoke(cli, ["cost", "a/early", *args])  # today: t has 4 children
    assert json.loads(now.output)["cumulative_kgco2e"] == pytest.approx(1 + 100_000 / 5)
    later = CliRunner().invoke(cli, ["cost", "a/late", "--as-of", "2024-04-01", *args])
    assert later.exit_code == 1
    assert str(later.exception) == '"a/late" was released on 2024-06-01, after --as-of 2024-04-01'
    below = CliRunner().invoke(cli, ["cost", "a/late-child", "--as-of", "2024-04-01", *args])
    assert str(below.exception) == ('--as-of 2024-04-01 leaves out "a/late-child": it descends '
                                    'from "a/late", which was released on 2024-06-01')
    # undated YAML models leave, and so does the dump's line for such a model, with its
    # derivatives (the same rule as the registry's)
    gone = CliRunner().invoke(cli, ["cost", "a/early", "--as-of", "2024-04-01",
                                    "--no-registry", "-f", str(family), "-f", str(dump)])
    assert gone.exit_code == 1
    assert str(gone.exception) == ('--as-of 2024-04-01 leaves out "a/early": it descends from '
                                   '"t", which has no release date')
    # family takes --as-of with a dump too (it was refused): t and a/early only, 100 t + 1 kg
    fam = CliRunner().invoke(cli, ["family", "t", "--as-of", "2024-04-01", *args])
    assert fam.exit_code == 0, fam.output
    record = json.loads(fam.stdout)
    assert record["models"] == ["t", "a/early"]
    assert record["own_kgco2e_total"] == pytest.approx(100_001.0)


def test_every_policy_with_a_dump() -> None:
    sample = Path(__file__).parents[2] / "examples" / "hub-sample.jsonl"
    runner = CliRunner()
    every = json.loads(runner.invoke(cli, ["cost", "acme/support-1b-lora-fr", "-f",
                                           str(sample), "--policy", "all", "--format",
                                           "json"]).output)["policies"]
    for policy in ("equal", "cutoff", "full", "compute"):
        one = json.loads(runner.invoke(cli, ["cost", "acme/support-1b-lora-fr", "-f",
                                             str(sample), "--policy", policy, "--format",
                                             "json"]).output)
        assert every[policy]["cumulative_kgco2e"] == one["cumulative_kgco2e"]
    # cutoff: its own 2,100 g only; the sample gives no params to acme/support-1b-GGUF
    assert every["cutoff"]["cumulative_kgco2e"] == pytest.approx(2.1)
    assert every["params"]["problem"].startswith('model "acme/support-1b-GGUF" has no "params"')
    assert every["compute"]["inherited_kgco2e"] is None  # weighed with unknown energies


def test_a_file_may_name_a_registry_mirror_that_the_dump_holds(tmp_path: Path) -> None:
    # huggyllama/llama-7b is the registry's llama-7b (a mirror): with a dump holding that id,
    # the file's parent is still the registry model (it was refused: '"huggyllama/llama-7b"
    # names both "llama-7b" and "huggyllama/llama-7b"')
    mine = tmp_path / "mine.yaml"
    mine.write_text("lineage: 1\nmodels:\n  my-ft:\n    steps: [{kind: finetuning, "
                    "from: huggyllama/llama-7b, emissions: 1 t}]\n")
    dump = write(tmp_path, "d.jsonl", [{"id": "huggyllama/llama-7b", "downloads": 5},
                                       {"id": "x/y", "base_model": "huggyllama/llama-7b"}])
    result = CliRunner().invoke(cli, ["cost", "my-ft", "-f", str(mine), "-f", str(dump),
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert [c["model"] for c in record["contributions"]] == ["llama-7b"]


def test_embodied_emissions_of_a_dump_model(tmp_path: Path) -> None:
    # it was an internal error (KeyError on a registry model outside the explained ancestors)
    sample = Path(__file__).parents[2] / "examples" / "hub-sample.jsonl"
    result = CliRunner().invoke(cli, ["cost", "acme/support-1b-lora-fr", "-f", str(sample),
                                      "--embodied", "--format", "json"])
    assert result.exit_code == 0, result.output
    # base: 26,280 H100-hours = the registry's 3-year lifetime, so its embodied share is the
    # whole 164 kgCO2e; under equal base gives a/ft 1/2 and a/ft gives a/ft-2 1/2:
    # 164 × 1/2 × 1/2 = 41 kg, a lower bound (the dump's models name no hardware)
    base = tmp_path / "base.yaml"
    base.write_text("lineage: 1\nmodels:\n  base:\n    hf: org/base\n    steps: [{kind: "
                    "pretraining, gpu_hours: 26280, hardware: h100-sxm5-80gb, emissions: 1 t}]\n")
    dump = write(tmp_path, "d.jsonl", [{"id": "a/ft", "base_model": "org/base",
                                        "co2_eq_emissions": 100},
                                       {"id": "a/ft-2", "base_model": "a/ft"}])
    result = CliRunner().invoke(cli, ["cost", "a/ft-2", "-f", str(base),
                                      "-f", str(dump), "--embodied", "--format", "json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["embodied_kgco2e"] is None and record["embodied_complete"] is False
    assert record["embodied_cumulative_kgco2e"] == pytest.approx(41.0)


def test_an_index_of_a_dump_without_edges_reads_back(tmp_path: Path) -> None:
    # no base_model anywhere: the parents column's buffers are empty, and pyarrow places an
    # empty buffer outside the file's mapping; the bounds check refused it as "cut short"
    dump = write(tmp_path, "d.jsonl", [{"id": "z/a", "co2_eq_emissions": 1000},
                                      {"id": "z/b", "co2_eq_emissions": 2000}])
    index = tmp_path / "d.lineage"
    write_index(read_jsonl(dump), index)
    rows = CliRunner().invoke(cli, ["table", "-f", str(index), "--no-registry", "--format",
                                    "csv"])
    assert rows.exit_code == 0, rows.output
    assert [r.split(",")[:4] for r in rows.stdout.splitlines()[1:]] == [
        ["z/a", "equal", "true", "1.0"], ["z/b", "equal", "true", "2.0"]]  # 1,000 g, 2,000 g
