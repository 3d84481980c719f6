"""What goes into a day's digest, read from the store (no rendering here).

The day is a calendar day in the configured time zone; an article belongs to the day of its
publication time (its collection time when it has none). Everything taken from a feed passes
through ``clean_text`` and ``safe_url`` here, so the templates only ever see plain, tame text.

A story published before the day but first collected after the previous day's digest went out
(an outlet's feed that lags, an outage) was in no earlier digest: the digest lists such stories
as *arrived late*, when they were published within ``LATE_DAYS`` days before the day (older
ones are a backfill, not news) by a source that was monitored already then (a new source's
first collection, or a first run, brings its recent past: nothing late about that). "Went out"
is when that digest was first delivered or written, as the ledger recorded it, and never
before it was due; this digest's own window ends when it is composed, and never before it is
due, so that each late story falls into exactly one window.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import and_, func, select

from borderwatch.digest import ledger
from borderwatch.digest.problems import source_problems
from borderwatch.spikes import SpikeRule, baseline, spike_flags
from borderwatch.timing import slot_on
from pipeline.schema import article_tags, articles, sources, stories
from pipeline.store import Store

#: Days of history read for the chart; the spike baseline may ask for more.
CHART_DAYS = 30
#: Label of the all-tags row and series.
ALL = "all"
#: Stories published at most this many days before the digest's day may be listed as late.
LATE_DAYS = 7

# Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) can reorder
# the text around them ("right-to-left override" spoofing); headlines never need them, and the
# templates isolate each headline with dir="auto" instead.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def clean_text(value: object, limit: int = 400) -> str:
    """Feed text made safe to display: no control or bidi-override characters, one line."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = _BIDI_CONTROLS.sub("", str(value))
    # Other control characters (C0, C1, DEL) go; ZWNJ/ZWJ and marks stay (Persian needs them).
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def safe_url(value: object) -> str | None:
    """``value`` if it is a plain http(s) URL with a host, else None (shown without a link)."""
    if not isinstance(value, str) or not value:
        return None
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return value


@dataclass
class StoryEntry:
    """One story of the day: its lead article and who else carried it."""

    story_id: int
    title: str
    url: str | None
    outlet: str
    published: dt.datetime | None  # local time
    summary: str
    outlets: list[str]
    articles: int
    tags: list[str]
    first_day: dt.date
    new: bool
    #: Why the lead article counted: the topic clause that matched it (articles.relevance_reason).
    reason: str = ""

    @property
    def also_reported_by(self) -> list[str]:
        return [o for o in self.outlets if o != self.outlet]


@dataclass
class TagTrend:
    """A tag's day against its recent past (articles and stories are relevant ones)."""

    tag: str
    stories: int
    articles: int
    yesterday: int
    mean7: float | None
    mean14: float | None
    spike: bool

    @property
    def ratio(self) -> float | None:
        """Today's articles over the 14-day mean, when there is a mean to compare with."""
        if not self.mean14:
            return None
        return self.articles / self.mean14


@dataclass
class SourceProblem:
    name: str
    status: str
    detail: str


@dataclass
class DigestContent:
    day: dt.date
    timezone: str
    stories: list[StoryEntry] = field(default_factory=list)
    new_stories: int = 0
    total_stories: int = 0
    total_articles: int = 0
    outlets: int = 0
    overall: TagTrend | None = None
    tags: list[TagTrend] = field(default_factory=list)
    # Relevant articles per local day (index) for "all" and each tag (columns), CHART_DAYS long.
    series: pd.DataFrame = field(default_factory=pd.DataFrame)
    spikes: pd.DataFrame = field(default_factory=pd.DataFrame)
    problems: list[SourceProblem] = field(default_factory=list)
    # Stories from the days before that arrived since the previous digest, and how many.
    late: list[StoryEntry] = field(default_factory=list)
    total_late: int = 0

    @property
    def empty(self) -> bool:
        """No story of the day (stories that arrived late may still be listed)."""
        return not self.stories

    @property
    def spiking(self) -> list[TagTrend]:
        return [t for t in self.tags if t.spike]


