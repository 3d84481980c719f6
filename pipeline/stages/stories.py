"""Stage: group articles into stories (near-duplicate clusters across outlets).

Every article belongs to a story. An article joins an existing story when the same outlet
published the same normalized title within the title window; articles of one batch with the
same normalized title form one story.
"""

from __future__ import annotations

import pandas as pd


def assign_stories(frame: pd.DataFrame, recent_titles: pd.DataFrame) -> pd.DataFrame:
    """Add ``story_id`` (an existing story, else NA) and ``story_key`` (a batch-local label).

    ``recent_titles`` has columns source, title_key, story_id for stored articles of the title
    window (the store provides it; this stage does no I/O).
    """
    frame = frame.copy()
    existing = (
        recent_titles.dropna(subset=["title_key", "story_id"])
        .drop_duplicates(["source", "title_key"], keep="last")
        .set_index(["source", "title_key"])["story_id"]
    )
    lookup = {k: int(v) for k, v in existing.items()}
    story_ids = [
        lookup.get((s, t)) if isinstance(t, str) else None
        for s, t in zip(frame["source"], frame["title_key"], strict=True)
    ]
    frame["story_id"] = pd.array(story_ids, dtype="Int64")
    # Copies of one title in this batch share a label; untitled articles are stories alone.
    label = (
        frame["title_key"]
        .astype("object")
        .where(frame["title_key"].notna(), "#" + frame["canonical_url"].astype("object"))
    )
    frame["story_key"] = label
    # A batch-local cluster that already has a story somewhere joins it as a whole.
    known = frame.dropna(subset=["story_id"]).drop_duplicates("story_key")
    joined = dict(zip(known["story_key"], known["story_id"], strict=True))
    frame["story_id"] = frame["story_id"].fillna(frame["story_key"].map(joined)).astype("Int64")
    return frame
