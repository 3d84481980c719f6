"""``report stories``: the stories most outlets carried in a period; ``report story``: one
story's articles."""

from __future__ import annotations

from typing import Any

import pandas as pd

from borderwatch.reports import queries
from borderwatch.reports.report import Report
from borderwatch.reports.selection import ReportInputError, Selection

COLUMNS = [
    "rank",
    "story_id",
    "day",
    "title",
    "outlets",
    "articles",
    "countries",
    "sources",
    "began",
    "developing",
    "tags",
    "url",
]
STORY_COLUMNS = [
    "article_id",
    "published",
    "day",
    "source",
    "name",
    "country",
    "language",
    "relevant",
    "tags",
    "title",
    "url",
]


def top_stories(
    store: Any, selection: Selection, *, limit: int = 10, tag_order: list[str] | None = None
) -> Report:
    """Stories ranked by distinct outlets, then articles; ``sources`` names the outlets.

    ``began`` is the day of the story's first article from any outlet; a story that began before
    ``selection.since`` is ``developing`` (it continued into the period, as the digest marks
    it). ``tags``: the tags of its selected articles (configured order first, ``tag_order``);
    ``url``: the link of its lead article.
    """
    ranked = queries.top_stories(store, selection, limit)
    ids = [int(i) for i in ranked["story_id"]]
    outlets = queries.story_outlets(store, selection, ids)
    names = outlets.groupby("story_id")["name"].agg(lambda n: ", ".join(sorted(set(n))))
    order = {name: i for i, name in enumerate(tag_order or [])}
    tags = (
        queries.story_tags(store, selection, ids)
        .groupby("story_id")["tag"]
        .agg(lambda t: ", ".join(sorted(set(t), key=lambda n: (order.get(n, len(order)), n))))
    )
    leads = queries.story_leads(store, ids).set_index("story_id")
    table = ranked.sort_values(
        ["outlets", "articles", "story_id"], ascending=[False, False, True]
    ).reset_index(drop=True)
    table["rank"] = range(1, len(table) + 1)
    table["day"] = pd.to_datetime(table["first_day"]).dt.date if len(table) else []
    table["sources"] = table["story_id"].map(names).fillna("")
    began = table["story_id"].map(leads["began"]) if len(table) else pd.Series(dtype=object)
    table["began"] = pd.to_datetime(began).dt.date if len(table) else []
    since = selection.since
    table["developing"] = [bool(since is not None and b < since) for b in table["began"]]
    table["tags"] = [tags.get(i, "") for i in table["story_id"]]
    table["url"] = table["story_id"].map(leads["url"]) if len(table) else []
    for column in ("story_id", "outlets", "articles", "countries"):
        table[column] = table[column].astype(int)
    topic = ", ".join("all relevant" if t == "*" else t for t in selection.topic_tags)
    extra = selection.describe()
    title = f"Top stories: {topic}" + (f" ({extra})" if extra else "")
    return Report("stories", title, table[COLUMNS] if len(table) else pd.DataFrame(columns=COLUMNS))


def story(store: Any, story_id: int, *, tag_order: list[str] | None = None) -> Report:
    """Every article of one story, oldest first: outlet, time, language, relevance, tags, link.

    ``published`` is the publication time in UTC (the collection time when the article has no
    date). ``extra["story"]`` holds the story's own row (title, day, first_seen_at, …).
    """
    row = queries.story_row(store, story_id)
    if row.empty:
        raise ReportInputError(f"no story {story_id}")
    frame = queries.story_articles(store, story_id)
    order = {name: i for i, name in enumerate(tag_order or [])}
    tags = (
        queries.article_tag_list(store, [int(i) for i in frame["article_id"]])
        .groupby("article_id")["tag"]
        .agg(lambda t: ", ".join(sorted(set(t), key=lambda n: (order.get(n, len(order)), n))))
    )
    frame["published"] = pd.to_datetime(frame["published"]).dt.strftime("%Y-%m-%d %H:%M")
    frame["day"] = pd.to_datetime(frame["day"]).dt.date if len(frame) else []
    frame["relevant"] = frame["relevant"].astype(bool)
    frame["tags"] = [tags.get(i, "") for i in frame["article_id"]]
    facts = row.iloc[0].to_dict()
    title = f"Story {story_id}: {facts.get('title') or '(no title)'}"
    table = frame[STORY_COLUMNS].reset_index(drop=True)
    return Report("story", title, table, extra={"story": facts})
