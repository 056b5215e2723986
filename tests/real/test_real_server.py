"""The real SmolLM2 server answers the OpenAI endpoints Assay relies on, with usage."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from tests.real.transformers_server import TransformersServer

pytestmark = pytest.mark.real_model

MAX_TOKENS = 8
_TIMEOUT = aiohttp.ClientTimeout(total=120)


async def _post_json(url: str, body: dict[str, Any]) -> dict[str, Any]:
    async with aiohttp.ClientSession(timeout=_TIMEOUT) as session, session.post(url, json=body) as reply:
        assert reply.status == 200, await reply.text()
        payload: dict[str, Any] = await reply.json()
        return payload


async def _post_sse(url: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the JSON events of a server-sent-event stream, without the optional [DONE] marker."""
    events: list[dict[str, Any]] = []
    async with aiohttp.ClientSession(timeout=_TIMEOUT) as session, session.post(url, json=body) as reply:
        assert reply.status == 200, await reply.text()
        assert reply.headers["Content-Type"].startswith("text/event-stream")
        async for raw_line in reply.content:
            line = raw_line.decode().strip()
            if line.startswith("data:") and line != "data: [DONE]":
                events.append(json.loads(line.removeprefix("data:")))
    return events


def _assert_usage(usage: dict[str, Any], max_completion_tokens: int) -> None:
    assert usage["prompt_tokens"] > 0
    assert 1 <= usage["completion_tokens"] <= max_completion_tokens
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def _chat_body(real_server: TransformersServer, **extra: Any) -> dict[str, Any]:
    return {
        "model": real_server.model_name,
        "messages": [{"role": "user", "content": "What is the capital of France?"}],
        "max_tokens": MAX_TOKENS,
        "temperature": 0,
        **extra,
    }


def test_chat_completion_returns_assistant_message_and_usage(real_server: TransformersServer) -> None:
    reply = asyncio.run(_post_json(f"{real_server.base_url}/chat/completions", _chat_body(real_server)))

    assert reply["object"] == "chat.completion"
    choice = reply["choices"][0]
    assert choice["message"]["role"] == "assistant"
    assert isinstance(choice["message"]["content"], str) and choice["message"]["content"]
    assert choice["finish_reason"] in {"stop", "length"}
    _assert_usage(reply["usage"], MAX_TOKENS)


def test_streamed_chat_completion_sends_deltas_then_usage(real_server: TransformersServer) -> None:
    body = _chat_body(real_server, stream=True, stream_options={"include_usage": True})
    events = asyncio.run(_post_sse(f"{real_server.base_url}/chat/completions", body))

    assert events and all(event["object"] == "chat.completion.chunk" for event in events)
    text = "".join(choice["delta"].get("content") or "" for event in events for choice in event["choices"])
    assert text
    finish_reasons = [c.get("finish_reason") for event in events for c in event["choices"]]
    assert finish_reasons[-1] in {"stop", "length"}
    usage_events = [event for event in events if event.get("usage")]
    assert len(usage_events) == 1 and usage_events[0] is events[-1]
    _assert_usage(events[-1]["usage"], MAX_TOKENS)


def test_text_completion_returns_text_and_usage(real_server: TransformersServer) -> None:
    body = {
        "model": real_server.model_name,
        "prompt": "The capital of France is",
        "max_tokens": MAX_TOKENS,
        "temperature": 0,
    }
    reply = asyncio.run(_post_json(f"{real_server.base_url}/completions", body))

    assert reply["object"] == "text_completion"
    choice = reply["choices"][0]
    assert isinstance(choice["text"], str) and choice["text"]
    assert choice["finish_reason"] in {"stop", "length"}
    _assert_usage(reply["usage"], MAX_TOKENS)


def test_max_tokens_caps_the_completion(real_server: TransformersServer) -> None:
    body = _chat_body(real_server, max_tokens=3)
    body["messages"] = [{"role": "user", "content": "Write a long story about a cat."}]
    reply = asyncio.run(_post_json(f"{real_server.base_url}/chat/completions", body))

    assert reply["choices"][0]["finish_reason"] == "length"
    assert reply["usage"]["completion_tokens"] == 3


def test_greedy_decoding_repeats_the_same_answer(real_server: TransformersServer) -> None:
    url = f"{real_server.base_url}/chat/completions"
    first, second = (asyncio.run(_post_json(url, _chat_body(real_server))) for _ in range(2))

    assert first["choices"][0]["message"]["content"] == second["choices"][0]["message"]["content"]
