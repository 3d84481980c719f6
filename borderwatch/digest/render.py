"""Render a DigestContent as a plain-text and an HTML body with Jinja2 (autoescaped)."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from borderwatch.digest.compose import DigestContent

_env = Environment(
    loader=PackageLoader("borderwatch.digest", "templates"),
    autoescape=select_autoescape(["html"], default_for_string=False),
    trim_blocks=True,
    lstrip_blocks=True,
)


def subject(content: DigestContent) -> str:
    count = len(content.stories)
    noun = "story" if count == 1 else "stories"
    return f"borderwatch digest {content.day.isoformat()}: {count} new {noun}"


def render_text(content: DigestContent, footer: str) -> str:
    return _env.get_template("digest.txt").render(c=content, footer=footer)


def render_html(content: DigestContent, footer: str) -> str:
    return _env.get_template("digest.html").render(
        c=content, footer=footer, subject=subject(content)
    )
