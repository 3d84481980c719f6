"""The sample site's outlets and articles as plain data (the prose lives in ``articles_*``).

Every outlet and every article is fictional. Dates are offsets before the moment the site is
built (``days_ago`` whole days plus ``hours_ago`` hours), so the demo always shows recent
coverage and a fixed ``now`` always gives the same site.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["OUTLETS", "ArticleSpec", "OutletSpec"]


@dataclass(frozen=True)
class OutletSpec:
    """One fictional outlet and its single feed."""

    key: str
    name: str
    country: str
    language: str
    #: "rss" (RSS 2.0), "atom" (Atom 1.0) or "broken" (an RSS feed cut off mid-document).
    feed_kind: str
    feed_path: str
    #: URL path of an article under the outlet, with ``{slug}`` and ``{number}`` filled in.
    article_pattern: str
    #: How the outlet writes its HTML <title>: ``{headline}`` and ``{name}`` are filled in.
    title_pattern: str
    #: Offset of the outlet's local time from UTC in minutes (used in feeds and pages).
    utc_offset_minutes: int
    tagline: str
    address: str
    sections: tuple[str, ...]


@dataclass(frozen=True)
class ArticleSpec:
    """One article as written: the sample site turns it into a page and a feed entry."""

    outlet: str
    number: int
    slug: str
    title: str
    author: str
    days_ago: int
    hours_ago: float
    summary: str
    paragraphs: tuple[str, ...]
    section: str = "Pakistan"
    on_topic: bool = True
    #: Shared by the copies of one wire story on several outlets.
    story: str | None = None
    #: The default tags this article is about (talks, ceasefire, security, border, trade,
    #: refugees); empty for off-topic items.
    subjects: tuple[str, ...] = ()
    #: Set for an article corrected after publication: hours between publishing and updating.
    updated_after_hours: float | None = None


OUTLETS: tuple[OutletSpec, ...] = (
    OutletSpec(
        key="khyber-ledger",
        name="The Khyber Ledger",
        country="PK",
        language="en",
        feed_kind="rss",
        feed_path="/khyber-ledger/feed.xml",
        article_pattern="/khyber-ledger/news/{number}/{slug}",
        title_pattern="{headline} | {name}",
        utc_offset_minutes=5 * 60,
        tagline="Peshawar's independent daily since 1987",
        address="Ledger House, 21 Saddar Road, Peshawar Cantonment",
        sections=("Pakistan", "Khyber Pakhtunkhwa", "Business", "World", "Sport", "Opinion"),
    ),
    OutletSpec(
        key="kabul-dispatch",
        name="Kabul Dispatch",
        country="AF",
        language="en",
        feed_kind="atom",
        feed_path="/kabul-dispatch/atom.xml",
        article_pattern="/kabul-dispatch/articles/{slug}-{number}.html",
        title_pattern="{name}: {headline}",
        utc_offset_minutes=4 * 60 + 30,
        tagline="News from Afghanistan, in English",
        address="Third floor, Qala-e-Fatullah Street 4, Kabul",
        sections=("Afghanistan", "Region", "Economy", "Society", "Sport"),
    ),
    OutletSpec(
        key="meridian-post",
        name="The Meridian Post",
        country="GB",
        language="en",
        feed_kind="rss",
        feed_path="/meridian-post/rss/world.xml",
        article_pattern="/meridian-post/world/{slug}-{number}",
        title_pattern="{headline} - {name}",
        utc_offset_minutes=0,
        tagline="World news without borders",
        address="40 Fenwick Lane, London EC4A 2BN",
        sections=("World", "Asia", "Middle East", "Europe", "Business"),
    ),
    OutletSpec(
        key="sarhad-awaz",
        name="روزنامہ سرحد آواز",
        country="PK",
        language="ur",
        feed_kind="rss",
        feed_path="/sarhad-awaz/rss.xml",
        article_pattern="/sarhad-awaz/khabar/{number}",
        title_pattern="{headline} - {name}",
        utc_offset_minutes=5 * 60,
        tagline="سرحد کی آواز، عوام کی آواز",
        address="سرحد آواز ہاؤس، جی ٹی روڈ، پشاور",
        sections=("قومی", "صوبائی", "کاروبار", "بین الاقوامی"),
    ),
    OutletSpec(
        key="spin-ghar",
        name="سپين غر ورځپاڼه",
        country="AF",
        language="ps",
        feed_kind="atom",
        feed_path="/spin-ghar/atom.xml",
        article_pattern="/spin-ghar/ps/{number}-{slug}",
        title_pattern="{headline} | {name}",
        utc_offset_minutes=4 * 60 + 30,
        tagline="د ختيځ افغانستان خپلواکه ورځپاڼه",
        address="د جلال اباد ښار، لومړۍ ناحيه",
        sections=("افغانستان", "سيمه", "اقتصاد", "ټولنه"),
    ),
    OutletSpec(
        key="frontier-herald",
        name="Frontier Herald",
        country="PK",
        language="en",
        feed_kind="broken",
        feed_path="/frontier-herald/rss.xml",
        article_pattern="/frontier-herald/story/{number}",
        title_pattern="{headline} | {name}",
        utc_offset_minutes=5 * 60,
        tagline="Quetta's voice",
        address="Jinnah Road, Quetta",
        sections=("Balochistan", "Pakistan"),
    ),
)
