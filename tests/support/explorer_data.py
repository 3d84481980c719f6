"""A database for the explorer tests (written for these tests): the reports' known history, plus
an outlet with hostile headlines, Urdu and Pashto headlines, and fetch targets in each state.

``build`` writes ``tests.support.reports_data``'s eight weeks (four outlets), then on its last day a
story carried by three outlets with right-to-left headlines, and relevant articles of an outlet
whose name, headlines, summaries and links are attempts at markup, script and bidi spoofing.
Two outlets get fetch targets: one failing (flagged, errors in a row), one healthy.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select

from pipeline.schema import article_tags, articles, feed_state, sources, stories
from pipeline.store import Store
from tests.support import reports_data

LAST_DAY = reports_data.FIRST_DAY + dt.timedelta(days=reports_data.DAYS - 1)  # 2025-10-26
MARKER = "document.documentElement.setAttribute('data-xss','ran')"
HOSTILE_NAME = f'<b onclick="{MARKER}">Evil</b> \u202eswen'
HOSTILE = [
    # (title, url)
    (f"<script>{MARKER}</script>Ceasefire talks resume", "https://evil.example/1"),
    (f'<img src=x onerror="{MARKER}">Border reopens at Torkham', "https://evil.example/2"),
    (f'"><svg onload="{MARKER}">Delegation lands in Doha', f"javascript:{MARKER}"),
    ("Pakistan says \u202etxt.exe\u202c talks continue", "data:text/html;base64,PHNjcmlwdD4="),
    ("Quote breaks out of href", 'https://evil.example/a"onmouseover="alert(1)'),
]
# One story carried by three outlets, in Urdu, Pashto and Dari (same event: Torkham reopens).
RTL = [
    ("dawn", "طورخم سرحد دوبارہ کھول دی گئی، تجارت بحال", "ur"),
    ("azadi", "تورخم بندر بیا پرانیستل شو", "ps"),
    ("tolo", "گذرگاه تورخم دوباره باز شد", "fa"),
]
RTL_STORY_TITLE = RTL[0][1]


def build(store: Store) -> reports_data.History:
    """Write the history and the additions into ``store`` and derive the coverage."""
    history = reports_data.build(store)
    now = dt.datetime(2025, 10, 27, 12, 0)
    noon = dt.datetime.combine(LAST_DAY, dt.time(12))
    with store.transaction() as conn:
        next_article = conn.execute(select(articles.c.id).order_by(articles.c.id.desc())).first()
        next_story = conn.execute(select(stories.c.id).order_by(stories.c.id.desc())).first()
        article_id, story_id = next_article[0] + 1, next_story[0] + 1
        conn.execute(
            insert(sources),
            {"key": "evil", "name": HOSTILE_NAME, "country": "XX", "language": "en",
             "origin": "discovered", "created_at": now},
        )  # fmt: skip
        article_rows, story_rows, tag_rows = [], [], []
        # The right-to-left story.
        rtl_story = story_id
        story_rows.append(_story(rtl_story, RTL_STORY_TITLE, article_id, len(RTL), 3, now))
        for n, (source, title, language) in enumerate(RTL):
            article_rows.append(
                _article(article_id, source, f"https://{source}.example/rtl/{n}", title,
                         noon + dt.timedelta(minutes=n), language, rtl_story, now)
            )  # fmt: skip
            tag_rows += [{"article_id": article_id, "tag": t} for t in ("border", "trade")]
            article_id += 1
        story_id += 1
        # The hostile outlet: one story per headline.
        for n, (title, url) in enumerate(HOSTILE):
            story_rows.append(_story(story_id, title, article_id, 1, 1, now))
            row = _article(article_id, "evil", url, title, noon, "en", story_id, now)
            row["summary"] = f"<iframe src='javascript:{MARKER}'></iframe> teaser {n} \u202eevil"
            article_rows.append(row)
            tag_rows.append({"article_id": article_id, "tag": "talks"})
            article_id += 1
            story_id += 1
        conn.execute(insert(stories), story_rows)
        conn.execute(insert(articles), article_rows)
        conn.execute(insert(article_tags), tag_rows)
        blank = dict.fromkeys(["last_error", "flagged", "entries_last", "last_new_item_at"])
        conn.execute(
            insert(feed_state),
            [
                {**blank, "source": "dawn", "url": "https://dawn.example/feed", "kind": "rss",
                 "consecutive_failures": 0, "last_fetch_at": now, "last_success_at": now,
                 "last_status": "ok", "last_new_item_at": now, "entries_last": 20,
                 "next_fetch_at": now + dt.timedelta(minutes=30)},
                {**blank, "source": "bbc", "url": "https://bbc.example/feed", "kind": "rss",
                 "consecutive_failures": 7, "last_fetch_at": now,
                 "last_success_at": now - dt.timedelta(days=9), "last_status": "error",
                 "last_error": f"<script>{MARKER}</script> HTTP 503", "flagged": "gone",
                 "next_fetch_at": now + dt.timedelta(hours=6)},
            ],
        )  # fmt: skip
    store.rebuild_coverage()
    return history


def _story(story_id: int, title: str, lead: int, count: int, outlets: int, now: dt.datetime):
    return {
        "id": story_id, "first_seen_at": now, "day": LAST_DAY, "lead_article_id": lead,
        "title": title, "articles": count, "outlets": outlets, "relevant": True,
        "updated_at": now,
    }  # fmt: skip


def _article(article_id, source, url, title, published, language, story_id, now):
    return {
        "id": article_id, "url": url, "canonical_url": url, "source": source, "title": title,
        "summary": None, "text_status": "not_fetched", "published_at": published,
        "published_source": "feed", "collected_at": now, "day": published.date(),
        "language": language, "relevant": True, "story_id": story_id,
    }  # fmt: skip
