"""Crawl workers on Dramatiq and Redis with PostgreSQL as the shared store (docs/scale-out.md).

Real parts throughout: ``borderwatch worker`` processes and the ``borderwatch`` CLI as
subprocesses, the machine's PostgreSQL (a schema per test) and Redis (a db number and key prefix
of the tests' own; a test that must lose the broker's queue starts its own redis-server), and a
news site on many loopback addresses that delays every answer and logs every request.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections import Counter, defaultdict
from pathlib import Path

import psutil
import redis
import yaml

from tests.support.multi_host_site import MultiHostSite, Request, serve_multi_host_site
from tests.support.scale_out import (
    SHARED_REDIS,
    Database,
    OwnRedis,
    Workers,
    borderwatch,
    crawl_until_settled,
    max_concurrency,
    postgres_schema,
    redis_namespace,
    run_cli,
    scale_config,
    wait_for,
)


def _by_host(requests: list[Request]) -> dict[str, list[Request]]:
    grouped: dict[str, list[Request]] = defaultdict(list)
    for request in requests:
        grouped[request.host].append(request)
    return grouped


def _assert_stored_once(database: Database, site: MultiHostSite) -> None:
    urls = database.article_urls()
    assert len(urls) == len(set(urls)), "an article was stored twice"
    assert set(urls) == site.expected_articles()


def _assert_one_crawl_per_host(site: MultiHostSite, per_domain: int) -> None:
    # Only meaningful with a download delay: with none, Scrapy 2.19 starts every queued request
    # of a host at once, whatever its concurrency limit.
    for host, requests in _by_host(site.requests()).items():
        intervals = [(r.start, r.end) for r in requests]
        assert max_concurrency(intervals) <= per_domain, f"{host} was crawled twice at once"


def test_killing_a_worker_group_mid_crawl_loses_and_doubles_nothing(tmp_path: Path) -> None:
    """Issue 17, test 1: kill -9 one of 4 workers' whole process group while it crawls."""
    with (
        serve_multi_host_site(hosts=8, articles=4, latency=0.4) as site,
        postgres_schema() as url,
        redis_namespace() as namespace,
    ):
        config = scale_config(
            tmp_path,
            site,
            url,
            SHARED_REDIS,
            namespace,
            concurrency_per_domain=1,
            download_delay=0.1,
        )
        database = Database(url)
        workers = Workers(config, tmp_path / "logs")
        started = time.time()
        try:
            processes = workers.start(4)
            assert run_cli(config, "collect").returncode == 0
            hostname = socket.gethostname()

            def crawling_worker() -> tuple[subprocess.Popen, str] | None:
                rows = database.rows(
                    "SELECT name, shard FROM crawl_workers WHERE shard IS NOT NULL"
                )
                for name, shard in rows:
                    for process in processes:
                        served = [r for r in site.requests() if r.host == shard]
                        if name == f"{hostname}:{process.pid}" and served:
                            return process, shard
                return None

            victim, killed_shard = wait_for(crawling_worker, 120, "a worker in mid-crawl")
            os.killpg(victim.pid, signal.SIGKILL)
            victim.wait(10)
            crawl_until_settled(config, database, len(site.hosts))
            _assert_stored_once(database, site)
            assert database.live_leases() == 0
            fetched = database.rows("SELECT next_fetch_at, last_status FROM feed_state")
            assert len(fetched) == len(site.hosts)
            for next_fetch_at, last_status in fetched:
                assert last_status == "ok"
                assert next_fetch_at.timestamp() > started
            # Only the killed shard may have been fetched again.
            for host, requests in _by_host(site.requests("story")).items():
                counts = Counter(r.path for r in requests)
                assert set(counts) == {f"/story/{n}.html" for n in range(site.articles)}
                if host != killed_shard:
                    assert max(counts.values()) == 1, f"{host} fetched again: {counts}"
            _assert_one_crawl_per_host(site, 1)
        finally:
            workers.stop()
            database.close()


