"""The command line: exact outputs (goldens), JSON keys (docs/method.md#outputs), exit codes,
help texts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from lineage.cli.main import cli
from tests.support import golden_file

DATA = Path(__file__).parents[1] / "data"
FAMILY = str(DATA / "family.yaml")


def run(*args: str) -> tuple[int, str, str]:
    """Run the real entry point in a fresh process (the error boundary included)."""
    p = subprocess.run([sys.executable, "-m", "lineage", *args], capture_output=True,
                       text=True, cwd=DATA.parent.parent)
    return p.returncode, p.stdout, p.stderr


def golden(name: str, text: str) -> None:
    golden_file(DATA / "golden" / name, text)


@pytest.mark.parametrize("fmt", ["table", "md", "csv"])
def test_cost_golden(fmt: str) -> None:
    result = CliRunner().invoke(cli, ["cost", "tuned", "-f", FAMILY, "--no-registry",
                                      "--format", fmt])
    assert result.exit_code == 0, result.output
    golden(f"cost-tuned.{fmt}", result.output)


def test_table_golden() -> None:
    result = CliRunner().invoke(cli, ["table", "-f", FAMILY, "--no-registry"])
    assert result.exit_code == 0
    golden("table.txt", result.output)


def test_cost_json_keys_and_values() -> None:
    result = CliRunner().invoke(cli, ["cost", "student", "-f", FAMILY, "--no-registry",
                                      "--format", "json"])
    data = json.loads(result.output)
    for key in ("model", "policy", "complete", "own_kgco2e", "inherited_kgco2e",
                "cumulative_kgco2e", "attributed_kgco2e", "own_kwh", "cumulative_kwh",
                "contributions"):
        assert key in data
    assert "cumulative_kgco2e_low" not in data  # bounds only where ranges are present
    # own: 30 t reported + 10,000 h × 0.4 kW × 1.1 × 0.385 = 1,694 kg of teacher inference
    assert data["own_kgco2e"] == pytest.approx(31_694)
    # teacher has 2 children → s = 1/3 of 291,422.2 kg = 97,140.7 kg
    assert data["contributions"] == [pytest.approx(
        {"model": "teacher", "share": 1 / 3, "complete": True, "kgco2e": 97_140.736,
         "kwh": 252_313.6})]
    assert data["complete"] is True


def test_table_json_is_a_list_of_cost_objects() -> None:
    result = CliRunner().invoke(cli, ["table", "-f", FAMILY, "--no-registry", "--format", "json"])
    rows = json.loads(result.output)
    assert [r["model"] for r in rows] == ["sibling", "student", "teacher", "tuned"]
    sibling = rows[0]
    # sibling's own range: 100k..120k h × 0.4 × 1.1 × 0.385 = 16,940..20,328 kg
    assert (sibling["own_kgco2e_low"], sibling["own_kgco2e_high"]) == pytest.approx(
        (16_940, 20_328))


def test_unknown_model_suggests() -> None:
    code, out, err = run("cost", "studnet", "-f", FAMILY, "--no-registry")
    assert (code, out) == (2, "")
    assert err == 'lineage: unknown model "studnet"; did you mean "student"?\n'


def test_bad_policy_is_a_usage_error() -> None:
    code, out, err = run("cost", "student", "-f", FAMILY, "--no-registry", "--policy", "equl")
    assert code == 2 and out == "" and "Traceback" not in err
    assert "equl" in err


def test_usage_policy_without_usage_points_at_the_model() -> None:
    code, out, err = run("cost", "student", "-f", FAMILY, "--no-registry", "--policy", "usage")
    assert code == 2 and out == ""
    assert err.splitlines()[0].endswith(
        'family.yaml:13:3: model "teacher" has no "usage" (nor Hub downloads), which --policy '
        "usage needs for every model with a parent or a child")


def test_every_command_has_help_with_an_example() -> None:
    names = cli.list_commands(click.Context(cli))
    assert len(names) == 14  # every command of lineage.cli.common.COMMANDS
    for name in names:
        command = cli.get_command(click.Context(cli), name)
        assert command is not None, name
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert command.help and "Example:" in command.help, name
    assert sorted(cli.commands) == names  # and no command outside that table


def test_cost_imports_only_what_it_needs(tmp_path: Path) -> None:
    """The start-up path of ``cost`` on the cached registry: no YAML parser, no other command's
    module, none of the heavy optional libraries (README's speed section)."""
    probe = ("import sys, io, contextlib\nfrom lineage.cli.main import main\ncode = None\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             "    try:\n        main(['cost', 'llama-3.2-1b'])\n"
             "    except SystemExit as exc:\n        code = exc.code\n"
             "print(code)\nprint(' '.join(sorted(sys.modules)))")
    env = {**os.environ, "LINEAGE_CACHE_DIR": str(tmp_path)}
    for _ in range(2):  # the first run writes the registry's cache
        p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           env=env, check=True)
    code, loaded = p.stdout.split("\n", 1)[0], set(p.stdout.split("\n", 1)[1].split())
    assert code == "0"  # cost ran to its end
    assert "lineage.cli.query" in loaded
    for name in ("yaml", "networkx", "graphviz", "pandas", "pyarrow", "matplotlib", "scipy",
                 "lineage.cli.render", "lineage.cli.plot", "lineage.cli.hub",
                 "lineage.cli.io", "lineage.cli.checks", "lineage.cli.cite"):
        assert name not in loaded, name


