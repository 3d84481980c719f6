"""The bundled offline sample news site: fictional outlets, their feeds and article pages.

``SampleSite.build(now)`` renders every document in memory (RSS 2.0 and Atom feeds, article pages
wrapped in the boilerplate a real site has, outlet home pages, ``robots.txt``), with dates
relative to ``now``. ``serve_sample_site()`` serves them on a loopback port for ``borderwatch
demo`` and the tests; ``demo_sources()`` describes the outlets in borderwatch's config shape.

Bodies keep the placeholder ``{BASE}`` where the base URL goes, because the port is only known
once the server is listening.
"""

from __future__ import annotations

import email.utils
import hashlib
import html
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from borderwatch.demo.articles import OUTLETS, ArticleSpec, OutletSpec
from borderwatch.demo.catalogue import sample_articles

__all__ = [
    "BASE",
    "SampleArticle",
    "SampleSite",
    "SampleSiteServer",
    "demo_sources",
    "serve_sample_site",
]

#: Placeholder for the server's base URL inside every body.
BASE = "{BASE}"

HTML_TYPE = "text/html; charset=utf-8"
RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"

ROBOTS_TXT = "User-agent: *\nAllow: /\n"

_RTL_LANGUAGES = {"ur", "ps", "fa", "ar"}
_RELATED_COUNT = 4


@dataclass(frozen=True)
class SampleArticle:
    """One article as served: where it lives, when it was published and what it is about."""

    outlet: str
    path: str
    title: str
    author: str
    language: str
    published: datetime
    modified: datetime | None
    summary: str
    on_topic: bool
    story: str | None
    subjects: tuple[str, ...]
    section: str
    days_ago: int
    number: int
    paragraphs: tuple[str, ...] = field(repr=False)

    def url(self, base_url: str) -> str:
        return base_url.rstrip("/") + self.path


@dataclass
class SampleSite:
    """Every document of the sample site, rendered for one ``now``."""

    now: datetime
    outlets: tuple[OutletSpec, ...]
    articles: list[SampleArticle]
    #: path -> (content type, body with ``{BASE}`` placeholders)
    documents: dict[str, tuple[str, bytes]]
    #: path -> when the document last changed (for Last-Modified and If-Modified-Since)
    last_modified: dict[str, datetime]

    @classmethod
    def build(cls, now: datetime) -> SampleSite:
        """Render the whole site with publication dates counted back from ``now`` (UTC-aware)."""
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be timezone-aware")
        now = now.astimezone(UTC).replace(microsecond=0)
        outlets = {o.key: o for o in OUTLETS}
        articles = sorted(
            (_place(spec, outlets[spec.outlet], now) for spec in sample_articles()),
            key=lambda a: (a.outlet, -a.published.timestamp(), a.path),
        )
        documents: dict[str, tuple[str, bytes]] = {}
        last_modified: dict[str, datetime] = {}

        def add(path: str, content_type: str, text: str, changed: datetime) -> None:
            if path in documents:
                raise ValueError(f"two documents at {path}")
            documents[path] = (content_type, text.encode("utf-8"))
            last_modified[path] = changed

        add("/robots.txt", TEXT_TYPE, ROBOTS_TXT, now)
        add("/", HTML_TYPE, _render_root(OUTLETS), now)
        for outlet in OUTLETS:
            own = [a for a in articles if a.outlet == outlet.key]
            newest = max((a.modified or a.published for a in own), default=now)
            if outlet.feed_kind == "rss":
                add(outlet.feed_path, RSS_TYPE, _render_rss(outlet, own, newest), newest)
            elif outlet.feed_kind == "atom":
                add(outlet.feed_path, ATOM_TYPE, _render_atom(outlet, own, newest), newest)
            else:
                add(outlet.feed_path, RSS_TYPE, _render_broken_feed(outlet), now)
            add(f"/{outlet.key}/", HTML_TYPE, _render_home(outlet, own, now), newest)
            for index, article in enumerate(own):
                # Related stories are the outlet's next few articles: titles an extractor
                # must leave out of the article text.
                related = [own[(index + k) % len(own)] for k in range(1, len(own))]
                page = _render_article(outlet, article, related[:_RELATED_COUNT], now)
                add(article.path, HTML_TYPE, page, article.modified or article.published)
        return cls(
            now=now,
            outlets=OUTLETS,
            articles=articles,
            documents=documents,
            last_modified=last_modified,
        )

    def feed_paths(self) -> dict[str, list[str]]:
        """Outlet key -> the paths of its feeds."""
        return {o.key: [o.feed_path] for o in self.outlets}

    def articles_of(self, outlet: str) -> list[SampleArticle]:
        return [a for a in self.articles if a.outlet == outlet]


