"""STS correlations equal scipy.stats (as MTEB computes them), ties included."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics.pairwise import paired_cosine_distances

from assay.embed.sts import average_ranks, pearson, spearman, sts_scores


@pytest.mark.parametrize("seed", range(5))
def test_spearman_and_pearson_equal_scipy_on_data_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 6, size=200).astype(float)  # six values: many ties
    y = x + rng.normal(scale=2.0, size=200).round(1)
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
    assert pearson(x, y) == pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-12)


def test_average_ranks_equal_scipy_rankdata() -> None:
    values = np.random.default_rng(3).integers(0, 10, size=100)
    np.testing.assert_array_equal(average_ranks(values), stats.rankdata(values, method="average"))


def test_constant_input_gives_zero_instead_of_nan() -> None:
    assert spearman([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]) == 0.0
    assert pearson([1.0, 2.0, 3.0], [4.0, 4.0, 4.0]) == 0.0


def test_fewer_than_two_values_and_mismatched_lengths_are_rejected() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        spearman([1.0], [2.0])
    with pytest.raises(ValueError, match="3 values but y has 2"):
        pearson([1.0, 2.0, 3.0], [1.0, 2.0])


def test_sts_scores_equal_mteb_cosine_spearman_and_pearson() -> None:
    rng = np.random.default_rng(11)
    a, b = rng.normal(size=(150, 12)), rng.normal(size=(150, 12))
    gold = rng.integers(0, 6, size=150).astype(float)
    cosine = 1 - paired_cosine_distances(a, b)
    scores = sts_scores(a, b, gold)
    assert scores.n_pairs == 150
    assert scores.cosine_spearman == pytest.approx(stats.spearmanr(gold, cosine).statistic, abs=1e-12)
    assert scores.cosine_pearson == pytest.approx(stats.pearsonr(gold, cosine).statistic, abs=1e-12)


def test_sts_scores_reject_mismatched_inputs() -> None:
    with pytest.raises(ValueError, match="differ in shape"):
        sts_scores(np.ones((3, 2)), np.ones((2, 2)), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="3 sentence pairs but 2 gold"):
        sts_scores(np.ones((3, 2)), np.ones((3, 2)), [1.0, 2.0])
