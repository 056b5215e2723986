"""Read an OpenAI-compatible answer (chat or completions, streamed or not): the one reader of that wire.

The eval client (:mod:`assay.models.openai_api`) feeds it while a response arrives; ``assay perf``
feeds it the chunks it stamped on arrival, after the run. Both get the same :class:`OpenAIReply`,
so they cannot disagree on what a response said. What counts follows EvalScope's
``DefaultApiPlugin`` where it is right, and is stricter where EvalScope lets a broken response pass:

* content is ``delta.content`` / ``message.content``, else a completions ``text``; reasoning is
  ``reasoning_content`` or ``reasoning``; both are kept per choice ``index`` (n > 1);
* tool calls are assembled per choice from their fragments (:mod:`~assay.models.openai_tool_calls`);
* an *output event* carries non-empty content, reasoning or a tool-call fragment; the role-only
  first chunk, empty deltas, the ``finish_reason`` chunk and the usage-only chunk are not;
* tokens per output event: 1, unless the server says otherwise, through ``logprobs`` entries or
  through a cumulative ``usage.completion_tokens`` already present on the first output event
  (vLLM's ``continuous_usage_stats``); a non-streamed body is one event of ``completion_tokens``;
* failures (:class:`ReadFailure`): a stream that ends with neither ``data: [DONE]`` nor a
  ``finish_reason`` is *broken*; an event or body that is not a JSON object (or a body without
  ``choices``) is *malformed*; an in-band ``{"error": ...}``, ``"object": "error"`` or
  ``event: error`` (vLLM and SGLang report failures after a 200 this way) is an *error*, with the
  server's message and numeric code. The first failure ends the reading: later events are ignored,
  and so is anything after ``[DONE]``.

Example:
    >>> reader = OpenAIStreamReader()
    >>> reader.feed(b'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\\n\\n', 5)
    >>> reader.feed(b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\\n\\ndata: [DONE]\\n\\n', 9)
    >>> reply = reader.finish()
    >>> reply.all_text(), reply.finish_reason, reply.event_ns, reply.failure
    ('Hi', 'stop', [5], None)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

import orjson

from assay.models.openai_tool_calls import ToolCallAssembler
from assay.models.sse import SseDecoder
from assay.types import ToolCall

#: Characters of a bad payload quoted in a failure reason.
_EXCERPT = 120
#: The delta of a choice that has neither ``delta`` nor ``message`` (never written to).
_NO_DELTA: dict[str, Any] = {}


class FailureKind(str, Enum):
    """Why a 200 response is not a usable answer."""

    BROKEN = "broken"  # ended before [DONE] or a finish_reason, mid-event, or empty
    MALFORMED = "malformed"  # an event or the body is not the JSON object the API promises
    ERROR = "error"  # the server reported an error inside the 200 response


@dataclass(frozen=True, slots=True)
class ReadFailure:
    """A failed response: its kind, a one-line reason, and for an in-band error the server's words."""

    kind: FailureKind
    reason: str
    #: The server's message (``ERROR`` only).
    message: str | None = None
    #: The error's numeric code (``error.code`` or a top-level ``code``), if it gave one.
    code: int | None = None


@dataclass(slots=True)
class OpenAIReply:
    """What a response said, per choice index, and how it arrived."""

    texts: dict[int, str]
    reasoning: dict[int, str]
    tool_calls: dict[int, list[ToolCall]]
    #: ``finish_reason`` per choice index.
    finish_reasons: dict[int, str]
    #: The last ``finish_reason`` seen, of any choice.
    finish_reason: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    total_tokens: int | None
    #: Arrival time (ns) of each output event, in order; tokens each carried, aligned with it.
    event_ns: list[int]
    tokens_per_event: list[int]
    failure: ReadFailure | None

    def all_text(self) -> str:
        """The content of every choice, in index order (one choice: just its content)."""
        return "".join(self.texts[i] for i in sorted(self.texts))

    def all_reasoning(self) -> str:
        """The reasoning of every choice, in index order."""
        return "".join(self.reasoning[i] for i in sorted(self.reasoning))


