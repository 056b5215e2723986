"""Engine behaviour on the small built-in example data: repeats, notebooks, resume rules, failures."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.errors import UserError
from assay.mock_server import Rule, ServerConfig, run_server_in_thread

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "data"
MCQ_ARGS = {"general_mcq": {"local_path": str(EXAMPLES / "general_mcq"), "subset_list": ["example"]}}


def config(url: str, work_dir: Path, **extra: Any) -> TaskConfig:
    base: dict[str, Any] = {
        "model": "mock-model",
        "api_url": url,
        "datasets": ["general_mcq"],
        "dataset_args": MCQ_ARGS,
        "work_dir": str(work_dir),
        "no_timestamp": True,
    }
    base.update(extra)
    return TaskConfig(**base)


def test_outputs_follow_evalscope_tree_and_records_are_complete(tmp_path: Path) -> None:
    with run_server_in_thread(ServerConfig(rules=[Rule(contains="hexagon", reply="ANSWER: B")])) as srv:
        report = run_task(config(srv.url, tmp_path, api_key="sk-top-secret"), show_progress=False)["general_mcq"]
    assert (tmp_path / "configs" / "task_config.yaml").is_file()
    assert (tmp_path / "logs" / "eval_log.log").is_file()
    predictions = (tmp_path / "predictions" / "mock-model" / "general_mcq_example.jsonl").read_text().splitlines()
    reviews = (tmp_path / "reviews" / "mock-model" / "general_mcq_example.jsonl").read_text().splitlines()
    saved = json.loads((tmp_path / "reports" / "mock-model" / "general_mcq.json").read_text())
    assert len(predictions) == len(reviews) == 12
    first = json.loads(predictions[0])
    assert {"key", "sample_id", "input", "target", "output", "fingerprint"} <= set(first)
    assert first["output"]["usage"]["completion_tokens"] > 0
    assert saved["score"] == report.score
    # 'A' is right for question 9 only; the hexagon rule answers B correctly: 2 of 12
    assert report.score == pytest.approx(2 / 12)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert "sk-top-secret" not in path.read_text(errors="ignore"), path


def test_repeats_with_pass_at_k_vote_and_pass_hat_k(tmp_path: Path) -> None:
    with run_server_in_thread(ServerConfig(rules=[Rule(contains="hexagon", reply="ANSWER: B")])) as srv:
        for aggregation in ("mean_and_pass_at_k", "mean_and_vote_at_k", "mean_and_pass_hat_k"):
            args = {"general_mcq": {**MCQ_ARGS["general_mcq"], "aggregation": aggregation}}
            report = run_task(
                config(srv.url, tmp_path / aggregation, repeats=3, dataset_args=args), show_progress=False
            )["general_mcq"]
            names = [m.name for m in report.metrics]
            assert report.counts.total == 36
            assert names[0] == "mean_acc" and len(names) > 1, names
            # deterministic server: every repeat agrees, so every k-metric equals the mean
            for metric in report.metrics:
                assert metric.score == pytest.approx(2 / 12), (aggregation, metric.name)


def test_run_task_works_inside_a_running_event_loop(tmp_path: Path) -> None:
    with run_server_in_thread(ServerConfig()) as srv:

        async def notebook_cell() -> float:
            return run_task(config(srv.url, tmp_path), show_progress=False)["general_mcq"].score

        assert asyncio.run(notebook_cell()) == pytest.approx(1 / 12)


def test_resume_with_a_different_generation_config_is_refused_and_explained(tmp_path: Path) -> None:
    with run_server_in_thread(ServerConfig()) as srv:
        run_task(config(srv.url, tmp_path, generation_config={"max_tokens": 64}), show_progress=False)
        changed = config(srv.url, tmp_path, use_cache=str(tmp_path), generation_config={"max_tokens": 99})
        with pytest.raises(UserError, match=r"different model, prompt or generation config.*max_tokens"):
            run_task(changed, show_progress=False)
        # a transport-only change (timeout, stream) reuses everything
        srv.reset()
        same = config(
            srv.url,
            tmp_path,
            use_cache=str(tmp_path),
            generation_config={"max_tokens": 64, "timeout": 9, "stream": True},
        )
        run_task(same, show_progress=False)
        assert srv.stats()["requests_total"] == 0


def test_failed_samples_exit_1_keep_work_and_are_retried_on_resume(tmp_path: Path) -> None:
    args = [
        sys.executable, "-m", "assay", "eval", "--model", "mock-model", "--datasets", "general_mcq",
        "--dataset-args", json.dumps(MCQ_ARGS), "--work-dir", str(tmp_path), "--no-timestamp", "--no-progress",
        "--generation-config", "retries=0,max_tokens=32",
    ]  # fmt: skip
    with run_server_in_thread(ServerConfig(p_500=0.5, seed=3)) as srv:
        first = subprocess.run([*args, "--api-url", srv.url], capture_output=True, text=True)
        failed = srv.stats()["by_outcome"]["500"]
    assert first.returncode == 1, first.stderr
    assert "samples failed" in first.stderr and "--use-cache" in first.stderr
    assert 0 < failed < 12
    report = json.loads((tmp_path / "reports" / "mock-model" / "general_mcq.json").read_text())
    assert report["counts"]["errored"] == failed and report["metrics"][0]["num"] == 12 - failed

    with run_server_in_thread(ServerConfig()) as srv:
        second = subprocess.run([*args, "--api-url", srv.url, "--use-cache", str(tmp_path)], capture_output=True)
        assert second.returncode == 0
        assert srv.stats()["requests_total"] == failed  # only the failed ones were asked again
    report = json.loads((tmp_path / "reports" / "mock-model" / "general_mcq.json").read_text())
    assert report["counts"]["errored"] == 0 and report["metrics"][0]["num"] == 12


def test_rerun_review_rescores_without_asking_the_model(tmp_path: Path) -> None:
    with run_server_in_thread(ServerConfig()) as srv:
        run_task(config(srv.url, tmp_path), show_progress=False)
        srv.reset()
        report = run_task(config(srv.url, tmp_path, use_cache=str(tmp_path), rerun_review=True), show_progress=False)
        assert srv.stats()["requests_total"] == 0
    assert report["general_mcq"].counts.scored == 12
    reviews = (tmp_path / "reviews" / "mock-model" / "general_mcq_example.jsonl").read_text().splitlines()
    assert len(reviews) == 24  # appended again; the last record per key wins on read


def test_think_blocks_are_removed_and_open_ones_count_as_truncated(tmp_path: Path) -> None:
    rules = [
        Rule(contains="hexagon", reply="<think>maybe ANSWER: C</think>ANSWER: B"),
        Rule(contains="sodium", reply="<think>ANSWER: C is tempting but"),
    ]
    with run_server_in_thread(ServerConfig(rules=rules, default_reply="ANSWER: Q")) as srv:
        report = run_task(config(srv.url, tmp_path), show_progress=False)["general_mcq"]
    assert report.score == pytest.approx(1 / 12)  # only the hexagon answer, after its think block
    assert report.counts.truncated == 1


def test_a_mistake_found_after_the_folder_was_made_removes_only_a_folder_this_run_made(tmp_path: Path) -> None:
    """A server that cannot be reached is found after the output folder exists: a fresh folder
    (and the ``outputs/`` made with it) goes again; a resumed folder, and everything in it, stays."""
    unreachable = "http://127.0.0.1:9/v1"
    fresh = config(unreachable, tmp_path / "outputs", no_timestamp=False)
    with pytest.raises(UserError, match="cannot reach the model server"):
        run_task(fresh, show_progress=False)
    assert not (tmp_path / "outputs").exists()

    run_dir = tmp_path / "run"
    with run_server_in_thread(ServerConfig()) as srv:
        run_task(config(srv.url, run_dir), show_progress=False)
    before = sorted(p.relative_to(run_dir) for p in run_dir.rglob("*"))
    with pytest.raises(UserError, match="cannot reach the model server"):
        run_task(config(unreachable, run_dir, use_cache=str(run_dir)), show_progress=False)
    assert sorted(p.relative_to(run_dir) for p in run_dir.rglob("*")) == before

    existing = tmp_path / "mine"
    (existing / "notes").mkdir(parents=True)
    with pytest.raises(UserError, match="cannot reach the model server"):
        run_task(config(unreachable, existing), show_progress=False)  # --no-timestamp into a folder of the user's
    assert (existing / "notes").is_dir() and (existing / "logs" / "eval_log.log").is_file()
