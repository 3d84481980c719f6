"""``borderwatch report``: every report and format through the real CLI on a known history."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter
from pathlib import Path

import pytest

from borderwatch.cli import main
from borderwatch.reports import queries
from borderwatch.reports.selection import Selection
from pipeline.store import Store
from tests.support import reports_data
from tests.support.config import base_config, write_config
from tests.support.reports_data import FIRST_DAY, SILENT_DAY, History


@pytest.fixture
def history_db(db_url: str, tmp_path: Path) -> tuple[str, Path, History]:
    store = Store(db_url)
    history = reports_data.build(store)
    store.close()
    return db_url, write_config(tmp_path, base_config(tmp_path)), history


def _run(runner, history_db, *args: str):
    db_url, config, _ = history_db
    return runner.invoke(main, ["--config", str(config), "--db", db_url, "report", *args])


def _json(runner, history_db, *args: str) -> list[dict]:
    result = _run(runner, history_db, *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def test_weekly_trend_counts_articles_and_normalizes_by_volume(runner, history_db) -> None:
    rows = _json(runner, history_db, "trend", "--by", "week")
    history = history_db[2]
    assert [r["period"] for r in rows] == [f"2025-W{w}" for w in range(36, 44)]
    assert set(rows[0]) == {
        "period", "start", "tag", "articles", "stories", "volume", "share_pct",
        "share_pct_mean", "spike",
    }  # fmt: skip
    relevant = Counter(_week(a.day) for a in history.relevant())
    volume = Counter(_week(a.day) for a in history.articles)
    for row in rows:
        assert row["articles"] == relevant[row["period"]]
        assert row["volume"] == volume[row["period"]]
        assert row["share_pct"] == pytest.approx(
            100 * relevant[row["period"]] / volume[row["period"]], abs=0.001
        )
    quiet = next(r for r in rows if r["period"] == "2025-W38")
    assert (quiet["articles"], quiet["share_pct"]) == (0, 0.0)  # a zero row, not a gap
    # The rolling mean (4 weeks by default) of the share.
    shares = [r["share_pct"] for r in rows]
    assert rows[5]["share_pct_mean"] == pytest.approx(sum(shares[2:6]) / 4, abs=0.01)


def test_daily_trend_fills_silent_days_and_flags_the_spike(runner, history_db) -> None:
    rows = _json(
        runner, history_db, "trend", "--by", "day", "--tag", "ceasefire", "--country", "af"
    )
    assert len(rows) == reports_data.DAYS
    silent = rows[SILENT_DAY]
    assert silent["period"] == str(FIRST_DAY + dt.timedelta(days=SILENT_DAY))
    assert (silent["articles"], silent["volume"], silent["share_pct"]) == (0, 0, 0.0)
    spikes = [r["period"] for r in rows if r["spike"]]
    # Afghan outlets' ceasefire articles jump from 0 to 3 a day on 2025-10-13: the first day is
    # a spike; the following days have a baseline that already includes the jump.
    assert spikes[0] == "2025-10-13"
    assert all(r["articles"] == 3 for r in rows[42:49])
    assert all(r["volume"] == 10 for r in rows[42:49])  # tolo 6 + azadi 4


@pytest.mark.parametrize(
    ("by", "since", "until"),
    [
        ("week", "2025-09-03", "2025-10-15"),
        ("week", "2025-09-08", "2025-09-10"),
        ("month", "2025-09-15", "2025-10-10"),
        ("month", None, "2025-10-31"),
        ("week", None, "2025-09-30"),
        ("month", "2025-09-01", "2025-09-10"),
        ("week", "2025-10-22", "2025-10-23"),
    ],
)
def test_periods_read_from_rollups_and_days_agree(runner, history_db, by, since, until) -> None:
    """Whole periods come from the weekly/monthly rollups, the days around them from the daily
    tables; --since rounds down to its period's start, --until cuts the last period."""
    args = ["trend", "--by", by, "--tag", "talks", "--country", "AF", "--country", "PK"]
    args += ["--since", since] if since else []
    args += ["--until", until] if until else []
    rows = _json(runner, history_db, *args)
    history = history_db[2]
    end = dt.date.fromisoformat(until)

    def start_of(day: dt.date) -> dt.date:
        return day - dt.timedelta(days=day.weekday()) if by == "week" else day.replace(day=1)

    first = start_of(dt.date.fromisoformat(since)) if since else FIRST_DAY
    wanted = [a for a in history.articles if a.source != "bbc" and first <= a.day <= end]
    relevant = Counter(str(start_of(a.day)) for a in wanted if a.relevant and "talks" in a.tags)
    volume = Counter(str(start_of(a.day)) for a in wanted)
    assert [r["start"] for r in rows] == sorted(volume)
    assert {r["start"]: r["articles"] for r in rows} == {k: relevant[k] for k in volume}
    assert {r["start"]: r["volume"] for r in rows} == dict(volume)


