"""Rounding intervals (DESIGN.md, "Rounding, stated precisely").

A stated figure is a rounded figure: "680.58万元" is some value in [680.575, 680.585]. A stated
ratio is consistent when rounding the exact ratio of *some* values inside the intervals of
its parts can produce it. We work with closed intervals and a tiny epsilon so that a figure
exactly on a boundary is never an error.
"""

from __future__ import annotations

from dataclasses import dataclass

EPS = 1e-9
AMOUNT_HALF_WAN = 0.005  # amounts in 万元 are printed to 0.01


@dataclass(frozen=True)
class Interval:
    lo: float
    hi: float

    def __add__(self, other: Interval) -> Interval:
        return Interval(self.lo + other.lo, self.hi + other.hi)

    def __sub__(self, other: Interval) -> Interval:
        return Interval(self.lo - other.hi, self.hi - other.lo)

    def widen(self, half: float) -> Interval:
        return Interval(self.lo - half, self.hi + half)

    def contains(self, x: float) -> bool:
        return self.lo - EPS <= x <= self.hi + EPS

    def distance(self, x: float) -> float:
        """How far ``x`` lies outside (0 inside)."""
        return max(self.lo - x, x - self.hi, 0.0)


def amount_half(unit: str | None) -> float:
    """Half-unit of an amount in 万元, by the unit it was printed in (to 0.01 of that unit)."""
    if unit == "元":
        return 0.005 / 10000
    if unit == "亿元":
        return 0.005 * 10000
    return AMOUNT_HALF_WAN


def pct_half(decimals: int | None) -> float:
    """Half-unit of a printed percentage: "8.14" → 0.005, "8.1" → 0.05, "8" → 0.5."""
    if decimals is None or decimals != decimals or str(decimals) == "<NA>":  # None, NaN or pd.NA
        decimals = 2
    return 0.5 * 10 ** -int(decimals)


def around(value: float, half: float) -> Interval:
    return Interval(value - half, value + half)


def ratio_pct(numerator: Interval, denominator: Interval) -> Interval | None:
    """100 × n / d over every n, d in the intervals; None when d may be zero."""
    if denominator.lo <= 0 <= denominator.hi:
        return None
    corners = [
        100 * n / d for n in (numerator.lo, numerator.hi) for d in (denominator.lo, denominator.hi)
    ]
    return Interval(min(corners), max(corners))


def share_interval(
    part: float, part_half: float, whole: float, whole_half: float
) -> Interval | None:
    """Shares of a part in a whole; amounts are non-negative, so the part's lower bound is ≥ 0."""
    num = Interval(max(part - part_half, 0.0), part + part_half)
    return ratio_pct(num, around(whole, whole_half))


def change_pct_interval(
    current: float, current_half: float, change: float, change_half: float
) -> Interval | None:
    """Change % = 100 × change / (current − change), both printed figures rounded.

    The function is monotonic in each variable where the prior is positive, so its range over
    the box of the two intervals is reached at the corners.
    """
    values = []
    for v in (current - current_half, current + current_half):
        for c in (change - change_half, change + change_half):
            prior = v - c
            if prior <= 0:
                return None
            values.append(100 * c / prior)
    return Interval(min(values), max(values))


def sum_interval(halves: list[float], total: float) -> Interval:
    """The interval of a sum of rounded figures: n items each within their half-unit."""
    spread = sum(halves)
    return Interval(total - spread, total + spread)
