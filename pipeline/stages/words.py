"""Stage: the words of every article, split and hashed once for the queries and the fingerprints.

An article's words are those of its normalized title, summary and text, in that order (the text
every query sees). ``ArticleWords`` keeps where each field's words are, so the story fingerprint
can take title + text (or title + summary) from the same hashes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.textnorm import matching_units
from pipeline.tokens import Tokens, tokenize_many, tokenize_units, word_counts

#: Raw characters normalized and hashed in one numpy pass by ``text_words``: bounds the memory
#: of the per-character arrays (about 60 bytes per character) whatever the size of the chunk.
PASS_CHARS = 1 << 19


@dataclass
class ArticleWords:
    """Hashed words of a frame's articles (row order), and each field's number of words."""

    tokens: Tokens
    title: np.ndarray
    summary: np.ndarray
    text: np.ndarray

    def ranges(self, max_words: int) -> tuple[np.ndarray, np.ndarray]:
        """Word positions of title + text (title + summary when there is no text), at most
        ``max_words`` per article: ``(positions, words per article)``."""
        start = self.tokens.offsets[:-1]
        has_text = self.text > 0
        body_start = np.where(has_text, start + self.title + self.summary, start + self.title)
        body = np.where(has_text, self.text, self.summary)
        first = np.minimum(self.title, max_words)
        second = np.minimum(body, max_words - first)
        # Two runs of consecutive positions per article (its title's, then its body's), laid
        # end to end: position = run start + index within the run.
        runs = np.empty(2 * len(start), dtype=np.int64)
        runs[0::2], runs[1::2] = start, body_start
        sizes = np.empty(2 * len(start), dtype=np.int64)
        sizes[0::2], sizes[1::2] = first, second
        out_start = np.zeros(len(sizes), dtype=np.int64)
        np.cumsum(sizes[:-1], out=out_start[1:])
        positions = np.arange(int(sizes.sum()), dtype=np.int64)
        positions += np.repeat(runs - out_start, sizes)
        return positions, first + second

    def opening_end(self, lede_words: int) -> np.ndarray:
        """Where each article's opening ends (a word position, as in ``tokens.offsets``): its
        title and lede, the lede being the summary when there is one (a feed's summary is the
        text's beginning or a teaser of it), else the beginning of the text; at most
        ``lede_words`` words of either."""
        start = self.tokens.offsets[:-1]
        lede = np.where(self.summary > 0, self.summary, self.text)
        return start + self.title + np.minimum(lede, lede_words)


def article_words(frame: pd.DataFrame, prefixes: Iterable[str] = ()) -> ArticleWords:
    """Split and hash ``norm_title``, ``norm_summary`` and ``norm_text`` of every article.

    ``prefixes``: wildcard prefixes (normalized) whose words the queries will ask for.
    """
    titles = frame["norm_title"].tolist()
    summaries = frame["norm_summary"].tolist()
    texts = frame["norm_text"].tolist()
    documents = [
        " ".join(part for part in parts if part)
        for parts in zip(titles, summaries, texts, strict=True)
    ]
    title, summary, text = word_counts(titles), word_counts(summaries), word_counts(texts)
    # The fields are joined by one space, so a document has their words and no others.
    return ArticleWords(
        tokens=tokenize_many(documents, prefixes, title + summary + text),
        title=title,
        summary=summary,
        text=text,
    )


def text_words(frame: pd.DataFrame, prefixes: Iterable[str] = ()) -> ArticleWords:
    """``article_words`` straight from the raw ``title``, ``summary`` and ``text`` columns.

    The same words and hashes as normalizing the columns (``relevance.add_normalized_text``)
    and splitting them, without making strings of the normalized text: a chunk's text is
    normalized and hashed in passes of about ``PASS_CHARS`` characters, each a few numpy
    operations over its code units.
    """
    fields = [
        value
        for triple in zip(
            frame["title"].tolist(), frame["summary"].tolist(), frame["text"].tolist(), strict=True
        )
        for value in triple
    ]
    tokens = tokenize_units(_normalized_passes(fields), prefixes)
    counts = np.diff(tokens.offsets)
    # Three texts per article: its words are those of its title, summary and text in a row.
    tokens.offsets = tokens.offsets[0::3].copy()
    return ArticleWords(tokens=tokens, title=counts[0::3], summary=counts[1::3], text=counts[2::3])


def _normalized_passes(fields: list[object]) -> Iterable[np.ndarray]:
    """The normalized code units of ``fields`` (title, summary, text of each article) in
    groups of whole articles of about ``PASS_CHARS`` characters."""
    begin = 0
    size = 0
    for i, value in enumerate(fields):
        if isinstance(value, str):
            size += len(value) + 1
        if i % 3 == 2 and size >= PASS_CHARS:
            yield matching_units(fields[begin : i + 1])
            begin, size = i + 1, 0
    if begin < len(fields):
        yield matching_units(fields[begin:])