def demo_sources(base_url: str) -> list[dict[str, Any]]:
    """One source per outlet (the broken feed's too) in borderwatch's config shape."""
    base_url = base_url.rstrip("/")
    return [
        {
            "key": o.key,
            "name": o.name,
            "country": o.country,
            "language": o.language,
            # The sample outlets share one host, so no domain can attribute an article to one.
            "domains": [],
            "feeds": [base_url + o.feed_path],
        }
        for o in OUTLETS
    ]


# --- dates -------------------------------------------------------------------------------


def _place(spec: ArticleSpec, outlet: OutletSpec, now: datetime) -> SampleArticle:
    zone = _zone(outlet)
    published = (now - timedelta(days=spec.days_ago, hours=spec.hours_ago)).astimezone(zone)
    modified = None
    if spec.updated_after_hours is not None:
        modified = published + timedelta(hours=spec.updated_after_hours)
        if modified > now:
            raise ValueError(f"{spec.slug} would be updated after now")
    path = outlet.article_pattern.format(slug=spec.slug, number=spec.number)
    return SampleArticle(
        outlet=spec.outlet,
        path=path,
        title=spec.title,
        author=spec.author,
        language=outlet.language,
        published=published,
        modified=modified,
        summary=spec.summary,
        on_topic=spec.on_topic,
        story=spec.story,
        subjects=spec.subjects,
        section=spec.section,
        days_ago=spec.days_ago,
        number=spec.number,
        paragraphs=spec.paragraphs,
    )


def _zone(outlet: OutletSpec) -> timezone:
    return timezone(timedelta(minutes=outlet.utc_offset_minutes))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _rfc822(moment: datetime) -> str:
    return email.utils.format_datetime(moment)


def _human_date(moment: datetime) -> str:
    return f"{moment:%d %B %Y, %H:%M}"


# --- feeds -------------------------------------------------------------------------------


def _x(text: str) -> str:
    return html.escape(text, quote=True)


def _render_rss(outlet: OutletSpec, articles: list[SampleArticle], newest: datetime) -> str:
    items = []
    for a in articles:
        # One outlet uses its URLs as guids, the other opaque ids, as real feeds do.
        if outlet.key == "khyber-ledger":
            guid = f'<guid isPermaLink="true">{BASE}{a.path}</guid>'
        else:
            guid = f'<guid isPermaLink="false">{outlet.key}-{a.number}</guid>'
        items.append(
            "    <item>\n"
            f"      <title>{_x(a.title)}</title>\n"
            f"      <link>{BASE}{a.path}</link>\n"
            f"      {guid}\n"
            f"      <pubDate>{_rfc822(a.published)}</pubDate>\n"
            f"      <dc:creator>{_x(a.author)}</dc:creator>\n"
            f"      <category>{_x(a.section)}</category>\n"
            f"      <description>{_x(a.summary)}</description>\n"
            "    </item>\n"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        "  <channel>\n"
        f"    <title>{_x(outlet.name)}</title>\n"
        f"    <link>{BASE}/{outlet.key}/</link>\n"
        f'    <atom:link href="{BASE}{outlet.feed_path}" rel="self"'
        ' type="application/rss+xml"/>\n'
        f"    <description>{_x(outlet.tagline)}</description>\n"
        f"    <language>{outlet.language}</language>\n"
        f"    <lastBuildDate>{_rfc822(newest)}</lastBuildDate>\n"
        "    <ttl>30</ttl>\n" + "".join(items) + "  </channel>\n</rss>\n"
    )


def _render_atom(outlet: OutletSpec, articles: list[SampleArticle], newest: datetime) -> str:
    entries = []
    for a in articles:
        entries.append(
            "  <entry>\n"
            f"    <title>{_x(a.title)}</title>\n"
            f'    <link rel="alternate" type="text/html" href="{BASE}{a.path}"/>\n'
            f"    <id>urn:{outlet.key}:article:{a.number}</id>\n"
            f"    <published>{_iso(a.published)}</published>\n"
            f"    <updated>{_iso(a.modified or a.published)}</updated>\n"
            f"    <author><name>{_x(a.author)}</name></author>\n"
            f'    <category term="{_x(a.section)}"/>\n'
            f'    <summary type="text">{_x(a.summary)}</summary>\n'
            "  </entry>\n"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{outlet.language}">\n'
        f"  <title>{_x(outlet.name)}</title>\n"
        f"  <subtitle>{_x(outlet.tagline)}</subtitle>\n"
        f'  <link rel="alternate" type="text/html" href="{BASE}/{outlet.key}/"/>\n'
        f'  <link rel="self" type="application/atom+xml" href="{BASE}{outlet.feed_path}"/>\n'
        f"  <id>urn:{outlet.key}:feed</id>\n"
        f"  <updated>{_iso(newest)}</updated>\n" + "".join(entries) + "</feed>\n"
    )


