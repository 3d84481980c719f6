"""The batch matcher: queries over many documents at once, on hashed words instead of strings.

``pipeline.query.document`` evaluates a query on one document at a time, in Python. A chunk of
thousands of articles is evaluated here instead, with every step a numpy operation over all
documents:

- a word leaf is the set of positions where its hash occurs (``Tokens.positions``), a wildcard
  word the positions of words starting with its prefix (``Tokens.prefixes``), a phrase the
  positions of its first word followed by the others at the next positions of the same
  document;
- the documents containing a leaf are a boolean array; AND, OR and NOT combine such arrays;
- NEAR pairs the spans of both sides that lie within the distance in the same document;
- a field test (``source.country:PK``) compares a per-document array of values;
- ``opening:X`` evaluates X on the documents cut to their opening words (``opening_end``; for
  documents given without one, their first ``OPENING_WORDS`` words).

``BatchMatcher.evidence`` also says, per document, whether a query matches within its opening
words (a window of each document) and how many separate mentions its terms make: what
evidence-weighted tags are decided by.

Query words occur in a small part of the text, so the work after hashing follows the number of
matches, not the length of the documents. The results equal the one-document evaluator's; the
tests compare the two on random queries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from typing import Protocol

import numpy as np

from pipeline.query.document import OPENING_WORDS
from pipeline.query.syntax import And, Field, Leaf, Near, Node, Not, Opening, Or
from pipeline.tokens import Tokens, tokenize_many, word_hash


class Query(Protocol):
    """What the batch matcher needs of a query (pipeline.query.Query): its syntax tree."""

    root: Node


_NO_POSITIONS = np.zeros(0, dtype=np.int64)
#: Matches at most this many words after a mention's first word belong to that mention.
MENTION_GAP = 15


def query_prefixes(queries: Iterable[Query]) -> set[str]:
    """The wildcard prefixes of ``queries``: ``tokenize_many`` must be asked for them."""
    return {word for query in queries for word in _words_of(query.root)[1]}


# A tree's (exact words, prefixes), by the tree's id. Every chunk of an ingest asks about the
# same few trees, of thousands of nodes: walking them once per chunk costs more than the
# matching of a small chunk. Each entry keeps its tree, so an id is never reused while cached.
_WORDS_OF: dict[int, tuple[Node, frozenset[str], frozenset[str]]] = {}
_WORDS_OF_LIMIT = 256


def _words_of(root: Node) -> tuple[frozenset[str], frozenset[str]]:
    """The exact words and the wildcard prefixes of a query tree."""
    cached = _WORDS_OF.get(id(root))
    if cached is None or cached[0] is not root:
        parts = list(_parts(root))
        exact = frozenset(word for word, prefix in parts if not prefix)
        prefixes = frozenset(word for word, prefix in parts if prefix)
        if len(_WORDS_OF) >= _WORDS_OF_LIMIT:
            _WORDS_OF.clear()
        cached = _WORDS_OF[id(root)] = (root, exact, prefixes)
    return cached[1], cached[2]


def _parts(node: Node) -> Iterable[tuple[str, bool]]:
    if isinstance(node, Leaf):
        yield from node.parts
    elif isinstance(node, Field):
        return
    elif isinstance(node, (Not, Opening)):
        yield from _parts(node.child)
    elif isinstance(node, Near):
        yield from _parts(node.left)
        yield from _parts(node.right)
    else:
        for child in node.children:  # type: ignore[attr-defined]
            yield from _parts(child)


@lru_cache(maxsize=4096)
def _word_hash(word: str) -> int:
    return word_hash(word)


class _Documents:
    """The hashed words of the documents, with what the leaves of some queries need.

    ``fields``: per-document values of the fields queries test (``source.country``...), each
    a sequence as long as the documents; a field not given is unknown for every document.
    ``opening_end``: where each document's opening ends (a word position, as in
    ``tokens.offsets``); without it, after its first ``OPENING_WORDS`` words.
    """

    def __init__(
        self,
        tokens: Tokens,
        queries: Sequence[Query],
        fields: Mapping[str, Sequence[str | None] | np.ndarray] | None = None,
        opening_end: np.ndarray | None = None,
    ) -> None:
        self.tokens = tokens
        self.n = tokens.n_docs
        if opening_end is None:
            starts, ends = tokens.offsets[:-1], tokens.offsets[1:]
            opening_end = np.minimum(ends, starts + OPENING_WORDS)
        self.opening_end = np.asarray(opening_end, dtype=np.int64)
        self._opening: _Documents | None = None
        exact = set().union(*(_words_of(query.root)[0] for query in queries))
        hashes = {word: _word_hash(word) for word in exact}
        found = tokens.positions(hashes.values())
        self.exact: Mapping[str, np.ndarray] = {word: found[h] for word, h in hashes.items()}
        self.prefixes: Mapping[str, np.ndarray] = tokens.prefixes
        self.fields = _field_arrays(fields)
        self.spans_of: dict[tuple[tuple[str, bool], ...], tuple[np.ndarray, np.ndarray]] = {}

    def regrouped(
        self, offsets: np.ndarray, fields: Mapping[str, Sequence[str | None] | np.ndarray] | None
    ) -> _Documents:
        """The same words cut into other documents (``offsets`` as in ``tokens.offsets``),
        with their ``fields``: the words' positions are kept, not looked up again; openings
        are the documents' first ``OPENING_WORDS`` words."""
        regrouped = object.__new__(_Documents)
        regrouped.tokens = Tokens(self.tokens.hashes, offsets, self.tokens.prefixes)
        regrouped.n = len(offsets) - 1
        regrouped.opening_end = np.minimum(offsets[1:], offsets[:-1] + OPENING_WORDS)
        regrouped._opening = None
        regrouped.exact, regrouped.prefixes = self.exact, self.prefixes
        regrouped.fields = _field_arrays(fields)
        # Spans depend on where documents end (a phrase may not cross one): found afresh.
        regrouped.spans_of = {}
        return regrouped

    def view(self, keep: np.ndarray | None = None, limit: np.ndarray | None = None) -> _Documents:
        """The same documents with only some of their words: those of the documents where
        ``keep`` (a boolean array over documents) is true, and before ``limit`` (one word
        position per document, as in ``tokens.offsets``). Queries evaluated on it see only
        those words; each word's positions are cut when first asked for."""
        doc_of = self.tokens.doc_of

        def cut(positions: np.ndarray) -> np.ndarray:
            if not len(positions):
                return positions
            docs = doc_of[positions]
            wanted = np.ones(len(positions), dtype=bool)
            if keep is not None:
                wanted &= keep[docs]
            if limit is not None:
                wanted &= positions < limit[docs]
            return positions[wanted]

        narrowed = object.__new__(_Documents)
        narrowed.tokens, narrowed.n, narrowed.fields = self.tokens, self.n, self.fields
        narrowed.opening_end, narrowed._opening = self.opening_end, None
        narrowed.exact = _LazyCut(self.exact, cut)
        narrowed.prefixes = _LazyCut(self.prefixes, cut)
        narrowed.spans_of = {}
        return narrowed

    def opening(self) -> _Documents:
        """These documents with only the words of their openings (``opening:``)."""
        if self._opening is None:
            self._opening = self.view(limit=self.opening_end)
        return self._opening

    def positions(self, word: str, prefix: bool) -> np.ndarray:
        if not prefix:
            return self.exact[word]
        try:
            return self.prefixes[word]
        except KeyError:
            raise ValueError(f"the words were split without the prefix {word!r}*") from None

    def containing(self, positions: np.ndarray) -> np.ndarray:
        """Boolean array: the documents with a word at one of ``positions``."""
        found = np.zeros(self.n, dtype=bool)
        found[self.tokens.doc_of[positions]] = True
        return found

    def field(self, name: str, value: str) -> np.ndarray:
        """Boolean array: the documents whose field ``name`` is ``value``."""
        values = self.fields.get(name)
        if values is None:
            return np.zeros(self.n, dtype=bool)
        return values == value


