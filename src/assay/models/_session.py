"""An aiohttp session bound to the event loop that uses it, for clients that outlive one loop.

A notebook runs ``asyncio.run`` once per cell, and an aiohttp session only works on the loop that
opened it. :class:`LoopBoundSession` opens a pool on first use, opens a new one when the running
loop changes, and closes each pool on its own loop - also when the caller never closes it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable

import aiohttp


class LoopBoundSession:
    """Hands out the session of the running loop, made by ``make`` when there is none yet.

    Example:
        >>> pool = LoopBoundSession(aiohttp.ClientSession)
        >>> async def fetch() -> None:  # doctest: +SKIP
        ...     session = await pool.get()
        ...     await pool.close()
    """

    __slots__ = ("_closer", "_loop", "_make", "_session")

    def __init__(self, make: Callable[[], aiohttp.ClientSession]) -> None:
        self._make = make
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closer: AsyncGenerator[None, None] | None = None

    def current(self) -> aiohttp.ClientSession | None:
        """The running loop's open session, or None: the no-await fast path before :meth:`get`."""
        session = self._session
        if session is not None and self._loop is asyncio.get_running_loop() and not session.closed:
            return session
        return None

    async def get(self) -> aiohttp.ClientSession:
        """The session of the running loop; a pool left on another loop is closed there."""
        loop = asyncio.get_running_loop()
        session = self._session
        if session is not None and self._loop is loop and not session.closed:
            return session
        old_closer, old_loop = self._closer, self._loop
        session = self._make()
        # Assigned before the first await, so concurrent first calls share this one pool.
        self._session, self._loop = session, loop
        self._closer = _close_at_loop_shutdown(session)
        await self._closer.__anext__()
        await _close_pool(old_closer, old_loop)
        return session

    async def close(self) -> None:
        """Close the pool; the next :meth:`get` opens a new one."""
        closer, loop = self._closer, self._loop
        self._session = self._loop = self._closer = None
        await _close_pool(closer, loop)


async def _close_at_loop_shutdown(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    """Close ``session`` when the event loop that owns it shuts down.

    ``asyncio.run`` (and ``uvloop.run``) finalise every suspended async generator on their loop
    before closing it. Parking this generator at its ``yield`` therefore closes the pool on the
    right loop even when the caller never calls ``aclose`` - e.g. ``asyncio.run(model.generate(...))``
    in a notebook - instead of leaking sockets and printing "Unclosed client session".
    """
    try:
        yield
    finally:
        await session.close()


async def _close_pool(closer: AsyncGenerator[None, None] | None, loop: asyncio.AbstractEventLoop | None) -> None:
    """Close a pool made by :meth:`LoopBoundSession.get`, from whichever loop we are on now."""
    if closer is None or loop is None:
        return
    if loop.is_running() and loop is not asyncio.get_running_loop():
        # Still serving another thread: close it there, without waiting for that loop.
        asyncio.run_coroutine_threadsafe(closer.aclose(), loop)
        return
    # On a closed loop aiohttp only marks the pool closed (no transport work), so this is safe here.
    with contextlib.suppress(Exception):
        await closer.aclose()
