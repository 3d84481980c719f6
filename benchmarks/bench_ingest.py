"""Ingest throughput, memory and incremental cost: the stages plus persistence on SQLite.

A generator writes a synthetic corpus (default 100,000 articles in English, Urdu, Dari and
Pashto, 30% of them near-duplicate copies of an earlier article on another outlet with a
changed intro, byline and ending or a truncation). With ``--lengths realistic`` (the default)
every article has a title, a summary and a full text of 250 to 700 words, as fetched pages do;
``--lengths mixed`` gives 60% of the articles a full text of lognormal length (median about
400 words, 150 to 2,000) and the others only a summary. The benchmark measures, in one run:

1. ``ingest``: the corpus staged as JSON Lines and processed by ``process_staging`` into a
   fresh SQLite database (reading, validation, every stage, stories, tags, coverage), in a
   child process so that its peak RSS is its own. Printed: articles/s of the processing, and
   of the child process from its start to its end (interpreter start-up, imports and the
   language model included), and peak RSS. With ``--baseline DIR`` the same corpus is also
   ingested with the code in DIR (e.g. a checkout of main), the two alternating ``--rounds``
   times so that both see the same load on a shared machine; medians are printed.
2. the floor: a plain ``executemany`` insert of the same article rows into SQLite (one table
   with a unique canonical URL, one transaction), once in every round right after the ingest
   runs, since the time of writing a few hundred MB varies with the machine's I/O as much as
   the ingest does. Printed: its median, and ratio (a) = ingest time / floor, the median of the
   rounds' own ratios.
3. incremental cost: 1,000 new articles (30% copies of recent ones) ingested into a database
   holding 10,000 articles and into one holding 1,000,000, several batches each; ratio (b) is
   the ratio of the median batch times. Both databases grow at the same daily rate (about
   1,400 articles a day); the big one's older history is written with direct bulk inserts, its
   last weeks through the real pipeline, so both have a real story index for the window.

    .venv/bin/python benchmarks/bench_ingest.py [--articles 100000] [--lengths realistic]
        [--rounds 3] [--baseline DIR] [--big 1000000] [--repeat 5] [--workdir DIR]
        [--skip-incremental]

Targets (2-core machine): >= 5,000 articles/s including process start-up on the realistic
corpus, peak RSS <= 500 MB, ratio (a) within 3, ratio (b) <= 1.3. Nothing is fetched;
everything is written under --workdir (a temporary folder by default).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
# The child that ingests (and its analysis worker, which re-runs this module) imports the code
# under test: this repository, or the folder given with --code (--baseline's code).
CODE = Path(sys.argv[sys.argv.index("--code") + 1]) if "--code" in sys.argv else REPO
sys.path.insert(0, str(CODE))

START = dt.datetime(2025, 10, 1, tzinfo=dt.UTC)
PER_DAY = 1400
N_SOURCES = 40
LANGUAGES = {"en": 0.55, "ur": 0.2, "fa": 0.15, "ps": 0.1}

# Common words per language: they dominate the text, as function words do in real prose, so
# the language detector sees realistic input; rarer made-up words give a realistic vocabulary.
_COMMON_WORDS = {
    "en": "the of and to in a is that for on was with he it as by at said from his an be has "
    "have are were which this but not they had after been who their its will would more "
    "government minister officials said on tuesday border talks people security week city "
    "country police two three year new also first last over against during between",
    "ur": "کے میں کی ہے اور سے کو نے کہ پر یہ ایک بھی ہیں تھا کیا گیا وہ اس ان لیے کر "
    "حکومت وزیر نے کہا پاکستان سرحد بات چیت ملک شہر لوگ سال دن کے دوران ساتھ بعد",
    "fa": "و در به از که این را با است برای آن یک شده می تا خود هم شد کرد بود نیز "
    "حکومت وزیر گفت افغانستان مرز گفتگو کشور شهر مردم سال روز پس از همچنین",
    "ps": "د په او چې دا له ته یې کې سره هم یو دی وو شوی کړی دې پر ځینو نور "
    "حکومت وزیر وویل افغانستان پوله خبرې هېواد ښار خلک کال ورځ وروسته ټولو",
}
COMMON = {lang: str.split(words) for lang, words in _COMMON_WORDS.items()}
LETTERS = {
    "en": "abcdefghijklmnopqrstuvwxyz",
    "ur": "ابپتٹثجچحخدڈذرڑزژسشصضطظعغفقکگلمنوہھءیے",
    "fa": "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی",
    "ps": "ابپتټثجځچڅحخدډذرړزږژسشښصضطظعغفقکګلمنڼوهيېۍ",
}
TOPIC = {
    "en": "Pakistan and Afghanistan delegations met in Istanbul for ceasefire talks as the "
    "Torkham border crossing stayed closed to trade",
    "ur": "پاکستان اور افغانستان کے وفود نے استنبول میں جنگ بندی مذاکرات کیے جبکہ طورخم سرحد "
    "بند رہی",
    "fa": "هیئت‌های پاکستان و افغانستان در استانبول درباره آتش‌بس گفت‌وگو کردند و گذرگاه تورخم "
    "بسته ماند",
    "ps": "د پاکستان او افغانستان پلاوو په استانبول کې د اوربند خبرې وکړې او تورخم پوله تړلې "
    "پاتې شوه",
}


class Corpus:
    """Deterministic synthetic articles; ``item(i)`` is the i-th item of the stream.

    ``lengths``: "realistic" (every article has a full text of 250-700 words) or "mixed" (60%
    have a full text of lognormal length, the others a summary only).
    """

    def __init__(self, seed: int = 7, vocabulary: int = 20000, lengths: str = "realistic") -> None:
        self.lengths = lengths
        self.rng = np.random.default_rng(seed)
        self.vocab: dict[str, np.ndarray] = {}
        for lang, letters in LETTERS.items():
            alphabet = np.array(list(letters), dtype=object)
            picks = alphabet[self.rng.integers(0, len(alphabet), (vocabulary, 8))]
            sizes = self.rng.integers(3, 9, vocabulary)
            made = {"".join(row[:size]) for row, size in zip(picks, sizes, strict=True)}
            words = list(COMMON[lang]) + sorted(made)
            self.vocab[lang] = np.array(words, dtype=object)
        self.langs = list(LANGUAGES)
        self.lang_p = np.array(list(LANGUAGES.values()))
        self.language_of: dict[str, str] = {}

    def _words(self, lang: str, count: int) -> str:
        vocab = self.vocab[lang]
        # A power law over the vocabulary: the common words (listed first) make up about half
        # of the running words, the made-up ones a long tail.
        idx = (self.rng.random(count) ** 5 * len(vocab)).astype(np.int64)
        return " ".join(vocab[idx])

    def original(self, i: int, when: dt.datetime) -> dict:
        lang = self.langs[int(self.rng.choice(len(self.langs), p=self.lang_p))]
        source = int(self.rng.integers(0, N_SOURCES))
        title = self._words(lang, int(self.rng.integers(7, 14)))
        on_topic = self.rng.random() < 0.15
        item = {
            "url": f"https://outlet{source}.example.com/news/{i}/story-{i}?utm_source=rss",
            "title": (TOPIC[lang][:60] + " " + title) if on_topic else title,
            "published": when.isoformat(),
            "source": f"outlet{source}",
        }
        self.language_of[item["url"]] = lang
        summary = self._words(lang, int(self.rng.integers(25, 60)))
        item["summary"] = summary
        if self.lengths == "realistic":
            n_words = int(self.rng.integers(250, 701))
        elif self.rng.random() < 0.6:  # full text fetched for most outlets
            n_words = int(np.clip(self.rng.lognormal(6.0, 0.45), 150, 2000))
        else:
            n_words = 0
        if n_words:
            paragraphs = [self._words(lang, n_words // 6) + "." for _ in range(6)]
            if on_topic:
                paragraphs.insert(1, TOPIC[lang] + ".")
            item["text"] = "\n\n".join(paragraphs)
            item["text_status"] = "ok"
        return item

    def copy_of(self, i: int, original: dict, when: dt.datetime) -> dict:
        """A syndicated copy on another outlet: new intro, byline and ending, or truncated."""
        source = (int(original["source"].removeprefix("outlet")) + 1 + i % 7) % N_SOURCES
        lang = self.language_of.get(original["url"], "en")
        item = dict(original)
        item.update(
            url=f"https://outlet{source}.example.com/wire/{i}",
            source=f"outlet{source}",
            published=when.isoformat(),
            author=f"Staff with agencies {i % 13}",
        )
        body = original.get("text") or original["summary"]
        paragraphs = body.split("\n\n")
        if len(paragraphs) == 1:  # a teaser: the same words with the outlet's own last line
            paragraphs.append(self._words(lang, 8) + ".")
        elif self.rng.random() < 0.3:
            paragraphs = paragraphs[: max(3, int(len(paragraphs) * 0.7))]
        else:
            paragraphs[0] = self._words(lang, 30) + "."
            paragraphs[-1] = self._words(lang, 25) + "."
        key = "text" if "text" in original else "summary"
        item[key] = "\n\n".join(paragraphs)
        return item

    def items(self, n: int, first_index: int = 0, start: dt.datetime = START):
        """``n`` items in time order at PER_DAY a day; 30% copy a recent original."""
        recent: list[dict] = []
        seconds = 86400 / PER_DAY
        for j in range(n):
            i = first_index + j
            when = start + dt.timedelta(seconds=seconds * j)
            if recent and self.rng.random() < 0.3:
                source_item = recent[int(self.rng.integers(0, len(recent)))]
                item = self.copy_of(i, source_item, when)
            else:
                item = self.original(i, when)
                recent.append(item)
                if len(recent) > 2000:
                    for old in recent[:1000]:
                        self.language_of.pop(old["url"], None)
                    recent = recent[-1000:]
            item["collected_at"] = (when + dt.timedelta(minutes=20)).isoformat()
            yield item


def bench_config():
    """config.yaml's topic and tags with the synthetic outlets as configured sources."""
    import yaml

    from borderwatch.config import PACKAGED_CONFIG, config_from_mapping

    raw = yaml.safe_load(PACKAGED_CONFIG.read_text(encoding="utf-8"))
    raw["sources"] = [
        {
            "key": f"outlet{s}",
            "name": f"Outlet {s}",
            # Half Pakistani, half Afghan outlets: the topic's press clauses are evaluated.
            "country": "PK" if s % 2 else "AF",
            "language": "en",
            "domains": [f"outlet{s}.example.com"],
            "feeds": [f"https://outlet{s}.example.com/feed"],
        }
        for s in range(N_SOURCES)
    ]
    return config_from_mapping(raw, base_dir=Path("."))


