"""``borderwatch report``: trend, share of voice, top stories and tag pairs from the coverage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from borderwatch.cli.app import App, fail, main, pass_app

_FORMATS = ("table", "csv", "json", "markdown")


def _date(_ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param=param) from None


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


def _run(app: App, options: dict[str, Any], build: Callable[[Any, Any], Any]) -> None:
    """Resolve the filters, build the report, print it and draw its chart."""
    from borderwatch.reports.output import render
    from borderwatch.reports.selection import ReportInputError, Selection, resolve

    selection = Selection(
        tags=tuple(options["tags"]),
        sources=tuple(options["sources"]),
        countries=tuple(options["countries"]),
        languages=tuple(options["languages"]),
        since=options["since"],
        until=options["until"],
    )
    chart: Path | None = options["chart"]
    if chart is not None and chart.suffix.lower() != ".png":
        fail(f"--chart {chart}: the chart is written as PNG, give a name ending in .png")
    store = app.store
    try:
        selection = resolve(store, selection, list(app.config.tags))
        report = build(store, selection)
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

        click.echo(f"chart: {save_chart(report, chart)}", err=True)


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
    from borderwatch.reports.trend import trend as build_trend

    rule = app.config.spikes.rule()
    _run(app, options, lambda store, sel: build_trend(store, sel, by=by, window=window, rule=rule))


@report.command()
@click.option(
    "--by",
    type=click.Choice(["source", "country", "language"]),
    default="source",
    show_default=True,
    help="Group outlets by themselves, their country or language.",
)
@click.option(
    "--limit", type=click.IntRange(1), metavar="N", help="Show the first N rows (per tag)."
)
@selection_options
@pass_app
def sources(app: App, by: str, limit: int | None, **options: Any) -> None:
    """Share of voice by outlet, country or language over a period.

    share_of_voice_pct is the part of all relevant articles; share_of_volume_pct the part of the
    outlet's own articles that were relevant.
    """
    from borderwatch.reports.sources import share_of_voice

    _run(app, options, lambda store, sel: share_of_voice(store, sel, by=by, limit=limit))


@report.command()
@click.option(
    "--limit",
    type=click.IntRange(1),
    default=10,
    show_default=True,
    metavar="N",
    help="How many stories.",
)
@selection_options
@pass_app
def stories(app: App, limit: int, **options: Any) -> None:
    """The top stories of a period: how many outlets, articles and countries carried each."""
    from borderwatch.reports.stories import top_stories

    _run(app, options, lambda store, sel: top_stories(store, sel, limit=limit))


@report.command()
@selection_options
@pass_app
def tags(app: App, **options: Any) -> None:
    """Tag co-occurrence: which tags appear together on the same relevant articles."""
    from borderwatch.reports.tags import co_occurrence

    _run(app, options, co_occurrence)
