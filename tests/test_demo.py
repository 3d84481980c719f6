"""``borderwatch demo`` as a user runs it: a real process, offline, everything under --workdir."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path


def test_demo_runs_offline_and_leaves_coverage_and_a_digest(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    done = subprocess.run(
        [sys.executable, "-m", "borderwatch", "demo", "--workdir", str(workdir)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "Coverage by day" in done.stdout
    assert str(workdir / "borderwatch.sqlite") in done.stdout
    with sqlite3.connect(workdir / "borderwatch.sqlite") as db:
        tags = {r[0] for r in db.execute("SELECT DISTINCT tag FROM daily_coverage")}
        articles = db.execute("SELECT count(*) FROM articles").fetchone()[0]
        per_tag = dict(db.execute("SELECT tag, SUM(articles) FROM daily_coverage GROUP BY tag"))
        reasons = {r[0] for r in db.execute("SELECT relevance_reason FROM articles WHERE relevant")}
    assert "*" in tags
    assert len(tags - {"*"}) >= 2
    assert articles >= 30
    # The tags discriminate: none of the default ones is on (nearly) every relevant article,
    # as when one passing mention was enough, and together they average under two each.
    relevant = per_tag["*"]
    defaults = ("talks", "ceasefire", "security", "border", "trade", "refugees")
    assert all(per_tag.get(tag, 0) <= 0.7 * relevant for tag in defaults), per_tag
    assert sum(per_tag.get(tag, 0) for tag in defaults) < 2 * relevant
    # Every relevant article knows which clause of the topic made it count (the sample site's
    # articles name both sides).
    assert reasons == {"both-sides"}
    digests = sorted((workdir / "outbox").glob("digest-*"))
    assert {p.suffix for p in digests} >= {".eml", ".html"}
    html = next(p for p in digests if p.suffix == ".html").read_text(encoding="utf-8")
    assert "Top stories" in html
    # Everything the demo wrote is under --workdir.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]
