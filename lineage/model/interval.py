"""Values with low/mid/high bounds and exact arithmetic for non-negative coefficients."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=False)
class Interval:
    """A non-negative quantity known to lie in ``[low, high]``, with a central value ``mid``.

    Sums and products of non-negative intervals propagate the bounds exactly.

    Example:
        >>> (Interval(1, 2, 3) * 2 + Interval.exact(1)).as_tuple()
        (3.0, 5.0, 7.0)
    """

    low: float
    mid: float
    high: float

    @classmethod
    def exact(cls, value: float) -> Interval:
        """An interval with no spread."""
        v = float(value)
        return cls(v, v, v)

    @property
    def is_exact(self) -> bool:
        """True when low, mid and high coincide."""
        return self.low == self.high

    def as_tuple(self) -> tuple[float, float, float]:
        return (float(self.low), float(self.mid), float(self.high))

    def __add__(self, other: Interval) -> Interval:
        return Interval(self.low + other.low, self.mid + other.mid, self.high + other.high)

    def __mul__(self, other: Interval | float) -> Interval:
        if isinstance(other, Interval):
            return Interval(self.low * other.low, self.mid * other.mid, self.high * other.high)
        k = float(other)
        return Interval(self.low * k, self.mid * k, self.high * k)

    __rmul__ = __mul__


ZERO = Interval(0.0, 0.0, 0.0)


def total(values: list[Interval]) -> Interval:
    """The sum of ``values`` (``ZERO`` for none)."""
    return sum(values, ZERO)
