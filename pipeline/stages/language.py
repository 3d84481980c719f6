"""Stage: the language of each article as an ISO 639-1 code.

A declared language (from the feed, the page or the item) is kept after normalization
(``en-US`` → ``en``; Dari ``prs`` and ``fa-AF`` → ``fa``); otherwise py3langid decides, because
unlike langdetect and lingua it knows Pashto and ships its model inside the package.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

# How much of an article the detector reads: the opening is enough and keeps it fast.
SAMPLE_CHARS = 240
_ALIASES = {
    "prs": "fa",
    "per": "fa",
    "pus": "ps",
    "pbt": "ps",
    "pbu": "ps",
    "urd": "ur",
    "eng": "en",
}


def normalize_code(code: str | None) -> str | None:
    """``en-US`` → ``en``, ``fa-AF``/``prs`` → ``fa``; None for empty or unusable values."""
    if not code or not isinstance(code, str):
        return None
    base = re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0]
    base = _ALIASES.get(base, base)
    return base if re.fullmatch(r"[a-z]{2,3}", base) else None


def _identifier():  # noqa: ANN202 - py3langid has no public type for it
    """py3langid's packaged model, loaded without keeping it as the module's global."""
    from py3langid import langid

    return langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE)


@dataclass(frozen=True)
class _Model:
    """py3langid's model as numpy arrays, for walking many documents at once."""

    nextmove: np.ndarray
    rowbase: np.ndarray
    output: np.ndarray
    ptc: np.ndarray
    pc: np.ndarray
    classes: list[str]
    alias_pairs: list[tuple[int, int]]


# The languages detection chooses from: the monitored four, the region's other languages and
# those of international coverage. Scoring fewer classes is most of the detector's cost; text in
# a language not listed is reported as the closest listed one.
_CANDIDATES = (
    "en ur fa ps ar hi bn pa ne gu mr ta te ml kn si tg uz tk ky kk az tr ku sdh ug ru uk be "
    "zh ja ko fr de es it pt nl sv no da fi pl cs ro hu el he id ms vi th sw so ha am zxx"
)
CANDIDATE_LANGUAGES = frozenset(str.split(_CANDIDATES))


@lru_cache(maxsize=1)
def _model() -> _Model:
    ident = _identifier()
    keep = [i for i, c in enumerate(ident.nb_classes) if c in CANDIDATE_LANGUAGES]
    classes = [ident.nb_classes[i] for i in keep]
    first: dict[str, int] = {}
    aliases = []
    for position, code in enumerate(classes):
        if code in first:
            aliases.append((first[code], position))
        else:
            first[code] = position
    return _Model(
        # A view of the automaton's table, not a copy (it is the largest part of the model).
        nextmove=np.frombuffer(ident.tk_nextmove, dtype=np.uint32),
        rowbase=np.asarray(ident._rowbase, dtype=np.int64),
        output=np.asarray(ident.tk_output, dtype=np.int32),
        ptc=np.ascontiguousarray(np.asarray(ident.nb_ptc)[:, keep], dtype=np.float32),
        pc=np.asarray(ident.nb_pc, dtype=np.float32)[keep],
        classes=classes,
        alias_pairs=aliases,
    )


_NOT_LETTERS = re.compile(r"[\W\d_]+")


def _usable(sample: str) -> bool:
    """At least 8 letters: less is not enough to judge."""
    return len(_NOT_LETTERS.sub("", sample)) >= 8


def detect(text: str | None) -> str | None:
    """The most likely language of ``text``, or None when there is too little to judge."""
    return detect_many([text])[0]


