"""Exact cosine top-k: blocked numpy search equals scoring the whole matrix at once."""

from __future__ import annotations

import numpy as np
import pytest

from assay.embed.search import cosine_normalize, top_k


def brute_force(queries: np.ndarray, corpus: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    scores = cosine_normalize(queries) @ cosine_normalize(corpus).T
    order = np.lexsort((np.broadcast_to(np.arange(corpus.shape[0]), scores.shape), -scores), axis=1)[:, :k]
    return order, np.take_along_axis(scores, order, axis=1)


@pytest.mark.parametrize("block_bytes", [8, 8 * 7, 8 * 50, 1 << 28])
def test_blocked_search_equals_the_full_score_matrix(block_bytes: int) -> None:
    rng = np.random.default_rng(0)
    queries, corpus = rng.normal(size=(23, 8)), rng.normal(size=(50, 8))
    result = top_k(queries, corpus, 5, use_faiss=False, block_bytes=block_bytes)
    expected_indices, expected_scores = brute_force(queries, corpus, 5)
    np.testing.assert_array_equal(result.indices, expected_indices)
    np.testing.assert_allclose(result.scores, expected_scores, rtol=0, atol=1e-12)


def test_ties_keep_the_lower_corpus_row_first_across_blocks() -> None:
    corpus = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 0.0], [1.0, 0.0], [3.0, 0.0]])
    result = top_k(np.array([[1.0, 0.0]]), corpus, 3, use_faiss=False, block_bytes=16)
    assert result.indices.tolist() == [[0, 2, 3]]
    assert result.scores.tolist() == [[1.0, 1.0, 1.0]]


def test_k_larger_than_the_corpus_returns_every_document_sorted() -> None:
    result = top_k(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0], [1.0, 1.0]]), 10, use_faiss=False)
    assert result.indices.tolist() == [[1, 0]]
    assert result.scores[0, 0] == pytest.approx(2**-0.5)


def test_zero_vector_has_cosine_zero_instead_of_nan() -> None:
    result = top_k(np.zeros((1, 3)), np.eye(3), 3, use_faiss=False)
    assert result.scores.tolist() == [[0.0, 0.0, 0.0]]


def test_float32_embeddings_are_supported_and_scores_come_back_as_float64() -> None:
    rng = np.random.default_rng(1)
    queries, corpus = rng.normal(size=(4, 16)).astype(np.float32), rng.normal(size=(30, 16)).astype(np.float32)
    result = top_k(queries, corpus, 3, use_faiss=False)
    assert result.scores.dtype == np.float64
    np.testing.assert_allclose(result.scores, brute_force(queries, corpus, 3)[1], atol=1e-6)


def test_dimension_mismatch_and_bad_k_are_rejected() -> None:
    with pytest.raises(ValueError, match="dimension"):
        top_k(np.ones((1, 3)), np.ones((2, 4)), 1)
    with pytest.raises(ValueError, match="at least 1"):
        top_k(np.ones((1, 3)), np.ones((2, 3)), 0)
