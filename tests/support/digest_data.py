"""Hand-written coverage for the digest tests, stored as rows in a real database.

``seed_day`` builds one day in Asia/Karachi (UTC+5) whose every figure is known: four stories
today (one carried by four outlets, one developing since three days before), a steady 14-day
history of one "border" article a day and a jump to six today, a non-relevant story, and four
feeds: one failing, one silent (an outlet that published daily until five days before), two
healthy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from pipeline.schema import article_tags, articles, feed_state, sources, stories
from pipeline.store import Store

ZONE = ZoneInfo("Asia/Karachi")
DAY = dt.date(2025, 10, 27)
# "Now" for source health: the morning after DAY, when the digest goes out.
NOW = dt.datetime(2025, 10, 28, 2, 0)  # naive UTC, 07:00 in Karachi
# How long the outlets have been monitored.
MONITORED = dt.timedelta(days=60)

OUTLETS = {
    "dawn": "Dawn",
    "geo": "Geo News",
    "tolonews": "TOLOnews",
    "aljazeera": "Al Jazeera English",
    "bbc-urdu": "BBC Urdu",
    "khaama": "Khaama Press",
    "pajhwok": "Pajhwok Afghan News",
}


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A local time in Karachi as the naive UTC the tables store."""
    moment = dt.datetime.combine(day, dt.time(hour, minute), ZONE)
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


@dataclass
class Seeder:
    store: Store
    stories: dict[str, int] = field(default_factory=dict)
    count: int = 0

    def sources(self) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                insert(sources),
                [
                    # Monitored for two months: none of them is new to the digest.
                    {"key": k, "name": n, "origin": "config", "created_at": NOW - MONITORED}
                    for k, n in OUTLETS.items()
                ],
            )

    def article(
        self,
        source: str,
        title: str,
        at: dt.datetime | None,
        story: str,
        tags: tuple[str, ...] = (),
        *,
        relevant: bool = True,
        url: str | None = None,
        collected: dt.datetime | None = None,
        summary: str | None = None,
    ) -> int:
        self.count += 1
        url = url if url is not None else f"https://{source}.example/news/{self.count}"
        when = at or collected
        with self.store.transaction() as conn:
            if story not in self.stories:
                self.stories[story] = conn.execute(
                    insert(stories).returning(stories.c.id),
                    {
                        # As the pipeline sets it: when the story's first article was collected.
                        "first_seen_at": collected or when,
                        "day": when.date(),
                        "title": title,
                        "articles": 0,
                        "outlets": 0,
                        "relevant": relevant,
                        "updated_at": when,
                    },
                ).scalar_one()
            article_id = conn.execute(
                insert(articles).returning(articles.c.id),
                {
                    "url": url,
                    "canonical_url": f"{url}#{self.count}",
                    "source": source,
                    "title": title,
                    "summary": summary,
                    "published_at": at,
                    "collected_at": collected or when,
                    "day": when.date(),
                    "relevant": relevant,
                    "story_id": self.stories[story],
                    "text_status": "ok",
                },
            ).scalar_one()
            if tags:
                conn.execute(
                    insert(article_tags), [{"article_id": article_id, "tag": t} for t in tags]
                )
        return article_id


