"""Turn the validated configuration into the plain data the stages and the crawler need."""

from __future__ import annotations

from typing import Any

from borderwatch.config import Config
from crawler.backoff import FLAG_GONE
from pipeline.process import ProcessingRules
from pipeline.query import Query, parse_clauses, parse_query
from pipeline.stages.attribution import build_lookup, build_profiles


def topic_query(config: Config) -> Query:
    """The topic as one query; with named clauses, it knows their names."""
    topic = config.topic
    if topic.clauses:
        return parse_clauses(topic.clauses, topic.terms)
    assert topic.query is not None  # TopicSettings has one form or the other
    return parse_query(topic.query, topic.terms)


def tag_queries(config: Config) -> dict[str, Query]:
    """The tags' queries, by name, in the configured order."""
    return {name: parse_query(tag.query, config.topic.terms) for name, tag in config.tags.items()}


def processing_rules(config: Config) -> ProcessingRules:
    """Compiled topic and tag queries and the source lookup tables."""
    configured = [s.model_dump() for s in config.sources]
    processing = config.processing
    return ProcessingRules(
        topic=topic_query(config),
        tags=tag_queries(config),
        source_lookup=build_lookup(configured),
        outlet_names={s.key: [s.name] for s in config.sources},
        source_profiles=build_profiles(configured),
        lede_words=processing.lede_words,
        tag_mentions={
            name: tag.mentions or processing.tag_mentions for name, tag in config.tags.items()
        },
        paragraph_mentions={
            name: processing.tag_paragraph_mentions
            if tag.paragraph_mentions is None
            else tag.paragraph_mentions
            for name, tag in config.tags.items()
        },
        story_window_days=processing.story_window_days,
        near_duplicate_threshold=processing.near_duplicate_threshold,
    )


def source_rows(config: Config) -> list[dict[str, Any]]:
    """Rows for the sources table from the configured sources."""
    return [
        {
            "key": s.key,
            "name": s.name,
            "country": s.country,
            "language": s.language,
            "domain": s.domains[0] if s.domains else None,
        }
        for s in config.sources
    ]


def feed_rows(config: Config) -> list[dict[str, Any]]:
    """Rows for the feed_state table: one per configured fetch target."""
    return [
        {"source": s.key, "url": f.url, "kind": f.kind} for s in config.sources for f in s.feeds
    ]


def crawl_options(config: Config) -> dict[str, Any]:
    """The collect settings as plain data for the crawler (it never sees Config itself)."""
    return config.collect.model_dump()


def plan_targets(config: Config, due: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge due feed_state rows with their configuration into crawl plan entries.

    Targets no longer in the configuration are left out (their rows stay for the history), and
    so are targets flagged as gone (HTTP 410) until ``borderwatch sources reset`` clears them.
    """
    by_target = {(s.key, f.url): (s, f) for s in config.sources for f in s.feeds}
    plan = []
    for row in due:
        found = by_target.get((row["source"], row["url"]))
        if not found or str(row.get("flagged") or "").startswith(FLAG_GONE):
            continue
        source, feed = found
        full_text = config.collect.full_text if source.full_text is None else source.full_text
        plan.append(
            {
                "source": source.key,
                "url": feed.url,
                "kind": feed.kind,
                "article_pattern": feed.article_pattern,
                "next_pattern": feed.next_pattern,
                "max_pages": feed.max_pages,
                "full_text": full_text,
                "refresh_updated": source.refresh_updated,
                "interval": source.interval,
                "etag": row.get("etag"),
                "last_modified": row.get("last_modified"),
                "body_hash": row.get("body_hash"),
                "consecutive_failures": row.get("consecutive_failures") or 0,
                "interval_seconds": row.get("interval_seconds"),
            }
        )
    return plan
