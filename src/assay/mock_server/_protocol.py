"""The OpenAI wire format, as far as the mock server needs it: parse requests, encode responses.

Streaming chunks are assembled from pre-encoded byte pieces instead of ``orjson.dumps`` of a dict
per chunk: only the token text is encoded per chunk, which keeps a zero-latency server fast.

Requests are checked as far as a test needs to trust what arrived: content parts (text joined by
newlines, as :attr:`assay.types.ChatMessage.text` joins them; ``image_url`` parts whose ``data:``
URLs must be base64, whose bytes are kept for rules that read images), assistant ``tool_calls``,
``tool`` turns with their ``tool_call_id``, and ``tools`` definitions. A request that breaks those
shapes gets the 400 OpenAI would send. Whether the bytes are an image is not checked here: only a
rule that reads pixels decodes them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from assay.mock_server._rules import PlannedCall, ReplyPlan

CHAT_PATH = "/v1/chat/completions"
COMPLETIONS_PATH = "/v1/completions"
SSE_HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
DONE = b"data: [DONE]\n\n"
_CHOICE_TAIL = b',"logprobs":null,"finish_reason":null}'
_CHUNK_END = b"]}\n\n"


def error_body(message: str, type_: str, code: str | None = None) -> bytes:
    """An OpenAI-style error document, so clients raise the same exceptions as against OpenAI."""
    return orjson.dumps({"error": {"message": message, "type": type_, "param": None, "code": code}})


def decode_body(raw: bytes) -> dict[str, Any]:
    """A request body as a JSON object.

    Raises:
        BadRequest: it is not valid JSON, or not an object.
    """
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object")
    return body


def requested_model(body: dict[str, Any]) -> str | None:
    """The ``model`` a request names (None when it names none).

    Raises:
        BadRequest: ``model`` is not a string.
    """
    model = body.get("model")
    if model is not None and not isinstance(model, str):
        raise BadRequest("'model' must be a string")
    return model or None


class BadRequest(Exception):
    """The request cannot be answered; carries the HTTP status and OpenAI error code to send."""

    def __init__(self, message: str, status: int = 400, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(slots=True)
class GenerationRequest:
    """The parts of a chat or completions request the mock server acts on; other fields are ignored."""

    model: str | None
    question: str
    """What rules match and ``prompt_counts`` keys: the last user message, or the prompt."""
    prompt_text: str
    """What ``prompt_tokens`` counts: all message contents joined by newlines, or the prompt."""
    system: str
    """What ``system_contains`` rules match: system and developer messages joined by newlines, or ""."""
    stream: bool
    include_usage: bool
    max_tokens: int | None
    stop: tuple[str, ...]
    images: tuple[str, ...] = ()
    """Each ``image_url`` part, in order: the SHA-256 of a ``data:`` URL's bytes, else the URL."""
    image_data: tuple[bytes | None, ...] = ()
    """Each ``image_url`` part's decoded ``data:`` URL bytes (None for a remote URL), as ``images``."""
    tools: list[dict[str, Any]] | None = None
    """The ``tools`` definitions, as sent."""
    tool_choice: Any = None
    n: int = 1
    """Completions asked for (OpenAI's ``n``)."""


def _content_text(content: Any, images: list[tuple[str, bytes | None]]) -> str:
    """Text of a message ``content`` (text parts joined by newlines); its images go to ``images``."""
    if isinstance(content, str):
        return content
    if content is None:
        return ""
    if not isinstance(content, list):
        raise BadRequest("message 'content' must be a string or a list of content parts")
    texts: list[str] = []
    for part in content:
        if not isinstance(part, dict):
            raise BadRequest("each content part must be an object")
        if part.get("type") == "image_url":
            images.append(_image_ref(part.get("image_url")))
        elif isinstance(part.get("text"), str):
            texts.append(part["text"])
    return "\n".join(texts)


def _image_ref(image_url: Any) -> tuple[str, bytes | None]:
    """The SHA-256 of a ``data:`` URL's decoded bytes and the bytes, or a remote URL as it is and None."""
    url = image_url.get("url") if isinstance(image_url, dict) else image_url
    if not isinstance(url, str):
        raise BadRequest("an image_url part needs 'image_url': {'url': <string>}")
    if not url.startswith("data:"):
        return url, None
    header, comma, payload = url.partition(",")
    if not comma or not header.endswith(";base64"):
        raise BadRequest(f"malformed data URL {url[:40]!r}: expected data:<type>;base64,<data>")
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest(f"malformed data URL: its base64 does not decode ({exc})") from None
    return hashlib.sha256(raw).hexdigest(), raw


