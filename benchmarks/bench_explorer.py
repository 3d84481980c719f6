"""Explorer speed on the reports benchmark database, SQLite and PostgreSQL.

The database is ``bench_reports.py``'s three years of coverage for 300 outlets and 10 tags
(about 1.5 million coverage rows, their weekly and monthly rollups), moved to end today, plus
100,000 stored articles (half of them relevant, in about 70,000 stories, with tags, headlines,
summaries and texts of about 1,500 characters in English, Urdu and Pashto words) and a fetch
target per outlet.

The explorer runs in this process under uvicorn on 127.0.0.1 and is asked over HTTP; the figure
is the server time it reports (``Server-Timing``), median of ``--repeat`` requests after two
warm-ups:

- the overview and explore pages with their default period (the last 30 days), target
  ≤ 150 ms each;
- explore with an ad-hoc query over every one of the 100,000 stored articles (three years,
  ``within=all``; headline and summary, and full text), asked for the first time (the matchers
  of earlier queries forgotten), target ≤ 1 s; and asked again (what a download after the page
  costs).

Baselines measured in the same run, each under the figure it compares with: the first view
with the page's reports built one after another instead of side by side; later views with the
page drawn again from its kept reports instead of kept whole; the query's matching alone over
every kept headline with the word index's candidates, and with every headline evaluated.

Beside each figure: the time of the same reports on the command line (every panel's
``borderwatch report`` command run through click in this process, the configuration loaded
and the store opened each time, as a user runs them), so the page's cost compares with the
reports it is made of. The load average is printed before and after (the machine is shared).

PostgreSQL: 127.0.0.1:5432, user postgres; the database ``borderwatch_bench_explorer`` is
created and dropped at the end (``--no-postgresql`` skips it).

    .venv/bin/python benchmarks/bench_explorer.py [--repeat 15] [--no-postgresql]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import bench_reports  # noqa: E402 - after the path set-up above
from click.testing import CliRunner  # noqa: E402
from sqlalchemy import create_engine, insert, text  # noqa: E402

from borderwatch.cli import main  # noqa: E402
from borderwatch.config import PACKAGED_CONFIG, config_from_mapping  # noqa: E402
from borderwatch.explorer import pages as page_module  # noqa: E402
from borderwatch.explorer.pages import PANEL_THREADS  # noqa: E402
from borderwatch.explorer.security import Credentials  # noqa: E402
from borderwatch.explorer.serve import build  # noqa: E402
from borderwatch.reports.matches import HeadlineIndex  # noqa: E402
from pipeline.query import parse_query  # noqa: E402
from pipeline.schema import article_tags, articles, feed_state, stories  # noqa: E402
from pipeline.store import Store  # noqa: E402

PAGE_TARGET_MS = 150.0
QUERY_TARGET_MS = 1000.0
ARTICLES = 100_000
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
PG_DATABASE = "borderwatch_bench_explorer"
QUERY = 'Torkham OR "Spin Boldak" OR طورخم OR (border* NEAR/3 (closed OR reopen*))'

# Words of the generated articles: common ones often, the place names a query looks for rarely.
COMMON = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "said",
    "on",
    "for",
    "with",
    "that",
    "was",
    "by",
    "at",
    "from",
    "officials",
    "government",
    "talks",
    "minister",
    "meeting",
    "delegation",
    "statement",
    "security",
    "forces",
    "border",
    "trade",
    "province",
    "week",
    "people",
    "on",
    "the",
    "road",
    "city",
    "report",
    "after",
    "before",
    "during",
    "new",
    "two",
    "three",
    "first",
    "last",
    "year",
    "پاکستان",
    "افغانستان",
    "حکومت",
    "وزیر",
    "سرحد",
    "مذاکرات",
    "بیان",
    "اجلاس",
    "کابل",
    "اسلام",
    "آباد",
    "د",
    "او",
    "په",
    "کې",
    "Pakistan",
    "Afghanistan",
    "Kabul",
    "Islamabad",
    "Taliban",
    "ceasefire",
    "refugees",
    "returnees",
    "market",
    "prices",
]
RARE = [
    "Torkham",
    "طورخم",
    "تورخم",
    "Chaman",
    "Spin",
    "Boldak",
    "closed",
    "reopened",
    "reopening",
    "crossing",
    "Doha",
    "Istanbul",
]


def shifted_history() -> tuple[list[dict], list[tuple], list[tuple], dt.date, dt.date]:
    """bench_reports' history, moved so that its last day is yesterday."""
    sources, volume, coverage = bench_reports.history()
    first = dt.date(2023, 1, 1)
    last = first + dt.timedelta(days=bench_reports.YEARS_DAYS - 1)
    shift = (dt.date.today() - dt.timedelta(days=1)) - last

    def move(iso: str) -> str:
        return (dt.date.fromisoformat(iso) + shift).isoformat()

    moved: dict[str, str] = {}
    volume = [(moved.setdefault(d, move(d)), s, n) for d, s, n in volume]
    coverage = [(moved.setdefault(d, move(d)), *rest) for d, *rest in coverage]
    return sources, volume, coverage, first + shift, last + shift


