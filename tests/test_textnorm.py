"""Tests for pipeline.textnorm: the normalization every query and text goes through."""

from __future__ import annotations

import math
import random
import unicodedata

import pandas as pd
import pytest

from pipeline import textnorm
from pipeline.textnorm import normalize_for_matching, normalize_many, normalize_series, tokenize


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("كابل", "کابل"),  # Arabic kaf -> Persian/Urdu kaf
        ("پاكستان", "پاکستان"),
        ("علي", "علی"),  # Arabic yeh -> Persian yeh
        ("مصطفى", "مصطفی"),  # alef maksura
        ("خواجہ", "خواجه"),  # Urdu heh goal
        ("دوحة", "دوحه"),  # teh marbuta
        ("ادارۀ", "اداره"),  # heh with yeh above
        ("ادارهٔ", "اداره"),  # heh + combining hamza above
        ("بھارت", "بهارت"),  # Urdu do-chashmi heh
        ("آصف", "اصف"),  # alef with madda
        ("أفغانستان", "افغانستان"),  # alef with hamza above
        ("إسلام", "اسلام"),  # alef with hamza below
        ("مسؤول", "مسوول"),  # waw with hamza
        ("گئے", "گیے"),  # yeh with hamza
        ("خبرې", "خبری"),  # Pashto yeh
        ("ښځۍ", "ښځی"),  # Pashto yeh with tail
        ("ګډ", "گڈ"),  # Pashto gaf with ring, dal with ring
        ("ټی ټی پی", "ٹی ٹی پی"),  # Pashto teh with ring -> Urdu tteh
        ("کنړ", "کنڑ"),  # Pashto reh with ring
        ("ﻻ", "لا"),  # presentation form (NFKC)
    ],
)
def test_arabic_script_variants_unify(variant: str, canonical: str) -> None:
    assert normalize_for_matching(variant) == canonical
    assert normalize_for_matching(canonical) == canonical


def test_invisible_characters_and_diacritics_are_removed() -> None:
    assert normalize_for_matching("گفت\u200cوگو") == "گفتوگو"  # ZWNJ
    assert normalize_for_matching("گفت\u200dوگو") == "گفتوگو"  # ZWJ
    assert normalize_for_matching("آتش\u200cبس") == "اتشبس"
    assert normalize_for_matching("مذاكـــرات") == "مذاکرات"  # tatweel
    assert normalize_for_matching("مُذَاكَرَاتٌ") == "مذاکرات"  # harakat
    assert normalize_for_matching("\u200fکابل\u200e") == "کابل"  # RLM / LRM
    assert normalize_for_matching("hyphen\u00adated") == "hyphenated"  # soft hyphen


def test_digits_become_ascii() -> None:
    assert normalize_for_matching("۱۴۰۴") == "1404"  # Persian digits
    assert normalize_for_matching("٢٠٢٥") == "2025"  # Arabic-Indic digits
    assert normalize_for_matching("２０２５") == "2025"  # full-width digits (NFKC)


def test_latin_case_and_accents_fold() -> None:
    assert normalize_for_matching("Türkiye") == "turkiye"
    assert normalize_for_matching("İSTANBUL") == "istanbul"  # İ casefolds to i + U+0307
    assert normalize_for_matching("Straße") == "strasse"
    assert normalize_for_matching("ﬁnal ＰＡＫＩＳＴＡＮ") == "final pakistan"


def test_punctuation_and_whitespace() -> None:
    assert normalize_for_matching("cross-border") == "cross border"
    assert normalize_for_matching("Cross–border") == "cross border"  # en dash
    assert normalize_for_matching("Pakistan's  “talks”,\n\tended!") == "pakistan s talks ended"
    assert normalize_for_matching("کابل، اسلام‌آباد؛ چرا؟") == "کابل اسلاماباد چرا"
    assert normalize_for_matching("under_score") == "under score"
    assert normalize_for_matching("  \n ") == ""
    assert normalize_for_matching("") == ""
    assert normalize_for_matching("a\x00b") == "a b"
    assert normalize_for_matching("🇵🇰 flag ☺") == "flag"


def test_normalization_is_idempotent() -> None:
    text = "خواجہ آصف: Pakistan–Afghanistan گفت‌وگو (۲۰۲۵) İstanbul"
    once = normalize_for_matching(text)
    assert normalize_for_matching(once) == once


def test_tokenize_keeps_words_of_every_script() -> None:
    assert tokenize("ښځې ټولنه، په کابل کې ږغ ړنګ ڼ!") == [
        "ښځی",
        "ٹولنه",
        "په",
        "کابل",
        "کی",
        "ږغ",
        "ڑنگ",
        "ن",
    ]
    assert tokenize("T20 in 2025-26") == ["t20", "in", "2025", "26"]
    assert tokenize("already normalized text", normalized=True) == [
        "already",
        "normalized",
        "text",
    ]


def test_normalize_many_handles_missing_values() -> None:
    assert normalize_many(["A-B", None, math.nan, 5, ""]) == ["a b", "", "", "", ""]


def test_normalize_series_keeps_index() -> None:
    series = pd.Series(["Kabul", None, "كابل"], index=[10, 20, 30])
    result = normalize_series(series)
    assert list(result.index) == [10, 20, 30]
    assert result.tolist() == ["kabul", "", "کابل"]


def _reference(text: str) -> str:
    """Character-by-character statement of the normalization rules."""
    text = unicodedata.normalize("NFKC", text.replace("\x00", " ")).casefold()
    kept = []
    for ch in text:
        code = textnorm._fold(ord(ch))
        if code != textnorm._DELETE:
            kept.append(chr(code))
    return " ".join("".join(kept).split())


def test_batch_and_single_paths_agree_with_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    # Small chunks force many batch boundaries.
    monkeypatch.setattr(textnorm, "_CHUNK_CHARS", 500)
    rng = random.Random(7)
    alphabet = [
        *map(chr, range(0x20, 0x7F)),
        *map(chr, range(0x0600, 0x0700)),
        *"\u200c\u200d\u0640\u00a0\u2014\u0130\u00fc\u00df\ufb01\u0301\x00\n\t\u06f1",
        "\U0001f600",
    ]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(2000)]
    batch = normalize_many(texts)
    assert batch == [normalize_for_matching(t) for t in texts]
    assert batch == [_reference(t) for t in texts]
    assert all(" ".join(x.split()) == x for x in batch)
