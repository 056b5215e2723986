"""Running one :class:`~assay.perf.workers.LoadPlan` on Ray actors, possibly on many hosts.

Each load-generator worker is a Ray actor running :func:`~assay.perf.workers.run_worker` on its
own uvloop loop (a thread of the actor, so the driver's short calls -- clock pings, record polls,
phase releases -- are answered while it runs). The split is that of the local worker processes:

* scheduled: request ``i`` of the one precomputed schedule goes to worker ``i mod N``, so the union
  of the workers' arrivals is exactly the requested (Poisson, for burstiness 1) schedule;
* closed loop: the ``P`` users are divided as locally, but Ray actors share no memory, so the
  request numbers are dealt statically: request ``i`` belongs to the worker holding user ``i mod P``.
  Each worker's users stop when its share is used up, so near the end the concurrency can fall
  below ``P`` (a worker that finished early does not help the others), unlike the shared counter of
  :mod:`assay.perf._pool`.

Clocks: each worker stamps with its own clock; the driver releases each phase at one instant of
its own clock expressed in each worker's clock, and merges the records onto its own time base after
the run, or refuses to (:mod:`assay.perf._clocks`).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assay.engine.ray_cluster import connect, disconnect, import_ray
from assay.errors import UserError
from assay.perf._clocks import (
    ClockOffset,
    DriftingClock,
    WorkerClock,
    check_skew,
    clock_summary,
    end_offset,
    injected_drift,
    measure_offset,
    shift_stamps,
    timing_precision_ms,
)
from assay.perf._records import RequestRecord
from assay.perf.scheduler import Flag, LocalBudget, LocalFlag
from assay.perf.selfcheck import WorkerHealth
from assay.perf.workers import (
    TICK_S,
    LoadPlan,
    LoadResult,
    _share,
    new_event_loop_run,
    raise_open_file_limit,
    run_worker,
    worker_phases,
)

#: Margin between the driver's release call and the phase start, ns: a Ray call to every actor
#: (another host included) must arrive before the instant it names.
RAY_START_MARGIN_NS = 250_000_000
_POLL_S = 0.1
_PLACE_TIMEOUT_S = 120.0
_RELEASE_TIMEOUT_S = 600.0


def closed_loop_ids(total: int, parallel: int, workers: int, worker: int) -> list[int]:
    """Request numbers of ``worker`` in a closed loop: those of its users, request ``i`` to user ``i mod P``."""
    first = sum(_share(parallel, workers, v) for v in range(worker))
    users = range(first, first + _share(parallel, workers, worker))
    return [i for i in range(total) if i % parallel in users]


class DealtBudget:
    """A worker's own request numbers (ascending) as a :class:`~assay.perf.scheduler.Budget`.

    A :class:`~assay.perf.scheduler.LocalBudget` over their positions: ``--duration`` counts from
    this worker's first measured claim; the workers start at one common instant, so their deadlines
    agree to within their start-up jitter.
    """

    def __init__(self, ids: list[int], warmup: int, duration_ns: int | None, stop: Flag) -> None:
        self._ids = ids
        self._positions = LocalBudget(len(ids), sum(i < warmup for i in ids), duration_ns, stop)

    def claim(self) -> int | None:
        j = self._positions.claim()
        return None if j is None else self._ids[j]


@dataclass
class WorkerReport:
    """What one poll of an actor returns: new records, phases it waits to start, and its end."""

    records: list[RequestRecord]
    ready: list[int]
    done: bool = False
    health: WorkerHealth | None = None
    error: str | None = None


class LoadActor:
    """One load-generator worker in a Ray actor (wrapped with ``ray.remote`` at run time)."""

    def __init__(self, plan: LoadPlan, worker: int, workers: int, drift_ns_per_s: int = 0) -> None:
        raise_open_file_limit()
        self._plan = plan
        self._worker = worker
        self._phases = worker_phases(plan, worker, workers)
        self._clock = DriftingClock(drift_ns_per_s)
        self._sink: list[RequestRecord] = []
        self._stop = LocalFlag()
        self._go = [threading.Event() for _ in self._phases]
        self._start_ns = [0] * len(self._phases)
        self._ready: list[int] = []
        self._done = threading.Event()
        self._health: WorkerHealth | None = None
        self._error: str | None = None
        self._budget: DealtBudget | None = None
        if plan.schedule_ns is None:
            duration_ns = None if plan.duration_s is None else round(plan.duration_s * 1e9)
            ids = closed_loop_ids(len(plan.bodies), plan.parallel, workers, worker)
            self._budget = DealtBudget(ids, plan.warmup, duration_ns, self._stop)

    def clock(self) -> int:
        """This worker's clock now (a ping)."""
        return self._clock.now()

    def start(self) -> None:
        """Start the load on a thread of its own; each phase then waits for :meth:`release`."""
        threading.Thread(target=self._run, name=f"assay-load-{self._worker}", daemon=True).start()

    def release(self, phase: int, start_ns: int) -> None:
        """Start ``phase`` at ``start_ns`` of this worker's clock."""
        self._start_ns[phase] = self._clock.raw(start_ns)
        self._go[phase].set()

    def stop(self, level: int) -> None:
        """1: stop sending and drain; 2: cancel what is in flight. Phases not yet started start and end at once."""
        self._stop.value = max(self._stop.value, level)
        for k, event in enumerate(self._go):
            if not event.is_set():
                self._start_ns[k] = time.perf_counter_ns()
                event.set()

    def poll(self) -> WorkerReport:
        """Records finished since the last poll, phases waiting for release, and the end once reached."""
        done = self._done.is_set()  # before taking records: every record exists once done is set
        batch = self._sink[:]
        del self._sink[: len(batch)]  # the loop thread only appends, so nothing unseen is lost
        if self._clock.drifting:
            for record in batch:
                shift_stamps(record, self._clock.reported)
        return WorkerReport(batch, list(self._ready), done, self._health if done else None, self._error)

    def _phase_start(self, k: int) -> int:
        self._ready.append(k)
        if not self._go[k].wait(_RELEASE_TIMEOUT_S):
            raise TimeoutError(f"phase {k} was not released")
        return self._start_ns[k]

    def _run(self) -> None:
        async def main() -> WorkerHealth:
            return await run_worker(
                self._plan,
                self._phases,
                self._worker,
                sink=self._sink,
                stop=self._stop,
                budget=self._budget,
                phase_start=self._phase_start,
            )

        try:
            self._health = new_event_loop_run(main)
        except BaseException as exc:  # report, never die silently
            self._error = f"{type(exc).__name__}: {exc}"
        finally:
            self._done.set()


