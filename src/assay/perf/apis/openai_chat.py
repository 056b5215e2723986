"""``--api openai``: OpenAI-compatible ``/chat/completions`` (vLLM, SGLang, TGI, transformers serve...).

EvalScope's ``openai`` plugin (``evalscope/perf/plugin/api/openai_api.py``). The body is

* the prompt: ``messages`` for chat prompts; as in EvalScope, a text prompt is sent as ``prompt`` and
  token ids (``--tokenize-prompt``) as ``prompt: [ids]``, which only a completions endpoint accepts
  (EvalScope switches the URL to ``/completions`` for ``--tokenize-prompt``; so does the engine);
* with ``--query-template``, that JSON body with the prompt put in (see :func:`fill_query_template`);
* then ``model, max_tokens, min_tokens, frequency_penalty, repetition_penalty, logprobs, n, seed,
  stop, stream, stream_options, stop_token_ids, temperature, top_p, top_k``, each only when set,
  in that order, and ``--extra-args`` merged last (it overrides everything).

Example:
    >>> args = PerfArguments(model="qwen", max_tokens=[64], temperature=0.0)
    >>> OpenAIChat(args).build_body(Prompt(messages=[{"role": "user", "content": "Hi"}]))
    b'{"messages":[{"role":"user","content":"Hi"}],"model":"qwen","max_tokens":64,"stream":true,"stream_options":{"include_usage":true},"temperature":0.0}'
"""

from __future__ import annotations

from typing import Any, ClassVar

from assay.errors import UserError
from assay.perf._records import ParsedResponse, RequestRecord
from assay.perf.apis._body import (
    MaxTokens,
    add_sampling_fields,
    encode_json,
    fill_query_template,
    json_headers,
    load_query_template,
    prompt_token_ids,
)
from assay.perf.apis._openai_parse import parse_openai_record
from assay.perf.arguments import PerfArguments
from assay.perf.plugins import Prompt, register_api


@register_api("openai")
@register_api("local")
@register_api("local_vllm")
class OpenAIChat:
    """Chat completions, streamed with SSE or not."""

    default_path: ClassVar[str] = "/chat/completions"

    def __init__(self, args: PerfArguments) -> None:
        self.args = args
        self._template = load_query_template(args.query_template) if args.query_template else None
        self._headers = json_headers(args)
        self._max_tokens = MaxTokens(args)

    def build_body(self, prompt: Prompt) -> bytes:
        """The request bytes for ``prompt`` (called before the run)."""
        fields = self.prompt_fields(prompt)
        if self._template is not None:
            fields = fill_query_template(self._template, fields, prompt, self.args.model)
        return encode_json(add_sampling_fields(fields, self.args, self._max_tokens.next()))

    def prompt_fields(self, prompt: Prompt) -> dict[str, Any]:
        """The body's prompt part: ``messages``, or ``prompt`` (text or token ids)."""
        if self.args.tokenize_prompt or prompt.token_ids is not None:
            return {"prompt": prompt_token_ids(prompt, self.args.tokenizer_path)}
        if prompt.messages is not None:
            return {"messages": prompt.messages}
        if prompt.text is not None:
            return {"prompt": prompt.text}
        raise UserError("the prompt source yielded a prompt without messages, text or token ids")

    def headers(self) -> dict[str, str]:
        """``Content-Type``, ``--headers`` and ``Authorization: Bearer <--api-key>``."""
        return dict(self._headers)

    def parse(self, record: RequestRecord) -> ParsedResponse:
        """Text, output-event times, usage and failures of a finished request."""
        return parse_openai_record(record)
