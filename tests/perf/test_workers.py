"""Worker processes: how the load is split, the auto rule, and exact totals across processes."""

from __future__ import annotations

import orjson
import pytest

from assay.mock_server import ServerConfig, ServerHandle, run_server_in_thread
from assay.perf import workers
from assay.perf._pool import run_in_processes
from assay.perf._records import Outcome, RequestRecord
from assay.perf.client import Endpoint
from assay.perf.scheduler import arrival_offsets_ns
from assay.perf.workers import LoadPlan, choose_num_workers, worker_phases

ENDPOINT = Endpoint(url="http://127.0.0.1:9/v1/chat/completions")


def plan(n: int, parallel: int, **fields: object) -> LoadPlan:
    values: dict[str, object] = {"endpoint": ENDPOINT, "bodies": [b"{}"] * n, "warmup": 0, "parallel": parallel}
    return LoadPlan(**{**values, **fields})  # type: ignore[arg-type]


def served_plan(srv: ServerHandle, n: int, parallel: int, **fields: object) -> LoadPlan:
    body = orjson.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True})
    endpoint = Endpoint(url=srv.url + "/chat/completions", headers={"Content-Type": "application/json"})
    values: dict[str, object] = {"endpoint": endpoint, "bodies": [body] * n, "warmup": 0, "parallel": parallel}
    return LoadPlan(**{**values, **fields})  # type: ignore[arg-type]


# ---- splitting the load ----------------------------------------------------------------------------


def test_closed_loop_users_are_divided_between_workers() -> None:
    loads = [worker_phases(plan(100, 7), w, 3) for w in range(3)]
    assert [len(phases) for phases in loads] == [1, 1, 1]
    assert [phases[0].users for phases in loads] == [3, 2, 2]


def test_schedule_is_dealt_round_robin_and_the_cap_divided() -> None:
    offsets = arrival_offsets_ns(10, rate=100.0)
    loads = [worker_phases(plan(10, 5, schedule_ns=offsets), w, 2)[0] for w in range(2)]
    assert [i for i, _ in loads[0].schedule] == [0, 2, 4, 6, 8]
    assert [i for i, _ in loads[1].schedule] == [1, 3, 5, 7, 9]
    assert all(offsets[i] == t for load in loads for i, t in load.schedule)
    assert [load.cap for load in loads] == [3, 2]


def test_open_loop_warmup_is_its_own_phase_with_no_cap() -> None:
    offsets = arrival_offsets_ns(3, rate=10.0) + arrival_offsets_ns(6, rate=10.0)
    phases = worker_phases(plan(9, -1, schedule_ns=offsets, open_loop=True, warmup=3, duration_s=2.0), 0, 1)
    assert [[i for i, _ in p.schedule] for p in phases] == [[0, 1, 2], [3, 4, 5, 6, 7, 8]]
    assert all(p.cap is None for p in phases)
    assert phases[1].deadline_offset_ns == 2_000_000_000


# ---- the auto rule ---------------------------------------------------------------------------------


def test_explicit_worker_count_wins() -> None:
    assert choose_num_workers(3, plan(10, 1), rate_estimate=None, chunks_per_request=1) == 3


def test_auto_uses_one_worker_without_a_load_estimate_or_for_small_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "_usable_cpus", lambda: 8)
    assert choose_num_workers(None, plan(50_000, 64), rate_estimate=None, chunks_per_request=17) == 1
    assert choose_num_workers(None, plan(100, 64), rate_estimate=1e6, chunks_per_request=17) == 1


def test_auto_adds_workers_for_load_one_core_cannot_drive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "_usable_cpus", lambda: 8)
    big = plan(50_000, 256)
    assert choose_num_workers(None, big, rate_estimate=100.0, chunks_per_request=17) == 1
    # 10k req/s x (75 + 17 x 10) us = 2.45 cores -> 5 workers at under 60% each.
    assert choose_num_workers(None, big, rate_estimate=10_000.0, chunks_per_request=17) == 5
    assert choose_num_workers(None, big, rate_estimate=1e7, chunks_per_request=17) == 8  # all usable CPUs
    assert choose_num_workers(None, plan(50_000, 2), rate_estimate=1e7, chunks_per_request=17) == 2  # users


# ---- several processes -----------------------------------------------------------------------------


def test_two_workers_send_exactly_n_requests_at_concurrency_p() -> None:
    with run_server_in_thread(ServerConfig(ttft_ms=5, itl_ms=1)) as srv:
        sink: list[RequestRecord] = []
        result = run_in_processes(served_plan(srv, 400, 6, warmup=10), 2, sink)
        served = srv.stats()["by_outcome"]["ok"]
    assert not result.problems
    assert sorted(r.request_id for r in result.records) == list(range(400)) and served == 400
    assert sum(r.warmup for r in result.records) == 10
    assert {r.worker for r in result.records} == {0, 1}
    assert [h.worker for h in result.health] == [0, 1]
    assert sum(h.sent for h in result.health) == 400
    assert sum(h.max_in_flight for h in result.health) <= 6
    assert all(r.outcome is Outcome.OK for r in result.records)


def test_two_workers_follow_one_schedule_from_one_start_instant() -> None:
    offsets = arrival_offsets_ns(80, rate=400.0, seed=2)
    with run_server_in_thread(ServerConfig(ttft_ms=5)) as srv:
        result = run_in_processes(served_plan(srv, 80, -1, schedule_ns=offsets, open_loop=True), 2, [])
    records = sorted(result.records, key=lambda r: r.request_id)
    assert [r.request_id for r in records] == list(range(80))
    anchor = records[0].intended_ns - offsets[0]  # type: ignore[operator]
    assert [r.intended_ns - anchor for r in records] == offsets  # type: ignore[operator]
    assert {r.worker for r in records} == {0, 1}
