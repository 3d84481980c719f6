"""The explorer in a real browser: Playwright drives Debian's chromium (never a downloaded one)
through what an analyst does on the demo database, on SQLite and on PostgreSQL, and a page of
hostile headlines runs no script. Screenshots at desktop and phone widths are left in the
pytest temporary folder (``explorer-screenshots*``)."""

from __future__ import annotations

import csv
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from borderwatch.cli import main
from pipeline.store import Store
from tests.support import explorer_data
from tests.support.config import PG_ENV, base_config, write_config
from tests.support.explorer_server import serving

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get(PG_ENV) else [])
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-dev-shm-usage"]  # fmt: skip


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail(
            "the explorer's browser tests need Debian's chromium (apt-get install chromium)"
        )
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("explorer-screenshots")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, str]:
    """``borderwatch demo`` as a user runs it: (its config, its SQLite database URL)."""
    workdir = tmp_path_factory.mktemp("demo") / "demo"
    done = subprocess.run(
        [sys.executable, "-m", "borderwatch", "demo", "--workdir", str(workdir)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    config = workdir / "config.yaml"
    # The demo tells the analyst how to open the explorer on what it collected.
    assert f"borderwatch --config {config} serve" in done.stdout
    return config, f"sqlite:///{workdir / 'borderwatch.sqlite'}"


@pytest.fixture(scope="module", params=BACKENDS)
def demo_server(request, demo) -> Iterator[tuple[str, Path, str]]:
    """The explorer on the demo data: (base URL, config, database URL)."""
    config, sqlite_url = demo
    if request.param == "sqlite":
        with serving(config, sqlite_url) as base:
            yield base, config, sqlite_url
        return
    server = os.environ[PG_ENV]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{server}{'&' if '?' in server else '?'}options=-csearch_path%3D{schema}"
    try:
        copied = CliRunner().invoke(
            main, ["--config", str(config), "--db", sqlite_url, "db", "copy", "--to", url]
        )
        assert copied.exit_code == 0, copied.output
        with serving(config, url) as base:
            yield base, config, url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def cli_csv(config: Path, url: str, command: str) -> str:
    argv = shlex.split(command)
    assert argv[:2] == ["borderwatch", "report"], command
    result = CliRunner().invoke(
        main, ["--config", str(config), "--db", url, *argv[1:], "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    return result.output


def snap(page, shots: Path, name: str) -> None:
    """Screenshots of the page at desktop and phone widths."""
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(shots / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def test_an_analysts_morning(browser, demo_server, shots) -> None:
    base, config, url = demo_server
    backend = "sqlite" if url.startswith("sqlite") else "postgresql"
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    # The overview: attention, tags, the day's and the week's stories, source health.
    page.goto(base + "/")
    assert page.locator("h1").inner_text().startswith("Coverage, ")
    assert page.locator("svg.chart").first.is_visible()
    for heading in ("Attention", "By tag", "Sources needing attention"):
        assert page.get_by_role("heading", name=heading, exact=True).is_visible()
    # The last day's stories (just after midnight UTC the demo's new day holds only one or two)
    # and the week's, which hold every demo day.
    today = page.locator("section[aria-labelledby='today'] li.story")
    week = page.locator("section[aria-labelledby='week'] li.story")
    assert today.count() >= 1 and week.count() >= 3
    # Urdu and Pashto headlines among them, each isolated in its own direction.
    headlines = page.locator("p.headline a")
    texts = headlines.all_inner_texts()
    assert any(re.search("[\u0600-\u06ff]", t) for t in texts), texts
    assert {headlines.nth(i).get_attribute("dir") for i in range(headlines.count())} == {"auto"}
    # Keyboard: the first Tab reaches the skip link, which leads to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    snap(page, shots, f"{backend}-overview")

    # Explore: type a query, see the matches and which clause matched each.
    page.get_by_role("link", name="Explore", exact=True).click()
    page.wait_for_url(re.compile(r"/explore$"))
    page.locator("#q").fill("Torkham OR طورخم OR تورخم")
    page.locator("#q").press("Enter")
    page.wait_for_url(re.compile(r"q=Torkham"))
    lede = page.locator("section[aria-labelledby='attention'] p.lede").inner_text()
    found = int(re.search(r"(\d+) match", lede).group(1))
    assert found >= 3 and "the whole topic" in lede
    clauses = page.locator("table.matches tbody tr td:last-child").all_inner_texts()
    assert clauses and set(clauses) <= {"Torkham", "طورخم", "تورخم"}
    snap(page, shots, f"{backend}-explore-query")

    # A filter: Afghan outlets only.
    page.locator("details.filters summary").click()
    page.get_by_label("AF", exact=True).check()
    page.get_by_role("button", name="Explore").click()
    page.wait_for_url(re.compile(r"country=AF"))
    assert parse_qs(urlsplit(page.url).query)["country"] == ["AF"]
    countries = page.locator("section[aria-labelledby='outlets'] tbody td:first-child span.muted")
    assert countries.count() >= 1 and set(countries.all_inner_texts()) == {"AF"}
    snap(page, shots, f"{backend}-explore-filtered")

    # The CSV of what is shown equals the CLI's report for the same selection.
    panel = page.locator("section[aria-labelledby='attention']")
    command = panel.locator("details.command code").first.text_content()
    with page.expect_download() as event:
        panel.get_by_role("link", name="CSV").first.click()
    downloaded = Path(event.value.path()).read_text(encoding="utf-8")
    assert downloaded == cli_csv(config, url, command)
    rows = list(csv.DictReader(io.StringIO(downloaded)))
    shown = int(re.search(r"(\d+) match", panel.locator("p.lede").inner_text()).group(1))
    assert sum(int(r["articles"]) for r in rows) == shown

    # Follow a story to its articles.
    page.goto(base + "/explore")
    story_link = page.locator("section[aria-labelledby='stories'] a.more").first
    title = page.locator("section[aria-labelledby='stories'] p.headline").first.inner_text()
    story_link.click()
    page.wait_for_url(re.compile(r"/story\?id=\d+"))
    assert page.locator("h1").inner_text() == title
    assert page.locator("table.articles tbody tr").count() >= 1
    snap(page, shots, f"{backend}-story")

    # An outlet's page, from the story's table.
    page.locator("table.articles tbody tr td:nth-child(2) a").first.click()
    page.wait_for_url(re.compile(r"/source\?key="))
    assert page.get_by_role("heading", name="Fetch targets").is_visible()
    snap(page, shots, f"{backend}-source")
    assert not errors, errors
    context.close()


def test_a_page_of_hostile_headlines_runs_no_script(browser, tmp_path, shots) -> None:
    url = f"sqlite:///{tmp_path / 'hostile.sqlite'}"
    store = Store(url)
    explorer_data.build(store)
    store.close()
    config = write_config(tmp_path, base_config(tmp_path))
    page = browser.new_page(viewport=DESKTOP)
    # The detector works: the same browser runs a page's own script and sets the marker.
    page.set_content(f"<html><body><script>{explorer_data.MARKER}</script></body></html>")
    assert page.evaluate("document.documentElement.getAttribute('data-xss')") == "ran"
    with serving(config, url) as base:
        for path in ("/?since=2025-10-20&until=2025-10-26", "/source?key=evil",
                     "/explore?q=Ceasefire%20OR%20Border&since=2025-10-26"):  # fmt: skip
            page.goto(base + path)
            assert page.evaluate("document.documentElement.getAttribute('data-xss')") is None
            assert page.locator("script").count() == 0
        page.goto(base + "/source?key=evil")
        hostile = f"<script>{explorer_data.MARKER}</script>Ceasefire talks resume"
        assert page.get_by_text(hostile, exact=True).is_visible()
        snap(page, shots, "hostile-source")
    page.close()
