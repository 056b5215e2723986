"""``assay perf --executor ray``: exact totals, the open-loop rate, and clock offsets checked and refused."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assay.cli.main import main
from assay.errors import UserError
from assay.mock_server import ServerConfig, ServerHandle, run_server_in_thread
from assay.perf._clocks import CLOCK_DRIFT_ENV, ClockOffset, ClockSkewError, DriftingClock, WorkerClock, check_skew
from assay.perf._ray_pool import closed_loop_ids
from assay.perf.arguments import PerfArguments
from assay.perf.scheduler import arrival_offsets_ns
from assay.perf.storage import RecordStore


@pytest.fixture
def srv() -> Iterator[ServerHandle]:
    with run_server_in_thread(ServerConfig(ttft_ms=5, itl_ms=1)) as handle:
        yield handle


def perf(srv: ServerHandle, out: Path, *argv: str) -> int:
    """``assay perf`` in this process (so it joins the module's Ray) on 2 Ray workers."""
    return main(
        [
            *("perf", "--model", "m", "--url", srv.url, "--prompt", "hi", "--max-tokens", "4"),
            *("--executor", "ray", "--num-workers", "2", "--no-test-connection", "--no-progress"),
            *("--outputs-dir", str(out), "--no-timestamp", *argv),
        ]
    )


def run_dir(out: Path, name: str) -> Path:
    return out / "m" / name


def summary(out: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run_dir(out, name) / "benchmark_summary.json").read_text())
    return data


# ---- splitting and checking, no Ray needed -----------------------------------------------------


def test_closed_loop_requests_follow_their_users_to_the_workers() -> None:
    dealt = [closed_loop_ids(23, 5, 2, w) for w in range(2)]
    assert sorted(dealt[0] + dealt[1]) == list(range(23))
    assert all(i % 5 in (0, 1, 2) for i in dealt[0]) and all(i % 5 in (3, 4) for i in dealt[1])
    assert closed_loop_ids(10, 1, 2, 1) == []  # a worker without users sends nothing


def test_skew_within_the_precision_is_merged_and_beyond_it_refused() -> None:
    steady = WorkerClock(0, ClockOffset(5_000_000, 300_000), ClockOffset(5_400_000, 300_000))
    assert steady.merge_offset_ns == 5_200_000 and steady.skew_ns == 400_000
    check_skew([steady], 1.0, [])
    drifted = WorkerClock(1, ClockOffset(0, 100_000), ClockOffset(2_500_000, 100_000))
    with pytest.raises(ClockSkewError, match=r"worker 1's clock moved 2\.500 ms.*\+0\.000 ms at start.*\+2\.500 ms"):
        check_skew([steady, drifted], 1.0, [])


def test_the_injected_drift_runs_fast_and_converts_back() -> None:
    clock = DriftingClock(drift_ns_per_s=10_000_000)  # 1% fast
    raw = time.perf_counter_ns() + 2_000_000_000
    assert clock.reported(raw) - raw == pytest.approx(20_000_000, abs=2_000_000)
    assert abs(clock.raw(clock.reported(raw)) - raw) <= 1
    assert clock.reported(0) == 0 and DriftingClock().reported(raw) == raw


def test_ray_address_needs_the_ray_executor() -> None:
    with pytest.raises(UserError, match="--ray-address needs --executor ray"):
        PerfArguments.build({"model": "m", "ray_address": "auto"})
    assert PerfArguments.build({"model": "m", "executor": "ray", "ray_address": "auto"}).executor == "ray"


def test_local_runs_write_benchmark_args_without_the_executor_keys() -> None:
    from assay.perf.report import run_args_json

    assert "executor" not in run_args_json(PerfArguments(model="m"))  # older sweeps still --resume
    ray_args = run_args_json(PerfArguments(model="m", executor="ray", ray_address="auto"))
    assert ray_args["executor"] == "ray" and ray_args["ray_address"] == "auto"


