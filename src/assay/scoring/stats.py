"""Means, standard errors and subset averages for reports.

Every mean in a report carries a standard error, so these functions never return NaN: the edge
cases (no values, one value, one cluster) are defined below and give 0.0, which a report shows
together with the count that explains it.

Example:
    >>> mean_and_stderr([1.0, 0.0, 1.0, 1.0])
    (0.75, 0.25)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import fsum, sqrt

__all__ = ["clustered_stderr", "mean_and_stderr", "micro_macro", "weighted_mean_and_stderr"]


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


def clustered_stderr(per_sample_repeat_values: Sequence[Sequence[float]]) -> float:
    """Standard error of the overall mean when each sample's repeats form a cluster.

    Repeats of one question are not independent draws: a hard question tends to be wrong every
    time. Treating all ``n * k`` scores as independent would shrink the error bar by up to
    ``sqrt(k)`` for no reason, so the variance is computed from whole clusters instead (the
    cluster-robust estimator of Miller 2024, "Adding Error Bars to Evals", Appendix A, with the
    finite-cluster correction ``C / (C - 1)``, as inspect_ai's ``stderr(cluster=...)`` does).

    Edge cases: fewer than two non-empty clusters gives 0.0 (the variance between clusters is
    undefined); an empty inner sequence (a sample with no scored repeat) is ignored. Never NaN. With
    one repeat per sample this equals the plain standard error of :func:`mean_and_stderr`.

    Example:
        >>> clustered_stderr([[1.0, 1.0], [0.0, 0.0]]), clustered_stderr([[1.0, 0.0], [1.0, 0.0]])
        (0.5, 0.0)
    """
    clusters = [list(c) for c in per_sample_repeat_values if len(c) > 0]
    n_clusters = len(clusters)
    if n_clusters < 2:
        return 0.0
    n = sum(len(c) for c in clusters)
    mean = fsum(fsum(c) for c in clusters) / n
    # Var(sum of all scores) = sum over clusters of (sum of the cluster's deviations)^2: the
    # within-cluster cross terms are kept (they carry the correlation), the across-cluster ones
    # are assumed zero. Dividing the square root by n turns the variance of the sum into the
    # standard error of the mean.
    between = fsum(fsum(v - mean for v in c) ** 2 for c in clusters)
    return sqrt(between * n_clusters / (n_clusters - 1)) / n


def micro_macro(subset_means: Mapping[str, tuple[float, int]]) -> tuple[float, float]:
    """Micro and macro averages of per-subset means, given as ``{subset: (mean, count)}``.

    Micro weights each subset by its count (the mean over all samples pooled); macro is the plain
    mean of the subset means (each subset counts once, however large). A subset with count 0 has no
    mean and is left out of both; no subsets with samples gives ``(0.0, 0.0)``.

    Example:
        >>> micro_macro({"easy": (1.0, 3), "hard": (0.0, 1)})
        (0.75, 0.5)
    """
    scored = [(mean, count) for mean, count in subset_means.values() if count != 0]
    if any(count < 0 for _, count in scored):
        raise ValueError(f"subset counts must not be negative: {dict(subset_means)}")
    if not scored:
        return 0.0, 0.0
    micro = fsum(mean * count for mean, count in scored) / sum(count for _, count in scored)
    macro = fsum(mean for mean, _ in scored) / len(scored)
    return micro, macro
