"""BoolQ: hub schema (question, passage, boolean answer) as a Yes/No MCQ, EvalScope's prompt, exact accuracy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import build_adapter
from assay.errors import UserError
from assay.mock_server import Rule, ServerConfig
from tests.benchmarks.fixtures import BOOLQ_ROWS, write_boolq
from tests.benchmarks.helpers import oracle_report, prompt_of

GOLDS = ["A", "B", "B"]

# EvalScope 1.14.1: prompt(f"Passage:\n{passage}\n\nQuestion: {question}", ["Yes", "No"], SINGLE_ANSWER).
EVALSCOPE_FIRST = (
    "Answer the following multiple choice question. The entire content of your response should be of the "
    "following format: 'ANSWER: [LETTER]' (without quotes) where [LETTER] is one of A,B.\n\n"
    "Passage:\nBotanically, a tomato is the fruit of the tomato plant.\n\nQuestion: is a tomato a fruit\n\n"
    "A) Yes\nB) No"
)


def _accuracy(tmp_path: Path, rules: list[Rule], default: str) -> Any:
    return oracle_report(
        tmp_path / "out",
        "boolq",
        {"boolq": {"local_path": str(write_boolq(tmp_path))}},
        ServerConfig(rules=rules, default_reply=default),
    )


def test_hub_records_load_as_yes_no_questions_with_evalscope_prompt(tmp_path: Path) -> None:
    samples = build_adapter("boolq", {"local_path": str(write_boolq(tmp_path))}).load()["default"]
    assert [s.target for s in samples] == GOLDS
    assert prompt_of(samples[0]) == EVALSCOPE_FIRST


def test_a_non_boolean_answer_is_rejected_like_evalscope(tmp_path: Path) -> None:
    root = write_boolq(tmp_path, [{**BOOLQ_ROWS[0], "answer": "yes"}])
    with pytest.raises(UserError, match="boolean"):
        build_adapter("boolq", {"local_path": str(root)}).load()


@pytest.mark.parametrize(
    ("replies", "default", "expected"),
    [
        ([f"ANSWER: {g}" for g in GOLDS], "", 1.0),  # gold answers
        ([], "ANSWER: A", 1 / 3),  # always "Yes" scores the share of true answers
        (["ANSWER: A", "ANSWER: A", "It depends."], "", 1 / 3),  # right, wrong, no answer
    ],
)
def test_server_replies_give_exact_accuracy(tmp_path: Path, replies: list[str], default: str, expected: float) -> None:
    rules = [Rule(contains=row["passage"], reply=reply) for row, reply in zip(BOOLQ_ROWS, replies, strict=False)]
    report = _accuracy(tmp_path, rules, default)
    assert report.counts.scored == 3
    assert report.score == pytest.approx(expected, abs=1e-12)
