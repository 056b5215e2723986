"""The client's check on itself: was the load generator, not the server, the limit?

A saturated client produces numbers that look like a slow server: requests wait in the client's
event loop before they are sent, and chunks wait before they are stamped. Three measurements, per
worker process, tell when that happened:

* **CPU**: the worker's CPU time over the run's wall time (``time.process_time``, all its threads).
  An event loop that needs a whole core is queueing work; past :data:`CPU_LIMIT` it was.
* **Event-loop lag**: a ticker sleeps :data:`TICK_S` over and over and records how late it wakes.
  A chunk that arrives while the loop is busy is stamped that late, so the lag's p99 bounds the
  error of the timestamps. Idle, uvloop wakes about 0.1-0.2 ms late.
* **Schedule lag** (``--open-loop`` only): ``start_ns - intended_ns`` of every request. In an open
  loop nothing but the client can make a request late. (Behind a ``--parallel`` cap, lateness is
  the server's: it did not free slots in time. That is reported by the metrics, not blamed here.)

Any limit exceeded gives the verdict ``client-bound: not trustworthy`` with the reasons; the summary
and the console show it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assay.perf._records import RequestRecord

#: Seconds between two ticks of the loop-lag probe.
TICK_S = 0.010
#: A worker using more than this fraction of one core was saturating its event loop.
CPU_LIMIT = 0.90
#: Event-loop lag p99 above this (ms) means timestamps may be late by that much.
LOOP_LAG_P99_LIMIT_MS = 2.0
#: Ticks needed for a meaningful p99 (1 s of run); shorter runs are judged on the median lag, so
#: one start-up hiccup in a 0.2 s run does not condemn it.
MIN_TICKS_FOR_P99 = 100
#: Open loop: sending p99 later than this (ms) means the arrival process was not the one requested.
SCHEDULE_LAG_P99_LIMIT_MS = 2.0

TRUSTWORTHY = "ok"
CLIENT_BOUND = "client-bound: not trustworthy"


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (0 for none)."""
    if not sorted_values:
        return 0.0
    rank = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return float(sorted_values[rank])


class LoopLagProbe:
    """Measures how late the event loop runs a sleeping coroutine, while a run goes on."""

    def __init__(self) -> None:
        self.lags_ns: list[int] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start ticking on the running loop."""
        self._task = asyncio.ensure_future(self._tick())

    def stop(self) -> None:
        """Stop ticking."""
        if self._task is not None:
            self._task.cancel()

    async def _tick(self) -> None:
        clock = time.perf_counter_ns
        interval_ns = round(TICK_S * 1e9)
        while True:
            before = clock()
            await asyncio.sleep(TICK_S)
            self.lags_ns.append(max(0, clock() - before - interval_ns))


@dataclass
class WorkerHealth:
    """What one worker measured about itself during the measured phase."""

    worker: int
    cpu_s: float = 0.0
    wall_s: float = 0.0
    loop_lag_p50_ms: float = 0.0
    loop_lag_p99_ms: float = 0.0
    loop_lag_max_ms: float = 0.0
    loop_ticks: int = 0
    sent: int = 0
    max_in_flight: int = 0

    @property
    def cpu_fraction(self) -> float:
        """CPU time over wall time: 1.0 is one whole core."""
        return self.cpu_s / self.wall_s if self.wall_s > 0 else 0.0


class HealthMeter:
    """Measures one worker's CPU and loop lag between :meth:`start` and :meth:`finish`."""

    def __init__(self, worker: int) -> None:
        self._worker = worker
        self._probe = LoopLagProbe()
        self._cpu0 = 0.0
        self._wall0 = 0.0

    def start(self) -> None:
        """Begin measuring (inside the running loop)."""
        self._cpu0 = time.process_time()
        self._wall0 = time.perf_counter()
        self._probe.start()

    def finish(self, sent: int, max_in_flight: int) -> WorkerHealth:
        """Stop and report."""
        self._probe.stop()
        lags = sorted(lag / 1e6 for lag in self._probe.lags_ns)
        return WorkerHealth(
            worker=self._worker,
            cpu_s=time.process_time() - self._cpu0,
            wall_s=time.perf_counter() - self._wall0,
            loop_lag_p50_ms=percentile(lags, 50),
            loop_lag_p99_ms=percentile(lags, 99),
            loop_lag_max_ms=lags[-1] if lags else 0.0,
            loop_ticks=len(lags),
            sent=sent,
            max_in_flight=max_in_flight,
        )


@dataclass
class SelfCheck:
    """The verdict on one run, with the measurements behind it."""

    workers: list[WorkerHealth]
    open_loop: bool
    schedule_lag_p50_ms: float | None = None
    schedule_lag_p99_ms: float | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def trustworthy(self) -> bool:
        """False when the client was (or may have been) the bottleneck."""
        return not self.reasons

    @property
    def verdict(self) -> str:
        """``ok`` or ``client-bound: not trustworthy (<reasons>)``."""
        return TRUSTWORTHY if self.trustworthy else f"{CLIENT_BOUND} ({'; '.join(self.reasons)})"

    def to_summary(self) -> dict[str, Any]:
        """Keys added to ``benchmark_summary.json`` (after EvalScope's own)."""
        busiest = max(self.workers, key=lambda w: w.cpu_fraction, default=WorkerHealth(-1))
        laggiest = max(self.workers, key=lambda w: w.loop_lag_p99_ms, default=WorkerHealth(-1))
        summary: dict[str, Any] = {
            "Client Workers": len(self.workers),
            "Client CPU (% of a core, busiest worker)": round(100 * busiest.cpu_fraction, 1),
            "Client Loop Lag P99 (ms)": round(laggiest.loop_lag_p99_ms, 3),
            "Client Max In-Flight": sum(w.max_in_flight for w in self.workers),
        }
        if self.schedule_lag_p99_ms is not None:
            summary["Client Schedule Lag P50 (ms)"] = round(self.schedule_lag_p50_ms or 0.0, 3)
            summary["Client Schedule Lag P99 (ms)"] = round(self.schedule_lag_p99_ms, 3)
        summary["Client Verdict"] = self.verdict
        return summary


def assess(workers: list[WorkerHealth], records: Sequence[RequestRecord], *, open_loop: bool) -> SelfCheck:
    """Judge a run from its workers' health and its records' schedule lag."""
    check = SelfCheck(workers=workers, open_loop=open_loop)
    for w in workers:
        if w.cpu_fraction > CPU_LIMIT:
            check.reasons.append(f"worker {w.worker} used {100 * w.cpu_fraction:.0f}% of a core")
        long_enough = w.loop_ticks >= MIN_TICKS_FOR_P99
        lag, label = (w.loop_lag_p99_ms, "p99") if long_enough else (w.loop_lag_p50_ms, "p50")
        if lag > LOOP_LAG_P99_LIMIT_MS:
            check.reasons.append(f"worker {w.worker} event-loop lag {label} {lag:.1f} ms")
    lags = sorted(
        (r.start_ns - r.intended_ns) / 1e6 for r in records if r.intended_ns is not None and not r.warmup and r.start_ns
    )
    if lags:
        check.schedule_lag_p50_ms = percentile(lags, 50)
        check.schedule_lag_p99_ms = percentile(lags, 99)
        if open_loop and check.schedule_lag_p99_ms > SCHEDULE_LAG_P99_LIMIT_MS:
            check.reasons.append(f"requests sent {check.schedule_lag_p99_ms:.1f} ms late (p99)")
    if check.reasons:
        check.reasons.append("rerun with more --num-workers or fewer requests in flight")
    return check
