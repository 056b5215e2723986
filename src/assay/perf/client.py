"""The benchmark's HTTP client: send pre-encoded bodies, stamp every response chunk on arrival.

The hot path does as little as possible between the socket and the clock: it awaits
``StreamReader.readany()`` (whatever bytes have arrived) and calls ``time.perf_counter_ns()`` before
anything else, keeping the raw bytes. There is no JSON or SSE parsing, no logging and no per-request
allocation beyond the record, so the measured times are the network's, not the client's. The API
plugin parses the bytes after the run.

Closer still: aiohttp's connection protocol is replaced by :class:`_StampingHandler`, which stamps
each socket read in ``data_received`` (before aiohttp parses it) and each request's first write to
the transport. Under a burst of 64 streams answering at once, the coroutine behind ``readany()``
wakes up to a millisecond after its bytes arrived, and a request reaches the socket a few hundred
microseconds after its coroutine asked to send it; the socket-level stamps remove both (measured
against the test server's own send times: first-chunk stamp 30 µs after the server's write at the
median, 0.2 ms at p99), for about 7 µs of CPU per request. The ``readany()`` stamps stay as the
fallback should an aiohttp release change these internals.

One :class:`aiohttp.ClientSession` per worker process, with an unlimited connector: the scheduler,
not the connection pool, decides how many requests are in flight.

Failures are classified, never raised: timeouts are ``TIMEOUT``; a refused / reset connection
before any response is ``CONNECT_ERROR``; a non-2xx status is ``HTTP_ERROR`` (status and the start
of the body kept); a connection lost after the status line is ``BROKEN_STREAM``. Redirects are never
followed: a 3xx is an ``HTTP_ERROR`` naming its ``Location`` (following one would send the prompt and
any key headers to wherever the server points, another host or port included).

One failure is retried, once: a request whose body could not be written to a connection the server
had already closed (an idle keep-alive connection, closed as the request was being sent), when no
byte of a response had arrived. The server cannot have started that request, so sending it again on
a new connection measures the server, not the client's luck with a stale socket; the record counts
it in ``body_write_retries`` and its ``start_ns`` is the retry's send time. A request whose body
was written is never retried, even if no answer came (the server may have been working on it).

Example:
    >>> async def once(endpoint: Endpoint, body: bytes) -> RequestRecord:  # doctest: +SKIP
    ...     async with open_session(endpoint) as session:
    ...         record = RequestRecord(request_id=0, worker=0, intended_ns=None, start_ns=0, end_ns=0)
    ...         await Sender(session, endpoint).send(body, record)
    ...         return record
"""

from __future__ import annotations

import asyncio
import functools
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.client_proto import ResponseHandler
from aiohttp.payload import BytesPayload
from yarl import URL

from assay.perf._records import Outcome, RequestRecord
from assay.secrets import mask_url

#: Bytes of an error response kept in ``RequestRecord.error``.
ERROR_EXCERPT_BYTES = 300

#: Endpoint paths that mean "the URL is already complete" (EvalScope's list, plus the usual ones).
_KNOWN_ENDPOINTS = ("chat/completions", "completions", "responses", "embeddings", "reranks", "rerank")


def endpoint_url(url: str, default_path: str) -> str:
    """``url`` itself if it names an endpoint, else ``url`` + the API's ``default_path``.

    EvalScope appends the API's path to a base URL such as ``http://host:8000/v1``
    (``Arguments._resolve_openai_compatible_url``); so does this.

    Example:
        >>> endpoint_url("http://h:8000/v1", "/chat/completions")
        'http://h:8000/v1/chat/completions'
        >>> endpoint_url("http://h:8000/v1/completions", "/chat/completions")
        'http://h:8000/v1/completions'
    """
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if not default_path or any(path.endswith("/" + known) for known in _KNOWN_ENDPOINTS):
        return url
    return parts._replace(path=path + "/" + default_path.lstrip("/")).geturl()


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where and how every request of a run is sent (picklable: workers receive it)."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    connect_timeout_s: float | None = None
    read_timeout_s: float | None = None
    total_timeout_s: float | None = None


