"""``compare --task``: the in-use verdict claims no exact gap and no ordering that a training
figure's unknown part could change (docs/method.md, "Student against teacher in use")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lineage.cli.main import cli
from lineage.core.payoff import Line, Payoff
from lineage.report.views import payoff_json, payoff_text
from tests.support import golden_file

DATA = Path(__file__).parents[1] / "data"


def payoff(student_t: float, student_known: bool, other_t: float, other_known: bool,
           student_kg: float, other_kg: float) -> Payoff:
    """Training in t, per 1,000 queries in kg."""
    s = Line("s", "s", student_t * 1000, student_kg, student_known)
    a = Line("a", "a", other_t * 1000, other_kg, other_known)
    return Payoff("equal", s, a, 0.0, None)


def verdict(p: Payoff) -> str:
    return payoff_text(p).splitlines()[-1].strip()


def test_a_student_lower_bound_cheaper_to_make_is_not_called_cheaper() -> None:
    # student ≥ 70 t, other 100 t: the gap 30 t is the most the student can save (its unknown
    # part may be anything), so neither the size nor the ordering is sure
    p = payoff(70, False, 100, True, 0.5, 2.0)
    assert verdict(p) == (
        "The student costs ≤ 30.00 tCO2e less to make and no more to serve (the student's "
        "training figure is a lower bound): whether it is cheaper from the first query is "
        "unknown.")
    assert (payoff_json(p)["verdict"], payoff_json(p)["break_even_bound"]) == (None, None)


def test_an_other_lower_bound_keeps_cheaper_with_at_least() -> None:
    # student 70 t, other ≥ 100 t: the student saves at least 30 t, surely
    p = payoff(70, True, 100, False, 0.5, 2.0)
    assert verdict(p) == ("The student costs ≥ 30.00 tCO2e less to make and no more to serve: "
                          "it is cheaper from the first query (a's training figure is a lower "
                          "bound).")
    assert payoff_json(p)["verdict"] == "cheaper"


def test_never_is_only_sure_when_the_other_figure_is_known() -> None:
    # student 120 t, other ≥ 100 t, no cheaper to serve: the other's unknown part may exceed 20 t
    p = payoff(120, True, 100, False, 2.0, 2.0)
    assert verdict(p) == ("The student costs ≤ 20.00 tCO2e more to make and no less to serve "
                          "(a's training figure is a lower bound): whether its training is "
                          "ever repaid is unknown.")
    assert payoff_json(p)["verdict"] is None
    p = payoff(120, False, 100, True, 2.0, 2.0)  # student ≥ 120 t: at least 20 t more, never
    assert "costs ≥ 20.00 tCO2e more to make" in verdict(p)
    assert payoff_json(p)["verdict"] == "never"


def test_overtaken_moves_its_crossing_the_other_way() -> None:
    # student ≥ 70 t at 3 kg per 1,000, other 100 t at 2 kg: 30,000 / 1 × 1,000 = 30 M queries,
    # and a larger student figure closes the gap sooner: "≤ 30 M", an upper bound
    p = payoff(70, False, 100, True, 3.0, 2.0)
    assert verdict(p) == ("The student costs ≤ 30.00 tCO2e less to make but more to serve: a "
                          "catches up after ≤ 30,000,000 queries (1.00 tCO2e more per million; "
                          "the student's training figure is a lower bound).")
    got = payoff_json(p)
    assert (got["verdict"], got["break_even_queries"], got["break_even_bound"]) == \
        ("overtaken", pytest.approx(30_000_000), "upper")


def test_repaid_keeps_its_marks() -> None:
    # student ≥ 120 t at 0.5 kg, other 100 t at 2 kg: 20,000 / 1.5 × 1,000 = 13.3 M, "≥"
    p = payoff(120, False, 100, True, 0.5, 2.0)
    assert verdict(p) == ("The student's ≥ 20.00 tCO2e of extra training is repaid by its "
                          "cheaper queries after ≥ 13,300,000 queries (1.50 tCO2e saved per "
                          "million; the student's training figure is a lower bound).")
    assert payoff_json(p)["break_even_bound"] == "lower"
    p = payoff(120, True, 100, False, 0.5, 2.0)  # the other's figure grows: "≤"
    assert "after ≤ 13,300,000 queries" in verdict(p)
    assert payoff_json(p)["break_even_bound"] == "upper"


def test_exact_figures_keep_the_exact_sentence() -> None:
    p = payoff(70, True, 100, True, 0.5, 2.0)
    assert verdict(p) == ("The student costs 30.00 tCO2e less to make and no more to serve: "
                          "it is cheaper from the first query.")


def test_compare_golden_with_an_unknown_teacher() -> None:
    # the student distils from the teacher (100 t) and a base of unknown cost: under equal it
    # carries 20 + 100 / 2 = 70 t and an unknown half of the base, "≥ 70 t"
    res = CliRunner().invoke(cli, ["compare", "student", "teacher", "-f",
                                   str(DATA / "lower-bounds.yaml"), "--no-registry",
                                   "--deployment"])
    assert res.exit_code == 0, res.output
    golden_file(DATA / "golden" / "compare-lower-bound.table", res.output)


def test_monte_carlo_says_the_unknown_training_costs_count_zero() -> None:
    res = CliRunner().invoke(cli, ["compare", "student", "teacher", "-f",
                                   str(DATA / "lower-bounds.yaml"), "--no-registry",
                                   "--deployment", "--monte-carlo", "20", "--seed", "1"])
    assert res.exit_code == 0, res.output
    assert ("the student is cheaper from the first query in every sample, the unknown "
            "training costs counted as 0\n") in res.output


def test_the_break_even_in_students_needs_the_teachers_known_under_any_policy() -> None:
    # under cutoff the student's cumulative cost (its own 20 t) is complete, but the rule
    # 20 + c(teachers) / (N + 1) ≤ 100 reads the teachers' cost, which misses unknownbase
    args = ["compare", "student", "teacher", "-f", str(DATA / "lower-bounds.yaml"),
            "--no-registry", "--policy", "cutoff"]
    text = CliRunner().invoke(cli, args).output
    assert "Break-even unknown" in text and "Distilling wins" not in text
    got = json.loads(CliRunner().invoke(cli, [*args, "--format", "json"]).output)
    assert got["break_even"][0]["complete"] is False
    assert got["break_even"][0]["break_even_students"] is None
