"""The words of many normalized documents as flat numpy arrays, with stable 64-bit hashes.

Relevance queries and story fingerprints both look at every word of every article of a chunk.
``tokenize_many`` splits all documents at once (normalized text: words separated by single
spaces, see ``pipeline.textnorm``) and hashes every word in numpy, with no Python object per
word:

- The documents are encoded as UTF-16 code units ``u_0 u_1 ...``. The prefix sums
  ``C_j = sum(u_i * P**i for i < j) mod 2**64`` give the polynomial hash of any span ``[s, e)``
  as ``(C_e - C_s) * P**-s``: ``P`` is odd, so it has an inverse modulo ``2**64``, and numpy's
  unsigned arithmetic wraps exactly modulo ``2**64``.
- A word's hash is its span hash mixed with its length by splitmix64's finalizer: equal words
  have equal hashes wherever they occur. A wildcard prefix of ``L`` code units is compared with
  the span hash of the first ``L`` code units of each word that long (``prefix_positions``).

Different words get equal hashes with a probability of about ``2**-64`` per pair, far below
anything that could change a relevance verdict or a story. The hashes are stable across
processes and machines, because story signatures built from them are stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from pipeline.membership import find_members, sorted_unique

_P = 0x100000001B3  # FNV-1a's 64-bit prime: odd, so invertible modulo 2**64
_P_INVERSE = pow(_P, -1, 1 << 64)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_SPACE = 0x20
# Code units hashed in one numpy pass: bounds the memory of the power and prefix-sum arrays
# (about 40 bytes per code unit) whatever the size of the chunk.
_PASS_UNITS = 1 << 19


def mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: a fast, well-spread 64-bit bijection (uint64 in, uint64 out)."""
    with np.errstate(over="ignore"):
        # In place after the first step: the same values with half the temporary arrays.
        z = values ^ (values >> np.uint64(30))
        z *= _M1
        z ^= z >> np.uint64(27)
        z *= _M2
        z ^= z >> np.uint64(31)
        return z


