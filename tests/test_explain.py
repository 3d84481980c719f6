"""``borderwatch explain``: why an article counted, for a stored URL, an item file or a page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from borderwatch.cli import main
from tests.support.config import REPO, base_config

PAGES = REPO / "tests" / "data" / "pages"
DAWN = {
    "key": "dawn",
    "name": "Dawn",
    "country": "PK",
    "language": "en",
    "domains": ["dawn.com"],
    "feeds": ["https://www.dawn.com/feeds/home"],
}


def write_config(tmp_path: Path, db_url: str | None = None) -> Path:
    raw = base_config(tmp_path)
    raw["sources"] = [DAWN]
    if db_url:
        raw["database"] = db_url
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def write_items(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), "utf-8")
    return path


ONE_SIDE = {
    "url": "https://www.dawn.com/news/1950001/kabul-must-act",
    "source": "dawn",
    "title": "Kabul must act against TTP before any deal, says Asif",
    "summary": "The defence minister said no agreement with Kabul was possible until the "
    "Taliban regime acted against the TTP.",
    "text": "The defence minister said no agreement with Kabul was possible until the Taliban "
    "regime acted against the TTP. "
    + "He spoke at length about the budget. " * 20
    + "Trade with the neighbour has suffered.",
}
CRICKET = {
    "url": "https://www.dawn.com/news/1950002/cricket",
    "source": "dawn",
    "title": "Afghanistan beat Pakistan by 18 runs in tri-series opener",
}


def test_a_stored_article_is_explained_with_its_stored_verdict(
    tmp_path: Path, runner, db_url: str
) -> None:
    config = write_config(tmp_path, db_url)
    items = write_items(tmp_path / "items.jsonl", [ONE_SIDE, CRICKET])
    assert runner.invoke(main, ["--config", str(config), "ingest", str(items)]).exit_code == 0
    result = runner.invoke(main, ["--config", str(config), "explain", ONE_SIDE["url"], "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert found["relevant"] is True
    assert found["reason"] == "pk-press-names-afghan-side"
    assert (found["source"], found["source_country"], found["source_language"]) == (
        "dawn",
        "PK",
        "en",
    )
    clauses = {c["name"]: c for c in found["clauses"]}
    assert clauses["pk-press-names-afghan-side"]["matched"]
    assert {"kabul", "ttp"} <= set(clauses["pk-press-names-afghan-side"]["terms"])
    assert not clauses["both-sides"]["matched"]
    # "deal" and "agreement" in the title and lede are talks; TTP is security (and ttp).
    assert found["tags"] == ["talks", "security", "ttp"]
    # Trade is mentioned once, at the end: matched, but not enough to count.
    trade = found["tag_evidence"]["trade"]
    assert trade["matched"] and not trade["counted"] and not trade["in_opening"]
    assert trade["mentions"] == 1 and trade["mentions_needed"] == 6
    assert trade["paragraph_mentions"] == 1 and trade["paragraph_mentions_needed"] == 3
    assert found["stored"]["relevant"] is True
    assert found["stored"]["reason"] == "pk-press-names-afghan-side"
    assert found["stored"]["tags"] == ["security", "talks", "ttp"]
    # The readable form says the same.
    readable = runner.invoke(main, ["--config", str(config), "explain", ONE_SIDE["url"]])
    assert "relevant:  yes, by pk-press-names-afghan-side" in readable.output
    assert "trade      not counted: 1 mention, needs 6 (or 3 in one paragraph)" in readable.output
    assert "stored:    relevant by pk-press-names-afghan-side; tags security, talks, ttp" in (
        readable.output
    )
    cricket = runner.invoke(main, ["--config", str(config), "explain", CRICKET["url"], "--json"])
    assert json.loads(cricket.output)["relevant"] is False
    assert json.loads(cricket.output)["stored"]["reason"] is None


def test_an_unknown_url_is_one_line_of_error(tmp_path: Path, runner) -> None:
    config = write_config(tmp_path)
    result = runner.invoke(main, ["--config", str(config), "explain", "https://x.org/nothing"])
    assert result.exit_code == 2
    assert "no stored article has this URL" in result.output
    missing = runner.invoke(main, ["--config", str(config), "explain", str(tmp_path / "no.html")])
    assert missing.exit_code == 2 and "cannot read the file" in missing.output


def test_an_item_file_is_explained_as_its_source_would_be(tmp_path: Path, runner) -> None:
    config = write_config(tmp_path)
    unattributed = dict(ONE_SIDE, url="https://example.org/1", source="")
    items = write_items(tmp_path / "items.jsonl", [unattributed, CRICKET])
    result = runner.invoke(main, ["--config", str(config), "explain", str(items), "--json"])
    assert result.exit_code == 0, result.output
    first, second = json.loads(result.output)
    # An outlet the configuration does not know has no country: one side named is not enough.
    assert first["source_country"] is None and first["relevant"] is False
    assert second["relevant"] is False
    attributed = runner.invoke(
        main, ["--config", str(config), "explain", str(items), "--source", "Dawn", "--json"]
    )
    first, _ = json.loads(attributed.output)
    assert (first["source"], first["reason"]) == ("dawn", "pk-press-names-afghan-side")


def test_a_saved_page_is_extracted_and_explained(tmp_path: Path, runner) -> None:
    config = write_config(tmp_path)
    result = runner.invoke(
        main,
        [
            "--config",
            str(config),
            "explain",
            str(PAGES / "article-en.html"),
            "--url",
            "https://frontierherald.example/news/second-round",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert found["title"] == "Second round of border talks opens in Istanbul"
    assert found["relevant"] is True and found["reason"] == "both-sides"
    assert {"talks", "ceasefire"} <= set(found["tags"])


def test_a_paragraph_about_a_tags_subject_is_shown_as_its_evidence(tmp_path: Path, runner) -> None:
    """A report that gives trade one paragraph of its own counts as trade, and explain says
    that the paragraph is why."""
    config = write_config(tmp_path)
    paragraph = (
        "At Torkham, hundreds of trucks loaded with fruit and vegetables remained stranded on "
        "Monday for a fifth week, drivers said. Owners of the lorries parked along the road to "
        "Landi Kotal say they have run out of money for food and fuel, and transporters who "
        "spoke to reporters said some drivers had sold their spare tyres to pay for meals. In "
        "Peshawar, the fruit market's traders said their losses since October had passed two "
        "billion rupees."
    )
    report = dict(
        ONE_SIDE,
        text=f"{ONE_SIDE['summary']}\n{'He spoke of the budget. ' * 20}\n"
        f"{paragraph}\n{'The session ended late. ' * 10}",
    )
    items = write_items(tmp_path / "items.jsonl", [report])
    found = json.loads(
        runner.invoke(main, ["--config", str(config), "explain", str(items), "--json"]).output
    )
    trade = found["tag_evidence"]["trade"]
    assert trade["counted"] and not trade["in_opening"]
    assert trade["mentions"] < trade["mentions_needed"]
    assert trade["paragraph_mentions"] >= trade["paragraph_mentions_needed"] == 3
    assert "trade" in found["tags"]
    readable = runner.invoke(main, ["--config", str(config), "explain", str(items)]).output
    needed = f"{trade['paragraph_mentions']} mentions in one, needs 3"
    assert f"trade      counted: a paragraph about it ({needed})" in readable
