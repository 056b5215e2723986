"""Means and standard errors for reports.

Every mean in a report carries a standard error, so these functions never return NaN: the edge
cases (no values, one value, zero total weight) are defined below and give 0.0, which a report shows
together with the count that explains it.

Example:
    >>> mean_and_stderr([1.0, 0.0, 1.0, 1.0])
    (0.75, 0.25)
"""

from __future__ import annotations

from collections.abc import Sequence
from math import fsum, sqrt

__all__ = ["mean_and_stderr", "weighted_mean_and_stderr"]


def mean_and_stderr(values: Sequence[float]) -> tuple[float, float]:
    """The mean of ``values`` and its standard error, ``s / sqrt(n)`` with ``s`` the sample std.

    Edge cases: ``n == 0`` gives ``(0.0, 0.0)``; ``n == 1`` gives ``(value, 0.0)``, because the sample
    standard deviation (which divides by ``n - 1``) is undefined for one value. Never NaN.

    Example:
        >>> mean_and_stderr([]), mean_and_stderr([0.5])
        ((0.0, 0.0), (0.5, 0.0))
    """
    n = len(values)
    if n == 0:
        return 0.0, 0.0
    mean = fsum(values) / n
    if n == 1:
        return mean, 0.0
    # Bessel's correction (n - 1) makes the variance estimate unbiased; dividing the resulting
    # standard deviation by sqrt(n) gives the spread of the mean itself.
    variance = fsum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, sqrt(variance / n)


def weighted_mean_and_stderr(values: Sequence[float], weights: Sequence[float]) -> tuple[float, float]:
    """Mean of ``values`` over the units they stand for, and its standard error.

    Each value is the mean over ``weights[i]`` units of one sample (IFEval: the share of a prompt's
    instructions followed), so the mean over all units is ``sum(w * v) / sum(w)``. Units of one
    sample are not independent, so the error treats each sample as a cluster: the ratio-estimator
    variance ``n / (n - 1) * sum(w^2 (v - mean)^2) / sum(w)^2``, which equals :func:`mean_and_stderr`
    when every weight is 1. Edge cases as there: no values or zero total weight give ``(0.0, 0.0)``,
    one value gives ``(value, 0.0)``.

    Example:
        >>> weighted_mean_and_stderr([1.0, 0.0], [3, 1])
        (0.75, 0.375)
    """
    if len(values) != len(weights):
        raise ValueError(f"{len(values)} values but {len(weights)} weights")
    n, total = len(values), fsum(weights)
    if n == 0 or total == 0:
        return 0.0, 0.0
    mean = fsum(w * v for v, w in zip(values, weights, strict=True)) / total
    if n == 1:
        return mean, 0.0
    variance = n / (n - 1) * fsum((w * (v - mean)) ** 2 for v, w in zip(values, weights, strict=True)) / total**2
    return mean, sqrt(variance)
