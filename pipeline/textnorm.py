"""Text normalization shared by relevance queries, tags and anything else that matches words.

`normalize_for_matching` turns raw text in English, Urdu, Dari or Pashto into a canonical form
in which spelling variants that writers use interchangeably become identical:

1. Unicode NFKC (presentation forms, full-width letters, ligatures) and full case folding.
2. Arabic-script unification (the canonical form is the one on the right):
   - yeh: ي ى ې ۍ ئ ێ -> ی (U+06CC, the Persian/Urdu yeh)
   - kaf: ك ڪ -> ک (U+06A9); Pashto gaf ګ -> گ (U+06AF)
   - heh: ہ ھ ة ۃ ە ۀ ۂ -> ه (U+0647, the heh shared by Dari, Pashto and Arabic keyboards)
   - alef: أ إ آ ٱ ٲ ٳ -> ا; waw with hamza ؤ -> و; yeh barree with hamza ۓ -> ے
   - Pashto retroflexes ټ ډ ړ ڼ -> ٹ ڈ ڑ ن (the Urdu letters that Pashto text typed in
     Pakistan uses for the same sounds)
   - Arabic-Indic and Persian digits -> ASCII digits
3. Removed outright: ZWNJ/ZWJ and other invisible format characters (so گفت‌وگو == گفتوگو),
   tatweel, Arabic harakat and Quranic marks, Latin combining accents (Türkiye == turkiye).
4. Everything that is not a letter, digit or combining mark becomes a space (so "cross-border"
   == "cross border"), then whitespace is collapsed and trimmed.

The result is a single-space separated sequence of words, so `text.split()` is its tokenization.

For whole columns use `normalize_many` / `normalize_series`: they give exactly the same result
as `normalize_for_matching` per element but process thousands of documents per call.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache

import numpy as np
import pandas as pd

__all__ = [
    "normalize_for_matching",
    "normalize_many",
    "normalize_series",
    "matching_units",
    "tokenize",
]

# Letter folds applied after hamza/madda have been split off (see `_fold`).
_LETTER_FOLDS: dict[str, str] = {
    # yeh family, including Pashto ې ۍ, which writers replace freely with ي/ی
    "\u064a": "\u06cc",  # ي
    "\u0649": "\u06cc",  # ى
    "\u06d0": "\u06cc",  # ې
    "\u06cd": "\u06cc",  # ۍ
    "\u06ce": "\u06cc",  # ێ
    # kaf and gaf
    "\u0643": "\u06a9",  # ك
    "\u06aa": "\u06a9",  # ڪ
    "\u06ab": "\u06af",  # ګ
    # heh family
    "\u06c1": "\u0647",  # ہ
    "\u06be": "\u0647",  # ھ
    "\u0629": "\u0647",  # ة
    "\u06c3": "\u0647",  # ۃ
    "\u06d5": "\u0647",  # ە
    # alef variants without a combining decomposition
    "\u0671": "\u0627",  # ٱ
    "\u0672": "\u0627",  # ٲ
    "\u0673": "\u0627",  # ٳ
    # Pashto retroflexes -> Urdu letters for the same sounds
    "\u067c": "\u0679",  # ټ -> ٹ
    "\u0689": "\u0688",  # ډ -> ڈ
    "\u0693": "\u0691",  # ړ -> ڑ
    "\u06bc": "\u0646",  # ڼ -> ن
    # Latin letters without a canonical decomposition
    "\u00f8": "o",
    "\u0111": "d",
    "\u0127": "h",
    "\u0131": "i",
    "\u0142": "l",
}

# Combining marks that are dropped (rather than kept as part of a word) by block.
_DROPPED_MARK_RANGES = (
    (0x0300, 0x036F),  # Latin combining diacritics (İ casefolds to i + U+0307)
    (0x0610, 0x061A),  # Arabic honorific signs
    (0x064B, 0x065F),  # harakat, hamza above/below
    (0x0670, 0x0670),  # superscript alef
    (0x06D6, 0x06ED),  # Quranic annotation marks
    (0x0750, 0x077F),
    (0x08A0, 0x08FF),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x20D0, 0x20FF),
    (0xFE20, 0xFE2F),
)
_HAMZA_MARKS = {"0653", "0654", "0655"}
_TATWEEL = 0x0640
_SPACE = 0x20
# Markers in the lookup table. U+FFFE/U+FFFF are noncharacters that themselves map to a space,
# so no real character can produce them.
_DELETE = 0xFFFF  # drop this character
_EXPAND = 0xFFFE  # case folding yields several characters (ß -> ss): handled by str.casefold
_SEPARATOR = "\x00"  # joins documents inside `normalize_many`; never survives normalization

_CHUNK_CHARS = 1_000_000  # documents are processed in batches of about this many characters


def _is_dropped_mark(cp: int) -> bool:
    if unicodedata.category(chr(cp)) != "Mn":
        return False
    return any(lo <= cp <= hi for lo, hi in _DROPPED_MARK_RANGES)


@cache
def _fold(cp: int) -> int:
    """Map one case-folded code point to its canonical code point, `_SPACE` or `_DELETE`."""
    if cp == 0:
        return 0  # the document separator; inputs have their own NULs replaced beforehand
    ch = chr(cp)
    if cp == _TATWEEL or unicodedata.category(ch) == "Cf" or _is_dropped_mark(cp):
        # Format characters (ZWNJ, ZWJ, bidi marks, soft hyphen, BOM) only affect rendering.
        return _DELETE
    if ch in _LETTER_FOLDS:
        return ord(_LETTER_FOLDS[ch])
    if "\u0660" <= ch <= "\u0669":
        return ord("0") + cp - 0x0660
    if "\u06f0" <= ch <= "\u06f9":
        return ord("0") + cp - 0x06F0
    decomposition = unicodedata.decomposition(ch).split()
    if len(decomposition) == 2 and not decomposition[0].startswith("<"):
        base, mark = int(decomposition[0], 16), decomposition[1]
        # Arabic letters carrying hamza/madda (أ آ ؤ ئ ۀ ۂ ۓ) and accented Latin letters
        # fold to their base letter, which may itself fold further (ئ -> ي -> ی).
        latin = base < 0x0250 or 0x1E00 <= base <= 0x1EFF
        latin_accent = latin and _is_dropped_mark(int(mark, 16))
        if mark in _HAMZA_MARKS or latin_accent:
            return _fold(base)
    if ch.isalnum() or unicodedata.category(ch).startswith("M"):
        # Letters and digits of any script are kept; so are combining marks of scripts other
        # than Latin and Arabic (Devanagari vowel signs etc.), which belong to their words.
        return cp
    return _SPACE


def _table_entry(cp: int) -> int:
    """Case-fold then `_fold` one NFKC-normalized code point."""
    folded = [_fold(ord(c)) for c in chr(cp).casefold()]
    kept = [c for c in folded if c != _DELETE]
    if not kept:
        return _DELETE
    # İ casefolds to i + U+0307; the dot is dropped anyway, so one character remains.
    return kept[0] if len(kept) == 1 else _EXPAND


@lru_cache(maxsize=1)
def _bmp_table() -> np.ndarray:
    """Lookup table for the Basic Multilingual Plane (built on first use, about 0.1 s)."""
    return np.array([_table_entry(cp) for cp in range(0x10000)], dtype=np.uint16)


def _encode(text: str) -> np.ndarray:
    """Code points of `text` as uint16 when all are in the BMP (the fast case), else uint32."""
    units = np.frombuffer(text.encode("utf-16-le"), dtype=np.uint16)
    if len(units) == len(text):
        # One code unit per character: no character outside the BMP, no surrogate pair.
        return units
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def _map_codepoints(codes: np.ndarray) -> np.ndarray:
    table = _bmp_table()
    if codes.dtype == np.uint16:
        return table[codes]
    out = np.empty(codes.size, dtype=np.uint32)
    astral = codes >= 0x10000
    out[~astral] = table[codes[~astral]]
    # Astral characters (emoji, historic scripts) are rare: classify each distinct one.
    values, inverse = np.unique(codes[astral], return_inverse=True)
    out[astral] = np.array([_table_entry(int(v)) for v in values], dtype=np.uint32)[inverse]
    return out


def _decode(codes: np.ndarray) -> str:
    return codes.tobytes().decode("utf-16-le" if codes.dtype == np.uint16 else "utf-32-le")


def _normalize_chunk(texts: list[str]) -> list[str]:
    codes = _normalized_codes(texts)
    if not codes.size:
        return [""] * len(texts)
    return _decode(codes).split(_SEPARATOR)


def _normalized_codes(texts: list[str], *, collapse: bool = True) -> np.ndarray:
    """The code points of the normalized ``texts`` joined by NUL (uint16, or uint32 when some
    are outside the BMP); empty when every text normalizes to nothing.

    ``collapse=False``: runs of spaces are left as they are (the words are the same).
    """
    # NFKC works on the joined string: NUL is a starter that nothing composes with, so the
    # result equals per-document processing. Case folding is done by the lookup table.
    joined = unicodedata.normalize("NFKC", _SEPARATOR.join(texts))
    codes = _map_codepoints(_encode(joined))
    if (codes == _EXPAND).any():
        # Rare (German ß, some ligatures): let str.casefold expand, then map again.
        codes = _map_codepoints(_encode(joined.casefold()))
        codes[codes == _EXPAND] = _SPACE  # cannot happen: case folding is idempotent
    codes = codes[codes != _DELETE]
    if not codes.size or not collapse:
        return codes
    # Collapse whitespace in two vectorized passes: first drop every space that follows a
    # space, a separator or the start; then drop a space left just before a separator or end.
    space = codes == _SPACE
    after_boundary = np.empty_like(space)
    after_boundary[0] = True
    after_boundary[1:] = space[:-1] | (codes[:-1] == 0)
    codes = codes[~(space & after_boundary)]
    space = codes == _SPACE
    before_boundary = np.empty_like(space)
    if codes.size:
        before_boundary[-1] = True
        before_boundary[:-1] = codes[1:] == 0
    return codes[~(space & before_boundary)]


def _clean_input(text: object) -> str:
    if not isinstance(text, str):
        return ""  # None, NaN and other missing values normalize to the empty string
    return text.replace(_SEPARATOR, " ") if _SEPARATOR in text else text


def text_for_matching(text: object, *, lines: bool = False) -> str:
    """``text`` as ``matching_units(..., cleaned=True)`` takes it: a missing value empty, NUL a
    space. With ``lines``, each line feed becomes the separator between texts, so that each
    line of ``text`` comes out as a text of its own (the words are the same)."""
    cleaned = _clean_input(text)
    return cleaned.replace("\n", _SEPARATOR) if lines else cleaned


def matching_units(texts: Iterable[object], *, cleaned: bool = False) -> np.ndarray:
    """The texts' characters as ``normalize_many`` leaves them, as UTF-16 code units (uint16),
    the texts joined by NUL (U+0000), but with spaces not collapsed: words are the runs of code
    units other than the space and NUL, and they are exactly the words of the normalized texts.

    For code that splits the normalized words itself (``pipeline.tokens.tokenize_units``): it
    spares collapsing spaces, decoding the result to strings and encoding them again. ``texts``
    are taken in one pass, so give a batch of a bounded size. ``cleaned``: the texts come from
    ``text_for_matching`` already.
    """
    batch = list(texts) if cleaned else [_clean_input(text) for text in texts]
    codes = _normalized_codes(batch, collapse=False)
    if codes.dtype != np.uint16:
        # Characters outside the BMP are two UTF-16 code units each (rare: emoji).
        return np.frombuffer(_decode(codes).encode("utf-16-le"), dtype=np.uint16)
    return codes


def normalize_many(texts: Iterable[object]) -> list[str]:
    """Normalize many texts at once; equal to `[normalize_for_matching(t) for t in texts]`.

    Missing values (None, NaN, non-strings) become "". Work is vectorized over batches of
    documents, which is several times faster than normalizing one document at a time.
    """
    out: list[str] = []
    batch: list[str] = []
    size = 0
    for text in texts:
        cleaned = _clean_input(text)
        batch.append(cleaned)
        size += len(cleaned) + 1
        if size >= _CHUNK_CHARS:
            out.extend(_normalize_chunk(batch))
            batch, size = [], 0
    if batch:
        out.extend(_normalize_chunk(batch))
    return out


def normalize_series(texts: pd.Series) -> pd.Series:
    """Normalize a column of raw text; returns a str Series with the same index."""
    return pd.Series(normalize_many(texts.tolist()), index=texts.index, dtype=object)


def normalize_for_matching(text: str) -> str:
    """Return `text` in the canonical form used for matching (see the module docstring)."""
    return _normalize_chunk([_clean_input(text)])[0]


def tokenize(text: str, normalized: bool = False) -> list[str]:
    """Split text into words: runs of letters and digits in any script, normalized.

    Pass `normalized=True` when `text` already comes from `normalize_for_matching`.
    """
    return (text if normalized else normalize_for_matching(text)).split()
