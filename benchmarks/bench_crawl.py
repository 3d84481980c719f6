"""Crawl throughput: 1,000 news-sized article pages behind 10 feeds on a local server, end to end.

Serves a generated site on 127.0.0.1 (10 RSS feeds of 100 items; article pages of about 86 KB,
the size and shape of a news site's: a story of some 900 words inside inline scripts and
styles, JSON-LD, long menus, related links, comments and a footer), then:

1. the baseline: the same pages fetched one by one with urllib, extracted with
   crawler.extract and written as JSON Lines, in this process (the simplest collector);
2. ``collect``'s crawl: a real Scrapy crawl in a child process (fetch, extract in the
   ``collect.extract_workers`` pool, stage), timed, with the peak memory of the crawl child and
   its workers together (sum of PSS, sampled ten times a second), and where its CPU went: the
   crawl child's and the workers' time on a core, and the time the workers were ready to run
   but waited for a core (Linux schedstat); the staged items are then stored (timed separately);
3. a second crawl of the unchanged site, which must fetch no article page and parse no feed
   body (every feed answers 304 to its ETag): asserted and printed;
4. start-up: a crawl of one feed that answers 304, wall and CPU seconds, beside the CPU
   seconds of the bare interpreter and of the crawl child's imports.

Each side also prints how many cores other work kept busy meanwhile (a shared machine), and
each run measures the machine's own ceiling: how much faster as many processes as the crawl has
workers extract pages already fetched than one process does, with nothing else running. The
sequential baseline needs one core; the crawl can only beat it by as much as free cores allow.

Steps 1 and 2 repeat ``--repeat`` times, interleaved, so that both sides see the same load;
medians are printed. Both sides do the same extraction work (``extract_article`` on every
page). Nothing leaves 127.0.0.1.

    .venv/bin/python benchmarks/bench_crawl.py [--repeat 3] [--feeds 10] [--per-feed 100]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from borderwatch.collect import crawl_in_child, sync_configuration  # noqa: E402
from borderwatch.config import PACKAGED_CONFIG, config_from_mapping  # noqa: E402
from borderwatch.ingest import process_staging  # noqa: E402
from borderwatch.plan import plan_targets, processing_rules  # noqa: E402
from crawler.extract import extract_article  # noqa: E402
from crawler.extract_pool import workers_for  # noqa: E402
from crawler.staging import StagingArea  # noqa: E402
from pipeline.store import Store, utcnow  # noqa: E402
from tests.support.fault_server import serve_pages  # noqa: E402

SUBJECTS = [
    "the ceasefire monitoring mechanism",
    "the reopening of the Torkham crossing",
    "trade through Chaman and Spin Boldak",
    "the return of Afghan refugees",
    "security cooperation against armed groups",
    "the next round of talks in Istanbul",
]
SPEAKERS = ["a foreign ministry spokesman", "a senior Afghan official", "a trader in Landi Kotal",
            "a diplomat who attended the session", "a provincial minister in Peshawar",
            "an official of the mediating delegation"]  # fmt: skip
VERBS = ["said", "told reporters", "insisted", "acknowledged", "warned", "confirmed"]


def paragraph(feed: int, number: int, p: int) -> str:
    """One paragraph of a report; the words vary with the report and the paragraph."""
    subject = SUBJECTS[(feed + number + p) % len(SUBJECTS)]
    speaker = SPEAKERS[(number * 7 + p) % len(SPEAKERS)]
    verb = VERBS[(feed * 3 + p) % len(VERBS)]
    return (
        f"<p>{speaker.capitalize()} {verb} on day {(number + p) % 28 + 1} that {subject} had "
        f"been discussed at length in session {p + 1} of report {feed}-{number}, and that the "
        f"{(number * 13 + p) % 900 + 100} lorries waiting on the road needed an answer before "
        "the weather turned. Both delegations were asked to keep the truce while a written "
        f"text was prepared; the mediators expected to meet them again within {p % 5 + 2} "
        "days, and neither side commented on the draft that circulated in the capital.</p>"
    )


def article_page(feed: int, number: int) -> str:
    """An article page the size and shape of a news site's: about 100 KB of HTML around a
    story of some 900 words (inline scripts and styles, JSON-LD, long menus, related links,
    a comment thread and a footer)."""
    subject = SUBJECTS[(feed + number) % len(SUBJECTS)]
    title = f"Report {feed}-{number} on {subject}"
    day = number % 28 + 1
    story = "\n".join(paragraph(feed, number, p) for p in range(12))
    menu = "".join(f'<li><a href="/section/{n}/index.html">Section {n} news</a></li>'
                   for n in range(120))  # fmt: skip
    related = "".join(
        f'<li><a href="/n/{feed}/{(number + k) % 100}.html"><img src="/img/{k}.jpg" alt="">'
        f"<span>Related report {feed}-{(number + k) % 100} on "
        f"{SUBJECTS[k % len(SUBJECTS)]}</span></a></li>"
        for k in range(30)
    )
    comments = "".join(
        f'<div class="comment"><span class="who">Reader {k}</span><p>Comment {k} on report '
        f"{feed}-{number}: the border has been closed too often this year.</p></div>"
        for k in range(25)
    )
    script = "".join(
        f"window.cfg{k} = {{slot: 'ad-{k}', sizes: [[300, 250], [728, 90]], targeting: "
        f"{{section: 'pakistan', page: '{feed}-{number}', pos: {k}}}}};\n"
        for k in range(180)
    )
    style = "".join(f".c{k} {{ margin: {k % 9}px; padding: {k % 7}px; color: #{k:06x}; }}\n"
                    for k in range(220))  # fmt: skip
    footer = "".join(f'<a href="/about/{n}.html">About link {n}</a> ' for n in range(90))
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{title} | Bench Post</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta property="og:title" content="{title}"><meta property="og:type" content="article">
<meta name="author" content="Reporter {feed}">
<meta property="article:published_time" content="2025-10-{day:02d}T08:00:00+05:00">
<link rel="canonical" href="{{BASE}}/n/{feed}/{number}.html">
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
"headline": "{title}", "datePublished": "2025-10-{day:02d}T08:00:00+05:00",
"author": {{"@type": "Person", "name": "Reporter {feed}"}}}}</script>
<script>{script}</script><style>{style}</style>
</head><body><header><nav class="menu"><ul>{menu}</ul></nav>
<div class="ad" id="ad-top"></div></header>
<main><article><h1>{title}</h1>
<p class="byline">By Reporter {feed}, October {day}, 2025</p>{story}</article>
<aside><h2>Related</h2><ul>{related}</ul></aside>
<section class="comments"><h2>Comments</h2>{comments}</section></main>
<footer><p>Bench Post. All rights reserved.</p>{footer}<ul>{menu}</ul></footer>
<script>{script}</script></body></html>"""


