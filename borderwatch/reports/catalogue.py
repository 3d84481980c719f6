"""Every report by name: how to build it, and the ``borderwatch report`` command that prints it.

The command line and the explorer both go through ``ReportCall``: a page shows, beside each
table, the command that prints the same table, and its downloads are that command's output.
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import MutableMapping
from dataclasses import dataclass, field, replace
from typing import Any

from borderwatch.reports.report import Report
from borderwatch.reports.selection import Selection, resolve

# Options of each report (beyond the selection) and their defaults, in command-line order.
OPTIONS: dict[str, dict[str, Any]] = {
    "trend": {"by": "week", "window": None},
    "sources": {"by": "source", "limit": None},
    "stories": {"limit": 10},
    "tags": {},
    "matches": {"limit": 20},
    "story": {"story_id": None},
    "health": {"every": False, "keys": ()},
    "fetches": {"key": None},
}
# Reports that take the selection's filters.
SELECTING = ("trend", "sources", "stories", "tags", "matches")


@dataclass(frozen=True)
class ReportCall:
    """One report with its options and (for the selecting reports) a resolved selection."""

    name: str
    selection: Selection = field(default_factory=Selection)
    options: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, name: str, selection: Selection | None = None, **options: Any) -> ReportCall:
        if name not in OPTIONS:
            raise ValueError(f"unknown report {name!r}")
        unknown = set(options) - set(OPTIONS[name])
        if unknown:
            raise ValueError(f"report {name} has no option {', '.join(sorted(unknown))}")
        merged = {**OPTIONS[name], **options}
        return cls(name, selection or Selection(), tuple(merged.items()))

    def option(self, key: str) -> Any:
        return dict(self.options)[key]

    def build(self, store: Any, config: Any, *, topic: Any = None) -> Report:
        """The report, from ``store`` with the tags, spike rule, topic and thresholds of
        ``config`` (a borderwatch.config.Config). ``topic``: the configured topic already
        parsed (``borderwatch.plan.topic_query(config)``), which a long-running reader keeps:
        the topic of a real configuration takes longer to parse than most reports to build."""
        options = dict(self.options)
        selection = self.selection
        tag_order = list(config.tags)
        if self.name == "trend":
            from borderwatch.reports.trend import trend

            return trend(
                store,
                selection,
                by=options["by"],
                window=options["window"],
                rule=config.spikes.rule(),
            )
        if self.name == "sources":
            from borderwatch.reports.sources import share_of_voice

            return share_of_voice(store, selection, by=options["by"], limit=options["limit"])
        if self.name == "stories":
            from borderwatch.reports.stories import top_stories

            return top_stories(store, selection, limit=options["limit"], tag_order=tag_order)
        if self.name == "tags":
            from borderwatch.reports.tags import co_occurrence

            return co_occurrence(store, selection)
        if self.name == "matches":
            from borderwatch.plan import topic_query
            from borderwatch.reports.matches import match_sample

            topic = topic if topic is not None else topic_query(config)
            return match_sample(store, selection, topic, limit=options["limit"])
        if self.name == "story":
            from borderwatch.reports.stories import story

            return story(store, int(options["story_id"]), tag_order=tag_order)
        if self.name == "health":
            from borderwatch.reports.health import source_status

            schedule = config.schedule
            return source_status(
                store,
                failure_threshold=schedule.failure_threshold,
                silence_factor=schedule.silence_factor,
                silence_min=dt.timedelta(seconds=schedule.silence_min),
                every=options["every"],
                keys=tuple(options["keys"]),
            )
        if self.name == "fetches":
            from borderwatch.reports.health import fetches

            return fetches(store, options["key"])
        raise ValueError(f"unknown report {self.name!r}")

    def argv(self) -> list[str]:
        """The arguments after ``borderwatch`` that print this report."""
        options = dict(self.options)
        args = ["report", self.name]
        if self.name == "story":
            return [*args, str(options["story_id"])]
        if self.name == "fetches":
            return [*args, "--source", str(options["key"])]
        if self.name == "health":
            if options["every"]:
                args.append("--all")
            for key in options["keys"]:
                args += ["--source", key]
            return args
        for key, default in OPTIONS[self.name].items():
            value = options[key]
            if value is not None and value != default:
                args += [f"--{key}", str(value)]
        return args + selection_argv(self.selection)

    def command(self) -> str:
        """The command line, quoted for a POSIX shell."""
        return shlex.join(["borderwatch", *self.argv()])


def resolve_selection(
    store: Any,
    selection: Selection,
    known_tags: list[str] | tuple[str, ...] = (),
    *,
    matchers: MutableMapping[Any, Any] | None = None,
    headlines: Any = None,
) -> Selection:
    """The selection checked against the data (``selection.resolve``) and, with a query, given
    the matcher that finds its articles.

    ``matchers``: where to keep and find the matchers of earlier selections with the same query
    and outlets, and ``headlines`` a ``HeadlineIndex`` (a long-running reader such as the
    explorer passes both; see ``borderwatch.reports.matches``).
    """
    resolved = resolve(store, selection, known_tags)
    if not resolved.query:
        return resolved
    from borderwatch.reports.matches import matcher_for
    from pipeline.query import parse_query

    matcher = matcher_for(parse_query(resolved.query), resolved, matchers, headlines)
    return replace(resolved, matcher=matcher)


def selection_argv(selection: Selection) -> list[str]:
    """The filter options of ``selection`` as the command line spells them."""
    args: list[str] = []
    for flag, values in (
        ("--tag", selection.tags),
        ("--source", selection.sources),
        ("--country", selection.countries),
        ("--language", selection.languages),
    ):
        for value in values:
            args += [flag, value]
    if selection.since is not None:
        args += ["--since", selection.since.isoformat()]
    if selection.until is not None:
        args += ["--until", selection.until.isoformat()]
    if selection.query:
        args += ["--query", selection.query]
        if selection.within != "topic":
            args += ["--within", selection.within]
        if selection.match_in != "headline":
            args += ["--match-in", selection.match_in]
    return args


__all__ = ["OPTIONS", "SELECTING", "ReportCall", "resolve_selection", "selection_argv"]
