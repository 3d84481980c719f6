"""Stage: relevance by the topic query, why each article counted, and evidence-weighted tags.

Queries match the title, summary and text together, normalized once per article, and may test
what is known about the article's source (``source.country``, ``source.language``; see
``stages.attribution``). An article is relevant when one of the topic's clauses matches; the name
of the first that does is stored as ``relevance_reason``.

Only relevant articles are tagged, and a tag needs evidence where it matters: its query must
match the article and also match within its opening (the title and the lede: the summary, else
the beginning of the text, at most ``lede_words`` words; ``ArticleWords.opening_end``), or its
terms must make at least ``mentions`` separate mentions in the whole article (a mention takes
the matches up to ``MENTION_GAP`` words after its first word; ``BatchMatcher.evidence``), or the
query must match one paragraph of the text on its own with at least ``paragraph_mentions``
separate mentions there: a paragraph about the subject. A single passing remark deep in a long
text is no reason to count an article under a tag.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from pipeline.query import BatchMatcher, Evidence, Query, query_prefixes
from pipeline.stages.words import ArticleWords, article_words
from pipeline.textnorm import normalize_many

NORMALIZED_COLUMNS = {"title": "norm_title", "summary": "norm_summary", "text": "norm_text"}
#: The frame columns that hold what queries can know about an article's source.
FIELD_COLUMNS = {"source.country": "source_country", "source.language": "source_language"}


def add_normalized_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``norm_title``, ``norm_summary`` and ``norm_text``: each field normalized once.

    Both the queries and the story fingerprints read these, so no text is normalized twice.
    """
    frame = frame.copy()
    for column, target in NORMALIZED_COLUMNS.items():
        frame[target] = normalize_many(frame[column].tolist())
    return frame


