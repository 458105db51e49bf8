"""Make text safe for the programs that read our output: terminals, spreadsheets, JSON parsers.

- :func:`visible` shows control characters (ESC, the C0 and C1 sets, DEL) as ``\\x1b``-style
  escapes, so a model name cannot set a terminal's title or clear its screen.
- :func:`csv_cell` prefixes a text cell that a spreadsheet would run as a formula with ``'``
  (OWASP, "CSV Injection"); numbers stay numbers.
- :func:`strict_json` writes JSON that is JSON: no ``Infinity``, no ``NaN``, C1 characters
  escaped.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

from lineage.model.errors import LineageError

# C0 controls but newline and tab, DEL, the C1 controls.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_C1 = re.compile("[\x80-\x9f]")
#: A cell that starts with one of these is a formula to Excel, LibreOffice and Google Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def visible(text: str) -> str:
    """``text`` with every control character but newline and tab written as an escape.

    Example:
        >>> visible("a\\x1b]0;pwned\\x07b")
        'a\\\\x1b]0;pwned\\\\x07b'
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def csv_cell(value: Any) -> Any:
    """A text cell that would start a formula, prefixed with ``'``; anything else unchanged.

    Example:
        >>> csv_cell("=HYPERLINK(1)"), csv_cell("-x"), csv_cell(-5.0), csv_cell("llama")
        ("'=HYPERLINK(1)", "'-x", -5.0, 'llama')
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def strict_json(data: Any, **options: Any) -> str:
    """``json.dumps(data, **options)`` refusing non-finite numbers, with C1 escaped.

    Raises:
        LineageError: a figure is not finite; the message names where it is.

    Example:
        >>> strict_json({"kg": [1.0, float("inf")]})
        Traceback (most recent call last):
        ...
        lineage.model.errors.LineageError: the figure kg[1] is inf, not a finite number: ...
    """
    try:
        text = json.dumps(data, allow_nan=False, **options)
    except ValueError:
        where, value = non_finite(data, "") or ("?", math.nan)
        raise LineageError(f"the figure {where} is {value}, not a finite number: an input "
                           "is too large to compute with; nothing was written") from None
    # Why: with ensure_ascii=False json leaves U+0080..U+009F raw, and some terminals act on
    # them (U+009B is CSI); they can only occur inside strings, where \\u escapes are valid.
    return _C1.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def non_finite(data: Any, where: str) -> tuple[str, float] | None:
    """The first non-finite float in ``data`` and its path (``models[0].own_kgco2e``)."""
    if isinstance(data, float) and not math.isfinite(data):
        return where, data
    items: Iterable[tuple[str, Any]] = ()
    if isinstance(data, dict):
        items = ((f"{where}.{k}" if where else str(k), v) for k, v in data.items())
    elif isinstance(data, list | tuple):
        items = ((f"{where}[{i}]", v) for i, v in enumerate(data))
    for key, value in items:
        found = non_finite(value, key)
        if found:
            return found
    return None
