"""Backend for any server that speaks the OpenAI Chat Completions / Completions HTTP API.

vLLM, SGLang, TGI, llama.cpp, LMDeploy, Ollama and OpenAI itself all qualify. This is the hot path of
an API evaluation, so it talks HTTP directly with aiohttp and orjson instead of going through the
``openai`` SDK: measured on one core at 64 requests in flight, httpx-based clients manage ~0.5k
requests/s against ~12k for aiohttp, and an eval client must never be what limits a fast server.

What it does per call: build the JSON body once, POST it, parse the answer (SSE or JSON), and retry
what a retry can fix (429, 408, 409, 5xx, timeouts, dropped or garbled responses) with exponential
backoff and full jitter, honouring ``Retry-After``. What no retry can fix either comes back as
``ModelOutput.error`` (a 400 for one bad prompt) or raises :class:`~assay.errors.UserError` (a
rejected API key), so the run stops before wasting work.

Example:
    >>> import asyncio
    >>> from assay.types import ChatMessage, GenerateConfig
    >>> model = OpenAIAPI("qwen2.5-7b-instruct", api_url="http://127.0.0.1:8000/v1")
    >>> model
    OpenAIAPI(model='qwen2.5-7b-instruct', api_url='http://127.0.0.1:8000/v1', api='chat')
    >>> async def ask() -> str:  # doctest: +SKIP
    ...     await model.check()
    ...     question = [ChatMessage(role="user", content="2+2?")]
    ...     out = await model.generate(question, GenerateConfig(stream=True))
    ...     await model.aclose()
    ...     return out.text
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import os
import random
import socket
import time
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from datetime import timezone
from typing import Any, Literal

import aiohttp
import orjson
from yarl import URL

from assay.errors import UserError, did_you_mean
from assay.models._api import register_model_api
from assay.types import ChatMessage, GenerateConfig, ModelOutput, Usage

logger = logging.getLogger(__name__)

ApiKind = Literal["chat", "completions"]

#: GenerateConfig fields sent under their own name when set (``top_k`` included: vLLM and SGLang
#: read it from the top level of the body, which is where OpenAI's ``extra_body`` puts it too).
SAMPLING_FIELDS = (
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "seed",
    "stop",
    "n",
    "presence_penalty",
    "frequency_penalty",
)
#: Longest exponential-backoff wait, seconds.
BACKOFF_CAP_S = 30.0
#: Longest ``Retry-After`` we obey, seconds: a server asking for an hour would stall the whole run,
#: so past this we retry anyway (and get told again if it still means it), as the OpenAI SDK does.
RETRY_AFTER_CAP_S = 60.0
#: How long :meth:`OpenAIAPI.check` waits for the server before calling it unreachable, seconds.
CHECK_TIMEOUT_S = 10.0
_ENDPOINT_SUFFIXES: tuple[tuple[str, ApiKind], ...] = (
    ("/chat/completions", "chat"),
    ("/completions", "completions"),
)
_PROXY_ENV = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
_MAX_MESSAGE_CHARS = 500


class _RetryableError(Exception):
    """An attempt failed in a way another attempt may not (overload, timeout, dropped stream)."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class _RejectedError(Exception):
    """The server refused this request for good (400, 404, 422 ...); retrying would repeat it."""


def is_retryable_status(status: int) -> bool:
    """Whether an HTTP status is worth another attempt (the OpenAI SDK's rule: 408, 409, 429, 5xx)."""
    return status in (408, 409, 429) or status >= 500


@dataclass(frozen=True, slots=True)
class _Plan:
    """Everything about a request that depends only on the GenerateConfig, built once per config."""

    body: dict[str, Any]
    headers: dict[str, str] | None
    timeout: aiohttp.ClientTimeout
    stream: bool

    @classmethod
    def from_config(cls, model: str, config: GenerateConfig) -> _Plan:
        body: dict[str, Any] = {"model": model}
        for name in SAMPLING_FIELDS:
            value = getattr(config, name)
            if value is not None:
                body[name] = value
        body.update(config.request_extras())
        if config.stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        # Last, so a user can override anything above (e.g. drop stream_options for an old server).
        body.update(config.extra_body or {})
        return cls(
            body=body,
            headers=dict(config.extra_headers) if config.extra_headers else None,
            timeout=aiohttp.ClientTimeout(total=config.timeout),
            stream=config.stream,
        )


