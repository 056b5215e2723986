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


def _journal(path: Path) -> list[dict[str, Any]]:
    """The predictions journal's complete lines; a line cut by a kill must be the last one and is left out."""
    if not path.exists():
        return []
    lines = path.read_bytes().split(b"\n")
    records = []
    for position, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except ValueError:
            assert position == len(lines) - 1, f"a torn journal line that is not the last: {position}"
    return records


def _kill_when(proc: subprocess.Popen[bytes], ready: Any, timeout_s: float = 120) -> bool:
    """SIGKILL ``proc`` as soon as ``ready()`` holds; False when it ended first."""
    deadline = time.monotonic() + timeout_s
    while proc.poll() is None and time.monotonic() < deadline:
        if ready():
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.002)
    proc.wait()
    return False


@pytest.mark.slow
def test_ten_sigkills_at_random_moments_then_resume_gives_the_identical_report(tmp_path: Path) -> None:
    """Killed 10 times in one run, resumed each time: twice during start-up and loading (a seeded
    random delay), six times while requesting and scoring (at a seeded random journal length), twice
    once every answer is journaled (writing reviews and reports). The final report is the clean run's,
    and no sample whose answer was journaled before a kill is ever asked again."""
    import random

    root = shared_data("arc")
    rules = _arc_rules(root)
    clean_dir, run_dir = tmp_path / "clean", tmp_path / "run"
    predictions = run_dir / "predictions" / "mock-model" / "arc_ARC-Challenge.jsonl"
    total = 1172
    with run_server_in_thread(ServerConfig(rules=rules, ttft_ms=15)) as srv:
        clean = subprocess.run(_eval_args(srv.url, root, clean_dir), capture_output=True, text=True)
        assert clean.returncode == 0, clean.stderr
        reference = _scores(clean_dir / "reports" / "mock-model" / "arc.json")

        rng = random.Random(15)
        phases = ["start-up", "requesting", "requesting", "start-up", "requesting", "requesting", "requesting",
                  "requesting", "all journaled", "all journaled"]  # fmt: skip
        kills, asked_again = [], 0
        for phase in phases:
            srv.reset()
            done = len(_journal(predictions))
            done_before = {prompt_key(r["input"][-1]["content"]) for r in _journal(predictions)}
            # A kill before the output folder exists leaves nothing to resume: the next run starts afresh.
            args = _eval_args(srv.url, root, run_dir) + (["--use-cache", str(run_dir)] if run_dir.is_dir() else [])
            proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if phase == "start-up":
                moment = time.monotonic() + rng.uniform(0.05, 1.0)
                killed = _kill_when(proc, lambda moment=moment: time.monotonic() >= moment)
            elif phase == "requesting":
                target = done + rng.randint(1, max(1, (total - done) // 4))
                killed = _kill_when(
                    proc, lambda target=target: predictions.exists() and predictions.read_bytes().count(b"\n") >= target
                )
            else:
                killed = _kill_when(
                    proc, lambda: predictions.exists() and predictions.read_bytes().count(b"\n") >= total
                )
            if not killed:
                assert proc.returncode == 0, (phase, proc.stderr.read().decode() if proc.stderr else "")
            kills.append((phase, killed))
            asked_again += sum(srv.stats()["prompt_counts"].get(key, 0) for key in done_before)
        assert sum(killed for _, killed in kills) >= 8, kills
        srv.reset()
        done_before = {prompt_key(r["input"][-1]["content"]) for r in _journal(predictions)}
        resumed = subprocess.run(
            [*_eval_args(srv.url, root, run_dir), "--use-cache", str(run_dir)], capture_output=True
        )
        assert resumed.returncode == 0, resumed.stderr
        asked_again += sum(srv.stats()["prompt_counts"].get(key, 0) for key in done_before)
    assert asked_again == 0  # a journaled answer is never requested again
    final = _journal(predictions)
    assert len({record["key"] for record in final}) == total
    assert _scores(run_dir / "reports" / "mock-model" / "arc.json") == reference
