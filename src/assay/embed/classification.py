"""Classification: how well a logistic regression trained on a few embeddings per label predicts labels.

Copies MTEB's ``AbsTaskClassification`` (``abstasks/classification.py``, 2.x) with its default
evaluator, scikit-learn's ``LogisticRegression(max_iter=100, random_state=seed)``:

- **Experiments.** ``n_experiments`` (10) times, the train set is undersampled to at most
  ``samples_per_label`` (8) examples of each label, the classifier is fitted on them and predicts the
  whole test set. Every metric is the mean over the experiments (MTEB also keeps each experiment).
- **Undersampling.** Each experiment shuffles the train indices with a fresh
  ``numpy.random.RandomState(seed)`` and keeps, in shuffled order, the first ``samples_per_label``
  indices of each label. The shuffled list carries over: experiment ``i`` shuffles the order that
  experiment ``i - 1`` left, so the same permutation is applied ``i + 1`` times. The experiment
  number is never mixed into the seed. A label with fewer train examples keeps all of them.
- **Metrics.** ``accuracy`` (MTEB's main score), ``f1``, ``precision`` and ``recall`` macro-averaged
  over labels, their ``_weighted`` variants, and, only when the test labels take exactly two values,
  ``ap`` and ``ap_weighted``: scikit-learn's average precision of the *predicted labels* (not of
  probabilities), as MTEB computes it. MTEB reports NaN for ``ap`` on other tasks, and fails on two
  text labels (AP needs numeric labels); here the keys are left out in both cases. A label never
  predicted has precision 0, as scikit-learn's default.

MTEB's cross-validation mode (``is_cross_validation``, for tasks with no separate train split) is
not reproduced here.

Example:
    >>> import numpy as np
    >>> train = np.array([[0.0, 1.0], [0.1, 0.9], [1.0, 0.0], [0.9, 0.1]])
    >>> test = np.array([[0.0, 0.8], [0.8, 0.0]])
    >>> classification_scores(train, [0, 0, 1, 1], test, [0, 1])["accuracy"]
    1.0
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from assay.errors import UserError

__all__ = ["classification_scores", "experiment_scores", "undersample_indices"]

MAX_ITER = 100
"""``LogisticRegression(max_iter=...)`` in MTEB's default evaluator."""


def undersample_indices(
    train_labels: Sequence[Hashable], *, n_experiments: int = 10, samples_per_label: int = 8, seed: int = 42
) -> list[list[int]]:
    """Train indices each experiment fits on, drawn exactly as MTEB's ``_undersample_data``.

    Example:
        >>> undersample_indices(["a", "a", "a", "b", "b"], n_experiments=3, samples_per_label=1)
        [[1, 4], [4, 2], [3, 0]]
    """
    if samples_per_label < 1 or n_experiments < 1:
        raise ValueError(
            f"need n_experiments >= 1 and samples_per_label >= 1, got {n_experiments}, {samples_per_label}"
        )
    order = list(range(len(train_labels)))
    draws: list[list[int]] = []
    for _ in range(n_experiments):
        # A list, not an array: RandomState.shuffle draws the same swaps for both, and MTEB shuffles a list.
        np.random.RandomState(seed).shuffle(order)
        taken: dict[Hashable, int] = {}
        selected: list[int] = []
        for index in order:
            label = train_labels[index]
            if taken.get(label, 0) < samples_per_label:
                selected.append(index)
                taken[label] = taken.get(label, 0) + 1
        draws.append(selected)
    return draws


