"""``OpenAIAPI.rerank`` against real sockets, and the strict reading of rerank answers.

Orderings are predicted from the mock server's word-overlap scores; answers no real server should
give come from a tiny app that returns a fixed body, or go straight to the parser.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
import pytest
from aiohttp import web

from assay.errors import UserError
from assay.mock_server import ServerConfig, prompt_key, run_server_in_thread
from assay.mock_server._rules import count_tokens
from assay.models.openai_api import OpenAIAPI
from assay.models.openai_response import RejectedError, RetryableError
from assay.models.rerank import InvalidRerankAnswer, rerank_body, rerank_output, rerank_scores, rerank_usage
from assay.types import GenerateConfig, ModelOutput, Usage
from tests.models.local_app import serving

QUERY = "capital of France"
DOCUMENTS = ["Berlin is in Germany.", "Paris is the capital of France.", "The capital is large."]
FAST = {"retries": 3, "retry_interval": 0.001}


def rerank(url: str, query: str = QUERY, documents: list[str] = DOCUMENTS, **kwargs: Any) -> ModelOutput:
    top_n = kwargs.pop("top_n", None)
    model = OpenAIAPI("mock-model", api_url=url, **kwargs.pop("model_args", {}))

    async def go() -> ModelOutput:
        try:
            return await model.rerank(query, documents, top_n=top_n, config=GenerateConfig(**kwargs))
        finally:
            await model.aclose()

    return asyncio.run(go())


@asynccontextmanager
async def fixed_answer(answer: bytes, seen: list[bytes], status: int = 200) -> AsyncIterator[str]:
    """A server whose ``/v1/rerank`` always answers ``answer``; records each request body."""

    async def handle(request: web.Request) -> web.Response:
        seen.append(await request.read())
        return web.Response(body=answer, status=status, content_type="application/json")

    app = web.Application()
    app.router.add_post("/v1/rerank", handle)
    async with serving(app) as url:
        yield url


def rerank_fixed(answer: Any, *, top_n: int | None = None, retries: int = 0) -> tuple[ModelOutput, list[bytes]]:
    seen: list[bytes] = []
    raw = answer if isinstance(answer, bytes) else orjson.dumps(answer)

    async def go() -> ModelOutput:
        async with fixed_answer(raw, seen) as url:
            model = OpenAIAPI("reranker", api_url=url)
            try:
                config = GenerateConfig(retries=retries, retry_interval=0.001)
                return await model.rerank(QUERY, DOCUMENTS, top_n=top_n, config=config)
            finally:
                await model.aclose()

    return asyncio.run(go()), seen


# -- against the mock server -------------------------------------------------------------------------


def test_scores_come_back_in_document_order_with_usage() -> None:
    with run_server_in_thread(ServerConfig()) as srv:
        out = rerank(srv.base_url)
        stats = srv.stats()
    assert out.error is None and out.attempts == 1 and out.latency_s > 0
    assert out.rerank_scores == [0.0, 1.0, 1 / 3]  # shares of {"capital", "of", "france"} in each
    tokens = count_tokens(QUERY) + sum(map(count_tokens, DOCUMENTS))
    assert out.usage == Usage(prompt_tokens=tokens, total_tokens=tokens)
    assert stats["by_endpoint"]["/v1/rerank"] == 1


def test_top_n_scores_the_best_documents_and_leaves_the_others_none() -> None:
    with run_server_in_thread(ServerConfig()) as srv:
        out = rerank(srv.base_url, top_n=2)
    assert out.rerank_scores == [None, 1.0, 1 / 3]


def test_retries_a_500_until_the_server_answers() -> None:
    # Seed 1 draws 0.134 then 0.847: the first request fails, the second is answered.
    with run_server_in_thread(ServerConfig(p_500=0.5, seed=1)) as srv:
        out = rerank(srv.base_url, **FAST)
        stats = srv.stats()
    assert (out.error, out.attempts, out.rerank_scores) == (None, 2, [0.0, 1.0, 1 / 3])
    assert stats["by_outcome"]["500"] == 1 and stats["prompt_counts"][prompt_key(QUERY)] == 2


@pytest.mark.parametrize(("fault", "message"), [("p_500", "HTTP 500"), ("p_malformed", "malformed JSON")])
def test_a_failure_every_time_ends_in_an_error_after_every_retry(fault: str, message: str) -> None:
    with run_server_in_thread(ServerConfig(**{fault: 1.0})) as srv:
        out = rerank(srv.base_url, retries=2, retry_interval=0.001)
    assert out.rerank_scores is None and out.attempts == 3
    assert out.error is not None and message in out.error and "3 attempts" in out.error


def test_a_wrong_api_key_raises_a_user_error() -> None:
    with run_server_in_thread(ServerConfig(api_key="right")) as srv, pytest.raises(UserError, match="API key"):
        rerank(srv.base_url, model_args={"api_key": "wrong"})


def test_empty_documents_and_top_n_below_one_are_refused_before_sending() -> None:
    with pytest.raises(ValueError, match="at least one document"):
        rerank("http://127.0.0.1:9/v1", documents=[])
    with pytest.raises(ValueError, match="top_n must be at least 1"):
        rerank("http://127.0.0.1:9/v1", top_n=0)


# -- wire shapes ---------------------------------------------------------------------------------------


def test_body_carries_top_n_only_when_set() -> None:
    _, seen = rerank_fixed({"results": [{"index": i, "relevance_score": 0.5} for i in range(3)]})
    assert seen == [b'{"model":"reranker","query":"capital of France","documents":' + orjson.dumps(DOCUMENTS) + b"}"]
    assert rerank_body("m", "q", ["d"], 2) == {"model": "m", "query": "q", "documents": ["d"], "top_n": 2}


def test_reads_jina_cohere_and_vllm_answers() -> None:
    vllm = {
        "id": "rerank-1",
        "model": "bge",
        "usage": {"total_tokens": 30},
        "results": [
            {"index": 1, "document": {"text": DOCUMENTS[1]}, "relevance_score": 0.99},
            {"index": 2, "document": {"text": DOCUMENTS[2]}, "relevance_score": 0.2},
            {"index": 0, "document": {"text": DOCUMENTS[0]}, "relevance_score": 0.01},
        ],
    }
    out, _ = rerank_fixed(vllm)
    assert (out.rerank_scores, out.usage) == ([0.01, 0.99, 0.2], Usage(prompt_tokens=30, total_tokens=30))
    cohere = {"id": "x", "results": [{"index": 1, "relevance_score": 1}], "meta": {"billed_units": {"search_units": 1}}}
    out, seen = rerank_fixed(cohere, top_n=1)
    assert (out.rerank_scores, out.usage) == ([None, 1.0, None], None)
    assert orjson.loads(seen[0])["top_n"] == 1


def test_usage_prefers_total_tokens_and_falls_back_to_prompt_tokens() -> None:
    assert rerank_usage({"usage": {"prompt_tokens": 7, "total_tokens": 9}}) == Usage(prompt_tokens=7, total_tokens=9)
    assert rerank_usage({"usage": {"prompt_tokens": 7}}) == Usage(prompt_tokens=7, total_tokens=7)
    assert rerank_usage({"usage": {"total_tokens": "9"}}) is None


# -- answers that are errors ---------------------------------------------------------------------------

GOOD = [
    {"index": 0, "relevance_score": 0.1},
    {"index": 1, "relevance_score": 0.9},
    {"index": 2, "relevance_score": 0.5},
]


@pytest.mark.parametrize(
    ("results", "message"),
    [
        (GOOD[:2], "2 results for 3 expected; no score for documents [2]"),
        ([*GOOD, {"index": 1, "relevance_score": 0.3}], "results[3] repeats index 1"),
        ([GOOD[0], GOOD[1], {"index": 3, "relevance_score": 0.5}], "results[2] has index 3, but 3 documents were sent"),
        ([GOOD[0], GOOD[1], {"index": -1, "relevance_score": 0.5}], "results[2] has index -1"),
        ([GOOD[0], GOOD[1], {"index": 2, "relevance_score": "0.5"}], "results[2] has no numeric 'relevance_score'"),
        ([GOOD[0], GOOD[1], {"index": 2, "relevance_score": True}], "results[2] has no numeric 'relevance_score'"),
        ([GOOD[0], GOOD[1], {"index": 2, "score": 0.5}], "results[2] has no numeric 'relevance_score'"),
        ([GOOD[0], GOOD[1], {"index": "2", "relevance_score": 0.5}], "results[2] has no integer 'index'"),
        ([GOOD[0], GOOD[1], [2, 0.5]], "results[2] has no integer 'index'"),
    ],
)
def test_each_inconsistent_answer_is_a_final_error_naming_the_result(results: list[Any], message: str) -> None:
    with pytest.raises(InvalidRerankAnswer, match=message.replace("[", r"\[").replace("]", r"\]")):
        rerank_scores({"results": results}, 3, None)
    out, seen = rerank_fixed({"results": results}, retries=3)
    assert out.rerank_scores is None and out.attempts == 1 and len(seen) == 1  # a retry would repeat it
    assert (out.error or "").startswith(f"invalid rerank response: {message}")


def test_top_n_answers_must_hold_exactly_the_best_n() -> None:
    assert rerank_scores({"results": GOOD[1:2]}, 3, top_n=1) == [None, 0.9, None]
    assert rerank_scores({"results": GOOD}, 3, top_n=5) == [0.1, 0.9, 0.5]
    with pytest.raises(InvalidRerankAnswer, match="3 results for 2 expected"):
        rerank_scores({"results": GOOD}, 3, top_n=2)


@pytest.mark.parametrize(
    ("raw", "error", "message"),
    [
        (b"{not json", RetryableError, "malformed JSON response: rerank body is not JSON"),
        (b"[1, 2]", RetryableError, "malformed JSON response: rerank body is not a JSON object"),
        (b'{"object": "list"}', RejectedError, "invalid rerank response: no 'results' list"),
        (b'{"results": {"0": 0.5}}', RejectedError, "invalid rerank response: no 'results' list"),
        (b'{"error": {"message": "bad model", "code": 400}}', RejectedError, "HTTP 400: bad model"),
        (b'{"error": {"message": "engine died", "code": 500}}', RetryableError, "engine died"),
    ],
)
def test_unreadable_bodies_are_retried_and_wrong_ones_are_final(
    raw: bytes, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        rerank_output(3, None, raw, 0, 1)


def test_an_unreadable_body_every_time_gives_up_after_the_retries() -> None:
    out, seen = rerank_fixed(b"<html>busy</html>", retries=2)
    assert len(seen) == 3 and out.attempts == 3
    assert out.error is not None and "rerank body is not JSON" in out.error and "3 attempts" in out.error
