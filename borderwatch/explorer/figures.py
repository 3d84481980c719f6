"""The charts of each kind of panel, drawn from the report the panel shows (and nothing else)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from markupsafe import Markup

from borderwatch.explorer import charts
from borderwatch.reports.report import Report


@dataclass
class Drawing:
    """A chart in its wide and narrow drawings (the stylesheet shows one)."""

    wide: Markup
    narrow: Markup


@dataclass
class TagFigure:
    """One small multiple: a tag's bars on the scale shared by all tags."""

    tag: str
    articles: int
    spikes: int
    drawing: Drawing


def period_label(start: dt.date, by: str) -> str:
    if by == "day":
        return f"{start.day} {start:%b}"
    if by == "week":
        year, week, _ = start.isocalendar()
        return f"W{week} {year}" if start.month == 1 and week == 1 else f"W{week}"
    return f"{start:%b %Y}"


def _label(tag: str) -> str:
    return "all relevant" if tag == "*" else tag


def _rows(report: Report, tag: str) -> pd.DataFrame:
    return report.frame[report.frame["tag"] == tag]


def attention(
    report: Report, by: str, *, what: str = "relevant articles", behind: str | None = None
) -> Drawing:
    """Bars of articles per period for the report's first tag, spikes marked; ``behind="volume"``
    draws everything collected as lighter bars behind them."""
    frame = report.frame
    tag = frame["tag"].iloc[0] if len(frame) else "*"
    rows = _rows(report, tag)
    labels = [period_label(s, by) for s in rows["start"]]
    values = [int(v) for v in rows["articles"]]
    flags = [bool(f) for f in rows["spike"]]
    spikes = [lab for lab, f in zip(labels, flags, strict=True) if f]
    description = (
        f"{sum(values):,} {what} over {len(values)} {by}s, at most {max(values, default=0):,} "
        f"in one {by}; " + (f"spikes: {', '.join(spikes)}." if spikes else "no spike.")
    )
    title = f"{what.capitalize()} per {by} ({_label(tag)})"

    def draw(width: int) -> Markup:
        return charts.bar_chart(
            labels, values, flags=flags, title=title, description=description, width=width
        )

    return Drawing(draw(charts.WIDE), draw(charts.NARROW))


def share(reports: list[tuple[str, Report]], by: str) -> Drawing:
    """Lines of share of volume per period: each (name, report) gives the series of its first
    tag, with the rolling mean of the first dashed beside it."""
    series: list[charts.Series] = []
    labels: list[str] = []
    parts = []
    for n, (name, report) in enumerate(reports):
        frame = report.frame
        if frame.empty:
            continue
        rows = _rows(report, frame["tag"].iloc[0])
        if not labels:
            labels = [period_label(s, by) for s in rows["start"]]
        values = [float(v) for v in rows["share_pct"]]
        series.append(charts.Series(name, values, css=f"s{n}"))
        if n == 0:
            mean = [float(v) for v in rows["share_pct_mean"]]
            series.append(charts.Series(f"{name}, rolling mean", mean, css="s0", dashed=True))
        peak = max(values, default=0.0)
        parts.append(f"{name}: up to {peak:.1f}% of everything collected")
    title = f"Share of volume per {by}"
    description = "; ".join(parts) + "." if parts else "No data."

    def draw(width: int) -> Markup:
        return charts.line_chart(
            labels, series, title=title, description=description, width=width, height=190
        )

    return Drawing(draw(charts.WIDE), draw(charts.NARROW))


def small_multiples(report: Report, by: str) -> list[TagFigure]:
    """One small bar chart per tag, all on the same scale, in the report's tag order."""
    frame = report.frame
    if frame.empty:
        return []
    top = charts.nice_max(float(frame["articles"].max()))
    figures = []
    columns = {name: frame[name].tolist() for name in ("tag", "start", "articles", "spike")}
    labels_of = {start: period_label(start, by) for start in dict.fromkeys(columns["start"])}
    series: dict[str, list[tuple]] = {}
    for row in zip(*columns.values(), strict=True):
        series.setdefault(row[0], []).append(row)
    for tag, rows in series.items():
        labels = [labels_of[r[1]] for r in rows]
        values = [int(r[2]) for r in rows]
        flags = [bool(r[3]) for r in rows]
        title = f"{_label(tag)}: relevant articles per {by}"
        description = (
            f"{sum(values):,} articles; {sum(flags)} spike{'s' if sum(flags) != 1 else ''}; "
            f"same scale as the other tags (top {top:g})."
        )

        def draw(width: int, labels=labels, values=values, flags=flags, title=title,
                 description=description) -> Markup:  # fmt: skip
            return charts.bar_chart(
                labels,
                values,
                flags=flags,
                top_value=top,
                title=title,
                description=description,
                width=width,
                height=130,
                css="bars small",
            )

        figures.append(
            TagFigure(tag, sum(values), sum(flags), Drawing(draw(300), draw(charts.NARROW)))
        )
    return figures


__all__ = ["Drawing", "TagFigure", "attention", "period_label", "share", "small_multiples"]
