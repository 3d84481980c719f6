"""Rendering: the parts and headers of the mail, and nothing from a feed becomes markup or script.

Hostile headlines, links and outlet names go through the real store, compose and templates; the
HTML part is checked as parsed markup and then opened in headless Chromium, which must show the
stories and run no script.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import shutil
import subprocess
from email import policy
from email.parser import BytesParser
from pathlib import Path

import lxml.html
import pytest

from borderwatch.digest.deliver import compose
from borderwatch.digest.message import build_message, render_digest
from pipeline.schema import sources
from pipeline.store import Store
from tests.support.config import base_config, make_config
from tests.support.digest_data import DAY, MONITORED, NOW, local, seed_day

MARKER = "document.documentElement.setAttribute('data-xss','ran')"
HOSTILE = [
    # (title, url)
    (f"<script>{MARKER}</script>Ceasefire talks resume", "https://dawn.com/news/1"),
    (f'<img src=x onerror="{MARKER}">Border reopens at Torkham', "https://geo.tv/latest/2"),
    (f'"><svg onload="{MARKER}">Delegation lands in Doha', f"javascript:{MARKER}"),
    (
        "&lt;script&gt;alert(1)&lt;/script&gt; &#60;b&#62;Entity headline",
        "&#106;avascript:alert(1)",
    ),
    ("Pakistan says \u202etxt.exe\u202c talks continue", "data:text/html;base64,PHNjcmlwdD4="),
    ("Quote breaks out of href", 'https://example.org/a"onmouseover="alert(1)'),
]


@pytest.fixture
def hostile_store(db_url: str):
    store = Store(db_url)
    seed = seed_day(store)
    with store.transaction() as conn:
        conn.execute(
            sources.insert(),
            {
                "key": "evil",
                "name": f'<b onclick="{MARKER}">Evil</b> \u202eswen',
                "origin": "discovered",
                "created_at": NOW - MONITORED,
            },
        )
    for n, (title, url) in enumerate(HOSTILE):
        summary = f"<iframe src='javascript:{MARKER}'></iframe> teaser {n} \u202eevil"
        seed.article(
            "evil", title, local(DAY, 6, n), f"evil-{n}", ("talks",), url=url, summary=summary
        )
        # The same, published the day before and collected after the previous digest: the
        # "arrived late" section renders them too.
        seed.article(
            "evil",
            f"Late: {title}",
            local(DAY - dt.timedelta(days=1), 20, n),
            f"evil-late-{n}",
            ("talks",),
            url=url,
            collected=local(DAY, 9, n),
        )
    yield store
    store.close()


def digest_message(tmp_path: Path, store: Store, top: int = 20):
    raw = base_config(tmp_path)
    raw["digest"]["top_stories"] = top
    raw["digest"]["recipients"] = ["analyst@example.org"]
    config = make_config(tmp_path, raw)
    content = compose(config, store, DAY, NOW)
    rendered = render_digest(config, content)
    message = build_message(config, rendered, DAY, "analyst@example.org")
    # What a mail client reads: the bytes, parsed.
    return BytesParser(policy=policy.default).parsebytes(bytes(message)), content


def test_the_mail_is_text_then_html_with_the_chart_related_by_content_id(
    tmp_path: Path, db_url: str
) -> None:
    store = Store(db_url)
    seed_day(store)
    message, content = digest_message(tmp_path, store, top=10)
    store.close()
    assert (
        message["Subject"]
        == "Border talks digest, Mon 27 Oct 2025: 9 new stories, spike in talks, ceasefire +1"
    )
    assert message["Message-ID"].startswith("<digest.2025-10-27.")
    assert (
        message["Date"]
        and message["List-Unsubscribe"] == "<mailto:borderwatch@localhost?subject=unsubscribe>"
    )
    assert message.get_content_type() == "multipart/alternative"
    plain, related = message.get_payload()
    assert plain.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html_part, image = related.get_payload()
    assert html_part.get_content_type() == "text/html"
    assert image.get_content_type() == "image/png"
    assert image.get_content().startswith(b"\x89PNG\r\n\x1a\n")
    cid = image["Content-ID"].strip("<>")
    html = html_part.get_content()
    assert f'src="cid:{cid}"' in html
    # CSS is inlined: no style block left, style attributes on the elements.
    assert "<style" not in html
    assert re.search(r'<h1 style="[^"]*font-size: 21px', html)
    text = plain.get_content()
    assert "1. Kabul and Islamabad agree ceasefire monitoring mechanism in Istanbul" in text
    assert "Also reported by 3 outlets: Dawn, Geo News, Al Jazeera English" in text
    assert "developing since 24 Oct" in text
    assert "   Delegations agreed on a joint mechanism to verify the truce" in text
    assert "TOLOnews (failing)" in text and "Pajhwok Afghan News (silent)" in text
    assert re.search(r"border\s+6\s+7\s+1\s+1\.1\s+1\.1\s+SPIKE", text)
    # Same facts in the HTML.
    doc = lxml.html.fromstring(html)
    lead = doc.xpath("//a[contains(., 'Kabul and Islamabad agree')]")[0]
    assert lead.get("href") == "https://tolonews.example/news/17"
    assert "Also reported by 3 outlets" in doc.text_content()
    assert "Asia/Karachi" in text.split("-- ")[-1]


def test_nothing_from_a_feed_becomes_markup_script_or_a_bad_link(
    tmp_path: Path, hostile_store: Store
) -> None:
    message, _ = digest_message(tmp_path, hostile_store)
    plain, related = message.get_payload()
    html = related.get_payload()[0].get_content()
    text = plain.get_content()
    doc = lxml.html.fromstring(html)
    assert not doc.xpath("//script | //svg | //iframe | //object | //embed | //b")
    assert [img.get("src").startswith("cid:") for img in doc.xpath("//img")] == [True]
    handlers = [a for el in doc.iter() for a in el.attrib if a.lower().startswith("on")]
    assert handlers == []
    for href in doc.xpath("//a/@href"):
        assert href.startswith(("https://", "http://", "mailto:")), href
    # The headlines are shown as text, exactly as published (minus direction overrides).
    visible = doc.text_content()
    assert f"<script>{MARKER}</script>Ceasefire talks resume" in visible
    late = doc.xpath("//h2[. = 'Arrived late']/..")[0].text_content()
    assert f"Late: <script>{MARKER}</script>Ceasefire talks resume" in late
    assert "Late: Pakistan says txt.exe talks continue" in late
    assert f"- Late: <script>{MARKER}</script>Ceasefire talks resume" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &#60;b&#62;Entity headline" in visible
    assert "Pakistan says txt.exe talks continue" in visible
    assert f"<iframe src='javascript:{MARKER}'></iframe> teaser 0 evil" in visible
    # Unsafe links are dropped: those headlines are not links.
    for title in ("Delegation lands in Doha", "Entity headline", "Pakistan says txt.exe"):
        assert not doc.xpath(f"//a[contains(., '{title}')]"), title
        assert title in visible
    quoted = doc.xpath("//a[contains(., 'Quote breaks out')]")[0]
    assert quoted.get("href") == 'https://example.org/a"onmouseover="alert(1)'
    assert set(quoted.attrib.keys()) <= {"href", "dir", "style"}
    # No right-to-left override survives anywhere; the outlet name is text, too.
    for part in (html, text, str(message["Subject"])):
        assert "\u202e" not in part and "\u202c" not in part
    assert '<b onclick="' in visible and "Evil</b> swen" in visible


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("the digest browser test needs Debian's chromium (apt-get install chromium)")
    return path


def run_chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
    )


def test_the_html_part_renders_in_chromium_and_runs_no_script(
    tmp_path: Path, hostile_store: Store
) -> None:
    message, content = digest_message(tmp_path, hostile_store)
    related = message.get_payload()[1]
    html_part, image = related.get_payload()
    # Resolve cid: as a mail client does, with the related image part.
    data_url = "data:image/png;base64," + base64.b64encode(image.get_content()).decode()
    html = html_part.get_content().replace(f"cid:{image['Content-ID'].strip('<>')}", data_url)
    page = tmp_path / "digest.html"
    page.write_text(html, encoding="utf-8")

    # The detector works: the same browser runs a page's own script and sets the marker.
    control = tmp_path / "control.html"
    control.write_text(f"<html><body><p>control</p><script>{MARKER}</script></body></html>")
    dumped = run_chromium(control, tmp_path / "profile-control", "--dump-dom")
    assert 'data-xss="ran"' in dumped.stdout.decode(), dumped.stderr.decode()[-2000:]

    dom = run_chromium(page, tmp_path / "profile-dom", "--dump-dom").stdout.decode()
    assert "data-xss" not in dom.split("<body")[0]  # the marker would land on <html>
    assert not re.search(r"<html[^>]*data-xss", dom)
    assert "Kabul and Islamabad agree ceasefire monitoring mechanism in Istanbul" in dom
    assert "Ceasefire talks resume" in dom
    assert "<script" not in dom

    screenshot = tmp_path / "digest.png"
    shot = run_chromium(
        page,
        tmp_path / "profile-shot",
        "--hide-scrollbars",
        "--window-size=760,2600",
        f"--screenshot={screenshot}",
    )
    assert shot.returncode == 0, shot.stderr.decode()[-2000:]
    png = screenshot.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 20_000
    # The headlines took up space on the page: the page is not blank.
    assert len(content.stories) >= 10
