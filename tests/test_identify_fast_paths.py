"""The fast paths of the identify stages give what the general code gives.

``split_url`` must equal ``urlsplit``, ``canonical_url`` the straightforward urllib version
kept here as the reference, the outlet stripping of titles the version that always runs the
outlet pattern, and ``items_to_frame`` and ``drop_exact_duplicates`` their first, plainer
pandas versions; each over many varied inputs, invalid ones included.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re
import unicodedata
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import pandas as pd
import pytest

from pipeline import canonical as canon
from pipeline.items import FIELDS
from pipeline.stages import normalize as norm
from pipeline.stages.attribution import resolve_sources
from pipeline.stages.prepare import TEXT_COLUMNS, _utc_naive, items_to_frame
from pipeline.urls import split_url

PREFIXES = [
    "https://",
    "http://",
    "HTTPS://",
    "Http://",
    "hTTps://",
    "ftp://",
    "//",
    "",
    " https://",
    "\x00https://",
    "\thttps://",
    "ht\ttps://",
    "https:",
    "https:/",
    "https:///",
    "https:\\\\",
    "mailto:",
    "https+x://",
    "1http://",
]
NETLOCS = [
    "dawn.com",
    "www.dawn.com",
    "WWW.Dawn.COM",
    "m.dawn.com",
    "amp.dawn.com",
    "mobile.dawn.com",
    "m.tv",
    "www.bbc.co.uk",
    "dawn.com.",
    "www.dawn.com.",
    "dawn.com:443",
    "dawn.com:80",
    "dawn.com:8443",
    "dawn.com:0",
    "dawn.com:port",
    "dawn.com:99999",
    "dawn.com:",
    "dawn.com:+80",
    "dawn.com:٨٠",
    "user:pw@dawn.com",
    "user@www.dawn.com:443",
    "a@b@dawn.com",
    "[::1]",
    "[::1]:8080",
    "[fe80::1%25eth0]:80",
    "[v1.fe80::a]",
    "[127.0.0.1]",
    "[::1",
    "::1]",
    "[not-ip]",
    "bücher.de",
    "www.BÜCHER.de:8080",
    "xn--bcher-kva.de",
    "例え.jp",
    "\u2100.org",
    "ｄａｗｎ.com",
    "bad host.com",
    "",
    "127.0.0.1:80",
    "dawn.com\t",
    "da\nwn.com",
    "a.b.c.d.e.f",
    "-.-",
    "%41.com",
]
PATHS = [
    "",
    "/",
    "/news/1001/talks",
    "/news/1001/talks/",
    "//a//b///",
    "/latest/5001-talks/amp",
    "/amp",
    "/amp/",
    "/amp//",
    "/x/AMP",
    "/x/amp/y",
    "/story/77/talks.amp.html",
    "/talks.amp.htm",
    "/talks.amp",
    "/talks.amp.htmlx",
    "/amp.html",
    "/a.amp/b",
    "/urdu/%d9%85%d8%b0",
    "/urdu/%D9%85%D8%B0",
    "/urdu/مذ",
    "/a%2Fb",
    "/a%2fb/amp",
    "/%7Euser",
    "/%2E%2E/x",
    "/a b",
    "/a%20b",
    "/a+b",
    "/semi;colon=1",
    "/it's/(x)*!",
    "/%",
    "/%zz",
    "/%E2%82",
    "/été",
    "/a\\b",
    '/a"b<c>',
    "/a\x01b",
    "/a\n/amp",
    "/trailing\n",
    "/emoji/😀",
    "/a/../b/./c",
    "/:@!$&'()*+,;=-._~",
    "/a[1]",
    "/a`b^c{d}|",
]
QUERIES = [
    "",
    "?",
    "?utm_source=rss",
    "?UTM_Medium=feed&id=5",
    "?b=2&a=1",
    "?a=&b",
    "?a=1&a=2",
    "?fbclid=x&gclid=y&page=2",
    "?outputType=amp",
    "?amp",
    "?AMP=1",
    "?Ref=home&x=1",
    "?ref_src=twsrc",
    "?wt.mc_id=1&k=v",
    "?WT.MC_ID=1",
    "?pk_campaign=x&q=1",
    "?q=a+b%20c",
    "?q=%E2%82%AC",
    "?q=€",
    "?a=1;b=2",
    "?a=%zz",
    "?&&",
    "?=x",
    "?x==y",
    "?a=1?b=2",
    "?mtm_source=a&Mtm_X=b&z",
    "?%75tm_source=x",
    "?utm_source",
    "?[x]=1",
]
FRAGMENTS = ["", "#", "#top", "#a?b", "#a#b", "#utm_source=x", "#\n"]


def _reference_canonical_url(url: str) -> str:
    """canonical_url as first written: urllib from end to end."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = canon._fold_host(parts.hostname or "")
    try:
        port = parts.port
    except ValueError:
        port = None
    port = port if port and port != canon.DEFAULT_PORTS.get(scheme) else None
    netloc = f"{host}:{port}" if port else host
    path = quote(unquote(parts.path or "/"), safe=canon._PATH_SAFE)
    path = re.sub(r"/{2,}", "/", path)
    path = re.sub(r"/amp/?$", "/", path)
    path = re.sub(r"\.amp(\.html?)?$", r"\1", path)
    if len(path) > 1:
        path = path.rstrip("/")
    params = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not canon._is_tracking(k)
    ]
    query = urlencode(sorted(params), doseq=True)
    return urlunsplit(("https" if scheme in ("http", "https") else scheme, netloc, path, query, ""))


