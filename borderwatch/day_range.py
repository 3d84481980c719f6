"""The days a report or a digest may be asked about.

No article can be dated before the plausibility floor of the item format (``crawler.dates``:
1995-01-01), so no earlier day has coverage; a day more than a year ahead has none either.
Refusing such days with one line keeps date arithmetic (a week's start, a baseline before the
first day) inside what Python and pandas can represent.
"""

from __future__ import annotations

import datetime as dt

from crawler.dates import EARLIEST

FIRST_DAY = EARLIEST.date()
#: How far past today a day may be.
AHEAD = dt.timedelta(days=366)


def check_day(day: dt.date, today: dt.date | None = None) -> dt.date:
    """``day``, or ValueError with one line saying why it is out of range."""
    today = today or dt.date.today()
    last = today + AHEAD
    if day < FIRST_DAY:
        raise ValueError(f"{day} is before {FIRST_DAY}, the earliest day an article can have")
    if day > last:
        raise ValueError(f"{day} is more than a year ahead (the latest is {last})")
    return day