def feed_document(feed: int, per_feed: int) -> str:
    items = "".join(
        f"<item><title>Report {feed}-{n}</title><link>{{BASE}}/n/{feed}/{n}.html</link>"
        f"<guid>{{BASE}}/n/{feed}/{n}.html</guid>"
        f"<pubDate>Sun, {n % 28 + 1:02d} Oct 2025 03:00:00 GMT</pubDate>"
        f"<description>Summary of report {feed}-{n}</description></item>"
        for n in range(per_feed)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Bench feed {feed}</title><link>{{BASE}}/</link><description>b</description>"
        f"{items}</channel></rss>"
    )


def build_site(feeds: int, per_feed: int) -> dict[str, tuple[str, str]]:
    pages: dict[str, tuple[str, str]] = {"/robots.txt": ("text/plain", "User-agent: *\n")}
    for feed in range(feeds):
        pages[f"/feeds/{feed}.xml"] = ("application/rss+xml", feed_document(feed, per_feed))
        for n in range(per_feed):
            pages[f"/n/{feed}/{n}.html"] = ("text/html; charset=utf-8", article_page(feed, n))
    return pages


def make_config(workdir: Path, base_url: str, feeds: int) -> Any:
    raw = yaml.safe_load(PACKAGED_CONFIG.read_text(encoding="utf-8"))
    raw["data_dir"] = str(workdir / "data")
    raw["collect"].update(
        {
            "allow_private_addresses": True,
            "download_delay": 0,
            # One local host stands for 20 outlets: let it take the concurrency 20 sites would.
            "concurrency_per_domain": 16,
        }
    )
    raw["sources"] = [
        {
            "key": f"bench{feed}",
            "name": f"Bench {feed}",
            "country": "PK",
            "language": "en",
            "feeds": [f"{base_url}/feeds/{feed}.xml"],
        }
        for feed in range(feeds)
    ]
    return config_from_mapping(raw, base_dir=workdir)


