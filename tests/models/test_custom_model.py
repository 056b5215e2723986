"""How to plug your own model backend into Assay: a worked, tested example.

A backend is any class (or function) that returns an object with

* ``model_name: str``
* ``async generate(input, config) -> ModelOutput`` - answer one prompt: a list of
  :class:`~assay.types.ChatMessage`, or a raw string for completion-style models;
* ``async check()`` - raise :class:`~assay.errors.UserError` if the backend cannot work at all
  (called once before any sample runs, so a bad setup fails in a second, not after an hour);
* ``async aclose()`` - release connections or processes.

Register it with ``@register_model_api("name")`` and select it with ``--eval-type name`` or
``TaskConfig(eval_type="name")``. The factory is called as
``factory(model=..., api_url=..., api_key=..., **model_args)``. The engine calls ``generate``
concurrently (up to ``eval_batch_size`` at once), so keep per-call state local. Report a failed
call as ``ModelOutput(error=...)`` - the sample is then counted as errored, not scored as wrong.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from assay.errors import UserError
from assay.models import ModelAPI, get_model_api, register_model_api, registered_model_apis
from assay.types import ChatMessage, GenerateConfig, ModelOutput, Usage


@register_model_api("test_reverse_words")
class ReverseWords:
    """A toy backend that answers with the question's words reversed.

    A real one would call a local library or a proprietary HTTP API here.
    """

    def __init__(self, model: str, api_url: str | None = None, api_key: str | None = None, **model_args: Any) -> None:
        self.model_name = model
        self.upper = bool(model_args.get("upper", False))

    async def generate(self, input: list[ChatMessage] | str, config: GenerateConfig) -> ModelOutput:
        question = input if isinstance(input, str) else input[-1].content
        words = question.split()[::-1]
        if config.max_tokens is not None:
            words = words[: config.max_tokens]
        text = " ".join(words)
        return ModelOutput(
            text=text.upper() if self.upper else text,
            finish_reason="stop",
            usage=Usage(prompt_tokens=len(question.split()), completion_tokens=len(words)),
        )

    async def check(self) -> None:
        if not self.model_name:
            raise UserError("test_reverse_words needs a model name; pass --model")

    async def aclose(self) -> None:
        """Nothing to release in this toy."""


def test_custom_backend_is_found_by_name_and_satisfies_the_protocol() -> None:
    assert "test_reverse_words" in registered_model_apis()
    model = get_model_api("test_reverse_words")(model="rev", api_url=None, api_key=None, upper=True)
    assert isinstance(model, ModelAPI)

    async def run() -> ModelOutput:
        await model.check()
        try:
            return await model.generate([ChatMessage(role="user", content="a b c")], GenerateConfig())
        finally:
            await model.aclose()

    assert asyncio.run(run()).text == "C B A"


def test_custom_backend_check_fails_fast_with_a_user_error() -> None:
    model = get_model_api("test_reverse_words")(model="", api_url=None, api_key=None)
    with pytest.raises(UserError, match="pass --model"):
        asyncio.run(model.check())


def test_unknown_backend_name_suggests_the_closest() -> None:
    with pytest.raises(UserError, match="did you mean 'test_reverse_words'"):
        get_model_api("test_reverse_word")
