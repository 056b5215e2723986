"""The mock server's clock: when a request arrived, when each chunk left, and sleeping to a deadline.

Timing benches compare a client's measurements with these stamps, so they are taken where the
bytes are, not where a handler gets to run: arrival in the connection's ``data_received``, sends
right after each write. All times are ``time.perf_counter_ns()``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from aiohttp import web


class StampingRequestHandler(web.RequestHandler):
    """aiohttp's connection protocol, noting when each request's first bytes arrive.

    One request at a time per connection (clients do not pipeline), so "first bytes since the
    handler last took the stamp" is the arrival of the current request.
    """

    arrival_ns = 0

    def data_received(self, data: bytes) -> None:
        if not self.arrival_ns:
            self.arrival_ns = time.perf_counter_ns()
        super().data_received(data)

    def take_arrival(self, fallback_ns: int) -> int:
        arrival, self.arrival_ns = self.arrival_ns, 0
        return arrival if 0 < arrival <= fallback_ns else fallback_ns


class StampingServer(web.Server):
    """A low-level aiohttp server whose connections stamp request arrival (see above)."""

    def __call__(self) -> web.RequestHandler:
        return StampingRequestHandler(self, loop=self._loop, **self._kwargs)


@dataclass(slots=True)
class Trace:
    """One line of the ``record_path`` file. Times are ``time.perf_counter_ns()`` except *_unix_ns.

    ``arrival_ns`` is when the request's first bytes reached the server process (the connection's
    ``data_received``), not when its handler got to run: under a burst of simultaneous requests the
    handlers start one after another, and that queueing belongs to the server's timing, not to the
    client's. The server also schedules its TTFT from this instant. ``chunk_ns`` has
    one entry per streamed token chunk (one for a non-streamed body); chunks written together share
    a timestamp. ``first_byte_unix_ns`` anchors the perf-counter times to the wall clock.
    """

    endpoint: str
    arrival_ns: int
    request_id: str = ""
    outcome: str = ""
    stream: bool = False
    first_byte_ns: int | None = None
    first_byte_unix_ns: int | None = None
    chunk_ns: list[int] = field(default_factory=list)

    def sent(self, chunks: int = 1) -> None:
        now = time.perf_counter_ns()
        if self.first_byte_ns is None:
            self.first_byte_ns = now
            self.first_byte_unix_ns = time.time_ns()
        self.chunk_ns.extend([now] * chunks)


async def sleep_until(deadline: float) -> None:
    """Sleep until ``time.perf_counter()`` reaches ``deadline``.

    Loops because uvloop rounds timers to whole milliseconds and can wake up to 0.5 ms early.
    """
    while (remaining := deadline - time.perf_counter()) > 0:
        await asyncio.sleep(remaining)