class TreeMemory:
    """Samples, ten times a second, the processes below this one (the crawl child, its
    extraction workers): the sum of their proportional set sizes (PSS: a page shared by n
    processes counts 1/n in each), whose peak it keeps, and, on Linux, each process's time on
    a core and time ready to run but waiting for one (/proc/PID/schedstat), as last seen."""

    def __init__(self) -> None:
        self.peak = 0
        self.peak_processes = 0
        # pid -> (depth below this process, seconds on a core, seconds waiting for a core).
        self.schedule: dict[int, tuple[int, float, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.1):
            total, count = 0, 0
            children = me.children()
            for process in me.children(recursive=True):
                try:
                    total += process.memory_full_info().pss
                    count += 1
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                depth = 1 if process in children else 2
                self.schedule[process.pid] = (depth, *schedule_of(process.pid))
            if total > self.peak:
                self.peak, self.peak_processes = total, count

    def split(self, depth: int) -> tuple[float, float]:
        """Seconds on a core and seconds waiting for one, summed over the processes at
        ``depth`` (1: the crawl child, 2: its workers)."""
        rows = [(run, wait) for d, run, wait in self.schedule.values() if d == depth]
        return sum(r for r, _w in rows), sum(w for _r, w in rows)


def schedule_of(pid: int) -> tuple[float, float]:
    """Seconds process ``pid`` (its threads together) has run on a core, and has spent ready
    to run but waiting for a core; zeros where the kernel does not say (not Linux)."""
    run = wait = 0.0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            ran, waited, _slices = (task / "schedstat").read_text().split()
            run, wait = run + int(ran) / 1e9, wait + int(waited) / 1e9
    except (OSError, ValueError):
        pass
    return run, wait


class MachineLoad:
    """CPU seconds the whole machine spent busy while in this block, less what this process
    and its children spent: the load of everything else, in cores (busy seconds per second)."""

    def __enter__(self) -> MachineLoad:
        self._busy = busy_seconds()
        self._ours = time.process_time() + cpu_of_children()
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc_info: object) -> None:
        busy = busy_seconds() - self._busy
        ours = time.process_time() + cpu_of_children() - self._ours
        self.others = max(0.0, busy - ours) / (time.perf_counter() - self._started)


def busy_seconds() -> float:
    """CPU seconds all cores of the machine have spent not idle."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def baseline(server: Any, urls: list[str], out: Path) -> float:
    """Fetch, extract and write every page sequentially; returns seconds."""
    started = time.perf_counter()
    with out.open("w", encoding="utf-8") as handle:
        for url in urls:
            with urllib.request.urlopen(url, timeout=30) as response:
                body = response.read()
            result = extract_article(body, url)
            handle.write(json.dumps({"url": url, **result.as_dict()}, ensure_ascii=False) + "\n")
    return time.perf_counter() - started


def crawl_once(config: Any, store: Store, url: str, limit: int | None = None) -> tuple[dict, float]:
    sync_configuration(config, store)
    plan = plan_targets(config, store.due_feeds(utcnow()))[:limit]
    started = time.perf_counter()
    report, timed_out, failed = crawl_in_child(config, url, plan, 3600)
    elapsed = time.perf_counter() - started
    if timed_out or failed:
        raise SystemExit(f"crawl did not complete: timed_out={timed_out} failed={failed}")
    return report, elapsed


def cpu_of_children() -> float:
    """CPU seconds (user + system) of the child processes waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_to_run(code: str) -> float:
    """CPU seconds of ``python -c code`` in a fresh interpreter (less load-sensitive than wall
    time on a shared machine)."""
    before = cpu_of_children()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path.cwd())
    return cpu_of_children() - before


def startup(config: Any, store: Store, url: str, repeat: int) -> dict[str, float]:
    """Medians: a whole crawl of one feed that answers 304 (the start-up a poll with nothing
    new pays), in wall and CPU seconds (CPU suffers less from a loaded machine), and the CPU
    seconds of the bare interpreter and of the interpreter importing the crawl child's
    modules."""
    crawls, cpu, bare, imports = [], [], [], []
    for _ in range(repeat):
        with store.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE feed_state SET next_fetch_at = NULL")
        before = cpu_of_children()
        report, seconds = crawl_once(config, store, url, limit=1)
        cpu.append(cpu_of_children() - before)
        assert report["fetched"] == 1 and report["parsed"] == 0, report
        crawls.append(seconds)
        bare.append(cpu_to_run("pass"))
        imports.append(cpu_to_run(CHILD_IMPORTS))
    return {
        "crawl": statistics.median(crawls),
        "cpu": statistics.median(cpu),
        "interpreter": statistics.median(bare),
        "imports": statistics.median(imports) - statistics.median(bare),
    }


