"""``borderwatch sources check`` and ``sources reset`` against a local server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from borderwatch.cli import main
from pipeline.schema import feed_state
from pipeline.store import Store
from tests.support.config import base_config, write_config
from tests.support.fault_server import article_html, rss, serve_pages

CONTACT = "https://monitor.example/contact"


@pytest.fixture(scope="module")
def site() -> Iterator[Any]:
    items = [
        ("Talks resume", "{BASE}/a/1.html", "Sun, 26 Oct 2025 09:00:00 GMT"),
        ("Crossing reopens", "{BASE}/a/2.html", "Mon, 27 Oct 2025 09:00:00 GMT"),
    ]
    pages = {
        "/feed.xml": ("application/rss+xml", rss(items)),
        "/page.html": ("text/html", article_html("Not a feed", "2025-10-26", "Desk")),
        "/a/1.html": ("text/html", article_html("Talks resume", "2025-10-26", "Desk")),
        "/robots.txt": ("text/plain", "User-agent: *\nAllow: /\n"),
    }
    with serve_pages(pages) as server:
        yield server


def sources_config(tmp_path: Path, base: str, **collect: Any) -> Path:
    raw = base_config(tmp_path)
    raw["collect"].update({"contact_url": CONTACT, **collect})
    raw["sources"] = [
        {"key": "good", "name": "Good", "country": "PK", "language": "en",
         "feeds": [f"{base}/feed.xml"]},
        {"key": "missing", "name": "Missing", "country": "AF", "language": "en",
         "feeds": [f"{base}/gone.xml"]},
        {"key": "htmlpage", "name": "HTML", "country": "AF", "language": "en",
         "feeds": [f"{base}/page.html"]},
    ]  # fmt: skip
    return write_config(tmp_path, raw)


def lines_of(output: str) -> dict[str, str]:
    return {line.split()[0]: line for line in output.splitlines() if line.strip()}


def test_check_prints_a_table_and_writes_nothing(runner, tmp_path: Path, site) -> None:
    before = len(site.requests)
    config = sources_config(tmp_path, site.base_url)
    result = runner.invoke(main, ["--config", str(config), "sources", "check"])
    assert result.exit_code == 1, result.output  # a target failed
    rows = lines_of(result.output)
    assert rows["SOURCE"].split()[:5] == ["SOURCE", "KIND", "STATUS", "ENTRIES", "NEWEST"]
    assert "ok 200" in rows["good"] and " 2 " in rows["good"]
    assert "HTTP 404" in rows["missing"]
    assert "not a feed" in rows["htmlpage"]
    assert "3 targets checked: 1 answered, 2 failed" in result.output
    # No database, no staging, no article pages, and the contact URL in the User-Agent.
    assert not (tmp_path / "data" / "borderwatch.sqlite").exists()
    assert not list((tmp_path / "data").rglob("*.jsonl"))
    requested = site.requests[before:]
    assert not any(path.startswith("/a/") for path in requested)
    assert any(CONTACT in agent for agent in site.agents)


def test_check_one_source(runner, tmp_path: Path, site) -> None:
    config = sources_config(tmp_path, site.base_url)
    result = runner.invoke(main, ["--config", str(config), "sources", "check", "--source", "good"])
    assert result.exit_code == 0, result.output
    assert "1 targets checked: 1 answered, 0 failed" in result.output
    bad = runner.invoke(main, ["--config", str(config), "sources", "check", "--source", "nope"])
    assert bad.exit_code == 2 and "nope" in bad.output


def test_host_name_resolving_to_loopback_is_refused_at_connection_time(
    runner, tmp_path: Path, site
) -> None:
    """The resolver, not only the URL check, refuses: "localhost" is a name, not an address."""
    port = site.base_url.rsplit(":", 1)[1]
    before = len(site.requests)
    config = sources_config(tmp_path, f"http://localhost:{port}", allow_private_addresses=False)
    result = runner.invoke(main, ["--config", str(config), "sources", "check", "--source", "good"])
    assert result.exit_code == 1
    assert "refused: localhost (127.0.0.1) is a loopback address" in result.output
    assert len(site.requests) == before
    allowed = sources_config(
        tmp_path, f"http://localhost:{port}", allow_private_addresses=False,
        allowed_networks=["127.0.0.1/32"],
    )  # fmt: skip
    result = runner.invoke(main, ["--config", str(allowed), "sources", "check", "--source", "good"])
    assert result.exit_code == 0, result.output


def test_reset_clears_flags(runner, tmp_path: Path, site) -> None:
    config = sources_config(tmp_path, site.base_url)
    db = f"sqlite:///{tmp_path / 'reset.sqlite'}"
    store = Store(db)
    from borderwatch.collect import sync_configuration
    from borderwatch.config import load_config

    sync_configuration(load_config(config), store)
    store.record_fetch(
        "missing", f"{site.base_url}/gone.xml", {"flagged": "gone (HTTP 410)",
                                                 "consecutive_failures": 3}
    )  # fmt: skip
    arguments = ["--config", str(config), "--db", db, "sources", "reset", "missing"]
    result = runner.invoke(main, arguments)
    assert result.exit_code == 0, result.output
    assert "1 targets reset" in result.output
    with store.engine.connect() as conn:
        row = conn.execute(select(feed_state).where(feed_state.c.source == "missing")).one()
    assert row.flagged is None and row.consecutive_failures == 0 and row.next_fetch_at is None
    store.close()
