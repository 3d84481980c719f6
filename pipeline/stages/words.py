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

from pipeline.textnorm import matching_units, normalize_many, text_for_matching
from pipeline.tokens import Tokens, tokenize_many, tokenize_units, word_counts

#: Raw characters normalized and hashed in one numpy pass by ``text_words``: bounds the memory
#: of the per-character arrays (about 60 bytes per character) whatever the size of the chunk.
PASS_CHARS = 1 << 19


@dataclass
class ArticleWords:
    """Hashed words of a frame's articles (row order), and each field's number of words.

    ``paragraph_words``: the words of each paragraph of the texts (each line of a text, as
    extracted pages give paragraphs; an empty line has none), one article's after another,
    ``paragraphs`` of them per article; None when only the normalized text was at hand
    (``segments`` then takes each text as one paragraph).
    """

    tokens: Tokens
    title: np.ndarray
    summary: np.ndarray
    text: np.ndarray
    paragraph_words: np.ndarray | None = None
    paragraphs: np.ndarray | None = None

    def segments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The articles cut into segments that follow each other: each article's title and
        summary, then each paragraph of its text. Returns ``(offsets, article, is_paragraph)``:
        ``offsets`` as in ``tokens.offsets`` (one more than the segments), the article of each
        segment, and whether it is a paragraph of the text."""
        n = len(self.title)
        paragraph_words, paragraphs = self.paragraph_words, self.paragraphs
        if paragraph_words is None or paragraphs is None:
            paragraph_words, paragraphs = self.text, np.ones(n, dtype=np.int64)
        sizes = np.empty(n + len(paragraph_words), dtype=np.int64)
        # Each article's first segment (its title and summary), then its paragraphs.
        first = np.arange(n, dtype=np.int64) + np.cumsum(paragraphs) - paragraphs
        is_paragraph = np.ones(len(sizes), dtype=bool)
        is_paragraph[first] = False
        sizes[first] = self.title + self.summary
        sizes[is_paragraph] = paragraph_words
        article = np.repeat(np.arange(n, dtype=np.int64), paragraphs + 1)
        offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        return offsets, article, is_paragraph

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

    ``prefixes``: wildcard prefixes (normalized) whose words the queries will ask for. When
    the frame has the raw ``text`` too, its paragraphs are counted (``ArticleWords.segments``).
    """
    titles = frame["norm_title"].tolist()
    summaries = frame["norm_summary"].tolist()
    texts = frame["norm_text"].tolist()
    documents = [
        " ".join(part for part in parts if part)
        for parts in zip(titles, summaries, texts, strict=True)
    ]
    title, summary, text = word_counts(titles), word_counts(summaries), word_counts(texts)
    paragraph_words = paragraphs = None
    if "text" in frame.columns:
        split = [split_paragraphs(value) for value in frame["text"].tolist()]
        paragraphs = np.fromiter(map(len, split), dtype=np.int64, count=len(split))
        paragraph_words = word_counts(normalize_many(p for parts in split for p in parts))
        paragraph_words, paragraphs = _checked(paragraph_words, paragraphs, text)
    # The fields are joined by one space, so a document has their words and no others.
    return ArticleWords(
        tokens=tokenize_many(documents, prefixes, title + summary + text),
        title=title,
        summary=summary,
        text=text,
        paragraph_words=paragraph_words,
        paragraphs=paragraphs,
    )


def text_words(frame: pd.DataFrame, prefixes: Iterable[str] = ()) -> ArticleWords:
    """``article_words`` straight from the raw ``title``, ``summary`` and ``text`` columns.

    The same words and hashes as normalizing the columns (``relevance.add_normalized_text``)
    and splitting them, without making strings of the normalized text: a chunk's text is
    normalized and hashed in passes of about ``PASS_CHARS`` characters, each a few numpy
    operations over its code units. Each line of a text is split as a text of its own, so
    that the words of its paragraphs are counted on the way.
    """
    fields: list[str] = []
    paragraphs = np.empty(len(frame), dtype=np.int64)
    columns = (frame["title"].tolist(), frame["summary"].tolist(), frame["text"].tolist())
    for k, (title, summary, text) in enumerate(zip(*columns, strict=True)):
        body = text_for_matching(text, lines=True)
        fields.append(text_for_matching(title))
        fields.append(text_for_matching(summary))
        fields.append(body)
        paragraphs[k] = body.count("\x00") + 1  # the lines, separated by NUL
    pieces = paragraphs + 2
    tokens = tokenize_units(_normalized_passes(fields), prefixes)
    counts = np.diff(tokens.offsets)
    # An article's pieces are its title, its summary, then the lines of its text; its words
    # are theirs in a row.
    first = np.zeros(len(frame) + 1, dtype=np.int64)
    np.cumsum(pieces, out=first[1:])
    is_line = np.ones(len(counts), dtype=bool)
    is_line[first[:-1]] = False
    is_line[first[:-1] + 1] = False
    paragraph_words = counts[is_line]
    text = tokens.offsets[first[1:]] - tokens.offsets[first[:-1] + 2]
    tokens.offsets = tokens.offsets[first].copy()
    return ArticleWords(
        tokens=tokens,
        title=counts[first[:-1]],
        summary=counts[first[:-1] + 1],
        text=text,
        paragraph_words=paragraph_words,
        paragraphs=paragraphs,
    )


def split_paragraphs(text: object) -> list[str]:
    """The lines of a text (its paragraphs, as extracted pages give them), as ``text_words``
    splits them; one empty line for a missing text."""
    return text_for_matching(text).split("\n")


def _checked(
    paragraph_words: np.ndarray, paragraphs: np.ndarray, text: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The paragraphs' words, with those of a text whose paragraphs do not add up to its
    words (a character that normalizes across a line break) taken as one paragraph."""
    owner = np.repeat(np.arange(len(paragraphs)), paragraphs)
    totals = np.bincount(owner, weights=paragraph_words, minlength=len(paragraphs))
    wrong = totals.astype(np.int64) != text
    if not wrong.any():
        return paragraph_words, paragraphs
    keep = ~wrong[owner]
    fixed = np.where(wrong, 1, paragraphs)
    words = np.empty(int(fixed.sum()), dtype=np.int64)
    slot = np.repeat(np.arange(len(paragraphs)), fixed)
    words[~wrong[slot]] = paragraph_words[keep]
    words[wrong[slot]] = text[wrong]
    return words, fixed


def _normalized_passes(fields: list[str]) -> Iterable[np.ndarray]:
    """The normalized code units of ``fields`` (title, summary, text of each article, cleaned
    by ``text_for_matching``) in groups of whole articles of about ``PASS_CHARS``
    characters."""
    begin = 0
    size = 0
    for i, value in enumerate(fields):
        size += len(value) + 1
        if i % 3 == 2 and size >= PASS_CHARS:
            yield matching_units(fields[begin : i + 1], cleaned=True)
            begin, size = i + 1, 0
    if begin < len(fields):
        yield matching_units(fields[begin:], cleaned=True)
