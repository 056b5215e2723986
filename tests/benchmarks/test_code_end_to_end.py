"""Code benchmarks end to end: the test server answers, the real sandbox executes, pass@1 is exact.

The server answers the full HumanEval (164) with the canonical solution for a known subset and a
wrong body for the rest, the sanitized MBPP test problems with their reference code or a wrong
one, and hand-written LiveCodeBench problems (stdin and LeetCode-style) with right, wrong, failing
and looping programs; the report's score must be exactly the known fraction, with every failure
classified.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from tests.benchmarks.fixtures import lcb_record
from tests.benchmarks.helpers import write_jsonl
from tests.conftest import shared_data

pytestmark = pytest.mark.skipif(
    shutil.which("bwrap") is None or os.geteuid() != 0,
    reason="needs bubblewrap (apt-get install bubblewrap) and root: code runs in the real sandbox",
)


def _fenced(code: str) -> str:
    return f"Here is the solution.\n```python\n{code}\n```\n"


def _run(tmp_path: Path, bench: str, rules: list[Rule], dataset_args: dict[str, Any]) -> Any:
    with run_server_in_thread(ServerConfig(rules=rules, default_reply="no idea")) as server:
        config = TaskConfig(
            model="mock-model",
            api_url=server.url,
            datasets=[bench],
            dataset_args={bench: dataset_args},
            work_dir=str(tmp_path),
            no_timestamp=True,
            eval_batch_size=16,
        )
        return run_task(config, show_progress=False)[bench]


def test_humaneval_pass_at_1_is_exactly_the_fraction_answered_correctly(tmp_path: Path) -> None:
    folder = shared_data("humaneval")
    with gzip.open(folder / "HumanEval.jsonl.gz", "rt", encoding="utf-8") as fh:
        problems = [json.loads(line) for line in fh]
    right = {p["task_id"] for i, p in enumerate(problems) if i % 3 != 0}
    rules = [
        Rule(
            contains=p["prompt"].strip(),
            reply=_fenced(p["prompt"] + (p["canonical_solution"] if p["task_id"] in right else "    return None\n")),
        )
        for p in problems
    ]
    report = _run(tmp_path, "humaneval", rules, {"local_path": str(folder)})
    assert report.counts.total == 164 and report.counts.scored == 164
    assert report.score == pytest.approx(len(right) / 164, abs=1e-12)
    reviews = [
        json.loads(line)
        for path in (tmp_path / "reviews").rglob("humaneval_*.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    outcomes = {r["score"]["details"]["execution"]["outcome"] for r in reviews if r["score"]["value"]["acc"] == 0}
    assert outcomes <= {"failed", "error"}  # a None return fails an assertion or breaks a comparison
    counted = report.counts.execution_outcomes
    assert counted is not None and counted["passed"] == len(right)
    assert sum(counted.values()) == 164


def test_sanitized_mbpp_pass_at_1_is_exactly_the_fraction_answered_correctly(tmp_path: Path) -> None:
    folder = shared_data("mbpp")
    problems = [p for p in json.loads((folder / "sanitized-mbpp.json").read_text()) if 11 <= p["task_id"] <= 510]
    right = {p["task_id"] for i, p in enumerate(problems) if i % 4 != 0}
    rules = [
        Rule(  # the prompt quotes the tests, and task texts repeat (71 and 141 are both "sort a list")
            contains=p["prompt"].strip() + " Your code should pass these tests:\n\n" + p["test_list"][0],
            reply=_fenced(p["code"] if p["task_id"] in right else "def broken(:\n    pass"),
        )
        for p in problems
    ]
    report = _run(tmp_path, "mbpp", rules, {"local_path": str(folder), "subset_list": ["sanitized"]})
    assert report.counts.scored == len(problems) == 257
    assert report.score == pytest.approx(len(right) / len(problems), abs=1e-12)
    assert report.counts.execution_outcomes == {"passed": len(right), "syntax_error": len(problems) - len(right)}


def test_humaneval_pass_at_k_with_repeats_is_the_unbiased_estimate(tmp_path: Path) -> None:
    """Three completions per problem, ``c`` of them right (c = 0..3 by problem): pass@k exactly as Chen et al."""
    folder = shared_data("humaneval")
    with gzip.open(folder / "HumanEval.jsonl.gz", "rt", encoding="utf-8") as fh:
        problems = [json.loads(line) for line in fh][:40]
    right_count = {p["task_id"]: i % 4 for i, p in enumerate(problems)}
    rules = []
    for p in problems:
        good = _fenced(p["prompt"] + p["canonical_solution"])
        bad = _fenced(p["prompt"] + "    raise ValueError('not done')\n")
        c = right_count[p["task_id"]]
        rules.append(Rule(contains=p["prompt"].strip(), replies=[good] * c + [bad] * (3 - c) if c else [bad]))
    with run_server_in_thread(ServerConfig(rules=rules, default_reply="no idea")) as server:
        config = TaskConfig(
            model="mock-model",
            api_url=server.url,
            datasets=["humaneval"],
            dataset_args={"humaneval": {"local_path": str(folder)}},
            limit=40,
            repeats=3,
            work_dir=str(tmp_path),
            no_timestamp=True,
        )
        report = run_task(config, show_progress=False)["humaneval"]
        assert server.stats()["requests_total"] == 40  # the repeats went as n=3
    assert report.counts.scored == 120

    def pass_at(k: int, c: int, n: int = 3) -> float:
        return 1.0 if n - c < k else 1.0 - math.comb(n - c, k) / math.comb(n, k)

    scores = {metric.name: metric.score for metric in report.metrics}
    assert scores["mean_acc"] == pytest.approx(sum(right_count.values()) / 120, abs=1e-12)
    for k in (1, 2, 3):
        expected = sum(pass_at(k, c) for c in right_count.values()) / 40
        assert scores[f"mean_acc_pass@{k}"] == pytest.approx(expected, abs=1e-12), k
    assert report.counts.execution_outcomes == {"passed": sum(right_count.values()), "error: ValueError": 120 - 60}


# ---------------------------------------------------------------------------------------------- live_code_bench
TWO_SUM = (
    "class Solution:\n    def twoSum(self, nums, target):\n        seen = {}\n        for i, x in enumerate(nums):\n"
    "            if target - x in seen:\n                return (seen[target - x], i)\n            seen[x] = i"
)
#: (question, tests, func_name, reply code or None for a reply without code, expected outcome or None).
LCB_CASES: list[tuple[str, list[tuple[str, str]], str | None, str | None, str | None]] = [
    ("Print the sum of the N integers.", [("3\n1 2 3\n", "6\n"), ("2\n123456789 987654321\n", "1111111110\n")],
     None, "n = int(input())\nprint(sum(map(int, input().split())))", "passed"),
    ("Return the indices of two numbers adding up to target.", [("[2, 7, 11]\n9", "[0, 1]"), ("[3, 3]\n6", "[0, 1]")],
     "twoSum", TWO_SUM, "passed"),
    ("Print the largest of the N integers.", [("3\n1 5 3\n", "5\n")],
     None, "input()\nprint(min(map(int, input().split())))", "failed"),
    ("Return the words of s reversed.", [('"a b"', '"b a"')],
     "reverseWords", "class Solution:\n    def reverseWords(self, s):\n        return 1 / 0",
     "error: ZeroDivisionError"),
    ("Print N forever.", [("1\n", "1\n")], None, "while True:\n    pass", "timeout"),
    ("Print the product of the N integers.", [("2\n2 3\n", "6\n")], None, "def main(:\n    pass", "syntax_error"),
    ("Print the number of integers.", [("2\n2 3\n", "2\n")], None, None, None),
]  # fmt: skip


def test_live_code_bench_acc_is_exactly_the_fraction_solved_with_each_failure_classified(tmp_path: Path) -> None:
    records = [
        lcb_record(f"p{i}", question, f"2024-0{i + 1}-01T00:00:00", tests, func_name=func_name, compressed=i % 2 == 0)
        for i, (question, tests, func_name, _, _) in enumerate(LCB_CASES)
    ]
    write_jsonl(tmp_path / "data" / "test.jsonl", records)
    rules = [
        Rule(contains=question, reply=_fenced(code) if code is not None else "I cannot solve this.")
        for question, _, _, code, _ in LCB_CASES
    ]
    report = _run(tmp_path / "out", "live_code_bench", rules, {"local_path": str(tmp_path / "data")})
    assert report.counts.scored == len(LCB_CASES) == 7
    assert report.score == pytest.approx(2 / 7, abs=1e-12)
    expected = Counter(outcome for *_, outcome in LCB_CASES if outcome is not None)
    assert report.counts.execution_outcomes == dict(expected)
    # The tests stay out of every file the run writes: the private input appears nowhere.
    written = [p.read_text(encoding="utf-8") for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert written and not any("987654321" in text for text in written)
    reviews = [json.loads(line) for p in (tmp_path / "out" / "reviews").rglob("*.jsonl") for line in p.open()]
    assert max(len(json.dumps(r["score"])) for r in reviews) < 2000
    no_code = next(r for r in reviews if r["sample_id"] == "p6")
    assert no_code["score"]["explanation"] == "no code in the reply"


def test_code_replies_with_thinking_or_cut_by_max_tokens_are_scored_and_counted_as_truncated(tmp_path: Path) -> None:
    """``<think>`` is removed before the code is taken; a reply cut by max_tokens (or inside its
    think block) is counted as truncated, so a low code score can be told apart from a short budget."""
    folder = shared_data("humaneval")
    with gzip.open(folder / "HumanEval.jsonl.gz", "rt", encoding="utf-8") as fh:
        problems = [json.loads(line) for line in fh][:3]
    thought = "<think>" + "Let me consider the edge cases carefully. " * 20 + "</think>"
    solved = thought + _fenced(problems[0]["prompt"] + problems[0]["canonical_solution"])
    # A long comment first: max_tokens cuts the code before the function's body.
    cut = _fenced(problems[1]["prompt"] + "    # " + "padding " * 400 + "\n" + problems[1]["canonical_solution"])
    unfinished = "<think>" + "still thinking " * 400
    rules = [
        Rule(contains=p["prompt"].strip(), reply=r) for p, r in zip(problems, (solved, cut, unfinished), strict=True)
    ]
    with run_server_in_thread(ServerConfig(rules=rules)) as server:
        config = TaskConfig(
            model="mock-model",
            api_url=server.url,
            datasets=["humaneval"],
            dataset_args={"humaneval": {"local_path": str(folder)}},
            limit=3,
            generation_config={"max_tokens": 300},
            work_dir=str(tmp_path),
            no_timestamp=True,
        )
        report = run_task(config, show_progress=False)["humaneval"]
    assert report.counts.scored == 3 and report.score == pytest.approx(1 / 3, abs=1e-12)
    assert report.counts.truncated == 2
    reviews = {
        json.loads(line)["sample_id"]: json.loads(line)["score"]
        for path in (tmp_path / "reviews").rglob("humaneval_*.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines()
    }
    first, second, third = (reviews[p["task_id"]] for p in problems)
    assert first["value"]["acc"] == 1.0 and not first.get("truncated") and "<think>" not in first["extracted"]
    assert second["truncated"] and second["value"]["acc"] == 0.0
    assert third["truncated"] and third["explanation"] in (
        "no code in the reply",
        "generation stopped inside a <think> block",
    )
