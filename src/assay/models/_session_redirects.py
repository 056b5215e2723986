"""Send a request that never leaves the server's origin: a redirect elsewhere is refused, not followed.

aiohttp follows redirects on its own and, on the way, sends the body and every custom header
(``X-Api-Key``, ``Cookie`` ...) to wherever ``Location`` points: a 307 from the model server to
another host or port would hand it the prompts and the keys, and eval would score that server's
answers. :func:`send` follows a redirect only within one origin (scheme, host and port), and for a
POST only a 307 or 308 (which keep the method and the body; a 301/302/303 would turn it into a GET);
anything else raises :class:`RedirectRefused`, which names the status and the ``Location``.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from yarl import URL

from assay.secrets import mask_url

__all__ = ["MAX_REDIRECTS", "RedirectRefused", "send"]

#: Redirects followed within one origin before giving up.
MAX_REDIRECTS = 3
#: Redirect statuses that keep the method and body, so a POST may follow them.
_KEEP_METHOD = frozenset({307, 308})


class RedirectRefused(Exception):
    """The server answered a redirect that is not followed; the message names the status and target."""

    def __init__(self, status: int, location: str, why: str) -> None:
        super().__init__(f"HTTP {status} redirect to {mask_url(location)} not followed: {why}")
        self.status = status
        self.location = location


async def send(
    session: aiohttp.ClientSession,
    method: str,
    url: URL,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: aiohttp.ClientTimeout,
) -> aiohttp.ClientResponse:
    """The response to ``method url``, after same-origin redirects; use it as ``async with``.

    Raises:
        RedirectRefused: a redirect to another origin, one that would change a POST's method, or
            more than :data:`MAX_REDIRECTS` in a row.
        aiohttp.ClientError, asyncio.TimeoutError: as ``session.request`` does.
    """
    options: dict[str, Any] = {"data": data, "headers": headers, "timeout": timeout, "allow_redirects": False}
    status, location = 0, ""
    for _ in range(MAX_REDIRECTS + 1):
        resp = await session.request(method, url, **options)
        status, found = resp.status, resp.headers.get("Location")
        if not 300 <= status < 400 or status == 304 or found is None:
            return resp
        resp.release()
        location = found
        target = url.join(URL(location))
        if target.origin() != url.origin():
            raise RedirectRefused(status, location, f"it leads away from {url.origin()} (another origin)")
        if method != "GET" and status not in _KEEP_METHOD:
            raise RedirectRefused(status, location, f"it would turn the {method} into a GET")
        url = target
    raise RedirectRefused(status, location, f"more than {MAX_REDIRECTS} redirects in a row")
