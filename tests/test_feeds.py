"""parse_feed and the date helpers on small fixture feeds written for these tests."""

from __future__ import annotations

import gzip
import random
import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from crawler.dates import plausible, to_utc_datetime, to_utc_iso
from crawler.kinds.rss import FeedResult, _parse, html_to_text, parse_feed

DATA = Path(__file__).resolve().parent / "data" / "feeds"
NOW = datetime(2025, 10, 27, 12, 0, tzinfo=UTC)
FEED_URL = "https://www.dawn.com/feeds/home"
ITEM_KEYS = {
    "url",
    "title",
    "summary",
    "published",
    "source",
    "feed_url",
    "language",
    "guid",
    "author",
    "updated",
    "published_source",
    "source_url",
}


def parse(name: str, **kwargs) -> FeedResult:
    kwargs.setdefault("url", FEED_URL)
    kwargs.setdefault("source", "dawn")
    kwargs.setdefault("now", NOW)
    return parse_feed((DATA / name).read_bytes(), **kwargs)


def by_url(result: FeedResult) -> dict[str, dict]:
    return {item["url"]: item for item in result.items}


def all_text(result: FeedResult) -> str:
    parts = [str(result.title), str(result.error)]
    for item in result.items:
        parts.extend(str(value) for value in item.values())
    return "\n".join(parts)


# --- RSS 2.0 -------------------------------------------------------------------------------


def test_rss20_items_fields_and_counts():
    result = parse("rss20.xml")
    assert result.is_feed and result.error is None
    assert result.title == "Dawn – Pakistan"
    assert result.ttl_seconds == 30 * 60
    # Six entries: one without any URL and one with a javascript: link are dropped.
    assert result.entries == 6 and result.dropped == 2 and len(result.items) == 4
    for item in result.items:
        assert set(item) == ITEM_KEYS
        assert item["source"] == "dawn" and item["feed_url"] == FEED_URL
        assert item["published_source"] == "feed" and item["source_url"] is None
        assert item["language"] == "en-us"

    first = result.items[0]
    assert first["url"] == "https://www.dawn.com/news/1950001/talks-resume"
    assert first["title"] == "Pakistan, Afghanistan agree to extend ceasefire & resume talks"
    # Tags stripped, the script's code dropped, entities (named and numeric) decoded.
    assert (
        first["summary"] == "Delegations met in Istanbul & agreed to meet again. Second paragraph."
    )
    assert first["guid"] == "dawn-1950001"
    assert first["author"] == "Staff Reporter"
    assert first["published"] == "2025-10-26T09:30:00+00:00"


def test_rss20_relative_link_and_regional_time_zone():
    item = by_url(parse("rss20.xml"))["https://www.dawn.com/news/1950002/torkham-reopens"]
    # PKT is UTC+5; read as UTC it would be five hours late.
    assert item["published"] == "2025-10-26T04:30:00+00:00"
    assert item["summary"] == "Trade resumed at the Torkham border."
    assert item["guid"] == item["url"]  # no guid: the link is the identity


def test_rss20_permalink_guid_enclosure_and_implausible_dates():
    items = by_url(parse("rss20.xml"))
    permalink = items["https://www.dawn.com/news/1950003"]
    assert permalink["published"] is None  # 1970-01-01 is a placeholder, not a date
    enclosure = items["https://www.dawn.com/audio/border-economy.mp3"]
    assert enclosure["published"] is None  # 2100 is far in the future
    assert enclosure["updated"] is None


def test_content_location_header_moves_the_base():
    body = (DATA / "rss20.xml").read_bytes()
    result = parse_feed(
        body,
        url="https://cdn.example.net/feed.xml",
        source="dawn",
        headers={"Content-Location": "https://www.dawn.com/feeds/"},
        now=NOW,
    )
    assert "https://www.dawn.com/news/1950002/torkham-reopens" in by_url(result)


