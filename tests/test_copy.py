"""``borderwatch db copy``: move a database (a laptop's SQLite file) into a new one."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from borderwatch.cli import main
from borderwatch.collect import sync_configuration
from borderwatch.plan import processing_rules
from pipeline.process import process_items
from pipeline.schema import metadata
from pipeline.store import Store
from pipeline.transfer import NOT_COPIED
from tests.support.config import base_config, write_config
from tests.support.dbcheck import assert_coverage_equals_rebuild
from tests.support.synthetic import make_items, persistence_config


def _rows(store: Store) -> dict[str, list[tuple]]:
    with store.engine.connect() as conn:
        return {
            table.name: sorted(tuple(map(str, r)) for r in conn.execute(select(table)))
            for table in metadata.sorted_tables
            if table.name not in NOT_COPIED
        }


def test_copy_moves_every_row_and_the_copy_keeps_working(tmp_path: Path, runner, db_url) -> None:
    config = persistence_config(tmp_path)
    source_url = f"sqlite:///{tmp_path / 'laptop.sqlite'}"
    source = Store(source_url)
    sync_configuration(config, source)
    process_items(make_items(21, 300, "copy"), processing_rules(config), source, batch_id="b")
    run = source.start_run("collect")
    source.finish_run(run, "ok", fetched=3, new=300)
    config_path = write_config(tmp_path, base_config(tmp_path))
    cli = ["--config", str(config_path), "--db", source_url, "db", "copy", "--to", db_url]

    result = runner.invoke(main, cli)
    assert result.exit_code == 0, result.output
    assert "copied 300 articles" in result.output
    target = Store(db_url)
    assert _rows(target) == _rows(source)
    # A copy is a database of its own: batches staged for one are never stored into the other.
    assert target.identity() != source.identity()
    assert_coverage_equals_rebuild(target)

    # New rows get fresh ids after the copied ones (PostgreSQL's sequences were moved on).
    items = tmp_path / "new.jsonl"
    items.write_text(
        json.dumps({"url": "https://dawn.com/news/new", "title": "Torkham reopens", "source": "x"})
        + "\n",
        encoding="utf-8",
    )
    ingest = runner.invoke(
        main, ["--config", str(config_path), "--db", db_url, "ingest", str(items)]
    )
    assert ingest.exit_code == 0, ingest.output
    assert target.count("articles") == 301
    assert target.start_run("collect") == run + 1

    # A second copy into the now non-empty database is refused, and changes nothing.
    again = runner.invoke(main, cli)
    assert again.exit_code == 2
    assert "the target database is not empty" in again.stderr
    assert target.count("articles") == 301
    source.close()
    target.close()
