"""The fault matrix: one healthy outlet and one misbehaving target per test, one real collection.

Each test serves tests/fault_server.py on 127.0.0.1, configures a healthy source and a faulty
one, runs ``collect`` (a real Scrapy crawl in a child process, then the stages and the store)
and checks that the run completed, that every article of the healthy source is stored, and that
the faulty target's error is in its feed_state row.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from borderwatch.collect import collect
from pipeline.schema import articles, feed_state
from pipeline.store import Store, utcnow
from tests.support.config import base_config, make_config
from tests.support.fault_server import HEALTHY_FEED, RETRY_AFTER_SECONDS, FaultServer, serve_faults

REQUEST_TIMEOUT = 2
MAX_BODY = 1024 * 1024


@pytest.fixture(scope="module")
def faults() -> Iterator[FaultServer]:
    with serve_faults(drip_seconds=3 * REQUEST_TIMEOUT) as server:
        yield server


def run_with_fault(
    tmp_path: Path, server: FaultServer, path: str, **collect_options: Any
) -> tuple[Any, dict[str, Any], set[str], Store]:
    """Collect the healthy source and the faulty target once; returns (report, the faulty
    target's feed_state row, stored article URLs, store)."""
    raw = base_config(tmp_path)
    raw["collect"].update(
        {"request_timeout": REQUEST_TIMEOUT, "max_body_bytes": MAX_BODY, **collect_options}
    )
    raw["sources"] = [
        {
            "key": "healthy",
            "name": "Healthy Times",
            "country": "PK",
            "language": "en",
            "feeds": [server.url(HEALTHY_FEED)],
        },
        {
            "key": "faulty",
            "name": "Faulty Daily",
            "country": "AF",
            "language": "en",
            "feeds": [server.url(path)],
        },
    ]
    config = make_config(tmp_path, raw)
    url = f"sqlite:///{tmp_path / 'faults.sqlite'}"
    store = Store(url)
    report = collect(config, store, url)
    with store.engine.connect() as conn:
        row = conn.execute(select(feed_state).where(feed_state.c.source == "faulty")).one()
        stored = {r.url for r in conn.execute(select(articles.c.url, articles.c.source))}
    return report, dict(row._mapping), stored, store


def assert_healthy(report: Any, stored: set[str], server: FaultServer) -> None:
    assert not report.timed_out and not report.crawl_failed
    assert set(server.healthy_articles()) <= stored


def assert_failed(row: dict[str, Any], pattern: str) -> None:
    assert row["last_status"] == "error"
    assert row["last_error"] and re.search(pattern, row["last_error"], re.I), row["last_error"]
    assert row["consecutive_failures"] == 1
    assert row["last_fetch_at"] is not None
    assert row["next_fetch_at"] > utcnow()


@pytest.mark.parametrize(
    ("path", "pattern"), [("/fault/500", "HTTP 500"), ("/fault/404", "HTTP 404")]
)
def test_error_status(tmp_path: Path, faults: FaultServer, path: str, pattern: str) -> None:
    report, row, stored, store = run_with_fault(tmp_path, faults, path)
    assert_healthy(report, stored, faults)
    assert_failed(row, pattern)
    assert row["flagged"] is None
    # Linear back-off: one failure waits one interval (1 h by default), not less.
    assert row["next_fetch_at"] >= row["last_fetch_at"] + timedelta(hours=1) - timedelta(seconds=5)


def test_503_with_retry_after(tmp_path: Path, faults: FaultServer) -> None:
    report, row, stored, _store = run_with_fault(tmp_path, faults, "/fault/503")
    assert_healthy(report, stored, faults)
    assert_failed(row, "HTTP 503")
    waited = row["next_fetch_at"] - row["last_fetch_at"]
    assert waited >= timedelta(seconds=RETRY_AFTER_SECONDS - 5)


def test_410_gone_is_flagged_and_not_planned_again(tmp_path: Path, faults: FaultServer) -> None:
    report, row, stored, store = run_with_fault(tmp_path, faults, "/fault/410")
    assert_healthy(report, stored, faults)
    assert_failed(row, "HTTP 410")
    assert row["flagged"].startswith("gone")
    from borderwatch.plan import plan_targets

    config = make_config(tmp_path, base_config(tmp_path))
    due = [{**row, "next_fetch_at": None}]
    assert plan_targets(config, due) == []


def test_server_dripping_slower_than_the_timeout(tmp_path: Path, faults: FaultServer) -> None:
    report, row, stored, _store = run_with_fault(tmp_path, faults, "/fault/drip")
    assert_healthy(report, stored, faults)
    assert_failed(row, "took longer than 2.0 seconds")


def test_connection_reset(tmp_path: Path, faults: FaultServer) -> None:
    report, row, stored, _store = run_with_fault(tmp_path, faults, "/fault/reset")
    assert_healthy(report, stored, faults)
    assert_failed(row, "ConnectionLost|ConnectionDone|reset")


def test_malformed_xml_keeps_what_precedes_the_damage(tmp_path: Path, faults: FaultServer) -> None:
    report, row, stored, _store = run_with_fault(tmp_path, faults, "/fault/malformed.xml")
    assert_healthy(report, stored, faults)
    assert faults.url("/broken/recovered.html") in stored
    assert row["last_status"] == "warning"
    assert re.search("malformed|not well-formed|mismatched", row["last_error"], re.I)


def test_charset_differing_from_declared(tmp_path: Path, faults: FaultServer) -> None:
    report, row, stored, store = run_with_fault(tmp_path, faults, "/fault/charset.xml")
    assert_healthy(report, stored, faults)
    assert row["last_status"] == "warning"
    assert "cp1256" in row["last_error"] or "1256" in row["last_error"]
    with store.engine.connect() as conn:
        title = conn.execute(
            select(articles.c.title).where(articles.c.source == "faulty")
        ).scalar_one()
    assert "طورخم" in title


def test_gzip_bomb(tmp_path: Path, faults: FaultServer) -> None:
    report, row, stored, _store = run_with_fault(tmp_path, faults, "/fault/gzip-bomb.xml")
    assert_healthy(report, stored, faults)
    assert_failed(row, "exceeded DOWNLOAD_MAXSIZE .* during decompression")


def test_oversized_body(tmp_path: Path, faults: FaultServer) -> None:
    report, row, stored, _store = run_with_fault(tmp_path, faults, "/fault/oversized.xml")
    assert_healthy(report, stored, faults)
    assert_failed(row, "larger than download max size")


def test_redirect_loop(tmp_path: Path, faults: FaultServer) -> None:
    report, row, stored, _store = run_with_fault(tmp_path, faults, "/fault/loop-a")
    assert_healthy(report, stored, faults)
    assert_failed(row, "max redirections")
    # At most max_redirects (5) hops were followed.
    hops = [p for p in faults.paths_requested() if p.startswith("/fault/loop")]
    assert 1 < len(hops) <= 6  # the first request and five redirects


def test_redirect_to_a_private_address(tmp_path: Path, faults: FaultServer) -> None:
    before = len(faults.paths_requested("127.0.0.2"))
    report, row, stored, _store = run_with_fault(
        tmp_path,
        faults,
        "/fault/to-private",
        allow_private_addresses=False,
        allowed_networks=["127.0.0.1"],
    )
    assert_healthy(report, stored, faults)
    assert_failed(row, r"refused: 127\.0\.0\.2 is a loopback address")
    assert len(faults.paths_requested("127.0.0.2")) == before


def test_robots_txt_disallows(tmp_path: Path, faults: FaultServer) -> None:
    report, row, stored, _store = run_with_fault(tmp_path, faults, "/private-by-robots/feed.xml")
    assert_healthy(report, stored, faults)
    assert_failed(row, "Forbidden by robots.txt")


def test_html_page_at_a_feed_url(tmp_path: Path, faults: FaultServer) -> None:
    report, row, stored, _store = run_with_fault(tmp_path, faults, "/fault/page.html")
    assert_healthy(report, stored, faults)
    assert_failed(row, "not a feed")


def test_empty_feed(tmp_path: Path, faults: FaultServer) -> None:
    report, row, stored, _store = run_with_fault(tmp_path, faults, "/fault/empty.xml")
    assert_healthy(report, stored, faults)
    assert row["last_status"] == "warning"
    assert row["last_error"] == "the feed has no entries"
    assert row["consecutive_failures"] == 0


def test_crawl_time_limit_stops_a_slow_server(tmp_path: Path, faults: FaultServer) -> None:
    """The per-crawl limit ends the crawl even while a request (30 s timeout) is dripping."""
    started = time.monotonic()
    report, row, stored, _store = run_with_fault(
        tmp_path, faults, "/fault/drip", request_timeout=30, crawl_time_limit=4
    )
    assert time.monotonic() - started < 25
    assert set(faults.healthy_articles()) <= stored
    assert_failed(row, r"took longer than [0-4]\.\d+ seconds")
