"""What every report returns: a table with a title, and what its chart needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class Report:
    """One report: ``frame`` holds exactly the columns every output format shows."""

    kind: str  # trend, sources, stories, tags: picks the chart
    title: str
    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    # What a chart needs beyond the table (e.g. the tag matrix of ``report tags``).
    extra: dict[str, Any] = field(default_factory=dict)
