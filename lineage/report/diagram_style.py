"""The look of lineage diagrams: the colour scale, edge styles per step kind, short numbers.

Why a module of its own: DOT, Mermaid and the HTML page must agree on every colour, and
the legend is drawn from the same tables the nodes and edges are.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

# viridis (matplotlib, CC0) sampled at 0, 0.1, …, 1: perceptually uniform, readable in grey
# and by the common forms of colour blindness.
VIRIDIS = ("#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c", "#22a884",
           "#44bf70", "#7ad151", "#bddf26", "#fde725")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ufffe\uffff]+")
UNKNOWN_FILL = "#d9d9d9"  # no known cost: outside the scale, explained in the legend
MAX_TICKS = 7


@dataclass(frozen=True)
class EdgeStyle:
    """How one step kind is drawn (Graphviz attributes and the Mermaid arrow)."""

    colour: str
    style: str  # solid | dashed | dotted
    penwidth: float
    arrowhead: str
    mermaid: str

    @property
    def sample(self) -> str:
        """The line in text, for the legend; colour, pattern and head tell kinds apart.

        Only glyphs that graphviz-pure's built-in font also draws (no heavy box-drawing).

        Example:
            >>> EDGE_STYLES["distillation"].sample, EDGE_STYLES["quantization"].sample
            ('────►', '· · · ·○')
        """
        line = {"solid": "────", "dashed": "– – – ", "dotted": "· · · ·"}[self.style]
        return line + _HEADS.get(self.arrowhead, "►")


_HEADS = {"normal": "►", "empty": "►", "tee": "┤", "diamond": "◊", "odot": "○"}
# Colours from ColorBrewer Dark2; the line style alone also tells the kinds apart.
EDGE_STYLES = {
    "distillation": EdgeStyle("#d95f02", "solid", 3.0, "normal", "==>"),
    "continued-pretraining": EdgeStyle("#333333", "solid", 3.0, "empty", "==>"),
    "pruning": EdgeStyle("#e7298a", "dashed", 2.0, "tee", "-.->"),
    "merging": EdgeStyle("#66a61e", "solid", 1.5, "diamond", "-->"),
    "finetuning": EdgeStyle("#1b9e77", "solid", 1.5, "normal", "-->"),
    "instruction-tuning": EdgeStyle("#7570b3", "solid", 1.5, "normal", "-->"),
    "preference-tuning": EdgeStyle("#7570b3", "dashed", 1.5, "normal", "-.->"),
    "quantization": EdgeStyle("#666666", "dotted", 1.5, "odot", "-.->"),
    "pretraining": EdgeStyle("#333333", "solid", 1.5, "normal", "-->"),
    "other": EdgeStyle("#a6761d", "dashed", 1.0, "normal", "-.->"),
}
KIND_ORDER = tuple(EDGE_STYLES)  # an edge made by several kinds is styled by the first
FOLD_NOUN = {"quantization": "quantizations", "finetuning": "fine-tunes"}


def _mix(a: str, b: str, t: float) -> str:
    ca = [int(a[i:i + 2], 16) for i in (1, 3, 5)]
    cb = [int(b[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb, strict=True))


def viridis(t: float) -> str:
    """The viridis colour at ``t`` in [0, 1] (clamped), interpolated between samples.

    Example:
        >>> viridis(0.0), viridis(1.0), viridis(0.05)
        ('#440154', '#fde725', '#461264')
    """
    t = min(1.0, max(0.0, t)) * (len(VIRIDIS) - 1)
    i = min(int(t), len(VIRIDIS) - 2)
    return _mix(VIRIDIS[i], VIRIDIS[i + 1], t - i)


def _luminance(colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(colour[i:i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_colour(fill: str) -> str:
    """Black or white, whichever contrasts more with ``fill`` (WCAG 2 contrast ratio).

    Example:
        >>> text_colour("#440154"), text_colour("#fde725")
        ('#ffffff', '#000000')
    """
    lum = _luminance(fill)
    return "#ffffff" if 1.05 / (lum + 0.05) > (lum + 0.05) / 0.05 else "#000000"


@dataclass(frozen=True)
class Scale:
    """A log scale of cumulative emissions in tonnes, spanning whole decades."""

    low_decade: int
    high_decade: int

    @classmethod
    def fit(cls, values_kgco2e: Iterable[float]) -> Scale | None:
        """The scale covering every positive value, or None when there is none.

        Example:
            >>> Scale.fit([420_000, 107, 0.0])
            Scale(low_decade=-1, high_decade=3)
        """
        logs = [math.log10(v / 1000) for v in values_kgco2e if v > 0]
        if not logs:
            return None
        low, high = math.floor(min(logs)), math.ceil(max(logs))
        return cls(low, high if high > low else low + 1)

    def position(self, kgco2e: float) -> float:
        """Where ``kgco2e`` falls on the scale, 0 to 1."""
        if kgco2e <= 0:
            return 0.0
        span = self.high_decade - self.low_decade
        return (math.log10(kgco2e / 1000) - self.low_decade) / span

    def colour(self, kgco2e: float) -> str:
        """The fill for a model whose cumulative emissions are ``kgco2e``."""
        return viridis(self.position(kgco2e)) if kgco2e > 0 else UNKNOWN_FILL

    def ticks(self) -> list[tuple[str, str]]:
        """(label in tonnes, colour) at whole decades, at most :data:`MAX_TICKS` of them.

        Example:
            >>> Scale(-1, 1).ticks()
            [('0.1 t', '#440154'), ('1 t', '#21918c'), ('10 t', '#fde725')]
        """
        span = self.high_decade - self.low_decade
        step = max(1, math.ceil(span / (MAX_TICKS - 1)))
        decades = list(range(self.low_decade, self.high_decade + 1, step))
        if decades[-1] != self.high_decade:
            decades.append(self.high_decade)
        return [(fmt_tonnes(10.0 ** d), self.colour(10.0 ** d * 1000)) for d in decades]


def fmt_tonnes(t: float) -> str:
    """A round number of tonnes for the legend.

    Example:
        >>> fmt_tonnes(0.001), fmt_tonnes(10_000.0)
        ('0.001 t', '10,000 t')
    """
    if t >= 1:
        return f"{t:,.0f} t"
    return f"{t:.{max(1, -math.floor(math.log10(t)))}f} t"


def short_count(x: float) -> str:
    """A count for a diagram label: three significant digits and a k/M/B/T suffix (the tables'
    ``lineage.report.tables.fmt_count`` writes the whole number with thousands separators).

    Example:
        >>> short_count(370_000), short_count(1.23e9), short_count(38_337), short_count(1.7)
        ('370k', '1.23B', '38.3k', '1.7')
        >>> short_count(999_900)
        '1M'
    """
    x = float(f"{x:.3g}")
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if x >= div:
            return f"{x / div:.3g}{suffix}"
    return f"{x:.3g}"


def short_share(share: float) -> str:
    """A share passed on, as a short percentage for a diagram label; a share below 1 is never
    written 100% (the tables' ``lineage.report.tables.fmt_share`` writes one decimal).

    Example:
        >>> short_share(1 / 3), short_share(0.004), short_share(1.0), short_share(0.0)
        ('33%', '0.4%', '100%', '0%')
        >>> short_share(0.9996)
        '>99%'
    """
    pct = share * 100
    if 99.5 <= pct < 100 - 1e-7:  # a sum of shares that is 1 but for rounding is 100%
        return ">99%"
    return f"{pct:.0f}%" if pct >= 10 or pct == 0 else f"{pct:.2g}%"


def plain(text: str) -> str:
    """``text`` on one line: control characters (newlines, tabs…) become single spaces.

    Example:
        >>> plain("a\\nb\\t c")
        'a b  c'
    """
    return _CONTROL.sub(" ", text)