def test_start_up_runs_the_garbage_collector_rarely(tmp_path: Path) -> None:
    """From the import of the command line on, ``cost`` on the cached registry creates objects
    that live as long as the process: at Python's default threshold the collector ran 79
    times there for nothing (lineage.cli's docstring); it now runs at most twice."""
    probe = ("import gc, sys, io, contextlib\nimport lineage\nruns = []\n"
             "gc.callbacks.append(lambda phase, info: runs.append(phase))\n"
             "from lineage.cli.main import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             "    try:\n        main(['cost', 'llama-3.2-1b'])\n"
             "    except SystemExit:\n        pass\n"
             "print(runs.count('start'))")
    env = {**os.environ, "LINEAGE_CACHE_DIR": str(tmp_path)}
    for _ in range(2):  # the first run writes the registry's cache
        p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           env=env, check=True)
    assert int(p.stdout) <= 2


@pytest.mark.parametrize("args", [["schema"], ["registry", "hardware"], ["validate"]])
def test_listing_and_checking_need_no_engine(tmp_path: Path, args: list[str]) -> None:
    """``schema``, ``registry`` and ``validate`` compute nothing: numpy stays out (a model-id
    rule placed beside the Hub's columns once brought it in: +60 ms on each)."""
    probe = ("import sys, io, contextlib\nfrom lineage.cli.main import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             f"    try:\n        main({args!r})\n"
             "    except SystemExit:\n        pass\n"
             "print(' '.join(sorted(sys.modules)))")
    env = {**os.environ, "LINEAGE_CACHE_DIR": str(tmp_path)}
    p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                       check=True)
    loaded = set(p.stdout.split())
    assert "lineage.cli.checks" in loaded
    for name in ("numpy", "networkx", "pandas", "pyarrow", "lineage.core.engine"):
        assert name not in loaded, name


@pytest.mark.parametrize("args", [
    ["cost", "llama-3.2-1b"], ["family", "llama-3.2-1b"], ["card", "llama-3.2-1b"],
    ["compare", "llama-2-7b", "llama-3.2-1b"], ["plot", "llama-3.2-1b", "-o", "x.png"],
    ["render", "--focus", "llama-3.2-1b", "--format", "dot"]])
def test_a_model_left_out_by_as_of_is_named_so_by_every_command(args: list[str]) -> None:
    """One resolver, one message (it was four, one of them "unknown model")."""
    code, out, err = run(*args, "--as-of", "2024-01-01")
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == ('lineage: "llama-3.2-1b" was released on 2024-09-25, '
                                    "after --as-of 2024-01-01")


def test_a_mistyped_command_gets_a_suggestion() -> None:
    """Commands are imported when asked for; a typo still sees them all."""
    assert run("cots", "llama-3.2-1b") == (
        2, "", "lineage: No such command 'cots'. Did you mean 'cost'?\n")


def test_schema_is_json_schema() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    schema = json.loads(result.output)
    assert schema["$schema"].startswith("https://json-schema.org/")
    step = schema["$defs"]["StepSpec"]
    assert "from" in step["properties"] and step["additionalProperties"] is False


def test_validate_ok_and_family() -> None:
    code, out, err = run("validate", "--no-registry", FAMILY)
    assert (code, err) == (0, "")
    assert out == "ok: 1 file(s), 4 models, 0 warning(s)\n"
    result = CliRunner().invoke(cli, ["family", "teacher", "-f", FAMILY, "--no-registry",
                                      "--format", "json"])
    fam = json.loads(result.output)
    assert fam["coverage"] == pytest.approx(3 / 4)  # tuned has an unknown step
    assert fam["complete"] is False


