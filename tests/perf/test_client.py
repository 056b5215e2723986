"""The raw streaming client: chunk stamps, failure classes, cancellation, endpoint URLs.

Timing assertions are lower bounds only (the server cannot answer before its configured delays),
so no test depends on how fast this machine is.
"""

from __future__ import annotations

import asyncio
import socket

import orjson
import pytest

from assay.mock_server import ServerConfig, run_server_in_thread
from assay.perf._records import Outcome, RequestRecord
from assay.perf.client import Endpoint, Sender, _StampingHandler, endpoint_url, open_session
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
