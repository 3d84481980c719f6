"""Reading staged batches: blank lines are skipped, counting may stop early."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from borderwatch.ingest import _read_items
from crawler.staging import StagingArea

LINES = [
    '{"url": "https://a.org/1"}\n',
    "\n",
    "   \n",
    '  {"url": "https://a.org/2", "title": "x"}  \n',
    "\t\r\n",
    "\u00a0\u2003\n",  # Unicode spaces: blank as text, not as ASCII bytes
    '{"url": "https://a.org/3"}',  # no final newline
]


@pytest.fixture
def staging(tmp_path: Path) -> StagingArea:
    area = StagingArea(tmp_path)
    for name in ("20250101T000000000000-a", "20250102T000000000000-b"):
        (tmp_path / f"{name}.jsonl").write_text("".join(LINES), encoding="utf-8")
    return area


def test_read_skips_blank_lines(staging: StagingArea) -> None:
    for path in staging.batches():
        with path.open(encoding="utf-8") as handle:
            expected = [json.loads(line) for line in handle if line.strip()]
        items, _lines, problems = _read_items(path, 0, path.stat().st_size, 1)
        assert (items, problems) == (expected, [])
        assert len(expected) == 3


def test_pending_items_counts_and_stops_at_the_limit(staging: StagingArea) -> None:
    expected = 0
    for path in staging.batches():
        with path.open("rb") as handle:
            expected += sum(1 for line in handle if line.strip())
    assert expected == 8
    assert staging.pending_items() == expected
    for limit in range(1, expected + 3):
        assert staging.pending_items(limit=limit) == min(limit, expected)