class OpenAIStreamReader(SseDecoder):
    """Reads an SSE answer incrementally: :meth:`feed` each chunk as it arrives, then :meth:`finish`.

    A client may stop reading as soon as :attr:`failure` is set. :func:`read_body` reads a
    non-streamed answer with the same rules.
    """

    __slots__ = (
        "_calls",
        "_continuous_usage",
        "_done",
        "_events",
        "_finish_reasons",
        "_in_tail",
        "_reasoning",
        "_texts",
        "completion_tokens",
        "event_ns",
        "failure",
        "finish_reason",
        "prompt_tokens",
        "tokens_per_event",
        "total_tokens",
    )

    def __init__(self) -> None:
        super().__init__()
        self._texts: dict[int, list[str]] = {}
        self._reasoning: dict[int, list[str]] = {}
        self._calls: dict[int, ToolCallAssembler] = {}
        self._finish_reasons: dict[int, str] = {}
        #: Usage came with the first output event: cumulative counts give tokens per event.
        self._continuous_usage = False
        self._done = False
        self._events = 0
        self._in_tail = False
        self.finish_reason: str | None = None
        self.prompt_tokens: int | None = None
        self.completion_tokens: int | None = None
        self.total_tokens: int | None = None
        self.event_ns: list[int] = []
        self.tokens_per_event: list[int] = []
        #: The first failure, once there is one.
        self.failure: ReadFailure | None = None

    def finish(self) -> OpenAIReply:
        """The reply, once the body has ended.

        An unterminated last event is accepted when it is complete (``[DONE]`` or whole JSON), as
        EvalScope does; one cut off in the middle of its JSON makes the stream broken.
        """
        if not self._done and self.failure is None:
            if self._events == 0 and self.other_blocks == 0 and not self.tail.strip():
                self._fail(FailureKind.BROKEN, "empty response body")
            else:
                self._in_tail = True
                self.flush_tail()
                if self.failure is None and not self._done and self.finish_reason is None:
                    self._fail(FailureKind.BROKEN, "stream ended without data: [DONE] or a finish_reason")
        return self._reply()

    def on_event(self, data: bytes, event: bytes | None, arrival_ns: int) -> None:
        """Read one SSE event: ``[DONE]``, an error, or a chunk of the answer."""
        if self._done or self.failure is not None:
            return
        self._events += 1
        if data == b"[DONE]" or (len(data) < 16 and data.strip() == b"[DONE]"):
            self._done = True
            return
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError:
            document = None
        if event == b"error":  # the payload may be a plain message rather than an error object
            message = error_message(document) if type(document) is dict else None
            text = message or _excerpt(data.decode("utf-8", errors="replace"))
            code = error_code(document) if type(document) is dict else None
            self._fail(FailureKind.ERROR, f"error event {self._events} in a 200 stream: {text}", text, code)
        elif document is None:
            if self._in_tail:
                self._fail(FailureKind.BROKEN, "stream ended in the middle of an event")
            else:
                self._fail(FailureKind.MALFORMED, f"event {self._events} is not JSON: {_excerpt_bytes(data)}")
        elif type(document) is not dict:
            self._fail(FailureKind.MALFORMED, f"event {self._events} is not a JSON object: {_excerpt_bytes(data)}")
        elif ("choices" not in document or "error" in document) and (message := error_message(document)) is not None:
            reason = f"error event {self._events} in a 200 stream: {message}"
            self._fail(FailureKind.ERROR, reason, message, error_code(document))
        else:
            self.read_document(document, arrival_ns)

    def read_document(self, document: dict[str, Any], arrival_ns: int, whole_body: bool = False) -> None:
        """Add one decoded chunk (or, with ``whole_body``, a non-streamed answer) that arrived at ``arrival_ns``."""
        before = self.completion_tokens
        usage = document.get("usage")
        if usage is not None and type(usage) is dict:
            self.prompt_tokens = _int_or(usage.get("prompt_tokens"), self.prompt_tokens)
            self.completion_tokens = _int_or(usage.get("completion_tokens"), self.completion_tokens)
            self.total_tokens = _int_or(usage.get("total_tokens"), self.total_tokens)
        choices = document.get("choices")
        if not choices or type(choices) is not list:
            return
        output = False
        logprob_tokens = 0
        for choice in choices:
            if type(choice) is dict:
                if self._read_choice(choice, whole_body):
                    output = True
                logprobs = choice.get("logprobs")
                if logprobs is not None:
                    logprob_tokens += _logprob_count(logprobs)
        if not output:
            return
        if not self.event_ns and type(usage) is dict and self.completion_tokens is not None and not whole_body:
            self._continuous_usage = True
        self.event_ns.append(arrival_ns)
        if logprob_tokens or whole_body or self._continuous_usage:
            self.tokens_per_event.append(self._event_tokens(before, logprob_tokens, whole_body))
        else:  # the common case: one token per event
            self.tokens_per_event.append(1)

    def _read_choice(self, choice: dict[str, Any], whole_body: bool) -> bool:
        index = choice.get("index", 0)
        if type(index) is not int:
            index = 0
        delta = choice.get("delta")
        if delta is None or type(delta) is not dict:
            delta = choice.get("message")
            if type(delta) is not dict:
                delta = _NO_DELTA
        finish_reason = choice.get("finish_reason")
        if finish_reason is not None and type(finish_reason) is str:
            self.finish_reason = self._finish_reasons[index] = finish_reason
        output = False
        content = delta.get("content")
        if type(content) is not str:
            content = choice.get("text")
        if content and type(content) is str:
            texts = self._texts.get(index)  # inline, not a helper: this runs once per streamed token
            if texts is None:
                self._texts[index] = [content]
            else:
                texts.append(content)
            output = True
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if reasoning and type(reasoning) is str:
            thoughts = self._reasoning.get(index)
            if thoughts is None:
                self._reasoning[index] = [reasoning]
            else:
                thoughts.append(reasoning)
            output = True
        calls = delta.get("tool_calls")
        if calls and type(calls) is list:
            assembler = self._calls.get(index)
            if assembler is None:
                assembler = self._calls[index] = ToolCallAssembler()
            output = assembler.add(calls, whole_body) or output
        return output

    def _event_tokens(self, before: int | None, logprob_tokens: int, whole_body: bool) -> int:
        if logprob_tokens:
            return logprob_tokens
        if whole_body:
            return self.completion_tokens or 1
        if self._continuous_usage and self.completion_tokens is not None:
            return max(self.completion_tokens - (before or 0), 1)
        return 1

    def _fail(self, kind: FailureKind, reason: str, message: str | None = None, code: int | None = None) -> None:
        self.failure = ReadFailure(kind, reason, message, code)

    def _reply(self) -> OpenAIReply:
        tool_calls = {index: calls.calls() for index, calls in self._calls.items() if calls}
        # Positional: this runs once per eval request, and keyword construction costs twice as much.
        return OpenAIReply(
            _joined(self._texts),
            _joined(self._reasoning) if self._reasoning else {},
            tool_calls,
            self._finish_reasons,
            self.finish_reason,
            self.prompt_tokens,
            self.completion_tokens,
            self.total_tokens,
            self.event_ns,
            self.tokens_per_event,
            self.failure,
        )


