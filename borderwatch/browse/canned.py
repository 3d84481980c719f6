"""Datasette metadata: titles, column descriptions and canned queries for the main reports.

The canned queries are SQLite SQL over the report views (pipeline/views.py). Their parameters
appear as form fields in Datasette; an empty ``since``/``until`` means "from the start"/"to the
end", ``tag`` ``*`` means every relevant article.
"""

from __future__ import annotations

from typing import Any

_RANGE = "(:since = '' OR day >= :since) AND (:until = '' OR day <= :until)"

QUERIES: dict[str, dict[str, str]] = {
    "weekly_trend": {
        "title": "Weekly trend of a tag: articles, stories and share of volume",
        "description": "Relevant articles per ISO week (starting Monday) divided by all "
        "articles collected in that week. Tag * is the whole topic.",
        "sql": f"""
WITH volume AS (
  SELECT week, SUM(articles) AS collected FROM volume_by_source WHERE {_RANGE} GROUP BY week
), coverage AS (
  SELECT week, SUM(articles) AS articles, SUM(stories) AS stories
  FROM coverage_by_source WHERE tag = :tag AND {_RANGE} GROUP BY week
)
SELECT volume.week, COALESCE(coverage.articles, 0) AS articles,
       COALESCE(coverage.stories, 0) AS stories, volume.collected,
       ROUND(100.0 * COALESCE(coverage.articles, 0) / volume.collected, 2) AS share_pct
FROM volume LEFT JOIN coverage ON coverage.week = volume.week
ORDER BY volume.week""",
    },
    "weekly_trend_by_country": {
        "title": "Weekly share of volume of a tag, by outlet country",
        "description": "How outlets of each country covered a tag week by week, normalized by "
        "what each country's outlets published in total.",
        "sql": f"""
WITH volume AS (
  SELECT week, country, SUM(articles) AS collected FROM volume_by_source
  WHERE {_RANGE} GROUP BY week, country
), coverage AS (
  SELECT week, country, SUM(articles) AS articles FROM coverage_by_source
  WHERE tag = :tag AND {_RANGE} GROUP BY week, country
)
SELECT volume.week, volume.country, COALESCE(coverage.articles, 0) AS articles,
       volume.collected,
       ROUND(100.0 * COALESCE(coverage.articles, 0) / volume.collected, 2) AS share_pct
FROM volume LEFT JOIN coverage
  ON coverage.week = volume.week AND coverage.country IS volume.country
ORDER BY volume.week, volume.country""",
    },
    "share_of_voice": {
        "title": "Share of voice by outlet",
        "description": "Each outlet's part of all relevant articles on a tag, and the part of "
        "its own output the tag took.",
        "sql": f"""
WITH volume AS (
  SELECT source, SUM(articles) AS collected FROM daily_volume WHERE {_RANGE} GROUP BY source
), coverage AS (
  SELECT source, SUM(articles) AS articles FROM daily_coverage
  WHERE tag = :tag AND {_RANGE} GROUP BY source
)
SELECT s.key AS source, s.name, s.country, s.language,
       COALESCE(coverage.articles, 0) AS articles, volume.collected,
       ROUND(100.0 * COALESCE(coverage.articles, 0)
             / NULLIF((SELECT SUM(articles) FROM coverage), 0), 2) AS share_of_voice_pct,
       ROUND(100.0 * COALESCE(coverage.articles, 0) / volume.collected, 2)
         AS share_of_volume_pct
FROM volume JOIN sources s ON s.key = volume.source
LEFT JOIN coverage ON coverage.source = volume.source
ORDER BY articles DESC, volume.collected DESC""",
    },
    "share_of_voice_by_country": {
        "title": "Share of voice by outlet country",
        "description": "Relevant articles on a tag by the country of the outlet.",
        "sql": f"""
SELECT COALESCE(country, 'unknown') AS country, COUNT(DISTINCT source) AS outlets,
       SUM(articles) AS articles,
       ROUND(100.0 * SUM(articles) / (SELECT SUM(articles) FROM daily_coverage
                                       WHERE tag = :tag AND {_RANGE}), 2) AS share_of_voice_pct
FROM coverage_by_source WHERE tag = :tag AND {_RANGE}
GROUP BY COALESCE(country, 'unknown') ORDER BY articles DESC""",
    },
    "top_stories": {
        "title": "Top stories by number of outlets",
        "description": "Relevant stories of a period, ranked by how many outlets carried them.",
        "sql": f"""
SELECT a.story_id, st.title, MIN(a.day) AS day, COUNT(DISTINCT a.source) AS outlets,
       COUNT(*) AS articles, COUNT(DISTINCT s.country) AS countries,
       GROUP_CONCAT(DISTINCT s.name) AS sources
FROM articles a JOIN stories st ON st.id = a.story_id JOIN sources s ON s.key = a.source
WHERE a.relevant AND {_RANGE.replace("day", "a.day")}
GROUP BY a.story_id, st.title
ORDER BY outlets DESC, articles DESC, a.story_id LIMIT 50""",
    },
    "tag_pairs": {
        "title": "Tags on the same articles",
        "description": "How often two tags were matched on the same relevant article.",
        "sql": f"""
SELECT t1.tag, t2.tag AS other_tag, COUNT(*) AS articles
FROM article_tags t1
JOIN article_tags t2 ON t2.article_id = t1.article_id AND t2.tag > t1.tag
JOIN articles a ON a.id = t1.article_id
WHERE a.relevant AND {_RANGE.replace("day", "a.day")}
GROUP BY t1.tag, t2.tag ORDER BY articles DESC, t1.tag, t2.tag""",
    },
}


def metadata(database: str) -> dict[str, Any]:
    """Datasette metadata for the database named ``database`` (the file name without suffix)."""
    return {
        "title": "borderwatch: coverage of the Afghanistan–Pakistan border talks",
        "description": "Tables and views are described in docs/schema.md. Canned queries "
        "below answer the main trend questions.",
        "databases": {
            database: {
                "queries": {
                    name: {**query, "sql": query["sql"].strip()} for name, query in QUERIES.items()
                },
                "tables": {
                    "daily_coverage": {
                        "description": "Relevant articles and stories per day, source and tag "
                        "(tag * = all relevant articles)."
                    },
                    "daily_volume": {
                        "description": "Every article collected per day and source: the "
                        "denominator of share of volume."
                    },
                    "coverage_by_source": {
                        "description": "daily_coverage with the outlet's name, country, "
                        "language and the day's ISO week (Monday) and month."
                    },
                    "volume_by_source": {
                        "description": "daily_volume with the outlet's name, country, "
                        "language, week and month."
                    },
                    **{
                        f"{period}ly_{kind}": {
                            "description": f"daily_{kind} summed per {period} (the {period}'s "
                            "first day): fast trends over long periods."
                        }
                        for period in ("week", "month")
                        for kind in ("coverage", "volume")
                    },
                },
            }
        },
    }
