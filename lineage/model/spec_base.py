"""What every file spec is made of (docs/method.md#files): quantities written as text with a
unit and read into :class:`~lineage.model.interval.Interval` in internal units, the base
class that refuses unknown keys and control characters, and the named citation."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    PlainSerializer,
    PlainValidator,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from lineage.model.interval import Interval
from lineage.model.units import Dim, parse

UNIT_HINTS = {
    Dim.COUNT: ("a count; thousands separators and k/M/B/T suffixes allowed", "370k"),
    Dim.GPU_HOURS: ("GPU-hours: a count (370k) or with GPU-h, GPU-hours or h", "40 GPU-h"),
    Dim.HOURS: ("hours (a plain number or with h/days)", "3"),
    Dim.DAYS: ("days (a plain number or with days/h)", "14"),
    Dim.LIFETIME: ("a duration with a unit", "4 years"),
    Dim.POWER: ("a power with its unit (W, kW)", "700 W"),
    Dim.ENERGY: ("an energy with its unit (Wh, kWh, MWh, GWh, J, MJ, GJ)", "36 MWh"),
    Dim.EMISSIONS: ("a mass of CO2e with its unit (g, kg, t; CO2e optional)", "107 tCO2e"),
    Dim.INTENSITY: ("a carbon intensity (gCO2e/kWh or kgCO2e/kWh)", "0.385 kgCO2e/kWh"),
    Dim.MEMORY: ("a memory size (GB)", "80 GB"),
    Dim.FRACTION: ("a fraction between 0 and 1, or a percentage", "0.8"),
    Dim.PUE: ("a power usage effectiveness, at least 1", "1.1"),
}


def quantity(dim: Dim) -> tuple[Any, ...]:
    """What pydantic needs to read a quantity: text with a unit → :class:`Interval` in
    internal units (its validator, serializer and JSON Schema, to unpack into ``Annotated``)."""

    def check(value: Any, info: ValidationInfo) -> Interval:
        if isinstance(value, Interval):
            return value
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError(f"{info.field_name} must be written as text such as "
                             f'"{UNIT_HINTS[dim][1]}"')
        return parse(value if isinstance(value, str) else repr(value), dim,
                     str(info.field_name))

    description, example = UNIT_HINTS[dim]
    accepts_number = not dim.value.needs_unit
    json: dict[str, Any] = (
        {"type": ["string", "number"], "minimum": 0} if accepts_number else {"type": "string"}
    )
    json |= {"description": f"{description}; a range a..b or x ± p% is allowed",
             "examples": [example]}
    return PlainValidator(check), PlainSerializer(dump), WithJsonSchema(json)


def dump(value: Interval) -> float | list[float]:
    """A quantity in internal units: one number, or [low, mid, high] for a range."""
    return value.mid if value.is_exact else [value.low, value.mid, value.high]


# To mypy a quantity is an Interval; pydantic also sees how to read and write it.
Count = Annotated[Interval, *quantity(Dim.COUNT)]
GpuHours = Annotated[Interval, *quantity(Dim.GPU_HOURS)]
Hours = Annotated[Interval, *quantity(Dim.HOURS)]
Days = Annotated[Interval, *quantity(Dim.DAYS)]
Lifetime = Annotated[Interval, *quantity(Dim.LIFETIME)]
Power = Annotated[Interval, *quantity(Dim.POWER)]
Energy = Annotated[Interval, *quantity(Dim.ENERGY)]
Emissions = Annotated[Interval, *quantity(Dim.EMISSIONS)]
Intensity = Annotated[Interval, *quantity(Dim.INTENSITY)]
Memory = Annotated[Interval, *quantity(Dim.MEMORY)]
Fraction = Annotated[Interval, *quantity(Dim.FRACTION)]
Pue = Annotated[Interval, *quantity(Dim.PUE)]

SourceRef = str | list[str]


def source_refs(ref: SourceRef | None) -> list[str]:
    """A ``source:`` as the list of its citations (one name, a list, or none)."""
    return [ref] if isinstance(ref, str) else list(ref or [])


DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def date_parts(text: str) -> tuple[int, int, int]:
    """A :data:`DATE` as (year, month, day), a partial date counting as its first day
    (docs/method.md#as-of): ``"2024-09"`` → ``(2024, 9, 1)``."""
    year, month, day, *_ = [int(p) for p in text.split("-")] + [1, 1]
    return year, month, day


def conflict(key: str, message: str) -> PydanticCustomError:
    """An error between fields of one mapping, reported at ``key``'s line."""
    return PydanticCustomError("field_conflict", message, {"key": key})


# Control characters (ESC, C0 but newline and tab, DEL, C1) would act on the terminal or the
# file that shows a label; keys and model references may not even hold newlines or tabs.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_OR_BREAK = re.compile("[\x00-\x1f\x7f-\x9f]")


def no_control(key: str, value: Any, strict: bool = False, what: str = "") -> None:
    texts = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    for text in (t for t in texts if isinstance(t, str)):
        found = (_CONTROL_OR_BREAK if strict else _CONTROL).search(text)
        if found:
            what = what or '"' + key.encode("unicode_escape").decode() + '"'
            raise conflict(key, f"{what} holds the control character "
                           f"\\x{ord(found.group(0)):02x}; remove it (it would act on the "
                           "terminal or file that shows the text)")


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              arbitrary_types_allowed=True, defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _printable(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                if isinstance(key, str):
                    no_control(key, key, strict=True)
                    no_control(key, value, strict=key in ("model", "from", "models"))
                    if isinstance(value, dict):
                        for inner in value:
                            shown = inner.encode("unicode_escape").decode() \
                                if isinstance(inner, str) else inner
                            no_control(key, inner, strict=True,
                                        what=f'the key "{shown}" under "{key}"')
        return data


class SourceSpec(Spec):
    """A named citation: where a figure was read, ideally with a short verbatim quote."""

    url: str | None = None
    title: str | None = None
    quote: str | None = None
    note: str | None = None
    accessed: str | None = None
