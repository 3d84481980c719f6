"""Trend reports over the coverage tables: trend, share of voice, top stories, tag pairs.

Each report is a function from a store and a ``Selection`` to a ``Report`` (a DataFrame with a
title); ``output`` renders any report as a table, CSV, JSON or Markdown and ``charts`` draws it.
"""

from borderwatch.reports.selection import ReportInputError, Selection

__all__ = ["ReportInputError", "Selection"]
