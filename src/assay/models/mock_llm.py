"""A deterministic in-process model: no network, no weights, same answer every time.

Unit tests and ``--eval-type mock_llm`` (EvalScope's name for the same idea) use it to run the whole
pipeline - prompts, engine, journal, scoring, report - in milliseconds. It answers with a fixed
reply, echoes the question, or calls a function you give it, so a test can script exactly what the
"model" says to each sample.

Example:
    >>> import asyncio
    >>> from assay.types import ChatMessage, GenerateConfig
    >>> ask = [ChatMessage(role="user", content="Say hi")]
    >>> asyncio.run(MockLLM(reply="ANSWER: C").generate(ask, GenerateConfig())).text
    'ANSWER: C'
    >>> asyncio.run(MockLLM(echo=True).generate(ask, GenerateConfig())).text
    'Say hi'
    >>> shout = MockLLM(reply=lambda input, config: input[-1].text.upper())
    >>> asyncio.run(shout.generate(ask, GenerateConfig())).text
    'SAY HI'
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from assay.models._api import register_model_api
from assay.types import ChatMessage, GenerateConfig, ModelOutput, Usage

logger = logging.getLogger(__name__)

Prompt = list[ChatMessage] | str
#: A scripted model: gets the prompt and config, returns the answer text or a full ModelOutput
#: (to script errors, usage or reasoning), directly or from a coroutine.
Responder = Callable[[Prompt, GenerateConfig], "str | ModelOutput | Awaitable[str | ModelOutput]"]

DEFAULT_REPLY = "ANSWER: A"


@register_model_api("mock_llm")
class MockLLM:
    """A model that answers without thinking.

    Args:
        model: Name reported in results (``--model``).
        api_url: Ignored; accepted so the registry can build every backend the same way.
        api_key: Ignored, likewise.
        reply: The answer text, or a :data:`Responder` function that computes it per call.
        echo: Answer with the question itself (the last user message, or the raw prompt) instead.
        delay_s: Seconds to wait before answering, to exercise concurrency and timeouts.
        **model_args: Anything else is ignored with a warning (EvalScope configs carry defaults such
            as ``precision`` that only local models use).

    ``usage`` counts whitespace-separated words as tokens, so token totals in a report are
    deterministic too. :attr:`calls` counts ``generate`` calls, which lets a test check that a
    resumed run asked the model only for what was missing.
    """

    def __init__(
        self,
        model: str = "mock_llm",
        api_url: str | None = None,
        api_key: str | None = None,
        *,
        reply: str | Responder = DEFAULT_REPLY,
        echo: bool = False,
        delay_s: float = 0.0,
        **model_args: Any,
    ) -> None:
        if model_args:
            logger.warning("mock_llm ignores these model_args: %s", ", ".join(sorted(model_args)))
        self.model_name = model
        self.calls = 0
        self._reply = reply
        self._echo = echo
        self._delay_s = delay_s

    def __repr__(self) -> str:
        answer = "echo" if self._echo else ("<function>" if callable(self._reply) else repr(self._reply))
        return f"MockLLM(model={self.model_name!r}, reply={answer})"

    async def generate(self, input: Prompt, config: GenerateConfig) -> ModelOutput:
        """Answer ``input`` as configured; never fails unless a scripted responder says so."""
        self.calls += 1
        if self._delay_s > 0:
            await asyncio.sleep(self._delay_s)
        if self._echo:
            answer: str | ModelOutput = _question(input)
        elif callable(self._reply):
            result = self._reply(input, config)
            answer = await result if inspect.isawaitable(result) else result
        else:
            answer = self._reply
        if isinstance(answer, ModelOutput):
            return answer
        prompt_tokens = sum(len(m.text.split()) for m in input) if isinstance(input, list) else len(input.split())
        completion_tokens = len(answer.split())
        return ModelOutput(
            text=answer,
            finish_reason="stop",
            usage=Usage(
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                total_tokens=prompt_tokens + completion_tokens,
            ),
        )

    async def check(self) -> None:
        """Nothing to check: the mock is always up."""

    async def aclose(self) -> None:
        """Nothing to release."""


def _question(input: Prompt) -> str:
    """The last user message (what a real model answers), or the raw prompt."""
    if isinstance(input, str):
        return input
    for message in reversed(input):
        if message.role == "user":
            return message.text
    return input[-1].text if input else ""
