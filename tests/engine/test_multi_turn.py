"""The multi-turn request kind against the test server: turns in order, history carried, cuts noticed."""

from __future__ import annotations

import asyncio

from assay.engine.requests import send
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from assay.mock_server._rules import count_tokens
from assay.models import get_model_api
from assay.types import ChatMessage, GenerateConfig, RequestKind, Sample

TURNS = ["Name a colour.", "Now name a fruit of that colour."]


def _sample() -> Sample:
    return Sample(
        id="q1",
        input=[
            ChatMessage(role="system", content="Be brief."),
            *(ChatMessage(role="user", content=t) for t in TURNS),
        ],
        target="",
    )


def _ask(url: str, config: GenerateConfig) -> object:
    async def main() -> object:
        model = get_model_api("openai_api")(model="mock-model", api_url=url, api_key=None)
        try:
            return await send(model, RequestKind.MULTI_TURN, _sample(), config)
        finally:
            await model.aclose()

    return asyncio.run(main())


def test_each_turn_is_answered_in_order_with_the_earlier_answers_in_context() -> None:
    rules = [Rule(contains="fruit", reply="A strawberry"), Rule(contains="colour.", reply="Red")]
    with run_server_in_thread(ServerConfig(rules=rules)) as server:
        output = _ask(server.url, GenerateConfig())
        stats = server.stats()
    assert output.turns == ["Red", "A strawberry"] and output.text == "A strawberry"
    assert stats["rule_hits"] == [1, 1]  # one request per turn
    # The second request carried the system message, turn 1, the answer "Red" and turn 2: the mock
    # server counts every message's tokens into prompt_tokens (one joined text per request).
    first = count_tokens("Be brief.\n" + TURNS[0])
    second = count_tokens("Be brief.\n" + TURNS[0] + "\nRed\n" + TURNS[1])
    assert output.usage is not None and output.usage.prompt_tokens == first + second


def test_a_cut_first_turn_marks_the_conversation_truncated() -> None:
    rules = [Rule(contains="fruit", reply="Fig"), Rule(contains="colour.", reply="Red and a long tail of words")]
    with run_server_in_thread(ServerConfig(rules=rules)) as server:
        output = _ask(server.url, GenerateConfig(max_tokens=3))
    assert output.turns == ["Red and a ", "Fig"]
    assert output.finish_reason == "length"
