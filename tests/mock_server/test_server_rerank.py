"""``/v1/rerank`` and ``/rerank`` on the mock server: predictable scores, ``top_n``, usage, checks, faults."""

from __future__ import annotations

import time

import pytest

from assay.mock_server import ServerConfig, run_server_in_thread
from assay.mock_server._rerank import relevance_score, words
from assay.mock_server._rules import count_tokens
from tests.mock_server.helpers import call

QUERY = "Red apple pie"
DOCUMENTS = ["a green apple", "RED apple-pie recipe", "nothing here", "pie"]


def test_score_is_the_share_of_distinct_query_words_in_the_document() -> None:
    assert words("Red, red APPLE_pie 42") == {"red", "apple", "pie", "42"}
    assert [relevance_score(QUERY, d) for d in DOCUMENTS] == [1 / 3, 1.0, 0.0, 1 / 3]
    assert relevance_score("?!", "anything") == 0.0


def test_results_come_best_first_ties_by_index_with_mock_token_usage() -> None:
    with run_server_in_thread(ServerConfig()) as srv:
        reply = call(srv.url + "/rerank", {"model": "mock-model", "query": QUERY, "documents": DOCUMENTS})
    assert reply.status == 200
    answer = reply.json()
    assert [(r["index"], r["relevance_score"]) for r in answer["results"]] == [
        (1, 1.0),
        (0, 1 / 3),
        (3, 1 / 3),
        (2, 0.0),
    ]
    assert "document" not in answer["results"][0] and answer["model"] == "mock-model"
    assert answer["usage"] == {"total_tokens": count_tokens(QUERY) + sum(map(count_tokens, DOCUMENTS))}


@pytest.mark.parametrize(("top_n", "indices"), [(2, [1, 0]), (9, [1, 0, 3, 2]), (0, [1, 0, 3, 2])])
def test_top_n_keeps_the_best_n_and_zero_means_all(top_n: int, indices: list[int]) -> None:
    with run_server_in_thread(ServerConfig()) as srv:
        body = {"query": QUERY, "documents": DOCUMENTS, "top_n": top_n, "return_documents": True}
        results = call(srv.url + "/rerank", body).json()["results"]
    assert [r["index"] for r in results] == indices
    assert [r["document"]["text"] for r in results] == [DOCUMENTS[i] for i in indices]


def test_bare_path_answers_too_and_stats_count_each_path() -> None:
    with run_server_in_thread(ServerConfig()) as srv:
        body = {"query": QUERY, "documents": DOCUMENTS}
        assert call(srv.url + "/rerank", body).status == 200
        assert call(srv.root_url + "/rerank", body).status == 200
        assert call(srv.root_url + "/rerank", body).status == 200
        stats = srv.stats()
    assert stats["by_endpoint"]["/v1/rerank"] == 1 and stats["by_endpoint"]["/rerank"] == 2
    assert stats["requests_total"] == 3 and stats["by_outcome"]["ok"] == 3


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"query": 1, "documents": ["a"]}, "'query' must be a string"),
        ({"query": "q", "documents": []}, "'documents' must be a non-empty list of strings"),
        ({"query": "q", "documents": ["a", 2]}, "'documents' must be a non-empty list of strings"),
        ({"query": "q", "documents": ["a"], "top_n": -1}, "'top_n' must be a non-negative integer"),
        ({"query": "q", "documents": ["a"], "top_n": 1.5}, "'top_n' must be a non-negative integer"),
    ],
)
def test_malformed_requests_get_a_400_that_says_why(body: dict[str, object], message: str) -> None:
    with run_server_in_thread(ServerConfig()) as srv:
        reply = call(srv.url + "/rerank", body)
        outcomes = srv.stats()["by_outcome"]
    assert reply.status == 400 and reply.json()["error"]["message"] == message
    assert outcomes["400"] == 1


def test_faults_and_latency_apply_as_to_embeddings() -> None:
    body = {"query": QUERY, "documents": DOCUMENTS}
    with run_server_in_thread(ServerConfig(p_500=1.0)) as srv:
        assert call(srv.url + "/rerank", body).status == 500
        assert srv.stats()["by_outcome"]["500"] == 1
    with run_server_in_thread(ServerConfig(p_malformed=1.0)) as srv:
        reply = call(srv.url + "/rerank", body)
    assert reply.status == 200 and not reply.body.endswith(b"}")
    with run_server_in_thread(ServerConfig(latency_ms=150)) as srv:
        start = time.perf_counter()
        assert call(srv.url + "/rerank", body).status == 200
    assert time.perf_counter() - start >= 0.15


def test_unknown_model_is_a_404_when_strict() -> None:
    with run_server_in_thread(ServerConfig(strict_model=True)) as srv:
        reply = call(srv.url + "/rerank", {"model": "other", "query": "q", "documents": ["a"]})
    assert reply.status == 404
