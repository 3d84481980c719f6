"""Polling intervals, back-off and server hints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scrapy.http import HtmlResponse

from crawler.backoff import (
    MAX_BACKOFF,
    Intervals,
    after_failure,
    after_success,
    parse_retry_after,
    polling_interval,
)
from crawler.spiders.sources import max_age

NOW = datetime(2025, 10, 27, 12, 0, tzinfo=UTC)
HOURLY = Intervals(default=3600, minimum=900, maximum=43200)


def test_failures_back_off_linearly_and_cap_at_a_day() -> None:
    waits = [after_failure(NOW, HOURLY, n) - NOW for n in (1, 2, 3, 30)]
    assert waits == [timedelta(hours=1), timedelta(hours=2), timedelta(hours=3), MAX_BACKOFF]


def test_retry_after_wins_when_longer_but_is_capped() -> None:
    assert after_failure(NOW, HOURLY, 1, timedelta(hours=5)) - NOW == timedelta(hours=5)
    assert after_failure(NOW, HOURLY, 3, timedelta(minutes=5)) - NOW == timedelta(hours=3)
    assert after_failure(NOW, HOURLY, 1, timedelta(days=30)) - NOW == MAX_BACKOFF


def test_retry_after_forms() -> None:
    assert parse_retry_after(b"120", NOW) == timedelta(seconds=120)
    assert parse_retry_after("Mon, 27 Oct 2025 14:00:00 GMT", NOW) == timedelta(hours=2)
    assert parse_retry_after("Mon, 27 Oct 2025 10:00:00 GMT", NOW) == timedelta(0)
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None


def test_feed_hints_stay_within_bounds() -> None:
    assert polling_interval(HOURLY, None) == 3600
    assert polling_interval(HOURLY, 60) == 900  # ttl of one minute: not more often than 15 min
    assert polling_interval(HOURLY, 7 * 86400) == 43200
    assert after_success(NOW, HOURLY, 5400) - NOW == timedelta(minutes=90)


def response(cache_control: str | None) -> HtmlResponse:
    headers = {"Cache-Control": cache_control} if cache_control else {}
    return HtmlResponse("https://news.example.com/feed", body=b"", headers=headers)


def test_cache_control_max_age() -> None:
    assert max_age(response("public, max-age=1800")) == 1800
    assert max_age(response("max-age=0")) is None
    assert max_age(response("no-cache, max-age=600")) is None
    assert max_age(response("max-age=abc")) is None
    assert max_age(response(None)) is None


def test_long_failing_target_is_flagged_and_retried_weekly() -> None:
    from crawler.spiders.sources import SourcesSpider
    from crawler.state import MemoryState

    state = MemoryState()
    spider = SourcesSpider(plan=[], state=state, staging_dir=None, intervals=HOURLY)
    target = {"source": "s", "url": "https://news.example.com/feed", "consecutive_failures": 8}
    spider._record_failure(target, NOW, "HTTP 500", None)
    ninth = state.outcomes[("s", target["url"])]
    assert ninth["flagged"] is None and ninth["consecutive_failures"] == 9
    assert ninth["next_fetch_at"] == (NOW + timedelta(hours=9)).replace(tzinfo=None)
    spider._record_failure({**target, "consecutive_failures": 9}, NOW, "HTTP 500", None)
    tenth = state.outcomes[("s", target["url"])]
    assert tenth["flagged"] == "failing: 10 consecutive failures"
    assert tenth["next_fetch_at"] == (NOW + timedelta(days=7)).replace(tzinfo=None)
