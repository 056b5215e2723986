"""One run of a sweep: prepare the requests, send them, then parse, measure, store and report.

Everything that costs CPU happens before or after the load, never during it: prompts are read and
request bodies encoded up front (one ``bytes`` per request), and the records are parsed by the API
plugin, stored in ``benchmark_data.db`` and turned into metrics once the last response is in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from assay.errors import UserError
from assay.perf._clocks import ClockSkewError
from assay.perf._records import Outcome, ParsedResponse, RequestRecord
from assay.perf.arguments import PerfArguments, RunSpec
from assay.perf.client import Endpoint, Sender, endpoint_url, open_session
from assay.perf.metrics import RunMetrics, compute_run_metrics
from assay.perf.plugins import ApiPlugin, Prompt, get_api_plugin, get_prompt_source, prompt_source_api
from assay.perf.progress import PerfProgress
from assay.perf.prompts import content_text
from assay.perf.prompts._images import count_images
from assay.perf.scheduler import LocalFlag, arrival_offsets_ns
from assay.perf.selfcheck import SelfCheck, assess
from assay.perf.workers import LoadPlan, LoadResult, choose_num_workers, new_event_loop_run, run_in_process

#: Seconds requests in flight may still take after Ctrl-C (a second Ctrl-C cancels them at once).
DRAIN_S = 10.0


@dataclass
class ConnectionProbe:
    """What the connection test learned: one request's latency and response chunks."""

    latency_s: float
    chunks: int


@dataclass
class RunResult:
    """One finished (or interrupted) run."""

    spec: RunSpec
    run_dir: Path
    args: PerfArguments
    metrics: RunMetrics
    selfcheck: SelfCheck
    interrupted: bool


def adapt_to_dataset(args: PerfArguments) -> PerfArguments:
    """Switch to the protocol a prompt source needs, as EvalScope does for ``speed_benchmark``.

    ``speed_benchmark`` measures raw prompt lengths, so it uses ``/completions``: with the default
    ``--api openai`` a chat URL becomes the completions URL and the completions plugin is used.
    """
    needed = prompt_source_api(args.dataset)
    if needed is None or args.api == needed or args.api != "openai":
        return args
    url = args.url.rstrip("/")
    if url.endswith("/chat/completions"):
        url = url.removesuffix("chat/completions") + "completions"
    return args.model_copy(update={"api": needed, "url": url})


def make_endpoint(args: PerfArguments, plugin: ApiPlugin) -> Endpoint:
    """The URL (with the API's default path when ``--url`` is a base URL), headers and timeouts.

    ``--tokenize-prompt`` sends token ids, which only ``/completions`` accepts: a chat URL is
    switched to it, as EvalScope does (``Arguments._resolve_tokenize_prompt_url``).
    """
    url = endpoint_url(args.url, plugin.default_path)
    if args.tokenize_prompt and url.rstrip("/").endswith("/chat/completions"):
        url = url.rstrip("/").removesuffix("chat/completions") + "completions"
    return Endpoint(
        url=url,
        headers=plugin.headers(),
        connect_timeout_s=args.connect_timeout,
        read_timeout_s=args.read_timeout,
        total_timeout_s=args.total_timeout,
    )


def check_connection(args: PerfArguments) -> ConnectionProbe:
    """Send one real request before anything runs; any failure is a one-line :class:`UserError`.

    Unlike EvalScope, which retries every 10 s for up to ``--total-timeout`` (6 hours by default),
    a refused connection or an error status stops at once: that is almost always a wrong URL, port,
    model name or key, and the user should hear so immediately. The test request has a session (so a
    connection) of its own, closed before the run opens its own: no connection it used is left for a
    measured request to find closed by the server. A redirect fails the test, naming its target.
    """
    from assay.perf.prompts import uses_chat_messages

    plugin = get_api_plugin(args)
    # EvalScope's test message; the dataset is not read yet, so a wrong URL is reported as such.
    chat = uses_chat_messages(args)
    prompt = Prompt(messages=[{"role": "user", "content": "hello"}]) if chat else Prompt(text="hello")
    endpoint = make_endpoint(args, plugin)
    record = RequestRecord(-1, 0, None, 0, 0)

    async def once() -> None:
        async with open_session(endpoint) as session:
            await Sender(session, endpoint).send(plugin.build_body(prompt), record)

    new_event_loop_run(once)
    where = endpoint.url
    skip = "(--no-test-connection skips this check)"
    if record.outcome is Outcome.CONNECT_ERROR:
        raise UserError(f"cannot connect to {where}: {record.error}; is the server running and --url right?")
    if record.outcome is Outcome.TIMEOUT:
        raise UserError(f"the test request to {where} timed out ({record.error}) {skip}")
    if record.outcome is Outcome.HTTP_ERROR:
        hint = {401: "check --api-key", 403: "check --api-key", 404: "check --url and --model"}.get(record.status or 0)
        raise UserError(f"the test request to {where} failed: {record.error}" + (f"; {hint}" if hint else ""))
    if record.outcome is not Outcome.OK:
        raise UserError(f"the test request to {where} failed: {record.error} {skip}")
    parsed = plugin.parse(record)
    if parsed.failure is not None:
        reason = parsed.failure_reason or parsed.failure.value
        raise UserError(f"{where} answered, but not as --api {args.api} expects ({reason}) {skip}")
    return ConnectionProbe(latency_s=(record.end_ns - record.start_ns) / 1e9, chunks=len(record.chunks))


