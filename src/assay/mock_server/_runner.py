"""Running the mock server from synchronous code: on a background thread, or in the foreground."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, TypeVar

from assay.mock_server._app import MockServer
from assay.mock_server._config import ServerConfig
from assay.mock_server._rules import Rule

_T = TypeVar("_T")
_CALL_TIMEOUT_S = 30.0


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A uvloop loop when uvloop is installed (it serves several times more requests/s), else stdlib."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class ServerHandle:
    """A :class:`MockServer` running on its own thread and event loop, driven from sync code.

    Every method may be called from any thread; the work is handed to the server's loop, so the
    counters are read consistently.
    """

    def __init__(self, server: MockServer, loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
        self.server = server
        self._loop = loop
        self._thread = thread

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The OpenAI base URL, ``http://host:port/v1``."""
        return self.server.url

    @property
    def base_url(self) -> str:
        """Same as :attr:`url`; named after the ``openai`` client's ``base_url`` argument."""
        return self.server.url

    @property
    def root_url(self) -> str:
        """``http://host:port``, where ``/admin`` and ``/health`` live."""
        return self.server.root_url

    @property
    def port(self) -> int:
        """The bound TCP port."""
        return self.server.port

    def _call(self, fn: Callable[[], _T]) -> _T:
        async def on_loop() -> _T:
            return fn()

        return asyncio.run_coroutine_threadsafe(on_loop(), self._loop).result(_CALL_TIMEOUT_S)

    def stats(self) -> dict[str, Any]:
        """A snapshot of the counters (see :meth:`MockServer.stats`)."""
        return self._call(self.server.stats)

    def reset(self) -> None:
        """Zero the counters and restart the fault RNG."""
        self._call(self.server.reset)

    def set_rules(self, rules: Iterable[Rule]) -> None:
        """Replace all rules."""
        rule_list = list(rules)
        self._call(lambda: self.server.set_rules(rule_list))

    def stop(self) -> None:
        """Stop the server and join its thread; calling it again is harmless."""
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop).result(_CALL_TIMEOUT_S)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(_CALL_TIMEOUT_S)


def run_server_in_thread(config: ServerConfig | None = None, *, start_timeout_s: float = 10.0) -> ServerHandle:
    """Start a mock server on a daemon thread and return once it accepts connections.

    Example:
        >>> with run_server_in_thread(ServerConfig(echo=True)) as srv:
        ...     srv.url.startswith("http://127.0.0.1:") and srv.url.endswith("/v1")
        True

    Raises:
        OSError: the address could not be bound (re-raised from the server thread).
        TimeoutError: the server did not start within ``start_timeout_s``.
    """
    server = MockServer(config)
    loop = new_event_loop()
    ready = threading.Event()
    failure: list[BaseException] = []

    def main() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.start())
        except BaseException as exc:
            failure.append(exc)
            loop.close()
            ready.set()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    thread = threading.Thread(target=main, name="assay-mock-server", daemon=True)
    thread.start()
    if not ready.wait(start_timeout_s):
        raise TimeoutError(f"the mock server did not start within {start_timeout_s} s")
    if failure:
        raise failure[0]
    return ServerHandle(server, loop, thread)


def serve_forever(config: ServerConfig, on_ready: Callable[[MockServer], None]) -> None:
    """Serve in the foreground until SIGINT or SIGTERM, calling ``on_ready`` once listening.

    Raises:
        OSError: the address could not be bound.
    """

    async def main() -> None:
        server = MockServer(config)
        await server.start()
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stopped.set)
            except NotImplementedError:  # Windows: Ctrl-C arrives as KeyboardInterrupt instead
                continue
        on_ready(server)
        try:
            await stopped.wait()
        finally:
            await server.stop()

    loop = new_event_loop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