@register_model_api("openai_api")
class OpenAIAPI:
    """A model served behind an OpenAI-compatible HTTP API.

    Args:
        model: Model name sent in every request (``--model``).
        api_url: Base URL such as ``http://127.0.0.1:8000/v1``. A full ``.../v1/chat/completions`` or
            ``.../v1/completions`` URL is accepted too (EvalScope's style); the endpoint is cut off
            and, for ``/completions``, becomes the default ``api``. Falls back to
            ``$OPENAI_BASE_URL``.
        api_key: Bearer token; falls back to ``$OPENAI_API_KEY``, then ``"EMPTY"`` (what local
            servers expect). Never shown in reprs, logs or error messages.
        api: ``"chat"`` (Chat Completions, the default) or ``"completions"``. A raw string prompt
            always goes to Completions; chat messages sent to Completions are joined by blank lines,
            without a chat template.
        max_connections: Most open connections; 0 (default) = no limit, since the engine already
            bounds requests in flight with ``eval_batch_size``.
        verify_ssl: Check the server's TLS certificate (turn off only for self-signed test servers).
        **model_args: Anything else is ignored with a warning (EvalScope passes client options here).

    The client binds one connection pool to the running event loop and opens a new one when the
    loop changes, so a notebook can run several ``asyncio.run`` evaluations with one model object.
    """

    def __init__(
        self,
        model: str,
        api_url: str | None = None,
        api_key: str | None = None,
        *,
        api: ApiKind | None = None,
        max_connections: int = 0,
        verify_ssl: bool | str = True,
        **model_args: Any,
    ) -> None:
        if model_args:
            logger.warning("openai_api ignores these model_args: %s", ", ".join(sorted(model_args)))
        raw_url = api_url or os.environ.get("OPENAI_BASE_URL")
        if not raw_url:
            raise UserError("openai_api needs a server URL; pass --api-url (e.g. http://127.0.0.1:8000/v1)")
        base, url_api = _split_endpoint(raw_url)
        if api not in (None, "chat", "completions"):
            raise UserError(f"model_args api must be 'chat' or 'completions', got {api!r}")
        self.model_name = model
        self.api: ApiKind = api or url_api or "chat"
        #: Base URL with any user:password removed, safe to print.
        self.base_url = str(base.with_user(None))
        self._chat_url = base / "chat" / "completions"
        self._completions_url = base / "completions"
        self._models_url = base / "models"
        self._api_key = api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY"
        self._max_connections = int(max_connections)
        self._verify_ssl = _as_bool(verify_ssl)
        # Reading proxy settings costs time on every request, so only pay for it when one is set.
        self._trust_env = any(os.environ.get(name) for name in _PROXY_ENV)
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None
        self._closer: AsyncGenerator[None, None] | None = None
        self._plan_cache: tuple[GenerateConfig, _Plan] | None = None

    def __repr__(self) -> str:
        return f"OpenAIAPI(model={self.model_name!r}, api_url={self.base_url!r}, api={self.api!r})"

    async def generate(self, input: list[ChatMessage] | str, config: GenerateConfig) -> ModelOutput:
        """Send one prompt, retrying what a retry can fix; see the module docstring for the rules.

        Raises:
            UserError: the server rejected the API key (401/403).
        """
        plan = self._plan_for(config)
        body = dict(plan.body)
        if isinstance(input, str) or self.api == "completions":
            url, completions = self._completions_url, True
            body["prompt"] = input if isinstance(input, str) else "\n\n".join(m.content for m in input)
        else:
            url, completions = self._chat_url, False
            body["messages"] = [{"role": m.role, "content": m.content} for m in input]
        data = orjson.dumps(body)
        attempts = 0
        while True:
            attempts += 1
            try:
                output = await self._attempt(url, data, plan, completions)
            except _RetryableError as exc:
                if attempts > config.retries:
                    return ModelOutput(error=f"{exc} (gave up after {attempts} attempts)", attempts=attempts)
                wait_s = _wait_s(exc.retry_after_s, attempts, config.retry_interval)
                logger.debug("openai_api attempt %d failed (%s); retrying in %.2f s", attempts, exc, wait_s)
                await asyncio.sleep(wait_s)
            except _RejectedError as exc:
                return ModelOutput(error=str(exc), attempts=attempts)
            else:
                output.attempts = attempts
                return output

    async def check(self) -> None:
        """Make sure the server answers and accepts the key before any sample runs.

        Asks ``GET /models`` (or, where that is missing, a one-token generation) with a short
        timeout. A model name the server does not list only warns: some servers route any name.

        Raises:
            UserError: the server cannot be reached, rejects the key, or has no OpenAI API at the URL.
        """
        session = await self._get_session()
        timeout = aiohttp.ClientTimeout(total=CHECK_TIMEOUT_S)
        try:
            async with session.get(self._models_url, timeout=timeout) as resp:
                status, raw, probed = resp.status, await resp.read(), "GET /models"
            if status in (404, 405):
                status, raw, probed = await self._probe_generation(session, timeout)
        except aiohttp.ClientConnectorError as exc:
            raise UserError(
                f"cannot reach the model server at {self.base_url} ({_connect_failure(exc)}); start it or fix --api-url"
            ) from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise UserError(
                f"the model server at {self.base_url} did not answer within {CHECK_TIMEOUT_S:g} s "
                f"({type(exc).__name__}); check that it is up and that --api-url is right"
            ) from None
        self._judge_check(status, raw, probed)

    async def aclose(self) -> None:
        """Close the connection pool; the object stays usable and reopens one on the next call."""
        closer, loop = self._closer, self._session_loop
        self._session = self._session_loop = self._closer = None
        await _close_pool(closer, loop)

    # -- one attempt ------------------------------------------------------------------------------

    async def _attempt(self, url: URL, data: bytes, plan: _Plan, completions: bool) -> ModelOutput:
        session = await self._get_session()
        start = time.perf_counter()
        try:
            async with session.post(url, data=data, headers=plan.headers, timeout=plan.timeout) as resp:
                if not 200 <= resp.status < 300:
                    await self._raise_for_status(resp)
                if plan.stream and resp.content_type != "application/json":
                    stream = _SSEStream(completions, start)
                    async for chunk in resp.content.iter_any():
                        stream.feed(chunk)
                    return stream.finish()
                return _parse_body(await resp.read(), completions, start)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise _RetryableError(_describe_transport_error(exc, plan.timeout.total)) from None

    async def _raise_for_status(self, resp: aiohttp.ClientResponse) -> None:
        status = resp.status
        try:
            message = self._scrub(_error_message(await resp.read()))
        except (aiohttp.ClientError, asyncio.TimeoutError):
            message = resp.reason or ""
        if status in (401, 403):
            raise self._key_error(status, message)
        if is_retryable_status(status):
            raise _RetryableError(f"HTTP {status}: {message}", _retry_after_s(resp.headers))
        raise _RejectedError(f"HTTP {status}: {message}")

    def _key_error(self, status: int, message: str) -> UserError:
        return UserError(
            f"the model server at {self.base_url} rejected the API key (HTTP {status}: {message}); "
            "pass --api-key or set OPENAI_API_KEY"
        )

    def _scrub(self, text: str) -> str:
        """Remove the API key from server text: some servers echo the bad key back in full."""
        key = self._api_key
        return text.replace(key, "***") if len(key) >= 4 and key != "EMPTY" else text

    def _plan_for(self, config: GenerateConfig) -> _Plan:
        # The engine passes the same config object for every sample, so one cached entry suffices.
        cached = self._plan_cache
        if cached is not None and cached[0] is config:
            return cached[1]
        plan = _Plan.from_config(self.model_name, config)
        self._plan_cache = (config, plan)
        return plan

    # -- health check -----------------------------------------------------------------------------

    async def _probe_generation(
        self, session: aiohttp.ClientSession, timeout: aiohttp.ClientTimeout
    ) -> tuple[int, bytes, str]:
        body: dict[str, Any] = {"model": self.model_name, "max_tokens": 1}
        if self.api == "completions":
            url, body["prompt"], probed = self._completions_url, "Hi", "POST /completions"
        else:
            url, probed = self._chat_url, "POST /chat/completions"
            body["messages"] = [{"role": "user", "content": "Hi"}]
        async with session.post(url, data=orjson.dumps(body), timeout=timeout) as resp:
            return resp.status, await resp.read(), probed

    def _judge_check(self, status: int, raw: bytes, probed: str) -> None:
        message = self._scrub(_error_message(raw))
        if status in (401, 403):
            raise self._key_error(status, message)
        if status == 404:
            raise UserError(
                f"no OpenAI-compatible API at {self.base_url}: {probed} returned HTTP 404 ({message}); "
                "fix --api-url (it usually ends in /v1) or --model"
            )
        if not 200 <= status < 300:
            logger.warning("model server at %s answered %s with HTTP %d: %s", self.base_url, probed, status, message)
        elif probed == "GET /models":
            self._warn_if_unlisted(raw)

    def _warn_if_unlisted(self, raw: bytes) -> None:
        try:
            listed = [m["id"] for m in orjson.loads(raw)["data"]]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return
        if listed and self.model_name not in listed:
            logger.warning(
                "model %r is not among those the server at %s lists (%s)%s; continuing, some servers accept any name",
                self.model_name,
                self.base_url,
                ", ".join(map(str, listed[:8])),
                did_you_mean(self.model_name, map(str, listed)),
            )

    # -- connection pool, bound to the running loop -------------------------------------------------

    async def _get_session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._session
        if session is not None and self._session_loop is loop and not session.closed:
            return session
        old_closer, old_loop = self._closer, self._session_loop
        connector = aiohttp.TCPConnector(
            limit=self._max_connections, ttl_dns_cache=300, keepalive_timeout=30, ssl=self._verify_ssl
        )
        session = aiohttp.ClientSession(
            connector=connector,
            headers={"Authorization": f"Bearer {self._api_key}", "Content-Type": "application/json"},
            timeout=aiohttp.ClientTimeout(total=None),
            trust_env=self._trust_env,
        )
        # Assigned before the first await, so concurrent first calls share this one pool.
        self._session, self._session_loop = session, loop
        self._closer = _close_at_loop_shutdown(session)
        await self._closer.__anext__()
        await _close_pool(old_closer, old_loop)
        return session