def _render_broken_feed(outlet: OutletSpec) -> str:
    # What a feed looks like when the generator dies mid-write: a bare ampersand, an unclosed
    # element and no end of document. No item gets as far as a link, so nothing is collected.
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0">\n'
        "  <channel>\n"
        f"    <title>{_x(outlet.name)}</title>\n"
        f"    <link>{BASE}/{outlet.key}/</link>\n"
        "    <description>Quetta & Balochistan news</description>\n"
        "    <item>\n"
        "      <title>Chaman traders block the highway as the Friendship Gate stays shut\n"
        "      <description><p>Traders and labourers at Chaman"
    )


# --- pages -------------------------------------------------------------------------------


def _page(
    outlet: OutletSpec,
    title: str,
    head_extra: str,
    main: str,
    now: datetime,
) -> str:
    lang = outlet.language
    direction = ' dir="rtl"' if lang in _RTL_LANGUAGES else ""
    nav = "".join(
        f'<li><a href="{BASE}/{outlet.key}/section/{i}">{_x(s)}</a></li>'
        for i, s in enumerate(outlet.sections)
    )
    return f"""<!DOCTYPE html>
<html lang="{lang}"{direction}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_x(title)}</title>
{head_extra}<link rel="alternate" type="{_feed_type(outlet)}" title="{_x(outlet.name)}" \
href="{BASE}{outlet.feed_path}">
<style>body{{font-family:Georgia,serif;max-width:60em;margin:auto}}nav ul{{display:flex;gap:1em;\
list-style:none}}.byline{{color:#555}}aside,footer{{font-size:.9em;color:#444}}</style>
</head>
<body>
<div class="top-bar"><span>{_x(outlet.tagline)}</span> <a href="{BASE}/{outlet.key}/subscribe">\
Subscribe</a> <a href="{BASE}/{outlet.key}/login">Sign in</a></div>
<header class="masthead"><a class="logo" href="{BASE}/{outlet.key}/">{_x(outlet.name)}</a>
<nav class="main-menu" aria-label="Sections"><ul><li><a href="{BASE}/{outlet.key}/">Home</a></li>\
{nav}<li><a href="{BASE}/{outlet.key}/video">Video</a></li></ul></nav>
</header>
<main>
{main}
</main>
<footer class="site-footer">
<div class="newsletter"><h3>{_x(_NEWSLETTER[lang][0])}</h3><p>{_x(_NEWSLETTER[lang][1])}</p>
<form action="{BASE}/{outlet.key}/newsletter" method="post"><input type="email" name="email" \
placeholder="you@example.com"><button>{_x(_NEWSLETTER[lang][2])}</button></form></div>
<address>{_x(outlet.name)}, {_x(outlet.address)}. Tel +00 000 0000000</address>
<p class="notice">{_x(outlet.name)} is a fictional outlet: sample content bundled with \
borderwatch for offline demonstrations and tests.</p>
<p>&copy; {now.year} {_x(outlet.name)}. <a href="{BASE}/{outlet.key}/about">About us</a> \
<a href="{BASE}/{outlet.key}/privacy">Privacy</a> <a href="{BASE}/{outlet.key}/advertise">\
Advertise</a></p>
</footer>
</body>
</html>
"""


_NEWSLETTER = {
    "en": (
        "The Border Briefing",
        "Our editors' pick of the day's most important stories, every morning in your inbox.",
        "Sign up",
    ),
    "ur": ("روزانہ خبرنامہ", "دن کی اہم ترین خبریں ہر صبح اپنے ای میل میں پائیں۔", "سائن اپ"),
    "ps": ("ورځنی خبرلیک", "د ورځې مهم خبرونه هر سهار په خپل بریښنالیک کې ترلاسه کړئ.", "ګډون"),
}