def article_rows(first: dt.date, days: int, keys: list[str], seed: int = 11):
    """(articles, stories, article_tags) rows: 100,000 articles over the period."""
    rng = np.random.default_rng(seed)
    words = np.array(COMMON + RARE, dtype=object)
    weights = np.array([1.0] * len(COMMON) + [0.02] * len(RARE))
    weights /= weights.sum()

    def sentences(count: int, length: int) -> list[str]:
        picks = rng.choice(len(words), size=(count, length), p=weights)
        return [" ".join(words[row]) for row in picks]

    day = np.sort(rng.integers(0, days, ARTICLES))
    source = rng.integers(0, len(keys), ARTICLES)
    relevant = rng.random(ARTICLES) < 0.5
    titles = sentences(ARTICLES, 10)
    summaries = sentences(ARTICLES, 25)
    texts = sentences(ARTICLES, 240)
    # Stories: relevant articles of a day in groups of one to four, the others alone.
    story = np.zeros(ARTICLES, dtype=np.int64)
    next_story, i = 1, 0
    while i < ARTICLES:
        size = int(rng.integers(1, 5)) if relevant[i] else 1
        j = i
        while j < min(i + size, ARTICLES) and day[j] == day[i] and relevant[j] == relevant[i]:
            story[j] = next_story
            j += 1
        next_story += 1
        i = j
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows, tag_rows, leads = [], [], {}
    for n in range(ARTICLES):
        when = dt.datetime.combine(first + dt.timedelta(days=int(day[n])), dt.time(6)) + (
            dt.timedelta(minutes=int(n % 900))
        )
        key = keys[int(source[n])]
        rows.append(
            {"id": n + 1, "url": f"https://{key}.example/{n}", "canonical_url":
             f"https://{key}.example/{n}", "source": key, "title": titles[n],
             "summary": summaries[n], "text": texts[n], "text_status": "ok",
             "published_at": when, "published_source": "feed", "collected_at": min(when, now),
             "day": when.date(), "language": "en", "relevant": bool(relevant[n]),
             "story_id": int(story[n])}
        )  # fmt: skip
        leads.setdefault(int(story[n]), []).append(n)
        if relevant[n]:
            for t in rng.choice(
                len(bench_reports.TAGS), size=int(rng.integers(1, 4)), replace=False
            ):
                tag_rows.append({"article_id": n + 1, "tag": bench_reports.TAGS[int(t)]})
    story_rows = []
    for story_id, members in leads.items():
        lead = rows[members[0]]
        story_rows.append(
            {"id": story_id, "first_seen_at": lead["collected_at"], "day": lead["day"],
             "lead_article_id": lead["id"], "title": lead["title"], "articles": len(members),
             "outlets": len({rows[m]["source"] for m in members}),
             "relevant": lead["relevant"], "updated_at": lead["collected_at"]}
        )  # fmt: skip
    return rows, story_rows, tag_rows


