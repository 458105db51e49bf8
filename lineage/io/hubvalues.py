"""Values of Hub records: counts ("1.2B"), grams ("12 kg"), dates, with the message that says
what is wrong with a bad one (shared by the JSON Lines and Parquet readers)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np

from lineage.io.hubrecords import downloads, params
from lineage.model.hub import RELATIONS

SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}
_COUNT = re.compile(r"^\s*([0-9][0-9_,]*(?:\.[0-9]+)?)\s*([kKmMbBtT]?)\s*$")
_MASS = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)\s*(g|kg|t)?\s*"
                   r"(?:co2(?:e|eq)?)?\s*$", re.I)
_GRAMS = {"g": 1.0, "kg": 1e3, "t": 1e6}
Problems = list[tuple[int, str, str]]  # (node, key, message)


def counts(raw: list[Any], key: str, problems: list[tuple[int, str, str]]) -> np.ndarray:
    """A float column from JSON numbers or count strings ("1.2B"); None → NaN.

    Each distinct value is parsed once (Hub columns repeat a lot), then mapped in C.
    """
    if not set(map(type, raw)) <= {int, float, str, type(None)}:  # lists, objects, booleans
        parsed = [checked(v, key) for v in raw]
    else:
        table = {v: checked(v, key) for v in set(raw)}
        parsed = list(map(table.__getitem__, raw))
    if str in set(map(type, parsed)):
        for i, v in enumerate(parsed):
            if type(v) is str:
                problems.append((i, key, v))
        parsed = [math.nan if type(v) is str else v for v in parsed]
    return np.array(parsed, dtype=np.float64)


def checked(value: Any, key: str) -> float | str:
    """The count ``value`` holds, or the message saying why it is not one."""
    try:
        return count(value, key)
    except Bad as exc:
        return exc.message


def dates(raw: list[Any], problems: list[tuple[int, str, str]]) -> np.ndarray:
    text = [v[:10] if type(v) is str else "NaT" for v in raw]
    for i in (i for i, v in enumerate(raw) if v is not None and type(v) is not str):
        problems.append((i, "created_at", f'"created_at" must be a date such as '
                         f'"2024-09-18", not {show(raw[i])}'))
    try:
        return np.array(text, dtype="datetime64[D]")
    except ValueError:  # find the bad ones
        out = np.full(len(raw), np.datetime64("NaT"), dtype="datetime64[D]")
        for i, v in enumerate(text):
            try:
                out[i] = np.datetime64(date(raw[i]), "D") if v != "NaT" else out[i]
            except Bad as exc:
                problems.append((i, exc.key, exc.message))
        return out


class Bad(Exception):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key, self.message = key, message


BASE = '"base_model" must be a Hub id or a list of Hub ids'
RELATION_CODES = {name: code for code, name in enumerate(RELATIONS) if name}


def relation_problem(value: Any) -> str:
    if value is None or value in RELATION_CODES:
        return '"base_model_relation" without a "base_model"'
    return (f'"base_model_relation" is {show(value)}; the Hub knows finetune, adapter, '
            "quantized and merge")


def number(value: Any, key: str, what: str) -> float:
    if type(value) in (int, float):
        x = float(value)
    elif type(value) is str and key == "co2_eq_emissions" and (m := _MASS.match(value)):
        # "149.2", "149.2 g", "12 kg", "1.5 t": the unit is explicit
        x = float(m.group(1)) * _GRAMS[(m.group(2) or "g").lower()]
    elif type(value) is str and key != "co2_eq_emissions" and (m := _COUNT.match(value)):
        x = float(m.group(1).replace(",", "").replace("_", "")) * \
            SUFFIX.get(m.group(2).lower(), 1.0)
    else:
        raise Bad(key, f'"{key}" must be {what}, not {show(value)}')
    if not math.isfinite(x) or x < 0:
        raise Bad(key, f'"{key}" must be a finite number ≥ 0, not {show(value)}')
    return x


def grams(value: Any) -> float:
    if type(value) is dict:
        value = value.get("emissions")
    if value is None:
        return math.nan
    return number(value, "co2_eq_emissions", 'a number of grams (or a string such as "12 kg")')


def count(value: Any, key: str) -> float:
    return math.nan if value is None else number(value, key, 'a count such as 1200 or "1.2B"')


def date(value: Any) -> str:
    if value is None:
        return "NaT"
    if type(value) is not str or not re.match(r"^\d{4}-\d{2}-\d{2}", value):
        raise Bad("created_at", f'"created_at" must be a date such as "2024-09-18", not '
                   f"{show(value)}")
    try:
        np.datetime64(value[:10], "D")
    except ValueError:
        raise Bad("created_at", f'"created_at" "{value}" is not a valid date') from None
    return value[:10]


def show(value: Any) -> str:
    """``value`` as JSON writes it (true, null, "text"), cut to 40 characters."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def as_written(line: bytes, key: str) -> str | None:
    """The message on a count (``downloads``, ``params``) as the line writes it: a fast
    reader saw the value as a float64 (-1.0 for -1), the line reader saw the JSON itself."""
    import orjson

    if key not in ("downloads", "params") or not line:
        return None
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if type(record) is not dict:
        return None
    message = checked(downloads(record) if key == "downloads" else params(record), key)
    return message if type(message) is str else None
