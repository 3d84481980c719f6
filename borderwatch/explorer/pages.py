"""The pages and what each shows: a list of panels, each one report of the command line.

A page is built from its address (``Params``) in two steps: ``build_*`` checks the address and
lists the panels with their ``ReportCall`` (cheap), then the HTML view builds every panel's
report and a download builds only the one asked for. So a panel's CSV is, by construction, the
output of the command shown under it.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from starlette.datastructures import QueryParams

from borderwatch.explorer.params import ParamError, Params, Period, address
from borderwatch.explorer.state import Explorer
from borderwatch.reports.catalogue import ReportCall
from borderwatch.reports.report import Report
from borderwatch.reports.selection import (
    MATCH_IN,
    WITHIN,
    QueryInputError,
    ReportInputError,
    Selection,
)

# Reports of one page built at once on PostgreSQL: the server works on several at once.
PANEL_THREADS = 4

PAGES = {"overview": "/", "explore": "/explore", "story": "/story", "source": "/source"}


class NotFound(LookupError):
    """The address names a story or source that does not exist."""


@dataclass
class Panel:
    """One table of a page: its report, how it is called on the command line, its title."""

    name: str
    title: str
    call: ReportCall
    note: str = ""
    report: Report | None = None

    def build(self, explorer: Explorer) -> Report:
        if self.report is None:
            self.report = explorer.report(self.call)
        return self.report

    @property
    def command(self) -> str:
        return self.call.command()


@dataclass
class Page:
    """What a page shows and the state its address pins down."""

    name: str
    title: str
    state: list[tuple[str, Any]] = field(default_factory=list)
    panels: dict[str, Panel] = field(default_factory=dict)
    period: Period | None = None
    error: str | None = None
    query_error: QueryInputError | None = None
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> int:
        return 400 if self.error or self.query_error else 200

    @property
    def path(self) -> str:
        return PAGES[self.name]

    @property
    def permalink(self) -> str:
        return address(self.path, self.state)

    def download(self, panel: str, fmt: str) -> str:
        return address(f"/{self.name}/{panel}.{fmt}", self.state)

    def add(self, name: str, title: str, call: ReportCall, note: str = "") -> None:
        self.panels[name] = Panel(name, title, call, note)

    def build_all(self, explorer: Explorer) -> None:
        """Every panel's report. The panels are independent reports; on PostgreSQL they are
        built side by side, as most of their time is spent in the server, which then works for
        several at once. SQLite works in this process, where threads only contend (measured
        in bench_explorer.py: a 3-year explore page took 258 ms side by side, 161 ms in turn)."""
        panels = [panel for panel in self.panels.values() if panel.report is None]
        if len(panels) < 2 or PANEL_THREADS < 2 or explorer.store.dialect == "sqlite":
            for panel in panels:
                panel.build(explorer)
            return
        with ThreadPoolExecutor(max_workers=PANEL_THREADS) as pool:
            for future in [pool.submit(panel.build, explorer) for panel in panels]:
                future.result()


def _period_state(period: Period) -> list[tuple[str, Any]]:
    return [
        ("since", period.since.isoformat()),
        ("until", period.until.isoformat()),
        ("by", period.by),
    ]


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%b %Y}"


def build_overview(explorer: Explorer, query: QueryParams) -> Page:
    """The landing page: attention over the period, per tag, the top stories of the last day
    and week, and the sources in trouble."""
    params = Params(query, single=("days", "since", "until", "by"))
    period = params.period(*explorer.default_days())
    page = Page("overview", "Overview", _period_state(period), period=period)
    since, until, by = period.since, period.until, period.by
    topic = explorer.resolve(Selection(since=since, until=until))
    page.add(
        "attention",
        "Attention",
        ReportCall.of("trend", topic, by=by),
        "Relevant articles, stories and share of volume (relevant articles ÷ everything the "
        "outlets published); spikes by the digest's rule.",
    )
    if explorer.tags:
        tagged = explorer.resolve(Selection(tags=tuple(explorer.tags), since=since, until=until))
        page.add(
            "tags",
            "By tag",
            ReportCall.of("trend", tagged, by=by),
            "Relevant articles per tag, every tag on the same scale.",
        )
    week = max(since, until - dt.timedelta(days=6))
    day = explorer.resolve(Selection(since=until, until=until))
    page.add("today", f"Top stories on {_day(until)}", ReportCall.of("stories", day, limit=10))
    last_week = explorer.resolve(Selection(since=week, until=until))
    page.add(
        "week",
        f"Top stories, {_day(week)} to {_day(until)}",
        ReportCall.of("stories", last_week, limit=10),
    )
    page.add("health", "Sources needing attention", ReportCall.of("health"))
    return page


EXPLORE_SINGLE = ("q", "within", "match_in", "days", "since", "until", "by")
EXPLORE_MULTIPLE = ("tag", "source", "country", "language")


def build_explore(explorer: Explorer, query: QueryParams) -> Page:
    """A query and filters; attention against the whole topic, stories, share of voice by
    outlet and country, tags together, and matches with the clause that matched."""
    params = Params(query, single=EXPLORE_SINGLE, multiple=EXPLORE_MULTIPLE)
    period = params.period(*explorer.default_days())
    text = params.text("q")
    within = params.choice("within", WITHIN, "topic")
    match_in = params.choice("match_in", MATCH_IN, "headline")
    if text is None:
        within, match_in = "topic", "headline"  # the form sends them with an empty query box
    wanted = Selection(
        tags=params.texts("tag"),
        sources=params.texts("source"),
        countries=params.texts("country"),
        languages=params.texts("language"),
        since=period.since,
        until=period.until,
        query=text,
        within=within,
        match_in=match_in,
    )
    state: list[tuple[str, Any]] = []
    if text is not None:
        state += [("q", text)]
        state += [("within", within)] if within != "topic" else []
        state += [("match_in", match_in)] if match_in != "headline" else []
    for name, values in (
        ("tag", wanted.tags),
        ("source", wanted.sources),
        ("country", wanted.countries),
        ("language", wanted.languages),
    ):
        state += [(name, v) for v in values]
    page = Page("explore", "Explore", state + _period_state(period), period=period)
    page.context["wanted"] = wanted
    try:
        chosen = explorer.resolve(wanted)
    except QueryInputError as exc:
        page.query_error = exc
        return page
    except ReportInputError as exc:
        page.error = str(exc)
        return page
    by = period.by
    what = "Matches" if text else "Relevant articles"
    page.add(
        "attention",
        "Attention over time",
        ReportCall.of("trend", chosen, by=by),
        f"{what} per {by} and their share of everything the selected outlets published.",
    )
    if text is not None:
        topic = explorer.resolve(replace(wanted, query=None, within="topic", match_in="headline"))
        page.add(
            "topic",
            "The whole topic, for comparison",
            ReportCall.of("trend", topic, by=by),
            "Every relevant article of the same outlets and tags.",
        )
    page.add("stories", "Stories", ReportCall.of("stories", chosen, limit=20))
    page.add(
        "outlets",
        "Share of voice by outlet",
        ReportCall.of("sources", chosen, limit=25),
        "Part of all selected articles (share of voice) and part of the outlet's own output.",
    )
    by_country = ReportCall.of("sources", chosen, by="country")
    page.add("countries", "Share of voice by country", by_country)
    page.add("tags", "Tags on the same articles", ReportCall.of("tags", chosen))
    page.add(
        "matches",
        "Matches and the clause that matched" if text else "Why articles are in the topic",
        ReportCall.of("matches", chosen, limit=20),
        "The newest articles, and the first OR clause of the query that matches each."
        if text
        else "The newest relevant articles, and the clause of the configured topic that made "
        "each count, as recorded when it was processed.",
    )
    return page


def build_story(explorer: Explorer, query: QueryParams) -> Page:
    """Every article of one story."""
    params = Params(query, single=("id",))
    story_id = params.integer("id", 1, 2**31 - 1)
    if story_id is None:
        raise ParamError("id is missing: the story's number, e.g. /story?id=12")
    page = Page("story", f"Story {story_id}", [("id", story_id)])
    page.add("articles", "Articles", ReportCall.of("story", story_id=story_id))
    try:
        page.panels["articles"].build(explorer)
    except ReportInputError as exc:
        raise NotFound(str(exc)) from None
    return page


def build_source(explorer: Explorer, query: QueryParams) -> Page:
    """One outlet: its rhythm and share over the period, its fetch targets, its health."""
    params = Params(query, single=("key", "days", "since", "until", "by"))
    key = params.text("key")
    if key is None:
        raise ParamError("key is missing: the source's key, e.g. /source?key=dawn")
    table = explorer.source_table()
    found = table[table["key"] == key]
    if found.empty:
        raise NotFound(f"no source {key!r}")
    period = params.period(*explorer.default_days())
    state = [("key", key), *_period_state(period)]
    page = Page("source", str(found.iloc[0]["name"]), state, period=period)
    page.context["source"] = found.iloc[0].to_dict()
    chosen = explorer.resolve(Selection(sources=(key,), since=period.since, until=period.until))
    page.add(
        "trend",
        "Rhythm and share over time",
        ReportCall.of("trend", chosen, by=period.by),
        "Everything it published (volume), its relevant articles, and their share of its output.",
    )
    page.add(
        "articles",
        "Latest relevant articles",
        ReportCall.of("matches", chosen, limit=10),
        "And the clause of the configured topic that made each count.",
    )
    page.add("health", "Health", ReportCall.of("health", every=True, keys=(key,)))
    page.add("fetches", "Fetch targets", ReportCall.of("fetches", key=key))
    return page


# The pages with a panel of source health or fetch targets (state.FETCH_REPORTS): drawn again
# after every fetch. The others are kept while sources are fetched, until articles or runs
# change.
FETCH_PAGES = frozenset({"overview", "source"})

BUILDERS = {
    "overview": build_overview,
    "explore": build_explore,
    "story": build_story,
    "source": build_source,
}

__all__ = ["BUILDERS", "FETCH_PAGES", "PAGES", "NotFound", "Page", "Panel"]
