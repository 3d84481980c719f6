"""Report query speed on three years of coverage: 300 outlets, 10 tags, SQLite and PostgreSQL.

Generates a coverage history (sources, daily_coverage and daily_volume rows written directly,
about 1.5 million coverage rows; the weekly and monthly rollups are then summed by the same
function pipeline/coverage.py calls) and times, in-process:

- ``report trend --by week --tag ceasefire --country PK`` (60 of the 300 outlets), and
- ``report sources`` (share of voice by outlet, the whole topic),

over all three years and over the last 90 days (``--since``), as the report function on an open
store (filters resolved, queries run, table rendered) and, for three years, as the whole CLI
command run through click in the same process (configuration loaded, store opened, output
written). The baseline reads the daily tables only, through the foundation's indexes: no
weekly/monthly rollups (pipeline/rollups.py) and no covering indexes (pipeline/views.py).
Medians of ``--repeat`` runs after two warm-ups; target ≤ 50 ms each.

PostgreSQL: 127.0.0.1:5432, user postgres; the benchmark creates the database
``borderwatch_bench_reports`` and drops it at the end (``--no-postgresql`` skips it).

    .venv/bin/python benchmarks/bench_reports.py [--repeat 15] [--no-postgresql]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from click.testing import CliRunner  # noqa: E402 - after the path set-up above
from sqlalchemy import create_engine, text  # noqa: E402

from borderwatch.cli import main  # noqa: E402
from borderwatch.config import PACKAGED_CONFIG  # noqa: E402
from borderwatch.reports import queries  # noqa: E402
from borderwatch.reports.output import render  # noqa: E402
from borderwatch.reports.selection import Selection, resolve  # noqa: E402
from borderwatch.reports.sources import share_of_voice  # noqa: E402
from borderwatch.reports.trend import trend  # noqa: E402
from pipeline import rollups  # noqa: E402
from pipeline.store import Store  # noqa: E402

TARGET_MS = 50.0
YEARS_DAYS = 3 * 365
SOURCES = 300
TAGS = ["talks", "ceasefire", "security", "border", "trade", "refugees", "ttp", "mediators",
        "economy", "diplomacy"]  # fmt: skip
COUNTRIES = ["PK"] * 60 + ["AF"] * 40 + ["IN"] * 30 + ["IR"] * 20 + ["GB"] * 30 + ["US"] * 40 + [
    "QA", "TR", "SA", "AE", "CN", "RU"
] * 10 + [None] * 20  # fmt: skip
INDEXES = {
    "ix_daily_coverage_tag_source_day": "daily_coverage (tag, source, day, articles, stories)",
    "ix_daily_volume_source_day_articles": "daily_volume (source, day, articles)",
}
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
PG_DATABASE = "borderwatch_bench_reports"


def history(seed: int = 7) -> tuple[list[dict], list[tuple], list[tuple]]:
    """Sources, daily_volume rows and daily_coverage rows (only rows with articles)."""
    rng = np.random.default_rng(seed)
    first = dt.date(2023, 1, 1)
    days = [first + dt.timedelta(days=i) for i in range(YEARS_DAYS)]
    sources = [
        {"key": f"outlet-{i:03d}", "name": f"Outlet {i}", "country": COUNTRIES[i],
         "language": ["en", "ur", "fa", "ps"][i % 4], "domain": f"outlet{i}.example"}
        for i in range(SOURCES)
    ]  # fmt: skip
    volume, coverage = [], []
    collected = rng.poisson(40, size=(YEARS_DAYS, SOURCES)) + 1
    relevant = np.minimum(rng.poisson(2, size=(YEARS_DAYS, SOURCES)), collected)
    tagged = rng.poisson(0.5, size=(YEARS_DAYS, SOURCES, len(TAGS)))
    for d, day in enumerate(days):
        iso = day.isoformat()
        for s, source in enumerate(sources):
            key = source["key"]
            volume.append((iso, key, int(collected[d, s])))
            n = int(relevant[d, s])
            if n:
                coverage.append((iso, key, "*", n, max(1, n - 1)))
            for t, tag in enumerate(TAGS):
                m = min(int(tagged[d, s, t]), n)
                if m:
                    coverage.append((iso, key, tag, m, m))
    return sources, volume, coverage


def load_sqlite(url: str, sources: list[dict], volume: list[tuple], coverage: list[tuple]) -> None:
    import sqlite3

    Store(url).sync_sources(sources)
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        db.execute("PRAGMA synchronous=OFF")  # a throw-away database: no fsync per page
        db.executemany("INSERT INTO daily_volume VALUES (?, ?, ?)", volume)
        db.executemany("INSERT INTO daily_coverage VALUES (?, ?, ?, ?, ?)", coverage)
    build_rollups(url, volume)
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        db.execute("ANALYZE")


def load_postgresql(url: str, sources: list[dict], volume: list[tuple], coverage: list[tuple]):
    store = Store(url)
    store.sync_sources(sources)
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy("COPY daily_volume (day, source, articles) FROM STDIN") as copy:
            for row in volume:
                copy.write_row(row)
        with cursor.copy(
            "COPY daily_coverage (day, source, tag, articles, stories) FROM STDIN"
        ) as copy:
            for row in coverage:
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()
    build_rollups(url, volume)
    # VACUUM sets the visibility map, without which PostgreSQL cannot scan indexes only.
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in ("daily_volume", "daily_coverage", *ROLLUP_NAMES):
            conn.execute(text(f"VACUUM ANALYZE {name}"))
    store.close()


ROLLUP_NAMES = [t.name for pair in rollups.ROLLUPS.values() for t in pair]


def build_rollups(url: str, volume: list[tuple]) -> None:
    """Sum the weeks and months the way pipeline/coverage.py does after storing articles."""
    store = Store(url)
    with store.transaction() as conn:
        rollups.refresh(conn, {dt.date.fromisoformat(day) for day, _, _ in volume})
    store.close()


def daily_tables_only() -> None:
    """The baseline: every report reads the daily tables, as if there were no rollups."""
    queries.split_range = lambda grain, since, until: ([(since, until)], None)


def median_ms(action: Callable[[], object], repeat: int) -> float:
    for _ in range(2):
        action()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(url: str, config: Path, repeat: int) -> dict[str, float]:
    store = Store(url)
    runner = CliRunner()
    last = dt.date(2023, 1, 1) + dt.timedelta(days=YEARS_DAYS - 1)

    def trend_report(since: dt.date | None = None) -> Callable[[], str]:
        def run() -> str:
            wanted = Selection(tags=("ceasefire",), countries=("PK",), since=since)
            return render(trend(store, resolve(store, wanted, TAGS), by="week").frame)

        return run

    def sources_report(since: dt.date | None = None) -> Callable[[], str]:
        def run() -> str:
            chosen = resolve(store, Selection(since=since), TAGS)
            return render(share_of_voice(store, chosen).frame)

        return run

    def cli(*args: str) -> Callable[[], None]:
        def run() -> None:
            result = runner.invoke(main, ["--config", str(config), "--db", url, "report", *args])
            assert result.exit_code == 0, result.output

        return run

    quarter = last - dt.timedelta(days=89)
    figures = {
        "trend, 3 years": median_ms(trend_report(), repeat),
        "trend, 3 years, CLI": median_ms(
            cli("trend", "--by", "week", "--tag", "ceasefire", "--country", "PK"), repeat
        ),
        "trend, last 90 days": median_ms(trend_report(quarter), repeat),
        "sources, 3 years": median_ms(sources_report(), repeat),
        "sources, 3 years, CLI": median_ms(cli("sources"), repeat),
        "sources, last 90 days": median_ms(sources_report(quarter), repeat),
    }
    store.close()
    return figures


def drop_indexes(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for name in INDEXES:
            conn.execute(text(f"DROP INDEX {name}"))
        if engine.dialect.name == "sqlite":
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE daily_coverage"))
            conn.execute(text("ANALYZE daily_volume"))
    engine.dispose()


def report(backend: str, with_indexes: dict[str, float], without: dict[str, float]) -> None:
    print(f"\n{backend}: medians in ms (target ≤ {TARGET_MS:.0f} ms)")
    print(f"  {'':28}{'now':>10}{'baseline':>10}")
    for name, value in with_indexes.items():
        verdict = "ok" if value <= TARGET_MS else "OVER TARGET"
        print(f"  {name:28}{value:10.1f}{without[name]:10.1f}   {verdict}")


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-postgresql", action="store_true")
    args = parser.parse_args()

    start = time.perf_counter()
    sources, volume, coverage = history()
    print(
        f"history: {YEARS_DAYS} days × {SOURCES} outlets × {len(TAGS)} tags: "
        f"{len(volume):,} daily_volume rows, {len(coverage):,} daily_coverage rows "
        f"(generated in {time.perf_counter() - start:.1f} s)"
    )
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "config.yaml"
        raw = yaml.safe_load(PACKAGED_CONFIG.read_text(encoding="utf-8"))
        raw.update({"data_dir": folder, "sources": []})
        config.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")

        url = f"sqlite:///{folder}/bench.sqlite"
        start = time.perf_counter()
        load_sqlite(url, sources, volume, coverage)
        print(f"SQLite loaded in {time.perf_counter() - start:.1f} s")
        indexed = measure(url, config, args.repeat)
        drop_indexes(url)
        split_range = queries.split_range
        daily_tables_only()
        report("SQLite", indexed, measure(url, config, args.repeat))
        queries.split_range = split_range

        if args.no_postgresql:
            return
        admin = create_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {PG_DATABASE}"))
        try:
            url = f"{PG_SERVER}/{PG_DATABASE}"
            start = time.perf_counter()
            load_postgresql(url, sources, volume, coverage)
            print(f"\nPostgreSQL loaded in {time.perf_counter() - start:.1f} s")
            indexed = measure(url, config, args.repeat)
            drop_indexes(url)
            daily_tables_only()
            report("PostgreSQL", indexed, measure(url, config, args.repeat))
        finally:
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
            admin.dispose()


if __name__ == "__main__":
    main_bench()
