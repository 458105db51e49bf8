"""Parse the quantities users write: ``"370k"``, ``"107 tCO2e"``, ``"0.43 kgCO2e/kWh"``,
``"2.8..3.36 tCO2e"``, ``"31.7 tCO2e ± 10%"``, ``"1,720,320"``.

Everything is converted to the internal units of docs/method.md#units: kWh, kgCO2e, kW, kgCO2e/kWh,
hours, GB. Every parser returns an :class:`~lineage.model.interval.Interval` and raises
:class:`UnitError` with a message that says what to write instead.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum

from lineage.model.interval import Interval


class UnitError(ValueError):
    """A quantity that cannot be read; the message says what to write."""


class AmbiguousUnit(UnitError):
    """A unit with two readings under another casing ("mwh": mWh or MWh?)."""


@dataclass(frozen=True)
class _Dim:
    label: str  # as in messages: "an energy"
    example_unit: str  # suggested unit for a bare number
    needs_unit: bool
    internal: str = ""  # the internal unit, as in messages


class Dim(Enum):
    """The dimensions a field can hold, with the internal unit in the name's docstring."""

    COUNT = _Dim("a count", "", False)  #: plain number, k/M/B/T suffixes
    GPU_HOURS = _Dim("GPU-hours", "GPU-h", False, "GPU-h")  #: a count, or GPU-h / GPU-hours / h
    HOURS = _Dim("a duration", "h", False, "h")  #: hours
    DAYS = _Dim("a duration", "days", False, "days")  #: days
    LIFETIME = _Dim("a duration", "years", True, "h")  #: hours
    POWER = _Dim("a power", "W", True, "kW")  #: kW
    ENERGY = _Dim("an energy", "kWh", True, "kWh")  #: kWh
    EMISSIONS = _Dim("a mass of CO2e", "tCO2e", True, "kgCO2e")  #: kgCO2e
    INTENSITY = _Dim("a carbon intensity", "kgCO2e/kWh", True, "kgCO2e/kWh")  #: kgCO2e/kWh
    MEMORY = _Dim("a memory size", "GB", True, "GB")  #: GB
    FRACTION = _Dim("a fraction", "", False)  #: 0..1, or a percentage
    PUE = _Dim("a power usage effectiveness", "", False)  #: ≥ 1


# Every SI prefix, case-sensitive: "m" is milli and "M" mega, so "500 mWh" is 0.0005 kWh.
SI_PREFIXES = {"q": 1e-30, "r": 1e-27, "y": 1e-24, "z": 1e-21, "a": 1e-18, "f": 1e-15,
               "p": 1e-12, "n": 1e-9, "µ": 1e-6, "μ": 1e-6, "m": 1e-3, "c": 1e-2, "d": 1e-1,
               "": 1.0, "da": 1e1, "h": 1e2, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
               "P": 1e15, "E": 1e18, "Z": 1e21, "Y": 1e24, "R": 1e27, "Q": 1e30}
_MULTIPLES = {p: f for p, f in SI_PREFIXES.items() if f >= 1.0}
_PREFIX_NAMES = dict(zip(SI_PREFIXES, (
    "quecto", "ronto", "yocto", "zepto", "atto", "femto", "pico", "nano", "micro", "micro",
    "milli", "centi", "deci", "", "deca", "hecto", "kilo", "mega", "giga", "tera", "peta", "exa",
    "zetta", "yotta", "ronna", "quetta"), strict=True))
# (symbol, dimension, factor to the internal unit, the prefixes it takes)
_PREFIXED = (("Wh", "ENERGY", 1e-3, SI_PREFIXES), ("J", "ENERGY", 1 / 3.6e6, SI_PREFIXES),
             ("W", "POWER", 1e-3, SI_PREFIXES), ("g", "EMISSIONS", 1e-3, SI_PREFIXES),
             ("t", "EMISSIONS", 1e3, _MULTIPLES), ("B", "MEMORY", 1e-9, _MULTIPLES))
# Not prefixed; case does not matter for these ("TONNES", "Hours").
_WORDS = {"ton": ("EMISSIONS", 1e3), "tons": ("EMISSIONS", 1e3),
          "tonne": ("EMISSIONS", 1e3), "tonnes": ("EMISSIONS", 1e3),
          "kib": ("MEMORY", 2**10 / 1e9), "mib": ("MEMORY", 2**20 / 1e9),
          "gib": ("MEMORY", 2**30 / 1e9), "tib": ("MEMORY", 2**40 / 1e9),
          "pib": ("MEMORY", 2**50 / 1e9)}
