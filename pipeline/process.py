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

from pipeline.query import Query
from pipeline.stages.language import assign_language
from pipeline.stages.normalize import drop_exact_duplicates, normalize
from pipeline.stages.prepare import items_to_frame
from pipeline.stages.relevance import add_normalized_text, apply_queries
from pipeline.stages.sources import resolve_sources
from pipeline.stages.stories import assign_stories, batch_keys, fingerprint
from pipeline.store import Store, utcnow


@dataclass(frozen=True)
class ProcessingRules:
    """What the stages need from the configuration, as plain data and compiled queries."""

    topic: Query
    tags: Mapping[str, Query]
    source_lookup: Mapping[str, str]
    outlet_names: Mapping[str, list[str]] = field(default_factory=dict)
    # Same outlet, same normalized title within this many days: one story.
    title_window_days: int = 7
    # Near-duplicate text within this many days: one story (config processing.*).
    story_window_days: int = 14
    near_duplicate_threshold: float = 0.4

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

    def add(self, other: ProcessResult) -> None:
        self.items += other.items
        self.new += other.new
        self.relevant += other.relevant
        self.skipped += other.skipped


def run_stages(
    items: Sequence[dict[str, Any]],
    rules: ProcessingRules,
    store: Store,
    now: dt.datetime,
) -> pd.DataFrame:
    """The stages in order; returns the new articles ready to store."""
    frame = items_to_frame(items, now)
    frame = resolve_sources(frame, rules.source_lookup)
    frame = normalize(frame, dict(rules.outlet_names))
    frame = drop_exact_duplicates(frame)
    stored = store.stored_urls(list(frame["canonical_url"]) + list(frame["url"]))
    frame = frame[~(frame["canonical_url"].isin(stored) | frame["url"].isin(stored))]
    if frame.empty:
        return frame
    frame = assign_language(frame)
    frame = add_normalized_text(frame)
    frame = apply_queries(frame, rules.topic, rules.tags)
    frame = fingerprint(frame)
    index = store.recent_story_index(batch_keys(frame))
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
    """Process one chunk of items and store it; a chunk already stored is skipped."""
    if batch_id is not None and store.batch_done(batch_id, chunk):
        return ProcessResult(items=len(items), skipped=len(items))
    now = now or utcnow()
    frame = run_stages(items, rules, store, now)
    figures = store.save_articles(
        frame, batch_id=batch_id, chunk=chunk, index_days=rules.index_days
    )
    return ProcessResult(
        items=len(items),
        new=figures["new"],
        relevant=figures["relevant"],
        skipped=len(items) - figures["new"],
    )
