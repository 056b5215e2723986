"""CommonsenseQA: hub schema (question, five choices, letter answer), EvalScope's prompt, exact accuracy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import build_adapter
from assay.testing.server import Rule, ServerConfig
from tests.benchmarks.helpers import oracle_report, prompt_of, write_jsonl

ROWS = [
    {"question": "Where would you put a plate after washing it?",
     "choices": ["cupboard", "oven", "garden", "car", "bathtub"], "answer": "A"},
    {"question": "What do people usually do when they are tired?",
     "choices": ["run", "sleep", "shout", "paint", "swim"], "answer": "B"},
    {"question": "Where is a pencil most likely kept by a student?",
     "choices": ["fridge", "river", "pencil case", "roof", "shoe"], "answer": "C"},
    {"question": "What might a person feel after winning a prize?",
     "choices": ["grief", "boredom", "hunger", "joy", "fear"], "answer": "D"},
]  # fmt: skip
GOLDS = ["A", "B", "C", "D"]

# EvalScope 1.14.1: prompt(question, choices, MultipleChoiceTemplate.SINGLE_ANSWER) for the first row.
EVALSCOPE_FIRST = (
    "Answer the following multiple choice question. The entire content of your response should be of the "
    "following format: 'ANSWER: [LETTER]' (without quotes) where [LETTER] is one of A,B,C,D,E.\n\n"
    "Where would you put a plate after washing it?\n\n"
    "A) cupboard\nB) oven\nC) garden\nD) car\nE) bathtub"
)


def _data(tmp_path: Path) -> Path:
    write_jsonl(tmp_path / "data" / "default" / "validation.jsonl", ROWS)
    return tmp_path / "data"


def _accuracy(tmp_path: Path, rules: list[Rule], default: str) -> Any:
    return oracle_report(
        tmp_path / "out",
        "commonsense_qa",
        {"commonsense_qa": {"local_path": str(_data(tmp_path))}},
        ServerConfig(rules=rules, default_reply=default),
    )


def test_hub_records_load_with_letter_targets_and_evalscope_prompt(tmp_path: Path) -> None:
    samples = build_adapter("commonsense_qa", {"local_path": str(_data(tmp_path))}).load()["default"]
    assert [s.target for s in samples] == GOLDS
    assert prompt_of(samples[0]) == EVALSCOPE_FIRST


@pytest.mark.parametrize(
    ("replies", "default", "expected"),
    [
        ([f"ANSWER: {g}" for g in GOLDS], "", 1.0),  # gold answers
        ([], "ANSWER: A", 1 / 4),  # a fixed answer scores the share of that letter
        (["ANSWER: A", "ANSWER: E", "ANSWER: C", "No idea."], "", 2 / 4),  # right, wrong, no answer
    ],
)
def test_server_replies_give_exact_accuracy(tmp_path: Path, replies: list[str], default: str, expected: float) -> None:
    rules = [Rule(contains=row["question"], reply=reply) for row, reply in zip(ROWS, replies, strict=False)]
    report = _accuracy(tmp_path, rules, default)
    assert report.counts.scored == len(ROWS)
    assert report.score == pytest.approx(expected, abs=1e-12)
