"""The state of a page, read from its address: every parameter checked, one message when not.

A page's address holds everything it shows (filters, period, query), so any page can be
bookmarked, shared and downloaded. Parameters a page does not take, values that do not parse
and values with control characters are refused with one line (HTTP 400), never ignored.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

GRAINS = ("day", "week", "month")
# Longest query and most values of one filter a page accepts.
MAX_QUERY = 4000
MAX_VALUES = 100
MAX_DAYS = 36_600
DEFAULT_DAYS = 30


class ParamError(ValueError):
    """A parameter of the address is wrong; the message is one line for the reader."""


@dataclass(frozen=True)
class Period:
    """The days a page covers, and the period its trend is counted by."""

    since: dt.date
    until: dt.date
    by: str
    chosen: bool  # False: the default period, counted back from the newest day with data

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1


class Params:
    """The parameters of one request, checked against the names a page takes."""

    def __init__(self, query: QueryParams, single: Iterable[str], multiple: Iterable[str] = ()):
        self.single = tuple(single)
        self.multiple = tuple(multiple)
        allowed = set(self.single) | set(self.multiple)
        names = list(dict.fromkeys(query.keys()))
        unknown = [n for n in names if n not in allowed]
        if unknown:
            raise ParamError(
                f"unknown parameter {_quote(unknown[0][:40])}; this page takes "
                + ", ".join(sorted(allowed))
            )
        self.values: dict[str, list[str]] = {}
        for name in names:
            values = query.getlist(name)
            if name in self.single and len(values) > 1:
                raise ParamError(f"{name} is given {len(values)} times; give it once")
            if len(values) > MAX_VALUES:
                raise ParamError(f"{name} is given {len(values)} times; at most {MAX_VALUES}")
            for value in values:
                _check_text(name, value)
            self.values[name] = values

    def text(self, name: str) -> str | None:
        values = self.values.get(name)
        if not values or not values[0].strip():
            return None
        return values[0].strip()

    def texts(self, name: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v.strip() for v in self.values.get(name, []) if v.strip()))

    def choice(self, name: str, choices: Iterable[str], default: str) -> str:
        value = self.text(name)
        choices = tuple(choices)
        if value is None:
            return default
        if value not in choices:
            raise ParamError(f"{name}={_quote(value[:40])}: expected {' or '.join(choices)}")
        return value

    def integer(self, name: str, low: int, high: int) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        if not value.isascii() or not value.isdigit():
            raise ParamError(f"{name}={_quote(value[:40])}: expected a whole number")
        number = int(value)
        if not low <= number <= high:
            raise ParamError(f"{name}={number}: expected a number from {low} to {high}")
        return number

    def date(self, name: str) -> dt.date | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            if len(value) != 10:
                raise ValueError
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ParamError(f"{name}={_quote(value[:40])}: expected a date, YYYY-MM-DD") from None

    def period(self, last_day: dt.date, first_day: dt.date | None = None) -> Period:
        """``since``/``until`` (either may be left out), or ``days`` back from ``until`` (by default
        the newest day with data); ``by`` defaults to days for up to three months, weeks for up to
        three years, months beyond. The default period (nothing chosen) starts no earlier than
        ``first_day``, the first day with data."""
        since, until = self.date("since"), self.date("until")
        days = self.integer("days", 1, MAX_DAYS)
        if days is not None and since is not None and until is not None:
            raise ParamError("give since and until, or days, not all three")
        if since is not None and until is not None and since > until:
            raise ParamError(f"since {since} is after until {until}")
        chosen = since is not None or until is not None or days is not None
        if until is None:
            if since is not None and days is not None:
                until = since + dt.timedelta(days=days - 1)
            else:
                until = max(last_day, since) if since is not None else last_day
        if since is None:
            since = until - dt.timedelta(days=(days or DEFAULT_DAYS) - 1)
            if not chosen and first_day is not None and since < first_day <= until:
                since = first_day
        span = (until - since).days + 1
        default = "day" if span <= 92 else "week" if span <= 3 * 366 else "month"
        return Period(since, until, self.choice("by", GRAINS, default), chosen)


def _check_text(name: str, value: str) -> None:
    limit = MAX_QUERY if name == "q" else 300
    if len(value) > limit:
        raise ParamError(f"{name} is {len(value):,} characters long; at most {limit:,}")
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\t\n\r":
            raise ParamError(f"{name} contains the control character U+{ord(ch):04X}")


def _quote(value: str) -> str:
    return "'" + value.replace("'", "’") + "'"


def address(path: str, values: Iterable[tuple[str, object]]) -> str:
    """``path`` with the given parameters (None and empty values left out)."""
    pairs = [(k, str(v)) for k, v in values if v is not None and v != ""]
    return path + (f"?{urlencode(pairs)}" if pairs else "")


__all__ = ["GRAINS", "ParamError", "Params", "Period", "address"]