class _StampingTransport:
    """The connection's transport, noting when a request's first bytes are handed to it."""

    __slots__ = ("_transport", "first_write_ns")

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self.first_write_ns = 0

    def write(self, data: Any) -> None:
        if not self.first_write_ns:
            self.first_write_ns = time.perf_counter_ns()
        self._transport.write(data)

    def writelines(self, chunks: Any) -> None:
        if not self.first_write_ns:
            self.first_write_ns = time.perf_counter_ns()
        self._transport.writelines(chunks)

    def is_closing(self) -> bool:
        return bool(self._transport.is_closing())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _StampingHandler(ResponseHandler):
    """aiohttp's connection protocol, stamping when a request leaves and every socket read arrives.

    ``data_received`` is the first Python code to see a socket read: stamping there, before
    aiohttp parses the bytes, is exact to the loop's I/O callback. A coroutine awaiting
    ``readany()`` wakes only after the loop has run every I/O callback of that iteration and the
    tasks queued before it: with 64 streams answering together that is up to a millisecond later.
    Likewise the request's send time is when its bytes reach the transport, not when the coroutine
    asked for it (connection pooling and request building lie between, longer under a burst).
    Measured against the test server's own send times (64 streams, 50 ms TTFT), stamping here
    put the client's first-chunk stamp 30 µs after the server's write at the median.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop)
        #: (arrival ns, the response stream fed, its total payload bytes after this read).
        self.arrivals: list[tuple[int, object, int]] = []
        #: When the latest socket read arrived (0: none yet): did a failed request see any answer?
        self.last_read_ns = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.transport = _StampingTransport(transport)  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        now = self.last_read_ns = time.perf_counter_ns()
        super().data_received(data)
        payload = self._payload
        if payload is None:
            return
        total = payload.total_bytes
        arrivals = self.arrivals
        if total and not (arrivals and arrivals[-1][2] == total and arrivals[-1][1] is payload):
            arrivals.append((now, payload, total))

    def take_send_time(self, not_before_ns: int) -> int:
        """When this request's first bytes were written (``not_before_ns`` if not seen)."""
        transport = self.transport
        written = transport.first_write_ns if isinstance(transport, _StampingTransport) else 0
        if isinstance(transport, _StampingTransport):
            transport.first_write_ns = 0
        return written if written >= not_before_ns else not_before_ns

    def restamp(self, record: RequestRecord, content: aiohttp.StreamReader | None) -> None:
        """Replace ``record``'s read-time chunk stamps by those of the socket reads that carried them."""
        arrivals, self.arrivals = self.arrivals, []
        if arrivals and arrivals[0][1] is not content:  # left over from an earlier, failed response
            arrivals = [entry for entry in arrivals if entry[1] is content]
        chunks = record.chunks
        if not arrivals or arrivals[-1][2] != sum(map(len, chunks)):
            return  # bytes not accounted for: keep the read-time stamps
        if len(arrivals) == len(chunks):  # usually one read per chunk: keep the bytes, fix the times
            record.chunk_ns = [t for t, _, _ in arrivals]
            return
        body = b"".join(chunks)
        record.chunk_ns, record.chunks, start = [], [], 0
        for t, _, end in arrivals:
            record.chunk_ns.append(t)
            record.chunks.append(body[start:end])
            start = end


