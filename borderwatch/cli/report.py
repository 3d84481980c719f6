"""``borderwatch report``: trend, share of voice, top stories and tag pairs from the coverage;
the matches of an ad-hoc query, one story's articles and the sources' health."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from borderwatch.cli.app import App, fail, main, pass_app

_FORMATS = ("table", "csv", "json", "markdown")


# The most rows a report asks for: more would be no report anyone reads, and a number too large
# for the database's integers would fail there.
MAX_LIMIT = 100_000


def _date(_ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    from borderwatch.day_range import check_day

    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param=param) from None
    try:
        return check_day(day)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param=param) from None


def selection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The filters every report takes."""
    options = [
        click.option(
            "--tag",
            "tags",
            multiple=True,
            metavar="TAG",
            help="A tag from config.yaml (repeatable); default: every relevant article.",
        ),
        click.option(
            "--source",
            "sources",
            multiple=True,
            metavar="KEY",
            help="Only this outlet, by key or name (repeatable).",
        ),
        click.option(
            "--country",
            "countries",
            multiple=True,
            metavar="CC",
            help="Only outlets of this country, e.g. PK, AF (repeatable).",
        ),
        click.option(
            "--language",
            "languages",
            multiple=True,
            metavar="LANG",
            help="Only outlets in this language, e.g. en, ur, fa, ps (repeatable).",
        ),
        click.option(
            "--since",
            callback=_date,
            metavar="YYYY-MM-DD",
            help="First day (default: the first day with data).",
        ),
        click.option(
            "--until",
            callback=_date,
            metavar="YYYY-MM-DD",
            help="Last day (default: the last day with data).",
        ),
        click.option(
            "--query",
            metavar="QUERY",
            help="Count only the articles this query matches (the query language of "
            "docs/queries.md), matched now in their stored headline and summary.",
        ),
        click.option(
            "--within",
            type=click.Choice(["topic", "all"]),
            default="topic",
            show_default=True,
            help="With --query: search the topic's relevant articles, or every collected one.",
        ),
        click.option(
            "--match-in",
            "match_in",
            type=click.Choice(["headline", "text"]),
            default="headline",
            show_default=True,
            help="With --query: match headline and summary, or the stored text as well.",
        ),
        click.option(
            "--format",
            "fmt",
            type=click.Choice(_FORMATS),
            default="table",
            show_default=True,
            help="Output format.",
        ),
        click.option(
            "--chart",
            type=click.Path(dir_okay=False, path_type=Path),
            metavar="FILE.png",
            help="Also draw the report as a PNG chart.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _selection(options: dict[str, Any]) -> Any:
    from borderwatch.reports.selection import Selection

    query = options.get("query")
    return Selection(
        tags=tuple(options["tags"]),
        sources=tuple(options["sources"]),
        countries=tuple(options["countries"]),
        languages=tuple(options["languages"]),
        since=options["since"],
        until=options["until"],
        query=query if query and query.strip() else None,
        within=options.get("within", "topic"),
        match_in=options.get("match_in", "headline"),
    )


def _run(app: App, name: str, options: dict[str, Any], **report_options: Any) -> None:
    """Resolve the filters, build the report, print it and draw its chart."""
    from borderwatch.reports.catalogue import SELECTING, ReportCall, resolve_selection
    from borderwatch.reports.output import render
    from borderwatch.reports.selection import ReportInputError

    chart: Path | None = options.get("chart")
    if chart is not None and chart.suffix.lower() != ".png":
        fail(f"--chart {chart}: the chart is written as PNG, give a name ending in .png")
    if chart is not None:
        _check_writable(chart)
    store = app.store
    try:
        selection = None
        if name in SELECTING:
            selection = resolve_selection(store, _selection(options), list(app.config.tags))
        report = ReportCall.of(name, selection, **report_options).build(store, app.config)
    except ReportInputError as exc:
        fail(str(exc))
    if options["fmt"] == "table":
        click.echo(report.title)
        click.echo("")
    click.echo(render(report.frame, options["fmt"]), nl=False)
    if options["fmt"] == "table":
        for note in report.notes:
            click.echo(f"\n{note}")
    if chart is not None:
        from borderwatch.reports.charts import save_chart

        try:
            click.echo(f"chart: {save_chart(report, chart)}", err=True)
        except OSError as exc:
            fail(f"--chart {chart}: cannot write it: {exc.strerror or exc}")


def _check_writable(path: Path) -> None:
    """One line now, rather than a traceback after the report, for a chart that cannot be
    written where asked."""
    import os

    folder = path.parent if str(path.parent) else Path(".")
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # save_chart creates missing folders
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        fail(f"--chart {path}: cannot write into {folder}")


def format_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--format`` alone, for the reports that take no filters."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(_FORMATS),
        default="table",
        show_default=True,
        help="Output format.",
    )(command)


@main.group()
def report() -> None:
    """Trend reports from the coverage tables: trend, sources, stories, tags.

    Every report takes the same filters and writes an aligned table, CSV, JSON or Markdown, and
    optionally a PNG chart. docs/reports.md explains the columns.
    """


@report.command()
@click.option(
    "--by",
    type=click.Choice(["day", "week", "month"]),
    default="week",
    show_default=True,
    help="Period: day, ISO week or month.",
)
@click.option(
    "--window",
    type=click.IntRange(1, 365),
    metavar="N",
    help="Periods in the rolling mean of the share (default: 7 days, 4 weeks, 3 months).",
)
@selection_options
@pass_app
def trend(app: App, by: str, window: int | None, **options: Any) -> None:
    """Coverage per period: articles, stories, share of volume, its rolling mean and spikes.

    Share of volume is relevant articles divided by all articles collected from the same
    sources in the period. Periods without coverage appear as zeros. The spike flag uses the
    digest's rule (config.yaml `spikes:`), counted in periods.
    """
    _run(app, "trend", options, by=by, window=window)


@report.command()
@click.option(
    "--by",
    type=click.Choice(["source", "country", "language"]),
    default="source",
    show_default=True,
    help="Group outlets by themselves, their country or language.",
)
@click.option(
    "--limit",
    type=click.IntRange(1, MAX_LIMIT),
    metavar="N",
    help=f"Show the first N rows (per tag), at most {MAX_LIMIT:,}.",
)
@selection_options
@pass_app
def sources(app: App, by: str, limit: int | None, **options: Any) -> None:
    """Share of voice by outlet, country or language over a period.

    share_of_voice_pct is the part of all relevant articles; share_of_volume_pct the part of the
    outlet's own articles that were relevant.
    """
    _run(app, "sources", options, by=by, limit=limit)


@report.command()
@click.option(
    "--limit",
    type=click.IntRange(1, MAX_LIMIT),
    default=10,
    show_default=True,
    metavar="N",
    help=f"How many stories (at most {MAX_LIMIT:,}).",
)
@selection_options
@pass_app
def stories(app: App, limit: int, **options: Any) -> None:
    """The top stories of a period: how many outlets, articles and countries carried each.

    began is the day of a story's first article; a story that began before --since is
    developing. tags are those of its selected articles, url the link of its lead article.
    """
    _run(app, "stories", options, limit=limit)


@report.command()
@selection_options
@pass_app
def tags(app: App, **options: Any) -> None:
    """Tag co-occurrence: which tags appear together on the same relevant articles."""
    _run(app, "tags", options)


@report.command()
@click.option(
    "--limit",
    type=click.IntRange(1, 1000),
    default=20,
    show_default=True,
    metavar="N",
    help="How many articles.",
)
@selection_options
@pass_app
def matches(app: App, limit: int, **options: Any) -> None:
    """The newest articles a --query matches, and which of its OR clauses matched each.

    Without --query: the newest relevant articles, and the clause of config.yaml's topic that
    matches their headline, summary and stored text. For tuning a query: a clause that brings
    in the wrong articles shows up here.
    """
    _run(app, "matches", options, limit=limit)


@report.command()
@click.argument("story_id", type=click.IntRange(1), metavar="STORY_ID")
@format_option
@pass_app
def story(app: App, story_id: int, fmt: str) -> None:
    """Every article of one story (the story_id of `report stories`): outlet, time, language,
    relevance, tags and link, oldest first."""
    _run(app, "story", {"fmt": fmt}, story_id=story_id)


@report.command()
@click.option("--all", "every", is_flag=True, help="List every source, not only those in trouble.")
@click.option(
    "--source", "keys", multiple=True, metavar="KEY", help="Only this source (repeatable)."
)
@format_option
@pass_app
def health(app: App, every: bool, keys: tuple[str, ...], fmt: str) -> None:
    """Sources that are failing or silent, judged as `borderwatch status` judges them
    (config.yaml schedule: failure_threshold, silence_factor, silence_min)."""
    _run(app, "health", {"fmt": fmt}, every=every, keys=keys)


@report.command()
@click.option("--source", "key", required=True, metavar="KEY", help="The source, by key.")
@format_option
@pass_app
def fetches(app: App, key: str, fmt: str) -> None:
    """The fetch targets of one source: last fetch and success, status, failures in a row, last
    error, flag, entries and the next fetch (UTC)."""
    _run(app, "fetches", {"fmt": fmt}, key=key)