_COMMENT_PROMPT = {
    "en": (
        "Join the conversation",
        "Comments are moderated and may take some time to appear. Please keep them civil and "
        "on topic.",
        "Sign in to comment",
    ),
    "ur": ("اپنی رائے دیں", "تبصرے شائع ہونے سے پہلے دیکھے جاتے ہیں۔", "تبصرے کے لیے لاگ ان کریں"),
    "ps": ("خپل نظر ولیکئ", "نظرونه له خپرېدو مخکې کتل کېږي.", "د نظر لپاره ننوځئ"),
}

_RELATED_HEADING = {"en": "Related stories", "ur": "متعلقہ خبریں", "ps": "اړوند خبرونه"}
_BY = {"en": "By", "ur": "تحریر:", "ps": "ليکوال:"}
_UPDATED = {"en": "Updated", "ur": "اپ ڈیٹ", "ps": "تازه شوی"}
_SHARE = {"en": "Share this story", "ur": "یہ خبر شیئر کریں", "ps": "دا خبر شریک کړئ"}


def _feed_type(outlet: OutletSpec) -> str:
    return "application/atom+xml" if outlet.feed_kind == "atom" else "application/rss+xml"


def _render_article(
    outlet: OutletSpec, article: SampleArticle, related: list[SampleArticle], now: datetime
) -> str:
    lang = outlet.language
    url = BASE + article.path
    published = _iso(article.published)
    head = [
        f'<meta name="author" content="{_x(article.author)}">',
        f'<meta name="description" content="{_x(article.summary)}">',
        f'<meta property="og:title" content="{_x(article.title)}">',
        '<meta property="og:type" content="article">',
        f'<meta property="og:url" content="{url}">',
        f'<meta property="og:site_name" content="{_x(outlet.name)}">',
        f'<meta property="article:published_time" content="{published}">',
    ]
    if article.modified:
        head.append(f'<meta property="article:modified_time" content="{_iso(article.modified)}">')
    head.append(f'<link rel="canonical" href="{url}">')
    if outlet.key == "kabul-dispatch":
        # This outlet also describes its articles in JSON-LD, as many news sites do.
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": article.title,
            "datePublished": published,
            "dateModified": _iso(article.modified or article.published),
            "author": {"@type": "Person", "name": article.author},
            "publisher": {"@type": "Organization", "name": outlet.name},
            "mainEntityOfPage": url,
        }
        head.append(
            '<script type="application/ld+json">'
            + json.dumps(ld, ensure_ascii=False).replace("</", "<\\/")
            + "</script>"
        )
    dateline = f'<time datetime="{published}">{_human_date(article.published)}</time>'
    if article.modified:
        dateline += (
            f' <span class="updated">{_UPDATED[lang]} <time datetime="{_iso(article.modified)}">'
            f"{_human_date(article.modified)}</time></span>"
        )
    paragraphs = "\n".join(f"<p>{_x(p)}</p>" for p in article.paragraphs)
    related_items = "".join(f'<li><a href="{BASE}{r.path}">{_x(r.title)}</a></li>' for r in related)
    heading, prompt, button = _COMMENT_PROMPT[lang]
    home = f"{BASE}/{outlet.key}/"
    main = f"""<div class="breadcrumbs"><a href="{home}">{_x(outlet.name)}</a> &rsaquo; \
{_x(article.section)}</div>
<article class="story">
<header>
<h1>{_x(article.title)}</h1>
<p class="byline">{_BY[lang]} <span class="author">{_x(article.author)}</span> &middot; \
{dateline}</p>
</header>
<div class="story-body">
{paragraphs}
</div>
<div class="share"><span>{_SHARE[lang]}</span> <a href="{BASE}/share?via=x">X</a> \
<a href="{BASE}/share?via=facebook">Facebook</a> \
<a href="{BASE}/share?via=whatsapp">WhatsApp</a></div>
</article>
<aside class="related"><h2>{_RELATED_HEADING[lang]}</h2><ul>{related_items}</ul></aside>
<section class="comments"><h2>{_x(heading)}</h2><p>{_x(prompt)}</p>\
<a class="button" href="{BASE}/{outlet.key}/login">{_x(button)}</a></section>"""
    page_title = outlet.title_pattern.format(headline=article.title, name=outlet.name)
    return _page(outlet, page_title, "\n".join(head) + "\n", main, now)


