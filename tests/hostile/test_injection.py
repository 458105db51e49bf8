"""Hostile world, issue 16 class 8: text from an input file must not act on the programs that
show our output — terminals (control sequences), spreadsheets (formulas), Markdown renderers.

Choice for terminals: a lineage file with a control character in any text is refused at its
line (the user did not mean it, and YAML can only hold one through an escape such as "\\e");
dumps refuse them in ids already. As a second guard, text tables and explanations show any
control character that still arrives as a visible ``\\x1b`` escape.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from lineage.report.escape import csv_cell, visible
from lineage.report.tables import md_escape, render_csv, render_table
from tests.support import run_main

DATA = Path(__file__).parent / "data_numbers"


def run(args: list[str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    return run_main(args, capsys, monkeypatch, DATA)


@pytest.mark.parametrize(("name", "message"), [
    ("name-osc", 'name-osc.yaml:4:5: "name" holds the control character \\x1b; remove it (it '
                 "would act on the terminal or file that shows the text)\n"),
    ("id-c1", 'id-c1.yaml:2:1: the key "ba\\x9bse" under "models" holds the control character '
              "\\x9b; remove it (it would act on the terminal or file that shows the text)\n"),
])
def test_control_characters_are_refused_at_their_line(
        name: str, message: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run(["validate", "--no-registry", f"{name}.yaml"], capsys, monkeypatch)
    assert (code, out, err) == (2, "", message)
    assert "\x1b" not in err and "\x9b" not in err


def test_text_tables_show_control_characters_escaped() -> None:
    text = render_table(("model", "cost"), [["a\x1b]0;pwned\x07b\x1b[2J", "1 t"],
                                            ["c\u009b31md\nfake line", "2 t"]])
    assert "\x1b" not in text and "\x07" not in text and "\u009b" not in text
    assert "a\\x1b]0;pwned\\x07b\\x1b[2J" in text
    assert "c\\x9b31md\\nfake line" in text
    assert len(text.splitlines()) == 4  # header, rule, two rows: no injected line
    assert visible("tab\tand\nnewline stay") == "tab\tand\nnewline stay"


@pytest.mark.parametrize(("value", "written"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("llama-3", "llama-3"),
    (-5.0, -5.0), (3, 3), (None, None),  # numbers stay numbers
])
def test_csv_cell(value: object, written: object) -> None:
    assert csv_cell(value) == written


def test_family_csv_neutralises_formulas(capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(["table", "--no-registry", "-f", "formula-ids.yaml", "--format", "csv"],
                       capsys, monkeypatch)
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0
    assert [r[0] for r in rows[1:]] == ["'-2+3", "'=HYPERLINK(\"http://x\")"]
    # own 1 t + inherited 5 t (equal: the child takes half of the parent's 10 t)
    assert rows[1][3:6] == ["1000.0", "5000.0", "6000.0"]


def test_hub_csv_neutralises_formulas(capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(["table", "--no-registry", "-f", "formula-ids.jsonl", "--format", "csv"],
                       capsys, monkeypatch)
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0
    assert [r[0] for r in rows[1:]] == ["'=cmd/x", "ok/child"]
    assert rows[1][3] == "0.005"  # 5 g = 0.005 kg, a number, not prefixed


def test_render_csv_keeps_numbers() -> None:
    assert render_csv(("model", "kg"), [["=x", -1.5]]) == "model,kg\n'=x,-1.5\n"


def test_card_markdown_escapes_names(capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(["card", "base", "--markdown", "--no-registry", "-f",
                        "markdown-name.yaml"], capsys, monkeypatch)
    body = out.split("## Environmental impact", 1)[1]
    assert code == 0
    assert ("Training Base \\*bold\\* \\[link\\](http://x) \\<img src=x onerror=alert(1)\\> "
            "\\| pipe itself emitted") in body
    assert not re.search(r"(?<!\\)<img", body) and "*bold*" not in body


def test_md_escape_shows_control_characters() -> None:
    assert md_escape("a\x1bb") == "a\\\\x1bb"  # the escape's backslash is itself escaped


def test_a_name_on_the_command_line_cannot_drive_the_terminal() -> None:
    # an unknown model named with an OSC title sequence: the error line shows it escaped
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "lineage", "cost", "evil\x1b]0;pwned\x07"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == ""
    assert "\x1b" not in done.stderr and "\x07" not in done.stderr
    assert 'unknown model "evil\\x1b]0;pwned\\x07"' in done.stderr
