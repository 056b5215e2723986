"""``OpenAIAPI.embed_batch``: many texts in one ``/embeddings`` request, against real sockets.

The project's mock server answers list inputs with one deterministic vector per text; a tiny aiohttp
app stands in for servers that answer out of order or wrongly.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web

from assay.embed.cache import VectorCache
from assay.embed.encoder import BATCH_SIZE, BatchEmbeddingModel, Encoder
from assay.errors import UserError
from assay.mock_server import ServerConfig, ServerHandle, count_tokens, embedding_vector, run_server_in_thread
from assay.models.openai_api import OpenAIAPI
from assay.types import GenerateConfig, ModelOutput

TEXTS = ["first text", "second", "the third one", "four", "five five"]
FAST_RETRIES = {"retry_interval": 0.001}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with run_server_in_thread(ServerConfig()) as srv:
        yield srv


def embed_batch(url: str, texts: list[str], **config: Any) -> list[ModelOutput]:
    model = OpenAIAPI("mock-model", api_url=url)

    async def go() -> list[ModelOutput]:
        try:
            return await model.embed_batch(texts, GenerateConfig(**config))
        finally:
            await model.aclose()

    return asyncio.run(go())


def embedding_requests(srv: ServerHandle) -> int:
    return int(srv.stats()["by_endpoint"].get("/v1/embeddings", 0))


Answer = Callable[[dict[str, Any]], dict[str, Any] | bytes]


@asynccontextmanager
async def fake_embeddings(answer: Answer, seen: list[dict[str, Any]]) -> AsyncIterator[str]:
    """A ``/v1/embeddings`` that records each body and answers ``answer(body)`` (a document or raw bytes)."""

    async def embeddings(request: web.Request) -> web.Response:
        body = orjson.loads(await request.read())
        seen.append(body)
        document = answer(body)
        if isinstance(document, web.Response):
            return document
        raw = document if isinstance(document, bytes) else orjson.dumps(document)
        return web.Response(body=raw, content_type="application/json")

    app = web.Application()
    app.router.add_post("/v1/embeddings", embeddings)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/v1"
    finally:
        await runner.cleanup()


def embed_batch_against(answer: Answer, texts: list[str], **config: Any) -> tuple[list[ModelOutput], list[Any]]:
    """The outputs of ``embed_batch`` against :func:`fake_embeddings`, and the bodies it received."""
    seen: list[dict[str, Any]] = []

    async def go() -> list[ModelOutput]:
        async with fake_embeddings(answer, seen) as url:
            model = OpenAIAPI("emb", api_url=url)
            try:
                return await model.embed_batch(texts, GenerateConfig(**config))
            finally:
                await model.aclose()

    return asyncio.run(go()), seen


def items(vectors: list[list[float]], order: list[int]) -> dict[str, Any]:
    return {"data": [{"index": i, "embedding": vectors[i]} for i in order], "usage": {"prompt_tokens": 7}}


# -- what comes back -----------------------------------------------------------------------------------


def test_one_request_gives_one_vector_per_text_in_order(server: ServerHandle) -> None:
    before = embedding_requests(server)
    outputs = embed_batch(server.url, TEXTS)
    assert embedding_requests(server) == before + 1
    assert [o.embedding for o in outputs] == [embedding_vector(t, 64) for t in TEXTS]
    assert all(o.error is None and o.attempts == 1 and o.latency_s > 0 for o in outputs)


def test_usage_of_the_request_is_on_the_first_output_only(server: ServerHandle) -> None:
    outputs = embed_batch(server.url, TEXTS)
    tokens = sum(count_tokens(t) for t in TEXTS)
    assert outputs[0].usage is not None and outputs[0].usage.prompt_tokens == tokens
    assert [o.usage for o in outputs[1:]] == [None] * (len(TEXTS) - 1)


def test_vectors_are_placed_by_index_not_by_position() -> None:
    vectors = [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]
    outputs, _ = embed_batch_against(lambda body: items(vectors, [2, 0, 1]), ["a", "b", "c"])
    assert [o.embedding for o in outputs] == vectors
    assert outputs[0].usage is not None and outputs[0].usage.prompt_tokens == 7


def test_input_is_sent_as_one_list_and_dimensions_only_when_set() -> None:
    def answer(body: dict[str, Any]) -> dict[str, Any]:
        return items([[0.5] * body.get("dimensions", 3)] * 2, [0, 1])

    _, plain = embed_batch_against(answer, ["a", "b"])
    outputs, short = embed_batch_against(answer, ["a", "b"], dimensions=8)
    assert plain == [{"model": "emb", "input": ["a", "b"]}]
    assert short == [{"model": "emb", "input": ["a", "b"], "dimensions": 8}]
    assert [len(o.embedding or []) for o in outputs] == [8, 8]


def test_dimensions_are_honoured_by_the_test_server(server: ServerHandle) -> None:
    outputs = embed_batch(server.url, TEXTS, dimensions=8)
    assert [o.embedding for o in outputs] == [embedding_vector(t, 8) for t in TEXTS]


def test_a_vector_of_another_length_than_asked_fails_every_text_without_retrying() -> None:
    outputs, seen = embed_batch_against(
        lambda body: items([[0.5] * 3] * 2, [0, 1]), ["a", "b"], dimensions=8, retries=3
    )
    assert len(seen) == 1 and len(outputs) == 2
    for output in outputs:
        assert output.embedding is None and output.attempts == 1
        assert output.error is not None and "asked for 8 dimensions" in output.error and "a vector of 3" in output.error


def test_an_empty_batch_sends_nothing() -> None:
    outputs, seen = embed_batch_against(lambda body: items([], []), [])
    assert outputs == [] and seen == []


# -- retries ---------------------------------------------------------------------------------------


def test_a_500_is_retried_until_success() -> None:
    # Seed 1 draws 0.134 then 0.847: the first request fails, the second is answered.
    with run_server_in_thread(ServerConfig(seed=1, p_500=0.5)) as srv:
        outputs = embed_batch(srv.url, TEXTS, retries=3, **FAST_RETRIES)
        stats = srv.stats()
    assert [o.embedding for o in outputs] == [embedding_vector(t, 64) for t in TEXTS]
    assert [o.attempts for o in outputs] == [2] * len(TEXTS)
    assert stats["by_endpoint"]["/v1/embeddings"] == 2 and stats["by_outcome"]["500"] == 1


def test_a_persistent_500_gives_every_text_the_error_after_all_retries() -> None:
    with run_server_in_thread(ServerConfig(p_500=1.0)) as srv:
        outputs = embed_batch(srv.url, TEXTS, retries=2, **FAST_RETRIES)
        assert embedding_requests(srv) == 3
    assert len(outputs) == len(TEXTS) and len({id(o) for o in outputs}) == len(TEXTS)
    for output in outputs:
        assert output.embedding is None and output.attempts == 3
        assert output.error is not None and "HTTP 500" in output.error and "gave up after 3 attempts" in output.error


def test_a_rejected_api_key_raises_user_error() -> None:
    with run_server_in_thread(ServerConfig(api_key="right-key")) as srv:
        model = OpenAIAPI("mock-model", api_url=srv.url, api_key="wrong-key")

        async def go() -> list[ModelOutput]:
            try:
                return await model.embed_batch(TEXTS, GenerateConfig())
            finally:
                await model.aclose()

        with pytest.raises(UserError, match=r"rejected the API key \(HTTP 401"):
            asyncio.run(go())


MALFORMED: list[tuple[str, dict[str, Any] | bytes, str]] = [
    ("too_few", items([[1.0], [2.0]], [0, 1]), r"2 embeddings for 3 inputs \(missing index 2\)"),
    ("repeated", items([[1.0], [2.0], [3.0]], [0, 1, 1]), "index 1 appears twice"),
    ("out_of_range", items([[1.0], [2.0], [3.0], [4.0]], [0, 1, 3]), r"data\[2\] has index 3; 3 inputs were sent"),
    ("no_index", {"data": [{"embedding": [1.0]}] * 3}, r"data\[0\] has index None"),
    ("not_numbers", {"data": [{"index": i, "embedding": "abc"} for i in range(3)]}, r"data\[0\]\.embedding is not"),
    ("no_data", {"object": "list"}, "no data list"),
    ("not_json", b"<html>bad gateway</html>", "embedding body is not JSON"),
]


@pytest.mark.parametrize(("answer", "message"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_a_malformed_answer_is_retried_then_reported_for_every_text(
    answer: dict[str, Any] | bytes, message: str
) -> None:
    outputs, seen = embed_batch_against(lambda body: answer, ["a", "b", "c"], retries=1, **FAST_RETRIES)
    assert len(seen) == 2 and len(outputs) == 3
    for output in outputs:
        assert output.embedding is None and output.error is not None and output.attempts == 2
        assert "malformed JSON response" in output.error and "gave up after 2 attempts" in output.error
    assert re.search(message, outputs[0].error or "")


def test_a_malformed_answer_followed_by_a_good_one_succeeds() -> None:
    answers = iter([items([[1.0]], [0]), items([[1.0], [2.0]], [1, 0])])
    outputs, seen = embed_batch_against(lambda body: next(answers), ["a", "b"], retries=2, **FAST_RETRIES)
    assert len(seen) == 2
    assert [(o.embedding, o.attempts, o.error) for o in outputs] == [([1.0], 2, None), ([2.0], 2, None)]


# -- through the encoder ---------------------------------------------------------------------------------


def test_openai_api_is_a_batch_embedding_model() -> None:
    assert isinstance(OpenAIAPI("m", api_url="http://127.0.0.1:8000/v1"), BatchEmbeddingModel)


def test_encoder_sends_one_request_per_32_uncached_texts(server: ServerHandle, tmp_path: Path) -> None:
    texts = [f"text number {i}" for i in range(70)]
    cache = VectorCache(tmp_path / "vectors.sqlite")
    model = OpenAIAPI("mock-model", api_url=server.url)

    async def encode(encoder: Encoder, batch: list[str]) -> Any:
        try:
            return await encoder.encode(batch)
        finally:
            await model.aclose()

    try:
        before = embedding_requests(server)
        encoder = Encoder(model, cache, '{"model": "mock-model"}', GenerateConfig(), concurrency=4)
        vectors = asyncio.run(encode(encoder, texts + texts[:10]))  # repeats are asked once
        assert embedding_requests(server) == before + math.ceil(len(texts) / BATCH_SIZE) == before + 3
        assert encoder.stats.requests == 3 and encoder.stats.texts_sent == len(texts)
        assert encoder.stats.prompt_tokens == sum(count_tokens(t) for t in texts)
        assert vectors[69].tolist() == pytest.approx(embedding_vector(texts[69], 64), abs=1e-6)

        more = [f"new text {i}" for i in range(33)]
        again = Encoder(model, cache, '{"model": "mock-model"}', GenerateConfig(), concurrency=4)
        asyncio.run(encode(again, texts + more))
        assert embedding_requests(server) == before + 3 + 2  # only the 33 new texts: ceil(33 / 32)
        assert again.stats.cache_hits == len(texts) and again.stats.texts_sent == len(more)
    finally:
        cache.close()


def test_a_server_that_rejects_dimensions_gets_an_error_naming_the_key() -> None:
    def answer(body: dict[str, Any]) -> Any:
        if "dimensions" in body:  # vLLM's words for a model without shortened vectors
            error = {"error": {"message": "dimensions is currently not supported", "type": "BadRequestError"}}
            return web.json_response(error, status=400)
        return items([[0.5] * 3] * 2, [0, 1])

    outputs, seen = embed_batch_against(answer, ["a", "b"], dimensions=64, retries=3)
    assert len(seen) == 1  # a 400 is not retried
    for output in outputs:
        assert output.embedding is None
        assert output.error == (
            "HTTP 400: dimensions is currently not supported (the request carried 'dimensions': 64; this server "
            "or model may not accept the key: unset generation_config dimensions)"
        )
    plain, _ = embed_batch_against(answer, ["a", "b"])  # without the key the same server answers
    assert [output.embedding for output in plain] == [[0.5] * 3] * 2
