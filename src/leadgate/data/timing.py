"""Time for the generator: whole seconds since the Unix epoch (UTC) in int64 arrays."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

DAY = 86_400
Seconds = NDArray[np.int64]


def decaying_after(
    rng: np.random.Generator, start: Seconds, scale: NDArray[np.float64] | float, limit: Seconds
) -> Seconds:
    """Times after `start`, exponentially distributed with mean `scale` seconds, truncated at `limit`.

    Sampled exactly (inverse CDF of the truncated exponential), so no time is ever after `limit`.
    """
    room = np.maximum(limit - start, 0).astype(np.float64)
    kept = -np.expm1(-room / scale)  # probability mass left before the limit
    offsets = -scale * np.log1p(-rng.random(len(start)) * kept)
    times: Seconds = np.minimum(start + offsets.astype(np.int64), limit)
    return times


def uniform_between(rng: np.random.Generator, low: Seconds | int, high: Seconds | int, n: int) -> Seconds:
    """Uniform whole-second times in [low, high]."""
    span = np.asarray(high, dtype=np.int64) - np.asarray(low, dtype=np.int64)
    times: Seconds = np.asarray(low, dtype=np.int64) + (rng.random(n) * (span + 1)).astype(np.int64).clip(
        0, span
    )
    return times


def iso(times: Seconds) -> list[str]:
    """ISO 8601 UTC strings such as `2026-05-04T10:12:00Z`."""
    if len(times) == 0:
        return []
    text = np.datetime_as_string(times.astype("datetime64[s]"), unit="s", timezone="UTC")
    return list(text.tolist())
