"""What borderwatch writes is its user's alone: under a umask of 022 the data folder, the
SQLite database with its WAL, staging and the outbox are still created 0700 / 0600."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.support.config import base_config, write_config


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_folder_database_and_outbox_are_private(tmp_path: Path) -> None:
    config = write_config(tmp_path, base_config(tmp_path))
    items = tmp_path / "items.jsonl"
    items.write_text(
        json.dumps(
            {
                "url": "https://p.example.org/1",
                "title": "Pakistan Afghanistan ceasefire talks",
                "published": "2025-10-26T08:00:00Z",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "borderwatch", "--config", str(config)]

    def run(*args: str) -> None:
        done = subprocess.run(
            [*command, *args],
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=lambda: os.umask(0o022),
        )
        assert done.returncode == 0, done.stderr

    run("ingest", str(items))
    run("digest", "--date", "2025-10-26", "--preview")
    data = tmp_path / "data"
    folders = [data, data / "staging", data / "outbox"]
    folders += [p for p in (data / "staging").iterdir() if p.is_dir()]
    for folder in folders:
        assert _mode(folder) == 0o700, (folder, oct(_mode(folder)))
    files = [p for p in data.rglob("*") if p.is_file()]
    assert any(p.name == "borderwatch.sqlite" for p in files)
    assert any(p.parent.name == "outbox" for p in files)
    for path in files:
        assert _mode(path) == 0o600, (path, oct(_mode(path)))
