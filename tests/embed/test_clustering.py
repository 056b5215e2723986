"""Clustering follows MTEB's bootstrapped and legacy k-means protocols, checked against direct scikit-learn calls."""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np
import pytest
from numpy.typing import NDArray
from sklearn.cluster import MiniBatchKMeans
from sklearn.metrics.cluster import adjusted_mutual_info_score, v_measure_score

from assay.embed.clustering import (
    clustering_scores,
    documents_to_embed,
    kmeans_v_measure,
    label_levels,
    legacy_clustering_scores,
)


def blobs(seed: int, n_per_label: Sequence[int], spread: float = 1.0) -> tuple[NDArray[np.float64], list[int]]:
    """Gaussian blobs, one per label, in 6 dimensions."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(len(n_per_label), 6))
    vectors = np.vstack(
        [rng.normal(loc=centre, scale=spread, size=(n, 6)) for centre, n in zip(centres, n_per_label, strict=True)]
    )
    labels = [label for label, n in enumerate(n_per_label) for _ in range(n)]
    return vectors, labels


def reference_bootstrap(
    vectors: NDArray[np.float64], labels: list[int], draw: random.Random, seed: int, n: int, size: int
) -> tuple[list[float], list[float]]:
    """One level of MTEB's bootstrap: `n` samples with replacement, k-means++ with one init each."""
    label_array = np.array(labels)
    v_measures, amis = [], []
    for _ in range(n):
        sample = draw.choices(range(len(labels)), k=size)
        kmeans = MiniBatchKMeans(
            n_clusters=len(set(labels)), batch_size=512, init="k-means++", n_init=1, random_state=seed
        )
        assignment = kmeans.fit_predict(vectors[sample])
        v_measures.append(v_measure_score(label_array[sample], assignment))
        amis.append(adjusted_mutual_info_score(label_array[sample], assignment))
    return v_measures, amis


@pytest.mark.parametrize("seed", [42, 3])
def test_scores_equal_direct_sklearn_bootstrap(seed: int) -> None:
    vectors, labels = blobs(0, [60, 40, 30], spread=3.0)
    scores = clustering_scores(vectors, labels, seed=seed, n_experiments=4, sample_size=200)
    v_measures, amis = reference_bootstrap(vectors, labels, random.Random(seed), seed, 4, 200)
    assert scores == {
        "v_measure": float(np.mean(v_measures)),
        "v_measure_std": float(np.std(v_measures)),
        "ami": float(np.mean(amis)),
        "ami_std": float(np.std(amis)),
    }


def test_separable_blobs_score_one() -> None:
    vectors, labels = blobs(1, [50, 50, 50], spread=0.01)
    scores = clustering_scores(vectors, labels, n_experiments=3, sample_size=300)
    assert scores["v_measure"] == pytest.approx(1.0)
    assert scores["v_measure_std"] == pytest.approx(0.0)


def test_single_cluster_scores_one() -> None:
    vectors, _ = blobs(2, [40])
    scores = clustering_scores(vectors, ["only"] * 40, n_experiments=2, sample_size=50)
    assert scores["v_measure"] == 1.0
    assert scores["ami"] == 1.0


def test_same_seed_gives_same_scores_and_shared_rng_continues_the_stream() -> None:
    vectors, labels = blobs(3, [30, 30], spread=4.0)
    first = clustering_scores(vectors, labels, n_experiments=2, sample_size=80)
    assert first == clustering_scores(vectors, labels, n_experiments=2, sample_size=80)
    shared = random.Random(42)
    shared.random()
    continued = clustering_scores(vectors, labels, n_experiments=2, sample_size=80, rng=shared)
    reference_rng = random.Random(42)
    reference_rng.random()
    v_measures, _ = reference_bootstrap(vectors, labels, reference_rng, 42, 2, 80)
    assert continued["v_measure"] == float(np.mean(v_measures))


def test_hierarchical_levels_are_pooled_and_missing_levels_skipped() -> None:
    vectors, coarse = blobs(4, [30, 30], spread=3.0)
    fine = [2 * label + i % 2 for i, label in enumerate(coarse)]
    # Every third document has no fine label.
    paths = [[c, f] if i % 3 else [c] for i, (c, f) in enumerate(zip(coarse, fine, strict=True))]
    scores = clustering_scores(vectors, paths, n_experiments=2, sample_size=100)
    draw = random.Random(42)
    level0 = reference_bootstrap(vectors, coarse, draw, 42, 2, 100)
    rows = [i for i in range(len(paths)) if i % 3]
    level1 = reference_bootstrap(vectors[rows], [fine[i] for i in rows], draw, 42, 2, 100)
    assert scores["v_measure"] == float(np.mean(level0[0] + level1[0]))
    assert scores["ami_std"] == float(np.std(level0[1] + level1[1]))


def test_max_depth_limits_levels() -> None:
    assert len(label_levels([["a", "b", "c"], ["a"]], max_depth=2)) == 2
    assert len(label_levels(["a", "b"])) == 1


def test_sample_smaller_than_label_count_is_rejected() -> None:
    vectors, labels = blobs(5, [5, 5, 5])
    with pytest.raises(ValueError, match="sample_size 2"):
        clustering_scores(vectors, labels, sample_size=2)


def test_mismatched_shapes_are_rejected() -> None:
    with pytest.raises(ValueError, match="embeddings have shape"):
        clustering_scores(np.zeros((3, 2)), [0, 1])


def test_documents_to_embed_draws_mteb_fraction_with_seeded_sample() -> None:
    assert documents_to_embed(1000, random.Random(42)) == random.Random(42).sample(range(1000), k=40)
    assert documents_to_embed(10, random.Random(42), max_fraction=None, max_documents=50) == random.Random(42).sample(
        range(10), k=10
    )
    untouched = random.Random(1)
    assert documents_to_embed(5, untouched, max_fraction=None) == [0, 1, 2, 3, 4]
    assert untouched.random() == random.Random(1).random()
    with pytest.raises(ValueError, match="not both"):
        documents_to_embed(5, untouched, max_fraction=0.5, max_documents=2)


def test_legacy_set_equals_direct_minibatch_kmeans() -> None:
    vectors, labels = blobs(6, [40, 40, 40], spread=3.0)
    kmeans = MiniBatchKMeans(n_clusters=3, batch_size=500, n_init="auto", compute_labels=True, random_state=42)
    expected = v_measure_score(labels, kmeans.fit(vectors).labels_)
    assert kmeans_v_measure(vectors, labels) == float(expected)


def test_legacy_single_label_set_scores_one_and_sets_are_averaged() -> None:
    vectors, labels = blobs(7, [30, 30], spread=3.0)
    mixed = kmeans_v_measure(vectors, labels)
    scores = legacy_clustering_scores([(vectors, labels), (vectors[:5], [9] * 5)])
    assert kmeans_v_measure(vectors[:5], [9] * 5) == 1.0
    assert scores == {"v_measure": float(np.mean([mixed, 1.0])), "v_measure_std": float(np.std([mixed, 1.0]))}
