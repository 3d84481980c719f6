"""Retention prunes old article text (never metadata or coverage); ``db stats`` reports sizes."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import text

from borderwatch.cli import main
from borderwatch.config import ConfigError
from pipeline.store import Store, utcnow
from tests.support.config import base_config, make_config, write_config
from tests.support.dbcheck import coverage_rows


def _items(tmp_path: Path, ages: dict[str, int]) -> Path:
    """One relevant item per name, collected ``age`` days ago."""
    now = utcnow()
    lines = []
    for name, age in ages.items():
        collected = (now - dt.timedelta(days=age)).replace(microsecond=0)
        lines.append(
            json.dumps(
                {
                    "url": f"https://dawn.com/news/{name}",
                    "title": f"Pakistan and Afghanistan resume talks in Istanbul ({name})",
                    "summary": "Delegations met to discuss the ceasefire.",
                    "text": f"Full text of {name}. " * 20,
                    "published": collected.isoformat() + "Z",
                    "collected_at": collected.isoformat() + "Z",
                    "source": "Dawn",
                }
            )
        )
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _snapshot(store: Store) -> dict:
    with store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT url, title, summary, day, relevant, story_id FROM articles ORDER BY url")
        ).all()
        tags = conn.execute(text("SELECT COUNT(*) FROM article_tags")).scalar_one()
    return {"articles": [tuple(r) for r in rows], "tags": tags, "coverage": coverage_rows(store)}


def _texts(store: Store) -> dict[str, tuple[bool, bool]]:
    """url name -> (has text, marked as pruned)."""
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT url, text, text_pruned_at FROM articles")).all()
    return {
        url.rsplit("/", 1)[1]: (body is not None, pruned is not None) for url, body, pruned in rows
    }


def test_prune_removes_only_old_text(tmp_path: Path, runner, db_url: str) -> None:
    config = write_config(tmp_path, base_config(tmp_path, text_retention_days=30))
    items = _items(tmp_path, {"old": 45, "older": 90, "recent": 5, "today": 0})
    cli = ["--config", str(config), "--db", db_url]
    assert runner.invoke(main, [*cli, "ingest", str(items)]).exit_code == 0
    store = Store(db_url)
    before = _snapshot(store)
    assert all(has for has, _ in _texts(store).values())

    result = runner.invoke(main, [*cli, "db", "prune"])
    assert result.exit_code == 0, result.output
    assert "removed the text of 2 articles collected more than 30 days ago" in result.output
    assert _texts(store) == {
        "old": (False, True),
        "older": (False, True),
        "recent": (True, False),
        "today": (True, False),
    }
    # Titles, summaries, days, stories, tags and coverage are untouched.
    assert _snapshot(store) == before
    again = runner.invoke(main, [*cli, "db", "prune"])
    assert "removed the text of 0 articles" in again.output

    stats = runner.invoke(main, [*cli, "db", "stats"])
    assert stats.exit_code == 0, stats.output
    assert re.search(r"^articles\s+4\s+\S+ k?B", stats.output, re.M), stats.output
    assert re.search(r"^daily_coverage\s+\d+\s", stats.output, re.M)
    assert "article text: 2 texts" in stats.output and "2 pruned by retention" in stats.output
    store.close()


def test_collect_applies_retention(tmp_path: Path, runner, db_url: str) -> None:
    """The setting works on its own: every collect run prunes (no sources here: no crawl)."""
    config = write_config(tmp_path, base_config(tmp_path, text_retention_days=10))
    cli = ["--config", str(config), "--db", db_url]
    runner.invoke(main, [*cli, "ingest", str(_items(tmp_path, {"old": 11, "new": 1}))])
    result = runner.invoke(main, [*cli, "collect"])
    assert result.exit_code == 0, result.output
    store = Store(db_url)
    assert _texts(store) == {"old": (False, True), "new": (True, False)}
    store.close()


def test_without_the_setting_nothing_is_pruned(tmp_path: Path, runner, db_url: str) -> None:
    config = write_config(tmp_path, base_config(tmp_path))
    cli = ["--config", str(config), "--db", db_url]
    runner.invoke(main, [*cli, "ingest", str(_items(tmp_path, {"ancient": 400}))])
    assert runner.invoke(main, [*cli, "collect"]).exit_code == 0
    result = runner.invoke(main, [*cli, "db", "prune"])
    assert result.exit_code == 2
    assert "text_retention_days is not set" in result.stderr
    store = Store(db_url)
    assert _texts(store) == {"ancient": (True, False)}
    store.close()


@pytest.mark.parametrize("value", [0, -3, "30d", True])
def test_a_bad_retention_setting_is_one_clear_error(tmp_path: Path, value) -> None:
    with pytest.raises(ConfigError, match="text_retention_days"):
        make_config(tmp_path, base_config(tmp_path, text_retention_days=value))
