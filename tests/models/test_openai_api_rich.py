"""The openai_api backend with images, tools, tool turns and embeddings, against real sockets.

The project's mock server checks shapes and records what arrived (image hashes, tool
definitions); a tiny recording app shows the exact bytes of a request where the wire shape itself
is the point.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web

from assay.errors import UserError
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
from assay.models import EmbeddingModel, ToolCallingModel
from assay.models.openai_api import OpenAIAPI
from assay.types import ChatMessage, GenerateConfig, ImagePart, ModelOutput, TextPart, ToolCall, ToolInfo
from tests.conftest import shared_data
from tests.models.local_app import serving

PIXEL = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
WEATHER_TOOL = ToolInfo(
    name="get_weather",
    description="Current weather in a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
RULES = [
    Rule(contains="weather", reply="", tool_calls=[RuleToolCall(name="get_weather", arguments={"city": "Paris"})]),
    Rule(contains="drawn", reply="A pixel."),
]


@pytest.fixture
def server() -> Iterator[ServerHandle]:
    with run_server_in_thread(ServerConfig(rules=RULES)) as srv:
        yield srv


def generate(model: OpenAIAPI, input: list[ChatMessage] | str, config: GenerateConfig, **kwargs: Any) -> ModelOutput:
    async def go() -> ModelOutput:
        try:
            return await model.generate(input, config, **kwargs)
        finally:
            await model.aclose()

    return asyncio.run(go())


def embed(model: OpenAIAPI, text: str, config: GenerateConfig) -> ModelOutput:
    async def go() -> ModelOutput:
        try:
            return await model.embed(text, config)
        finally:
            await model.aclose()

    return asyncio.run(go())


@asynccontextmanager
async def recording_app(seen: list[bytes], vector_length: int = 3) -> AsyncIterator[str]:
    """Records each raw request body; answers chat with "ok" and embeddings with a fixed-length vector."""

    async def chat(request: web.Request) -> web.Response:
        seen.append(await request.read())
        return web.json_response({"choices": [{"index": 0, "message": {"content": "ok"}, "finish_reason": "stop"}]})

    async def embeddings(request: web.Request) -> web.Response:
        seen.append(await request.read())
        return web.json_response({"data": [{"index": 0, "embedding": [0.5] * vector_length}]})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_post("/v1/embeddings", embeddings)
    async with serving(app) as url:
        yield url


def recorded_generate(input: list[ChatMessage], **kwargs: Any) -> bytes:
    seen: list[bytes] = []

    async def go() -> None:
        async with recording_app(seen) as url:
            model = OpenAIAPI("qwen", api_url=url)
            try:
                assert (await model.generate(input, GenerateConfig(), **kwargs)).text == "ok"
            finally:
                await model.aclose()

    asyncio.run(go())
    (body,) = seen
    return body


def test_openai_api_serves_tools_and_embeddings() -> None:
    model = OpenAIAPI("m", api_url="http://127.0.0.1:8000/v1")
    assert model.supports_tools is True
    assert isinstance(model, ToolCallingModel) and isinstance(model, EmbeddingModel)


def test_a_text_only_prompt_is_sent_byte_for_byte_as_before() -> None:
    question = [ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content="What is 2+2?")]
    assert recorded_generate(question) == (
        b'{"model":"qwen","messages":[{"role":"system","content":"Be brief."},'
        b'{"role":"user","content":"What is 2+2?"}]}'
    )


# -- images ----------------------------------------------------------------------------------------


def images_message(tmp_path: Path) -> tuple[ChatMessage, list[ImagePart]]:
    (tmp_path / "square.png").write_bytes(PIXEL + b"square")
    parts = [
        ImagePart(source="pixels.parquet#0/image", data=PIXEL, detail="high"),
        ImagePart(source=str(tmp_path / "square.png")),
        ImagePart(source="https://example.com/cat.jpg"),
    ]
    return ChatMessage(role="user", content=[TextPart(text="What is drawn?"), *parts, TextPart(text="Briefly.")]), parts


def test_images_travel_as_image_url_parts_with_data_urls(tmp_path: Path) -> None:
    message, parts = images_message(tmp_path)
    sent = orjson.loads(recorded_generate([message]))["messages"]
    assert sent == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is drawn?"},
                {"type": "image_url", "image_url": {"url": parts[0].url(), "detail": "high"}},
                {"type": "image_url", "image_url": {"url": parts[1].url()}},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
                {"type": "text", "text": "Briefly."},
            ],
        }
    ]
    assert parts[0].url().startswith("data:image/png;base64,")


@pytest.mark.parametrize("stream", [False, True])
def test_the_server_receives_exactly_the_images_sent(server: ServerHandle, tmp_path: Path, stream: bool) -> None:
    message, parts = images_message(tmp_path)
    out = generate(OpenAIAPI("mock-model", api_url=server.url), [message], GenerateConfig(stream=stream))
    assert (out.text, out.error) == ("A pixel.", None)
    expected = [hashlib.sha256(PIXEL).hexdigest(), hashlib.sha256(PIXEL + b"square").hexdigest(), parts[2].source]
    assert server.stats()["images"] == [{"prompt_key": prompt_key(message.text), "images": expected}]
    assert [p.sha256 for p in parts[:2]] == expected[:2]  # the journal's reference is the server's hash


def test_images_sent_to_the_completions_api_are_a_user_error(tmp_path: Path) -> None:
    message, _ = images_message(tmp_path)
    model = OpenAIAPI("m", api_url="http://127.0.0.1:9/v1/completions")
    with pytest.raises(UserError, match="use the chat API"):
        generate(model, [message], GenerateConfig())
    with pytest.raises(UserError, match="chat API"):
        generate(model, "2+2=", GenerateConfig(), tools=[WEATHER_TOOL])


# -- tools -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "sent"), [("auto", "auto"), ("get_weather", {"type": "function", "function": {"name": "get_weather"}})]
)
def test_tool_definitions_and_tool_choice_reach_the_server(server: ServerHandle, choice: str, sent: Any) -> None:
    question = [ChatMessage(role="user", content="What is the weather in Paris?")]
    generate(
        OpenAIAPI("mock-model", api_url=server.url),
        question,
        GenerateConfig(),
        tools=[WEATHER_TOOL],
        tool_choice=choice,
    )
    (seen,) = server.stats()["tools"]
    assert seen["tool_choice"] == sent
    assert seen["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Current weather in a city.",
                "parameters": WEATHER_TOOL.parameters,
            },
        }
    ]


@pytest.mark.parametrize("stream", [False, True])
def test_tool_calls_come_back_assembled(server: ServerHandle, stream: bool) -> None:
    question = [ChatMessage(role="user", content="What is the weather in Paris?")]
    model = OpenAIAPI("mock-model", api_url=server.url)
    out = generate(model, question, GenerateConfig(stream=stream), tools=[WEATHER_TOOL])
    assert out.error is None and out.finish_reason == "tool_calls" and out.text == ""
    assert out.tool_calls == [ToolCall(id="call-chatcmpl-mock-1-0", name="get_weather", arguments='{"city":"Paris"}')]


def test_a_conversation_with_tool_turns_is_sent_in_openai_shape(server: ServerHandle) -> None:
    call = ToolCall(id="call_1", name="get_weather", arguments='{"city": "Paris"}')
    conversation = [
        ChatMessage(role="user", content="What is the weather in Paris?"),
        ChatMessage(role="assistant", content="", tool_calls=[call]),
        ChatMessage(role="tool", content="20 C", tool_call_id="call_1"),
    ]
    assert orjson.loads(recorded_generate(conversation, tools=[WEATHER_TOOL]))["messages"] == [
        {"role": "user", "content": "What is the weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "content": "20 C", "tool_call_id": "call_1"},
    ]
    out = generate(OpenAIAPI("mock-model", api_url=server.url), conversation, GenerateConfig(), tools=[WEATHER_TOOL])
    assert out.error is None  # the mock server checks tool turns and would answer 400


def test_a_real_bfcl_question_goes_out_as_tools_and_its_call_comes_back() -> None:
    root = shared_data("bfcl") / "data"
    with (root / "BFCL_v4_simple_python.json").open(encoding="utf-8") as questions:
        record = json.loads(questions.readline())
    with (root / "possible_answer" / "BFCL_v4_simple_python.json").open(encoding="utf-8") as answers:
        (truth,) = json.loads(answers.readline())["ground_truth"]
    tools = [
        ToolInfo(name=f["name"], description=f["description"], parameters=f["parameters"]) for f in record["function"]
    ]
    messages = [ChatMessage(role=m["role"], content=m["content"]) for m in record["question"][0]]
    ((name, options),) = truth.items()
    arguments = {param: values[0] for param, values in options.items()}  # the first accepted value of each
    rule = Rule(contains=messages[-1].text, reply="", tool_calls=[RuleToolCall(name=name, arguments=arguments)])
    with run_server_in_thread(ServerConfig(rules=[rule])) as srv:
        for stream in (False, True):
            out = generate(
                OpenAIAPI("mock-model", api_url=srv.url), messages, GenerateConfig(stream=stream), tools=tools
            )
            assert out.error is None and out.tool_calls is not None and len(out.tool_calls) == 1
            assert out.tool_calls[0].name == name == record["function"][0]["name"]
            assert json.loads(out.tool_calls[0].arguments) == arguments
        sent = srv.stats()["tools"]
    assert [[t["function"] for t in entry["tools"]] for entry in sent] == [record["function"]] * 2


# -- embeddings --------------------------------------------------------------------------------------


def test_embed_returns_the_servers_vector_and_usage(server: ServerHandle) -> None:
    model = OpenAIAPI("mock-model", api_url=server.url)
    out = embed(model, "hello world", GenerateConfig())
    assert out.error is None and out.embedding == embedding_vector("hello world", DEFAULT_EMBEDDING_DIMENSIONS)
    assert out.usage is not None and (out.usage.prompt_tokens, out.usage.completion_tokens, out.usage.total_tokens) == (
        2,
        0,
        2,
    )
    short = embed(model, "hello world", GenerateConfig(dimensions=8))
    assert short.embedding == embedding_vector("hello world", 8)
    assert server.stats()["by_endpoint"]["/v1/embeddings"] == 2


def test_embed_sends_dimensions_only_when_set_and_rejects_a_vector_of_another_length() -> None:
    seen: list[bytes] = []

    async def go() -> tuple[ModelOutput, ModelOutput]:
        async with recording_app(seen, vector_length=3) as url:
            model = OpenAIAPI("emb", api_url=url)
            try:
                plain = await model.embed("hi", GenerateConfig())
                wrong = await model.embed("hi", GenerateConfig(dimensions=8, retries=3))
                return plain, wrong
            finally:
                await model.aclose()

    plain, wrong = asyncio.run(go())
    assert plain.embedding == [0.5, 0.5, 0.5] and plain.error is None
    assert wrong.embedding is None and wrong.attempts == 1
    assert wrong.error is not None and "asked for 8 dimensions" in wrong.error and "a vector of 3" in wrong.error
    assert [orjson.loads(body) for body in seen] == [
        {"model": "emb", "input": "hi"},
        {"model": "emb", "input": "hi", "dimensions": 8},
    ]


def test_embed_retries_like_generate() -> None:
    with run_server_in_thread(ServerConfig(p_500=0.5, seed=1)) as srv:  # seed 1: the first request fails
        out = embed(OpenAIAPI("mock-model", api_url=srv.url), "hi", GenerateConfig(retries=3, retry_interval=0.001))
        assert srv.stats()["by_outcome"]["500"] == 1
    assert out.error is None and out.attempts == 2 and out.embedding is not None
    with run_server_in_thread(ServerConfig(p_500=1.0)) as srv:
        out = embed(OpenAIAPI("mock-model", api_url=srv.url), "hi", GenerateConfig(retries=1, retry_interval=0.001))
    assert out.attempts == 2 and out.error is not None and "HTTP 500" in out.error
