"""PIQA: hub schema (question, choices, letter answer), EvalScope's prompt, exact accuracy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import build_adapter
from assay.mock_server import Rule, ServerConfig
from tests.benchmarks.fixtures import PIQA_ROWS, write_piqa
from tests.benchmarks.helpers import oracle_report, prompt_of

GOLDS = ["A", "B", "A"]

# EvalScope 1.14.1: prompt(question, choices, MultipleChoiceTemplate.SINGLE_ANSWER) for the first row.
EVALSCOPE_FIRST = (
    "Answer the following multiple choice question. The entire content of your response should be of the "
    "following format: 'ANSWER: [LETTER]' (without quotes) where [LETTER] is one of A,B.\n\n"
    "How do you keep a door from slamming shut in the wind?\n\n"
    "A) Wedge a rubber stopper under it.\nB) Paint the hinges blue."
)


def _accuracy(tmp_path: Path, rules: list[Rule], default: str) -> Any:
    return oracle_report(
        tmp_path / "out",
        "piqa",
        {"piqa": {"local_path": str(write_piqa(tmp_path))}},
        ServerConfig(rules=rules, default_reply=default),
    )


def test_hub_records_load_with_letter_targets_and_evalscope_prompt(tmp_path: Path) -> None:
    samples = build_adapter("piqa", {"local_path": str(write_piqa(tmp_path))}).load()["default"]
    assert [s.target for s in samples] == GOLDS
    assert prompt_of(samples[0]) == EVALSCOPE_FIRST


@pytest.mark.parametrize(
    ("replies", "default", "expected"),
    [
        ([f"ANSWER: {g}" for g in GOLDS], "", 1.0),  # gold answers
        ([], "ANSWER: A", 2 / 3),  # a fixed answer scores the share of that letter
        (["ANSWER: A", "ANSWER: A", "Not sure."], "", 1 / 3),  # right, wrong, no answer
    ],
)
def test_server_replies_give_exact_accuracy(tmp_path: Path, replies: list[str], default: str, expected: float) -> None:
    rules = [Rule(contains=row["question"], reply=reply) for row, reply in zip(PIQA_ROWS, replies, strict=False)]
    report = _accuracy(tmp_path, rules, default)
    assert report.counts.scored == len(PIQA_ROWS)
    assert report.score == pytest.approx(expected, abs=1e-12)
