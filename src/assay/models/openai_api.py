"""Backend for any server that speaks the OpenAI Chat Completions / Completions / Embeddings HTTP API.

vLLM, SGLang, TGI, llama.cpp, LMDeploy, Ollama and OpenAI itself all qualify. This is the hot path of
an API evaluation, so it talks HTTP directly with aiohttp and orjson instead of going through the
``openai`` SDK: measured on one core at 64 requests in flight, httpx-based clients manage ~0.5k
requests/s against ~12k for aiohttp, and an eval client must never be what limits a fast server.

What it does per call: build the JSON body once (:mod:`~assay.models.openai_request`: text, images
as ``image_url`` parts, tools and tool turns), POST it, read the answer with the reader ``assay
perf`` uses too (:mod:`~assay.models.openai_stream`: SSE or JSON, tool calls assembled), and retry
what a retry can fix (429, 408, 409, 5xx, timeouts, dropped or garbled responses) with exponential
backoff and full jitter, honouring ``Retry-After`` (:mod:`~assay.models.openai_response`). What no
retry can fix either comes back as ``ModelOutput.error`` (a 400 for one bad prompt) or raises
:class:`~assay.errors.UserError` (a rejected API key), so the run stops before wasting work.
``embed`` and ``embed_batch`` ask ``/embeddings`` and ``rerank`` asks ``/rerank``, by the same rules.
Answers it cannot trust are bounded: a redirect to another origin is an error, not followed (it
would carry the prompt and the key headers there), an answer past ``max_response_bytes`` or silent
past ``read_timeout`` fails, and every key is scrubbed from the server text kept (docs/compat.md,
"Secrets, redirects and limits").

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
import base64
import logging
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any, ClassVar

import aiohttp
import orjson
from yarl import URL

from assay.errors import UserError
from assay.models._api import register_model_api
from assay.models._session import LoopBoundSession
from assay.models._session_redirects import RedirectRefused, send
from assay.models.image_encoding import IMAGE_MODEL_ARGS, ImageOptions
from assay.models.openai_check import ServerCheck
from assay.models.openai_request import (
    ApiKind,
    RequestPlan,
    as_bool,
    chat_messages,
    completions_prompt,
    embedding_body,
    split_endpoint,
    tool_choice_json,
    tools_json,
)
from assay.models.openai_response import (
    RETRY_AFTER_CAP_S,
    EmbeddingBatchReader,
    RejectedError,
    Result,
    RetryableError,
    choices_from_body,
    describe_transport_error,
    embedding_output,
    error_text,
    failed_result,
    generation_from_body,
    is_retryable_status,
    name_rejected_dimensions,
    read_capped,
    read_error_body,
    read_stream,
    read_stream_choices,
    retry_after_s,
    wait_s,
)
from assay.models.rerank import rerank_body, rerank_output
from assay.secrets import is_secret_header, scrub
from assay.types import ChatMessage, GenerateConfig, ModelOutput, ToolChoice, ToolInfo

logger = logging.getLogger(__name__)


_PROXY_ENV = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@register_model_api("openai_api")
class OpenAIAPI(ServerCheck):
    """A model served behind an OpenAI-compatible HTTP API.

    Args:
        model: Model name sent in every request (``--model``).
        api_url: Base URL such as ``http://127.0.0.1:8000/v1``. A full ``.../v1/chat/completions`` or
            ``.../v1/completions`` URL is accepted too (EvalScope's style); the endpoint is cut off
            and, for ``/completions``, becomes the default ``api``. Falls back to
            ``$OPENAI_BASE_URL``. Credentials in it (``http://user:password@host/v1``, or a lone
            ``http://token@host/v1``) are sent as HTTP Basic auth, as curl and browsers do, and
            removed from the URL everywhere else.
        api_key: Bearer token; falls back to ``$OPENAI_API_KEY``, then ``"EMPTY"`` (what local
            servers expect). Never shown in reprs, logs or error messages. Not together with
            credentials in ``api_url`` (both would be the ``Authorization`` header).
        api: ``"chat"`` (Chat Completions, the default) or ``"completions"``. A raw string prompt
            always goes to Completions; chat messages sent to Completions are joined by blank lines,
            without a chat template.
        max_connections: Most open connections; 0 (default) = no limit, since the engine already
            bounds requests in flight with ``eval_batch_size``.
        verify_ssl: Check the server's TLS certificate (turn off only for self-signed test servers).
        image_max_pixels, image_format, image_quality: How images are scaled and encoded before
            sending (:mod:`assay.models.image_encoding`); unset, each goes byte for byte.
        **model_args: Anything else is ignored with a warning (EvalScope passes client options here).

    The client binds one connection pool to the running event loop and opens a new one when the
    loop changes, so a notebook can run several ``asyncio.run`` evaluations with one model object.

    Keys given in ``generation_config.extra_headers`` (``Authorization``, ``X-Api-Key``, ``Cookie``
    ...) replace the ``Bearer EMPTY`` default when no key was given otherwise, and like the API key
    they are removed from every server message kept. Redirects are followed only within the
    server's origin (:mod:`assay.models._session_redirects`); answers are read up to
    ``generation_config.max_response_bytes`` and wait at most ``read_timeout`` for data.
    """

    #: ``generate`` takes ``tools`` and ``tool_choice`` (see :class:`~assay.models.ToolCallingModel`).
    supports_tools = True
    #: Requests in flight unless ``eval_batch_size`` says otherwise (EvalScope's default too).
    default_eval_batch_size: ClassVar[int] = 8
    #: Greedy decoding when the user gives no generation config (EvalScope's service default), so
    #: scores are reproducible.
    default_generation_config: ClassVar[dict[str, Any]] = {"temperature": 0.0}

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
        self._images = ImageOptions.from_model_args(model_args)
        model_args = {k: v for k, v in model_args.items() if k not in IMAGE_MODEL_ARGS}
        if model_args:
            logger.warning("openai_api ignores these model_args: %s", ", ".join(sorted(model_args)))
        raw_url = api_url or os.environ.get("OPENAI_BASE_URL")
        if not raw_url:
            raise UserError("openai_api needs a server URL; pass --api-url (e.g. http://127.0.0.1:8000/v1)")
        base, url_api = split_endpoint(raw_url)
        url_auth = _url_credentials(base)
        if url_auth is not None and api_key not in (None, "", "EMPTY"):
            raise UserError(
                "--api-url carries credentials (the part before '@') and an API key is given too; "
                "give the credentials one way only"
            )
        base = base.with_user(None)  # the credentials travel as a header, never in a URL or a message
        if api not in (None, "chat", "completions"):
            raise UserError(f"model_args api must be 'chat' or 'completions', got {api!r}")
        self.model_name = model
        self.api: ApiKind = api or url_api or "chat"
        #: Base URL with any user:password removed, safe to print.
        self.base_url = str(base)
        self._chat_url = base / "chat" / "completions"
        self._completions_url = base / "completions"
        self._models_url = base / "models"
        self._embeddings_url = base / "embeddings"
        self._rerank_url = base / "rerank"
        key = api_key or os.environ.get("OPENAI_API_KEY")
        #: The ``Authorization`` header sent unless ``extra_headers`` carry the credentials instead.
        self._authorization = _basic_authorization(*url_auth) if url_auth is not None else f"Bearer {key or 'EMPTY'}"
        #: Whether a credential was given other than through ``extra_headers``.
        self._has_credential = url_auth is not None or (bool(key) and key != "EMPTY")
        url_secrets = url_auth or ()
        self._secrets = (key or "", *url_secrets, self._authorization, self._authorization.partition(" ")[2])
        self._max_connections = int(max_connections)
        self._verify_ssl = as_bool(verify_ssl)
        # Reading proxy settings costs time on every request, so only pay for it when one is set.
        self._trust_env = any(os.environ.get(name) for name in _PROXY_ENV)
        self._sessions = LoopBoundSession(self._new_session)
        self._plan_cache: tuple[GenerateConfig, RequestPlan] | None = None

    def __repr__(self) -> str:
        return f"OpenAIAPI(model={self.model_name!r}, api_url={self.base_url!r}, api={self.api!r})"

    async def generate(
        self,
        input: list[ChatMessage] | str,
        config: GenerateConfig,
        *,
        tools: Sequence[ToolInfo] | None = None,
        tool_choice: ToolChoice | None = None,
    ) -> ModelOutput:
        """Send one prompt, retrying what a retry can fix; see the module docstring for the rules.

        ``tools`` are offered to the model (Chat Completions only); the calls it makes come back in
        ``ModelOutput.tool_calls``. ``tool_choice`` is ``auto``, ``none``, ``required`` or the name
        of the function the model must call.

        Raises:
            UserError: the server rejected the API key (401/403), or the prompt needs the chat API
                (images, tools) while this backend sends to completions.
        """
        plan = self._plan_for(config)
        url, data = await self._encoded_body(plan, input, tools, tool_choice)
        return await self._with_retries(config, url, data, plan, generation_from_body, plan.stream, read_stream)

    async def generate_n(self, input: list[ChatMessage] | str, config: GenerateConfig, n: int) -> list[ModelOutput]:
        """``n`` completions of one prompt in one request (OpenAI's ``n``), by ``generate``'s retry rules.

        A server that ignores ``n`` answers fewer choices; the caller asks again for the rest. A
        failure is one output with ``error`` set. Tools are not offered here (repeats of a tool
        call are asked one by one).
        """
        plan = self._plan_for(config)
        url, data = await self._encoded_body(plan, input, None, None, n=n)
        return await self._with_retries(config, url, data, plan, choices_from_body, plan.stream, read_stream_choices)

    async def _encoded_body(
        self,
        plan: RequestPlan,
        input: list[ChatMessage] | str,
        tools: Sequence[ToolInfo] | None,
        tool_choice: ToolChoice | None,
        n: int | None = None,
    ) -> tuple[URL, bytes]:
        """The endpoint and serialised body; a prompt with images is read and encoded in a thread,
        so reading image files, resizing and base64 never stall the other requests in flight."""

        def encode() -> tuple[URL, bytes]:
            url, body = self._generation_body(plan, input, tools, tool_choice)
            if n is not None:
                body["n"] = n
            return url, orjson.dumps(body)

        if not isinstance(input, str) and any(message.images for message in input):
            return await asyncio.to_thread(encode)
        return encode()

    def _generation_body(
        self,
        plan: RequestPlan,
        input: list[ChatMessage] | str,
        tools: Sequence[ToolInfo] | None,
        tool_choice: ToolChoice | None,
    ) -> tuple[URL, dict[str, Any]]:
        """The endpoint and JSON body of one generation request."""
        body = dict(plan.body)
        if isinstance(input, str) or self.api == "completions":
            if tools:
                raise UserError("tools can only be offered through the chat API; use model_args api=chat")
            body["prompt"] = input if isinstance(input, str) else completions_prompt(input)
            return self._completions_url, body
        body["messages"] = chat_messages(input, self._images)
        if tools:
            body["tools"] = tools_json(tools)
        if tool_choice is not None:
            body["tool_choice"] = tool_choice_json(tool_choice)
        return self._chat_url, body

    async def embed(self, text: str, config: GenerateConfig) -> ModelOutput:
        """The embedding of ``text`` from ``<api_url>/embeddings``, with generate's retry and error rules.

        ``dimensions`` is sent only when the config carries it (``GenerateConfig(dimensions=256)``),
        and then a vector of any other length is an error: a server that ignores the key would
        otherwise pass off full-size vectors as shortened ones.

        Raises:
            UserError: the server rejected the API key (401/403).
        """
        plan = self._plan_for(config)
        dimensions = config.request_extras().get("dimensions")
        data = orjson.dumps(embedding_body(self.model_name, text, dimensions))
        read = partial(embedding_output, dimensions)
        output = await self._with_retries(config, self._embeddings_url, data, plan, read)
        return name_rejected_dimensions([output], dimensions)[0]

    async def embed_batch(self, texts: Sequence[str], config: GenerateConfig) -> list[ModelOutput]:
        """The embeddings of ``texts`` from one ``/embeddings`` request (``input`` a list), by embed's rules.

        One output per text, in order, placed by ``index`` (:class:`EmbeddingBatchReader` says what is
        malformed); usage on the first only. A failed request gives each text an output with its error.

        Raises:
            UserError: the server rejected the API key (401/403).
        """
        if not texts:
            return []  # OpenAI rejects an empty input list
        plan = self._plan_for(config)
        dimensions = config.request_extras().get("dimensions")
        body = {**embedding_body(self.model_name, "", dimensions), "input": list(texts)}
        read = EmbeddingBatchReader(len(texts), dimensions)
        outputs = await self._with_retries(config, self._embeddings_url, orjson.dumps(body), plan, read)
        return name_rejected_dimensions(outputs, dimensions)

    async def rerank(
        self, query: str, documents: list[str], *, top_n: int | None = None, config: GenerateConfig
    ) -> ModelOutput:
        """Each document's relevance to ``query`` from ``<api_url>/rerank``, by embed's retry and error rules.

        The scores are in ``ModelOutput.rerank_scores`` in the order of ``documents`` (None for one
        outside ``top_n``); the body and the strict reading of the answer are :mod:`assay.models.rerank`'s.

        Raises:
            UserError: the server rejected the API key (401/403).
            ValueError: ``documents`` is empty or ``top_n`` is below 1.
        """
        plan = self._plan_for(config)
        data = orjson.dumps(rerank_body(self.model_name, query, documents, top_n))
        read = partial(rerank_output, len(documents), top_n)
        return await self._with_retries(config, self._rerank_url, data, plan, read)

    async def aclose(self) -> None:
        """Close the connection pool; the object stays usable and reopens one on the next call."""
        await self._sessions.close()

    # -- one attempt ------------------------------------------------------------------------------

    async def _with_retries(
        self,
        config: GenerateConfig,
        url: URL,
        data: bytes,
        plan: RequestPlan,
        read: Callable[[bytes, int, int], Result],
        stream: bool = False,
        read_sse: Callable[[aiohttp.ClientResponse, int, int | None], Awaitable[Result]] | None = None,
    ) -> Result:
        """POST ``data`` until an attempt succeeds, fails for good, or the retries run out.

        ``read`` turns a whole body into the result (or raises RetryableError / RejectedError),
        ``read_sse`` an SSE answer (when ``stream``). A failed call's result is one output with
        ``error`` set, as a list when ``read`` gives lists.
        """
        attempts = 0
        while True:
            attempts += 1
            try:
                result = await self._attempt(url, data, plan, read, stream, read_sse)
            except RetryableError as exc:
                message = self._scrub(str(exc), plan.secrets)
                if attempts > config.retries:
                    return failed_result(read, f"{message} (gave up after {attempts} attempts)", attempts)
                pause_s = wait_s(exc.retry_after_s, attempts, config.retry_interval)
                logger.debug("openai_api attempt %d failed (%s); retrying in %.2f s", attempts, message, pause_s)
                await asyncio.sleep(pause_s)
            except RejectedError as exc:
                return failed_result(read, self._scrub(str(exc), plan.secrets), attempts)
            else:
                for output in result if isinstance(result, list) else (result,):
                    output.attempts = attempts
                return result

    async def _attempt(
        self,
        url: URL,
        data: bytes,
        plan: RequestPlan,
        read: Callable[[bytes, int, int], Result],
        stream: bool,
        read_sse: Callable[[aiohttp.ClientResponse, int, int | None], Awaitable[Result]] | None,
    ) -> Result:
        session = self._sessions.current() or await self._sessions.get()
        start_ns = time.perf_counter_ns()
        try:
            async with await send(session, "POST", url, data=data, headers=plan.headers, timeout=plan.timeout) as resp:
                if not 200 <= resp.status < 300:
                    await self._raise_for_status(resp, plan.secrets)
                # A server may answer a stream request in one JSON piece; that is read as a body.
                if stream and read_sse is not None and resp.content_type != "application/json":
                    return await read_sse(resp, start_ns, plan.max_response_bytes)
                raw = await read_capped(resp, plan.max_response_bytes)
                return read(raw, start_ns, time.perf_counter_ns())
        except RedirectRefused as exc:
            raise RejectedError(str(exc)) from None
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise RetryableError(describe_transport_error(exc, plan.timeout)) from None

    async def _raise_for_status(self, resp: aiohttp.ClientResponse, secrets: Sequence[str]) -> None:
        status = resp.status
        try:
            message = self._scrub(error_text(await read_error_body(resp)), secrets)
        except (aiohttp.ClientError, asyncio.TimeoutError):
            message = resp.reason or ""
        if status in (401, 403):
            raise self._key_error(status, message)
        if is_retryable_status(status):
            asked = retry_after_s(resp.headers, cap_s=None)
            if asked is not None and asked > RETRY_AFTER_CAP_S:
                logger.warning(
                    "the server asked to wait %.0f s before retrying (HTTP %d Retry-After); waiting %.0f s at most",
                    asked,
                    status,
                    RETRY_AFTER_CAP_S,
                )
            raise RetryableError(f"HTTP {status}: {message}", retry_after_s(resp.headers))
        if 300 <= status < 400:  # a redirect without a Location: nothing to follow
            raise RejectedError(f"HTTP {status} redirect without a Location header: {message}")
        raise RejectedError(f"HTTP {status}: {message}")

    def _key_error(self, status: int, message: str) -> UserError:
        return UserError(
            f"the model server at {self.base_url} rejected the API key (HTTP {status}: {message}); "
            "pass --api-key or set OPENAI_API_KEY"
        )

    def _scrub(self, text: str, secrets: Sequence[str] = ()) -> str:
        """Remove every credential from server text: some servers echo the bad key back in full."""
        return scrub(text, (*self._secrets, *secrets))

    def _headers_for(self, extra_headers: dict[str, str] | None) -> dict[str, str]:
        """What a request sends besides the session's JSON type: ``Authorization`` and ``extra_headers``.

        Without a key from ``--api-key``, ``$OPENAI_API_KEY`` or the URL, a key header in
        ``extra_headers`` (``X-Api-Key``, ``Cookie`` ...) is the credential: no ``Bearer EMPTY``
        beside it. An ``Authorization`` in ``extra_headers`` always wins (in any letter case).
        """
        extra = dict(extra_headers or {})
        overridden = any(name.lower() == "authorization" for name in extra)
        keyed = any(is_secret_header(name) for name in extra)
        if overridden or (keyed and not self._has_credential):
            return extra
        return {"Authorization": self._authorization, **extra}

    def _plan_for(self, config: GenerateConfig) -> RequestPlan:
        # The engine passes the same config object for every sample, so one cached entry suffices.
        cached = self._plan_cache
        if cached is not None and cached[0] is config:
            return cached[1]
        plan = RequestPlan.from_config(self.model_name, config, self._headers_for(config.extra_headers))
        self._plan_cache = (config, plan)
        return plan

    def _new_session(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._max_connections, ttl_dns_cache=300, keepalive_timeout=30, ssl=self._verify_ssl
        )
        return aiohttp.ClientSession(
            connector=connector,
            headers={"Content-Type": "application/json"},
            timeout=aiohttp.ClientTimeout(total=None),
            trust_env=self._trust_env,
        )


def _url_credentials(url: URL) -> tuple[str, str] | None:
    """The user-info of ``url`` as (user, password), decoded; a lone token is the user, with no password."""
    if url.user is None and url.password is None:
        return None
    return url.user or "", url.password or ""


def _basic_authorization(user: str, password: str) -> str:
    """An HTTP Basic ``Authorization`` value (RFC 7617, UTF-8), as curl sends for URL credentials."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
