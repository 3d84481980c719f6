"""Hashed words: the vectorized splitting and hashing equal a plain per-word computation."""

from __future__ import annotations

import random

import numpy as np
import pytest

from pipeline import tokens
from pipeline.textnorm import normalize_many
from pipeline.tokens import span_hash, tokenize_many, word_hash

_WORDS = str.split(
    "border talks torkham negotiations negotiator negotiated ceasefire cease fire "
    "طورخم مذاکرات سرحد افغانستان پاکستان د پولې خبرې اوربند گفتگو 𝒜stral 😀 "
    "a b x ne neg trade trader"
)


def _documents(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    raw = [" ".join(rng.choice(_WORDS) for _ in range(rng.randint(0, 40))) for _ in range(count)]
    return normalize_many(raw)


@pytest.mark.parametrize("pass_units", [tokens._PASS_UNITS, 64])
def test_hashes_and_prefixes_equal_a_per_word_computation(monkeypatch, pass_units) -> None:
    # A small pass size makes documents fall into many numpy passes.
    monkeypatch.setattr(tokens, "_PASS_UNITS", pass_units)
    docs = _documents(5, 300)
    prefixes = ["neg", "negotiat", "ne", "طور", "مذا", "x", "𝒜", "cease", "zzz"]
    found = tokenize_many(docs, prefixes)
    words = [doc.split(" ") if doc else [] for doc in docs]
    flat = [w for doc in words for w in doc]
    assert found.counts.tolist() == [len(w) for w in words]
    assert found.hashes.tolist() == [word_hash(w) for w in flat]
    assert found.doc_of.tolist() == [d for d, doc in enumerate(words) for _ in doc]
    for prefix in prefixes:
        expected = [i for i, w in enumerate(flat) if w.startswith(prefix)]
        assert found.prefixes[prefix].tolist() == expected, prefix
    assert any(len(found.prefixes[p]) for p in prefixes)


def test_equal_words_have_equal_hashes_and_different_words_do_not() -> None:
    docs = _documents(9, 200)
    found = tokenize_many(docs)
    flat = [w for doc in docs if doc for w in doc.split(" ")]
    by_word: dict[str, set[int]] = {}
    for word, value in zip(flat, found.hashes.tolist(), strict=True):
        by_word.setdefault(word, set()).add(value)
    assert all(len(values) == 1 for values in by_word.values())
    assert len({next(iter(v)) for v in by_word.values()}) == len(by_word)


def test_positions_of_words() -> None:
    docs = ["border talks border", "", "talks"]
    found = tokenize_many(docs)
    positions = found.positions([word_hash("border"), word_hash("talks"), word_hash("none")])
    assert positions[word_hash("border")].tolist() == [0, 2]
    assert positions[word_hash("talks")].tolist() == [1, 3]
    assert positions[word_hash("none")].tolist() == []
    assert found.offsets.tolist() == [0, 3, 3, 4]


def test_span_hash_is_the_polynomial_of_the_code_units() -> None:
    assert span_hash("") == 0
    assert span_hash("ab") == (ord("a") + ord("b") * tokens._P) % (1 << 64)
    empty = tokenize_many([])
    assert empty.n_docs == 0 and empty.hashes.dtype == np.uint64
