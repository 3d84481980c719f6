"""Publication dates of article pages: the labelled page set, and the rules behind it.

tests/data/pages/dates/ holds fictional article pages in English, Urdu, Dari and Pashto, each
labelled in manifest.json with its publication day (the UTC day of the publication time; the
written day when the page gives no time). benchmarks/bench_page_dates.py prints the same
comparison with timings.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from htmldate import find_date

from crawler.dates import solar_hijri_to_gregorian, to_utc_iso
from crawler.extract import extract_article
from crawler.page_dates import HTMLDATE_FORMAT, url_date
from crawler.written_dates import find_written_dates, fold_text

PAGES = Path(__file__).parent / "data" / "pages" / "dates"
MANIFEST: list[dict[str, Any]] = json.loads((PAGES / "manifest.json").read_text("utf-8"))
NOW = datetime(2025, 11, 10, 12, 0, tzinfo=UTC)

# Where the date of each category's pages must come from.
EXPECTED_SOURCE = {
    "structured": "page",
    "conflicting": "page",
    "timezone": "page",
    "url_only": "url",
    "text_only": "page_text",
}


def _page(entry: dict[str, Any]) -> bytes:
    return (PAGES / entry["file"]).read_bytes()


def _borderwatch(entry: dict[str, Any]):
    return extract_article(_page(entry), entry["url"], now=NOW)


def _htmldate_extensive(entry: dict[str, Any]) -> str | None:
    found = find_date(
        _page(entry),
        url=entry["url"],
        original_date=True,
        extensive_search=True,
        outputformat=HTMLDATE_FORMAT,
    )
    converted = to_utc_iso(found, check=False) if found else None
    return converted[:10] if converted else None


def test_the_set_is_what_the_evaluation_claims() -> None:
    assert len(MANIFEST) >= 60
    assert {e["language"] for e in MANIFEST} == {"en", "ur", "fa", "ps"}
    assert {e["category"] for e in MANIFEST} >= {
        "structured", "updated", "url_only", "text_only", "conflicting", "timezone",
    }  # fmt: skip
    for entry in MANIFEST:
        date.fromisoformat(entry["day"])
        assert (PAGES / entry["file"]).is_file(), entry["file"]


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["file"] for e in MANIFEST])
def test_page_is_dated_to_its_labelled_day(entry: dict[str, Any]) -> None:
    result = _borderwatch(entry)
    assert result.published is not None, entry["what"]
    assert result.published[:10] == entry["day"], entry["what"]
    expected = EXPECTED_SOURCE.get(entry["category"])
    if expected:
        assert result.published_source == expected, entry["what"]


def test_accuracy_at_least_htmldate_best_mode_in_every_category() -> None:
    ours: Counter[str] = Counter()
    theirs: Counter[str] = Counter()
    for entry in MANIFEST:
        published = _borderwatch(entry).published or ""
        ours[entry["category"]] += published[:10] == entry["day"]
        theirs[entry["category"]] += _htmldate_extensive(entry) == entry["day"]
    for category in {e["category"] for e in MANIFEST}:
        assert ours[category] >= theirs[category], category
    assert ours.total() >= theirs.total()


# -- the rules, one by one ------------------------------------------------------------------------

URL = "https://frontier.example/news/story"


def _html(head: str = "", body: str = "") -> bytes:
    paragraphs = "".join(
        f"<p>Officials from Islamabad and Kabul met again to discuss the ceasefire, the trade "
        f"crossings and the return of refugees; paragraph {n} of the story goes on.</p>"
        for n in range(4)
    )
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Talks</title>{head}'
        f"</head><body><main><article><h1>Talks resume</h1>{body}{paragraphs}</article></main>"
        "<footer><p>© 2025 Frontier</p></footer></body></html>"
    ).encode()


def _date(page: bytes, url: str = URL) -> tuple[str | None, str | None]:
    result = extract_article(page, url, now=NOW)
    return result.published, result.published_source


def test_modification_dates_alone_give_no_page_date() -> None:
    page = _html(
        '<meta property="article:modified_time" content="2025-11-06T12:00:00+05:00">'
        '<script type="application/ld+json">{"@type": "NewsArticle",'
        ' "dateModified": "2025-11-06T12:00:00+05:00"}</script>',
        '<p class="updated">Updated: 6 November 2025</p>',
    )
    # htmldate's original-date mode answers 2025-11-06 here; the feed's date must stay.
    assert find_date(page, original_date=True) == "2025-11-06"
    assert _date(page) == (None, None)


def test_a_copyright_year_is_not_a_publication_date() -> None:
    page = _html()
    assert find_date(page, original_date=True) == "2025-01-01"
    assert _date(page) == (None, None)


def test_implausible_structured_date_gives_way_to_the_url() -> None:
    page = _html('<meta property="article:published_time" content="2031-05-01T10:00:00Z">')
    assert _date(page, "https://frontier.example/2025/10/23/talks/") == (
        "2025-10-23T00:00:00+00:00",
        "url",
    )


def test_broken_json_ld_with_trailing_commas_is_read() -> None:
    page = _html(
        '<script type="application/ld+json">{"@type": "NewsArticle",'
        ' "datePublished": "2025-10-24T10:00:00+05:00",}</script>'
    )
    assert _date(page) == ("2025-10-24T05:00:00+00:00", "page")


def test_microdata_of_comments_is_not_the_article() -> None:
    comment = (
        '<section class="comments"><div itemscope itemtype="https://schema.org/Comment">'
        '<time itemprop="datePublished" datetime="2025-11-08T10:00:00Z">8 Nov</time></div>'
        "</section>"
    )
    page = _html(body='<p class="byline">By Desk · 25 October 2025</p>' + comment)
    assert _date(page) == ("2025-10-25T00:00:00+00:00", "page_text")


def test_written_time_with_a_zone_moves_the_utc_day() -> None:
    page = _html(body='<p class="byline">Published 27 Oct 2025, 02:00 PKT</p>')
    assert _date(page) == ("2025-10-26T21:00:00+00:00", "page_text")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.example/2025/10/26/talks/", date(2025, 10, 26)),
        ("https://x.example/news/2025-10-29/torkham", date(2025, 10, 29)),
        ("https://x.example/story/20251031/ceasefire", date(2025, 10, 31)),
        ("https://x.example/2025/10/talks/", None),  # a month is not a day
        ("https://x.example/news/talks-2025-11-06-preview", None),  # an event in a slug
        ("https://x.example/news/12345678901/story", None),
        ("https://x.example/2025/13/40/story", None),
    ],
)
def test_url_dates(url: str, expected: date | None) -> None:
    assert url_date(url) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("October 24, 2025", "2025-10-24"),
        ("Sunday 2nd November 2025", "2025-11-02"),
        ("27/10/2025", "2025-10-27"),
        ("10/27/2025", "2025-10-27"),  # month first when day first is impossible
        ("شائع 24 اکتوبر 2025ء", "2025-10-24"),
        ("جمعرات ۳۰ اکتوبر ۲۰۲۵ء", "2025-10-30"),
        ("٣٠ اکتوبر ٢٠٢٥", "2025-10-30"),
        ("یکشنبه ۴ عقرب ۱۴۰۴", "2025-10-26"),
        ("۱۰ آبان ۱۴۰۴", "2025-11-01"),
        ("کابل، ۲۱ اکتوبر ۲۰۲۵", "2025-10-21"),
        ("۲۶ اکتبر ۲۰۲۵", "2025-10-26"),
        ("۱۴۰۴ د لړم ۱۲مه", "2025-11-03"),
        ("د ۲۰۲۵ کال د اکتوبر ۲۹مه", "2025-10-29"),
        ("۱۴۰۴/۸/۴", "2025-10-26"),
    ],
)
def test_written_dates(text: str, expected: str) -> None:
    found = find_written_dates(fold_text(text))
    assert [f.day.isoformat() for f in found] == [expected]


@pytest.mark.parametrize(
    "text", ["۱۸ جمادی الاول ۱۴۴۷ھ", "4 اکتوبر 1404", "32 October 2025", "the 2025 season"]
)
def test_not_dates(text: str) -> None:
    assert find_written_dates(fold_text(text)) == []


@pytest.mark.parametrize(
    ("solar", "gregorian"),
    [
        ((1357, 11, 22), date(1979, 2, 11)),
        ((1400, 1, 1), date(2021, 3, 21)),
        ((1403, 12, 30), date(2025, 3, 20)),  # a leap year's last day
        ((1404, 1, 1), date(2025, 3, 21)),
        ((1404, 8, 4), date(2025, 10, 26)),
        ((1404, 10, 1), date(2025, 12, 22)),
    ],
)
def test_solar_hijri_to_gregorian(solar: tuple[int, int, int], gregorian: date) -> None:
    assert solar_hijri_to_gregorian(*solar) == gregorian


def test_solar_hijri_rejects_days_that_do_not_exist() -> None:
    assert solar_hijri_to_gregorian(1404, 12, 30) is None  # 1404 is not a leap year
    assert solar_hijri_to_gregorian(1404, 7, 31) is None
    assert solar_hijri_to_gregorian(1250, 1, 1) is None
