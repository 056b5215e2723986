"""Builders of OpenAI SSE chunks for the wire-reader tests, and a reader fed with fixed arrival times."""

from __future__ import annotations

from typing import Any

import orjson

from assay.models.openai_stream import OpenAIReply, OpenAIStreamReader

USAGE = b'data: {"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}}\n\n'
DONE = b"data: [DONE]\n\n"


def chunk(content: str | None = None, *, index: int = 0, finish: str | None = None, **delta: Any) -> bytes:
    if content is not None:
        delta["content"] = content
    choice = {"index": index, "delta": delta, "finish_reason": finish}
    return b"data: " + orjson.dumps({"object": "chat.completion.chunk", "choices": [choice]}) + b"\n\n"


def fragment(call: int, *, id: str | None = None, name: str | None = None, arguments: str | None = None) -> bytes:
    function = {k: v for k, v in (("name", name), ("arguments", arguments)) if v is not None}
    piece: dict[str, Any] = {"index": call, "function": function}
    if id is not None:
        piece.update(id=id, type="function")
    return chunk(tool_calls=[piece])


def read(chunks: list[bytes]) -> OpenAIReply:
    """Feed ``chunks``, the i-th arriving at (i + 1) * 1000 ns."""
    reader = OpenAIStreamReader()
    for i, piece in enumerate(chunks):
        reader.feed(piece, (i + 1) * 1000)
    return reader.finish()
