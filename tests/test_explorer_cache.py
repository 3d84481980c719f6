"""The explorer keeps each page it drew until the data changes: a second reader gets the same
document without a rebuild, and a new article, a fetch or a run shows on the next view, on a
real ``borderwatch serve`` process over SQLite and PostgreSQL while another process writes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import insert, select, update
from starlette.datastructures import QueryParams

from borderwatch.explorer.pages import BUILDERS, FETCH_PAGES
from borderwatch.explorer.security import Credentials
from borderwatch.explorer.serve import build
from borderwatch.explorer.state import FETCH_REPORTS
from pipeline.schema import articles, feed_state, stories
from pipeline.store import Store
from tests.support import explorer_data
from tests.support.config import base_config, make_config, write_config
from tests.support.explorer_server import Answer, fetch, serving

WORD = "zanzibarcrossing"
DAY = explorer_data.LAST_DAY


def _get(base: str, path: str) -> Answer:
    answer = fetch(base + path)
    assert answer.status == 200, answer.text[:500]
    return answer


def _after_the_version_check() -> None:
    # The explorer looks at the state of the data at most once a second.
    time.sleep(1.3)


def _add_article(store: Store, title: str) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with store.transaction() as conn:
        article_id = conn.execute(select(articles.c.id).order_by(articles.c.id.desc())).first()[0]
        story_id = conn.execute(select(stories.c.id).order_by(stories.c.id.desc())).first()[0]
        conn.execute(
            insert(stories),
            {"id": story_id + 1, "first_seen_at": now, "day": DAY,
             "lead_article_id": article_id + 1, "title": title, "articles": 1, "outlets": 1,
             "relevant": True, "updated_at": now},
        )  # fmt: skip
        conn.execute(
            insert(articles),
            {"id": article_id + 1, "url": f"https://dawn.example/{WORD}",
             "canonical_url": f"https://dawn.example/{WORD}", "source": "dawn", "title": title,
             "text_status": "not_fetched", "published_at": dt.datetime.combine(DAY, dt.time(9)),
             "collected_at": now, "day": DAY, "language": "en", "relevant": True,
             "story_id": story_id + 1},
        )  # fmt: skip
    store.rebuild_coverage(since=DAY)


def test_a_page_is_kept_until_the_data_changes(db_url: str, tmp_path: Path) -> None:
    store = Store(db_url)
    explorer_data.build(store)
    config = write_config(tmp_path, base_config(tmp_path))
    period = {"since": (DAY - dt.timedelta(days=6)).isoformat(), "until": DAY.isoformat()}
    query = "/explore?" + urlencode({"q": WORD, "within": "all", **period})
    source = "/source?" + urlencode({"key": "dawn", **period})
    try:
        with serving(config, db_url) as base:
            first = _get(base, query)
            assert first.headers["x-borderwatch-page"] == "drawn"
            assert f"https://dawn.example/{WORD}" not in first.text
            again = _get(base, query)
            assert again.headers["x-borderwatch-page"] == "kept"
            assert again.body == first.body
            # Another address is another page; the kept one stays kept.
            assert _get(base, "/").headers["x-borderwatch-page"] == "drawn"
            assert _get(base, query).headers["x-borderwatch-page"] == "kept"

            # A new article: the page is drawn again and lists it with the count that includes it.
            _add_article(store, f"Traders wait at the {WORD} as talks resume")
            _after_the_version_check()
            after = _get(base, query)
            assert after.headers["x-borderwatch-page"] == "drawn"
            assert f"https://dawn.example/{WORD}" in after.text
            download = _get(base, query.replace("/explore?", "/explore/attention.csv?"))
            rows = list(csv.DictReader(io.StringIO(download.text)))
            assert sum(int(row["articles"]) for row in rows) == 1

            # A fetch changes the source's health: its page and the overview show the new
            # error; pages without health stay kept while sources are fetched.
            kept_source = _get(base, source)
            assert "HTTP 418 from the feed" not in kept_source.text
            assert _get(base, source).headers["x-borderwatch-page"] == "kept"
            _get(base, "/")
            assert _get(base, "/").headers["x-borderwatch-page"] == "kept"
            assert _get(base, query).headers["x-borderwatch-page"] == "kept"
            with store.transaction() as conn:
                conn.execute(
                    update(feed_state)
                    .where(feed_state.c.source == "dawn")
                    .values(
                        last_fetch_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
                        last_status="error",
                        last_error="HTTP 418 from the feed",
                        consecutive_failures=9,
                    )
                )
            _after_the_version_check()
            fetched = _get(base, source)
            assert fetched.headers["x-borderwatch-page"] == "drawn"
            assert "HTTP 418 from the feed" in fetched.text
            overview = _get(base, "/")
            assert overview.headers["x-borderwatch-page"] == "drawn"
            assert "HTTP 418 from the feed" in overview.text
            assert _get(base, query).headers["x-borderwatch-page"] == "kept"

            # A run (a digest, a collect) is a change to every page.
            assert _get(base, source).headers["x-borderwatch-page"] == "kept"
            run = store.start_run("digest")
            store.finish_run(run, "ok")
            _after_the_version_check()
            assert _get(base, source).headers["x-borderwatch-page"] == "drawn"
            assert _get(base, query).headers["x-borderwatch-page"] == "drawn"
    finally:
        store.close()


def test_only_the_pages_that_show_fetch_targets_wait_for_fetches(db_url: str, tmp_path) -> None:
    """FETCH_PAGES names exactly the pages with a panel that reads the fetch targets, so a page
    kept across fetches never shows a health figure older than the last fetch."""
    store = Store(db_url)
    explorer_data.build(store)
    store.close()
    app = build(make_config(tmp_path, base_config(tmp_path)), db_url, credentials=Credentials())
    explorer = app.app.state.explorer
    addresses = {"overview": "", "explore": "q=ceasefire", "story": "id=1", "source": "key=dawn"}
    try:
        assert set(addresses) == set(BUILDERS)
        for name, address in addresses.items():
            page = BUILDERS[name](explorer, QueryParams(address))
            reads = {panel.call.name for panel in page.panels.values()} & FETCH_REPORTS
            assert bool(reads) == (name in FETCH_PAGES), name
    finally:
        explorer.store.close()
