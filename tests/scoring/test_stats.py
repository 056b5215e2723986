"""Means, standard errors and subset averages, checked against hand-computed values."""

from __future__ import annotations

import math

import pytest

from assay.scoring.stats import clustered_stderr, mean_and_stderr, micro_macro


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


def test_clustered_stderr_by_hand() -> None:
    # Clusters [1, 1] and [0, 0]: overall mean 0.5, deviation sums +1 and -1, so the between-cluster
    # sum of squares is 2; times C/(C-1) = 2 gives 4; sqrt(4) / n(=4) = 0.5.
    assert clustered_stderr([[1.0, 1.0], [0.0, 0.0]]) == pytest.approx(0.5)


def test_clustered_stderr_ignores_noise_within_clusters() -> None:
    # Every sample is right half the time: no sample differs from another, so no uncertainty about
    # which samples are hard; the plain stderr over the 4 scores would wrongly be 0.29.
    assert clustered_stderr([[1.0, 0.0], [1.0, 0.0]]) == 0.0
    assert mean_and_stderr([1.0, 0.0, 1.0, 0.0])[1] == pytest.approx(0.2886751)


def test_clustered_stderr_with_unequal_clusters_by_hand() -> None:
    # Scores [1, 1, 0] and [0]: mean 0.5, deviation sums 0.5 and -0.5, squares 0.25 + 0.25 = 0.5;
    # times 2/1 = 1.0; sqrt(1.0) / 4 = 0.25.
    assert clustered_stderr([[1.0, 1.0, 0.0], [0.0]]) == pytest.approx(0.25)


def test_clustered_stderr_with_one_repeat_equals_plain_stderr() -> None:
    values = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0]
    assert clustered_stderr([[v] for v in values]) == pytest.approx(mean_and_stderr(values)[1])


@pytest.mark.parametrize("clusters", [[], [[1.0, 0.0]], [[1.0, 0.0], []]])
def test_clustered_stderr_of_fewer_than_two_clusters_is_zero(clusters: list[list[float]]) -> None:
    assert clustered_stderr(clusters) == 0.0


def test_micro_macro_by_hand() -> None:
    # micro (1.0*3 + 0.0*1) / 4 = 0.75; macro (1.0 + 0.0) / 2 = 0.5.
    assert micro_macro({"easy": (1.0, 3), "hard": (0.0, 1)}) == (0.75, 0.5)


def test_micro_macro_leaves_out_empty_subsets() -> None:
    assert micro_macro({"a": (0.5, 2), "empty": (0.0, 0)}) == (0.5, 0.5)
    assert micro_macro({}) == (0.0, 0.0)
    assert micro_macro({"empty": (0.0, 0)}) == (0.0, 0.0)


def test_micro_macro_rejects_negative_counts() -> None:
    with pytest.raises(ValueError):
        micro_macro({"a": (0.5, -1)})


def test_weighted_mean_averages_units_and_reduces_to_the_plain_mean() -> None:
    from assay.scoring.stats import weighted_mean_and_stderr

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