def test_a_killed_worker_takes_its_crawl_child_with_it(tmp_path: Path) -> None:
    """Issue 17, test 2: kill only the worker process; its crawl child dies too, and the
    shard is never crawled by two processes at once."""
    with (
        serve_multi_host_site(hosts=2, articles=6, latency=0.5) as site,
        postgres_schema() as url,
        redis_namespace() as namespace,
    ):
        config = scale_config(
            tmp_path,
            site,
            url,
            SHARED_REDIS,
            namespace,
            concurrency_per_domain=1,
            download_delay=0.1,
        )
        database = Database(url)
        workers = Workers(config, tmp_path / "logs")
        try:
            (worker,) = workers.start(1)
            assert run_cli(config, "collect").returncode == 0

            def crawl_child() -> psutil.Process | None:
                if not site.requests("story"):
                    return None
                for child in psutil.Process(worker.pid).children(recursive=True):
                    if "borderwatch.crawl_child" in " ".join(child.cmdline()):
                        return child
                return None

            child = wait_for(crawl_child, 120, "the worker's crawl child in mid-crawl")
            os.kill(worker.pid, signal.SIGKILL)  # the worker alone, not its group
            worker.wait(10)

            def child_gone() -> bool:
                try:
                    return child.status() == psutil.STATUS_ZOMBIE
                except psutil.NoSuchProcess:
                    return True

            wait_for(child_gone, 15, "the orphaned crawl child to end")
            workers.start(1)
            crawl_until_settled(config, database, len(site.hosts))
            _assert_stored_once(database, site)
            _assert_one_crawl_per_host(site, 1)
        finally:
            workers.stop()
            database.close()