class _SSEStream:
    """Assembles a streamed answer from server-sent events, however TCP splits them.

    Events end with a blank line. The common event is a single ``data: {json}`` line and takes a
    fast path; anything else (several ``data:`` lines, joined by newlines per the SSE spec;
    comments; ``event:``/``id:`` fields) takes the general one. A stream counts as complete once it
    sent ``[DONE]`` or a ``finish_reason``; anything less is a truncated stream.
    """

    __slots__ = (
        "_arrival_s",
        "_buffer",
        "_completions",
        "_done",
        "_finish_reason",
        "_parts",
        "_reasoning",
        "_start",
        "_ttft_s",
        "_usage",
    )

    def __init__(self, completions: bool, start: float) -> None:
        self._completions = completions
        self._start = start
        self._arrival_s = start
        self._buffer = b""
        self._parts: list[str] = []
        self._reasoning: list[str] = []
        self._ttft_s: float | None = None
        self._finish_reason: str | None = None
        self._usage: Usage | None = None
        self._done = False

    def feed(self, chunk: bytes) -> None:
        """Take the next bytes off the wire and handle every complete event in them."""
        self._arrival_s = time.perf_counter()
        if self._buffer:
            chunk = self._buffer + chunk
        if b"\r" in chunk:  # CRLF servers; a lone trailing \r waits in the buffer for its \n
            chunk = chunk.replace(b"\r\n", b"\n")
        events = chunk.split(b"\n\n")
        self._buffer = events.pop()
        for event in events:
            if event.startswith(b"data: ") and b"\n" not in event:
                self._event(event[6:])
            elif event:
                self._general_event(event)

    def finish(self) -> ModelOutput:
        """The assembled answer, once the body has ended."""
        if self._buffer.strip():
            self._general_event(self._buffer.strip())
        if not self._done and self._finish_reason is None:
            raise _RetryableError("truncated stream: the server closed it before [DONE] or a finish_reason")
        return ModelOutput(
            text="".join(self._parts),
            reasoning="".join(self._reasoning) or None,
            finish_reason=self._finish_reason,
            usage=self._usage,
            latency_s=time.perf_counter() - self._start,
            ttft_s=self._ttft_s,
        )

    def _general_event(self, event: bytes) -> None:
        data = [line[6:] if line[5:6] == b" " else line[5:] for line in event.split(b"\n") if line.startswith(b"data:")]
        if data:
            self._event(b"\n".join(data))

    def _event(self, payload: bytes) -> None:
        if payload == b"[DONE]":
            self._done = True
            return
        try:
            chunk = orjson.loads(payload)
            if "error" in chunk:
                raise _payload_error(chunk["error"])
            for choice in chunk.get("choices") or ():
                if choice.get("index", 0) != 0:
                    continue  # n > 1: ModelOutput holds the first completion only
                if self._completions:
                    text, reasoning = choice.get("text"), None
                else:
                    delta = choice.get("delta") or {}
                    text = delta.get("content")
                    reasoning = delta.get("reasoning_content") or delta.get("reasoning")
                    if reasoning:
                        self._reasoning.append(reasoning)
                if text:
                    self._parts.append(text)
                if (text or reasoning) and self._ttft_s is None:
                    self._ttft_s = self._arrival_s - self._start
                if choice.get("finish_reason"):
                    self._finish_reason = choice["finish_reason"]
            if usage := chunk.get("usage"):
                self._usage = _usage(usage)
        except (orjson.JSONDecodeError, TypeError, AttributeError, ValueError):
            raise _RetryableError(f"malformed JSON in stream chunk: {payload[:80]!r}") from None


