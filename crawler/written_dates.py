"""Dates as news pages write them for readers, in English, Urdu, Dari and Pashto.

``26 October 2025``, ``Oct 26, 2025``, ``27/10/2025``, ``۲۶ اکتوبر ۲۰۲۵ء``, ``۴ عقرب ۱۴۰۴`` (Solar
Hijri, as Afghan outlets date their pages), ``۱۴۰۴ د لړم ۴مه`` (Pashto), ``د ۲۰۲۵ کال د اکتوبر
۲۹مه``. Digits may be Western, Eastern Arabic or Persian/Urdu; Solar Hijri dates are converted to
the Gregorian calendar. Numeric dates are read day first, as the region writes them, unless the
day-first reading is impossible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from crawler.dates import REGIONAL_ZONES, solar_hijri_to_gregorian

__all__ = ["WrittenDate", "find_written_dates", "fold_text"]

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
# Letter variants that differ between Urdu, Dari and Pashto keyboards, and invisible marks.
_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ګ": "گ", "ۀ": "ه", "ہ": "ه", "ة": "ه",
                          "ۍ": "ی", "ې": "ی", "\u200c": "", "\u200f": "", "\u200e": "",
                          "\u0640": "", "\u00a0": " "})  # fmt: skip


def fold_text(text: str) -> str:
    """Digits to ASCII and Arabic-script letter variants to one form, for matching dates and
    labels; case is kept (month names are matched case-insensitively)."""
    return text.translate(_DIGITS).translate(_LETTERS)


_GREGORIAN = {
    "en": "january february march april may june july august september october november december",
    "en_abbr": "jan feb mar apr may jun jul aug sep oct nov dec",
    "ur": "جنوری فروری مارچ اپریل مئی جون جولائی اگست ستمبر اکتوبر نومبر دسمبر",
    "af": "جنوری فبروری مارچ اپریل می جون جولای اگست سپتمبر اکتوبر نومبر دسمبر",
    "ir": "ژانویه فوریه مارس آوریل مه ژوئن ژوئیه اوت سپتامبر اکتبر نوامبر دسامبر",
}
_SOLAR_HIJRI = {
    "af": "حمل ثور جوزا سرطان اسد سنبله میزان عقرب قوس جدی دلو حوت",
    "ir": "فروردین اردیبهشت خرداد تیر مرداد شهریور مهر آبان آذر دی بهمن اسفند",
    "ps": "وری غویی غبرگولی چنگاښ زمری وږی تله لړم لیندی مرغومی سلواغه کب",
}


def _month_table() -> dict[str, tuple[str, int]]:
    table: dict[str, tuple[str, int]] = {}
    for names in _GREGORIAN.values():
        for number, name in enumerate(names.split(), start=1):
            table[fold_text(name)] = ("gregorian", number)
    for names in _SOLAR_HIJRI.values():
        for number, name in enumerate(names.split(), start=1):
            table.setdefault(fold_text(name), ("solar_hijri", number))
    # Spellings seen beside the table's: "Sept", Urdu "مئ", Pashto "جولائی", Dari "اگوست".
    for extra, month in (("sept", 9), ("مئ", 5), ("اگوست", 8), ("جولائی", 7), ("فیبروری", 2)):
        table.setdefault(fold_text(extra), ("gregorian", month))
    return table


_MONTHS = _month_table()
_MONTH = "(?P<{}>" + "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True)) + ")"
_DAY = r"(?P<{}>[0-3]?\d)"
_YEAR = r"(?P<{}>(?:19|20|13|14)\d\d)"
# Ordinal suffixes: 2nd, 26th, Pashto ۲۶مه / ۲۶م.
_ORD = r"(?:st|nd|rd|th|مه|م)?"
_SEP = r"[\s,،.]*"
# The end of a date: not followed by more digits or letters of a longer word.
_END = r"(?![\w])"
_TIME = (
    r"(?:[\s,،|·-]*(?:at\s+)?(?P<hour>[0-2]?\d):(?P<minute>[0-5]\d)(?::[0-5]\d)?\s*"
    r"(?P<ampm>[ap]\.?m\.?)?\s*(?P<zone>[A-Z]{3,4}\b|[+-]\d\d:?\d\d)?)?"
)

_PATTERNS = [
    # 26 October 2025, 2nd Nov. 2025, ۲۶ اکتوبر ۲۰۲۵ء, ۴ عقرب ۱۴۰۴, 26th of October 2025
    re.compile(
        r"(?<![\w])"
        + _DAY.format("day")
        + _ORD
        + r"\s*(?:of\s+|د\s+)?"
        + _MONTH.format("month")
        + r"\.?"
        + _SEP
        + _YEAR.format("year")
        + r"(?:ء|ھ|ه)?"
        + _END
        + _TIME,
        re.IGNORECASE,
    ),
    # October 26, 2025; Oct. 30 2025
    re.compile(
        r"(?<![\w])"
        + _MONTH.format("month")
        + r"\.?\s+"
        + _DAY.format("day")
        + _ORD
        + _SEP
        + _YEAR.format("year")
        + _END
        + _TIME,
        re.IGNORECASE,
    ),
    # Pashto: ۱۴۰۴ د لړم ۴مه; د ۲۰۲۵ کال د اکتوبر ۲۹مه
    re.compile(
        r"(?<![\w])"
        + _YEAR.format("year")
        + r"\s*(?:کال\s*)?(?:[,،]\s*)?د\s+"
        + _MONTH.format("month")
        + r"\s+"
        + _DAY.format("day")
        + _ORD
        + _END
    ),
    # 2025-10-26, 2025/10/26, 1404/8/4
    re.compile(
        r"(?<![\w/.-])"
        + _YEAR.format("year")
        + r"(?P<s>[-/.])(?P<month>[0-3]?\d)(?P=s)"
        + _DAY.format("day")
        + r"(?!\d|[/.]\d)"
        + _TIME
    ),
    # 27/10/2025, 27.10.2025, 27-10-2025 (day first)
    re.compile(
        r"(?<![\w/.-])"
        + _DAY.format("day")
        + r"(?P<s>[-/.])(?P<month>[0-3]?\d)(?P=s)"
        + _YEAR.format("year")
        + r"(?!\d|[/.]\d)"
        + _TIME
    ),
]


_FOUR_DIGITS = re.compile(r"\d{4}")


@dataclass(frozen=True)
class WrittenDate:
    """A date found in text: the moment (UTC; midnight UTC of the written day when no time with
    a zone is written), whether a time with a zone was written, and where in the folded text it
    was found."""

    moment: datetime
    timed: bool
    start: int
    end: int

    @property
    def day(self) -> date:
        return self.moment.date()


def _calendar_date(year: int, month: int, day: int, calendar: str | None) -> date | None:
    if year < 1900:
        # 13xx/14xx years are Solar Hijri; a Gregorian month name with them is not a date.
        if calendar == "gregorian":
            return None
        return solar_hijri_to_gregorian(year, month, day)
    if calendar == "solar_hijri":
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _zone_offset(zone: str | None) -> timedelta | None:
    if not zone:
        return None
    upper = zone.upper()
    if upper in ("GMT", "UTC", "Z"):
        return timedelta(0)
    if upper in REGIONAL_ZONES:
        return timedelta(minutes=REGIONAL_ZONES[upper])
    sign = re.fullmatch(r"([+-])(\d\d):?(\d\d)", zone)
    if sign:
        minutes = int(sign.group(2)) * 60 + int(sign.group(3))
        return timedelta(minutes=minutes if sign.group(1) == "+" else -minutes)
    return None


def _moment(day: date, match: re.Match[str]) -> tuple[datetime, bool]:
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    groups = match.groupdict()
    offset = _zone_offset(groups.get("zone"))
    if groups.get("hour") is None or offset is None:
        # A time without a zone cannot be placed in UTC: the written day is what is known.
        return midnight, False
    hour = int(groups["hour"]) % 24
    ampm = (groups.get("ampm") or "").lower()
    if ampm.startswith("p") and hour < 12:
        hour += 12
    elif ampm.startswith("a") and hour == 12:
        hour = 0
    return midnight + timedelta(hours=hour, minutes=int(groups["minute"])) - offset, True


def find_written_dates(folded: str) -> list[WrittenDate]:
    """Every date written in ``folded`` (text passed through :func:`fold_text`), in order of
    position."""
    if not _FOUR_DIGITS.search(folded):
        return []  # every date here has a four-digit year: most lines are done with at once
    found: dict[int, WrittenDate] = {}
    taken: list[tuple[int, int]] = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(folded):
            start, end = match.span()
            if any(start < b and a < end for a, b in taken):
                continue
            month_text = match.group("month")
            calendar, month = _MONTHS.get(month_text.lower(), (None, 0))
            day_number = int(match.group("day"))
            if calendar is None:
                month = int(month_text)
                if month > 12 >= day_number:
                    month, day_number = day_number, month  # 10/27/2025: month first after all
            day = _calendar_date(int(match.group("year")), month, day_number, calendar)
            if day is None:
                continue
            moment, timed = _moment(day, match)
            taken.append((start, end))
            found[start] = WrittenDate(moment, timed, start, end)
    return [found[k] for k in sorted(found)]
