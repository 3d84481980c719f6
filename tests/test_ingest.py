"""``borderwatch ingest``: the item format, bad lines, unknown outlets and idempotence."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import create_engine, text

from borderwatch.cli import main
from tests.support.config import base_config, write_config

ITEMS = [
    {
        "url": "https://www.dawn.com/news/1001/pakistan-afghanistan-talks-resume-in-istanbul?utm_source=rss",
        "title": "Pakistan and Afghanistan resume ceasefire talks in Istanbul",
        "summary": "Delegations from Pakistan and the Taliban government met in Istanbul to "
        "discuss a ceasefire monitoring mechanism and the TTP.",
        "published": "2025-10-26T08:00:00+05:00",
        "source": "dawn",
    },
    {
        "url": "https://www.reuters.com/world/asia/torkham-reopens-2025-10-27/",
        "title": "Torkham crossing reopens for trade after Pakistan-Afghanistan truce",
        "summary": "Trucks crossed at Torkham as Pakistan and Afghanistan eased the closure.",
        "published": "2025-10-27T06:30:00Z",
        "source": "Reuters",
        "source_url": "https://www.reuters.com",
    },
    {
        "url": "https://cricket.example.com/pak-afg-t20",
        "title": "Pakistan beat Afghanistan by six wickets in Sharjah",
        "summary": "A cricket match report.",
        "published": "2025-10-26T15:00:00Z",
        "source": "Cricket Weekly",
    },
]


def write_items(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_ingest_skips_the_bad_line_and_stores_the_rest(tmp_path: Path, runner, db_url) -> None:
    raw = base_config(tmp_path)
    raw["sources"] = [
        {
            "key": "dawn",
            "name": "Dawn",
            "country": "PK",
            "language": "en",
            "domains": ["dawn.com"],
            "feeds": ["https://www.dawn.com/feeds/home"],
        }
    ]
    config = write_config(tmp_path, raw)
    lines = [
        json.dumps(ITEMS[0]),
        "{not json",
        json.dumps(ITEMS[1]),
        json.dumps({"title": "no url"}),
        json.dumps({"url": "https://[::1/unbalanced", "title": "a broken host"}),
        json.dumps(ITEMS[2]),
    ]
    items = write_items(tmp_path / "items.jsonl", lines)

    result = runner.invoke(main, ["--config", str(config), "--db", db_url, "ingest", str(items)])
    assert result.exit_code == 0, result.output
    assert "line 2: not valid JSON" in result.stderr
    assert "line 4: missing required field 'url'" in result.stderr
    assert "line 5: field 'url' is not a valid URL" in result.stderr
    assert "3 items read, 3 bad lines skipped, 3 new articles, 2 relevant" in result.stdout

    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT source, canonical_url, relevant, published_at FROM articles ORDER BY id")
        ).all()
        sources = dict(conn.execute(text("SELECT key, origin FROM sources")).all())
        tags = {r[0] for r in conn.execute(text("SELECT DISTINCT tag FROM article_tags"))}
        coverage = conn.execute(
            text(
                "SELECT day, source, tag, articles FROM daily_coverage WHERE tag = '*' "
                "ORDER BY day, source"
            )
        ).all()
    assert [r[0] for r in rows] == ["dawn", "reuters.com", "cricket-weekly"]
    # Tracking parameters go, the host loses www., the time is stored in UTC.
    assert rows[0][1] == "https://dawn.com/news/1001/pakistan-afghanistan-talks-resume-in-istanbul"
    assert str(rows[0][3]).startswith("2025-10-26 03:00:00")
    assert [bool(r[2]) for r in rows] == [True, True, False]
    assert sources == {
        "dawn": "config",
        "reuters.com": "discovered",
        "cricket-weekly": "discovered",
    }
    assert {"talks", "ceasefire", "border"} <= tags
    assert [(str(d), s, n) for d, s, _t, n in coverage] == [
        ("2025-10-26", "dawn", 1),
        ("2025-10-27", "reuters.com", 1),
    ]

    again = runner.invoke(main, ["--config", str(config), "--db", db_url, "ingest", str(items)])
    assert again.exit_code == 0
    assert "0 new articles" in again.stdout
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM articles")).scalar_one() == 3
        assert conn.execute(text("SELECT count(*) FROM stories")).scalar_one() == 3
    engine.dispose()


def test_half_a_surrogate_pair_is_replaced_not_fatal(tmp_path: Path, runner, db_url) -> None:
    """JSON can escape half of a UTF-16 surrogate pair on its own; that line is stored with
    U+FFFD in its place (a whole pair stays the character it encodes), and the other lines
    are stored as usual."""
    config = write_config(tmp_path, base_config(tmp_path))
    lone = {**ITEMS[0], "title": "Talks resume \ud800 in Istanbul"}
    pair = {**ITEMS[1], "title": "Torkham reopens \U0001f69a"}
    lines = [json.dumps(lone), json.dumps(pair), json.dumps(ITEMS[2])]
    assert "\\ud800" in lines[0] and "\\ud83d\\ude9a" in lines[1]
    items = write_items(tmp_path / "items.jsonl", lines)

    result = runner.invoke(main, ["--config", str(config), "--db", db_url, "ingest", str(items)])
    assert result.exit_code == 0, result.output
    assert "3 new articles" in result.stdout
    engine = create_engine(db_url)
    with engine.connect() as conn:
        titles = [r[0] for r in conn.execute(text("SELECT title FROM articles ORDER BY id"))]
    engine.dispose()
    assert titles == [
        "Talks resume \ufffd in Istanbul",
        "Torkham reopens \U0001f69a",
        ITEMS[2]["title"],
    ]


def test_ingest_of_a_missing_file_is_a_usage_error(tmp_path: Path, runner) -> None:
    config = write_config(tmp_path, base_config(tmp_path))
    result = runner.invoke(main, ["--config", str(config), "ingest", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2


def test_a_damaged_staged_batch_loses_only_its_damaged_lines(
    tmp_path: Path, db_url, caplog
) -> None:
    """A staged batch is written by borderwatch, but a disk or a hand can damage it: each bad
    line is reported with its line number and the batch's other items are stored."""
    from borderwatch.ingest import process_staging, staging_for
    from borderwatch.plan import processing_rules
    from crawler.staging import StagingArea
    from pipeline.store import Store
    from tests.support.config import make_config

    store = Store(db_url)
    staging = staging_for(store, StagingArea(tmp_path / "staging"))
    batch = staging.root / "20251027T000000000000-crawl-damaged.jsonl"
    write_items(
        batch,
        [
            json.dumps(ITEMS[0]),
            '{"url": "https://dawn.com/cut',
            json.dumps(ITEMS[1]),
            "",
            json.dumps({"url": "ftp://example.com/x"}),
            json.dumps(ITEMS[2]),
        ],
    )
    rules = processing_rules(make_config(tmp_path, base_config(tmp_path)))
    with caplog.at_level("WARNING", logger="borderwatch"):
        result = process_staging(staging, store, rules, chunk_items=2, parallel=True)
    assert (result.items, result.new) == (3, 3)
    assert not batch.exists()
    messages = [r.getMessage() for r in caplog.records]
    assert any("line 2: not valid JSON" in m for m in messages), messages
    assert any("line 5: field 'url' is not an http(s) URL" in m for m in messages), messages
    assert store.count("articles") == 3
    store.close()


def test_a_staged_string_with_half_a_surrogate_pair_is_written(tmp_path: Path) -> None:
    """A crawler string holding half a surrogate pair (from a stray "&#xd800;") is staged as
    its JSON escape instead of stopping the batch, and read back with U+FFFD in its place, as
    from any item file."""
    from borderwatch.ingest import _read_items
    from crawler.staging import StagingArea

    staging = StagingArea(tmp_path)
    with staging.writer("crawl") as writer:
        writer.write({"url": "https://a.example/1", "title": "half \ud800 pair"})
        writer.write({"url": "https://a.example/2", "title": "whole"})
    path = writer.final_path
    assert "\\ud800" in path.read_text(encoding="utf-8")
    items, _lines, problems = _read_items(path, 0, path.stat().st_size, 1)
    assert problems == []
    assert [item["title"] for item in items] == ["half \ufffd pair", "whole"]