def _parse_body(raw: bytes, completions: bool, start: float) -> ModelOutput:
    """Turn a non-streamed JSON answer into a ModelOutput; anything unreadable is retryable."""
    try:
        obj = orjson.loads(raw)
        if "error" in obj and not obj.get("choices"):
            raise _payload_error(obj["error"])
        choice = obj["choices"][0]
        if completions:
            text, reasoning = choice.get("text"), None
        else:
            message = choice["message"]
            text, reasoning = (
                message.get("content"),
                message.get("reasoning_content") or message.get("reasoning"),
            )
        usage = obj.get("usage")
        return ModelOutput(
            text=text or "",
            reasoning=reasoning or None,
            finish_reason=choice.get("finish_reason"),
            usage=_usage(usage) if usage else None,
            latency_s=time.perf_counter() - start,
        )
    except orjson.JSONDecodeError:
        raise _RetryableError(f"malformed JSON in response body: {raw[:80]!r}") from None
    except (KeyError, IndexError, TypeError, AttributeError, ValueError):
        raise _RetryableError(f"response has no usable choices[0]: {raw[:80]!r}") from None


def _usage(usage: Mapping[str, Any]) -> Usage:
    prompt = usage.get("prompt_tokens") or 0
    completion = usage.get("completion_tokens") or 0
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=usage.get("total_tokens") or prompt + completion,
    )


