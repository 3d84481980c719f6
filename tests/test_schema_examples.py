"""The example queries of docs/schema.md, read from the page and run on a populated database."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from sqlalchemy import text

from borderwatch.reports.selection import Selection, resolve
from borderwatch.reports.sources import share_of_voice
from borderwatch.reports.trend import trend
from pipeline.store import Store
from tests.support import reports_data
from tests.support.config import REPO

PARAMS = {"tag": "ceasefire", "since": "2025-09-01", "until": "2025-10-26", "country": "AF"}


def example_queries() -> dict[str, str]:
    """Heading → SQL of every ```sql block under "## Example queries"."""
    page = (REPO / "docs" / "schema.md").read_text(encoding="utf-8")
    section = page.split("\n## Example queries\n", 1)[1]
    found = re.findall(r"^### (.+?)\n.*?```sql\n(.*?)```", section, flags=re.S | re.M)
    return {title.strip(): sql for title, sql in found}


def test_the_page_has_the_common_trend_questions() -> None:
    titles = list(example_queries())
    assert len(titles) >= 6
    for words in ("Weekly", "Pakistani and Afghan", "Share of voice", "Top stories", "Tags"):
        assert any(words in t for t in titles), words


@pytest.fixture
def populated(db_url: str):
    store = Store(db_url)
    history = reports_data.build(store)
    yield store, history
    store.close()


def _run(store: Store, sql: str) -> list[dict]:
    names = set(re.findall(r"(?<!:):([a-z_]+)", sql))
    return store.read_sql(text(sql), {k: PARAMS[k] for k in names}).to_dict("records")


@pytest.mark.parametrize("title", list(example_queries()))
def test_example_query_runs_and_returns_rows(populated, title: str) -> None:
    store, _ = populated
    rows = _run(store, example_queries()[title])
    assert rows, title


def test_weekly_example_agrees_with_the_trend_report(populated) -> None:
    store, _ = populated
    sql = next(q for t, q in example_queries().items() if t.startswith("Weekly coverage"))
    rows = _run(store, sql)
    report = trend(store, resolve(store, Selection(tags=("ceasefire",))), by="week").frame
    assert [str(r["week"])[:10] for r in rows] == [str(d) for d in report["start"]]
    assert [r["articles"] for r in rows] == report["articles"].tolist()
    assert [float(r["share_pct"]) for r in rows] == pytest.approx(
        report["share_pct"].tolist(), abs=0.01
    )


def test_share_of_voice_example_agrees_with_the_sources_report(populated) -> None:
    store, _ = populated
    sql = next(q for t, q in example_queries().items() if t.startswith("Share of voice"))
    rows = {r["source"]: r for r in _run(store, sql)}
    report = share_of_voice(store, resolve(store, Selection(tags=("ceasefire",)))).frame
    for row in report.itertuples():
        assert rows[row.source]["articles"] == row.articles
        assert float(rows[row.source]["share_of_voice_pct"]) == pytest.approx(
            row.share_of_voice_pct, abs=0.01
        )


def test_top_stories_example_counts_outlets(populated) -> None:
    store, history = populated
    sql = next(q for t, q in example_queries().items() if t.startswith("Top stories"))
    rows = _run(store, sql)
    outlets = Counter()
    for story in {a.story for a in history.relevant()}:
        outlets[story] = len({a.source for a in history.relevant() if a.story == story})
    assert rows[0]["outlets"] == max(outlets.values()) == 3
    assert rows[0]["title"].startswith("Ceasefire holds")
