"""Hypothesis strategies and checks for the two public input formats: item lines and config.yaml.

Shared by the property tests (tests/test_fuzz_inputs.py, a few hundred examples) and the longer
run of benchmarks/fuzz_inputs.py. The invariant for both: the command exits 0 or 2 and never
with a traceback; for items, every valid item is stored exactly once, nothing is left staged or
set aside, and coverage equals a rebuild.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import strategies as st
from sqlalchemy import text

from borderwatch.cli import main
from pipeline.items import ItemError, item_from_line
from pipeline.store import Store
from tests.support.config import base_config
from tests.support.dbcheck import assert_coverage_equals_rebuild

# -- items ---------------------------------------------------------------------------------------
# Characters that break things: NUL and other controls, half surrogate pairs, line and paragraph
# separators, bidirectional overrides, a byte order mark, Arabic script.
_AWKWARD = "\x00\x01\x07\x0b\x0c\x1b\x1f\x7f\x85\u2028\u2029\u202e\ufeff\ud800\udfffپښ"
awkward_text = st.lists(
    st.one_of(
        st.sampled_from(_AWKWARD),
        st.characters(codec="utf-8"),
        st.sampled_from(["Pakistan ", "Afghanistan ", "ceasefire ", "talks ", " "]),
    ),
    max_size=40,
).map("".join)
# Strings that may also be long: a title of 2,000 characters, a text of 600,000.
long_text = st.one_of(
    awkward_text,
    st.builds(lambda s, n: (s or "x") * n, awkward_text, st.sampled_from([50, 2_000, 30_000])),
)
_DATES = [
    "2025-10-26T08:00:00Z",
    "2025-10-26T08:00:00+05:00",
    "2025-10-26",
    "2025-10-26 08:00",
    "Sun, 26 Oct 2025 09:30:00 PKT",
    "Sun, 26 Oct 2025 09:30:00 +0430",
    "0001-01-01T00:00:00Z",
    "1970-01-01T00:00:00Z",
    "1994-12-31T23:59:59Z",
    "9999-12-31T23:59:59Z",
    "2999-01-01",
    "yesterday",
    "2025-10-10T10:00:00+25:00",
    "2025-02-30",
    "",
    " ",
    "1e308",
    "-1",
]
any_date = st.one_of(
    st.sampled_from(_DATES),
    awkward_text,
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes().map(lambda d: d.isoformat()),
)
json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    awkward_text,
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(awkward_text, inner, max_size=3)
    ),
    max_leaves=6,
)
_CHOICE_FIELDS = {
    "text_status": st.sampled_from(["ok", "not_fetched", "empty", "blocked", "error", "bogus"]),
    "published_source": st.sampled_from(["page", "feed", "sitemap", "collected", "x" * 30]),
    "language": st.sampled_from(["en", "ur", "fa", "ps", "pt-BR", "english-language", ""]),
}


@st.composite
def item_lines(draw: Any, prefix: str) -> list[str]:
    """Lines of an item file: mostly items (some broken), some arbitrary JSON or not JSON."""
    lines: list[str] = []
    for number in range(draw(st.integers(min_value=1, max_value=8))):
        kind = draw(st.sampled_from(["item"] * 6 + ["json", "raw"]))
        if kind == "json":
            lines.append(json.dumps(draw(json_value)))
            continue
        if kind == "raw":
            lines.append(draw(awkward_text).replace("\n", " ").replace("\r", " "))
            continue
        item: dict[str, Any] = {
            "url": draw(
                st.one_of(
                    st.just(f"https://{prefix}.example.org/news/{number}"),
                    st.just(f"https://{prefix}.example.org/news/{number}?utm_source=x#frag"),
                    json_value,
                )
            )
        }
        for field in ("title", "summary", "text", "source", "author", "guid", "feed_url"):
            if draw(st.booleans()):
                item[field] = draw(st.one_of(long_text, json_scalar))
        for field in ("published", "updated", "collected_at"):
            if draw(st.booleans()):
                item[field] = draw(any_date)
        for field, values in _CHOICE_FIELDS.items():
            if draw(st.integers(0, 3)) == 0:
                item[field] = draw(values)
        if draw(st.integers(0, 5)) == 0:
            item.update(draw(st.dictionaries(awkward_text, json_value, max_size=2)))
        lines.append(json.dumps(item, ensure_ascii=draw(st.booleans())))
    return lines


def write_lines(path: Path, lines: list[str], bom: bool) -> None:
    data = "\n".join(lines).encode("utf-8", errors="surrogatepass")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data + b"\n")


def expected_urls(path: Path) -> set[str]:
    """The URLs of the file's valid items, read as ``ingest`` reads them."""
    urls = set()
    with path.open(encoding="utf-8-sig", errors="replace", newline="\n") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                urls.add(item_from_line(line)["url"])
            except ItemError:
                continue
    return urls