def _urls() -> list[str]:
    """Every value of each part at least once, then a seeded sample of combinations."""
    urls = []
    base = ("https://", "www.dawn.com", "/news/1", "?id=5", "#top")
    for position, values in enumerate((PREFIXES, NETLOCS, PATHS, QUERIES, FRAGMENTS)):
        for value in values:
            parts = list(base)
            parts[position] = value
            urls.append("".join(parts))
    rng = random.Random(20251027)
    common = PREFIXES[:6]  # mostly http(s), the links that matter
    for _ in range(25000):
        prefix = rng.choice(common if rng.random() < 0.8 else PREFIXES)
        rest = (rng.choice(part) for part in (NETLOCS, PATHS, QUERIES, FRAGMENTS))
        urls.append(prefix + "".join(rest))
    # Surrounding space (canonical_url strips it) and upper-case escapes in the query.
    urls += [f"  {u}\n" for u in urls[:500]] + [u.upper() for u in urls[:500]]
    return urls


URLS = _urls()


def _outcome(function, *args):
    try:
        return "ok", function(*args)
    except ValueError as exc:
        return type(exc), str(exc)


def test_split_url_equals_urlsplit() -> None:
    differ = [u for u in URLS if _outcome(split_url, u) != _outcome(urlsplit.__wrapped__, u)]
    assert differ == []


def test_split_url_takes_the_fast_path_for_plain_links(monkeypatch) -> None:
    # Guards the speed: plain article links must not fall through to urlsplit.
    plain = ["https://www.dawn.com/news/1?utm_source=rss#x", "http://a.org", "https://a.org?x"]
    expected = [urlsplit(u) for u in plain]
    monkeypatch.setattr("pipeline.urls.urlsplit", None)
    assert [split_url(u) for u in plain] == expected


def test_canonical_url_equals_the_reference() -> None:
    # A second pass over some is answered from the host and query caches.
    for url in URLS + URLS[::10]:
        assert _outcome(canon.canonical_url, url) == _outcome(_reference_canonical_url, url), url


def test_preferred_url_is_unchanged_by_the_fast_split() -> None:
    canonicals = ["/rel/path", "https://epaper.dawn.com/x", "https://dawn.com/", "//geo.tv/x"]
    for url, canonical in itertools.product(URLS[:3000:7], canonicals):
        assert _outcome(canon.preferred_url, url, canonical, "https://www.dawn.com") == _outcome(
            _reference_preferred_url, url, canonical, "https://www.dawn.com"
        )


def _reference_preferred_url(url: str, canonical: str, source_url: str) -> str:
    from urllib.parse import urljoin

    candidate = urljoin(url, canonical.strip())
    target = urlsplit(candidate)
    if target.scheme.lower() not in ("http", "https") or not target.hostname:
        return url
    article = urlsplit(url)
    if target.path.strip("/") == "" and article.path.strip("/") != "":
        return url
    target_site = canon._site(canon._fold_host(target.hostname))
    sites = {canon._site(canon._fold_host(article.hostname or ""))}
    sites.add(canon._site(canon._fold_host(urlsplit(source_url).hostname or "")))
    if target_site in sites or canon._fold_host(article.hostname or "") in canon.AGGREGATOR_HOSTS:
        return candidate
    return url


TITLES = [
    "Talks resume in Istanbul",
    "Dawn: Talks resume in Istanbul",
    "DAWN | Talks resume",
    "Talks resume - Dawn",
    "Talks resume – The Express Tribune",
    "Talks resume — Geo News ",
    "Talks resume • Dawn",
    "Talks resume · Dawn",
    "Dawn",
    "Dawn:",
    "Dawn - ",
    "Pakistan: talks resume",
    "  Dawn :  Talks  ",
    "مذاکرات دوبارہ شروع - جیو نیوز",
    "جیو نیوز: مذاکرات",
    "ﬁnal talks | Dawn",
    "Ｄａｗｎ： talks",
    "Talks\u00a0-\u00a0Dawn",
    "Dawn\u2028: talks",
    "no separators at all",
    "x-y",
    "a|b",
]
NAMES = [(), ("Dawn",), ("Geo News", "جیو نیوز"), ("The Express Tribune", "Dawn"), ("",), ("Da.n",)]


def _reference_strip_outlet(title: str, names: tuple[str, ...]) -> str:
    text = unicodedata.normalize("NFKC", title).strip()
    pattern = norm._outlet_pattern(names)
    if pattern is None:
        return text
    return pattern.sub("", text).strip() or text


