"""What the digest says about a known day: stories, tag trends, spikes and source health."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import insert

from borderwatch.digest.compose import ALL, clean_text, compose_digest, safe_url
from borderwatch.spikes import SpikeRule
from pipeline.schema import digests, sources
from pipeline.store import Store
from tests.support.config import base_config, make_config
from tests.support.digest_data import DAY, NOW, Seeder, local, seed_day

TAGS = ["talks", "ceasefire", "border", "trade", "refugees"]


@pytest.fixture
def store(db_url: str):
    store = Store(db_url)
    seed_day(store)
    yield store
    store.close()


def compose(store: Store, **kwargs):
    return compose_digest(store, DAY, "Asia/Karachi", TAGS, 10, now=NOW, **kwargs)


def test_stories_are_ranked_by_outlets_with_lead_time_and_who_else_carried_them(store) -> None:
    content = compose(store)
    titles = [s.title for s in content.stories]
    assert titles[0] == "Kabul and Islamabad agree ceasefire monitoring mechanism in Istanbul"
    lead = content.stories[0]
    assert lead.outlet == "TOLOnews"
    assert lead.url == "https://tolonews.example/news/17"
    assert lead.published.strftime("%H:%M %Z") == "09:15 PKT"
    assert lead.also_reported_by == ["Dawn", "Geo News", "Al Jazeera English"]
    assert lead.tags == ["talks", "ceasefire"]  # in the configured order
    assert lead.summary.startswith("Delegations agreed on a joint mechanism")
    # Two outlets next; its first copy (01:30 in Karachi, still the 26th in UTC) counts today.
    assert content.stories[1].outlets == ["BBC Urdu", "Khaama Press"]
    # The Torkham story began three days before: listed, marked developing, not counted new.
    torkham = content.stories[2]
    assert torkham.outlet == "Geo News" and not torkham.new
    assert torkham.first_day == DAY - dt.timedelta(days=3)
    # An article without a publication date counts on the day it was collected.
    assert "Refugee returns through Torkham slow down" in titles
    # Not relevant, or after midnight: not in this day's digest.
    assert "Cricket: Pakistan beat Afghanistan" not in titles
    assert "Next day story" not in titles
    assert "Border routine follow-up" not in titles
    assert (content.total_stories, content.new_stories, len(content.stories)) == (10, 9, 10)
    assert content.total_articles == 14
    assert content.outlets == 6


def test_top_limits_the_list_but_not_the_counts(store) -> None:
    content = compose_digest(store, DAY, "Asia/Karachi", TAGS, 3, now=NOW)
    assert len(content.stories) == 3
    assert content.total_stories == 10


def test_tag_trends_compare_today_with_the_trailing_means_and_flag_spikes(store) -> None:
    content = compose(store)
    border = next(t for t in content.tags if t.tag == "border")
    assert (border.stories, border.articles, border.yesterday) == (6, 7, 1)
    assert border.mean7 == pytest.approx(8 / 7)
    assert border.mean14 == pytest.approx(15 / 14)
    assert border.spike
    trade = next(t for t in content.tags if t.tag == "trade")
    assert (trade.articles, trade.spike) == (1, False)
    assert {t.tag for t in content.spiking} == {"border", "talks", "ceasefire"}
    assert content.overall.tag == ALL and content.overall.articles == 14
    # The chart's series: 30 days ending today, zeros included.
    assert len(content.series) == 30
    assert content.series.index[-1] == DAY
    assert content.series["border"].iloc[-1] == 7
    assert content.spikes["border"].iloc[-1]


def test_the_spike_rule_comes_from_configuration(store) -> None:
    strict = compose(store, rule=SpikeRule(ratio=10, sigma=2, baseline_days=14, min_count=5))
    assert not strict.spiking


def test_no_spike_is_called_before_there_is_history(db_url: str) -> None:
    store = Store(db_url)
    seed = Seeder(store)
    seed.sources()
    for n in range(6):
        seed.article(
            "dawn", f"First day {n}", dt.datetime(2025, 10, 27, 8, n), f"s{n}", ("border",)
        )
    content = compose(store)
    store.close()
    border = next(t for t in content.tags if t.tag == "border")
    # Days before the first article are unknown, not zero.
    assert border.articles == 6 and border.mean7 is None and not border.spike


def test_source_health_names_failing_and_silent_sources(store) -> None:
    problems = compose(store).problems
    assert [(p.name, p.status) for p in problems] == [
        ("TOLOnews", "failing"),
        ("Pajhwok Afghan News", "silent"),
    ]
    assert "4 failures in a row" in problems[0].detail
    assert "HTTP 503" in problems[0].detail
    # Daily until 22 October (12:00 Karachi time is 07:00 UTC): four quiet days are too many.
    assert "since 2025-10-22 07:00 UTC" in problems[1].detail
    assert "usually every 24h or less" in problems[1].detail
    # A longer tolerance makes the silent source acceptable; a higher threshold the failing one.
    quiet = compose(store, silent_after=dt.timedelta(days=7)).problems
    assert [p.name for p in quiet] == ["TOLOnews"]
    assert [p.name for p in compose(store, failing_after=5).problems] == ["Pajhwok Afghan News"]


def test_the_digest_health_thresholds_come_from_the_config(store, tmp_path: Path) -> None:
    """digest.failing_after and digest.silent_after, and the schedule's silence_factor (the
    rhythm rule the status command uses), reach the digest."""
    from borderwatch.digest.deliver import compose as compose_configured

    def problems(digest: dict, schedule: dict) -> list[tuple[str, str]]:
        raw = base_config(tmp_path)
        raw["digest"].update(digest)
        raw["schedule"].update(schedule)
        content = compose_configured(make_config(tmp_path, raw), store, DAY, now=NOW)
        return [(p.name, p.status) for p in content.problems]

    failing, silent = ("TOLOnews", "failing"), ("Pajhwok Afghan News", "silent")
    assert problems({}, {}) == [failing, silent]
    assert problems({"failing_after": 5}, {}) == [silent]
    assert problems({"silent_after": "6d"}, {}) == [failing]
    # Five quiet days against a daily rhythm: silent at four times the gap, not at eight.
    assert problems({}, {"silence_factor": 8}) == [failing]


def test_an_empty_day_has_no_stories(db_url: str, tmp_path: Path) -> None:
    store = Store(db_url)
    content = compose_digest(store, DAY, "Asia/Karachi", TAGS, now=NOW)
    store.close()
    assert content.empty and content.total_articles == 0
    assert content.overall.articles == 0


def test_feed_text_is_tamed_and_only_web_links_survive() -> None:
    assert clean_text("a\u202eevil\u202c b\x00c\n\td") == "aevil b c d"
    assert clean_text("گفت\u200cوگو") == "گفت\u200cوگو"  # ZWNJ is part of Persian spelling
    assert safe_url("https://dawn.com/news/1") == "https://dawn.com/news/1"
    for bad in (
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "&#106;avascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "https://",
        "//evil.example/x",
        "https://dawn.com/\u202egnp.exe",
        None,
    ):
        assert safe_url(bad) is None, bad


def test_stories_that_arrived_after_the_previous_digest_are_listed_as_late(db_url: str) -> None:
    """A story published before the day but first collected after the previous digest was due
    (07:00 on the day) was in no digest: it is listed once, as arrived late."""
    store = Store(db_url)
    seed = Seeder(store)
    seed.sources()
    before = DAY - dt.timedelta(days=1)
    seed.article("dawn", "Talks resume in Doha", local(DAY, 10), "today", ("talks",))
    # Published the evening before, first collected at 09:00 and 10:00 on the day: late.
    seed.article("geo", "Torkham closed overnight after firing", local(before, 22), "late",
                 ("border",), collected=local(DAY, 9))  # fmt: skip
    seed.article("tolonews", "Torkham crossing closed after exchange of fire", local(before, 23),
                 "late", ("border", "security"), collected=local(DAY, 10))  # fmt: skip
    # Collected at 06:00, before the previous digest was due: that digest had it.
    seed.article("dawn", "Chaman traders protest", local(before, 20), "on-time", ("trade",),
                 collected=local(DAY, 6))  # fmt: skip
    # Collected after this digest is due: the next one's.
    seed.article("geo", "Refugee camp relocated", local(before, 21), "next", ("refugees",),
                 collected=local(DAY + dt.timedelta(days=1), 8))  # fmt: skip
    # Published eleven days before: a backfill, not news.
    seed.article("aljazeera", "Analysis of the last round", local(DAY - dt.timedelta(days=11), 9),
                 "backfill", ("talks",), collected=local(DAY, 12))  # fmt: skip
    # First collected late, but continued on the day: one of the day's stories instead.
    seed.article("bbc-urdu", "Kurram elders meet", local(before, 19), "continued", ("talks",),
                 collected=local(DAY, 8))  # fmt: skip
    seed.article("khaama", "Kurram elders agree truce", local(DAY, 15), "continued", ("talks",))
    # Not relevant: never listed.
    seed.article("dawn", "Cricket series postponed", local(before, 22), "cricket",
                 relevant=False, collected=local(DAY, 9))  # fmt: skip
    # A source added at 08:00 on the day: its first collection brings its recent past.
    with store.transaction() as conn:
        conn.execute(
            insert(sources),
            {"key": "newcomer", "name": "Newcomer", "origin": "config",
             "created_at": local(DAY, 8)},
        )  # fmt: skip
    seed.article("newcomer", "Jirga meets on the border dispute", local(before, 20), "newcomer",
                 ("talks",), collected=local(DAY, 8, 5))  # fmt: skip

    content = compose_digest(
        store, DAY, "Asia/Karachi", TAGS, 10, now=NOW, digest_time=dt.time(7, 0)
    )
    without_time = compose_digest(store, DAY, "Asia/Karachi", TAGS, 10, now=NOW)
    store.close()
    assert [s.title for s in content.stories] == [
        "Talks resume in Doha",
        "Kurram elders agree truce",
    ]
    assert content.total_late == 1
    (late,) = content.late
    assert late.title == "Torkham closed overnight after firing"
    assert (late.outlet, late.also_reported_by, late.articles) == ("Geo News", ["TOLOnews"], 2)
    assert late.published.strftime("%d %H:%M %Z") == "26 22:00 PKT"
    assert late.tags == ["border", "security"]
    assert not content.empty
    assert without_time.late == [] and without_time.total_late == 0


def test_after_a_digest_that_went_out_late_late_stories_start_from_when_it_did(
    db_url: str,
) -> None:
    """The previous day's digest went out at 10:00 instead of 07:00 (the daemon was down): a
    story first collected at 09:00 was in it, one collected at 11:00 was not."""
    store = Store(db_url)
    seed = Seeder(store)
    seed.sources()
    before = DAY - dt.timedelta(days=1)
    seed.article("geo", "Collected before the late digest", local(before, 21), "in-it",
                 ("border",), collected=local(DAY, 9))  # fmt: skip
    seed.article("dawn", "Collected after the late digest", local(before, 22), "after-it",
                 ("border",), collected=local(DAY, 11))  # fmt: skip
    with store.transaction() as conn:
        conn.execute(
            insert(digests),
            {"day": before, "recipient": "analyst@example.org", "message_id": "<m@x>",
             "status": "sent", "created_at": local(DAY, 10), "sent_at": local(DAY, 10)},
        )  # fmt: skip
    content = compose_digest(
        store, DAY, "Asia/Karachi", TAGS, 10, now=NOW, digest_time=dt.time(7, 0)
    )
    store.close()
    assert [s.title for s in content.late] == ["Collected after the late digest"]
