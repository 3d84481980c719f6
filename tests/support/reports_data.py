"""A small, fully known coverage history for the report tests (written for these tests).

Four outlets in three countries over eight ISO weeks (2025-09-01 to 2025-10-26). Rows go into
sources, stories, articles and article_tags; the coverage tables are then derived by the real
``Store.rebuild_coverage``. ``build`` returns the articles it wrote, so tests can count what a
report should say without asking the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import insert

from pipeline.schema import article_tags, articles, stories
from pipeline.store import Store

FIRST_DAY = dt.date(2025, 9, 1)  # a Monday: ISO week 2025-W36
DAYS = 56
QUIET_WEEK = range(14, 21)  # 2025-W38: articles collected, none relevant
SILENT_DAY = 30  # 2025-10-01: nothing collected at all
SPIKE_WEEK = range(42, 49)  # 2025-W42: the ceasefire week (2025-10-13 to 19)

SOURCES = [
    {"key": "dawn", "name": "Dawn", "country": "PK", "language": "en", "domain": "dawn.com"},
    {
        "key": "tolo",
        "name": "TOLOnews",
        "country": "AF",
        "language": "en",
        "domain": "tolonews.com",
    },
    {"key": "azadi", "name": "Radio Azadi", "country": "AF", "language": "fa", "domain": None},
    {"key": "bbc", "name": "BBC News", "country": "GB", "language": "en", "domain": "bbc.com"},
]
VOLUME = {"dawn": 10, "tolo": 6, "azadi": 4, "bbc": 8}


@dataclass
class Article:
    id: int
    source: str
    day: dt.date
    relevant: bool
    tags: tuple[str, ...]
    story: int


@dataclass
class History:
    articles: list[Article] = field(default_factory=list)
    titles: dict[int, str] = field(default_factory=dict)

    def relevant(self, tag: str = "*") -> list[Article]:
        return [a for a in self.articles if a.relevant and (tag == "*" or tag in a.tags)]


def _relevant_plan(offset: int) -> list[tuple[str, tuple[str, ...], str | None]]:
    """(source, tags, shared story key) of the relevant articles of one day."""
    if offset in QUIET_WEEK:
        return []
    plan: list[tuple[str, tuple[str, ...], str | None]] = [
        ("dawn", ("talks",), None),
        ("dawn", ("talks", "border"), None),
        ("tolo", ("talks", "refugees"), None),
    ]
    if offset % 2 == 0:
        plan.append(("bbc", ("talks", "ceasefire"), None))
    if offset in SPIKE_WEEK:
        shared = f"ceasefire-{offset}"
        plan += [("dawn", ("ceasefire",), shared)] * 3 + [("azadi", ("ceasefire",), shared)] * 2
        plan.append(("tolo", ("ceasefire", "talks"), shared))
    return plan


def build(store: Store) -> History:
    """Write the history into ``store`` and derive its coverage."""
    store.sync_sources(SOURCES)
    history = History()
    story_rows: dict[str, int] = {}
    next_id = 1
    rows, tag_rows, story_list = [], [], []
    now = dt.datetime(2025, 10, 27, 12, 0)
    for offset in range(DAYS):
        day = FIRST_DAY + dt.timedelta(days=offset)
        if offset == SILENT_DAY:
            continue
        plan = _relevant_plan(offset)
        for source in VOLUME:
            mine = [p for p in plan if p[0] == source]
            for n in range(VOLUME[source]):
                relevant = n < len(mine)
                tags = mine[n][1] if relevant else ()
                shared = mine[n][2] if relevant else None
                key = shared or f"{source}-{offset}-{n}"
                if key not in story_rows:
                    story_rows[key] = len(story_list) + 1
                    title = (
                        f"Ceasefire holds on day {offset}"
                        if shared
                        else f"{source} report {offset}/{n}"
                    )
                    story_list.append({"key": key, "day": day, "title": title, "rel": relevant})
                    history.titles[story_rows[key]] = title
                story = story_rows[key]
                article = Article(next_id, source, day, relevant, tags, story)
                history.articles.append(article)
                rows.append(
                    {
                        "id": next_id,
                        "url": f"https://{source}.example/{offset}/{n}",
                        "canonical_url": f"https://{source}.example/{offset}/{n}",
                        "source": source,
                        "title": story_list[story - 1]["title"],
                        "text_status": "not_fetched",
                        "published_at": dt.datetime.combine(day, dt.time(8)),
                        "published_source": "feed",
                        "collected_at": now,
                        "day": day,
                        "language": "en",
                        "relevant": relevant,
                        "story_id": story,
                    }
                )
                tag_rows += [{"article_id": next_id, "tag": t} for t in tags]
                next_id += 1
    members: dict[int, list[Article]] = {}
    for article in history.articles:
        members.setdefault(article.story, []).append(article)
    with store.transaction() as conn:
        conn.execute(
            insert(stories),
            [
                {
                    "id": i,
                    "first_seen_at": now,
                    "day": s["day"],
                    "lead_article_id": members[i][0].id,
                    "title": s["title"],
                    "articles": len(members[i]),
                    "outlets": len({a.source for a in members[i]}),
                    "relevant": s["rel"],
                    "updated_at": now,
                }
                for i, s in enumerate(story_list, start=1)
            ],
        )
        conn.execute(insert(articles), rows)
        conn.execute(insert(article_tags), tag_rows)
    store.rebuild_coverage()
    return history