def test_relative_xml_base_chain():
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom" xml:base="world/"><title>x</title>
    <entry xml:base="sub/"><title>a</title><link href="a.html"/><id>tag:x,1</id></entry>
    <entry xml:base="https://other.example.com/x/"><title>b</title><link href="b.html"/>
      <id>tag:x,2</id></entry>
    <entry><title>c</title><link href="/c.html"/><id>tag:x,3</id></entry>
    </feed>"""
    result = parse_feed(body, url="https://e.example.com/feeds/atom", source="x")
    assert [item["url"] for item in result.items] == [
        "https://e.example.com/feeds/world/sub/a.html",
        "https://other.example.com/x/b.html",
        "https://e.example.com/c.html",
    ]


def test_ids_that_are_not_urls_do_not_become_links():
    body = b"""<rss version="2.0"><channel>
    <item><title>relative guid</title><guid>/p/2</guid></item>
    <item><title>absolute guid</title><guid>HTTPS://e.example.com/p/3</guid></item>
    </channel></rss>"""
    result = parse_feed(body, url="https://e.example.com/feed", source="x")
    assert [item["url"] for item in result.items] == ["https://e.example.com/p/3"]
    assert result.dropped == 1
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>t</title><id>2</id>
    </entry></feed>"""
    assert parse_feed(atom, url="https://e.example.com/feed", source="x").items == []


def test_guid_falls_back_to_the_url_then_to_a_content_hash():
    body = b"""<rss version="2.0"><channel><item><title>T</title><description>S</description>
    <enclosure url="https://e.example.com/a.mp3" type="audio/mpeg"/></item></channel></rss>"""
    (item,) = parse_feed(body, url=FEED_URL, source="x").items
    assert item["guid"] == item["url"] == "https://e.example.com/a.mp3"
    # Without any URL the entry yields no item; kept for diagnostics, it has a stable hash.
    body = body.replace(b'url="https://e.example.com/a.mp3"', b"")
    assert parse_feed(body, url=FEED_URL, source="x").items == []
    (kept,) = _parse(
        body, url=FEED_URL, source="x", headers=None, kind="rss", now=NOW, keep_without_url=True
    ).items
    assert kept["url"] is None and kept["guid"].startswith("sha256:")
    (again,) = _parse(
        body, url=FEED_URL, source="y", headers=None, kind="rss", now=NOW, keep_without_url=True
    ).items
    assert again["guid"] == kept["guid"]


def test_scrapy_style_bytes_headers_are_accepted():
    body = (DATA / "charset-cp1256-declared-utf8.xml").read_bytes()
    headers = {b"Content-Type": [b"application/rss+xml; charset=windows-1256"]}
    result = parse_feed(body, url=FEED_URL, source="x", headers=headers, now=NOW)
    assert result.items[0]["title"] == "باكستان وأفغانستان تتفقان على وقف إطلاق النار"
    assert result.error is None


# --- RSS 1.0, Atom 1.0, Atom 0.3 ---------------------------------------------------------------


def test_rss10_rdf():
    result = parse("rss10.rdf")
    assert result.is_feed and result.error is None
    assert result.title == "Kabul Bulletin"
    assert result.ttl_seconds == 86400 // 4  # sy:updatePeriod daily, sy:updateFrequency 4
    (item,) = result.items
    assert item["url"] == "https://www.example.org/2025/10/talks"
    assert item["title"] == "د پاکستان او افغانستان خبرې"
    assert item["summary"] == "Doha talks continue"
    assert item["published"] == "2025-10-25T13:30:00+00:00"  # +04:30 (Kabul) to UTC
    assert item["language"] == "ps"
    assert item["author"] == "Reporter One"


def test_atom10_base_titles_and_languages():
    result = parse("atom10.xml")
    assert result.is_feed and result.error is None
    assert result.title == "World news"
    assert result.ttl_seconds is None
    first, second, third = result.items
    assert first["url"] == "https://www.example.com/world/2025/10/26/doha-talks"  # xml:base
    assert first["title"] == "Talks in Doha"  # xhtml title to plain text
    assert first["summary"] == "Mediators from Qatar & Turkey."
    assert first["guid"] == "tag:example.com,2025:1"
    assert first["published"] == "2025-10-26T04:30:00+00:00"
    assert first["updated"] == "2025-10-26T06:00:00+00:00"
    assert first["author"] == "A. Correspondent"
    assert first["language"] == "en-gb"
    # An entry-level xml:base and xml:lang win over the feed's.
    assert second["url"] == "https://urdu.example.com/news/42"
    assert second["language"] == "ur"
    # type="text": angle brackets are text, not tags.
    assert second["title"] == "Plain <text> title"
    assert second["summary"] == "Content as plain text."
    # No link at all: an id that is an http(s) URL stands in.
    assert third["url"] == "https://www.example.com/world/only-id"
    assert third["published"] == "2025-10-26T12:30:00+00:00"  # no published: updated


