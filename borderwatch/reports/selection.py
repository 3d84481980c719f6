"""What a report is about (tags, outlets, countries, languages, dates, an ad-hoc query),
checked against the data.

Every name a user types is checked against what the database (and config.yaml) knows, so a typo
gets one line that lists what is available instead of an empty report; a query that does not
parse gets the query language's own message, with the position of the problem.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from pipeline.coverage import ALL_TAGS
from pipeline.schema import daily_coverage, daily_volume, sources

# How many available names an error message lists before it says "and N more".
_LISTED = 25


# Which articles an ad-hoc query searches: the topic's relevant ones, or every collected one.
WITHIN = ("topic", "all")
# What it reads of them: headline and summary (what the feed said), or the stored text as well.
MATCH_IN = ("headline", "text")


class ReportInputError(ValueError):
    """A report was asked for something the data does not have; the message is one line."""


class QueryInputError(ReportInputError):
    """The ad-hoc query does not parse: ``syntax`` is the query language's error (with the
    position of the problem and what was expected there)."""

    def __init__(self, syntax: Exception) -> None:
        self.syntax = syntax
        super().__init__(f"--query: {syntax}")


@dataclass(frozen=True)
class Selection:
    """The filters every report takes. Empty tuples mean "no filter".

    ``query``: an ad-hoc query in the query language (docs/queries.md); the report then counts
    only the articles it matches, among the topic's relevant articles (``within="topic"``) or
    among every collected article (``within="all"``), reading their headline and summary
    (``match_in="headline"``) or their stored text as well (``match_in="text"``).
    """

    tags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    query: str | None = None
    within: str = "topic"
    match_in: str = "headline"
    # Filled in by ``resolve``: the source keys the filters leave (None: every source); with a
    # query, by ``catalogue.resolve_selection``: the ``ArticleMatcher`` that finds its articles.
    source_keys: tuple[str, ...] | None = None
    matcher: Any = field(default=None, compare=False, repr=False)

    @property
    def topic_tags(self) -> tuple[str, ...]:
        """The tags to report, the whole topic (``*``) when none was asked for."""
        return self.tags or (ALL_TAGS,)

    def describe(self) -> str:
        """The filters in a few words, for titles."""
        parts = []
        if self.sources:
            parts.append("sources " + ", ".join(self.sources))
        if self.countries:
            parts.append("country " + ", ".join(self.countries))
        if self.languages:
            parts.append("language " + ", ".join(self.languages))
        if self.since or self.until:
            parts.append(f"{self.since or '…'} to {self.until or '…'}")
        if self.query:
            searched = "all articles" if self.within == "all" else "topic"
            field_names = "full text" if self.match_in == "text" else "headlines"
            parts.append(f"query {self.query} ({searched}, {field_names})")
        return "; ".join(parts)


def resolve(
    store: Any, selection: Selection, known_tags: list[str] | tuple[str, ...] = ()
) -> Selection:
    """Check every filter against the data and return the selection with source keys resolved.

    Raises ReportInputError for an unknown tag, source, country or language, and for a date
    range that ends before it starts; QueryInputError for a query that does not parse. A
    selection with a query needs its matcher too before a report can count it (see
    ``borderwatch.reports.catalogue.resolve_selection``).
    """
    if selection.since and selection.until and selection.since > selection.until:
        first, last = data_range(store)
        covered = f"; the data covers {first} to {last}" if first else ""
        raise ReportInputError(
            f"--since {selection.since} is after --until {selection.until}{covered}"
        )
    _check_query(selection)
    _check_tags(store, selection.tags, known_tags)
    table = store.read_sql(
        select(sources.c.key, sources.c.name, sources.c.country, sources.c.language)
    )
    keys = _match_sources(table, selection.sources)
    countries = _match_codes(table, "country", selection.countries, str.upper)
    languages = _match_codes(table, "language", selection.languages, str.lower)
    if not (keys or countries or languages):
        return replace(selection, source_keys=None)
    chosen = table
    if keys:
        chosen = chosen[chosen["key"].isin(keys)]
    if countries:
        chosen = chosen[chosen["country"].str.upper().isin(countries)]
    if languages:
        chosen = chosen[chosen["language"].str.lower().isin(languages)]
    return replace(
        selection,
        countries=tuple(countries),
        languages=tuple(languages),
        source_keys=tuple(sorted(chosen["key"])),
    )


def _check_query(selection: Selection) -> Any:
    """The parsed ad-hoc query (None without one), its options checked."""
    if selection.within not in WITHIN:
        raise ReportInputError(f"--within {selection.within!r}: expected {' or '.join(WITHIN)}")
    if selection.match_in not in MATCH_IN:
        raise ReportInputError(
            f"--match-in {selection.match_in!r}: expected {' or '.join(MATCH_IN)}"
        )
    if selection.query is None or not selection.query.strip():
        if selection.within != "topic" or selection.match_in != "headline":
            raise ReportInputError("--within and --match-in apply to a --query; give one")
        return None
    from pipeline.query import QuerySyntaxError, parse_query

    try:
        query = parse_query(selection.query)
    except QuerySyntaxError as exc:
        raise QueryInputError(exc) from None
    if query.fields():
        # Stored articles are searched by their words; their outlets are chosen by filters.
        names = ", ".join(sorted(query.fields()))
        raise ReportInputError(
            f"--query: {names} is not searched in reports; choose outlets with --country, "
            "--language or --source instead"
        )
    return query


def data_range(store: Any) -> tuple[dt.date | None, dt.date | None]:
    """First and last day with any collected article."""
    # Two statements: SQLite answers a lone MIN or MAX from the index, both at once by a scan.
    with store.engine.connect() as conn:
        first = conn.execute(select(func.min(daily_volume.c.day))).scalar_one_or_none()
        last = conn.execute(select(func.max(daily_volume.c.day))).scalar_one_or_none()
    return _as_date(first), _as_date(last)


def available_tags(store: Any, known_tags: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Tags a report can ask for: those configured and those with coverage rows."""
    stored = store.read_sql(select(daily_coverage.c.tag).distinct())["tag"].tolist()
    return sorted((set(stored) | set(known_tags)) - {ALL_TAGS})


