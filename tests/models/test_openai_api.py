"""The openai_api backend against real sockets: the project's mock server, or a tiny recording app.

Nothing here mocks aiohttp; faults come from the mock server's seeded injector, so every test is
deterministic. Timing assertions are lower bounds only (never "finished within"), so a slow CI
machine cannot fail them.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import orjson
import pytest
from aiohttp import web

from assay.errors import UserError
from assay.mock_server import Rule, ServerConfig, ServerHandle, run_server_in_thread
from assay.models import ModelAPI, get_model_api
from assay.models.openai_api import OpenAIAPI
from assay.models.openai_response import RetryableError, generation_output
from assay.models.openai_response import retry_after_s as _retry_after_s
from assay.models.openai_stream import OpenAIStreamReader
from assay.types import ChatMessage, GenerateConfig, ModelOutput

QUESTION = [ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content="What is 2+2?")]
RULES = [Rule(contains="2+2", reply="The answer is 4.", reasoning="Two plus two.")]


@pytest.fixture
def server() -> Iterator[ServerHandle]:
    with run_server_in_thread(ServerConfig(rules=RULES)) as srv:
        yield srv


def serve(**config: Any) -> ServerHandle:
    return run_server_in_thread(ServerConfig(rules=RULES, **config))


def ask(model: OpenAIAPI, input: list[ChatMessage] | str = QUESTION, **config: Any) -> ModelOutput:
    async def go() -> ModelOutput:
        try:
            return await model.generate(input, GenerateConfig(**config))
        finally:
            await model.aclose()

    return asyncio.run(go())


# -- happy paths -------------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_chat_returns_reply_reasoning_usage_and_timing(server: ServerHandle, stream: bool) -> None:
    out = ask(OpenAIAPI("mock-model", api_url=server.base_url), stream=stream)
    assert out.error is None
    assert out.text == "The answer is 4."
    assert out.reasoning == "Two plus two."
    assert out.finish_reason == "stop"
    assert out.usage is not None and out.usage.completion_tokens == 7 and out.usage.prompt_tokens > 0
    assert out.usage.total_tokens == out.usage.prompt_tokens + out.usage.completion_tokens
    assert out.attempts == 1 and out.latency_s > 0
    if stream:
        assert out.ttft_s is not None and 0 < out.ttft_s <= out.latency_s
    else:
        assert out.ttft_s is None
    assert server.stats()["by_endpoint"]["/v1/chat/completions"] == 1


@pytest.mark.parametrize("stream", [False, True])
def test_string_prompt_goes_to_completions(server: ServerHandle, stream: bool) -> None:
    out = ask(OpenAIAPI("mock-model", api_url=server.base_url), "Q: 2+2=\nA:", stream=stream)
    assert (out.text, out.finish_reason, out.error) == ("The answer is 4.", "stop", None)
    assert out.usage is not None and out.usage.completion_tokens == 4
    assert server.stats()["by_endpoint"] == {"/v1/chat/completions": 0, "/v1/completions": 1}


def test_api_completions_sends_chat_messages_to_completions(server: ServerHandle) -> None:
    model = OpenAIAPI("mock-model", api_url=server.base_url, api="completions")
    assert ask(model).text == "The answer is 4."
    assert server.stats()["by_endpoint"]["/v1/completions"] == 1


def test_full_endpoint_urls_are_normalised(server: ServerHandle) -> None:
    chat = OpenAIAPI("m", api_url=server.base_url + "/chat/completions/")
    completions = OpenAIAPI("m", api_url=server.base_url + "/completions")
    assert chat.base_url == completions.base_url == server.base_url
    assert (chat.api, completions.api) == ("chat", "completions")
    assert ask(chat).text == ask(completions).text == "The answer is 4."
    assert server.stats()["by_endpoint"] == {"/v1/chat/completions": 1, "/v1/completions": 1}


def test_registered_under_openai_api_and_its_evalscope_aliases() -> None:
    for name in ("openai_api", "service", "server"):
        model = get_model_api(name)(model="mock-model", api_url="http://127.0.0.1:8000/v1", api_key=None)
        assert isinstance(model, OpenAIAPI) and isinstance(model, ModelAPI)


def test_bad_api_url_is_a_user_error() -> None:
    with pytest.raises(UserError, match="--api-url"):
        OpenAIAPI("m", api_url="localhost:8000/v1")


def test_client_survives_successive_event_loops(server: ServerHandle, caplog: pytest.LogCaptureFixture) -> None:
    """A notebook runs asyncio.run per cell; each must work and none may leak the old pool."""
    model = OpenAIAPI("mock-model", api_url=server.base_url)

    async def once(stream: bool) -> str:
        return (await model.generate(QUESTION, GenerateConfig(stream=stream))).text  # no aclose on purpose

    with caplog.at_level(logging.ERROR, logger="asyncio"):
        assert asyncio.run(once(False)) == "The answer is 4."
        assert asyncio.run(once(True)) == "The answer is 4."
        uvloop = pytest.importorskip("uvloop")
        assert uvloop.run(once(True)) == "The answer is 4."
        gc.collect()
    assert "Unclosed" not in caplog.text
    assert server.stats()["by_outcome"]["ok"] == 3


def test_aclose_leaves_the_model_reusable(server: ServerHandle) -> None:
    model = OpenAIAPI("mock-model", api_url=server.base_url)

    async def go() -> list[str]:
        first = await model.generate(QUESTION, GenerateConfig())
        await model.aclose()
        second = await model.generate(QUESTION, GenerateConfig())
        await model.aclose()
        return [first.text, second.text]

    assert asyncio.run(go()) == ["The answer is 4."] * 2


# -- what reaches the wire -----------------------------------------------------------------------


@asynccontextmanager
async def recording_app(seen: list[dict[str, Any]]) -> AsyncIterator[str]:
    """An OpenAI-ish endpoint that records each request and answers JSON even when asked to stream."""

    async def chat(request: web.Request) -> web.Response:
        seen.append({"headers": dict(request.headers), "body": orjson.loads(await request.read())})
        answer = {"choices": [{"index": 0, "message": {"content": "ok"}, "finish_reason": "stop"}]}
        return web.json_response(answer)

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/v1"
    finally:
        await runner.cleanup()


def test_request_carries_sampling_fields_extras_extra_body_and_headers() -> None:
    seen: list[dict[str, Any]] = []
    config = GenerateConfig(
        max_tokens=32,
        temperature=0.0,
        top_k=5,
        seed=7,
        stop=["\n\n"],
        stream=True,
        extra_headers={"X-Trace": "abc"},
        extra_body={"chat_template_kwargs": {"enable_thinking": False}},
        repetition_penalty=1.1,  # an unknown key: travels as is
    )

    async def go() -> ModelOutput:
        async with recording_app(seen) as url:
            model = OpenAIAPI("qwen", api_url=url, api_key="sk-test-123")
            try:
                return await model.generate(QUESTION, config)
            finally:
                await model.aclose()

    out = asyncio.run(go())
    assert out.text == "ok"  # a JSON answer to a streamed request is still read
    (request,) = seen
    assert request["body"] == {
        "model": "qwen",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 2+2?"}],
        "max_tokens": 32,
        "temperature": 0.0,
        "top_k": 5,
        "seed": 7,
        "stop": ["\n\n"],
        "repetition_penalty": 1.1,
        "stream": True,
        "stream_options": {"include_usage": True},
        "chat_template_kwargs": {"enable_thinking": False},
    }
    assert request["headers"]["X-Trace"] == "abc"
    assert request["headers"]["Authorization"] == "Bearer sk-test-123"
    assert request["headers"]["Content-Type"] == "application/json"


def test_api_key_falls_back_to_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    with serve(api_key="sk-from-env") as srv:
        assert ask(OpenAIAPI("mock-model", api_url=srv.base_url)).text == "The answer is 4."


# -- retries ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["p_500", "p_429", "p_truncate", "p_malformed"])
@pytest.mark.parametrize("stream", [False, True])
def test_retryable_failure_is_retried_until_success(fault: str, stream: bool) -> None:
    # Seed 1 draws 0.134 then 0.847: the first request fails, the second is answered.
    with serve(seed=1, **{fault: 0.5}) as srv:
        out = ask(OpenAIAPI("mock-model", api_url=srv.base_url), stream=stream, retries=3, retry_interval=0.001)
        stats = srv.stats()
    assert (out.text, out.error, out.attempts) == ("The answer is 4.", None, 2)
    assert stats["requests_total"] == 2 and stats["by_outcome"]["ok"] == 1


@pytest.mark.parametrize(
    ("fault", "message"),
    [("p_500", "HTTP 500"), ("p_truncate", "truncated"), ("p_malformed", "malformed JSON")],
)
@pytest.mark.parametrize("stream", [False, True])
def test_persistent_failure_gives_up_after_all_retries(fault: str, message: str, stream: bool) -> None:
    with serve(**{fault: 1.0}) as srv:
        out = ask(OpenAIAPI("mock-model", api_url=srv.base_url), stream=stream, retries=2, retry_interval=0.001)
        assert srv.stats()["requests_total"] == 3
    assert out.text == "" and out.attempts == 3
    assert out.error is not None and message in out.error and "3 attempts" in out.error


def test_429_waits_at_least_retry_after() -> None:
    with serve(p_429=0.5, seed=1, retry_after_s=0.3) as srv:
        start = time.perf_counter()
        out = ask(OpenAIAPI("mock-model", api_url=srv.base_url), retries=3, retry_interval=0.001)
        waited = time.perf_counter() - start
        assert srv.stats()["by_outcome"]["429"] == 1
    assert (out.text, out.attempts) == ("The answer is 4.", 2)
    assert waited >= 0.3


def test_hang_times_out_and_is_retried() -> None:
    with serve(p_hang=0.5, seed=1, hang_s=5) as srv:
        out = ask(OpenAIAPI("mock-model", api_url=srv.base_url), timeout=0.3, retries=5, retry_interval=0.001)
        stats = srv.stats()
    # Not "attempts == 2": on a starved machine even a healthy answer may miss a 0.3 s deadline.
    assert out.text == "The answer is 4." and out.attempts >= 2
    assert stats["by_outcome"]["hang"] >= 1 and stats["requests_total"] == out.attempts


def test_hang_every_time_ends_in_a_timeout_error() -> None:
    with serve(p_hang=1.0, hang_s=5) as srv:
        out = ask(OpenAIAPI("mock-model", api_url=srv.base_url), timeout=0.2, retries=1, retry_interval=0.001)
    assert out.attempts == 2 and out.error is not None and "timed out after 0.2 s" in out.error


def test_400_returns_the_server_message_without_retrying(server: ServerHandle) -> None:
    out = ask(OpenAIAPI("mock-model", api_url=server.base_url), extra_body={"max_tokens": -1}, retries=5)
    assert out.attempts == 1 and out.text == ""
    assert out.error == "HTTP 400: 'max_tokens' must be a non-negative integer"
    assert server.stats()["requests_total"] == 1


def test_wrong_api_key_raises_user_error_without_the_key(caplog: pytest.LogCaptureFixture) -> None:
    secret = "sk-wrong-key-0123456789"
    with serve(api_key="sk-right-key") as srv:
        model = OpenAIAPI("mock-model", api_url=srv.base_url, api_key=secret)
        with caplog.at_level(logging.DEBUG), pytest.raises(UserError) as info:
            ask(model)
        with pytest.raises(UserError) as checked:
            asyncio.run(model.check())
    for message in (str(info.value), str(checked.value)):
        assert "HTTP 401" in message and "--api-key" in message and "OPENAI_API_KEY" in message
        assert secret not in message and "\n" not in message
    assert secret not in repr(model) and secret not in caplog.text


def test_fault_mix_under_concurrency_ends_with_every_correct_answer() -> None:
    """300 requests, 64 in flight, through 500s, 429s, truncations and hangs: all answered right."""
    faults = {"p_500": 0.1, "p_429": 0.05, "p_truncate": 0.02, "p_hang": 0.01}
    with serve(echo=True, hang_s=5, seed=123, **faults) as srv:
        model = OpenAIAPI("mock-model", api_url=srv.base_url)
        config = GenerateConfig(stream=True, timeout=0.5, retries=10, retry_interval=0.01)

        async def one(i: int, limit: asyncio.Semaphore) -> ModelOutput:
            async with limit:
                return await model.generate([ChatMessage(role="user", content=f"question {i}")], config)

        async def go() -> list[ModelOutput]:
            limit = asyncio.Semaphore(64)
            try:
                return await asyncio.gather(*(one(i, limit) for i in range(300)))
            finally:
                await model.aclose()

        outputs = asyncio.run(go())
        stats = srv.stats()
    assert [o.text for o in outputs] == [f"question {i}" for i in range(300)]
    assert all(o.error is None for o in outputs)
    assert sum(o.attempts for o in outputs) == stats["requests_total"]
    assert stats["by_outcome"]["ok"] == 300 and stats["requests_total"] > 300


# -- check() ---------------------------------------------------------------------------------------


def test_check_passes_against_a_healthy_server(server: ServerHandle, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        asyncio.run(OpenAIAPI("mock-model", api_url=server.base_url).check())
    assert caplog.text == ""


def test_check_warns_about_a_model_the_server_does_not_list(
    server: ServerHandle, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        asyncio.run(OpenAIAPI("mock-modle", api_url=server.base_url).check())
    assert "'mock-modle' is not among" in caplog.text and "did you mean 'mock-model'" in caplog.text


def test_check_on_an_unreachable_server_raises_user_error() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(UserError, match=r"cannot reach the model server at .*Connection refused.*--api-url"):
        asyncio.run(OpenAIAPI("m", api_url=f"http://127.0.0.1:{port}/v1").check())


def test_check_on_a_url_without_the_api_raises_user_error(server: ServerHandle) -> None:
    with pytest.raises(UserError, match=r"no OpenAI-compatible API .* HTTP 404 .*ends in /v1"):
        asyncio.run(OpenAIAPI("mock-model", api_url=server.root_url).check())


# -- parsing details -------------------------------------------------------------------------------


def test_sse_parser_handles_lines_split_across_reads() -> None:
    events = (
        b": keep-alive comment\r\n\r\n"
        b'data: {"choices":[{"index":0,"delta":{"reasoning_content":"hmm "}}]}\r\n\r\n'
        b'data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n'
        b'event: message\ndata: {"choices":[{"index":0,\ndata: "delta":{"content":"lo"}}]}\n\n'
        b'data: {"choices":[{"index":1,"delta":{"content":"other choice"}}]}\n\n'
        b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}\n\n'
        b'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}\n\n'
        b"data: [DONE]\n\n"
    )
    start_ns = time.perf_counter_ns()
    reader = OpenAIStreamReader()
    for i in range(len(events)):  # one byte per read: the worst split TCP can produce
        reader.feed(events[i : i + 1], time.perf_counter_ns())
    out = generation_output(reader.finish(), start_ns, time.perf_counter_ns(), streamed=True)
    assert (out.text, out.reasoning, out.finish_reason) == ("Hello", "hmm ", "length")
    assert out.usage is not None and (out.usage.prompt_tokens, out.usage.total_tokens) == (3, 5)
    assert out.ttft_s is not None


def test_sse_stream_without_done_or_finish_reason_is_truncated() -> None:
    reader = OpenAIStreamReader()
    reader.feed(b'data: {"choices":[{"index":0,"text":"half an ans"}]}\n\n', time.perf_counter_ns())
    with pytest.raises(RetryableError, match="truncated"):
        generation_output(reader.finish(), 0, 1, streamed=True)


def test_retry_after_accepts_seconds_milliseconds_and_http_dates() -> None:
    later = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=20), usegmt=True)
    assert _retry_after_s({"Retry-After": "1.5"}) == 1.5
    assert _retry_after_s({"retry-after-ms": "250", "Retry-After": "9"}) == 0.25
    assert 15 < (_retry_after_s({"Retry-After": later}) or 0) <= 20
    assert _retry_after_s({"Retry-After": "3600"}) == 60.0  # capped
    assert _retry_after_s({"Retry-After": "soon"}) is None
    assert _retry_after_s({}) is None