def test_atom03():
    result = parse("atom03.xml")
    assert result.is_feed and result.error is None
    assert result.title == "Old Atom feed"
    (item,) = result.items
    assert item["url"] == "https://old.example.net/2025/10/20/border"
    assert item["title"] == "Border talks"  # base64 mode, HTML type
    assert item["summary"] == "Summary bold & more"
    assert item["published"] == "2025-10-20T06:00:00+00:00"  # issued, +01:00
    assert item["updated"] == "2025-10-20T08:00:00+00:00"  # modified


# --- Google News -------------------------------------------------------------------------------


def test_google_news_outlet_and_title_suffix():
    result = parse("gnews.xml", kind="gnews", source="reuters")
    assert result.is_feed and result.error is None
    first, second, third = result.items
    assert first["source"] == "Reuters"
    assert first["source_url"] == "https://www.reuters.com"
    assert first["title"] == "Pakistan and Afghanistan agree to ceasefire extension"
    assert first["url"] == "https://news.google.com/rss/articles/CBMiAAA?oc=5"  # kept as is
    assert first["guid"] == "CBMiAAA"
    assert first["published"] == "2025-10-26T09:30:00+00:00"
    # The suffix is removed only when it is the outlet's name.
    assert second["source"] == "DAWN.COM"
    assert second["title"] == "Border talks: what we know - Dawn - Pakistan"
    # Without a <source> element the caller's key stays.
    assert third["source"] == "reuters" and third["source_url"] is None


def test_google_news_suffix_is_matched_case_insensitively():
    body = (DATA / "gnews.xml").read_bytes().replace(b">Reuters</source>", b">REUTERS</source>")
    result = parse_feed(body, url=FEED_URL, source="reuters", kind="gnews", now=NOW)
    assert result.items[0]["title"] == "Pakistan and Afghanistan agree to ceasefire extension"
    assert result.items[0]["source"] == "REUTERS"


def test_plain_rss_kind_ignores_the_outlet():
    result = parse("gnews.xml", source="reuters")
    assert result.items[0]["source"] == "reuters"
    assert result.items[0]["title"].endswith(" - Reuters")


# --- Character sets ----------------------------------------------------------------------------


def test_declared_utf8_but_windows_1256():
    result = parse("charset-cp1256-declared-utf8.xml")
    assert result.title == "أخبار الحدود"
    (item,) = result.items
    assert item["title"] == "باكستان وأفغانستان تتفقان على وقف إطلاق النار"
    assert item["summary"] == "محادثات في إسطنبول بين الوفدين حول الحدود والتجارة"
    assert "declared as utf-8" in result.error and "cp1256" in result.error


def test_declared_utf8_but_latin1():
    result = parse("charset-latin1-declared-utf8.xml")
    assert result.items[0]["title"] == "Café à Genève : négociations"
    assert "declared as utf-8" in result.error


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/rss+xml; charset=utf-8"},
        {"Content-Type": "text/xml; charset=UTF-8"},
        None,
    ],
)
def test_http_charset_overrides_the_xml_prolog(headers):
    # The prolog says ISO-8859-1, the bytes are UTF-8.
    result = parse("charset-header-utf8-prolog-latin1.xml", headers=headers)
    assert result.items[0]["title"] == "کابل او اسلام آباد"


def test_text_xml_without_charset_is_not_read_as_ascii():
    body = (DATA / "rss10.rdf").read_bytes()
    result = parse_feed(body, url=FEED_URL, source="x", headers={"Content-Type": "text/xml"})
    assert result.error is None
    assert result.items[0]["title"] == "د پاکستان او افغانستان خبرې"


def test_utf16_feed():
    body = (DATA / "rss10.rdf").read_text(encoding="utf-8").replace('"utf-8"', '"utf-16"')
    result = parse_feed(body.encode("utf-16"), url=FEED_URL, source="x", now=NOW)
    assert result.items[0]["title"] == "د پاکستان او افغانستان خبرې"


# --- Not feeds and broken feeds ----------------------------------------------------------------


def test_malformed_feed_keeps_items_before_the_damage():
    result = parse("malformed.xml")
    assert result.is_feed
    assert result.error and "\n" not in result.error
    titles = [item["title"] for item in result.items]
    assert titles[:2] == ["First story survives", "Second story unclosed"]
    assert result.items[0]["published"] == "2025-10-26T09:30:00+00:00"


def test_html_page_is_not_a_feed():
    result = parse("page.html")
    assert result.is_feed is False
    assert result.items == [] and result.entries == 0
    assert result.error


