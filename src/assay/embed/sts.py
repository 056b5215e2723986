"""Semantic textual similarity: how well the cosine of two embeddings tracks human similarity scores.

MTEB's STS tasks (``abstasks/sts.py``, ``_evaluators/any_sts_evaluator.py``) embed both sentences of
each pair, take ``1 - paired_cosine_distances`` and report scipy's ``spearmanr`` and ``pearsonr``
against the gold scores; ``cosine_spearman`` is the main score. MTEB rescales gold scores to [0, 1]
first, which changes neither correlation. The correlations are computed here with numpy so scoring
needs no scipy; :func:`spearman` gives tied values their average rank, as ``scipy.stats.spearmanr``.

Example:
    >>> import numpy as np
    >>> a = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    >>> b = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    >>> sts_scores(a, b, [5.0, 3.0, 0.0]).cosine_spearman
    1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from assay.embed.search import cosine_normalize

__all__ = ["StsScores", "average_ranks", "pearson", "spearman", "sts_scores"]


@dataclass(frozen=True)
class StsScores:
    """Correlation of pair cosine similarity with gold similarity."""

    cosine_spearman: float
    """Spearman's rank correlation, in [-1, 1]; MTEB's main STS score."""
    cosine_pearson: float
    """Pearson's linear correlation, in [-1, 1]."""
    n_pairs: int
    """Number of sentence pairs scored."""


def _as_vector(values: ArrayLike, name: str) -> NDArray[np.float64]:
    vector = np.asarray(values, dtype=np.float64)
    if vector.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {vector.shape}")
    if np.isnan(vector).any():
        raise ValueError(f"{name} contains NaN")
    return vector


def pearson(x: ArrayLike, y: ArrayLike) -> float:
    """Pearson's correlation coefficient of two equally long sequences.

    Edge cases: fewer than two values raise ``ValueError`` (there is no correlation to speak of); a
    constant sequence gives 0.0, where scipy gives NaN with a warning, because a model whose
    similarities never vary has shown no agreement with the gold scores.

    Example:
        >>> pearson([1, 2, 3], [2, 4, 7])
        0.9933992677987828
    """
    xs, ys = _as_vector(x, "x"), _as_vector(y, "y")
    if xs.shape != ys.shape:
        raise ValueError(f"x has {xs.size} values but y has {ys.size}")
    if xs.size < 2:
        raise ValueError(f"a correlation needs at least 2 values, got {xs.size}")
    # Centring before the products (as scipy does) avoids the cancellation of sum(x*y) - n*mean*mean.
    dx, dy = xs - xs.mean(), ys - ys.mean()
    denominator = float(np.sqrt(np.dot(dx, dx) * np.dot(dy, dy)))
    if denominator == 0.0:
        return 0.0
    return float(np.clip(np.dot(dx, dy) / denominator, -1.0, 1.0))


def average_ranks(values: ArrayLike) -> NDArray[np.float64]:
    """1-based ranks, tied values sharing the mean of the ranks they span (``rankdata`` 'average').

    Example:
        >>> average_ranks([10, 20, 10, 30]).tolist()
        [1.5, 3.0, 1.5, 4.0]
    """
    vector = _as_vector(values, "values")
    order = np.argsort(vector, kind="stable")
    sorted_values = vector[order]
    # Each run of equal values gets the average of its first and last 1-based position.
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], vector.size]
    run_ranks = (starts + 1 + ends) / 2.0
    ranks = np.empty(vector.size, dtype=np.float64)
    ranks[order] = np.repeat(run_ranks, ends - starts)
    return ranks


def spearman(x: ArrayLike, y: ArrayLike) -> float:
    """Spearman's rank correlation: Pearson's correlation of the average ranks.

    Same edge cases as :func:`pearson`.

    Example:
        >>> spearman([1, 2, 2, 3], [1, 3, 2, 4])
        0.9486832980505138
    """
    return pearson(average_ranks(x), average_ranks(y))


def sts_scores(
    a_vectors: NDArray[np.floating], b_vectors: NDArray[np.floating], gold: Sequence[float] | NDArray[np.floating]
) -> StsScores:
    """Score row ``i`` of ``a_vectors`` against row ``i`` of ``b_vectors`` and correlate with ``gold``.

    Args:
        a_vectors: embeddings of the first sentences, shape ``(n_pairs, dim)``.
        b_vectors: embeddings of the second sentences, same shape.
        gold: human similarity of each pair, any scale (only order and linearity matter).
    """
    if a_vectors.shape != b_vectors.shape:
        raise ValueError(f"sentence embeddings differ in shape: {a_vectors.shape} and {b_vectors.shape}")
    cosine = np.einsum(
        "ij,ij->i", cosine_normalize(a_vectors).astype(np.float64), cosine_normalize(b_vectors).astype(np.float64)
    )
    gold_vector = _as_vector(gold, "gold")
    if gold_vector.size != cosine.size:
        raise ValueError(f"{cosine.size} sentence pairs but {gold_vector.size} gold scores")
    return StsScores(spearman(cosine, gold_vector), pearson(cosine, gold_vector), int(cosine.size))
