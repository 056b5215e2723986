"""Sending an answer on schedule: the timing model, and the faults that break a response mid-way.

Timing model, for a request arriving at ``t0`` whose reply has ``n`` tokens: streamed token ``i``
is written at ``t0 + ttft + i * itl`` (absolute deadlines, so sleep error never accumulates) and a
non-streamed reply at ``t0 + ttft + itl * (n - 1) + latency``. In a stream the HTTP headers go out
at once and the assistant-role chunk travels with the first token, so "time to first chunk" and
"time to first token" both equal ``ttft``.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from assay.mock_server._config import ServerConfig
from assay.mock_server._faults import Fault
from assay.mock_server._protocol import SSE_HEADERS
from assay.mock_server._stamping import Trace, sleep_until

JSON_TYPE = "application/json"


def drop(request: web.BaseRequest) -> None:
    """Close the connection once what was written is flushed, leaving the response unfinished."""
    transport = request.transport
    if transport is not None:
        transport.close()


def json_response(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response of pre-encoded ``body``."""
    return web.Response(status=status, body=body, content_type=JSON_TYPE, headers=headers)


class Sender:
    """Writes answers at their deadlines, hangs, and truncates or garbles them when a fault says so."""

    def __init__(self, config: ServerConfig) -> None:
        self._ttft_s = config.ttft_ms / 1000
        self._itl_s = config.itl_ms / 1000
        self._latency_s = config.latency_ms / 1000
        self._hang_s = config.hang_s

    async def hang(self, request: web.BaseRequest) -> web.StreamResponse:
        """Send nothing, not even headers, for ``hang_s``, then close: every client timeout can fire.

        A client that gives up first cancels this handler. The returned response is never
        delivered: the connection is closed by then and aiohttp discards the write.
        """
        try:
            await asyncio.sleep(self._hang_s)
        finally:
            drop(request)
        return web.Response()

    async def json(
        self,
        request: web.BaseRequest,
        body: bytes,
        tokens: int,
        start: float,
        fault: Fault | None,
        trace: Trace | None,
    ) -> web.StreamResponse:
        await sleep_until(start + self._ttft_s + self._itl_s * max(tokens - 1, 0) + self._latency_s)
        if trace is not None:
            trace.sent()
        if fault is Fault.MALFORMED:
            return json_response(body[: len(body) // 2])
        if fault is Fault.TRUNCATE:
            # Announce the full length, send half, hang up: the client sees a short body.
            response = web.StreamResponse(headers={"Content-Type": JSON_TYPE})
            response.content_length = len(body)
            await response.prepare(request)
            await response.write(body[: len(body) // 2])
            drop(request)
            return response
        return json_response(body)

    async def stream(
        self,
        request: web.BaseRequest,
        frames: list[bytes],
        start: float,
        fault: Fault | None,
        trace: Trace | None,
    ) -> web.StreamResponse:
        """Write frame ``i`` at ``start + ttft + i * itl``; frames due together go in one write."""
        if fault is None and self._ttft_s == 0 and self._itl_s == 0:
            # Zero-latency fast path: headers, every chunk and the chunked terminator in one send.
            whole = web.Response(body=b"".join(frames), headers=SSE_HEADERS)
            whole.enable_chunked_encoding()
            if trace is not None:
                trace.sent(len(frames))
            return whole
        stream = web.StreamResponse(headers=SSE_HEADERS)
        await stream.prepare(request)
        first = start + self._ttft_s
        if self._itl_s == 0:
            await sleep_until(first)
            await stream.write(b"".join(frames))
            if trace is not None:
                trace.sent(len(frames))
        else:
            for i, frame in enumerate(frames):
                await sleep_until(first + i * self._itl_s)
                await stream.write(frame)
                if trace is not None:
                    trace.sent()
        if fault is Fault.TRUNCATE:
            drop(request)
        return stream
