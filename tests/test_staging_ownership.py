"""A staged batch belongs to the database it was collected for: a command run against another
database (--db, $BORDERWATCH_DATABASE_URL) leaves it alone and says so once."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

from borderwatch.cli import main
from borderwatch.ingest import staging_for
from crawler.staging import StagingArea
from pipeline.store import Store
from tests.support.config import base_config, write_config


def _items(prefix: str, count: int) -> list[dict]:
    return [
        {
            "url": f"https://{prefix}.example.org/news/{n}",
            "title": f"Pakistan and Afghanistan talks, {prefix} {n}",
            "published": "2025-10-26T08:00:00Z",
        }
        for n in range(count)
    ]


def _urls(url: str) -> set[str]:
    store = Store(url)
    with store.engine.connect() as conn:
        found = {r[0] for r in conn.execute(text("SELECT url FROM articles"))}
    store.close()
    return found


def _leave_a_batch(staging: StagingArea, items: list[dict]) -> Path:
    """A batch staged and never processed, as a crash between crawl and processing leaves."""
    with staging.writer("crawl") as writer:
        for item in items:
            writer.write(item)
    return writer.final_path


def _messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "left alone" in r.getMessage()]


def test_a_batch_is_stored_only_into_its_own_database(tmp_path: Path, db_url: str, caplog) -> None:
    runner = CliRunner()
    config = write_config(tmp_path, base_config(tmp_path))
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    folder = StagingArea(tmp_path / "data" / "staging")
    store = Store(db_url)
    leftover = _leave_a_batch(staging_for(store, folder), _items("leftover", 5))
    store.close()

    own = tmp_path / "own.jsonl"
    own.write_text("".join(json.dumps(i) + "\n" for i in _items("other", 3)), encoding="utf-8")
    for _ in range(2):  # the second run must not mention the batch again
        result = runner.invoke(main, ["--config", str(config), "--db", other, "ingest", str(own)])
        assert result.exit_code == 0, result.output
    assert _urls(other) == {i["url"] for i in _items("other", 3)}
    assert leftover.exists(), "another database's batch was processed and deleted"
    mentions = _messages(caplog)
    assert len(mentions) == 1 and leftover.name in mentions[0], mentions
    # The database URL is named without its password.
    assert "://" in mentions[0]

    # The variable instead of --db: the same.
    listed = runner.invoke(
        main,
        ["--config", str(config), "staging", "list"],
        env={"BORDERWATCH_DATABASE_URL": other},
    )
    assert "left alone, for other databases" in listed.stdout
    assert leftover.name in listed.stdout

    # Its own database stores it at its next run.
    result = runner.invoke(main, ["--config", str(config), "--db", db_url, "ingest", str(own)])
    assert result.exit_code == 0, result.output
    assert not leftover.exists()
    assert _urls(db_url) == {i["url"] for i in _items("leftover", 5) + _items("other", 3)}
    assert _urls(other) == {i["url"] for i in _items("other", 3)}


def test_a_batch_that_names_no_database_waits_for_adopt(tmp_path: Path, db_url: str) -> None:
    """Batches staged before batches recorded their database are not guessed at."""
    runner = CliRunner()
    config = write_config(tmp_path, base_config(tmp_path))
    old = _leave_a_batch(StagingArea(tmp_path / "data" / "staging"), _items("old", 2))
    args = ["--config", str(config), "--db", db_url]
    status = runner.invoke(main, [*args, "status"])
    assert "1 of other databases left alone" in status.stdout
    adopted = runner.invoke(main, [*args, "staging", "adopt", "--all"])
    assert adopted.exit_code == 0, adopted.output
    assert not old.exists()
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    assert runner.invoke(main, [*args, "ingest", str(empty)]).exit_code == 0
    assert _urls(db_url) == {i["url"] for i in _items("old", 2)}


def test_db_copy_hands_the_staged_batches_to_the_copy(tmp_path: Path, db_url: str) -> None:
    runner = CliRunner()
    config = write_config(tmp_path, base_config(tmp_path))
    source = f"sqlite:///{tmp_path / 'source.sqlite'}"
    store = Store(source)
    _leave_a_batch(staging_for(store, StagingArea(tmp_path / "data" / "staging")), _items("m", 4))
    store.close()
    copied = runner.invoke(
        main, ["--config", str(config), "--db", source, "db", "copy", "--to", db_url]
    )
    assert copied.exit_code == 0, copied.output
    assert "1 staged batches handed to it" in copied.stdout
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    runner.invoke(main, ["--config", str(config), "--db", db_url, "ingest", str(empty)])
    assert _urls(db_url) == {i["url"] for i in _items("m", 4)}
    assert _urls(source) == set()
