"""The raw record of one benchmark request, and what is parsed from it afterwards.

The client's hot path only stamps and stores: the send time, and for every chunk read from the
socket its arrival time (``time.perf_counter_ns()``, CLOCK_MONOTONIC on Linux, so comparable across
the worker processes of one machine) and its bytes. Parsing SSE, finding the first token and
counting tokens happens after the response is complete (or after the run), so parsing cost never
delays a timestamp. Every metric is a pure function of these records, which are stored in SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Outcome(str, Enum):
    """How a request ended; failures are counted by class and never enter latency statistics."""

    OK = "ok"
    HTTP_ERROR = "http_error"  # non-2xx status (see ``status``)
    TIMEOUT = "timeout"  # connect / read / total timeout fired
    BROKEN_STREAM = "broken_stream"  # connection closed before the response ended (no [DONE] / short body)
    MALFORMED = "malformed"  # the body or an SSE event was not the JSON the API promises
    CONNECT_ERROR = "connect_error"  # refused, reset, DNS failure
    CANCELLED = "cancelled"  # stopped by Ctrl-C or the end of a --duration run


@dataclass(slots=True)
class RequestRecord:
    """Everything measured about one request, as the client saw it.

    Times are ``perf_counter_ns`` values; ``wall_offset_ns`` converts them to Unix time
    (``unix_ns = t + wall_offset_ns``) for storage and plots.
    """

    request_id: int
    worker: int
    #: Open loop: when the schedule said to send (coordinated-omission-free latency starts here).
    intended_ns: int | None
    #: When the request was handed to the socket (a retried request: when the retry was).
    start_ns: int
    #: When the response ended (last byte read, or the failure).
    end_ns: int
    #: Arrival time of every chunk read from the socket, in order.
    chunk_ns: list[int] = field(default_factory=list)
    #: The bytes of every chunk, aligned with ``chunk_ns``.
    chunks: list[bytes] = field(default_factory=list)
    status: int | None = None
    outcome: Outcome = Outcome.OK
    error: str | None = None
    stream: bool = True
    #: The prompt as sent (text, or token ids for --tokenize-prompt), and its length in tokens if the
    #: prompt source knows it (random prompts made with a tokenizer do).
    prompt: str | list[int] = ""
    prompt_tokens_expected: int | None = None
    wall_offset_ns: int = 0
    warmup: bool = False
    #: Size of the request body sent, in bytes (JSON, images inline as base64): what the request carried.
    request_bytes: int = 0
    #: Images in the request (``image_url`` parts); 0 for a text prompt.
    images: int = 0
    #: Times the request was sent again because its body could not be written to the connection
    #: (one the server had closed) before any response byte arrived: 0 or 1. The times above are the
    #: retry's; the failed try took no server work and is not measured.
    body_write_retries: int = 0


@dataclass(slots=True)
class ParsedResponse:
    """What the API plugin reads out of a record's chunks (after the request, off the hot path)."""

    text: str = ""
    reasoning: str = ""
    #: Arrival time (ns) of each event that carried output (content or reasoning), in order.
    token_event_ns: list[int] = field(default_factory=list)
    #: Output tokens carried by each such event, when known (usually 1; speculative decoding and
    #: batching servers send several): used for per-token ITL.
    tokens_per_event: list[int] = field(default_factory=list)
    usage_prompt_tokens: int | None = None
    usage_completion_tokens: int | None = None
    finish_reason: str | None = None
    #: A parse failure turns an "ok" record into MALFORMED / BROKEN_STREAM with this reason.
    failure: Outcome | None = None
    failure_reason: str | None = None
