"""Hostile server replies: each ends in a retry or a per-request error, never a hang or a crash.

One small aiohttp server plays every misbehaviour at its own path (``/<case>/v1/chat/completions``);
the openai_api backend asks it with few retries and a short timeout, and each call must come back
within a bound with ``error`` set to words that name what happened.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

from assay.models.openai_api import OpenAIAPI
from assay.models.openai_response import RETRY_AFTER_CAP_S
from assay.types import ChatMessage, GenerateConfig, ModelOutput

GOOD = b'{"choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}'


async def _endless(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    chunk = b'data: {"choices":[{"index":0,"delta":{"content":"' + b"x" * 1000 + b'"}}]}\n\n'
    while True:  # never sends [DONE]
        await response.write(chunk)
        await asyncio.sleep(0)


async def _late(request: web.Request) -> web.Response:
    await asyncio.sleep(3)
    return web.Response(body=GOOD, content_type="application/json")


def _app(counts: dict[str, int], other_origin: str) -> web.Application:
    cases: dict[str, Any] = {
        "html": lambda r: web.Response(body=b"<html><body>Gateway</body></html>", content_type="text/html"),
        "no-choices": lambda r: web.json_response({"object": "chat.completion", "id": "x"}),
        "big": lambda r: web.Response(body=b'{"choices": "' + b"y" * (10 * 1024 * 1024) + b'"}'),
        "bad-utf8": lambda r: web.Response(
            body=b'{"choices":[{"index":0,"message":{"role":"assistant","content":"\xff\xfe"}}]}',
            content_type="application/json",
        ),
        "redirect": lambda r: web.Response(status=307, headers={"Location": f"{other_origin}/v1/chat/completions"}),
        "retry-day": lambda r: web.json_response(
            {"error": {"message": "slow down"}}, status=429, headers={"Retry-After": "86400"}
        ),
    }

    async def handle(request: web.Request) -> web.StreamResponse:
        case = request.match_info["case"]
        counts[case] = counts.get(case, 0) + 1
        await request.read()
        if case == "endless":
            return await _endless(request)
        if case == "late":
            return await _late(request)
        result: web.StreamResponse = cases[case](request)
        return result

    app = web.Application()
    app.router.add_post("/{case}/v1/chat/completions", handle)
    return app


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def _ask(url: str, **config: Any) -> tuple[ModelOutput, float]:
    model = OpenAIAPI("m", api_url=url)
    start = time.monotonic()
    try:
        output = await model.generate([ChatMessage(role="user", content="hi")], GenerateConfig(**config))
    finally:
        await model.aclose()
    return output, time.monotonic() - start


CASES = [
    # case, config, words the error must hold, attempts made (retried cases: 2)
    ("html", {"retries": 1}, "malformed", 2),
    ("no-choices", {"retries": 1}, "choices", 2),
    ("big", {"retries": 1, "max_response_bytes": 1024 * 1024}, "max_response_bytes", 1),
    ("bad-utf8", {"retries": 1}, "malformed", 2),
    ("endless", {"retries": 1, "stream": True, "max_response_bytes": 256 * 1024}, "max_response_bytes", 1),
    ("late", {"retries": 1, "timeout": 0.5}, "timed out", 2),
    ("redirect", {"retries": 3}, "not followed", 1),
]


@pytest.mark.parametrize(("case", "config", "words", "attempts"), CASES, ids=[c[0] for c in CASES])
def test_a_hostile_reply_is_a_per_request_error_never_a_hang(
    case: str, config: dict[str, Any], words: str, attempts: int
) -> None:
    counts: dict[str, int] = {}

    async def go() -> tuple[ModelOutput, float, int]:
        other_counts: dict[str, int] = {}
        async with serve(_app(other_counts, "")) as other, serve(_app(counts, other)) as root:
            output, took = await asyncio.wait_for(_ask(f"{root}/{case}/v1", retry_interval=0.01, **config), 30)
            return output, took, sum(other_counts.values())

    output, took, other_origin_requests = asyncio.run(go())
    assert output.error is not None and words in output.error, output.error
    assert output.text == "" and output.attempts == attempts == counts[case]
    assert took < 15
    assert other_origin_requests == 0  # the redirect's target never hears from us


def test_tls_to_a_plain_port_is_a_transport_error() -> None:
    async def go() -> ModelOutput:
        async with serve(_app({}, "")) as root:
            output, _ = await _ask(root.replace("http://", "https://") + "/html/v1", retries=1, retry_interval=0.01)
            return output

    output = asyncio.run(go())
    assert output.error is not None and "gave up after 2 attempts" in output.error
    assert "SSL" in output.error or "ssl" in output.error or "TLS" in output.error, output.error


def test_a_retry_after_of_a_day_is_capped_and_said(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def record_sleep(seconds: float, *args: Any) -> Any:
        slept.append(seconds)
        return await real_sleep(0)

    monkeypatch.setattr("assay.models.openai_api.asyncio.sleep", record_sleep)

    async def go() -> ModelOutput:
        async with serve(_app({}, "")) as root:
            output, _ = await _ask(f"{root}/retry-day/v1", retries=1, retry_interval=0.01)
            return output

    with caplog.at_level(logging.WARNING, logger="assay.models.openai_api"):
        output = asyncio.run(go())
    assert output.error is not None and "HTTP 429" in output.error
    assert slept and max(slept) <= RETRY_AFTER_CAP_S * 1.1  # waited the cap (plus jitter), not a day
    assert max(slept) >= RETRY_AFTER_CAP_S
    assert "asked to wait 86400 s" in caplog.text and f"waiting {RETRY_AFTER_CAP_S:.0f} s at most" in caplog.text
