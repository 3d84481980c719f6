"""What the stories stage is handed of the story index: the stored keys that equal a batch's
keys, and the signatures of the articles they name.

The store reads it (``Store.recent_story_index``) and the stories stage reads from it; it lives
here, beside the store's other story-index module (pipeline/band_window.py), so that neither
side imports the other. Plain data: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

# Rule codes of the keys of a ``RecentIndex`` (story_keys stores the title keys; the band keys
# are stored as story_signatures.bands).
TITLE_RULE = 1
BAND_RULE = 2


@dataclass(frozen=True)
class RecentIndex:
    """Stored story keys matching a batch, and the signatures of the articles they name.

    ``keys``: columns key, rule, article_id, story_id, day (a date).
    ``signatures``: columns article_id, signature (bytes of ``minhash.BINS`` uint32 values).
    """

    keys: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {"key": [], "rule": [], "article_id": [], "story_id": [], "day": []}
        )
    )
    signatures: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"article_id": [], "signature": []})
    )
