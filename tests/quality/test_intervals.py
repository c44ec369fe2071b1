"""Rounding intervals: consistent figures are never flagged, inconsistent ones always are."""

from __future__ import annotations

import random

from pipelines.quality.intervals import amount_half, change_pct_interval, pct_half, share_interval


def test_half_units():
    assert (
        pct_half(2) == 0.005
        and pct_half(1) == 0.05
        and pct_half(0) == 0.5
        and pct_half(None) == 0.005
    )
    assert amount_half("万元") == 0.005 and amount_half("元") == 0.0000005


def test_rounded_shares_of_random_amounts_are_always_consistent():
    rng = random.Random(7)
    for _ in range(5000):
        parts = [rng.randint(0, 10**7) / 1000 for _ in range(rng.randint(2, 6))]  # exact values
        whole = sum(parts)
        if whole == 0:
            continue
        for part in parts:
            stated_part, stated_whole = round(part, 2), round(whole, 2)
            share = round(100 * part / whole, 2)
            iv = share_interval(stated_part, 0.005, stated_whole, 0.005)
            assert iv is not None and iv.widen(0.005 + 1e-9).contains(share)


def test_a_share_moved_by_two_hundredths_is_caught_when_amounts_are_large():
    iv = share_interval(680.58, 0.005, 1970.68, 0.005).widen(0.005)
    assert iv.contains(34.54) and not iv.contains(34.56) and not iv.contains(64.54)


def test_change_pct_of_random_figures_is_consistent():
    rng = random.Random(11)
    for _ in range(5000):
        prior = rng.randint(100, 10**6) / 100
        current = rng.randint(100, 10**6) / 100
        change = current - prior
        stated_pct = round(100 * change / prior, 2)
        iv = change_pct_interval(round(current, 2), 0.005, round(change, 2), 0.005)
        assert iv is not None and iv.widen(0.005 + 1e-9).contains(stated_pct)


def test_seed_like_yoy_error_is_outside():
    iv = change_pct_interval(56.41, 0.005, 8.08, 0.005).widen(0.005)
    assert not iv.contains(8.14) and iv.contains(16.72)


def test_bounds_show_the_stated_value_outside():
    from pipelines.quality.builders import _bounds

    # 88.26 stated; allowed 88.2605–88.2687: two decimals would print 88.26%–88.27%
    assert _bounds(88.2605, 88.2687, 88.26) == "88.2605%–88.2687%"
    assert _bounds(71.65, 71.66, 71.73) == "71.65%–71.66%"