def _payload_error(error: Any) -> Exception:
    """An ``{"error": ...}`` object inside a 200 answer: rejected if it carries a 4xx code."""
    message = error.get("message", "") if isinstance(error, dict) else str(error)
    code = error.get("code") if isinstance(error, dict) else None
    if isinstance(code, int) and 400 <= code < 500 and not is_retryable_status(code):
        return _RejectedError(f"HTTP {code}: {message}")
    return _RetryableError(f"server error in response: {message}")


def _error_message(raw: bytes) -> str:
    """The human part of an error body: OpenAI's ``error.message``, FastAPI's ``detail``, or the text."""
    message: Any = None
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        obj = None
    if isinstance(obj, dict):
        error = obj.get("error")
        message = error.get("message") if isinstance(error, dict) else error
        message = message or obj.get("message") or obj.get("detail")
    if message is None:
        message = raw.decode("utf-8", "replace")
    text = " ".join(str(message).split())
    return text if len(text) <= _MAX_MESSAGE_CHARS else text[:_MAX_MESSAGE_CHARS] + "..."


def _describe_transport_error(exc: BaseException, timeout_s: float | None) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return f"timed out after {timeout_s:g} s" if timeout_s else "timed out"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return f"truncated response body ({exc})"
    return f"connection error: {type(exc).__name__}: {exc}"


