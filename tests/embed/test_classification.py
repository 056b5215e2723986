"""Classification follows MTEB's undersample-fit-predict protocol, checked against direct scikit-learn calls."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pytest
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, average_precision_score, f1_score, precision_score, recall_score

from assay.embed.classification import classification_scores, experiment_scores, undersample_indices


def blobs(seed: int, n_per_label: Sequence[int], dim: int = 8) -> tuple[NDArray[np.float64], list[int]]:
    """Gaussian blobs, one per label, centred far enough apart to be mostly separable."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(len(n_per_label), dim))
    vectors = np.vstack([rng.normal(loc=centre, size=(n, dim)) for centre, n in zip(centres, n_per_label, strict=True)])
    labels = [label for label, n in enumerate(n_per_label) for _ in range(n)]
    order = rng.permutation(len(labels))
    return vectors[order], [labels[i] for i in order]


def reference_draws(labels: Sequence[Hashable], n_experiments: int, per_label: int, seed: int) -> list[list[int]]:
    """MTEB's draws restated: RandomState(seed)'s permutation applied once more each experiment."""
    permutation = np.random.RandomState(seed).permutation(len(labels))
    order = np.arange(len(labels))
    draws = []
    for _ in range(n_experiments):
        order = order[permutation]
        counts: dict[Hashable, int] = {}
        draw = []
        for index in order.tolist():
            if counts.get(labels[index], 0) < per_label:
                draw.append(index)
                counts[labels[index]] = counts.get(labels[index], 0) + 1
        draws.append(draw)
    return draws


def reference_scores(
    train: NDArray[np.float64], train_labels: list[int], test: NDArray[np.float64], test_labels: list[int], seed: int
) -> dict[str, list[float]]:
    metrics: dict[str, list[float]] = {}
    for draw in reference_draws(train_labels, 10, 8, seed):
        model = LogisticRegression(max_iter=100, random_state=seed).fit(train[draw], [train_labels[i] for i in draw])
        predicted = model.predict(test)
        values = {
            "accuracy": accuracy_score(test_labels, predicted),
            "f1": f1_score(test_labels, predicted, average="macro"),
            "f1_weighted": f1_score(test_labels, predicted, average="weighted"),
            "precision": precision_score(test_labels, predicted, average="macro", zero_division=0),
            "precision_weighted": precision_score(test_labels, predicted, average="weighted", zero_division=0),
            "recall": recall_score(test_labels, predicted, average="macro"),
            "recall_weighted": recall_score(test_labels, predicted, average="weighted"),
        }
        if len(set(test_labels)) == 2:
            values["ap"] = average_precision_score(test_labels, predicted, average="macro")
            values["ap_weighted"] = average_precision_score(test_labels, predicted, average="weighted")
        for name, value in values.items():
            metrics.setdefault(name, []).append(float(value))
    return metrics


@pytest.mark.parametrize("seed", [42, 7])
def test_undersampling_matches_mteb_repeated_shuffle(seed: int) -> None:
    _, labels = blobs(0, [30, 20, 5])
    assert undersample_indices(labels, seed=seed) == reference_draws(labels, 10, 8, seed)


def test_undersampling_draws_same_indices_for_same_seed_and_differs_across_seeds() -> None:
    _, labels = blobs(1, [25, 25])
    assert undersample_indices(labels, seed=3) == undersample_indices(labels, seed=3)
    assert undersample_indices(labels, seed=3) != undersample_indices(labels, seed=4)


def test_undersampling_experiments_differ_from_each_other() -> None:
    _, labels = blobs(2, [40, 40])
    draws = undersample_indices(labels, n_experiments=3)
    assert len({tuple(sorted(draw)) for draw in draws}) == 3


def test_label_with_fewer_examples_than_samples_per_label_keeps_all_of_them() -> None:
    _, labels = blobs(3, [30, 30, 3])
    rare = {i for i, label in enumerate(labels) if label == 2}
    for draw in undersample_indices(labels, samples_per_label=8):
        assert rare <= set(draw)
        assert len(draw) == 8 + 8 + 3


def test_multiclass_scores_equal_direct_sklearn_means() -> None:
    train, train_labels = blobs(4, [40, 40, 40])
    test, test_labels = blobs(4, [20, 20, 20])
    scores = classification_scores(train, train_labels, test, test_labels)
    reference = reference_scores(train, train_labels, test, test_labels, 42)
    assert scores == {name: float(np.mean(values)) for name, values in reference.items()}
    assert "ap" not in scores


def test_binary_scores_add_average_precision_of_predicted_labels() -> None:
    vectors, labels = blobs(5, [60, 60])
    train, test = vectors[:80], vectors[80:]
    scores = classification_scores(train, labels[:80], test, labels[80:], seed=11)
    reference = reference_scores(train, labels[:80], test, labels[80:], 11)
    assert scores == {name: float(np.mean(values)) for name, values in reference.items()}
    assert set(scores) >= {"ap", "ap_weighted"}


def test_separable_data_scores_perfectly() -> None:
    train, train_labels = blobs(6, [30, 30])
    train = train + np.array(train_labels)[:, None] * 100.0
    scores = classification_scores(train, train_labels, train, train_labels)
    assert scores["accuracy"] == scores["f1"] == 1.0


def test_string_labels_score_like_integers_but_without_average_precision() -> None:
    train, train_labels = blobs(7, [20, 20])
    names = ["neg" if label == 0 else "pos" for label in train_labels]
    by_name = classification_scores(train, names, train, names)
    by_number = classification_scores(train, train_labels, train, train_labels)
    assert by_name == {name: value for name, value in by_number.items() if not name.startswith("ap")}


def test_single_train_label_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least two labels"):
        classification_scores(np.zeros((4, 2)), [1, 1, 1, 1], np.zeros((2, 2)), [1, 0])


def test_mismatched_shapes_are_rejected() -> None:
    with pytest.raises(ValueError, match="train embeddings"):
        classification_scores(np.zeros((4, 2)), [0, 1, 0], np.zeros((2, 2)), [1, 0])


def test_never_predicted_label_has_zero_precision() -> None:
    scores = experiment_scores([0, 1, 2], [0, 1, 1])
    assert scores["precision"] == pytest.approx((1.0 + 0.5 + 0.0) / 3)
