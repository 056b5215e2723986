"""The mock server with content parts, images, tools, tool-call replies and embeddings, over real sockets."""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from assay.mock_server import (
    DEFAULT_EMBEDDING_DIMENSIONS,
    Rule,
    RuleToolCall,
    ServerConfig,
    ServerHandle,
    embedding_vector,
    prompt_key,
    run_server_in_thread,
)
from assay.mock_server._rules import ARGUMENT_PIECE_CHARS, plan_reply

PIXEL = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
WEATHER = RuleToolCall(name="get_weather", arguments={"city": "Paris", "unit": "celsius"})


@pytest.fixture
def srv() -> Iterator[ServerHandle]:
    rules = [
        Rule(regex=r"first line\nsecond line", reply="joined by a newline"),
        Rule(contains="weather", reply="", tool_calls=[WEATHER]),
        Rule(contains="both", reply="Let me check.", tool_calls=[WEATHER, RuleToolCall(name="get_time")]),
    ]
    with run_server_in_thread(ServerConfig(rules=rules)) as handle:
        yield handle


def post(url: str, body: Any) -> tuple[int, Any, bytes]:
    """POST JSON; the status, the decoded JSON answer (None if not JSON), and the raw body."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as reply:
            status, raw = reply.status, reply.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw), raw
    except ValueError:
        return status, None, raw


def user(content: Any, **extra: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": content}], **extra}


def data_url(raw: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(raw).decode()


def sse_chunks(raw: bytes) -> list[dict[str, Any]]:
    events = [block[6:] for block in raw.decode().split("\n\n") if block.startswith("data: ")]
    return [json.loads(e) for e in events if e != "[DONE]"]


# -- content parts and images ------------------------------------------------------------------------


def test_text_parts_are_joined_by_newlines_like_chat_message_text(srv: ServerHandle) -> None:
    parts = [{"type": "text", "text": "first line"}, {"type": "text", "text": "second line"}]
    status, body, _ = post(srv.url + "/chat/completions", user(parts))
    assert status == 200 and body["choices"][0]["message"]["content"] == "joined by a newline"


def test_each_image_is_recorded_by_the_sha256_of_its_bytes_or_its_url(srv: ServerHandle) -> None:
    other = b"GIF89a" + bytes(range(40))
    parts = [
        {"type": "text", "text": "What is in these?"},
        {"type": "image_url", "image_url": {"url": data_url(PIXEL), "detail": "low"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
        {"type": "image_url", "image_url": {"url": data_url(other)}},
    ]
    assert post(srv.url + "/chat/completions", user("no images here"))[0] == 200
    assert post(srv.url + "/chat/completions", user(parts))[0] == 200
    expected = [hashlib.sha256(PIXEL).hexdigest(), "https://example.com/cat.jpg", hashlib.sha256(other).hexdigest()]
    assert srv.stats()["images"] == [{"prompt_key": prompt_key("What is in these?"), "images": expected}]
    srv.reset()
    assert srv.stats()["images"] == []


@pytest.mark.parametrize(
    "url",
    ["data:image/png;base64,not*base64", "data:image/png,raw-not-base64", "data:image/png;base64"],
)
def test_a_malformed_data_url_is_a_400(srv: ServerHandle, url: str) -> None:
    status, body, _ = post(srv.url + "/chat/completions", user([{"type": "image_url", "image_url": {"url": url}}]))
    assert status == 400 and "data URL" in body["error"]["message"]
    assert srv.stats()["by_outcome"]["400"] == 1 and srv.stats()["images"] == []


# -- tools in, tool calls out ------------------------------------------------------------------------

TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}]


def test_tool_definitions_and_tool_choice_are_recorded(srv: ServerHandle) -> None:
    choice = {"type": "function", "function": {"name": "get_weather"}}
    assert post(srv.url + "/chat/completions", user("plain"))[0] == 200
    assert post(srv.url + "/chat/completions", user("hi", tools=TOOLS, tool_choice=choice))[0] == 200
    assert srv.stats()["tools"] == [{"prompt_key": prompt_key("hi"), "tools": TOOLS, "tool_choice": choice}]


@pytest.mark.parametrize(
    "body",
    [
        user("hi", tools=[{"type": "function"}]),
        user("hi", tools={"get_weather": {}}),
        {"messages": [{"role": "user", "content": "hi"}, {"role": "tool", "content": "20 C"}]},
        {"messages": [{"role": "assistant", "content": None, "tool_calls": [{"id": "c", "function": {"name": "f"}}]}]},
    ],
)
def test_misshapen_tools_and_tool_turns_are_a_400(srv: ServerHandle, body: dict[str, Any]) -> None:
    status, answer, _ = post(srv.url + "/chat/completions", body)
    assert status == 400 and answer["error"]["type"] == "invalid_request_error"


def test_a_conversation_with_a_tool_call_and_its_result_is_accepted(srv: ServerHandle) -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    messages = [
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "20 C"},
    ]
    status, body, _ = post(srv.url + "/chat/completions", {"model": "m", "messages": messages, "tools": TOOLS})
    assert status == 200 and body["choices"][0]["finish_reason"] == "tool_calls"  # the rule matches the user turn


def test_rule_tool_calls_come_back_in_message_tool_calls(srv: ServerHandle) -> None:
    api = openai.OpenAI(base_url=srv.url, api_key="unused", max_retries=0)
    out = api.chat.completions.create(model="m", messages=[{"role": "user", "content": "both, please"}])
    message = out.choices[0].message
    assert out.choices[0].finish_reason == "tool_calls" and message.content == "Let me check."
    calls = [(c.id, c.type, c.function.name, c.function.arguments) for c in message.tool_calls or []]
    assert calls == [
        ("call-chatcmpl-mock-1-0", "function", "get_weather", '{"city":"Paris","unit":"celsius"}'),
        ("call-chatcmpl-mock-1-1", "function", "get_time", "{}"),
    ]
    assert out.usage is not None and out.usage.completion_tokens == 3 + (1 + 5) + (1 + 1)


def test_streamed_tool_calls_are_openai_fragments_with_the_arguments_in_pieces(srv: ServerHandle) -> None:
    status, _, raw = post(srv.url + "/chat/completions", user("weather?", stream=True))
    chunks = sse_chunks(raw)
    fragments = [c["choices"][0]["delta"]["tool_calls"][0] for c in chunks if "tool_calls" in c["choices"][0]["delta"]]
    assert status == 200 and fragments[0] == {
        "index": 0,
        "id": "call-chatcmpl-mock-1-0",
        "type": "function",
        "function": {"name": "get_weather", "arguments": ""},
    }
    pieces = [f["function"]["arguments"] for f in fragments[1:]]
    assert len(pieces) > 1 and all(len(p) <= ARGUMENT_PIECE_CHARS for p in pieces)
    assert "".join(pieces) == WEATHER.arguments and {f["index"] for f in fragments} == {0}
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_a_rule_needs_a_reply_or_tool_calls_and_max_tokens_cuts_before_the_calls() -> None:
    with pytest.raises(ValueError, match="'reply', 'replies' or 'tool_calls'"):
        Rule(contains="x")
    assert Rule(contains="x", reply="").reply == ""
    plan = plan_reply("a b c", None, stop=(), max_tokens=2, tool_calls=())
    assert plan.finish_reason == "length" and plan.tool_calls == ()


# -- embeddings ---------------------------------------------------------------------------------------


def test_embeddings_are_deterministic_unit_vectors_of_the_asked_length(srv: ServerHandle) -> None:
    status, body, _ = post(srv.url + "/embeddings", {"model": "e", "input": ["hello world", "bye"]})
    assert status == 200 and [d["index"] for d in body["data"]] == [0, 1]
    first = body["data"][0]["embedding"]
    assert first == embedding_vector("hello world", DEFAULT_EMBEDDING_DIMENSIONS) != body["data"][1]["embedding"]
    assert abs(sum(x * x for x in first) - 1.0) < 1e-9
    assert body["usage"] == {"prompt_tokens": 3, "total_tokens": 3} and body["model"] == "e"
    short = post(srv.url + "/embeddings", {"input": "hello world", "dimensions": 8})[1]["data"][0]["embedding"]
    assert short == embedding_vector("hello world", 8) and len(short) == 8
    stats = srv.stats()
    assert stats["by_endpoint"]["/v1/embeddings"] == 2 and stats["by_outcome"]["ok"] == 2


def test_the_openai_client_reads_base64_embeddings(srv: ServerHandle) -> None:
    api = openai.OpenAI(base_url=srv.url, api_key="unused", max_retries=0)
    vector = api.embeddings.create(model="e", input="hello world", dimensions=16).data[0].embedding
    expected = struct.unpack("<16f", struct.pack("<16f", *embedding_vector("hello world", 16)))
    assert tuple(vector) == pytest.approx(expected)


@pytest.mark.parametrize(
    "body", [{"input": 3}, {"input": []}, {"input": "x", "dimensions": 0}, {"input": "x", "encoding_format": "hex"}]
)
def test_bad_embedding_requests_are_a_400(srv: ServerHandle, body: dict[str, Any]) -> None:
    assert post(srv.url + "/embeddings", body)[0] == 400


def test_generation_counters_do_not_list_embeddings_until_asked(srv: ServerHandle) -> None:
    post(srv.url + "/chat/completions", user("hi"))
    assert srv.stats()["by_endpoint"] == {"/v1/chat/completions": 1, "/v1/completions": 0}


def test_embedding_requests_get_faults_like_any_other() -> None:
    with run_server_in_thread(ServerConfig(p_500=1.0)) as handle:
        assert post(handle.url + "/embeddings", {"input": "x"})[0] == 500
        assert handle.stats()["by_outcome"]["500"] == 1
