"""Bad input of every kind ends in one line on stderr and exit status 2, never a traceback:
configuration files, database URLs, durations, report and digest dates, limits and paths."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import text

from borderwatch.cli import main
from borderwatch.config import PACKAGED_CONFIG, ConfigError, load_config
from pipeline.store import Store
from tests.support.config import base_config, write_config


def _one_line(result) -> str:
    assert result.exit_code == 2, result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr
    return lines[-1]


def _status(runner: CliRunner, config: Path, *extra: str):
    return runner.invoke(main, ["--config", str(config), *extra, "status"])


# -- item 6: not UTF-8 ---------------------------------------------------------------------------
def test_a_config_that_is_not_utf8_names_the_file_and_byte(tmp_path: Path, runner) -> None:
    text_ = yaml.safe_dump(base_config(tmp_path), allow_unicode=True).encode("utf-8")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"# caf\xe9 au lait\n" + text_)
    line = _one_line(_status(runner, latin))
    assert f"{latin}: not UTF-8 text: byte 0xe9 at offset 5 (line 1)" in line
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(bytes(range(256)) * 4)
    assert "binary.yaml" in _one_line(_status(runner, binary))


def test_sighup_reload_of_a_non_utf8_config_keeps_the_running_one(tmp_path: Path, caplog) -> None:
    from borderwatch import daemon as scheduler

    path = write_config(tmp_path, base_config(tmp_path))
    daemon = scheduler.Daemon(load_config(path), str(path), None)
    path.write_bytes(path.read_bytes() + b"# \xff\n")
    with caplog.at_level(logging.ERROR, logger="borderwatch"):
        assert daemon.reload() is False
    assert any("configuration not reloaded" in r.getMessage() for r in caplog.records)
    assert any("not UTF-8" in r.getMessage() for r in caplog.records)


# -- item 7: duplicate keys ----------------------------------------------------------------------
def test_a_key_given_twice_is_refused_with_both_lines(tmp_path: Path, runner) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "topic: 'pakistan AND afghanistan'\ncollect:\n  interval: 30m\n  interval: 5m\n",
        encoding="utf-8",
    )
    line = _one_line(_status(runner, path))
    assert "key 'interval' appears twice (lines 3 and 4)" in line


def test_the_shipped_config_repeats_no_key() -> None:
    load_config(PACKAGED_CONFIG)  # the strict loader raises on a repeated key
    text_ = PACKAGED_CONFIG.read_text(encoding="utf-8")
    assert text_.count("\ntext_retention_days:") == 1


# -- item 8: database URLs -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("foo://x", "does not support 'foo' databases"),
        ("mysql://user:secret@h/d", "does not support 'mysql' databases"),
        ("::::", "cannot read the database URL"),
        ("postgresql+psycopg://user:secret@127.0.0.1:1/db", "cannot open the database"),
    ],
)
def test_database_urls_get_one_line_without_the_password(
    tmp_path: Path, runner, url: str, expected: str
) -> None:
    config = write_config(tmp_path, base_config(tmp_path))
    line = _one_line(_status(runner, config, "--db", url))
    assert expected in line
    assert "secret" not in line
    if "secret" in url:
        assert "user:***@" in line


# -- item 9: durations ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("collect", "interval", "99999999999999d"),
        ("schedule", "digest_grace", "99999999999999d"),
        ("schedule", "silence_min", 1e300),
        ("collect", "crawl_time_limit", "367d"),
    ],
)
def test_durations_are_bounded(tmp_path: Path, runner, section: str, key: str, value) -> None:
    raw = base_config(tmp_path)
    raw.setdefault(section, {})[key] = value
    line = _one_line(_status(runner, write_config(tmp_path, raw)))
    assert f"{section}.{key}: expected a duration of at most 366d" in line


def test_other_unbounded_numbers_are_bounded(tmp_path: Path) -> None:
    from borderwatch.config import config_from_mapping

    for change in (
        {"text_retention_days": 10**30},
        {"collect": {"download_delay": 1e300}},
        {"email": {"retry_delay": 1e300}},
    ):
        with pytest.raises(ConfigError):
            config_from_mapping({**base_config(tmp_path), **change}, base_dir=tmp_path)


# -- items 10 and 11: reports and digest ---------------------------------------------------------
@pytest.fixture
def with_articles(tmp_path: Path, runner, db_url: str) -> list[str]:
    config = write_config(tmp_path, base_config(tmp_path))
    items = tmp_path / "items.jsonl"
    items.write_text(
        '{"url": "https://a.example.org/1", "title": "Pakistan Afghanistan ceasefire talks", '
        '"published": "2025-10-26T08:00:00Z"}\n',
        encoding="utf-8",
    )
    args = ["--config", str(config), "--db", db_url]
    assert runner.invoke(main, [*args, "ingest", str(items)]).exit_code == 0
    return args


def test_report_and_digest_dates_out_of_range(runner, with_articles: list[str]) -> None:
    args = with_articles
    assert "before 1995-01-01" in _one_line(
        runner.invoke(main, [*args, "report", "trend", "--since", "0001-01-01"])
    )
    assert "after 2199-12-31" in _one_line(
        runner.invoke(main, [*args, "report", "stories", "--until", "9999-12-31"])
    )
    assert "before 1995-01-01" in _one_line(
        runner.invoke(main, [*args, "digest", "--date", "0001-01-01", "--preview"])
    )
    refused = _one_line(
        runner.invoke(main, [*args, "report", "trend", "--by", "day", "--since", "1995-01-01"])
    )
    assert "periods by day, more than 5,000" in refused
    by_month = runner.invoke(
        main, [*args, "report", "trend", "--by", "month", "--since", "1995-01-01"]
    )
    assert by_month.exit_code == 0, by_month.output


def test_a_coverage_day_before_the_floor_no_longer_breaks_the_default_trend(
    runner, with_articles: list[str], db_url: str, tmp_path: Path
) -> None:
    """Databases filled before dates were checked may hold day 0001-01-01."""
    later = tmp_path / "later.jsonl"
    later.write_text(
        '{"url": "https://a.example.org/2", "title": "Pakistan Afghanistan ceasefire talks", '
        '"published": "2025-10-27T08:00:00Z"}\n',
        encoding="utf-8",
    )
    assert runner.invoke(main, [*with_articles, "ingest", str(later)]).exit_code == 0
    store = Store(db_url)
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE articles SET day = :day WHERE url = 'https://a.example.org/1'"),
            {"day": dt.date(1, 1, 1)},
        )
    store.close()
    assert runner.invoke(main, [*with_articles, "db", "rebuild-coverage"]).exit_code == 0
    for by in ("day", "week", "month"):
        result = runner.invoke(main, [*with_articles, "report", "trend", "--by", by])
        assert result.exit_code == 0, result.output


def test_report_limits_and_chart_paths(runner, with_articles: list[str], tmp_path: Path) -> None:
    args = with_articles
    assert "--limit" in _one_line(
        runner.invoke(main, [*args, "report", "stories", "--limit", "99999999999999999999"])
    )
    assert "--chart" in _one_line(
        runner.invoke(main, [*args, "report", "stories", "--chart", "/proc/x.png"])
    )
    folder = tmp_path / "a-folder.png"
    folder.mkdir()
    assert "is a directory" in _one_line(
        runner.invoke(main, [*args, "report", "stories", "--chart", str(folder)])
    )
