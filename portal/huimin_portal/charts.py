"""Bar charts as geometry for the SVG templates: pure functions of the figures, no drawing library.

A chart is horizontal bars, one row per label; a row's segments are either stacked (parts of one
whole, e.g. a district's subsidy by payer) or grouped (side by side, e.g. due against moved).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# Colours chosen to stay apart for the common colour-vision deficiencies (Okabe–Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")


@dataclass(frozen=True)
class Row:
    label: str
    values: tuple[Decimal, ...]  # one per series


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str  # what a pointer or a screen reader is told


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class RowLabel:
    y: float
    text: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    plot_left: int
    plot_top: int
    plot_bottom: float
    rects: tuple[Rect, ...]
    ticks: tuple[Tick, ...]
    labels: tuple[RowLabel, ...]
    legend: tuple[tuple[str, str], ...]  # (colour, series name)


def nice_step(maximum: Decimal, ticks: int = 4) -> Decimal:
    """A step of 1, 2 or 5 × 10ⁿ such that ``ticks`` steps cover ``maximum``."""
    if maximum <= 0:
        return Decimal(1)
    raw = maximum / ticks
    magnitude = Decimal(10) ** (raw.adjusted())
    for factor in (1, 2, 5, 10):
        step = magnitude * factor
        if step * ticks >= maximum:
            return step
    return magnitude * 10  # pragma: no cover - the loop ends at 10 × magnitude ≥ raw


def _format(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:.2f}"


def bar_chart(
    rows: list[Row],
    series: list[str],
    *,
    stacked: bool,
    width: int = 720,
    label_width: int = 170,
    bar_height: int = 18,
    row_gap: int = 12,
    whole_numbers: bool = False,
) -> BarChart:
    """Lay out ``rows`` (each with one value per series) as horizontal bars scaled to the largest;
    ``whole_numbers`` (counts of people) keeps the axis steps at 1 or more."""
    plot_top, legend_height, axis_height = 8, 28, 24
    plot_width = width - label_width - 16
    per_row = bar_height if stacked else bar_height * len(series)
    extent = max(
        (sum(row.values, Decimal(0)) if stacked else max(row.values, default=Decimal(0)) for row in rows),
        default=Decimal(0),
    )
    step = max(nice_step(extent), Decimal(1)) if whole_numbers else nice_step(extent)
    whole_steps: Decimal = max(Decimal(1), -(-extent // step))  # extent rounded up to a whole step
    top = step * whole_steps
    scale = plot_width / float(top)
    rects: list[Rect] = []
    labels: list[RowLabel] = []
    y = float(plot_top)
    for row in rows:
        labels.append(RowLabel(y + per_row / 2, row.label))
        x = float(label_width)
        for index, value in enumerate(row.values):
            length = float(value) * scale if value > 0 else 0.0
            colour = PALETTE[index % len(PALETTE)]
            title = f"{row.label} · {series[index]}: {value}"
            if stacked:
                rects.append(Rect(x, y, length, bar_height, colour, title))
                x += length
            else:
                rects.append(Rect(x, y + index * bar_height, length, bar_height - 2, colour, title))
        y += per_row + row_gap
    plot_bottom = y
    ticks = tuple(
        Tick(label_width + float(step * i) * scale, _format(step * i)) for i in range(int(top / step) + 1)
    )
    height = int(plot_bottom + axis_height + legend_height)
    legend = tuple((PALETTE[i % len(PALETTE)], name) for i, name in enumerate(series))
    return BarChart(
        width, height, label_width, plot_top, plot_bottom, tuple(rects), ticks, tuple(labels), legend
    )
