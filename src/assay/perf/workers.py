"""Client worker processes: one uvloop event loop each, one shared load, one common start instant.

One Python event loop drives a few thousand streamed requests per second on one core; past that
it queues work and the timestamps suffer (see :mod:`assay.perf.selfcheck`). ``--num-workers N``
splits the load over ``N`` processes (``spawn``ed, so a parent with threads is safe):

* closed loop: the ``P`` users are divided between the workers and draw request numbers from one
  shared counter, so the total is exact and the concurrency stays ``P`` until the end;
* scheduled: request ``i`` of the one precomputed schedule goes to worker ``i mod N`` (and a
  ``--parallel`` cap is divided like the users).

Each phase (an open-loop warmup, then the measured run) starts at an instant the parent sets once
every worker is ready, so no worker's start-up time counts. Workers send their records back in
batches over a queue; the parent parses and stores them after the run.

With one worker everything runs in the calling process: no start-up cost, no pickling.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import queue
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assay.perf._records import RequestRecord
from assay.perf.client import Endpoint, Sender, open_session, preconnect
from assay.perf.scheduler import Budget, Flag, Load, LocalBudget, LocalFlag, Phase
from assay.perf.selfcheck import HealthMeter, WorkerHealth

#: Client CPU per streamed request and per response chunk, s, measured on one core here
#: (aiohttp 3.14, uvloop 0.23, Python 3.11): 76 us per request answered in one chunk (20,000
#: requests at 12.5k req/s), 205 us per request of 14.3 chunks (10 ms of tokens at 1 ms apart).
REQUEST_CPU_S = 75e-6
CHUNK_CPU_S = 10e-6
#: Auto mode adds workers until each is expected to be at most this busy (headroom for bursts).
TARGET_CPU_FRACTION = 0.6
#: Runs smaller than this never start extra processes: start-up (~0.5 s each) would dominate.
MIN_REQUESTS_PER_EXTRA_WORKER = 2000
#: Margin between "every worker is ready" and the common start instant, ns.
START_MARGIN_NS = 20_000_000
#: Seconds between two progress updates; a redraw blocks the loop ~1 ms, 0.2% of the time at 2 Hz.
TICK_S = 0.5


@dataclass(frozen=True)
class LoadPlan:
    """One run's load, ready to split between workers (picklable)."""

    endpoint: Endpoint
    #: Request bodies, by request number; the first ``warmup`` are warmup requests.
    bodies: list[bytes]
    warmup: int
    #: Closed loop: concurrent users, or the in-flight cap under a schedule. Open loop: -1.
    parallel: int
    #: Send offsets (ns) by request number when scheduled; None = closed loop at full speed.
    schedule_ns: list[int] | None = None
    #: Open loop: the warmup has its own schedule and completes before the measured phase.
    open_loop: bool = False
    duration_s: float | None = None
    #: Seconds requests in flight may take to finish after Ctrl-C before being cancelled.
    drain_s: float = 10.0


@dataclass
class LoadResult:
    """Everything measured in one run."""

    records: list[RequestRecord]
    health: list[WorkerHealth]
    interrupted: bool = False
    problems: list[str] = field(default_factory=list)
    #: Entries the executor adds to ``benchmark_summary.json`` (Ray: each worker's clock offsets).
    extra_summary: dict[str, float | int | str | None] = field(default_factory=dict)


def choose_num_workers(
    requested: int | None, plan: LoadPlan, *, rate_estimate: float | None, chunks_per_request: float
) -> int:
    """The number of worker processes: ``requested``, or by the auto rule when None / 0.

    Auto rule: expected client CPU = request rate x (:data:`REQUEST_CPU_S` + chunks x
    :data:`CHUNK_CPU_S`); use as many workers as keep each under :data:`TARGET_CPU_FRACTION` of a
    core, at most one per CPU this process may use, at most one per closed-loop user, and one for
    runs under :data:`MIN_REQUESTS_PER_EXTRA_WORKER` requests. The rate is ``--rate`` for scheduled
    runs, else ``--parallel`` / latency of the connection test (an upper bound: latency only grows
    with load); without an estimate (``--no-test-connection``) it is one worker.
    """
    if requested:
        return requested
    if rate_estimate is None or len(plan.bodies) < MIN_REQUESTS_PER_EXTRA_WORKER:
        return 1
    cpu_needed = rate_estimate * (REQUEST_CPU_S + CHUNK_CPU_S * chunks_per_request)
    wanted = math.ceil(cpu_needed / TARGET_CPU_FRACTION)
    limit = _usable_cpus()
    if plan.schedule_ns is None:
        limit = min(limit, plan.parallel)
    return max(1, min(wanted, limit))


