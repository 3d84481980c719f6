"""The spike rule shared by the digest and the trend reports.

A value is a spike when it is at least ``ratio`` times the mean of the previous
``baseline_days`` values AND above that mean plus ``sigma`` standard deviations AND at least
``min_count`` (a jump from 0 to 1 is not news). The baseline excludes the value itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class SpikeRule:
    ratio: float = 1.5
    sigma: float = 2.0
    baseline_days: int = 14
    min_count: int = 3

    def describe(self) -> str:
        return (
            f"at least {self.ratio:g}× the mean of the previous {self.baseline_days} periods, "
            f"above that mean + {self.sigma:g}σ, and at least {self.min_count}"
        )


def baseline(values: pd.Series, window: int) -> tuple[pd.Series, pd.Series]:
    """Mean and standard deviation of the previous ``window`` values (the value itself excluded).

    A baseline needs at least half a window of history; before that it is NaN (no spike can be
    called on two days of data).
    """
    previous = values.astype(float).shift(1)
    rolling = previous.rolling(window, min_periods=max(1, window // 2))
    return rolling.mean(), rolling.std(ddof=0)


def spike_flags(values: pd.Series, rule: SpikeRule) -> pd.Series:
    """True where ``values`` (a regular series: one value per period, zeros included) spikes."""
    mean, std = baseline(values, rule.baseline_days)
    current = values.astype(float)
    with np.errstate(invalid="ignore"):
        flags = (
            (current >= rule.min_count)
            & (current >= rule.ratio * mean)
            & (current > mean + rule.sigma * std)
            & mean.notna()
            & std.notna()
        )
    return flags.fillna(False).astype(bool)