_WORDS |= {w: ("HOURS", 1.0) for w in ("h", "hr", "hrs", "hour", "hours")}
_WORDS |= {w: ("HOURS", 24.0) for w in ("d", "day", "days")}
_WORDS |= {w: ("HOURS", 8760.0) for w in ("y", "yr", "yrs", "year", "years")}
# Symbols that are read nowhere but make a wrongly cased spelling ambiguous ("gb": GB or Gb?).
_NOT_ACCEPTED = {f"{p}b": "bits" for p in _MULTIPLES}
_CO2 = re.compile(r"(co2|co₂)(e|eq|-eq|e\.)?$", re.IGNORECASE)
_GPU_HOUR_UNITS = frozenset({"gpu-h", "gpuh", "gpu-hour", "gpu-hours", "gpuhours", "gpu-hr",
                             "gpu-hrs", "h", "hr", "hrs", "hour", "hours"})
_SUFFIX = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12}
_NUMBER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?|^\.\d+")
#: The largest magnitude accepted, in internal units. Why: products of a few such figures
#: (GPU-hours × power × PUE × intensity, summed over a hub) stay far below float overflow.
MAX_VALUE = 1e30


def _unit_table() -> dict[str, tuple[Dim, float]]:
    table = {p + sym: (Dim[dim], f * factor) for sym, dim, factor, prefixes in _PREFIXED
             for p, f in prefixes.items()}
    return table | {w: (Dim[dim], factor) for w, (dim, factor) in _WORDS.items()}


_UNITS = _unit_table()
_PREFIX_OF = {p + sym: _PREFIX_NAMES[p] for sym, _, _, prefixes in _PREFIXED for p in prefixes}
_READINGS: dict[str, list[str]] = {}
for _symbol in (*_UNITS, *_NOT_ACCEPTED):
    _READINGS.setdefault(_symbol.lower(), []).append(_symbol)


def lookup_unit(unit: str) -> tuple[Dim, float]:
    """The dimension of ``unit`` and its factor to the internal unit.

    Prefixes are case-sensitive (``mWh`` is milli, ``MWh`` mega). Another casing is accepted
    only when it has one reading (``kwh``, ``KWH``, ``GWH``); ``mwh`` could be either.

    Raises:
        UnitError: the unit is unknown or ambiguous; the message says what to write.

    Example:
        >>> lookup_unit("tCO2e")
        (<Dim.EMISSIONS: ...>, 1000.0)
        >>> lookup_unit("mWh")[1]
        1e-06
    """
    u = unit.replace(" ", "")
    if "/" in u:
        num, _, den = u.partition("/")
        mass, energy = _lookup_one(_CO2.sub("", num)), _lookup_one(den)
        if mass[0] is not Dim.EMISSIONS or energy[0] is not Dim.ENERGY:
            raise UnitError(f'unknown unit "{unit}"')
        return Dim.INTENSITY, mass[1] / energy[1]
    bare = _CO2.sub("", u)
    if bare != u and bare == "":
        raise UnitError(f'unknown unit "{unit}"')
    found = _lookup_one(bare, unit)
    if bare != u and found[0] is not Dim.EMISSIONS:
        raise UnitError(f'unknown unit "{unit}"')
    return found


def _lookup_one(u: str, written: str = "") -> tuple[Dim, float]:
    """:func:`lookup_unit` of a unit without "/" or "CO2e"; ``written``: the unit as the user
    wrote it, for the message on "mt"."""
    if u.lower() == "mt" and u != "Mt":
        raise AmbiguousUnit(f'"{written or u}" is ambiguous (metric tons or megatonnes?); write '
                            '"t" for tonnes or "Mt" for megatonnes')
    if u in _UNITS:
        return _UNITS[u]
    readings = _READINGS.get(u.lower(), []) if u.isascii() else []
    found = {_UNITS[r] for r in readings if r in _UNITS}
    if len(found) == 1 and all(r in _UNITS for r in readings):
        return found.pop()
    accepted = [r for r in readings if r in _UNITS]
    if accepted and any(r in _NOT_ACCEPTED for r in readings):
        raise AmbiguousUnit(f'"{u}" could be bits; memory is written in bytes: write '
                            f'"{accepted[0]}"')
    if len(readings) > 1 and accepted:
        shown = " or ".join(f'"{r}" ({_PREFIX_OF.get(r) or "no prefix"})' for r in accepted)
        raise AmbiguousUnit(f'"{u}" is ambiguous: SI prefixes are case-sensitive; write {shown}')
    raise UnitError(f'unknown unit "{u}"')