def read_body(raw: bytes, arrival_ns: int) -> OpenAIReply:
    """Read a non-streamed JSON answer, received whole at ``arrival_ns``, by the stream's rules.

    Example:
        >>> reply = read_body(b'{"choices":[{"index":0,"message":{"content":"4"},"finish_reason":"stop"}]}', 7)
        >>> reply.texts, reply.event_ns, reply.failure
        ({0: '4'}, [7], None)
    """
    reader = OpenAIStreamReader()
    if not raw or raw.isspace():
        reader._fail(FailureKind.BROKEN, "empty response body")
        return reader._reply()
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        reader._fail(FailureKind.MALFORMED, f"response body is not JSON ({exc}): {_excerpt_bytes(raw)}")
        return reader._reply()
    if type(document) is not dict:
        reader._fail(FailureKind.MALFORMED, "response body is not a JSON object")
    elif (message := error_message(document)) is not None:
        reason = f"error document in a 200 response: {message}"
        reader._fail(FailureKind.ERROR, reason, message, error_code(document))
    elif type(document.get("choices")) is not list or not document["choices"]:
        reader._fail(FailureKind.MALFORMED, f"response body has no choices: {_excerpt_bytes(raw)}")
    else:
        reader.read_document(document, arrival_ns, whole_body=True)
    return reader._reply()


def error_message(document: dict[str, Any], limit: int = _EXCERPT) -> str | None:
    """The message of an in-band error document, or None if ``document`` is not an error.

    Example:
        >>> error_message({"object": "error", "message": "engine died", "code": 500})
        'engine died'
    """
    error = document.get("error")
    if error is None and document.get("object") != "error":
        return None
    if isinstance(error, dict):
        error = error.get("message") or error
    if not isinstance(error, str):
        message = document.get("message")
        error = message if isinstance(message, str) else orjson.dumps(document).decode()
    return _excerpt(error, limit)


def error_body_text(raw: bytes, limit: int = _EXCERPT) -> str:
    """The human part of an HTTP error body, on one line of at most ``limit`` characters.

    An OpenAI error document's message (also vLLM's ``"object": "error"``), else a top-level
    ``message`` or FastAPI's ``detail``, else the body's text. Eval and perf report non-2xx
    answers with it, so both quote a server the same way.

    Example:
        >>> error_body_text(b'{"detail": "Not Found"}'), error_body_text(b"bad gateway\\n")
        ('Not Found', 'bad gateway')
    """
    message: Any = None
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        document = None
    if isinstance(document, dict):
        message = error_message(document, limit) or document.get("message") or document.get("detail")
    if message is None or (isinstance(message, str) and not message.strip()):
        message = raw.decode("utf-8", "replace")
    return _excerpt(str(message), limit)


def error_code(document: dict[str, Any]) -> int | None:
    """The numeric code of an error document (``error.code``, else a top-level ``code``), if any.

    A code written as digits (``"429"``) counts; a name such as ``"invalid_api_key"`` does not.
    """
    error = document.get("error")
    for value in (error.get("code") if isinstance(error, dict) else None, document.get("code")):
        if type(value) is int:
            return value
        if type(value) is str and value.isdigit():
            return int(value)
    return None


def _logprob_count(logprobs: Any) -> int:
    """Tokens a choice's ``logprobs`` lists: ``content`` entries (chat) or ``tokens`` (completions)."""
    if type(logprobs) is not dict:
        return 0
    entries = logprobs.get("content")
    if type(entries) is not list:
        entries = logprobs.get("tokens")
    return len(entries) if type(entries) is list else 0


def _joined(pieces: dict[int, list[str]]) -> dict[int, str]:
    joined = {}
    for index, listed in pieces.items():
        joined[index] = listed[0] if len(listed) == 1 else "".join(listed)
    return joined


def _int_or(value: Any, default: int | None) -> int | None:
    return value if type(value) is int else default


def _excerpt_bytes(data: bytes) -> str:
    return _excerpt(data[: _EXCERPT * 4].decode("utf-8", errors="replace"))


def _excerpt(text: str, limit: int = _EXCERPT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
