"""Words straight from raw text: ``words.text_words`` equals normalizing the columns and then
splitting them (``add_normalized_text`` + ``article_words``), hashes, counts, prefixes and the
words of each paragraph."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from pipeline.stages import words
from pipeline.stages.relevance import add_normalized_text
from pipeline.stages.words import article_words, text_words
from pipeline.textnorm import matching_units, normalize_many

# Raw pieces that normalization changes: case, punctuation, joiners, Arabic-script variants,
# digits, characters outside the BMP, runs of spaces, control characters.
_PIECES = [
    "Torkham",
    "TORKHAM,",
    "cross-border",
    "  talks\t\n",
    "گفت‌وگو",
    "مذاكرات",
    "پاکستان",
    "۱۴۰۴",
    "straße",
    "😀",
    "𝒜stral",
    "د پولې",
    "...",
    "\x00",
    "Kabul's",
    "negotiated",
    "end.\r\n\r\nNew",  # a paragraph break as Windows writes it
]


def _value(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.1:
        return None
    if roll < 0.15:
        return " , "  # normalizes to nothing
    return " ".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 30)))


def _frame(seed: int, rows: int) -> pd.DataFrame:
    rng = random.Random(seed)
    columns = {
        name: pd.array([_value(rng) for _ in range(rows)], dtype="string")
        for name in ("title", "summary", "text")
    }
    return pd.DataFrame(columns)


@pytest.mark.parametrize("pass_chars", [words.PASS_CHARS, 50])
def test_text_words_equal_normalizing_then_splitting(monkeypatch, pass_chars) -> None:
    # A small pass size puts the articles into many passes.
    monkeypatch.setattr(words, "PASS_CHARS", pass_chars)
    frame = _frame(3, 400)
    prefixes = {"negotiat", "پاک", "cross", "torkh", "zz", "t"}
    expected = article_words(add_normalized_text(frame), prefixes)
    found = text_words(frame, prefixes)
    assert found.tokens.hashes.tolist() == expected.tokens.hashes.tolist()
    assert found.tokens.offsets.tolist() == expected.tokens.offsets.tolist()
    for field in ("title", "summary", "text"):
        assert getattr(found, field).tolist() == getattr(expected, field).tolist()
    assert set(found.tokens.prefixes) == set(expected.tokens.prefixes) == prefixes
    for prefix, positions in expected.tokens.prefixes.items():
        assert found.tokens.prefixes[prefix].tolist() == positions.tolist()
    assert len(expected.tokens.prefixes["cross"]) > 0
    # Each line of a text is a paragraph; both ways count the same words in each.
    assert found.paragraphs.tolist() == expected.paragraphs.tolist()
    assert found.paragraph_words.tolist() == expected.paragraph_words.tolist()
    assert max(found.paragraphs) > 3
    offsets, article, is_paragraph = found.segments()
    assert offsets[-1] == len(found.tokens.hashes)
    # The segments cut the articles: each article's first segment starts where it does.
    assert offsets[:-1][~is_paragraph].tolist() == found.tokens.offsets[:-1].tolist()
    assert np.diff(offsets)[is_paragraph].tolist() == found.paragraph_words.tolist()
    assert article.tolist() == sorted(article.tolist())


def test_text_words_of_no_articles_and_of_empty_ones() -> None:
    empty = text_words(_frame(1, 0))
    assert len(empty.tokens.hashes) == 0 and empty.tokens.offsets.tolist() == [0]
    blank = pd.DataFrame({name: pd.array([None, "", " ; "], dtype="string") for name in "abc"})
    blank.columns = ["title", "summary", "text"]
    found = text_words(blank)
    assert found.tokens.offsets.tolist() == [0, 0, 0, 0]
    assert found.text.tolist() == [0, 0, 0]
    assert found.paragraphs.tolist() == [1, 1, 1]


def test_the_words_of_each_paragraph() -> None:
    frame = pd.DataFrame(
        {
            "title": ["Torkham talks", "No text"],
            "summary": ["A lede", None],
            "text": ["First line here\n\nSecond, shorter\r\nthird", None],
        }
    )
    found = text_words(frame)
    assert found.paragraphs.tolist() == [4, 1]
    assert found.paragraph_words.tolist() == [3, 0, 2, 1, 0]
    assert found.text.tolist() == [6, 0]
    offsets, article, is_paragraph = found.segments()
    # Title and summary (4 words), then the paragraphs; the second article has 2 title words.
    assert offsets.tolist() == [0, 4, 7, 7, 9, 10, 12, 12]
    assert article.tolist() == [0, 0, 0, 0, 0, 1, 1]
    assert is_paragraph.tolist() == [False, True, True, True, True, False, True]


def test_matching_units_hold_the_normalized_words() -> None:
    texts = ["  Cross-Border  TALKS ", None, "گفت‌وگو ۱۴۰۴ 😀"]
    units = matching_units(texts)
    decoded = units.tobytes().decode("utf-16-le").split("\x00")
    assert [" ".join(part.split()) for part in decoded] == normalize_many(texts)
    assert units.dtype == np.uint16


def test_paragraphs_that_do_not_add_up_to_their_text_are_one_paragraph() -> None:
    """A safety net of ``article_words``: should a text's lines ever normalize to other words
    than the text does, that text is taken as one paragraph, and the others keep theirs."""
    paragraph_words = np.array([2, 3, 1, 4, 0])
    paragraphs = np.array([2, 1, 2])
    words_of_text = np.array([6, 1, 4])  # the first text's two lines have 5 words, not 6
    fixed, counts = words._checked(paragraph_words, paragraphs, words_of_text)
    assert counts.tolist() == [1, 1, 2]
    assert fixed.tolist() == [6, 1, 4, 0]
    unchanged = words._checked(paragraph_words, paragraphs, np.array([5, 1, 4]))
    assert unchanged[0] is paragraph_words and unchanged[1] is paragraphs
