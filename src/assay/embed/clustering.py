"""Clustering: how well mini-batch k-means on the embeddings recovers the gold labels (V-measure).

MTEB 2.x has two clustering protocols, both built on scikit-learn's ``MiniBatchKMeans`` with
``n_clusters`` = the number of distinct gold labels and ``random_state`` = the task seed (42):

- **Bootstrapped** (``abstasks/clustering.py``, ``AbsTaskClustering``; formerly "ClusteringFast").
  This is what the current benchmarks' clustering tasks use (``BiorxivClusteringP2P.v2``,
  ``ArXivHierarchicalClusteringP2P``, ... in ``MTEB(eng, v2)``): :func:`clustering_scores`.
  All documents of a subset form one set. Unless a task sets ``max_fraction_of_documents_to_embed``
  to ``None``, only ``int(0.04 * n)`` documents are embedded, drawn by ``random.Random(seed).sample``
  (:func:`documents_to_embed`). Then, for each label level (hierarchical tasks give each document a
  list of labels, coarse to fine), ``n_experiments`` (10) times: draw ``sample_size`` (16,384)
  documents *with replacement* (``Random.choices``, the same ``Random`` that drew the documents to
  embed), fit ``MiniBatchKMeans(batch_size=512, init="k-means++", n_init=1)`` and score V-measure
  and adjusted mutual information. ``v_measure`` (the main score) and ``ami`` are means over every
  level and experiment together, ``*_std`` their population standard deviations. ``n_clusters`` is
  the number of labels at that level over all documents, even when a sample misses some.
- **Legacy** (``abstasks/clustering_legacy.py`` with ``_evaluators/clustering_evaluator.py``,
  ``AbsTaskClusteringLegacy``; ``MTEB(eng, v1)``'s ``ArxivClusteringP2P`` and the like). Each row of
  the dataset is its own set of documents; each set is clustered once with
  ``MiniBatchKMeans(batch_size=500, n_init="auto")`` on all its documents
  (:func:`kmeans_v_measure`), a set with a single label scores 1.0 without clustering, and the task
  reports the mean and population standard deviation of the sets' V-measures
  (:func:`legacy_clustering_scores`).

MTEB reports one score dictionary per subset (language) and split; combining subsets is left to the
caller. Its task keeps one ``random.Random(seed)`` for the whole run, so to replay a multi-subset
task draw with one shared ``rng`` in MTEB's order: for each subset, :func:`documents_to_embed`, then
:func:`clustering_scores`.

One deliberate difference: a document that lacks a level of a hierarchy is left out of that level.
MTEB means to do the same (it marks it ``-1``), but with string labels numpy turns the marker into
the string ``"-1"`` and MTEB then clusters it as one more label.

Example:
    >>> import numpy as np
    >>> vectors = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
    >>> clustering_scores(vectors, ["a", "a", "b", "b"], n_experiments=2, sample_size=8)["v_measure"]
    1.0
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from assay.errors import UserError

__all__ = [
    "clustering_scores",
    "documents_to_embed",
    "kmeans_v_measure",
    "label_levels",
    "legacy_clustering_scores",
]

Labels = Sequence[Hashable] | Sequence[Sequence[Hashable]]
"""One label per document, or for hierarchical tasks one list of labels (coarse to fine) per document."""

_SKLEARN_MISSING = "clustering needs scikit-learn: pip install 'assay[judge]'"


def documents_to_embed(
    n_documents: int, rng: random.Random, *, max_fraction: float | None = 0.04, max_documents: int | None = None
) -> list[int]:
    """Indices of the documents MTEB embeds for a bootstrapped clustering task, in its order.

    ``max_fraction`` and ``max_documents`` are MTEB's ``max_fraction_of_documents_to_embed`` and
    ``max_document_to_embed``; with both ``None`` every document is kept and ``rng`` is not touched.

    Example:
        >>> documents_to_embed(100, random.Random(42), max_fraction=0.03)
        [81, 14, 3]
    """
    if max_fraction is not None and max_documents is not None:
        raise ValueError("set max_fraction or max_documents, not both")
    if max_fraction is None and max_documents is None:
        return list(range(n_documents))
    limit = int(max_fraction * n_documents) if max_fraction is not None else int(max_documents or 0)
    return rng.sample(range(n_documents), k=min(n_documents, limit))


def label_levels(labels: Labels, max_depth: int | None = None) -> list[tuple[NDArray[np.intp], NDArray[Any]]]:
    """Per hierarchy level, the documents that have a label there and those labels.

    A plain label counts as a one-level hierarchy. ``max_depth`` caps the levels (MTEB's ``max_depth``).

    Example:
        >>> [(rows.tolist(), level.tolist()) for rows, level in label_levels([["x", "y"], ["x"]])]
        [([0, 1], ['x', 'x']), ([0], ['y'])]
    """
    paths = [list(label) if isinstance(label, list | tuple) else [label] for label in labels]
    depth = max((len(path) for path in paths), default=0)
    if max_depth is not None:
        depth = min(depth, max_depth)
    levels = []
    for level in range(depth):
        rows = np.array([i for i, path in enumerate(paths) if len(path) > level], dtype=np.intp)
        levels.append((rows, np.array([paths[i][level] for i in rows])))
    return levels


def clustering_scores(
    vectors: NDArray[np.floating],
    labels: Labels,
    *,
    seed: int = 42,
    n_experiments: int = 10,
    sample_size: int = 16_384,
    kmeans_batch_size: int = 512,
    max_depth: int | None = None,
    rng: random.Random | None = None,
) -> dict[str, float]:
    """MTEB's bootstrapped clustering scores of already embedded documents (see the module docstring).

    Args:
        vectors: document embeddings, shape ``(n_documents, dim)`` (after :func:`documents_to_embed`).
        labels: gold label, or list of labels coarse to fine, of each document.
        seed: the task seed, for k-means and, when ``rng`` is not given, the sampling.
        n_experiments: samples clustered per level (MTEB's ``n_clusters``, 10).
        sample_size: documents per sample, drawn with replacement (``max_documents_per_cluster``, 16,384).
        kmeans_batch_size: ``MiniBatchKMeans(batch_size=...)`` (``k_mean_batch_size``, 512).
        max_depth: deepest hierarchy level scored; ``None`` scores all.
        rng: the task's shared ``random.Random``; defaults to a fresh ``random.Random(seed)``.

    Returns:
        ``v_measure`` (the main score), ``v_measure_std``, ``ami`` and ``ami_std``.

    Raises:
        ValueError: shapes and labels disagree, there are no documents, or ``sample_size`` is smaller
            than the number of labels at some level (k-means needs a point per cluster).
        UserError: scikit-learn is not installed.
    """
    try:
        from sklearn.cluster import MiniBatchKMeans
        from sklearn.metrics.cluster import adjusted_mutual_info_score, v_measure_score
    except ImportError:
        raise UserError(_SKLEARN_MISSING) from None
    if vectors.ndim != 2 or vectors.shape[0] != len(labels) or len(labels) == 0:
        raise ValueError(f"embeddings have shape {vectors.shape} for {len(labels)} labels")
    draw = rng if rng is not None else random.Random(seed)
    v_measures: list[float] = []
    amis: list[float] = []
    for rows, level_labels in label_levels(labels, max_depth):
        n_clusters = np.unique(level_labels).size
        if sample_size < n_clusters:
            raise ValueError(f"sample_size {sample_size} is below the {n_clusters} labels to cluster")
        level_vectors = vectors[rows]
        for _ in range(n_experiments):
            sample = draw.choices(range(len(rows)), k=sample_size)
            kmeans = MiniBatchKMeans(
                n_clusters=n_clusters, batch_size=kmeans_batch_size, init="k-means++", n_init=1, random_state=seed
            )
            assignment = kmeans.fit_predict(level_vectors[sample])
            v_measures.append(float(v_measure_score(level_labels[sample], assignment)))
            amis.append(float(adjusted_mutual_info_score(level_labels[sample], assignment)))
    return {
        "v_measure": float(np.mean(v_measures)),
        "v_measure_std": float(np.std(v_measures)),
        "ami": float(np.mean(amis)),
        "ami_std": float(np.std(amis)),
    }


def kmeans_v_measure(
    vectors: NDArray[np.floating], labels: Sequence[Hashable], *, seed: int = 42, batch_size: int = 500
) -> float:
    """V-measure of one legacy clustering set, as MTEB's ``ClusteringEvaluator`` clusters it.

    A set with one label scores 1.0 without clustering (MTEB skips it the same way).

    Raises:
        ValueError: shapes and labels disagree, or the set is empty.
        UserError: scikit-learn is not installed.

    Example:
        >>> import numpy as np
        >>> kmeans_v_measure(np.array([[0.0], [0.1], [9.0], [9.1]]), [1, 1, 2, 2])
        1.0
    """
    try:
        from sklearn.cluster import MiniBatchKMeans
        from sklearn.metrics.cluster import v_measure_score
    except ImportError:
        raise UserError(_SKLEARN_MISSING) from None
    if vectors.ndim != 2 or vectors.shape[0] != len(labels) or len(labels) == 0:
        raise ValueError(f"embeddings have shape {vectors.shape} for {len(labels)} labels")
    n_clusters = len(set(labels))
    if n_clusters == 1:
        return 1.0
    kmeans = MiniBatchKMeans(
        n_clusters=n_clusters, batch_size=batch_size, n_init="auto", compute_labels=True, random_state=seed
    )
    kmeans.fit(vectors)
    return float(v_measure_score(np.asarray(labels), kmeans.labels_))


def legacy_clustering_scores(
    sets: Sequence[tuple[NDArray[np.floating], Sequence[Hashable]]], *, seed: int = 42
) -> dict[str, float]:
    """Mean and population standard deviation of :func:`kmeans_v_measure` over a legacy task's sets.

    Raises:
        ValueError: no sets.

    Example:
        >>> import numpy as np
        >>> legacy_clustering_scores([(np.zeros((2, 1)), [0, 0]), (np.array([[0.0], [9.0]]), [0, 1])])
        {'v_measure': 1.0, 'v_measure_std': 0.0}
    """
    if not sets:
        raise ValueError("a legacy clustering task needs at least one set")
    v_measures = [kmeans_v_measure(vectors, labels, seed=seed) for vectors, labels in sets]
    return {"v_measure": float(np.mean(v_measures)), "v_measure_std": float(np.std(v_measures))}
