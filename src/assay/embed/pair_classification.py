"""Pair classification: can a cosine-similarity threshold tell duplicate pairs from the rest?

Copies MTEB's ``AbsTaskPairClassification._compute_metrics_values`` for the cosine scoring
function: the best accuracy and the best F1 over thresholds placed halfway between neighbouring
sorted scores, and scikit-learn's average precision (MTEB's main score is the AP, ``max_ap`` over
scoring functions). MTEB's threshold search sorts with Python's stable sort and cuts between every
two neighbours, even tied ones; that is kept here so the numbers match, which means that with tied
scores the best accuracy can depend on the input order, as it does in MTEB.

Example:
    >>> import numpy as np
    >>> a = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    >>> b = np.array([[1.0, 0.1], [0.0, 1.0], [1.0, 0.2]])
    >>> pair_classification_scores(a, b, [1, 0, 1]).accuracy
    1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from assay.embed.search import cosine_normalize
from assay.errors import UserError

__all__ = ["PairClassificationScores", "best_accuracy_threshold", "best_f1_threshold", "pair_classification_scores"]


@dataclass(frozen=True)
class PairClassificationScores:
    """Threshold metrics of cosine similarity for labelled pairs (label 1 = same meaning)."""

    accuracy: float
    """Best accuracy over the thresholds tried, in [0, 1]."""
    accuracy_threshold: float
    """Cosine threshold that reaches ``accuracy`` (pairs above it predicted 1); -1.0 if none helps."""
    f1: float
    """Best F1 of the positive class over the thresholds tried."""
    precision: float
    """Precision at the best-F1 threshold."""
    recall: float
    """Recall at the best-F1 threshold."""
    f1_threshold: float
    """Cosine threshold that reaches ``f1``."""
    average_precision: float
    """scikit-learn's average precision of the cosine ranking; MTEB's main score."""


def best_accuracy_threshold(scores: Sequence[float], labels: Sequence[int]) -> tuple[float, float]:
    """``(best accuracy, threshold)`` predicting 1 above the threshold, exactly as MTEB searches.

    Example:
        >>> best_accuracy_threshold([0.9, 0.2, 0.8], [1, 0, 1])
        (1.0, 0.5)
    """
    rows = sorted(zip(scores, labels, strict=True), key=lambda row: row[0], reverse=True)
    best_accuracy, best_threshold = 0.0, -1.0
    positives_above, negatives_below = 0, sum(1 for label in labels if label == 0)
    for i in range(len(rows) - 1):
        if rows[i][1] == 1:
            positives_above += 1
        else:
            negatives_below -= 1
        accuracy = (positives_above + negatives_below) / len(rows)
        if accuracy > best_accuracy:
            best_accuracy, best_threshold = accuracy, (rows[i][0] + rows[i + 1][0]) / 2
    return best_accuracy, best_threshold


def best_f1_threshold(scores: Sequence[float], labels: Sequence[int]) -> tuple[float, float, float, float]:
    """``(best F1, its precision, its recall, threshold)``, exactly as MTEB searches.

    Example:
        >>> best_f1_threshold([0.9, 0.2, 0.8], [1, 0, 1])
        (1.0, 1.0, 1.0, 0.5)
    """
    rows = sorted(zip(scores, labels, strict=True), key=lambda row: row[0], reverse=True)
    best = (0.0, 0.0, 0.0, 0.0)
    n_positive = sum(labels)
    correct = 0
    for i in range(len(rows) - 1):
        predicted = i + 1
        correct += rows[i][1] == 1
        if correct > 0:
            precision, recall = correct / predicted, correct / n_positive
            f1 = 2 * precision * recall / (precision + recall)
            if f1 > best[0]:
                best = (f1, precision, recall, (rows[i][0] + rows[i + 1][0]) / 2)
    return best


def pair_classification_scores(
    a_vectors: NDArray[np.floating], b_vectors: NDArray[np.floating], labels: Sequence[int]
) -> PairClassificationScores:
    """Cosine similarity of row ``i`` of ``a_vectors`` and ``b_vectors``, scored against ``labels``.

    Raises:
        ValueError: shapes differ, or a label is not 0 or 1.
        UserError: scikit-learn (for average precision) is not installed.
    """
    try:
        from sklearn.metrics import average_precision_score
    except ImportError:
        raise UserError("pair classification needs scikit-learn: pip install 'assay[judge]'") from None
    if a_vectors.shape != b_vectors.shape or a_vectors.shape[0] != len(labels):
        raise ValueError(f"{a_vectors.shape} and {b_vectors.shape} embeddings for {len(labels)} labels")
    if any(label not in (0, 1) for label in labels):
        raise ValueError("pair labels must be 0 or 1")
    cosine = np.einsum("ij,ij->i", cosine_normalize(a_vectors), cosine_normalize(b_vectors)).astype(np.float64)
    scores = [float(score) for score in cosine]
    label_list = [int(label) for label in labels]
    accuracy, accuracy_threshold = best_accuracy_threshold(scores, label_list)
    f1, precision, recall, f1_threshold = best_f1_threshold(scores, label_list)
    average_precision = float(average_precision_score(label_list, cosine))
    return PairClassificationScores(
        accuracy, accuracy_threshold, f1, precision, recall, f1_threshold, average_precision
    )
