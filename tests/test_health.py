"""Source health: failing feeds, sources silent for longer than their own rhythm."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert

from borderwatch.source_health import source_health
from pipeline.schema import articles
from pipeline.store import Store

NOW = dt.datetime(2026, 5, 20, 12, 0)


def add_source(store: Store, key: str, **feed: object) -> None:
    store.sync_sources([{"key": key, "name": key.title(), "country": "PK", "language": "en",
                         "domain": None}])  # fmt: skip
    url = f"http://127.0.0.1/{key}.xml"
    store.sync_feeds([{"source": key, "url": url, "kind": "rss"}])
    if feed:
        store.record_fetch(key, url, feed)


def add_articles(store: Store, key: str, times: list[dt.datetime]) -> None:
    rows = [
        {
            "url": f"http://127.0.0.1/{key}/{i}",
            "canonical_url": f"http://127.0.0.1/{key}/{i}",
            "source": key,
            "title": f"{key} {i}",
            "published_at": moment,
            "collected_at": moment + dt.timedelta(minutes=20),
            "day": moment.date(),
        }
        for i, moment in enumerate(times)
    ]
    with store.transaction() as conn:
        conn.execute(insert(articles), rows)


def every(step: dt.timedelta, last: dt.datetime, count: int) -> list[dt.datetime]:
    return [last - step * i for i in range(count)]


@pytest.fixture
def store(db_url: str):
    store = Store(db_url)
    yield store
    store.close()


def test_health_statuses(store: Store) -> None:
    fetched = {"last_fetch_at": NOW, "last_success_at": NOW, "last_status": "ok"}
    # Publishes every 2 hours, last article 3 hours ago: fine.
    add_source(store, "steady", **fetched)
    add_articles(store, "steady", every(dt.timedelta(hours=2), NOW - dt.timedelta(hours=3), 30))
    # Published twice a day for weeks, nothing for 5 days: silent.
    add_source(store, "quiet", **fetched)
    add_articles(store, "quiet", every(dt.timedelta(hours=12), NOW - dt.timedelta(days=5), 30))
    # Weekly publisher, last article 5 days ago: within its rhythm.
    add_source(store, "weekly", **fetched)
    add_articles(store, "weekly", every(dt.timedelta(days=7), NOW - dt.timedelta(days=5), 8))
    # Three failures in a row.
    add_source(store, "broken", last_fetch_at=NOW, consecutive_failures=3, last_status="error",
               last_error="HTTP 500")  # fmt: skip
    # Two failures: not yet.
    add_source(store, "flaky", last_fetch_at=NOW, consecutive_failures=2, last_status="error")
    # Gone (flagged by the crawler) even without a failure count.
    add_source(store, "gone", last_fetch_at=NOW, flagged="gone (HTTP 410)")
    # Never fetched, and a source with too little history to have a rhythm.
    add_source(store, "fresh")
    add_source(store, "sparse", **fetched)
    add_articles(store, "sparse", every(dt.timedelta(hours=1), NOW - dt.timedelta(days=9), 3))
    # Fetched without error, but never an article (an empty feed): silent, not "ok".
    add_source(store, "empty", **fetched)

    frame = source_health(store, NOW).set_index("source")

    assert frame.loc["steady", "status"] == "ok"
    assert frame.loc["steady", "usual_gap"] == dt.timedelta(hours=2)
    assert frame.loc["quiet", "status"] == "silent"
    assert "no new article for" in frame.loc["quiet", "reason"]
    assert frame.loc["weekly", "status"] == "ok"
    assert frame.loc["broken", "status"] == "failing"
    assert "HTTP 500" in frame.loc["broken", "reason"]
    assert frame.loc["flaky", "status"] == "ok"
    assert frame.loc["flaky", "reason"].startswith("2 failed fetches in a row (failing at 3)")
    assert frame.loc["gone", "status"] == "failing"
    assert "410" in frame.loc["gone", "reason"]
    assert frame.loc["fresh", "status"] == "new"
    assert frame.loc["sparse", "status"] == "ok"
    assert "too little history" in frame.loc["sparse", "reason"]
    assert frame.loc["empty", "status"] == "silent"
    assert frame.loc["empty", "reason"] == "fetched, but no article yet"


def test_thresholds_are_settings(store: Store) -> None:
    fetched = {"last_fetch_at": NOW, "last_success_at": NOW, "last_status": "ok"}
    add_source(store, "hourly", **fetched)
    add_articles(store, "hourly", every(dt.timedelta(hours=1), NOW - dt.timedelta(hours=10), 40))
    # Ten hours without news, usually hourly: silent by the rhythm, but not before silence_min.
    assert source_health(store, NOW).loc[0, "status"] == "ok"
    relaxed = source_health(store, NOW, silence_min=dt.timedelta(hours=6))
    assert relaxed.loc[0, "status"] == "silent"
    tolerant = source_health(store, NOW, silence_min=dt.timedelta(hours=1), silence_factor=12)
    assert tolerant.loc[0, "status"] == "ok"
