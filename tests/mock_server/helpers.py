"""Raw HTTP helpers for the mock-server tests: see exactly what went over the wire, broken bodies included."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson


@dataclass
class Reply:
    """What a raw HTTP call saw, including a body that broke off."""

    status: int
    headers: dict[str, str]
    body: bytes
    error: Exception | None = None
    chunk_times: list[float] = field(default_factory=list)

    def json(self) -> Any:
        return orjson.loads(self.body)

    def events(self) -> list[str]:
        """The ``data:`` payloads of an SSE body, in order."""
        return [line[6:] for line in self.body.decode().split("\n\n") if line.startswith("data: ")]

    def chunks(self) -> list[dict[str, Any]]:
        return [json.loads(e) for e in self.events() if e != "[DONE]"]


def call(
    url: str,
    body: Any,
    *,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
    raw: bytes | None = None,
) -> Reply:
    """POST ``body`` and read the whole answer, noting when each piece of the body arrived."""

    async def go() -> Reply:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            data = raw if raw is not None else orjson.dumps(body)
            async with session.post(url, data=data, headers=headers) as resp:
                out = Reply(resp.status, dict(resp.headers), b"")
                try:
                    async for piece in resp.content.iter_any():
                        out.body += piece
                        out.chunk_times.append(time.perf_counter())
                except aiohttp.ClientPayloadError as exc:
                    out.error = exc
                return out

    return asyncio.run(go())


def chat(text: str, *, system: str | None = None, **extra: Any) -> dict[str, Any]:
    """A chat request body asking ``text``, after a system message when ``system`` is given."""
    messages = [{"role": "system", "content": system}] if system is not None else []
    return {"model": "mock-model", "messages": [*messages, {"role": "user", "content": text}], **extra}
