"""Clocks of load generators on other hosts: measure their offsets, check them, merge their stamps.

A worker on another host stamps with its own ``perf_counter_ns`` (CLOCK_MONOTONIC: it counts from
that host's boot, so offsets between hosts are arbitrary) and never translates on the hot path. The
driver measures each worker's offset against its own clock NTP-style before and after the run
(:func:`measure_offset`); after the run every stamp is moved onto the driver's base with the mean
of the two (:meth:`WorkerClock.merge_offset_ns`). A worker whose offset moved during the run by more
than the run's timing precision (:func:`timing_precision_ms`) would make cross-worker times wrong by
more than any TTFT can be trusted to: the merge is refused (:func:`check_skew`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assay.errors import UserError
from assay.perf._records import RequestRecord
from assay.perf.selfcheck import MIN_TICKS_FOR_P99, WorkerHealth

#: Pings per clock-offset measurement; the one with the shortest round trip is kept.
CLOCK_PINGS = 25
#: The timing precision a run reports is never better than this, ms: below it, one request's own
#: network and server jitter dominates, and a Ray ping's half round trip on a busy host is about this.
PRECISION_FLOOR_MS = 1.0
#: Test hook: ``"<worker>:<ns per s>"`` makes that worker's clock run fast by that rate, in its
#: pings and in its stamps, as a badly synchronised host would (read on the driver, passed to the actor).
CLOCK_DRIFT_ENV = "ASSAY_PERF_TEST_CLOCK_DRIFT"


class ClockSkewError(UserError):
    """A worker's clock moved against the driver's by more than the run's timing precision.

    ``records`` are the raw records, each in its worker's own clock, for the caller to keep.
    """

    def __init__(self, message: str, records: list[RequestRecord]) -> None:
        super().__init__(message)
        self.records = records


@dataclass(frozen=True)
class ClockOffset:
    """One NTP-style measurement: actor clock minus driver clock, and its error bound (both ns)."""

    offset_ns: int
    #: Half the round trip of the best ping: the true offset lies within ``offset_ns`` +- this.
    uncertainty_ns: int


@dataclass(frozen=True)
class WorkerClock:
    """A worker's clock offset against the driver before and after the run."""

    worker: int
    start: ClockOffset
    end: ClockOffset

    @property
    def merge_offset_ns(self) -> int:
        """The offset stamps are corrected by: the mean of start and end.

        Between the two measurements the offset may have changed in any way (a steady drift, or
        a step by NTP); the mean is off by at most half the change for every shape, the least worst
        case of any single value.
        """
        return (self.start.offset_ns + self.end.offset_ns) // 2

    @property
    def skew_ns(self) -> int:
        """How far the offset moved during the run, as measured.

        The two measurements' errors are not added: they are already in the run's timing precision
        (:func:`timing_precision_ms`), and adding both would refuse single-host runs whose best ping
        took half a millisecond, where the offsets agree to tens of microseconds.
        """
        return abs(self.end.offset_ns - self.start.offset_ns)

    @property
    def uncertainty_ns(self) -> int:
        """The larger error of the two measurements."""
        return max(self.start.uncertainty_ns, self.end.uncertainty_ns)


class DriftingClock:
    """A worker's clock as it reports it: ``perf_counter_ns``, or one running fast under the test hook."""

    def __init__(self, drift_ns_per_s: int = 0) -> None:
        self._rate = drift_ns_per_s / 1e9
        self._origin = time.perf_counter_ns()
        self.drifting = drift_ns_per_s != 0

    def now(self) -> int:
        """The clock's reading now."""
        return self.reported(time.perf_counter_ns())

    def reported(self, raw: int) -> int:
        """``raw`` (a ``perf_counter_ns`` value) as this clock reads; 0 (never stamped) stays 0."""
        return raw + round((raw - self._origin) * self._rate) if raw and self._rate else raw

    def raw(self, reported: int) -> int:
        """The inverse of :meth:`reported`."""
        return self._origin + round((reported - self._origin) / (1 + self._rate)) if self._rate else reported


