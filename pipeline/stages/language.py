"""Stage: the language of each article as an ISO 639-1 code.

A declared language (from the feed, the page or the item) is kept after normalization
(``en-US`` → ``en``; Dari ``prs`` and ``fa-AF`` → ``fa``); otherwise py3langid decides, because
unlike langdetect and lingua it knows Pashto and ships its model inside the package.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import re
import tempfile
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

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
    # same_label[i, j]: classes i and j are one label (py3langid's aliases, e.g. two ``uz``).
    same_label: np.ndarray
    codes: dict[str, str | None]


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
    """The candidates' model: from the cache file when there is one, else from py3langid."""
    path = _cache_path()
    arrays = _read_cache(path) if path is not None else None
    if arrays is None:
        arrays = _model_arrays()
        if path is not None:
            _write_cache(path, arrays)
    classes = [str(c) for c in arrays["classes"].tolist()]
    first: dict[str, int] = {}
    aliases = []
    for position, code in enumerate(classes):
        if code in first:
            aliases.append((first[code], position))
        else:
            first[code] = position
    labels = np.array(classes)
    return _Model(
        nextmove=arrays["nextmove"],
        rowbase=arrays["rowbase"],
        output=arrays["output"],
        ptc=arrays["ptc"],
        pc=arrays["pc"],
        classes=classes,
        alias_pairs=aliases,
        same_label=labels[:, None] == labels[None, :],
        codes={code: normalize_code(code) for code in classes},
    )


def _model_arrays() -> dict[str, np.ndarray]:
    """The parts of py3langid's model that detection uses, restricted to the candidates."""
    ident = _identifier()
    keep = [i for i, c in enumerate(ident.nb_classes) if c in CANDIDATE_LANGUAGES]
    return {
        # A view of the automaton's table, not a copy (it is the largest part of the model).
        "nextmove": np.frombuffer(ident.tk_nextmove, dtype=np.uint32),
        "rowbase": np.asarray(ident._rowbase, dtype=np.int64),
        "output": np.asarray(ident.tk_output, dtype=np.int32),
        # float32 holds py3langid's float16 weights exactly, and numpy computes in float32.
        "ptc": np.ascontiguousarray(np.asarray(ident.nb_ptc)[:, keep], dtype=np.float32),
        "pc": np.asarray(ident.nb_pc, dtype=np.float32)[keep],
        "classes": np.array([ident.nb_classes[i] for i in keep]),
    }


# py3langid ships its model LZMA-compressed: unpacking it takes most of a second, in every
# process that detects languages (the ingest worker, each collect run). The arrays above are
# therefore kept uncompressed in a cache file, named after what they derive from, and read in
# about 0.15 s. A missing, unreadable or unwritable cache only costs that second.
CACHE_ENV = "BORDERWATCH_CACHE_DIR"


def _cache_path() -> Path | None:
    """Where the cached model lives: $BORDERWATCH_CACHE_DIR, else $XDG_CACHE_HOME/borderwatch,
    else ~/.cache/borderwatch; the name tells the py3langid model and candidates it holds."""
    try:
        from py3langid import langid

        model = Path(langid.MODEL_FILE)
        if not model.is_absolute():
            model = Path(langid.MODEL_DIR) / model
        stat = model.stat()
        version = importlib.metadata.version("py3langid")
    except (OSError, ImportError, importlib.metadata.PackageNotFoundError, AttributeError):
        return None
    root = os.environ.get(CACHE_ENV)
    if not root:
        xdg = os.environ.get("XDG_CACHE_HOME")
        try:
            root = (
                str(Path(xdg) / "borderwatch") if xdg else str(Path.home() / ".cache/borderwatch")
            )
        except RuntimeError:  # no home directory to be found
            return None
    source = f"{version}|{stat.st_size}|{stat.st_mtime_ns}|{' '.join(sorted(CANDIDATE_LANGUAGES))}"
    digest = hashlib.blake2b(source.encode("utf-8"), digest_size=8).hexdigest()
    return Path(root) / f"langid-{digest}.npz"


