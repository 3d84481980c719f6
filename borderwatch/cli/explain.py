"""``borderwatch explain``: why an article counted (or not), clause by clause and tag by tag."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from borderwatch.cli.app import App, fail, main, pass_app


@main.command()
@click.argument("target")
@click.option("--url", help="For a saved page: the URL it was saved from.")
@click.option(
    "--source",
    "source",
    metavar="KEY",
    help="For a file: the configured source (key or name) it came from, which decides "
    "source.country and source.language (default: the one the URL's domain belongs to).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per article).")
@pass_app
def explain(app: App, target: str, url: str | None, source: str | None, as_json: bool) -> None:
    """Show why TARGET counts as relevant, and why it has its tags, under config.yaml.

    TARGET is the URL of a stored article (its stored verdict is shown too), a saved article
    PAGE.html (extracted as collection does), or a JSON Lines file of items (the format of
    `borderwatch ingest`). For each article: the outlet's country and language, every clause of
    the topic with the words it found, the first clause that matched (the reason stored with
    the article), and for every tag whether it counted: in the title or lede, or by how many
    mentions against how many it needs.
    """
    from borderwatch.plan import processing_rules
    from pipeline.explain import explain as explain_articles
    from pipeline.process import read_items
    from pipeline.store import utcnow

    rules = processing_rules(app.config)
    stored: dict[str, Any] | None = None
    if target.startswith(("http://", "https://")):
        stored = _stored_article(app, target)
        items = [_item_of_stored(stored)]
    else:
        items = _items_of_file(Path(target), url, source)
    frame = read_items(items, rules, utcnow())
    results = []
    for item, explanation in zip(items, explain_articles(frame, rules), strict=True):
        result = {
            "url": item["url"],
            "title": item.get("title"),
            **explanation,
        }
        result["tags"] = [name for name, tag in explanation["tags"].items() if tag["counted"]]
        result["tag_evidence"] = explanation["tags"]
        if stored is not None:
            result["stored"] = {
                "relevant": bool(stored["relevant"]),
                "reason": stored["relevance_reason"],
                "tags": stored["tags"],
                "collected_at": str(stored["collected_at"]),
                "text_pruned": stored["text_pruned_at"] is not None,
            }
        results.append(result)
    if as_json:
        payload: Any = results[0] if len(results) == 1 else results
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    for number, result in enumerate(results):
        if number:
            click.echo("")
        _print_readable(result)


def _stored_article(app: App, url: str) -> dict[str, Any]:
    from pipeline.canonical import canonical_url

    try:
        canonical = canonical_url(url)
    except ValueError:
        canonical = url
    stored = app.store.article_by_url(url, canonical)
    if stored is None:
        fail(f"{url}: no stored article has this URL (give a saved page or an item file instead)")
    return stored


def _item_of_stored(stored: dict[str, Any]) -> dict[str, Any]:
    """The stored article as an item: its source key resolves to the same outlet."""
    item = {"url": stored["url"], "source": stored["source"]}
    for field in ("title", "summary", "text", "language"):
        if stored.get(field):
            item[field] = stored[field]
    return item


def _items_of_file(path: Path, url: str | None, source: str | None) -> list[dict[str, Any]]:
    from pipeline.items import ItemError, item_from_line

    try:
        body = path.read_bytes()
    except OSError as exc:
        fail(f"{path}: cannot read the file: {exc.strerror}")
    if path.suffix.lower() in (".json", ".jsonl", ".ndjson"):
        items = []
        text = body.decode("utf-8", errors="replace")
        lines = [text] if path.suffix.lower() == ".json" else text.splitlines()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                items.append(item_from_line(line))
            except ItemError as exc:
                fail(f"{path}: line {number}: {exc}")
        if not items:
            fail(f"{path}: no items in the file")
    else:
        items = [_item_of_page(path, body, url)]
    if source:
        for item in items:
            item["source"] = source
    return items


def _item_of_page(path: Path, body: bytes, url: str | None) -> dict[str, Any]:
    from crawler.extract import extract_article

    page_url = url or f"https://saved.invalid/{path.name}"
    result = extract_article(body, page_url)
    if not (result.title or result.text):
        fail(f"{path}: no article text could be extracted from the page")
    item = {"url": page_url, "title": result.title, "text": result.text}
    if result.declared_language:
        item["language"] = result.declared_language
    return {key: value for key, value in item.items() if value}


def _print_readable(result: dict[str, Any]) -> None:
    where = ", ".join(v for v in (result["source_country"], result["source_language"]) if v)
    click.echo(f"{'url:':<11}{result['url']}")
    click.echo(f"{'title:':<11}{result['title'] or ''}")
    click.echo(f"{'source:':<11}{result['source']}" + (f" ({where})" if where else " (unknown)"))
    verdict = f"yes, by {result['reason']}" if result["relevant"] else "no"
    click.echo(f"{'relevant:':<11}{verdict}")
    click.echo("clauses:")
    for clause in result["clauses"]:
        mark = "+" if clause["matched"] else "-"
        found = ", ".join(clause["terms"]) or "no words of it"
        click.echo(f"  {mark} {clause['name']}: {found}")
    if result["relevant"]:
        click.echo(f"{'tags:':<11}{', '.join(result['tags']) or '(none)'}")
    else:
        click.echo(f"{'tags:':<11}(none: only relevant articles are tagged; had it been:)")
    for name, tag in result["tag_evidence"].items():
        if not tag["matched"]:
            continue
        in_paragraph, paragraph_needed = tag["paragraph_mentions"], tag["paragraph_mentions_needed"]
        about = bool(paragraph_needed) and in_paragraph >= paragraph_needed
        if tag["in_opening"]:
            why = "in the title or lede"
        elif about and tag["mentions"] < tag["mentions_needed"]:
            why = f"a paragraph about it ({in_paragraph} mentions in one, needs {paragraph_needed})"
        else:
            found = tag["mentions"]
            why = f"{found} mention{'' if found == 1 else 's'}, needs {tag['mentions_needed']}"
            if paragraph_needed and not about:
                why += f" (or {paragraph_needed} in one paragraph)"
        enough = tag["in_opening"] or tag["mentions"] >= tag["mentions_needed"] or about
        state = "counted" if enough else "not counted"
        click.echo(f"  {name:<11}{state}: {why} ({', '.join(tag['terms'])})")
    stored = result.get("stored")
    if stored:
        if stored["relevant"]:
            because = f" by {stored['reason']}" if stored["reason"] else ""
            summary = f"relevant{because}; tags {', '.join(stored['tags']) or '(none)'}"
        else:
            summary = "not relevant"
        note = " (its text has been pruned)" if stored["text_pruned"] else ""
        click.echo(f"{'stored:':<11}{summary}, collected {stored['collected_at']}{note}")
