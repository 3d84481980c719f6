"""``borderwatch browse``: Datasette on a loopback port, serving the canned report queries."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from borderwatch.browse.canned import QUERIES
from borderwatch.cli import main
from pipeline.store import Store
from tests.support import reports_data
from tests.support.config import base_config, write_config


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get_json(url: str, deadline: float) -> list[dict]:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.loads(response.read())
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_browse_serves_canned_queries(db_url: str, tmp_path: Path, runner) -> None:
    store = Store(db_url)
    history = reports_data.build(store)
    store.close()
    config = write_config(tmp_path, base_config(tmp_path))
    if not db_url.startswith("sqlite"):
        result = runner.invoke(main, ["--config", str(config), "--db", db_url, "browse"])
        assert result.exit_code == 2
        assert "Datasette reads SQLite databases only" in result.output
        assert "PostgreSQL" in result.output
        return
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "borderwatch", "--config", str(config), "--db", db_url,
         "browse", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}/test"
        rows = _get_json(
            f"{base}/weekly_trend.json?tag=ceasefire&since=&until=&_shape=array",
            time.monotonic() + 30,
        )
        relevant = [a for a in history.relevant("ceasefire")]
        assert len(rows) == 8
        assert sum(r["articles"] for r in rows) == len(relevant)
        assert rows[0]["week"] == "2025-09-01"
        assert {"week", "articles", "stories", "collected", "share_pct"} == set(rows[0])
        countries = _get_json(
            f"{base}/share_of_voice_by_country.json?tag=*&since=2025-10-13&until=&_shape=array",
            time.monotonic() + 10,
        )
        assert {r["country"] for r in countries} == {"PK", "AF", "GB"}
    finally:
        server.terminate()
        server.communicate(timeout=10)


def test_every_canned_query_runs_on_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "canned.sqlite"
    store = Store(f"sqlite:///{path}")
    reports_data.build(store)
    store.close()
    with sqlite3.connect(path) as db:
        for name, query in QUERIES.items():
            rows = db.execute(
                query["sql"], {"tag": "talks", "since": "2025-09-01", "until": ""}
            ).fetchall()
            assert rows, name


@pytest.mark.parametrize("url", ["sqlite:///:memory:"])
def test_browse_needs_a_database_file(runner, tmp_path: Path, url: str) -> None:
    config = write_config(tmp_path, base_config(tmp_path))
    result = runner.invoke(main, ["--config", str(config), "--db", url, "browse"])
    assert result.exit_code == 2
    assert "database file" in result.output