def feed_rows(keys: list[str]) -> list[dict]:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return [
        {"source": key, "url": f"https://{key}.example/feed", "kind": "rss",
         "consecutive_failures": 5 if i % 50 == 0 else 0, "last_fetch_at": now,
         "last_success_at": now - dt.timedelta(days=3 if i % 50 == 0 else 0),
         "last_status": "error" if i % 50 == 0 else "ok",
         "last_error": "HTTP 503" if i % 50 == 0 else None, "flagged": None,
         "entries_last": 20, "last_new_item_at": now - dt.timedelta(hours=i % 30),
         "next_fetch_at": now + dt.timedelta(minutes=30)}
        for i, key in enumerate(keys)
    ]  # fmt: skip


def load_articles(url: str, keys: list[str], first: dt.date, days: int) -> None:
    rows, story_rows, tag_rows = article_rows(first, days, keys)
    store = Store(url)
    with store.transaction() as conn:
        for start in range(0, len(story_rows), 20_000):
            conn.execute(insert(stories), story_rows[start : start + 20_000])
        for start in range(0, len(rows), 10_000):
            conn.execute(insert(articles), rows[start : start + 10_000])
        for start in range(0, len(tag_rows), 50_000):
            conn.execute(insert(article_tags), tag_rows[start : start + 50_000])
        conn.execute(insert(feed_state), feed_rows(keys))
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if store.dialect == "sqlite":
            conn.execute(text("ANALYZE"))
        else:
            for name in ("articles", "stories", "article_tags", "feed_state"):
                conn.execute(text(f"VACUUM ANALYZE {name}"))
    store.close()


class Served:
    """The explorer of ``url`` under uvicorn in a thread; ``get`` returns the server time."""

    def __init__(self, config, url: str) -> None:
        import socket

        import uvicorn

        self.app = build(config, url, credentials=Credentials())
        self.explorer = self.app.app.state.explorer
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="error")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)

    def get(self, path: str) -> tuple[float, float, dict[str, str]]:
        """(server ms, wall ms, headers) of one GET."""
        server, wall, headers, _ = self._get(path)
        return server, wall, headers

    def _get(self, path: str) -> tuple[float, float, dict[str, str], bytes]:
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        start = time.perf_counter()
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        wall = (time.perf_counter() - start) * 1000
        headers = {k.lower(): v for k, v in response.getheaders()}
        connection.close()
        assert response.status == 200, (path, response.status)
        server = float(headers["server-timing"].split("dur=")[1])
        return server, wall, headers, body

    def commands(self, path: str) -> list[str]:
        """The ``borderwatch report`` commands of the page's panels."""
        import lxml.html

        page = lxml.html.fromstring(self._get(path)[3].decode("utf-8"))
        return [c.text_content() for c in page.xpath("//details[@class='command']/code")]

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.explorer.store.close()


def median(action: Callable[[], float], repeat: int, warm: int = 2) -> float:
    for _ in range(warm):
        action()
    return statistics.median(action() for _ in range(repeat))


