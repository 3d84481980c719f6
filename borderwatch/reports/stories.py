"""``report stories``: the stories most outlets carried in a period."""

from __future__ import annotations

from typing import Any

import pandas as pd

from borderwatch.reports import queries
from borderwatch.reports.report import Report
from borderwatch.reports.selection import Selection

COLUMNS = ["rank", "story_id", "day", "title", "outlets", "articles", "countries", "sources"]


def top_stories(store: Any, selection: Selection, *, limit: int = 10) -> Report:
    """Stories ranked by distinct outlets, then articles; ``sources`` names the outlets."""
    ranked = queries.top_stories(store, selection, limit)
    outlets = queries.story_outlets(store, selection, [int(i) for i in ranked["story_id"]])
    names = outlets.groupby("story_id")["name"].agg(lambda n: ", ".join(sorted(set(n))))
    table = ranked.sort_values(
        ["outlets", "articles", "story_id"], ascending=[False, False, True]
    ).reset_index(drop=True)
    table["rank"] = range(1, len(table) + 1)
    table["day"] = pd.to_datetime(table["first_day"]).dt.date if len(table) else []
    table["sources"] = table["story_id"].map(names).fillna("")
    for column in ("story_id", "outlets", "articles", "countries"):
        table[column] = table[column].astype(int)
    tags = ", ".join("all relevant" if t == "*" else t for t in selection.topic_tags)
    extra = selection.describe()
    title = f"Top stories: {tags}" + (f" ({extra})" if extra else "")
    return Report("stories", title, table[COLUMNS] if len(table) else pd.DataFrame(columns=COLUMNS))
