"""``report tags``: which tags appear together on the same relevant articles."""

from __future__ import annotations

from typing import Any

import pandas as pd

from borderwatch.reports import queries
from borderwatch.reports.report import Report
from borderwatch.reports.selection import Selection

COLUMNS = [
    "tag",
    "other_tag",
    "articles",
    "tag_articles",
    "other_articles",
    "pct_of_tag",
    "jaccard",
]


def co_occurrence(store: Any, selection: Selection) -> Report:
    """Pairs of tags on the same article: how often, and how strongly (Jaccard index).

    ``pct_of_tag`` is the part of ``tag``'s articles that also carry ``other_tag``. Each pair is
    listed once (``tag`` first in alphabetical order); with tags in the selection, every pair of
    those tags is listed from their side, so the rows show everything one tag goes with.
    """
    pairs = queries.article_tag_pairs(store, selection)
    per_tag = pairs.groupby("tag")["article_id"].nunique()
    both = pairs.merge(pairs, on="article_id", suffixes=("", "_other"))
    both = both[both["tag"] != both["tag_other"]]
    table = (
        both.groupby(["tag", "tag_other"])["article_id"].nunique().rename("articles").reset_index()
    ).rename(columns={"tag_other": "other_tag"})
    table["tag_articles"] = table["tag"].map(per_tag).astype(int)
    table["other_articles"] = table["other_tag"].map(per_tag).astype(int)
    table["pct_of_tag"] = (table["articles"] / table["tag_articles"] * 100).round(2)
    union = table["tag_articles"] + table["other_articles"] - table["articles"]
    table["jaccard"] = (table["articles"] / union).round(3)
    matrix = _matrix(table, per_tag)
    wanted = [t for t in selection.tags if t != "*"]
    keep = table["tag"].isin(wanted) if wanted else table["tag"] < table["other_tag"]
    table = table[keep]
    table = table.sort_values(["articles", "tag", "other_tag"], ascending=[False, True, True])
    extra = selection.describe()
    title = "Tags on the same articles" + (f" ({extra})" if extra else "")
    return Report("tags", title, table[COLUMNS].reset_index(drop=True), extra={"matrix": matrix})


def _matrix(table: pd.DataFrame, per_tag: pd.Series) -> pd.DataFrame:
    """Square tag × tag counts, with each tag's own article count on the diagonal."""
    names = sorted(per_tag.index)
    matrix = pd.DataFrame(0, index=names, columns=names, dtype=int)
    for row in table.itertuples():
        matrix.loc[row.tag, row.other_tag] = row.articles
    for name in names:
        matrix.loc[name, name] = int(per_tag[name])
    return matrix