class PromptFeed:
    """The prompt source of a whole sweep, read once and continued from run to run.

    Each run takes the next prompts rather than starting the source again: with ``--seed`` a fresh
    ``random`` source would repeat the same prompts every run, and a server's prefix cache would then
    answer later runs from cache, distorting TTFT. A finite source is cycled, as EvalScope does.
    """

    def __init__(self, args: PerfArguments) -> None:
        self._source = iter(get_prompt_source(args).prompts())
        self._seen: list[Prompt] = []
        self._exhausted = False
        self._next = 0
        self._dataset = args.dataset

    def take(self, total: int) -> list[Prompt]:
        """The next ``total`` prompts."""
        prompts: list[Prompt] = []
        while len(prompts) < total and not self._exhausted:
            prompt = next(self._source, None)
            if prompt is None:
                self._exhausted = True
                break
            self._seen.append(prompt)
            prompts.append(prompt)
        if len(prompts) < total:
            if not self._seen:
                raise UserError(f"--dataset {self._dataset} gave no prompts")
            for _ in range(total - len(prompts)):
                prompts.append(self._seen[self._next % len(self._seen)])
                self._next += 1
        return prompts


def _schedule(args: PerfArguments, spec: RunSpec, warmup: int) -> list[int] | None:
    """Send offsets by request number, or None for an unpaced closed loop."""
    if spec.rate <= 0:
        return None
    seed = (args.seed if args.seed is not None else 0) * 10_007 + spec.index * 2
    if not spec.open_loop:
        return arrival_offsets_ns(spec.number + warmup, spec.rate, args.burstiness, seed)
    # Open loop: the warmup is its own phase with its own schedule, as in EvalScope.
    warm = arrival_offsets_ns(warmup, spec.rate, args.burstiness, seed + 1)
    return warm + arrival_offsets_ns(spec.number, spec.rate, args.burstiness, seed)


def prepare(
    args: PerfArguments, spec: RunSpec, feed: PromptFeed | None = None
) -> tuple[LoadPlan, list[Prompt], ApiPlugin]:
    """Everything one run sends, encoded before the clock starts."""
    run_args = args.for_run(spec)
    plugin = get_api_plugin(run_args)
    warmup = args.warmup_count(spec.number)
    prompts = (feed or PromptFeed(run_args)).take(spec.number + warmup)
    plan = LoadPlan(
        endpoint=make_endpoint(run_args, plugin),
        bodies=encode_bodies(plugin, prompts),
        warmup=warmup,
        parallel=spec.parallel,
        schedule_ns=_schedule(args, spec, warmup),
        open_loop=spec.open_loop,
        duration_s=args.duration,
        drain_s=DRAIN_S,
    )
    return plan, prompts, plugin


def encode_bodies(plugin: ApiPlugin, prompts: list[Prompt]) -> list[bytes]:
    """Every request's body, encoded now (before any clock starts), identical bodies held once.

    A finite source is cycled, so a run of ``--number`` requests repeats its prompts; each repeat
    gets the same ``bytes`` object rather than a copy, so memory grows with the distinct bodies
    (the prompt pool), not with ``--number``: an image body is tens or hundreds of kilobytes. The
    bodies are still built one per request, because a plugin may vary them (``--max-tokens`` drawn
    from a range), and the pickled plan a worker process receives holds each distinct body once.
    """
    distinct: dict[bytes, bytes] = {}
    return [distinct.setdefault(body, body) for body in map(plugin.build_body, prompts)]


def _rate_estimate(spec: RunSpec, probe: ConnectionProbe | None) -> float | None:
    """Requests/s the client may have to drive (an upper bound), for the auto worker count."""
    ceiling = spec.parallel / probe.latency_s if probe is not None and probe.latency_s > 0 else None
    if spec.rate > 0:
        return spec.rate if spec.open_loop or ceiling is None else min(spec.rate, ceiling)
    return ceiling


