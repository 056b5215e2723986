"""``--api embeddings``: OpenAI-compatible ``/embeddings``, never streamed.

EvalScope's ``openai_embedding`` / ``embedding`` plugin (``evalscope/perf/plugin/api/openai_embedding_api.py``):
the body is ``{"input": ..., "model": ...}`` with ``--extra-args`` merged (e.g. ``dimensions``,
``encoding_format``); no sampling flags, no ``stream``. The input is the prompt's text; a chat prompt
gives its messages' text contents (one string when there is one, else a list, as EvalScope); token
ids (``--tokenize-prompt``) are sent as a token array, which the OpenAI API accepts.

The reply carries no generated tokens: ``usage.prompt_tokens`` (else ``total_tokens``) is the input
count (so ``Input Throughput (tok/s)`` is the tokens embedded per second) and the completion count
is 0. The vectors returned are the request's items: ``Item Throughput (items/s)`` is texts embedded
per second, the number an embedding server is sized by. The whole body is one event, at the arrival of its last
chunk, carrying zero output tokens, so time to first token equals latency as for any
non-streamed reply. ``streams = False`` tells the engine not to treat these requests as streams.
"""

from __future__ import annotations

from typing import Any, ClassVar

from assay.errors import UserError
from assay.perf._records import Outcome, ParsedResponse, RequestRecord
from assay.perf.apis._body import encode_json, json_headers, prompt_token_ids
from assay.perf.apis._openai_parse import json_answer
from assay.perf.arguments import PerfArguments
from assay.perf.metrics import ScoredItems
from assay.perf.plugins import Prompt, register_api
from assay.perf.prompts._base import content_text


@register_api("embeddings")
@register_api("embedding")
@register_api("openai_embedding")
class Embeddings:
    """Embedding requests: one input per request."""

    default_path: ClassVar[str] = "/embeddings"
    #: Embedding responses are one JSON body, never an SSE stream.
    streams: ClassVar[bool] = False

    def __init__(self, args: PerfArguments) -> None:
        self.args = args
        self._headers = json_headers(args)

    def build_body(self, prompt: Prompt) -> bytes:
        """``{"input": ..., "model": ...}`` plus ``--extra-args``."""
        document: dict[str, Any] = {"input": self._input(prompt), "model": self.args.model}
        document.update(self.args.extra_args)
        return encode_json(document)

    def headers(self) -> dict[str, str]:
        """``Content-Type``, ``--headers`` and ``Authorization: Bearer <--api-key>``."""
        return dict(self._headers)

    def parse(self, record: RequestRecord) -> ParsedResponse:
        """Usage, failures and the vectors returned (an embedding has no text)."""
        document = json_answer(record)
        if isinstance(document, ParsedResponse):
            return document
        if not isinstance(document.get("data"), list):
            return ParsedResponse(failure=Outcome.MALFORMED, failure_reason="response has no 'data' list of embeddings")
        usage = document["usage"] if isinstance(document.get("usage"), dict) else {}
        prompt_tokens = usage.get("prompt_tokens") or usage.get("total_tokens")
        return ScoredItems(
            token_event_ns=[record.chunk_ns[-1]],
            tokens_per_event=[0],
            usage_prompt_tokens=prompt_tokens if isinstance(prompt_tokens, int) else None,
            usage_completion_tokens=0,
            items=len(document["data"]),
        )

    def _input(self, prompt: Prompt) -> str | list[str] | list[int]:
        if self.args.tokenize_prompt or prompt.token_ids is not None:
            return prompt_token_ids(prompt, self.args.tokenizer_path)
        if prompt.text is not None:
            return prompt.text
        if prompt.messages is not None:
            texts = [content_text(message.get("content")) for message in prompt.messages]
            return texts[0] if len(texts) == 1 else texts
        raise UserError("the prompt source yielded a prompt without messages, text or token ids")
