"""Acceptance: full real benchmarks against the test server give exactly the expected accuracy.

The server answers correctly for a known subset of items and wrongly (or without an answer) for the
rest. The expected accuracy is computed here from the raw upstream files alone, independently of
Assay's loaders, so a loader that drops, duplicates or mislabels items fails these tests.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from assay import TaskConfig, run_task
from assay.mock_server import Rule, ServerConfig, run_server_in_thread
from tests.conftest import shared_data

LETTERS = "ABCDEFGHIJ"


def first_match_replies(questions: Sequence[str], replies: Sequence[str], default: str) -> list[str]:
    """What the server answers each question, given first-match 'contains' rules (as it applies them)."""
    answered = []
    for question in questions:
        answered.append(next((r for q, r in zip(questions, replies, strict=True) if q in question), default))
    return answered


def run(tmp_path: Path, server_url: str, dataset: str, dataset_args: dict[str, Any], **extra: Any) -> Any:
    config = TaskConfig(
        model="mock-model",
        api_url=server_url,
        datasets=[dataset],
        dataset_args={dataset: dataset_args},
        eval_batch_size=64,
        work_dir=str(tmp_path),
        no_timestamp=True,
        **extra,
    )
    return run_task(config, show_progress=False)[dataset]


@pytest.mark.slow
def test_full_gsm8k_accuracy_is_exact(tmp_path: Path) -> None:
    root = shared_data("gsm8k")
    records = [json.loads(line) for line in (root / "test.jsonl").read_text().splitlines()]
    assert len(records) == 1319
    questions = [r["question"] for r in records]
    golds = [r["answer"].split("####")[-1].strip() for r in records]
    replies = []
    for i, gold in enumerate(golds):
        if i % 3 == 0:
            replies.append(f"Let me compute. The answer is \\boxed{{{gold}}}.")
        elif i % 3 == 1:
            replies.append(f"Let me compute. The answer is \\boxed{{{gold}7}}.")
        else:
            replies.append("I am not sure how to solve this.")
    answered = first_match_replies(questions, replies, default="")
    # correct iff the boxed value the server sends for item i is item i's gold (string equality is
    # enough: golds are plain integers and wrong replies append a digit)
    expected = Fraction(sum(f"\\boxed{{{golds[i]}}}" in a for i, a in enumerate(answered)), 1319)

    rules = [Rule(contains=q, reply=r) for q, r in zip(questions, replies, strict=True)]
    with run_server_in_thread(ServerConfig(rules=rules)) as srv:
        report = run(tmp_path, srv.url, "gsm8k", {"local_path": str(root), "few_shot_num": 0})
        assert srv.stats()["requests_total"] == 1319

    assert report.counts.total == 1319 and report.counts.scored == 1319
    assert report.metrics[0].num == 1319
    assert report.score == pytest.approx(float(expected), abs=1e-12)
    assert report.counts.errored == 0
    # Every third reply carries no number at all: nothing can be extracted from those.
    no_answer = sum("not sure" in a for a in answered)
    assert report.counts.extraction_failures == no_answer


def _arc_records(root: Path) -> list[dict[str, Any]]:
    path = root / "ARC-Challenge" / "ARC-Challenge-Test.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _arc_gold_letter(record: dict[str, Any]) -> str:
    labels = [c["label"] for c in record["question"]["choices"]]
    return LETTERS[labels.index(record["answerKey"])]


@pytest.mark.slow
def test_full_arc_challenge_accuracy_is_exact(tmp_path: Path) -> None:
    root = shared_data("arc")
    records = _arc_records(root)
    assert len(records) == 1172
    stems = [r["question"]["stem"] for r in records]
    golds = [_arc_gold_letter(r) for r in records]
    replies = []
    for i, gold in enumerate(golds):
        letter = gold if i % 2 == 0 else LETTERS[(LETTERS.index(gold) + 1) % len(records[i]["question"]["choices"])]
        replies.append(f"Reasoning...\nANSWER: {letter}")
    answered = first_match_replies(stems, replies, default="ANSWER: Z")
    expected = Fraction(sum(a.endswith(f"ANSWER: {golds[i]}") for i, a in enumerate(answered)), 1172)

    with run_server_in_thread(
        ServerConfig(rules=[Rule(contains=s, reply=r) for s, r in zip(stems, replies, strict=True)])
    ) as srv:
        report = run(tmp_path, srv.url, "arc", {"local_path": str(root), "subset_list": ["ARC-Challenge"]})

    assert report.counts.scored == 1172
    assert report.score == pytest.approx(float(expected), abs=1e-12)
    assert expected > Fraction(1, 3)  # the rules really produced a mix


@pytest.mark.slow
def test_full_mmlu_test_accuracy_is_exact(tmp_path: Path) -> None:
    """Server says 'ANSWER: A' to everything: accuracy must equal the share of gold 'A' in the raw CSVs."""
    root = shared_data("mmlu")
    golds: list[str] = []
    per_subject: dict[str, list[str]] = {}
    for path in sorted((root / "test").glob("*_test.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            answers = [row[5] for row in csv.reader(fh)]
        per_subject[path.name.removesuffix("_test.csv")] = answers
        golds.extend(answers)
    assert len(golds) == 14042 and len(per_subject) == 57
    expected = Fraction(golds.count("A"), len(golds))

    with run_server_in_thread(ServerConfig(default_reply="ANSWER: A")) as srv:
        report = run(tmp_path, srv.url, "mmlu", {"local_path": str(root), "few_shot_num": 0})

    assert report.counts.scored == 14042
    assert report.score == pytest.approx(float(expected), abs=1e-12)
    subsets = {s.name: s for c in report.metrics[0].categories for s in c.subsets}
    assert len(subsets) == 57
    for subject, answers in per_subject.items():
        assert subsets[subject].num == len(answers)
        assert subsets[subject].score == pytest.approx(answers.count("A") / len(answers), abs=1e-12)
    assert {tuple(c.name) for c in report.metrics[0].categories} == {
        ("STEM",),
        ("Humanities",),
        ("Social Science",),
        ("Other",),
    }
