"""mock_llm: the deterministic in-process model that unit tests and ``--eval-type mock_llm`` use."""

from __future__ import annotations

import asyncio
import logging

import pytest

from assay.models import ModelAPI, get_model_api
from assay.models.mock_llm import MockLLM
from assay.types import ChatMessage, GenerateConfig, ModelOutput

CHAT = [
    ChatMessage(role="system", content="You are terse."),
    ChatMessage(role="user", content="Which letter?"),
    ChatMessage(role="assistant", content="Let me think."),
]


def answer(model: ModelAPI, input: list[ChatMessage] | str = CHAT) -> ModelOutput:
    return asyncio.run(model.generate(input, GenerateConfig(max_tokens=4)))


def test_default_reply_is_answer_a_with_word_count_usage() -> None:
    out = answer(MockLLM())
    assert (out.text, out.finish_reason, out.error, out.attempts) == ("ANSWER: A", "stop", None, 1)
    assert out.usage is not None
    assert (out.usage.prompt_tokens, out.usage.completion_tokens, out.usage.total_tokens) == (8, 2, 10)


def test_fixed_reply_is_returned_for_chat_and_raw_prompts() -> None:
    model = MockLLM(reply="ANSWER: C")
    assert answer(model).text == answer(model, "Q: which? A:").text == "ANSWER: C"


def test_echo_returns_the_last_user_message_or_the_prompt() -> None:
    model = MockLLM(echo=True)
    assert answer(model).text == "Which letter?"
    assert answer(model, "raw prompt").text == "raw prompt"


def test_callable_reply_sees_the_prompt_and_config() -> None:
    model = MockLLM(reply=lambda input, config: f"{len(input)} messages, max {config.max_tokens}")
    assert answer(model).text == "3 messages, max 4"


def test_async_callable_can_script_a_full_output_such_as_an_error() -> None:
    async def fail(input: list[ChatMessage] | str, config: GenerateConfig) -> ModelOutput:
        return ModelOutput(error="HTTP 400: context too long", attempts=1)

    assert answer(MockLLM(reply=fail)).error == "HTTP 400: context too long"


def test_is_registered_as_mock_llm_and_satisfies_the_protocol() -> None:
    model = get_model_api("mock_llm")(model="mock", api_url=None, api_key=None, reply="ANSWER: B")
    assert isinstance(model, ModelAPI) and model.model_name == "mock"
    assert answer(model).text == "ANSWER: B"

    async def lifecycle() -> None:
        await model.check()
        await model.aclose()

    asyncio.run(lifecycle())


def test_counts_calls_including_concurrent_ones() -> None:
    model = MockLLM(delay_s=0.001)

    async def many() -> list[ModelOutput]:
        return await asyncio.gather(*(model.generate(CHAT, GenerateConfig()) for _ in range(20)))

    assert [o.text for o in asyncio.run(many())] == ["ANSWER: A"] * 20
    assert model.calls == 20


def test_unknown_model_args_are_ignored_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        model = MockLLM(precision="torch.float16", revision="master")
    assert answer(model).text == "ANSWER: A"
    assert "mock_llm ignores these model_args: precision, revision" in caplog.text
