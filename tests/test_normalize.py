"""Canonical URLs, the trust rules for a page's canonical link, and title keys."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipeline.stages.normalize import (
    canonical_url,
    drop_exact_duplicates,
    normalize,
    preferred_url,
    title_key,
)
from pipeline.stages.prepare import items_to_frame


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # scheme and host folded, www. dropped, fragment dropped
        ("HTTP://WWW.Dawn.COM/news/1001/talks#comments", "https://dawn.com/news/1001/talks"),
        # mobile and AMP hosts and suffixes
        ("https://m.dawn.com/news/1001/talks/", "https://dawn.com/news/1001/talks"),
        ("https://amp.dawn.com/news/1001/talks", "https://dawn.com/news/1001/talks"),
        ("https://www.geo.tv/latest/5001-talks/amp", "https://geo.tv/latest/5001-talks"),
        (
            "https://tribune.com.pk/story/77/talks.amp.html",
            "https://tribune.com.pk/story/77/talks.html",
        ),
        ("https://arynews.tv/talks/?outputType=amp", "https://arynews.tv/talks"),
        # tracking parameters go, compared case-insensitively; the rest is sorted
        (
            "https://dawn.com/news/1?utm_source=rss&UTM_Medium=feed&fbclid=x&gclid=y&page=2"
            "&mc_cid=a&MC_EID=b&cmpid=c&ref=home&ref_src=twsrc&_ga=1.2&id=5",
            "https://dawn.com/news/1?id=5&page=2",
        ),
        ("https://dawn.com/news/1?b=2&a=1", "https://dawn.com/news/1?a=1&b=2"),
        # default ports go, others stay; a broken port does not break the batch
        ("https://dawn.com:443/news/1", "https://dawn.com/news/1"),
        ("http://dawn.com:80/news/1", "https://dawn.com/news/1"),
        ("https://dawn.com:8443/news/1", "https://dawn.com:8443/news/1"),
        ("https://dawn.com:port/news/1", "https://dawn.com/news/1"),
        # one spelling of percent-encoding and of non-ASCII paths
        ("https://bbc.com/urdu/%d9%85%d8%b0", "https://bbc.com/urdu/%D9%85%D8%B0"),
        ("https://bbc.com/urdu/مذ", "https://bbc.com/urdu/%D9%85%D8%B0"),
        # a two-label host keeps its www-like first label
        ("https://m.tv/news/1", "https://m.tv/news/1"),
        ("https://www.bbc.co.uk/news/1", "https://bbc.co.uk/news/1"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected
    assert canonical_url(expected) == expected  # idempotent


@pytest.mark.parametrize(
    ("url", "canonical", "source_url", "expected"),
    [
        # the page's canonical link wins on its own site, also from another subdomain
        (
            "https://dawn.com/news/1?from=rss",
            "https://www.dawn.com/news/1",
            None,
            "https://www.dawn.com/news/1",
        ),
        (
            "https://m.dawn.com/news/1",
            "https://epaper.dawn.com/news/1",
            None,
            "https://epaper.dawn.com/news/1",
        ),
        # relative canonical links are resolved against the article URL
        ("https://geo.tv/a/1", "/latest/1-talks", None, "https://geo.tv/latest/1-talks"),
        # behind an aggregator's redirect the outlet's canonical link is the article
        (
            "https://news.google.com/rss/articles/CBMi",
            "https://dawn.com/news/9",
            None,
            "https://dawn.com/news/9",
        ),
        # ... and so is one on the outlet's own site given as source_url
        (
            "https://cdn.example.net/x",
            "https://dawn.com/news/9",
            "https://www.dawn.com",
            "https://dawn.com/news/9",
        ),
        # a syndicated copy naming the original publisher stays the outlet's own article
        ("https://geo.tv/latest/7", "https://dawn.com/news/9", None, "https://geo.tv/latest/7"),
        # a template that names the home page as every page's canonical is ignored
        ("https://geo.tv/latest/7", "https://geo.tv/", None, "https://geo.tv/latest/7"),
        # not http(s), empty or missing
        ("https://geo.tv/latest/7", "javascript:void(0)", None, "https://geo.tv/latest/7"),
        ("https://geo.tv/latest/7", "", None, "https://geo.tv/latest/7"),
        ("https://geo.tv/latest/7", None, None, "https://geo.tv/latest/7"),
    ],
)
def test_preferred_url(url, canonical, source_url, expected) -> None:
    assert preferred_url(url, canonical, source_url) == expected


@pytest.mark.parametrize(
    ("title", "outlets", "expected"),
    [
        ("Dawn: Talks resume in Istanbul", ["Dawn"], "talks resume in istanbul"),
        ("Talks resume in Istanbul - Dawn", ["Dawn"], "talks resume in istanbul"),
        ("Talks Resume In Istanbul | Geo News", ["Geo News"], "talks resume in istanbul"),
        ("GEO NEWS | Talks resume — in “Istanbul”!", ["Geo News"], "talks resume in istanbul"),
        (
            "Talks resume in Istanbul – The Express Tribune",
            ["The Express Tribune"],
            "talks resume in istanbul",
        ),
        # a colon that is not after an outlet name stays part of the title (as a space)
        ("Pakistan: talks resume", ["Dawn"], "pakistan talks resume"),
        # a title that is only the outlet's name is kept, not emptied
        ("Dawn", ["Dawn"], "dawn"),
        # Arabic-script variants fold together: ہ/ه, ZWNJ, diacritics
        ("مذاکرات دوبارہ شروع - جیو نیوز", ["جیو نیوز"], "مذاکرات دوباره شروع"),
        ("گفت‌وگوها ادامه دارد", [], "گفتوگوها ادامه دارد"),
        ("Türkiye hosts talks", [], "turkiye hosts talks"),
        ("", ["Dawn"], None),
        (None, ["Dawn"], None),
    ],
)
def test_title_key(title, outlets, expected) -> None:
    assert title_key(title, outlets) == expected


def test_normalize_keeps_the_published_title_and_uses_outlet_names() -> None:
    items = [
        {
            "url": "https://www.dawn.com/news/1?utm_source=rss",
            "title": "Dawn: Talks resume in Istanbul",
            "source": "dawn",
            "canonical": "https://www.dawn.com/news/1",
        },
        {
            "url": "https://reuters.com/world/x?ref=rss",
            "title": "Talks resume in Istanbul - Reuters",
            "source": "reuters.com",
        },
    ]
    frame = items_to_frame(items, dt.datetime(2025, 10, 27))
    frame["source_name"] = pd.array([None, "Reuters"], dtype="string")
    out = normalize(frame, {"dawn": ["Dawn"]})
    assert list(out["title"]) == [i["title"] for i in items]
    assert list(out["title_key"]) == ["talks resume in istanbul"] * 2
    assert list(out["canonical_url"]) == ["https://dawn.com/news/1", "https://reuters.com/world/x"]


def test_exact_duplicates_keep_the_richest_copy() -> None:
    items = [
        {"url": "https://dawn.com/news/1?utm_source=a", "title": "T", "summary": "short"},
        {"url": "https://www.dawn.com/news/1", "title": "T", "text": "the full text of it"},
        {"url": "https://dawn.com/news/2", "title": "Other"},
    ]
    frame = normalize(items_to_frame(items, dt.datetime(2025, 10, 27)), {})
    kept = drop_exact_duplicates(frame)
    assert len(kept) == 2
    assert kept.loc[kept["canonical_url"] == "https://dawn.com/news/1", "text"].item() == (
        "the full text of it"
    )
