"""What each page's template needs besides its panels: charts, totals and the form's choices.

Every number here is read from the reports the page's panels hold (sums of their rows at most),
so what a page says is what its downloads contain.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from borderwatch.explorer import charts, figures
from borderwatch.explorer.pages import Page
from borderwatch.explorer.state import Explorer
from borderwatch.reports.report import Report


def context(explorer: Explorer, page: Page) -> dict[str, Any]:
    """Template variables of ``page`` beyond the page itself."""
    first, last = explorer.data_range()
    shared: dict[str, Any] = {"first_day": first, "last_day": last, "tags": explorer.tags}
    if page.status != 200 and page.name != "explore":
        return shared
    build = {"overview": _overview, "explore": _explore, "story": _story, "source": _source}
    return {**shared, **build[page.name](explorer, page)}


def _report(page: Page, name: str) -> Report | None:
    panel = page.panels.get(name)
    return None if panel is None else panel.report


def _totals(report: Report | None) -> dict[str, Any]:
    """Sums of a trend's first tag: articles, volume, share, spike periods."""
    if report is None or report.frame.empty:
        return {"articles": 0, "volume": 0, "share": 0.0, "spikes": [], "periods": 0}
    frame = report.frame
    rows = frame[frame["tag"] == frame["tag"].iloc[0]]
    articles, volume = int(rows["articles"].sum()), int(rows["volume"].sum())
    return {
        "articles": articles,
        "stories": int(rows["stories"].sum()),
        "volume": volume,
        "share": articles / volume * 100 if volume else 0.0,
        "spikes": [str(p) for p, s in zip(rows["period"], rows["spike"], strict=True) if s],
        "periods": len(rows),
    }


def _overview(explorer: Explorer, page: Page) -> dict[str, Any]:
    by = page.period.by if page.period else "day"
    attention = _report(page, "attention")
    out: dict[str, Any] = {"totals": _totals(attention)}
    if attention is not None and not attention.frame.empty:
        out["attention_chart"] = figures.attention(attention, by)
        out["share_chart"] = figures.share([("all relevant", attention)], by)
    tags = _report(page, "tags")
    out["tag_figures"] = figures.small_multiples(tags, by) if tags is not None else []
    return out


def _explore(explorer: Explorer, page: Page) -> dict[str, Any]:
    sources = explorer.source_table()
    out: dict[str, Any] = {
        "sources": sources.to_dict("records"),
        "countries": sorted({c for c in sources["country"].dropna()}),
        "languages": sorted({c for c in sources["language"].dropna()}),
        "wanted": page.context.get("wanted"),
    }
    error = page.query_error
    if error is not None:
        syntax = error.syntax
        out["query_excerpt"] = syntax.excerpt() if hasattr(syntax, "excerpt") else ""
        out["query_message"] = str(syntax)
    if page.status != 200:
        return out
    by = page.period.by if page.period else "day"
    attention = _report(page, "attention")
    topic = _report(page, "topic")
    out["totals"] = _totals(attention)
    out["topic_totals"] = _totals(topic) if topic is not None else None
    if attention is not None and not attention.frame.empty:
        tags = list(dict.fromkeys(attention.frame["tag"]))
        what = "matches" if topic is not None else "relevant articles"
        if len(tags) == 1:
            out["attention_chart"] = figures.attention(attention, by, what=what)
        else:
            out["tag_figures"] = figures.small_multiples(attention, by)
        compared = [("matches" if topic is not None else "all relevant", attention)]
        if topic is not None:
            compared.append(("whole topic", topic))
        out["share_chart"] = figures.share(compared, by)
    for name in ("outlets", "countries"):
        report = _report(page, name)
        if report is not None and not report.frame.empty:
            out[f"{name}_top"] = float(report.frame["share_of_voice_pct"].max())
    tags_report = _report(page, "tags")
    matrix = tags_report.extra.get("matrix") if tags_report is not None else None
    if matrix is not None and not matrix.empty:
        peak = float(matrix.to_numpy().max())
        out["matrix"] = {
            "names": list(matrix.columns),
            "rows": [
                (
                    name,
                    [
                        (int(v), charts.shade(float(v), peak), other == name)
                        for other, v in zip(matrix.columns, matrix.loc[name], strict=True)
                    ],
                )
                for name in matrix.index
            ],
        }
    return out


def _story(explorer: Explorer, page: Page) -> dict[str, Any]:
    report = _report(page, "articles")
    facts = report.extra.get("story", {}) if report is not None else {}
    frame = report.frame if report is not None else pd.DataFrame()
    relevant = frame[frame["relevant"]] if len(frame) else frame
    lead = None
    if len(frame):
        lead_id = facts.get("lead_article_id")
        rows = frame[frame["article_id"] == lead_id] if lead_id is not None else frame.head(0)
        lead = (rows if len(rows) else frame.head(1)).iloc[0].to_dict()
    return {
        "story": facts,
        "lead": lead,
        "outlets": int(frame["source"].nunique()) if len(frame) else 0,
        "relevant_count": len(relevant),
        "story_countries": sorted({c for c in frame.get("country", pd.Series()).dropna()}),
    }


def _source(explorer: Explorer, page: Page) -> dict[str, Any]:
    by = page.period.by if page.period else "day"
    trend = _report(page, "trend")
    health = _report(page, "health")
    out: dict[str, Any] = {
        "source": page.context.get("source", {}),
        "totals": _totals(trend),
        "health_row": (
            health.frame.iloc[0].to_dict() if health is not None and len(health.frame) else None
        ),
    }
    if trend is not None and not trend.frame.empty:
        out["attention_chart"] = figures.attention(trend, by, behind="volume")
        out["share_chart"] = figures.share([("share of its output", trend)], by)
    return out


__all__ = ["context"]
