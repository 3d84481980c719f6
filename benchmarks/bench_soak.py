"""Soak the daemon: many collect cycles against a local site whose feeds change, fail and recover.

Runs ``borderwatch run`` as a real process with a schedule compressed to seconds, against a site
on 127.0.0.1 that publishes a new article every few seconds and has feeds that fail for a while
(HTTP 500, a broken document, 503 with Retry-After) and then recover. At the end it prints the
daemon's resident memory after its first cycle and at the end (target: growth under 10%), its
open file descriptors other than its database connections (target: no more than after the first
cycle), its database connections (target: no more than the connection pool keeps, however many
jobs ran at once), its child processes (target: none), and the articles stored versus the
articles the site published (target: equal).

    python benchmarks/bench_soak.py --cycles 200
    python benchmarks/bench_soak.py --cycles 10 --check   # exit 1 when a target is missed
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psutil
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.http import etag_of, send_document  # noqa: E402

OUTLETS = ("alpha", "bravo", "charlie", "delta")
VOCABULARY = (
    "delegation talks border crossing trade ceasefire refugees trucks market officials province "
    "statement meeting round mediators security traders returnees customs transit monitoring "
    "village road convoy bridge harvest council elders school clinic weather river"
)
WORDS = VOCABULARY.split()

# Failure windows as fractions of the run: (outlet, start, end, kind).
FAILURES = (
    ("charlie", 0.15, 0.30, "http500"),
    ("delta", 0.40, 0.50, "garbage"),
    ("alpha", 0.60, 0.68, "retry"),
    ("bravo", 0.75, 0.80, "http500"),
)


@dataclass
class Article:
    outlet: str
    number: int
    published: dt.datetime
    title: str
    paragraphs: list[str]

    @property
    def path(self) -> str:
        return f"/{self.outlet}/news/{self.number}.html"


@dataclass
class SoakSite:
    """Articles per outlet, growing over time; ``progress`` (0..1) decides which feeds fail."""

    seed: int = 7
    articles: dict[str, list[Article]] = field(default_factory=dict)
    progress: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: failure kind -> responses served that way
    failures_served: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)
        self.articles = {o: [] for o in OUTLETS}
        for outlet in OUTLETS:
            for _ in range(3):
                self.publish(outlet)

    def publish(self, outlet: str | None = None) -> Article:
        with self.lock:
            outlet = outlet or self.random.choice(OUTLETS)
            number = len(self.articles[outlet]) + 1
            words = [self.random.choice(WORDS) for _ in range(6)]
            title = f"{outlet.title()} report {number}: {' '.join(words)}"
            paragraphs = [
                " ".join(self.random.choice(WORDS) for _ in range(40)).capitalize() + "."
                for _ in range(4)
            ]
            article = Article(outlet, number, _now(), title, paragraphs)
            self.articles[outlet].append(article)
            return article

    def failure(self, outlet: str) -> str | None:
        for name, start, end, kind in FAILURES:
            if name == outlet and start <= self.progress < end:
                with self.lock:
                    self.failures_served[kind] = self.failures_served.get(kind, 0) + 1
                return kind
        return None

    def published_paths(self) -> set[str]:
        with self.lock:
            return {a.path for items in self.articles.values() for a in items}

    def feed(self, outlet: str, base: str) -> bytes:
        with self.lock:
            items = list(self.articles[outlet])
        entries = "".join(
            f"<item><title>{a.title}</title><link>{base}{a.path}</link>"
            f"<guid>{base}{a.path}</guid>"
            f"<pubDate>{email.utils.format_datetime(a.published)}</pubDate>"
            f"<description>{a.paragraphs[0][:120]}</description></item>"
            for a in reversed(items)
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{outlet}</title><link>{base}/{outlet}/</link><description>soak</description>"
            f"{entries}</channel></rss>"
        ).encode()

    def page(self, path: str) -> bytes | None:
        with self.lock:
            found = [a for items in self.articles.values() for a in items if a.path == path]
        if not found:
            return None
        a = found[0]
        body = "".join(f"<p>{p}</p>" for p in a.paragraphs)
        return (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{a.title}</title>'
            f'<meta property="article:published_time" content="{a.published.isoformat()}">'
            f"</head><body><header><nav>Home | World | Region</nav></header><main><article>"
            f"<h1>{a.title}</h1><p class='byline'>By Soak Desk</p>{body}</article></main>"
            f"<footer>Soak News</footer></body></html>"
        ).encode()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def serve(site: SoakSite) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:
            pass

        def do_GET(self) -> None:
            base = f"http://{self.headers.get('Host')}"
            path = self.path.split("?")[0]
            status, content_type, body, headers = 404, "text/plain", b"not found", {}
            if path == "/robots.txt":
                status, body = 200, b"User-agent: *\nAllow: /\n"
            elif path.startswith("/feeds/"):
                outlet = path.removeprefix("/feeds/").removesuffix(".xml")
                failure = site.failure(outlet)
                if failure == "http500":
                    status, body = 500, b"server error"
                elif failure == "retry":
                    status, body, headers = 503, b"busy", {"Retry-After": "2"}
                elif failure == "garbage":
                    status, content_type, body = 200, "text/html", b"<html><p>maintenance"
                elif outlet in site.articles:
                    status, content_type, body = 200, "application/rss+xml", site.feed(outlet, base)
            else:
                page = site.page(path)
                if page is not None:
                    status, content_type, body = 200, "text/html; charset=utf-8", page
            etag = etag_of(body) if status == 200 else None
            send_document(
                self, status, body, [("Content-Type", content_type), *headers.items()], etag
            )

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def write_config(workdir: Path, base: str, interval: str) -> Path:
    raw = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    raw["data_dir"] = str(workdir / "data")
    raw["database"] = None
    raw["collect"].update(
        {
            "interval": interval,
            "source_interval": "1s",
            "min_interval": "1s",
            "max_interval": "5s",
            "crawl_time_limit": "60s",
            "download_delay": 0,
            "allow_private_addresses": True,
        }
    )
    # A digest is not what is soaked: due at a time long passed, beyond a one-second grace.
    raw["schedule"].update({"timezone": "UTC", "digest_time": "00:00", "digest_grace": "1s"})
    raw["sources"] = [
        {
            "key": outlet,
            "name": f"{outlet.title()} News",
            "country": "PK",
            "language": "en",
            "feeds": [f"{base}/feeds/{outlet}.xml"],
        }
        for outlet in OUTLETS
    ]
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def query(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def collect_cycles(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        rows = query(db, "SELECT count(*) FROM runs WHERE job='collect' AND status!='running'")
    except sqlite3.OperationalError:
        return 0
    return rows[0][0]


def stored_paths(db: Path) -> set[str]:
    return {"/" + u.split("/", 3)[3] for (u,) in query(db, "SELECT url FROM articles")}


def pool_size() -> int:
    """Connections the daemon's pool keeps open to an SQLite file between jobs (more are closed
    when returned): the size of the pool of the engine ``pipeline.engine`` makes."""
    from pipeline.engine import make_engine

    # Creating the engine opens no connection, so the file is never made.
    return make_engine("sqlite:///pool-size-probe.sqlite").pool.size()


def measure(process: psutil.Process, db: Path) -> dict[str, int]:
    """Memory, descriptors and children of the daemon. Its connections to the database are
    counted apart: the pool keeps as many as jobs once used at the same time, which is bounded,
    not a leak."""
    connections = sum(1 for f in process.open_files() if Path(f.path) == db)
    return {
        "rss": process.memory_info().rss,
        "fds": process.num_fds() - connections,
        "connections": connections,
        "children": len(process.children(recursive=True)),
    }


def soak(cycles: int, publish_every: float, workdir: Path) -> dict[str, Any]:
    site = SoakSite()
    server, base = serve(site)
    config = write_config(workdir, base, "1s")
    db = workdir / "data" / "borderwatch.sqlite"
    log_path = workdir / "daemon.log"
    command = [sys.executable, "-m", "borderwatch", "--config", str(config), "run"]
    started = time.monotonic()
    with open(log_path, "wb") as log:
        daemon = subprocess.Popen(command, stderr=log, stdout=log, cwd=workdir)
    process = psutil.Process(daemon.pid)
    first: dict[str, int] | None = None
    samples: dict[int, int] = {}
    last_publish = time.monotonic()
    try:
        while (done := collect_cycles(db)) < cycles:
            if daemon.poll() is not None:
                raise RuntimeError(f"daemon exited early; see {log_path}")
            site.progress = done / cycles
            if first is None and done >= 1:
                first = measure(process, db)
            quarter = done * 4 // cycles
            if first is not None and quarter not in samples:
                samples[quarter] = process.memory_info().rss
            if time.monotonic() - last_publish >= publish_every:
                site.publish()
                last_publish = time.monotonic()
            time.sleep(0.2)
        site.progress = 1.0
        # Let back-off run out: every published article should arrive.
        deadline = time.monotonic() + 90
        while stored_paths(db) != site.published_paths() and time.monotonic() < deadline:
            time.sleep(0.5)
        # Quiesce: a long interval through SIGHUP, then wait for the running collect to end.
        write_config(workdir, base, "1h")
        daemon.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            busy = query(db, "SELECT count(*) FROM runs WHERE status='running'")[0][0]
            if not busy and not process.children(recursive=True):
                break
            time.sleep(0.2)
        end = measure(process, db)
        # A descriptor open for a moment (a job's connection, a config read after SIGHUP) is
        # not a leak: the fewest of a few samples over a second is what stays open.
        for _ in range(5):
            time.sleep(0.2)
            again = measure(process, db)
            end["fds"] = min(end["fds"], again["fds"])
            end["connections"] = min(end["connections"], again["connections"])
        elapsed = time.monotonic() - started
        daemon.send_signal(signal.SIGTERM)
        exit_status = daemon.wait(timeout=120)
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        server.shutdown()
        server.server_close()
    published, stored = site.published_paths(), stored_paths(db)
    statuses = dict(query(db, "SELECT status, count(*) FROM runs WHERE job='collect' GROUP BY 1"))
    return {
        "cycles": collect_cycles(db),
        "elapsed": elapsed,
        "first": first or end,
        "rss_by_quarter": samples,
        "failures_served": dict(site.failures_served),
        "end": end,
        "published": len(published),
        "stored": len(stored),
        "missing": sorted(published - stored)[:5],
        "extra": sorted(stored - published)[:5],
        "statuses": statuses,
        "exit_status": exit_status,
        "leftover_crawlers": _leftover_crawlers(workdir),
        "log": str(log_path),
    }


def _leftover_crawlers(workdir: Path) -> int:
    count = 0
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info.get("cmdline") or [])
        if "borderwatch.crawl_child" in cmdline and str(workdir) in cmdline:
            count += 1
    return count


def report(result: dict[str, Any]) -> bool:
    first, end = result["first"], result["end"]
    growth = (end["rss"] - first["rss"]) / first["rss"] * 100
    rows = [
        ("collect cycles", "-", str(result["cycles"]), "-", True),
        ("RSS (MiB)", f"{first['rss'] / 2**20:.1f}", f"{end['rss'] / 2**20:.1f}",
         f"growth {growth:+.1f}% (target < 10%)", growth < 10),
        ("open fds (besides the database)", str(first["fds"]), str(end["fds"]), "end <= start",
         end["fds"] <= first["fds"]),
        ("database connections", str(first["connections"]), str(end["connections"]),
         f"<= {pool_size()} (the pool's size)", end["connections"] <= pool_size()),
        ("child processes", str(first["children"]), str(end["children"]), "0 at end",
         end["children"] == 0 and result["leftover_crawlers"] == 0),
        ("articles published / stored", str(result["published"]), str(result["stored"]),
         "equal", result["published"] == result["stored"]),
        ("exit status after SIGTERM", "-", str(result["exit_status"]), "0",
         result["exit_status"] == 0),
    ]  # fmt: skip
    print(f"soak: {result['cycles']} collect cycles in {result['elapsed']:.0f}s")
    print(f"collect runs by status: {result['statuses']}")
    print(f"failing feed responses served: {result['failures_served']}")
    quarters = ", ".join(
        f"{q * 25}%: {rss / 2**20:.1f}" for q, rss in sorted(result["rss_by_quarter"].items())
    )
    print(f"RSS (MiB) through the run: {quarters}")
    print(f"{'figure':<30}{'start':>12}{'end':>12}  target")
    for name, start, finish, target, ok in rows:
        print(f"{name:<30}{start:>12}{finish:>12}  {target}  {'ok' if ok else 'MISSED'}")
    if result["missing"] or result["extra"]:
        print(f"missing {result['missing']} extra {result['extra']}")
    print(f"daemon log: {result['log']}")
    return all(ok for *_rest, ok in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--publish-every", type=float, default=2.0, help="seconds per article")
    parser.add_argument("--workdir", help="keep files here (default: a temporary folder)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.workdir:
        workdir = Path(args.workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        ok = report(soak(args.cycles, args.publish_every, workdir))
    else:
        with tempfile.TemporaryDirectory(prefix="bw-soak-") as tmp:
            ok = report(soak(args.cycles, args.publish_every, Path(tmp)))
    return 0 if (ok or not args.check) else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
