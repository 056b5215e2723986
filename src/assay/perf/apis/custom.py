"""``--api custom``: an example protocol, and the base to copy for your own API.

As an API it is EvalScope's ``custom`` template (``evalscope/perf/plugin/api/custom_api.py``): the
body is ``{"input_text": ...}`` for a text prompt or ``{"messages": [...]}`` for a chat prompt, then
``model, max_tokens, temperature, top_p, top_k, stream`` (with ``stream_options.include_usage``)
when set, and ``--extra-args``. Responses are read as OpenAI-compatible ones (SSE or JSON). The URL
is used as given (``default_path`` is empty).

As an example: an API plugin is any class with ``default_path``, ``__init__(args)``,
``build_body(prompt) -> bytes``, ``headers()`` and ``parse(record) -> ParsedResponse``, registered
with :func:`~assay.perf.plugins.register_api`. ``build_body`` runs before the run and ``parse`` after
it, so neither costs measurement time; ``parse`` reads ``record.chunks`` (raw bytes) with
``record.chunk_ns`` (their arrival times), and :func:`assay.perf.apis.split_events` does the SSE part::

    import orjson
    from assay.perf.apis import CustomApi, split_events
    from assay.perf.plugins import register_api
    from assay.perf._records import ParsedResponse

    @register_api("my_llm")
    class MyLLM(CustomApi):
        default_path = "/generate"

        def build_body(self, prompt):
            return orjson.dumps({"text": prompt.text, "max_new_tokens": 128, "stream": True})

        def parse(self, record):
            events = split_events(record.chunks, record.chunk_ns).events
            tokens = [e for e in events if e.data != "[DONE]"]
            return ParsedResponse(
                text="".join(orjson.loads(e.data)["token"] for e in tokens),
                token_event_ns=[e.arrival_ns for e in tokens],
                tokens_per_event=[1] * len(tokens),
            )

Import the module before the run so that ``--api my_llm`` finds it. Set ``ParsedResponse.failure``
(``Outcome.MALFORMED``, ``Outcome.BROKEN_STREAM``...) when a 200 response is not a success.
"""

from __future__ import annotations

from typing import Any, ClassVar

from assay.errors import UserError
from assay.perf._records import ParsedResponse, RequestRecord
from assay.perf.apis._body import MaxTokens, encode_json, json_headers
from assay.perf.apis._openai_parse import parse_openai_record
from assay.perf.arguments import PerfArguments
from assay.perf.plugins import Prompt, register_api


@register_api("custom")
class CustomApi:
    """EvalScope's example protocol: ``input_text`` or ``messages``, OpenAI-style responses."""

    default_path: ClassVar[str] = ""

    def __init__(self, args: PerfArguments) -> None:
        self.args = args
        self._max_tokens = MaxTokens(args)

    def build_body(self, prompt: Prompt) -> bytes:
        """The prompt, then the model and sampling flags EvalScope's template sends, then ``--extra-args``."""
        args = self.args
        document: dict[str, Any]
        if prompt.messages is not None:
            document = {"messages": prompt.messages}
        elif prompt.text is not None:
            document = {"input_text": prompt.text}
        else:
            raise UserError("--api custom sends text or chat prompts, not token ids")
        fields = [
            ("model", args.model),
            ("max_tokens", self._max_tokens.next()),
            ("temperature", args.temperature),
            ("top_p", args.top_p),
            ("top_k", args.top_k),
            ("stream", args.stream),
        ]
        document.update((key, value) for key, value in fields if value is not None)
        if args.stream:
            document["stream_options"] = {"include_usage": True}
        document.update(args.extra_args)
        return encode_json(document)

    def headers(self) -> dict[str, str]:
        """``Content-Type``, ``--headers`` and ``Authorization: Bearer <--api-key>``."""
        return json_headers(self.args)

    def parse(self, record: RequestRecord) -> ParsedResponse:
        """Read the response as an OpenAI-compatible one (SSE chunks or a JSON body)."""
        return parse_openai_record(record)
