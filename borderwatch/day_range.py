"""The days a report or a digest may be asked about.

No article can be dated before the plausibility floor of the item format (``crawler.dates``:
1995-01-01), so no earlier day has coverage. Later days are accepted up to 2199-12-31 (a range
in the future simply has no coverage yet), well inside what pandas can represent (2262).
Refusing other days with one line keeps date arithmetic (a week's start, a baseline before the
first day) inside what Python and pandas can compute.
"""

from __future__ import annotations

import datetime as dt

from crawler.dates import EARLIEST

FIRST_DAY = EARLIEST.date()
LAST_DAY = dt.date(2199, 12, 31)


def check_day(day: dt.date) -> dt.date:
    """``day``, or ValueError with one line saying why it is out of range."""
    if day < FIRST_DAY:
        raise ValueError(f"{day} is before {FIRST_DAY}, the earliest day an article can have")
    if day > LAST_DAY:
        raise ValueError(f"{day} is after {LAST_DAY}, the latest day borderwatch reports on")
    return day