def measure(served: Served, config_path: Path, url: str, first: dt.date, last: dt.date,
            repeat: int) -> list[tuple[str, float, float | None, float | None]]:  # fmt: skip
    """(name, server ms, target ms, CLI ms) of each figure."""
    runner = CliRunner()
    explorer = served.explorer

    def cli_ms(commands: list[str]) -> float:
        start = time.perf_counter()
        for command in commands:
            argv = shlex.split(command)[1:]
            result = runner.invoke(main, ["--config", str(config_path), "--db", url, *argv,
                                          "--format", "csv"])  # fmt: skip
            assert result.exit_code == 0, (command, result.output)
        return (time.perf_counter() - start) * 1000

    def forget() -> None:
        """What the server keeps for the state of the data and for earlier queries."""
        explorer.reports.clear()
        explorer.matchers.clear()
        explorer._version = None

    def forget_pages() -> None:
        """The drawn pages only: the reports they show stay (what views cost before pages
        were kept)."""
        for key in list(explorer.reports):
            if "kept" in key[:2] and "page" in key:
                del explorer.reports[key]

    everything = urlencode({"since": first.isoformat(), "until": last.isoformat(), "by": "week"})
    pages = [
        ("overview, last 30 days", "/"),
        ("explore, last 30 days", "/explore"),
        ("explore, PK and ceasefire, 3 years", f"/explore?country=PK&tag=ceasefire&{everything}"),
    ]  # fmt: skip
    figures: list[tuple[str, float, float | None, float | None]] = []
    for name, path in pages:
        commands = served.commands(path)
        cli = median(lambda c=commands: cli_ms(c), max(3, repeat // 3), warm=1)

        def cold(path: str = path) -> float:
            forget()
            return served.get(path)[0]

        figures.append((f"{name}: first view of the data", median(cold, repeat), None, cli))

        def one_by_one(path: str = path) -> float:
            page_module.PANEL_THREADS = 1
            try:
                return cold(path)
            finally:
                page_module.PANEL_THREADS = PANEL_THREADS

        figures.append(
            ("  baseline: its reports built one after another", median(one_by_one, repeat),
             None, None)
        )  # fmt: skip
        warm = median(lambda path=path: served.get(path)[0], repeat)
        figures.append((f"{name}: views after the first", warm, PAGE_TARGET_MS, None))

        def redrawn(path: str = path) -> float:
            forget_pages()
            return served.get(path)[0]

        figures.append(
            ("  baseline: the page drawn again from its kept reports", median(redrawn, repeat),
             None, None)
        )  # fmt: skip
    # A new server reads and normalizes every headline once (in the background from start).
    forget()
    explorer.headlines = HeadlineIndex()
    start = time.perf_counter()
    explorer.headlines.refresh(explorer.store)
    figures.append(
        ("headline and word index of every article, once per server start",
         (time.perf_counter() - start) * 1000, None, None)
    )  # fmt: skip
    figures += matching_alone(explorer, repeat)
    for match_in in ("headline", "text"):
        path = "/explore?" + urlencode(
            {"q": QUERY, "within": "all", "match_in": match_in, "since": first.isoformat(),
             "until": last.isoformat(), "by": "week"}
        )  # fmt: skip

        def cold_query(path: str = path) -> float:
            forget()
            return served.get(path)[0]

        label = "headlines" if match_in == "headline" else "full text"
        forget()
        commands = served.commands(path)
        (matcher,) = explorer.matchers.values()
        searched, evaluated = matcher.searched, matcher.evaluated
        # The command line reads every article for every report: once is enough for full text.
        cli = median(lambda c=commands: cli_ms(c), 3 if match_in == "headline" else 1, warm=0)
        first_time = median(cold_query, max(3, repeat // 3), warm=1)
        name = f"explore, query over {searched:,} articles ({label}), new query"
        if evaluated != searched:
            name += f" [{evaluated:,} evaluated]"
        figures.append((name, first_time, QUERY_TARGET_MS if match_in == "headline" else None,
                        cli))  # fmt: skip
        again = median(lambda path=path: served.get(path)[0], repeat)
        figures.append((f"  the same page again ({label})", again, None, None))
        download = path.replace("/explore?", "/explore/attention.csv?")
        figures.append(
            (f"  its attention CSV ({label})", median(lambda d=download: served.get(d)[0], repeat),
             None, cli_ms([commands[0]]))
        )  # fmt: skip
    return figures


def matching_alone(explorer, repeat: int) -> list[tuple[str, float, float | None, float | None]]:
    """The query's matching over every kept headline: with the word index's candidates (what
    the explorer does), and the baseline of the evaluator reading every headline."""
    query = parse_query(QUERY)
    headlines = explorer.headlines
    every = {"relevant_only": False, "source_keys": None, "first": None, "last": None}
    texts = headlines.select(**every)[2]

    def narrowed() -> float:
        start = time.perf_counter()
        candidates = headlines.select(**every, query=query)[2]
        found = sum(query.matches(text, True) for text in candidates)
        assert found, "the benchmark's query matches some headlines"
        return (time.perf_counter() - start) * 1000

    def plain() -> float:
        start = time.perf_counter()
        sum(query.matches(text, True) for text in texts)
        return (time.perf_counter() - start) * 1000

    return [
        (f"  matching alone over {len(texts):,} headlines, word index candidates",
         median(narrowed, repeat), None, None),
        ("  baseline: matching alone, every headline evaluated", median(plain, 3, warm=0),
         None, None),
    ]  # fmt: skip


def report(backend: str, figures: list) -> None:
    print(f"\n{backend}: server time, medians in ms (CLI: the same reports on the command line)")
    print(f"  {'':66}{'server':>8}{'target':>8}{'CLI':>8}")
    for name, value, target, cli in figures:
        verdict = "" if target is None else ("ok" if value <= target else "OVER TARGET")
        shown_target = "" if target is None else f"{target:.0f}"
        shown_cli = "" if cli is None else f"{cli:.0f}"
        shown = f"{value:8.1f}" if value < 10 else f"{value:8.0f}"
        print(f"  {name:66}{shown}{shown_target:>8}{shown_cli:>8}   {verdict}")


def load_line() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def run(url: str, config_path: Path, config, first, last, repeat: int, backend: str) -> None:
    served = Served(config, url)
    try:
        report(backend, measure(served, config_path, url, first, last, repeat))
    finally:
        served.stop()


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-postgresql", action="store_true")
    parser.add_argument(
        "--workdir",
        type=Path,
        help="Keep the SQLite database here and reuse it on the next run (built when missing).",
    )
    args = parser.parse_args()
    print(f"start: {load_line()}")
    start = time.perf_counter()
    sources, volume, coverage, first, last = shifted_history()
    keys = [s["key"] for s in sources]
    print(
        f"history: {bench_reports.YEARS_DAYS} days × {len(sources)} outlets × "
        f"{len(bench_reports.TAGS)} tags ({first} to {last}): {len(volume):,} daily_volume "
        f"rows, {len(coverage):,} daily_coverage rows, {ARTICLES:,} stored articles "
        f"(generated in {time.perf_counter() - start:.1f} s)"
    )
    with tempfile.TemporaryDirectory() as scratch:
        folder = str(args.workdir or scratch)
        Path(folder).mkdir(parents=True, exist_ok=True)
        config_path = Path(folder) / "config.yaml"
        raw = yaml.safe_load(PACKAGED_CONFIG.read_text(encoding="utf-8"))
        raw.update({"data_dir": folder, "sources": []})
        raw["tags"] = {tag: raw["tags"].get(tag, tag) for tag in bench_reports.TAGS}
        config_path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        config = config_from_mapping(raw, base_dir=Path(folder), path=config_path)

        path = Path(folder) / f"bench-{last}.sqlite"
        url = f"sqlite:///{path}"
        start = time.perf_counter()
        if not path.exists():
            # Built under another name and renamed: an interrupted build is never reused.
            part = path.with_suffix(".part")
            part.unlink(missing_ok=True)
            bench_reports.load_sqlite(f"sqlite:///{part}", sources, volume, coverage)
            load_articles(f"sqlite:///{part}", keys, first, bench_reports.YEARS_DAYS)
            part.rename(path)
            print(f"SQLite loaded in {time.perf_counter() - start:.1f} s")
        else:
            # A database kept from an earlier run gets the migrations added since.
            upgraded = CliRunner().invoke(main, ["--db", url, "db", "upgrade"])
            assert upgraded.exit_code == 0, upgraded.output
        run(url, config_path, config, first, last, args.repeat, "SQLite")
        print(f"after SQLite: {load_line()}")
        if args.no_postgresql:
            return
        admin = create_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {PG_DATABASE}"))
        try:
            url = f"{PG_SERVER}/{PG_DATABASE}"
            start = time.perf_counter()
            bench_reports.load_postgresql(url, sources, volume, coverage)
            load_articles(url, keys, first, bench_reports.YEARS_DAYS)
            print(f"\nPostgreSQL loaded in {time.perf_counter() - start:.1f} s")
            run(url, config_path, config, first, last, args.repeat, "PostgreSQL")
        finally:
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
            admin.dispose()
        print(f"end: {load_line()}")


if __name__ == "__main__":
    main_bench()
