"""The digest's 30-day trend chart as PNG bytes (matplotlib's Agg canvas, no display needed)."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd

from borderwatch.digest.compose import ALL, DigestContent

# Colours that survive dark-mode inversion and colour-blind readers (Okabe–Ito).
_LINE_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7"]
_BAR = "#C9D3DF"
_BAR_TODAY = "#51677F"
_SPIKE = "#C0392B"
#: Tags drawn as lines: the busiest ones over the chart's period.
LINES = 3


def trend_chart_png(content: DigestContent) -> bytes:
    """Bars of relevant articles per day, lines for the busiest tags, spikes marked."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    series = content.series
    figure = Figure(figsize=(6.4, 2.5), dpi=150)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    if series.empty:
        series = pd.DataFrame({ALL: [0]}, index=[content.day])
    positions = list(range(len(series)))
    colours = [_BAR_TODAY if d == content.day else _BAR for d in series.index]
    axes.bar(positions, series[ALL], color=colours, width=0.8, label="all relevant articles")
    busiest = (
        series.drop(columns=[ALL]).sum().sort_values(ascending=False).loc[lambda s: s > 0]
    ).index[:LINES]
    for colour, tag in zip(_LINE_COLOURS, busiest, strict=False):
        axes.plot(positions, series[tag], color=colour, linewidth=1.6, label=tag)
    if not content.spikes.empty and ALL in content.spikes:
        flagged = [i for i, hit in enumerate(content.spikes[ALL]) if hit]
        axes.scatter(
            flagged,
            [series[ALL].iloc[i] for i in flagged],
            marker="^",
            color=_SPIKE,
            zorder=3,
            label="spike",
        )
    ticks = positions[::7] if positions[-1] % 7 == 0 else positions[-1::-7][::-1]
    axes.set_xticks(ticks, [_label(series.index[i]) for i in ticks], fontsize=7)
    axes.tick_params(axis="y", labelsize=7)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_xlim(-0.6, positions[-1] + 0.6)
    # Headroom above the tallest bar keeps the legend clear of the data.
    axes.set_ylim(0, max(1, int(series[ALL].max())) * 1.3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.grid(axis="y", color="#E6E9ED", linewidth=0.6)
    axes.set_axisbelow(True)
    axes.legend(fontsize=7, frameon=False, loc="upper left", ncols=min(5, len(busiest) + 2))
    figure.tight_layout(pad=0.6)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _label(day: dt.date) -> str:
    return f"{day.day} {day:%b}"


def sparkline(values: pd.Series) -> str:
    """The series as block characters, for the plain-text part."""
    blocks = "▁▂▃▄▅▆▇█"
    top = max(int(values.max()), 1) if len(values) else 1
    return "".join(blocks[min(7, round(int(v) * 7 / top))] for v in values)
