"""Render a report's table as an aligned text table, CSV, JSON or Markdown.

Every format shows the same columns under the same names; JSON is a list of objects keyed by
them, with dates as ISO strings, booleans as booleans and missing values as null.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from typing import Any

import pandas as pd

FORMATS = ("table", "csv", "json", "markdown")


def render(frame: pd.DataFrame, fmt: str = "table") -> str:
    """The table in ``fmt`` (one of FORMATS), ending with a newline."""
    if fmt == "csv":
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, lineterminator="\n")
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
    headers = [str(c) for c in frame.columns]
    columns = [_column_cells(frame[c]) for c in frame.columns]
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
        return text.replace("|", "\\|").replace("\n", " ")

    headers = [esc(str(c)) for c in frame.columns]
    align = ["---:" if _is_number(frame[c]) else "---" for c in frame.columns]
    out = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    for row in frame.itertuples(index=False):
        out.append("| " + " | ".join(esc(_cell(v)) for v in row) + " |")
    return "\n".join(out) + "\n"