def _read_cache(path: Path) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in _CACHED}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    ptc, classes = arrays["ptc"], arrays["classes"]
    if ptc.ndim != 2 or ptc.shape[1] != len(classes) or len(arrays["pc"]) != len(classes):
        return None
    return arrays


def _write_cache(path: Path, arrays: dict[str, np.ndarray]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
            np.savez(handle, **arrays)
        os.chmod(handle.name, 0o644)  # readable by other users sharing the folder
        # Atomic: a process reading the cache sees the old file or the whole new one.
        os.replace(handle.name, path)
    except OSError:
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(handle.name)


_CACHED = ("nextmove", "rowbase", "output", "ptc", "pc", "classes")


# Fewer than 8 letters (word characters that are neither digits nor ``_``) is not enough to
# judge; matching the first 8 stops early where counting all letters would read the whole text.
_EIGHT_LETTERS = re.compile(r"(?:[\W\d_]*[^\W\d_]){8}")


def _usable(sample: str) -> bool:
    """At least 8 letters: less is not enough to judge."""
    return _EIGHT_LETTERS.match(sample) is not None


def detect(text: str | None) -> str | None:
    """The most likely language of ``text``, or None when there is too little to judge."""
    return detect_many([text])[0]


def detect_many(texts: Sequence[str | None]) -> list[str | None]:
    """``detect`` for many texts, with py3langid's model applied to all of them at once.

    py3langid walks a byte automaton over each text in Python (about 65 µs per short text);
    here the automaton advances every document by one byte per numpy step, and the naive Bayes
    scores are summed per document from the visited features, a batched matrix product per
    group of documents. Where two labels' scores are too close for the order of summation not
    to matter, py3langid's own arithmetic decides, so the result equals ``py3langid.classify``
    restricted to ``CANDIDATE_LANGUAGES`` on each sample.
    """
    out: list[str | None] = [None] * len(texts)
    samples = []
    positions = []
    usable = _EIGHT_LETTERS.match
    normalize = unicodedata.normalize
    for i, text in enumerate(texts):
        if not text:
            continue
        sample = text[:SAMPLE_CHARS]
        if usable(sample) is None:
            continue
        # As py3langid prepares a text: all-capitals lowered, then NFC, as UTF-8.
        if sample.isupper():
            sample = sample.lower()
        samples.append(normalize("NFC", sample).encode("utf-8", "surrogatepass"))
        positions.append(i)
    codes = _model().codes if samples else {}
    for start in range(0, len(samples), _BLOCK):
        block = samples[start : start + _BLOCK]
        for i, code in zip(positions[start : start + _BLOCK], _classify_block(block), strict=True):
            out[i] = codes[code]
    return out


# Documents per block: bounds the memory of the byte and visit arrays, and keeps a
# (document, feature) key below 2**31.
_BLOCK = 2048
# Documents scored by one batched matrix product: each is padded to the group's largest
# feature count, so groups are formed from documents of similar counts.
_GROUP = 64
_FLOOR = np.float32(np.finfo(np.float32).min)
_UNIT_ROUNDOFF = 2.0**-24  # float32
# The fast path decides where the best score leads every other label's by more than _SAFETY
# times the sum of both scores' rounding bounds (see _certain): 2 covers this computation and
# py3langid's, the rest is headroom.
_SAFETY = 4.0


def _classify_block(samples: list[bytes]) -> list[str]:
    """py3langid's class for each of ``samples`` (prepared UTF-8, at most ``_BLOCK``)."""
    model = _model()
    n = len(samples)
    if n == 0:
        return []
    lengths = np.fromiter(map(len, samples), dtype=np.int64, count=n)
    # Longest first, so that the documents still being read are always a prefix.
    order = np.argsort(-lengths, kind="stable").tolist()
    sorted_lengths = lengths[order]
    states, active = _walk(model, [samples[i] for i in order], sorted_lengths)
    features = np.take(model.output, states, mode="clip")
    # The visits of step j are documents 0 .. active[j] - 1, in order.
    step_starts = np.cumsum(active) - active
    keys = np.arange(len(states), dtype=np.int32)
    keys -= np.repeat(step_starts.astype(np.int32), active)
    # key = document row * n_features + feature, for the visits that found a feature.
    n_features = np.int32(len(model.ptc))
    keys *= n_features
    keys += features
    keys = keys[features >= 0]
    keys.sort()
    # Distinct (document, feature) pairs and how often each was visited.
    first = np.empty(len(keys), dtype=bool)
    first[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    counts = np.diff(starts, append=len(keys))
    pairs = keys[starts]
    doc_starts = np.searchsorted(pairs, np.arange(n + 1, dtype=np.int64) * n_features)
    per_doc = np.diff(doc_starts)
    pair_features = pairs - np.repeat(np.arange(n, dtype=np.int32) * n_features, per_doc)
    # log1p(count) as py3langid weighs a count, from a table: counts are small integers.
    log1p = np.log1p(np.arange(int(counts.max(initial=0)) + 1, dtype=np.float32))
    weights = np.take(log1p, counts, mode="clip")
    scores, terms = _scores(model, pair_features, weights, doc_starts[:-1], per_doc)
    best = scores.argmax(axis=1)
    certain = _certain(model, scores, best, terms) & (per_doc > 0)
    labels = [model.classes[b] for b in best.tolist()]
    for row in np.flatnonzero(~certain).tolist():
        visited = features[step_starts[: sorted_lengths[row]] + row]
        labels[row] = _exact_label(model, visited[visited >= 0])
    result = [""] * n
    for row, index in enumerate(order):
        result[index] = labels[row]
    return result


def _walk(
    model: _Model, samples: list[bytes], lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The automaton's state after each byte of each sample (longest first), step by step.

    Returns the states of step 0 for every document, then of step 1 for those with a second
    byte, and so on, and how many documents each step advances.
    """
    n = len(samples)
    width = int(lengths[0])
    # active[j]: how many documents have more than j bytes (they are the first active[j]).
    active = np.searchsorted(-lengths, -np.arange(width), side="left")
    # Byte j of every document is row j: contiguous for the step that reads it.
    columns = (
        np.frombuffer(b"".join([s.ljust(width, b"\0") for s in samples]), dtype=np.uint8)
        .reshape(n, width)
        .T.copy()
    )
    states = np.empty(int(lengths.sum()), dtype=np.uint32)
    state = np.zeros(n, dtype=np.uint32)
    offsets = np.empty(n, dtype=np.int64)
    begin = 0
    # take(..., out=, mode="clip") writes in place and skips the bounds checks (every index is
    # valid by construction): the loop runs once per byte column.
    for j, k in enumerate(active.tolist()):
        step = offsets[:k]
        np.take(model.rowbase, state[:k], out=step, mode="clip")
        step += columns[j, :k]
        state = states[begin : begin + k]
        np.take(model.nextmove, step, out=state, mode="clip")
        begin += k
    return states, active


def _scores(
    model: _Model,
    features: np.ndarray,
    weights: np.ndarray,
    doc_starts: np.ndarray,
    per_doc: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Naive Bayes scores (documents x classes) and the number of terms each sum had.

    Document d's pairs are ``features[doc_starts[d]:][:per_doc[d]]`` with their weights.
    """
    n = len(per_doc)
    scores = np.zeros((n, len(model.classes)), dtype=np.float32)
    terms = np.zeros(n, dtype=np.int64)
    by_size = np.argsort(per_doc, kind="stable")
    classes = len(model.classes)
    # One buffer, large enough for any group, for the gathered rows: a fresh array of this size
    # per group would be fresh pages each time.
    buffer = np.empty(min(n, _GROUP) * int(per_doc.max(initial=0)) * classes, np.float32)
    for begin in range(0, n, _GROUP):
        docs = by_size[begin : begin + _GROUP]
        width = int(per_doc[docs[-1]])
        if width == 0:
            continue
        slots = np.arange(width)
        valid = slots < per_doc[docs, None]
        where = np.where(valid, doc_starts[docs, None] + slots, 0)
        # Padding slots weigh 0, so they add exact zeros.
        w = np.where(valid, weights[where], np.float32(0))
        rows = buffer[: where.size * classes].reshape(len(docs), width, classes)
        np.take(model.ptc, features[where], axis=0, out=rows, mode="clip")
        scores[docs] = np.matmul(w[:, None, :], rows)[:, 0]
        terms[docs] = width
    scores += model.pc
    return scores, terms


def _certain(model: _Model, scores: np.ndarray, best: np.ndarray, terms: np.ndarray) -> np.ndarray:
    """Where ``best`` is py3langid's choice whatever the order it sums the same terms in.

    A float32 sum of m terms differs from the exact sum by at most gamma_m times the sum of
    their magnitudes (gamma_m = m u / (1 - m u)). Every weight times log-probability is <= 0, so
    that magnitude is the prior minus the score. Where the best score leads every other
    label's by more than these bounds (for this computation and py3langid's), both choose
    the same label; elsewhere py3langid's own arithmetic decides.
    """
    m = terms.astype(np.float64) + 1  # the prior is one more addition; u is float32's 2**-24
    gamma = m * _UNIT_ROUNDOFF / (1 - m * _UNIT_ROUNDOFF)
    values = scores.astype(np.float64)
    bound = gamma[:, None] * (np.abs(values) + 2 * np.abs(model.pc.astype(np.float64)))
    rows = np.arange(len(best))
    lead = values[rows, best][:, None] - values
    margin = lead - _SAFETY * (bound[rows, best][:, None] + bound)
    margin[model.same_label[best]] = np.inf
    return margin.min(axis=1) > 0


def _exact_label(model: _Model, visited: np.ndarray) -> str:
    """py3langid's classify, with its own arithmetic, from the features visited in order."""
    visits = Counter(visited.tolist())
    if visits:
        idx = np.fromiter(visits.keys(), dtype=np.intp, count=len(visits))
        counts = np.fromiter(visits.values(), dtype=np.float32, count=len(visits))
        # py3langid's float16 table (the float32 one holds its values exactly).
        scores = np.log1p(counts) @ model.ptc[idx].astype(np.float16) + model.pc
    else:
        scores = np.full(len(model.classes), _FLOOR, dtype=np.float32)
    for first, dupe in model.alias_pairs:
        scores[first] = max(scores[first], scores[dupe])
        scores[dupe] = _FLOOR
    return model.classes[int(scores.argmax())]


def assign_language(frame: pd.DataFrame) -> pd.DataFrame:
    """Fill ``language``: the declared code if usable, else detected from title and text."""
    frame = frame.copy()
    declared = [
        normalize_code(v) if isinstance(v, str) else None for v in frame["language"].tolist()
    ]
    undeclared = [i for i, d in enumerate(declared) if d is None]
    if undeclared:
        titles = frame["title"].tolist()
        texts = frame["text"].tolist()
        summaries = frame["summary"].tolist()
        samples = []
        for i in undeclared:
            # The title, then the text (else the summary); missing values are empty.
            title, body = titles[i], texts[i]
            if not isinstance(body, str):
                body = summaries[i]
            title = title if isinstance(title, str) else ""
            body = body[:SAMPLE_CHARS] if isinstance(body, str) else ""
            samples.append(f"{title}. {body}")
        for i, code in zip(undeclared, detect_many(samples), strict=True):
            declared[i] = code
    frame["language"] = pd.array(declared, dtype="string")
    return frame
