"""Where items enter: dates that cannot be right, overlong fields, a byte order mark, wrong
types and raw control characters each get one line per item line, and the item is kept when
it can be."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from borderwatch.cli import main
from pipeline.items import MAX_LENGTH, ItemError, item_from_line
from pipeline.store import Store
from tests.support.config import base_config, write_config


def _ingest(runner, tmp_path: Path, db_url: str, lines: list[bytes]):
    config = write_config(tmp_path, base_config(tmp_path))
    path = tmp_path / "items.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return runner.invoke(main, ["--config", str(config), "--db", db_url, "ingest", str(path)])


def _item(n: int, **fields) -> bytes:
    item = {"url": f"https://dates.example.org/{n}", "title": "Pakistan Afghanistan talks"}
    item.update(fields)
    return json.dumps(item).encode()


def test_implausible_or_unreadable_dates_are_reported_and_not_used(
    tmp_path: Path, runner, db_url: str
) -> None:
    result = _ingest(
        runner,
        tmp_path,
        db_url,
        [
            _item(1, published="0001-01-01T00:00:00Z"),
            _item(2, published="yesterday"),
            _item(3, published="2025-10-10T10:00:00+25:00"),
            _item(4, published="2999-01-01T00:00:00Z"),
            _item(5, collected_at="0001-01-01T00:00:00Z"),
            _item(6, published="Sun, 26 Oct 2025 09:30:00 PKT"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "6 new articles" in result.stdout
    notes = result.stderr.splitlines()
    assert "line 1: field 'published' is before 1995-01-01" in notes[0]
    assert "line 2: field 'published' is not a date: 'yesterday'" in notes[1]
    assert "line 3: field 'published' is not a date" in notes[2]
    assert "line 4: field 'published' is more than a day ahead" in notes[3]
    assert "line 5: field 'collected_at' is before 1995-01-01" in notes[4]
    assert all(n.endswith("; item kept") for n in notes[:5])
    assert len([n for n in notes if "item kept" in n]) == 5
    store = Store(db_url)
    with store.engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT url, day FROM articles")).all())
        first = conn.execute(text("SELECT MIN(day) FROM daily_volume")).scalar_one()
    store.close()
    today = dt.datetime.now(dt.UTC).date()
    days = {
        url.rsplit("/", 1)[1]: dt.date.fromisoformat(str(day)[:10]) for url, day in rows.items()
    }
    for n in "12345":
        assert abs((days[n] - today).days) <= 1, days  # the collection day stands in
    # An RFC 822 date with a regional zone is read, as the crawler reads it (UTC+5).
    assert days["6"] == dt.date(2025, 10, 26)
    assert dt.date.fromisoformat(str(first)[:10]) >= dt.date(1995, 1, 1)
    trend = runner.invoke(
        main,
        [
            "--config",
            str(tmp_path / "config.yaml"),
            "--db",
            db_url,
            "report",
            "trend",
            "--by",
            "day",
        ],
    )
    assert trend.exit_code == 0, trend.output


def test_overlong_fields_are_cut_and_reported(tmp_path: Path, runner, db_url: str) -> None:
    huge = "Pakistan Afghanistan " * 1_000_000  # 21 MB
    result = _ingest(runner, tmp_path, db_url, [_item(1, title=huge, summary=huge, text=huge)])
    assert result.exit_code == 0, result.output
    assert "1 new articles" in result.stdout
    for field in ("title", "summary", "text"):
        assert f"field '{field}' is 20,999,999 characters long: kept the first" in result.stderr
    store = Store(db_url)
    with store.engine.connect() as conn:
        lengths = conn.execute(
            text("SELECT length(title), length(summary), length(text) FROM articles")
        ).one()
    store.close()
    assert tuple(lengths) == (
        len(huge[: MAX_LENGTH["title"]].strip()),
        len(huge[: MAX_LENGTH["summary"]].strip()),
        len(huge[: MAX_LENGTH["text"]].strip()),
    )


def test_bom_wrong_types_and_raw_control_characters(tmp_path: Path, runner, db_url: str) -> None:
    result = _ingest(
        runner,
        tmp_path,
        db_url,
        [
            b"\xef\xbb\xbf" + _item(1),
            json.dumps({"url": ["https://dates.example.org/2"]}).encode(),
            b'{"url": "https://dates.example.org/3", "title": "a\x00b"}',
            json.dumps({"url": "https://dates.example.org/4", "title": {"x": 1}}).encode(),
            json.dumps({"url": "https://dates.example.org/5", "text_status": "x" * 40}).encode(),
        ],
    )
    assert result.exit_code == 0, result.output
    errors = result.stderr.splitlines()
    assert not any("line 1:" in e for e in errors), "a byte order mark is not an error"
    assert "line 2: field 'url' must be a string, got array; skipped" in result.stderr
    assert (
        "line 3: not valid JSON (raw control character U+0000 at column 51; inside a string "
        "write it as \\u0000); skipped"
    ) in result.stderr
    assert "line 4: field 'title' must be a string, got object; skipped" in result.stderr
    assert "line 5: field 'text_status' is 'xxxx" in result.stderr
    assert "2 items read, 3 bad lines skipped, 2 new articles" in result.stdout


@pytest.mark.parametrize(
    "line",
    [
        '{"url": "https://a.example/1", "title": "\\u0000 nul \\u0007 bell \\u001b[31m"}',
        '{"url": "https://a.example/1\\u0000", "title": "x"}',
    ],
)
def test_control_characters_are_removed_where_items_enter(line: str) -> None:
    item = item_from_line(line)
    assert not any(ord(c) < 32 for value in item.values() for c in value)


def test_an_overlong_url_is_an_error() -> None:
    with pytest.raises(ItemError, match="at most 4,096"):
        item_from_line(json.dumps({"url": "https://a.example/" + "x" * 5000}))