def plan_module():
    """``borderwatch.plan``, or ``borderwatch.rules`` in code from before it was renamed (a
    --baseline checkout): the module that turns the configuration into processing rules."""
    import importlib

    renamed = (CODE / "borderwatch" / "plan.py").is_file()
    return importlib.import_module("borderwatch.plan" if renamed else "borderwatch.rules")


def rules():
    return plan_module().processing_rules(bench_config())


def open_store(url: str):
    """The store with the benchmark's sources configured, as the command line prepares it."""
    from pipeline.store import Store

    store = Store(url)
    store.sync_sources(plan_module().source_rows(bench_config()))
    return store


def write_corpus(
    path: Path,
    n: int,
    first_index: int = 0,
    start: dt.datetime = START,
    lengths: str = "realistic",
) -> None:
    corpus = Corpus(seed=first_index + 7, lengths=lengths)
    with path.open("w", encoding="utf-8") as handle:
        for item in corpus.items(n, first_index, start):
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")


def ingest_file(db_url: str, corpus: Path, staging_root: Path) -> tuple[int, float]:
    """Stage a copy of the corpus and process it; returns (new articles, seconds)."""
    from borderwatch.ingest import process_staging, staging_for
    from crawler.staging import StagingArea

    store = open_store(db_url)
    staging = staging_for(store, StagingArea(staging_root))
    batch = staging.root / "ingest-bench.jsonl"
    # The corpus staged as one batch, as the crawler leaves its batches: a hard link (the
    # batch is deleted once stored, the corpus stays) rather than a copy of hundreds of MB,
    # which is the benchmark's setup, not work of the ingest.
    try:
        os.link(corpus, batch)
    except OSError:  # another file system
        shutil.copyfile(corpus, batch)
    processing = rules()
    begin = time.perf_counter()
    result = process_staging(staging, store, processing)
    seconds = time.perf_counter() - begin
    store.close()
    return result.new, seconds