def _check_tags(store: Any, tags: tuple[str, ...], known_tags: list[str] | tuple[str, ...]) -> None:
    """Configured tags are known; any other must have coverage rows (one indexed look-up each)."""
    unknown = [
        t for t in tags if t != ALL_TAGS and t not in known_tags and not _has_coverage(store, t)
    ]
    if unknown:
        available = available_tags(store, known_tags)
        raise ReportInputError(
            f"unknown tag {_quoted(unknown)}; available: {_listing(available)} "
            f"(or '{ALL_TAGS}' for the whole topic)"
        )


def _has_coverage(store: Any, tag: str) -> bool:
    query = select(daily_coverage.c.tag).where(daily_coverage.c.tag == tag).limit(1)
    return not store.read_sql(query).empty


def _match_sources(table: pd.DataFrame, wanted: tuple[str, ...]) -> list[str]:
    """Source keys for the given keys or names (case-insensitive)."""
    if not wanted:
        return []
    by_key = {str(k).casefold(): k for k in table["key"]}
    by_name = {str(n).casefold(): k for k, n in zip(table["key"], table["name"], strict=True)}
    found, unknown = [], []
    for name in wanted:
        key = by_key.get(name.casefold()) or by_name.get(name.casefold())
        (found if key else unknown).append(key or name)
    if unknown:
        raise ReportInputError(
            f"unknown source {_quoted(unknown)}; available: {_listing(sorted(table['key']))}"
        )
    return found


def _match_codes(table: pd.DataFrame, column: str, wanted: tuple[str, ...], fold: Any) -> list[str]:
    if not wanted:
        return []
    available = sorted({fold(str(v)) for v in table[column].dropna()})
    chosen = [fold(w) for w in wanted]
    unknown = [w for w in chosen if w not in available]
    if unknown:
        raise ReportInputError(
            f"unknown {column} {_quoted(unknown)}; available: {_listing(available)}"
        )
    return chosen


def _quoted(names: list[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _listing(names: list[str]) -> str:
    if not names:
        return "none yet"
    shown = ", ".join(names[:_LISTED])
    more = len(names) - _LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def _as_date(value: Any) -> dt.date | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


__all__ = [
    "MATCH_IN",
    "WITHIN",
    "QueryInputError",
    "ReportInputError",
    "Selection",
    "available_tags",
    "data_range",
    "resolve",
]
