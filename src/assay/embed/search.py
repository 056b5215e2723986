"""Exact cosine top-k search over a corpus of embeddings.

Dense retrieval scores every query against every document, which for real corpora (millions of
documents) does not fit in memory as one matrix. :func:`top_k` therefore scores blocks of queries
against blocks of documents, keeps the best ``k`` of each block and merges them, so no score block
exceeds :data:`SCORE_BLOCK_BYTES`. When ``faiss`` is importable it is used instead (a flat
inner-product index: exact, same results up to the order of tied scores).

Example:
    >>> import numpy as np
    >>> result = top_k(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0], [1.0, 0.1], [-1.0, 0.0]]), k=2)
    >>> result.indices.tolist()
    [[1, 0]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["SCORE_BLOCK_BYTES", "TopK", "cosine_normalize", "top_k"]

SCORE_BLOCK_BYTES = 256 * 1024 * 1024
"""Largest query x document score block held at once, in bytes."""


@dataclass(frozen=True)
class TopK:
    """The ``k`` nearest documents of every query, best first."""

    indices: NDArray[np.int64]
    """Shape ``(n_queries, k)``: row positions in the corpus matrix."""
    scores: NDArray[np.float64]
    """Shape ``(n_queries, k)``: cosine similarities, descending along each row."""


def cosine_normalize(vectors: NDArray[np.floating]) -> NDArray[np.floating]:
    """Rows scaled to unit length, so a dot product is a cosine similarity.

    A zero row stays zero (its cosine with anything is 0, as with torch's eps-clamped ``cos_sim``
    that MTEB uses) instead of becoming NaN.
    """
    if vectors.ndim != 2:
        raise ValueError(f"expected a 2-d matrix of row vectors, got shape {vectors.shape}")
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def _block_top_k(scores: NDArray[np.floating], k: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Best ``k`` columns of each row, sorted by score descending then column ascending."""
    if k < scores.shape[1]:
        candidates = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    else:
        candidates = np.broadcast_to(np.arange(scores.shape[1]), scores.shape)
    candidate_scores = np.take_along_axis(scores, candidates, axis=1)
    # lexsort sorts by the last key first: score descending, then index ascending for ties.
    order = np.lexsort((candidates, -candidate_scores), axis=1)
    return (
        np.take_along_axis(candidates, order, axis=1).astype(np.int64),
        np.take_along_axis(candidate_scores, order, axis=1).astype(np.float64),
    )


def _numpy_top_k(queries: NDArray[np.floating], corpus: NDArray[np.floating], k: int, block_bytes: int) -> TopK:
    itemsize = np.result_type(queries, corpus).itemsize
    corpus_block = max(1, min(corpus.shape[0], block_bytes // itemsize))
    query_block = max(1, block_bytes // (itemsize * corpus_block))
    all_indices, all_scores = [], []
    for q_start in range(0, queries.shape[0], query_block):
        query_rows = queries[q_start : q_start + query_block]
        best_indices = np.empty((query_rows.shape[0], 0), dtype=np.int64)
        best_scores = np.empty((query_rows.shape[0], 0), dtype=np.float64)
        for c_start in range(0, corpus.shape[0], corpus_block):
            indices, scores = _block_top_k(query_rows @ corpus[c_start : c_start + corpus_block].T, k)
            merged_indices = np.concatenate([best_indices, indices + c_start], axis=1)
            merged_scores = np.concatenate([best_scores, scores], axis=1)
            keep, best_scores = _block_top_k(merged_scores, k)
            best_indices = np.take_along_axis(merged_indices, keep, axis=1)
        all_indices.append(best_indices)
        all_scores.append(best_scores)
    return TopK(np.concatenate(all_indices), np.concatenate(all_scores))


def _faiss_top_k(queries: NDArray[np.floating], corpus: NDArray[np.floating], k: int) -> TopK | None:
    try:
        import faiss  # optional: faster exact search when the user has it
    except ImportError:
        return None
    index = faiss.IndexFlatIP(corpus.shape[1])
    index.add(np.ascontiguousarray(corpus, dtype=np.float32))
    scores, indices = index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
    return TopK(indices.astype(np.int64), scores.astype(np.float64))


def top_k(
    query_vectors: NDArray[np.floating],
    corpus_vectors: NDArray[np.floating],
    k: int,
    *,
    use_faiss: bool = True,
    block_bytes: int = SCORE_BLOCK_BYTES,
) -> TopK:
    """The ``k`` corpus rows most cosine-similar to each query row, best first.

    Args:
        query_vectors: shape ``(n_queries, dim)``.
        corpus_vectors: shape ``(n_docs, dim)``.
        k: documents per query; more than ``n_docs`` gives all of them.
        use_faiss: use faiss when it is importable (exact too; ties may come out in another order).
        block_bytes: memory bound for one block of scores; tests shrink it to exercise the merging.

    Ties are ordered by corpus row ascending in the numpy path. Scores are computed in the inputs'
    precision (float32 embeddings stay float32 until the result).
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    queries, corpus = cosine_normalize(query_vectors), cosine_normalize(corpus_vectors)
    if queries.shape[1] != corpus.shape[1]:
        raise ValueError(f"queries have dimension {queries.shape[1]} but documents {corpus.shape[1]}")
    k = min(k, corpus.shape[0])
    if k == 0:
        empty = np.empty((queries.shape[0], 0))
        return TopK(empty.astype(np.int64), empty)
    found = _faiss_top_k(queries, corpus, k) if use_faiss else None
    return found if found is not None else _numpy_top_k(queries, corpus, k, block_bytes)
