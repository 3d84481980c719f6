"""MinHash signatures and LSH band keys over word shingles, vectorized with numpy.

A document is the set of its overlapping ``SHINGLE_WORDS``-word shingles. Its signature is a
one-permutation MinHash (Li, Owen and Zhang 2012): every shingle is hashed once to 64 bits, the
top bits choose one of ``BINS`` bins and the next 32 bits are the value; a bin keeps the smallest
value it received. Empty bins borrow the value of the next non-empty bin (rotation
densification, Shrivastava and Li 2014), so short texts still compare well. The fraction of
equal bins of two signatures estimates the Jaccard similarity of the two shingle sets.

This costs one hash per shingle instead of one per shingle and permutation, and every step runs
over all shingles of a whole chunk at once. Words come hashed from ``pipeline.tokens``, which
the relevance queries share, so a chunk's text is split and hashed once for both.

LSH: the signature is cut into ``BANDS`` bands of ``ROWS`` bins; each band is hashed to one
signed 64-bit key. Two documents sharing any key are candidates; the probability of that for
Jaccard ``s`` is ``1 - (1 - s**ROWS) ** BANDS``: 0.73 at 0.4, 0.93 at 0.5, 0.99 at 0.6 and
0.15 at 0.2. With 128 bins the similarity estimate has a standard error of 0.044 at 0.5.

Every hash here is stable across processes and machines (no Python ``hash``): signatures and
keys are stored in the database and compared with those of later runs. Any change to how they
are computed needs a migration that rebuilds the story index (as revision 0008 does).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from pipeline.tokens import mix, tokenize_many

SHINGLE_WORDS = 4
BINS = 128
BANDS = 20
ROWS = 3
# Words of a document that are shingled. The opening 400 words identify a news report; copies
# differ mostly in their last paragraphs, and the cap bounds the cost of very long pages.
MAX_WORDS = 400

_EMPTY = np.uint32(0xFFFFFFFF)
_BIN_BITS = 7  # log2(BINS): the top bits of a shingle hash choose its bin
_BIN_SHIFT = np.uint64(64 - _BIN_BITS)
_VALUE_SHIFT = np.uint64(64 - _BIN_BITS - 32)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MULTIPLIERS = (
    np.uint64(0xD6E8FEB86659FD93),
    np.uint64(0xA0761D6478BD642F),
    np.uint64(0xE7037ED1A0B428DB),
    np.uint64(0x8EBC6AF09C88C6E3),
)

assert BINS == 1 << _BIN_BITS and BANDS * ROWS <= BINS


def _head(doc: str) -> str:
    """The first MAX_WORDS words of a normalized document."""
    if not doc:
        return ""
    if doc.count(" ") < MAX_WORDS:
        return doc
    return " ".join(doc.split(" ", MAX_WORDS)[:MAX_WORDS])


def signatures(documents: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures of already-normalized documents (words separated by single spaces).

    Returns ``(signatures, sizes)``: a ``(n, BINS)`` uint32 array and the number of shingles of
    each document. A document with no words gets size 0 and an all-empty signature that is
    similar to nothing. Documents shorter than a shingle are one shingle of all their words.
    Only the first ``MAX_WORDS`` words of a document count.
    """
    words = tokenize_many([_head(doc) for doc in documents])
    return signatures_of_words(words.hashes, words.counts)


