"""Server-sent events, read back from the raw chunks the client stamped on arrival.

The client stores each chunk's bytes and ``perf_counter_ns`` arrival time and nothing else; the
events are found afterwards. An event is complete when its terminating blank line arrives, so its
arrival time is the stamp of the chunk holding the last byte of that blank line: an event split
across two chunks arrived with the second, and two events in one chunk arrived together.

Parsing follows the SSE specification (https://html.spec.whatwg.org/#event-stream-interpretation):
lines end in CRLF, LF or CR; a line starting with ``:`` is a comment (a keep-alive ping); ``data:``
lines are joined with newlines; the one space after the colon is dropped; a block without
``data`` is no event.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

# A blank line: two line ends in a row, where CR LF counts as one line end.
_EVENT_END = re.compile(rb"(?:\r\n|\r(?!\n)|\n)(?:\r\n|\r|\n)")
_LINE_END = re.compile(r"\r\n|\r|\n")


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
    #: Bytes after the last blank line: an event the stream ended in the middle of (or b"").
    tail: bytes
    #: Arrival time of the tail's last byte (the last chunk), or None without a tail.
    tail_ns: int | None


def split_events(chunks: Sequence[bytes], chunk_ns: Sequence[int]) -> SseStream:
    """The complete events in ``chunks`` with their arrival times, and the unterminated tail.

    Example:
        >>> stream = split_events([b"data: a\\n", b"\\ndata: b\\n\\n"], [10, 20])
        >>> [(e.data, e.arrival_ns) for e in stream.events]
        [('a', 20), ('b', 20)]
    """
    body = b"".join(chunks)
    chunk_ends = list(itertools.accumulate(len(chunk) for chunk in chunks))
    events: list[SseEvent] = []
    start = 0
    for match in _EVENT_END.finditer(body):
        block = body[start : match.start()]
        start = match.end()
        # The event ended with the byte at match.end() - 1: find the chunk that carried it.
        arrival = chunk_ns[bisect.bisect_right(chunk_ends, match.end() - 1)]
        event = parse_block(block, arrival)
        if event is not None:
            events.append(event)
    tail = body[start:]
    return SseStream(events, tail, chunk_ns[-1] if tail.strip() else None)


def parse_block(block: bytes, arrival_ns: int) -> SseEvent | None:
    """The event one block of lines (without its blank line) describes, or None if it has no data."""
    data: list[str] = []
    event_type: str | None = None
    for line in _LINE_END.split(block.decode("utf-8", errors="replace")):
        if not line or line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data.append(value)
        elif name == "event":
            event_type = value
    if not data:
        return None
    return SseEvent("\n".join(data), arrival_ns, event_type)
