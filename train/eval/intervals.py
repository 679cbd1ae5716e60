"""Intervals and sample sizes: the statistics every evaluation row leans on. Pure numpy."""

from __future__ import annotations

import math
from typing import Callable, Sequence

RESAMPLES = 2000
Z95 = 1.959964


class IntervalError(ValueError):
    pass


def bootstrap_interval(base: Sequence[float], tuned: Sequence[float], *, statistic: Callable | None = None, resamples: int = RESAMPLES, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of statistic(tuned) - statistic(base), resampling records
    (pairs) with replacement. `statistic` is a numpy reduction taking axis= (default the mean,
    for which this is the interval of the mean per-record difference); the generator is seeded."""
    import numpy as np

    if len(base) != len(tuned) or len(base) < 2:
        raise IntervalError(f"a bootstrap interval needs two equally long lists of at least 2 values, got {len(base)} and {len(tuned)}")
    statistic = statistic or np.mean
    b, t = np.asarray(base, dtype=float), np.asarray(tuned, dtype=float)
    picks = np.random.default_rng(seed).integers(0, len(b), size=(resamples, len(b)))
    diffs = statistic(t[picks], axis=1) - statistic(b[picks], axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(diffs, [tail, 100 - tail])
    return float(low), float(high)


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion (95% by default); sound for small n and 0 or n successes."""
    if n <= 0 or not 0 <= successes <= n:
        raise IntervalError(f"a proportion needs 0 <= successes <= n and n > 0, got {successes} of {n}")
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def paired_sd(base: Sequence[float], tuned: Sequence[float]) -> float:
    """Sample standard deviation of the per-record differences tuned - base."""
    diffs = [t - b for b, t in zip(base, tuned)]
    if len(diffs) < 2:
        return 0.0
    mean = sum(diffs) / len(diffs)
    return math.sqrt(sum((d - mean) ** 2 for d in diffs) / (len(diffs) - 1))


def records_needed(sd: float, half_width: float, z: float = Z95) -> int:
    """Records a 95% interval of a mean paired difference needs to be +- half_width wide, given the
    differences' standard deviation (normal approximation: half_width = z * sd / sqrt(n))."""
    if half_width <= 0:
        raise IntervalError(f"the interval's half-width must be > 0, got {half_width}")
    return max(2, math.ceil((z * sd / half_width) ** 2))