@pytest.mark.parametrize("names", NAMES)
def test_strip_outlet_equals_the_reference(names: tuple[str, ...]) -> None:
    for title in TITLES:
        assert norm.strip_outlet(title, names) == _reference_strip_outlet(title, names)


def test_normalize_hashes_as_content_hash_does() -> None:
    items = [
        {"url": "https://a.org/1", "title": "T", "summary": "s", "text": "full text"},
        {"url": "https://a.org/2", "title": "T", "summary": "s"},
        {"url": "https://a.org/3", "title": "T"},
        {"url": "https://a.org/4", "text": "only text"},
        {"url": "https://a.org/5"},
        {"url": "https://a.org/6", "title": "ٹ\x1fx", "summary": "é"},
    ]
    frame = norm.normalize(items_to_frame(items, dt.datetime(2025, 10, 27)), {})
    expected = [norm.content_hash(i.get("title"), i.get("text") or i.get("summary")) for i in items]
    assert frame["content_hash"].tolist() == expected


def _reference_items_to_frame(items: list[dict], now: dt.datetime) -> pd.DataFrame:
    """items_to_frame as first written: from_records, then a conversion per column."""
    frame = pd.DataFrame.from_records(list(items), columns=list(FIELDS))
    for column in TEXT_COLUMNS:
        frame[column] = frame[column].astype("string")
    frame["published_at"] = _utc_naive(frame["published"])
    frame["collected_at"] = _utc_naive(frame["collected_at"]).fillna(pd.Timestamp(now))
    future = frame["published_at"] > frame["collected_at"] + pd.Timedelta(hours=1)
    frame.loc[future, "published_at"] = pd.NaT
    has_date = frame["published_at"].notna()
    frame["published_source"] = frame["published_source"].where(has_date, "collected")
    frame.loc[has_date & frame["published_source"].isna(), "published_source"] = "feed"
    when = frame["published_at"].where(has_date, frame["collected_at"])
    frame["day"] = when.dt.date
    frame["text_status"] = frame["text_status"].fillna("not_fetched")
    return frame.drop(columns=["published", "updated"])


def _reference_drop_exact_duplicates(frame: pd.DataFrame) -> pd.DataFrame:
    """drop_exact_duplicates as first written: the wide frame sorted and deduplicated."""
    if frame.empty:
        return frame
    richness = frame["text"].fillna("").str.len() + frame["summary"].fillna("").str.len()
    order = frame.assign(_richness=richness).sort_values(
        ["_richness", "collected_at"], ascending=[False, True], kind="stable"
    )
    return order.drop_duplicates("canonical_url").drop(columns="_richness").sort_index()


def _assert_same_frame(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert type(got.index) is type(expected.index)
    assert [type(got[c].array) for c in got] == [type(expected[c].array) for c in expected]


DATES = [
    "2025-10-01T00:00:00+00:00",
    "2025-10-01",
    "2025-10-01T23:30:00-05:00",
    "2025-09-30T23:00:00.5Z",
    "2030-01-01T00:00:00Z",
    "garbage",
]


def _random_items(rng: random.Random, count: int) -> list[dict]:
    items = []
    for _ in range(count):
        item = {"url": rng.choice(["https://a.org/1", "https://www.a.org/1?utm_source=x", "u"])}
        for field in ("published", "collected_at", "updated"):
            if rng.random() < 0.6:
                item[field] = rng.choice(DATES)
        for field in ("published_source", "text_status", "title", "summary", "text", "source"):
            if rng.random() < 0.5:
                item[field] = rng.choice(["feed", "page", "ok", "", "x" * rng.randint(1, 9)])
        items.append(item)
    return items


@pytest.mark.parametrize("seed", range(40))
def test_items_to_frame_and_drop_exact_duplicates_equal_the_reference(seed: int) -> None:
    rng = random.Random(seed)
    items = _random_items(rng, rng.choice([0, 1, 2, 5, 30]))
    for now in (dt.datetime(2026, 1, 1), dt.datetime(2025, 10, 1, 12)):
        frame = items_to_frame(items, now)
        _assert_same_frame(frame, _reference_items_to_frame(items, now))
        frame = norm.normalize(frame, {})
        # Also an index with gaps, out of order and with repeated labels.
        for index in (None, rng.sample(range(100), len(frame)), [3, 1] * (len(frame) // 2)):
            if index is not None and len(index) == len(frame):
                frame = frame.set_axis(index)
            expected = _reference_drop_exact_duplicates(frame)
            _assert_same_frame(norm.drop_exact_duplicates(frame), expected)


def test_stages_leave_the_callers_frame_alone() -> None:
    items = _random_items(random.Random(1), 20)
    frame = items_to_frame(items, dt.datetime(2026, 1, 1))
    before = frame.copy()
    resolved = resolve_sources(frame, {"feed": "feed-key"})
    _assert_same_frame(frame, before)
    before = resolved.copy()
    norm.normalize(resolved, {"feed-key": ["Feed"]})
    _assert_same_frame(resolved, before)