def _politeness(tmp_path: Path, count: int) -> dict[str, tuple[int, float]]:
    """Per host: the most requests in flight at once and the shortest gap between two."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    with (
        serve_multi_host_site(hosts=4, articles=4, latency=0.05) as site,
        postgres_schema() as url,
        redis_namespace() as namespace,
    ):
        config = scale_config(
            tmp_path, site, url, SHARED_REDIS, namespace,
            concurrency_per_domain=1, download_delay=0.4,
        )  # fmt: skip
        database = Database(url)
        workers = Workers(config, tmp_path / "logs")
        try:
            workers.start(count)
            crawl_until_settled(config, database, len(site.hosts))
            _assert_stored_once(database, site)
        finally:
            workers.stop()
            database.close()
        found = {}
        for host, requests in _by_host(site.requests()).items():
            starts = sorted(r.start for r in requests)
            gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
            found[host] = (max_concurrency([(r.start, r.end) for r in requests]), min(gaps))
        return found


def test_politeness_per_host_is_the_same_with_1_2_and_4_workers(tmp_path: Path) -> None:
    """Issue 17, test 3: from the server's log, each host's peak concurrency and shortest gap
    between requests do not grow with the number of workers (one shard, one process)."""
    runs = {count: _politeness(tmp_path / f"w{count}", count) for count in (1, 2, 4)}
    for count, hosts in runs.items():
        assert len(hosts) == 4
        for host, (peak, gap) in hosts.items():
            assert peak == 1, f"{count} workers: {host} saw {peak} requests at once"
            # download_delay 0.4 with Scrapy's jitter (0.5 to 1.5 times the delay).
            assert gap >= 0.18, f"{count} workers: {host} saw two requests {gap:.3f}s apart"
    peaks = {count: {peak for peak, _gap in hosts.values()} for count, hosts in runs.items()}
    assert peaks[1] == peaks[2] == peaks[4]


def test_an_unchanged_site_answers_304_and_no_article_is_fetched_again(tmp_path: Path) -> None:
    """Issue 17, test 4: the second run of an unchanged site."""
    with (
        serve_multi_host_site(hosts=3, articles=3, latency=0.05) as site,
        postgres_schema() as url,
        redis_namespace() as namespace,
    ):
        config = scale_config(tmp_path, site, url, SHARED_REDIS, namespace)
        database = Database(url)
        workers = Workers(config, tmp_path / "logs")
        try:
            workers.start(2)
            crawl_until_settled(config, database, len(site.hosts))
            _assert_stored_once(database, site)
            site.clear_log()
            with database.engine.begin() as conn:
                from sqlalchemy import text

                conn.execute(text("UPDATE feed_state SET next_fetch_at = NULL"))
            crawl_until_settled(config, database, len(site.hosts))
            feeds = site.requests("feed")
            assert len(feeds) == len(site.hosts)
            assert {r.status for r in feeds} == {304}
            assert site.requests("story") == []
            assert {r[0] for r in database.rows("SELECT last_status FROM feed_state")} == {
                "not_modified"
            }
            _assert_stored_once(database, site)
        finally:
            workers.stop()
            database.close()


def test_a_second_planner_is_refused_and_no_target_is_sent_twice(tmp_path: Path) -> None:
    """Issue 17, test 5 (leases long enough to outlast the test: an expired lease is due again,
    and sending it again is then right)."""
    with (
        serve_multi_host_site(hosts=5, articles=2, latency=0.0) as site,
        postgres_schema() as url,
        redis_namespace() as namespace,
    ):
        config = scale_config(tmp_path, site, url, SHARED_REDIS, namespace, lease=300)
        database = Database(url)
        daemon = subprocess.Popen(
            borderwatch(config, "run"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            # The daemon plans at start: every target leased once it has.
            wait_for(
                lambda: (
                    database.scalar("SELECT count(*) FROM feed_state WHERE lease_token IS NOT NULL")
                    == len(site.hosts)
                ),
                120,
                "the daemon's first planning round",
            )
            refused = run_cli(config, "collect")
            assert refused.returncode == 1
            assert "another planner is running on this database" in refused.stderr
            second = run_cli(config, "run")
            assert second.returncode == 1
            assert "already running" in second.stderr or "another planner" in second.stderr
        finally:
            daemon.terminate()
            daemon.wait(60)
        # Two more planning rounds, by hand, with the daemon gone.
        for _ in range(2):
            assert run_cli(config, "collect").returncode == 0
        client = redis.Redis.from_url(SHARED_REDIS)
        bodies = client.hvals(f"{namespace}:crawl.msgs")
        client.close()
        sent = [
            (target["source"], target["url"])
            for body in bodies
            for target in json.loads(body)["args"][0]["targets"]
        ]
        assert len(sent) == len(set(sent)) == len(site.hosts)
        status = run_cli(config, "status")
        assert status.returncode == 0
        assert f"queue: {len(site.hosts)} shards waiting" in status.stdout
        assert f"leases: {len(site.hosts)} live" in status.stdout
        database.close()


def test_killing_the_processor_mid_batch_doubles_nothing(tmp_path: Path) -> None:
    """Issue 17, test 6: a batch staged in PostgreSQL, its processor killed between chunks."""
    from pipeline.store import Store

    with postgres_schema() as url, redis_namespace() as namespace:
        with serve_multi_host_site(hosts=1, articles=1) as site:
            config = scale_config(tmp_path, site, url, SHARED_REDIS, namespace)
        # No source: collect plans nothing and only processes the staging.
        raw = yaml.safe_load(config.read_text(encoding="utf-8"))
        raw["sources"] = []
        config.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
        store = Store(url)
        items = [
            {
                "url": f"http://127.0.0.2/item/{n}",
                "title": f"Border crossing talks item {n} number {n * 7919 % 10007}",
                "summary": f"Officials discussed report {n} of the Torkham crossing ({n}).",
                "source": "wire",
                "published": "2025-10-27T08:00:00+00:00",
            }
            for n in range(6000)
        ]
        body = "".join(json.dumps(item) + "\n" for item in items).encode()
        store.publish_batch("20251027T080000000000-test-batch", store.identity(), len(items), body)
        store.close()
        database = Database(url)
        try:
            processor = subprocess.Popen(
                borderwatch(config, "collect"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            wait_for(
                lambda: (
                    database.scalar("SELECT count(*) FROM ingested_batches") >= 1
                    or processor.poll() is not None
                ),
                300,
                "the first chunk to be stored",
                every=0.05,
            )
            processor.kill()
            processor.wait(10)
            assert processor.returncode == -signal.SIGKILL, "the processor finished before the kill"
            assert database.scalar("SELECT count(*) FROM staged_batches") == 1
            assert 0 < database.scalar("SELECT count(*) FROM articles") < len(items)
            rerun = run_cli(config, "collect", timeout=600)
            assert rerun.returncode == 0, rerun.stderr[-2000:]
            urls = database.article_urls()
            assert len(urls) == len(set(urls)) == len(items)
            assert database.scalar("SELECT count(*) FROM staged_batches") == 0
            assert database.scalar("SELECT count(*) FROM ingested_batches") == 3
        finally:
            database.close()


def test_a_broker_that_loses_its_queue_loses_no_target(tmp_path: Path) -> None:
    """Issue 17, test 7: the test's own redis-server is killed and started empty after the
    shards were sent; the leases expire, the targets are planned again, nothing is lost."""
    broker = OwnRedis(tmp_path / "redis")
    broker.start()
    with (
        serve_multi_host_site(hosts=4, articles=3, latency=0.05) as site,
        postgres_schema() as url,
    ):
        config = scale_config(tmp_path, site, url, broker.url, "borderwatch", download_delay=0.1)
        database = Database(url)
        workers = Workers(config, tmp_path / "logs")
        try:
            assert run_cli(config, "collect").returncode == 0
            client = redis.Redis.from_url(broker.url)
            assert client.hlen("borderwatch:crawl.msgs") == len(site.hosts)
            client.close()
            broker.kill()
            broker.start()  # the same port, nothing in it
            assert database.live_leases() == len(site.hosts)
            workers.start(2)
            crawl_until_settled(config, database, len(site.hosts))
            _assert_stored_once(database, site)
            assert database.live_leases() == 0
            _assert_one_crawl_per_host(site, 2)
        finally:
            workers.stop()
            broker.kill()
            database.close()


def test_a_worker_without_a_queue_or_with_a_bad_broker_says_so_in_one_line(
    tmp_path: Path,
) -> None:
    """Bad input: one clear line and exit status 2."""
    from tests.support.config import base_config, write_config

    config = write_config(tmp_path, base_config(tmp_path))
    result = run_cli(config, "worker", timeout=60)
    assert result.returncode == 2
    assert "has no queue: section" in result.stderr
    assert "Traceback" not in result.stderr
    raw = base_config(tmp_path)
    raw["queue"] = {"broker": "http://127.0.0.1:6379/0"}
    config = write_config(tmp_path, raw)
    result = run_cli(config, "worker", timeout=60)
    assert result.returncode == 2
    assert "queue.broker" in result.stderr and "expected a Redis URL" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    # A broker that does not answer (nothing listens on the port; the password is masked).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    raw["queue"] = {"broker": f"redis://:hunter2@127.0.0.1:{port}/0"}
    # A due target, so that collect has something to send (it is never fetched).
    raw["sources"] = [
        {
            "key": "due",
            "name": "Due",
            "country": "PK",
            "language": "en",
            "feeds": [f"http://127.0.0.1:{port}/f.xml"],
        },
    ]
    config = write_config(tmp_path, raw)
    for command in ("worker", "collect"):
        result = run_cli(config, command, timeout=60)
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines() == [
            f"error: cannot reach the queue broker redis://:***@127.0.0.1:{port}/0: "
            f"Error 111 connecting to 127.0.0.1:{port}. Connection refused."
        ]
    # ... and the worker that could not start is not listed as one.
    status = run_cli(config, "status", timeout=60)
    assert "workers (0):" in status.stdout, status.stdout
    # ... and the target it could not send is not left leased.
    assert "leases: 0 live" in status.stdout, status.stdout
