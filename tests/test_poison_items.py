"""An item a database refuses never holds up the rest: NUL is removed where items enter, and an
item the database still refuses is set aside once, with its batch and line, in the quarantine."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

from borderwatch.cli import main
from pipeline.store import Store
from tests.support.config import base_config, write_config

MARK = "refused-by-the-database"


def _items(prefix: str, count: int) -> list[dict]:
    return [
        {
            "url": f"https://{prefix}.example.org/news/{n}",
            "title": f"Pakistan and Afghanistan resume ceasefire talks, report {n}",
            "summary": "Delegations met in Istanbul.",
            "published": "2025-10-26T08:00:00Z",
        }
        for n in range(count)
    ]


def _write(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


def _ingest(runner: CliRunner, config: Path, db_url: str, file: Path):
    return runner.invoke(main, ["--config", str(config), "--db", db_url, "ingest", str(file)])


def _staged(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "data" / "staging").rglob("*.jsonl"))


def test_nul_characters_are_removed_and_nothing_is_held_up(tmp_path: Path, db_url: str) -> None:
    """A NUL in a title, summary or text (valid JSON, seen in scraped pages) once made every
    PostgreSQL chunk fail and stay staged for ever; now it is dropped where items enter."""
    runner = CliRunner()
    config = write_config(tmp_path, base_config(tmp_path))
    items = _items("nul", 4)
    items[1]["title"] = "Torkham\u0000 reopens"
    items[2]["summary"] = "\u0000a summary\u0000"
    items[3]["text"] = "Full\u0000 text of the article."
    result = _ingest(runner, config, db_url, _write(tmp_path / "nul.jsonl", items))
    assert result.exit_code == 0, result.output
    assert "4 new articles" in result.stdout
    assert _staged(tmp_path) == []
    later = _ingest(runner, config, db_url, _write(tmp_path / "later.jsonl", _items("later", 2)))
    assert later.exit_code == 0, later.output
    assert "2 new articles" in later.stdout
    store = Store(db_url)
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT title, summary, text FROM articles")).all()
    store.close()
    assert len(rows) == 6
    assert not any("\x00" in (value or "") for row in rows for value in row)
    assert ("Torkham reopens",) in [(r[0],) for r in rows]


def _refuse_marked_titles(db_url: str) -> None:
    """Make the database itself refuse articles whose title holds MARK (a trigger), as a back
    end refuses a value it cannot store."""
    store = Store(db_url)
    with store.engine.begin() as conn:
        if store.dialect == "sqlite":
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_marked BEFORE INSERT ON articles "
                f"WHEN NEW.title LIKE '%{MARK}%' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse_marked() RETURNS trigger AS $$ BEGIN "
                f"IF strpos(NEW.title, '{MARK}') > 0 THEN "
                "RAISE EXCEPTION 'refused' USING ERRCODE = '22023'; END IF; RETURN NEW; END "
                "$$ LANGUAGE plpgsql"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_marked BEFORE INSERT ON articles "
                "FOR EACH ROW EXECUTE FUNCTION refuse_marked()"
            )
    store.close()


def _refusals(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "refused the item" in r.getMessage()]


def test_an_item_the_database_refuses_is_set_aside_and_the_rest_stored(
    tmp_path: Path, db_url: str, caplog
) -> None:
    runner = CliRunner()
    config = write_config(tmp_path, base_config(tmp_path))
    Store(db_url).close()
    _refuse_marked_titles(db_url)
    items = _items("poison", 9)
    items[4]["title"] = f"A title the database refuses: {MARK}"
    items[7]["title"] = f"Another one: {MARK}"
    result = _ingest(runner, config, db_url, _write(tmp_path / "poison.jsonl", items))
    assert result.exit_code == 0, result.output
    assert "7 new articles" in result.stdout
    assert "2 set aside" in result.stdout
    reports = _refusals(caplog)
    assert len(reports) == 2, reports
    assert "line 5:" in reports[0] and "line 8:" in reports[1]
    assert _staged(tmp_path) == []

    store = Store(db_url)
    with store.engine.connect() as conn:
        urls = {r[0] for r in conn.execute(text("SELECT url FROM articles"))}
    aside = store.quarantined()
    store.close()
    assert urls == {i["url"] for n, i in enumerate(items) if n not in (4, 7)}
    assert list(aside["line"]) == [5, 8]
    assert [json.loads(i)["url"] for i in aside["item"]] == [items[4]["url"], items[7]["url"]]

    status = runner.invoke(main, ["--config", str(config), "--db", db_url, "status"])
    assert "quarantine: 2 items" in status.stdout
    listed = runner.invoke(main, ["--config", str(config), "--db", db_url, "staging", "quarantine"])
    assert listed.exit_code == 0
    assert [line.split(": ")[1].split()[0] for line in listed.stdout.splitlines()] == [
        "refused"
    ] * 2
    as_items = runner.invoke(
        main, ["--config", str(config), "--db", db_url, "staging", "quarantine", "--items"]
    )
    assert [json.loads(line)["url"] for line in as_items.stdout.splitlines()] == [
        items[4]["url"],
        items[7]["url"],
    ]
    # Once saved (and mended elsewhere), the set-aside items can be forgotten.
    cleared = runner.invoke(
        main, ["--config", str(config), "--db", db_url, "staging", "quarantine", "--clear"]
    )
    assert cleared.exit_code == 0 and "2 items set aside forgotten" in cleared.stdout
    store = Store(db_url)
    assert store.quarantined().empty
    store.close()
    # Processing goes on, and a set-aside item is reported once, not at every run.
    caplog.clear()
    again = _ingest(runner, config, db_url, _write(tmp_path / "next.jsonl", _items("next", 3)))
    assert again.exit_code == 0
    assert "3 new articles" in again.stdout
    assert _refusals(caplog) == []
