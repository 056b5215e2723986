"""Pair classification follows MTEB's threshold search and scikit-learn's average precision."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from assay.embed.pair_classification import best_accuracy_threshold, best_f1_threshold, pair_classification_scores


def brute_force_accuracy(scores: list[float], labels: list[int]) -> float:
    """Best accuracy over every cut between two neighbouring distinct scores (MTEB's candidates)."""
    ordered = sorted(scores, reverse=True)
    cuts = [(ordered[i] + ordered[i + 1]) / 2 for i in range(len(ordered) - 1)]
    return max(np.mean([(s > cut) == bool(y) for s, y in zip(scores, labels, strict=True)]) for cut in cuts)


@pytest.mark.parametrize("seed", range(3))
def test_best_accuracy_equals_brute_force_for_distinct_scores(seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = [int(y) for y in rng.integers(0, 2, size=60)]
    scores = [float(s) for s in rng.normal(size=60) + np.array(labels)]
    accuracy, threshold = best_accuracy_threshold(scores, labels)
    assert accuracy == pytest.approx(brute_force_accuracy(scores, labels))
    assert np.mean([(s > threshold) == bool(y) for s, y in zip(scores, labels, strict=True)]) == pytest.approx(accuracy)


def test_best_f1_hand_example() -> None:
    # Sorted: 0.9(1) 0.7(0) 0.6(1) 0.1(0). Cut after 0.6: precision 2/3, recall 1, F1 0.8.
    f1, precision, recall, threshold = best_f1_threshold([0.6, 0.1, 0.9, 0.7], [1, 0, 1, 0])
    assert (f1, precision, recall, threshold) == pytest.approx((0.8, 2 / 3, 1.0, 0.35))


def test_scores_use_cosine_and_sklearn_average_precision() -> None:
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(40, 6)), rng.normal(size=(40, 6))
    labels = [int(y) for y in rng.integers(0, 2, size=40)]
    cosine = (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    scores = pair_classification_scores(a, b, labels)
    assert scores.average_precision == pytest.approx(average_precision_score(labels, cosine))
    assert scores.accuracy == pytest.approx(brute_force_accuracy(list(cosine), labels))


def test_labels_other_than_zero_and_one_are_rejected() -> None:
    with pytest.raises(ValueError, match="0 or 1"):
        pair_classification_scores(np.ones((2, 2)), np.ones((2, 2)), [1, 2])