def _cpu_seconds() -> tuple[float, float]:
    """CPU time of this process, and of its ended children (the analysis worker)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def child_ingest(args: argparse.Namespace) -> None:
    """Run in a child process: ingest the corpus and print figures as JSON."""
    main_before, worker_before = _cpu_seconds()
    new, seconds = ingest_file(args.db, Path(args.corpus), Path(args.staging))
    main_after, worker_after = _cpu_seconds()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # The analysis worker has ended with process_staging: its peak is the children's maximum.
    worker_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        json.dumps(
            {
                "new": new,
                "seconds": seconds,
                "main_cpu_seconds": main_after - main_before,
                "worker_cpu_seconds": worker_after - worker_before,
                "peak_mb": peak_kb / 1024,
                "worker_peak_mb": worker_kb / 1024,
            }
        )
    )


def floor_rows(corpus: Path) -> list[tuple]:
    """The article rows of the floor: what the ingest stores of each item, as plain values."""
    from pipeline.canonical import canonical_url

    rows = []
    with corpus.open(encoding="utf-8") as handle:
        for line in handle:
            item = json.loads(line)
            rows.append(
                (
                    item["url"],
                    canonical_url(item["url"]),
                    item["source"],
                    item.get("title"),
                    item.get("summary"),
                    item.get("text"),
                    item.get("published"),
                    item.get("collected_at"),
                )
            )
    return rows


def floor_insert(rows: list[tuple], db_path: Path) -> float:
    """Seconds to executemany ``rows`` into one plain SQLite table in a new file."""
    db_path.unlink(missing_ok=True)
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE articles (id INTEGER PRIMARY KEY, url TEXT, canonical_url TEXT UNIQUE, "
        "source TEXT, title TEXT, summary TEXT, text TEXT, published_at TEXT, collected_at TEXT)"
    )
    begin = time.perf_counter()
    with conn:
        conn.executemany(
            "INSERT INTO articles (url, canonical_url, source, title, summary, text, "
            "published_at, collected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    seconds = time.perf_counter() - begin
    conn.close()
    return seconds


def bulk_history(db_path: Path, n: int, end: dt.datetime) -> None:
    """Old articles, their one-article stories and coverage, by direct bulk inserts.

    They end before the story window, like the history of a monitor that has run for years;
    the story index holds none of them (it is pruned to the window).
    """
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    seconds = 86400 / PER_DAY
    first = end - dt.timedelta(seconds=seconds * n)
    sources = [
        (f"outlet{s}", f"Outlet {s}", "config", first.isoformat(" ")) for s in range(N_SOURCES)
    ]
    batch = 50_000
    with conn:
        conn.executemany(
            "INSERT OR IGNORE INTO sources (key, name, origin, created_at) VALUES (?, ?, ?, ?)",
            sources,
        )
        for start in range(0, n, batch):
            stop = min(n, start + batch)
            story_rows = []
            article_rows = []
            for i in range(start, stop):
                when = first + dt.timedelta(seconds=seconds * i)
                stamp = when.strftime("%Y-%m-%d %H:%M:%S.%f")
                day = when.date().isoformat()
                source = f"outlet{i % N_SOURCES}"
                story_rows.append((i + 1, stamp, day, i + 1, f"old story {i}", 1, 1, 0, stamp))
                article_rows.append(
                    (
                        i + 1,
                        f"https://{source}.example.com/archive/{i}",
                        f"https://{source}.example.com/archive/{i}",
                        source,
                        f"Old story {i}",
                        f"old story {i}",
                        "An older article kept for the history of the monitor. " * 3,
                        "not_fetched",
                        stamp,
                        "feed",
                        stamp,
                        day,
                        "en",
                        0,
                        i + 1,
                    )
                )
            conn.executemany(
                "INSERT INTO stories (id, first_seen_at, day, lead_article_id, title, articles, "
                "outlets, relevant, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                story_rows,
            )
            conn.executemany(
                "INSERT INTO articles (id, url, canonical_url, source, title, title_key, summary, "
                "text_status, published_at, published_source, collected_at, day, language, "
                "relevant, story_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                article_rows,
            )
        conn.execute(
            "INSERT INTO daily_volume (day, source, articles) "
            "SELECT day, source, count(*) FROM articles GROUP BY day, source"
        )
    conn.close()


class IncrementalSetup:
    """A database of ``history`` articles and the batches of new articles to add to it."""

    def __init__(self, workdir: Path, history: int, window: int, repeat: int, batch: int) -> None:
        from borderwatch.ingest import process_staging, staging_for
        from crawler.staging import StagingArea

        folder = workdir / f"incremental-{history}"
        # A database left by an earlier run in the same --workdir would hold these ids already.
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        db_path = folder / "db.sqlite"
        self.rules = rules()
        live = history - window if history > window else 0
        recent = history - live
        window_start = START + dt.timedelta(days=400)
        self.store = open_store(f"sqlite:///{db_path}")
        if live:
            bulk_history(db_path, live, window_start)
        # The window's articles go through the real pipeline: they fill the story index.
        corpus = Corpus(seed=history % 1000 + 11)
        items = list(corpus.items(recent + batch * repeat, 10_000_000, window_start))
        staging = staging_for(self.store, StagingArea(folder / "staging"))
        with staging.writer("window") as writer:
            for item in items[:recent]:
                writer.write(item)
        process_staging(staging, self.store, self.rules)
        self.batches = [items[recent + r * batch : recent + (r + 1) * batch] for r in range(repeat)]

    def run(self, r: int) -> tuple[float, float]:
        """Ingest batch ``r``; returns (wall seconds, CPU seconds)."""
        from pipeline.process import process_items

        wall, cpu = time.perf_counter(), time.process_time()
        process_items(self.batches[r], self.rules, self.store, batch_id=f"bench-{r}", chunk=0)
        return time.perf_counter() - wall, time.process_time() - cpu


def ingest_once(code: Path, corpus: Path, workdir: Path, label: str) -> dict:
    """Ingest ``corpus`` into a fresh database with the code in ``code``, in a child process;
    returns its figures with ``wall_seconds`` (the child's whole life) and the database's
    article and story counts."""
    db = workdir / f"ingest-{label}.sqlite"
    for leftover in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        leftover.unlink(missing_ok=True)
    staging = workdir / f"staging-{label}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    command = [sys.executable, __file__, "--child", "--code", str(code), "--db", f"sqlite:///{db}"]
    command += ["--corpus", str(corpus), "--staging", str(staging)]
    begin = time.perf_counter()
    child = subprocess.run(
        command,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(code), "PYTHONDONTWRITEBYTECODE": "1"},
    )
    wall = time.perf_counter() - begin
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    conn = sqlite3.connect(db)
    figures["stories"], figures["articles"] = conn.execute(
        "SELECT (SELECT count(*) FROM stories), (SELECT count(*) FROM articles)"
    ).fetchone()
    conn.close()
    figures["wall_seconds"] = wall
    figures["load"] = os.getloadavg()[0]
    return figures


def floor_once(corpus: Path, db_path: Path) -> float:
    """The floor's seconds, measured in a child process: the rows it reads would otherwise stay
    in this process, and a child starts as a copy of it, so every later child's peak RSS would
    count them."""
    command = [sys.executable, __file__, "--floor", "--corpus", str(corpus), "--db", str(db_path)]
    child = subprocess.run(
        command,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    return float(child.stdout.strip().splitlines()[-1])


def report_ingest(label: str, runs: list[dict], n: int) -> None:
    """Median figures of one code's ingest runs."""

    def median(key: str) -> float:
        return statistics.median(run[key] for run in runs)

    rate = n / median("seconds")
    whole = n / median("wall_seconds")
    cpu = median("main_cpu_seconds") + median("worker_cpu_seconds")
    peak = statistics.median(run["peak_mb"] + run["worker_peak_mb"] for run in runs)
    print(
        f"{label}: median of {len(runs)}: processing {median('seconds'):.1f} s = {rate:,.0f} "
        f"articles/s; whole child process {median('wall_seconds'):.1f} s = {whole:,.0f} "
        f"articles/s including start-up (target >= 5,000)"
    )
    print(
        "        runs (s, whole process): "
        + ", ".join(f"{run['wall_seconds']:.1f}" for run in runs)
        + "; load average during them "
        + ", ".join(f"{run['load']:.1f}" for run in runs)
        + f" on {os.cpu_count()} cores"
    )
    print(
        f"        CPU {cpu:.1f} s = {median('main_cpu_seconds'):.1f} s storing (main) + "
        f"{median('worker_cpu_seconds'):.1f} s reading and analyzing (worker) = "
        f"{n / cpu:,.0f} articles per CPU-second"
    )
    print(
        f"        peak RSS {median('peak_mb'):.0f} MB (main) + {median('worker_peak_mb'):.0f} MB "
        f"(analysis worker) = {peak:.0f} MB (target <= 500); {runs[0]['articles']:,} articles "
        f"in {runs[0]['stories']:,} stories"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--lengths", choices=["realistic", "mixed"], default="realistic")
    parser.add_argument("--rounds", type=int, default=1, help="ingest runs per code")
    parser.add_argument(
        "--baseline", type=Path, help="also ingest with the code in this folder, alternating"
    )
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--skip-incremental", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--code", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--staging", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_ingest(args)
        return
    if args.floor:
        print(floor_insert(floor_rows(Path(args.corpus)), Path(args.db)))
        return

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    workdir.mkdir(parents=True, exist_ok=True)
    corpus = workdir / "corpus.jsonl"
    begin = time.perf_counter()
    write_corpus(corpus, args.articles, lengths=args.lengths)
    size_mb = corpus.stat().st_size / 1e6
    print(
        f"corpus: {args.articles:,} articles ({args.lengths} lengths), {size_mb:.0f} MB of "
        f"JSON Lines (generated in {time.perf_counter() - begin:.0f} s)"
    )
    codes = {"this code": REPO}
    if args.baseline:
        codes["baseline"] = args.baseline.resolve()
    runs: dict[str, list[dict]] = {label: [] for label in codes}
    floors: list[float] = []
    # Alternate the codes, and the floor, so that all see the same load on a shared machine.
    for _ in range(args.rounds):
        for label, code in codes.items():
            runs[label].append(ingest_once(code, corpus, workdir, label.replace(" ", "-")))
        floors.append(floor_once(corpus, workdir / "floor.sqlite"))
    for label, code in codes.items():
        report_ingest(f"ingest ({label}: {code})", runs[label], args.articles)
    if args.baseline:
        # Both codes ran alternately under the same load: the ratio is the fairer figure.
        speedup = statistics.median(run["wall_seconds"] for run in runs["baseline"]) / (
            statistics.median(run["wall_seconds"] for run in runs["this code"])
        )
        print(f"this code / baseline, whole child process: {speedup:.2f}x the baseline's speed")

    floor = statistics.median(floors)
    ratio = statistics.median(
        run["seconds"] / each for run, each in zip(runs["this code"], floors, strict=True)
    )
    print(
        f"floor:  executemany of the same {args.articles:,} rows into SQLite, once a round: "
        f"median {floor:.1f} s = {args.articles / floor:,.0f} rows/s "
        f"(runs: {', '.join(f'{each:.1f}' for each in floors)}); ratio (a) ingest/floor = "
        f"{ratio:.1f} (median of the rounds' processing time / floor; goal: within 3)"
    )

    if args.skip_incremental:
        return
    window = 14 * PER_DAY
    small = IncrementalSetup(workdir, args.small, window, args.repeat, 1000)
    big = IncrementalSetup(workdir, args.big, window, args.repeat, 1000)
    # Alternate the two databases so that both see the same load on a shared machine.
    figures = {"small": [], "big": []}
    for r in range(args.repeat):
        figures["small"].append(small.run(r))
        figures["big"].append(big.run(r))
    for name, size in (("small", args.small), ("big", args.big)):
        wall = [w for w, _c in figures[name]]
        cpu = [c for _w, c in figures[name]]
        print(
            f"incremental: 1,000 new articles into {size:,} articles: median "
            f"{statistics.median(wall) * 1000:.0f} ms wall "
            f"({', '.join(f'{t * 1000:.0f}' for t in wall)}), "
            f"{statistics.median(cpu) * 1000:.0f} ms CPU"
        )
    ratio_wall = statistics.median(w for w, _c in figures["big"]) / statistics.median(
        w for w, _c in figures["small"]
    )
    ratio_cpu = statistics.median(c for _w, c in figures["big"]) / statistics.median(
        c for _w, c in figures["small"]
    )
    print(f"             ratio (b) = {ratio_wall:.2f} wall, {ratio_cpu:.2f} CPU (target <= 1.3)")


if __name__ == "__main__":
    main()