def _units(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-16-le"), dtype=np.uint16)


def span_hash(text: str) -> int:
    """The raw polynomial hash of a string's code units (what a word prefix is compared by)."""
    value = 0
    power = 1
    for unit in _units(text).tolist():
        value = (value + unit * power) & 0xFFFFFFFFFFFFFFFF
        power = (power * _P) & 0xFFFFFFFFFFFFFFFF
    return value


def word_hash(word: str) -> int:
    """The hash ``tokenize_many`` gives ``word`` wherever it occurs."""
    raw = np.array([span_hash(word)], dtype=np.uint64)
    with np.errstate(over="ignore"):
        return int(mix(raw + np.uint64(len(_units(word))) * _GOLDEN)[0])


@dataclass
class Tokens:
    """The words of ``n`` documents, one document after another.

    ``hashes``: one uint64 per word. ``offsets``: ``n + 1`` int64 values; the words of document
    ``d`` are ``offsets[d]`` to ``offsets[d + 1] - 1``. ``prefixes``: for each wildcard prefix
    asked for, the sorted positions of the words that start with it.
    """

    hashes: np.ndarray
    offsets: np.ndarray
    prefixes: dict[str, np.ndarray] = field(default_factory=dict)
    _doc_of: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_docs(self) -> int:
        return len(self.offsets) - 1

    @property
    def counts(self) -> np.ndarray:
        """Words per document."""
        return np.diff(self.offsets)

    @property
    def doc_of(self) -> np.ndarray:
        """The document of every word."""
        if self._doc_of is None:
            self._doc_of = np.repeat(np.arange(self.n_docs, dtype=np.int64), self.counts)
        return self._doc_of

    def positions(self, word_hashes: Sequence[int]) -> dict[int, np.ndarray]:
        """For each of ``word_hashes``, the sorted positions of the words with that hash."""
        wanted = sorted_unique(np.asarray(list(word_hashes), dtype=np.uint64))
        found: dict[int, np.ndarray] = {int(h): np.zeros(0, dtype=np.int64) for h in wanted}
        if not len(wanted) or not len(self.hashes):
            return found
        hits, which = find_members(self.hashes, wanted)
        order = np.argsort(which, kind="stable")
        hits, which = hits[order], which[order]
        bounds = np.searchsorted(which, np.arange(len(wanted) + 1))
        for k, value in enumerate(wanted.tolist()):
            found[value] = hits[bounds[k] : bounds[k + 1]]
        return found


def word_counts(documents: Iterable[str]) -> np.ndarray:
    """The number of words of each normalized document (0 for an empty one)."""
    return np.fromiter(((doc.count(" ") + 1) if doc else 0 for doc in documents), dtype=np.int64)


def tokenize_many(
    documents: Sequence[str], prefixes: Iterable[str] = (), counts: np.ndarray | None = None
) -> Tokens:
    """Split and hash normalized documents; also find the words starting with ``prefixes``.

    Words are separated by single spaces; an empty document has no words. ``counts``: the
    number of words of each document, when the caller knows them already.
    """
    wanted = tuple(sorted({p for p in prefixes if p}))
    if counts is None:
        counts = word_counts(documents)
    offsets = np.zeros(len(documents) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    hash_parts: list[np.ndarray] = []
    hit_parts: list[np.ndarray] = []
    which_parts: list[np.ndarray] = []
    prefix_table = _prefix_table(wanted)
    first_word = 0
    for group in _passes(documents):
        hashes, hits, which = _hash_pass(group, prefix_table)
        hash_parts.append(hashes)
        hit_parts.append(hits + first_word)
        which_parts.append(which)
        first_word += len(hashes)
    hashes = np.concatenate(hash_parts) if hash_parts else np.zeros(0, dtype=np.uint64)
    return Tokens(
        hashes=hashes, offsets=offsets, prefixes=_split_hits(wanted, hit_parts, which_parts)
    )


def _split_hits(
    wanted: Sequence[str], hit_parts: list[np.ndarray], which_parts: list[np.ndarray]
) -> dict[str, np.ndarray]:
    """The positions found for each prefix (``which`` indexes ``wanted``), in word order."""
    if not hit_parts:
        return {p: np.zeros(0, dtype=np.int64) for p in wanted}
    hits = np.concatenate(hit_parts)
    which = np.concatenate(which_parts)
    # Stable: within one prefix the passes, and the positions within each pass, are in order.
    order = np.argsort(which, kind="stable")
    hits, which = hits[order], which[order]
    bounds = np.searchsorted(which, np.arange(len(wanted) + 1)).tolist()
    return {p: hits[bounds[k] : bounds[k + 1]] for k, p in enumerate(wanted)}


def _passes(documents: Sequence[str]) -> Iterable[list[str]]:
    """The non-empty documents in groups of about ``_PASS_UNITS`` code units."""
    group: list[str] = []
    size = 0
    for doc in documents:
        if not doc:
            continue
        group.append(doc)
        size += len(doc) + 1
        if size >= _PASS_UNITS:
            yield group
            group, size = [], 0
    if group:
        yield group


@dataclass(frozen=True)
class _PrefixTable:
    """Wildcard prefixes grouped by their length in code units, with their span hashes.

    ``starts``: for each length, a 65,536-entry lookup table of how the prefixes of that
    length begin (their first two code units, folded to 16 bits; the first one for prefixes of
    one unit). Only words that begin like some prefix are hashed again, and they are few.
    """

    by_length: dict[int, tuple[np.ndarray, np.ndarray]]
    starts: dict[int, np.ndarray]
    # Any prefix of two or more units begins like this (pair key), or is this one unit: the
    # union of ``starts``, so that all words are tested once and each length only sees these.
    any_pair: np.ndarray
    any_single: np.ndarray


def _start_key(first: np.ndarray, second: np.ndarray | None) -> np.ndarray:
    """Fold a word's first code unit (and second, when given) into 16 bits."""
    if second is None:
        return first.astype(np.int64)
    return (first.astype(np.int64) * 40503 + second) & 0xFFFF


# Every chunk of an ingest asks for the same prefixes (those of the configured queries): the
# table is built once, not per chunk (its 65,536-entry lookups cost milliseconds each).
@lru_cache(maxsize=16)
def _prefix_table(prefixes: tuple[str, ...]) -> _PrefixTable:
    by_length: dict[int, list[tuple[int, int]]] = {}
    starts: dict[int, np.ndarray] = {}
    for number, prefix in enumerate(prefixes):
        units = _units(prefix)
        length = len(units)
        by_length.setdefault(length, []).append((span_hash(prefix), number))
        table = starts.setdefault(length, np.zeros(1 << 16, dtype=bool))
        second = units[1:2] if length > 1 else None
        table[_start_key(units[:1], second)] = True
    table = {}
    for length, entries in by_length.items():
        entries.sort()
        table[length] = (
            np.array([h for h, _ in entries], dtype=np.uint64),
            np.array([number for _, number in entries], dtype=np.int64),
        )
    any_pair = np.zeros(1 << 16, dtype=bool)
    for length, starts_of_length in starts.items():
        if length > 1:
            any_pair |= starts_of_length
    any_single = starts.get(1, np.zeros(1 << 16, dtype=bool))
    return _PrefixTable(table, starts, any_pair, any_single)


_POWERS: dict[int, np.ndarray] = {}


def _powers(base: int, n: int) -> np.ndarray:
    """``base**0 .. base**(n-1)`` modulo ``2**64``; cached, as every pass needs them."""
    cached = _POWERS.get(base)
    if cached is None or len(cached) < n:
        size = max(n, _PASS_UNITS * 2)
        cached = np.empty(size, dtype=np.uint64)
        cached[0] = 1
        with np.errstate(over="ignore"):
            np.cumprod(np.full(size - 1, base, dtype=np.uint64), out=cached[1:])
        _POWERS[base] = cached
    return cached[:n]


def _hash_pass(
    documents: list[str], table: _PrefixTable
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Word hashes of some documents, and the positions of words that start with a prefix
    with the prefix's number (its position in the sorted prefixes), one pair per match."""
    units = _units(" ".join(documents))
    n = len(units)
    spaces = np.flatnonzero(units == _SPACE)
    starts = np.empty(len(spaces) + 1, dtype=np.int64)
    starts[0] = 0
    starts[1:] = spaces + 1
    ends = np.empty(len(spaces) + 1, dtype=np.int64)
    ends[:-1] = spaces
    ends[-1] = n
    return _hash_spans(units, starts, ends, table)


def tokenize_units(parts: Iterable[np.ndarray], prefixes: Iterable[str] = ()) -> Tokens:
    """``tokenize_many`` of texts given as normalized UTF-16 code units: each part holds some
    texts joined by NUL (``pipeline.textnorm.matching_units``), the parts follow each other.
    Words are the runs of code units other than the space and NUL.

    The result's "documents" are the texts, in order, an empty text with no words; the hashes
    are those ``tokenize_many`` gives the same words. Reading the units directly spares turning
    normalized text into strings and back.
    """
    wanted = tuple(sorted({p for p in prefixes if p}))
    prefix_table = _prefix_table(wanted)
    hash_parts: list[np.ndarray] = []
    hit_parts: list[np.ndarray] = []
    which_parts: list[np.ndarray] = []
    count_parts: list[np.ndarray] = []
    first_word = 0
    for units in parts:
        starts, ends, counts = _word_spans(units)
        hashes, hits, which = _hash_spans(units, starts, ends, prefix_table)
        hash_parts.append(hashes)
        hit_parts.append(hits + first_word)
        which_parts.append(which)
        count_parts.append(counts)
        first_word += len(hashes)
    counts = np.concatenate(count_parts) if count_parts else np.zeros(0, dtype=np.int64)
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    hashes = np.concatenate(hash_parts) if hash_parts else np.zeros(0, dtype=np.uint64)
    return Tokens(
        hashes=hashes, offsets=offsets, prefixes=_split_hits(wanted, hit_parts, which_parts)
    )


def _word_spans(units: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where the words of NUL-joined texts are: ``(starts, ends, words of each text)``.

    A word is a run of code units above U+0020: normalized text holds no other code units
    at or below it than the space and the NUL between texts.
    """
    n = len(units)
    # Separators padded on both sides: the edges between separators and words alternate,
    # a word's start, then its end.
    separator = np.ones(n + 2, dtype=bool)
    np.less_equal(units, _SPACE, out=separator[1:-1])
    edges = np.flatnonzero(separator[1:] != separator[:-1])
    starts, ends = edges[0::2], edges[1::2]
    # The texts' bounds: their NULs, and the ends of the units.
    nuls = np.flatnonzero(units == 0)
    bounds = np.empty(len(nuls) + 2, dtype=np.int64)
    bounds[0], bounds[-1] = 0, n
    bounds[1:-1] = nuls
    counts = np.diff(np.searchsorted(starts, bounds))
    return starts, ends, counts


def _hash_spans(
    units: np.ndarray, starts: np.ndarray, ends: np.ndarray, table: _PrefixTable
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The hashes of the words ``units[starts[i]:ends[i]]``, and the (word, prefix number)
    pairs of the words that start with a prefix of ``table``."""
    n = len(units)
    if not len(starts):
        empty = np.zeros(0, dtype=np.int64)
        return np.zeros(0, dtype=np.uint64), empty, empty
    sums = np.zeros(n + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        np.cumsum(units * _powers(_P, n), out=sums[1:])
        inverse = _powers(_P_INVERSE, n + 1)
        lengths = ends - starts
        raw = (sums[ends] - sums[starts]) * inverse[starts]
        hashes = mix(raw + lengths.astype(np.uint64) * _GOLDEN)
        hit_parts: list[np.ndarray] = []
        which_parts: list[np.ndarray] = []
        if table.by_length:
            first_unit = units[np.minimum(starts, n - 1)]
            pair_key = _start_key(first_unit, units[np.minimum(starts + 1, n - 1)])
            # The few words that begin like any prefix; each length only looks at these.
            candidates = np.flatnonzero(table.any_pair[pair_key] | table.any_single[first_unit])
            pair_key = pair_key[candidates]
            single_key = _start_key(first_unit[candidates], None)
            candidate_lengths = lengths[candidates]
        for length, (prefix_hashes, numbers) in table.by_length.items():
            key = pair_key if length > 1 else single_key
            long_enough = candidates[table.starts[length][key] & (candidate_lengths >= length)]
            first = starts[long_enough]
            head = (sums[first + length] - sums[first]) * inverse[first]
            slot = np.searchsorted(prefix_hashes, head)
            slot[slot == len(prefix_hashes)] = 0
            match = prefix_hashes[slot] == head
            hit_parts.append(long_enough[match])
            which_parts.append(numbers[slot[match]])
    if not hit_parts:
        return hashes, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return hashes, np.concatenate(hit_parts), np.concatenate(which_parts)
