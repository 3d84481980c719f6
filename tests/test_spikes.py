"""The spike rule on hand-made series."""

from __future__ import annotations

import pandas as pd

from borderwatch.spikes import SpikeRule, baseline, spike_flags


def test_a_jump_well_above_a_steady_baseline_is_a_spike() -> None:
    values = pd.Series([2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 12])
    flags = spike_flags(values, SpikeRule())
    assert flags.tolist() == [False] * 14 + [True]


def test_noise_and_small_counts_are_not_spikes() -> None:
    rule = SpikeRule()
    noisy = pd.Series([0, 10, 0, 10, 0, 10, 0, 10, 0, 10, 0, 10, 0, 10, 14])
    assert not spike_flags(noisy, rule).iloc[-1]  # 14 < mean 5 + 2σ (≈15)
    tiny = pd.Series([0] * 14 + [2])
    assert not spike_flags(tiny, rule).iloc[-1]  # below min_count
    assert spike_flags(pd.Series([0] * 14 + [3]), rule).iloc[-1]


def test_baseline_excludes_the_current_value() -> None:
    mean, std = baseline(pd.Series([1.0, 3.0, 100.0]), 2)
    assert mean.tolist()[1:] == [1.0, 2.0]
    assert std.tolist()[2] == 1.0
    # Too little history for a baseline: no spike can be called.
    short_mean, _ = baseline(pd.Series([1.0, 9.0, 9.0]), 14)
    assert short_mean.isna().all()
