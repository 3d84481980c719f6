"""Scale-out: crawl throughput with 1, 2 and 4 ``borderwatch worker`` processes.

Serves a news site on many loopback addresses (one host per shard; every answer delayed by
``--latency`` seconds, every request logged), then for each worker count, on a fresh PostgreSQL
schema and the benchmark's own redis-server:

- starts the workers, plans every target (``borderwatch collect`` with ``queue:``) and times
  until every target is crawled and every item stored: pages/s (requests served) and items/s
  (articles stored), and the speed-up over 1 worker;
- duplicate fetches (requests logged minus distinct URLs) and lost items (expected articles
  not stored: must be 0);
- peak memory per worker (the worker and its crawl child, sampled), and Redis's peak memory.

Also in the same run: the sequential baseline (every page fetched one by one with urllib and
extracted with crawler.extract, in this process) and the processor's items/s (a staged batch in
PostgreSQL stored by ``process_staging``). ``--repeat`` runs each measurement that many times;
medians are printed. Nothing leaves 127.0.0.0/8.

    .venv/bin/python benchmarks/bench_scale_out.py [--repeat 1] [--hosts 8] [--articles 40]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psutil
import redis

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from borderwatch.database_staging import DatabaseStaging  # noqa: E402
from borderwatch.ingest import process_staging  # noqa: E402
from borderwatch.plan import processing_rules  # noqa: E402
from crawler.extract import extract_article  # noqa: E402
from pipeline.store import Store  # noqa: E402
from tests.support.config import base_config, make_config  # noqa: E402
from tests.support.multi_host_site import MultiHostSite, serve_multi_host_site  # noqa: E402
from tests.support.scale_out import (  # noqa: E402
    Database,
    OwnRedis,
    Workers,
    postgres_schema,
    run_cli,
    scale_config,
    wait_for,
)

WORKER_COUNTS = (1, 2, 4)


def sequential_baseline(site: MultiHostSite, out: Path) -> tuple[float, int]:
    """Seconds to fetch every feed and article one by one, extract and write them; pages."""
    start = time.perf_counter()
    pages = 0
    with out.open("w", encoding="utf-8") as handle:
        for host in site.hosts:
            with urllib.request.urlopen(site.feed_url(host), timeout=30) as response:
                response.read()
            pages += 1
            for number in range(site.articles):
                url = site.article_url(host, number)
                with urllib.request.urlopen(url, timeout=30) as response:
                    body = response.read()
                pages += 1
                extraction = extract_article(body, url)
                handle.write(json.dumps({"url": url, "text": extraction.text}) + "\n")
    return time.perf_counter() - start, pages


class MemoryWatch:
    """Samples the resident memory of each worker with its children until stopped."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.peaks = dict.fromkeys(pids, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            for pid in self.pids:
                try:
                    process = psutil.Process(pid)
                    tree = [process, *process.children(recursive=True)]
                    rss = sum(p.memory_info().rss for p in tree if p.is_running())
                except psutil.Error:
                    continue
                self.peaks[pid] = max(self.peaks[pid], rss)


def crawl_with_workers(site: MultiHostSite, count: int, work: Path, broker: OwnRedis) -> dict:
    """One run of the whole site with ``count`` workers."""
    site.clear_log()
    work.mkdir(parents=True, exist_ok=True)
    redis.Redis.from_url(broker.url).flushdb()  # the benchmark's own server, never 6379
    with postgres_schema() as url:
        config = scale_config(work, site, url, broker.url, "bench", lease=600)
        database = Database(url)
        workers = Workers(config, work / "logs")
        try:
            processes = workers.start(count)
            wait_for(
                lambda: database.scalar("SELECT count(*) FROM crawl_workers") == count,
                120,
                "the workers to start",
            )
            with MemoryWatch([p.pid for p in processes]) as memory:
                start = time.perf_counter()
                assert run_cli(config, "collect").returncode == 0  # one planning round
                wait_for(lambda: _crawled(database, len(site.hosts)), 900, "the crawl", 0.2)
                if not database.settled(len(site.hosts)):
                    # The last batch, published while another worker held the processing lock.
                    assert run_cli(config, "collect").returncode == 0
                seconds = time.perf_counter() - start
            assert database.settled(len(site.hosts))
            stored = set(database.article_urls())
        finally:
            workers.stop()
            database.close()
    logged = site.requests()
    info = redis.Redis.from_url(broker.url).info("memory")
    return {
        "seconds": seconds,
        "pages": len(logged),
        "items": len(stored),
        "duplicates": len(logged) - len({(r.host, r.path) for r in logged}),
        "lost": len(site.expected_articles() - stored),
        "peak_worker_mb": max(memory.peaks.values()) / 2**20,
        "redis_peak_mb": int(info["used_memory_peak"]) / 2**20,
    }


