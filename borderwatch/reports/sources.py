"""``report sources``: share of voice by outlet, country or language over a period.

Share of voice is an outlet's part of all relevant articles; share of volume is the part of the
outlet's own output that was relevant (how much of its attention the topic got).
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd

from borderwatch.reports import queries
from borderwatch.reports.report import Report
from borderwatch.reports.selection import Selection

Grouping = Literal["source", "country", "language"]


def share_of_voice(
    store: Any, selection: Selection, *, by: Grouping = "source", limit: int | None = None
) -> Report:
    """One row per outlet (or country, language) and tag, the most articles first.

    Outlets that collected articles but covered nothing relevant appear with zeros.
    """
    coverage = queries.coverage_by_source(store, selection)
    volume = queries.volume_by_source(store, selection)
    names = queries.source_table(store)
    rows = []
    for tag in selection.topic_tags:
        part = coverage[coverage["tag"] == tag][["source", "articles", "stories"]]
        merged = volume.merge(part, on="source", how="outer").fillna(
            {"articles": 0, "stories": 0, "volume": 0}
        )
        merged = merged.merge(names, on="source", how="left")
        merged["tag"] = tag
        rows.append(merged)
    table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    for column in ("articles", "stories", "volume"):
        table[column] = table[column].astype(int)
    if by == "source":
        table["name"] = table["name"].fillna(table["source"])
        keys = ["source", "name", "country", "language"]
        table = table[["tag", *keys, "articles", "stories", "volume"]]
    else:
        table[by] = table[by].fillna("unknown")
        table = (
            table.groupby(["tag", by], dropna=False)
            .agg(
                outlets=("source", "nunique"),
                articles=("articles", "sum"),
                stories=("stories", "sum"),
                volume=("volume", "sum"),
            )
            .reset_index()
        )
    totals = table.groupby("tag")["articles"].transform("sum")
    table["share_of_voice_pct"] = (table["articles"] / totals.where(totals > 0) * 100).fillna(0)
    table["share_of_volume_pct"] = (
        table["articles"] / table["volume"].where(table["volume"] > 0) * 100
    ).fillna(0)
    table["share_of_voice_pct"] = table["share_of_voice_pct"].round(2)
    table["share_of_volume_pct"] = table["share_of_volume_pct"].round(2)
    table = table.sort_values(
        ["tag", "articles", "volume", by], ascending=[True, False, False, True], kind="stable"
    )
    if limit:
        table = table.groupby("tag", sort=False).head(limit)
    lead = ["source", "name", "country", "language"] if by == "source" else [by, "outlets"]
    figures = ["articles", "stories", "volume", "share_of_voice_pct", "share_of_volume_pct"]
    table = table[[*lead, "tag", *figures]]
    if len(selection.topic_tags) == 1:
        table = table.drop(columns="tag")
    tags = ", ".join("all relevant" if t == "*" else t for t in selection.topic_tags)
    extra = selection.describe()
    title = f"Share of voice by {by}: {tags}" + (f" ({extra})" if extra else "")
    return Report("sources", title, table.reset_index(drop=True))