def execute(
    args: PerfArguments, spec: RunSpec, plan: LoadPlan, probe: ConnectionProbe | None, show_progress: bool
) -> tuple[LoadResult, int]:
    """Send the load with the chosen number of workers, showing progress; returns the result and wall offset.

    With ``--executor ray`` the workers are Ray actors, one per CPU of the cluster unless
    ``--num-workers`` says otherwise (the local auto rule knows only this machine's cores).
    """
    sink: list[RequestRecord] = []
    wall_offset_ns = time.time_ns() - time.perf_counter_ns()
    with PerfProgress(spec.name, len(plan.bodies), sink, stream=args.stream, enabled=show_progress) as bar:
        if args.executor == "ray":
            from assay.perf._ray_pool import run_on_ray

            return run_on_ray(plan, args.num_workers, sink, bar.tick, args.ray_address), wall_offset_ns
        workers = choose_num_workers(
            args.num_workers,
            plan,
            rate_estimate=_rate_estimate(spec, probe),
            chunks_per_request=probe.chunks if probe is not None else 1.0,
        )
        if workers == 1:
            result = run_in_process(plan, sink, LocalFlag(), bar.tick)
        else:
            from assay.perf._pool import run_in_processes

            result = run_in_processes(plan, workers, sink, bar.tick)
    return result, wall_offset_ns


def finish_records(
    records: list[RequestRecord], prompts: list[Prompt], bodies: list[bytes], stream: bool, wall_offset_ns: int
) -> None:
    """Fill in what the hot path left out: the prompt, its known length, body size, stream flag, wall clock."""
    records.sort(key=lambda r: r.request_id)
    for record in records:
        prompt = prompts[record.request_id]
        record.prompt = _prompt_payload(prompt)
        record.prompt_tokens_expected = prompt.prompt_tokens
        record.request_bytes = len(bodies[record.request_id])
        record.images = count_images(prompt.messages)
        record.stream = stream
        record.wall_offset_ns = wall_offset_ns


def _prompt_payload(prompt: Prompt) -> str | list[int]:
    """The prompt as stored: token ids, or text; of a message with images only its text parts.

    Images are not stored (a record counts them); their base64 would make the database as large as
    the requests, once per distinct prompt.
    """
    if prompt.token_ids is not None:
        return prompt.token_ids
    if prompt.text is not None:
        return prompt.text
    return "\n".join(content_text(m.get("content")) for m in prompt.messages or [])


def parse_records(plugin: ApiPlugin, records: list[RequestRecord]) -> list[ParsedResponse]:
    """The plugin's reading of each answered record (failed ones have nothing to read)."""
    return [plugin.parse(r) if r.outcome is Outcome.OK else ParsedResponse() for r in records]


def measure(
    spec: RunSpec,
    result: LoadResult,
    parsed: list[ParsedResponse],
    token_counter: Callable[[str], int] | None,
) -> tuple[RunMetrics, SelfCheck]:
    """Metrics and the client self-check, merged into one summary."""
    check = assess(result.health, result.records, open_loop=spec.open_loop)
    metrics = compute_run_metrics(
        result.records,
        parsed,
        parallel=spec.parallel,
        rate=spec.rate,
        open_loop=spec.open_loop,
        token_counter=token_counter,
    )
    extra: dict[str, float | int | str | None] = dict(check.to_summary())
    if result.interrupted:
        extra["Interrupted"] = "yes: stopped by Ctrl-C, partial results"
    for problem in result.problems:
        extra.setdefault("Client Problems", problem)
    extra.update(result.extra_summary)
    return metrics.with_extra(extra), check


def run_one(
    args: PerfArguments,
    spec: RunSpec,
    run_dir: Path,
    *,
    probe: ConnectionProbe | None,
    console: Console,
    show_progress: bool,
    token_counter: Callable[[str], int] | None,
    feed: PromptFeed | None = None,
) -> RunResult:
    """Run, store and report one run of the sweep."""
    from assay.perf.report import print_run, write_run_outputs
    from assay.perf.storage import RecordStore

    plan, prompts, plugin = prepare(args, spec, feed)
    # Some protocols never stream (embeddings), whatever --stream says.
    streams = args.stream and getattr(plugin, "streams", True)
    try:
        result, wall_offset_ns = execute(args, spec, plan, probe, show_progress)
    except ClockSkewError as exc:
        # Raw records stay, each in its worker's own clock (the worker column says which); no report.
        finish_records(exc.records, prompts, plan.bodies, streams, 0)
        unmerged = run_dir / "benchmark_data.unmerged.db"
        unmerged.unlink(missing_ok=True)
        RecordStore(unmerged).write(exc.records)
        raise UserError(f"{exc}; the unmerged records are in {unmerged}") from None
    finish_records(result.records, prompts, plan.bodies, streams, wall_offset_ns)
    parsed = parse_records(plugin, result.records)
    metrics, check = measure(spec, result, parsed, token_counter)
    run_dir.mkdir(parents=True, exist_ok=True)
    database = run_dir / "benchmark_data.db"
    database.unlink(missing_ok=True)  # --no-timestamp reruns replace, never mix, records
    run_args = args.for_run(spec)
    store = RecordStore(database)
    store.write(result.records)
    store.write_meta(run_args, run=spec.name, client_selfcheck={**check.to_summary(), **result.extra_summary})
    write_run_outputs(run_dir, run_args, metrics)
    console.print(f"[bold]{spec.name}[/bold]  →  {run_dir}")
    print_run(metrics, console)
    return RunResult(spec, run_dir, run_args, metrics, check, result.interrupted)