def experiment_scores(true_labels: Sequence[Hashable], predicted_labels: Sequence[Hashable]) -> dict[str, float]:
    """MTEB's metrics of one experiment: accuracy, macro and weighted F1 / precision / recall, binary AP.

    Raises:
        UserError: scikit-learn is not installed.

    Example:
        >>> experiment_scores([0, 1, 1, 1], [0, 1, 1, 0])["f1"]
        0.7333333333333334
    """
    try:
        from sklearn.metrics import (
            accuracy_score,
            average_precision_score,
            f1_score,
            precision_score,
            recall_score,
        )
    except ImportError:
        raise UserError("classification needs scikit-learn: pip install 'assay[judge]'") from None
    y_true, y_pred = np.asarray(true_labels), np.asarray(predicted_labels)
    scores = {"accuracy": float(accuracy_score(y_true, y_pred))}
    for name, metric in (("f1", f1_score), ("precision", precision_score), ("recall", recall_score)):
        # zero_division=0 is scikit-learn's default value without its warning.
        scores[name] = float(metric(y_true, y_pred, average="macro", zero_division=0))
        scores[f"{name}_weighted"] = float(metric(y_true, y_pred, average="weighted", zero_division=0))
    # AP treats the predicted labels as scores, so it needs numbers (MTEB raises on text labels).
    if (
        np.unique(y_true).size == 2
        and np.issubdtype(y_true.dtype, np.number)
        and np.issubdtype(y_pred.dtype, np.number)
    ):
        scores["ap"] = float(average_precision_score(y_true, y_pred, average="macro"))
        scores["ap_weighted"] = float(average_precision_score(y_true, y_pred, average="weighted"))
    return scores


def _check_shapes(vectors: NDArray[Any], labels: Sequence[Hashable], name: str) -> None:
    if vectors.ndim != 2 or vectors.shape[0] != len(labels):
        raise ValueError(f"{name} embeddings have shape {vectors.shape} for {len(labels)} labels")


def classification_scores(
    train_vectors: NDArray[np.floating],
    train_labels: Sequence[Hashable],
    test_vectors: NDArray[np.floating],
    test_labels: Sequence[Hashable],
    *,
    n_experiments: int = 10,
    samples_per_label: int = 8,
    seed: int = 42,
) -> dict[str, float]:
    """Mean over ``n_experiments`` of MTEB's metrics for a logistic regression on undersampled train rows.

    Args:
        train_vectors: train-split embeddings, shape ``(n_train, dim)``.
        train_labels: label of each train row (ints or strings).
        test_vectors: evaluation-split embeddings, shape ``(n_test, dim)``.
        test_labels: label of each test row.
        n_experiments: undersample-and-fit repetitions; MTEB's default 10.
        samples_per_label: train rows kept per label in each experiment; MTEB's default 8.
        seed: the task seed (MTEB's default 42), for both the undersampling and the classifier.

    Returns:
        ``accuracy`` (the main score), ``f1``, ``f1_weighted``, ``precision``, ``precision_weighted``,
        ``recall``, ``recall_weighted``, and for two-label test sets ``ap`` and ``ap_weighted``.

    Raises:
        ValueError: shapes and label counts disagree, or the train set has fewer than two labels
            (a classifier cannot be fitted).
        UserError: scikit-learn is not installed.
    """
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        raise UserError("classification needs scikit-learn: pip install 'assay[judge]'") from None
    _check_shapes(train_vectors, train_labels, "train")
    _check_shapes(test_vectors, test_labels, "test")
    if len(set(train_labels)) < 2:
        raise ValueError(f"the train set needs at least two labels to fit a classifier, got {set(train_labels)}")
    per_experiment: list[dict[str, float]] = []
    draws = undersample_indices(
        train_labels, n_experiments=n_experiments, samples_per_label=samples_per_label, seed=seed
    )
    for selected in draws:
        classifier = LogisticRegression(max_iter=MAX_ITER, random_state=seed)
        classifier.fit(train_vectors[selected], [train_labels[index] for index in selected])
        predicted = classifier.predict(test_vectors)
        per_experiment.append(experiment_scores(test_labels, list(predicted)))
    # np.mean (pairwise summation), not fsum, so the last digit matches MTEB's.
    return {name: float(np.mean([scores[name] for scores in per_experiment])) for name in per_experiment[0]}