def signatures_of_words(words: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``signatures`` of documents given as word hashes (``pipeline.tokens``), one document
    after another, ``lengths[d]`` words each (at most ``MAX_WORDS``), ``_BATCH`` at a time."""
    lengths = np.asarray(lengths, dtype=np.int64)
    n = len(lengths)
    if n <= _BATCH:
        return _signatures(words, lengths)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    parts = [
        _signatures(words[offsets[i] : offsets[min(n, i + _BATCH)]], lengths[i : i + _BATCH])
        for i in range(0, n, _BATCH)
    ]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


# Documents per vectorized pass: large enough to amortize numpy's per-call cost, small enough
# to bound the memory of the per-word arrays.
_BATCH = 500


def _signatures(words: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(lengths)
    sigs = np.full((n, BINS), _EMPTY, dtype=np.uint32)
    if n == 0 or not lengths.any():
        return sigs, np.zeros(n, dtype=np.int64)
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])

    # Shingle i covers words i .. i+k-1; it is valid when they all belong to one document.
    k = SHINGLE_WORDS
    total = len(words)
    with np.errstate(over="ignore"):
        combined = words * _MULTIPLIERS[0]
        for j in range(1, k):
            combined ^= combined >> np.uint64(29)
            # Word i + j is shifted in; the last j positions have none (it would be 0).
            if j < total:
                combined[: total - j] += words[j:] * _MULTIPLIERS[j]
    # Each document's last k - 1 positions start no full shingle; a document shorter than k
    # words is represented by its one shingle at position 0.
    ends = starts + lengths
    valid = np.ones(total, dtype=bool)
    for back in range(1, k):
        valid[(ends - back)[lengths >= back]] = False
    short_docs = np.flatnonzero((lengths > 0) & (lengths < k))
    if len(short_docs):
        first = starts[short_docs]
        valid[first] = True
        combined[first] = _short_shingles(words, starts, lengths, short_docs, k)
    hashes = mix(combined[valid] + _GOLDEN)
    # Valid shingles are consecutive within each document, documents in order.
    sizes = np.where(lengths >= k, lengths - (k - 1), (lengths > 0).astype(np.int64))
    docs = np.repeat(np.arange(n), sizes)

    bins = (hashes >> _BIN_SHIFT).astype(np.int64)
    values = ((hashes >> _VALUE_SHIFT) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    np.minimum.at(sigs.reshape(-1), docs * BINS + bins, values)
    _densify(sigs, sizes > 0)
    return sigs, sizes


def _short_shingles(
    words: np.ndarray, starts: np.ndarray, lengths: np.ndarray, docs: np.ndarray, k: int
) -> np.ndarray:
    """The one shingle of each document shorter than ``k`` words (same mixing as the others)."""
    out = np.empty(len(docs), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i, doc in enumerate(docs):
            chunk = words[starts[doc] : starts[doc] + lengths[doc]]
            value = chunk[0] * _MULTIPLIERS[0]
            for j in range(1, k):
                extra = chunk[j] if j < len(chunk) else np.uint64(0)
                value = (value ^ (value >> np.uint64(29))) + extra * _MULTIPLIERS[j]
            out[i] = value
    return out


def _densify(sigs: np.ndarray, nonempty: np.ndarray) -> None:
    """Fill empty bins from the next non-empty bin to the right (wrapping), in place.

    The borrowed value is re-hashed with the distance so that two documents agree on a filled
    bin only when they agree on the bin it came from and on how far away it is.
    """
    rows = np.flatnonzero(nonempty & (sigs == _EMPTY).any(axis=1))
    if not len(rows):
        return
    block = sigs[rows]
    filled = block != _EMPTY
    positions = np.arange(2 * BINS)
    doubled = np.where(np.concatenate([filled, filled], axis=1), positions, 4 * BINS)
    # Reverse cumulative minimum: for every bin, the nearest filled bin at or to its right.
    nearest = np.minimum.accumulate(doubled[:, ::-1], axis=1)[:, ::-1][:, :BINS]
    distance = (nearest - np.arange(BINS)).astype(np.uint64)
    source = np.take_along_axis(block, nearest % BINS, axis=1).astype(np.uint64)
    mixed = mix((source << np.uint64(8)) | distance)
    replaced = np.where(filled, block, (mixed >> np.uint64(32)).astype(np.uint32))
    sigs[rows] = replaced


def band_keys(sigs: np.ndarray) -> np.ndarray:
    """``(n, BANDS)`` signed 64-bit LSH keys; equal keys mean an identical band."""
    n = len(sigs)
    if n == 0:
        return np.zeros((0, BANDS), dtype=np.int64)
    used = sigs[:, : BANDS * ROWS].astype(np.uint64).reshape(n, BANDS, ROWS)
    with np.errstate(over="ignore"):
        key = np.arange(1, BANDS + 1, dtype=np.uint64)[None, :] * _GOLDEN
        for r in range(ROWS):
            key = mix(key ^ used[:, :, r])
    return key.view(np.int64)


def pack_bands(keys: np.ndarray) -> list[bytes]:
    """Each row of ``(n, BANDS)`` band keys as stored (story_signatures.bands): ``BANDS``
    little-endian int64 values."""
    packed = np.asarray(keys, dtype="<i8").tobytes()
    width = BANDS * 8
    return [packed[i : i + width] for i in range(0, len(packed), width)]


def unpack_bands(blobs: Sequence[bytes]) -> np.ndarray:
    """``(n, BANDS)`` int64 band keys of stored ``pack_bands`` blobs."""
    if not len(blobs):
        return np.zeros((0, BANDS), dtype=np.int64)
    keys = np.frombuffer(b"".join(blobs), dtype="<i8").reshape(len(blobs), BANDS)
    return keys.astype(np.int64)


def similarity(sig: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of one signature with each row of ``others``."""
    if not len(others):
        return np.zeros(0)
    return (others == sig).mean(axis=1)


def stable_key(*parts: str) -> int:
    """A signed 64-bit key of some strings, stable across processes (e.g. source + title)."""
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)