def test_trend_baseline_reaches_back_before_since(runner, history_db) -> None:
    rows = _json(
        runner, history_db, "trend", "--by", "day", "--tag", "ceasefire", "--country", "AF",
        "--since", "2025-10-13", "--until", "2025-10-14",
    )  # fmt: skip
    assert [r["period"] for r in rows] == ["2025-10-13", "2025-10-14"]
    assert rows[0]["spike"] is True


def test_trend_of_several_tags_by_month_with_a_window(runner, history_db) -> None:
    rows = _json(
        runner, history_db, "trend", "--by", "month", "--tag", "talks", "--tag", "refugees",
        "--window", "2", "--language", "EN",
    )  # fmt: skip
    history = history_db[2]
    english = {"dawn", "tolo", "bbc"}
    assert [(r["period"], r["tag"]) for r in rows] == [
        ("2025-09", "refugees"), ("2025-09", "talks"), ("2025-10", "refugees"),
        ("2025-10", "talks"),
    ]  # fmt: skip
    for row in rows:
        expected = sum(
            1
            for a in history.relevant(row["tag"])
            if a.source in english and a.day.strftime("%Y-%m") == row["period"]
        )
        assert row["articles"] == expected
    talks = [r for r in rows if r["tag"] == "talks"]
    assert talks[1]["share_pct_mean"] == pytest.approx(
        (talks[0]["share_pct"] + talks[1]["share_pct"]) / 2, abs=0.01
    )


def test_share_of_voice_by_outlet_and_country(runner, history_db) -> None:
    history = history_db[2]
    rows = _json(runner, history_db, "sources", "--tag", "ceasefire")
    by_source = Counter(a.source for a in history.relevant("ceasefire"))
    total = sum(by_source.values())
    assert [r["source"] for r in rows] == [s for s, _ in by_source.most_common()]
    for row in rows:
        assert row["articles"] == by_source[row["source"]]
        assert row["share_of_voice_pct"] == pytest.approx(100 * row["articles"] / total, abs=0.01)
        assert row["share_of_volume_pct"] == pytest.approx(
            100 * row["articles"] / row["volume"], abs=0.01
        )
    countries = _json(runner, history_db, "sources", "--by", "country", "--since", "2025-10-13")
    assert {r["country"]: r["outlets"] for r in countries} == {"PK": 1, "AF": 2, "GB": 1}
    assert sum(r["share_of_voice_pct"] for r in countries) == pytest.approx(100, abs=0.05)


@pytest.mark.parametrize(
    ("since", "until"),
    [("2025-09-10", "2025-10-14"), ("2025-09-01", "2025-09-30"), (None, "2025-10-05"),
     ("2025-10-02", "2025-10-03")],
)  # fmt: skip
def test_share_of_voice_over_any_range(runner, history_db, since, until) -> None:
    """Whole months come from the monthly rollups, the days around them from the daily tables."""
    args = ["sources", "--tag", "talks", "--until", until] + (["--since", since] if since else [])
    rows = _json(runner, history_db, *args)
    first = dt.date.fromisoformat(since) if since else FIRST_DAY
    end = dt.date.fromisoformat(until)
    inside = [a for a in history_db[2].articles if first <= a.day <= end]
    relevant = Counter(a.source for a in inside if a.relevant and "talks" in a.tags)
    volume = Counter(a.source for a in inside)
    assert {r["source"]: r["articles"] for r in rows} == {k: relevant[k] for k in volume}
    assert {r["source"]: r["volume"] for r in rows} == dict(volume)


def test_an_outlet_without_coverage_appears_with_zeros(runner, history_db) -> None:
    rows = _json(runner, history_db, "sources", "--until", "2025-10-12", "--tag", "ceasefire")
    azadi = next(r for r in rows if r["source"] == "azadi")
    assert azadi["articles"] == 0 and azadi["volume"] > 0


def test_top_stories_count_outlets_and_countries(runner, history_db) -> None:
    rows = _json(
        runner, history_db, "stories", "--since", "2025-10-13", "--until", "2025-10-19",
        "--limit", "3",
    )  # fmt: skip
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert all(r["title"].startswith("Ceasefire holds") for r in rows)
    assert all((r["outlets"], r["articles"], r["countries"]) == (3, 6, 2) for r in rows)
    assert rows[0]["sources"] == "Dawn, Radio Azadi, TOLOnews"
    assert rows[0]["day"] == "2025-10-13"
    # Filtering by country counts only that country's articles.
    afghan = _json(
        runner, history_db, "stories", "--since", "2025-10-13", "--until", "2025-10-13",
        "--country", "AF", "--limit", "1",
    )  # fmt: skip
    assert (afghan[0]["outlets"], afghan[0]["articles"]) == (2, 3)


