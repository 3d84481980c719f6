"""Stage: group articles into stories (near-duplicate clusters across outlets).

Every article belongs to exactly one story. Articles are taken in time order; each joins the
story of the first match found among stored articles of the recent window and the batch's
earlier articles, by these rules:

1. **Same outlet, same title**: the same source published the same title key (see
   ``normalize.title_key``; titles of fewer than ``MIN_TITLE_WORDS`` words don't count) within
   ``title_window_days``.
2. **Near-duplicate text**: MinHash over word shingles of title + text (title + summary when
   there is no text) estimates a Jaccard similarity of at least ``threshold`` with an article
   published within ``story_window_days``. Candidates come from LSH band keys, so only
   articles sharing a band are compared; the most similar one wins.

Otherwise the article starts a new story. The exact canonical URL needs no rule here: an
article whose canonical URL is stored is the same article and never reaches this stage.

The store looks up what this stage needs (``pipeline.story_index.RecentIndex``: the stored keys
equal to the batch's keys, with the signatures of the articles they point to); this stage does
no I/O.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline import minhash
from pipeline.membership import find_members, sorted_unique, unique_counts
from pipeline.stages.words import ArticleWords, article_words
from pipeline.story_index import TITLE_RULE, RecentIndex

MIN_TITLE_WORDS = 3
NORMALIZED_COLUMNS = frozenset({"norm_title", "norm_summary", "norm_text"})


def fingerprint(frame: pd.DataFrame, words: ArticleWords | None = None) -> pd.DataFrame:
    """Add the text's matching keys: ``signature`` (bytes), ``shingles`` and ``bands``.

    ``bands``: the LSH band keys packed as stored (``minhash.pack_bands``), None for an article
    without shingles.

    Expects the normalized columns ``norm_title``, ``norm_summary`` and ``norm_text`` (see
    ``relevance.add_normalized_text``), or the articles' hashed words (``words.article_words``
    or ``words.text_words``); the normalized columns are dropped.
    """
    frame = frame.copy()
    if words is None:
        words = article_words(frame)
    positions, lengths = words.ranges(minhash.MAX_WORDS)
    sigs, sizes = minhash.signatures_of_words(words.tokens.hashes[positions], lengths)
    keys = minhash.band_keys(sigs)
    frame["signature"] = [row.tobytes() for row in sigs]
    frame["shingles"] = sizes
    frame["bands"] = [
        packed if size else None
        for packed, size in zip(minhash.pack_bands(keys), sizes, strict=True)
    ]
    # The normalized text, when there is any, has served the queries and the signatures.
    return frame.drop(columns=list(NORMALIZED_COLUMNS.intersection(frame.columns)))


def add_title_hash(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``title_hash``, the title rule's key: source and ``title_key`` hashed, None for a
    title of fewer than ``MIN_TITLE_WORDS`` words."""
    frame = frame.copy(deep=False)
    frame["title_hash"] = [
        minhash.stable_key(source, key)
        if isinstance(key, str) and key.count(" ") + 1 >= MIN_TITLE_WORDS
        else None
        for source, key in zip(frame["source"].tolist(), frame["title_key"].tolist(), strict=True)
    ]
    return frame


def batch_keys(frame: pd.DataFrame) -> tuple[list[int], np.ndarray]:
    """What the store must look up for a fingerprinted batch: its title keys, and its band
    keys (sorted, each once)."""
    titles = sorted({int(k) for k in frame["title_hash"] if k is not None and not pd.isna(k)})
    blobs = [blob for blob in frame["bands"] if blob is not None]
    return titles, sorted_unique(minhash.unpack_bands(blobs))


def _day_numbers(days: pd.Series) -> np.ndarray:
    return pd.to_datetime(days).to_numpy().astype("datetime64[D]").astype(np.int64)