def _connect_failure(exc: aiohttp.ClientConnectorError) -> str:
    """A short reason such as "Connection refused" or "Name or service not known"."""
    error = exc.os_error
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"TLS certificate rejected: {error}; for a self-signed server set model_args verify_ssl=false"
    if isinstance(exc, aiohttp.ClientSSLError):
        return f"TLS handshake failed: {error}; check http:// versus https://"
    if isinstance(error, socket.gaierror) or not error.errno:
        return error.strerror or str(error) or type(error).__name__
    return os.strerror(error.errno)


def _retry_after_s(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asked us to wait: ``retry-after-ms``, or ``Retry-After`` in seconds or as a date."""
    seconds: float | None = None
    if value := headers.get("retry-after-ms"):
        with contextlib.suppress(ValueError):
            seconds = float(value) / 1000.0
    if seconds is None and (value := headers.get("Retry-After")):
        try:
            seconds = float(value)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            seconds = when.timestamp() - time.time()  # an HTTP date needs the wall clock
    return None if seconds is None else min(max(seconds, 0.0), RETRY_AFTER_CAP_S)


def _wait_s(retry_after_s: float | None, attempt: int, base_s: float) -> float:
    """How long to sleep before the next attempt.

    With ``Retry-After`` we wait that long plus up to 10% so a burst of rejected requests does not
    come back in lockstep. Otherwise "full jitter" backoff: uniform on [0, min(cap, base * 2^(n-1))],
    which spreads retries out best under contention (AWS architecture blog, "Exponential Backoff
    and Jitter").
    """
    if retry_after_s is not None:
        return retry_after_s * random.uniform(1.0, 1.1)
    return random.uniform(0.0, min(BACKOFF_CAP_S, base_s * 2.0 ** min(attempt - 1, 32)))


def _split_endpoint(api_url: str) -> tuple[URL, ApiKind | None]:
    """Cut a trailing endpoint off ``api_url`` and say which API it named, if any."""
    text = api_url.strip().rstrip("/")
    api: ApiKind | None = None
    for suffix, kind in _ENDPOINT_SUFFIXES:
        if text.endswith(suffix):
            text, api = text[: -len(suffix)], kind
            break
    url = URL(text)
    if url.scheme not in ("http", "https") or not url.host:
        shown = str(url.with_user(None)) if url.absolute else text
        raise UserError(f"--api-url must be an http(s) URL such as http://127.0.0.1:8000/v1, got {shown!r}")
    return url, api


def _as_bool(value: bool | str) -> bool:
    """Accept ``verify_ssl=false`` from ``k=v`` style --model-args as well as a real bool."""
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off")
    return bool(value)


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
    """Close a pool made by :meth:`OpenAIAPI._get_session`, from whichever loop we are on now."""
    if closer is None or loop is None:
        return
    if loop.is_running() and loop is not asyncio.get_running_loop():
        # Still serving another thread: close it there, without waiting for that loop.
        asyncio.run_coroutine_threadsafe(closer.aclose(), loop)
        return
    # On a closed loop aiohttp only marks the pool closed (no transport work), so this is safe here.
    with contextlib.suppress(Exception):
        await closer.aclose()
