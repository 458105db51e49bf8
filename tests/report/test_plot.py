"""``lineage plot``: the pictures' sizes, labels and legends, and the break-even crossing."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from click.testing import CliRunner

from lineage.cli.main import main
from lineage.cli.plot import plot
from lineage.core.compare import break_even
from lineage.core.engine import compute
from lineage.core.payoff import Line, Payoff
from lineage.report import plot as draw

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture(autouse=True)
def _matplotlib() -> None:
    """Imported per test, not at collection: a parent that grew by matplotlib would raise the
    peak memory that test_bad_inputs measures in its child processes."""
    pytest.importorskip("matplotlib", reason="pip install '.[plot]' (matplotlib)")

PAYOFF = str(DATA / "plot" / "payoff.yaml")
FAMILY = str(DATA / "family.yaml")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk that follows the 8-byte signature."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def draw_to(tmp_path: Path, name: str, *args: str) -> bytes:
    out = tmp_path / name
    result = CliRunner().invoke(plot, [*args, "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.stderr
    return out.read_bytes()


def test_contributions_png_is_a_legible_size(tmp_path: Path) -> None:
    data = draw_to(tmp_path, "c.png", "llama-3.2-1b", "--dpi", "100")
    width, height = png_size(data)
    # 8 in wide at 100 dpi is 800 px before the tight crop; three bars need no more than 6 in
    assert 700 <= width <= 900
    assert 250 <= height <= 600


def test_contributions_svg_names_the_model_policy_units_and_bars(tmp_path: Path) -> None:
    svg = draw_to(tmp_path, "c.svg", "llama-3.2-1b").decode()
    # equal: 118.37 own + 0.2 × 2,040 (408) + 420 / 7 (60) = 586.37 t
    assert "Where Llama 3.2 1B's 586.4 tCO2e come from (policy equal)" in svg
    assert "emissions (tCO2e)" in svg
    for label in ("Llama 3.2 1B (own steps)", "llama-3.1-70b × 0.2", "llama-3.1-8b × 0.143",
                  "408 t", "60 t", "118.4 t", "own steps (incl. teacher inference)",
                  "inherited: ancestor's own cost × share"):
        assert label in svg, label


def test_policies_svg_has_every_policy_and_says_why_one_is_missing(tmp_path: Path) -> None:
    svg = draw_to(tmp_path, "p.svg", "llama-3.2-1b", "--kind", "policies").decode()
    for policy in ("equal", "params", "compute", "cutoff", "full (no conservation)"):
        assert f">{policy}<" in svg, policy
    assert "n/a: model" in svg  # usage: the registry lacks download counts
    assert "≥ 269.8 t" in svg  # compute meets an unknown energy: hatched, a lower bound
    assert "118.4 t" in svg and "586.4 t" in svg  # cutoff: own only; equal: 118.37 + 468
    assert "incomplete: a lower bound (≥)" in svg
    assert "cumulative emissions (tCO2e)" in svg


def test_montecarlo_band_matches_the_range(tmp_path: Path) -> None:
    svg = draw_to(tmp_path, "m.svg", "student", "-f", PAYOFF, "--no-registry",
                  "--kind", "montecarlo", "--seed", "3", "--monte-carlo", "4000").decode()
    # own 18..22 t uniform + 150 t inherited (300 / 2): 168..172 t, so 5–95 % ≈ 168.2–171.8
    assert "5–95 %: 168.2–171.8 t" in svg
    assert "4,000 samples" in svg and "central value 170 t" in svg
    assert "policy equal, uniform, seed 3" in svg


def test_break_even_crossing_is_compares_number(tmp_path: Path) -> None:
    import lineage

    results = compute(lineage.load([PAYOFF], registry=False), "equal")
    be = break_even(results, "student", "scratch")
    assert be is not None and be.students == 3  # 20 + 300 / (N + 1) ≤ 100 ⇔ N ≥ 2.75
    student = Line("student", "Student 7B", results.costs["student"].cumulative_kgco2e_bound.mid,
                   0.5, True)  # 1 kWh × 0.5 kg/kWh per 1,000 queries
    scratch = Line("scratch", "Scratch 13B", 100_000.0, 1.5, True)  # 3 kWh × 0.5
    payoff = Payoff("equal", student, scratch, 36_500_000, be)
    # 170 t (20 + 300 / 2) vs 100 t: (170,000 − 100,000) kg / (1.5 − 0.5) kg per 1,000 = 70 M
    assert payoff.crossing_queries == pytest.approx(70_000_000)
    fig = draw.break_even(payoff)
    marker = [ln for ln in fig.axes[0].lines if ln.get_label().startswith("crossing")]
    assert [float(x) for x in marker[0].get_xdata()] == pytest.approx([70.0])  # millions
    assert [float(y) for y in marker[0].get_ydata()] == pytest.approx([205.0])  # 170 + 35 t
    svg = draw_to(tmp_path, "b.svg", "student", "-f", PAYOFF, "--no-registry",
                  "--kind", "break-even", "--against", "scratch").decode()
    assert "crossing: 70 million queries, 205 t" in svg
    assert "distilling wins from 3 students sharing the teacher" in svg
    assert "queries served (millions)" in svg
    assert "cumulative emissions (tCO2e): training + inference" in svg


def test_break_even_against_the_teacher_never_crosses(tmp_path: Path) -> None:
    svg = draw_to(tmp_path, "t.svg", "student", "-f", PAYOFF, "--no-registry",
                  "--kind", "break-even").decode()
    # 170 t + 0.5 kg per 1,000 stays below 300 t + 2 kg per 1,000 from the first query
    assert "the lines never cross: Student 7B stays lower" in svg
    assert "Teacher 70B: 300 t to make, + 2,000 g per 1,000 queries" in svg


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_every_format_by_extension(tmp_path: Path, fmt: str) -> None:
    data = draw_to(tmp_path, f"x.{fmt}", "tuned", "-f", FAMILY, "--no-registry")
    head = {"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}[fmt]
    assert data.startswith(head)


@pytest.mark.parametrize(("args", "message"), [
    (["tuned", "-o", "x.gif"], 'lineage: cannot tell the image format of "x.gif": end it in '
                               ".png, .svg or .pdf"),
    (["teacher", "--kind", "break-even", "-o", "x.png"],
     'lineage: "teacher" has no parent: break-even compares a distilled model with its '
     "alternative"),
])
def test_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["plot", *args, "-f", FAMILY, "--no-registry"])
    assert exc.value.code == 2
    assert capsys.readouterr().err == message + "\n"
