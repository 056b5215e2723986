"""Running one :class:`~assay.perf.workers.LoadPlan` on several worker processes.

The parent spawns the workers, releases each phase at one common ``perf_counter_ns`` instant
(CLOCK_MONOTONIC: the same clock in every process of the machine) once all are ready, collects the
record batches they send, and turns Ctrl-C into the shared stop flag. Workers ignore SIGINT
themselves: a terminal's Ctrl-C reaches the whole process group, and the parent decides.
"""

from __future__ import annotations

import multiprocessing
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assay.perf._records import RequestRecord
from assay.perf.scheduler import Flag
from assay.perf.selfcheck import WorkerHealth
from assay.perf.workers import (
    START_MARGIN_NS,
    TICK_S,
    LoadPlan,
    LoadResult,
    drain_queue,
    new_event_loop_run,
    raise_open_file_limit,
    run_worker,
    worker_phases,
)

_FLUSH_S = 0.1
_READY_TIMEOUT_S = 120.0
_DEAD_GRACE_S = 2.0


@dataclass(frozen=True)
class _Shared:
    """Handles to the shared state, passed to each worker at spawn."""

    stop: Any  # RawValue("i"): 0 run, 1 stop and drain, 2 cancel now
    start_ns: Any  # RawValue("q"): the instant the released phase starts
    next_index: Any  # RawValue("q"): closed loop, next request number to hand out
    deadline_ns: Any  # RawValue("q"): closed loop --duration deadline, 0 until armed
    lock: Any
    phase_go: list[Any]  # one Event per phase


class SharedBudget:
    """The closed-loop :class:`~assay.perf.scheduler.Budget` shared by all workers."""

    def __init__(self, shared: _Shared, total: int, warmup: int, duration_ns: int | None) -> None:
        self._s = shared
        self._total = total
        self._warmup = warmup
        self._duration_ns = duration_ns

    def claim(self) -> int | None:
        s = self._s
        if s.stop.value:
            return None
        with s.lock:
            i = s.next_index.value
            if i >= self._total:
                return None
            if self._duration_ns is not None:
                now = time.perf_counter_ns()
                if s.deadline_ns.value and now >= s.deadline_ns.value:
                    return None
                if i == self._warmup:
                    s.deadline_ns.value = now + self._duration_ns
            s.next_index.value = i + 1
            return int(i)


def _worker_main(plan: LoadPlan, worker: int, workers: int, shared: _Shared, channel: Any) -> None:
    """Entry point of a worker process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    raise_open_file_limit()
    sink: list[RequestRecord] = []
    duration_ns = None if plan.duration_s is None else round(plan.duration_s * 1e9)
    budget = SharedBudget(shared, len(plan.bodies), plan.warmup, duration_ns) if plan.schedule_ns is None else None

    def flush() -> None:
        if sink:
            batch = sink[:]
            del sink[: len(batch)]
            channel.put(("records", worker, batch))

    def phase_start(k: int) -> int:
        flush()
        channel.put(("ready", worker, k))
        if not shared.phase_go[k].wait(_READY_TIMEOUT_S):
            raise TimeoutError(f"phase {k} was not released")
        return int(shared.start_ns.value)

    async def flusher() -> None:
        import asyncio

        while True:
            await asyncio.sleep(_FLUSH_S)
            flush()

    async def main() -> WorkerHealth:
        import asyncio

        task = asyncio.ensure_future(flusher())
        try:
            return await run_worker(
                plan,
                worker_phases(plan, worker, workers),
                worker,
                sink=sink,
                stop=shared.stop,
                budget=budget,
                phase_start=phase_start,
            )
        finally:
            task.cancel()

    try:
        health = new_event_loop_run(main)
        flush()
        channel.put(("done", worker, health))
    except BaseException as exc:  # report, never die silently
        flush()
        channel.put(("error", worker, f"{type(exc).__name__}: {exc}"))


class _Collector:
    """The parent's side: release phases, gather records and health, watch for dead workers."""

    def __init__(self, workers: int, phases: int, shared: _Shared, sink: list[RequestRecord]) -> None:
        self.workers = workers
        self.shared = shared
        self.sink = sink
        self.ready = [0] * phases
        self.health: dict[int, WorkerHealth] = {}
        self.finished: set[int] = set()
        self.problems: list[str] = []

    def handle(self, message: tuple[str, int, Any]) -> None:
        kind, worker, payload = message
        if kind == "records":
            self.sink.extend(payload)
        elif kind == "ready":
            self.ready[payload] += 1
        elif kind == "done":
            self.health[worker] = payload
            self.finished.add(worker)
        elif kind == "error":
            self.problems.append(f"worker {worker} failed: {payload}")
            self.finished.add(worker)

    def release_ready_phases(self) -> None:
        for k, count in enumerate(self.ready):
            event = self.shared.phase_go[k]
            if not event.is_set() and count + len(self.finished) >= self.workers and count:
                self.shared.start_ns.value = time.perf_counter_ns() + START_MARGIN_NS
                event.set()


def run_in_processes(
    plan: LoadPlan, workers: int, sink: list[RequestRecord], on_tick: Callable[[], None] | None = None
) -> LoadResult:
    """Run ``plan`` on ``workers`` spawned processes (blocks); records arrive in ``sink`` in batches."""
    ctx = multiprocessing.get_context("spawn")
    phases = len(worker_phases(plan, 0, workers))
    shared = _Shared(
        stop=ctx.RawValue("i", 0),
        start_ns=ctx.RawValue("q", 0),
        next_index=ctx.RawValue("q", 0),
        deadline_ns=ctx.RawValue("q", 0),
        lock=ctx.Lock(),
        phase_go=[ctx.Event() for _ in range(phases)],
    )
    channel = ctx.Queue()
    collector = _Collector(workers, phases, shared, sink)
    previous = _install_sigint(shared.stop)
    procs = [
        ctx.Process(target=_worker_main, args=(plan, w, workers, shared, channel), daemon=True) for w in range(workers)
    ]
    try:
        # Children start with SIGINT blocked (inherited), so a Ctrl-C during their start-up cannot kill them.
        previous_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            for proc in procs:
                proc.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous_mask)
        _collect(collector, procs, channel, on_tick)
    finally:
        signal.signal(signal.SIGINT, previous)
        for proc in procs:
            if proc.pid is None:
                continue
            proc.join(5)
            if proc.is_alive():
                proc.terminate()
    health = [collector.health[w] for w in sorted(collector.health)]
    return LoadResult(sink, health, interrupted=bool(shared.stop.value), problems=collector.problems)


def _install_sigint(stop: Flag) -> Any:
    def bump(signum: int, frame: Any) -> None:
        stop.value += 1

    return signal.signal(signal.SIGINT, bump)


def _collect(collector: _Collector, procs: list[Any], channel: Any, on_tick: Callable[[], None] | None) -> None:
    dead_since: dict[int, float] = {}
    last_tick = time.monotonic()
    while len(collector.finished) < collector.workers:
        for message in drain_queue(channel, _FLUSH_S):
            collector.handle(message)
        collector.release_ready_phases()
        now = time.monotonic()
        for w, proc in enumerate(procs):
            if w in collector.finished or proc.exitcode is None:
                continue
            if now - dead_since.setdefault(w, now) > _DEAD_GRACE_S:
                collector.problems.append(f"worker {w} exited with code {proc.exitcode}; its records so far are kept")
                collector.finished.add(w)
        if on_tick is not None and now - last_tick >= TICK_S:
            on_tick()
            last_tick = now
    for message in drain_queue(channel, 0):
        collector.handle(message)
