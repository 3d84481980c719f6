"""MinHash signatures: the vectorized computation equals a plain one, shingle by shingle.

Signatures are stored and compared with those of later runs, so any change to how they are
computed must leave every value as it was.
"""

from __future__ import annotations

import numpy as np

from pipeline import minhash

_MASK = (1 << 64) - 1


def _mix(value: int) -> int:
    value ^= value >> 30
    value = (value * 0xBF58476D1CE4E5B9) & _MASK
    value ^= value >> 27
    value = (value * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


def _shingle(words: list[int]) -> int:
    """One shingle of SHINGLE_WORDS words (missing words, in a short document, count as 0)."""
    multipliers = [int(m) for m in minhash._MULTIPLIERS]
    padded = words + [0] * (minhash.SHINGLE_WORDS - len(words))
    value = (padded[0] * multipliers[0]) & _MASK
    for word, multiplier in zip(padded[1:], multipliers[1:], strict=True):
        value = ((value ^ (value >> 29)) + word * multiplier) & _MASK
    return value


def _reference(words: list[int]) -> tuple[np.ndarray, int]:
    k = minhash.SHINGLE_WORDS
    if not words:
        return np.full(minhash.BINS, minhash._EMPTY, dtype=np.uint32), 0
    shingles = [words[i : i + k] for i in range(len(words) - k + 1)] or [words]
    signature = np.full(minhash.BINS, minhash._EMPTY, dtype=np.uint32)
    for shingle in shingles:
        hashed = _mix((_shingle(shingle) + int(minhash._GOLDEN)) & _MASK)
        slot = hashed >> (64 - 7)
        value = (hashed >> (64 - 7 - 32)) & 0xFFFFFFFF
        signature[slot] = min(int(signature[slot]), value)
    block = signature[None, :].copy()
    minhash._densify(block, np.array([True]))
    return block[0], len(shingles)


def test_signatures_equal_a_shingle_by_shingle_computation() -> None:
    rng = np.random.default_rng(11)
    # Empty documents, documents shorter than a shingle, and long ones, over several batches.
    lengths = np.concatenate([[0, 1, 2, 3, 4, 5], rng.integers(0, 40, 700), [400, 399]])
    words = rng.integers(0, 1 << 63, int(lengths.sum()), dtype=np.uint64) * np.uint64(2) + 1
    signatures, sizes = minhash.signatures_of_words(words, lengths)
    start = 0
    for row, length in enumerate(lengths.tolist()):
        expected, size = _reference([int(w) for w in words[start : start + length]])
        start += length
        assert sizes[row] == size
        assert signatures[row].tolist() == expected.tolist(), row