def field_values(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per-article values of the query fields, from the columns the sources stage added."""
    return {
        name: frame[column].to_numpy(dtype=object)
        for name, column in FIELD_COLUMNS.items()
        if column in frame.columns
    }


def apply_queries(
    frame: pd.DataFrame,
    topic: Query,
    tags: Mapping[str, Query],
    words: ArticleWords | None = None,
    *,
    lede_words: int,
    tag_mentions: Mapping[str, int],
    paragraph_mentions: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Add ``relevant`` (bool), ``relevance_reason`` (the name of the topic's first clause that
    matched, None when not relevant) and ``tags`` (a list of tag names, empty when not
    relevant).

    ``words``: the articles' hashed words (``words.article_words`` with ``query_prefixes`` of
    these queries), when the caller has them already. ``lede_words``: the words of the lede
    in an article's opening. ``tag_mentions``: for every tag, the separate mentions that count
    without a match in the opening; ``paragraph_mentions``: for every tag, those that count
    within one paragraph that the tag's query matches (0 or none: a paragraph is not enough)
    (config.yaml ``processing`` and ``tags``).
    """
    frame = frame.copy()
    if frame.empty:
        frame["relevant"] = pd.Series(dtype=bool)
        frame["relevance_reason"] = pd.Series(dtype=object)
        frame["tags"] = pd.Series(dtype=object)
        return frame
    if "relevant" in tags:
        raise ValueError('a tag cannot be named "relevant"')
    matcher, paragraphs = _matchers(
        frame, [topic, *tags.values()], words, lede_words, paragraph_mentions
    )
    relevant, reasons = _first_clause(matcher, topic, len(frame))
    frame["relevant"] = relevant
    frame["relevance_reason"] = pd.Series(reasons, dtype=object, index=frame.index)
    frame["tags"] = _tags(matcher, tags, relevant, tag_mentions, paragraphs)
    return frame


def tag_articles(
    frame: pd.DataFrame,
    tags: Mapping[str, Query],
    words: ArticleWords | None = None,
    *,
    lede_words: int,
    tag_mentions: Mapping[str, int],
    paragraph_mentions: Mapping[str, int] | None = None,
) -> list[list[str]]:
    """The tags of every article as if all were relevant (what ``apply_queries`` gives the
    relevant ones): for judging tags apart from relevance."""
    if frame.empty:
        return []
    matcher, paragraphs = _matchers(
        frame, list(tags.values()), words, lede_words, paragraph_mentions
    )
    return _tags(matcher, tags, np.ones(len(frame), dtype=bool), tag_mentions, paragraphs)


def _matchers(
    frame: pd.DataFrame,
    queries: list[Query],
    words: ArticleWords | None,
    lede_words: int,
    paragraph_mentions: Mapping[str, int] | None,
) -> tuple[BatchMatcher, Paragraphs]:
    """The queries over the articles (their words split here unless given), and over the
    paragraphs of their texts."""
    if words is None:
        words = article_words(frame, query_prefixes(queries))
    matcher = BatchMatcher(
        words.tokens, queries, field_values(frame), opening_end=words.opening_end(lede_words)
    )
    return matcher, Paragraphs(frame, matcher, words, paragraph_mentions or {})


class Paragraphs:
    """The tag queries over the paragraphs of the texts, each paragraph a document of its own
    (the same hashed words, cut finer: ``ArticleWords.segments``)."""

    def __init__(
        self,
        frame: pd.DataFrame,
        matcher: BatchMatcher,
        words: ArticleWords,
        needed: Mapping[str, int],
    ) -> None:
        #: The mentions in one paragraph that count, per tag (0: a paragraph is not enough).
        self.needed = {name: count for name, count in needed.items() if count}
        if not self.needed:
            return
        offsets, self.article, self.is_paragraph = words.segments()
        fields = {name: values[self.article] for name, values in field_values(frame).items()}
        self.matcher = matcher.regrouped(offsets, fields)
        self.n = len(frame)

    def most_mentions(self, query: Query, articles: np.ndarray) -> np.ndarray:
        """For each article, the most separate mentions of ``query`` in one paragraph that the
        query matches on its own (0 where none does); only ``articles`` (a boolean array) are
        looked at."""
        most = np.zeros(self.n, dtype=np.int64)
        if articles.any():
            among = self.matcher.only(articles[self.article] & self.is_paragraph)
            np.maximum.at(most, self.article, among.mentions(query))
        return most

    def holds(
        self, name: str, query: Query, evidence: Evidence, mentions: int, articles: np.ndarray
    ) -> np.ndarray:
        """Where the tag ``name`` (``query``) has the evidence it needs (module docstring):
        ``evidence.holds(mentions)``, or, among ``articles``, a paragraph about it."""
        held = evidence.holds(mentions)
        needed = self.needed.get(name)
        if needed:
            # The article as a whole must match too: a NOT that excludes it still does.
            about = self.most_mentions(query, articles & ~held) >= needed
            held |= evidence.anywhere & about
        return held


def _tags(
    matcher: BatchMatcher,
    tags: Mapping[str, Query],
    relevant: np.ndarray,
    mentions: Mapping[str, int],
    paragraphs: Paragraphs,
) -> list[list[str]]:
    """Tag names per article: only relevant ones, and only on evidence (module docstring)."""
    names = list(tags)
    if not names:
        return [[] for _ in range(len(relevant))]
    # Only relevant articles are tagged: the others' words need not be looked at.
    among = matcher.only(relevant)
    matrix = np.column_stack(
        [
            paragraphs.holds(name, tags[name], among.evidence(tags[name]), mentions[name], relevant)
            for name in names
        ]
    )
    return [[n for n, hit in zip(names, row, strict=True) if hit] for row in matrix]


def _first_clause(matcher: BatchMatcher, topic: Query, n: int) -> tuple[np.ndarray, list]:
    """Which articles the topic matches, and the name of its first clause that matches each.

    The topic is the OR of its clauses, so evaluating the clauses alone decides relevance.
    """
    relevant = np.zeros(n, dtype=bool)
    reasons: list[str | None] = [None] * n
    for name, clause in topic.named_clauses():
        found = matcher.match(clause) & ~relevant
        for i in np.flatnonzero(found).tolist():
            reasons[i] = name
        relevant |= found
    return relevant, reasons
