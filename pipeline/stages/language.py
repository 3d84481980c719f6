"""Stage: the language of each article as an ISO 639-1 code.

A declared language (from the feed, the page or the item) is kept after normalization
(``en-US`` → ``en``; Dari ``prs`` and ``fa-AF`` → ``fa``); otherwise py3langid decides, because
unlike langdetect and lingua it knows Pashto and ships its model inside the package.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

# How much of an article the detector reads: the opening is enough and keeps it fast.
SAMPLE_CHARS = 400
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


@lru_cache(maxsize=1)
def _identifier():  # noqa: ANN202 - py3langid has no public type for it
    from py3langid import langid

    return langid._get_identifier()  # the packaged model, loaded once per process


def detect(text: str | None) -> str | None:
    """The most likely language of ``text``, or None when there is too little to judge."""
    if not text:
        return None
    sample = text[:SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < 8:
        return None
    code, _score = _identifier().classify(sample)
    return normalize_code(code)


def assign_language(frame: pd.DataFrame) -> pd.DataFrame:
    """Fill ``language``: the declared code if usable, else detected from title and text."""
    frame = frame.copy()
    declared = [normalize_code(v) if isinstance(v, str) else None for v in frame["language"]]
    sample = (
        frame["title"].fillna("")
        + ". "
        + frame["text"].fillna(frame["summary"]).fillna("").str.slice(0, SAMPLE_CHARS)
    )
    frame["language"] = pd.array(
        [d or detect(s) for d, s in zip(declared, sample, strict=True)], dtype="string"
    )
    return frame
