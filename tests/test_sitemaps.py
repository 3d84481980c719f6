"""parse_sitemap on news sitemaps, sitemap indexes, gzip'd and hostile documents."""

from __future__ import annotations

import gzip
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.documents import decompress_gzip
from crawler.kinds.sitemap import SitemapResult, parse_sitemap

DATA = Path(__file__).resolve().parent / "data" / "feeds"
NOW = datetime(2025, 10, 27, 12, 0, tzinfo=UTC)
SITEMAP_URL = "https://www.aljazeera.com/news-sitemap.xml"


def parse(body: bytes, **kwargs) -> SitemapResult:
    kwargs.setdefault("url", SITEMAP_URL)
    kwargs.setdefault("source", "aljazeera")
    kwargs.setdefault("now", NOW)
    return parse_sitemap(body, **kwargs)


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_news_sitemap_fields():
    result = parse(fixture("news-sitemap.xml"))
    assert result.error is None and result.sitemaps == []
    assert len(result.items) == 3 and result.dropped == 1  # the ftp:// location
    news, plain, relative = result.items

    assert news["url"] == "https://www.aljazeera.com/news/2025/10/26/pakistan-afghanistan-talks"
    assert news["title"] == "Pakistan & Afghanistan resume talks in Istanbul"
    assert news["published"] == "2025-10-26T07:15:00+00:00"  # news:publication_date, +03:00
    assert news["updated"] == "2025-10-26T08:00:00+00:00"  # lastmod
    assert news["language"] == "en"
    assert news["publication_name"] == "Al Jazeera"
    assert news["source"] == "aljazeera" and news["feed_url"] == SITEMAP_URL
    assert news["published_source"] == "sitemap"
    assert news["guid"] == news["url"]
    assert news["summary"] is None and news["author"] is None and news["source_url"] is None

    # Without the news extension, <lastmod> is the date.
    assert plain["url"] == "https://www.aljazeera.com/news/2025/10/25/torkham"
    assert plain["published"] == "2025-10-25T00:00:00+00:00"
    assert plain["title"] is None and plain["language"] is None

    # A relative location resolves against the sitemap; a 1970 date is no date.
    assert relative["url"] == "https://www.aljazeera.com/news/2025/10/24/relative"
    assert relative["published"] is None
    assert relative["language"] == "ar"


def test_sitemap_index_lists_child_sitemaps():
    result = parse(fixture("sitemap-index.xml"), url="https://www.example.com/sitemap.xml")
    assert result.items == [] and result.error is None
    assert result.sitemaps == [
        "https://www.example.com/sitemaps/news-1.xml",
        "https://www.example.com/sitemaps/news-2.xml.gz",
    ]
    assert result.dropped == 1  # mailto:


def test_gzipped_sitemap():
    result = parse(gzip.compress(fixture("news-sitemap.xml")))
    assert result.error is None and len(result.items) == 3


def test_gzip_bomb_is_refused():
    bomb = gzip.compress(b"<" + b" " * (51 * 1024 * 1024), compresslevel=9)
    started = time.perf_counter()
    result = parse(bomb)
    assert time.perf_counter() - started < 5
    assert result.items == [] and "more than" in result.error


def test_decompress_gzip_limits():
    data = b"x" * 1000
    assert decompress_gzip(gzip.compress(data), limit=1000) == data
    assert decompress_gzip(gzip.compress(data) + gzip.compress(data), limit=2000) == data * 2
    with pytest.raises(ValueError, match="more than"):
        decompress_gzip(gzip.compress(data), limit=999)
    with pytest.raises(ValueError, match="truncated"):
        decompress_gzip(gzip.compress(data)[:-12], limit=2000)
    with pytest.raises(ValueError, match="invalid"):
        decompress_gzip(b"\x1f\x8b" + b"garbage" * 5, limit=2000)


def test_truncated_gzip_is_an_error_not_an_exception():
    result = parse(gzip.compress(fixture("news-sitemap.xml"))[:-20])
    assert result.items == [] and result.error


def test_malformed_sitemap_keeps_urls_before_the_damage():
    body = fixture("news-sitemap.xml")
    cut = body.index(b"<url>", body.index(b"torkham"))
    result = parse(body[:cut] + b"<url><loc>https://www.aljazeera.com/x</lo")
    assert result.error and result.error.startswith("malformed XML")
    urls = [item["url"] for item in result.items]
    assert urls[:2] == [
        "https://www.aljazeera.com/news/2025/10/26/pakistan-afghanistan-talks",
        "https://www.aljazeera.com/news/2025/10/25/torkham",
    ]


def test_text_sitemap():
    body = b"https://www.example.com/a\n\nhttps://www.example.com/b\r\nnot a url\n"
    result = parse(body, url="https://www.example.com/sitemap.txt")
    assert [item["url"] for item in result.items] == [
        "https://www.example.com/a",
        "https://www.example.com/b",
    ]
    assert result.dropped == 1
    assert all(item["published_source"] == "sitemap" for item in result.items)


def test_not_a_sitemap():
    result = parse(fixture("rss20.xml"))
    assert result.items == [] and result.sitemaps == []
    assert "not a sitemap" in result.error


@pytest.mark.parametrize("body", [b"", b"  \n", b"\x00\x01\x02", b"<html><body>hi</body></html>"])
def test_empty_and_junk(body):
    result = parse(body)
    assert result.items == [] and result.error


def test_billion_laughs_is_not_expanded():
    entities = "".join(
        f'<!ENTITY l{i} "' + (f"&l{i - 1};" * 10 if i else "lol") + '">\n' for i in range(10)
    )
    body = (
        f'<?xml version="1.0"?>\n<!DOCTYPE urlset [\n{entities}]>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>https://www.example.com/&l9;</loc><lastmod>2025-10-26</lastmod></url>"
        "</urlset>"
    ).encode()
    started = time.perf_counter()
    result = parse(body)
    assert time.perf_counter() - started < 1
    assert "lollol" not in repr(result)


def test_external_entity_is_not_resolved():
    body = (
        b'<?xml version="1.0"?>\n<!DOCTYPE urlset [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://www.example.com/a</loc>"
        b'<news:news xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        b"<news:title>leak &x;</news:title></news:news></url></urlset>"
    )
    result = parse(body)
    assert "root:" not in repr(result)
    assert result.items[0]["url"] == "https://www.example.com/a"
    assert result.items[0]["title"] == "leak"


def test_never_raises_on_truncations():
    for name in ("news-sitemap.xml", "sitemap-index.xml"):
        data = fixture(name)
        for cut in range(0, len(data), 7):
            result = parse(data[:cut])
            assert isinstance(result, SitemapResult)
            assert not (result.error or "").startswith("sitemap parsing failed"), result.error
