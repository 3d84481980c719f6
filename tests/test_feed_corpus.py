"""parse_feed against the feedparser robustness corpus (2,249 real-world feed documents).

Every document must go through parse_feed without an exception. Each XML document opens with a
comment whose ``Expect:`` line states what feedparser should return; where it names an entry's
title, link or date, the corresponding item must carry it. Titles are plain text in our items,
so an expected value holding HTML is compared after tag stripping and entity decoding.

Entries without a usable http(s) URL yield no item by contract; most corpus documents are
minimal and have none, so their expectations are checked through the same parsing code with
such entries kept (``keep_without_url``), after checking that this mode gives parse_feed's
items plus the linkless ones, and nothing else.

The corpus lives beside the repository (``../shared/corpora/feedparser-tests``) or where
BORDERWATCH_FEED_CORPUS points. CI has it: a missing corpus is a failure, not a skip.
"""

from __future__ import annotations

import ast
import contextlib
import os
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from crawler.dates import to_utc_iso
from crawler.kinds.rss import FeedResult, _parse, html_to_text, parse_feed

NOW = datetime(2025, 1, 1, tzinfo=UTC)
# The corpus was written for a test server on this address; "docuri" expectations use it.
DOC_BASE = "http://127.0.0.1:8097/"
CHECKED_KEYS = {"title", "link", "published_parsed", "updated_parsed", "created_parsed"}

# Documented differences: expectations we deliberately do not meet, each with its reason.
EXCLUSIONS = {
    "wellformed/sanitize/entry_title_crazy.xml": (
        "feedparser's sanitizer keeps the text of a <script> whose end tag is split over lines "
        "('function executeMe() {...') and HTML comments; our plain text drops script bodies "
        "and comments, which is the point of plain text"
    ),
}


def corpus_dir() -> Path:
    configured = os.environ.get("BORDERWATCH_FEED_CORPUS")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "feedparser-tests"


@cache
def corpus_files() -> tuple[Path, ...]:
    root = corpus_dir()
    if not root.is_dir():
        pytest.fail(f"feed corpus not found at {root} (set BORDERWATCH_FEED_CORPUS)")
    files = tuple(sorted(path for path in root.rglob("*") if path.is_file()))
    if len(files) < 2000:
        pytest.fail(f"feed corpus at {root} has only {len(files)} files; expected about 2,249")
    return files


@dataclass(frozen=True)
class Check:
    index: int
    key: str
    expected: Any


@dataclass(frozen=True)
class Document:
    path: Path
    name: str
    body: bytes
    headers: dict[str, str]
    checks: tuple[Check, ...]


