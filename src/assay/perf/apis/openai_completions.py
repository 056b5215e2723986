"""``--api openai_completions``: OpenAI-compatible ``/completions`` with a text or token-id prompt.

EvalScope reaches this endpoint with its ``openai`` plugin and a ``.../v1/completions`` URL (a text
prompt becomes ``prompt``); here it is its own API so that ``--url http://host:8000/v1`` gets the
right path. The body is :class:`~assay.perf.apis.openai_chat.OpenAIChat`'s with ``prompt`` in place
of ``messages``: the text, or the token ids with ``--tokenize-prompt``. A chat prompt (from
``--apply-chat-template``) is rendered with the ``--tokenizer-path`` chat template into the text
the model expects, which is what applying a chat template means for a completions endpoint.
"""

from __future__ import annotations

from typing import Any, ClassVar

from assay.perf.apis._body import require_tokenizer
from assay.perf.apis.openai_chat import OpenAIChat
from assay.perf.plugins import Prompt, register_api


@register_api("openai_completions")
class OpenAICompletions(OpenAIChat):
    """Text completions, streamed with SSE or not."""

    default_path: ClassVar[str] = "/completions"

    def prompt_fields(self, prompt: Prompt) -> dict[str, Any]:
        """The body's ``prompt``: text, token ids, or chat messages rendered by the chat template."""
        if prompt.messages is not None and not (self.args.tokenize_prompt or prompt.token_ids is not None):
            tokenizer = require_tokenizer(self.args.tokenizer_path, "a chat prompt sent to a completions endpoint")
            return {"prompt": tokenizer.chat_text(prompt.messages)}
        return super().prompt_fields(prompt)
