"""Means and standard errors (plain and weighted), checked against hand-computed values."""

from __future__ import annotations

import math

import pytest

from assay.scoring.stats import mean_and_stderr, weighted_mean_and_stderr


def test_mean_and_stderr_by_hand() -> None:
    # mean 0.75; squared deviations 3 * 0.0625 + 0.5625 = 0.75; variance 0.75 / 3 = 0.25;
    # stderr sqrt(0.25 / 4) = 0.25.
    assert mean_and_stderr([1.0, 0.0, 1.0, 1.0]) == pytest.approx((0.75, 0.25))


def test_mean_and_stderr_of_two_values() -> None:
    # s = |a - b| / sqrt(2), so stderr = |a - b| / 2.
    assert mean_and_stderr([0.2, 0.8]) == pytest.approx((0.5, 0.3))


@pytest.mark.parametrize(("values", "expected"), [([], (0.0, 0.0)), ([0.4], (0.4, 0.0))])
def test_mean_and_stderr_edge_cases_are_zero_not_nan(values: list[float], expected: tuple[float, float]) -> None:
    mean, stderr = mean_and_stderr(values)
    assert (mean, stderr) == expected
    assert not math.isnan(stderr)


def test_constant_values_have_zero_stderr() -> None:
    assert mean_and_stderr([1.0] * 10) == (1.0, 0.0)


def test_weighted_mean_averages_units_and_reduces_to_the_plain_mean() -> None:
    # Sample A: 3 of 3 units right; sample B: 0 of 1. Over units 3/4, over samples 1/2.
    mean, stderr = weighted_mean_and_stderr([1.0, 0.0], [3, 1])
    assert mean == 0.75
    # Clusters: n/(n-1) * sum(w^2 (v - m)^2) / W^2 = 2 * (0.5625 + 0.5625) / 16.
    assert stderr == pytest.approx((2 * 1.125 / 16) ** 0.5)
    values = [1.0, 0.0, 1.0, 1.0]
    assert weighted_mean_and_stderr(values, [1, 1, 1, 1]) == mean_and_stderr(values)
    assert weighted_mean_and_stderr([], []) == (0.0, 0.0)
    assert weighted_mean_and_stderr([0.5], [0]) == (0.0, 0.0)
    with pytest.raises(ValueError, match="2 values but 1 weights"):
        weighted_mean_and_stderr([1.0, 0.0], [1])
