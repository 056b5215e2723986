"""The Starlette application behind ``assay app``: static pages and the read-only JSON API.

Every endpoint is a plain function; Starlette runs them in its thread pool, so reading journals
never blocks the event loop. The contract each endpoint answers is in ``docs/app.md`` (## API); the
rules that keep the server read-only and inside the outputs folder are in :class:`_Guard`,
:mod:`assay.app._paths` and ``docs/app.md`` (## Security).
"""

from __future__ import annotations

import importlib.util
import mimetypes
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assay.app._api import Api, BadRequest
from assay.app._paths import NotInsideRoot, OutputsRoot

__all__ = ["STATIC_DIR", "create_app", "plotly_js"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
_ALLOWED_METHODS = (b"GET", b"HEAD")
#: Sent with every answer: no sniffing, no referrer, and a page that may load nothing from elsewhere
#: (the viewer is offline by design; this also blunts markup a model wrote, should it ever be shown raw).
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
        b"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
]


class JSONResponse(Response):
    """JSON via orjson: NaN and infinity become null, numpy numbers are written as numbers."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class _Guard:
    """ASGI middleware: GET/HEAD only (405 otherwise), an expected Host, security headers.

    The Host check stops DNS rebinding: a web page on another site that points its own host name at
    127.0.0.1 could otherwise make the browser read this API. It is on when the server binds a
    loopback address, where only loopback names can be legitimate.
    """

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str] | None) -> None:
        self.app = app
        self.allowed_hosts = {h.lower() for h in allowed_hosts} if allowed_hosts is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"].encode() not in _ALLOWED_METHODS:
            response = _error(405, "read-only: only GET is allowed", {"Allow": "GET, HEAD"})
        elif self.allowed_hosts is not None and _host(scope) not in self.allowed_hosts:
            response = _error(400, "unexpected Host header (open the viewer at the address it printed)")
        else:
            await self.app(scope, receive, self._with_headers(send))
            return
        await response(scope, receive, self._with_headers(send))

    @staticmethod
    def _with_headers(send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_SECURITY_HEADERS]
            await send(message)

        return wrapped


def _host(scope: Scope) -> str:
    """The Host header's name without its port (``[::1]:9000`` gives ``::1``)."""
    raw = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "").lower()
    if raw.startswith("["):
        return raw[1 : raw.find("]")] if "]" in raw else raw
    return raw.rsplit(":", 1)[0] if raw.count(":") == 1 else raw


def plotly_js() -> Path | None:
    """``plotly.min.js`` of the installed plotly package, found without importing plotly."""
    spec = importlib.util.find_spec("plotly")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "package_data" / "plotly.min.js"
        if path.is_file():
            return path
    return None


def _static(request: Request) -> Response:
    """A file shipped in ``assay/app/static`` (``/`` is its index.html); never a folder listing."""
    name = request.path_params.get("name", "index.html")
    if name == "plotly.min.js":
        path = plotly_js()
        if path is None:
            return _error(404, "plotly.min.js not found: reinstall the plotly package")
        return FileResponse(path, media_type="text/javascript")
    try:
        path = OutputsRoot(STATIC_DIR).resolve(name)
    except (NotInsideRoot, OSError):
        return _error(404, f"not found: {name}")
    if not path.is_file() or any(part.startswith(".") for part in Path(name).parts):
        return _error(404, f"not found: {name}")
    media_type = "text/javascript" if path.suffix in (".js", ".mjs") else mimetypes.guess_type(path.name)[0]
    return FileResponse(path, media_type=media_type or "application/octet-stream")


def create_app(outputs: Path, *, allowed_hosts: Sequence[str] | None = None) -> Starlette:
    """The viewer over the outputs folder ``outputs``.

    Args:
        outputs: The folder holding eval and perf runs (``--outputs``); must exist.
        allowed_hosts: Host names the Host header may carry (None accepts any); see :class:`_Guard`.

    Example:
        >>> from starlette.testclient import TestClient  # doctest: +SKIP
        >>> TestClient(create_app(Path("outputs"))).get("/api/runs").json()["runs"]  # doctest: +SKIP
    """
    api = Api(OutputsRoot(outputs))

    def endpoint(method: Any) -> Any:
        def handle(request: Request) -> Response:
            try:
                answer = method(request)
                if isinstance(answer, Path):  # a kept image: named by its hash, so it never changes
                    media_type = mimetypes.guess_type(answer.name)[0] or "application/octet-stream"
                    headers = {"cache-control": "max-age=31536000, immutable"}
                    return FileResponse(answer, media_type=media_type, headers=headers)
                return JSONResponse(answer)
            except NotInsideRoot as exc:
                return _error(404, str(exc))
            except BadRequest as exc:
                return _error(400, str(exc))

        return handle

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        return _error(status, "not found" if status == 404 else str(getattr(exc, "detail", exc)))

    routes = [
        Route("/", _static),
        Route("/static/{name:path}", _static),
        Route("/api/runs", endpoint(api.runs)),
        Route("/api/runs/{rest:path}", endpoint(api.run_resource)),
        Route("/api/compare", endpoint(api.compare)),
        Route("/api/perf/{run_id:path}", endpoint(api.perf)),
        Route("/api/sweeps/{run_id:path}", endpoint(api.sweep)),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
    app.router.redirect_slashes = False  # "/static" is not found, not a redirect towards a folder
    app.add_middleware(_Guard, allowed_hosts=allowed_hosts)
    return app
