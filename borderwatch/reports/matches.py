"""Ad-hoc queries over the stored articles: which articles of a selection a query matches.

Coverage tables count what the configured topic and tags matched when the articles were
collected. An ad-hoc query (``report … --query``, the explorer's query box) is matched now, by
the query language's own evaluator (``pipeline.query``), against the stored headline and
summary of each article, or also its stored text (``match_in="text"``: slower, and empty for
articles whose text retention has removed it), among the topic's relevant articles or among
every collected one (``within="all"``). The reports then count the matched articles with the
same statements that build the coverage tables (``pipeline.coverage.coverage_selects``).

An ``ArticleMatcher`` searches the days a report asks for and remembers them, so a trend that
needs periods before ``--since`` for its baseline searches only those in addition, and a
long-running reader (the explorer) can answer the next report of the same query from memory.
Such a reader also keeps a ``HeadlineIndex``: every article's normalized headline and summary
in memory, extended with the newer articles before each search, so that a new query over them
costs only the matching (reading and normalizing 100,000 articles costs several times more).
The index also knows which articles contain which words (``pipeline.word_index``): a query is
evaluated only on the articles that contain its words, a superset of its matches, so the answer
is the evaluator's and the cost follows the candidates rather than the whole history.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, MutableMapping
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import desc, select

from borderwatch.reports import queries
from borderwatch.reports.report import Report
from borderwatch.reports.selection import Selection
from pipeline.query import Query, first_matching_clause, first_matching_name
from pipeline.schema import articles, sources
from pipeline.textnorm import normalize_many
from pipeline.word_index import WordIndex

# Articles read, normalized and matched per round trip: bounds memory on long histories.
_CHUNK = 20_000
_NO_IDS = np.zeros(0, dtype=np.int64)
# The most articles a HeadlineIndex keeps (about 300 bytes each); beyond, queries read them.
MAX_INDEXED = 1_000_000

SAMPLE_COLUMNS = ["article_id", "day", "source", "name", "relevant", "clause", "title", "url"]


class ArticleMatcher:
    """The articles one query matches among those of some outlets, searched as asked for.

    ``ids(store, since, until)`` returns the matched article ids of those days (None: no bound),
    searching only the days not searched before. Safe to share between threads.
    """

    def __init__(
        self,
        query: Query,
        *,
        within: str = "topic",
        match_in: str = "headline",
        source_keys: tuple[str, ...] | None = None,
        headlines: HeadlineIndex | None = None,
    ) -> None:
        self.query = query
        self.within = within
        self.match_in = match_in
        self.source_keys = source_keys
        self.headlines = headlines if match_in == "headline" else None
        self.searched = 0  # articles the query was answered for so far
        self.evaluated = 0  # of which the evaluator read (the others contain none of its words)
        self._lock = threading.Lock()
        self._covered = False
        self._first: dt.date | None = None  # searched range; None = unbounded
        self._last: dt.date | None = None
        self._ids: list[np.ndarray] = []
        self._days: list[np.ndarray] = []

    def ids(self, store: Any, since: dt.date | None, until: dt.date | None) -> np.ndarray:
        """Sorted ids of the matched articles published (``day``) from ``since`` to ``until``."""
        with self._lock:
            self._cover(store, since, until)
            if not self._ids:
                return _NO_IDS
            ids, days = np.concatenate(self._ids), np.concatenate(self._days)
        keep = np.ones(len(ids), dtype=bool)
        if since is not None:
            keep &= days >= np.datetime64(since, "D")
        if until is not None:
            keep &= days <= np.datetime64(until, "D")
        return np.sort(ids[keep])

    def _cover(self, store: Any, since: dt.date | None, until: dt.date | None) -> None:
        if not self._covered:
            self._search(store, since, until)
            self._first, self._last, self._covered = since, until, True
            return
        if self._first is not None and (since is None or since < self._first):
            self._search(store, since, self._first - dt.timedelta(days=1))
            self._first = since
        if self._last is not None and (until is None or until > self._last):
            self._search(store, self._last + dt.timedelta(days=1), until)
            self._last = until

    def _search(self, store: Any, first: dt.date | None, last: dt.date | None) -> None:
        if self.headlines is not None and self.headlines.refresh(store):
            ids, days, texts, considered = self.headlines.select(
                relevant_only=self.within == "topic",
                source_keys=self.source_keys,
                first=first,
                last=last,
                query=self.query,
            )
            found = self._test(texts)
            self._ids.append(ids[found])
            self._days.append(days[found])
            self.searched += considered
            self.evaluated += len(texts)
            return
        a = articles.c
        fields = [a.title, a.summary] + ([a.text] if self.match_in == "text" else [])
        conditions = []
        if self.within == "topic":
            conditions.append(a.relevant.is_(True))
        if self.source_keys is not None:
            conditions.append(a.source.in_(list(self.source_keys)))
        if first is not None:
            conditions.append(a.day >= first)
        if last is not None:
            conditions.append(a.day <= last)
        statement = select(a.id, a.day, *fields).where(*conditions)
        for columns in read_columns(store, statement):
            found = self._test(matching_texts(columns[2:]))
            if found.any():
                self._ids.append(np.asarray(columns[0], dtype=np.int64)[found])
                self._days.append(_days(columns[1])[found])
            self.searched += len(columns[0])
            self.evaluated += len(columns[0])

    def _test(self, documents: list[str]) -> np.ndarray:
        """Which of the normalized documents the query matches (the query language's own
        one-document evaluator: a small query scans each text, cheaper than hashing every word
        of every document for the batch matcher)."""
        test = self.query.matches
        return np.fromiter((test(doc, True) for doc in documents), dtype=bool, count=len(documents))


class _Part:
    """A run of consecutive articles of a ``HeadlineIndex``, with the index of their words."""

    __slots__ = ("ids", "days", "codes", "relevant", "texts", "words")

    def __init__(
        self,
        ids: np.ndarray,
        days: np.ndarray,
        codes: np.ndarray,
        relevant: np.ndarray,
        texts: list[str],
    ) -> None:
        self.ids, self.days, self.codes, self.relevant = ids, days, codes, relevant
        self.texts = texts
        self.words = WordIndex(texts)

    def extended(self, other: _Part) -> _Part:
        return _Part(
            np.concatenate([self.ids, other.ids]),
            np.concatenate([self.days, other.days]),
            np.concatenate([self.codes, other.codes]),
            np.concatenate([self.relevant, other.relevant]),
            self.texts + other.texts,
        )


class HeadlineIndex:
    """Every stored article's normalized headline and summary, in memory, with its id, day,
    outlet and relevance, and an index of their words (``pipeline.word_index``): what a query
    over headlines reads, without reading the database, and the few articles it can match.

    ``refresh`` adds the articles stored since the last call (an article's headline, summary,
    day, outlet and relevance never change once stored). Safe to share between threads.
    """

    def __init__(self, limit: int = MAX_INDEXED) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._newest = 0
        self._count = 0
        self._too_many = False
        self._parts: list[_Part] = []
        self._joined: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None
        self._joined = None
        self._codes: dict[str, int] = {}

    def refresh(self, store: Any) -> bool:
        """Add the newer articles; False when there are more than ``limit`` (then unused)."""
        with self._lock:
            if self._too_many:
                return False
            a = articles.c
            statement = (
                select(a.id, a.day, a.source, a.relevant, a.title, a.summary)
                .where(a.id > self._newest)
                .order_by(a.id)
            )
            for columns in read_columns(store, statement):
                ids = np.asarray(columns[0], dtype=np.int64)
                self._count += len(ids)
                if self._count > self.limit:
                    self._too_many, self._parts, self._joined = True, [], None
                    return False
                codes = np.fromiter(
                    (self._codes.setdefault(k, len(self._codes)) for k in columns[2]),
                    dtype=np.int32,
                    count=len(ids),
                )
                relevant = np.asarray([bool(v) for v in columns[3]], dtype=bool)
                part = _Part(ids, _days(columns[1]), codes, relevant, matching_texts(columns[4:]))
                # The few articles stored between two queries join the last part (its word
                # index is made again), so the parts stay about _CHUNK articles each.
                if self._parts and len(self._parts[-1].ids) + len(ids) <= _CHUNK:
                    part = self._parts.pop().extended(part)
                self._parts.append(part)
                self._newest = int(ids[-1])
                self._joined = None
            return True

    def select(
        self,
        *,
        relevant_only: bool,
        source_keys: tuple[str, ...] | None,
        first: dt.date | None,
        last: dt.date | None,
        query: Query | None = None,
    ) -> tuple[np.ndarray, np.ndarray, list[str], int]:
        """(ids, days, normalized texts, how many articles met the filters) of the articles
        that meet the filters and, with ``query``, that the query might match (a superset of
        its matches, from the word index: the caller's evaluator decides)."""
        with self._lock:
            if self._joined is None:
                empty = (_NO_IDS, _NO_IDS.astype("datetime64[D]"), _NO_IDS.astype(np.int32))
                parts = self._parts or [_Part(*empty, _NO_IDS.astype(bool), [])]
                texts = np.empty(sum(len(p.texts) for p in parts), dtype=object)
                texts[:] = [t for p in parts for t in p.texts]
                self._joined = (
                    np.concatenate([p.ids for p in parts]),
                    np.concatenate([p.days for p in parts]),
                    np.concatenate([p.codes for p in parts]),
                    np.concatenate([p.relevant for p in parts]),
                    texts,
                )
            ids, days, codes, relevant, texts = self._joined
            codes_of = dict(self._codes)
            indexes = [p.words for p in self._parts]
        keep = np.ones(len(ids), dtype=bool)
        if relevant_only:
            keep &= relevant
        if source_keys is not None:
            wanted = [codes_of[k] for k in source_keys if k in codes_of]
            keep &= np.isin(codes, np.asarray(wanted, dtype=np.int32))
        if first is not None:
            keep &= days >= np.datetime64(first, "D")
        if last is not None:
            keep &= days <= np.datetime64(last, "D")
        considered = int(keep.sum())
        if query is not None and indexes:
            masks = [index.candidates(query.root) for index in indexes]
            if any(mask is not None for mask in masks):
                keep &= np.concatenate(
                    [
                        np.ones(len(i), dtype=bool) if m is None else m
                        for i, m in zip(indexes, masks, strict=True)
                    ]
                )
        return ids[keep], days[keep], texts[keep].tolist(), considered


def read_columns(store: Any, statement: Any) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of ``statement`` in chunks, column by column.

    SQLite: straight from the driver's cursor, which steps through the rows as they are asked
    for (SQLAlchemy's row objects would cost more than reading them). PostgreSQL: through a
    server-side cursor, so a long history is never held whole in memory.
    """
    with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            result = conn.execute(statement)
            try:
                while rows := result.cursor.fetchmany(_CHUNK):
                    yield list(zip(*rows, strict=True))
            finally:
                result.close()
            return
        result = conn.execution_options(stream_results=True).execute(statement)
        for rows in result.partitions(_CHUNK):
            yield list(zip(*rows, strict=True))


def _days(values: tuple[Any, ...]) -> np.ndarray:
    """Days as returned by either driver (dates, or ISO text from SQLite) as datetime64[D]."""
    return pd.to_datetime(pd.Series(values, dtype=object)).to_numpy().astype("datetime64[D]")


def matching_texts(fields: list[tuple[Any, ...]] | list[list[Any]]) -> list[str]:
    """Each article's fields normalized one by one and joined, as relevance reads them
    (``pipeline.stages.words``): the text the query language matches."""
    normalized = [normalize_many([v if isinstance(v, str) else "" for v in f]) for f in fields]
    return [" ".join(part for part in parts if part) for parts in zip(*normalized, strict=True)]


def matcher_for(
    query: Query,
    selection: Selection,
    matchers: MutableMapping[Any, Any] | None = None,
    headlines: HeadlineIndex | None = None,
) -> ArticleMatcher:
    """The matcher of ``query`` over the selection's outlets, from ``matchers`` when known."""
    key = (query.source, selection.within, selection.match_in, selection.source_keys)
    if matchers is not None and key in matchers:
        return matchers[key]
    matcher = ArticleMatcher(
        query,
        within=selection.within,
        match_in=selection.match_in,
        source_keys=selection.source_keys,
        headlines=headlines,
    )
    if matchers is not None:
        matchers[key] = matcher
    return matcher


def match_sample(store: Any, selection: Selection, topic: Query, *, limit: int = 20) -> Report:
    """The newest matched articles of the selection, and the clause of the query that matched.

    With an ad-hoc query: the articles it matched and the first of its top-level OR clauses that
    matches each (``Query.clauses``), read in the same fields. Without one: the selection's
    relevant articles and why each counted, as stored when it was processed (the name of the
    configured ``topic``'s first clause that matched, ``articles.relevance_reason``); for
    articles stored before that was recorded, the first clause that matches their headline,
    summary and stored text now (empty where retention has removed the text the topic matched,
    or where a clause needed what the outlet is, e.g. ``source.country:PK``).
    """
    query = selection.matcher.query if selection.matcher is not None else topic
    full_text = selection.matcher is None or selection.matcher.match_in == "text"
    a, s = articles.c, sources.c
    fields = [a.title, a.summary] + ([a.text] if full_text else [])
    statement = (
        select(
            a.id.label("article_id"),
            a.day,
            a.source,
            s.name,
            a.relevant,
            a.title,
            a.url,
            a.relevance_reason,
            *[f.label(f"match_{f.name}") for f in fields],
        )
        .select_from(articles.join(sources, s.key == a.source))
        .where(*queries.selected_articles(store, selection))
        .order_by(desc(a.day), desc(a.id))
        .limit(limit)
    )
    frame = store.read_sql(statement)
    texts = matching_texts([frame[f"match_{f.name}"].tolist() for f in fields])
    if selection.matcher is not None:
        frame["clause"] = first_matching_clause(query, texts, normalized=True) if texts else []
    else:
        now = first_matching_name(query, texts, normalized=True) if texts else []
        stored = frame["relevance_reason"].tolist()
        frame["clause"] = [
            reason if isinstance(reason, str) and reason else found
            for reason, found in zip(stored, now, strict=True)
        ]
    frame["relevant"] = frame["relevant"].astype(bool)
    frame["day"] = pd.to_datetime(frame["day"]).dt.date if len(frame) else []
    extra = selection.describe()
    what = "Matches of the query" if selection.matcher is not None else "Relevant articles"
    title = f"{what}, newest first, with the clause that matched" + (f" ({extra})" if extra else "")
    notes = [f"query: {query.source}"]
    return Report("matches", title, frame[SAMPLE_COLUMNS].reset_index(drop=True), notes)


__all__ = [
    "SAMPLE_COLUMNS",
    "ArticleMatcher",
    "HeadlineIndex",
    "match_sample",
    "matcher_for",
    "matching_texts",
    "read_columns",
]