def extract_pages(pages: list[tuple[str, bytes]]) -> float:
    """Seconds to extract ``pages`` (url, body) one after the other, in this process."""
    started = time.perf_counter()
    for url, body in pages:
        extract_article(body, url)
    return time.perf_counter() - started


def parallel_ceiling(pages: list[tuple[str, bytes]], processes: int) -> float:
    """How much faster ``processes`` processes extract than one, on this machine now: the same
    pages extracted by one worker of ``pool`` alone, then by ``processes`` workers at once (each
    all of them; nothing else: no fetching, no crawl). The most a crawl that spreads extraction
    over that many processes could gain over a sequential one, whatever its own overheads.
    The pool lives only for this measure, so that it is not counted as part of the crawl."""
    with multiprocessing.get_context("spawn").Pool(processes, initializer=warm_worker) as pool:
        # Every worker warm before timing starts.
        pool.map(time.sleep, [0.2] * processes, chunksize=1)
        alone = pool.apply(extract_pages, (pages,))
        started = time.perf_counter()
        pool.map(extract_pages, [pages] * processes, chunksize=1)
        together = time.perf_counter() - started
    return processes * alone / together


def warm_worker() -> None:
    """Import the extractor and run it once, so that timing starts warm."""
    extract_article(b"<html><body><p>warm</p></body></html>", "http://127.0.0.1/warm.html")


