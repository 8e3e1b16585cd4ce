"""Points arithmetic that adds up exactly.

Every contribution to a score is put on a grid of 2**-20 points (about a millionth) before it is added.
Sums of such numbers are exact in binary floating point (while they stay below 2**32 points), so a
trace adds up to its score exactly, in any order and on any engine, and a capped total equals its cap.
Every engine rounds the same way: floor(x * 2**20 + 0.5) / 2**20.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

GRID = float(2**20)


def quantize(points: float) -> float:
    return math.floor(points * GRID + 0.5) / GRID


def decayed(points: float, age_days: float, half_life_days: float | None) -> float:
    """Points of one event `age_days` old, halved every `half_life_days` (None: no decay), on the grid."""
    if half_life_days is None or age_days <= 0:
        return quantize(points)
    return quantize(points * 0.5 ** (age_days / half_life_days))


def decayed_sum(points: float, ages_days: Iterable[float], half_life_days: float) -> float:
    """`sum(decayed(points, age, half_life_days) for age in ages_days)`, bit for bit, in one loop: every
    term is a whole number of grid steps, so their sum is exact either way (below 2**32 points)."""
    floor = math.floor
    steps = 0
    for age in ages_days:
        steps += floor((points * 0.5 ** (age / half_life_days) if age > 0 else points) * GRID + 0.5)
    return steps / GRID


def show(points: float) -> str:
    """Points as people read them: whole numbers plainly, others to two decimals."""
    rounded = round(points, 2)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.2f}"
