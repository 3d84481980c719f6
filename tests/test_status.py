"""``borderwatch status`` and the database locks it reports on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import text

from borderwatch.cli import main
from borderwatch.lock import COLLECT, DAEMON, DatabaseLock, LockHeld
from pipeline.store import Store, utcnow
from tests.support.config import base_config, write_config


def test_status_shows_runs_next_times_and_health(tmp_path: Path, runner, db_url: str) -> None:
    raw = base_config(tmp_path)
    raw["schedule"].update({"timezone": "Europe/London", "digest_time": "06:30"})
    raw["sources"] = [
        {"key": "alpha", "name": "Alpha", "country": "PK", "language": "en",
         "feeds": ["http://127.0.0.1:9/alpha.xml"]},
        {"key": "beta", "name": "Beta", "country": "AF", "language": "en",
         "feeds": ["http://127.0.0.1:9/beta.xml"]},
    ]  # fmt: skip
    config_path = write_config(tmp_path, raw)
    store = Store(db_url)
    store.sync_sources([{"key": k, "name": k, "country": "PK", "language": "en", "domain": None}
                        for k in ("alpha", "beta")])  # fmt: skip
    store.sync_feeds([{"source": s["key"], "url": s["feeds"][0], "kind": "rss"}
                      for s in raw["sources"]])  # fmt: skip
    store.record_fetch("beta", "http://127.0.0.1:9/beta.xml",
                       {"last_fetch_at": utcnow(), "consecutive_failures": 4,
                        "last_status": "error", "last_error": "HTTP 503"})  # fmt: skip
    run_id = store.start_run("collect")
    store.finish_run(run_id, "ok", fetched=12, new=7, relevant=3)
    run_id = store.start_run("digest")
    store.finish_run(run_id, "failed", day=dt.date(2026, 5, 1), errors="Traceback\nboom: no SMTP")
    store.close()

    result = runner.invoke(main, ["--config", str(config_path), "--db", db_url, "status"])

    assert result.exit_code == 0, result.output
    out = result.output
    assert "daemon: not running" in out
    collect_line = next(line for line in out.splitlines() if line.strip().startswith("collect"))
    assert collect_line.split()[5:9] == ["ok", "12", "7", "3"]
    assert "boom: no SMTP" in out
    assert "Europe/London" in out and "every 0:30:00" in out
    beta = next(line for line in out.splitlines() if line.strip().startswith("beta"))
    assert "failing" in beta and "HTTP 503" in beta
    alpha = next(line for line in out.splitlines() if line.strip().startswith("alpha"))
    assert "new" in alpha


def test_status_sees_a_running_daemon(tmp_path: Path, runner, db_url: str) -> None:
    config_path = write_config(tmp_path, base_config(tmp_path))
    with DatabaseLock(db_url, DAEMON):
        result = runner.invoke(main, ["--config", str(config_path), "--db", db_url, "status"])
    assert "daemon: running" in result.output


def test_locks_are_exclusive_and_released(db_url: str) -> None:
    first = DatabaseLock(db_url, DAEMON)
    first.acquire()
    with pytest.raises(LockHeld, match="daemon"):
        DatabaseLock(db_url, DAEMON).acquire()
    # Another name is another lock.
    with DatabaseLock(db_url, COLLECT):
        pass
    first.release()
    with DatabaseLock(db_url, DAEMON):
        pass


def test_collect_by_hand_refuses_while_a_collect_runs(tmp_path: Path, runner, db_url) -> None:
    config_path = write_config(tmp_path, base_config(tmp_path))
    Store(db_url).close()
    with DatabaseLock(db_url, COLLECT):
        result = runner.invoke(main, ["--config", str(config_path), "--db", db_url, "collect"])
    assert result.exit_code == 1
    assert "another collect is running on this database" in result.output
    result = runner.invoke(main, ["--config", str(config_path), "--db", db_url, "collect"])
    assert result.exit_code == 0, result.output
    with Store(db_url).engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM runs")).scalar_one() == 0


def test_daemon_collect_is_skipped_while_another_collect_runs(tmp_path: Path, db_url) -> None:
    from borderwatch import jobs
    from tests.support.config import make_config

    config = make_config(tmp_path, base_config(tmp_path))
    with DatabaseLock(db_url, COLLECT):
        assert jobs.run_collect(config, db_url) is None
    assert jobs.run_collect(config, db_url) is not None
    with Store(db_url).engine.connect() as conn:
        rows = conn.execute(text("SELECT status, errors FROM runs ORDER BY id")).all()
    assert [r[0] for r in rows] == ["skipped", "ok"]
    assert "another collect is running" in rows[0][1]
