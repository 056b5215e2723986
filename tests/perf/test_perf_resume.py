"""``assay perf --resume DIR``: a SIGKILLed sweep resumes with its finished runs kept, exactly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from assay.mock_server import ServerConfig, ServerHandle, prompt_key, run_server_in_thread

LINES = [f"prompt number {i} about a different topic" for i in range(30)]


def perf_argv(srv: ServerHandle, dataset: Path, outputs: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "assay", "perf", "--url", f"{srv.url}/chat/completions", "--model", "mock-model",
        "--api", "openai", "--dataset", "line_by_line", "--dataset-path", str(dataset), "--parallel", "1", "2", "3",
        "--number", "6", "6", "6", "--max-tokens", "8", "--no-stream", "--sleep-interval", "0",
        "--outputs-dir", str(outputs), "--no-timestamp", *extra,
    ]  # fmt: skip


def chat_requests(srv: ServerHandle) -> int:
    return int(srv.stats()["by_endpoint"].get("/v1/chat/completions", 0))


def test_a_killed_sweep_resumes_keeping_its_finished_runs(tmp_path: Path) -> None:
    dataset = tmp_path / "lines.txt"
    dataset.write_text("\n".join(LINES) + "\n")
    root = tmp_path / "out" / "mock-model"
    runs = ["parallel_1_number_6", "parallel_2_number_6", "parallel_3_number_6"]
    with run_server_in_thread(ServerConfig(latency_ms=150)) as srv:
        sweep = subprocess.Popen(
            perf_argv(srv, dataset, tmp_path / "out"), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 120
        while not (root / runs[0] / "benchmark_percentile.json").exists():
            assert sweep.poll() is None and time.monotonic() < deadline, sweep.communicate()
            time.sleep(0.01)
        os.kill(sweep.pid, signal.SIGKILL)  # during the second run
        sweep.wait()
        names = sorted(path.name for path in root.iterdir() if path.is_dir())
        finished = [name for name in names if (root / name / "benchmark_percentile.json").exists()]
        assert finished == [runs[0]], names
        kept_summary = (root / runs[0] / "benchmark_summary.json").read_bytes()

        srv.reset()
        resumed = subprocess.run(
            perf_argv(srv, dataset, tmp_path / "out", "--resume", str(root)),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert resumed.returncode == 0, resumed.stderr
        stats = srv.stats()
    assert f"{runs[0]}  kept: finished by the earlier sweep" in resumed.stdout.replace("\n", " ")
    # Only the two runs not finished were measured: 12 chat requests (plus the connection test's one).
    assert chat_requests_total(stats) == 12 + 1
    # The prompt feed skipped the kept run's 6 prompts: runs 2 and 3 sent lines 6..17, as in one sweep.
    sent = {key for key, count in stats["prompt_counts"].items() if count}
    assert {prompt_key(line) for line in LINES[6:18]} <= sent
    assert not {prompt_key(line) for line in LINES[1:6]} & sent
    assert (root / runs[0] / "benchmark_summary.json").read_bytes() == kept_summary  # untouched
    summary = json.loads((root / "sweep_summary.json").read_text())
    entries = summary if isinstance(summary, list) else summary.get("runs", summary)
    assert [entry["dir_name"] for entry in entries] == runs
    assert all(entry["summary"]["Success Requests"] == 6 for entry in entries)


def chat_requests_total(stats: dict[str, object]) -> int:
    by_endpoint = stats["by_endpoint"]
    assert isinstance(by_endpoint, dict)
    return int(by_endpoint.get("/v1/chat/completions", 0))


def test_resume_with_other_arguments_or_no_folder_is_one_line(tmp_path: Path) -> None:
    dataset = tmp_path / "lines.txt"
    dataset.write_text("\n".join(LINES) + "\n")
    root = tmp_path / "out" / "mock-model"
    with run_server_in_thread(ServerConfig()) as srv:
        first = subprocess.run(perf_argv(srv, dataset, tmp_path / "out"), capture_output=True, text=True, timeout=300)
        assert first.returncode == 0, first.stderr
        before = chat_requests(srv)
        changed = subprocess.run(
            [*perf_argv(srv, dataset, tmp_path / "out", "--resume", str(root)), "--temperature", "0.5"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        missing = subprocess.run(
            perf_argv(srv, dataset, tmp_path / "out", "--resume", str(tmp_path / "nowhere")),
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        again = subprocess.run(
            perf_argv(srv, dataset, tmp_path / "out", "--resume", str(root)),
            capture_output=True,
            text=True,
            timeout=300,
        )
        after = chat_requests(srv)
    assert changed.returncode == 2 and changed.stderr.strip().count("\n") == 0, changed.stderr
    assert "parallel_1_number_6" in changed.stderr and "temperature=0.0" in changed.stderr and "0.5" in changed.stderr
    assert missing.returncode == 2 and "--resume folder not found" in missing.stderr
    # Everything finished: a resume keeps all three runs and sends only the connection test.
    assert again.returncode == 0, again.stderr
    assert after - before == 1 + 1  # the refused resume's connection test, and this one's