def _place(ray: Any, plan: LoadPlan, workers: int | None) -> list[Any]:
    """Start the actors, one CPU each, spread over the nodes; wait until every one answers."""
    cpus = int(ray.cluster_resources().get("CPU", 1))
    count = workers or max(1, cpus)
    if count > cpus:
        raise UserError(
            f"--num-workers {count} needs {count} CPUs of the Ray cluster (one per load generator); it has {cpus}"
        )
    plan_ref = ray.put(plan)
    remote = ray.remote(LoadActor).options(num_cpus=1, max_concurrency=4, scheduling_strategy="SPREAD")
    actors = [remote.remote(plan_ref, w, count, injected_drift(w)) for w in range(count)]
    ready, waiting = ray.wait([a.clock.remote() for a in actors], num_returns=count, timeout=_PLACE_TIMEOUT_S)
    if waiting:
        for actor in actors:
            ray.kill(actor)
        raise UserError(f"only {len(ready)} of {count} Ray load generators started in {_PLACE_TIMEOUT_S:.0f} s")
    return actors


@dataclass
class _Driver:
    """The driver's side of a run: poll records, release phases, forward Ctrl-C."""

    ray: Any
    actors: list[Any]
    start_offsets: list[ClockOffset]
    sink: list[RequestRecord]
    phases: int
    stop: LocalFlag = field(default_factory=LocalFlag)
    health: dict[int, WorkerHealth] = field(default_factory=dict)
    finished: set[int] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def run(self, on_tick: Callable[[], None] | None) -> None:
        ready: list[set[int]] = [set() for _ in range(self.phases)]
        released = [False] * self.phases
        stop_sent = 0
        last_tick = time.monotonic()
        for actor in self.actors:
            actor.start.remote()
        while len(self.finished) < len(self.actors):
            for w in range(len(self.actors)):
                if w not in self.finished:
                    self._poll(w, ready)
            for k in range(self.phases):
                if not released[k] and ready[k] and len(ready[k] | self.finished) >= len(self.actors):
                    self._release(k)
                    released[k] = True
            if self.stop.value > stop_sent:
                stop_sent = self.stop.value
                for w, actor in enumerate(self.actors):
                    if w not in self.finished:
                        actor.stop.remote(stop_sent)
            now = time.monotonic()
            if on_tick is not None and now - last_tick >= TICK_S:
                on_tick()
                last_tick = now
            time.sleep(_POLL_S)

    def _poll(self, w: int, ready: list[set[int]]) -> None:
        try:
            report: WorkerReport = self.ray.get(self.actors[w].poll.remote())
        except self.ray.exceptions.RayActorError as exc:
            reason = " ".join(str(exc).split())[:200]
            self.problems.append(f"Ray worker {w} died ({reason}); its records so far are kept")
            self.finished.add(w)
            return
        self.sink.extend(report.records)
        for k in report.ready:
            ready[k].add(w)
        if report.done:
            self.finished.add(w)
            if report.health is not None:
                self.health[w] = report.health
            if report.error is not None:
                self.problems.append(f"worker {w} failed: {report.error}")

    def _release(self, k: int) -> None:
        """Start phase ``k`` on every worker at one instant of the driver's clock, in each one's clock."""
        start = time.perf_counter_ns() + RAY_START_MARGIN_NS
        for w, actor in enumerate(self.actors):
            if w not in self.finished:
                actor.release.remote(k, start + self.start_offsets[w].offset_ns)


