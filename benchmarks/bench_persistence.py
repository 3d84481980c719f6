"""What the persistence layer costs: the revision check on open, and coverage upkeep.

1. Opening an existing database: ``Store(url)`` (which checks the schema revision) against the
   foundation's ``metadata.create_all`` on the same database (its baseline: it inspected every
   table on each open).
2. Coverage: recomputing the days one 20-item chunk touches (what every stored chunk pays)
   against a full ``rebuild_coverage`` of the whole database.

Runs on a temporary SQLite file, and on PostgreSQL too when BORDERWATCH_TEST_DATABASE_URL
names a database (a fresh schema in it is used and dropped). Prints medians.

    .venv/bin/python benchmarks/bench_persistence.py [--articles 5000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from borderwatch.collect import sync_configuration  # noqa: E402
from borderwatch.plan import processing_rules  # noqa: E402
from pipeline import coverage  # noqa: E402
from pipeline.engine import make_engine  # noqa: E402
from pipeline.process import process_items  # noqa: E402
from pipeline.schema import articles, metadata  # noqa: E402
from pipeline.store import Store  # noqa: E402
from tests.support.synthetic import make_items, persistence_config  # noqa: E402


def median_ms(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def bench(url: str, label: str, count: int, repeat: int, workdir: Path) -> None:
    config = persistence_config(workdir)
    store = Store(url)
    sync_configuration(config, store)
    rules = processing_rules(config)
    items = make_items(1, count, "bench", days=60)
    for start in range(0, len(items), 500):
        process_items(items[start : start + 500], rules, store)
    with store.engine.connect() as conn:
        chunk_days = {row[0] for row in conn.execute(select(articles.c.day).limit(20))}
        days = conn.execute(select(func.count(articles.c.day.distinct()))).scalar_one()

    def open_store() -> None:
        Store(url).close()

    def create_all() -> None:
        engine = make_engine(url)
        metadata.create_all(engine)
        engine.dispose()

    def incremental() -> None:
        with store.transaction() as conn:
            coverage.recompute_days(conn, chunk_days)

    print(f"{label}: {store.count('articles')} articles over {days} days")
    print(
        f"  open an existing database: Store() {median_ms(open_store, repeat):7.1f} ms   "
        f"baseline create_all {median_ms(create_all, repeat):7.1f} ms"
    )
    print(
        f"  coverage: the {len(chunk_days)} days of one chunk "
        f"{median_ms(incremental, repeat):7.1f} ms   "
        f"full rebuild {median_ms(store.rebuild_coverage, repeat):7.1f} ms"
    )
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        bench(
            f"sqlite:///{workdir / 'bench.sqlite'}", "SQLite", args.articles, args.repeat, workdir
        )
        server = os.environ.get("BORDERWATCH_TEST_DATABASE_URL")
        if server:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            admin = create_engine(server)
            with admin.begin() as conn:
                conn.execute(text(f"CREATE SCHEMA {schema}"))
            try:
                separator = "&" if "?" in server else "?"
                url = f"{server}{separator}options=-csearch_path%3D{schema}"
                bench(url, "PostgreSQL", args.articles, args.repeat, workdir)
            finally:
                with admin.begin() as conn:
                    conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
                admin.dispose()


if __name__ == "__main__":
    main()