def assign_stories(
    frame: pd.DataFrame,
    index: RecentIndex,
    *,
    threshold: float,
    story_window_days: int,
    title_window_days: int,
) -> pd.DataFrame:
    """Add ``story_id`` (an existing story, else NA) and ``story_key`` (a batch-local label).

    Articles that start a new story get ``story_key`` ``"new:<row>"``, shared by the batch's
    later articles that join them; the store creates one stories row per label, whose lead is
    the article that started it (``story_lead``), the label's earliest article.
    """
    n = len(frame)
    frame = frame.copy()
    if n == 0:
        frame["story_id"] = pd.array([], dtype="Int64")
        frame["story_key"] = pd.Series([], dtype=object)
        frame["story_lead"] = pd.Series([], dtype=bool)
        return frame
    # Articles are matched in time order, so a story's first article is its earliest one.
    when = frame["published_at"].fillna(frame["collected_at"])
    order = np.lexsort((frame["collected_at"].to_numpy(), when.to_numpy()))

    # References: stored articles first (0 .. E-1), then the batch's rows (E .. E+n-1).
    stored = _stored_refs(index)
    e = len(stored["story"])
    days = np.concatenate([stored["day"], _day_numbers(frame["day"])])
    batch_sigs = np.frombuffer(b"".join(frame["signature"]), dtype=np.uint32).reshape(
        n, minhash.BINS
    )
    sigs = np.concatenate([stored["sig"], batch_sigs]) if e else batch_sigs
    has_sig = np.concatenate([stored["has_sig"], frame["shingles"].to_numpy() > 0]).tolist()
    # Python lists: the loop below reads single entries, which numpy arrays serve slowly.
    day_of = days.tolist()
    story: list[object] = list(stored["story"]) + [None] * n

    title_bucket: dict[int, list[int]] = {}
    band_bucket: dict[int, list[int]] = {}
    for key, rule, ref in zip(stored["key"], stored["rule"], stored["ref"], strict=True):
        bucket = title_bucket if rule == TITLE_RULE else band_bucket
        bucket.setdefault(key, []).append(ref)

    # Only keys that occur at least twice (among the stored keys and the batch's) can link two
    # articles; most articles have none, start their own story and need no further look.
    title_hashes = [
        int(h) if h is not None and not pd.isna(h) else None for h in frame["title_hash"]
    ]
    title_shared = _shared(
        [k for k, r in zip(stored["key"], stored["rule"], strict=True) if r == TITLE_RULE],
        [h for h in title_hashes if h is not None],
    )
    band_rows = _shared_bands(frame["bands"].tolist(), band_bucket)
    labels: list[object] = [f"new:{i}" for i in range(n)]
    for i in order.tolist():
        title_hash = title_hashes[i]
        if title_hash is not None and title_hash not in title_shared:
            title_hash = None
        band_list = band_rows[i]
        if title_hash is None and not band_list:
            continue  # nothing links this article: it starts a story of its own
        ref = e + i
        chosen = None
        if title_hash is not None:
            for other in title_bucket.get(title_hash, ()):
                if abs(day_of[other] - day_of[ref]) <= title_window_days:
                    chosen = story[other]
                    break
        if chosen is None and band_list:
            candidates = {
                other
                for key in band_list
                for other in band_bucket.get(key, ())
                if has_sig[other] and abs(day_of[other] - day_of[ref]) <= story_window_days
            }
            if candidates:
                ordered = np.fromiter(candidates, dtype=np.int64, count=len(candidates))
                scores = minhash.similarity(sigs[ref], sigs[ordered])
                best = int(np.argmax(scores))
                if scores[best] >= threshold:
                    chosen = story[ordered[best]]
        if chosen is None:
            chosen = f"new:{i}"
        story[ref] = chosen
        labels[i] = chosen
        if title_hash is not None:
            title_bucket.setdefault(title_hash, []).append(ref)
        for key in band_list:
            band_bucket.setdefault(key, []).append(ref)

    frame["story_id"] = pd.array(
        [label if isinstance(label, int) else None for label in labels], dtype="Int64"
    )
    frame["story_key"] = [label if isinstance(label, str) else None for label in labels]
    frame["story_lead"] = [label == f"new:{i}" for i, label in enumerate(labels)]
    return frame


def _shared(stored: list[int], batch: list[int]) -> set[int]:
    """The keys of ``batch`` that occur more than once among ``stored`` and ``batch``."""
    if not batch:
        return set()
    values, counts = unique_counts(np.array(stored + batch, dtype=np.int64))
    return set(values[counts > 1].tolist())


def _shared_bands(rows: list[bytes | None], stored: dict[int, list[int]]) -> list[list[int]]:
    """Per article, its band keys that some other article (stored or in the batch) has too.

    ``rows``: each article's packed band keys, or None.
    """
    present = [i for i, row in enumerate(rows) if row is not None]
    out: list[list[int]] = [[] for _ in rows]
    if not present:
        return out
    batch = minhash.unpack_bands([rows[i] for i in present])
    values, counts = unique_counts(batch)
    shared = values[counts > 1]
    if stored:
        known = sorted_unique(np.fromiter(stored, dtype=np.int64, count=len(stored)))
        also_stored, _ = find_members(values, known)
        shared = sorted_unique(np.concatenate([shared, values[also_stored]]))
    hit = np.zeros(batch.size, dtype=bool)
    hit[find_members(batch.ravel(), shared)[0]] = True
    hit = hit.reshape(batch.shape)
    for row in np.flatnonzero(hit.any(axis=1)).tolist():
        out[present[row]] = batch[row][hit[row]].tolist()
    return out


def _stored_refs(index: RecentIndex) -> dict[str, np.ndarray | list]:
    """The stored articles named by ``index`` as parallel arrays, one entry per article."""
    keys = index.keys
    if keys.empty:
        return {
            "story": [],
            "day": np.zeros(0, dtype=np.int64),
            "sig": np.zeros((0, minhash.BINS), dtype=np.uint32),
            "has_sig": np.zeros(0, dtype=bool),
            "key": [],
            "rule": [],
            "ref": [],
        }
    # Articles are numbered in the order the keys first name them.
    refs, article_ids = pd.factorize(keys["article_id"].astype(np.int64))
    articles = keys.drop_duplicates("article_id")
    ref_of = {int(a): r for r, a in enumerate(article_ids)}
    sig = np.full((len(article_ids), minhash.BINS), 0, dtype=np.uint32)
    has_sig = np.zeros(len(article_ids), dtype=bool)
    found = [
        (ref_of[article_id], blob)
        for article_id, blob in zip(
            index.signatures["article_id"].astype(np.int64).tolist(),
            index.signatures["signature"].tolist(),
            strict=True,
        )
        if article_id in ref_of and blob is not None and len(blob) == minhash.BINS * 4
    ]
    if found:
        rows = [ref for ref, _blob in found]
        sig[rows] = np.frombuffer(b"".join(blob for _ref, blob in found), dtype=np.uint32).reshape(
            len(found), minhash.BINS
        )
        has_sig[rows] = True
    return {
        "story": articles["story_id"].astype(np.int64).tolist(),
        "day": _day_numbers(articles["day"]),
        "sig": sig,
        "has_sig": has_sig,
        "key": keys["key"].astype(np.int64).tolist(),
        "rule": keys["rule"].astype(np.int64).tolist(),
        "ref": refs.tolist(),
    }
