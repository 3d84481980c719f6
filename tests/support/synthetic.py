"""Synthetic items for the persistence tests: many outlets, days, tags, repeats and stories.

Headlines are assembled from fragments so that some match the default topic and tags and some
do not; a share of the items repeat another outlet's headline (one story, several outlets).
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

from borderwatch.config import Config
from tests.support.config import base_config, make_config

OUTLETS = [
    ("dawn", "Dawn", "dawn.com"),
    ("tribune", "The Express Tribune", "tribune.com.pk"),
    ("tolo", "TOLOnews", "tolonews.com"),
    ("pajhwok", "Pajhwok Afghan News", "pajhwok.com"),
]
# Outlets that are not configured become discovered sources.
OTHER_OUTLETS = [("Reuters", "https://www.reuters.com"), ("Arab News", "https://www.arabnews.com")]

ON_TOPIC = [
    "Pakistan and Afghanistan delegations resume talks in Istanbul on the ceasefire",
    "Torkham border crossing reopens as Pakistan and Afghanistan extend the truce",
    "Afghan refugees deported from Pakistan as talks with Kabul stall",
    "Pakistan accuses Afghanistan of sheltering TTP after cross-border attacks",
    "Transit trade between Pakistan and Afghanistan resumes at Chaman",
    "Doha mediation: Pakistan and the Taliban government agree a monitoring mechanism",
]
OFF_TOPIC = [
    "Pakistan beat Afghanistan by six wickets in Sharjah",
    "Stock market closes higher in Karachi",
    "Flood warnings issued for Punjab rivers",
]
START_DAY = dt.date(2025, 10, 10)


def persistence_config(tmp_path: Path) -> Config:
    """The real configuration (topic and tags) with the synthetic outlets as sources."""
    raw = base_config(tmp_path)
    raw["sources"] = [
        {
            "key": key,
            "name": name,
            "country": "PK",
            "language": "en",
            "domains": [domain],
            "feeds": [f"https://{domain}/feed"],
        }
        for key, name, domain in OUTLETS
    ]
    return make_config(tmp_path, raw)


def make_items(seed: int, count: int, prefix: str, days: int = 20) -> list[dict[str, Any]]:
    """``count`` items with unique URLs (under ``prefix``), reproducible from ``seed``."""
    rng = random.Random(seed)
    items = []
    for number in range(count):
        day = START_DAY + dt.timedelta(days=rng.randrange(days))
        pool = ON_TOPIC if rng.random() < 0.6 else OFF_TOPIC
        headline = rng.choice(pool)
        if rng.random() < 0.7:
            # Most headlines are unique; the rest repeat and group into stories.
            headline = f"{headline} ({prefix} {number})"
        item: dict[str, Any] = {
            "url": f"https://{prefix}.example.org/news/{number}",
            "title": headline,
            "summary": headline + ". Officials from both sides spoke to reporters.",
            "text": (headline + ". ") * 3,
        }
        if rng.random() < 0.85:
            hour = rng.randrange(24)
            item["published"] = f"{day.isoformat()}T{hour:02d}:15:00Z"
        else:
            item["collected_at"] = f"{day.isoformat()}T09:00:00Z"
        if rng.random() < 0.8:
            key, _name, domain = rng.choice(OUTLETS)
            item["source"] = key
            item["url"] = f"https://{domain}/{prefix}/{number}"
        else:
            name, home = rng.choice(OTHER_OUTLETS)
            item["source"] = name
            item["source_url"] = home
        items.append(item)
    return items