def raise_open_file_limit() -> None:
    """Lift the soft limit on open files to the hard one: every request in flight holds a socket,
    and the usual soft limit of 1024 would fail a ``--parallel 2000`` run with connect errors."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):  # Windows, or a hard limit we may not use
        pass


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _share(total: int, parts: int, k: int) -> int:
    """Part ``k`` of ``total`` split as evenly as possible into ``parts``."""
    return total // parts + (1 if k < total % parts else 0)


def worker_phases(plan: LoadPlan, worker: int, workers: int) -> list[Load]:
    """What ``worker`` of ``workers`` sends, phase by phase."""
    duration_ns = None if plan.duration_s is None else round(plan.duration_s * 1e9)
    cap = None if plan.open_loop else _share(plan.parallel, workers, worker)
    offsets = plan.schedule_ns
    if offsets is None:
        return [Load(users=_share(plan.parallel, workers, worker))]
    mine = [(i, offsets[i]) for i in range(worker, len(offsets), workers)]
    if not plan.open_loop:
        first_measured = offsets[plan.warmup] if plan.warmup < len(offsets) else 0
        deadline = None if duration_ns is None else first_measured + duration_ns
        return [Load(schedule=mine, cap=cap, deadline_offset_ns=deadline)]
    warm = [(i, t) for i, t in mine if i < plan.warmup]
    measured = [(i, t) for i, t in mine if i >= plan.warmup]
    phases = [Load(schedule=warm)] if plan.warmup else []
    return [*phases, Load(schedule=measured, deadline_offset_ns=duration_ns)]


async def run_worker(
    plan: LoadPlan,
    phases: Sequence[Load],
    worker: int,
    *,
    sink: list[RequestRecord],
    stop: Flag,
    budget: Budget | None,
    phase_start: Callable[[int], int],
) -> WorkerHealth:
    """Run this worker's phases in the running loop; records go to ``sink`` as they finish."""
    meter = HealthMeter(worker)
    sent = max_in_flight = 0
    async with open_session(plan.endpoint) as session:
        sender = Sender(session, plan.endpoint)
        # Closed loop: every user's connection exists before the clock starts (see preconnect).
        await preconnect(session, plan.endpoint, max((load.users or load.cap or 0) for load in phases))
        for k, load in enumerate(phases):
            start_ns = phase_start(k)
            if k == len(phases) - 1:
                meter.start()
            phase = Phase(sender, plan.bodies, plan.warmup, worker, sink, stop, plan.drain_s)
            await phase.run(load, start_ns, budget)
            sent, max_in_flight = sent + phase.stats.sent, max(max_in_flight, phase.stats.max_in_flight)
            if stop.value:
                break
    return meter.finish(sent, max_in_flight)


def run_in_process(
    plan: LoadPlan, sink: list[RequestRecord], stop: LocalFlag, on_tick: Callable[[], None] | None = None
) -> LoadResult:
    """Run ``plan`` with one worker, in this process, on a fresh uvloop loop (blocks).

    ``sink`` receives records as they finish; ``on_tick`` (the progress display) is called every
    :data:`TICK_S`; Ctrl-C sets ``stop``.
    """
    raise_open_file_limit()
    total = len(plan.bodies)
    duration_ns = None if plan.duration_s is None else round(plan.duration_s * 1e9)
    budget = LocalBudget(total, plan.warmup, duration_ns, stop) if plan.schedule_ns is None else None

    async def main() -> WorkerHealth:
        _on_sigint(asyncio.get_running_loop(), stop)
        ticker = asyncio.ensure_future(_tick_every(on_tick)) if on_tick is not None else None
        try:
            return await _run_single(plan, sink, stop, budget)
        finally:
            if ticker is not None:
                ticker.cancel()

    health = new_event_loop_run(main)
    return LoadResult(records=sink, health=[health], interrupted=bool(stop.value))


async def _run_single(plan: LoadPlan, sink: list[RequestRecord], stop: Flag, budget: Budget | None) -> WorkerHealth:
    return await run_worker(
        plan,
        worker_phases(plan, 0, 1),
        0,
        sink=sink,
        stop=stop,
        budget=budget,
        phase_start=lambda _: time.perf_counter_ns() + 1_000_000,
    )


async def _tick_every(on_tick: Callable[[], None]) -> None:
    while True:
        await asyncio.sleep(TICK_S)
        on_tick()


def _on_sigint(loop: asyncio.AbstractEventLoop, stop: Flag) -> None:
    """First Ctrl-C: stop sending and drain; second: cancel what is still in flight."""

    def bump() -> None:
        stop.value += 1

    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
        loop.add_signal_handler(signal.SIGINT, bump)


def new_event_loop_run(main: Callable[[], Any]) -> Any:
    """Run ``main()`` on a new uvloop loop (stdlib loop if uvloop is missing) and close it."""
    try:
        import uvloop

        loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    except ImportError:
        loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(main())
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.remove_signal_handler(signal.SIGINT)
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def drain_queue(channel: Any, timeout_s: float) -> list[Any]:
    """Every message on ``channel`` now, waiting up to ``timeout_s`` for the first."""
    messages: list[Any] = []
    try:
        messages.append(channel.get(timeout=timeout_s))
        while True:
            messages.append(channel.get_nowait())
    except queue.Empty:
        return messages
