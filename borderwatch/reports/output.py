"""Render a report's table as an aligned text table, CSV, JSON or Markdown.

Every format shows the same columns under the same names; JSON is a list of objects keyed by
them, with dates as ISO strings, booleans as booleans and missing values as null.

Titles and names come from the sites collected, so each format is made safe for where it is
read (docs/reports.md, "Output safety"): the table drops control characters and terminal
escape sequences and shows bidirectional overrides as ``<U+202E>``; Markdown escapes HTML and
shows the overrides the same way; CSV prefixes a text cell that a spreadsheet would run as a
formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) with ``'``, as OWASP
recommends. JSON is data for programs and is left as it is.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
from typing import Any

import pandas as pd

FORMATS = ("table", "csv", "json", "markdown")

# ESC sequences: OSC (ESC ] ... BEL or ESC \\, e.g. a window title or a hyperlink), CSI (ESC [ ...
# final byte, e.g. colours or cursor moves) and the two-byte ones.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b(?:\][^\x07\x1b]*(?:\x07|\x1b\\)?|\[[0-?]*[ -/]*[@-~]?|[@-Z\\-_]?)"
)
# C0 and C1 controls and DEL; line breaks and tabs become spaces, the rest go.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Bidirectional embeddings, overrides and isolates: they reorder what follows them on the line.
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# What a spreadsheet takes for the start of a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def terminal_text(text: str) -> str:
    """``text`` safe to print on a terminal: no escape sequences or control characters, line
    breaks as spaces, bidirectional overrides shown as ``<U+202E>``."""
    if _ESCAPE_SEQUENCE.search(text):
        text = _ESCAPE_SEQUENCE.sub("", text)
    if _CONTROL.search(text):
        text = _CONTROL.sub(lambda m: " " if m.group() in "\t\n\r" else "", text)
    if _BIDI.search(text):
        text = _BIDI.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)
    return text


def csv_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, made plain text with a ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def render(frame: pd.DataFrame, fmt: str = "table") -> str:
    """The table in ``fmt`` (one of FORMATS), ending with a newline."""
    if fmt == "csv":
        buffer = io.StringIO()
        safe = frame.copy()
        for column in safe.columns:
            if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
                safe[column] = safe[column].map(csv_cell)
        safe.to_csv(buffer, index=False, lineterminator="\n")
        return buffer.getvalue()
    if fmt == "json":
        return json.dumps(records(frame), ensure_ascii=False, indent=2) + "\n"
    if fmt == "markdown":
        return _markdown(frame)
    if fmt == "table":
        return _aligned(frame)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain Python objects (what ``json`` writes)."""
    return [{str(k): _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _cell(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _is_number(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _column_cells(series: pd.Series) -> list[str]:
    """One column's cells as text (whole columns at once: a long report renders fast)."""
    if pd.api.types.is_bool_dtype(series):
        return ["yes" if v else "" for v in series]
    if pd.api.types.is_integer_dtype(series):
        return [str(v) for v in series.tolist()]
    if pd.api.types.is_float_dtype(series):
        return ["" if v != v else f"{v:.2f}" for v in series.tolist()]
    return [_cell(v) for v in series]


def _aligned(frame: pd.DataFrame) -> str:
    headers = [terminal_text(str(c)) for c in frame.columns]
    columns = [[terminal_text(v) for v in _column_cells(frame[c])] for c in frame.columns]
    widths = [
        max([len(h), *(len(v) for v in col)]) for h, col in zip(headers, columns, strict=True)
    ]
    numeric = [_is_number(frame[c]) for c in frame.columns]

    def line(values: list[str] | tuple[str, ...]) -> str:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    out = [line(headers), "  ".join("-" * w for w in widths)]
    out.extend(line(row) for row in zip(*columns, strict=True))
    if not len(frame):
        out.append("(no rows)")
    return "\n".join(out) + "\n"


def _markdown(frame: pd.DataFrame) -> str:
    def esc(text: str) -> str:
        text = _ESCAPE_SEQUENCE.sub("", text)
        text = _CONTROL.sub(lambda m: " " if m.group() in "\t\n\r" else "", text)
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        text = _BIDI.sub(lambda m: f"&lt;U+{ord(m.group()):04X}&gt;", text)
        return text.replace("|", "\\|")

    headers = [esc(str(c)) for c in frame.columns]
    align = ["---:" if _is_number(frame[c]) else "---" for c in frame.columns]
    out = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    for row in frame.itertuples(index=False):
        out.append("| " + " | ".join(esc(_cell(v)) for v in row) + " |")
    return "\n".join(out) + "\n"