def _field_arrays(
    fields: Mapping[str, Sequence[str | None] | np.ndarray] | None,
) -> dict[str, np.ndarray]:
    """Per-document field values as arrays that compare with ``==`` document by document."""
    return {name: np.asarray(values, dtype=object) for name, values in (fields or {}).items()}


class _LazyCut(Mapping[str, np.ndarray]):
    """Word (or prefix) -> positions of ``source``, each passed through ``cut`` when first
    asked for: most words of a view are never looked at."""

    def __init__(
        self, source: Mapping[str, np.ndarray], cut: Callable[[np.ndarray], np.ndarray]
    ) -> None:
        self.source, self.cut = source, cut
        self.done: dict[str, np.ndarray] = {}

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self.done:
            self.done[key] = self.cut(self.source[key])
        return self.done[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.source)

    def __len__(self) -> int:
        return len(self.source)


def _leaf_spans(leaf: Leaf, docs: _Documents) -> tuple[np.ndarray, np.ndarray]:
    """First and last word positions of every occurrence of a word or phrase, sorted."""
    key = tuple(leaf.parts)
    cached = docs.spans_of.get(key)
    if cached is not None:
        return cached
    (first_word, first_prefix), rest = leaf.parts[0], leaf.parts[1:]
    starts = docs.positions(first_word, first_prefix)
    if rest and len(starts):
        doc_of, offsets = docs.tokens.doc_of, docs.tokens.offsets
        # The phrase must end inside the document it starts in.
        starts = starts[starts + len(rest) < offsets[doc_of[starts] + 1]]
        for k, (word, prefix) in enumerate(rest, start=1):
            if not len(starts):
                break
            following = docs.positions(word, prefix)
            at = np.searchsorted(following, starts + k)
            at[at == len(following)] = 0
            starts = starts[following[at] == starts + k] if len(following) else starts[:0]
    spans = (starts, starts + len(rest))
    docs.spans_of[key] = spans
    return spans


