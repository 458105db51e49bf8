"""Hostile world, issue 16 classes 3, 9 and 10: no silently wrong number, importers refuse what
validate would refuse, and the smaller slips. Every case is refused at its input position with
exit 2 and a golden message in ``data_numbers/NAME.expected`` (regenerate with
``LINEAGE_REGEN=1`` and read the diff); the unit parser is fuzzed against a table written here.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.cli.main import main
from lineage.model.units import Dim, UnitError, parse
from tests.support import REGEN, run_main

DATA = Path(__file__).parent / "data_numbers"
PROBLEM = re.compile(r"^[^:]+:\d+:\d+: .+")

# name → command line, run from DATA; each refused with exit 2 and the golden NAME.expected.
CASES: dict[str, list[str]] = {
    # class 3: units whose case decides the magnitude; finite inputs that overflow once scaled
    "mwh-lowercase": ["validate", "--no-registry", "mwh-lowercase.yaml"],
    "mw-lowercase": ["validate", "--no-registry", "mw-lowercase.yaml"],
    "mj-lowercase": ["validate", "--no-registry", "mj-lowercase.yaml"],
    "kt-1e308": ["validate", "--no-registry", "kt-1e308.yaml"],
    "gwh-1e308": ["validate", "--no-registry", "gwh-1e308.yaml"],
    "gpu-hours-1e308T": ["validate", "--no-registry", "gpu-hours-1e308T.yaml"],
    "pue-huge": ["validate", "--no-registry", "pue-huge.yaml"],
    "codecarbon-sum": ["validate", "--no-registry", "codecarbon-sum.yaml"],
    # class 9: importers
    "gpu-count-negative": ["import", "codecarbon", "gpu-count-negative.csv", "--model", "x"],
    "gpu-count-nan": ["import", "codecarbon", "gpu-count-nan.csv", "--model", "x"],
    "gpu-count-huge": ["import", "codecarbon", "gpu-count-huge.csv", "--model", "x"],
    "two-rows-1e308": ["import", "codecarbon", "two-rows-1e308.csv", "--model", "x"],
    "rows-sum-over-1e30": ["import", "codecarbon", "rows-sum-over-1e30.csv", "--model", "x"],
    "dia-carbon-1e308": ["import", "hf", "--no-registry", "cards/acme/huge-dia"],
    "card-base-model-itself": ["import", "hf", "--no-registry", "cards/acme/self"],
    # class 10
    "codecarbon-empty": ["validate", "--no-registry", "codecarbon-empty.yaml"],
    "utf32-le": ["validate", "--no-registry", "utf32-le.yaml"],
    "utf32-be": ["validate", "--no-registry", "utf32-be.yaml"],
    "percent-1.2.3": ["validate", "--no-registry", "percent-1.2.3.yaml"],
    "two-ids": ["validate", "two-ids.jsonl"],
}


def run(args: list[str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    return run_main(args, capsys, monkeypatch, DATA)


@pytest.mark.parametrize("name", sorted(CASES))
def test_refused_at_its_position(name: str, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run(CASES[name], capsys, monkeypatch)
    golden = DATA / f"{name}.expected"
    if REGEN:
        golden.write_text(err, encoding="utf-8", newline="\n")
    assert "Traceback" not in out + err
    assert (code, out) == (2, ""), err
    assert all(PROBLEM.match(line) for line in err.splitlines()), err
    assert err == golden.read_text(encoding="utf-8")


def test_every_golden_has_a_case() -> None:
    stems = {p.stem for p in DATA.glob("*.expected")}
    assert stems == set(CASES)


def test_queries_per_day_that_overflows_is_refused(capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["cost", "base", "--no-registry", "-f", "deploy.yaml", "--deployment"]
    code, out, err = run([*args, "--queries-per-day", "1e308", "--format", "json"], capsys,
                         monkeypatch)
    assert (code, out) == (2, "")
    assert err == ('lineage: deployment: queries_per_day "1e308" is too large: it must be '
                   "finite and at most 1e30\n")


@pytest.mark.parametrize(("text", "dim", "kwh_or_kg"), [
    ("500 mWh", Dim.ENERGY, 5e-4),  # 500 × 1e-3 Wh = 0.5 Wh = 0.0005 kWh (was read as 500 MWh)
    ("500 MWh", Dim.ENERGY, 5e5),  # 500 × 1,000 kWh
    ("700 mW", Dim.POWER, 7e-4),  # 700 × 1e-3 W = 0.7 W = 0.0007 kW (was read as 700 MW)
    ("700 MW", Dim.POWER, 7e5),  # 700 × 1,000 kW
    ("3.6 mJ", Dim.ENERGY, 1e-9),  # 3.6e-3 J / 3.6e6 J per kWh
    ("3.6 MJ", Dim.ENERGY, 1.0),  # 3.6e6 J = 1 kWh
    ("2 KWH", Dim.ENERGY, 2.0),  # one reading: kWh
    ("2 gwh", Dim.ENERGY, 2e6),  # one reading: GWh (there is no "g" prefix)
    ("3 Mt", Dim.EMISSIONS, 3e9),  # 3 megatonnes = 3e9 kg
    ("80 GiB", Dim.MEMORY, 85.89934592),  # 80 × 2**30 B / 1e9
])
def test_case_decides_the_magnitude(text: str, dim: Dim, kwh_or_kg: float) -> None:
    assert parse(text, dim).mid == pytest.approx(kwh_or_kg, rel=1e-12)


def test_parent_released_after_child_warns(capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run(["validate", "--no-registry", "parent-after-child.yaml"], capsys,
                         monkeypatch)
    assert (code, out) == (0, "ok: 1 file(s), 2 models, 1 warning(s)\n")
    assert err == ('parent-after-child.yaml:9:15: warning: child: released 2024-01-01, before '
                   'its parent "parent" (released 2024-06-01); check the dates\n')


def test_dates_compare_at_their_common_precision(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    text = (DATA / "parent-after-child.yaml").read_text().replace("2024-01-01", "2024")
    (tmp_path / "f.yaml").write_text(text)  # child "2024", parent "2024-06-01": not before
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--no-registry", "f.yaml"])
    assert exc.value.code == 0
    assert "warning" not in capsys.readouterr().err


def test_unknown_teacher_cost_is_null_not_zero(capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    args = ["compare", "student", "scratch", "-f", "unknown-teacher.yaml", "--no-registry"]
    code, out, _ = run([*args, "--format", "json"], capsys, monkeypatch)
    be = json.loads(out)["break_even"][0]
    assert code == 0
    # student 20 t of its own; the teacher publishes nothing; scratch 100 t, known
    assert (be["teachers_kgco2e"], be["student_own_kgco2e"], be["scratch_kgco2e"]) == \
        (None, 20000.0, 100000.0)
    code, out, _ = run(args, capsys, monkeypatch)
    assert "shares an unknown amount of teacher cost (teacher)" in out
    assert "0 tCO2e of teacher cost" not in out


def test_json_is_strict() -> None:
    from lineage.model.errors import LineageError
    from lineage.report.tables import to_json

    with pytest.raises(LineageError, match=r'the figure models\[1\]\.kg is nan'):
        to_json({"models": [{"kg": 1.0}, {"kg": math.nan}]})
    assert to_json({"name": "a\u009bb"}) == '{\n  "name": "a\\u009bb"\n}\n'


def test_coverage_is_never_rounded_to_nothing() -> None:
    from lineage.report.tables import fmt_share

    # 1 in 100,001 = 0.00099999 % … printed "0.0%" before
    assert [fmt_share(1 / 100_001), fmt_share(100_000 / 100_001), fmt_share(0.5)] == \
        ["<0.1%", ">99.9%", "50.0%"]


# ---------------------------------------------------------------- fuzzing the unit parser

# An independent table: symbol → (dimension, factor to the internal unit). Written from the SI
# brochure, not from lineage.model.units.
PREFIX = {"q": -30, "r": -27, "y": -24, "z": -21, "a": -18, "f": -15, "p": -12, "n": -9,
          "µ": -6, "m": -3, "c": -2, "d": -1, "": 0, "da": 1, "h": 2, "k": 3, "M": 6, "G": 9,
          "T": 12, "P": 15, "E": 18, "Z": 21, "Y": 24, "R": 27, "Q": 30}
BASE = {"Wh": (Dim.ENERGY, 1e-3), "J": (Dim.ENERGY, 1 / 3.6e6), "W": (Dim.POWER, 1e-3),
        "g": (Dim.EMISSIONS, 1e-3)}
TRUE = {p + b: (d, f * 10.0 ** e) for b, (d, f) in BASE.items() for p, e in PREFIX.items()}


def _case_variants(draw: st.DrawFn, symbol: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(symbol), max_size=len(symbol)))
    return "".join(c.swapcase() if f else c for c, f in zip(symbol, flips, strict=True))


@st.composite
def written_units(draw: st.DrawFn) -> tuple[str, str]:
    symbol = draw(st.sampled_from(sorted(TRUE)))
    return symbol, _case_variants(draw, symbol)


@settings(max_examples=600, deadline=None)
@given(written_units(), st.sampled_from([Dim.ENERGY, Dim.POWER, Dim.EMISSIONS]))
def test_a_unit_is_read_right_or_refused(written: tuple[str, str], dim: Dim) -> None:
    _, text = written
    # every symbol whose spelling differs from the text by case only: what the writer may mean
    meant = {s for s in TRUE if s.lower() == text.lower()} if text.isascii() else {text}
    try:
        value = parse(f"2 {text}", dim).mid
    except UnitError:
        return  # a clean refusal is always allowed
    exact = TRUE.get(text)
    if exact is not None:  # written exactly: the SI reading, nothing else
        assert exact[0] is dim
        assert value == pytest.approx(2 * exact[1], rel=1e-9)
        return
    readings = {TRUE[s][1] for s in meant if s in TRUE}
    # another casing is read only when every case-reading gives the same magnitude
    assert len(readings) == 1, (text, meant)
    assert value == pytest.approx(2 * readings.pop(), rel=1e-9)


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=0, max_value=1e308, allow_nan=False),
       st.sampled_from(sorted(TRUE)), st.sampled_from([Dim.ENERGY, Dim.POWER, Dim.EMISSIONS]))
def test_a_read_figure_is_finite_and_bounded(x: float, symbol: str, dim: Dim) -> None:
    try:
        q = parse(f"{x!r} {symbol}", dim)
    except UnitError:
        return
    assert math.isfinite(q.high) and q.high <= 1e30