def _render_home(outlet: OutletSpec, articles: list[SampleArticle], now: datetime) -> str:
    items = "\n".join(
        f'<li><a href="{BASE}{a.path}">{_x(a.title)}</a> '
        f'<time datetime="{_iso(a.published)}">{_human_date(a.published)}</time></li>'
        for a in articles
    )
    main = f'<h1>{_x(outlet.name)}</h1>\n<ul class="latest">\n{items}\n</ul>'
    return _page(outlet, outlet.name, "", main, now)


def _render_root(outlets: tuple[OutletSpec, ...]) -> str:
    rows = "\n".join(
        f'<li><a href="{BASE}/{o.key}/">{_x(o.name)}</a> '
        f'(<a href="{BASE}{o.feed_path}">{o.feed_kind} feed</a>)</li>'
        for o in outlets
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
        "<title>borderwatch sample news site</title></head>\n<body>\n"
        "<h1>borderwatch sample news site</h1>\n"
        "<p>Fictional outlets and articles for offline demonstrations and tests.</p>\n"
        f"<ul>\n{rows}\n</ul>\n</body>\n</html>\n"
    )


# --- server ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Resource:
    content_type: str
    body: bytes
    etag: str
    last_modified: datetime


class _Handler(BaseHTTPRequestHandler):
    server: _SiteHTTPServer
    server_version = "SampleNews/1.0"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    # Idle keep-alive connections are closed after this many seconds.
    timeout = 15

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        # The demo's console output is the pipeline's; request lines would drown it.
        pass

    def _respond(self, *, send_body: bool) -> None:
        path = urlsplit(self.path).path or "/"
        self.server.record(self.command, path)
        resource = self.server.resources.get(path)
        if resource is None:
            body = b"Not found\n"
            self.send_response(404)
            self.send_header("Content-Type", TEXT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)
            return
        last_modified = email.utils.format_datetime(resource.last_modified, usegmt=True)
        if self._not_modified(resource):
            self.send_response(304)
            self.send_header("ETag", resource.etag)
            self.send_header("Last-Modified", last_modified)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", resource.content_type)
        self.send_header("Content-Length", str(len(resource.body)))
        self.send_header("ETag", resource.etag)
        self.send_header("Last-Modified", last_modified)
        self.end_headers()
        if send_body:
            self.wfile.write(resource.body)

    def _not_modified(self, resource: _Resource) -> bool:
        # If-None-Match wins over If-Modified-Since when both are sent (RFC 9110, 13.1.3).
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
            return "*" in tags or resource.etag in tags
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since:
            try:
                since = email.utils.parsedate_to_datetime(if_modified_since)
            except (TypeError, ValueError):
                return False
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            return resource.last_modified <= since
        return False


class _SiteHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    resources: dict[str, _Resource]
    request_log: list[tuple[str, str]]
    _log_lock: threading.Lock

    def record(self, method: str, path: str) -> None:
        with self._log_lock:
            self.request_log.append((method, path))

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up mid-response are normal for a crawler with timeouts.
        pass


class SampleSiteServer:
    """A running sample site: its base URL, the site it serves and the requests it received."""

    def __init__(self, site: SampleSite, host: str = "127.0.0.1", port: int = 0) -> None:
        self.site = site
        self._httpd = _SiteHTTPServer((host, port), _Handler)
        bound_host, bound_port = self._httpd.server_address[:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        self.request_log: list[tuple[str, str]] = []
        self._httpd.request_log = self.request_log
        self._httpd._log_lock = threading.Lock()
        self._httpd.resources = self._resources()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="sample-site",
            daemon=True,
        )

    def _resources(self) -> dict[str, _Resource]:
        base = self.base_url.encode("ascii")
        resources = {}
        for path, (content_type, template) in self.site.documents.items():
            body = template.replace(BASE.encode("ascii"), base)
            etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
            changed = self.site.last_modified[path].astimezone(UTC).replace(microsecond=0)
            resources[path] = _Resource(content_type, body, etag, changed)
        return resources

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def url(self, path: str) -> str:
        return self.base_url + path

    def feed_urls(self) -> dict[str, list[str]]:
        """Outlet key -> absolute URLs of its feeds."""
        return {key: [self.url(p) for p in paths] for key, paths in self.site.feed_paths().items()}


@contextmanager
def serve_sample_site(
    now: datetime | None = None, host: str = "127.0.0.1", port: int = 0
) -> Iterator[SampleSiteServer]:
    """Serve the sample site built for ``now`` (default: the current time) until the block ends."""
    site = SampleSite.build(now or datetime.now(UTC))
    server = SampleSiteServer(site, host=host, port=port)
    server.start()
    try:
        yield server
    finally:
        server.stop()
