"""What the explorer keeps while it runs: the configuration, a read-only store, and the
matchers of recent ad-hoc queries (so a download repeats no search the page already made)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, MutableMapping
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from borderwatch.config import Config
from borderwatch.reports.selection import Selection, data_range, resolve
from pipeline.query import parse_query
from pipeline.schema import articles, sources

# Matchers kept: a handful of queries an analyst is refining, each over its outlets.
MATCHERS_KEPT = 16
# A matcher is dropped when newer articles were stored, and after this long in any case.
MATCHER_SECONDS = 600


class RecentMatchers(MutableMapping[Any, Any]):
    """The matchers of the latest queries, forgotten when the articles change or they age."""

    def __init__(self, size: int = MATCHERS_KEPT, seconds: float = MATCHER_SECONDS) -> None:
        self.size = size
        self.seconds = seconds
        self._items: OrderedDict[Any, tuple[float, Any]] = OrderedDict()
        self._version: Any = None
        self._lock = threading.Lock()

    def check_version(self, version: Any) -> None:
        """Forget every matcher when ``version`` (the newest stored article) changed."""
        with self._lock:
            if version != self._version:
                self._items.clear()
                self._version = version

    def __getitem__(self, key: Any) -> Any:
        with self._lock:
            born, value = self._items[key]
            if time.monotonic() - born > self.seconds:
                del self._items[key]
                raise KeyError(key)
            self._items.move_to_end(key)
            return value

    def __setitem__(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = (time.monotonic(), value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __delitem__(self, key: Any) -> None:
        with self._lock:
            del self._items[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)


class Explorer:
    """The application's state: one per server."""

    def __init__(self, config: Config, store: Any, *, database: str) -> None:
        self.config = config
        self.store = store
        self.database = database  # shown in the page footer, without a password
        self.topic = parse_query(config.topic)
        self.tags = list(config.tags)
        self.matchers = RecentMatchers()

    def resolve(self, selection: Selection) -> Selection:
        """The selection checked against the data (ReportInputError when it does not fit)."""
        if selection.query:
            self.matchers.check_version(self.newest_article())
        return resolve(self.store, selection, self.tags, matchers=self.matchers)

    def newest_article(self) -> int | None:
        with self.store.engine.connect() as conn:
            return conn.execute(select(func.max(articles.c.id))).scalar_one_or_none()

    def today(self) -> dt.date:
        return dt.datetime.now(self.config.schedule.zone).date()

    def data_range(self) -> tuple[dt.date | None, dt.date | None]:
        return data_range(self.store)

    def default_days(self) -> tuple[dt.date, dt.date | None]:
        """The newest day with data (see ``last_day``) and the first."""
        first, last = self.data_range()
        today = self.today()
        return (today if last is None else min(last, today)), first

    def last_day(self) -> dt.date:
        """The newest day with collected articles, but never after today (a future date in a
        feed would otherwise leave every default period empty)."""
        _, last = self.data_range()
        today = self.today()
        return today if last is None else min(last, today)

    def source_table(self) -> pd.DataFrame:
        """Every outlet: key, name, country, language, origin, domain; by name."""
        frame = self.store.read_sql(
            select(
                sources.c.key,
                sources.c.name,
                sources.c.country,
                sources.c.language,
                sources.c.origin,
                sources.c.domain,
            )
        )
        return frame.sort_values(by="name", key=lambda n: n.str.casefold()).reset_index(drop=True)


__all__ = ["Explorer", "RecentMatchers"]