class _TrackedBody(BytesPayload):
    """A request body that notes the connection it was written to and whether it was written whole."""

    def __init__(self, body: bytes) -> None:
        super().__init__(body)  # the same payload aiohttp makes of plain bytes
        self.handler: _StampingHandler | None = None
        self.written = False

    def _note(self, writer: Any) -> None:
        protocol = getattr(writer, "protocol", None)
        self.handler = protocol if isinstance(protocol, _StampingHandler) else None

    async def write(self, writer: Any) -> None:
        self._note(writer)
        await super().write(writer)
        self.written = True

    async def write_with_length(self, writer: Any, content_length: int | None) -> None:
        self._note(writer)
        await super().write_with_length(writer, content_length)
        self.written = True

    def unanswered_since(self, sent_ns: int) -> bool:
        """True when the body was not written whole and no response byte arrived after ``sent_ns``."""
        handler = self.handler
        return not self.written and (handler is None or handler.last_read_ns < sent_ns)


def open_session(endpoint: Endpoint, *, fresh_connections: bool = False) -> aiohttp.ClientSession:
    """A session for one worker's event loop (call inside the running loop).

    ``fresh_connections``: every request opens its own connection and closes it after (the retry of
    a request that a stale connection failed, see :class:`Sender`).
    """
    connector = aiohttp.TCPConnector(
        limit=0, ttl_dns_cache=300, keepalive_timeout=None if fresh_connections else 60, force_close=fresh_connections
    )
    if isinstance(getattr(connector, "_factory", None), functools.partial):  # aiohttp internals: optional
        connector._factory = functools.partial(_StampingHandler, loop=asyncio.get_running_loop())  # type: ignore[assignment]
    timeout = aiohttp.ClientTimeout(
        total=endpoint.total_timeout_s,
        sock_connect=endpoint.connect_timeout_s,
        sock_read=endpoint.read_timeout_s,
    )
    return aiohttp.ClientSession(connector=connector, timeout=timeout, headers=endpoint.headers, trust_env=False)


async def preconnect(session: aiohttp.ClientSession, endpoint: Endpoint, connections: int) -> int:
    """Open ``connections`` keep-alive connections before the clock starts; return how many opened.

    Without this, the first wave of a run pays TCP connection setup (about 10 ms here for 64 at
    once, server accept included) inside its TTFT: a client artifact, not serving latency, which
    dominated p99 TTFT of a 2000-request run. Each connection carries one ``GET <base>/models``
    (any status will do: the point is the socket; a redirect is not followed), and its stamps are
    cleared so the first measured request on it is stamped like every other one. Should the server
    close such a connection before it is used, the request that meets it is retried (see
    :class:`Sender`), so a preconnected connection never costs a measured request.
    """
    if connections <= 0:
        return 0
    url = _models_url(endpoint.url)

    async def one() -> bool:
        try:
            async with session.get(url, allow_redirects=False) as response:
                connection = response.connection
                protocol = connection.protocol if connection is not None else None
                await response.read()
            if isinstance(protocol, _StampingHandler):
                protocol.take_send_time(0)
                protocol.arrivals.clear()
            return True
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError):
            return False  # the measured requests will report the real problem

    opened = await asyncio.gather(*(one() for _ in range(connections)))
    return sum(opened)


