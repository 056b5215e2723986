"""Winogrande: hub schema (sentence, option1/2, answer '1'/'2'), EvalScope's prompt, exact accuracy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import build_adapter
from assay.mock_server import Rule, ServerConfig
from tests.benchmarks.fixtures import WINOGRANDE_ROWS, write_winogrande
from tests.benchmarks.helpers import oracle_report, prompt_of

GOLDS = ["B", "B", "A"]

# EvalScope 1.14.1: prompt(sentence, [option1, option2], MultipleChoiceTemplate.SINGLE_ANSWER).
EVALSCOPE_FIRST = (
    "Answer the following multiple choice question. The entire content of your response should be of the "
    "following format: 'ANSWER: [LETTER]' (without quotes) where [LETTER] is one of A,B.\n\n"
    "The trophy would not fit in the case because _ was too small.\n\n"
    "A) the trophy\nB) the case"
)


def _accuracy(tmp_path: Path, rules: list[Rule], default: str) -> Any:
    return oracle_report(
        tmp_path / "out",
        "winogrande",
        {"winogrande": {"local_path": str(write_winogrande(tmp_path))}},
        ServerConfig(rules=rules, default_reply=default),
    )


def test_hub_records_load_with_letter_targets_and_evalscope_prompt(tmp_path: Path) -> None:
    samples = build_adapter("winogrande", {"local_path": str(write_winogrande(tmp_path))}).load()["default"]
    assert [s.target for s in samples] == GOLDS
    assert [s.id for s in samples] == ["default-0", "default-1", "default-2"]
    assert prompt_of(samples[0]) == EVALSCOPE_FIRST


@pytest.mark.parametrize(
    ("replies", "default", "expected"),
    [
        ([f"ANSWER: {g}" for g in GOLDS], "", 1.0),  # gold answers
        ([], "ANSWER: A", 1 / 3),  # a fixed answer scores the share of that letter
        (["ANSWER: B", "ANSWER: A", "I cannot tell."], "", 1 / 3),  # right, wrong, no answer
    ],
)
def test_server_replies_give_exact_accuracy(tmp_path: Path, replies: list[str], default: str, expected: float) -> None:
    rules = [Rule(contains=row["sentence"], reply=reply) for row, reply in zip(WINOGRANDE_ROWS, replies, strict=False)]
    report = _accuracy(tmp_path, rules, default)
    assert report.counts.scored == 3
    assert report.score == pytest.approx(expected, abs=1e-12)
