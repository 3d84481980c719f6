"""``borderwatch extract``: what the collector reads from one saved article page."""

from __future__ import annotations

import json
from pathlib import Path

import click

from borderwatch.cli.app import fail, main


@main.command()
@click.argument("page", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--url", required=True, help="The URL the page was saved from.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def extract(page: Path, url: str, as_json: bool) -> None:
    """Extract title, text, author, publication date and language from a saved PAGE.html.

    This is exactly what collection does with a fetched article page (trafilatura, the page's
    original publication date and where it was found, implausible dates dropped), so a user
    can debug one source.
    The language is the page's declared one when it has one, else py3langid's guess.
    """
    from crawler.extract import extract_article
    from pipeline.stages.language import detect, normalize_code

    try:
        body = page.read_bytes()
    except OSError as exc:
        fail(f"{page}: cannot read the page: {exc.strerror}")
    result = extract_article(body, url)
    sample = " ".join(part for part in (result.title, result.text) if part)
    detected = detect(sample)
    declared = normalize_code(result.declared_language)
    fields = {
        "url": url,
        "title": result.title,
        "author": result.author,
        "published": result.published,
        "published_source": result.published_source,
        "language": declared or detected,
        "detected_language": detected,
        "declared_language": result.declared_language,
        "canonical": result.canonical,
        "text_status": result.status,
        "characters": len(result.text or ""),
        "text": result.text,
    }
    if as_json:
        click.echo(json.dumps(fields, ensure_ascii=False, indent=2))
        return
    for key, value in fields.items():
        if key != "text":
            click.echo(f"{key + ':':<19}{'' if value is None else value}")
    click.echo("")
    click.echo(result.text or "(no text extracted)")
