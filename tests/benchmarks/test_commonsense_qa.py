"""CommonsenseQA: hub schema (question, five choices, letter answer), EvalScope's prompt, exact accuracy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import build_adapter
from assay.mock_server import Rule, ServerConfig
from tests.benchmarks.fixtures import COMMONSENSE_QA_ROWS, write_commonsense_qa
from tests.benchmarks.helpers import oracle_report, prompt_of

GOLDS = ["A", "B", "C", "D"]

# EvalScope 1.14.1: prompt(question, choices, MultipleChoiceTemplate.SINGLE_ANSWER) for the first row.
EVALSCOPE_FIRST = (
    "Answer the following multiple choice question. The entire content of your response should be of the "
    "following format: 'ANSWER: [LETTER]' (without quotes) where [LETTER] is one of A,B,C,D,E.\n\n"
    "Where would you put a plate after washing it?\n\n"
    "A) cupboard\nB) oven\nC) garden\nD) car\nE) bathtub"
)


def _accuracy(tmp_path: Path, rules: list[Rule], default: str) -> Any:
    return oracle_report(
        tmp_path / "out",
        "commonsense_qa",
        {"commonsense_qa": {"local_path": str(write_commonsense_qa(tmp_path))}},
        ServerConfig(rules=rules, default_reply=default),
    )


def test_hub_records_load_with_letter_targets_and_evalscope_prompt(tmp_path: Path) -> None:
    samples = build_adapter("commonsense_qa", {"local_path": str(write_commonsense_qa(tmp_path))}).load()["default"]
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
    rules = [
        Rule(contains=row["question"], reply=reply) for row, reply in zip(COMMONSENSE_QA_ROWS, replies, strict=False)
    ]
    report = _accuracy(tmp_path, rules, default)
    assert report.counts.scored == len(COMMONSENSE_QA_ROWS)
    assert report.score == pytest.approx(expected, abs=1e-12)