@pytest.mark.parametrize("body", [b"", b"   \n\t ", b"\xef\xbb\xbf"])
def test_empty_body(body):
    result = parse_feed(body, url=FEED_URL, source="x")
    assert result.is_feed is False
    assert result.items == [] and result.entries == 0
    assert result.error


def test_body_that_names_a_local_file_is_not_opened():
    # feedparser, given a string, would try it as a path; parse_feed only hands it a stream.
    result = parse_feed(b"/etc/passwd", url=FEED_URL, source="x")
    assert result.is_feed is False and result.items == []
    assert "root:" not in all_text(result)


def test_gzip_body():
    body = gzip.compress((DATA / "atom03.xml").read_bytes())
    result = parse_feed(body, url=FEED_URL, source="x", now=NOW)
    assert result.items[0]["title"] == "Border talks"


def test_gzip_bomb_is_refused():
    bomb = gzip.compress(b"\0" * (60 * 1024 * 1024), compresslevel=9)
    result = parse_feed(bomb, url=FEED_URL, source="x")
    assert result.is_feed is False and "more than" in result.error


# --- XML attacks -------------------------------------------------------------------------------


def test_billion_laughs_is_refused_without_expansion():
    started = time.perf_counter()
    result = parse("billion-laughs.xml")
    assert time.perf_counter() - started < 1
    assert result.items == [] and result.is_feed is False
    assert "entities" in result.error
    assert "lollol" not in all_text(result)


def test_external_entity_is_refused_and_no_file_is_read():
    result = parse("external-entity.xml")
    assert result.items == [] and "entities" in result.error
    assert "root:" not in all_text(result)


def test_quadratic_blowup_is_refused_quickly():
    # One 100 KB entity used 20,000 times: unguarded feedparser builds a 2 GB title.
    body = (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "' + "A" * 100_000 + '">\n]>\n'
        '<rss version="2.0"><channel><item><title>' + "&a;" * 20_000 + "</title>"
        "<link>https://e.example.com/1</link></item></channel></rss>"
    ).encode()
    started = time.perf_counter()
    result = parse_feed(body, url=FEED_URL, source="x")
    assert time.perf_counter() - started < 1
    assert result.items == [] and "entities" in result.error


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-7", "unicode_escape", "cp037"])
def test_entity_declarations_cannot_hide_in_another_encoding(encoding):
    doc = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        '<!DOCTYPE rss [\n<!ENTITY a "AAAA">\n]>\n'
        '<rss version="2.0"><channel><item><title>&a;&a;</title>'
        "<link>https://e.example.com/1</link></item></channel></rss>"
    )
    if encoding == "unicode_escape":
        body = doc.replace("<!", "\\u003c!").encode("ascii")
    elif encoding == "utf-7":
        body = doc.replace("<!", "+ADwAIQ-").encode("ascii")
    else:
        body = doc.encode(encoding)
    result = parse_feed(body, url=FEED_URL, source="x")
    assert result.items == [] and "entities" in result.error


def test_doctype_without_entities_is_fine():
    body = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91'
        b'//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss version="0.91">'
        b"<channel><title>Old</title><item><title>Story</title>"
        b"<link>https://old.example.com/1</link></item></channel></rss>"
    )
    result = parse_feed(body, url=FEED_URL, source="x")
    assert result.error is None and result.items[0]["title"] == "Story"


# --- Never raises ------------------------------------------------------------------------------


