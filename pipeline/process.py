"""Run the stages over a batch of items and store the result.

This is where the pandas stages meet the store: the stages see DataFrames and data the store
looked up for them, and the store writes what they produced in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pipeline.query import Query, query_prefixes
from pipeline.stages.attribution import SourceProfile, resolve_sources
from pipeline.stages.language import assign_language
from pipeline.stages.normalize import drop_exact_duplicates, normalize
from pipeline.stages.prepare import items_to_frame
from pipeline.stages.relevance import apply_queries
from pipeline.stages.stories import add_title_hash, assign_stories, batch_keys, fingerprint
from pipeline.stages.words import text_words
from pipeline.store import Store, utcnow


@dataclass(frozen=True)
class ProcessingRules:
    """What the stages need from the configuration, as plain data and compiled queries."""

    topic: Query
    tags: Mapping[str, Query]
    source_lookup: Mapping[str, str]
    # Near-duplicate text within this many days: one story. Both come from config.yaml's
    # processing section, whose model (borderwatch.config) holds their defaults.
    story_window_days: int
    near_duplicate_threshold: float
    # A tag counts on a match in the title and lede (lede_words of the summary, else of the
    # text), else on tag_mentions[tag] separate mentions in the whole article; from the same
    # section, and the tags' own settings.
    lede_words: int
    tag_mentions: Mapping[str, int]
    outlet_names: Mapping[str, list[str]] = field(default_factory=dict)
    # Country and language of the configured sources, for source.country/source.language.
    source_profiles: Mapping[str, SourceProfile] = field(default_factory=dict)
    # Same outlet, same normalized title within this many days: one story.
    title_window_days: int = 7
    # A tag also counts when its query matches one paragraph of the text with
    # paragraph_mentions[tag] separate mentions there (0 or none: a paragraph is not enough);
    # from the same section, and the tags' own settings.
    paragraph_mentions: Mapping[str, int] = field(default_factory=dict)

    @property
    def index_days(self) -> int:
        """How many days of story keys the store must keep to apply both windows."""
        return max(self.title_window_days, self.story_window_days)


@dataclass
class ProcessResult:
    items: int = 0
    new: int = 0
    relevant: int = 0
    skipped: int = 0
    # Items a back end refused, set aside in the quarantine table.
    quarantined: int = 0

    def add(self, other: ProcessResult) -> None:
        self.items += other.items
        self.new += other.new
        self.relevant += other.relevant
        self.skipped += other.skipped
        self.quarantined += other.quarantined


def read_items(
    items: Sequence[dict[str, Any]], rules: ProcessingRules, now: dt.datetime
) -> pd.DataFrame:
    """Items to a frame with their sources."""
    return resolve_sources(items_to_frame(items, now), rules.source_lookup, rules.source_profiles)


def identify_articles(frame: pd.DataFrame, rules: ProcessingRules) -> pd.DataFrame:
    """Canonical URLs, title keys and content hashes; one row per canonical URL."""
    frame = normalize(frame, dict(rules.outlet_names))
    return add_title_hash(drop_exact_duplicates(frame))


def drop_stored_items(items: Sequence[dict[str, Any]], store: Store) -> list[dict[str, Any]]:
    """Leave out items whose URL is stored: not worth analyzing (a file ingested twice)."""
    if not items:
        return list(items)
    stored = store.stored_urls(item["url"] for item in items)
    return [item for item in items if item["url"] not in stored]


def drop_stored(frame: pd.DataFrame, store: Store) -> pd.DataFrame:
    """Leave out articles whose URL or canonical URL is stored: they are never processed again."""
    if frame.empty:
        return frame
    stored = store.stored_urls(list(frame["canonical_url"]) + list(frame["url"]))
    return frame[~(frame["canonical_url"].isin(stored) | frame["url"].isin(stored))]


def analyze(frame: pd.DataFrame, rules: ProcessingRules) -> pd.DataFrame:
    """The stages that need no database: language, relevance and tags, story fingerprints."""
    if frame.empty:
        return frame
    frame = assign_language(frame)
    # Normalize, split and hash every article's words once, for the queries and the
    # fingerprints.
    words = text_words(frame, query_prefixes([rules.topic, *rules.tags.values()]))
    frame = apply_queries(
        frame,
        rules.topic,
        rules.tags,
        words,
        lede_words=rules.lede_words,
        tag_mentions=rules.tag_mentions,
        paragraph_mentions=rules.paragraph_mentions,
    )
    return fingerprint(frame, words)


def prepare_chunk(
    items: Sequence[dict[str, Any]], rules: ProcessingRules, now: dt.datetime
) -> pd.DataFrame:
    """``read_items`` and ``analyze``: the work that runs in the ingest worker process.

    Every stage of ``analyze`` looks at one article at a time, so it may run before
    ``identify_articles`` drops exact duplicates; ``store_prepared`` does that part in the
    storing process, which would otherwise wait for the worker (the text analysis is the
    larger half of the work).
    """
    return analyze(read_items(items, rules, now), rules)


def assign_to_stories(frame: pd.DataFrame, rules: ProcessingRules, store: Store) -> pd.DataFrame:
    """Look up the story index for the frame's keys and assign every article to a story."""
    if frame.empty:
        return frame
    index = store.recent_story_index(*batch_keys(frame))
    return assign_stories(
        frame,
        index,
        threshold=rules.near_duplicate_threshold,
        story_window_days=rules.story_window_days,
        title_window_days=rules.title_window_days,
    )


def process_items(
    items: Sequence[dict[str, Any]],
    rules: ProcessingRules,
    store: Store,
    *,
    batch_id: str | None = None,
    chunk: int = 0,
    now: dt.datetime | None = None,
) -> ProcessResult:
    """Process one chunk of items and store it; a chunk already stored is skipped.

    The same steps in the same order as ``borderwatch ingest`` and ``collect`` (whose reading
    and analysis run in a worker process): stored URLs dropped, ``prepare_chunk``, then
    ``store_prepared``.
    """
    if batch_id is not None and store.batch_done(batch_id, chunk):
        return ProcessResult(items=len(items), skipped=len(items))
    frame = prepare_chunk(drop_stored_items(items, store), rules, now or utcnow())
    return store_prepared(frame, len(items), rules, store, batch_id=batch_id, chunk=chunk)


def store_prepared(
    frame: pd.DataFrame,
    n_items: int,
    rules: ProcessingRules,
    store: Store,
    *,
    batch_id: str | None = None,
    chunk: int = 0,
    last: bool = False,
) -> ProcessResult:
    """Finish a chunk that ``prepare_chunk`` analyzed: identify its articles, drop stored
    ones, assign stories, store. ``last``: the batch's last chunk (its row in the database's
    staging, if any, goes in the same transaction)."""
    frame = identify_articles(frame, rules)
    frame = drop_stored(frame, store)
    frame = assign_to_stories(frame, rules, store)
    return store_chunk(frame, n_items, rules, store, batch_id=batch_id, chunk=chunk, last=last)


def store_chunk(
    frame: pd.DataFrame,
    n_items: int,
    rules: ProcessingRules,
    store: Store,
    *,
    batch_id: str | None = None,
    chunk: int = 0,
    last: bool = False,
) -> ProcessResult:
    figures = store.save_articles(
        frame,
        batch_id=batch_id,
        chunk=chunk,
        index_days=rules.index_days,
        release_batch=last and batch_id is not None,
    )
    return ProcessResult(
        items=n_items,
        new=figures["new"],
        relevant=figures["relevant"],
        skipped=n_items - figures["new"],
    )
