"""Acceptance: a SIGKILLed run resumes to the identical report; injected faults change no score."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.mock_server import Rule, ServerConfig, prompt_key, run_server_in_thread
from tests.conftest import shared_data


def _arc_rules(root: Path) -> list[Rule]:
    """Correct answers for even items, 'B' for odd ones: a known mix of right and wrong."""
    rules = []
    path = root / "ARC-Challenge" / "ARC-Challenge-Test.jsonl"
    for i, line in enumerate(path.read_text().splitlines()):
        record = json.loads(line)
        labels = [c["label"] for c in record["question"]["choices"]]
        letter = "ABCDE"[labels.index(record["answerKey"])] if i % 2 == 0 else "B"
        rules.append(Rule(contains=record["question"]["stem"], reply=f"Thinking.\nANSWER: {letter}"))
    return rules


def _scores(report_path: Path) -> dict[str, Any]:
    """Everything in a report except timing (which differs between runs by nature)."""
    data = json.loads(report_path.read_text())
    data.pop("timing")
    return data


def _eval_args(url: str, root: Path, work_dir: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "assay",
        "eval",
        "--model",
        "mock-model",
        "--api-url",
        url,
        "--datasets",
        "arc",
        "--dataset-args",
        json.dumps({"arc": {"local_path": str(root), "subset_list": ["ARC-Challenge"]}}),
        "--eval-batch-size",
        "8",
        "--work-dir",
        str(work_dir),
        "--no-timestamp",
        "--no-progress",
    ]


@pytest.mark.slow
def test_sigkill_midway_then_resume_gives_identical_report_and_no_repeat_requests(tmp_path: Path) -> None:
    root = shared_data("arc")
    rules = _arc_rules(root)
    with run_server_in_thread(ServerConfig(rules=rules)) as srv:
        run_task(
            TaskConfig(
                model="mock-model",
                api_url=srv.url,
                datasets=["arc"],
                work_dir=str(tmp_path / "ref"),
                no_timestamp=True,
                eval_batch_size=8,
                dataset_args={"arc": {"local_path": str(root), "subset_list": ["ARC-Challenge"]}},
            ),
            show_progress=False,
        )
    reference = _scores(tmp_path / "ref" / "reports" / "mock-model" / "arc.json")

    run_dir = tmp_path / "run"
    predictions = run_dir / "predictions" / "mock-model" / "arc_ARC-Challenge.jsonl"
    with run_server_in_thread(ServerConfig(rules=rules, ttft_ms=15)) as srv:
        proc = subprocess.Popen(_eval_args(srv.url, root, run_dir), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if predictions.exists() and predictions.read_bytes().count(b"\n") >= 300:
                break
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        done_before = [json.loads(line) for line in predictions.read_bytes().split(b"\n")[:-1] if line.strip()]
        assert 300 <= len(done_before) < 1172, "the kill must land midway"
        srv.reset()

        resumed = subprocess.run(
            [*_eval_args(srv.url, root, run_dir), "--use-cache", str(run_dir)], capture_output=True, text=True
        )
        assert resumed.returncode == 0, resumed.stderr
        stats = srv.stats()

    finished_keys = {prompt_key(r["input"][-1]["content"]) for r in done_before}
    assert all(stats["prompt_counts"].get(key, 0) == 0 for key in finished_keys)
    assert stats["requests_total"] == 1172 - len(done_before)
    assert _scores(run_dir / "reports" / "mock-model" / "arc.json") == reference


@pytest.mark.slow
def test_injected_faults_change_no_score(tmp_path: Path) -> None:
    root = shared_data("arc")
    rules = _arc_rules(root)
    args = {"arc": {"local_path": str(root), "subset_list": ["ARC-Challenge"]}}
    reports = {}
    faults = {"p_500": 0.10, "p_429": 0.05, "p_truncate": 0.02, "p_hang": 0.01, "hang_s": 30.0, "seed": 7}
    for name, extra in (("clean", {}), ("faulty", faults)):
        with run_server_in_thread(ServerConfig(rules=rules, **extra)) as srv:
            reports[name] = run_task(
                TaskConfig(
                    model="mock-model",
                    api_url=srv.url,
                    datasets=["arc"],
                    dataset_args=args,
                    work_dir=str(tmp_path / name),
                    no_timestamp=True,
                    eval_batch_size=64,
                    generation_config={
                        "stream": True,
                        "timeout": 1.0,
                        "retries": 30,
                        "retry_interval": 0.01,
                        "temperature": 0.0,
                    },
                ),
                show_progress=False,
            )["arc"]
            outcomes = srv.stats()["by_outcome"]
        if name == "faulty":
            assert outcomes["500"] > 50 and outcomes["429"] > 20 and outcomes["hang"] > 0 and outcomes["truncate"] > 0
    clean, faulty = reports["clean"], reports["faulty"]
    assert faulty.counts.errored == 0
    assert faulty.metrics == clean.metrics
    assert faulty.counts == clean.counts
