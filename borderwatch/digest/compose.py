"""What goes into a day's digest, read from the store (no rendering here)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select

from pipeline.schema import article_tags, articles, sources
from pipeline.store import Store


@dataclass
class StoryEntry:
    story_id: int
    title: str
    url: str
    outlet: str
    published: dt.datetime | None
    outlets: list[str]
    articles: int
    tags: list[str]

    @property
    def also_reported_by(self) -> list[str]:
        return [o for o in self.outlets if o != self.outlet]


@dataclass
class TagLine:
    tag: str
    stories: int
    articles: int


@dataclass
class DigestContent:
    day: dt.date
    timezone: str
    stories: list[StoryEntry] = field(default_factory=list)
    tags: list[TagLine] = field(default_factory=list)
    total_articles: int = 0

    @property
    def empty(self) -> bool:
        return not self.stories


def day_bounds(day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The local day as a naive-UTC [start, end) range."""
    start = dt.datetime.combine(day, dt.time(0), zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone)
    return (
        start.astimezone(dt.UTC).replace(tzinfo=None),
        end.astimezone(dt.UTC).replace(tzinfo=None),
    )


def compose_digest(
    store: Store, day: dt.date, timezone: str, tag_names: list[str], top: int = 10
) -> DigestContent:
    """Relevant stories first reported on ``day`` (local), ranked by outlets carrying them."""
    start, end = day_bounds(day, ZoneInfo(timezone))
    when = func.coalesce(articles.c.published_at, articles.c.collected_at)
    query = (
        select(
            articles.c.id,
            articles.c.story_id,
            articles.c.title,
            articles.c.url,
            articles.c.published_at,
            sources.c.name.label("outlet"),
        )
        .join(sources, sources.c.key == articles.c.source)
        .where(articles.c.relevant.is_(True), and_(when >= start, when < end))
        .order_by(when)
    )
    rows = store.read_sql(query)
    content = DigestContent(day=day, timezone=timezone, total_articles=len(rows))
    if rows.empty:
        content.tags = [TagLine(t, 0, 0) for t in tag_names]
        return content
    tags = store.read_sql(
        select(article_tags.c.article_id, article_tags.c.tag).where(
            article_tags.c.article_id.in_([int(i) for i in rows["id"]])
        )
    )
    tags_by_article = tags.groupby("article_id")["tag"].apply(list).to_dict()
    rows["tags"] = [tags_by_article.get(i, []) for i in rows["id"]]
    entries = []
    for story_id, group in rows.groupby("story_id", sort=False):
        lead = group.iloc[0]
        outlets = list(dict.fromkeys(group["outlet"]))
        story_tags = sorted({t for ts in group["tags"] for t in ts})
        published = lead["published_at"]
        entries.append(
            StoryEntry(
                story_id=int(story_id),
                title=lead["title"] or lead["url"],
                url=lead["url"],
                outlet=lead["outlet"],
                published=None if published is None or published != published else published,
                outlets=outlets,
                articles=len(group),
                tags=story_tags,
            )
        )
    entries.sort(key=lambda e: (-len(e.outlets), -e.articles, e.title))
    content.stories = entries[:top]
    for tag in tag_names:
        tagged = rows[[tag in ts for ts in rows["tags"]]]
        content.tags.append(TagLine(tag, tagged["story_id"].nunique(), len(tagged)))
    return content
