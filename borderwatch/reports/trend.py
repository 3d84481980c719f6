"""``report trend``: coverage per day, ISO week or month, normalized by everything collected.

Share of volume is the standard of the field (Media Cloud's normalized attention, GDELT's share of
volume): relevant articles divided by all articles collected from the same sources in the same
period, so that an outlet publishing more overall does not look like more attention.
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd

from borderwatch.day_range import FIRST_DAY
from borderwatch.reports import queries
from borderwatch.reports.report import Report
from borderwatch.reports.selection import ReportInputError, Selection
from borderwatch.spikes import SpikeRule, spike_flags
from pipeline import rollups

Grain = Literal["day", "week", "month"]
#: The most periods a trend lists per tag (by day, 13 years): more is refused with one line.
MAX_PERIODS = 5000
DEFAULT_WINDOW: dict[str, int] = {"day": 7, "week": 4, "month": 3}
COLUMNS = [
    "period",
    "start",
    "tag",
    "articles",
    "stories",
    "volume",
    "share_pct",
    "share_pct_mean",
    "spike",
]


def period_start(days: pd.Series | pd.DatetimeIndex, by: Grain) -> pd.DatetimeIndex:
    """The first day of the period each day falls in (ISO weeks start on Monday)."""
    index = pd.DatetimeIndex(days)
    if by == "day":
        return index
    if by == "week":
        return index - pd.to_timedelta(index.day_of_week, unit="D")
    return index.to_period("M").to_timestamp()


def period_label(start: pd.Timestamp, by: Grain) -> str:
    if by == "day":
        return start.strftime("%Y-%m-%d")
    if by == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return start.strftime("%Y-%m")


def trend(
    store: Any,
    selection: Selection,
    *,
    by: Grain = "week",
    window: int | None = None,
    rule: SpikeRule | None = None,
) -> Report:
    """Articles, stories, share of volume, its rolling mean and spikes per period and tag.

    Every period between the first and last day appears, with zeros when nothing was covered.
    The baseline of the spike rule and the rolling mean also look at periods before
    ``selection.since`` (but never before the first day anything was collected), so the first
    rows of a short range are judged like any other. Periods of a range that begins before the
    outlets' first collected day are listed as zeros, but neither count in the baseline nor in
    the rolling mean: nothing was being watched then, so the first days of monitoring are not
    spikes against a baseline of nothing.
    """
    rule = rule or SpikeRule()
    window = window or DEFAULT_WINDOW[by]
    # History before ``since`` feeds the baseline and the rolling mean.
    history = max(rule.baseline_days, window)
    reach = None
    if selection.since is not None:
        reach = pd.Timestamp(period_start(pd.DatetimeIndex([selection.since]), by)[0])
        reach = (reach - _periods(by, history)).date()
    # The volume series (one index scan) also tells where the data starts and ends, which a
    # separate MIN/MAX query would read the same rows for.
    volume = _volume(store, selection, by, reach, selection.until)
    first_collected = volume["day"].min().date() if len(volume) else None
    last_collected = volume["day"].max().date() if len(volume) else None
    if last_collected is not None and by != "day":
        # Rows are per period: the data may run to the end of the last one.
        last_collected = rollups.period_end(last_collected, by)
    until = selection.until or last_collected
    since = selection.since or first_collected
    if since is not None and since < FIRST_DAY:
        # Days before the floor come from items stored before dates were checked: start at
        # the first plausible day instead.
        later = volume["day"][volume["day"] >= pd.Timestamp(FIRST_DAY)]
        since = later.min().date() if len(later) else FIRST_DAY
    title = _title(selection, by)
    if since is None or until is None:
        if selection.since is not None or selection.until is not None:
            first, last = _collected_range(store, selection)
            if first is not None:
                raise ReportInputError(
                    f"the selected sources collected nothing from {selection.since or '…'} to "
                    f"{selection.until or '…'}; they have articles from {first} to {last}"
                )
        notes = ["no articles collected yet"]
        return Report("trend", title, pd.DataFrame(columns=COLUMNS), notes)
    if since > until:
        first, last = _collected_range(store, selection)
        raise ReportInputError(
            f"the range {since} to {until} is empty; the selected sources have articles from "
            f"{first} to {last}"
        )

    # Never reach back before the first period anything was collected: zeros there would make
    # a baseline of nothing, and the first real period a spike.
    lookback = pd.Timestamp(period_start(pd.DatetimeIndex([since]), by)[0])
    lookback = (lookback - _periods(by, history)).date()
    if first_collected is not None:
        lookback = max(lookback, first_collected)
    lookback = min(lookback, since)
    periods = _period_count(since, until, by)
    if periods > MAX_PERIODS:
        raise ReportInputError(
            f"from {since} to {until} is {periods:,} periods by {by}, more than {MAX_PERIODS:,}: "
            "narrow --since/--until or use a longer --by"
        )

    coverage = _coverage(store, selection, by, lookback, until)
    first_start = period_start(pd.DatetimeIndex([lookback]), by)[0]
    last_start = period_start(pd.DatetimeIndex([until]), by)[0]
    starts = pd.DatetimeIndex(sorted(set(period_start(pd.date_range(first_start, last_start), by))))
    volume_per_period = volume.set_index("day")["volume"].reindex(starts, fill_value=0)
    watched = starts >= (
        period_start(pd.DatetimeIndex([first_collected]), by)[0]
        if first_collected is not None
        else starts.min()
    )

    frames = []
    for tag in selection.topic_tags:
        rows = coverage[coverage["tag"] == tag].set_index("day")[["articles", "stories"]]
        per = rows.reindex(starts, fill_value=0)
        per["volume"] = volume_per_period
        share = (per["articles"] / per["volume"].where(per["volume"] > 0)) * 100
        per["share_pct"] = share.fillna(0.0)
        share_watched = per["share_pct"].where(watched)
        per["share_pct_mean"] = share_watched.rolling(window, min_periods=1).mean().fillna(0.0)
        per["spike"] = spike_flags(per["articles"].where(watched), rule)
        per["tag"] = tag
        frames.append(per)
    table = pd.concat(frames)
    table.index.name = "start"
    table = table.reset_index()
    first_period = period_start(pd.DatetimeIndex([since]), by)[0]
    table = table[table["start"] >= first_period]
    table["period"] = [period_label(s, by) for s in table["start"]]
    table["start"] = table["start"].dt.date
    table["share_pct"] = table["share_pct"].round(3)
    table["share_pct_mean"] = table["share_pct_mean"].round(3)
    table = table.sort_values(["start", "tag"], kind="stable")[COLUMNS].reset_index(drop=True)
    notes = [f"spike: {rule.describe()}; share_pct_mean over {window} periods"]
    return Report("trend", title, table, notes)


def _volume(store: Any, selection: Selection, by: Grain, since: Any, until: Any) -> pd.DataFrame:
    """Collected articles per period (``day`` is the period's first day)."""
    if by == "day":
        return queries.volume_by_day(store, selection, since, until)
    return queries.volume_by_period(store, selection, by, since, until)


def _coverage(store: Any, selection: Selection, by: Grain, since: Any, until: Any) -> pd.DataFrame:
    """Relevant articles and stories per period and tag (``day`` is the period's first day)."""
    if by == "day":
        return queries.coverage_by_day(store, selection, since, until)
    return queries.coverage_by_period(store, selection, by, since, until)


def _collected_range(store: Any, selection: Selection) -> tuple[Any, Any]:
    volume = queries.volume_by_day(store, selection, None, None)
    if volume.empty:
        return None, None
    return volume["day"].min().date(), volume["day"].max().date()


def _period_count(since: Any, until: Any, by: Grain) -> int:
    days = (until - since).days + 1
    return {"day": days, "week": days // 7 + 1, "month": days // 28 + 1}[by]


def _periods(by: Grain, count: int) -> pd.DateOffset:
    if by == "day":
        return pd.DateOffset(days=count)
    if by == "week":
        return pd.DateOffset(weeks=count)
    return pd.DateOffset(months=count)


def _title(selection: Selection, by: Grain) -> str:
    tags = ", ".join("all relevant" if t == "*" else t for t in selection.topic_tags)
    extra = selection.describe()
    return f"Coverage by {by}: {tags}" + (f" ({extra})" if extra else "")


__all__ = ["COLUMNS", "DEFAULT_WINDOW", "period_label", "period_start", "trend"]