def classify_unit(unit: str) -> tuple[Dim, float] | None:
    """The dimension of ``unit`` and its factor to the internal unit, or None if unknown.

    Example:
        >>> classify_unit("tCO2e")
        (<Dim.EMISSIONS: ...>, 1000.0)
    """
    try:
        return lookup_unit(unit)
    except UnitError:
        return None


def _number(text: str, whole: str, field: str) -> tuple[float, str]:
    """Read a leading number (with thousands separators) and return it with the rest."""
    s = text.strip()
    if s[:1] == "-":
        raise UnitError(f'{field} "{whole}" must not be negative')
    if s[:1] == "+":
        s = s[1:]
    low = s.lower()
    if low.startswith(("nan", "inf", ".nan", ".inf", "infinity")):
        raise UnitError(f'{field} "{whole}" must be a finite number')
    m = _NUMBER.match(s)
    if not m:
        raise UnitError(f'{field} "{whole}" is not a number')
    value = float(m.group(0).replace(",", ""))
    if not math.isfinite(value):
        raise UnitError(f'{field} "{whole}" must be a finite number')
    return value, s[m.end():].strip()


def _scale(rest: str, dim: Dim, whole: str, field: str) -> float:
    """The factor that the unit text ``rest`` applies for dimension ``dim``."""
    spec = dim.value
    if dim is Dim.COUNT:
        if rest == "":
            return 1.0
        if rest in _SUFFIX:
            return _SUFFIX[rest]
        if classify_unit(rest) is not None:
            raise UnitError(f'{field} "{whole}" is a count: write a plain number such as "370k"')
        raise UnitError(f'{field} "{whole}": unknown suffix "{rest}"; use k, M, B or T')
    if dim is Dim.GPU_HOURS:
        return _gpu_hours_scale(rest, whole, field)
    if dim is Dim.FRACTION and rest == "%":
        return 0.01
    if rest == "":
        if spec.needs_unit:
            raise UnitError(
                f'{field} "{whole}" needs a unit: write "{whole.strip()} {spec.example_unit}"'
            )
        return 1.0
    if dim in (Dim.FRACTION, Dim.PUE):
        raise UnitError(f'{field} "{whole}" is {spec.label}: write a plain number')
    want = Dim.HOURS if dim in (Dim.DAYS, Dim.LIFETIME) else dim
    try:
        got, factor = lookup_unit(rest)
    except AmbiguousUnit as exc:
        raise UnitError(f'{field} "{whole}": {exc}') from None
    except UnitError:
        raise UnitError(
            f'{field} "{whole}": unknown unit "{rest}"; write {spec.label} such as '
            f'"1 {spec.example_unit}"'
        ) from None
    if got is not want:
        raise UnitError(
            f'{field} "{whole}" is {got.value.label}, not {spec.label}: write it in '
            f"{spec.example_unit}"
        )
    return factor / 24.0 if dim is Dim.DAYS else factor


def _gpu_hours_scale(rest: str, whole: str, field: str) -> float:
    """GPU-hours: a count (``370k``) or with its unit (``40 GPU-h``, ``40 GPU-hours``, ``40 h``,
    ``370k GPU-h``), the unit the tool itself prints."""
    unit = rest.replace(" ", "").lower()
    if unit == "" or unit in _GPU_HOUR_UNITS:  # before suffixes: the G of "GPU-h" is no giga
        return 1.0
    rest_unit = rest[1:].replace(" ", "").lower()
    if rest[:1] in _SUFFIX and (rest_unit == "" or rest_unit in _GPU_HOUR_UNITS):
        return _SUFFIX[rest[:1]]
    raise UnitError(f'{field} "{whole}": unknown unit "{rest}"; write GPU-hours such as '
                    '"40 GPU-h", "40 h" or "370k"')


def _single(text: str, dim: Dim, whole: str, field: str, unit: str = "") -> float:
    value, rest = _number(text, whole, field)
    if unit and rest == "":
        rest = unit
    return _bounded(value * _scale(rest, dim, whole, field), dim, whole, field)


def _bounded(value: float, dim: Dim, whole: str, field: str) -> float:
    """``value`` if it is at most :data:`MAX_VALUE`; a finite input can overflow once scaled."""
    if not value <= MAX_VALUE:
        unit = f" {dim.value.internal}" if dim.value.internal else ""
        raise UnitError(f'{field} "{whole}" is too large: it must be finite and at most '
                        f"1e30{unit}")
    return value


