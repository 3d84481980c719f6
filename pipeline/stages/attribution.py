"""Stage: attribute every article to a source key.

An item's ``source`` may be a configured key, a configured outlet name, or any outlet name or
domain (search feeds and imports name outlets the configuration does not know). Unknown outlets
become discovered sources whose key is derived from their domain, else from their name.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping

import pandas as pd

from pipeline.urls import split_url


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


def resolve_sources(frame: pd.DataFrame, lookup: Mapping[str, str]) -> pd.DataFrame:
    """Set ``source`` to a key; add ``source_name`` and ``source_domain`` for discovered ones."""
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