def test_missing_ray_is_a_one_line_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    from assay.perf._ray_pool import run_on_ray

    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` fail
    with pytest.raises(UserError, match=r"pip install 'assay\[ray\]'"):
        run_on_ray(None, 2, [])  # type: ignore[arg-type]


# ---- on a local Ray --------------------------------------------------------------------------------


def test_two_ray_workers_closed_loop_store_every_request_exactly_once(
    ray_session: Any, srv: ServerHandle, tmp_path: Path
) -> None:
    assert perf(srv, tmp_path, "--parallel", "6", "--number", "300", "--warmup-num", "10") == 0
    records = RecordStore(run_dir(tmp_path, "parallel_6_number_300") / "benchmark_data.db").read()
    assert sorted(r.request_id for r in records) == list(range(310))
    assert srv.stats()["requests_total"] == 310 == len(records)
    assert {r.worker for r in records} == {0, 1}
    data = summary(tmp_path, "parallel_6_number_300")
    assert data["Total Requests"] == 300 and data["Success Requests"] == 300
    assert data["Client Workers"] == 2 and data["Client Executor"] == "ray"


def test_two_ray_workers_open_loop_keep_the_poisson_schedule_and_rate(
    ray_session: Any, srv: ServerHandle, tmp_path: Path
) -> None:
    rate, number, warmup = 200.0, 400, 10
    argv = ("--open-loop", "--rate", str(rate), "--number", str(number), "--warmup-num", str(warmup))
    assert perf(srv, tmp_path, *argv) == 0
    name = f"rate_{rate}_number_{number}"
    data = summary(tmp_path, name)
    assert data["Total Requests"] == number
    achieved = data["Achieved send rate (req/s)"]
    assert abs(achieved - rate) / rate < 0.01, achieved
    records = sorted(RecordStore(run_dir(tmp_path, name) / "benchmark_data.db").read(), key=lambda r: r.request_id)
    assert [r.request_id for r in records] == list(range(warmup + number))
    assert [r.worker for r in records] == [i % 2 for i in range(warmup + number)]
    # The measured phase (released once both workers finished the warmup) follows the one
    # precomputed schedule (seed 0, run 0), request i on worker i mod 2: within a worker its
    # intended times are the schedule exactly; across workers they agree to the reported precision.
    schedule = arrival_offsets_ns(number, rate, 1.0, 0)
    measured = [r for r in records if not r.warmup]
    anchor: dict[int, set[int]] = {0: set(), 1: set()}
    for r in measured:
        assert r.intended_ns is not None
        anchor[r.worker].add(r.intended_ns - schedule[r.request_id - warmup])
    assert all(len(anchors) == 1 for anchors in anchor.values()), anchor
    assert abs(min(anchor[0]) - min(anchor[1])) <= data["Client Timing Precision (ms)"] * 1e6
    assert min(r.start_ns for r in measured) > max(r.end_ns for r in records if r.warmup)


def test_no_skew_on_one_machine_reports_small_offsets_and_the_precision(
    ray_session: Any, srv: ServerHandle, tmp_path: Path
) -> None:
    assert perf(srv, tmp_path, "--parallel", "4", "--number", "100") == 0
    data = summary(tmp_path, "parallel_4_number_100")
    precision = data["Client Timing Precision (ms)"]
    assert precision >= 1.0
    for w in (0, 1):
        start, end = data[f"Client Clock Offset w{w} Start (ms)"], data[f"Client Clock Offset w{w} End (ms)"]
        # One machine, one CLOCK_MONOTONIC: the offsets are 0 within the measurement's error.
        error = data[f"Client Clock Uncertainty w{w} (ms)"]
        assert abs(start) <= error + 0.5 and abs(end) <= error + 0.5
        assert abs(end - start) <= precision


def test_injected_clock_skew_refuses_the_merge_with_one_line_and_exit_2(
    ray_session: Any,
    srv: ServerHandle,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(CLOCK_DRIFT_ENV, "1:50000000")  # worker 1's clock gains 50 ms per second
    started = time.monotonic()
    assert perf(srv, tmp_path, "--parallel", "4", "--number", "200") == 2
    assert time.monotonic() - started < 60
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert "not merging" in lines[0] and "worker 1's clock moved" in lines[0] and "timing precision" in lines[0]
    assert "synchronise the hosts' clocks" in lines[0]
    folder = run_dir(tmp_path, "parallel_4_number_200")
    assert not (folder / "benchmark_summary.json").exists()
    raw = RecordStore(folder / "benchmark_data.unmerged.db").read()
    assert sorted(r.request_id for r in raw) == list(range(200))


def test_duration_ends_every_ray_worker(ray_session: Any, srv: ServerHandle, tmp_path: Path) -> None:
    started = time.monotonic()
    assert perf(srv, tmp_path, "--parallel", "2", "--number", "100000", "--duration", "1") == 0
    assert time.monotonic() - started < 30
    data = summary(tmp_path, "parallel_2_number_100000")
    assert 0 < data["Total Requests"] < 100_000 and "Interrupted" not in data
    records = RecordStore(run_dir(tmp_path, "parallel_2_number_100000") / "benchmark_data.db").read()
    assert {r.worker for r in records} == {0, 1}
    span_s = (max(r.start_ns for r in records) - min(r.start_ns for r in records)) / 1e9
    assert span_s < 1.5  # both workers stop sending at about 1 s after the common start


def test_ctrl_c_on_the_driver_stops_the_ray_workers_and_keeps_what_was_measured(
    ray_session: Any, tmp_path: Path
) -> None:
    with run_server_in_thread(ServerConfig(ttft_ms=20, itl_ms=2)) as slow:

        def interrupt() -> None:  # once requests flow, the driver's own SIGINT handler is in place
            deadline = time.monotonic() + 30
            while slow.stats()["requests_total"] < 50 and time.monotonic() < deadline:
                time.sleep(0.05)
            os.kill(os.getpid(), signal.SIGINT)

        threading.Thread(target=interrupt, daemon=True).start()
        assert perf(slow, tmp_path, "--parallel", "4", "--number", "20000") == 130
        served = slow.stats()["requests_total"]
    data = summary(tmp_path, "parallel_4_number_20000")
    assert data["Interrupted"].startswith("yes") and 50 <= data["Total Requests"] < 20_000
    records = RecordStore(run_dir(tmp_path, "parallel_4_number_20000") / "benchmark_data.db").read()
    assert len(records) == served and len({r.request_id for r in records}) == served