def _check_turn(message: dict[str, Any]) -> None:
    """A ``tool`` turn names its call; an assistant's ``tool_calls`` have OpenAI's shape."""
    role = message.get("role")
    if role == "tool" and not isinstance(message.get("tool_call_id"), str):
        raise BadRequest("a 'tool' message needs a 'tool_call_id' string")
    calls = message.get("tool_calls")
    if calls is None:
        return
    if role != "assistant" or not isinstance(calls, list):
        raise BadRequest("'tool_calls' must be a list, on an assistant message")
    for call in calls:
        function = call.get("function") if isinstance(call, dict) else None
        if (
            not isinstance(function, dict)
            or not isinstance(call.get("id"), str)
            or call.get("type") != "function"
            or not isinstance(function.get("name"), str)
            or not isinstance(function.get("arguments"), str)
        ):
            raise BadRequest("each tool call needs 'id', 'type': 'function' and 'function': {'name', 'arguments'}")


def _chat_prompt(body: dict[str, Any], images: list[tuple[str, bytes | None]]) -> tuple[str, str, str]:
    """The question, the whole prompt text and the system text of a chat request."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("'messages' must be a non-empty list")
    texts: list[str] = []
    system: list[str] = []
    question: str | None = None
    for message in messages:
        if not isinstance(message, dict):
            raise BadRequest("each message must be an object")
        text = _content_text(message.get("content"), images)
        texts.append(text)
        role = message.get("role")
        if role == "user":
            question = text
        elif role in ("system", "developer"):
            system.append(text)
        elif role in ("tool", "assistant"):
            _check_turn(message)
    return (texts[-1] if question is None else question), "\n".join(texts), "\n".join(system)


def _tools(body: dict[str, Any]) -> list[dict[str, Any]] | None:
    tools = body.get("tools")
    if tools is None:
        return None
    if not isinstance(tools, list) or not all(
        isinstance(t, dict)
        and t.get("type") == "function"
        and isinstance(t.get("function"), dict)
        and isinstance(t["function"].get("name"), str)
        for t in tools
    ):
        raise BadRequest("'tools' must be a list of {'type': 'function', 'function': {'name', ...}}")
    return tools


def _completion_prompt(body: dict[str, Any]) -> tuple[str, str, str]:
    """The question, the whole prompt text and the (empty) system text of a completions request."""
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1:
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise BadRequest("'prompt' must be a string (the mock server serves one prompt per request)")
    return prompt, prompt, ""


def _max_tokens(body: dict[str, Any]) -> int | None:
    value = body.get("max_completion_tokens")
    if value is None:
        value = body.get("max_tokens")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BadRequest("'max_tokens' must be a non-negative integer")
    return value


def _n(body: dict[str, Any]) -> int:
    value = body.get("n")
    if value is None:
        return 1
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise BadRequest("'n' must be a positive integer")
    return value


def _stop(body: dict[str, Any]) -> tuple[str, ...]:
    stop = body.get("stop")
    if stop is None:
        return ()
    if isinstance(stop, str):
        return (stop,)
    if isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        return tuple(stop)
    raise BadRequest("'stop' must be a string or a list of strings")


class ApiRoute:
    """What differs between chat and completions: where the prompt is and how choices look."""

    def __init__(self, path: str, *, chat: bool) -> None:
        self.path = path
        self.chat = chat
        self.id_prefix = "chatcmpl-mock-" if chat else "cmpl-mock-"
        self._object = "chat.completion" if chat else "text_completion"
        self._chunk_object = b"chat.completion.chunk" if chat else b"text_completion"

    def parse(self, raw: bytes) -> GenerationRequest:
        """Decode and validate a request body.

        Raises:
            BadRequest: invalid JSON, no messages / prompt, or a wrongly typed known field.
        """
        body = decode_body(raw)
        images: list[tuple[str, bytes | None]] = []
        question, prompt_text, system = _chat_prompt(body, images) if self.chat else _completion_prompt(body)
        model = requested_model(body)
        options = body.get("stream_options")
        return GenerationRequest(
            model=model,
            question=question,
            prompt_text=prompt_text,
            system=system,
            stream=bool(body.get("stream")),
            include_usage=isinstance(options, dict) and bool(options.get("include_usage")),
            max_tokens=_max_tokens(body),
            stop=_stop(body),
            images=tuple(ref for ref, _ in images),
            image_data=tuple(data for _, data in images),
            tools=_tools(body) if self.chat else None,
            tool_choice=body.get("tool_choice"),
            n=_n(body),
        )

    def full_body(self, request_id: str, model: str, plans: Sequence[ReplyPlan], usage: dict[str, int]) -> bytes:
        """The non-streaming response document: one choice per plan (``n`` of them)."""
        document = {"id": request_id, "object": self._object, "created": int(time.time()), "model": model}
        document.update(choices=[self._choice(index, plan) for index, plan in enumerate(plans)], usage=usage)
        return orjson.dumps(document)

    def _choice(self, index: int, plan: ReplyPlan) -> dict[str, Any]:
        choice: dict[str, Any] = {"index": index}
        if self.chat:
            message: dict[str, Any] = {"role": "assistant", "content": plan.content}
            if plan.reasoning is not None:
                message["reasoning_content"] = plan.reasoning
            if plan.tool_calls:
                message["content"] = plan.content or None  # OpenAI's shape for a turn that only calls
                message["tool_calls"] = [
                    {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                    for c in plan.tool_calls
                ]
            choice["message"] = message
        else:
            choice["text"] = plan.content
        choice.update(logprobs=None, finish_reason=plan.finish_reason)
        return choice

    def chunk_head(self, request_id: str, model: str) -> bytes:
        """Bytes every SSE chunk of one response starts with, up to and including ``"choices":[``."""
        fields = b'{"id":%b,"object":"%b","created":%d,"model":%b,"choices":['
        encoded = fields % (
            orjson.dumps(request_id),
            self._chunk_object,
            int(time.time()),
            orjson.dumps(model),
        )
        return b"data: " + encoded

    def token_frames(self, head: bytes, plan: ReplyPlan) -> list[bytes]:
        """One SSE chunk per token; in chat the role chunk rides with the first token."""
        if not self.chat:
            text = head + b'{"index":0,"text":'
            return [text + orjson.dumps(t) + _CHOICE_TAIL + _CHUNK_END for t in plan.content_tokens]
        tail = b"}" + _CHOICE_TAIL + _CHUNK_END
        thought = head + b'{"index":0,"delta":{"reasoning_content":'
        frames = [thought + orjson.dumps(t) + tail for t in plan.reasoning_tokens]
        said = head + b'{"index":0,"delta":{"content":'
        frames += [said + orjson.dumps(t) + tail for t in plan.content_tokens]
        for number, call in enumerate(plan.tool_calls):
            frames += _call_frames(head, number, call)
        role = head + b'{"index":0,"delta":{"role":"assistant","content":""}' + _CHOICE_TAIL + _CHUNK_END
        if not frames:
            return [role]
        frames[0] = role + frames[0]
        return frames

    def trailer(self, head: bytes, finish_reason: str, usage: dict[str, int] | None) -> bytes:
        """The chunk carrying ``finish_reason``, the optional usage chunk, and ``[DONE]``."""
        choice = b'{"index":0,"delta":{}' if self.chat else b'{"index":0,"text":""'
        out = head + choice + b',"logprobs":null,"finish_reason":"%b"}' % finish_reason.encode() + _CHUNK_END
        if usage is not None:
            out += head + b'],"usage":' + orjson.dumps(usage) + b"}\n\n"
        return out + DONE

    def broken_frame(self, head: bytes) -> bytes:
        """A ``data:`` line whose JSON stops mid-string, then ``[DONE]``: the malformed-stream fault."""
        return head + (b'{"index":0,"delta":{"content":"' if self.chat else b'{"index":0,"text":"') + b"\n\n" + DONE


def _call_frames(head: bytes, number: int, call: PlannedCall) -> list[bytes]:
    """One tool call as OpenAI streams it: id and name with empty arguments, then argument pieces."""
    opening = {"index": number, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}
    fragments = [opening, *({"index": number, "function": {"arguments": p}} for p in call.pieces)]
    start = head + b'{"index":0,"delta":{"tool_calls":['
    return [start + orjson.dumps(fragment) + b"]}" + _CHOICE_TAIL + _CHUNK_END for fragment in fragments]


CHAT = ApiRoute(CHAT_PATH, chat=True)
COMPLETIONS = ApiRoute(COMPLETIONS_PATH, chat=False)
