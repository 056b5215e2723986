"""The raw streaming client: chunk stamps, failure classes, stale-connection retry, redirects, cancellation, URLs.

Timing assertions are lower bounds only (the server cannot answer before its configured delays),
so no test depends on how fast this machine is.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from typing import cast

import aiohttp
import orjson
import pytest

from assay.errors import UserError
from assay.mock_server import ServerConfig, run_server_in_thread
from assay.perf._records import Outcome, RequestRecord
from assay.perf._run import check_connection
from assay.perf.arguments import PerfArguments
from assay.perf.client import Endpoint, Sender, _StampingHandler, endpoint_url, open_session, preconnect
from assay.perf.workers import new_event_loop_run

MS = 1_000_000
REPLY = "one two three four five six"  # 6 mock tokens


def chat_body(stream: bool = True) -> bytes:
    messages = [{"role": "user", "content": "hi"}]
    return orjson.dumps({"model": "m", "messages": messages, "stream": stream, "max_tokens": 16})


def send_once(url: str, body: bytes, **timeouts: float) -> RequestRecord:
    endpoint = Endpoint(url=url + "/chat/completions", headers={"Content-Type": "application/json"}, **timeouts)
    record = RequestRecord(0, 0, None, 0, 0)

    async def once() -> None:
        async with open_session(endpoint) as session:
            await Sender(session, endpoint).send(body, record)

    new_event_loop_run(once)
    return record


def test_stream_chunks_are_stamped_in_order_and_not_before_the_server_sent_them() -> None:
    config = ServerConfig(ttft_ms=30, itl_ms=10, default_reply=REPLY)
    with run_server_in_thread(config) as srv:
        record = send_once(srv.url, chat_body())
    assert record.outcome is Outcome.OK and record.status == 200
    assert len(record.chunk_ns) == len(record.chunks) >= 2
    assert record.chunk_ns == sorted(record.chunk_ns)
    assert record.start_ns < record.chunk_ns[0] <= record.end_ns
    # The server sends token i at arrival + 30 ms + i x 10 ms, never earlier (later when loaded).
    assert record.chunk_ns[0] - record.start_ns >= 30 * MS
    assert record.chunk_ns[-1] - record.start_ns >= (30 + 5 * 10) * MS
    body = b"".join(record.chunks)
    assert body.rstrip().endswith(b"data: [DONE]") and b"five" in body


def test_non_streamed_reply_is_kept_whole() -> None:
    with run_server_in_thread(ServerConfig(latency_ms=20, default_reply=REPLY)) as srv:
        record = send_once(srv.url, chat_body(stream=False))
    assert record.outcome is Outcome.OK
    assert orjson.loads(b"".join(record.chunks))["choices"][0]["message"]["content"] == REPLY
    assert record.end_ns - record.start_ns >= 20 * MS


@pytest.mark.parametrize(("fault", "status"), [("p_500", 500), ("p_429", 429)])
def test_error_status_is_an_http_error_with_the_body_excerpt(fault: str, status: int) -> None:
    with run_server_in_thread(ServerConfig(**{fault: 1.0})) as srv:
        record = send_once(srv.url, chat_body())
    assert record.outcome is Outcome.HTTP_ERROR and record.status == status
    assert record.error is not None and record.error.startswith(f"HTTP {status}: ") and "\n" not in record.error
    assert "injected by the assay mock server" in record.error


def test_refused_connection_is_a_connect_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        record = send_once(f"http://127.0.0.1:{port}/v1", chat_body())
    assert record.outcome is Outcome.CONNECT_ERROR and record.status is None
    assert record.end_ns >= record.start_ns > 0


def test_silent_server_hits_the_read_timeout() -> None:
    with run_server_in_thread(ServerConfig(p_hang=1.0, hang_s=30)) as srv:
        record = send_once(srv.url, chat_body(), read_timeout_s=0.2)
    assert record.outcome is Outcome.TIMEOUT
    assert record.end_ns - record.start_ns >= 200 * MS


def test_stream_cut_off_midway_is_a_broken_stream() -> None:
    with run_server_in_thread(ServerConfig(p_truncate=1.0, itl_ms=1, default_reply=REPLY)) as srv:
        record = send_once(srv.url, chat_body())
    assert record.outcome is Outcome.BROKEN_STREAM and record.status == 200
    assert b"[DONE]" not in b"".join(record.chunks)


def test_cancelled_request_is_recorded_as_cancelled() -> None:
    with run_server_in_thread(ServerConfig(p_hang=1.0, hang_s=30)) as srv:
        endpoint = Endpoint(url=srv.url + "/chat/completions", headers={"Content-Type": "application/json"})
        record = RequestRecord(0, 0, None, 0, 0)

        async def cancel_soon() -> None:
            async with open_session(endpoint) as session:
                task = asyncio.ensure_future(Sender(session, endpoint).send(chat_body(), record))
                await asyncio.sleep(0.1)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task

        new_event_loop_run(cancel_soon)
    assert record.outcome is Outcome.CANCELLED and record.end_ns > record.start_ns


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://h:8000/v1", "http://h:8000/v1/chat/completions"),
        ("http://h:8000/v1/", "http://h:8000/v1/chat/completions"),
        ("http://h:8000/v1/chat/completions", "http://h:8000/v1/chat/completions"),
        ("http://h:8000/v1/completions", "http://h:8000/v1/completions"),
        ("http://h:8000/v1?x=1", "http://h:8000/v1/chat/completions?x=1"),
    ],
)
def test_base_url_gets_the_api_default_path(url: str, expected: str) -> None:
    assert endpoint_url(url, "/chat/completions") == expected


def test_socket_level_stamping_is_installed_in_the_session() -> None:
    # If an aiohttp release moved these internals, stamps would silently fall back to read time.
    factories: list[object] = []

    async def look() -> None:
        async with open_session(Endpoint(url="http://127.0.0.1:9/v1/chat/completions")) as session:
            factories.append(getattr(session.connector, "_factory", None))

    new_event_loop_run(look)
    assert getattr(factories[0], "func", None) is _StampingHandler


def test_body_is_split_at_the_socket_reads_that_carried_it() -> None:
    async def check() -> None:
        handler = _StampingHandler(asyncio.get_running_loop())
        content = object()
        handler.arrivals = [(10, content, 3), (20, content, 5), (30, content, 9)]
        record = RequestRecord(0, 0, None, 0, 0, chunk_ns=[25, 35], chunks=[b"abcde", b"fghi"])
        handler.restamp(record, content)  # type: ignore[arg-type]
        assert record.chunk_ns == [10, 20, 30] and record.chunks == [b"abc", b"de", b"fghi"]
        assert handler.arrivals == []
        unaccounted = RequestRecord(0, 0, None, 0, 0, chunk_ns=[25], chunks=[b"abcde"])
        handler.arrivals = [(10, content, 3)]
        handler.restamp(unaccounted, content)  # type: ignore[arg-type]
        assert unaccounted.chunk_ns == [25]  # bytes the socket reads do not explain: read-time stamps kept

    new_event_loop_run(check)


class _ScriptedServer:
    """A bare HTTP/1.1 server on its own thread: ``reply(method, path)`` gives each request's answer.

    The answer is the bytes to write and what to do with the connection after: ``None`` keeps it
    open, a number of seconds closes it that much later (an idle keep-alive timeout). Every request
    is logged as (method, path, client port), so a test sees which connection carried what.
    """

    def __init__(self, reply: Callable[[str, str], tuple[bytes, float | None]]) -> None:
        self.seen: list[tuple[str, str, int]] = []
        #: Client ports of the connections that have ended.
        self.closed: list[int] = []
        self._reply = reply
        self._loop = asyncio.new_event_loop()
        self._server = self._loop.run_until_complete(self._loop.create_server(self._protocol, "127.0.0.1", 0))
        self.port: int = self._server.sockets[0].getsockname()[1]
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> _ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._server.close()

    def _protocol(self) -> asyncio.Protocol:
        server = self

        class Connection(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                self.transport = cast(asyncio.Transport, transport)
                self.port = transport.get_extra_info("peername")[1]
                self.buffer = b""

            def connection_lost(self, exc: Exception | None) -> None:
                server.closed.append(self.port)

            def data_received(self, data: bytes) -> None:
                self.buffer += data
                while b"\r\n\r\n" in self.buffer:
                    head, rest = self.buffer.split(b"\r\n\r\n", 1)
                    fields = dict(line.lower().split(b":", 1) for line in head.split(b"\r\n")[1:])
                    length = int(fields.get(b"content-length", b"0"))
                    if len(rest) < length:
                        return
                    self.buffer = rest[length:]
                    method, path = head.decode().split(" ")[:2]
                    server.seen.append((method, path, self.port))
                    answer, close_after_s = server._reply(method, path)
                    self.transport.write(answer)
                    if close_after_s is not None:
                        asyncio.get_running_loop().call_later(close_after_s, self.transport.close)

        return Connection()

    def endpoint(self) -> Endpoint:
        return Endpoint(url=f"http://127.0.0.1:{self.port}/v1/chat/completions", headers={"X-Api-Key": "k"})


_SSE = b'data: {"choices":[{"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n'
_STREAM_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: %d\r\n\r\n" % len(_SSE)
_STREAM_REPLY = _STREAM_HEAD + _SSE
_MODELS_REPLY = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


def _send_after_preconnect(endpoint: Endpoint) -> tuple[RequestRecord, int, list[tuple[int, int]]]:
    """Preconnect one connection, let the server's close of it arrive unseen, then send one request.

    Also returns the record's (start, end) after each try.
    """
    record = RequestRecord(0, 0, None, 0, 0)
    before_send_ns = 0
    attempts: list[tuple[int, int]] = []

    class TimedSender(Sender):
        async def _attempt(self, session: aiohttp.ClientSession, body: bytes, record: RequestRecord) -> bool:
            done = await super()._attempt(session, body, record)
            attempts.append((record.start_ns, record.end_ns))
            return done

    async def run() -> None:
        nonlocal before_send_ns
        async with open_session(endpoint) as session:
            assert await preconnect(session, endpoint, 1) == 1
            # Blocking on purpose: the server's FIN reaches this socket while the loop cannot read it,
            # so the pool still holds the connection as open when the request takes it, as when a
            # server closes an idle keep-alive connection just as the client reuses it.
            time.sleep(0.3)
            before_send_ns = time.perf_counter_ns()
            await TimedSender(session, endpoint).send(chat_body(), record)

    new_event_loop_run(run)
    return record, before_send_ns, attempts


def test_a_body_that_meets_a_connection_the_server_closed_is_sent_again_on_a_new_one() -> None:
    def reply(method: str, path: str) -> tuple[bytes, float | None]:
        return (_MODELS_REPLY, 0.05) if method == "GET" else (_STREAM_REPLY, None)

    with _ScriptedServer(reply) as server:
        record, before_send_ns, attempts = _send_after_preconnect(server.endpoint())
    assert record.outcome is Outcome.OK and record.status == 200 and record.error is None
    assert record.body_write_retries == 1
    (get, post) = server.seen  # the failed try never reached the server; the retry came on a new connection
    assert get[:2] == ("GET", "/v1/models") and post[:2] == ("POST", "/v1/chat/completions") and post[2] != get[2]
    # Timed from the retry, sent after the failed try ended; the failed try is in no number.
    (first_start, first_end), (retry_start, _) = attempts
    assert before_send_ns <= first_start <= first_end <= retry_start == record.start_ns < record.chunk_ns[0]
    assert b"".join(record.chunks) == _SSE


def test_a_request_the_server_received_is_not_sent_again_even_unanswered() -> None:
    # The body was written whole and the server closed without a byte: it may have been working on
    # it, so a retry could make it do the work twice. The failure is reported, not retried.
    with _ScriptedServer(lambda method, path: (b"", 0)) as server:
        record = send_once(f"http://127.0.0.1:{server.port}/v1", chat_body())
    assert record.outcome is Outcome.CONNECT_ERROR and record.body_write_retries == 0
    assert [method for method, _, _ in server.seen] == ["POST"]


def test_a_request_with_a_partial_answer_is_not_sent_again() -> None:
    cut = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 500\r\n\r\ndata: {"
    with _ScriptedServer(lambda method, path: (cut, 0)) as server:
        record = send_once(f"http://127.0.0.1:{server.port}/v1", chat_body())
    assert record.outcome is Outcome.BROKEN_STREAM and record.status == 200 and record.body_write_retries == 0
    assert len(server.seen) == 1


def test_a_redirect_to_another_origin_is_a_failure_naming_it_and_is_not_followed() -> None:
    with _ScriptedServer(lambda method, path: (_STREAM_REPLY, None)) as other:
        location = f"http://127.0.0.1:{other.port}/v1/chat/completions"
        moved = f"HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n".encode()
        with _ScriptedServer(lambda method, path: (moved, None)) as redirecting:
            endpoint = redirecting.endpoint()
            record = RequestRecord(0, 0, None, 0, 0)

            async def run() -> None:
                async with open_session(endpoint) as session:
                    await preconnect(session, endpoint, 1)  # its GET is redirected too
                    await Sender(session, endpoint).send(chat_body(), record)

            new_event_loop_run(run)
    assert other.seen == []  # neither the prompt nor the key header went to the other port
    assert [method for method, _, _ in redirecting.seen] == ["GET", "POST"]
    assert record.outcome is Outcome.HTTP_ERROR and record.status == 307 and record.body_write_retries == 0
    assert record.error == f"HTTP 307: redirect to {location} not followed (perf sends requests to --url only)"


def test_the_connection_test_runs_on_a_connection_of_its_own_closed_before_the_run() -> None:
    def reply(method: str, path: str) -> tuple[bytes, float | None]:
        return _STREAM_REPLY, None

    with _ScriptedServer(reply) as server:
        url = server.endpoint().url
        probe = check_connection(PerfArguments(model="m", url=url, stream=True))
        time.sleep(0.1)  # the close reaches the server's loop
        seen, closed = list(server.seen), list(server.closed)
    assert probe.chunks >= 1 and [method for method, _, _ in seen] == ["POST"]
    assert closed == [seen[0][2]]  # no connection of the probe is left for the run to meet


def test_the_connection_test_reports_a_redirect_without_following_it() -> None:
    with _ScriptedServer(lambda method, path: (_STREAM_REPLY, None)) as other:
        location = f"http://127.0.0.1:{other.port}/v1/chat/completions"
        moved = f"HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n".encode()
        with _ScriptedServer(lambda method, path: (moved, None)) as redirecting:
            args = PerfArguments(model="m", url=redirecting.endpoint().url, api_key="sk-secret")
            with pytest.raises(UserError, match=f"HTTP 307: redirect to {location} not followed"):
                check_connection(args)
    assert other.seen == []
