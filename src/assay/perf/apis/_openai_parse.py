"""Read an OpenAI-compatible response (chat or completions, streamed or not) out of a raw record.

Runs after the request, off the hot path, on the chunks the client stamped on arrival. What counts
follows EvalScope's ``DefaultApiPlugin.process_request`` (``evalscope/perf/plugin/api/default_api.py``)
where it is right, and is stricter where EvalScope lets a broken response pass as a success:

* an *output event* is an event with non-empty ``content``, ``reasoning_content`` / ``reasoning``,
  a completions ``text``, or a tool-call fragment (EvalScope's ``_parse_chat_delta``); the role-only
  first chunk, empty deltas, the ``finish_reason`` chunk and the usage-only chunk are not;
* an event's arrival time is the arrival of the chunk that completed it (see :mod:`._sse`);
* ``usage`` is read from whichever event carries it (the usage-only last chunk with
  ``stream_options.include_usage``, or every chunk with vLLM's continuous usage stats);
* tokens per event: 1, unless the server says otherwise, through ``logprobs`` entries or through a
  cumulative ``usage.completion_tokens`` already present on the first output event (vLLM's
  ``continuous_usage_stats``). vLLM sends one token per event; a server that batches several (e.g.
  speculative decoding) without saying so cannot be told apart without a tokenizer, so metrics may
  refine counts with the tokenizer fallback;
* failures: a stream that ends with neither ``data: [DONE]`` nor a ``finish_reason`` is
  ``BROKEN_STREAM`` (EvalScope counts it a success); an event or body that is not a JSON object is
  ``MALFORMED`` (EvalScope skips such events); an in-band ``{"error": ...}`` or ``"object": "error"``
  (vLLM and SGLang report failures after a 200 this way) is ``HTTP_ERROR`` with the server's message.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import orjson

from assay.perf._records import Outcome, ParsedResponse, RequestRecord
from assay.perf.apis._sse import parse_block, split_events

#: Characters of a bad payload quoted in a failure reason.
_EXCERPT = 120


def parse_openai_record(record: RequestRecord) -> ParsedResponse:
    """The :class:`ParsedResponse` of one finished request to an OpenAI-compatible endpoint.

    A body starting with ``{`` is read as one JSON document, anything else as an SSE stream,
    whatever was asked for: a server may ignore ``stream``.
    """
    if record.status is not None and not 200 <= record.status < 300:
        return ParsedResponse(failure=Outcome.HTTP_ERROR, failure_reason=http_error_reason(record))
    first = next((chunk.lstrip()[:1] for chunk in record.chunks if chunk.strip()), b"")
    if not first:
        return ParsedResponse(failure=Outcome.BROKEN_STREAM, failure_reason="empty response body")
    if first == b"{":
        return _parse_json_body(record)
    return _parse_stream(record)


def http_error_reason(record: RequestRecord) -> str:
    """``HTTP <status>: <the server's error message>`` for a non-2xx response."""
    body = b"".join(record.chunks)
    message = body.decode("utf-8", errors="replace").strip()
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        document = None
    if isinstance(document, dict):
        message = error_message(document) or message
    return f"HTTP {record.status}: {_excerpt(message)}" if message else f"HTTP {record.status}"


def error_message(document: dict[str, Any]) -> str | None:
    """The message of an in-band error document, or None if ``document`` is not an error."""
    error = document.get("error")
    if error is None and document.get("object") != "error":
        return None
    if isinstance(error, dict):
        error = error.get("message") or error
    if not isinstance(error, str):
        message = document.get("message")
        error = message if isinstance(message, str) else orjson.dumps(document).decode()
    return _excerpt(error)


@dataclass
class _Reader:
    """What the events read so far add up to."""

    texts: defaultdict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    reasoning: defaultdict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    event_ns: list[int] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None
    #: Usage came with the first output event: cumulative counts give tokens per event.
    continuous_usage: bool = False

    def take(self, document: dict[str, Any], arrival_ns: int, whole_body: bool = False) -> None:
        """Add one chunk (or a whole non-streamed body) that arrived at ``arrival_ns``."""
        before = self.completion_tokens
        usage = document.get("usage")
        if isinstance(usage, dict):
            self.prompt_tokens = _int_or(usage.get("prompt_tokens"), self.prompt_tokens)
            self.completion_tokens = _int_or(usage.get("completion_tokens"), self.completion_tokens)
        output = False
        logprob_tokens = 0
        for choice in document.get("choices") or []:
            if isinstance(choice, dict):
                output |= self._take_choice(choice)
                logprob_tokens += _logprob_count(choice)
        if not output:
            return
        if not self.event_ns and isinstance(usage, dict) and self.completion_tokens is not None and not whole_body:
            self.continuous_usage = True
        self.event_ns.append(arrival_ns)
        self.tokens.append(self._event_tokens(before, logprob_tokens, whole_body))

    def _take_choice(self, choice: dict[str, Any]) -> bool:
        index = choice["index"] if isinstance(choice.get("index"), int) else 0
        delta = _object(choice.get("delta")) or _object(choice.get("message"))
        content = delta.get("content") if isinstance(delta.get("content"), str) else choice.get("text")
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if isinstance(choice.get("finish_reason"), str):
            self.finish_reason = choice["finish_reason"]
        output = False
        if isinstance(content, str) and content:
            self.texts[index].append(content)
            output = True
        if isinstance(reasoning, str) and reasoning:
            self.reasoning[index].append(reasoning)
            output = True
        return output or _has_tool_call(delta)

    def _event_tokens(self, before: int | None, logprob_tokens: int, whole_body: bool) -> int:
        if logprob_tokens:
            return logprob_tokens
        if whole_body:
            return self.completion_tokens or 1
        if self.continuous_usage and self.completion_tokens is not None:
            return max(self.completion_tokens - (before or 0), 1)
        return 1

    def result(self, failure: Outcome | None = None, reason: str | None = None) -> ParsedResponse:
        return ParsedResponse(
            text="".join("".join(self.texts[i]) for i in sorted(self.texts)),
            reasoning="".join("".join(self.reasoning[i]) for i in sorted(self.reasoning)),
            token_event_ns=self.event_ns,
            tokens_per_event=self.tokens,
            usage_prompt_tokens=self.prompt_tokens,
            usage_completion_tokens=self.completion_tokens,
            finish_reason=self.finish_reason,
            failure=failure,
            failure_reason=reason,
        )


def _parse_stream(record: RequestRecord) -> ParsedResponse:
    stream = split_events(record.chunks, record.chunk_ns)
    events = list(stream.events)
    # The stream ended without a blank line after its last event; EvalScope accepts the event
    # anyway when it is complete ([DONE] or whole JSON), and so does this.
    tail = parse_block(stream.tail, stream.tail_ns) if stream.tail_ns is not None else None
    if tail is not None:
        events.append(tail)
    reader = _Reader()
    for number, event in enumerate(events, start=1):
        if event.data.strip() == "[DONE]":
            return reader.result()
        try:
            document = orjson.loads(event.data)
        except orjson.JSONDecodeError:
            if event is tail:  # cut off in the middle of its last event
                return reader.result(Outcome.BROKEN_STREAM, "stream ended in the middle of an event")
            return reader.result(Outcome.MALFORMED, f"event {number} is not JSON: {_excerpt(event.data)}")
        if not isinstance(document, dict):
            return reader.result(Outcome.MALFORMED, f"event {number} is not a JSON object: {_excerpt(event.data)}")
        message = error_message(document)
        if message is not None:
            return reader.result(Outcome.HTTP_ERROR, f"error event {number} in a 200 stream: {message}")
        reader.take(document, event.arrival_ns)
    if reader.finish_reason is None:
        return reader.result(Outcome.BROKEN_STREAM, "stream ended without data: [DONE] or a finish_reason")
    return reader.result()


def _parse_json_body(record: RequestRecord) -> ParsedResponse:
    body = b"".join(record.chunks)
    reader = _Reader()
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return reader.result(
            Outcome.MALFORMED, f"response body is not JSON ({exc}): {_excerpt(body.decode(errors='replace'))}"
        )
    if not isinstance(document, dict):
        return reader.result(Outcome.MALFORMED, "response body is not a JSON object")
    message = error_message(document)
    if message is not None:
        return reader.result(Outcome.HTTP_ERROR, f"error document in a 200 response: {message}")
    reader.take(document, record.chunk_ns[-1], whole_body=True)
    return reader.result()


def _has_tool_call(delta: dict[str, Any]) -> bool:
    """A tool-call fragment is generated output too (it counts for timing, not for text)."""
    for call in delta.get("tool_calls") or []:
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict) and any(
            isinstance(function.get(k), str) and function[k] for k in ("name", "arguments")
        ):
            return True
    return False


def _logprob_count(choice: dict[str, Any]) -> int:
    """Tokens a choice's ``logprobs`` lists: ``content`` entries (chat) or ``tokens`` (completions)."""
    logprobs = choice.get("logprobs")
    if not isinstance(logprobs, dict):
        return 0
    entries = logprobs.get("content")
    if not isinstance(entries, list):
        entries = logprobs.get("tokens")
    return len(entries) if isinstance(entries, list) else 0


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int_or(value: Any, default: int | None) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 3] + "..."
