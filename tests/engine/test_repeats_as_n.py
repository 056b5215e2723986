"""Repeats asked as ``n`` completions of one request: fewer requests, the same answers and scores,
each completion journaled on its own, and a clean fallback where a server ignores or refuses ``n``.

The test server's ``replies`` hand out answers in turn per completion, whether the completions come
in one request or several, so every mode must produce the same multiset of answers per sample and
therefore exactly the same report.
"""

from __future__ import annotations

import json
from math import comb
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from assay.models.openai_response import generation_outputs
from assay.models.openai_stream import OpenAIStreamReader, read_body
from assay.report.model import Report

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "data"
MCQ_ARGS = {
    "general_mcq": {
        "local_path": str(EXAMPLES / "general_mcq"),
        "subset_list": ["example"],
        "aggregation": "mean_and_pass_at_k",
    }
}
#: The hexagon question (answer B) gets B, A, B, C in turn: 2 of 4 right. Every other question gets the
#: default "ANSWER: A", right only for question 9.
RULES = [Rule(contains="hexagon", replies=["ANSWER: B", "ANSWER: A", "ANSWER: B", "ANSWER: C"])]


def run(url: str, work_dir: Path, **extra: Any) -> Report:
    config: dict[str, Any] = {
        "model": "mock-model",
        "api_url": url,
        "datasets": ["general_mcq"],
        "dataset_args": MCQ_ARGS,
        "work_dir": str(work_dir),
        "no_timestamp": True,
        "repeats": 4,
    }
    config.update(extra)
    return run_task(TaskConfig(**config), show_progress=False)["general_mcq"]


def predictions(work_dir: Path) -> list[dict[str, Any]]:
    path = work_dir / "predictions" / "mock-model" / "general_mcq_example.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def pass_at(k: int, n: int, c: int) -> float:
    return 1.0 if n - c < k else 1.0 - comb(n - c, k) / comb(n, k)


def expected_scores() -> dict[str, float]:
    scores = {"mean_acc": (2 + 4) / 48}
    for k in range(1, 5):  # hexagon: 2 right of 4; question 9: 4 of 4; ten others: 0
        scores[f"mean_acc_pass@{k}"] = (pass_at(k, 4, 2) + 1.0) / 12
    return scores


def scores(report: Report) -> dict[str, float]:
    return {metric.name: metric.score for metric in report.metrics}


def test_repeats_go_as_one_request_per_sample_with_each_completion_journaled(tmp_path: Path) -> None:
    with run_server_in_thread(ServerConfig(rules=RULES)) as srv:
        report = run(srv.url, tmp_path)
        stats = srv.stats()
    assert stats["requests_total"] == 12 and stats["rule_hits"] == [1]
    assert scores(report) == pytest.approx(expected_scores(), abs=1e-12)
    records = predictions(tmp_path)
    assert len(records) == 48
    hexagon = sorted((r for r in records if "hexagon" in json.dumps(r["input"])), key=lambda r: r["repeat"])
    assert [r["output"]["text"] for r in hexagon] == ["ANSWER: B", "ANSWER: A", "ANSWER: B", "ANSWER: C"]
    assert [r["output"]["choice_index"] for r in hexagon] == [0, 1, 2, 3]
    assert "usage" in hexagon[0]["output"] and all("usage" not in r["output"] for r in hexagon[1:])
    assert report.timing is not None and report.timing.requests == 12


@pytest.mark.parametrize(
    ("server", "extra", "requests"),
    [
        ({"ignore_n": True}, {}, 48),  # each n request brings one answer; the rest are asked one by one
        ({}, {"generation_config": {"stream": True}}, 48),  # the server streams one choice
        ({}, {"repeats_as_n": False}, 48),  # the user turned it off
    ],
)
def test_servers_without_n_give_the_same_report_one_request_per_repeat(
    tmp_path: Path, server: dict[str, Any], extra: dict[str, Any], requests: int
) -> None:
    with run_server_in_thread(ServerConfig(rules=RULES, **server)) as srv:
        report = run(srv.url, tmp_path, **extra)
        assert srv.stats()["requests_total"] == requests
    assert scores(report) == pytest.approx(expected_scores(), abs=1e-12)
    assert report.counts.scored == 48 and report.counts.errored == 0
    hexagon = [r["output"]["text"] for r in predictions(tmp_path) if "hexagon" in json.dumps(r["input"])]
    assert sorted(hexagon) == ["ANSWER: A", "ANSWER: B", "ANSWER: B", "ANSWER: C"]


def test_a_failed_n_request_is_asked_again_one_by_one_and_nothing_is_lost(tmp_path: Path) -> None:
    # The first request (the spider question's 4 repeats as n=4) fails once with a 500 and no retry
    # is allowed: the run must ask those 4 repeats on their own and every later sample one by one.
    rules = [Rule(contains="closest to the Sun", reply="ANSWER: B", fault="500", fail_times=1), *RULES]
    with run_server_in_thread(ServerConfig(rules=rules)) as srv:
        report = run(srv.url, tmp_path, eval_batch_size=1, generation_config={"retries": 0})
        assert srv.stats()["requests_total"] == 1 + 48
    assert report.counts.scored == 48 and report.counts.errored == 0
    expected = expected_scores()
    expected["mean_acc"] += 4 / 48  # the Sun question is answered B (right) by its rule
    for k in range(1, 5):
        expected[f"mean_acc_pass@{k}"] += 1 / 12
    assert scores(report) == pytest.approx(expected, abs=1e-12)


def test_resuming_with_more_repeats_asks_only_the_missing_ones_as_n(tmp_path: Path) -> None:
    with run_server_in_thread(ServerConfig(rules=RULES)) as srv:
        run(srv.url, tmp_path, repeats=2)
        assert srv.stats()["requests_total"] == 12
        report = run(srv.url, tmp_path, repeats=4, use_cache=str(tmp_path))
        assert srv.stats()["requests_total"] == 24  # one n=2 request per sample for repeats 2 and 3
    assert scores(report) == pytest.approx(expected_scores(), abs=1e-12)
    newer = [r for r in predictions(tmp_path) if r["repeat"] >= 2]
    assert len(newer) == 24 and {r["output"]["choice_index"] for r in newer} == {0, 1}


def test_every_choice_of_a_body_or_stream_becomes_its_own_output() -> None:
    body = (
        b'{"choices":[{"index":1,"message":{"content":"second"},"finish_reason":"length"},'
        b'{"index":0,"message":{"content":"first"},"finish_reason":"stop"}],'
        b'"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}'
    )
    outputs = generation_outputs(read_body(body, 10), 0, 10, streamed=False)
    summary = [(o.text, o.finish_reason, o.choice_index) for o in outputs]
    assert summary == [("first", "stop", 0), ("second", "length", 1)]
    assert outputs[0].usage is not None and outputs[0].usage.completion_tokens == 7 and outputs[1].usage is None
    reader = OpenAIStreamReader()
    for index, text in ((0, "a"), (1, "x"), (0, "b"), (1, "y")):
        reader.feed(b'data: {"choices":[{"index":%d,"delta":{"content":"%s"}}]}\n\n' % (index, text.encode()), 5)
    reader.feed(b"data: [DONE]\n\n", 6)
    streamed = generation_outputs(reader.finish(), 0, 6, streamed=True)
    assert [o.text for o in streamed] == ["ab", "xy"]
