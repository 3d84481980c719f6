"""Full text and metadata of saved article pages, and ``borderwatch extract``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from borderwatch.cli import main
from crawler.extract import extract_article

PAGES = Path(__file__).parent / "data" / "pages"
URL = "https://frontier.example/2025/10/story.html"
NOW = datetime(2025, 10, 28, tzinfo=UTC)


def extract(name: str):
    return extract_article((PAGES / name).read_bytes(), URL, now=NOW)


def test_original_date_not_the_modified_one() -> None:
    result = extract("article-en.html")
    # published 09:30 +05:00 on the 25th; modified on the 27th.
    assert result.published == "2025-10-25T04:30:00+00:00"
    assert result.title == "Second round of border talks opens in Istanbul"
    assert result.author == "Sana Qureshi"
    assert result.status == "ok" and "Torkham and Chaman" in result.text
    assert "Terms of use" not in result.text and "Home" not in result.text


@pytest.mark.parametrize("name", ["future-date.html", "ancient-date.html"])
def test_implausible_dates_are_dropped(name: str) -> None:
    result = extract(name)
    assert result.published is None
    assert result.status == "ok"


def test_paywalled_page_is_marked_not_dropped() -> None:
    result = extract("paywalled.html")
    assert result.status == "empty"
    assert result.title == "Subscribers only: inside the Istanbul talks"


def test_garbage_never_raises() -> None:
    for body in (b"", b"\x00\xff" * 100, b"<html><body></body></html>", b"<<<>>>"):
        assert extract_article(body, URL).status == "empty"


@pytest.mark.parametrize(
    ("name", "language", "title_word"),
    [
        ("article-en.html", "en", "Istanbul"),
        ("article-ur.html", "ur", "مذاکرات"),
        ("article-ps.html", "ps", "اترې"),
        ("article-fa.html", "fa", "استانبول"),
    ],
)
def test_extract_command_json(runner, name: str, language: str, title_word: str) -> None:
    result = runner.invoke(main, ["extract", str(PAGES / name), "--url", URL, "--json"])
    assert result.exit_code == 0, result.output
    fields = json.loads(result.output)
    assert {"title", "text", "author", "published", "language"} <= set(fields)
    assert fields["language"] == language
    assert title_word in fields["title"]
    assert fields["published"] and fields["published"].startswith("2025-10-2")
    assert fields["text_status"] == "ok" and len(fields["text"]) > 200


def test_extract_command_text(runner) -> None:
    result = runner.invoke(main, ["extract", str(PAGES / "article-en.html"), "--url", URL])
    assert result.exit_code == 0, result.output
    assert "published:" in result.output and "2025-10-25T04:30:00+00:00" in result.output
    assert "language:" in result.output and "Torkham and Chaman" in result.output


def test_extract_command_missing_file(runner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["extract", str(tmp_path / "nope.html"), "--url", URL])
    assert result.exit_code == 2
    assert "nope.html" in result.output
