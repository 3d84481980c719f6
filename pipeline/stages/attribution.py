"""Stage: attribute every article to a source key.

An item's ``source`` may be a configured key, a configured outlet name, or any outlet name or
domain (search feeds and imports name outlets the configuration does not know). Unknown outlets
become discovered sources whose key is derived from their domain, else from their name.

Every article also gets what is known about its source, for queries such as
``source.country:PK``: a configured source's country and language; for a discovered one, the
country of its domain's country-code top-level domain (``nation.com.pk`` is PK) unless that
domain is one registered worldwide (``.tv``, ``.io``...), and no language.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

import pandas as pd

from pipeline.urls import split_url


class SourceProfile(NamedTuple):
    """What is known about a configured source: its country and language codes."""

    country: str | None
    language: str | None


# Country-code top-level domains sold to anyone, anywhere (.tv, .io, .co...): a domain under one
# of them says nothing about where its outlet is. "eu" and "su" name no country.
_GENERIC_CCTLDS = frozenset(
    str.split(
        "ac ad ag ai am as bz cc cd co cx eu fm ga gg gl gs im io la ly me ms mu nu sc sh so st "
        "su tk to tv vc ws"
    )
)
# Top-level domains that differ from the ISO 3166 code of their country.
_TLD_COUNTRY = {"uk": "GB"}


def country_of_domain(domain: str | None) -> str | None:
    """The ISO country code of a host's country-code top-level domain, or None.

    ``nation.com.pk`` -> ``PK``, ``bbc.co.uk`` -> ``GB``; ``geo.tv`` and ``reuters.com`` ->
    None (a generic or worldwide-sold domain).
    """
    if not domain:
        return None
    tld = domain.rstrip(".").rsplit(".", 1)[-1].lower()
    if len(tld) != 2 or not tld.isascii() or not tld.isalpha() or tld in _GENERIC_CCTLDS:
        return None
    return _TLD_COUNTRY.get(tld, tld.upper())


def build_profiles(configured: Iterable[Mapping[str, object]]) -> dict[str, SourceProfile]:
    """Source key -> country and language of the configured sources."""
    return {
        str(source["key"]): SourceProfile(
            _code(source.get("country"), str.upper), _code(source.get("language"), str.lower)
        )
        for source in configured
    }


def _code(value: object, case: Callable[[str], str]) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return case(value.strip())


def build_lookup(configured: Iterable[Mapping[str, object]]) -> dict[str, str]:
    """Map lower-cased keys, names and domains of configured sources to their key."""
    lookup: dict[str, str] = {}
    for source in configured:
        key = str(source["key"])
        lookup[key.lower()] = key
        lookup[str(source["name"]).strip().lower()] = key
        for domain in source.get("domains") or ():  # type: ignore[union-attr]
            lookup[_bare_host(str(domain))] = key
    return lookup


def resolve_sources(
    frame: pd.DataFrame,
    lookup: Mapping[str, str],
    profiles: Mapping[str, SourceProfile] | None = None,
) -> pd.DataFrame:
    """Set ``source`` to a key; add ``source_name`` and ``source_domain`` for discovered ones,
    and ``source_country`` and ``source_language`` for all (None where unknown).

    ``profiles``: country and language of the configured sources, by key.
    """
    profiles = profiles or {}
    keys, names, domains = [], [], []
    # Plain lists: iterating pandas string arrays costs a Python call per value.
    for given, source_url, url in zip(
        frame["source"].tolist(), frame["source_url"].tolist(), frame["url"].tolist(), strict=True
    ):
        key, name, domain = _resolve(given, source_url, url, lookup)
        keys.append(key)
        names.append(name)
        domains.append(domain)
    # Only whole columns are set: the caller's frame keeps its own (copy-on-write) data.
    frame = frame.copy(deep=False)
    frame["source"] = pd.array(keys, dtype="string")
    frame["source_name"] = pd.array(names, dtype="string")
    frame["source_domain"] = pd.array(domains, dtype="string")
    countries: list[str | None] = []
    languages: list[str | None] = []
    for key, name, domain in zip(keys, names, domains, strict=True):
        if name is None:  # a configured source
            profile = profiles.get(key)
            countries.append(profile.country if profile else None)
            languages.append(profile.language if profile else None)
        else:
            countries.append(country_of_domain(domain))
            languages.append(None)
    # Object columns keep None for unknown (a string column would turn it into NaN).
    frame["source_country"] = pd.Series(countries, dtype=object, index=frame.index)
    frame["source_language"] = pd.Series(languages, dtype=object, index=frame.index)
    return frame


def _resolve(
    given: object, source_url: object, url: str, lookup: Mapping[str, str]
) -> tuple[str, str | None, str | None]:
    given_text = str(given).strip() if isinstance(given, str) else ""
    if given_text and given_text.lower() in lookup:
        return lookup[given_text.lower()], None, None
    outlet_host = _bare_host(str(source_url)) if isinstance(source_url, str) else ""
    for host in (outlet_host, _bare_host(url)):
        if not host:
            continue
        match = _match_domain(host, lookup)
        if match:
            return match, None, None
    if given_text and given_text.startswith(("http://", "https://")):
        outlet_host = outlet_host or _bare_host(given_text)
        given_text = ""
    if given_text and "." in given_text and " " not in given_text:
        outlet_host = outlet_host or _bare_host(given_text)
    domain = outlet_host or (None if given_text else _bare_host(url))
    if domain:
        return domain, given_text or domain, domain
    return _slug(given_text), given_text, None


def _match_domain(host: str, lookup: Mapping[str, str]) -> str | None:
    """The configured key of ``host`` or of one of its parent domains."""
    parts = host.split(".")
    for start in range(len(parts) - 1):
        key = lookup.get(".".join(parts[start:]))
        if key:
            return key
    return None


def _bare_host(value: str) -> str:
    host = split_url(value if "//" in value else f"//{value}").hostname or ""
    host = host.lower().rstrip(".")
    for prefix in ("www.", "m.", "amp."):
        if host.startswith(prefix):
            host = host[len(prefix) :]
    return host


def _slug(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    if slug:
        return slug
    # Names in other scripts have no ASCII slug: a stable hash keeps outlets apart.
    return "outlet-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:10]
