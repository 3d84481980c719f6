"""Which documents may match a query, read from an index of their words: never fewer than match.

An ad-hoc query over every stored article (the explorer's query box) is answered by the query
language's own evaluator (``pipeline.query``), one document at a time. Most documents contain
none of a query's words, and looking them up in an inverted index (word -> the documents that
contain it) finds the few that might match. ``WordIndex.candidates`` turns a query's syntax tree
into such a set:

- a word: the documents containing it; a wildcard word: those containing a word that starts
  with it; a phrase: those containing every one of its words (in any order);
- AND and NEAR: the documents that are candidates of every side that narrows anything;
- OR: the union of its sides (all documents as soon as one side cannot be narrowed);
- NOT and field tests (``source.country:PK``): every document (a word's absence is no index).

Each rule keeps every document the evaluator could accept, so the candidates are a superset of
the matches and the evaluator, run on the candidates only, decides: the answer is exactly the
plain evaluator's. Only the cost changes.

The evaluator tests words as space-delimited substrings of the normalized text, and large
queries against the document's whitespace-split words; the index holds the words of both
splittings (they differ only for text with whitespace other than single spaces), so either
way a word the evaluator finds is a word the index knows.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from itertools import chain

import numpy as np
import pandas as pd

from pipeline.query.syntax import And, Field, Leaf, Near, Node, Not, Opening, Or

__all__ = ["WordIndex"]


class WordIndex:
    """The words of ``documents`` (normalized texts, as ``normalize_for_matching`` returns
    them), each with the positions of the documents that contain it."""

    def __init__(self, documents: Sequence[str]) -> None:
        self.n = len(documents)
        word_lists = [_words(text) for text in documents]
        lengths = np.fromiter(map(len, word_lists), dtype=np.int64, count=self.n)
        flat = list(chain.from_iterable(word_lists))
        codes, vocabulary = pd.factorize(pd.Series(flat, dtype=object), sort=True)
        self._words: list[str] = [str(word) for word in vocabulary]
        self._code = {word: code for code, word in enumerate(self._words)}
        documents_of = np.repeat(np.arange(self.n, dtype=np.int64), lengths)
        # One entry per (word, document) pair, ordered by word then document (sorted and
        # deduplicated by hand: np.unique's hashing is several times slower on these).
        pairs = np.sort(codes.astype(np.int64) * max(self.n, 1) + documents_of)
        if len(pairs):
            pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]
        self._documents = (pairs % max(self.n, 1)).astype(np.int32)
        self._starts = np.searchsorted(
            pairs // max(self.n, 1), np.arange(len(self._words) + 1, dtype=np.int64)
        )

    def __len__(self) -> int:
        return self.n

    def containing(self, word: str) -> np.ndarray:
        """Positions of the documents that contain ``word`` (sorted)."""
        code = self._code.get(word)
        if code is None:
            return self._documents[:0]
        return self._documents[self._starts[code] : self._starts[code + 1]]

    def starting_with(self, prefix: str) -> np.ndarray:
        """Positions of the documents with a word that starts with ``prefix`` (may repeat)."""
        # The vocabulary is sorted, so the words with the prefix are one run of it.
        first = bisect.bisect_left(self._words, prefix)
        last = first
        while last < len(self._words) and self._words[last].startswith(prefix):
            last += 1
        if first == last:
            return self._documents[:0]
        return self._documents[self._starts[first] : self._starts[last]]

    def candidates(self, node: Node) -> np.ndarray | None:
        """Boolean array over the documents: those ``node`` might match (every document it
        matches is among them). None when the index cannot narrow it (every document)."""
        if isinstance(node, Leaf):
            return self._leaf(node)
        if isinstance(node, (Not, Field)):
            return None
        if isinstance(node, Opening):
            return self.candidates(node.child)
        if isinstance(node, Near):
            return _all_of([self.candidates(node.left), self.candidates(node.right)])
        if isinstance(node, And):
            return _all_of([self.candidates(child) for child in node.children])
        if isinstance(node, Or):
            found = np.zeros(self.n, dtype=bool)
            for child in node.children:
                part = self.candidates(child)
                if part is None:
                    return None
                found |= part
            return found
        return None  # a node this module does not know: no narrowing, never a wrong answer

    def _leaf(self, leaf: Leaf) -> np.ndarray | None:
        found: np.ndarray | None = None
        for word, prefix in leaf.parts:
            if not word:
                return None  # an empty word is no index key
            having = np.zeros(self.n, dtype=bool)
            having[self.starting_with(word) if prefix else self.containing(word)] = True
            found = having if found is None else found & having
        return found


def _words(text: str) -> list[str]:
    """The words of one normalized text under both of the evaluator's splittings."""
    words = text.split()
    if " ".join(words) != text:
        words += [word for word in text.split(" ") if word]
    return words


def _all_of(parts: list[np.ndarray | None]) -> np.ndarray | None:
    known = [part for part in parts if part is not None]
    if not known:
        return None
    found = known[0].copy()
    for part in known[1:]:
        found &= part
    return found
