"""Read an OpenAI-compatible response (chat or completions, streamed or not) out of a raw record.

Runs after the request, off the hot path: the chunks the client stamped on arrival go through the
same reader the eval client uses while a response arrives (:mod:`assay.models.openai_stream`, where
the rules for text, output events, tokens per event and failures are written down), so eval and
perf cannot disagree on what a response said. Here only the mapping onto perf's records is made:
the text of every choice joined in index order, and failures as outcomes (a broken stream is
``BROKEN_STREAM``, a malformed one ``MALFORMED``, an in-band error ``HTTP_ERROR``).
"""

from __future__ import annotations

from typing import Any

import orjson

from assay.models.openai_stream import (
    FailureKind,
    OpenAIReply,
    OpenAIStreamReader,
    error_body_text,
    error_message,
    read_body,
)
from assay.perf._records import Outcome, ParsedResponse, RequestRecord

_OUTCOMES = {
    FailureKind.BROKEN: Outcome.BROKEN_STREAM,
    FailureKind.MALFORMED: Outcome.MALFORMED,
    FailureKind.ERROR: Outcome.HTTP_ERROR,
}
#: Characters of an HTTP error body quoted in a failure reason.
_EXCERPT = 120


def parse_openai_record(record: RequestRecord) -> ParsedResponse:
    """The :class:`ParsedResponse` of one finished request to an OpenAI-compatible endpoint.

    A body starting with ``{`` is read as one JSON document, anything else as an SSE stream,
    whatever was asked for: a server may ignore ``stream``.
    """
    if record.status is not None and not 200 <= record.status < 300:
        return ParsedResponse(failure=Outcome.HTTP_ERROR, failure_reason=http_error_reason(record))
    first = next((chunk.lstrip()[:1] for chunk in record.chunks if chunk.strip()), b"")
    if first == b"{":
        reply = read_body(b"".join(record.chunks), record.chunk_ns[-1])
    else:
        reader = OpenAIStreamReader()
        for chunk, arrival_ns in zip(record.chunks, record.chunk_ns, strict=True):
            reader.feed(chunk, arrival_ns)
        reply = reader.finish()
    return parsed_response(reply)


def parsed_response(reply: OpenAIReply) -> ParsedResponse:
    """Perf's view of a reply: every choice's text in index order, failures as outcomes."""
    failure = reply.failure
    return ParsedResponse(
        text=reply.all_text(),
        reasoning=reply.all_reasoning(),
        token_event_ns=reply.event_ns,
        tokens_per_event=reply.tokens_per_event,
        usage_prompt_tokens=reply.prompt_tokens,
        usage_completion_tokens=reply.completion_tokens,
        finish_reason=reply.finish_reason,
        failure=None if failure is None else _OUTCOMES[failure.kind],
        failure_reason=None if failure is None else failure.reason,
    )


def http_error_reason(record: RequestRecord) -> str:
    """``HTTP <status>: <the server's error message>`` for a non-2xx response."""
    message = error_body_text(b"".join(record.chunks), _EXCERPT)
    return f"HTTP {record.status}: {message}" if message else f"HTTP {record.status}"


def json_answer(record: RequestRecord) -> dict[str, Any] | ParsedResponse:
    """The JSON object a non-streamed answer (embeddings, rerank) holds, or the failure it is.

    An HTTP error, an empty body, a body that is not a JSON object and an error document sent with a
    200 each become a :class:`ParsedResponse` naming the failure; the caller reads the object.
    """
    if record.status is not None and not 200 <= record.status < 300:
        return ParsedResponse(failure=Outcome.HTTP_ERROR, failure_reason=http_error_reason(record))
    body = b"".join(record.chunks)
    if not body.strip():
        return ParsedResponse(failure=Outcome.BROKEN_STREAM, failure_reason="empty response body")
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return ParsedResponse(failure=Outcome.MALFORMED, failure_reason=f"response body is not JSON ({exc})")
    if not isinstance(answer, dict):
        return ParsedResponse(failure=Outcome.MALFORMED, failure_reason="response body is not a JSON object")
    if (message := error_message(answer)) is not None:
        return ParsedResponse(failure=Outcome.HTTP_ERROR, failure_reason=f"error document in a 200 response: {message}")
    return answer
