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


@dataclass(frozen=True)
class _Dim:
    label: str  # as in messages: "an energy"
    example_unit: str  # suggested unit for a bare number
    needs_unit: bool


class Dim(Enum):
    """The dimensions a field can hold, with the internal unit in the name's docstring."""

    COUNT = _Dim("a count", "", False)  #: plain number, k/M/B/T suffixes
    GPU_HOURS = _Dim("GPU-hours", "GPU-h", False)  #: a count, or with GPU-h / GPU-hours / h
    HOURS = _Dim("a duration", "h", False)  #: hours
    DAYS = _Dim("a duration", "days", False)  #: days
    LIFETIME = _Dim("a duration", "years", True)  #: hours
    POWER = _Dim("a power", "W", True)  #: kW
    ENERGY = _Dim("an energy", "kWh", True)  #: kWh
    EMISSIONS = _Dim("a mass of CO2e", "tCO2e", True)  #: kgCO2e
    INTENSITY = _Dim("a carbon intensity", "kgCO2e/kWh", True)  #: kgCO2e/kWh
    MEMORY = _Dim("a memory size", "GB", True)  #: GB
    FRACTION = _Dim("a fraction", "", False)  #: 0..1, or a percentage
    PUE = _Dim("a power usage effectiveness", "", False)  #: ≥ 1


_MASS_KG = {"g": 1e-3, "kg": 1.0, "t": 1e3, "ton": 1e3, "tons": 1e3, "tonne": 1e3,
            "tonnes": 1e3, "kt": 1e6}
_ENERGY_KWH = {"wh": 1e-3, "kwh": 1.0, "mwh": 1e3, "gwh": 1e6, "twh": 1e9, "j": 1 / 3.6e6,
               "kj": 1 / 3.6e3, "mj": 1 / 3.6, "gj": 1e3 / 3.6, "tj": 1e6 / 3.6}
_POWER_KW = {"w": 1e-3, "kw": 1.0, "mw": 1e3}
_HOURS = {"h": 1.0, "hr": 1.0, "hrs": 1.0, "hour": 1.0, "hours": 1.0, "d": 24.0, "day": 24.0,
          "days": 24.0, "y": 8760.0, "yr": 8760.0, "year": 8760.0, "years": 8760.0}
_MEMORY_GB = {"mb": 1e-3, "gb": 1.0, "tb": 1e3, "gib": 1.073741824, "tib": 1099.511627776}
_GPU_HOUR_UNITS = frozenset({"gpu-h", "gpuh", "gpu-hour", "gpu-hours", "gpuhours", "gpu-hr",
                             "gpu-hrs", "h", "hr", "hrs", "hour", "hours"})
_SUFFIX = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12}
_CO2 = re.compile(r"(co2|co₂)(e|eq|-eq|e\.)?$")
_NUMBER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?|^\.\d+")


def _strip_co2(unit: str) -> str:
    return _CO2.sub("", unit)


def classify_unit(unit: str) -> tuple[Dim, float] | None:
    """The dimension of ``unit`` and its factor to the internal unit, or None if unknown.

    Example:
        >>> classify_unit("tCO2e")
        (<Dim.EMISSIONS: ...>, 1000.0)
    """
    if re.sub(r"(CO2|CO₂)(e|eq|-eq)?$", "", unit.replace(" ", "")) == "Mt":
        return Dim.EMISSIONS, 1e9  # megatonnes, written with a capital M only
    u = unit.replace(" ", "").lower()
    if "/" in u:
        num, _, den = u.partition("/")
        mass = _MASS_KG.get(_strip_co2(num))
        energy = _ENERGY_KWH.get(den)
        if mass is None or energy is None:
            return None
        return Dim.INTENSITY, mass / energy
    for table, dim in ((_ENERGY_KWH, Dim.ENERGY), (_POWER_KW, Dim.POWER),
                       (_MEMORY_GB, Dim.MEMORY)):
        if u in table:
            return dim, table[u]
    if u in _HOURS:
        return Dim.HOURS, _HOURS[u]
    mass = _MASS_KG.get(_strip_co2(u))
    if mass is not None:
        return Dim.EMISSIONS, mass
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
    found = classify_unit(rest)
    want = Dim.HOURS if dim in (Dim.DAYS, Dim.LIFETIME) else dim
    if found is None and _strip_co2(rest.replace(" ", "").lower()) == "mt":
        raise UnitError(f'{field} "{whole}": "{rest}" is ambiguous (metric tons or '
                        'megatonnes?); write "t" for tonnes or "Mt" for megatonnes')
    if found is None:
        raise UnitError(
            f'{field} "{whole}": unknown unit "{rest}"; write {spec.label} such as '
            f'"1 {spec.example_unit}"'
        )
    got, factor = found
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
    return value * _scale(rest, dim, whole, field)


def _check_range(q: Interval, dim: Dim, whole: str, field: str) -> Interval:
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
    m = re.match(r"^([\d.,]+)\s*%\s*(.*)$", right)
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


def format_si(value: float, unit: str, digits: int = 3) -> str:
    """Format ``value`` with ``digits`` significant digits and a thousands separator.

    Example:
        >>> format_si(291420.0, "t")
        '291,420 t'
    """
    if value == 0:
        return f"0 {unit}"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(0, digits - 1 - magnitude)
    return f"{value:,.{decimals}f} {unit}"
