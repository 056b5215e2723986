"""The mock server itself: HTTP routing, choosing the answer and the fault.

When each answer is written, and how a fault breaks it, is :mod:`assay.mock_server._sending`'s.

Fault model: a generation request is matched against the rules first. If the winning rule has a
``fault``, that rule decides (fail, or answer once its ``fail_times`` are used up) and the random
injector is not consulted; every other request takes one seeded draw. So adding fault rules
never shifts which of the other requests the ``p_*`` faults hit.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from types import TracebackType
from typing import IO, Any

import orjson
from aiohttp import web
from pydantic import ValidationError

from assay.mock_server._config import ServerConfig
from assay.mock_server._embeddings import EMBEDDINGS, EMBEDDINGS_PATH, EmbeddingRequest, EmbeddingsEndpoint
from assay.mock_server._faults import Fault, FaultInjector
from assay.mock_server._image_rules import RequestImages
from assay.mock_server._protocol import (
    CHAT,
    CHAT_PATH,
    COMPLETIONS,
    COMPLETIONS_PATH,
    ApiRoute,
    BadRequest,
    GenerationRequest,
    error_body,
)
from assay.mock_server._rerank import RERANK, RERANK_BARE, RerankEndpoint, RerankRequest
from assay.mock_server._rules import PlannedCall, ReplyPlan, Rule, RuleSet, count_tokens, parse_rules, plan_reply
from assay.mock_server._sending import Sender
from assay.mock_server._sending import json_response as _json
from assay.mock_server._stamping import StampingRequestHandler, StampingServer, Trace
from assay.mock_server._stats import Stats, prompt_key

_SHUTDOWN_GRACE_S = 0.5  # stop() cuts in-flight streams and hangs after this; it is a test server
_UNAUTHORIZED = error_body("Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
_RATE_LIMITED = error_body("Rate limit reached (injected by the assay mock server).", "requests", "rate_limit_exceeded")
_SERVER_ERROR = error_body("Internal server error (injected by the assay mock server).", "server_error")

_Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]
_Endpoint = ApiRoute | EmbeddingsEndpoint | RerankEndpoint


class MockServer:
    """The server, for use inside a running event loop.

    Example:
        >>> async with MockServer(ServerConfig(ttft_ms=50)) as server:  # doctest: +SKIP
        ...     await call_model(base_url=server.url)
    """

    def __init__(self, config: ServerConfig | None = None) -> None:
        self.config = cfg = config or ServerConfig()
        self._rules = RuleSet(cfg.rules)
        self._faults = FaultInjector(cfg.fault_probabilities(), cfg.seed)
        self._stats = Stats(len(self._rules))
        self._auth = None if cfg.api_key is None else f"Bearer {cfg.api_key}"
        self._send = Sender(cfg)
        self._next_id = 0
        self._runner: web.ServerRunner | None = None
        self._port: int | None = None
        self._record: IO[bytes] | None = None
        model_list = [{"id": m, "object": "model", "created": 0, "owned_by": "assay"} for m in cfg.models]
        self._models_body = orjson.dumps({"object": "list", "data": model_list})
        self._routes: dict[tuple[str, str], _Handler] = {
            ("POST", CHAT_PATH): self._chat,
            ("POST", COMPLETIONS_PATH): self._completions,
            ("POST", EMBEDDINGS_PATH): self._embeddings,
            ("POST", RERANK.path): partial(self._generate, endpoint=RERANK),
            ("POST", RERANK_BARE.path): partial(self._generate, endpoint=RERANK_BARE),
            ("GET", "/v1/models"): self._models,
            ("GET", "/health"): self._health,
            ("GET", "/admin/stats"): self._admin_stats,
            ("POST", "/admin/reset"): self._admin_reset,
            ("GET", "/admin/rules"): self._admin_get_rules,
            ("POST", "/admin/rules"): self._admin_set_rules,
        }

    async def __aenter__(self) -> MockServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Bind and serve; with ``port=0`` the chosen port is in :attr:`port` afterwards.

        Raises:
            OSError: the address could not be bound.
        """
        # handler_cancellation: a client that gives up cancels its handler, as vLLM aborts the request.
        low_level = StampingServer(self._dispatch, handler_cancellation=True, access_log=None)
        runner = web.ServerRunner(low_level, shutdown_timeout=_SHUTDOWN_GRACE_S)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.config.host, self.config.port, reuse_address=True).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        if self.config.record_path is not None:
            self._record = self.config.record_path.open("ab")

    async def stop(self) -> None:
        """Stop listening, cut in-flight requests after a short grace, and close the record file."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._record is not None:
            self._record.close()
            self._record = None

    @property
    def port(self) -> int:
        """The bound TCP port."""
        if self._port is None:
            raise RuntimeError("the mock server is not started")
        return self._port

    @property
    def root_url(self) -> str:
        """``http://host:port``, where ``/admin`` and ``/health`` live."""
        host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.config.host, self.config.host)
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    @property
    def url(self) -> str:
        """The OpenAI base URL, ``http://host:port/v1``."""
        return self.root_url + "/v1"

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The rules in force."""
        return self._rules.rules

    def set_rules(self, rules: Iterable[Rule]) -> None:
        """Replace all rules; requests already being answered keep their reply (or fault).

        ``rule_hits`` restarts at zero for the new list, and with it every rule's ``fail_times``:
        counters are by position, and position 0 of the new list is a different rule.
        """
        self._rules = RuleSet(rules)
        self._stats.restart_rules(len(self._rules))

    def stats(self) -> dict[str, Any]:
        """Counters of the answering endpoints and what arrived (``/v1/models`` and ``/admin`` are not counted).

        Returns:
            ``{"requests_total", "images_total", "by_endpoint", "by_outcome", "prompt_counts", "images",
            "tools", "rule_hits"}``, described in :meth:`~assay.mock_server._stats.Stats.snapshot`.
        """
        return self._stats.snapshot()

    def reset(self) -> None:
        """Zero the counters and restart the fault RNG, as if freshly started (rules are kept).

        Rule hits are counters too, so each rule's ``fail_times`` start over.
        """
        self._stats.reset()
        self._faults.reseed()

    async def _dispatch(self, request: web.BaseRequest) -> web.StreamResponse:
        handler = self._routes.get((request.method, request.path))
        if handler is not None and request.path.startswith("/admin/") and not self._authorized(request):
            return _json(_UNAUTHORIZED, 401)  # with --api-key, changing rules or stats needs the key too
        if handler is not None:
            try:
                return await handler(request)
            finally:
                # Any request leaves its arrival stamp on the connection (only generation requests
                # take it); clear it, or the next request on this keep-alive connection would be
                # timed from this one's arrival and answered early.
                if isinstance(request.protocol, StampingRequestHandler):
                    request.protocol.arrival_ns = 0
        known_path = any(path == request.path for _, path in self._routes)
        message = f"no route for {request.method} {request.path}"
        return _json(error_body(message, "invalid_request_error"), 405 if known_path else 404)

    async def _chat(self, request: web.BaseRequest) -> web.StreamResponse:
        return await self._generate(request, CHAT)

    async def _completions(self, request: web.BaseRequest) -> web.StreamResponse:
        return await self._generate(request, COMPLETIONS)

    async def _embeddings(self, request: web.BaseRequest) -> web.StreamResponse:
        return await self._generate(request, EMBEDDINGS)

    async def _generate(self, request: web.BaseRequest, endpoint: _Endpoint) -> web.StreamResponse:
        start_ns = time.perf_counter_ns()
        protocol = request.protocol
        stamping = protocol if isinstance(protocol, StampingRequestHandler) else None
        if stamping is not None:
            start_ns = stamping.take_arrival(start_ns)
        record = self._record
        trace = None if record is None else Trace(endpoint=endpoint.path, arrival_ns=start_ns)
        try:
            return await self._answer(request, endpoint, start_ns / 1e9, trace)
        finally:
            # Packets of this request's body that arrived after its headers left a stamp; clear it
            # before the response ends, so it cannot pass for the next request's arrival.
            if stamping is not None:
                stamping.arrival_ns = 0
            if record is not None and trace is not None and not record.closed:
                record.write(orjson.dumps(trace) + b"\n")
                record.flush()

    def _count(self, outcome: str, trace: Trace | None) -> None:
        self._stats.by_outcome[outcome] += 1
        if trace is not None:
            trace.outcome = outcome

    async def _answer(
        self, request: web.BaseRequest, endpoint: _Endpoint, start: float, trace: Trace | None
    ) -> web.StreamResponse:
        """Check, count, pick the rule and the fault, then answer or fail one request."""
        stats = self._stats
        stats.count_request(endpoint.path)
        if not self._authorized(request):
            self._count("401", trace)
            return _json(_UNAUTHORIZED, 401)
        try:
            req = endpoint.parse(await request.content.read())
            model = self._resolve_model(req.model)
        except BadRequest as exc:
            self._count(str(exc.status), trace)
            return _json(error_body(str(exc), "invalid_request_error", exc.code), exc.status)
        stats.note_prompt(prompt_key(req.question), req if isinstance(req, GenerationRequest) else None)
        if isinstance(req, GenerationRequest):
            rule, fault, served, reading = self._choose(req)
        else:
            rule, fault, served, reading = None, self._faults.draw(), 0, None
        self._count("ok" if fault is None else fault.value, trace)
        if fault is Fault.RATE_LIMIT:
            retry_s = self.config.retry_after_s
            return _json(_RATE_LIMITED, 429, {"Retry-After": f"{retry_s:g}", "retry-after-ms": f"{retry_s * 1000:g}"})
        if fault is Fault.SERVER_ERROR:
            return _json(_SERVER_ERROR, 500)
        if fault is Fault.ECHO_HEADERS:
            echoed = "; ".join(f"{name}: {value}" for name, value in request.headers.items())
            return _json(error_body(f"bad request (injected); headers: {echoed}", "invalid_request_error"), 400)
        if fault is Fault.HANG:
            return await self._send.hang(request)
        if isinstance(req, GenerationRequest) and isinstance(endpoint, ApiRoute):
            return await self._reply(request, endpoint, req, (rule, served, reading), model, start, fault, trace)
        if isinstance(req, RerankRequest) and isinstance(endpoint, RerankEndpoint):
            body = endpoint.body(req, model)
        else:
            assert isinstance(req, EmbeddingRequest)  # the only other kind of request
            body = EMBEDDINGS.body(req, model)
        return await self._send.json(request, body, 1, start, fault, trace)

    def _choose(self, req: GenerationRequest) -> tuple[Rule | None, Fault | None, int, str | None]:
        """The winning rule (counted as a hit), the fault (the rule's own, else one random draw),
        how many completions the rule answered before (which of its ``replies`` come next), and
        for a ``read`` rule what it read in the images.

        Runs without an ``await``, so the hit count and the ``fail_times`` decision it feeds are
        one step on the loop: concurrent requests cannot both take a rule's last failure.
        """
        rules, images = self._rules, (RequestImages(req.image_data) if req.image_data else None)
        index = rules.match_index(req.question, req.system, images)
        if index is None:
            return None, self._faults.draw(), 0, None
        rule = rules.rules[index]
        hit = self._stats.hit_rule(index)
        fault = self._faults.draw() if rule.fault is None else rule.fails_at(hit)
        served = self._stats.serve_completions(index, self._choices(req)) if fault is None else 0
        reading = None if rule.read is None or images is None else images.read(rule, req.question)
        return rule, fault, served, reading

    def _choices(self, req: GenerationRequest) -> int:
        return 1 if self.config.ignore_n or req.stream else req.n

    async def _reply(
        self,
        request: web.BaseRequest,
        endpoint: ApiRoute,
        req: GenerationRequest,
        choice: tuple[Rule | None, int, str | None],
        model: str,
        start: float,
        fault: Fault | None,
        trace: Trace | None,
    ) -> web.StreamResponse:
        """Plan the reply and send it on schedule, truncated or malformed if that fault was drawn.

        ``choice`` is the rule, its completions served before, and what it read (see :meth:`_choose`).
        ``n`` > 1 gets that many choices in a JSON answer (one unless ``ignore_n``); a stream
        carries one choice, as from servers that do not stream several.
        """
        rule, served, reading = choice
        self._next_id += 1
        request_id = f"{endpoint.id_prefix}{self._next_id}"
        if trace is not None:
            trace.request_id, trace.stream = request_id, req.stream
        plans = [
            self._plan(req, rule, endpoint, f"{request_id}-{i}" if i else request_id, served + i, reading)
            for i in range(self._choices(req))
        ]
        plan = plans[0]
        prompt_tokens = count_tokens(req.prompt_text)
        completion_tokens = sum(p.completion_tokens for p in plans)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        if req.stream:
            head = endpoint.chunk_head(request_id, model)
            if fault is Fault.MALFORMED:
                frames = [endpoint.broken_frame(head)]
            else:
                frames = endpoint.token_frames(head, plan) or [b""]  # a completion may be empty
                if fault is Fault.TRUNCATE:
                    frames = frames[: len(frames) // 2]
                else:
                    frames[-1] += endpoint.trailer(head, plan.finish_reason, usage if req.include_usage else None)
            return await self._send.stream(request, frames, start, fault, trace)
        body = endpoint.full_body(request_id, model, plans, usage)
        longest = max(p.completion_tokens for p in plans)
        return await self._send.json(request, body, longest, start, fault, trace)

    def _resolve_model(self, requested: str | None) -> str:
        if requested is None:
            return self.config.models[0]
        if self.config.strict_model and requested not in self.config.models:
            raise BadRequest(f"The model `{requested}` does not exist.", 404, "model_not_found")
        return requested

    def _plan(
        self,
        req: GenerationRequest,
        rule: Rule | None,
        endpoint: ApiRoute,
        request_id: str,
        served: int = 0,
        reading: str | None = None,
    ) -> ReplyPlan:
        calls: list[PlannedCall] = []
        if rule is not None:
            content, reasoning = rule.reply_at(served, reading), (rule.reasoning if endpoint.chat else None)
            if endpoint.chat and rule.tool_calls:
                calls = [
                    PlannedCall(f"call-{request_id}-{i}", call.name, call.arguments)
                    for i, call in enumerate(rule.tool_calls)
                ]
        else:
            content, reasoning = (req.question if self.config.echo else self.config.default_reply), None
        return plan_reply(content, reasoning, stop=req.stop, max_tokens=req.max_tokens, tool_calls=calls)

    async def _models(self, request: web.BaseRequest) -> web.StreamResponse:
        if not self._authorized(request):
            return _json(_UNAUTHORIZED, 401)
        return _json(self._models_body)

    def _authorized(self, request: web.BaseRequest) -> bool:
        """Whether ``request`` carries the key, when the server was started with one."""
        return self._auth is None or request.headers.get("Authorization") == self._auth

    async def _health(self, request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(text="ok")

    async def _admin_stats(self, request: web.BaseRequest) -> web.StreamResponse:
        return _json(orjson.dumps(self.stats()))

    async def _admin_reset(self, request: web.BaseRequest) -> web.StreamResponse:
        self.reset()
        return _json(b'{"ok":true}')

    async def _admin_get_rules(self, request: web.BaseRequest) -> web.StreamResponse:
        return _json(orjson.dumps([r.model_dump(mode="json", exclude_none=True) for r in self._rules.rules]))

    async def _admin_set_rules(self, request: web.BaseRequest) -> web.StreamResponse:
        try:
            rules = parse_rules(orjson.loads(await request.content.read()))
            self.set_rules(rules)
        except (orjson.JSONDecodeError, ValidationError, ValueError) as exc:
            return _json(error_body(f"invalid rules: {exc}", "invalid_request_error"), 400)
        return _json(orjson.dumps({"rules": len(rules)}))
