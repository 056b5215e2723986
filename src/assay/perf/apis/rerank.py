"""``--api rerank``: the ``/rerank`` API of Jina, Cohere and vLLM, never streamed.

EvalScope's ``openai_rerank`` / ``rerank`` plugin (``evalscope/perf/plugin/api/openai_rerank_api.py``)
posts ``{"query", "documents", "model"}`` with ``--extra-args`` merged (``top_n``,
``return_documents``); so does this one. Where the documents come from differs: EvalScope reads
them from its own ``rerank`` / ``random_rerank`` datasets, this plugin from any ``--dataset``. Each
request's query is the prompt's text and its documents are the next ``--rerank-documents`` prompts
of a second pass over the same source (cycled when it runs out), so a rerank load runs on the
prompts an eval or chat load would use. EvalScope appends ``/reranks`` to a base URL; this plugin
appends ``/rerank``, the path vLLM, Jina and Cohere serve (a ``--url`` ending in either is kept).

The answer is read by the eval client's reader (:mod:`assay.models.rerank`): every document sent
must get exactly one numeric score (the best ``top_n`` when ``--extra-args`` asks for it), else the
request is malformed. ``usage.total_tokens`` (else ``prompt_tokens``) is the input count and the
completion count is 0, as for embeddings; the documents sent are the items scored, from which
the summary's ``Item Throughput (items/s)`` is computed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from assay.errors import UserError
from assay.models.rerank import InvalidRerankAnswer, rerank_scores, rerank_usage
from assay.perf._records import Outcome, ParsedResponse, RequestRecord
from assay.perf.apis._body import encode_json, json_headers, prompt_text
from assay.perf.apis._openai_parse import json_answer
from assay.perf.arguments import PerfArguments
from assay.perf.metrics import ScoredItems
from assay.perf.plugins import Prompt, get_prompt_source, register_api


@register_api("rerank")
@register_api("openai_rerank")
class Rerank:
    """Rerank requests: one query and ``--rerank-documents`` documents per request."""

    default_path: ClassVar[str] = "/rerank"
    #: Rerank responses are one JSON body, never an SSE stream.
    streams: ClassVar[bool] = False

    def __init__(self, args: PerfArguments) -> None:
        self.args = args
        self._headers = json_headers(args)
        self._documents: Iterator[str] | None = None
        top_n = args.extra_args.get("top_n")
        #: The ``top_n`` every request asks for (0, as vLLM reads it, means all).
        self._top_n = top_n if type(top_n) is int and top_n > 0 else None

    def build_body(self, prompt: Prompt) -> bytes:
        """``{"query": ..., "documents": [...], "model": ...}`` plus ``--extra-args``."""
        documents = [next(self._document_texts()) for _ in range(self.args.rerank_documents)]
        document: dict[str, Any] = {"query": _text(prompt), "documents": documents, "model": self.args.model}
        document.update(self.args.extra_args)
        return encode_json(document)

    def headers(self) -> dict[str, str]:
        """``Content-Type``, ``--headers`` and ``Authorization: Bearer <--api-key>``."""
        return dict(self._headers)

    def parse(self, record: RequestRecord) -> ParsedResponse:
        """Usage and failures of a finished request, and the documents it had scored."""
        answer = json_answer(record)
        if isinstance(answer, ParsedResponse):
            return answer
        try:
            rerank_scores(answer, self.args.rerank_documents, self._top_n)
        except InvalidRerankAnswer as exc:
            return ParsedResponse(failure=Outcome.MALFORMED, failure_reason=f"invalid rerank response: {exc}")
        usage = rerank_usage(answer)
        return ScoredItems(
            token_event_ns=[record.chunk_ns[-1]],
            tokens_per_event=[0],
            usage_prompt_tokens=usage.prompt_tokens if usage is not None else None,
            usage_completion_tokens=0,
            items=self.args.rerank_documents,
        )

    def _document_texts(self) -> Iterator[str]:
        """The documents, from a second pass over ``--dataset`` (read on first use), cycled."""
        if self._documents is None:
            self._documents = _cycle(_text(p) for p in get_prompt_source(self.args).prompts())
        return self._documents


def _text(prompt: Prompt) -> str:
    if prompt.text is None and prompt.messages is None:
        raise UserError("--api rerank sends text; the prompt source yielded token ids only")
    return prompt_text(prompt)


def _cycle(texts: Iterator[str]) -> Iterator[str]:
    """``texts``, then the same again for ever (``itertools.cycle`` without hanging on an empty source)."""
    seen: list[str] = []
    for text in texts:
        seen.append(text)
        yield text
    if not seen:
        raise UserError("--api rerank: the prompt source gave no prompts to use as documents")
    while True:
        yield from seen
