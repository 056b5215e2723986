"""Server-sent events, decoded incrementally from bytes as they come off the socket.

One decoder serves every reader of an SSE body: the eval client feeds it while the response is
still arriving, and ``assay perf`` feeds it the raw chunks it stamped on arrival, after the run.
Both therefore see the same events at the same times.

Parsing follows the SSE specification (https://html.spec.whatwg.org/#event-stream-interpretation):
lines end in CRLF, LF or CR; a line starting with ``:`` is a comment (a keep-alive ping); ``data:``
lines are joined with newlines; the one space after the colon is dropped; an ``event:`` line names
the event's type; a block without ``data`` is no event. An event is complete when its terminating
blank line arrives, so its arrival time is that of the chunk holding the blank line's last line
end: an event split across two chunks arrived with the second, and two events in one chunk arrived
together. A CR ends a line by itself, so a CRLF split between two chunks ends its line in the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One event: its ``data`` (lines joined by ``\\n``), ``event`` type if named, arrival time."""

    data: str
    arrival_ns: int
    event: str | None = None


@dataclass(frozen=True, slots=True)
class SseStream:
    """The events of a response, and what followed the last complete event."""

    events: list[SseEvent]
    #: Bytes after the last blank line (line ends turned into ``\\n``): an event the stream ended
    #: in the middle of, or b"".
    tail: bytes
    #: Arrival time of the tail's last byte (the last chunk), or None without a tail.
    tail_ns: int | None


class SseDecoder:
    """Turns chunks of an SSE body into events, calling :meth:`on_event` for each complete one.

    Subclasses override :meth:`on_event`. The common event, one ``data: ...`` line, is handed over
    without splitting it into lines, which keeps a streamed answer cheap to read on the hot path.

    Example:
        >>> class Printer(SseDecoder):
        ...     def on_event(self, data: bytes, event: bytes | None, arrival_ns: int) -> None:
        ...         print(data, event, arrival_ns)
        >>> decoder = Printer()
        >>> decoder.feed(b"data: a\\r\\n", 10)
        >>> decoder.feed(b"\\r\\nevent: note\\rdata: b\\rdata: c\\r\\r", 20)
        b'a' None 20
        b'b\\nc' b'note' 20
    """

    __slots__ = ("_buffer", "_skip_lf", "last_arrival_ns", "other_blocks")

    def __init__(self) -> None:
        self._buffer = b""
        # The previous chunk ended in CR: a LF starting this one is the rest of that CRLF.
        self._skip_lf = False
        #: Arrival time of the last chunk fed (0 before any).
        self.last_arrival_ns = 0
        #: Blocks that were no event: comments (keep-alive pings), or fields without ``data``.
        self.other_blocks = 0

    def feed(self, chunk: bytes, arrival_ns: int) -> None:
        """Take the next bytes off the wire, received at ``arrival_ns``; handle every event they complete."""
        self.last_arrival_ns = arrival_ns
        if self._skip_lf:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if b"\r" in chunk:
            self._skip_lf = chunk[-1:] == b"\r"
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if self._buffer:
            chunk = self._buffer + chunk
        blocks = chunk.split(b"\n\n")
        self._buffer = blocks.pop()
        for block in blocks:
            if block[:6] == b"data: " and b"\n" not in block:
                self.on_event(block[6:], None, arrival_ns)
            elif block:
                self._block(block, arrival_ns)

    @property
    def tail(self) -> bytes:
        """What arrived after the last complete event (line ends turned into ``\\n``)."""
        return self._buffer

    def flush_tail(self) -> bool:
        """Handle an unterminated last block as an event, as if its blank line had come; True if it was one."""
        tail, self._buffer = self._buffer, b""
        return bool(tail.strip()) and self._block(tail.strip(b"\n"), self.last_arrival_ns)

    def on_event(self, data: bytes, event: bytes | None, arrival_ns: int) -> None:
        """Handle one event: its data lines joined by ``\\n``, its ``event:`` type if any."""
        raise NotImplementedError

    def _block(self, block: bytes, arrival_ns: int) -> bool:
        data: list[bytes] = []
        event: bytes | None = None
        for line in block.split(b"\n"):
            if not line or line[:1] == b":":
                continue
            name, _, value = line.partition(b":")
            if value[:1] == b" ":
                value = value[1:]
            if name == b"data":
                data.append(value)
            elif name == b"event":
                event = value
        if not data:
            self.other_blocks += 1
            return False
        self.on_event(b"\n".join(data), event, arrival_ns)
        return True


class _Collector(SseDecoder):
    __slots__ = ("events",)

    def __init__(self) -> None:
        super().__init__()
        self.events: list[SseEvent] = []

    def on_event(self, data: bytes, event: bytes | None, arrival_ns: int) -> None:
        decoded = None if event is None else event.decode("utf-8", errors="replace")
        self.events.append(SseEvent(data.decode("utf-8", errors="replace"), arrival_ns, decoded))


def split_events(chunks: Sequence[bytes], chunk_ns: Sequence[int]) -> SseStream:
    """The complete events in recorded ``chunks`` with their arrival times, and the unterminated tail.

    Example:
        >>> stream = split_events([b"data: a\\n", b"\\ndata: b\\n\\n"], [10, 20])
        >>> [(e.data, e.arrival_ns) for e in stream.events]
        [('a', 20), ('b', 20)]
    """
    collector = _Collector()
    for chunk, arrival_ns in zip(chunks, chunk_ns, strict=True):
        collector.feed(chunk, arrival_ns)
    tail = collector.tail
    return SseStream(collector.events, tail, chunk_ns[-1] if tail.strip() else None)
