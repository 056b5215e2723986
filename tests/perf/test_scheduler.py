"""When requests are sent: closed-loop concurrency, the precomputed schedule, stopping and draining.

Checks are computed from the records and the schedule, never from how fast this machine is.
"""

from __future__ import annotations

import statistics
import threading
import time

import orjson
import pytest

from assay.mock_server import ServerConfig, ServerHandle, run_server_in_thread
from assay.perf._records import Outcome, RequestRecord
from assay.perf.client import Endpoint
from assay.perf.scheduler import LocalBudget, LocalFlag, arrival_offsets_ns
from assay.perf.workers import LoadPlan, LoadResult, run_in_process

MS = 1_000_000


def plan_for(srv: ServerHandle, n: int, parallel: int, **fields: object) -> LoadPlan:
    body = orjson.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True})
    endpoint = Endpoint(url=srv.url + "/chat/completions", headers={"Content-Type": "application/json"})
    defaults: dict[str, object] = {"endpoint": endpoint, "bodies": [body] * n, "warmup": 0, "parallel": parallel}
    return LoadPlan(**{**defaults, **fields})  # type: ignore[arg-type]


def max_overlap(records: list[RequestRecord]) -> int:
    """Most requests in flight at once, from the records' send and end times alone."""
    events = sorted([(r.start_ns, 1) for r in records] + [(r.end_ns, -1) for r in records], key=lambda e: (e[0], e[1]))
    current = peak = 0
    for _, step in events:
        current += step
        peak = max(peak, current)
    return peak


def run(plan: LoadPlan, stop: LocalFlag | None = None) -> LoadResult:
    sink: list[RequestRecord] = []
    return run_in_process(plan, sink, stop or LocalFlag())


# ---- the arrival schedule ---------------------------------------------------------------------------


def test_schedule_is_reproducible_and_ends_exactly_at_n_over_rate() -> None:
    offsets = arrival_offsets_ns(1000, rate=250.0, seed=7)
    assert offsets == arrival_offsets_ns(1000, rate=250.0, seed=7)
    assert offsets != arrival_offsets_ns(1000, rate=250.0, seed=8)
    assert offsets == sorted(offsets) and offsets[0] > 0
    assert offsets[-1] == 4_000_000_000  # 1000 / 250 s


@pytest.mark.parametrize(("burstiness", "cv"), [(1.0, 1.0), (0.25, 2.0), (4.0, 0.5)])
def test_schedule_gaps_have_the_requested_mean_and_burstiness(burstiness: float, cv: float) -> None:
    offsets = arrival_offsets_ns(20_000, rate=100.0, burstiness=burstiness, seed=3)
    gaps = [b - a for a, b in zip([0, *offsets], offsets, strict=False)]
    mean = statistics.fmean(gaps)
    assert mean == pytest.approx(10 * MS, rel=1e-6)  # 1 / rate
    # Gamma gaps of shape k: coefficient of variation 1/sqrt(k) (1 for Poisson's exponential gaps).
    assert statistics.pstdev(gaps) / mean == pytest.approx(cv, rel=0.05)


def test_open_loop_sends_each_request_at_its_precomputed_time_never_early() -> None:
    offsets = arrival_offsets_ns(60, rate=300.0, seed=11)
    with run_server_in_thread(ServerConfig(ttft_ms=20)) as srv:
        result = run(plan_for(srv, 60, -1, schedule_ns=offsets, open_loop=True))
    records = sorted(result.records, key=lambda r: r.request_id)
    assert [r.request_id for r in records] == list(range(60))
    intended = [r.intended_ns for r in records]
    assert all(t is not None for t in intended)
    anchor = intended[0] - offsets[0]  # type: ignore[operator]
    assert [t - anchor for t in intended] == offsets  # type: ignore[operator]
    assert all(r.start_ns >= r.intended_ns for r in records)  # type: ignore[operator]
    # Nothing waited for replies: sends overlap although each reply takes 20 ms.
    assert max_overlap(records) > 1