def _spans(node: Node, docs: _Documents) -> tuple[np.ndarray, np.ndarray]:
    """Spans of a positional node (a leaf, an OR of positional nodes, or NEAR)."""
    if isinstance(node, Leaf):
        return _leaf_spans(node, docs)
    if isinstance(node, Or):
        parts = [part for part in map(_spans, node.children, repeat(docs)) if len(part[0])]
        if not parts:
            return _NO_POSITIONS, _NO_POSITIONS
        if len(parts) == 1:
            return parts[0]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    if isinstance(node, Near):
        return _near(node, docs)[1]
    raise TypeError(node)  # excluded by the parser


def _near(node: Near, docs: _Documents) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Documents where both sides occur within the distance, and the spans covering them.

    Positions are numbered across all documents, so every pair is found at once: each left
    span is paired with the right spans that start in its window (found by bisecting the
    sorted right starts, as ``near_spans`` does for one document), and pairs that cross a
    document boundary, overlap or lie too far apart are dropped.
    """
    found = np.zeros(docs.n, dtype=bool)
    left_starts, left_ends = _spans(node.left, docs)
    if not len(left_starts):
        return found, (_NO_POSITIONS, _NO_POSITIONS)
    right_starts, right_ends = _spans(node.right, docs)
    if not len(right_starts):
        return found, (_NO_POSITIONS, _NO_POSITIONS)
    order = np.argsort(right_starts, kind="stable")
    right_starts, right_ends = right_starts[order], right_ends[order]
    longest = int((right_ends - right_starts).max())
    distance = node.distance
    lo = np.searchsorted(right_starts, left_starts - distance - longest, side="left")
    hi = np.searchsorted(right_starts, left_ends + distance, side="right")
    counts = hi - lo
    if not counts.any():
        return found, (_NO_POSITIONS, _NO_POSITIONS)
    # Every (left, right) candidate pair: the left index repeated, the right index running
    # from its window's start.
    which_left = np.repeat(np.arange(len(left_starts)), counts)
    offsets = np.arange(len(which_left)) - np.repeat(np.cumsum(counts) - counts, counts)
    which_right = np.repeat(lo, counts) + offsets
    a_start, a_end = left_starts[which_left], left_ends[which_left]
    b_start, b_end = right_starts[which_right], right_ends[which_right]
    doc_of = docs.tokens.doc_of
    gap = np.where(a_end < b_start, b_start - a_end, a_start - b_end)
    keep = (gap > 0) & (gap <= distance) & (doc_of[a_start] == doc_of[b_start])
    if not keep.any():
        return found, (_NO_POSITIONS, _NO_POSITIONS)
    starts = np.minimum(a_start[keep], b_start[keep]).astype(np.int64)
    ends = np.maximum(a_end[keep], b_end[keep]).astype(np.int64)
    found[doc_of[starts]] = True
    return found, (starts, ends)


def _evaluate(node: Node, docs: _Documents) -> np.ndarray:
    """Boolean array: the documents matching ``node``."""
    if isinstance(node, Leaf):
        return docs.containing(_leaf_spans(node, docs)[0])
    if isinstance(node, And):
        result = _evaluate(node.children[0], docs)
        for child in node.children[1:]:
            # No document left: the other terms cannot bring one back (most clauses of a
            # large topic end here, on the first term that no document of the chunk has).
            if not result.any():
                break
            result &= _evaluate(child, docs)
        return result
    if isinstance(node, Or):
        # The words and phrases of an OR (a term list) mark their documents together, in one
        # step, instead of one boolean array per term.
        result = np.zeros(docs.n, dtype=bool)
        found: list[np.ndarray] = []
        for child in node.children:
            if isinstance(child, Leaf):
                starts = _leaf_spans(child, docs)[0]
                if len(starts):
                    found.append(starts)
            else:
                result |= _evaluate(child, docs)
        if found:
            result[docs.tokens.doc_of[np.concatenate(found)]] = True
        return result
    if isinstance(node, Not):
        return ~_evaluate(node.child, docs)
    if isinstance(node, Near):
        return _near(node, docs)[0]
    if isinstance(node, Field):
        return docs.field(node.name, node.value)
    if isinstance(node, Opening):
        return _evaluate(node.child, docs.opening())
    raise TypeError(node)


def _evidence(node: Node, docs: _Documents) -> np.ndarray:
    """Word positions where ``node``'s terms occur in documents that it matches: the start of
    every occurrence of its words and phrases, and of every pair that satisfies a NEAR (not
    its sides alone). Terms under NOT and field tests are no evidence. May repeat positions."""
    if isinstance(node, Leaf):
        return _leaf_spans(node, docs)[0]
    if isinstance(node, Near):
        return _near(node, docs)[1][0]
    if isinstance(node, (Not, Field)):
        return _NO_POSITIONS
    if isinstance(node, Opening):
        return _evidence(node.child, docs.opening())
    parts = [_evidence(child, docs) for child in node.children]  # type: ignore[attr-defined]
    positions = np.concatenate(parts) if parts else _NO_POSITIONS
    if isinstance(node, And):
        # An AND's terms count only where the whole group holds.
        positions = positions[_evaluate(node, docs)[docs.tokens.doc_of[positions]]]
    return positions


def tokens_for(texts: Sequence[str], queries: Iterable[Query]) -> Tokens:
    """The hashed words of normalized ``texts`` with the prefixes ``queries`` need."""
    return tokenize_many(texts, query_prefixes(queries))


class BatchMatcher:
    """Queries over the documents of ``tokens``, sharing the lookup of their words.

    ``queries``: every query that will be asked about (their words are looked up once, and
    ``tokens`` must have been made with their prefixes, see ``tokens_for``); a clause of one of
    them may be asked about too. ``fields``: per-document values of the fields they test.
    ``opening_end``: for each document, the word position (as in ``tokens.offsets``) where its
    opening ends, for ``opening:`` and ``evidence``; without it, after its first
    ``OPENING_WORDS`` words.
    """

    def __init__(
        self,
        tokens: Tokens,
        queries: Iterable[Query],
        fields: Mapping[str, Sequence[str | None] | np.ndarray] | None = None,
        opening_end: np.ndarray | None = None,
    ) -> None:
        self.tokens = tokens
        self._docs = _Documents(tokens, list(queries), fields, opening_end)
        self._only: np.ndarray | None = None

    def regrouped(
        self,
        offsets: np.ndarray,
        fields: Mapping[str, Sequence[str | None] | np.ndarray] | None = None,
    ) -> BatchMatcher:
        """A matcher over the same words cut into other documents (``offsets`` as in
        ``tokens.offsets``, e.g. each paragraph a document), with their ``fields``. The words'
        positions are shared, not looked up again; openings are the first
        ``OPENING_WORDS`` words."""
        if self._only is not None:
            raise ValueError("regroup the matcher of all documents, not a narrowed one")
        regrouped = object.__new__(BatchMatcher)
        regrouped._docs, regrouped._only = self._docs.regrouped(offsets, fields), None
        regrouped.tokens = regrouped._docs.tokens
        return regrouped

    def only(self, documents: np.ndarray) -> BatchMatcher:
        """A matcher that answers for ``documents`` (a boolean array) only: every other
        document matches nothing. Cheaper when few documents matter (tags of the relevant)."""
        narrowed = object.__new__(BatchMatcher)
        narrowed.tokens = self.tokens
        narrowed._only = np.asarray(documents, dtype=bool)
        narrowed._docs = self._docs.view(keep=narrowed._only)
        return narrowed

    def match(self, query: Query) -> np.ndarray:
        """Boolean array: the documents ``query`` matches."""
        found = _evaluate(query.root, self._docs)
        if self._only is not None:
            found &= self._only  # NOT of a word is true where no word is left
        return found

    def evidence(self, query: Query) -> Evidence:
        """Where ``query`` matched each document (see ``Evidence``)."""
        anywhere = self.match(query)
        in_opening = _evaluate(query.root, self._docs.opening()) & anywhere
        return Evidence(anywhere, in_opening, self._mentions(query, anywhere))

    def mentions(self, query: Query) -> np.ndarray:
        """``Evidence.mentions`` alone: the separate mentions of ``query``'s terms in each
        document it matches, 0 in the others."""
        return self._mentions(query, self.match(query))

    def _mentions(self, query: Query, anywhere: np.ndarray) -> np.ndarray:
        doc_of = self.tokens.doc_of
        positions = np.unique(_evidence(query.root, self._docs))
        positions = positions[anywhere[doc_of[positions]]]
        return _count_mentions(positions, doc_of[positions], self._docs.n)


def _count_mentions(positions: np.ndarray, docs: np.ndarray, n: int) -> np.ndarray:
    """Separate mentions per document, from the sorted word ``positions`` of matches and the
    document of each.

    Matches a few words apart are one mention ("Torkham and Chaman were closed"): a mention
    takes every match up to MENTION_GAP words after its first word, and the next match
    starts a new one. Counted from a mention's first word, not from its last match, so that
    more matches never mean fewer mentions (chained, a word found between two mentions would
    join them into one).
    """
    counts = np.zeros(n, dtype=np.int64)
    if not len(positions):
        return counts
    # Where the matches of each position's document end, and the match that starts the
    # mention after the one starting at each position.
    doc_end = np.searchsorted(docs, docs, side="right")
    following = np.minimum(np.searchsorted(positions, positions + MENTION_GAP, "right"), doc_end)
    # Walk all documents' mentions at once, one step per mention.
    current = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1]])
    while len(current):
        counts[docs[current]] += 1
        end = doc_end[current]
        current = following[current]
        current = current[current < end]
    return counts


def match_tokens(
    queries: Mapping[str, Query],
    tokens: Tokens,
    fields: Mapping[str, Sequence[str | None] | np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """For each query, a boolean array over the documents of ``tokens``.

    ``tokens`` must have been made with the prefixes of these queries (``tokens_for``).
    ``fields``: per-document values of the fields the queries test (``source.country``...).
    """
    matcher = BatchMatcher(tokens, queries.values(), fields)
    return {name: matcher.match(query) for name, query in queries.items()}


@dataclass(frozen=True)
class Evidence:
    """Where a query matched each document, as arrays over the documents.

    ``anywhere``: the query matches the whole document. ``opening``: it also matches the
    document cut to its opening words. ``mentions``: how many separate mentions the query's terms
    make (``_count_mentions``), counted in documents it matches (0 in the others).
    """

    anywhere: np.ndarray
    opening: np.ndarray
    mentions: np.ndarray

    def holds(self, min_mentions: int) -> np.ndarray:
        """A match in the opening words, or anywhere with at least ``min_mentions`` mentions."""
        return self.opening | (self.anywhere & (self.mentions >= min_mentions))
