"""The openai_api backend's guards (issue 15): URL credentials, redirects, secret headers, size and time bounds.

Each test serves a tiny aiohttp app on loopback (``local_app.serving``) so the response is exactly
what the finding needs: a redirect to another port, a 400 that echoes a header, a body or a stream
that never ends.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest
from aiohttp import web

from assay.errors import UserError
from assay.models.openai_api import OpenAIAPI
from assay.types import ChatMessage, GenerateConfig, ModelOutput
from tests.models.local_app import serving

QUESTION = [ChatMessage(role="user", content="2+2?")]
ANSWER = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "4"}, "finish_reason": "stop"}]}
MARKER = "sk-MARKER-1234567890"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def app_of(seen: list[dict[str, str]], handler: Handler | None = None) -> web.Application:
    """An OpenAI-ish app recording every request's headers; ``handler`` answers /v1/chat/completions."""

    async def record(request: web.Request) -> web.StreamResponse:
        seen.append(dict(request.headers))
        if handler is not None and request.path.endswith("/chat/completions"):
            return await handler(request)
        if request.path.endswith("/models"):
            return web.json_response({"data": [{"id": "m"}]})
        return web.json_response(ANSWER)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    return app


async def generate(url: str, **config: Any) -> ModelOutput:
    model = OpenAIAPI("m", api_url=url)
    try:
        return await model.generate(QUESTION, GenerateConfig(**{"retries": 2, "retry_interval": 0.001, **config}))
    finally:
        await model.aclose()


# -- credentials in --api-url ----------------------------------------------------------------------


@pytest.mark.parametrize(("userinfo", "login", "password"), [("user:pa%40ss", "user", "pa@ss"), (MARKER, MARKER, "")])
def test_url_credentials_become_basic_auth_and_leave_the_url(userinfo: str, login: str, password: str) -> None:
    seen: list[dict[str, str]] = []

    async def go() -> tuple[ModelOutput, OpenAIAPI]:
        async with serving(app_of(seen)) as url:
            model = OpenAIAPI("m", api_url=url.replace("http://", f"http://{userinfo}@"))
            await model.check()
            out = await model.generate(QUESTION, GenerateConfig())
            await model.aclose()
            return out, model

    out, model = asyncio.run(go())
    expected = "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()
    assert (out.error, out.text) == (None, "4")
    assert [headers["Authorization"] for headers in seen] == [expected, expected]
    assert "@" not in model.base_url and login not in repr(model)


def test_url_credentials_and_an_api_key_together_are_one_user_error() -> None:
    with pytest.raises(UserError, match="credentials one way only") as info:
        OpenAIAPI("m", api_url=f"http://{MARKER}@127.0.0.1:1/v1", api_key="sk-other")
    assert MARKER not in str(info.value)


# -- redirects ---------------------------------------------------------------------------------------


def test_a_redirect_to_another_origin_is_an_error_and_sends_nothing_there() -> None:
    elsewhere: list[dict[str, str]] = []
    home: list[dict[str, str]] = []

    async def go() -> tuple[ModelOutput, str]:
        async with serving(app_of(elsewhere)) as other:

            async def redirect(request: web.Request) -> web.StreamResponse:
                raise web.HTTPTemporaryRedirect(f"{other}/chat/completions")

            async with serving(app_of(home, redirect)) as url:
                return await generate(url, extra_headers={"X-Api-Key": MARKER}), other

    out, other = asyncio.run(go())
    assert elsewhere == [] and len(home) == 1  # asked once, not retried
    assert out.error is not None and out.attempts == 1
    assert out.error.startswith(f"HTTP 307 redirect to {other}/chat/completions not followed")
    assert "another origin" in out.error


def test_a_redirect_within_the_origin_is_followed_with_the_body() -> None:
    seen: list[dict[str, str]] = []
    bodies: list[bytes] = []

    async def moved(request: web.Request) -> web.StreamResponse:
        if request.path == "/v1/chat/completions":
            raise web.HTTPPermanentRedirect("/v2/chat/completions")
        bodies.append(await request.read())
        return web.json_response(ANSWER)

    async def go() -> ModelOutput:
        async with serving(app_of(seen, moved)) as url:
            return await generate(url)

    out = asyncio.run(go())
    assert (out.error, out.text) == (None, "4")
    assert len(seen) == 2 and orjson.loads(bodies[0])["messages"][0]["content"] == "2+2?"


def test_the_startup_check_refuses_a_redirect_to_another_origin() -> None:
    elsewhere: list[dict[str, str]] = []

    async def go() -> None:
        async with serving(app_of(elsewhere)) as other:

            async def handler(request: web.Request) -> web.StreamResponse:
                raise web.HTTPFound(f"{other}/models")

            app = web.Application()
            app.router.add_get("/v1/models", handler)
            async with serving(app) as url:
                model = OpenAIAPI("m", api_url=url)
                try:
                    await model.check()
                finally:
                    await model.aclose()

    with pytest.raises(UserError, match=r"GET /models with HTTP 302 redirect to .* not followed"):
        asyncio.run(go())
    assert elsewhere == []


# -- keys in extra_headers -------------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["Authorization", "X-Api-Key", "Cookie", "Ocp-Apim-Subscription-Key"])
def test_a_key_in_extra_headers_is_scrubbed_from_an_echoed_error(header: str) -> None:
    async def echo(request: web.Request) -> web.StreamResponse:
        return web.json_response({"error": {"message": f"bad request from {dict(request.headers)}"}}, status=400)

    async def go() -> ModelOutput:
        async with serving(app_of([], echo)) as url:
            value = f"Bearer {MARKER}" if header == "Authorization" else MARKER
            return await generate(url, extra_headers={header: value})

    out = asyncio.run(go())
    assert out.error is not None and out.error.startswith("HTTP 400: bad request from")
    assert MARKER not in out.error and "***" in out.error