def test_tag_pairs_count_articles_with_both(runner, history_db) -> None:
    history = history_db[2]
    rows = _json(runner, history_db, "tags")
    pairs = Counter((x, y) for a in history.relevant() for x in a.tags for y in a.tags if x < y)
    assert {(r["tag"], r["other_tag"]): r["articles"] for r in rows} == dict(pairs)
    talks = _json(runner, history_db, "tags", "--tag", "refugees")
    assert [(r["tag"], r["other_tag"]) for r in talks] == [("refugees", "talks")]
    assert talks[0]["pct_of_tag"] == 100.0


def test_every_format_shows_the_same_columns(runner, history_db) -> None:
    args = ("trend", "--by", "week", "--tag", "talks")
    records = _json(runner, history_db, *args)
    columns = list(records[0])
    as_csv = _run(runner, history_db, *args, "--format", "csv").output
    parsed = list(csv.DictReader(io.StringIO(as_csv)))
    assert list(parsed[0]) == columns and len(parsed) == len(records)
    assert parsed[2]["articles"] == str(records[2]["articles"])
    markdown = _run(runner, history_db, *args, "--format", "markdown").output.splitlines()
    assert markdown[0] == "| " + " | ".join(columns) + " |"
    assert len(markdown) == len(records) + 2
    table = _run(runner, history_db, *args).output.splitlines()
    header = next(i for i, line in enumerate(table) if line.startswith("period"))
    assert table[header].split() == columns
    rule = table[header + 1]
    body = table[header + 2 : header + 2 + len(records)]
    # Numbers are right-aligned under their heading.
    end = table[header].index("articles") + len("articles")
    assert all(line[end - 1] != " " and line[end : end + 1] in (" ", "") for line in body)
    assert all(len(line) <= len(rule) for line in body)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["trend", "--tag", "tlaks"], ["unknown tag 'tlaks'", "talks", "ceasefire"]),
        (["sources", "--source", "nosuch"], ["unknown source 'nosuch'", "azadi", "dawn"]),
        (["stories", "--country", "IR"], ["unknown country 'IR'", "AF", "GB", "PK"]),
        (["tags", "--language", "de"], ["unknown language 'de'", "en", "fa"]),
        (
            ["trend", "--since", "2025-10-10", "--until", "2025-10-01"],
            ["after --until", "2025-09-01 to 2025-10-26"],
        ),
        (["trend", "--since", "2025-13-01"], ["not a date"]),
        (["trend", "--since", "2031-01-01"], ["collected nothing", "2025-09-01 to 2025-10-26"]),
        (["trend", "--until", "2025-10-01", "--since", "2025-10-05"], ["after --until"]),
    ],
)
def test_bad_input_exits_2_and_lists_what_is_available(runner, history_db, args, expected):
    result = _run(runner, history_db, *args)
    assert result.exit_code == 2, result.output
    for text in expected:
        assert text in result.output


def test_sources_by_name_and_names_with_quotes_are_only_data(runner, history_db) -> None:
    by_name = _json(runner, history_db, "sources", "--source", "radio azadi")
    assert [r["source"] for r in by_name] == ["azadi"]
    result = _run(runner, history_db, "trend", "--tag", "x' OR '1'='1")
    assert result.exit_code == 2 and "unknown tag" in result.output
    # Below the validation, a hostile value is a bound parameter that matches nothing.
    store = Store(history_db[0])
    try:
        hostile = Selection(tags=("* ' OR 1=1 --",), source_keys=("dawn' --",))
        assert queries.coverage_by_day(store, hostile, None, None).empty
        assert queries.volume_by_day(store, hostile, None, None).empty
    finally:
        store.close()


def test_a_range_outside_the_data_is_zeros(runner, history_db) -> None:
    rows = _json(runner, history_db, "trend", "--since", "2031-01-06", "--until", "2031-01-19")
    assert [r["period"] for r in rows] == ["2031-W02", "2031-W03"]
    assert all(r["articles"] == 0 and r["volume"] == 0 for r in rows)


def test_an_empty_database_gives_an_empty_report(runner, db_url, tmp_path) -> None:
    config = write_config(tmp_path, base_config(tmp_path))
    result = runner.invoke(main, ["--config", str(config), "--db", db_url, "report", "trend"])
    assert result.exit_code == 0, result.output
    assert "no articles collected yet" in result.output
    for report in ("sources", "stories", "tags"):
        out = runner.invoke(
            main, ["--config", str(config), "--db", db_url, "report", report, "--format", "json"]
        )
        assert out.exit_code == 0, out.output
        assert json.loads(out.output) == []
