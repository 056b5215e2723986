"""A whole ``assay perf`` sweep: folders and files, faults by class, a server that dies, SLA search,
visualizers."""

from __future__ import annotations

import io
import json
import sqlite3
import sys
import threading
import types
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from assay.errors import UserError
from assay.mock_server import ServerConfig, ServerHandle, run_server_in_thread
from assay.perf.arguments import PerfArguments
from assay.perf.runner import output_root, run_perf
from assay.perf.storage import RecordStore

RUN_FILES = {"benchmark_args.json", "benchmark_summary.json", "benchmark_percentile.json", "benchmark_data.db"}


def perf_args(srv: ServerHandle | str, tmp_path: Path, **fields: Any) -> PerfArguments:
    url = srv if isinstance(srv, str) else srv.url
    values: dict[str, Any] = {
        "model": "org/mock-model",
        "url": url,
        "prompt": "hello there",
        "max_tokens": [16],
        "outputs_dir": str(tmp_path),
        "sleep_interval": 0,
    }
    return PerfArguments(**{**values, **fields})


def quiet() -> Console:
    return Console(file=io.StringIO(), width=160)


def summary(run_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run_dir / "benchmark_summary.json").read_text())
    return data


def test_sweep_writes_evalscope_folders_files_and_a_summary(tmp_path: Path) -> None:
    with run_server_in_thread(ServerConfig(default_reply="a b c d")) as srv:
        result = run_perf(
            perf_args(srv, tmp_path, parallel=[1, 2], number=[5, 10], api_key="sk-secret"), console=quiet()
        )
    root = result.root
    assert root.parent.parent == tmp_path and root.name == "mock-model"  # <outputs>/<timestamp>/<model>
    assert [r.run_dir.name for r in result.runs] == ["parallel_1_number_5", "parallel_2_number_10"]
    for run, n in zip(result.runs, (5, 10), strict=True):
        assert {p.name for p in run.run_dir.iterdir()} >= RUN_FILES
        assert RecordStore(run.run_dir / "benchmark_data.db").count() == n
        data = summary(run.run_dir)
        assert data["Total Requests"] == data["Success Requests"] == n
        assert "Client Verdict" in data and data["Client Workers"] == 1
        args_text = (run.run_dir / "benchmark_args.json").read_text()
        assert "sk-secret" not in args_text and json.loads(args_text)["parallel"] == run.spec.parallel
    assert {"performance_summary.txt", "sweep_summary.json", "perf_report.html"} <= {p.name for p in root.iterdir()}


def test_open_loop_runs_are_named_by_rate_and_no_timestamp_writes_in_place(tmp_path: Path) -> None:
    with run_server_in_thread(ServerConfig()) as srv:
        args = perf_args(srv, tmp_path, open_loop=True, rate=[200], number=[20], no_timestamp=True, name="exp")
        result = run_perf(args, console=quiet())
    assert result.root == tmp_path / "exp"
    assert result.runs[0].run_dir == tmp_path / "exp" / "rate_200.0_number_20"
    data = summary(result.runs[0].run_dir)
    assert data["Total Requests"] == 20 and "Client Schedule Lag P99 (ms)" in data


def test_output_root_matches_evalscope() -> None:
    args = PerfArguments(model="/models/Qwen2.5-7B", outputs_dir="out")
    from datetime import datetime

    assert output_root(args, datetime(2025, 1, 2, 3, 4, 5)) == Path("out/20250102_030405/Qwen2.5-7B")


def test_injected_faults_are_counted_exactly_by_class(tmp_path: Path) -> None:
    config = ServerConfig(p_429=0.08, p_500=0.08, p_hang=0.04, p_truncate=0.08, p_malformed=0.08, hang_s=30, seed=3)
    with run_server_in_thread(config) as srv:
        args = perf_args(srv, tmp_path, parallel=[8], number=[250], read_timeout=0.3, no_test_connection=True)
        result = run_perf(args, console=quiet())
        seen = srv.stats()["by_outcome"]
    data = summary(result.runs[0].run_dir)
    assert seen["ok"] < 250 and all(seen[k] > 0 for k in ("429", "500", "hang", "truncate", "malformed"))
    assert data["Total Requests"] == 250
    assert data["Success Requests"] == seen["ok"]
    assert data["Failed: HTTP 429"] == seen["429"] and data["Failed: HTTP 500"] == seen["500"]
    assert data["Failed: HTTP error"] == seen["429"] + seen["500"]
    assert data["Failed: timeout"] == seen["hang"]
    assert data["Failed: broken stream"] == seen["truncate"]
    assert data["Failed: malformed"] == seen["malformed"]