# What the crawl child imports before it crawls (borderwatch.crawl_child.main).
CHILD_IMPORTS = "import crawler.crawl, borderwatch.crawl_state, pipeline.database"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--feeds", type=int, default=10)
    parser.add_argument("--per-feed", type=int, default=100)
    args = parser.parse_args(argv)
    pages = args.feeds * args.per_feed
    site = build_site(args.feeds, args.per_feed)
    size = sum(len(body) for path, (_t, body) in site.items() if path.startswith("/n/")) / pages
    print(f"site: {args.feeds} feeds, {pages} article pages of {size / 1024:.0f} KB on average")

    base_rates, crawl_rates, store_rates, peaks = [], [], [], []
    base_cpu, crawl_cpu = [], []
    # Cores busy with other work (other processes on a shared machine) during each side, and
    # the crawl's processes' milliseconds per page on a core and waiting for one.
    base_others, crawl_others, child_ms, worker_ms, worker_wait_ms = [], [], [], [], []
    ceilings = []
    processes = workers_for("auto")
    sample = [
        (f"http://127.0.0.1/n/{n % args.feeds}/{n}.html", body.encode())
        for n, (path, (_t, body)) in enumerate(p for p in site.items() if p[0].startswith("/n/"))
    ][:100]
    second: dict[str, Any] = {}
    with serve_pages(site) as server, tempfile.TemporaryDirectory() as tmp:
        urls = [server.url(p) for p in site if p.startswith("/n/")]
        for run in range(args.repeat):
            cpu = time.process_time()
            with MachineLoad() as load:
                seconds = baseline(server, urls, Path(tmp) / f"baseline-{run}.jsonl")
            base_others.append(load.others)
            base_rates.append(pages / seconds)
            # This process: the fetches, the extraction and the server's answers.
            base_cpu.append((time.process_time() - cpu) / pages)

            workdir = Path(tmp) / f"run-{run}"
            workdir.mkdir()
            config = make_config(workdir, server.base_url, args.feeds)
            url = f"sqlite:///{workdir / 'bench.sqlite'}"
            store = Store(url)
            before = len(server.requests)
            cpu, children = time.process_time(), cpu_of_children()
            with MachineLoad() as load, TreeMemory() as memory:
                report, seconds = crawl_once(config, store, url)
            peaks.append(memory)
            crawl_others.append(load.others)
            child_ms.append(memory.split(1)[0] / pages * 1000)
            worker_ms.append(memory.split(2)[0] / pages * 1000)
            worker_wait_ms.append(memory.split(2)[1] / pages * 1000)
            # The crawl child and its workers, and this process (the server's answers; also the
            # memory sampler, a little).
            spent = cpu_of_children() - children + time.process_time() - cpu
            crawl_cpu.append(spent / pages)
            fetched = sum(1 for p in server.requests[before:] if p.startswith("/n/"))
            assert report["staged"] == pages, report
            assert fetched == pages, fetched
            crawl_rates.append(pages / seconds)
            started = time.perf_counter()
            result = process_staging(StagingArea(config.staging_path), store,
                                     processing_rules(config))  # fmt: skip
            store_rates.append(pages / (time.perf_counter() - started))
            assert result.new == pages, result.new

            if run == 0:
                with store.engine.begin() as conn:
                    conn.exec_driver_sql("UPDATE feed_state SET next_fetch_at = NULL")
                before = len(server.requests)
                report, seconds = crawl_once(config, store, url)
                requested = server.requests[before:]
                second = {
                    "seconds": seconds,
                    "article_requests": sum(1 for p in requested if p.startswith("/n/")),
                    "feed_requests": sum(1 for p in requested if p.startswith("/feeds/")),
                    "parsed": report["parsed"],
                    "articles": report["articles"],
                    "staged": report["staged"],
                }
                started_up = startup(config, store, url, args.repeat)
            store.close()
            ceilings.append(parallel_ceiling(sample, processes))
            print(
                f"  run {run + 1}: baseline {base_rates[-1]:.1f} pages/s, crawl "
                f"{crawl_rates[-1]:.1f} pages/s, store {store_rates[-1]:.0f} items/s; CPU per "
                f"page: baseline {base_cpu[-1] * 1000:.1f} ms, crawl {crawl_cpu[-1] * 1000:.1f} "
                f"ms; crawl peak {memory.peak / 2**20:.0f} MB in {memory.peak_processes} processes"
            )
            print(
                f"         crawl child {child_ms[-1]:.1f} ms/page on a core, workers "
                f"{worker_ms[-1]:.1f} ms/page on a core and {worker_wait_ms[-1]:.1f} ms/page "
                f"waiting for one; other work on the machine: {base_others[-1]:.2f} cores "
                f"during the baseline, {crawl_others[-1]:.2f} during the crawl; {processes} "
                f"processes extract {ceilings[-1]:.2f}x as fast as one"
            )

    base, crawl = statistics.median(base_rates), statistics.median(crawl_rates)
    workers = getattr(config.collect, "extract_workers", "(none: extraction in the crawl process)")
    peak = max(peaks, key=lambda m: m.peak)
    baseline_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print(f"{'':44}{'median':>10}")
    print(f"{'baseline: urllib + extract, sequential':44}{base:>6.1f} pages/s")
    print(f"{'crawl: fetch + extract + stage (Scrapy)':44}{crawl:>6.1f} pages/s"
          f"   ({crawl / base:.2f}x the baseline; extract_workers: {workers})")  # fmt: skip
    print(
        f"CPU per page: baseline {statistics.median(base_cpu) * 1000:.1f} ms, crawl "
        f"{statistics.median(crawl_cpu) * 1000:.1f} ms (both fetch and extract every page)"
    )
    print(
        f"of the crawl's CPU per page: crawl child {statistics.median(child_ms):.1f} ms "
        f"(start-up included), workers {statistics.median(worker_ms):.1f} ms, and the workers "
        f"waited {statistics.median(worker_wait_ms):.1f} ms per page for a free core"
    )
    print(
        f"other work on the machine (cores busy outside this benchmark): "
        f"{statistics.median(base_others):.2f} during the baseline, "
        f"{statistics.median(crawl_others):.2f} during the crawl; the baseline uses one core, "
        f"the crawl wants {os.cpu_count()}"
    )
    print(
        f"the machine's ceiling: {processes} processes extracting pages already fetched, "
        f"nothing else, go {statistics.median(ceilings):.2f}x as fast as one (median); the "
        f"crawl reached {crawl / base / statistics.median(ceilings):.0%} of that"
    )
    print(f"{'store: stages + database':44}{statistics.median(store_rates):>6.0f} items/s")
    print(
        f"peak memory of the crawl: {peak.peak / 2**20:.0f} MB (sum of PSS of the crawl child "
        f"and its workers, {peak.peak_processes} processes, highest of the runs)"
    )
    print(f"peak memory of this process (server, baseline, store): {baseline_mb:.0f} MB (max RSS)")
    print(
        f"start-up: a crawl of one feed that answers 304 takes {started_up['crawl']:.2f} s "
        f"({started_up['cpu']:.2f} s of CPU); of that CPU, the interpreter "
        f"{started_up['interpreter']:.2f} s and the crawl child's imports "
        f"{started_up['imports']:.2f} s"
    )
    print(
        f"second, unchanged run: {second['seconds']:.1f} s, {second['feed_requests']} feed "
        f"requests, {second['article_requests']} article page requests, "
        f"{second['parsed']} feed bodies parsed, {second['staged']} items staged"
    )
    assert second["article_requests"] == 0 and second["articles"] == 0, second
    assert second["parsed"] == 0 and second["staged"] == 0, second
    print("second run fetched no article page and parsed no feed body: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
