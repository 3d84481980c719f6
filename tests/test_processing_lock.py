"""Two ingests on one database at once: the second waits for the first (the processing lock),
neither fails, and the result is that of one run after the other."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

from borderwatch.cli import main
from borderwatch.lock import processing_lock
from pipeline.store import Store
from tests.support.config import write_config
from tests.support.dbcheck import (
    assert_coverage_equals_rebuild,
    assert_stories_consistent,
    coverage_rows,
)
from tests.support.synthetic import make_items, persistence_config

ITEMS = 2500  # more than one chunk: the analysis worker runs too


def _write(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


def _outcome(url: str) -> tuple:
    """What processing decided, independent of ids: stories as sets of URLs, relevance and
    tags per URL, and the coverage tables."""
    store = Store(url)
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT url, story_id, relevant FROM articles")).all()
        tags = conn.execute(
            text("SELECT a.url, t.tag FROM article_tags t JOIN articles a ON a.id = t.article_id")
        ).all()
    stories: dict[int, set[str]] = {}
    for article_url, story, _relevant in rows:
        stories.setdefault(story, set()).add(article_url)
    outcome = (
        sorted(sorted(urls) for urls in stories.values()),
        sorted((r[0], bool(r[2])) for r in rows),
        sorted(tags),
        coverage_rows(store),
    )
    store.close()
    return outcome


def _first_id(url: str, urls: list[str]) -> int:
    store = Store(url)
    with store.engine.connect() as conn:
        ids = [
            conn.execute(text("SELECT id FROM articles WHERE url = :u"), {"u": u}).scalar_one()
            for u in urls[:50]
        ]
    store.close()
    return min(ids)


def test_concurrent_ingests_equal_a_sequential_run(tmp_path: Path, db_url: str) -> None:
    config = persistence_config(tmp_path)
    config_path = write_config(tmp_path, json.loads(config.model_dump_json()))
    files = [
        # The same URLs with other headlines: which file comes first decides what is kept.
        _write(tmp_path / f"part{n}.jsonl", make_items(n, ITEMS, "same"))
        for n in (1, 2)
    ]
    command = [sys.executable, "-m", "borderwatch", "--config", str(config_path), "--db", db_url]
    runs = [
        subprocess.Popen(
            [*command, "ingest", str(f)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for f in files
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (_out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err[-3000:]
        assert "Traceback" not in err
    assert any("waiting for it" in err for _out, err in outputs), "the runs did not overlap"

    store = Store(db_url)
    assert_stories_consistent(store)
    assert_coverage_equals_rebuild(store)
    store.close()
    # The same files one after the other, in the order the lock let them in.
    urls = [[json.loads(line)["url"] for line in f.read_text().splitlines()] for f in files]
    order = sorted(range(2), key=lambda n: _first_id(db_url, urls[n]))
    sequential = f"sqlite:///{tmp_path / 'sequential.sqlite'}"
    runner = CliRunner()
    for n in order:
        result = runner.invoke(
            main, ["--config", str(config_path), "--db", sequential, "ingest", str(files[n])]
        )
        assert result.exit_code == 0, result.output
    assert _outcome(db_url) == _outcome(sequential)


def test_ingest_no_wait_refuses_with_one_line_and_keeps_the_file_staged(
    tmp_path: Path, db_url: str
) -> None:
    config = persistence_config(tmp_path)
    config_path = write_config(tmp_path, json.loads(config.model_dump_json()))
    items = make_items(5, 20, "nowait")
    file = _write(tmp_path / "items.jsonl", items)
    runner = CliRunner()
    args = ["--config", str(config_path), "--db", db_url, "ingest", str(file)]
    Store(db_url).close()
    with processing_lock(db_url):
        refused = runner.invoke(main, [*args, "--no-wait"])
    assert refused.exit_code == 2
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert "another process is storing into this database" in refused.stderr
    done = runner.invoke(main, args)
    assert done.exit_code == 0, done.output
    # The staged copy and the file itself: each item once.
    assert "20 new articles" in done.stdout