def detect_many(texts: Sequence[str | None]) -> list[str | None]:
    """``detect`` for many texts, with py3langid's model applied to all of them at once.

    py3langid walks a byte automaton over each text in Python (about 65 µs per short text);
    here the automaton advances every document by one byte per numpy step, and the naive Bayes
    scores are summed per document from the visited features. The result equals
    ``py3langid.classify`` restricted to ``CANDIDATE_LANGUAGES`` on each sample.
    """
    out: list[str | None] = [None] * len(texts)
    samples = []
    positions = []
    for i, text in enumerate(texts):
        if not text:
            continue
        sample = text[:SAMPLE_CHARS]
        if not _usable(sample):
            continue
        if sample.isupper():
            sample = sample.lower()
        samples.append(unicodedata.normalize("NFC", sample).encode("utf-8", "surrogatepass"))
        positions.append(i)
    for start in range(0, len(samples), _BLOCK):
        block = samples[start : start + _BLOCK]
        for i, code in zip(positions[start : start + _BLOCK], _classify_block(block), strict=True):
            out[i] = normalize_code(code)
    return out


# Documents per block: bounds the memory of the feature matrix (bytes x documents).
_BLOCK = 2048


def _classify_block(samples: list[bytes]) -> list[str]:
    model = _model()
    n = len(samples)
    lengths = np.fromiter((len(b) for b in samples), dtype=np.int64, count=n)
    # Longest first, so that the documents still being read are always a prefix.
    order = np.argsort(-lengths, kind="stable")
    width = int(lengths.max()) if n else 0
    matrix = np.zeros((n, width), dtype=np.uint8)
    for row, index in enumerate(order):
        data = samples[index]
        matrix[row, : len(data)] = np.frombuffer(data, dtype=np.uint8)
    sorted_lengths = lengths[order]
    # active[j]: how many documents have more than j bytes (they are the first active[j]).
    active = np.searchsorted(-sorted_lengths, -np.arange(width), side="left")
    state = np.zeros(n, dtype=np.int64)
    features = np.full((width, n), -1, dtype=np.int32)
    for j in range(width):
        k = int(active[j])
        if k == 0:
            break
        state[:k] = model.nextmove[model.rowbase[state[:k]] + matrix[:k, j]]
        features[j, :k] = model.output[state[:k]]
    rows, docs = np.nonzero(features >= 0)
    pairs = docs.astype(np.int64) * len(model.output) + features[rows, docs]
    keys, counts = np.unique(pairs, return_counts=True)
    pair_docs = keys // len(model.output)
    pair_features = keys % len(model.output)
    weights = np.log1p(counts.astype(np.float32))
    scores = np.tile(model.pc, (n, 1))
    # Sum weight * P(feature | class) per document, a slice of pairs at a time (memory).
    step = 20000
    for begin in range(0, len(keys), step):
        end = min(len(keys), begin + step)
        contribution = model.ptc[pair_features[begin:end]]
        contribution *= weights[begin:end, None]
        # Pairs are sorted by document: sum each document's run of rows.
        slice_docs = pair_docs[begin:end]
        starts = np.flatnonzero(np.r_[True, slice_docs[1:] != slice_docs[:-1]])
        scores[slice_docs[starts]] += np.add.reduceat(contribution, starts, axis=0)
    featureless = np.bincount(pair_docs, minlength=n) == 0
    scores[featureless] = np.float32(np.finfo(np.float32).min)
    for first, dupe in model.alias_pairs:
        scores[:, first] = np.maximum(scores[:, first], scores[:, dupe])
        scores[:, dupe] = np.finfo(np.float32).min
    best = scores.argmax(axis=1)
    result = [""] * n
    for row, index in enumerate(order):
        result[index] = model.classes[int(best[row])]
    return result


def assign_language(frame: pd.DataFrame) -> pd.DataFrame:
    """Fill ``language``: the declared code if usable, else detected from title and text."""
    frame = frame.copy()
    declared = [normalize_code(v) if isinstance(v, str) else None for v in frame["language"]]
    sample = (
        frame["title"].fillna("")
        + ". "
        + frame["text"].fillna(frame["summary"]).fillna("").str.slice(0, SAMPLE_CHARS)
    )
    undeclared = [i for i, d in enumerate(declared) if d is None]
    detected = detect_many([sample.iloc[i] for i in undeclared])
    for i, code in zip(undeclared, detected, strict=True):
        declared[i] = code
    frame["language"] = pd.array(declared, dtype="string")
    return frame