def test_server_dying_mid_run_completes_the_run_with_failures_counted(tmp_path: Path) -> None:
    srv = run_server_in_thread(ServerConfig(ttft_ms=5))
    threading.Timer(0.4, srv.stop).start()
    args = perf_args(srv, tmp_path, parallel=[4], number=[5000], connect_timeout=2)
    result = run_perf(args, console=quiet())
    data = summary(result.runs[0].run_dir)
    assert data["Total Requests"] == 5000
    assert 0 < data["Success Requests"] < 5000
    assert data["Failed: connect error"] > 0
    assert data["Success Requests"] + data["Failed Requests"] == 5000
    assert RecordStore(result.runs[0].run_dir / "benchmark_data.db").count() == 5000


def test_unreachable_server_is_one_clear_error_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"cannot connect to http://127\.0\.0\.1:9/v1/chat/completions") as caught:
        run_perf(perf_args("http://127.0.0.1:9/v1", tmp_path), console=quiet())
    assert "\n" not in str(caught.value)
    assert not any(tmp_path.rglob("*.json"))


def test_wrong_path_is_reported_with_a_hint(tmp_path: Path) -> None:
    with run_server_in_thread(ServerConfig()) as srv, pytest.raises(UserError, match=r"404.*check --url"):
        run_perf(perf_args(srv.root_url + "/nope/chat/completions", tmp_path), console=quiet())


def test_sla_search_doubles_up_to_the_bound_when_every_value_passes(tmp_path: Path) -> None:
    with run_server_in_thread(ServerConfig()) as srv:
        args = perf_args(
            srv,
            tmp_path,
            sla_auto_tune=True,
            sla_params=[{"avg_latency": "<=60s"}],
            sla_upper_bound=4,
            sla_num_runs=1,
        )
        result = run_perf(args, console=quiet())
    assert result.sla is not None and [s.selected for s in result.sla] == [4]
    tuned = json.loads((result.root / "sla_summary.json").read_text())
    assert list(tuned) == ["parallel_1", "parallel_2", "parallel_4"]
    assert (result.root / "sla_tuning" / "sla_parallel_4_run_0" / "benchmark_summary.json").exists()


def test_sla_that_nothing_meets_selects_nothing(tmp_path: Path) -> None:
    with run_server_in_thread(ServerConfig()) as srv:
        args = perf_args(srv, tmp_path, sla_auto_tune=True, sla_params={"avg_ttft": "<0.000001ms"}, sla_num_runs=1)
        result = run_perf(args, console=quiet())
    assert result.sla is not None and result.sla[0].selected is None


def test_missing_visualizer_package_names_the_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "wandb", None)  # import fails
    with run_server_in_thread(ServerConfig()) as srv, pytest.raises(UserError, match="pip install wandb"):
        run_perf(perf_args(srv, tmp_path, number=[2], visualizer="wandb"), console=quiet())


def test_visualizer_logs_each_run_offline_without_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, Any]] = []
    fake = types.ModuleType("wandb")
    fake.init = lambda **kw: calls.append(("init", kw))  # type: ignore[attr-defined]
    fake.log = lambda data: calls.append(("log", data))  # type: ignore[attr-defined]
    fake.finish = lambda: calls.append(("finish", None))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "wandb", fake)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    with run_server_in_thread(ServerConfig()) as srv:
        run_perf(perf_args(srv, tmp_path, parallel=[1, 2], number=[2, 2], visualizer="wandb"), console=quiet())
    assert [c[0] for c in calls] == ["init", "log", "log", "finish"]
    assert calls[0][1]["mode"] == "offline" and calls[0][1]["project"] == "perf_benchmark"
    assert calls[1][1]["Total Requests"] == 2


def test_stored_records_hold_what_the_hot_path_left_out(tmp_path: Path) -> None:
    with run_server_in_thread(ServerConfig()) as srv:
        result = run_perf(perf_args(srv, tmp_path, number=[3], warmup_num=2), console=quiet())
    records = RecordStore(result.runs[0].run_dir / "benchmark_data.db").read()
    assert [r.request_id for r in records] == [0, 1, 2, 3, 4]
    assert [r.warmup for r in records] == [True, True, False, False, False]
    assert all(r.prompt == "hello there" and r.stream and r.wall_offset_ns > 0 for r in records)
    with sqlite3.connect(result.runs[0].run_dir / "benchmark_data.db") as con:
        assert con.execute("SELECT COUNT(*) FROM records").fetchone() == (5,)
