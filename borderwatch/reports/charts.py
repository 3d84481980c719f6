"""Charts of reports as PNG files (matplotlib, Agg back end: no display needed)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from borderwatch.reports.report import Report

_SIZE = (11, 6.5)
_DPI = 110


def save_chart(report: Report, path: str | Path) -> Path:
    """Draw ``report`` into ``path`` (PNG) and return the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    draw = {"trend": _trend, "sources": _sources, "stories": _stories, "tags": _tags}[report.kind]
    fig = draw(plt, report)
    fig.suptitle(report.title, fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI, format="png")
    plt.close(fig)
    return path


def _label(tag: str) -> str:
    return "all relevant" if tag == "*" else tag


def _trend(plt, report: Report):
    import matplotlib.dates as mdates

    frame = report.frame
    fig, (top, bottom) = plt.subplots(2, 1, figsize=_SIZE, sharex=True)
    if frame.empty:
        top.text(0.5, 0.5, "no data", ha="center", va="center", transform=top.transAxes)
    for tag, rows in frame.groupby("tag", sort=False):
        x = pd.to_datetime(rows["start"])
        (line,) = top.plot(x, rows["articles"], marker="o", markersize=3, label=_label(tag))
        spikes = rows[rows["spike"].astype(bool)]
        if len(spikes):
            top.scatter(
                pd.to_datetime(spikes["start"]),
                spikes["articles"],
                s=80,
                facecolors="none",
                edgecolors="red",
                linewidths=1.5,
                zorder=3,
                label=f"{_label(tag)}: spike",
            )
        bottom.plot(x, rows["share_pct"], color=line.get_color(), alpha=0.45, label=_label(tag))
        bottom.plot(
            x,
            rows["share_pct_mean"],
            color=line.get_color(),
            linewidth=2,
            label=f"{_label(tag)}: rolling mean",
        )
    top.set_ylabel("relevant articles")
    bottom.set_ylabel("share of volume (%)")
    bottom.set_xlabel("period start")
    for axis in (top, bottom):
        axis.grid(True, alpha=0.3)
        if axis.get_legend_handles_labels()[0]:
            axis.legend(loc="upper left", fontsize=8)
    locator = mdates.AutoDateLocator()
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return fig


def _sources(plt, report: Report):
    frame = report.frame
    key = next(c for c in ("name", "country", "language") if c in frame.columns)
    shown = frame.head(25).iloc[::-1]
    labels = [str(v) for v in shown[key]]
    if "tag" in shown.columns:
        labels = [f"{n} ({_label(t)})" for n, t in zip(labels, shown["tag"], strict=True)]
    fig, axis = plt.subplots(figsize=_SIZE)
    axis.barh(labels, shown["share_of_voice_pct"], color="#3b75af", label="share of voice (%)")
    axis.set_xlabel("share of all relevant articles (%)")
    axis.set_ylabel(key)
    axis.grid(True, axis="x", alpha=0.3)
    axis.legend(loc="lower right")
    return fig


def _stories(plt, report: Report):
    frame = report.frame.head(20).iloc[::-1]
    labels = [_short(f"{r.rank}. {r.title}") for r in frame.itertuples()]
    fig, axis = plt.subplots(figsize=_SIZE)
    axis.barh(labels, frame["outlets"], color="#3b75af", label="outlets")
    axis.barh(
        labels,
        frame["articles"] - frame["outlets"],
        left=frame["outlets"],
        color="#a6c8e6",
        label="further articles",
    )
    axis.set_xlabel("articles (first bar: distinct outlets)")
    axis.set_ylabel("story")
    axis.grid(True, axis="x", alpha=0.3)
    axis.legend(loc="lower right")
    return fig


def _tags(plt, report: Report):
    matrix: pd.DataFrame = report.extra.get("matrix", pd.DataFrame())
    fig, axis = plt.subplots(figsize=_SIZE)
    if matrix.empty:
        axis.text(0.5, 0.5, "no tagged articles", ha="center", va="center")
        return fig
    image = axis.imshow(matrix.values, cmap="Blues")
    axis.set_xticks(range(len(matrix.columns)), matrix.columns, rotation=30, ha="right")
    axis.set_yticks(range(len(matrix.index)), matrix.index)
    peak = matrix.values.max() or 1
    for i in range(len(matrix.index)):
        for j in range(len(matrix.columns)):
            value = int(matrix.values[i, j])
            axis.text(
                j,
                i,
                str(value),
                ha="center",
                va="center",
                color="white" if value > peak * 0.6 else "black",
                fontsize=9,
            )
    axis.set_xlabel("tag")
    axis.set_ylabel("tag (diagonal: its own articles)")
    fig.colorbar(image, ax=axis, label="articles with both tags")
    return fig


def _short(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
