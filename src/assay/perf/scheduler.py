"""When each request is sent: closed-loop users, or a precomputed arrival schedule.

*Closed loop* (EvalScope's default): ``P`` users; each sends its next request as soon as its last
one ended, until the run's requests are used up (or ``--duration`` passed). The users of all worker
processes draw request numbers from one shared :class:`Budget`, so the total is exact and the
concurrency stays ``P`` until the end.

*Scheduled* (``--rate``): the arrival times are computed before the run (:func:`arrival_offsets_ns`)
and each request is sent at ``start + offset`` whatever the responses do; its record keeps that
intended time, so lateness is measured, not hidden. With ``--open-loop`` nothing else limits
sending; without it ``--parallel`` caps the requests in flight, and a request waiting for a free
slot is sent late (EvalScope's rate-limited closed loop, ``core/strategies/closed_loop.py``).

Stopping (Ctrl-C, or ``--duration``): no new request is sent; requests in flight get
``drain_s`` to finish, then are cancelled and recorded as ``CANCELLED``.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from assay.perf._records import RequestRecord
from assay.perf.client import Sender

#: How often a worker looks at the shared stop flag, s.
STOP_POLL_S = 0.02


def arrival_offsets_ns(n: int, rate: float, burstiness: float = 1.0, seed: int = 0) -> list[int]:
    """Send times of ``n`` requests at ``rate`` req/s, in ns from the start of the run.

    Gaps are gamma-distributed with shape ``burstiness`` and mean ``1 / rate`` (shape 1 is the
    exponential: a Poisson process; smaller shapes are burstier). As EvalScope does, the times are
    then scaled so the last one falls exactly at ``n / rate``: the achieved rate equals the target
    instead of wandering by ~1/sqrt(n), and the times stay those of the same process conditioned on
    its length (scaled i.i.d. gaps are Dirichlet: uniform order statistics for Poisson).

    Example:
        >>> arrival_offsets_ns(4, rate=2.0, seed=1)[-1]
        2000000000
    """
    if n <= 0:
        return []
    rng = random.Random(seed)
    scale = 1.0 / (rate * burstiness)
    total = 0.0
    cumulative = []
    for _ in range(n):
        total += rng.gammavariate(burstiness, scale)
        cumulative.append(total)
    factor = (n / rate) / total if total > 0 else 0.0
    return [round(c * factor * 1e9) for c in cumulative]


class Flag(Protocol):
    """A shared integer: ``multiprocessing.RawValue`` across processes, :class:`LocalFlag` within one."""

    value: int


class LocalFlag:
    """An in-process :class:`Flag`."""

    def __init__(self, value: int = 0) -> None:
        self.value = value


class Budget(Protocol):
    """Hands out request numbers 0..total-1 to closed-loop users, across worker processes."""

    def claim(self) -> int | None:
        """The next request number, or ``None`` when the run is over (used up, timed out, stopped)."""
        ...


class LocalBudget:
    """A :class:`Budget` for one process.

    ``duration_ns`` starts counting when the first measured (non-warmup) request is claimed, so
    warmup does not eat the budget (EvalScope arms its deadline on the first measured send).
    """

    def __init__(self, total: int, warmup: int, duration_ns: int | None, stop: Flag) -> None:
        self._next = 0
        self._total = total
        self._warmup = warmup
        self._duration_ns = duration_ns
        self._deadline_ns = 0
        self._stop = stop

    def claim(self) -> int | None:
        i = self._next
        if i >= self._total or self._stop.value:
            return None
        if self._duration_ns is not None:
            now = time.perf_counter_ns()
            if self._deadline_ns and now >= self._deadline_ns:
                return None
            if i == self._warmup:
                self._deadline_ns = now + self._duration_ns
        self._next = i + 1
        return i


@dataclass(frozen=True, slots=True)
class Load:
    """What one worker does in one phase."""

    #: Closed loop: this worker's share of the concurrent users (0 with a schedule).
    users: int = 0
    #: Scheduled: (request number, send offset in ns from the phase start), in time order.
    schedule: Sequence[tuple[int, int]] = ()
    #: Scheduled: most requests in flight at once in this worker; None = no limit (open loop).
    cap: int | None = None
    #: Scheduled: requests due at or after this offset from the phase start are not sent.
    deadline_offset_ns: int | None = None


@dataclass
class PhaseStats:
    """Counters of one phase in one worker."""

    sent: int = 0
    in_flight: int = 0
    max_in_flight: int = 0


class Phase:
    """Runs one :class:`Load` in one worker's event loop, appending finished records."""

    def __init__(
        self,
        sender: Sender,
        bodies: Sequence[bytes],
        warmup: int,
        worker: int,
        records: list[RequestRecord],
        stop: Flag,
        drain_s: float,
    ) -> None:
        self._sender = sender
        self._bodies = bodies
        self._warmup = warmup
        self._worker = worker
        self._records = records
        self._stop = stop
        self._drain_s = drain_s
        self._tasks: set[asyncio.Task[None]] = set()
        self.stats = PhaseStats()

    async def run(self, load: Load, start_ns: int, budget: Budget | None = None) -> None:
        """Send the load from ``start_ns`` (a ``perf_counter_ns`` instant) until done or stopped."""
        await sleep_until(start_ns)
        if load.users:
            assert budget is not None, "a closed-loop phase needs a budget"
            dispatcher = asyncio.ensure_future(self._users(load.users, budget))
        else:
            dispatcher = asyncio.ensure_future(self._dispatch(load, start_ns))
        # Closed-loop users stop by themselves (the budget sees the flag) and must not be cancelled
        # before the drain; a schedule is cut at once.
        watcher = asyncio.ensure_future(self._watch(None if load.users else dispatcher))
        try:
            await asyncio.gather(dispatcher, return_exceptions=True)
            while self._tasks:
                await asyncio.wait(set(self._tasks))
        finally:
            watcher.cancel()

    async def _send(self, index: int, intended_ns: int | None) -> None:
        record = RequestRecord(index, self._worker, intended_ns, 0, 0, warmup=index < self._warmup)
        stats = self.stats
        stats.sent += 1
        stats.in_flight += 1
        if stats.in_flight > stats.max_in_flight:
            stats.max_in_flight = stats.in_flight
        try:
            await self._sender.send(self._bodies[index], record)
        finally:
            stats.in_flight -= 1
            self._records.append(record)

    async def _user(self, budget: Budget) -> None:
        while (index := budget.claim()) is not None:
            await self._send(index, None)

    async def _users(self, users: int, budget: Budget) -> None:
        tasks = [asyncio.ensure_future(self._user(budget)) for _ in range(users)]
        self._tasks.update(tasks)
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.difference_update(tasks)

    async def _dispatch(self, load: Load, start_ns: int) -> None:
        slots = asyncio.Semaphore(load.cap) if load.cap else None
        deadline = load.deadline_offset_ns
        for index, offset in load.schedule:
            if self._stop.value or (deadline is not None and offset >= deadline):
                return
            intended = start_ns + offset
            await sleep_until(intended)
            if slots is not None:
                await slots.acquire()
            task = asyncio.ensure_future(self._send(index, intended))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            if slots is not None:
                task.add_done_callback(lambda _, s=slots: s.release())  # type: ignore[misc]

    async def _watch(self, dispatcher: asyncio.Future[None] | None) -> None:
        """On stop: end sending, give requests in flight ``drain_s``, then cancel them."""
        stop = self._stop
        while not stop.value:
            await asyncio.sleep(STOP_POLL_S)
        if dispatcher is not None:
            dispatcher.cancel()
        waited = 0.0
        while waited < self._drain_s and stop.value < 2:  # a second Ctrl-C cuts the drain short
            await asyncio.sleep(STOP_POLL_S)
            waited += STOP_POLL_S
        for task in list(self._tasks):
            task.cancel()


async def sleep_until(deadline_ns: int) -> None:
    """Sleep until ``perf_counter_ns()`` reaches ``deadline_ns``, neither early nor needlessly late.

    uvloop rounds timers to whole milliseconds (so a plain sleep can end up to 0.5 ms early or
    late): sleep to within about a millisecond, then yield to the loop until the instant passes.
    """
    clock = time.perf_counter_ns
    while (remaining := deadline_ns - clock()) > 0:
        await asyncio.sleep((remaining - 600_000) / 1e9 if remaining > 1_100_000 else 0)
