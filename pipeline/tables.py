"""The base tables of the database. Their names and columns are public: docs/schema.md
documents them. The rollups (pipeline/rollups.py) and the views (pipeline/views.py) extend this
metadata; pipeline/schema.py gathers all three: import the schema from there.

Times are stored as naive UTC datetimes (the same on SQLite and PostgreSQL); ``day`` columns are
the UTC calendar day of an article's publication date (its collection time when it has none).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
)

metadata = MetaData()

# One row per outlet: configured in config.yaml, or discovered (an outlet named by a search feed
# or by an imported item that matches no configured source).
sources = Table(
    "sources",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("name", Text, nullable=False),
    Column("country", String(2)),
    Column("language", String(8)),
    Column("origin", String(16), nullable=False, default="config"),
    Column("domain", Text),
    Column("created_at", DateTime, nullable=False),
)

# One row per fetch target (a feed, search feed, sitemap or listing page of a source).
feed_state = Table(
    "feed_state",
    metadata,
    Column("source", String(200), ForeignKey("sources.key"), nullable=False),
    Column("url", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("body_hash", String(64)),
    Column("last_fetch_at", DateTime),
    Column("last_success_at", DateTime),
    Column("last_status", String(32)),
    Column("last_error", Text),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("next_fetch_at", DateTime),
    Column("interval_seconds", Integer),
    Column("entries_last", Integer),
    Column("last_new_item_at", DateTime),
    Column("flagged", Text),
    # The lease of a planner that sent the target to a worker (migration 0012): the worker's
    # outcome is written only while the token matches; an expired lease is due again.
    Column("lease_owner", String(200)),
    Column("lease_token", String(64)),
    Column("lease_expires_at", DateTime),
    PrimaryKeyConstraint("source", "url"),
)

stories = Table(
    "stories",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("first_seen_at", DateTime, nullable=False),
    Column("day", Date, nullable=False),
    Column("lead_article_id", Integer),
    Column("title", Text),
    Column("articles", Integer, nullable=False, default=0),
    Column("outlets", Integer, nullable=False, default=0),
    Column("relevant", Boolean, nullable=False, default=False),
    Column("updated_at", DateTime, nullable=False),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False),
    Column("canonical_url", Text, nullable=False, unique=True),
    Column("source", String(200), ForeignKey("sources.key"), nullable=False),
    Column("feed_url", Text),
    Column("guid", Text),
    Column("title", Text),
    Column("title_key", Text),
    Column("summary", Text),
    Column("text", Text),
    Column("text_status", String(16), nullable=False, default="not_fetched"),
    Column("author", Text),
    Column("published_at", DateTime),
    Column("published_source", String(16)),
    Column("collected_at", DateTime, nullable=False),
    Column("day", Date, nullable=False),
    Column("language", String(8)),
    Column("relevant", Boolean, nullable=False, default=False),
    Column("story_id", Integer, ForeignKey("stories.id")),
    Column("content_hash", String(32)),
    # Set when retention removed the text (config text_retention_days; migration 0002).
    Column("text_pruned_at", DateTime),
    # Why a relevant article counted: the name of the first clause of the topic query that
    # matched it (or, for a topic written as one query, that clause's text); NULL when not
    # relevant or stored before revision 0010.
    Column("relevance_reason", Text),
)
# Coverage is recomputed per (day, source) and stories are recounted per story after every
# chunk: with relevant and story_id in these indexes, neither reads the article rows, whose
# long text would otherwise be walked to reach the columns after it (migration 0009).
Index(
    "ix_articles_day_source_relevant_story",
    articles.c.day,
    articles.c.source,
    articles.c.relevant,
    articles.c.story_id,
)
Index(
    "ix_articles_story_source_relevant", articles.c.story_id, articles.c.source, articles.c.relevant
)
# Stored-article checks look up collected URLs as well as canonical ones.
Index("ix_articles_url", articles.c.url)
# Reports of some outlets over a range of days (migration 0002), widened so that their relevant
# articles, stories and tags are found without visiting the article rows (migration 0013).
Index(
    "ix_articles_source_day_relevant_story_id",
    articles.c.source,
    articles.c.day,
    articles.c.relevant,
    articles.c.story_id,
    articles.c.id,
)
# Source health reads the outlet and times of the last 90 days' articles from this index
# alone, not from the article rows and their text (migration 0013).
Index(
    "ix_articles_collected_source_published",
    articles.c.collected_at,
    articles.c.source,
    articles.c.published_at,
)

# The near-duplicate index of the recent window (see docs/processing.md): what a new article
# is compared with. Derived from articles and pruned to the story window, so its size follows
# the window's volume, not the database's.
story_keys = Table(
    "story_keys",
    metadata,
    # A signed 64-bit hash of the article's source and title key (rule 1). Until revision 0009
    # the LSH band keys (rule 2) were rows here too; they now sit in story_signatures.bands.
    Column("key", BigInteger, nullable=False),
    Column("rule", SmallInteger, nullable=False),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("story_id", Integer, nullable=False),
    Column("day", Date, nullable=False),
)
Index("ix_story_keys_key", story_keys.c.key)
Index("ix_story_keys_day", story_keys.c.day)

story_signatures = Table(
    "story_signatures",
    metadata,
    Column(
        "article_id",
        Integer,
        ForeignKey("articles.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("story_id", Integer, nullable=False),
    Column("day", Date, nullable=False),
    Column("shingles", Integer, nullable=False),
    # 128 little-endian uint32 MinHash values (pipeline/minhash.py).
    Column("signature", LargeBinary, nullable=False),
    # The signature's 20 LSH band keys as little-endian int64 values (160 bytes): the whole
    # window's bands are read per batch and matched in memory (migration 0009).
    Column("bands", LargeBinary, nullable=False),
)
Index("ix_story_signatures_day", story_signatures.c.day)

article_tags = Table(
    "article_tags",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("tag", String(64), nullable=False),
    PrimaryKeyConstraint("article_id", "tag"),
)
Index("ix_article_tags_tag", article_tags.c.tag, article_tags.c.article_id)

# Relevant articles per day, source and tag; tag "*" counts all relevant articles.
daily_coverage = Table(
    "daily_coverage",
    metadata,
    Column("day", Date, nullable=False),
    Column("source", String(200), nullable=False),
    Column("tag", String(64), nullable=False),
    Column("articles", Integer, nullable=False),
    Column("stories", Integer, nullable=False),
    PrimaryKeyConstraint("day", "source", "tag"),
)
Index("ix_daily_coverage_tag_day", daily_coverage.c.tag, daily_coverage.c.day)
Index("ix_daily_coverage_source_day", daily_coverage.c.source, daily_coverage.c.day)

# Every article collected per day and source, relevant or not: the denominator of trends.
daily_volume = Table(
    "daily_volume",
    metadata,
    Column("day", Date, nullable=False),
    Column("source", String(200), nullable=False),
    Column("articles", Integer, nullable=False),
    PrimaryKeyConstraint("day", "source"),
)
Index("ix_daily_volume_source_day", daily_volume.c.source, daily_volume.c.day)

# Staged batches (or chunks of one) whose articles are committed: a restart skips them.
ingested_batches = Table(
    "ingested_batches",
    metadata,
    Column("batch_id", String(200), nullable=False),
    Column("chunk", Integer, nullable=False),
    Column("items", Integer, nullable=False),
    Column("ingested_at", DateTime, nullable=False),
    PrimaryKeyConstraint("batch_id", "chunk"),
)

# One row per ``borderwatch worker`` process: its last heartbeat and the shard it crawls
# (migration 0012). ``borderwatch status`` lists them; a silent worker's row ages, nothing more.
crawl_workers = Table(
    "crawl_workers",
    metadata,
    Column("name", String(200), nullable=False),
    Column("host", String(200), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("heartbeat_at", DateTime, nullable=False),
    Column("shard", Text),
    Column("shards_done", Integer, nullable=False, server_default="0"),
    PrimaryKeyConstraint("name"),
)

# Batches staged in the database, for workers on other machines (migration 0012): ``body`` is
# the batch's JSON Lines; ``owner`` the identity of the database it was collected for. Deleted
# in the transaction that records the batch's last chunk in ingested_batches.
staged_batches = Table(
    "staged_batches",
    metadata,
    Column("batch_id", String(200), nullable=False),
    Column("owner", String(64), nullable=False),
    Column("items", Integer, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("published_at", DateTime, nullable=False),
    PrimaryKeyConstraint("batch_id"),
)

# Items a back end refused to store, set aside so that the rest of their chunk is stored: the
# batch and line they came from, the item as JSON and the database's message (migration 0010).
quarantine = Table(
    "quarantine",
    metadata,
    Column("batch_id", String(200), nullable=False),
    Column("line", Integer, nullable=False),
    Column("item", Text, nullable=False),
    Column("error", Text, nullable=False),
    Column("quarantined_at", DateTime, nullable=False),
    PrimaryKeyConstraint("batch_id", "line"),
)

# Facts about the database itself, by name. ``identity``: a random id written the first time it
# is asked for, which staged batches record so that they are stored only into the database they
# were collected for (migration 0010). Not copied by ``db copy``: a copy is another database.
database_info = Table(
    "database_info",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

# One row per job run (collect, digest, health, ingest), written by every job.
runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(32), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("status", String(16), nullable=False),
    Column("fetched", Integer, nullable=False, default=0),
    Column("new", Integer, nullable=False, default=0),
    Column("relevant", Integer, nullable=False, default=0),
    Column("errors", Text),
    # The day a digest run covered (the local day in schedule.timezone); empty for other jobs.
    Column("day", Date),
)
Index("ix_runs_job_started", runs.c.job, runs.c.started_at)

# Digests handed to the mail server (or written to the outbox), one per day and recipient.
digests = Table(
    "digests",
    metadata,
    Column("day", Date, nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("message_id", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
    PrimaryKeyConstraint("day", "recipient"),
)
