"""Render a DigestContent as a plain-text and an HTML body with Jinja2.

The HTML template is autoescaped (every value from a feed is text, never markup), links are only
written for http(s) URLs (``compose.safe_url``), and the stylesheet is inlined into ``style``
attributes with css-inline because many mail clients drop ``<style>`` blocks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import css_inline
from jinja2 import Environment, PackageLoader, select_autoescape

from borderwatch.digest.compose import ALL, DigestContent
from borderwatch.digest.trend_chart import sparkline

# Tag badge colours (background, text), assigned in the configured order of the tags.
_PALETTE = [
    ("#dbe9f6", "#174a7c"),
    ("#fbe3d6", "#8a3a12"),
    ("#dcf1e6", "#1f6042"),
    ("#f4e1ee", "#7d2b60"),
    ("#fff1c7", "#6f5200"),
    ("#e4e2f7", "#41378a"),
    ("#dff2f5", "#1c5d68"),
    ("#ececec", "#3d3d3d"),
]


@dataclass(frozen=True)
class Colour:
    background: str
    text: str


def _longdate(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _shortdate(day: dt.date) -> str:
    return f"{day.day} {day:%b}"


def _clock(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return moment.strftime("%H:%M %Z").strip()


def _dateclock(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return f"{_shortdate(moment.date())} {_clock(moment)}"


def _mean(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}×"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("borderwatch.digest", "templates"),
        autoescape=select_autoescape(["html"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        longdate=_longdate,
        shortdate=_shortdate,
        clock=_clock,
        dateclock=_dateclock,
        mean=_mean,
        ratio=_ratio,
    )
    return env


_env = _environment()
_inliner = css_inline.CSSInliner(load_remote_stylesheets=False, keep_style_tags=False)


def subject(content: DigestContent) -> str:
    """The date and the number of new stories, e.g. ``Border talks, Mon 27 Oct 2025: 5 new
    stories``."""
    count = content.new_stories
    day = content.day
    if content.empty:
        what = "no new coverage"
    else:
        what = f"{count} new {'story' if count == 1 else 'stories'}"
        spiking = [t.tag for t in content.spiking]
        if spiking:
            more = f" +{len(spiking) - 2}" if len(spiking) > 2 else ""
            what += f", spike in {', '.join(spiking[:2])}{more}"
    if content.total_late:
        what += f", {content.total_late} arrived late"
    return f"Border talks digest, {day:%a} {day.day} {day:%b %Y}: {what}"


def tag_colours(content: DigestContent) -> dict[str, Colour]:
    names = [t.tag for t in content.tags]
    for story in content.stories + content.late:
        names.extend(t for t in story.tags if t not in names)
    return {name: Colour(*_PALETTE[i % len(_PALETTE)]) for i, name in enumerate(names)}


def render_text(
    content: DigestContent, footer: list[str], *, spike_rule: str, unsubscribe: str | None = None
) -> str:
    line = sparkline(content.series[ALL]) if ALL in content.series else ""
    return _env.get_template("digest.txt").render(
        c=content, footer=footer, spike_rule=spike_rule, sparkline=line, unsubscribe=unsubscribe
    )


def render_html(
    content: DigestContent,
    footer: list[str],
    *,
    spike_rule: str,
    chart_src: str | None = None,
    unsubscribe: str | None = None,
) -> str:
    """The HTML body with its CSS inlined; ``chart_src`` is a ``cid:`` or ``data:`` URL."""
    html = _env.get_template("digest.html").render(
        c=content,
        footer=footer,
        subject=subject(content),
        spike_rule=spike_rule,
        chart_src=chart_src,
        colours=tag_colours(content),
        unsubscribe=unsubscribe,
    )
    return _inliner.inline(html)
