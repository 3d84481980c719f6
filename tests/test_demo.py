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


def test_demo_never_touches_a_users_folder_or_database(tmp_path: Path) -> None:
    """A folder holding a config.yaml and a database that are not an earlier demo's is refused
    with one line; an earlier demo's folder is used again; $BORDERWATCH_DATABASE_URL and --db
    never lead the demo into a user's database."""
    import os

    user = tmp_path / "mine"
    user.mkdir()
    (user / "config.yaml").write_text("topic: 'my own topic'\n", encoding="utf-8")
    (user / "borderwatch.sqlite").write_bytes(b"my data")
    command = [sys.executable, "-m", "borderwatch", "demo", "--workdir"]
    refused = subprocess.run([*command, str(user)], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "not an earlier demo's" in refused.stderr
    assert (user / "config.yaml").read_text(encoding="utf-8") == "topic: 'my own topic'\n"
    assert (user / "borderwatch.sqlite").read_bytes() == b"my data"
    assert sorted(p.name for p in user.iterdir()) == ["borderwatch.sqlite", "config.yaml"]

    demo = tmp_path / "demo"
    theirs = tmp_path / "theirs.sqlite"
    env = {**os.environ, "BORDERWATCH_DATABASE_URL": f"sqlite:///{theirs}"}
    for _ in range(2):  # the second run reuses the first one's folder
        done = subprocess.run(
            [*command, str(demo)], capture_output=True, text=True, timeout=120, env=env
        )
        assert done.returncode == 0, done.stderr
    assert not theirs.exists()
    with sqlite3.connect(demo / "borderwatch.sqlite") as db:
        assert db.execute("SELECT count(*) FROM articles").fetchone()[0] >= 30


def test_the_demo_digest_has_stories_just_after_local_midnight(tmp_path: Path) -> None:
    """At 19:30 UTC it is 00:30 in Karachi: the digest covers the day that has the articles."""
    import datetime as dt
    import email

    from borderwatch.demo.walkthrough import run_demo

    now = dt.datetime(2025, 10, 27, 19, 30, tzinfo=dt.UTC)
    result = run_demo(tmp_path / "demo", now=now)
    eml = next(p for p in result.digest_files if p.suffix == ".eml")
    assert eml.name == "digest-2025-10-27.eml"
    message = email.message_from_bytes(eml.read_bytes())
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    body = text.get_payload(decode=True).decode("utf-8")
    assert "TOP STORIES" in body
    # Half a day or more of the sample site's articles, not the minutes after midnight.
    assert body.count("Why relevant:") >= 3