# ---- closed loop ------------------------------------------------------------------------------------


def test_closed_loop_keeps_exactly_p_requests_in_flight() -> None:
    with run_server_in_thread(ServerConfig(ttft_ms=10, itl_ms=2)) as srv:
        result = run(plan_for(srv, 120, 8))
        served = srv.stats()["requests_total"]
    assert sorted(r.request_id for r in result.records) == list(range(120)) and served == 120
    assert max_overlap(result.records) <= 8
    assert result.health[0].max_in_flight == 8
    assert all(r.intended_ns is None and r.outcome is Outcome.OK for r in result.records)


def test_rate_with_parallel_caps_requests_in_flight_and_records_the_delay() -> None:
    # 200 req/s against 30 ms replies needs ~6 in flight; a cap of 2 must hold them back.
    offsets = arrival_offsets_ns(40, rate=200.0, seed=5)
    with run_server_in_thread(ServerConfig(ttft_ms=30)) as srv:
        result = run(plan_for(srv, 40, 2, schedule_ns=offsets))
    assert len(result.records) == 40
    assert max_overlap(result.records) <= 2
    late = [r.start_ns - r.intended_ns for r in result.records if r.intended_ns is not None]
    assert max(late) > 30 * MS  # waited for a free slot, and the record says so


def test_warmup_requests_are_flagged_and_share_the_run() -> None:
    with run_server_in_thread(ServerConfig()) as srv:
        result = run(plan_for(srv, 30, 4, warmup=5))
    warm = sorted(r.request_id for r in result.records if r.warmup)
    assert warm == [0, 1, 2, 3, 4] and len(result.records) == 30


def test_duration_ends_sending_and_lets_requests_in_flight_finish() -> None:
    with run_server_in_thread(ServerConfig(ttft_ms=20)) as srv:
        result = run(plan_for(srv, 100_000, 4, duration_s=0.3))
    assert 0 < len(result.records) < 100_000
    assert all(r.outcome is Outcome.OK for r in result.records)  # soft exit: nothing cut off
    first = min(r.start_ns for r in result.records)
    assert max(r.start_ns for r in result.records) - first < 0.3e9 + 100 * MS


def test_duration_budget_starts_after_the_warmup(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [0]
    monkeypatch.setattr(time, "perf_counter_ns", lambda: clock[0])
    budget = LocalBudget(total=10, warmup=2, duration_ns=5, stop=LocalFlag())
    assert budget.claim() == 0
    clock[0] = 100  # warmup took long: no deadline yet
    assert budget.claim() == 1
    assert budget.claim() == 2  # first measured request arms the deadline at 100 + 5
    clock[0] = 104
    assert budget.claim() == 3
    clock[0] = 105
    assert budget.claim() is None


# ---- stopping ---------------------------------------------------------------------------------------


def test_stop_drains_requests_in_flight_then_cancels_the_rest() -> None:
    stop = LocalFlag()
    with run_server_in_thread(ServerConfig(p_hang=1.0, hang_s=30)) as srv:
        plan = plan_for(srv, 1000, 3, drain_s=0.2)
        threading.Timer(0.3, lambda: setattr(stop, "value", 1)).start()
        began = time.monotonic()
        result = run(plan, stop)
        took = time.monotonic() - began
    assert result.interrupted
    assert len(result.records) == 3  # only the three in flight were sent
    assert all(r.outcome is Outcome.CANCELLED for r in result.records)
    assert took < 10  # the drain is bounded, not the 30 s hang


def test_stop_lets_fast_requests_finish_normally() -> None:
    stop = LocalFlag()
    offsets = arrival_offsets_ns(1000, rate=100.0, seed=1)
    with run_server_in_thread(ServerConfig(ttft_ms=50)) as srv:
        threading.Timer(0.3, lambda: setattr(stop, "value", 1)).start()
        result = run(plan_for(srv, 1000, -1, schedule_ns=offsets, open_loop=True), stop)
    assert 0 < len(result.records) < 1000
    assert all(r.outcome is Outcome.OK for r in result.records)