def _models_url(url: str) -> str:
    """``.../v1/chat/completions`` -> ``.../v1/models``: a cheap GET every OpenAI server answers."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    for known in _KNOWN_ENDPOINTS:
        if path.endswith("/" + known):
            path = path[: -len(known)] + "models"
            break
    return parts._replace(path=path).geturl()


class Sender:
    """Sends requests to one endpoint over one session; ``send`` fills a :class:`RequestRecord`.

    A request whose body could not be written before any response byte arrived is sent once more,
    on a connection of its own (see the module docstring).
    """

    __slots__ = ("_endpoint", "_session", "_url")

    def __init__(self, session: aiohttp.ClientSession, endpoint: Endpoint) -> None:
        self._session = session
        self._endpoint = endpoint
        self._url = URL(endpoint.url, encoded=False)

    async def send(self, body: bytes, record: RequestRecord) -> None:
        """Send ``body``; on return ``record`` has its times, chunks, status and outcome.

        Never raises for a failed request (the failure is classified in ``record``);
        ``asyncio.CancelledError`` marks the record ``CANCELLED`` and propagates.
        """
        if await self._attempt(self._session, body, record):
            return
        # Nothing reached the server: send again on a new connection (a pooled one may be as stale),
        # and time the request from this send, as if the failed one had never been.
        record.body_write_retries += 1
        record.status, record.outcome, record.error = None, Outcome.OK, None
        record.chunk_ns.clear()
        record.chunks.clear()
        async with open_session(self._endpoint, fresh_connections=True) as fresh:
            await self._attempt(fresh, body, record)

    async def _attempt(self, session: aiohttp.ClientSession, body: bytes, record: RequestRecord) -> bool:
        """One try; False when it failed with the body not written and no response byte received."""
        clock = time.perf_counter_ns
        chunk_ns = record.chunk_ns
        chunks = record.chunks
        handler: _StampingHandler | None = None
        content: aiohttp.StreamReader | None = None
        payload = _TrackedBody(body)
        record.start_ns = sent_ns = clock()
        try:
            async with session.post(self._url, data=payload, allow_redirects=False) as response:
                record.status = status = response.status
                connection = response.connection
                protocol = connection.protocol if connection is not None else None
                if isinstance(protocol, _StampingHandler):
                    handler = protocol
                    record.start_ns = protocol.take_send_time(record.start_ns)
                if status >= 300:
                    # A small error body is read whole so the connection is reused (429 storms).
                    small = response.content_length is not None and response.content_length <= 65536
                    answer = await response.read() if small else await response.content.read(ERROR_EXCERPT_BYTES)
                    record.end_ns = clock()
                    record.outcome = Outcome.HTTP_ERROR
                    record.error = _http_error(response, answer)
                    return True
                content = response.content
                readany = content.readany
                while True:
                    data = await readany()
                    now = clock()
                    if not data:
                        break
                    chunk_ns.append(now)
                    chunks.append(data)
                record.end_ns = now
            if handler is not None:
                handler.restamp(record, content)
        except (asyncio.TimeoutError, TimeoutError) as exc:
            _fail(record, Outcome.TIMEOUT, _describe(exc) or "timed out")
        except aiohttp.ClientConnectorError as exc:  # no connection at all: a retry would meet the same
            _fail(record, Outcome.CONNECT_ERROR, _describe(exc))
        except aiohttp.ClientError as exc:
            outcome = Outcome.CONNECT_ERROR if record.status is None else Outcome.BROKEN_STREAM
            _fail(record, outcome, _describe(exc))
            if handler is not None:
                handler.restamp(record, content)
            return record.status is not None or not payload.unanswered_since(sent_ns)
        except OSError as exc:
            _fail(record, Outcome.CONNECT_ERROR if record.status is None else Outcome.BROKEN_STREAM, _describe(exc))
            return record.status is not None or not payload.unanswered_since(sent_ns)
        except asyncio.CancelledError:
            _fail(record, Outcome.CANCELLED, "cancelled")
            raise
        return True


def _http_error(response: aiohttp.ClientResponse, answer: bytes) -> str:
    """``HTTP <status>: <start of the body>``; for a redirect, where it pointed (it is not followed)."""
    status = response.status
    if 300 <= status < 400:
        location = mask_url(response.headers.get("Location") or "(no Location header)")
        return f"HTTP {status}: redirect to {location} not followed (perf sends requests to --url only)"
    excerpt = answer[:ERROR_EXCERPT_BYTES]
    return f"HTTP {status}: " + " ".join(excerpt.decode("utf-8", "replace").split())


def _fail(record: RequestRecord, outcome: Outcome, error: str) -> None:
    record.end_ns = time.perf_counter_ns()
    record.outcome = outcome
    record.error = error


def _describe(exc: BaseException) -> str:
    """``ExceptionName: message`` on one line (the class names the failure when the text is empty)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
