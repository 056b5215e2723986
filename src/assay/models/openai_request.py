"""What the openai_api backend sends: request bodies for chat, completions and embeddings.

Kept apart from the transport (:mod:`assay.models.openai_api`) because it is pure: messages,
tools and settings in, JSON-ready dicts out. A text-only message is sent as exactly
``{"role", "content"}``, so prompts without images or tools go over the wire byte for byte as they
did before images and tools existed; the richer shapes follow OpenAI's Chat Completions API:

* content parts: ``{"type": "text", "text"}`` and ``{"type": "image_url", "image_url": {"url",
  "detail"}}``, the URL being the image's remote URL or a ``data:`` URL of its bytes;
* an assistant turn's calls: ``tool_calls: [{"id", "type": "function", "function": {"name",
  "arguments"}}]`` (content ``null`` when the turn said nothing else); a ``tool`` turn names the
  call it answers in ``tool_call_id``;
* ``tools: [{"type": "function", "function": {"name", "description", "parameters"}}]`` and a
  ``tool_choice`` of ``auto`` / ``none`` / ``required`` or ``{"type": "function", "function":
  {"name"}}`` for one named function.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
from yarl import URL

from assay.errors import UserError
from assay.models.image_encoding import ImageOptions, image_url
from assay.secrets import secret_header_values
from assay.types import ChatMessage, GenerateConfig, ImagePart, TextPart, ToolChoice, ToolInfo

#: GenerateConfig fields sent under their own name when set (``top_k`` included: vLLM and SGLang
#: read it from the top level of the body, which is where OpenAI's ``extra_body`` puts it too).
SAMPLING_FIELDS = (
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "seed",
    "stop",
    "n",
    "presence_penalty",
    "frequency_penalty",
)
#: Images sent as they are.
NO_CHANGE = ImageOptions()
#: ``tool_choice`` values OpenAI takes as they are; any other string names a function.
TOOL_CHOICE_MODES = frozenset({"auto", "none", "required"})


@dataclass(frozen=True, slots=True)
class RequestPlan:
    """Everything about a request that depends only on the GenerateConfig, built once per config."""

    body: dict[str, Any]
    headers: dict[str, str] | None
    timeout: aiohttp.ClientTimeout
    stream: bool
    #: Largest answer read (a body, or the sum of a stream's chunks), bytes; None = no limit.
    max_response_bytes: int | None = None
    #: The credentials in ``headers`` (``extra_headers``), removed from any server text we keep.
    secrets: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, model: str, config: GenerateConfig, headers: dict[str, str] | None = None) -> RequestPlan:
        """Sampling fields, the user's extra keys, streaming options, then ``extra_body`` over all.

        ``headers`` are the request's headers (the backend's auth merged with ``extra_headers``);
        None sends ``config.extra_headers`` alone.
        """
        if headers is None:
            headers = dict(config.extra_headers) if config.extra_headers else None
        body: dict[str, Any] = {"model": model}
        for name in SAMPLING_FIELDS:
            value = getattr(config, name)
            if value is not None:
                body[name] = value
        body.update(config.request_extras())
        if config.stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        # Last, so a user can override anything above (e.g. drop stream_options for an old server).
        body.update(config.extra_body or {})
        return cls(
            body=body,
            headers=headers or None,
            # sock_read bounds each wait for bytes (a silent server, a stalled stream) without
            # cutting off a long generation that keeps streaming; total stays the user's choice.
            timeout=aiohttp.ClientTimeout(total=config.timeout, sock_read=config.read_timeout),
            stream=config.stream,
            max_response_bytes=config.max_response_bytes,
            secrets=tuple(secret_header_values(headers)),
        )


def chat_messages(messages: Sequence[ChatMessage], images: ImageOptions = NO_CHANGE) -> list[dict[str, Any]]:
    """The ``messages`` of a Chat Completions body; ``images`` says how images are encoded.

    Example:
        >>> chat_messages([ChatMessage(role="user", content="2+2?")])
        [{'role': 'user', 'content': '2+2?'}]
    """
    return [
        {"role": m.role, "content": m.content}
        if type(m.content) is str and m.tool_calls is None and m.tool_call_id is None
        else _rich_message(m, images)
        for m in messages
    ]


def completions_prompt(messages: Sequence[ChatMessage]) -> str:
    """Chat messages as one Completions prompt: their texts joined by blank lines, no chat template.

    Raises:
        UserError: a message holds an image, which a Completions prompt cannot carry.
    """
    if any(m.images for m in messages):
        raise UserError(
            "this prompt has images, which the completions API cannot send; use the chat API "
            "(model_args api=chat and an --api-url that does not end in /completions)"
        )
    return "\n\n".join(m.text for m in messages)


def tools_json(tools: Sequence[ToolInfo]) -> list[dict[str, Any]]:
    """The ``tools`` of a Chat Completions body."""
    return [
        {
            "type": "function",
            "function": {"name": tool.name, "description": tool.description, "parameters": tool.parameters},
        }
        for tool in tools
    ]


def tool_choice_json(choice: ToolChoice) -> str | dict[str, Any]:
    """``auto`` / ``none`` / ``required`` as they are; any other string forces that function.

    Example:
        >>> tool_choice_json("auto"), tool_choice_json("get_weather")
        ('auto', {'type': 'function', 'function': {'name': 'get_weather'}})
    """
    if choice in TOOL_CHOICE_MODES:
        return choice
    return {"type": "function", "function": {"name": choice}}


def embedding_body(model: str, text: str, dimensions: int | None) -> dict[str, Any]:
    """An ``/embeddings`` body; ``dimensions`` only when asked for, since many servers reject the key."""
    body: dict[str, Any] = {"model": model, "input": text}
    if dimensions is not None:
        body["dimensions"] = dimensions
    return body


def _rich_message(message: ChatMessage, images: ImageOptions) -> dict[str, Any]:
    content: Any = message.content
    if not isinstance(message.content, str):
        content = [_part_json(part, images) for part in message.content]
    out: dict[str, Any] = {"role": message.role, "content": content}
    if message.tool_calls:
        out["tool_calls"] = [
            {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
            for call in message.tool_calls
        ]
        if content == "" or content == []:
            out["content"] = None  # what OpenAI itself sends for a turn that only calls tools
    if message.tool_call_id is not None:
        out["tool_call_id"] = message.tool_call_id
    return out


def _part_json(part: TextPart | ImagePart, images: ImageOptions) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    try:
        image: dict[str, Any] = {"url": image_url(part, images)}
    except OSError as exc:
        raise UserError(f"cannot read the image {part.source}: {exc.strerror or exc}") from None
    if part.detail is not None:
        image["detail"] = part.detail
    return {"type": "image_url", "image_url": image}


# -- the server URL and boolean model_args ---------------------------------------------------------------

ApiKind = Literal["chat", "completions"]
_ENDPOINT_SUFFIXES: tuple[tuple[str, ApiKind], ...] = (
    ("/chat/completions", "chat"),
    ("/completions", "completions"),
)


def split_endpoint(api_url: str) -> tuple[URL, ApiKind | None]:
    """Cut a trailing endpoint off ``api_url`` and say which API it named, if any."""
    text = api_url.strip().rstrip("/")
    api: ApiKind | None = None
    for suffix, kind in _ENDPOINT_SUFFIXES:
        if text.endswith(suffix):
            text, api = text[: -len(suffix)], kind
            break
    url = URL(text)
    if url.scheme not in ("http", "https") or not url.host:
        shown = str(url.with_user(None)) if url.absolute else text
        raise UserError(f"--api-url must be an http(s) URL such as http://127.0.0.1:8000/v1, got {shown!r}")
    return url, api


def as_bool(value: bool | str) -> bool:
    """Accept ``verify_ssl=false`` from ``k=v`` style --model-args as well as a real bool."""
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off")
    return bool(value)