def seed_day(store: Store) -> Seeder:
    """The known day described in the module docstring."""
    seed = Seeder(store)
    seed.sources()
    # History: one border article a day for the 14 days before, one story each.
    for back in range(1, 15):
        day = DAY - dt.timedelta(days=back)
        seed.article("dawn", f"Border routine {back}", local(day, 12), f"hist-{back}", ("border",))
    # A developing story: began three days before, continued today by Geo News.
    seed.article(
        "dawn",
        "Trucks stranded at Torkham as crossing stays shut",
        local(DAY - dt.timedelta(days=3), 10),
        "torkham",
        ("border", "trade"),
    )
    seed.article(
        "geo",
        "Torkham crossing shut for a fourth day; traders count losses",
        local(DAY, 8, 30),
        "torkham",
        ("border", "trade"),
    )
    # Today's big story: four outlets.
    seed.article(
        "tolonews",
        "Kabul and Islamabad agree ceasefire monitoring mechanism in Istanbul",
        local(DAY, 9, 15),
        "mechanism",
        ("talks", "ceasefire"),
        summary="Delegations agreed on a joint mechanism to verify the truce, mediators said.",
    )
    for source, hour in (("dawn", 10), ("geo", 11), ("aljazeera", 13)):
        seed.article(
            source,
            "Pakistan, Afghanistan agree on ceasefire monitoring",
            local(DAY, hour),
            "mechanism",
            ("talks", "ceasefire"),
        )
    # Two outlets; the first copy published 01:30 Karachi time, which is still the 26th in UTC.
    seed.article(
        "bbc-urdu",
        "پاک افغان سرحد پر کشیدگی، طورخم بند",
        local(DAY, 1, 30),
        "tension",
        ("border",),
    )
    seed.article("khaama", "Tension along the Durand Line", local(DAY, 16), "tension", ("border",))
    # One outlet; no publication date, collected in the evening.
    seed.article(
        "khaama",
        "Refugee returns through Torkham slow down",
        None,
        "returns",
        ("refugees", "border"),
        collected=local(DAY, 19),
    )
    # More border coverage today, one story each: the spike.
    for n in range(3):
        seed.article("aljazeera", f"Border clashes report {n}", local(DAY, 20, n), f"clash-{n}", ())
        seed.article(
            "dawn", f"Border closure analysis {n}", local(DAY, 21, n), f"closure-{n}", ("border",)
        )
    # A copy that missed the topic query, today, of a relevant story from five days before.
    seed.article("geo", "Border routine follow-up", local(DAY, 14), "hist-5", relevant=False)
    # Not relevant: never in the digest.
    seed.article(
        "dawn", "Cricket: Pakistan beat Afghanistan", local(DAY, 12), "cricket", relevant=False
    )
    # Tomorrow's article (after midnight Karachi time) belongs to the next digest.
    seed.article(
        "geo", "Next day story", local(DAY + dt.timedelta(days=1), 0, 30), "next", ("talks",)
    )
    # An outlet that published every day at noon, off the topic, and stopped five days before.
    for back in range(5, 13):
        day = DAY - dt.timedelta(days=back)
        seed.article("pajhwok", f"Kabul market prices {back}", local(day, 12), f"prices-{back}",
                     relevant=False)  # fmt: skip
    seed_feeds(store)
    return seed


def seed_feeds(store: Store) -> None:
    rows = [
        {  # failing
            "source": "tolonews",
            "url": "https://tolonews.com/rss.xml",
            "kind": "rss",
            "consecutive_failures": 4,
            "last_error": "HTTP 503 Service Unavailable",
            "last_success_at": NOW - dt.timedelta(days=2),
            "last_new_item_at": NOW - dt.timedelta(days=2),
        },
        {  # silent: fetched fine, nothing new since its last article five days before
            "source": "pajhwok",
            "url": "https://pajhwok.com/feed/",
            "kind": "rss",
            "consecutive_failures": 0,
            "last_success_at": NOW - dt.timedelta(hours=1),
            "last_new_item_at": local(DAY - dt.timedelta(days=5), 12),
        },
        {  # healthy: yesterday's articles came through it
            "source": "khaama",
            "url": "https://www.khaama.com/feed/",
            "kind": "rss",
            "consecutive_failures": 0,
            "last_success_at": NOW - dt.timedelta(hours=1),
            "last_new_item_at": local(DAY, 19),
        },
        {  # healthy
            "source": "dawn",
            "url": "https://www.dawn.com/feeds/home",
            "kind": "rss",
            "consecutive_failures": 0,
            "last_success_at": NOW - dt.timedelta(minutes=30),
            "last_new_item_at": NOW - dt.timedelta(hours=3),
        },
    ]
    columns = ("last_error", "flagged")
    rows = [{c: None for c in columns} | row for row in rows]
    with store.transaction() as conn:
        conn.execute(insert(feed_state), rows)
