"""Coverage is derived: incremental upkeep over many runs equals a full rebuild, row for row."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from sqlalchemy import text

from borderwatch.cli import main
from borderwatch.collect import sync_configuration
from borderwatch.plan import processing_rules
from pipeline.process import process_items
from pipeline.store import Store
from tests.support.config import base_config, write_config
from tests.support.dbcheck import (
    assert_coverage_equals_rebuild,
    assert_stories_consistent,
    coverage_rows,
)
from tests.support.synthetic import make_items, persistence_config


def test_incremental_coverage_after_many_runs_equals_a_rebuild(tmp_path: Path, db_url) -> None:
    config = persistence_config(tmp_path)
    rules = processing_rules(config)
    store = Store(db_url)
    sync_configuration(config, store)
    rng = random.Random(5)
    seen: list[dict] = []
    for run in range(25):
        items = make_items(run, rng.randint(5, 60), f"run{run}", days=12)
        # Later runs bring back items already stored (repeats in feeds) next to new ones.
        items += rng.sample(seen, min(len(seen), rng.randint(0, 15)))
        result = process_items(items, rules, store, batch_id=f"run{run}", chunk=0)
        assert result.items == len(items)
        seen.extend(items)

    cov, vol = coverage_rows(store)
    assert len(cov) > 50 and len(vol) > 20  # enough rows for the comparison to mean something
    assert {row[2] for row in cov} > {"*"}  # per-tag rows as well as the all-relevant rows
    assert_coverage_equals_rebuild(store)
    assert_stories_consistent(store)
    with store.engine.connect() as conn:
        stored = conn.execute(text("SELECT COUNT(*) FROM articles")).scalar_one()
        volume = conn.execute(text("SELECT SUM(articles) FROM daily_volume")).scalar_one()
    assert stored == len({item["url"] for item in seen}) == volume
    store.close()


def test_rebuild_coverage_command_repairs_from_the_given_day(tmp_path: Path, runner, db_url):
    config = persistence_config(tmp_path)
    store = Store(db_url)
    sync_configuration(config, store)
    process_items(make_items(1, 150, "rebuild", days=10), processing_rules(config), store)
    good = coverage_rows(store)
    days = sorted({row[0] for row in good[1]})
    cut = days[len(days) // 2]
    # Damage coverage on both sides of the cut: wrong counts, a missing row, a stale row.
    with store.transaction() as conn:
        conn.execute(text("UPDATE daily_coverage SET articles = articles + 7"))
        conn.execute(text("UPDATE daily_volume SET articles = 0"))
        conn.execute(
            text("INSERT INTO daily_volume (day, source, articles) VALUES (:d, 'dawn', 99)"),
            {"d": dt.date(2030, 1, 1)},
        )
    config_path = write_config(tmp_path, base_config(tmp_path))
    cli = ["--config", str(config_path), "--db", db_url, "db", "rebuild-coverage"]

    result = runner.invoke(main, [*cli, "--since", cut])
    assert result.exit_code == 0, result.output
    cov, vol = coverage_rows(store)
    assert [r for r in cov if r[0] >= cut] == [r for r in good[0] if r[0] >= cut]
    assert [r for r in vol if r[0] >= cut] == [r for r in good[1] if r[0] >= cut]
    # Days before the cut are left as they were (still damaged).
    assert [r for r in vol if r[0] < cut] != [r for r in good[1] if r[0] < cut]

    result = runner.invoke(main, cli)
    assert result.exit_code == 0, result.output
    assert f"coverage rebuilt for {len(days)} days" in result.output
    assert coverage_rows(store) == good
    store.close()


def test_rebuild_coverage_rejects_a_bad_day(tmp_path: Path, runner) -> None:
    config_path = write_config(tmp_path, base_config(tmp_path))
    result = runner.invoke(
        main, ["--config", str(config_path), "db", "rebuild-coverage", "--since", "26/10/2025"]
    )
    assert result.exit_code == 2
    assert "expected a day as YYYY-MM-DD" in result.output