@pytest.mark.parametrize("header", ["X-Api-Key", "Ocp-Apim-Subscription-Key", "Authorization"])
def test_the_check_and_requests_send_the_extra_header_key_without_bearer_empty(header: str) -> None:
    seen: list[dict[str, str]] = []
    headers = {header: MARKER}

    async def go() -> None:
        async with serving(app_of(seen)) as url:
            model = OpenAIAPI("m", api_url=url)
            config = GenerateConfig(extra_headers=headers)
            await model.check(config)
            await model.generate(QUESTION, config)
            await model.aclose()

    asyncio.run(go())
    assert len(seen) == 2
    for sent in seen:
        assert sent[header] == MARKER and sent.get("Authorization") != "Bearer EMPTY"


def test_a_check_without_the_config_leaves_a_keyless_401_to_the_first_request(caplog: pytest.LogCaptureFixture) -> None:
    async def keyed(request: web.Request) -> web.StreamResponse:
        if request.headers.get("X-Api-Key") != MARKER:
            return web.json_response({"error": {"message": "missing key"}}, status=401)
        return web.json_response({"data": [{"id": "m"}]} if request.path.endswith("/models") else ANSWER)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", keyed)

    async def go() -> tuple[ModelOutput, str]:
        async with serving(app) as url:
            model = OpenAIAPI("m", api_url=url)
            await model.check()  # a check given no config (as a plugin-style call): it cannot know the key
            out = await model.generate(QUESTION, GenerateConfig(extra_headers={"X-Api-Key": MARKER}))
            with pytest.raises(UserError, match="rejected the API key") as info:
                await model.generate(QUESTION, GenerateConfig())
            await model.aclose()
            return out, str(info.value)

    out, error = asyncio.run(go())
    assert (out.error, out.text) == (None, "4") and MARKER not in error
    assert "without a key; continuing" in caplog.text


def test_a_cookie_value_echoed_alone_is_scrubbed() -> None:
    async def echo(request: web.Request) -> web.StreamResponse:
        return web.json_response({"error": {"message": f"bad session {request.cookies['sid']}"}}, status=400)

    async def go() -> ModelOutput:
        async with serving(app_of([], echo)) as url:
            return await generate(url, extra_headers={"Cookie": f"sid={MARKER}; theme=dark"})

    out = asyncio.run(go())
    assert out.error == "HTTP 400: bad session ***"


def test_an_api_key_still_goes_beside_a_harmless_extra_header() -> None:
    seen: list[dict[str, str]] = []

    async def go() -> None:
        async with serving(app_of(seen)) as url:
            model = OpenAIAPI("m", api_url=url, api_key="sk-real")
            await model.generate(QUESTION, GenerateConfig(extra_headers={"X-Trace": "t"}))
            await model.aclose()

    asyncio.run(go())
    assert seen[0]["Authorization"] == "Bearer sk-real" and seen[0]["X-Trace"] == "t"


# -- size and time bounds --------------------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_past_max_response_bytes_is_one_final_error(chunked: bool) -> None:
    async def huge(request: web.Request) -> web.StreamResponse:
        body = orjson.dumps({"choices": [{"index": 0, "message": {"content": "x" * 5000}}]})
        if not chunked:
            return web.Response(body=body, content_type="application/json")
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(body), 500):
            await response.write(body[start : start + 500])
        await response.write_eof()
        return response

    async def go() -> ModelOutput:
        async with serving(app_of([], huge)) as url:
            return await generate(url, max_response_bytes=1000)

    out = asyncio.run(go())
    assert out.attempts == 1 and out.text == ""
    assert out.error == ("response larger than 1000 bytes (generation_config max_response_bytes); not read further")


def test_an_endless_stream_stops_at_max_response_bytes() -> None:
    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        chunk = b'data: {"choices":[{"index":0,"delta":{"content":"x"}}]}\n\n'
        while True:
            await response.write(chunk * 20)
            await asyncio.sleep(0)

    async def go() -> ModelOutput:
        async with serving(app_of([], endless)) as url:
            return await generate(url, stream=True, max_response_bytes=64 * 1024)

    out = asyncio.run(asyncio.wait_for(go(), 30))
    assert out.attempts == 1 and out.error is not None and "larger than 65536 bytes" in out.error


def test_a_stream_silent_past_read_timeout_fails_with_the_setting_named() -> None:
    async def stalls(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b'data: {"choices":[{"index":0,"delta":{"content":"x"}}]}\n\n')
        await asyncio.sleep(1.5)  # well past read_timeout; the server waits this out when it stops
        return response

    async def go() -> ModelOutput:
        async with serving(app_of([], stalls)) as url:
            return await generate(url, stream=True, read_timeout=0.2, retries=0)

    out = asyncio.run(go())
    assert out.error is not None and "no data from the server for 0.2 s (generation_config read_timeout)" in out.error


def test_eval_requests_have_a_finite_default_read_timeout_and_size_cap() -> None:
    config = GenerateConfig()
    assert config.read_timeout == 600.0 and config.max_response_bytes == 32 * 1024 * 1024
    assert "read_timeout" not in config.sampling_dict() and "max_response_bytes" not in config.sampling_dict()
