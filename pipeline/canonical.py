"""Canonical URLs: the one URL that identifies an article across feeds, tracking links, mobile
and AMP copies, and the page's own canonical link when it can be trusted.

Plain Python (no pandas): the crawl process checks the URLs it finds against the stored ones with
it, and the normalize stage applies it to every item.
"""

from __future__ import annotations

import contextlib
import re
from functools import lru_cache
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlencode, urljoin, urlunsplit

from pipeline.urls import split_url

# Query parameters that only track the reader; compared case-insensitively.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "mc_cid",
        "mc_eid",
        "cmpid",
        "ref",
        "ref_src",
        "ref_url",
        "_ga",
        "_gl",
        "igshid",
        "ocid",
        "ito",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "share",
        "smid",
        "outputtype",
        "amp",
        "s_cid",
        "wt.mc_id",
        "at_medium",
        "at_campaign",
        "xtor",
        "spm",
        "mbid",
        "rss",
    }
)
TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "hsa_", "vero_", "oly_")
HOST_PREFIXES = ("www.", "m.", "amp.", "mobile.")
DEFAULT_PORTS = {"http": 80, "https": 443}
# Hosts whose article links are redirects to the outlet: the page's canonical link is better.
AGGREGATOR_HOSTS = frozenset(
    {"news.google.com", "feedproxy.google.com", "feeds.feedburner.com", "news.yahoo.com", "msn.com"}
)
# Second-level labels under which registrable domains have three labels (dawn.com.pk, bbc.co.uk).
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "gov", "edu", "ac", "gob", "or", "ne"})
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def canonical_url(url: str) -> str:
    """The lossy normal form used as an article's identity (see docs/schema.md)."""
    parts = split_url(url.strip())
    scheme = parts.scheme.lower()
    netloc = _canonical_netloc(scheme, parts.netloc)
    path = _canonical_path(parts.path)
    query = _canonical_query(parts.query) if parts.query else ""
    if scheme in ("http", "https"):
        # What urlunsplit(("https", netloc, path, query, "")) returns: the path is never empty
        # and has no "//", so it only gains a leading "/" when it lacks one.
        if path[:1] != "/":
            path = "/" + path
        return f"https://{netloc}{path}?{query}" if query else f"https://{netloc}{path}"
    return urlunsplit((scheme, netloc, path, query, ""))


# Hosts and query strings repeat across a feed's articles (utm_source=rss, say): both are
# computed once. Each is a pure function of its arguments.
@lru_cache(maxsize=4096)
def _canonical_netloc(scheme: str, netloc: str) -> str:
    parts = SplitResult(scheme, netloc, "", "", "")
    host = _fold_host(parts.hostname or "")
    try:
        port = parts.port
    except ValueError:  # a non-numeric or out-of-range port: keep the host alone
        port = None
    port = port if port and port != DEFAULT_PORTS.get(scheme) else None
    return f"{host}:{port}" if port else host


@lru_cache(maxsize=1024)
def _canonical_query(query: str) -> str:
    params = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not _is_tracking(k)]
    return urlencode(sorted(params), doseq=True)


# A path of characters that quote() keeps and without "%" (which unquote() would decode) is its
# own quote(unquote(path)).
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/:@!$&'()*+,;=\-._~]+").fullmatch
_SLASHES = re.compile(r"/{2,}")
_AMP_FOLDER = re.compile(r"/amp/?$")
_AMP_SUFFIX = re.compile(r"\.amp(\.html?)?$")


def _canonical_path(path: str) -> str:
    path = path or "/"
    if not _PLAIN_PATH(path):
        # Percent-encoding is case-insensitive and optional for non-ASCII letters: one spelling.
        path = quote(unquote(path), safe=_PATH_SAFE)
    # Each substitution runs only when the text it needs is there.
    if "//" in path:
        path = _SLASHES.sub("/", path)
    if "/amp" in path:
        path = _AMP_FOLDER.sub("/", path)
    if ".amp" in path:
        path = _AMP_SUFFIX.sub(r"\1", path)
    if len(path) > 1:
        path = path.rstrip("/")
    return path


def _fold_host(hostname: str) -> str:
    host = hostname.lower().rstrip(".")
    if not host.isascii():
        with contextlib.suppress(UnicodeError):  # not encodable: keep it as it is
            host = host.encode("idna").decode("ascii")
    for prefix in HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            return host[len(prefix) :]
    return host


def _site(host: str) -> str:
    """The registrable part of a host, roughly: the last two labels, three under co.uk etc."""
    labels = host.split(".")
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def preferred_url(url: str, canonical: str | None, source_url: str | None = None) -> str:
    """The URL that identifies an article: the page's canonical link when it can be trusted.

    A canonical link is used when it is an absolute http(s) URL (relative ones are resolved
    against the article URL) on the same site as the article, or as the outlet's home page,
    or when the article URL is an aggregator's redirect (Google News). It is ignored when it
    points to another site (a syndicated copy naming the original publisher must stay an
    article of the outlet that ran it; the copies become one story instead) and when it is a
    site's home page while the article is not (a common template error).
    """
    if not canonical or not isinstance(canonical, str):
        return url
    candidate = urljoin(url, canonical.strip())
    target = split_url(candidate)
    if target.scheme.lower() not in ("http", "https") or not target.hostname:
        return url
    article = split_url(url)
    if target.path.strip("/") == "" and article.path.strip("/") != "":
        return url
    target_site = _site(_fold_host(target.hostname))
    sites = {_site(_fold_host(article.hostname or ""))}
    if isinstance(source_url, str) and source_url:
        sites.add(_site(_fold_host(split_url(source_url).hostname or "")))
    if target_site in sites or _fold_host(article.hostname or "") in AGGREGATOR_HOSTS:
        return candidate
    return url


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)
