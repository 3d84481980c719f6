"""What the explorer keeps while it runs: the configuration, a read-only store, the reports it
built for the current state of the data, and the matchers of recent ad-hoc queries (so a
download, or the next reader of the same page, repeats no work the page already did)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import func, select

from borderwatch.config import Config
from borderwatch.plan import topic_query
from borderwatch.reports.catalogue import ReportCall, resolve_selection
from borderwatch.reports.matches import HeadlineIndex
from borderwatch.reports.report import Report
from borderwatch.reports.selection import Selection, data_range
from pipeline.schema import articles, feed_state, runs, sources

T = TypeVar("T")

# Matchers kept: a handful of queries an analyst is refining, each over its outlets.
MATCHERS_KEPT = 16
# A matcher is dropped when newer articles were stored, and after this long in any case.
MATCHER_SECONDS = 600
# Reports kept (a page has up to eight), and how long at most: source health moves with the
# clock as well as with the data.
REPORTS_KEPT = 256
REPORT_SECONDS = 300
# The reports that read the fetch targets (feed_state): kept only until the next fetch.
FETCH_REPORTS = frozenset({"health", "fetches"})
# How long one look at the state of the data serves.
VERSION_SECONDS = 1.0


class RecentMatchers(MutableMapping[Any, Any]):
    """The latest matchers (or reports), forgotten when the data changes or they age."""

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

    def clear(self) -> None:
        # MutableMapping.clear pops items through __getitem__, which stops at an aged one.
        with self._lock:
            self._items.clear()

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
        self.topic = topic_query(config)
        self.tags = list(config.tags)
        self.matchers = RecentMatchers()
        self.headlines = HeadlineIndex()
        self.reports = RecentMatchers(REPORTS_KEPT, REPORT_SECONDS)
        self._version: tuple[float, tuple[tuple[Any, ...], Any]] | None = None
        self._version_lock = threading.Lock()

    def resolve(self, selection: Selection) -> Selection:
        """The selection checked against the data (ReportInputError when it does not fit)."""
        if selection.query:
            self.matchers.check_version(self.newest_article())
        return resolve_selection(
            self.store, selection, self.tags, matchers=self.matchers, headlines=self.headlines
        )

    def report(self, call: ReportCall) -> Report:
        """``call``'s report, built once for the current state of the data.

        The state is the newest article and run, and for the reports that read fetch targets
        (FETCH_REPORTS) the newest fetch too: a report is built again after the pipeline
        stored anything or a job ran, source health also after a source was fetched (which
        happens every few seconds while the daemon runs), and any report after REPORT_SECONDS.
        """
        key = self._current(tuple(call.argv()), reads_fetches=call.name in FETCH_REPORTS)
        try:
            return self.reports[key]
        except KeyError:
            built = call.build(self.store, self.config, topic=self.topic)
            self.reports[key] = built
            return built

    def kept(
        self, key: tuple[Any, ...], draw: Callable[[], T], *, reads_fetches: bool = True
    ) -> tuple[bool, T]:
        """(whether it was drawn now, the value): what ``draw`` returns, made once for the
        current state of the data and the day, like the reports (a page, the outlet table).
        ``reads_fetches``: whether the value shows anything of the fetch targets (a page with
        a health panel). Only values ``draw`` returns are kept: an exception keeps nothing."""
        key = self._current(("kept", self.today(), *key), reads_fetches=reads_fetches)
        try:
            return False, self.reports[key]
        except KeyError:
            value = self.reports[key] = draw()
            return True, value

    def _current(self, key: tuple[Any, ...], *, reads_fetches: bool) -> tuple[Any, ...]:
        """``key`` for the current state: everything kept is forgotten when articles or runs
        changed; what reads fetch targets is kept under the newest fetch as well (the entries
        of earlier fetches age out with REPORT_SECONDS and REPORTS_KEPT)."""
        stored, fetched = self.data_version()
        self.reports.check_version(stored)
        return (fetched if reads_fetches else None, *key)

    def data_version(self) -> tuple[tuple[Any, ...], Any]:
        """(the newest article and run, the newest fetch): what changes whenever anything a
        report reads changes (three indexed look-ups), asked at most once a second: a page's
        panels share one answer."""
        now = time.monotonic()
        with self._version_lock:
            if self._version is not None and now - self._version[0] < VERSION_SECONDS:
                return self._version[1]
        with self.store.engine.connect() as conn:
            stored = (
                conn.execute(select(func.max(articles.c.id))).scalar_one_or_none(),
                conn.execute(select(func.max(runs.c.id))).scalar_one_or_none(),
            )
            fetched = conn.execute(select(func.max(feed_state.c.last_fetch_at))).scalar_one()
        with self._version_lock:
            self._version = (now, (stored, fetched))
        return stored, fetched

    def newest_article(self) -> int | None:
        with self.store.engine.connect() as conn:
            return conn.execute(select(func.max(articles.c.id))).scalar_one_or_none()

    def today(self) -> dt.date:
        return dt.datetime.now(self.config.schedule.zone).date()

    def data_range(self) -> tuple[dt.date | None, dt.date | None]:
        """First and last day with collected articles (kept with the reports)."""
        return self.kept(("data_range",), lambda: data_range(self.store), reads_fetches=False)[1]

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
        return self.kept(("sources",), self._read_sources, reads_fetches=False)[1]

    def _read_sources(self) -> pd.DataFrame:
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