def shift_stamps(record: RequestRecord, convert: Callable[[int], int]) -> None:
    """Apply ``convert`` to every stamp of ``record``; 0 and None (never stamped) are kept."""
    if record.intended_ns is not None:
        record.intended_ns = convert(record.intended_ns)
    record.start_ns = convert(record.start_ns) if record.start_ns else 0
    record.end_ns = convert(record.end_ns) if record.end_ns else 0
    record.chunk_ns = [convert(t) for t in record.chunk_ns]


def measure_offset(ray: Any, actor: Any, pings: int = CLOCK_PINGS) -> ClockOffset:
    """The actor's clock minus the driver's, NTP-style: of ``pings`` round trips keep the shortest.

    For a ping sent at driver time ``t0`` and answered at ``t1`` with the actor's time ``tA``, the
    actor read its clock somewhere in [t0, t1]: the offset is ``tA - (t0 + t1) / 2`` within
    +- ``(t1 - t0) / 2``. The shortest round trip is the one least delayed by queues on the way.
    """
    best: tuple[int, int] | None = None
    for _ in range(pings):
        t0 = time.perf_counter_ns()
        actor_ns = ray.get(actor.clock.remote())
        t1 = time.perf_counter_ns()
        if best is None or t1 - t0 < best[1]:
            best = (actor_ns - (t0 + t1) // 2, t1 - t0)
    assert best is not None
    return ClockOffset(offset_ns=best[0], uncertainty_ns=best[1] // 2)


def timing_precision_ms(health: list[WorkerHealth], clocks: list[WorkerClock]) -> float:
    """The run's timing precision: the worst worker's loop lag (how late a chunk may be stamped,
    p99, or p50 in runs too short for a p99, as the self-check judges), the worst offset
    uncertainty, and :data:`PRECISION_FLOOR_MS`, whichever is largest."""
    lags = [h.loop_lag_p99_ms if h.loop_ticks >= MIN_TICKS_FOR_P99 else h.loop_lag_p50_ms for h in health]
    return max([PRECISION_FLOOR_MS, *lags, *(c.uncertainty_ns / 1e6 for c in clocks)])


def clock_summary(clocks: list[WorkerClock], precision_ms: float) -> dict[str, float | int | str | None]:
    """Summary keys: every worker's offsets at start and end and their error, and the run's precision."""
    summary: dict[str, float | int | str | None] = {"Client Executor": "ray"}
    for c in clocks:
        summary[f"Client Clock Offset w{c.worker} Start (ms)"] = round(c.start.offset_ns / 1e6, 4)
        summary[f"Client Clock Offset w{c.worker} End (ms)"] = round(c.end.offset_ns / 1e6, 4)
        summary[f"Client Clock Uncertainty w{c.worker} (ms)"] = round(c.uncertainty_ns / 1e6, 4)
    summary["Client Timing Precision (ms)"] = round(precision_ms, 4)
    return summary


def check_skew(clocks: list[WorkerClock], precision_ms: float, records: list[RequestRecord]) -> None:
    """Refuse the merge when a worker's clock moved by more than ``precision_ms`` during the run.

    Raises:
        ClockSkewError: naming the first such worker, its offsets, its skew and the precision.
    """
    for c in clocks:
        skew_ms = c.skew_ns / 1e6
        if skew_ms > precision_ms:
            raise ClockSkewError(
                f"not merging the Ray workers' records: worker {c.worker}'s clock moved {skew_ms:.3f} ms against "
                f"the driver's during the run (offset {c.start.offset_ns / 1e6:+.3f} ms at start, "
                f"{c.end.offset_ns / 1e6:+.3f} ms at end, each +-{c.uncertainty_ns / 1e6:.3f} ms), "
                f"more than the run's timing precision of {precision_ms:.3f} ms; "
                "synchronise the hosts' clocks (chrony/NTP) or use fewer hosts",
                records,
            )


def injected_drift(worker: int) -> int:
    """The test hook's drift for ``worker`` (ns per s), 0 unless :data:`CLOCK_DRIFT_ENV` names it."""
    target, _, rate = os.environ.get(CLOCK_DRIFT_ENV, "").partition(":")
    return int(rate) if rate and target.strip() == str(worker) else 0


def end_offset(ray: Any, actor: Any, start: ClockOffset) -> ClockOffset:
    """The offset after the run; a worker that died keeps its start offset (it sent nothing more)."""
    try:
        return measure_offset(ray, actor)
    except ray.exceptions.RayActorError:
        return start