@pytest.mark.parametrize("what", ["hardware", "grids", "tasks", "models", "equivalents"])
@pytest.mark.parametrize("fmt", ["table", "json", "md", "csv"])
def test_registry_listings(what: str, fmt: str) -> None:
    result = CliRunner().invoke(cli, ["registry", what, "--format", fmt])
    assert result.exit_code == 0, result.output
    assert "http" in result.output  # every listing carries its sources


def test_registry_show() -> None:
    result = CliRunner().invoke(cli, ["registry", "show", "NVIDIA A100-SXM4-80GB",
                                      "--format", "json"])
    data = json.loads(result.output)
    assert data["entry"] == "hardware" and data["power"] == pytest.approx(0.4)
    assert data["citations"]


def test_registry_show_finds_a_model_by_its_mirror() -> None:
    # llama-7b has no `hf` (Meta published no repository); huggyllama/llama-7b is its mirror,
    # the name `cost` already answers to
    result = CliRunner().invoke(cli, ["registry", "show", "huggyllama/llama-7b", "--format",
                                      "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["entry"] == "model" and data["name"] == "LLaMA 7B"


def test_unknown_figures_are_empty_or_null_never_zero() -> None:
    # llama-3.2-1b-instruct: Meta publishes no figure for its own tuning steps, so its own
    # cost is unknown; bert-base-uncased: energy known (430.08 kWh), emissions unknown.
    runner = CliRunner()
    csv_cost = runner.invoke(cli, ["cost", "llama-3.2-1b-instruct", "--format", "csv"])
    assert csv_cost.output.splitlines()[1] == "llama-3.2-1b-instruct,own,,,false"
    record = json.loads(runner.invoke(cli, ["cost", "llama-3.2-1b-instruct", "--format",
                                            "json"]).output)
    assert record["own_kgco2e"] is None and record["own_kwh"] is None
    assert record["cumulative_kgco2e"] > 0 and record["complete"] is False  # a lower bound
    table = runner.invoke(cli, ["table", "--format", "csv"]).output.splitlines()
    bert = next(r for r in table if r.startswith("bert-base-uncased,"))
    # own emissions unknown (own_kgco2e_is_lower_bound), nothing inherited, energy known
    assert bert == ("bert-base-uncased,equal,false,,0.0,,,430.08000000000004,"
                    "430.08000000000004,true,true,false,false")


@pytest.mark.parametrize("source", [[], ["-f", "examples/hub-sample.jsonl"]])
def test_cost_policy_all_refuses_the_sections_of_one_policy(source: list[str]) -> None:
    """Checked once, before anything is read: with lineage files and with a hub dump alike."""
    assert run("cost", "llama-3.2-1b", *source, "--policy", "all", "--embodied") == (
        2, "", "lineage: --policy all compares policies; use --deployment, --embodied and "
        "--monte-carlo with one policy\n")


@pytest.mark.parametrize("command", [["card", "llama-3.2-1b"], ["render", "--format", "dot"]])
def test_a_command_of_lineage_files_names_the_dump_it_does_not_read(command: list[str]) -> None:
    assert run(*command, "-f", "examples/hub-sample.jsonl") == (
        2, "", f'lineage: {command[0]} does not read hub dumps ("examples/hub-sample.jsonl"); '
        "cost, table, family, validate and index do\n")


def test_an_unknown_figure_is_empty_or_null_in_every_format() -> None:
    # Falcon-40B's emissions were never published (its energy was): unknown, never 0
    csv_text = CliRunner().invoke(cli, ["cost", "falcon-40b", "--policy", "all",
                                        "--format", "csv"]).stdout
    assert csv_text.splitlines()[1].startswith("equal,,false,")  # was "equal,0.0,false,"
    fam = json.loads(CliRunner().invoke(cli, ["family", "falcon-40b", "--format",
                                              "json"]).stdout)
    assert fam["own_kgco2e_total"] is None and fam["complete"] is False  # was 0.0
    # energy: 384 A100 40GB × 60 days × 24 h = 552,960 GPU-h × 400 W (TDP, PUE 1) = 221,184 kWh
    assert fam["energy_complete"] is True and fam["own_kwh_total"] == pytest.approx(221_184)
