"""Text retention: drop the full text of old articles when config.yaml asks for it."""

from __future__ import annotations

import datetime as dt
import logging

from borderwatch.config import Config
from pipeline.store import Store, utcnow

log = logging.getLogger("borderwatch")


def prune_expired_text(config: Config, store: Store, now: dt.datetime | None = None) -> int:
    """Prune texts collected more than ``text_retention_days`` ago; returns how many."""
    days = config.text_retention_days
    if not days:
        return 0
    cut = (now or utcnow()) - dt.timedelta(days=days)
    pruned = store.prune_text(cut)
    if pruned:
        log.info("retention: removed the text of %d articles collected before %s", pruned, cut)
    return pruned
