"""MATH-500: the PRM800K test file, EvalScope's prompt, level subsets, oracle runs on all 500."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.benchmarks import build_adapter
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from tests.benchmarks.helpers import prompt_of
from tests.conftest import shared_data

LEVELS = [f"Level {n}" for n in range(1, 6)]


def records() -> list[dict[str, Any]]:
    path = shared_data("math500") / "test.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def run(tmp_path: Path, server: ServerConfig) -> Any:
    args = {"math_500": {"local_path": str(shared_data("math500"))}}
    with run_server_in_thread(server) as srv:
        config = TaskConfig(
            model="mock-model",
            api_url=srv.url,
            datasets=["math_500"],
            dataset_args=args,
            eval_batch_size=64,
            work_dir=str(tmp_path),
            no_timestamp=True,
        )
        return run_task(config, show_progress=False)["math_500"]


def test_full_set_loads_500_records_into_level_subsets_in_file_order() -> None:
    raw = records()
    samples = build_adapter("math_500", {"local_path": str(shared_data("math500"))}).load()
    assert list(samples) == LEVELS
    assert sum(len(s) for s in samples.values()) == 500
    for level in LEVELS:
        expected = [r["unique_id"] for r in raw if f"Level {r['level']}" == level]
        assert [s.id for s in samples[level]] == expected
    first_level_2 = samples["Level 2"][0]
    assert first_level_2.id == "test/precalculus/807.json"
    assert first_level_2.target == "\\left( 3, \\frac{\\pi}{2} \\right)"


def test_prompt_equals_evalscope() -> None:
    sample = build_adapter("math_500", {"local_path": str(shared_data("math500"))}).load()["Level 2"][0]
    # EvalScope 1.14.1 math_500: '{question}\nPlease reason step by step, and put your final answer within \\boxed{{}}.'
    assert prompt_of(sample) == (
        "Convert the point $(0,3)$ in rectangular coordinates to polar coordinates.  Enter your answer in the "
        "form $(r,\\theta),$ where $r > 0$ and $0 \\le \\theta < 2 \\pi.$\n"
        "Please reason step by step, and put your final answer within \\boxed{}."
    )


def test_gold_answers_on_the_full_set_score_one(tmp_path: Path) -> None:
    raw = records()
    rules = [Rule(contains=r["problem"], reply=f"So the answer is $\\boxed{{{r['answer']}}}$.") for r in raw]
    report = run(tmp_path, ServerConfig(rules=rules))
    assert report.counts.total == 500 and report.counts.scored == 500
    assert report.score == pytest.approx(1.0)


def test_fixed_wrong_answer_scores_the_share_of_items_whose_gold_it_equals(tmp_path: Path) -> None:
    raw = records()
    # 'x = 3' is right only where the gold answer is 3 (Math-Verify reads the equation's right side).
    floor = sum(r["answer"] == "3" for r in raw) / 500
    report = run(tmp_path, ServerConfig(default_reply="I think \\boxed{3}."))
    assert report.counts.scored == 500
    assert report.score == pytest.approx(floor)


def test_known_mix_gives_exact_overall_accuracy(tmp_path: Path) -> None:
    raw = records()
    right = [i % 4 == 0 for i in range(500)]
    rules = [
        Rule(contains=r["problem"], reply=f"\\boxed{{{r['answer']}}}" if ok else "I cannot solve this.")
        for r, ok in zip(raw, right, strict=True)
    ]
    report = run(tmp_path, ServerConfig(rules=rules))
    assert report.score == pytest.approx(sum(right) / 500)
    assert report.counts.extraction_failures == 500 - sum(right)
