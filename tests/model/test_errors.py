"""The errors' helpers: problems gathered from several steps and raised at once, and the bad
lines counted as lines."""

from __future__ import annotations

import pytest

from lineage.model.errors import InputError, InputErrors, Position, bad_lines, collecting


def test_collecting_gathers_the_problems_of_each_block_and_lets_others_through() -> None:
    errors: list[InputError] = []
    with collecting(errors):
        raise InputErrors([InputError(Position("a.yaml", 2, 1), "x"),
                           InputError(Position("a.yaml", 1, 1), "y")])
    with collecting(errors):
        pass
    assert [str(e) for e in errors] == ["a.yaml:1:1: y", "a.yaml:2:1: x"]  # sorted, as raised
    with pytest.raises(ValueError, match="not ours"), collecting(errors):
        raise ValueError("not ours")
    with pytest.raises(InputErrors) as info:
        InputErrors.raise_if_any(errors)
    assert len(info.value.errors) == 2


def test_bad_lines_counts_each_line_of_each_file_once() -> None:
    # d.jsonl lines 2 (twice) and 3, e.jsonl line 2: 3 lines
    assert bad_lines([InputError(Position("d.jsonl", 2, 5), "a"),
                      InputError(Position("d.jsonl", 2, 9), "b"),
                      InputError(Position("d.jsonl", 3, 1), "c"),
                      InputError(Position("e.jsonl", 2, 1), "d")]) == 3