def _literal(node: ast.AST) -> Any:
    """Value of a constant expression: strings, numbers, tuples and '+' concatenations."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literal(node.left) + _literal(node.right)
    if isinstance(node, ast.Tuple):
        return tuple(_literal(element) for element in node.elts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_literal(node.operand)
    raise ValueError("not a literal")


def _entry_field(node: ast.AST) -> tuple[int, str] | None:
    """(index, key) for an ``entries[index]['key']`` expression with a key we check."""
    if not (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Subscript)
        and isinstance(node.value.value, ast.Name)
        and node.value.value.id == "entries"
    ):
        return None
    try:
        index, key = _literal(node.value.slice), _literal(node.slice)
    except ValueError:
        return None
    if isinstance(index, int) and key in CHECKED_KEYS:
        return index, key
    return None


def expectation_checks(expect: str) -> tuple[Check, ...]:
    """The ``entries[i]['title'|'link'|'*_parsed'] == literal`` clauses of an Expect line
    (chained comparisons included); the rest of the expression is not ours to check."""
    try:
        tree = ast.parse(expect.strip(), mode="eval")
    except SyntaxError:
        return ()
    checks: list[Check] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare) or not all(isinstance(o, ast.Eq) for o in node.ops):
            continue
        operands = [node.left, *node.comparators]
        fields = [_entry_field(operand) for operand in operands]
        literals = []
        for operand, field in zip(operands, fields, strict=True):
            if field is None:
                with contextlib.suppress(ValueError):
                    literals.append(_literal(operand))
        if len(literals) != 1 or not any(fields):
            continue
        checks.extend(Check(f[0], f[1], literals[0]) for f in fields if f)
    return tuple(checks)


def load(path: Path) -> Document:
    body = path.read_bytes()
    head = body[:4096].decode("utf-8", "replace")
    expect = re.search(r"^Expect:(.*)$", head, re.M)
    headers: dict[str, str] = {}
    for line in re.findall(r"^Header:\s*(.*)$", head, re.M):
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    name = path.relative_to(corpus_dir()).as_posix()
    checks = expectation_checks(expect.group(1)) if expect else ()
    return Document(path, name, body, headers, checks)


@cache
def documents() -> tuple[Document, ...]:
    return tuple(load(path) for path in corpus_files())


def run(document: Document, *, keep_without_url: bool = False) -> FeedResult:
    kwargs = {
        "url": DOC_BASE + document.name,
        "source": "corpus",
        "headers": document.headers,
        "kind": "rss",
        "now": NOW,
    }
    if keep_without_url:
        return _parse(document.body, keep_without_url=True, **kwargs)
    return parse_feed(document.body, **kwargs)


def _plain(value: str) -> str:
    return " ".join(value.split())


def failed_checks(document: Document, items: list[dict]) -> list[str]:
    failures = []
    for check in document.checks:
        if check.index >= len(items):
            failures.append(f"entries[{check.index}]: no item")
            continue
        item = items[check.index]
        expected = check.expected
        if check.key == "title":
            got = item["title"] or ""
            ok = got in (_plain(expected), html_to_text(expected))
        elif check.key == "link":
            got = item["url"]
            ok = got == expected
        else:
            field = "updated" if check.key == "updated_parsed" else "published"
            got = item[field]
            expected = to_utc_iso(tuple(expected), check=False)
            ok = got == expected
        if not ok:
            failures.append(f"entries[{check.index}][{check.key!r}]: {got!r} != {expected!r}")
    return failures


def test_corpus_layout():
    files = corpus_files()
    xml = [path for path in files if path.suffix == ".xml"]
    assert len(files) == 2249 and len(xml) == 2242
    assert set(EXCLUSIONS) <= {document.name for document in documents()}


def test_every_document_parses():
    started = time.perf_counter()
    not_feeds = 0
    for document in documents():
        result = run(document)
        assert isinstance(result, FeedResult), document.name
        # parse_feed never raises; this prefix means it caught an exception of its own.
        assert not (result.error or "").startswith("feed parsing failed"), (
            document.name,
            result.error,
        )
        assert result.entries == len(result.items) + result.dropped, document.name
        for item in result.items:
            assert item["url"].startswith(("http://", "https://")), document.name
            assert item["published_source"] == "feed"
            for key in ("published", "updated"):
                value = item[key]
                assert value is None or datetime.fromisoformat(value).tzinfo is not None
        not_feeds += not result.is_feed
    elapsed = time.perf_counter() - started
    # Compression samples, the LICENSE and a few non-feeds: nowhere near the whole corpus.
    assert not_feeds < 50
    assert elapsed < 30, f"corpus took {elapsed:.1f}s"


def test_keeping_linkless_entries_adds_only_those():
    for document in documents():
        if not document.checks:
            continue
        strict = run(document)
        kept = run(document, keep_without_url=True)
        assert kept.dropped == 0, document.name  # no entry broke the item builder
        assert kept.entries == len(kept.items), document.name
        assert [item for item in kept.items if item["url"]] == strict.items, document.name


def test_expectations():
    checkable = passed = 0
    failures: dict[str, list[str]] = {}
    excluded_but_passing = []
    for document in documents():
        if not document.checks:
            continue
        checkable += 1
        problems = failed_checks(document, run(document, keep_without_url=True).items)
        if document.name in EXCLUSIONS:
            if not problems:
                excluded_but_passing.append(document.name)
            continue
        if problems:
            failures[document.name] = problems
        else:
            passed += 1
    summary = (
        f"{checkable} documents with checkable title/link/date expectations: {passed} passed, "
        f"{len(EXCLUSIONS)} excluded as documented, {len(failures)} failed"
    )
    print(summary)
    assert checkable >= 100, summary
    assert not failures, f"{summary}\n" + "\n".join(f"{k}: {v}" for k, v in failures.items())
    assert not excluded_but_passing, f"stale exclusions: {excluded_but_passing}"
    assert passed == checkable - len(EXCLUSIONS)


def test_items_with_links_meet_expectations_through_parse_feed():
    # The documents whose checked entries do have URLs go through the public function itself.
    through_parse_feed = 0
    for document in documents():
        if not document.checks or document.name in EXCLUSIONS:
            continue
        kept = run(document, keep_without_url=True)
        if all(c.index < len(kept.items) and kept.items[c.index]["url"] for c in document.checks):
            result = run(document)
            assert not failed_checks(document, result.items), document.name
            through_parse_feed += 1
    assert through_parse_feed >= 20


@pytest.mark.parametrize(
    ("expect", "checks"),
    [
        ("not bozo and entries[0]['title'] == 'A'", (Check(0, "title", "A"),)),
        (
            "entries[0]['title'] == entries[1]['title'] == 'V'",
            (Check(0, "title", "V"), Check(1, "title", "V")),
        ),
        ("entries[0]['title'] == 'a -' + '- b'", (Check(0, "title", "a -- b"),)),
        (
            "not bozo and entries[0]['updated_parsed'] == (2003, 12, 31, 10, 14, 55, 2, 365, 0)",
            (Check(0, "updated_parsed", (2003, 12, 31, 10, 14, 55, 2, 365, 0)),),
        ),
        ("not bozo and entries[0]['summary'] == 'x'", ()),
        ("bozo and ord(entries[0]['title']) == 8230", ()),
        ("this is not python (", ()),
    ],
)
def test_expectation_parser(expect, checks):
    assert expectation_checks(expect) == checks