def run_on_ray(
    plan: LoadPlan,
    workers: int | None,
    sink: list[RequestRecord],
    on_tick: Callable[[], None] | None = None,
    ray_address: str | None = None,
) -> LoadResult:
    """Run ``plan`` on ``workers`` Ray actors (None: one per CPU of the cluster) and merge the records.

    Joins ``ray_address`` (or the Ray this process already runs), else starts a local Ray and stops
    it at the end. Records arrive in ``sink`` as they finish, in their workers' clocks, and are moved
    onto the driver's ``perf_counter_ns`` base once the run is over. Ctrl-C stops sending on every
    worker (a second one cancels what is in flight); the actors are killed at the end in any case.

    Raises:
        UserError: Ray missing, a cluster that cannot be joined or has too few CPUs.
        ClockSkewError: a worker's clock moved by more than the timing precision (records unmerged).
    """
    ray = import_ray()
    started = connect(ray, ray_address)
    actors: list[Any] = []
    previous = None
    try:
        actors = _place(ray, plan, workers)
        start_offsets = [measure_offset(ray, actor) for actor in actors]
        driver = _Driver(ray, actors, start_offsets, sink, len(worker_phases(plan, 0, len(actors))))
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGINT, lambda signum, frame: _bump(driver.stop))
        driver.run(on_tick)
        clocks = [WorkerClock(w, start_offsets[w], end_offset(ray, a, start_offsets[w])) for w, a in enumerate(actors)]
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        for actor in actors:
            ray.kill(actor)
        disconnect(ray, started)
    health = [driver.health[w] for w in sorted(driver.health)]
    precision_ms = timing_precision_ms(health, clocks)
    check_skew(clocks, precision_ms, sink)
    for record in sink:
        shift_stamps(record, lambda t, o=clocks[record.worker].merge_offset_ns: t - o)  # type: ignore[misc]
    result = LoadResult(sink, health, interrupted=bool(driver.stop.value), problems=driver.problems)
    result.extra_summary.update(clock_summary(clocks, precision_ms))
    return result


def _bump(stop: LocalFlag) -> None:
    stop.value += 1
