"""Errors and warnings that point at the user's input.

Library code raises these; only :func:`lineage.cli.main.main` prints them. ``str()`` of an
:class:`InputError` is ``path:line:col: message`` so that editors can jump to it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


class LineageError(Exception):
    """Base class of every error caused by the user's input or command line."""


@dataclass(frozen=True)
class Position:
    """A place in an input file; line and column are 1-based (0 when unknown)."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.path
        return f"{self.path}:{self.line}:{self.col}"


class InputError(LineageError, ValueError):
    """One problem in the input, with its position.

    Example:
        >>> str(InputError(Position("a.yaml", 3, 5), 'unknown key "gpuhours"'))
        'a.yaml:3:5: unknown key "gpuhours"'
    """

    def __init__(self, where: Position | None, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message

    def __str__(self) -> str:
        if self.where is None:
            return self.message
        return f"{self.where}: {self.message}"

    def sort_key(self) -> tuple[str, int, int, str]:
        w = self.where or Position("")
        return (w.path, w.line, w.col, self.message)


class InputErrors(LineageError):
    """Several problems found together; each is reported on its own line."""

    def __init__(self, errors: Iterable[InputError]) -> None:
        self.errors = sorted(set(errors), key=lambda e: e.sort_key())
        super().__init__("\n".join(str(e) for e in self.errors))

    @classmethod
    def raise_if_any(cls, errors: list[InputError]) -> None:
        """Raise the collected ``errors`` at once, or do nothing when there are none."""
        if errors:
            raise cls(errors)


def bad_lines(errors: Iterable[InputError]) -> int:
    """How many lines (or Parquet rows) ``errors`` point at: a line with two problems is one.

    Example:
        >>> bad_lines([InputError(Position("d.jsonl", 2, 5), "a"),
        ...            InputError(Position("d.jsonl", 2, 9), "b")])
        1
    """
    return len({(e.where.path, e.where.line) for e in errors if e.where is not None})


@contextmanager
def collecting(errors: list[InputError]) -> Iterator[None]:
    """Add the problems of an :class:`InputErrors` raised in the block to ``errors``, to be
    raised with the others (:meth:`InputErrors.raise_if_any`)."""
    try:
        yield
    except InputErrors as exc:
        errors.extend(exc.errors)


class UsageError(LineageError):
    """A wrong command-line request (e.g. an unknown model name), reported in one line."""


@dataclass(frozen=True)
class Warning_:
    """A problem worth a look that does not stop the computation (printed with ``warning:``)."""

    where: Position | None
    message: str

    def __str__(self) -> str:
        prefix = f"{self.where}: " if self.where else ""
        return f"{prefix}warning: {self.message}"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``'; did you mean "x"?'`` for the closest choice, or ``""``.

    Example:
        >>> did_you_mean("gpuhours", ["gpu_hours", "gpus"])
        '; did you mean "gpu_hours"?'
    """
    pool = list(choices)
    lowered = {c.lower(): c for c in pool}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return f'; did you mean "{lowered[word.lower()]}"?'
    close = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
        close = [lowered[c] for c in close]
    return f'; did you mean "{close[0]}"?' if close else ""