def test_never_raises_on_truncations_and_noise():
    rng = random.Random(20251026)
    bodies: list[bytes] = [bytes(rng.randrange(256) for _ in range(n)) for n in (1, 10, 500)]
    for path in sorted(DATA.iterdir()):
        data = path.read_bytes()
        for cut in range(0, len(data), max(1, len(data) // 12)):
            bodies.append(data[:cut])
        noisy = bytearray(data)
        for _ in range(20):
            noisy[rng.randrange(len(noisy))] = rng.randrange(256)
        bodies.append(bytes(noisy))
    for body in bodies:
        for kind in ("rss", "gnews"):
            result = parse_feed(body, url=FEED_URL, source="x", kind=kind)
            assert isinstance(result, FeedResult)
            assert not (result.error or "").startswith("feed parsing failed"), result.error
            for item in result.items:
                assert item["url"].startswith(("http://", "https://"))


def test_odd_arguments_do_not_raise():
    body = (DATA / "atom10.xml").read_bytes()
    assert parse_feed(body, url="", source="x").items  # no base: absolute links only
    assert parse_feed(body, url="not a url", source="x", headers={"Content-Type": ""}).is_feed
    assert parse_feed(body.decode(), url=FEED_URL, source="x").items  # type: ignore[arg-type]
    assert parse_feed(None, url=FEED_URL, source="x").is_feed is False  # type: ignore[arg-type]


# --- html_to_text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("Example <b>Atom</b>", "Example Atom"),
        ("<p>one</p><p>two</p>", "one two"),
        ("a<br/>b", "a b"),
        ("Exam<b>ple</b>", "Example"),
        ("<script>alert(1)</script>safe <style>p{}</style>text", "safe text"),
        ("<!-- hidden -->shown", "shown"),
        ("a<![CDATA[<b>x</b>]]>b", "axb"),
        ("<style>unclosed", ""),
        ("<p>İstanbul <SCRIPT>x()</Script >talks</p>", "İstanbul talks"),
        ("History of the &lt;blink&gt; tag", "History of the <blink> tag"),
        ("5 < 6 &amp;&nbsp;7", "5 < 6 & 7"),
        ("don&#x2019;t", "don\u2019t"),
        ("", ""),
    ],
)
def test_html_to_text(html, text):
    assert html_to_text(html) == text


@pytest.mark.parametrize(
    "html",
    ["<script>" * 50_000, "<a" * 200_000, "<!--" * 100_000, "<![CDATA[" * 50_000, "<p" * 200_000],
)
def test_html_to_text_stays_linear_on_unclosed_markup(html):
    started = time.perf_counter()
    html_to_text(html)
    assert time.perf_counter() - started < 1


# --- dates -------------------------------------------------------------------------------------


def test_to_utc_iso_inputs():
    expected = "2025-10-26T04:30:00+00:00"
    assert to_utc_iso(time.struct_time((2025, 10, 26, 4, 30, 0, 6, 299, 0)), now=NOW) == expected
    assert to_utc_iso((2025, 10, 26, 4, 30, 0, 6, 299, 0), now=NOW) == expected
    pkt = timezone(timedelta(hours=5))
    assert to_utc_iso(datetime(2025, 10, 26, 9, 30, 0, 123456, tzinfo=pkt), now=NOW) == expected
    assert to_utc_iso(datetime(2025, 10, 26, 4, 30), now=NOW) == expected  # naive is UTC
    assert to_utc_iso("2025-10-26T09:30:00+05:00", now=NOW) == expected
    assert to_utc_iso("2025-10-26T04:30:00Z", now=NOW) == expected
    assert to_utc_iso("Sun, 26 Oct 2025 09:30:00 +0500", now=NOW) == expected
    assert to_utc_iso("Sun, 26 Oct 2025 09:30:00 PKT", now=NOW) == expected
    assert to_utc_iso("Sun, 26 Oct 2025 09:00:00 AFT", now=NOW) == expected
    assert to_utc_iso("Sun, 26 Oct 2025 04:30:00", now=NOW) == expected
    assert to_utc_iso(date(2025, 10, 26), now=NOW) == "2025-10-26T00:00:00+00:00"
    assert to_utc_iso("2025-10-26", now=NOW) == "2025-10-26T00:00:00+00:00"


@pytest.mark.parametrize("value", [None, "", "yesterday", "2025-13-45", (2025, 2, 30, 0, 0, 0), 42])
def test_to_utc_iso_unreadable(value):
    assert to_utc_iso(value, now=NOW) is None
    assert to_utc_datetime(value) is None


def test_plausibility_bounds():
    assert plausible(datetime(1995, 1, 1, tzinfo=UTC), NOW)
    assert not plausible(datetime(1994, 12, 31, 23, 59, tzinfo=UTC), NOW)
    assert plausible(NOW + timedelta(hours=23), NOW)
    assert not plausible(NOW + timedelta(days=1, seconds=1), NOW)
    assert plausible(datetime(2025, 10, 26, 12, 0), NOW)  # naive: UTC
    assert not plausible(None, NOW)
    assert to_utc_iso("1970-01-01T00:00:00Z", now=NOW) is None
    assert to_utc_iso("1970-01-01T00:00:00Z", check=False) == "1970-01-01T00:00:00+00:00"
    assert to_utc_iso("2030-01-01T00:00:00Z", now=NOW) is None