def _check_range(q: Interval, dim: Dim, whole: str, field: str) -> Interval:
    _bounded(q.high, dim, whole, field)
    if q.low > q.high:
        raise UnitError(f'{field} "{whole}": the range is reversed; write the smaller bound first')
    if not q.low <= q.mid <= q.high:
        raise UnitError(f'{field} "{whole}": the central value lies outside the range')
    if dim is Dim.FRACTION and q.high > 1.0:
        raise UnitError(f'{field} "{whole}" must be between 0 and 1 (or 0% and 100%)')
    if dim is Dim.PUE and q.low < 1.0:
        raise UnitError(f'{field} "{whole}" must be at least 1 (a PUE below 1 is impossible)')
    return q


def _trailing_unit(text: str) -> str:
    """The unit written after the last number of a range, e.g. "tCO2e" in "2.8..3.36 tCO2e"."""
    t = text.strip().lstrip("+")
    m = _NUMBER.match(t)
    return t[m.end():].strip() if m else ""


def parse(text: str | float | int, dim: Dim, field: str = "value") -> Interval:
    """Parse ``text`` as a quantity of dimension ``dim`` into internal units.

    Accepted forms: ``"107 tCO2e"``, ``"2.8..3.36 tCO2e"``, ``"3.1 (2.8..3.36) tCO2e"``
    (explicit central value), ``"31.7 tCO2e ± 10%"`` and ``"31.7 ± 10% tCO2e"``.

    Raises:
        UnitError: with a message that names ``field`` and says what to write.

    Example:
        >>> parse("2.8..3.36 tCO2e", Dim.EMISSIONS).as_tuple()
        (2800.0, 3080.0, 3360.0)
        >>> parse("1,720,320", Dim.COUNT).mid
        1720320.0
    """
    whole = str(text)
    s = whole.strip().replace("\u2212", "-")
    if s == "":
        raise UnitError(f"{field} is empty")
    marks = sum(s.count(sep) for sep in ("±", "+/-")) + s.count("..")
    if marks > 1:
        raise UnitError(f'{field} "{whole}": write one range per value, e.g. "2.8..3.36 tCO2e" '
                        'or "3 tCO2e ± 10%"')
    for sep in ("±", "+/-", "+-"):
        if sep in s:
            return _check_range(_plus_minus(s, sep, dim, whole, field), dim, whole, field)
    if ".." in s:
        return _check_range(_range(s, dim, whole, field), dim, whole, field)
    v = _single(s, dim, whole, field)
    return _check_range(Interval(v, v, v), dim, whole, field)


def _plus_minus(s: str, sep: str, dim: Dim, whole: str, field: str) -> Interval:
    left, _, right = s.partition(sep)
    right = right.strip()
    unit = ""
    m = re.match(r"^((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)\s*%\s*(.*)$", right)
    if not m and "%" in right:
        raise UnitError(f'{field} "{whole}": "{right}" is not a percentage; write e.g. "10%"')
    if m:
        pct, unit = float(m.group(1).replace(",", "")), m.group(2).strip()
        if pct > 100:
            raise UnitError(f'{field} "{whole}": a spread over 100% would go below zero')
        centre = _single(left, dim, whole, field, unit)
        return Interval(centre * (1 - pct / 100), centre, centre * (1 + pct / 100))
    unit = _trailing_unit(right)
    centre = _single(left, dim, whole, field, unit)
    spread = _single(right, dim, whole, field, unit)
    if spread > centre:
        raise UnitError(f'{field} "{whole}": the spread would go below zero')
    return Interval(centre - spread, centre, centre + spread)


def _range(s: str, dim: Dim, whole: str, field: str) -> Interval:
    m = re.match(r"^(.*?)\((.*)\)(.*)$", s)
    centre_text = None
    if m:
        centre_text, s = m.group(1), m.group(2) + " " + m.group(3)
    lo_text, _, hi_text = s.partition("..")
    if lo_text.strip().startswith("-") or hi_text.strip().startswith("-"):
        raise UnitError(f'{field} "{whole}" must not be negative')
    if not _NUMBER.match(lo_text.strip()) or not _NUMBER.match(hi_text.strip()):
        raise UnitError(f'{field} "{whole}": a range needs two numbers, e.g. '
                        '"2.8..3.36 tCO2e"')
    unit = _trailing_unit(hi_text)
    low = _single(lo_text, dim, whole, field, unit)
    high = _single(hi_text, dim, whole, field)
    mid = (low + high) / 2 if centre_text is None else _single(centre_text, dim, whole, field, unit)
    return Interval(low, mid, high)