def day_bounds(day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The local day as a naive-UTC [start, end) range."""
    start = dt.datetime.combine(day, dt.time(0), zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone)
    return (
        start.astimezone(dt.UTC).replace(tzinfo=None),
        end.astimezone(dt.UTC).replace(tzinfo=None),
    )


def compose_digest(
    store: Store,
    day: dt.date,
    timezone: str,
    tag_names: list[str],
    top: int = 10,
    *,
    rule: SpikeRule | None = None,
    now: dt.datetime | None = None,
    silent_after: dt.timedelta = dt.timedelta(days=3),
    failing_after: int = 2,
    silence_factor: float = 4.0,
    digest_time: dt.time | None = None,
) -> DigestContent:
    """The digest of local ``day``: its stories ranked by outlets, tag trends and source health.

    ``digest_time``: when the daily digest is due (local clock time); with it, the stories
    that arrived late since the previous day's digest went out are listed too.
    """
    rule = rule or SpikeRule()
    zone = ZoneInfo(timezone)
    history = max(CHART_DAYS, rule.baseline_days + 1, 15)
    first_day = day - dt.timedelta(days=history - 1)
    start, _ = day_bounds(first_day, zone)
    _, end = day_bounds(day, zone)
    content = DigestContent(day=day, timezone=timezone)

    frame = _story_articles(store, start, end, zone)
    tags = _tags(store, start, end, zone)
    days = pd.Index([first_day + dt.timedelta(days=i) for i in range(history)], name="day")
    relevant = frame[frame["relevant"]]
    articles_per_day, stories_per_day = _daily(relevant, tags, days, tag_names)
    # Days before the first article in the database are unknown, not zero: a baseline of
    # zeros from before monitoring began would call every first busy day a spike.
    began = _first_day(store, zone)
    known = articles_per_day.where(
        pd.Series([began is not None and d >= began for d in days], index=days), axis=0
    )
    spikes = pd.DataFrame(
        {name: spike_flags(known[name], rule) for name in known.columns}, index=days
    )
    content.series = articles_per_day.tail(CHART_DAYS)
    content.spikes = spikes.tail(CHART_DAYS)
    content.overall = _trend(ALL, known, stories_per_day, spikes)
    content.tags = [_trend(t, known, stories_per_day, spikes) for t in tag_names]

    entries = _story_entries(frame, tags, day, tag_names)
    content.total_stories = len(entries)
    content.new_stories = sum(1 for e in entries if e.new)
    content.stories = entries[:top]
    today = relevant[relevant["local_day"] == day]
    content.total_articles = len(today)
    content.outlets = today["outlet"].nunique()

    moment = now or dt.datetime.now(dt.UTC)
    if digest_time is not None:
        listed = {e.story_id for e in entries}
        late = _late_entries(store, day, zone, digest_time, moment, tag_names, listed)
        content.total_late = len(late)
        content.late = late[:top]
    problems = source_problems(
        store,
        moment,
        silent_after=silent_after,
        failing_after=failing_after,
        silence_factor=silence_factor,
    )
    content.problems = [
        SourceProblem(clean_text(r.name, 120), r.status, clean_text(r.detail, 240))
        for r in problems.itertuples()
    ]
    return content


def _story_articles(
    store: Store, start: dt.datetime, end: dt.datetime, zone: ZoneInfo
) -> pd.DataFrame:
    """Every article (relevant or not) of a relevant story, published in [start, end)."""
    when = func.coalesce(articles.c.published_at, articles.c.collected_at)
    frame = _read_story_articles(store, zone, and_(when >= start, when < end))
    frame["local_day"] = frame["at"].dt.date
    return frame


def _read_story_articles(store: Store, zone: ZoneInfo, *conditions: Any) -> pd.DataFrame:
    """Articles of relevant stories that meet ``conditions``, oldest first: ``at`` (publication,
    else collection time) local in ``zone``, ``at_utc`` naive UTC, ``outlet``, ``story_day``."""
    when = func.coalesce(articles.c.published_at, articles.c.collected_at)
    query = (
        select(
            articles.c.id,
            articles.c.story_id,
            articles.c.title,
            articles.c.summary,
            articles.c.url,
            articles.c.relevant,
            articles.c.relevance_reason,
            when.label("at"),
            articles.c.source,
            sources.c.name.label("outlet"),
            stories.c.day.label("story_day"),
        )
        .join(sources, sources.c.key == articles.c.source)
        .join(stories, stories.c.id == articles.c.story_id)
        .where(stories.c.relevant.is_(True), *conditions)
        .order_by(when, articles.c.id)
    )
    frame = store.read_sql(query)
    frame["relevant"] = frame["relevant"].astype(bool)
    frame["at_utc"] = pd.to_datetime(frame["at"])
    frame["at"] = _local(frame["at"], zone)
    return frame


def _entry(
    story_id: int,
    lead: pd.Series,
    outlets: pd.Series,
    articles_count: int,
    tags: set[str],
    tag_order: dict[str, int],
    first_day: dt.date,
    new: bool,
) -> StoryEntry:
    """A story as listed: its lead article's headline, link, outlet and time, cleaned."""
    return StoryEntry(
        story_id=int(story_id),
        title=clean_text(lead["title"]) or clean_text(lead["url"]),
        url=safe_url(lead["url"]),
        outlet=clean_text(lead["outlet"], 120),
        published=lead["at"].to_pydatetime(),
        summary=_summary(lead["summary"], lead["title"]),
        outlets=[clean_text(o, 120) for o in dict.fromkeys(outlets)],
        articles=articles_count,
        # In the configured order, which is the order of the tag table.
        tags=sorted(tags, key=lambda t: (tag_order.get(t, 99), t)),
        first_day=first_day,
        new=new,
        reason=clean_text(lead["relevance_reason"], 120),
    )


def _late_entries(
    store: Store,
    day: dt.date,
    zone: ZoneInfo,
    digest_time: dt.time,
    now: dt.datetime,
    tag_names: list[str],
    listed: set[int],
) -> list[StoryEntry]:
    """Relevant stories first seen since the previous day's digest went out (see the module
    docstring), whose articles were all published before ``day`` (within ``LATE_DAYS``), most
    outlets first; ``listed``: the day's own stories, which are never repeated here."""
    seen_from = _naive_utc(slot_on(day, digest_time, zone).due_at)
    previous = ledger.first_delivery(store, day - dt.timedelta(days=1))
    if previous is not None and previous > seen_from:
        seen_from = previous  # it went out late (the daemon was down) with what came until then
    due = _naive_utc(slot_on(day + dt.timedelta(days=1), digest_time, zone).due_at)
    seen_until = max(due, _naive_utc(now) if now.tzinfo else now)
    oldest, _ = day_bounds(day - dt.timedelta(days=LATE_DAYS), zone)
    day_start, _ = day_bounds(day, zone)
    frame = _read_story_articles(
        store,
        zone,
        stories.c.first_seen_at >= seen_from,
        stories.c.first_seen_at < seen_until,
        sources.c.created_at < seen_from,
    )
    if frame.empty:
        return []
    span = frame.groupby("story_id")["at_utc"].agg(["min", "max"])
    late_ids = span.index[
        (span["min"] >= pd.Timestamp(oldest)) & (span["max"] < pd.Timestamp(day_start))
    ]
    late_ids = [int(i) for i in late_ids if int(i) not in listed]
    if not late_ids:
        return []
    tag_rows = store.read_sql(
        select(article_tags.c.tag, articles.c.story_id)
        .join(articles, articles.c.id == article_tags.c.article_id)
        .where(articles.c.story_id.in_(late_ids), articles.c.relevant.is_(True))
    )
    tags_by_story = tag_rows.groupby("story_id")["tag"].agg(set).to_dict()
    order = {name: i for i, name in enumerate(tag_names)}
    entries = []
    for story_id, group in frame[frame["story_id"].isin(late_ids)].groupby("story_id"):
        relevant = group[group["relevant"]]
        if relevant.empty:
            continue  # its relevant copies are all from sources monitored only since
        lead = relevant.iloc[0]
        tags, began = tags_by_story.get(story_id, set()), lead["at"].date()
        entries.append(
            _entry(story_id, lead, group["outlet"], len(group), tags, order, began, True)
        )
    entries.sort(key=lambda e: (-len(e.outlets), -e.articles, e.published))
    return entries


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def _tags(store: Store, start: dt.datetime, end: dt.datetime, zone: ZoneInfo) -> pd.DataFrame:
    when = func.coalesce(articles.c.published_at, articles.c.collected_at)
    query = (
        select(article_tags.c.article_id, article_tags.c.tag, articles.c.story_id, when.label("at"))
        .join(articles, articles.c.id == article_tags.c.article_id)
        .where(articles.c.relevant.is_(True), and_(when >= start, when < end))
    )
    frame = store.read_sql(query)
    frame["local_day"] = _local(frame["at"], zone).dt.date
    return frame


def _first_day(store: Store, zone: ZoneInfo) -> dt.date | None:
    """The local day of the earliest article stored (relevant or not)."""
    when = func.coalesce(articles.c.published_at, articles.c.collected_at)
    with store.engine.connect() as conn:
        first = conn.execute(select(func.min(when))).scalar_one_or_none()
    if first is None:
        return None
    if isinstance(first, str):  # SQLite returns the function's result as text
        first = dt.datetime.fromisoformat(first)
    return first.replace(tzinfo=dt.UTC).astimezone(zone).date()


def _local(column: pd.Series, zone: ZoneInfo) -> pd.Series:
    """Naive-UTC times as aware times in ``zone``."""
    return pd.to_datetime(column).dt.tz_localize("UTC").dt.tz_convert(zone)


def _daily(
    relevant: pd.DataFrame, tags: pd.DataFrame, days: pd.Index, tag_names: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Relevant articles and distinct stories per local day: "all" and one column per tag."""
    articles_per_day = pd.DataFrame(index=days)
    stories_per_day = pd.DataFrame(index=days)
    by_day = relevant.groupby("local_day")
    articles_per_day[ALL] = by_day.size().reindex(days, fill_value=0)
    stories_per_day[ALL] = by_day["story_id"].nunique().reindex(days, fill_value=0)
    for tag in tag_names:
        tagged = tags[tags["tag"] == tag].groupby("local_day")
        articles_per_day[tag] = tagged.size().reindex(days, fill_value=0)
        stories_per_day[tag] = tagged["story_id"].nunique().reindex(days, fill_value=0)
    return articles_per_day.astype(int), stories_per_day.astype(int)


def _trend(
    name: str, articles_per_day: pd.DataFrame, stories_per_day: pd.DataFrame, spikes: pd.DataFrame
) -> TagTrend:
    values = articles_per_day[name]
    mean7 = baseline(values, 7)[0].iloc[-1]
    mean14 = baseline(values, 14)[0].iloc[-1]
    return TagTrend(
        tag=name,
        stories=int(stories_per_day[name].iloc[-1]),
        articles=int(values.fillna(0).iloc[-1]),
        yesterday=int(values.fillna(0).iloc[-2]),
        mean7=None if pd.isna(mean7) else float(mean7),
        mean14=None if pd.isna(mean14) else float(mean14),
        spike=bool(spikes[name].iloc[-1]),
    )


def _story_entries(
    frame: pd.DataFrame, tags: pd.DataFrame, day: dt.date, tag_names: list[str]
) -> list[StoryEntry]:
    """Stories with an article on ``day``, most outlets first; lead = the day's first article."""
    order = {name: i for i, name in enumerate(tag_names)}
    today = frame[frame["local_day"] == day]
    if today.empty:
        return []
    first_day = frame.groupby("story_id")["local_day"].min()
    # stories.day is a UTC day: a story dated two days before is older than the window shows.
    started_before = (
        frame.groupby("story_id")["story_day"]
        .min()
        .map(lambda d: pd.Timestamp(d).date() < day - dt.timedelta(days=1))
    )
    tags_by_story = tags[tags["local_day"] == day].groupby("story_id")["tag"].agg(set).to_dict()
    entries = []
    for story_id, group in today.groupby("story_id", sort=False):
        if not group["relevant"].any():
            continue  # only a copy that missed the topic query came today: not news of the day
        # A relevant copy leads when there is one: it is the one the reader asked for.
        ordered = pd.concat([group[group["relevant"]], group[~group["relevant"]]])
        lead = ordered.iloc[0]
        began = first_day[story_id]
        new = began == day and not started_before[story_id]
        tags_today = tags_by_story.get(story_id, set())
        entries.append(
            _entry(story_id, lead, group["outlet"], len(group), tags_today, order, began, new)
        )
    entries.sort(key=lambda e: (-len(e.outlets), -e.articles, e.published))
    return entries


def _summary(summary: object, title: object) -> str:
    """The feed's teaser, shortened to a line or two; empty when it only repeats the title."""
    text = clean_text(summary, 240)
    if not text or text.rstrip(".… ").lower() == clean_text(title).rstrip(".… ").lower():
        return ""
    return text
