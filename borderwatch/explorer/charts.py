"""Charts drawn on the server as inline SVG: no script, no library, nothing fetched.

Each chart is an ``<svg role="img">`` with a title and a description a screen reader reads; the
page puts the numbers it draws in a table beside it. Every text in a chart is escaped here
(``markupsafe.escape``); colours come from the stylesheet through class names, so the page's
Content-Security-Policy needs no inline styles.

Charts come in a wide and a narrow drawing (``width``): the page shows the one that fits the
screen, so labels keep a readable size on a phone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDE = 880
NARROW = 360
_FONT = 12  # label size in the drawing's own units: the drawing is shown at about 1:1


@dataclass(frozen=True)
class Series:
    """One line of a line chart: its name, values (None: no value) and a style class."""

    name: str
    values: Sequence[float | None]
    css: str = "s0"
    dashed: bool = False


def ticks(value: float, *, whole: bool = True, most: int = 5) -> list[float]:
    """Gridline values from 0 to a round top at least ``value``: at most ``most`` steps of
    1, 2, 2.5 or 5 × 10ⁿ (``whole``: whole numbers only, for counts)."""
    value = max(value, 1.0 if whole else 0.1)
    power = 10 ** math.floor(math.log10(value / most))
    for scale in (power, power * 10):
        for base in (1, 2, 2.5, 5):
            step = base * scale
            if whole and step != int(step):
                continue
            count = math.ceil(value / step - 1e-9)
            if count <= most:
                return [step * k for k in range(count + 1)]
    return [value * k / most for k in range(most + 1)]


def nice_max(value: float, *, whole: bool = True) -> float:
    """The top gridline for ``value`` (see ``ticks``)."""
    return ticks(value, whole=whole)[-1]


def _number(value: float, percent: bool = False) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"
    return f"{text}%" if percent else text


def _label_every(count: int, width: int, label_width: int) -> int:
    """Show every n-th period label so that labels do not overlap."""
    room = max(1, width // label_width)
    return max(1, math.ceil(count / room))


def _open(width: int, height: int, title: str, description: str, css: str) -> list[str]:
    return [
        f'<svg class="chart {css}" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" preserveAspectRatio="xMinYMin meet">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(description)}</desc>",
    ]


def _axis(parts: list[str], left: int, top: int, plot_w: int, plot_h: int, values: list[float],
          percent: bool) -> None:  # fmt: skip
    top_value = values[-1]
    for value in values:
        y = top + plot_h - plot_h * value / top_value
        parts.append(
            f'<line class="grid" x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(_number(value, percent))}</text>"
        )


def _x_labels(parts: list[str], labels: Sequence[str], xs: list[float], y: float,
              every: int) -> None:  # fmt: skip
    last = len(labels) - 1
    for i, (label, x) in enumerate(zip(labels, xs, strict=True)):
        # The last label is always shown (the newest period is what a reader looks for).
        if i % every and i != last:
            continue
        if i != last and last - i < every:
            continue
        # The outermost labels stay inside the drawing.
        anchor = "start" if i == 0 and last else "end" if i == last and last else "middle"
        shift = -4 if anchor == "start" else 4 if anchor == "end" else 0
        parts.append(
            f'<text class="tick" x="{x + shift:.1f}" y="{y:.1f}" text-anchor="{anchor}">'
            f"{escape(label)}</text>"
        )


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    description: str,
    flags: Sequence[bool] = (),
    top_value: float | None = None,
    width: int = WIDE,
    height: int = 220,
    css: str = "bars",
    flag_label: str = "spike",
    behind: Sequence[float] = (),
    behind_label: str = "",
) -> Markup:
    """Vertical bars, one per period; flagged bars (spikes) are drawn in the alert colour and
    marked above. ``top_value``: the top of the axis (small multiples share one). ``behind``:
    lighter bars behind the others (the total they are part of, e.g. everything published)."""
    left, right, top, bottom = 44, 8, 18, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    highest = max([*values, *behind, 0])
    grid = ticks(highest if top_value is None else top_value)
    top_value = grid[-1]
    parts = _open(width, height, title, description, css)
    _axis(parts, left, top, plot_w, plot_h, grid, False)
    count = max(len(values), 1)
    step = plot_w / count
    bar_w = max(1.0, step * 0.72)
    xs = []
    flags = list(flags) or [False] * len(values)
    for i, total in enumerate(behind):
        x = left + step * i + (step - bar_w) / 2
        h = plot_h * (total / top_value) if top_value else 0
        parts.append(
            f'<rect class="bar behind" x="{x:.1f}" y="{top + plot_h - h:.1f}" '
            f'width="{bar_w:.1f}" height="{max(h, 0):.1f}"><title>{escape(labels[i])}: '
            f"{escape(_number(total))} {escape(behind_label)}</title></rect>"
        )
    for i, value in enumerate(values):
        x = left + step * i + (step - bar_w) / 2
        xs.append(x + bar_w / 2)
        h = plot_h * (value / top_value) if top_value else 0
        y = top + plot_h - h
        kind = "bar flagged" if flags[i] else "bar"
        parts.append(
            f'<rect class="{kind}" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
            f'height="{max(h, 0):.1f}"><title>{escape(labels[i])}: '
            f"{escape(_number(value))}{' (' + flag_label + ')' if flags[i] else ''}</title></rect>"
        )
        if flags[i]:
            parts.append(f'<path class="marker" d="M{x + bar_w / 2:.1f} {y - 3:.1f} l-4 -7 h8 z"/>')
    every = _label_every(len(labels), plot_w, 86 if width >= WIDE else 70)
    _x_labels(parts, labels, xs, height - 6, every)
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    description: str,
    percent: bool = True,
    width: int = WIDE,
    height: int = 200,
    css: str = "lines",
) -> Markup:
    """Lines over periods (share of volume: ``percent``), with a legend above the plot."""
    # The legend above the plot, in as many rows as the width needs.
    legend: list[tuple[float, float, Series]] = []
    x, row = 44.0, 0
    for s in series:
        item = 30 + len(s.name) * _FONT * 0.56
        if x + item > width and x > 44:
            x, row = 44.0, row + 1
        legend.append((x, 10 + 16 * row, s))
        x += item
    left, right, top, bottom = 44, 8, 26 + 16 * row, 24
    height += 16 * row
    plot_w, plot_h = width - left - right, height - top - bottom
    present = [v for s in series for v in s.values if v is not None]
    grid = ticks(max([*present, 0]), whole=False)
    top_value = grid[-1]
    parts = _open(width, height, title, description, css)
    _axis(parts, left, top, plot_w, plot_h, grid, percent)
    count = max(len(labels), 1)
    step = plot_w / count
    xs = [left + step * i + step / 2 for i in range(len(labels))]
    for legend_x, legend_y, s in legend:
        parts.append(
            f'<line class="line {s.css}{" dashed" if s.dashed else ""}" x1="{legend_x:.1f}" '
            f'x2="{legend_x + 18:.1f}" y1="{legend_y}" y2="{legend_y}"/>'
            f'<text class="legend" x="{legend_x + 22:.1f}" y="{legend_y + 4}">'
            f"{escape(s.name)}</text>"
        )
    for s in series:
        points = [
            f"{x:.1f},{top + plot_h - plot_h * (v / top_value):.1f}"
            for x, v in zip(xs, s.values, strict=True)
            if v is not None
        ]
        if len(points) == 1:
            cx, cy = points[0].split(",")
            parts.append(f'<circle class="dot {s.css}" cx="{cx}" cy="{cy}" r="3"/>')
        elif points:
            parts.append(
                f'<polyline class="line {s.css}{" dashed" if s.dashed else ""}" '
                f'points="{" ".join(points)}"/>'
            )
    every = _label_every(len(labels), plot_w, 86 if width >= WIDE else 70)
    _x_labels(parts, labels, xs, height - 6, every)
    parts.append("</svg>")
    return Markup("".join(parts))


def meter(value: float, top_value: float, *, css: str = "meter") -> Markup:
    """A bar for a table cell: ``value`` of ``top_value`` (its width scales with the cell)."""
    share = 0.0 if top_value <= 0 else max(0.0, min(1.0, value / top_value))
    return Markup(
        f'<svg class="{css}" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">'
        f'<rect class="meter-track" width="100" height="10"/>'
        f'<rect class="meter-fill" width="{share * 100:.2f}" height="10"/></svg>'
    )


def shade(value: float, top_value: float, steps: int = 6) -> str:
    """A class name ``shade-0`` … ``shade-5`` for a heat-map cell."""
    if top_value <= 0 or value <= 0:
        return "shade-0"
    return f"shade-{max(1, min(steps - 1, math.ceil(value / top_value * (steps - 1))))}"


__all__ = [
    "NARROW",
    "WIDE",
    "Series",
    "bar_chart",
    "line_chart",
    "meter",
    "nice_max",
    "shade",
    "ticks",
]