def check_ingest(runner: CliRunner, config: Path, db_url: str, path: Path) -> None:
    """Ingest ``path``: exit 0, each valid item stored once, nothing left, coverage rebuilt."""
    result = runner.invoke(main, ["--config", str(config), "--db", db_url, "ingest", str(path)])
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code == 0, result.output
    wanted = expected_urls(path)
    store = Store(db_url)
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(text("SELECT url, canonical_url FROM articles")).all()
        stored = [url for url, _canonical in rows]
        canonical = [c for _url, c in rows]
        assert len(canonical) == len(set(canonical)), "an article was stored twice"
        # Two URLs of one article (a tracking parameter, a fragment) are stored as one.
        missing = {u for u in wanted if u not in stored and not _same_article(u, rows)}
        assert not missing, f"valid items not stored: {sorted(missing)[:3]}"
        assert store.count("quarantine") == 0, store.quarantined().to_dict("records")[:2]
        assert_coverage_equals_rebuild(store)
    finally:
        store.close()
    staging = config.parent / "data" / "staging"
    assert not list(staging.rglob("*.jsonl")), "a batch was left in staging"


def _same_article(url: str, rows: list[Any]) -> bool:
    base = url.split("#", 1)[0].split("?", 1)[0]
    return any(c.split("?", 1)[0].rstrip("/") == base.rstrip("/") for _u, c in rows)


# -- config.yaml ---------------------------------------------------------------------------------
# Every key of the configuration, as a path from the top.
CONFIG_KEYS: list[tuple[str, ...]] = [
    ("data_dir",),
    ("database",),
    ("text_retention_days",),
    ("topic",),
    ("tags",),
    ("tags", "ceasefire"),
    ("sources",),
    *[
        ("collect", k)
        for k in (
            "interval",
            "source_interval",
            "min_interval",
            "max_interval",
            "user_agent",
            "full_text",
            "concurrency_per_domain",
            "download_delay",
            "request_timeout",
            "max_body_bytes",
            "max_redirects",
            "crawl_time_limit",
            "allowed_networks",
        )
    ],
    ("processing", "story_window_days"),
    ("processing", "near_duplicate_threshold"),
    *[
        ("schedule", k)
        for k in (
            "timezone",
            "digest_time",
            "digest_grace",
            "stop_timeout",
            "health_interval",
            "failure_threshold",
            "silence_factor",
            "silence_min",
            "log_max_bytes",
            "log_backups",
        )
    ],
    *[("digest", k) for k in ("recipients", "outbox", "empty_day", "top_stories", "silent_after")],
    *[("spikes", k) for k in ("ratio", "sigma", "baseline_days", "min_count")],
    *[("email", k) for k in ("host", "port", "security", "sender", "timeout", "retry_delay")],
    ("collect",),
    ("schedule",),
    ("unknown_key",),
]
config_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(),
    st.sampled_from(
        ["30m", "0s", "99999999999999d", "1e300s", "367d", "nan", "inf", "-5m", "25:99", "UTC"]
    ),
    st.text(max_size=30),
)
config_value = st.recursive(
    config_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=5,
)


@st.composite
def config_files(draw: Any, data_dir: Path) -> bytes:
    """A config.yaml: the shipped one with a few keys set to arbitrary values, or its text
    with bytes changed."""
    raw = base_config(data_dir)
    raw["data_dir"] = str(data_dir / "data")
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(CONFIG_KEYS))
        node = raw
        for key in path[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[path[-1]] = draw(config_value)
    try:
        data = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False).encode("utf-8")
    except (yaml.YAMLError, UnicodeEncodeError):
        data = b"topic: x\n"
    if draw(st.integers(0, 4)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    return data


def check_config(runner: CliRunner, path: Path, db_url: str) -> None:
    """``status`` with the file: exit 0 or 2, never a traceback; a valid configuration also
    builds the daemon's jobs and their next run times."""
    result = runner.invoke(main, ["--config", str(path), "--db", db_url, "status"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        return
    import datetime as dt

    from borderwatch import daemon as scheduler
    from borderwatch.config import load_config

    config = load_config(path)
    now = dt.datetime.now(dt.UTC)
    for spec in scheduler.desired_jobs(config, db_url).values():
        spec.trigger.get_next_fire_time(None, now)
    assert math.isfinite(config.collect.download_delay)
