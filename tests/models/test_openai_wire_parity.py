"""Eval and perf read the same OpenAI bytes the same way.

Each case goes to the eval client over a real socket (a tiny aiohttp app writes the chunks one at a
time) and to perf's record parser (with the chunks as recorded); both must report the same text,
finish reason, usage and failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

from assay.models.openai_api import OpenAIAPI
from assay.perf._records import Outcome, RequestRecord
from assay.perf.apis import parse_openai_record
from assay.types import ChatMessage, GenerateConfig, ModelOutput, ToolCall
from tests.models.local_app import serving
from tests.models.sse_chunks import DONE, USAGE, chunk, fragment, read


@asynccontextmanager
async def replaying(chunks: list[bytes]) -> AsyncIterator[str]:
    """A chat endpoint that streams ``chunks`` one write at a time, whatever it is asked."""

    async def chat(request: web.Request) -> web.StreamResponse:
        await request.read()
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for piece in chunks:
            try:
                await response.write(piece)
            except ConnectionResetError:  # the client stopped reading at an error event
                break
            await asyncio.sleep(0.002)  # give each write its own TCP segment, most of the time
        return response

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    async with serving(app) as url:
        yield url


def eval_reads(chunks: list[bytes]) -> ModelOutput:
    async def go() -> ModelOutput:
        async with replaying(chunks) as url:
            model = OpenAIAPI("m", api_url=url)
            try:
                question = [ChatMessage(role="user", content="hi")]
                return await model.generate(question, GenerateConfig(stream=True, retries=0))
            finally:
                await model.aclose()

    return asyncio.run(go())


def perf_reads(chunks: list[bytes]) -> Any:
    times = [(i + 1) * 1000 for i in range(len(chunks))]
    return parse_openai_record(RequestRecord(0, 0, None, 0, times[-1], times, chunks, status=200))


PARITY_CASES: dict[str, list[bytes]] = {
    "plain with usage": [chunk("Hel"), chunk("lo"), chunk(finish="stop") + USAGE + DONE],
    "CR-only line ends": [(chunk("Hi") + chunk(finish="length") + USAGE + DONE).replace(b"\n", b"\r")],
    "CRLF split across writes": [chunk("a").replace(b"\n", b"\r\n")[:-1], b"\n" + chunk(finish="stop") + DONE],
    "comment pings": [b": ping\n\n", chunk("a"), b": ping\r\n\r\n", chunk(finish="stop"), DONE],
    "multi-line data": [
        b'data: {"choices":[{"index":0,\ndata: "delta":{"content":"x"},"finish_reason":"stop"}]}\n\n',
        DONE,
    ],
    "event split across writes": [
        chunk("abc")[:9],
        chunk("abc")[9:] + chunk(finish="stop")[:30],
        chunk(finish="stop")[30:],
        DONE,
    ],
    "reasoning then content": [chunk(reasoning_content="think "), chunk("ok", finish="stop"), USAGE, DONE],
    "object error event": [chunk("par"), b'data: {"object":"error","message":"engine died","code":500}\n\n', DONE],
    "error with a 4xx code": [b'data: {"error":{"message":"prompt too long","code":400}}\n\n', DONE],
    "tool-call fragments": [
        fragment(0, id="call_1", name="add", arguments=""),
        fragment(0, arguments='{"a": 1,'),
        fragment(0, arguments=' "b": 2}'),
        chunk(finish="tool_calls"),
        USAGE,
        DONE,
    ],
    "no done and no finish reason": [chunk("a"), chunk("b")],
    "malformed event": [chunk("a"), b'data: {"choices":[{"delta":{"content":"\n\n', DONE],
    "not a JSON object": [chunk("a"), b"data: [1, 2]\n\n", DONE],
}


@pytest.mark.parametrize("case", list(PARITY_CASES))
def test_eval_and_perf_read_the_same_stream_the_same_way(case: str) -> None:
    chunks = PARITY_CASES[case]
    out, parsed = eval_reads(chunks), perf_reads(chunks)
    if parsed.failure is None:
        assert out.error is None, out.error
        assert (out.text, out.reasoning or "", out.finish_reason) == (
            parsed.text,
            parsed.reasoning,
            parsed.finish_reason,
        )
        usage = (out.usage.prompt_tokens, out.usage.completion_tokens) if out.usage else (None, None)
        assert usage == (parsed.usage_prompt_tokens, parsed.usage_completion_tokens)
        reply = read(chunks)
        assert out.tool_calls == reply.tool_calls.get(0)
    elif case == "error with a 4xx code":  # final for eval (no retry), an error outcome for perf
        assert parsed.failure is Outcome.HTTP_ERROR and parsed.failure_reason is not None
        assert out.error == "HTTP 400: prompt too long" and parsed.failure_reason.endswith("prompt too long")
    else:
        assert out.error is not None and parsed.failure_reason is not None
        assert parsed.failure_reason in out.error and "gave up after 1 attempts" in out.error
        label = {Outcome.BROKEN_STREAM: "truncated", Outcome.MALFORMED: "malformed", Outcome.HTTP_ERROR: "error"}
        assert label[parsed.failure] in out.error


def test_tool_calls_stream_parity_returns_the_assembled_call() -> None:
    out = eval_reads(PARITY_CASES["tool-call fragments"])
    assert out.tool_calls == [ToolCall(id="call_1", name="add", arguments='{"a": 1, "b": 2}')]
    assert out.finish_reason == "tool_calls" and out.ttft_s is not None
