"""Reports of an ad-hoc ``--query``, the matches report, one story, source health and fetches,
through the real CLI on the explorer's known data (the reports' history plus its additions)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import insert, select

from borderwatch.cli import main
from borderwatch.reports.matches import ArticleMatcher, HeadlineIndex
from pipeline.query import parse_query
from pipeline.schema import articles
from pipeline.store import Store
from tests.support import explorer_data, reports_data
from tests.support.config import base_config, write_config


@pytest.fixture
def data(db_url: str, tmp_path: Path):
    store = Store(db_url)
    history = explorer_data.build(store)
    store.close()
    return db_url, write_config(tmp_path, base_config(tmp_path)), history


def _json(runner, data, *args: str) -> list[dict]:
    db_url, config, _ = data
    result = runner.invoke(
        main, ["--config", str(config), "--db", db_url, "report", *args, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _stored(db_url: str) -> list[dict]:
    store = Store(db_url)
    try:
        return store.read_sql(
            select(
                articles.c.id,
                articles.c.day,
                articles.c.source,
                articles.c.title,
                articles.c.relevant,
            )  # fmt: skip
        ).to_dict("records")
    finally:
        store.close()


def test_a_query_counts_the_articles_it_matches_against_all_collected(runner, data) -> None:
    db_url = data[0]
    query = parse_query('"ceasefire holds" OR "dawn report 3"')
    # What the query language says of every stored headline, one by one.
    matched = [a for a in _stored(db_url) if query.matches(a["title"] or "")]
    rows = _json(runner, data, "trend", "--by", "week", "--query", query.source,
                 "--within", "all")  # fmt: skip
    weekly = Counter(
        f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}"
        for d in (pd_day(a["day"]) for a in matched)
    )
    assert {r["period"]: r["articles"] for r in rows if r["articles"]} == dict(weekly)
    volume = Counter(
        f"{a.day.isocalendar()[0]}-W{a.day.isocalendar()[1]:02d}" for a in data[2].articles
    )
    assert all(r["volume"] >= volume[r["period"]] for r in rows)
    # Within the topic only the relevant ones count: "dawn report 3/…" headlines are not.
    topic = _json(runner, data, "trend", "--by", "week", "--query", query.source)
    assert sum(r["articles"] for r in topic) == sum(1 for a in matched if a["relevant"])
    assert sum(r["articles"] for r in topic) < sum(r["articles"] for r in rows)


def pd_day(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def test_every_report_takes_the_query(runner, data) -> None:
    args = ("--query", "Ceasefire", "--since", "2025-10-13", "--until", "2025-10-19")
    stories = _json(runner, data, "stories", *args)
    assert stories and all(s["title"].startswith("Ceasefire holds") for s in stories)
    sources = _json(runner, data, "sources", *args)
    assert sum(r["articles"] for r in sources) == 7 * 6  # six copies a day in the spike week
    assert {r["source"] for r in sources if r["articles"]} == {"dawn", "azadi", "tolo"}
    tags = _json(runner, data, "tags", *args)
    assert {(r["tag"], r["other_tag"]) for r in tags} == {("ceasefire", "talks")}
    matches = _json(runner, data, "matches", *args, "--limit", "3")
    assert [m["clause"] for m in matches] == ["Ceasefire"] * 3
    assert [m["day"] for m in matches] == ["2025-10-19"] * 3


def test_the_matches_report_names_the_first_clause_that_matched(runner, data) -> None:
    query = 'Torkham OR "ceasefire holds" OR طورخم OR تورخم'
    rows = _json(runner, data, "matches", "--query", query, "--within", "all", "--limit", "50")
    clauses = Counter(r["clause"] for r in rows)
    assert clauses["طورخم"] == 1 and clauses["تورخم"] == 2  # Urdu, then Pashto and Dari
    assert clauses['"ceasefire holds"'] > 0
    assert all(r["relevant"] for r in rows)
    # Without a query: the configured topic's clause, read in the stored text.
    topic = _json(runner, data, "matches", "--limit", "5")
    assert len(topic) == 5 and all("clause" in r for r in topic)


def test_the_matches_report_gives_the_reason_stored_with_a_relevant_article(runner, data) -> None:
    """The pipeline stores why an article counted (a clause that may have needed the outlet's
    country, which reports cannot know); for older articles the clause is found again."""
    db_url = data[0]
    store = Store(db_url)
    try:
        with store.transaction() as conn:
            newest = conn.execute(
                select(articles.c.id)
                .where(articles.c.relevant.is_(True))
                .order_by(articles.c.day.desc(), articles.c.id.desc())
                .limit(1)
            ).scalar_one()
            conn.execute(
                articles.update()
                .where(articles.c.id == newest)
                .values(relevance_reason="pk-press-names-afghan-side")
            )
    finally:
        store.close()
    rows = _json(runner, data, "matches", "--limit", "5")
    by_id = {r["article_id"]: r["clause"] for r in rows}
    assert by_id[newest] == "pk-press-names-afghan-side"
    # The others have no stored reason: the name of the topic's clause that matches them now.
    assert {c for i, c in by_id.items() if i != newest} <= {
        "both-sides",
        "crossing-or-scheme-named",
        "talks-named-by-venue",
        None,
    }


def test_a_query_cannot_test_the_outlet_it_is_filtered_by_options(runner, data) -> None:
    db_url, config, _ = data
    result = runner.invoke(
        main,
        ["--config", str(config), "--db", db_url, "report", "trend", "--query",
         "source.country:PK AND Kabul"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "source.country is not searched in reports" in result.output
    assert "--country" in result.output


def test_a_query_that_does_not_parse_is_one_line_with_its_position(runner, data) -> None:
    db_url, config, _ = data
    result = runner.invoke(
        main, ["--config", str(config), "--db", db_url, "report", "trend", "--query", "a AND (b"]
    )
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        'error: --query: unclosed "(" at position 6 in query "a AND (b": expected ")" '
        "before the end of the query"
    ]
    lone = runner.invoke(
        main, ["--config", str(config), "--db", db_url, "report", "trend", "--within", "all"]
    )
    assert lone.exit_code == 2 and "apply to a --query" in lone.output


def test_the_matcher_searches_only_days_it_has_not_searched(data) -> None:
    db_url = data[0]
    store = Store(db_url)
    try:
        query = parse_query("report OR Ceasefire")
        fresh = ArticleMatcher(query, within="all").ids(store, None, None)
        stepwise = ArticleMatcher(query, within="all")
        october = stepwise.ids(store, dt.date(2025, 10, 1), dt.date(2025, 10, 10))
        seen = stepwise.searched
        assert stepwise.ids(store, dt.date(2025, 10, 3), dt.date(2025, 10, 5)).size
        assert stepwise.searched == seen  # inside what was searched: nothing read again
        whole = stepwise.ids(store, None, None)
        assert np.array_equal(whole, fresh)
        assert stepwise.searched == len(data[2].articles) + 8
        assert set(october) <= set(whole)
    finally:
        store.close()


def test_the_headline_index_gives_what_reading_gives_and_follows_new_articles(data) -> None:
    db_url = data[0]
    store = Store(db_url)
    try:
        index = HeadlineIndex()
        query = parse_query('Ceasefire OR "bbc report" OR تورخم')
        for within in ("all", "topic"):
            for keys in (None, ("dawn", "azadi")):
                for first, last in ((None, None), (dt.date(2025, 10, 1), dt.date(2025, 10, 26))):
                    read = ArticleMatcher(query, within=within, source_keys=keys)
                    kept = ArticleMatcher(query, within=within, source_keys=keys, headlines=index)
                    assert np.array_equal(
                        read.ids(store, first, last), kept.ids(store, first, last)
                    ), (within, keys, first)
        before = len(ArticleMatcher(query, headlines=index).ids(store, None, None))
        with store.transaction() as conn:
            newest = conn.execute(select(articles.c.id).order_by(articles.c.id.desc())).first()[0]
            conn.execute(
                insert(articles),
                {"id": newest + 1, "url": "https://dawn.example/new", "canonical_url":
                 "https://dawn.example/new", "source": "dawn", "title": "Ceasefire extended",
                 "text_status": "not_fetched", "collected_at": dt.datetime(2025, 10, 27),
                 "day": dt.date(2025, 10, 26), "relevant": True},
            )  # fmt: skip
        after = ArticleMatcher(query, headlines=index).ids(store, None, None)
        assert len(after) == before + 1 and after[-1] == newest + 1
    finally:
        store.close()


def test_a_trend_starting_before_the_first_collected_day_calls_no_spike_there(runner, data):
    rows = _json(runner, data, "trend", "--by", "day", "--since", "2025-08-01",
                 "--until", "2025-09-20")  # fmt: skip
    before = [r for r in rows if r["start"] < reports_data.FIRST_DAY.isoformat()]
    assert before and all(r["articles"] == 0 and r["share_pct_mean"] == 0 for r in before)
    first = next(r for r in rows if r["start"] == reports_data.FIRST_DAY.isoformat())
    # The first monitored days are a baseline of their own, not a jump from zero.
    assert first["articles"] > 0 and not first["spike"]
    assert first["share_pct_mean"] == first["share_pct"]


def test_stories_say_when_they_began_and_whether_they_develop(runner, data) -> None:
    # The RTL story began on the last day; the ceasefire stories each lasted one day.
    rows = _json(runner, data, "stories", "--since", "2025-10-26", "--until", "2025-10-26")
    rtl = next(r for r in rows if r["title"] == explorer_data.RTL_STORY_TITLE)
    assert rtl["began"] == "2025-10-26" and rtl["developing"] is False
    assert rtl["url"] == "https://dawn.example/rtl/0" and rtl["tags"] == "border, trade"
    earlier = _json(runner, data, "stories", "--since", "2025-10-25", "--until", "2025-10-26")
    assert next(r for r in earlier if r["story_id"] == rtl["story_id"])["developing"] is False
    # A story whose first article came before the period is developing in it.
    store = Store(data[0])
    try:
        with store.transaction() as conn:
            # Ids are given: the test data wrote theirs, which PostgreSQL's sequence never saw.
            newest = conn.execute(select(articles.c.id).order_by(articles.c.id.desc())).first()[0]
            conn.execute(
                insert(articles),
                {"id": newest + 1, "url": "https://tolo.example/late", "canonical_url": "https://tolo.example/late",
                 "source": "tolo", "title": "Torkham reopens, day two", "text_status": "ok",
                 "collected_at": dt.datetime(2025, 10, 28), "day": dt.date(2025, 10, 27),
                 "relevant": True, "story_id": rtl["story_id"]},
            )  # fmt: skip
        store.rebuild_coverage()
    finally:
        store.close()
    later = _json(runner, data, "stories", "--since", "2025-10-27", "--until", "2025-10-27")
    assert [(r["story_id"], r["developing"], r["began"]) for r in later] == [
        (rtl["story_id"], True, "2025-10-26")
    ]


def test_one_story_lists_every_article(runner, data) -> None:
    rows = _json(runner, data, "stories", "--since", "2025-10-26", "--until", "2025-10-26")
    rtl = next(r for r in rows if r["title"] == explorer_data.RTL_STORY_TITLE)
    story = _json(runner, data, "story", str(rtl["story_id"]))
    assert [(r["source"], r["language"], r["title"]) for r in story] == [
        (s, lang, t) for s, t, lang in explorer_data.RTL
    ]
    assert all(r["relevant"] and r["tags"] == "border, trade" for r in story)
    assert [r["published"] for r in story] == [
        "2025-10-26 12:00", "2025-10-26 12:01", "2025-10-26 12:02"
    ]  # fmt: skip
    db_url, config, _ = data
    args = ["--config", str(config), "--db", db_url, "report", "story", "999999"]
    missing = runner.invoke(main, args)
    assert missing.exit_code == 2 and "no story 999999" in missing.output


def test_health_and_fetches_reports(runner, data) -> None:
    flagged = _json(runner, data, "health")
    assert [(r["source"], r["status"]) for r in flagged] == [("bbc", "failing")]
    assert "gone" in flagged[0]["reason"] and "7 failures in a row" in flagged[0]["reason"]
    every = _json(runner, data, "health", "--all")
    assert {r["source"] for r in every} == {"bbc", "dawn"}
    fetches = _json(runner, data, "fetches", "--source", "bbc")
    assert len(fetches) == 1 and fetches[0]["consecutive_failures"] == 7
    assert fetches[0]["flagged"] == "gone" and fetches[0]["last_fetch_at"] == "2025-10-27 12:00"
    db_url, config, _ = data
    unknown = runner.invoke(
        main, ["--config", str(config), "--db", db_url, "report", "fetches", "--source", "nope"]
    )
    assert unknown.exit_code == 2 and "unknown source 'nope'" in unknown.output
