"""The reference evaluator: one query on one normalized document, in plain Python.

Words and phrases are substring tests on the space-padded text, large OR groups use the
document's word set, and NEAR looks at word positions only for documents that contain both
sides. Field tests (`source.country:PK`) compare the document's `fields`; `opening:X` evaluates X
on the document cut to its first `opening_words` words. `pipeline.query.batch`
evaluates many documents at once with the same results; the tests compare the two on random
queries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TypeAlias

from pipeline.query.proximity import Spans, near_spans
from pipeline.query.syntax import And, Field, Leaf, Near, Node, Not, Opening, Or

__all__ = [
    "OPENING_WORDS",
    "WORD_SET_MIN",
    "Document",
    "Test",
    "compile_test",
    "count_exact_words",
]

#: The opening of a text whose title and lede are not known apart: its first words (the
#: default lede length, processing.lede_words).
OPENING_WORDS = 60


class Document:
    """One normalized document and word-level views of it, each computed at most once.

    ``fields``: what is known about the document besides its words, by field name
    (``source.country``, ``source.language``); a missing or None value matches nothing.
    ``opening_words``: how many of its first words are its opening (``opening:``).
    """

    __slots__ = (
        "padded",
        "fields",
        "opening_words",
        "_opening",
        "_words",
        "_heads",
        "_tokens",
        "_index",
    )

    def __init__(
        self,
        normalized: str,
        fields: Mapping[str, str | None] | None = None,
        opening_words: int = OPENING_WORDS,
    ) -> None:
        # Padding makes " word " a whole-word substring test even at the ends of the text.
        self.padded = f" {normalized} "
        self.fields = fields or {}
        self.opening_words = opening_words
        self._opening: Document | None = None
        self._words: set[str] | None = None
        self._heads: set[str] | None = None
        self._tokens: list[str] | None = None
        self._index: dict[str, list[int]] | None = None

    def words(self) -> set[str]:
        """The distinct words of the document."""
        if self._words is None:
            self._words = set(self.padded.split() if self._tokens is None else self._tokens)
        return self._words

    def heads(self) -> set[str]:
        """The first `_HEAD` characters of every word: a cheap filter for wildcard words."""
        if self._heads is None:
            self._heads = {word[:_HEAD] for word in self.words()}
        return self._heads

    def tokens(self) -> list[str]:
        if self._tokens is None:
            self._tokens = self.padded.split()
        return self._tokens

    def opening(self) -> Document:
        """The document cut to its opening words, with the same fields."""
        if self._opening is None:
            words = self.tokens()
            if len(words) <= self.opening_words:
                self._opening = self
            else:
                cut = " ".join(words[: self.opening_words])
                self._opening = Document(cut, self.fields, self.opening_words)
        return self._opening

    def index(self) -> dict[str, list[int]]:
        """Word -> its positions in the document."""
        if self._index is None:
            index: dict[str, list[int]] = {}
            for i, word in enumerate(self.tokens()):
                index.setdefault(word, []).append(i)
            self._index = index
        return self._index


Test: TypeAlias = Callable[["Document"], bool]
SpanFn: TypeAlias = Callable[["Document"], Spans]

# Queries with at least this many single words are evaluated against the document's word set
# (built once per document and shared by all queries, about 20 us for 300 words) instead of one
# substring scan of the text per word (about 1 us each).
WORD_SET_MIN = 6
# In word-set mode a wildcard word or phrase is only searched for in the text when the
# document has a word starting with the same `_HEAD` characters (and, for phrases, has all of
# the phrase's other words), which rejects most of them with set lookups.
_HEAD = 3


def count_exact_words(node: Node) -> int:
    """How many single words without wildcard the query has (word-set mode above a few)."""
    if isinstance(node, Leaf):
        return 1 if node.exact_word else 0
    if isinstance(node, Field):
        return 0
    if isinstance(node, (And, Or)):
        return sum(count_exact_words(c) for c in node.children)
    if isinstance(node, (Not, Opening)):
        return count_exact_words(node.child)
    if isinstance(node, Near):
        return count_exact_words(node.left) + count_exact_words(node.right)
    raise TypeError(node)


def _cost(node: Node) -> int:
    """Rough evaluation cost, used to test cheap operands of AND/OR first."""
    if isinstance(node, Field):
        return 0
    if isinstance(node, Leaf):
        return 1
    if isinstance(node, Not):
        return _cost(node.child)
    if isinstance(node, Opening):
        return 10 + _cost(node.child)
    if isinstance(node, Near):
        return 100 + _cost(node.left) + _cost(node.right)
    return sum(_cost(c) for c in node.children)  # type: ignore[attr-defined]


def _leaf_needle(leaf: Leaf) -> str | re.Pattern[str]:
    """A substring (or, for inner wildcards, a regex) to find `leaf` in padded text."""
    if any(prefix for _, prefix in leaf.parts[:-1]):
        body = " ".join(re.escape(w) + (r"[^ ]*" if p else "") for w, p in leaf.parts)
        return re.compile(" " + body + ("" if leaf.parts[-1][1] else " "))
    text = " ".join(w for w, _ in leaf.parts)
    return f" {text}" if leaf.parts[-1][1] else f" {text} "


class _Compiler:
    def __init__(self, use_word_set: bool) -> None:
        self.use_word_set = use_word_set

    def test(self, node: Node) -> Test:
        """Compile `node` into a function Doc -> bool."""
        if isinstance(node, Leaf):
            return self.leaf_test(node)
        if isinstance(node, Field):
            name, value = node.name, node.value
            return lambda doc: doc.fields.get(name) == value
        if isinstance(node, Or):
            return self.or_test(node)
        if isinstance(node, And):
            tests = [self.test(c) for c in sorted(node.children, key=_cost)]

            def all_of(doc: Document) -> bool:
                # Explicit loops in the evaluators: about twice as fast as all()/any() over a
                # generator, and they run for every document.
                for t in tests:  # noqa: SIM110
                    if not t(doc):
                        return False
                return True

            return all_of
        if isinstance(node, Not):
            inner = self.test(node.child)
            return lambda doc: not inner(doc)
        if isinstance(node, Opening):
            within = self.test(node.child)
            return lambda doc: within(doc.opening())
        if isinstance(node, Near):
            return self.near_test(node)
        raise TypeError(node)

    def leaf_test(self, leaf: Leaf) -> Test:
        word = leaf.exact_word
        if word is not None and self.use_word_set:
            return lambda doc: word in doc.words()
        return self.or_test(Or([leaf], leaf.pos))

    def or_test(self, node: Or) -> Test:
        leaves = [c for c in node.children if isinstance(c, Leaf)]
        others = tuple(
            self.test(c) for c in sorted(node.children, key=_cost) if not isinstance(c, Leaf)
        )
        words: frozenset[str] = frozenset()
        if self.use_word_set:
            words = frozenset(leaf.exact_word for leaf in leaves if leaf.exact_word)
            leaves = [leaf for leaf in leaves if not leaf.exact_word]
        needles = tuple(_leaf_needle(leaf) for leaf in leaves)
        if not self.use_word_set or not (words or needles):
            return _substring_test(needles, others)

        # Guards: words and heads that a document must have before the text is searched.
        guards = tuple(
            (
                frozenset(w for w, prefix in leaf.parts if not prefix),
                frozenset(w[:_HEAD] for w, prefix in leaf.parts if prefix and len(w) >= _HEAD),
                needle,
            )
            for leaf, needle in zip(leaves, needles, strict=True)
        )

        def any_of(doc: Document) -> bool:
            doc_words = doc.words()
            if words and not words.isdisjoint(doc_words):
                return True
            for required_words, required_heads, needle in guards:
                if required_words and not required_words <= doc_words:
                    continue
                if required_heads and not required_heads <= doc.heads():
                    continue
                if needle in doc.padded if isinstance(needle, str) else needle.search(doc.padded):
                    return True
            for test in others:  # noqa: SIM110
                if test(doc):
                    return True
            return False

        return any_of

    def near_test(self, node: Near) -> Test:
        # The presence tests are cheap; positions are computed only when both sides occur.
        left_present, right_present = self.test(node.left), self.test(node.right)
        left_spans, right_spans = self.spans(node.left), self.spans(node.right)
        distance = node.distance

        def near(doc: Document) -> bool:
            if not (left_present(doc) and right_present(doc)):
                return False
            return bool(near_spans(left_spans(doc), right_spans(doc), distance, first=True))

        return near

    def spans(self, node: Node) -> SpanFn:
        """Compile a positional node into Doc -> list of (first, last) word positions."""
        if isinstance(node, Leaf):
            return _leaf_spans(node)
        if isinstance(node, Or):
            parts = [self.spans(c) for c in node.children]
            return lambda doc: [span for part in parts for span in part(doc)]
        if isinstance(node, Near):
            left, right, distance = self.spans(node.left), self.spans(node.right), node.distance
            return lambda doc: near_spans(left(doc), right(doc), distance)
        raise TypeError(node)  # excluded by the parser


def _substring_test(needles: tuple[str | re.Pattern[str], ...], others: tuple[Test, ...]) -> Test:
    """OR of substring/regex needles and compiled sub-tests, without word sets."""
    substrings = tuple(n for n in needles if isinstance(n, str))
    patterns = tuple(n for n in needles if not isinstance(n, str))
    if len(substrings) == 1 and not patterns and not others:
        needle = substrings[0]
        return lambda doc: needle in doc.padded

    def any_of(doc: Document) -> bool:
        padded = doc.padded
        for needle in substrings:
            if needle in padded:
                return True
        for pattern in patterns:
            if pattern.search(padded):
                return True
        for test in others:  # noqa: SIM110
            if test(doc):
                return True
        return False

    return any_of


def _word_positions(word: str, prefix: bool) -> Callable[[Document], list[int]]:
    if not prefix:
        return lambda doc: doc.index().get(word, [])

    def positions(doc: Document) -> list[int]:
        found: list[int] = []
        for token, where in doc.index().items():
            if token.startswith(word):
                found.extend(where)
        return found

    return positions


def _leaf_spans(leaf: Leaf) -> SpanFn:
    first_word, first_prefix = leaf.parts[0]
    starts = _word_positions(first_word, first_prefix)
    rest = leaf.parts[1:]
    if not rest:
        return lambda doc: [(i, i) for i in starts(doc)]
    last = len(rest)

    def spans(doc: Document) -> Spans:
        found = []
        tokens = doc.tokens()
        for i in starts(doc):
            if i + last >= len(tokens):
                continue
            for k, (word, prefix) in enumerate(rest, start=1):
                token = tokens[i + k]
                if not (token.startswith(word) if prefix else token == word):
                    break
            else:
                found.append((i, i + last))
        return found

    return spans


def compile_test(root: Node, *, use_word_set: bool) -> Test:
    """Compile a syntax tree into a function Document -> bool.

    With ``use_word_set``, single words are looked up in the document's word set (built once and
    shared by every query); without, they are substring scans of the text.
    """
    return _Compiler(use_word_set).test(root)