def _crawled(database: Database, targets: int) -> bool:
    """Every target crawled and unleased; nothing staged, or nothing more coming."""
    if database.settled(targets):
        return True
    done = database.scalar(
        "SELECT count(*) FROM feed_state WHERE lease_token IS NULL "
        "AND next_fetch_at > (now() AT TIME ZONE 'UTC')"
    )
    busy = database.scalar("SELECT count(*) FROM crawl_workers WHERE shard IS NOT NULL")
    return done == targets and busy == 0


def processor_rate(items: int, work: Path) -> float:
    """Items/s of process_staging over one batch staged in PostgreSQL."""
    work.mkdir(parents=True, exist_ok=True)
    config = make_config(work, base_config(work))
    with postgres_schema() as url:
        store = Store(url)
        batch = [
            {
                "url": f"http://127.0.0.2/processed/{n}",
                "title": f"Border crossing talks item {n} number {n * 7919 % 10007}",
                "summary": f"Officials discussed the Torkham crossing, report {n}.",
                "source": "wire",
                "published": "2025-10-27T08:00:00+00:00",
            }
            for n in range(items)
        ]
        body = "".join(json.dumps(item) + "\n" for item in batch).encode()
        store.publish_batch("20251027T080000000000-bench", store.identity(), items, body)
        staging = DatabaseStaging(store, work / "staging")
        start = time.perf_counter()
        process_staging(staging, store, processing_rules(config))
        seconds = time.perf_counter() - start
        store.close()
    return items / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--articles", type=int, default=40, help="articles per host")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--processor-items", type=int, default=4000)
    args = parser.parse_args()
    print(f"machine: {psutil.cpu_count()} cores, load {psutil.getloadavg()[0]:.1f} (shared)")
    with (
        tempfile.TemporaryDirectory() as temp,
        serve_multi_host_site(
            hosts=args.hosts, articles=args.articles, latency=args.latency
        ) as site,
    ):
        work = Path(temp)
        broker = OwnRedis(work / "redis")
        broker.start()
        try:
            baseline, runs, rates = [], {n: [] for n in WORKER_COUNTS}, []
            for round_number in range(args.repeat):
                seconds, pages = sequential_baseline(site, work / "baseline.jsonl")
                baseline.append(pages / seconds)
                for count in WORKER_COUNTS:
                    runs[count].append(
                        crawl_with_workers(site, count, work / f"r{round_number}-w{count}", broker)
                    )
                rates.append(processor_rate(args.processor_items, work / f"p{round_number}"))
        finally:
            broker.kill()
    expected = args.hosts * (args.articles + 1)
    print(f"site: {args.hosts} hosts x {args.articles} articles, {args.latency}s latency")
    print(f"sequential urllib baseline: {statistics.median(baseline):.1f} pages/s")
    one = statistics.median(r["pages"] / r["seconds"] for r in runs[1])
    header = "workers  pages/s  items/s  speed-up  vs baseline  duplicates  lost  peak MB/worker  Redis MB"  # noqa: E501
    print(header)
    for count in WORKER_COUNTS:
        rs = runs[count]
        pages = statistics.median(r["pages"] / r["seconds"] for r in rs)
        items = statistics.median(r["items"] / r["seconds"] for r in rs)
        print(
            f"{count:>7}  {pages:7.1f}  {items:7.1f}  {pages / one:7.2f}x  "
            f"{pages / statistics.median(baseline):10.2f}x  "
            f"{max(r['duplicates'] for r in rs):10}  {max(r['lost'] for r in rs):4}  "
            f"{statistics.median(r['peak_worker_mb'] for r in rs):14.0f}  "
            f"{statistics.median(r['redis_peak_mb'] for r in rs):8.1f}"
        )
        assert all(r["lost"] == 0 for r in rs), "items were lost"
        assert all(r["pages"] >= expected for r in rs)
    print(f"processor: {statistics.median(rates):.0f} items/s (one batch staged in PostgreSQL)")


if __name__ == "__main__":
    main()
