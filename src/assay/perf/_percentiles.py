"""Nearest-rank percentiles, the method EvalScope uses, optionally weighted.

EvalScope 1.14 (``perf/utils/db_util.py::calculate_percentiles``) takes the p-th percentile of n
sorted values as the value at 1-based rank ``ceil(p / 100 * n)`` (rank 1 for p = 0, so p = 0 is the
minimum and p = 100 the maximum). We use the same method so that the two tools agree on the same
samples, and because a nearest-rank percentile is always a value that was really measured (no
interpolation between two requests that never happened).

Edge cases, stated rather than left to numpy:

* no values: every percentile is ``None`` (EvalScope writes ``NaN``, which is not valid JSON);
* one value: every percentile is that value (there is nothing else it could be);
* weights: a value of weight w counts as w copies of itself, computed without making the copies
  (used for per-token inter-token latency, where one gap stands for every token of its event).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

#: The percentiles reported for every metric, in EvalScope's ``benchmark_percentile.json`` order.
PERCENTILES: tuple[int, ...] = (0, 1, 5, 10, 25, 50, 75, 90, 95, 99, 100)
#: Their labels in the ``Percentiles`` column (EvalScope's spelling: ``min``, ``1%`` ... ``max``).
PERCENTILE_LABELS: tuple[str, ...] = ("min", *(f"{p}%" for p in PERCENTILES[1:-1]), "max")

#: Quantile grid of the distribution curves drawn in the HTML report: 0, 0.5, ..., 100.
CURVE_PERMILLE: tuple[int, ...] = tuple(range(0, 1001, 5))


def _rank(n: int, p_permille: int) -> int:
    """1-based nearest rank of the p-th per-mille in n items, in integer arithmetic (no float error)."""
    return max(1, -(-n * p_permille // 1000))


def nearest_rank(
    values: npt.ArrayLike,
    percentiles_permille: Sequence[int],
    weights: npt.ArrayLike | None = None,
) -> list[float | None]:
    """Nearest-rank percentiles of ``values`` at the given per-mille points (500 = median).

    Args:
        values: The samples (any order).
        percentiles_permille: Points in thousandths, so 0.5 % steps are exact integers.
        weights: Optional positive integer weight per sample (w means w identical samples).

    Returns:
        One value per point, ``None`` for all of them when there are no samples.

    Example:
        >>> nearest_rank([4, 1, 3, 2], [0, 500, 990, 1000])
        [1.0, 2.0, 4.0, 4.0]
    """
    array = np.asarray(values, dtype=np.float64)
    if array.size == 0:
        return [None] * len(percentiles_permille)
    order = np.argsort(array, kind="stable")
    ordered = array[order]
    if weights is None:
        return [float(ordered[_rank(array.size, p) - 1]) for p in percentiles_permille]
    cumulative = np.cumsum(np.asarray(weights, dtype=np.int64)[order])
    total = int(cumulative[-1])
    # First sorted sample whose cumulative weight reaches the rank = the rank-th of the expanded list.
    return [
        float(ordered[int(np.searchsorted(cumulative, _rank(total, p), side="left"))]) for p in percentiles_permille
    ]


def percentile_column(
    values: npt.ArrayLike, *, scale: float = 1.0, ndigits: int = 4, weights: npt.ArrayLike | None = None
) -> list[float | None]:
    """The ``PERCENTILES`` of ``values`` divided by ``scale``, rounded like EvalScope (4 digits).

    Values are kept in their exact unit (integer nanoseconds for times) until the rank is chosen,
    so the reported number is the measured sample converted once, never an average of two.
    """
    points = nearest_rank(values, [p * 10 for p in PERCENTILES], weights)
    return [None if v is None else round(v / scale, ndigits) for v in points]


def distribution_curve(values: npt.ArrayLike, *, scale: float = 1.0) -> list[float]:
    """Quantiles at every 0.5 % (201 points) for the report's CDF charts; empty when no samples."""
    points = nearest_rank(values, CURVE_PERMILLE)
    return [round(v / scale, 6) for v in points if v is not None]
